package jsonw

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{`q"b\s/`, `"q\"b\\s/"`},
		{"<a>&b", `"\u003ca\u003e\u0026b"`},
		{"\b\f\n\r\t", `"\b\f\n\r\t"`},
		{"\x00\x01\x1f\x7f", `"\u0000\u0001\u001f` + "\x7f" + `"`},
		{"line\u2028para\u2029", `"line\u2028para\u2029"`},
		{"é€😀", `"é€😀"`},
		{"bad\xffutf8\xc3", `"bad\ufffdutf8\ufffd"`},
		{"\xed\xa0\x80", `"\ufffd\ufffd\ufffd"`}, // an encoded surrogate is not UTF-8
	} {
		got := string(String(nil, tc.in))
		if got != tc.want {
			t.Errorf("String(%q) = %s, want %s", tc.in, got, tc.want)
		}
		std, _ := json.Marshal(tc.in)
		if got != string(std) {
			t.Errorf("String(%q) = %s, encoding/json writes %s", tc.in, got, std)
		}
	}
}

func TestStringsIntBool(t *testing.T) {
	for _, tc := range []struct {
		got  []byte
		want string
	}{
		{Strings(nil, nil), `[]`},
		{Strings(nil, []string{}), `[]`},
		{Strings(nil, []string{"a", "<b>"}), `["a","\u003cb\u003e"]`},
		{Int(nil, 0), `0`},
		{Int(nil, -42), `-42`},
		{Int(nil, 1<<53), `9007199254740992`},
		{Bool(nil, true), `true`},
		{Bool([]byte("x"), false), `xfalse`},
	} {
		if string(tc.got) != tc.want {
			t.Errorf("got %s, want %s", tc.got, tc.want)
		}
	}
}

func TestIndent(t *testing.T) {
	for _, src := range []string{
		`{}`, `[]`, `"s"`, `1`, `null`,
		`{"a":1,"b":[],"c":{},"d":[1,2,{"e":"x"}],"f":{"g":true}}`,
		`{"k":"a string with , : { } [ ] \" \\ inside","l":["\\"]}`,
		`[[],[[]],{"a":{}}]`,
		`{ "spaced" : [ 1 , 2 ] }`,
	} {
		var want bytes.Buffer
		if err := json.Indent(&want, []byte(src), "", "  "); err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if got := Indent(nil, []byte(src), "", "  "); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("Indent(%s) =\n%s\nwant\n%s", src, got, want.Bytes())
		}
		var want2 bytes.Buffer
		json.Indent(&want2, []byte(src), ">", "\t")
		if got := Indent([]byte("pre"), []byte(src), ">", "\t"); string(got) != "pre"+want2.String() {
			t.Errorf("Indent(%s) with prefix = %q, want %q", src, got, "pre"+want2.String())
		}
	}
}
