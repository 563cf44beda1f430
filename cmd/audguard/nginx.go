package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// This file reads nginx configuration files for `audguard check`: plain
// nginx with ngx_wasm_module, where the filter's configuration is one
// parameter of a `proxy_wasm <module> [config];` directive.
//
// The reader follows nginx's own tokenizer (ngx_conf_read_token in
// src/core/ngx_conf_file.c, nginx 1.27): words separated by white space,
// ';', '{' and '}' directives and blocks, '...' and "..." parameters with
// backslash escapes, '#' comments to the end of the line. It also follows
// the tokenizer's 4096-byte buffer, which is where nginx's "too long
// parameter" comes from. `include` is not followed.

// ngxConfBuffer is nginx's configuration read buffer (NGX_CONF_BUFFER): the
// bytes of one parameter, from its first byte (after an opening quote) to
// the byte at which the tokenizer lets go of it, must fit in it. Measured
// on nginx 1.27.4 (TestNginxTokenizerAgainstNginx): '<4094 bytes>'; passes
// nginx -t, and so does '<4093 bytes>' followed by white space; one byte
// more fails.
const ngxConfBuffer = 4096

// ngxWord is one word of a directive (its name or a parameter).
type ngxWord struct {
	val   string // the value nginx hands the module, escapes resolved
	offs  []int  // file offset of each byte of val, then of the end of the word
	off   int    // offset of the word as written: its opening quote, if any
	start int    // offset of its first byte after the opening quote
	end   int    // offset after its last byte (before the closing quote)
	quote byte   // '\'', '"' or 0
	// need is how many bytes nginx holds in its buffer at once for this
	// word: from start up to and including the byte at which it lets go
	// (the closing quote and ';', or the white space after it and one more
	// byte). nginx -t fails with "too long parameter" when need > 4096.
	need int
}

// ngxDirective is one directive: a simple one (ending with ';') or a block.
type ngxDirective struct {
	words  []*ngxWord // words[0] is the name
	block  []*ngxDirective
	isBlk  bool
	parent *ngxDirective // nil at the top level
}

func (d *ngxDirective) name() string { return d.words[0].val }

// ngxSyntaxError is a place where nginx -t fails while reading the file.
type ngxSyntaxError struct {
	off int
	msg string
}

// ngxConf is a parsed nginx configuration file.
type ngxConf struct {
	top []*ngxDirective
	err *ngxSyntaxError // the first syntax error (directives before it are kept)
	// over are the offsets (nginx's token starts) at which the tokenizer's
	// buffer overflows: nginx -t fails there with "too long parameter".
	over []int
}

// ngxTokenizer is ngx_conf_read_token over a whole file.
type ngxTokenizer struct {
	b    []byte
	p    int
	over []int
	held *ngxWord // the last word read, while nginx's start is still on it
}

func ngxSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// letGo records that nginx's token start moves away from start on reading
// the byte at q.
func (t *ngxTokenizer) letGo(start, q int) {
	if t.held != nil && t.held.start == start {
		t.held.need = q - start + 1
	}
	t.held = nil
}

