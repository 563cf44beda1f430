package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// ngxRender renders directives as `name "arg" "arg"; block { … }`, each
// value Go-quoted as nginx hands it to the module.
func ngxRender(list []*ngxDirective) string {
	var parts []string
	for _, d := range list {
		s := d.name()
		for _, w := range d.words[1:] {
			s += " " + strconv.Quote(w.val)
		}
		if d.isBlk {
			inner := ngxRender(d.block)
			if inner != "" {
				inner += " "
			}
			s += " { " + inner + "}"
		} else {
			s += ";"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// TestNginxTokenizer: words, quotes, escapes, comments and blocks are read
// as ngx_conf_read_token reads them, and nginx's syntax errors are found.
func TestNginxTokenizer(t *testing.T) {
	cases := []struct{ in, want, err string }{
		{in: "a 'b;c' \"d\\\"e\" f\\g; # x;\nblk { in 'x\\ny'; }",
			want: `a "b;c" "d\"e" "f\\g"; blk { in "x\ny"; }`},
		// \' \" \\ \n \t \r are rewritten; any other backslash is kept.
		{in: `p '\' \" \\ \n \t \r \u0027 \/ \x';`, want: `p "' \" \\ \n \t \r \\u0027 \\/ \\x";`},
		{in: `p "it's";`, want: `p "it's";`},
		// Only white space, ';' and '{' end a word: '}', '#', quotes and
		// "${" inside one are bytes of it.
		{in: "s { a b}; }", want: `s { a "b}"; }`},
		{in: "a b#c;", want: `a "b#c";`},
		{in: "a b'c;", want: `a "b'c";`},
		{in: "set $a ${b}c;", want: `set "$a" "${b}c";`},
		// ')' may follow a closing quote (if conditions).
		{in: "if ($a = 'x') { }", want: `if "($a" "=" "x" ")" { }`},
		{in: "# only a comment", want: ""},
		{in: "a 'b'c;", err: `this ' ends the '…' parameter that starts at line 1:3, and nginx -t fails on the "c" after it`},
		{in: "a \"b\"c;", err: `quote a JSON configuration with '…'`},
		{in: "a 'b;", err: "unexpected end of file inside the '…' parameter that starts at line 1:3"},
		{in: "a {", err: `expecting "}" (the block "a" at line 1:1 is not closed)`},
		{in: "}", err: `unexpected "}": no block is open`},
		{in: ";", err: `unexpected ";": no directive name before it`},
		{in: "a", err: `the directive "a" has no ';'`},
		{in: "a { b }", err: `unexpected "}": the directive "b" has no ';'`},
	}
	for _, c := range cases {
		conf := parseNginxConf([]byte(c.in))
		if got := ngxRender(conf.top); c.err == "" && got != c.want {
			t.Errorf("%q: read as %s, want %s", c.in, got, c.want)
		}
		switch {
		case c.err == "" && conf.err != nil:
			t.Errorf("%q: %s", c.in, conf.err.msg)
		case c.err != "" && (conf.err == nil || !strings.Contains(conf.err.msg, c.err)):
			t.Errorf("%q: error %+v, want one containing %q", c.in, conf.err, c.err)
		}
	}
}

// TestNginxWordNeed: how many bytes nginx's buffer must hold at once for a
// parameter: up to the byte at which its tokenizer lets go of it.
func TestNginxWordNeed(t *testing.T) {
	for in, want := range map[string]int{
		"p 'abc';":    5, // abc ' ;
		"p 'abc' ;":   6, // abc ' space ;
		"p 'abc'\n ;": 6, // abc ' LF space: the second byte after the quote moves the start
		"p 'abc');":   5, // abc ' )
		"p abc;":      4, // abc ;
		"p abc ;":     5, // abc space ;
		"p 'a\\'c';":  6, // a \ ' c ' ;: escapes count as written
	} {
		conf := parseNginxConf([]byte(in))
		if conf.err != nil || len(conf.top) != 1 || len(conf.top[0].words) < 2 {
			t.Fatalf("%q: %+v %v", in, conf.top, conf.err)
		}
		if got := conf.top[0].words[1].need; got != want {
			t.Errorf("%q: need %d, want %d", in, got, want)
		}
	}
}

// ngxPadded is a valid plugin configuration of exactly n bytes (JSON white
// space before its last '}'), with no ' and no backslash.
func ngxPadded(t *testing.T, n int) string {
	t.Helper()
	base := `{"authority_from": "host", "issuers": [{"name": "corp", "issuer": "https://auth.example.com", "algorithms": ["ES256"], "jwks": {"keys": [{"kty": "EC", "crv": "P-256", "kid": "e2e-ec-1", "alg": "ES256", "x": "7xoF-xCaLw-N9si65uxuJ9UFeThaenGdJPpCVkq18ys", "y": "OGvZkbg8C2faP9PWpnttaPt5bF9FrPaNB8cbG47Ztvk"}]}}], "resources": [{"resource": "https://mcp-a.example.com/mcp", "authorities": ["mcp-a.example.com"]}]}`
	if n < len(base) {
		t.Fatalf("%d bytes is too short", n)
	}
	return base[:len(base)-1] + strings.Repeat(" ", n-len(base)) + "}"
}

// TestNginxParameterLimit: the longest configuration parameter that fits is
// 4094 bytes before "';" and 4093 before "' ;" (white space, then one more
// byte); a JSON file wrapped as '<file>'; fits up to 4094 bytes. These are
// the limits nginx 1.27.4 showed (TestNginxTokenizerAgainstNginx).
func TestNginxParameterLimit(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		n     int
		tail  string
		fits  bool
		limit int
	}{
		{4094, "';", true, 4094}, {4095, "';", false, 4094},
		{4093, "' ;", true, 4093}, {4094, "' ;", false, 4093},
		{4093, "'\n    ;", true, 4093}, {4094, "'\n    ;", false, 4093},
	} {
		conf := "events {}\nwasm { module audguard /a.wasm; }\nhttp {\n    proxy_wasm audguard '" + ngxPadded(t, c.n) + c.tail + "\n}\n"
		path := filepath.Join(dir, "n.conf")
		if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		rep := checkFile(path, "")
		want := fmt.Sprintf("the configuration parameter is %d bytes; nginx reads it through its 4096-byte buffer", c.n)
		got := ngxFindProblem(rep, want)
		switch {
		case c.fits && (rep.Status != "ok" || got != nil):
			t.Errorf("%d bytes + %q: %+v", c.n, c.tail, rep)
		case !c.fits && (got == nil || !got.fatal || !strings.Contains(got.Message, fmt.Sprintf("at most %d bytes fit here", c.limit)) ||
			got.Line != 4 || got.Column != 25 || !strings.Contains(got.Fix, "jwks_uri")):
			t.Errorf("%d bytes + %q: problem %+v in %+v", c.n, c.tail, got, rep)
		}
	}
	for n, fits := range map[int]bool{4094: true, 4095: false} {
		path := filepath.Join(dir, "cfg.json")
		if err := os.WriteFile(path, []byte(ngxPadded(t, n)), 0o600); err != nil {
			t.Fatal(err)
		}
		if rep := checkFile(path, ""); rep.Status != "ok" {
			t.Errorf("%d-byte JSON without --target: %+v", n, rep)
		}
		rep := checkFile(path, targetNginx)
		got := ngxFindProblem(rep, fmt.Sprintf("the file is %d bytes", n))
		if fits != (got == nil) || !fits && (!strings.Contains(got.Message, "at most 4094 bytes fit") || rep.Status != "invalid") {
			t.Errorf("%d-byte JSON, --target nginx: %+v", n, rep)
		}
	}
}

func ngxFindProblem(rep checkReport, msg string) *problem {
	for _, f := range rep.Filters {
		for i, p := range f.Problems {
			if strings.Contains(p.Message, msg) {
				return &f.Problems[i]
			}
		}
	}
	return nil
}

// TestNginxEscapes: an escape nginx rewrites is refused at its place, with
// how to write the character instead; escapes nginx keeps (\u…, \/) pass.
// For a file to be wrapped in '…', a ' (which ends the parameter) and a
// trailing backslash (which escapes the closing quote) fail nginx -t.
func TestNginxEscapes(t *testing.T) {
	dir := t.TempDir()
	base := ngxPadded(t, 600)
	with := func(name string) string {
		return strings.Replace(base, `"kid": "e2e-ec-1"`, `"kid": "`+name+`"`, 1)
	}
	cases := []struct {
		name  string
		file  string // for --target nginx; the nginx case puts it in '…'
		want  string // "" for no problem
		fix   string
		fatal bool
	}{
		{name: `\u0027`, file: with(`o\u0027k`)},
		{name: `\/`, file: strings.Replace(base, "https://", `https:\/\/`, 1)},
		{name: `\\`, file: with(`a\\b`), want: `has the escape \\, which nginx turns into \`, fix: `\u005c`},
		{name: `\n`, file: with(`a\nb`), want: `has the escape \n, which nginx turns into a line feed`, fix: `\u000a`},
		{name: `\t`, file: with(`a\tb`), want: `has the escape \t`, fix: `\u0009`},
		{name: `\r`, file: with(`a\rb`), want: `has the escape \r`, fix: `\u000d`},
		{name: `\"`, file: with(`a\"b`), want: `has the escape \", which nginx turns into "`, fix: `\u0022`},
		{name: "two escapes", file: with(`a\\b\nc`), want: "(2 such escapes; this is the first)", fix: `\u005c`},
		{name: "'", file: with(`o'k`), want: `has a ', which ends the nginx parameter`, fix: `\u0027`, fatal: true},
		{name: "trailing backslash", file: base + `\`, want: `the file ends with a \`, fatal: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, "cfg.json")
			if err := os.WriteFile(path, []byte(c.file), 0o600); err != nil {
				t.Fatal(err)
			}
			rep := checkFile(path, targetNginx)
			var got *problem
			for _, f := range rep.Filters {
				for i, p := range f.Problems {
					if p.Path == "$" {
						got = &f.Problems[i]
					}
				}
			}
			switch {
			case c.want == "" && got != nil:
				t.Errorf("--target nginx: %+v", *got)
			case c.want != "" && (got == nil || !strings.Contains(got.Message, c.want) || !strings.Contains(got.Fix, c.fix) || got.fatal != c.fatal):
				t.Errorf("--target nginx: %+v, want %q (fix %q, fatal %v) in %+v", got, c.want, c.fix, c.fatal, rep)
			case got != nil:
				// The problem points at the backslash or the quote.
				lines := strings.Split(c.file, "\n")
				if at := lines[got.Line-1][got.Column-1:]; at[0] != '\\' && at[0] != '\'' {
					t.Errorf("--target nginx: %d:%d points at %.10q", got.Line, got.Column, at)
				}
			}
			if c.name == "'" || c.name == "trailing backslash" {
				return // not a '…' parameter of an nginx file
			}
			conf := "http {\n    proxy_wasm audguard '" + c.file + "';\n}\n"
			if err := os.WriteFile(path+".conf", []byte(conf), 0o600); err != nil {
				t.Fatal(err)
			}
			rep = checkFile(path+".conf", "")
			got = nil
			for _, f := range rep.Filters {
				for i, p := range f.Problems {
					if p.Path == "http.proxy_wasm" {
						got = &f.Problems[i]
					}
				}
			}
			switch {
			case c.want == "" && got != nil:
				t.Errorf("nginx: %+v", *got)
			case c.want != "" && (got == nil || !strings.Contains(got.Message, c.want) || !strings.Contains(got.Message, "other bytes than the file shows")):
				t.Errorf("nginx: %+v, want %q", got, c.want)
			case got != nil && conf[strings.Index(conf, "\n")+1+got.Column-1] != '\\':
				t.Errorf("nginx: %d:%d does not point at the backslash", got.Line, got.Column)
			}
		})
	}
}

// TestNginxDetection: nginx configurations are told from YAML and JSON by
// their directives, and a broken one gets nginx's error, not YAML's.
func TestNginxDetection(t *testing.T) {
	for in, want := range map[string]bool{
		"events {}\nhttp { }\n":                     true,
		"proxy_wasm audguard '{}';\n":               true, // a file to include into http {}
		"# the servers\ninclude conf.d/*.conf;\n":   true,
		"location / {\n    proxy_wasm audguard;\n}": true,
		"server: x;\n":                              false, // YAML: keys end with ':'
		"static_resources:\n  listeners: []\n":      false,
		"_format_version: \"3.0\"\nservices: []\n":  false,
		"a: {b: c}\n":                               false,
		"{\"static_resources\": {}}":                false, // JSON opens with '{'
	} {
		if got := looksLikeNginx(parseNginxConf([]byte(in))); got != want {
			t.Errorf("%q: nginx %v, want %v", in, got, want)
		}
	}
	for _, f := range []string{"../../envoy/envoy.yaml", "../../envoy/kong/kong.yaml", "../../envoy/istio/wasmplugin.yaml", "../../envoy/istio/envoyfilter.yaml"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if looksLikeNginx(parseNginxConf(data)) {
			t.Errorf("%s is read as nginx", f)
		}
	}
	_, _, err := readSources([]byte("events {}\nhttp {\n    server {\n"))
	if err == nil || !strings.Contains(err.Error(), "not a valid nginx configuration") || !strings.Contains(err.Error(), `the block "server" at line 3:5 is not closed`) {
		t.Errorf("broken nginx file: %v", err)
	}
	_, _, err = readSources([]byte("events {}\nhttp {\n    include audguard-filter.conf;\n}\n"))
	if err == nil || !strings.Contains(err.Error(), "no proxy_wasm directive (include is not followed") {
		t.Errorf("nginx file without proxy_wasm: %v", err)
	}
}

// TestNginxSources: which proxy_wasm directives are found, what they are
// called, and the servers each runs in.
func TestNginxSources(t *testing.T) {
	conf := `wasm { module audguard /w/audguard.wasm; module other /w/other.wasm; shm_kv * 1m; }
http {
    proxy_wasm audguard '{}';
    server { server_name a.example.com; }
    server { server_name b.example.com; proxy_wasm other; }
    server { server_name c.example.com; location / { proxy_wasm audguard '{"x": 1}'; } location /x { } }
    server { server_name ~^d; location / { proxy_wasm audguard; } }
}
`
	sources, notes, err := readSources([]byte(conf))
	if err != nil || notes != nil {
		t.Fatal(err, notes)
	}
	var got []string
	for _, s := range sources {
		e := s.env.ngx
		got = append(got, fmt.Sprintf("%s line %d known %v any %v names %q config %q err %v shm %v", s.Label, s.Line, e.hostsKnown, e.anyHost, e.names, s.Config, s.Err != nil, e.shmKV))
	}
	want := []string{
		`http.proxy_wasm line 3 known true any true names ["a.example.com" "c.example.com" "~^d"] config "{}" err false shm true`,
		`http.server[2].location[0].proxy_wasm line 6 known true any false names ["c.example.com"] config "{\"x\": 1}" err false shm true`,
		`http.server[3].location.proxy_wasm line 7 known true any true names ["~^d"] config "" err true shm true`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The http{} filter runs in the servers without their own Wasm
	// operations: a, c (its /x location inherits it) and d, whose regular
	// expression accepts any host.
	if !sources[0].env.ngx.anyHost {
		t.Errorf("http.proxy_wasm: a regular expression server_name should accept any host")
	}
}

// TestCheckTargetNginx: the case. A 4.7 KB plugin configuration
// passes check --strict as JSON, and --target nginx refuses it as the
// nginx parameter it becomes; --target applies to plugin configuration
// files (and changes nothing for an nginx file).
func TestCheckTargetNginx(t *testing.T) {
	const file = "testdata/check/target-nginx.json"
	if code, out, _ := cli(t, "", "check", "--strict", file); code != 0 {
		t.Errorf("without --target: exit %d\n%s", code, out)
	}
	code, out, _ := cli(t, "", "check", "--target", "nginx", file)
	if code != 2 || !strings.Contains(out, "the file is 4746 bytes") || !strings.Contains(out, "at most 4094 bytes fit") ||
		!strings.Contains(out, "result: INVALID — nginx would refuse the configuration (nginx -t fails)") ||
		!strings.Contains(out, "authority_from host") {
		t.Errorf("--target nginx: exit %d\n%s", code, out)
	}
	code, out, _ = cli(t, "", "check", "--json", "--target", "nginx", file)
	var rep checkReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 2 || rep.Target != "nginx" || !rep.Filters[0].ProxyRefuses {
		t.Errorf("--json --target nginx: exit %d, %v\n%s", code, err, out)
	}
	if code, _, errOut := cli(t, "", "check", "--target", "envoy", file); code != 2 || !strings.Contains(errOut, "the only target is nginx") {
		t.Errorf("--target envoy: exit %d, %s", code, errOut)
	}
	if code, out, _ := cli(t, "", "check", "--target", "nginx", "../../envoy/envoy.yaml"); code != 2 || !strings.Contains(out, "this file holds a proxy configuration's (Envoy Wasm filter at $.static_resources") {
		t.Errorf("--target nginx on an Envoy file: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{{"check", "../../envoy/kong/nginx.conf"}, {"check", "--target", "nginx", "../../envoy/kong/nginx.conf"}} {
		if code, out, _ := cli(t, "", append(args, "--strict")...); code != 0 {
			t.Errorf("%q: exit %d\n%s", args, code, out)
		}
	}
	// A plugin configuration for nginx is judged on ngx_wasm_module's terms.
	dir := t.TempDir()
	path := filepath.Join(dir, "vh.json")
	cfg := strings.Replace(ngxPadded(t, 600), `"authorities": ["mcp-a.example.com"]`, `"virtual_hosts": ["mcp_a"]`, 1)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := cli(t, "", "check", "--target", "nginx", path); code != 2 || !strings.Contains(out, `nginx (ngx_wasm_module) has no xds.* properties: the virtual host name "mcp_a" never matches`) {
		t.Errorf("virtual_hosts with --target nginx: exit %d\n%s", code, out)
	}
}

// TestNginxTokenizerAgainstNginx runs `nginx -t` on parameters around the
// buffer limit, escapes and comments, and compares its verdict (a "too long
// parameter", another syntax error, or none) with the reader's. It needs an
// nginx binary: $AUDGUARD_NGINX_STOCK, or the one `make e2e-nginx` builds;
// without one it is skipped.
func TestNginxTokenizerAgainstNginx(t *testing.T) {
	bin := os.Getenv("AUDGUARD_NGINX_STOCK")
	if bin == "" {
		bin = filepath.Join("..", "..", "build", "realhost", "nginx", "sbin", "nginx")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("no nginx binary (%v): run make e2e-nginx, or set AUDGUARD_NGINX_STOCK", err)
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	x := func(n int) string { return strings.Repeat("x", n) }
	var cases []string
	for _, n := range []int{4092, 4093, 4094, 4095, 4096} {
		for _, tail := range []string{"';", "' ;", "'\n;", "')"} {
			cases = append(cases, "proxy_wasm audguard '"+x(n)+tail)
		}
		cases = append(cases, "proxy_wasm audguard "+x(n)+";", "proxy_wasm audguard "+x(n)+" ;",
			"proxy_wasm audguard '"+x(n-4)+`\'\\';`, "# "+x(n-2)+"\nproxy_wasm audguard '{}';")
	}
	cases = append(cases, "proxy_wasm audguard 'a'b;", "proxy_wasm audguard 'a\\'b';", "proxy_wasm audguard b}c;")
	for _, c := range cases {
		conf := "events {}\nhttp {\n" + c + "\n}\n"
		path := filepath.Join(dir, "nginx.conf")
		if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		out, _ := exec.Command(bin, "-t", "-p", dir, "-c", path).CombinedOutput()
		// Past the tokenizer, the first error is the missing wasm{} block.
		nginxLong := strings.Contains(string(out), "too long parameter")
		nginxSyntax := !nginxLong && !strings.Contains(string(out), `"proxy_wasm" directive is specified but config has no "wasm" section`)
		parsed := parseNginxConf([]byte(conf))
		long := len(parsed.over) > 0
		for _, d := range parsed.top {
			ngxWalk([]*ngxDirective{d}, func(d *ngxDirective) {
				for _, w := range d.words {
					long = long || w.need > ngxConfBuffer
				}
			})
		}
		// nginx stops at its first error; the reader reads on after a
		// too-long parameter.
		if long != nginxLong || !nginxLong && (parsed.err != nil) != nginxSyntax {
			t.Errorf("%.40q… (%d bytes): nginx says %q; the reader: too long %v, error %v", c, len(c), strings.TrimSpace(string(out)), long, parsed.err)
		}
	}
}
