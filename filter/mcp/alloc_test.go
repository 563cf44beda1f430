package mcp

import "testing"

// claims stands in for jwtlite.Claims: EachScope yields sub-slices of one
// buffer, as the real one does.
type claims struct{ raw []byte }

func (c *claims) EachScope(fn func(scope []byte) bool) {
	start := 0
	for i := 0; i <= len(c.raw); i++ {
		if i == len(c.raw) || c.raw[i] == ' ' {
			if i > start && !fn(c.raw[start:i]) {
				return
			}
			start = i + 1
		}
	}
}

// TestNoAllocations: the per-request calls allocate nothing after warm-up.
func TestNoAllocations(t *testing.T) {
	im := testImplications(t)
	r, err := Compile([]string{"mcp"}, []Operation{
		{Method: "tools/call", Scopes: []string{"tools:call"}},
		{Method: "tools/call", Name: "deploy", Scopes: []string{"files:read", "files:write"}},
	}, LegacyRequireAll, im)
	if err != nil {
		t.Fatal(err)
	}
	origins, err := CompileOrigins([]string{"https://app.example.com", "null"})
	if err != nil {
		t.Fatal(err)
	}
	plain := [][2]string{
		{":method", "POST"}, {":path", "/mcp"}, {"MCP-Protocol-Version", "2026-07-28"},
		{"mcp-method", "tools/call"}, {"Mcp-Name", "deploy"}, {"authorization", "Bearer x"},
	}
	encoded := current(enc("tools/call"), enc("grüße, world"))
	noName := current("tools/call", "")
	legacy := [][2]string{{"mcp-method", "tools/call"}, {"mcp-name", "deploy"}}
	tok := &claims{raw: []byte("openid mcp admin")}
	short := &claims{raw: []byte("mcp files:read")}
	var (
		p       Parser
		c       Checker
		missing = make([]string, 0, 8)
	)
	cases := []struct {
		name string
		fn   func()
	}{
		{"Parse plain", func() {
			if h, err := p.Parse(plain); err != nil || h.Name != "deploy" {
				t.Fatal(h, err)
			}
		}},
		{"Parse encoded", func() {
			if h, err := p.Parse(encoded); err != nil || h.Name != "grüße, world" {
				t.Fatal(h, err)
			}
		}},
		{"Parse legacy", func() {
			if h, err := p.Parse(legacy); err != nil || h.Era != EraLegacy {
				t.Fatal(h, err)
			}
		}},
		{"Parse error", func() {
			if _, err := p.Parse(noName); err == nil {
				t.Fatal("no error")
			}
		}},
		{"Select and Check, covered", func() {
			h, _ := p.Parse(plain)
			need, ok := r.Select(&h)
			if !ok {
				t.Fatal("select")
			}
			if m, ok := c.Check(need, tok.EachScope, missing[:0]); !ok || len(m) != 0 {
				t.Fatal(m)
			}
		}},
		{"Check, missing", func() {
			if m, ok := c.Check(r.For("tools/call", "deploy"), short.EachScope, missing[:0]); ok || len(m) != 1 {
				t.Fatal(m)
			}
		}},
		{"Check legacy union", func() {
			if _, ok := c.Check(r.Legacy(), tok.EachScope, missing[:0]); ok {
				t.Fatal("legacy covered")
			}
		}},
		{"Origins", func() {
			if !origins.Allowed("HTTPS://App.Example.com:443") || origins.Allowed("https://evil.example") || !origins.Allowed("null") {
				t.Fatal("origins")
			}
		}},
	}
	for _, tc := range cases {
		tc.fn() // warm-up: buffers grow, the checker makes its yield func
		if got := testing.AllocsPerRun(100, tc.fn); got != 0 {
			t.Errorf("%s: %v allocations per run, want 0", tc.name, got)
		}
	}
}