// next reads one directive's words and what ended them: ';' (a simple
// directive), '{' (a block starts), '}' (a block ends) or 0 (end of file).
func (t *ngxTokenizer) next() ([]*ngxWord, byte, *ngxSyntaxError) {
	var words []*ngxWord
	found, needSpace, lastSpace, sharp, variable, quoted, sq, dq := false, false, true, false, false, false, false, false
	start, wordOff := t.p, t.p
	for {
		if t.p >= len(t.b) {
			if t.held != nil && t.held.start == start {
				t.held.need = len(t.b) - start
			}
			if len(words) > 0 || !lastSpace {
				msg := `unexpected end of file, expecting ";" or "}"`
				switch {
				case sq || dq:
					q := "'"
					if dq {
						q = `"`
					}
					l, c := lineCol(t.b, wordOff)
					msg = fmt.Sprintf("unexpected end of file inside the %s…%s parameter that starts at line %d:%d: its closing %s is missing", q, q, l, c, q)
				case len(words) > 0:
					msg = fmt.Sprintf("unexpected end of file: the directive %q has no ';'", words[0].val)
				default: // the directive's name, cut by the end of the file
					name := string(t.b[start:])
					if len(name) > 40 {
						name = name[:40] + "…"
					}
					msg = fmt.Sprintf("unexpected end of file: the directive %q has no ';'", name)
				}
				return nil, 0, &ngxSyntaxError{len(t.b), msg}
			}
			return nil, 0, nil
		}
		// nginx's buffer is full of this one token when it must read more.
		if t.p-start == ngxConfBuffer {
			t.over = append(t.over, start)
		}
		q := t.p
		ch := t.b[q]
		t.p++
		if ch == '\n' && sharp {
			sharp = false
		}
		if sharp {
			continue
		}
		if quoted {
			quoted = false
			continue
		}
		if needSpace {
			if ngxSpace(ch) {
				lastSpace, needSpace = true, false
				continue
			}
			if ch == ';' || ch == '{' {
				t.letGo(start, q)
				return words, ch, nil
			}
			if ch != ')' {
				last := words[len(words)-1]
				l, c := lineCol(t.b, last.off)
				msg := fmt.Sprintf("this %c ends the %c…%c parameter that starts at line %d:%d, and nginx -t fails on the %q after it: ", last.quote, last.quote, last.quote, l, c, string(ch))
				if last.quote == '\'' {
					msg += `inside a JSON string, write ' as \u0027`
				} else {
					msg += `quote a JSON configuration with '…'`
				}
				return nil, 0, &ngxSyntaxError{last.end, msg}
			}
			lastSpace, needSpace = true, false
		}
		if lastSpace {
			t.letGo(start, q)
			start, wordOff = q, q
			if ngxSpace(ch) {
				continue
			}
			switch ch {
			case ';', '{':
				if len(words) == 0 {
					return nil, 0, &ngxSyntaxError{q, fmt.Sprintf("unexpected %q: no directive name before it", string(ch))}
				}
				return words, ch, nil
			case '}':
				if len(words) != 0 {
					return nil, 0, &ngxSyntaxError{q, fmt.Sprintf(`unexpected "}": the directive %q has no ';'`, words[0].val)}
				}
				return nil, '}', nil
			case '#':
				sharp = true
				continue
			case '\\':
				quoted, lastSpace = true, false
				continue
			case '"':
				start++
				dq, lastSpace = true, false
				continue
			case '\'':
				start++
				sq, lastSpace = true, false
				continue
			case '$':
				variable, lastSpace = true, false
				continue
			default:
				lastSpace = false
			}
			continue
		}
		if ch == '{' && variable {
			continue
		}
		variable = false
		if ch == '\\' {
			quoted = true
			continue
		}
		if ch == '$' {
			variable = true
			continue
		}
		var quote byte
		switch {
		case dq:
			if ch == '"' {
				dq, needSpace, found, quote = false, true, true, '"'
			}
		case sq:
			if ch == '\'' {
				sq, needSpace, found, quote = false, true, true, '\''
			}
		case ngxSpace(ch) || ch == ';' || ch == '{':
			lastSpace, found = true, true
		}
		if found {
			w := ngxMakeWord(t.b, wordOff, start, q, quote)
			words = append(words, w)
			t.held = w
			if ch == ';' || ch == '{' {
				t.letGo(start, q)
				return words, ch, nil
			}
			found = false
		}
	}
}

// ngxMakeWord resolves a word's escapes as nginx does: \" \' \\ become the
// byte after the backslash, \t \r \n the control byte; any other backslash
// is kept.
func ngxMakeWord(b []byte, off, start, end int, quote byte) *ngxWord {
	w := &ngxWord{off: off, start: start, end: end, quote: quote}
	val := make([]byte, 0, end-start)
	offs := make([]int, 0, end-start+1)
	for src := start; src < end; {
		if b[src] == '\\' && src+1 < len(b) {
			switch b[src+1] {
			case '"', '\'', '\\':
				src++
			case 't', 'r', 'n':
				val = append(val, map[byte]byte{'t': '\t', 'r': '\r', 'n': '\n'}[b[src+1]])
				offs = append(offs, src)
				src += 2
				continue
			}
		}
		val = append(val, b[src])
		offs = append(offs, src)
		src++
	}
	w.val, w.offs = string(val), append(offs, end)
	return w
}

