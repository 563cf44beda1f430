package envoy

import (
	"fmt"
	"strings"
	"testing"
)

// ngxDirective is one nginx configuration directive: its name, its arguments
// (quotes removed and escapes resolved as nginx does) and, for a block
// directive, the directives inside it.
type ngxDirective struct {
	Name  string
	Args  []string
	Block []*ngxDirective // nil for a simple directive
	Line  int
}

// parseNginx reads nginx configuration syntax the way ngx_conf_file.c does
// for the parts the example uses: '#' comments outside quotes, words, '...'
// and "..." strings (a backslash before ' " \ keeps that byte, \n \t \r are
// turned into the control byte), ';' ending a directive, '{' '}' blocks.
func parseNginx(src string) ([]*ngxDirective, error) {
	type frame struct{ list *[]*ngxDirective }
	var root []*ngxDirective
	stack := []frame{{&root}}
	var words []string
	line, start := 1, 0
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == ';' || c == '{':
			if len(words) == 0 {
				return nil, fmt.Errorf("line %d: %q without a directive name", line, c)
			}
			d := &ngxDirective{Name: words[0], Args: words[1:], Line: start}
			top := stack[len(stack)-1].list
			*top = append(*top, d)
			words = nil
			i++
			if c == '{' {
				d.Block = []*ngxDirective{}
				stack = append(stack, frame{&d.Block})
			}
		case c == '}':
			if len(words) != 0 || len(stack) == 1 {
				return nil, fmt.Errorf("line %d: unexpected }", line)
			}
			stack = stack[:len(stack)-1]
			i++
		case c == '\'' || c == '"':
			if len(words) == 0 {
				start = line
			}
			var b strings.Builder
			i++
			for {
				if i >= len(src) {
					return nil, fmt.Errorf("line %d: unterminated string", start)
				}
				ch := src[i]
				if ch == c {
					i++
					break
				}
				if ch == '\n' {
					line++
				}
				if ch == '\\' && i+1 < len(src) {
					switch src[i+1] {
					case '\'', '"', '\\':
						b.WriteByte(src[i+1])
						i += 2
						continue
					case 'n':
						b.WriteByte('\n')
						i += 2
						continue
					case 't':
						b.WriteByte('\t')
						i += 2
						continue
					case 'r':
						b.WriteByte('\r')
						i += 2
						continue
					}
				}
				b.WriteByte(ch)
				i++
			}
			words = append(words, b.String())
		default:
			if len(words) == 0 {
				start = line
			}
			j := i
			for j < len(src) && !strings.ContainsRune(" \t\r\n;{}", rune(src[j])) {
				j++
			}
			words = append(words, src[i:j])
			i = j
		}
	}
	if len(words) != 0 || len(stack) != 1 {
		return nil, fmt.Errorf("unterminated directive or block at end of file")
	}
	return root, nil
}

// ngxFind returns the directives named name directly inside list.
func ngxFind(list []*ngxDirective, name string) []*ngxDirective {
	var out []*ngxDirective
	for _, d := range list {
		if d.Name == name {
			out = append(out, d)
		}
	}
	return out
}

// ngxWalk calls fn for every directive in list and below, with its parents.
func ngxWalk(list []*ngxDirective, parents []*ngxDirective, fn func(d *ngxDirective, parents []*ngxDirective)) {
	for _, d := range list {
		fn(d, parents)
		if d.Block != nil {
			ngxWalk(d.Block, append(append([]*ngxDirective{}, parents...), d), fn)
		}
	}
}

// mcpUpstreamHeaders are the request headers an MCP server needs
// (Streamable HTTP: content negotiation, session, protocol version, the
// method/name headers, SSE resumption, Origin validation) besides Host.
var mcpUpstreamHeaders = []string{
	"Content-Type", "Accept", "Mcp-Session-Id", "MCP-Protocol-Version",
	"Mcp-Method", "Mcp-Name", "Last-Event-ID", "Origin",
}

// httpVar is nginx's $http_* variable for a header name.
func httpVar(name string) string {
	return "$http_" + strings.ReplaceAll(strings.ToLower(name), "-", "_")
}

