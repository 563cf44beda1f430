package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// refTree is the reader parseTree replaced, built on encoding/json's
// Decoder.Token: the reference FuzzParseTree compares against. Paths are
// computed eagerly here.
type refTree struct {
	kind  kind
	path  string
	str   string
	b     bool
	elems []*refTree
	keys  []string
	vals  []*refTree
}

func refParseTree(data []byte, root string) (*refTree, error) {
	if !utf8.Valid(data) {
		return nil, refuse(root, "is not valid UTF-8", "encode the configuration as UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	p := refParser{dec: dec}
	tok, err := dec.Token()
	if err != nil {
		return nil, p.syntax(root, err)
	}
	n, err := p.value(tok, root, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, refuse(root, "trailing data after the JSON value", "remove everything after the closing bracket")
	}
	return n, nil
}

type refParser struct{ dec *json.Decoder }

func (p *refParser) syntax(path string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return refuseCause(path, "invalid JSON: unexpected end of input", "complete the JSON document", err)
	}
	return refuseCause(path, "invalid JSON: "+err.Error(), "fix the JSON syntax", err)
}

func (p *refParser) value(tok json.Token, path string, depth int) (*refTree, error) {
	if depth > maxDepth {
		return nil, refuse(path, "nested too deeply", "the configuration never nests more than a few levels: check the brackets")
	}
	switch t := tok.(type) {
	case nil:
		return &refTree{kind: kindNull, path: path}, nil
	case bool:
		return &refTree{kind: kindBool, path: path, b: t}, nil
	case json.Number:
		return &refTree{kind: kindNumber, path: path, str: string(t)}, nil
	case string:
		return &refTree{kind: kindString, path: path, str: t}, nil
	case json.Delim:
		switch t {
		case '{':
			return p.object(path, depth)
		case '[':
			return p.array(path, depth)
		}
	}
	return nil, refuse(path, "invalid JSON: unexpected token", "fix the JSON syntax")
}

func (p *refParser) object(path string, depth int) (*refTree, error) {
	n := &refTree{kind: kindObject, path: path}
	seen := make(map[string]struct{})
	for p.dec.More() {
		kt, err := p.dec.Token()
		if err != nil {
			return nil, p.syntax(path, err)
		}
		key, ok := kt.(string)
		if !ok {
			return nil, refuse(path, "invalid JSON: object member name is not a string", "fix the JSON syntax")
		}
		mpath := memberPath(path, key)
		if _, dup := seen[key]; dup {
			return nil, refuse(mpath, "duplicate member", "keep exactly one member with this name")
		}
		seen[key] = struct{}{}
		vt, err := p.dec.Token()
		if err != nil {
			return nil, p.syntax(mpath, err)
		}
		v, err := p.value(vt, mpath, depth+1)
		if err != nil {
			return nil, err
		}
		n.keys = append(n.keys, key)
		n.vals = append(n.vals, v)
	}
	if _, err := p.dec.Token(); err != nil {
		return nil, p.syntax(path, err)
	}
	return n, nil
}

func (p *refParser) array(path string, depth int) (*refTree, error) {
	n := &refTree{kind: kindArray, path: path}
	for p.dec.More() {
		epath := indexPath(path, len(n.elems))
		vt, err := p.dec.Token()
		if err != nil {
			return nil, p.syntax(epath, err)
		}
		v, err := p.value(vt, epath, depth+1)
		if err != nil {
			return nil, err
		}
		n.elems = append(n.elems, v)
	}
	if _, err := p.dec.Token(); err != nil {
		return nil, p.syntax(path, err)
	}
	return n, nil
}

// sameTree reports where n and r differ (kind, value, members, paths).
func sameTree(n *node, r *refTree) error {
	if n.kind != r.kind || n.str != r.str || n.b != r.b {
		return fmt.Errorf("%s: got %v %q %v, want %v %q %v", r.path, n.kind, n.str, n.b, r.kind, r.str, r.b)
	}
	if p := n.path(); p != r.path {
		return fmt.Errorf("path %q, want %q", p, r.path)
	}
	if len(n.elems) != len(r.elems)+len(r.vals) || len(n.keys) != len(r.keys) {
		return fmt.Errorf("%s: %d values %d members, want %d and %d", r.path, len(n.elems), len(n.keys), len(r.elems)+len(r.vals), len(r.keys))
	}
	for i := range r.elems {
		if err := sameTree(n.elems[i], r.elems[i]); err != nil {
			return err
		}
	}
	for i := range r.keys {
		if n.keys[i] != r.keys[i] {
			return fmt.Errorf("%s: member %d named %q, want %q", r.path, i, n.keys[i], r.keys[i])
		}
		if err := sameTree(n.elems[i], r.vals[i]); err != nil {
			return err
		}
	}
	return nil
}

// noDuplicates checks that no object of an accepted tree repeats a name.
func noDuplicates(n *node) error {
	seen := map[string]bool{}
	for _, k := range n.keys {
		if seen[k] {
			return fmt.Errorf("%s: accepted a duplicate member %q", n.path(), k)
		}
		seen[k] = true
	}
	for _, e := range n.elems {
		if err := noDuplicates(e); err != nil {
			return err
		}
	}
	return nil
}

func checkParseTree(t *testing.T, data []byte) {
	t.Helper()
	n, err := parseTree(data, "$")
	r, rerr := refParseTree(data, "$")
	switch {
	case err == nil && rerr != nil:
		t.Fatalf("accepted %q; encoding/json refuses: %v", data, rerr)
	case err != nil && rerr == nil:
		t.Fatalf("refused %q (%v); encoding/json accepts", data, err)
	case err != nil:
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) || strings.ContainsAny(err.Error(), "\r\n") {
			t.Fatalf("error %v (%T) is not a one-line *Error wrapping ErrInvalid", err, err)
		}
		if err.Error() != rerr.Error() {
			t.Fatalf("input %q:\n got %v\nwant %v", data, err, rerr)
		}
		if utf8.Valid(data) && json.Valid(data) && !strings.Contains(e.Msg, "duplicate member") && !strings.Contains(e.Msg, "nested too deeply") {
			t.Fatalf("refused valid JSON %q: %v", data, err)
		}
	default:
		if !json.Valid(data) {
			t.Fatalf("accepted %q, which is not JSON", data)
		}
		if err := sameTree(n, r); err != nil {
			t.Fatalf("input %q: %v", data, err)
		}
		if err := noDuplicates(n); err != nil {
			t.Fatal(err)
		}
	}
}

