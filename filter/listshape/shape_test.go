package listshape

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// resp is a response to id 1 with this result.
func resp(result string) string { return `{"jsonrpc":"2.0","id":1,"result":` + result + `}` }

// shapeCase is one body and what Shape must make of it. want "" means the
// body unchanged.
type shapeCase struct {
	name    string
	kind    Kind
	id      string // "1" when empty
	body    string
	keep    func(string) bool
	want    string
	removed int
	err     error
}

const (
	tA = `{"name":"a","description":"A"}`
	tB = `{"name":"b","description":"B"}`
	tC = `{"name":"c","description":"C"}`
)

// shapeCases is the table of TestShape; FuzzShape starts from its bodies.
var shapeCases = []shapeCase{
	// tools/list.
	{name: "tools: all kept", kind: Tools, body: resp(`{"tools":[` + tA + `,` + tB + `,` + tC + `]}`), keep: keepAll},
	{name: "tools: middle removed", kind: Tools, body: resp(`{"tools":[` + tA + `,` + tB + `,` + tC + `]}`), keep: allow("a", "c"),
		want: resp(`{"tools":[` + tA + `,` + tC + `]}`), removed: 1},
	{name: "tools: first removed", kind: Tools, body: resp(`{"tools":[` + tA + `,` + tB + `,` + tC + `]}`), keep: allow("b", "c"),
		want: resp(`{"tools":[` + tB + `,` + tC + `]}`), removed: 1},
	{name: "tools: last removed", kind: Tools, body: resp(`{"tools":[` + tA + `,` + tB + `,` + tC + `]}`), keep: allow("a", "b"),
		want: resp(`{"tools":[` + tA + `,` + tB + `]}`), removed: 1},
	{name: "tools: all removed", kind: Tools, body: resp(`{"tools":[` + tA + `,` + tB + `,` + tC + `]}`), keep: allow(),
		want: resp(`{"tools":[]}`), removed: 3},
	{name: "tools: only the last kept", kind: Tools, body: resp(`{"tools":[` + tA + `,` + tB + `,` + tC + `]}`), keep: allow("c"),
		want: resp(`{"tools":[` + tC + `]}`), removed: 2},
	{name: "tools: alternate", kind: Tools, body: resp(`{"tools":[` + tA + `,` + tB + `,` + tC + `,` + tA + `]}`), keep: allow("b"),
		want: resp(`{"tools":[` + tB + `]}`), removed: 3},
	{name: "tools: empty list", kind: Tools, body: resp(`{"tools":[]}`), keep: allow()},
	{name: "tools: white space kept, one comma per entry", kind: Tools,
		body:    "{\n  \"jsonrpc\": \"2.0\",\n  \"id\": 1,\n  \"result\": {\n    \"tools\": [\n      " + tA + ",\n      " + tB + " ,\n      " + tC + "\n    ]\n  }\n}\n",
		keep:    allow("a", "c"),
		want:    "{\n  \"jsonrpc\": \"2.0\",\n  \"id\": 1,\n  \"result\": {\n    \"tools\": [\n      " + tA + "\n       ,\n      " + tC + "\n    ]\n  }\n}\n",
		removed: 1},
	{name: "tools: white space, all removed", kind: Tools, body: resp(`{ "tools" : [ ` + tA + ` , ` + tB + ` ] }`), keep: allow(),
		want: resp(`{ "tools" : [    ] }`), removed: 2},
	{name: "tools: nextCursor, _meta, unknown members and odd numbers kept", kind: Tools,
		body:    `{"id":1,"x-before":[1e2,-0,1.0,1E+2,0.5e-3],"jsonrpc":"2.0","result":{"_meta":{"k":-0.0},"tools":[{"name":"a","n":1e2},{"name":"b","n":-0},{"name":"c","n":1.0,"z":null}],"nextCursor":"c\u00e9=","unknown":{"deep":[true,false,null]}},"x-after":"\ud83d\ude00"}`,
		keep:    allow("a", "c"),
		want:    `{"id":1,"x-before":[1e2,-0,1.0,1E+2,0.5e-3],"jsonrpc":"2.0","result":{"_meta":{"k":-0.0},"tools":[{"name":"a","n":1e2},{"name":"c","n":1.0,"z":null}],"nextCursor":"c\u00e9=","unknown":{"deep":[true,false,null]}},"x-after":"\ud83d\ude00"}`,
		removed: 1},
	{name: "tools: escapes of kept entries kept, targets unescaped", kind: Tools,
		body:    resp(`{"tools":[{"n\u0061me":"del\u0065te","description":"a \"quoted\" \/ path\n"},{"name":"k\u00e9ep"},{"name":"\ud83d\ude00"}]}`),
		keep:    allow("delete", "\U0001F600"),
		want:    resp(`{"tools":[{"n\u0061me":"del\u0065te","description":"a \"quoted\" \/ path\n"},{"name":"\ud83d\ude00"}]}`),
		removed: 1},
	{name: "tools: a name inside inputSchema is not the target", kind: Tools,
		body:    resp(`{"tools":[{"inputSchema":{"type":"object","properties":{"name":{"type":"string"}},"name":"b"},"name":"a"},{"name":"b","inputSchema":{"properties":{"Name":{}}}}]}`),
		keep:    allow("b"),
		want:    resp(`{"tools":[{"name":"b","inputSchema":{"properties":{"Name":{}}}}]}`),
		removed: 1},
	{name: "tools: entries that cannot be judged are removed", kind: Tools,
		body: resp(`{"tools":[{"description":"no name"},{"name":5},{"name":null},{"name":""},{"name":"a","name":"a"},{"name":"a","Name":"b"},{"NAME":"a"},{"na\u006De":"a","name":"a"},` +
			`{"name":"\u0061","name":"a"},{},null,"a",["a"],1,{"name":"a"}]}`),
		keep:    allow("a"),
		want:    resp(`{"tools":[{"name":"a"}]}`),
		removed: 14},
	{name: "tools: case variants by folding and case mapping", kind: Tools,
		body:    resp(`{"tools":[{"name":"a","nAme":"b"},{"name":"a","NAMe":"b"},{"name":"a"}]}`),
		keep:    allow("a"),
		want:    resp(`{"tools":[{"name":"a"}]}`),
		removed: 2},
	{name: "tools: string id", kind: Tools, id: `"req-1"`,
		body:    `{"jsonrpc":"2.0","id":"req-1","result":{"tools":[` + tA + `,` + tB + `]}}`,
		keep:    allow("b"),
		want:    `{"jsonrpc":"2.0","id":"req-1","result":{"tools":[` + tB + `]}}`,
		removed: 1},
	{name: "tools: id after result", kind: Tools,
		body:    `{"result":{"tools":[` + tA + `,` + tB + `]},"jsonrpc":"2.0","id":1}`,
		keep:    allow("a"),
		want:    `{"result":{"tools":[` + tA + `]},"jsonrpc":"2.0","id":1}`,
		removed: 1},
	{name: "tools: params in a response is ignored", kind: Tools,
		body: `{"jsonrpc":"2.0","id":1,"params":{},"result":{"tools":[` + tA + `]}}`, keep: allow("a")},

	// prompts/list.
	{name: "prompts: removed", kind: Prompts,
		body:    resp(`{"prompts":[{"name":"greet","arguments":[{"name":"who","required":true}]},{"name":"admin_report"}],"nextCursor":"2"}`),
		keep:    allow("greet"),
		want:    resp(`{"prompts":[{"name":"greet","arguments":[{"name":"who","required":true}]}],"nextCursor":"2"}`),
		removed: 1},
	{name: "prompts: all kept", kind: Prompts, body: resp(`{"prompts":[{"name":"greet"}]}`), keep: keepAll},
	{name: "prompts: judged by name, not by a tools member", kind: Prompts,
		body:    resp(`{"tools":[{"name":"x"}],"prompts":[{"name":"x"},{"name":"y"}]}`),
		keep:    allow("y"),
		want:    resp(`{"tools":[{"name":"x"}],"prompts":[{"name":"y"}]}`),
		removed: 1},

	// resources/list.
	{name: "resources: by uri", kind: Resources,
		body:    resp(`{"resources":[{"uri":"file:///srv/a.txt","name":"a.txt","mimeType":"text/plain","size":1.2e3},{"uri":"file:\/\/\/srv\/secret","name":"secret"}]}`),
		keep:    allow("file:///srv/a.txt"),
		want:    resp(`{"resources":[{"uri":"file:///srv/a.txt","name":"a.txt","mimeType":"text/plain","size":1.2e3}]}`),
		removed: 1},
	{name: "resources: escaped uri judged unescaped", kind: Resources,
		body: resp(`{"resources":[{"uri":"file:\/\/\/srv\/secret","name":"secret"}]}`), keep: allow("file:///srv/secret")},
	{name: "resources: name is not the target", kind: Resources,
		body:    resp(`{"resources":[{"name":"file:///a"},{"uri":"file:///a","URI":"x"},{"uri":"file:///a","ur\u0131":"x"},{"uri":"file:///a"}]}`),
		keep:    allow("file:///a"),
		want:    resp(`{"resources":[{"uri":"file:///a"}]}`),
		removed: 3},

	// resources/templates/list.
	{name: "templates: by uriTemplate text", kind: ResourceTemplates,
		body:    resp(`{"resourceTemplates":[{"uriTemplate":"file:///srv/{path}","name":"files"},{"uriTemplate":"db://{table}/{id}","name":"rows"}],"_meta":{}}`),
		keep:    allow("db://{table}/{id}"),
		want:    resp(`{"resourceTemplates":[{"uriTemplate":"db://{table}/{id}","name":"rows"}],"_meta":{}}`),
		removed: 1},
	{name: "templates: uri is not uriTemplate", kind: ResourceTemplates,
		body:    resp(`{"resourceTemplates":[{"uri":"file:///x"},{"uriTemplate":"a","uritemplate":"b"},{"uriTemplate":"a","URITEMPLATE":"b"},{"uriTemplate":"a"}]}`),
		keep:    keepAll,
		want:    resp(`{"resourceTemplates":[{"uriTemplate":"a"}]}`),
		removed: 3},

	// Not shaped: the body passes unchanged.
	{name: "other id", kind: Tools, id: "2", body: resp(`{"tools":[` + tA + `]}`), keep: allow(), err: ErrOtherID},
	{name: "string id against number", kind: Tools, id: `"1"`, body: resp(`{"tools":[` + tA + `]}`), keep: allow(), err: ErrOtherID},
	{name: "id 1.0 is not 1", kind: Tools, body: `{"jsonrpc":"2.0","id":1.0,"result":{"tools":[` + tA + `]}}`, keep: allow(), err: ErrOtherID},
	{name: "escaped id is not the id", kind: Tools, id: `"a"`, body: `{"jsonrpc":"2.0","id":"\u0061","result":{"tools":[` + tA + `]}}`, keep: allow(), err: ErrOtherID},
	{name: "error response", kind: Tools, body: `{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"boom"}}`, keep: allow(), err: ErrErrorResponse},
	{name: "not JSON", kind: Tools, body: `<html>502 Bad Gateway</html>`, keep: allow(), err: ErrNotJSON},
	{name: "empty", kind: Tools, body: ``, keep: allow(), err: ErrNotJSON},
	{name: "truncated", kind: Tools, body: resp(`{"tools":[` + tA + `,` + tB)[:60], keep: allow(), err: ErrNotJSON},
	{name: "trailing data", kind: Tools, body: resp(`{"tools":[`+tA+`]}`) + `{}`, keep: allow(), err: ErrNotJSON},
	{name: "syntax error after the list", kind: Tools, body: `{"jsonrpc":"2.0","id":1,"result":{"tools":[` + tA + `]},"x":tru}`, keep: allow(), err: ErrNotJSON},
	{name: "invalid UTF-8", kind: Tools, body: resp(`{"tools":[{"name":"a\xff"}]}`), keep: allow(), err: ErrNotJSON},
	{name: "lone surrogate", kind: Tools, body: resp(`{"tools":[{"name":"a\ud800"}]}`), keep: allow(), err: ErrNotJSON},
	{name: "too deep", kind: Tools, body: resp(`{"tools":[{"name":"a","x":` + strings.Repeat("[", 61) + strings.Repeat("]", 61) + `}]}`), keep: allow(), err: ErrNotJSON},
	{name: "deepest accepted", kind: Tools, body: resp(`{"tools":[{"name":"a","x":` + strings.Repeat("[", 60) + strings.Repeat("]", 60) + `},{"name":"b"}]}`), keep: allow("a"),
		want: resp(`{"tools":[{"name":"a","x":` + strings.Repeat("[", 60) + strings.Repeat("]", 60) + `}]}`), removed: 1},
	{name: "batch", kind: Tools, body: `[` + resp(`{"tools":[`+tA+`]}`) + `]`, keep: allow(), err: ErrNotResponse},
	{name: "scalar", kind: Tools, body: `1`, keep: allow(), err: ErrNotResponse},
	{name: "empty object", kind: Tools, body: `{}`, keep: allow(), err: ErrNotResponse},
	{name: "request", kind: Tools, body: `{"jsonrpc":"2.0","id":1,"method":"tools/list","result":{"tools":[]}}`, keep: allow(), err: ErrNotResponse},
	{name: "no jsonrpc", kind: Tools, body: `{"id":1,"result":{"tools":[` + tA + `]}}`, keep: allow(), err: ErrNotResponse},
	{name: "jsonrpc 1.0", kind: Tools, body: `{"jsonrpc":"1.0","id":1,"result":{"tools":[` + tA + `]}}`, keep: allow(), err: ErrNotResponse},
	{name: "jsonrpc not a string", kind: Tools, body: `{"jsonrpc":2.0,"id":1,"result":{"tools":[` + tA + `]}}`, keep: allow(), err: ErrNotResponse},
	{name: "result and error", kind: Tools, body: `{"jsonrpc":"2.0","id":1,"result":{"tools":[` + tA + `]},"error":{"code":1,"message":"x"}}`, keep: allow(), err: ErrNotResponse},
	{name: "no id", kind: Tools, body: `{"jsonrpc":"2.0","result":{"tools":[` + tA + `]}}`, keep: allow(), err: ErrNotResponse},
	{name: "null id", kind: Tools, id: "null", body: `{"jsonrpc":"2.0","id":null,"result":{"tools":[` + tA + `]}}`, keep: allow(), err: ErrNotResponse},
	{name: "result not an object", kind: Tools, body: resp(`[` + tA + `]`), keep: allow(), err: ErrNoList},
	{name: "no list", kind: Tools, body: resp(`{"nextCursor":"x"}`), keep: allow(), err: ErrNoList},
	{name: "empty result", kind: Tools, body: resp(`{}`), keep: allow(), err: ErrNoList},
	{name: "list of another kind", kind: Prompts, body: resp(`{"tools":[` + tA + `]}`), keep: allow(), err: ErrNoList},
	{name: "list not an array", kind: Tools, body: resp(`{"tools":{"name":"a"}}`), keep: allow(), err: ErrNoList},
	{name: "list null", kind: Tools, body: resp(`{"tools":null}`), keep: allow(), err: ErrNoList},
	{name: "duplicate list", kind: Tools, body: resp(`{"tools":[` + tA + `],"tools":[` + tB + `]}`), keep: allow(), err: ErrDuplicate},
	{name: "duplicate list, second not an array", kind: Tools, body: resp(`{"tools":[` + tA + `],"tools":null}`), keep: allow(), err: ErrDuplicate},
	{name: "case variant of the list", kind: Tools, body: resp(`{"tools":[` + tA + `],"Tools":[` + tB + `]}`), keep: allow(), err: ErrDuplicate},
	{name: "case variant of the list alone", kind: Tools, body: resp(`{"TOOLS":[` + tA + `]}`), keep: allow(), err: ErrDuplicate},
	{name: "long s variant of resources", kind: Resources, body: resp(`{"resources":[],"re\u017Fources":[{"uri":"x"}]}`), keep: allow(), err: ErrDuplicate},
	{name: "duplicate result", kind: Tools, body: `{"jsonrpc":"2.0","id":1,"result":{"tools":[` + tA + `]},"result":{"tools":[` + tB + `]}}`, keep: allow(), err: ErrDuplicate},
	{name: "case variant of result", kind: Tools, body: `{"jsonrpc":"2.0","id":1,"result":{"tools":[` + tA + `]},"Result":{"tools":[` + tB + `]}}`, keep: allow(), err: ErrDuplicate},
	{name: "duplicate id", kind: Tools, body: `{"jsonrpc":"2.0","id":1,"id":2,"result":{"tools":[` + tA + `]}}`, keep: allow(), err: ErrDuplicate},
	{name: "dotless i variant of id", kind: Tools, body: `{"jsonrpc":"2.0","id":1,"\u0131d":2,"result":{"tools":[` + tA + `]}}`, keep: allow(), err: ErrDuplicate},
	{name: "duplicate jsonrpc", kind: Tools, body: `{"jsonrpc":"2.0","jsonrpc":"2.0","id":1,"result":{"tools":[` + tA + `]}}`, keep: allow(), err: ErrDuplicate},
	{name: "case variant of error", kind: Tools, body: `{"jsonrpc":"2.0","id":1,"result":{"tools":[` + tA + `]},"ERROR":null}`, keep: allow(), err: ErrDuplicate},
	{name: "unknown kind", kind: 0, body: resp(`{"tools":[` + tA + `]}`), keep: allow(), err: ErrKind},
	{name: "kind out of range", kind: 9, body: resp(`{"tools":[` + tA + `]}`), keep: allow(), err: ErrKind},
	{name: "empty id", kind: Tools, id: "-", body: resp(`{"tools":[` + tA + `]}`), keep: allow(), err: ErrKind},
}