// nginxExampleProblems judges an nginx configuration holding one audguard
// filter: the module is loaded, the filter configuration is accepted by the
// plugin's loader and maps by host, and every location that proxy_passes
// forwards only listed headers (proxy_pass_request_headers off) — the MCP
// headers, the claim headers of its server's resource and Host — and never
// Authorization.
func nginxExampleProblems(t *testing.T, where, src string) []string {
	t.Helper()
	var probs []string
	bad := func(format string, a ...any) { probs = append(probs, fmt.Sprintf(format, a...)) }
	root, err := parseNginx(src)
	if err != nil {
		return []string{"parse: " + err.Error()}
	}

	// wasm { module audguard /abs/path.wasm; } in the main context.
	modules := map[string]bool{}
	for _, w := range ngxFind(root, "wasm") {
		for _, m := range ngxFind(w.Block, "module") {
			if len(m.Args) < 2 || !strings.HasPrefix(m.Args[1], "/") || !strings.HasSuffix(m.Args[1], ".wasm") {
				bad("line %d: module %v: want a name and an absolute path to a .wasm file", m.Line, m.Args)
				continue
			}
			modules[m.Args[0]] = true
		}
	}
	if !modules["audguard"] {
		bad("no wasm { module audguard /path/audguard.wasm; } in the main context")
	}

	// Exactly one proxy_wasm audguard '<config>', accepted by config.Load.
	var cfg *mirrorConfig
	ngxWalk(root, nil, func(d *ngxDirective, _ []*ngxDirective) {
		if d.Name != "proxy_wasm" {
			return
		}
		if len(d.Args) != 2 || d.Args[0] != "audguard" {
			bad("line %d: proxy_wasm %v: want the module audguard and a configuration string", d.Line, d.Args)
			return
		}
		if cfg != nil {
			bad("line %d: a second proxy_wasm audguard; the example has one, inherited by every server", d.Line)
			return
		}
		cfg = acceptPluginConfig(t, fmt.Sprintf("%s line %d", where, d.Line), []byte(d.Args[1]))
		requireHostNeutral(t, where, cfg)
		if cfg.AuthorityFrom != "host" {
			bad(`line %d: authority_from %q, want "host" spelt out (nginx's $host)`, d.Line, cfg.AuthorityFrom)
		}
	})
	if cfg == nil {
		return append(probs, "no proxy_wasm audguard directive")
	}

	// Resources by authority, to find each server's claim headers.
	byAuthority := map[string]mirrorResource{}
	for _, r := range cfg.Resources {
		for _, a := range r.Authorities {
			byAuthority[a] = r
		}
	}
	served := map[string]bool{}
	proxied := 0
	ngxWalk(root, nil, func(d *ngxDirective, parents []*ngxDirective) {
		if d.Name != "location" {
			return
		}
		if len(ngxFind(d.Block, "proxy_pass")) == 0 {
			return
		}
		proxied++
		var server *ngxDirective
		for _, p := range parents {
			if p.Name == "server" {
				server = p
			}
		}
		if server == nil {
			bad("line %d: location outside a server", d.Line)
			return
		}
		var names []string
		for _, sn := range ngxFind(server.Block, "server_name") {
			names = append(names, sn.Args...)
		}
		var res *mirrorResource
		for _, n := range names {
			if r, ok := byAuthority[strings.ToLower(n)]; ok {
				if res != nil && res.Resource != r.Resource {
					bad("line %d: server_name %v maps to two resources", server.Line, names)
				}
				r := r
				res = &r
				served[n] = true
			} else {
				bad("line %d: server_name %s is no resource authority: its requests would all get 403", server.Line, n)
			}
		}

		off := false
		for _, p := range ngxFind(d.Block, "proxy_pass_request_headers") {
			off = off || (len(p.Args) == 1 && p.Args[0] == "off")
		}
		if !off {
			bad("line %d: location %v proxy_passes without proxy_pass_request_headers off: removed headers (Authorization, client-sent claim headers) would reach the upstream", d.Line, d.Args)
		}
		set := map[string]string{}
		for _, h := range ngxFind(d.Block, "proxy_set_header") {
			if len(h.Args) != 2 {
				bad("line %d: proxy_set_header %v", h.Line, h.Args)
				continue
			}
			name := strings.ToLower(h.Args[0])
			if _, dup := set[name]; dup {
				bad("line %d: header %s set twice (nginx would send it twice)", h.Line, h.Args[0])
			}
			set[name] = h.Args[1]
			switch {
			case name == "authorization" || name == "proxy-authorization" || name == "cookie":
				bad("line %d: location forwards %s: a token (or session) must not reach the MCP server", h.Line, h.Args[0])
			case name == "host":
				if h.Args[1] != "$host" {
					bad("line %d: Host %s, want $host", h.Line, h.Args[1])
				}
			case h.Args[1] != httpVar(h.Args[0]):
				bad("line %d: %s forwarded as %s, want %s (the $http_* variable skips headers the filter removed)", h.Line, h.Args[0], h.Args[1], httpVar(h.Args[0]))
			}
		}
		want := append([]string{"Host"}, mcpUpstreamHeaders...)
		if res != nil {
			for _, h := range res.ClaimHeaders {
				want = append(want, h)
			}
		}
		for _, h := range want {
			if _, ok := set[strings.ToLower(h)]; !ok {
				bad("line %d: location %v does not forward %s", d.Line, d.Args, h)
			}
		}
	})
	if proxied == 0 {
		bad("no location proxy_passes")
	}
	for a := range byAuthority {
		if !served[a] {
			bad("authority %s has no server {} whose server_name lists it", a)
		}
	}
	return probs
}