// parseTreeSeeds are the committed seeds of FuzzParseTree
// (testdata/fuzz/FuzzParseTree/, written by TestRegenerate -regen) and the
// cases of TestParseTree: every syntax error encoding/json words, at every
// level, duplicates (also after unescaping), depth, escapes.
var parseTreeSeeds = []string{
	``, ` `, `{}`, `[]`, `null`, `true`, `false`, `0`, `-0.5e+10`, `"s"`, ` {"a" : [1, 2.5, -3e2, true, false, null, "x"]} `,
	`{`, `[`, `{"a"`, `{"a":`, `{"a":1`, `{"a":1,`, `[1`, `[1,`, `"abc`, `tr`, `-`, `1.`, `1e`, `1e+`, `"\u12`, `"\`,
	`}`, `]`, `,`, `:`, `x`, `é`, `{]`, `[}`, `{,}`, `{:}`, `{1:2}`, `{"a" 1}`, `{"a"::1}`, `{"a":}`, `{"a":]`, `{"a":,}`,
	`{"a":1 "b":2}`, `{"a":1,}`, `{"a":1]`, `{"a":1,,}`, `{"a":1}}`, `[1,]`, `[,1]`, `[1 2]`, `[1}`, `[1,}`, `[[]]]`,
	`[01]`, `01`, `{"a":01}`, `[1.x]`, `[1ex]`, `[1e+x]`, `[-x]`, `[tru]`, `[nul]`, `[fals]`, `[truex]`, `[1"a"]`,
	`["\q"]`, `["\u12g4"]`, "[\"a\x01\"]", "[\"\t\"]", `{} x`, `{}{}`, `1 2`, "\xff", "[\"\xc3\"]",
	`{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, `{"\ud800":1,"\udc00":2}`, `{"\ud83d\ude00":1,"😀":2}`,
	`["\ud800x","\ud800\u0041","\udc00\ud800","\ud83d\ude00","\u0000","\/\b\f\n\r\t\"\\"]`,
	`{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k3":3}`,
	`{"a b":{"c":[{"d":1}, {"e":]}]}}`, `{"resources":[{"claim_headers":{"a b":"x-y", "a b":"z"}}]}`,
	strings.Repeat("[", 33) + strings.Repeat("]", 33), strings.Repeat("[", 34) + strings.Repeat("]", 34),
	strings.Repeat("[", 33) + "1" + strings.Repeat("]", 33), strings.Repeat("[", 33) + "x" + strings.Repeat("]", 33),
	strings.Repeat(`{"a":`, 33) + "1" + strings.Repeat("}", 33), strings.Repeat(`{"a":`, 34) + "{}" + strings.Repeat("}", 34),
}

