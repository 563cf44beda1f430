package config

import (
	"encoding/json"
	"testing"
)

// TestWriteValue: every type the field tables' write functions return is
// written as json.Marshal writes it.
func TestWriteValue(t *testing.T) {
	for _, v := range []any{
		"", "a<b>&\u2028\"\\\n", []string{}, []string{"x", "<y>"}, true, false, 0, 8192, int64(-60), int64(1 << 53),
		map[string]string{}, map[string]string{"sub": "x-mcp-subject", "a b": "x-<ab>", "email": "x-e"},
		map[string][]string{}, map[string][]string{"mcp:write": {"mcp:read"}, "mcp:admin": {"mcp:write", "mcp:read"}, "z": {}},
	} {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := writeValue(nil, v); string(got) != string(want) {
			t.Errorf("writeValue(%#v) = %s, want %s", v, got, want)
		}
	}
	if got := writeValue(nil, []rawJSON{rawJSON(`{"a":1}`), rawJSON(`[]`)}); string(got) != `[{"a":1},[]]` {
		t.Errorf("[]rawJSON: %s", got)
	}
	if got := writeValue(nil, 1.5); string(got) != "!" {
		t.Errorf("an unexpected type is written as %s, want a document Load refuses", got)
	}
}