// TestNginxExample: kong/nginx.conf loads the module, carries a plugin
// configuration the plugin accepts, and forwards only listed headers in
// every location that proxy_passes.
func TestNginxExample(t *testing.T) {
	src := string(readFile(t, "kong/nginx.conf"))
	for _, p := range nginxExampleProblems(t, "kong/nginx.conf", src) {
		t.Error(p)
	}
	if n := strings.Count(src, "proxy_pass_request_headers off;"); n < 2 {
		t.Errorf("proxy_pass_request_headers off appears %d times, want one per proxied location (2)", n)
	}
}

// TestNginxExampleMutations: the checks above catch the mistakes that matter.
func TestNginxExampleMutations(t *testing.T) {
	orig := string(readFile(t, "kong/nginx.conf"))
	tests := []struct{ name, old, new, want string }{
		{"headers passed through", "proxy_pass_request_headers off;", "proxy_pass_request_headers on;", "without proxy_pass_request_headers off"},
		{"headers option dropped", "proxy_pass_request_headers off;", "", "without proxy_pass_request_headers off"},
		{"token forwarded", "proxy_set_header Origin               $http_origin;", "proxy_set_header Authorization $http_authorization;", "must not reach the MCP server"},
		{"claim header missing", "proxy_set_header X-MCP-Subject        $http_x_mcp_subject;", "", "does not forward x-mcp-subject"},
		{"session header missing", "proxy_set_header Mcp-Session-Id       $http_mcp_session_id;", "", "does not forward Mcp-Session-Id"},
		{"claim header from another variable", "X-MCP-Subject        $http_x_mcp_subject", "X-MCP-Subject $http_x_mcp_user", "want $http_x_mcp_subject"},
		{"authority_from auto", `"authority_from": "host",`, `"authority_from": "auto",`, `want "host"`},
		{"server for no resource", "server_name mcp-b.example.com;", "server_name mcp-c.example.com;", "is no resource authority"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(orig, tc.old) {
				t.Fatalf("nginx.conf no longer contains %q; update the test", tc.old)
			}
			mutated := strings.Replace(orig, tc.old, tc.new, 1)
			probs := nginxExampleProblems(t, "mutated nginx.conf", mutated)
			for _, p := range probs {
				if strings.Contains(p, tc.want) {
					return
				}
			}
			t.Errorf("mutation %q → %q not caught (want a problem containing %q); got %q", tc.old, tc.new, tc.want, probs)
		})
	}
}

// TestParseNginx: the reader handles comments, quotes and escapes as nginx does.
func TestParseNginx(t *testing.T) {
	got, err := parseNginx("a 'b;c' \"d\\\"e\" f\\g; # x;\nblk { in 'x\\ny'; }\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "a" || strings.Join(got[0].Args, "|") != `b;c|d"e|f\g` {
		t.Fatalf("got %+v", got[0])
	}
	if got[1].Name != "blk" || len(got[1].Block) != 1 || got[1].Block[0].Args[0] != "x\ny" {
		t.Fatalf("block: %+v", got[1])
	}
	for _, bad := range []string{"a 'b;", "a {", "}", "a", ";"} {
		if _, err := parseNginx(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