// parseNginxConf reads an nginx configuration file into directives. It
// stops at the first syntax error, keeping what it read before.
func parseNginxConf(b []byte) *ngxConf {
	t := &ngxTokenizer{b: b}
	c := &ngxConf{}
	var open []*ngxDirective
	add := func(d *ngxDirective) {
		if len(open) == 0 {
			c.top = append(c.top, d)
			return
		}
		p := open[len(open)-1]
		d.parent = p
		p.block = append(p.block, d)
	}
	for c.err == nil {
		words, term, err := t.next()
		switch {
		case err != nil:
			c.err = err
		case term == 0:
			if len(open) > 0 {
				l, col := lineCol(b, open[len(open)-1].words[0].off)
				c.err = &ngxSyntaxError{len(b), fmt.Sprintf(`unexpected end of file, expecting "}" (the block %q at line %d:%d is not closed)`, open[len(open)-1].name(), l, col)}
			}
			c.over = t.over
			return c
		case term == '}':
			if len(open) == 0 {
				c.err = &ngxSyntaxError{t.p - 1, `unexpected "}": no block is open`}
				break
			}
			open = open[:len(open)-1]
		default:
			d := &ngxDirective{words: words, isBlk: term == '{'}
			add(d)
			if d.isBlk {
				open = append(open, d)
			}
		}
	}
	c.over = t.over
	return c
}

// ngxKnownNames are directive names that only an nginx configuration (or a
// file included into one) starts with.
var ngxKnownNames = map[string]bool{
	"user": true, "worker_processes": true, "error_log": true, "pid": true, "daemon": true,
	"master_process": true, "env": true, "include": true, "load_module": true,
	"worker_rlimit_nofile": true, "worker_cpu_affinity": true, "worker_priority": true,
	"worker_shutdown_timeout": true, "pcre_jit": true, "thread_pool": true, "timer_resolution": true,
	"working_directory": true, "lock_file": true, "events": true, "http": true, "stream": true,
	"mail": true, "wasm": true, "module": true, "server": true, "location": true, "upstream": true,
	"proxy_wasm": true, "map": true, "log_format": true, "access_log": true, "proxy_pass": true,
	"listen": true, "server_name": true, "resolver": true, "shm_kv": true,
}

// looksLikeNginx: the file is read as an nginx configuration when a
// directive nginx's tokenizer read from it (before any syntax error) is at
// the top level and named like an nginx directive (events, http, wasm,
// server, location, proxy_wasm, include, worker_processes…). YAML and JSON
// files do not get there: a YAML key ends with ':', and a JSON document
// starts with '{' or '['.
func looksLikeNginx(c *ngxConf) bool {
	for _, d := range c.top {
		if ngxKnownNames[d.name()] {
			return true
		}
	}
	return false
}

// ngxLabel names a directive by the blocks around it, like a YAML path
// without "$": http.server[1].location[0].proxy_wasm. An index is given
// when the parent holds more than one directive of that name.
func ngxLabel(c *ngxConf, d *ngxDirective) string {
	var segs []string
	for cur := d; cur != nil; cur = cur.parent {
		siblings := c.top
		if cur.parent != nil {
			siblings = cur.parent.block
		}
		n, idx := 0, 0
		for _, s := range siblings {
			if s == cur {
				idx = n
			}
			if s.name() == cur.name() {
				n++
			}
		}
		seg := cur.name()
		if n > 1 {
			seg += "[" + strconv.Itoa(idx) + "]"
		}
		segs = append([]string{seg}, segs...)
	}
	return strings.Join(segs, ".")
}

// ngxWalk calls fn for every directive, depth first, in file order.
func ngxWalk(list []*ngxDirective, fn func(d *ngxDirective)) {
	for _, d := range list {
		fn(d)
		ngxWalk(d.block, fn)
	}
}

// ngxEnv is what surrounds a proxy_wasm directive in an nginx file.
type ngxEnv struct {
	param *ngxWord // the configuration parameter; nil when there is none

	// The module: wasm{} in the same file (wasmLine > 0) and what it loads.
	module      *ngxWord
	wasmLine    int
	wasmInclude bool     // the wasm{} block includes a file: it may load more
	loaded      []string // module names wasm{} loads, in file order
	shmKV       bool     // wasm{} declares a shm_kv zone the filter's "audguard/…" keys go to

	// The servers this proxy_wasm runs in (hostsKnown: all of them are in
	// the file, with their server_name).
	hostsKnown bool
	hosts      []kongHost
	names      []string // the server_name entries as written
	anyHost    bool     // a regular expression or variable server_name
}

