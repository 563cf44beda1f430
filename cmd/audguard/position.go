package main

import (
	"bytes"
	"strings"

	"gopkg.in/yaml.v3"
)

// cfgDoc is a source's plugin configuration as JSON with offsets, for
// pointing at the line and column of a JSON path in the checked file.
type cfgDoc struct {
	s      *source
	tree   *jnode     // nil when Config is not JSON
	syntax *jsonError // why it is not
}

func newCfgDoc(s *source) *cfgDoc {
	d := &cfgDoc{s: s}
	if s.Err != nil {
		return d
	}
	t, err := parseJSON(s.Config)
	if err != nil {
		d.syntax, _ = err.(*jsonError)
		return d
	}
	d.tree = t
	return d
}

// pos is the file position of a JSON path of the configuration (line 0 when
// unknown).
func (d *cfgDoc) pos(path string) (int, int) {
	if d.s.mapping != nil {
		return yamlPathPos(d.s.mapping, path, d.s.yaml11)
	}
	if d.tree == nil {
		return d.s.Line, 0
	}
	return d.offPos(d.tree.locate(path))
}

// offPos is the file position of a byte offset of Config.
func (d *cfgDoc) offPos(off int) (int, int) {
	switch {
	case d.s.whole:
		return lineCol(d.s.file, off)
	case d.s.value != nil:
		return scalarPos(d.s.file, d.s.value, off)
	case d.s.offs != nil:
		return lineCol(d.s.file, d.s.offs[min(max(off, 0), len(d.s.offs)-1)])
	}
	return d.s.Line, 0
}

// scalarPos maps byte offset off of the string held by the YAML scalar v to
// its line and column in file. A literal block scalar (`|`) maps exactly: its
// lines are the file's lines after the indicator, less the indentation. A
// quoted or plain scalar on one line maps to the character after its start
// (exact without escapes). Anything else maps to the scalar's own position.
func scalarPos(file []byte, v *yaml.Node, off int) (int, int) {
	if off > len(v.Value) {
		off = len(v.Value)
	}
	before := v.Value[:off]
	if v.Style&yaml.LiteralStyle != 0 {
		k := strings.Count(before, "\n")
		start := strings.LastIndexByte(before, '\n') + 1
		return v.Line + 1 + k, blockIndent(file, v.Line) + 1 + len([]rune(before[start:]))
	}
	if strings.Contains(v.Value, "\n") {
		return v.Line, v.Column
	}
	col := v.Column + len([]rune(before))
	if v.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		col++
	}
	return v.Line, col
}

// blockIndent is the indentation of a block scalar whose indicator is on
// 1-based line: that of its first non-blank line.
func blockIndent(file []byte, line int) int {
	lines := bytes.Split(file, []byte("\n"))
	for i := line; i < len(lines); i++ {
		l := bytes.TrimRight(lines[i], "\r")
		if t := bytes.TrimLeft(l, " "); len(t) > 0 {
			return len(l) - len(t)
		}
	}
	return 0
}

// yamlPathPos is the position of a JSON path in a YAML mapping rendered as
// the configuration: the key of a member, the node of an element. With
// yaml11, an unquoted key y/n/on/off… stands for "true"/"false".
func yamlPathPos(n *yaml.Node, path string, yaml11 bool) (int, int) {
	segs, _ := splitPath(path)
	line, col := n.Line, n.Column
	cur := n
	for _, sg := range segs {
		for cur.Kind == yaml.AliasNode && cur.Alias != nil {
			cur = cur.Alias
		}
		switch {
		case sg.index < 0 && cur.Kind == yaml.MappingNode:
			var next *yaml.Node
			for i := 0; i+1 < len(cur.Content); i += 2 {
				k := cur.Content[i]
				if k.Value == sg.key || yaml11 && k.Style == 0 && yaml11Bools[k.Value] && yaml11Word(k.Value) == sg.key {
					line, col, next = k.Line, k.Column, cur.Content[i+1]
				}
			}
			if next == nil {
				return line, col
			}
			cur = next
		case sg.index >= 0 && cur.Kind == yaml.SequenceNode && sg.index < len(cur.Content):
			cur = cur.Content[sg.index]
			line, col = cur.Line, cur.Column
		default:
			return line, col
		}
	}
	return line, col
}
