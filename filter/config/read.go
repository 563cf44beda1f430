package config

import (
	"slices"
	"strconv"
	"strings"
)

// Typed readers over the JSON tree. Each refusal names the value's JSON path
// (docs/configuration.md: "a wrong type or a missing required member").

func wrongType(n *node, want string) error {
	return refuse(n.path(), "must be "+want+", not "+n.kind.String(), "write "+want+" there")
}

// object checks that n is an object whose members are all in known.
func object(n *node, known ...string) error {
	if n.kind != kindObject {
		return wrongType(n, "an object")
	}
	for i, k := range n.keys {
		found := false
		for _, kk := range known {
			if k == kk {
				found = true
				break
			}
		}
		if !found {
			return refuse(n.elems[i].path(), "unknown member",
				"remove it or correct the spelling; known members: "+strings.Join(known, ", "))
		}
	}
	return nil
}

// required returns member key of object n, refusing when it is absent.
func required(n *node, key string) (*node, error) {
	v := n.member(key)
	if v == nil {
		return nil, refuse(n.path(), "missing required member "+quote(key), "add "+quote(key))
	}
	return v, nil
}

//go:noinline
func readString(n *node) (string, error) {
	if n.kind != kindString {
		return "", wrongType(n, "a string")
	}
	return n.str, nil
}

func readNonEmptyString(n *node) (string, error) {
	s, err := readString(n)
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", refuse(n.path(), "must not be empty", "give a value, or leave the member out")
	}
	return s, nil
}

//go:noinline
func readBool(n *node) (bool, error) {
	if n.kind != kindBool {
		return false, wrongType(n, "a boolean")
	}
	return n.b, nil
}

// readInt reads an integer written without fraction or exponent, within [lo, hi].
func readInt(n *node, lo, hi int64) (int64, error) {
	if n.kind != kindNumber {
		return 0, wrongType(n, "an integer")
	}
	v, err := strconv.ParseInt(n.str, 10, 64)
	if err != nil || v < lo || v > hi {
		return 0, refuse(n.path(), "must be an integer from "+strconv.FormatInt(lo, 10)+" to "+strconv.FormatInt(hi, 10),
			"use a whole number between "+strconv.FormatInt(lo, 10)+" and "+strconv.FormatInt(hi, 10)+", written without fraction or exponent")
	}
	return v, nil
}

// readWord reads a string that must be one of words.
func readWord(n *node, words ...string) (string, error) {
	s, err := readString(n)
	if err != nil {
		return "", err
	}
	for _, w := range words {
		if s == w {
			return s, nil
		}
	}
	return "", refuse(n.path(), quote(s)+" is not one of "+quoteList(words), "use one of "+quoteList(words))
}

// readStrings reads an array of non-empty, distinct strings and returns them
// with their nodes. A repeated entry is refused (docs/configuration.md: "a name is
// duplicated").
func readStrings(n *node) ([]string, []*node, error) { return readStringsIn(nil, n) }

// readStringsIn is readStrings with the list carved from l's block when l
// is not nil (one allocation for many short lists).
func readStringsIn(l *loader, n *node) ([]string, []*node, error) {
	if n.kind != kindArray {
		return nil, nil, wrongType(n, "an array of strings")
	}
	var out []string
	if l != nil {
		out = l.stringList(len(n.elems))
	} else {
		out = make([]string, 0, len(n.elems))
	}
	var at map[string]int // for long lists; short ones are searched
	if len(n.elems) > 16 {
		at = make(map[string]int, len(n.elems))
	}
	for i, e := range n.elems {
		s, err := readNonEmptyString(e)
		if err != nil {
			return nil, nil, err
		}
		j, dup := -1, false
		if at != nil {
			j, dup = at[s]
			at[s] = i
		} else {
			j = slices.Index(out, s)
			dup = j >= 0
		}
		if dup {
			return nil, nil, refuse(e.path(), "duplicate entry "+quote(s)+" (also at "+n.elems[j].path()+")", "remove the repeated entry")
		}
		out = append(out, s)
	}
	return out, n.elems, nil
}

func quoteList(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = quote(w)
	}
	return strings.Join(q, ", ")
}

// stringList is an empty list of capacity k carved from l.strs: its
// capacity ends where the next list begins, so an append past k copies.
func (l *loader) stringList(k int) []string {
	if k == 0 {
		return []string{}
	}
	if cap(l.strs)-len(l.strs) < k {
		l.strs = make([]string, 0, max(1024, k))
	}
	start := len(l.strs)
	l.strs = l.strs[:start+k]
	return l.strs[start : start : start+k]
}