// nginxSources finds every proxy_wasm directive of an nginx configuration,
// and says which include directives were not followed.
func nginxSources(c *ngxConf, data []byte) ([]source, []string, error) {
	if c.err != nil {
		l, col := lineCol(data, c.err.off)
		return nil, nil, fmt.Errorf("not a valid nginx configuration (nginx -t fails too): line %d:%d: %s", l, col, c.err.msg)
	}
	// Modules loaded by wasm{} (main context).
	type wasmBlock struct {
		line    int
		include bool
		shmKV   bool
		names   []string
		paths   map[string]string
	}
	var wb *wasmBlock
	for _, d := range c.top {
		if d.name() != "wasm" || !d.isBlk {
			continue
		}
		if wb == nil {
			wb = &wasmBlock{paths: map[string]string{}}
			wb.line, _ = lineCol(data, d.words[0].off)
		}
		for _, m := range d.block {
			switch {
			case m.name() == "include":
				wb.include = true
			case m.name() == "shm_kv" && len(m.words) >= 2 && (m.words[1].val == "audguard" || m.words[1].val == "*"):
				wb.shmKV = true
			case m.name() == "module" && len(m.words) >= 3:
				wb.names = append(wb.names, m.words[1].val)
				wb.paths[m.words[1].val] = m.words[2].val
			}
		}
	}
	var includes []string
	var pws []*ngxDirective
	ngxWalk(c.top, func(d *ngxDirective) {
		switch d.name() {
		case "include":
			l, _ := lineCol(data, d.words[0].off)
			what := ""
			if len(d.words) > 1 {
				what = " " + d.words[1].val
			}
			includes = append(includes, fmt.Sprintf("line %d%s", l, what))
		case "proxy_wasm":
			pws = append(pws, d)
		}
	})
	var notes []string
	if len(includes) > 0 {
		notes = append(notes, fmt.Sprintf("include is not followed (%s): a proxy_wasm, module or server_name in an included file is not seen here; check each included file that holds a proxy_wasm on its own", strings.Join(includes, "; ")))
	}
	// A too-long word other than a proxy_wasm configuration: nginx -t fails
	// at the first one.
	params := map[int]bool{}
	for _, d := range pws {
		if len(d.words) == 3 {
			params[d.words[2].start] = true
		}
	}
	for _, off := range c.over {
		if !params[off] {
			l, col := lineCol(data, off)
			return nil, notes, fmt.Errorf("not a valid nginx configuration (nginx -t fails too): line %d:%d: a parameter or comment longer than nginx's %d-byte buffer: \"too long parameter\"", l, col, ngxConfBuffer)
		}
	}
	if len(pws) == 0 {
		msg := "the nginx configuration has no proxy_wasm directive"
		if len(includes) > 0 {
			msg += " (include is not followed: check the included file that holds it)"
		}
		return nil, notes, fmt.Errorf("%w: %s", ErrNoConfig, msg)
	}
	var out []source
	for _, d := range pws {
		line, _ := lineCol(data, d.words[0].off)
		e := &ngxEnv{}
		s := source{Label: ngxLabel(c, d), Kind: kindNginx, Line: line, file: data, env: proxyEnv{ngx: e}}
		if len(d.words) > 1 {
			e.module = d.words[1]
			s.hint = e.module.val
			if wb != nil {
				s.hint += " " + wb.paths[e.module.val]
			}
		}
		if wb != nil {
			e.wasmLine, e.wasmInclude, e.loaded, e.shmKV = wb.line, wb.include, wb.names, wb.shmKV
		}
		e.hostsKnown, e.hosts, e.names, e.anyHost = ngxServerNames(d)
		switch {
		case d.isBlk:
			s.Err = errors.New("proxy_wasm is followed by a block ({…}): nginx -t fails; quote the configuration: proxy_wasm <module> '{…}';")
		case len(d.words) == 1:
			s.Err = errors.New("proxy_wasm has no module name: nginx -t fails (proxy_wasm <module> [config];)")
		case len(d.words) == 2:
			s.Err = fmt.Errorf("proxy_wasm %s has no configuration parameter: the filter would start with no configuration and refuse to start", e.module.val)
		case len(d.words) > 3:
			s.Err = fmt.Errorf("proxy_wasm has %d parameters; it takes a module name and one configuration string: nginx -t fails (invalid number of arguments); a ' inside '…' ends the parameter early", len(d.words)-1)
		default:
			e.param = d.words[2]
			s.Config, s.offs = []byte(e.param.val), e.param.offs
		}
		out = append(out, s)
	}
	return out, notes, nil
}

