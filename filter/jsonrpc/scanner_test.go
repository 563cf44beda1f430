package jsonrpc

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestScannerValue: Value and End accept a JSON text as Parse's reader does
// (UTF-8, no lone surrogate, nesting at most MaxDepth), and agree with
// encoding/json.Valid on everything else.
func TestScannerValue(t *testing.T) {
	for _, tc := range []struct {
		text string
		err  error
	}{
		{`{"a":[1,-0,1.0,1e2,"x\u00e9\/",true,false,null,{}]}`, nil},
		{" \t\r\n[] ", nil},
		{`"\ud83d\ude00"`, nil},
		{deep(MaxDepth), nil},
		{deep(MaxDepth + 1), ErrDepth},
		{`{"a":1,}`, ErrSyntax},
		{`[1 2]`, ErrSyntax},
		{`01`, ErrSyntax},
		{`"\ud800"`, ErrSyntax},
		{"\"a\x01\"", ErrSyntax},
		{`{} {}`, ErrSyntax},
		{``, ErrSyntax},
		{"\"\xff\"", ErrUTF8},
	} {
		var s Scanner
		err := s.Reset([]byte(tc.text))
		if err == nil {
			if err = s.Value(0); err == nil {
				err = s.End()
			}
		}
		if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
			t.Errorf("%.40q: %v, want %v", tc.text, err, tc.err)
		}
		if tc.err != ErrDepth && tc.err != ErrUTF8 && !strings.Contains(tc.text, `\ud800`) && json.Valid([]byte(tc.text)) != (err == nil) {
			t.Errorf("%.40q: %v, json.Valid %v", tc.text, err, json.Valid([]byte(tc.text)))
		}
	}
}

// TestScannerWalk: a walk with Skip, Name, Quoted and Pos.
func TestScannerWalk(t *testing.T) {
	text := []byte(` { "n\u0061me" : "v\"x" , "b" : [1] } `)
	var s Scanner
	if err := s.Reset(text); err != nil {
		t.Fatal(err)
	}
	s.Space()
	if s.Peek() != '{' || !s.Skip('{') || s.Skip('{') {
		t.Fatal("Skip")
	}
	s.Space()
	name, err := s.Name()
	if err != nil || name != "name" {
		t.Fatalf("Name %q, %v", name, err)
	}
	s.Space()
	start := s.Pos()
	v, err := s.Quoted()
	if err != nil || v != `v"x` || string(text[start:s.Pos()]) != `"v\"x"` {
		t.Fatalf("Quoted %q, %v", v, err)
	}
	s.Space()
	s.Skip(',')
	s.Space()
	if _, err := s.Quoted(); err != nil { // a name read as a string
		t.Fatal(err)
	}
	if _, err := s.Quoted(); err != ErrSyntax { // not at a string
		t.Fatalf("Quoted not at a string: %v", err)
	}
	s.Space()
	s.Skip(':')
	if err := s.Value(1); err != nil {
		t.Fatal(err)
	}
	s.Space()
	if !s.Skip('}') || s.End() != nil || s.Peek() != 0 {
		t.Fatal("end")
	}
	s.Release()
	if s.Pos() != 0 || s.Peek() != 0 {
		t.Fatal("Release")
	}
}

func TestFoldEqualExported(t *testing.T) {
	for _, tc := range []struct {
		name, w string
		want    bool
	}{
		{"name", "name", true}, {"NAME", "name", true}, {"\u0131d", "id", true}, {"\u0130D", "id", true},
		{"re\u017Fources", "resources", true}, {"uriTemplate", "uritemplate", true}, {"nam", "name", false}, {"names", "name", false},
	} {
		if got := FoldEqual(tc.name, tc.w); got != tc.want {
			t.Errorf("FoldEqual(%q, %q) = %v", tc.name, tc.w, got)
		}
	}
}