func TestShape(t *testing.T) {
	var s Shaper
	for _, tc := range shapeCases {
		t.Run(tc.name, func(t *testing.T) {
			id := tc.id
			switch id {
			case "":
				id = "1"
			case "-":
				id = ""
			}
			body := []byte(tc.body)
			calls := 0
			keep := func(x string) bool { calls++; return tc.keep(x) }
			dst := []byte("prefix:")
			out, removed, err := s.Shape(body, tc.kind, id, keep, dst)
			if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if removed != tc.removed {
				t.Errorf("removed %d, want %d", removed, tc.removed)
			}
			want := tc.want
			if want == "" {
				want = tc.body
				if len(out) > 0 && &out[0] != &body[0] {
					t.Errorf("unchanged output is a copy")
				}
			} else {
				if !bytes.HasPrefix(out, []byte("prefix:")) {
					t.Fatalf("output %q does not extend dst", out)
				}
				out = out[len("prefix:"):]
			}
			if string(out) != want {
				t.Errorf("output\n%s\nwant\n%s", out, want)
			}
			if err == nil {
				if err := checkShaped(body, tc.kind, tc.keep, out, removed); err != nil {
					t.Error(err)
				}
			}
			if string(body) != tc.body {
				t.Error("the body was modified")
			}
		})
	}
}