// ngxServerNames finds the servers a proxy_wasm runs in and their
// server_name entries: its own server{} (in server{} or a location{}), or
// every server{} of its http{} that sets no Wasm operation of its own
// (proxy_wasm, wasm_call: ngx_wasm_module inherits the parent's execution
// chain only into blocks without one). known is false when a server is not
// all in the file (an include where servers or names could be).
func ngxServerNames(d *ngxDirective) (known bool, hosts []kongHost, names []string, anyHost bool) {
	var servers []*ngxDirective
	for p := d.parent; p != nil; p = p.parent {
		if p.name() == "server" {
			servers = []*ngxDirective{p}
			break
		}
		if p.name() == "http" {
			for _, s := range p.block {
				switch {
				case s.name() == "include":
					return false, nil, nil, false
				case s.name() == "server" && !ngxOwnWasm(s):
					servers = append(servers, s)
				}
			}
			break
		}
	}
	if servers == nil {
		return false, nil, nil, false
	}
	for _, s := range servers {
		for _, sd := range s.block {
			switch sd.name() {
			case "include":
				return false, nil, nil, false
			case "server_name":
				for _, w := range sd.words[1:] {
					names = append(names, w.val)
					n := strings.ToLower(w.val)
					switch {
					case strings.HasPrefix(n, "~") || strings.Contains(n, "$"):
						anyHost = true
					case strings.HasPrefix(n, "."):
						hosts = append(hosts, kongHost{host: n[1:]}, kongHost{host: "*" + n})
					default:
						hosts = append(hosts, kongHost{host: n})
					}
				}
			}
		}
	}
	return true, hosts, names, anyHost
}

// ngxOwnWasm: the block sets its own Wasm operations.
func ngxOwnWasm(b *ngxDirective) bool {
	for _, d := range b.block {
		if d.name() == "proxy_wasm" || d.name() == "wasm_call" {
			return true
		}
	}
	return false
}

// ngxParam is one nginx parameter holding a filter configuration: in an
// nginx file, or a JSON file that will be wrapped into `proxy_wasm <module>
// '…';` as it is (--target nginx).
type ngxParam struct {
	raw    []byte // as written: between the quotes
	rawOff int    // file offset of raw[0]
	quote  byte
	after  int  // bytes nginx must hold with it after raw (need - len(raw))
	target bool // a JSON file for --target nginx
}

// ngxTooLongFix says how to make a configuration fit one nginx parameter.
const ngxTooLongFix = `make it at most %d bytes: take the keys out (an issuer's "jwks_uri" instead of "jwks"; it may be an http URL to a loopback server {} where nginx itself serves the JWK Set file), and give each server {} its own proxy_wasm holding only that server's resources (envoy/kong/README.md, "2. Load the module and attach the filter")`