func TestParseTree(t *testing.T) {
	for i, s := range parseTreeSeeds {
		t.Run(strconv.Itoa(i), func(t *testing.T) { checkParseTree(t, []byte(s)) })
	}
}

// TestParseTreeRoot: a document held in a string is refused at the path
// given as its root.
func TestParseTreeRoot(t *testing.T) {
	_, err := parseTree([]byte(`{"keys":[1 2]}`), "issuers[0].jwks")
	var e *Error
	if !errors.As(err, &e) || e.Path != "issuers[0].jwks.keys[1]" || e.Msg != "invalid JSON: invalid character '2' after array element" {
		t.Fatalf("got %#v", err)
	}
	n, err := parseTree([]byte(`{"keys":[{"kty":"oct"}]}`), "issuers[0].jwks")
	if err != nil {
		t.Fatal(err)
	}
	if p := n.elems[0].elems[0].elems[0].path(); p != "issuers[0].jwks.keys[0].kty" {
		t.Fatalf("path %q", p)
	}
}

func writeParseTreeSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzParseTree")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range parseTreeSeeds {
		body := "go test fuzz v1\n[]byte(" + strconv.Quote(s) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%03d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzParseTree: parseTree never panics, accepts exactly what the
// encoding/json reader it replaced accepts, builds the same tree with the same
// JSON paths, refuses with the same message at the same path, never accepts
// a duplicate member, and accepts only JSON that json.Valid accepts.
func FuzzParseTree(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) { checkParseTree(t, data) })
}

// TestRegenerateParseTreeSeeds rewrites testdata/fuzz/FuzzParseTree/ from
// parseTreeSeeds (go test ./filter/config/ -run TestRegenerateParseTreeSeeds -regen).
func TestRegenerateParseTreeSeeds(t *testing.T) {
	if !*regen {
		t.Skip("run with -regen to rewrite testdata/fuzz/FuzzParseTree/")
	}
	writeParseTreeSeeds(t)
}

// TestParseTreeSeedsCommitted: the committed seeds are parseTreeSeeds.
func TestParseTreeSeedsCommitted(t *testing.T) {
	for i, s := range parseTreeSeeds {
		got, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzParseTree", fmt.Sprintf("seed-%03d", i)))
		if err != nil {
			t.Fatalf("%v (regenerate with -run TestRegenerateParseTreeSeeds -regen)", err)
		}
		if want := "go test fuzz v1\n[]byte(" + strconv.Quote(s) + ")\n"; string(got) != want {
			t.Errorf("seed-%03d is stale (regenerate with -run TestRegenerateParseTreeSeeds -regen)", i)
		}
	}
}