// TestShapeKeepCalls: keep is called once per judgeable entry, in order,
// with the unescaped target, and never for one that cannot be judged.
func TestShapeKeepCalls(t *testing.T) {
	var s Shaper
	var got []string
	body := resp(`{"tools":[{"name":"b\u00e9"},{"name":"x","NAME":"y"},{"name":""},{"x":1},{"name":"a"},{"name":"b\u00e9"}]}`)
	_, removed, err := s.Shape([]byte(body), Tools, "1", func(x string) bool { got = append(got, x); return true }, nil)
	if err != nil || removed != 3 {
		t.Fatalf("removed %d, %v", removed, err)
	}
	if want := []string{"bé", "a", "bé"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("keep called with %q, want %q", got, want)
	}
}

// TestShapeReuse: a Shaper reused across bodies and kinds gives what a new
// one gives.
func TestShapeReuse(t *testing.T) {
	var reused Shaper
	for round := range 2 {
		for _, tc := range shapeCases {
			id := tc.id
			if id == "" {
				id = "1"
			}
			var fresh Shaper
			o1, r1, e1 := reused.Shape([]byte(tc.body), tc.kind, id, tc.keep, nil)
			o2, r2, e2 := fresh.Shape([]byte(tc.body), tc.kind, id, tc.keep, nil)
			if !bytes.Equal(o1, o2) || r1 != r2 || e1 != e2 {
				t.Errorf("round %d, %s: reused %q %d %v, fresh %q %d %v", round, tc.name, o1, r1, e1, o2, r2, e2)
			}
		}
	}
}