// ngxEscapes are the escapes nginx rewrites in a parameter, with what they
// become and how to write the character in JSON instead.
var ngxEscapes = map[byte]struct{ becomes, instead string }{
	'\'': {"'", `write ' as \u0027 inside a JSON string`},
	'"':  {`"`, `write " as \u0022 inside a JSON string`},
	'\\': {`\`, `write \ as \u005c inside a JSON string`},
	'n':  {"a line feed", `write a line feed as \u000a inside a JSON string`},
	't':  {"a tab", `write a tab as \u0009 inside a JSON string`},
	'r':  {"a carriage return", `write a carriage return as \u000d inside a JSON string`},
}

// ngxParamProblems judges a filter configuration as one nginx parameter:
// its length against nginx's 4096-byte buffer, the escapes nginx rewrites,
// and (for a file to be wrapped in '…') quotes that would end it. Problems
// that make nginx -t fail are marked fatal.
func ngxParamProblems(s *source, p ngxParam) []problem {
	var out []problem
	at := func(off int) (int, int) { return lineCol(s.file, off) }
	if limit := ngxConfBuffer - p.after; len(p.raw) > limit {
		pr := problem{Severity: sevError, Path: s.Label, Fix: fmt.Sprintf(ngxTooLongFix, limit), fatal: true}
		if p.target {
			pr.Line, pr.Column = 1, 1
			pr.Message = fmt.Sprintf(`the file is %d bytes; wrapped into proxy_wasm <module> '…'; (envoy/kong/README.md, "5. Check before every reload") it is one nginx parameter, which nginx reads through its %d-byte buffer together with the closing quote and the ";", so at most %d bytes fit: nginx -t fails with "too long parameter"`,
				len(p.raw), ngxConfBuffer, limit)
		} else {
			off := p.rawOff
			if p.quote != 0 {
				off--
			}
			pr.Line, pr.Column = at(off)
			with := "the byte that ends it"
			switch {
			case p.quote != 0 && p.after == 2:
				with = "its closing quote and the byte after it"
			case p.quote != 0:
				with = "its closing quote, the white space after it and one more byte"
			case p.after > 1:
				with = "the white space after it and one more byte"
			}
			pr.Message = fmt.Sprintf(`the configuration parameter is %d bytes; nginx reads it through its %d-byte buffer together with %s, so at most %d bytes fit here: nginx -t fails with "too long parameter"`,
				len(p.raw), ngxConfBuffer, with, limit)
		}
		out = append(out, pr)
	}
	// Escapes (and, in a file to be wrapped in '…', quotes), as nginx's
	// tokenizer reads them: a backslash always takes the next byte with it.
	var first, quote, tail *problem
	n := 0
	for i := 0; i < len(p.raw); i++ {
		switch c := p.raw[i]; {
		case c == '\\' && i+1 == len(p.raw) && p.target:
			l, col := at(p.rawOff + i)
			tail = &problem{Severity: sevError, Path: s.Label, Line: l, Column: col, fatal: true,
				Message: `the file ends with a \, which would escape the closing quote of the nginx parameter '…' it is wrapped into: nginx -t fails`,
				Fix:     "remove the trailing \\"}
		case c == '\\' && i+1 < len(p.raw):
			e, rewritten := ngxEscapes[p.raw[i+1]]
			if rewritten {
				n++
				if first == nil {
					l, col := at(p.rawOff + i)
					what := "the file shows"
					if p.target {
						what = "this file holds"
					}
					first = &problem{Severity: sevError, Path: s.Label, Line: l, Column: col,
						Message: fmt.Sprintf(`has the escape \%c, which nginx turns into %s: the filter receives other bytes than %s`, p.raw[i+1], e.becomes, what),
						Fix:     e.instead}
					if p.raw[i+1] == '"' && p.quote == '"' {
						first.Fix = `quote the parameter with '…' instead of "…", so that the JSON's quotes need no escape`
					}
				}
			}
			i++
		case c == '\'' && p.target && quote == nil:
			l, col := at(p.rawOff + i)
			quote = &problem{Severity: sevError, Path: s.Label, Line: l, Column: col, fatal: true,
				Message: `has a ', which ends the nginx parameter '…' this file is wrapped into: nginx -t fails, or the filter receives only the bytes before it`,
				Fix:     `write ' as \u0027 inside a JSON string`}
		}
	}
	if first != nil {
		if n > 1 {
			first.Message += fmt.Sprintf(" (%d such escapes; this is the first)", n)
		}
		out = append(out, *first)
	}
	for _, p := range []*problem{quote, tail} {
		if p != nil {
			out = append(out, *p)
		}
	}
	return out
}

// nginxProblems: the parameter as nginx reads it, the module it names, the
// shared-memory zone remote keys need, and the bindings ngx_wasm_module can
// serve.
func nginxProblems(s *source, doc *cfgDoc, b bindings) []problem {
	e := s.env.ngx
	var out []problem
	if w := e.param; w != nil {
		out = append(out, ngxParamProblems(s, ngxParam{raw: s.file[w.start:w.end], rawOff: w.start, quote: w.quote, after: w.need - (w.end - w.start)})...)
	}
	if m := e.module; m != nil && e.wasmLine > 0 && !containsString(e.loaded, m.val) {
		l, col := lineCol(s.file, m.off)
		loads := "loads no module"
		if len(e.loaded) > 0 {
			loads = "loads " + strings.Join(e.loaded, ", ")
		}
		pr := problem{Severity: sevError, Path: s.Label, Line: l, Column: col,
			Message: fmt.Sprintf(`module %q is not loaded by wasm {} (line %d %s): nginx -t fails: no %q module defined`, m.val, e.wasmLine, loads, m.val),
			Fix:     fmt.Sprintf("name a module of wasm {}, or load it there: module %s <path to the .wasm file>;", m.val), fatal: true}
		if e.wasmInclude {
			pr.Severity, pr.fatal = sevWarning, false
			pr.Message = fmt.Sprintf(`module %q is not loaded by wasm {} (line %d %s) unless a file it includes loads it; otherwise nginx -t fails: no %q module defined`, m.val, e.wasmLine, loads, m.val)
		}
		out = append(out, pr)
	}
	if e.wasmLine > 0 && !e.shmKV {
		out = append(out, ngxShmKVProblems(doc, e)...)
	}
	host := ngxHost{name: "nginx", bindFix: "bind the resource by authorities (the server_name of its server {}) or default"}
	if e.hostsKnown {
		host.hosts, host.names, host.anyHost, host.checkHosts = e.hosts, e.names, e.anyHost, true
		host.hostsMsg = func(authority, hosts string) string {
			return fmt.Sprintf("authority %q is not a server_name of the servers this proxy_wasm runs in (%s): such requests reach the filter only through a default server, if at all", authority, hosts)
		}
		host.hostsFix = `give the host its own server {} whose server_name is exactly it (envoy/kong/README.md, "3. How the filter finds the resource"), or correct the authority`
	}
	return append(out, ngxWasmBindingProblems(b, host)...)
}

// ngxShmKVProblems: an issuer with a jwks_uri while wasm{} declares no
// shm_kv zone for the filter's shared data. ngx_wasm_module stores a key
// "ns/rest" in the zone named ns, else in the zone "*", and refuses it when
// neither exists (ngx_wa_shm_kv_resolve_key): the filter never takes its
// fetch lease, so it never fetches.
func ngxShmKVProblems(doc *cfgDoc, e *ngxEnv) []problem {
	if doc.tree == nil {
		return nil
	}
	iss := doc.tree.member("issuers")
	if iss == nil || iss.kind != '[' {
		return nil
	}
	for i, is := range iss.elems {
		if u := is.member("jwks_uri"); u != nil && u.kind == '"' {
			path := fmt.Sprintf("issuers[%d].jwks_uri", i)
			pr := problem{Severity: sevError, Path: path,
				Message: fmt.Sprintf(`wasm {} (line %d) declares no shm_kv zone named audguard or *: ngx_wasm_module refuses the filter's shared "audguard/…" keys, so it never fetches the keys and every request gets 503 keys_unavailable`, e.wasmLine),
				Fix:     `add "shm_kv audguard 1m;" to wasm {} (envoy/kong/README.md, "Remote keys (jwks_uri) on ngx_wasm_module")`}
			if e.wasmInclude {
				pr.Severity = sevWarning
				pr.Message = fmt.Sprintf(`wasm {} (line %d) declares no shm_kv zone named audguard or * (unless a file it includes does): without one ngx_wasm_module refuses the filter's shared "audguard/…" keys, so it never fetches the keys and every request gets 503 keys_unavailable`, e.wasmLine)
			}
			pr.Line, pr.Column = doc.pos(path)
			return []problem{pr} // one zone serves every issuer
		}
	}
	return nil
}

// targetNginxProblems: a plugin configuration file that will be wrapped into
// one nginx parameter (--target nginx).
func targetNginxProblems(s *source, b bindings) []problem {
	out := ngxParamProblems(s, ngxParam{raw: s.file, quote: '\'', after: 2, target: true})
	return append(out, ngxWasmBindingProblems(b, ngxHost{name: "nginx", bindFix: "bind the resource by authorities (the server_name of its server {}) or default"})...)
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