func TestKind(t *testing.T) {
	for _, tc := range []struct {
		kind                      Kind
		list, method, member, key string
	}{
		{Tools, "tools/list", "tools/call", "tools", "name"},
		{Prompts, "prompts/list", "prompts/get", "prompts", "name"},
		{Resources, "resources/list", "resources/read", "resources", "uri"},
		{ResourceTemplates, "resources/templates/list", "resources/read", "resourceTemplates", "uriTemplate"},
		{0, "unknown", "", "", ""},
		{ResourceTemplates + 1, "unknown", "", "", ""},
	} {
		if got := [4]string{tc.kind.String(), tc.kind.Method(), tc.kind.Member(), tc.kind.Key()}; got != [4]string{tc.list, tc.method, tc.member, tc.key} {
			t.Errorf("Kind %d: %q", tc.kind, got)
		}
		if k, ok := KindOf(tc.list); ok != (tc.method != "") || ok && k != tc.kind {
			t.Errorf("KindOf(%q) = %v, %v", tc.list, k, ok)
		}
	}
	for _, m := range []string{"", "tools/call", "Tools/list", "tools/list ", "resources/templates"} {
		if k, ok := KindOf(m); ok {
			t.Errorf("KindOf(%q) = %v", m, k)
		}
	}
}

// TestShapeBigList: the benchmark body, every other tool removed, against
// the oracle.
func TestShapeBigList(t *testing.T) {
	body := toolsList(100)
	var s Shaper
	out, removed, err := s.Shape(body, Tools, "1", keepEven, nil)
	if err != nil || removed != 50 {
		t.Fatalf("removed %d, %v", removed, err)
	}
	if err := checkShaped(body, Tools, keepEven, out, removed); err != nil {
		t.Fatal(err)
	}
}
