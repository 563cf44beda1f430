package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/filter/policy"
	"github.com/audguard/audguard/jwtlite"
)

const explainUsage = `usage: audguard explain --config CONFIG [options] TOKEN|-

Runs the filter's own decision code (filter/policy) for one request carrying
"Authorization: Bearer TOKEN" ("" sends none; "-" reads TOKEN from stdin) and
prints each check: the resource chosen and why, the token header, key,
signature, each claim check, the final status, the exact WWW-Authenticate and
the headers that would go upstream. The token itself is never printed; when
its key is unknown, its kid and the configured kids are.

The filter stops at the first failing check, and its answer is that check's:
explain shows the same verdict, then goes on with the checks of the token
that do not depend on the failed one (issuer, key and signature, type,
time, audience, required claims, scopes), and lists every failure with a
fix and its section of docs/troubleshooting.md.

Keys: an issuer whose keys come from jwks_uri has none until they are
fetched. explain fetches the jwks_uri of the token's issuer from where it
runs (GET, no redirects, at most 256 KiB, as 'audguard keys' does) and
judges the set as the filter does; --offline forbids the network (the
issuer then has no keys: 503 keys_unavailable, as the filter before its
first fetch), --jwks FILE hands every issuer that set instead.

With an Envoy YAML and neither --route nor --vhost, the virtual host and the
route are picked from --authority and --path as Envoy's router picks them
(domains: exact, then the longest *.suffix, then the longest prefix*, then
*; routes in order: prefix, path, path_separated_prefix, safe_regex); a route
that also matches on headers, query parameters or runtime cannot be decided,
and explain says so.

A POST to the MCP endpoint of a resource with mcp_body "verify" is held on
its headers and judged by its JSON-RPC body. --body FILE|- gives that body:
explain runs the header pass, and when the filter holds the request, reads
at most the resource's max_body_bytes+1 bytes and runs the body pass as the
filter does, showing the operation the body names and how the MCP headers
compare with it. A regular file's size goes as content-length (and a body
over max_body_bytes is refused on its headers, unread). Without --body, a
held POST is shown as held, with what the filter needs to decide it.

Lists (docs/request-flow.md#lists): --response FILE|- gives the upstream's
answer to a list request (tools/list, prompts/list, resources/list or
resources/templates/list, given with --body). When the decision plans to
shape it (an allowed list request judged by its body, at a resource with
shape_lists), explain shapes FILE as the filter does (application/json,
or an SSE stream when FILE has event: or data: lines or --response-type
sse says so) and lists the entries the token would see and those it would
not, by name or URI, with the counts; else it says why the answer passes
whole (not a list request, shape_lists off, not allowed).

DPoP (RFC 9449): --dpop FILE|- sends "Authorization: DPoP TOKEN" and one
DPoP header per non-empty line of FILE (a proof; two lines are two headers,
which the filter refuses); explain shows the filter's dpop step (the proof,
the token's binding to its key, replay) and, for use_dpop_nonce, the
DPoP-Nonce the filter answers with. Proofs are never printed. --repeat N
sends the same request N times to one filter instance (one VM's replay
set): the second sight of a proof is dpop_replayed. Without --dpop, a
DPoP-bound token (cnf.jkt) goes as Bearer, which the filter refuses
(dpop_binding, RFC 9449 §7.2).

--json prints the same as one JSON object: request, keys, steps,
more_checks, failures (check, reason, detail, fix, docs), result,
response (with --response), exit.

Exit status: 0 the request would pass (allowed, metadata answered with 200
or 204, public path, preflight, a route that disables the filter); 1 it
would not: denied, would be denied in report mode, a metadata request
refused (405), or held for a body --body did not give; 2 bad usage, or a
configuration that is invalid or cannot be read.

options:
`

// headerFlags collects repeated -H 'name: value' options.
type headerFlags [][2]string

func (h *headerFlags) String() string { return "" }

func (h *headerFlags) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return errors.New(`want "name: value"`)
	}
	*h = append(*h, [2]string{strings.ToLower(name), strings.TrimSpace(value)})
	return nil
}

// explainOptions is a parsed `audguard explain` command line.
type explainOptions struct {
	config, filter          string
	route, vhost            *string
	authority, path, method string
	proxy, authorityFrom    string
	now                     time.Time
	headers                 headerFlags
	token                   string
	hasAuthority, hasPath   bool
	jwks                    []byte        // --jwks: the set every jwks_uri issuer "fetched"
	body                    *bodySource   // --body; nil without
	offline                 bool          // --offline: never fetch a jwks_uri
	timeout                 time.Duration // --timeout: of a jwks_uri fetch
	dpop                    []string      // --dpop: the DPoP header values (proofs); nil without
	dpopFrom                string        // --dpop's FILE
	repeat                  int           // --repeat: how many times the request is sent
}

func runExplain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = commandUsage(fs, stderr, explainUsage)
	var o explainOptions
	fs.StringVar(&o.config, "config", "", "`CONFIG`: a plugin configuration, or an Envoy, Istio, Kong or nginx configuration holding one (required)")
	fs.StringVar(&o.filter, "filter", "", "`SOURCE`: which configuration, by the label 'audguard check' prints, when the file holds several")
	route := fs.String("route", "", "`NAME`: the Envoy route name (xds.route_name); unset: the host has no such property")
	vhost := fs.String("vhost", "", "`NAME`: the Envoy virtual host name (xds.virtual_host_name)")
	fs.StringVar(&o.authority, "authority", "", "`HOST[:PORT]`: the request's :authority (default: the first resource's)")
	fs.StringVar(&o.path, "path", "", "`PATH`: the request's :path (default: the first resource's path)")
	fs.StringVar(&o.method, "method", "GET", "`METHOD`: the request's method")
	fs.StringVar(&o.proxy, "proxy", "", "`envoy|nginx`: the host running the filter, Envoy (xds.* properties) or ngx_wasm_module (Kong, nginx: no xds.*, nginx's $host) (default: nginx for a Kong or nginx configuration, else envoy)")
	fs.StringVar(&o.authorityFrom, "authority-from", "", "`auto|authority|host`: overrides the configuration's authority_from")
	nowFlag := fs.String("now", "", "`RFC3339|UNIX`: the clock, an RFC 3339 time or Unix seconds (default: now)")
	jwksFile := fs.String("jwks", "", "`FILE`: a JWK Set standing for what every issuer's jwks_uri serves (nothing is fetched)")
	fs.BoolVar(&o.offline, "offline", false, "never fetch a jwks_uri: an issuer whose keys come from one has no keys (keys_unavailable)")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Second, "time limit of a jwks_uri fetch")
	asJSON := fs.Bool("json", false, "print the explanation as one JSON object")
	fs.Var(&o.headers, "H", "`'NAME: VALUE'`: an extra request header (repeatable)")
	mcpMethod := fs.String("mcp-method", "", "`METHOD`: the Mcp-Method header (MCP 2026-07-28 request metadata)")
	mcpName := fs.String("mcp-name", "", "`NAME`: the Mcp-Name header (a tool, resource or prompt name)")
	mcpVersion := fs.String("mcp-version", "", "`VERSION`: the MCP-Protocol-Version header (default 2026-07-28 when --mcp-method is given)")
	dpopFile := fs.String("dpop", "", "`FILE|-`: DPoP proofs, one per line (each a DPoP header); the token then goes as \"Authorization: DPoP TOKEN\" (RFC 9449)")
	fs.IntVar(&o.repeat, "repeat", 1, "`N`: send the same request N times to one filter instance (a DPoP proof's second sight is dpop_replayed); the last is shown")
	respFile := fs.String("response", "", "`FILE|-`: the upstream's answer to the --body list request (application/json or an SSE stream); explain shapes it as the filter would and shows the entries the token would see and not see")
	respType := fs.String("response-type", "", "`json|sse`: how --response is read (default: sse when it has event: or data: lines, else json)")
	bodyFile := fs.String("body", "", "`FILE|-`: the request's JSON-RPC body, from a file or stdin (then TOKEN cannot be -); read only when the filter holds the request for it, at most max_body_bytes+1 bytes")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitInvalid
	}
	const synopsis = "audguard explain --config CONFIG [options] TOKEN|-"
	switch {
	case o.config == "" && len(pos) == 0:
		return missingArgument(fs, stderr, "--config CONFIG and TOKEN: the configuration to decide with, and the token (\"\" for none, - to read it from stdin)", synopsis)
	case o.config == "":
		return missingArgument(fs, stderr, "--config CONFIG: the configuration to decide with (a plugin configuration, or an Envoy, Istio, Kong or nginx file)", synopsis)
	case len(pos) == 0:
		return missingArgument(fs, stderr, "TOKEN: give the token, \"\" to send no Authorization header, or - to read it from stdin", synopsis)
	case len(pos) > 1:
		fmt.Fprintf(stderr, "audguard explain: one TOKEN expected, not %d arguments (%s); quote a token holding spaces, and put options before --\nRun 'audguard explain -h' for its flags and an example.\n", len(pos), strings.Join(shortArgs(pos), " "))
		return exitInvalid
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "route":
			o.route = route
		case "vhost":
			o.vhost = vhost
		case "authority":
			o.hasAuthority = true
		case "path":
			o.hasPath = true
		}
	})
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "audguard explain: "+format+"\n", a...)
		return exitInvalid
	}
	switch o.proxy {
	case "", "envoy", "nginx":
	default:
		return bad("--proxy: want envoy or nginx, not %q", o.proxy)
	}
	if o.proxy == "nginx" && (o.route != nil || o.vhost != nil) {
		return bad("--route and --vhost are Envoy properties; nginx (ngx_wasm_module) has neither")
	}
	switch o.authorityFrom {
	case "", "auto", "authority", "host":
	default:
		return bad("--authority-from: want auto, authority or host, not %q", o.authorityFrom)
	}
	if o.timeout <= 0 {
		return bad("--timeout must be positive")
	}
	if o.repeat < 1 || o.repeat > 100 {
		return bad("--repeat: want 1 to 100, not %d", o.repeat)
	}
	if o.repeat > 1 && *bodyFile != "" {
		return bad("--repeat sends the headers only: give it without --body")
	}
	if *dpopFile == "-" && (*bodyFile == "-") {
		return bad("--dpop - and --body - both read stdin: give one of them as a file")
	}
	if *jwksFile != "" && o.offline {
		return bad("--jwks FILE already keeps explain offline; give one of --jwks and --offline")
	}
	if *mcpMethod != "" && *mcpVersion == "" {
		*mcpVersion = "2026-07-28"
	}
	for _, h := range [][2]string{{"mcp-protocol-version", *mcpVersion}, {"mcp-method", *mcpMethod}, {"mcp-name", *mcpName}} {
		if h[1] != "" {
			o.headers = append(o.headers, h)
		}
	}
	if *jwksFile != "" {
		if o.jwks, err = os.ReadFile(*jwksFile); err != nil {
			return bad("--jwks: %v", err)
		}
	}
	o.now = time.Now()
	if *nowFlag != "" {
		if o.now, err = parseNow(*nowFlag); err != nil {
			return bad("--now: %v", err)
		}
	}
	o.token = pos[0]
	if *bodyFile == "-" && o.token == "-" {
		return bad("--body - and TOKEN - both read stdin: give one of them as a file or argument")
	}
	switch *respType {
	case "", "json", "sse":
	default:
		return bad("--response-type: want json or sse, not %q", *respType)
	}
	if *respType != "" && *respFile == "" {
		return bad("--response-type reads --response: give --response FILE|-")
	}
	if *respFile == "-" && (o.token == "-" || *bodyFile == "-" || *dpopFile == "-") {
		return bad("--response - reads stdin, as does TOKEN -, --body - or --dpop -: give one of them as a file")
	}
	if *dpopFile == "-" && o.token == "-" {
		return bad("--dpop - and TOKEN - both read stdin: give one of them as a file or argument")
	}
	if *dpopFile != "" {
		if o.dpop, err = readProofs(*dpopFile, stdin); err != nil {
			return bad("--dpop: %v", err)
		}
		o.dpopFrom = *dpopFile
	}
	if o.token == "-" {
		if o.token, err = readToken(stdin); err != nil {
			return bad("reading the token from stdin: %v", err)
		}
	}
	cfg, src, err := loadOne(o.config, o.filter, o.authorityFrom)
	if err != nil {
		return bad("%v", err)
	}
	if *bodyFile != "" {
		var c io.Closer
		if o.body, c, err = openBody(*bodyFile, stdin); err != nil {
			return bad("--body: %v", err)
		}
		defer c.Close()
	}
	var resp *responseSource
	if *respFile != "" {
		if resp, err = readResponse(*respFile, *respType, stdin); err != nil {
			return bad("--response: %v", err)
		}
	}
	x := &explainOut{w: stdout, rep: &explainReport{Steps: []explainStep{}, Failures: []explainFailure{}}}
	if *asJSON {
		x.w = io.Discard
	}
	code := explain(x, cfg, o.config, src, &o)
	if resp != nil {
		explainResponse(x, x.final, x.req, resp, cfg.Mode == config.ModeReport)
	}
	x.rep.Exit = code
	if *asJSON {
		writeReport(stdout, true, x.rep, nil)
	}
	return code
}

// shortArgs cuts each argument to 24 bytes for a message (a token is long,
// and not to be echoed whole).
func shortArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if len(a) > 24 {
			a = a[:8] + "…"
		}
		out[i] = strconv.Quote(a)
	}
	return out
}

// readProofs reads the DPoP proofs of --dpop: one per non-empty line of
// path ("-": stdin), surrounding white space dropped; at most 1 MiB.
func readProofs(path string, stdin io.Reader) ([]string, error) {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return nil, err
	}
	proofs := []string{}
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			proofs = append(proofs, line)
		}
	}
	if len(proofs) == 0 {
		return nil, errors.New("no proof (one per line)")
	}
	return proofs, nil
}

// parseNow reads an RFC 3339 time or Unix seconds.
func parseNow(s string) (time.Time, error) {
	if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(sec, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, errors.New("want RFC 3339 (2025-06-18T12:00:00Z) or Unix seconds")
	}
	return t, nil
}

// readToken reads one line (the token) from r; surrounding white space is dropped.
func readToken(r io.Reader) (string, error) {
	s, err := bufio.NewReader(io.LimitReader(r, 1<<20)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimSpace(s), nil
}

// loadOne finds the plugin configurations in path and loads the one to use,
// with authority_from set to authorityFrom when that is not "".
func loadOne(path, filter, authorityFrom string) (*config.Plugin, *source, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	sources, err := findSources(data)
	if err != nil {
		return nil, nil, err
	}
	var pick *source
	if filter != "" {
		for i := range sources {
			if sources[i].Label == filter {
				pick = &sources[i]
			}
		}
	} else if len(sources) == 1 {
		pick = &sources[0]
	}
	if pick == nil {
		labels := make([]string, len(sources))
		for i, s := range sources {
			labels[i] = s.Label
		}
		return nil, nil, fmt.Errorf("%s holds %d configurations; choose one with --filter: %s", path, len(sources), strings.Join(labels, ", "))
	}
	if pick.Err != nil {
		return nil, nil, fmt.Errorf("%s: %v", pick.Label, pick.Err)
	}
	cfgJSON := pick.Config
	if authorityFrom != "" {
		root, err := parseJSON(cfgJSON)
		if err != nil || root.kind != '{' {
			return nil, nil, fmt.Errorf("the configuration is invalid (run `audguard check %s`)", path)
		}
		root.set("authority_from", jstring(authorityFrom))
		var buf bytes.Buffer
		root.encode(&buf)
		cfgJSON = buf.Bytes()
	}
	p, err := config.Load(cfgJSON)
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			err = fmt.Errorf("%s: %s; fix: %s", ce.Path, ce.Msg, unknownMemberFix(ce))
		}
		return nil, nil, fmt.Errorf("the configuration is invalid (run `audguard check %s`): %v", path, err)
	}
	return p, pick, nil
}

// explain runs the decision and prints it; it returns the exit status:
// exitOK when the request would pass, exitWarnings when it would not.
func explain(x *explainOut, cfg *config.Plugin, cfgPath string, src *source, o *explainOptions) int {
	w, rep := x.w, x.rep
	first := cfg.Resources[0]
	authority, path := o.authority, o.path
	if !o.hasAuthority {
		authority = first.Parsed.Authority()
	}
	if !o.hasPath {
		path = first.Parsed.Path
		if path == "" {
			path = "/"
		}
	}
	proxy := o.proxy
	if proxy == "" {
		proxy = "envoy"
		if src.Kind == kindKong || src.Kind == kindNginx {
			proxy = "nginx"
		}
	}
	req := &policy.Request{EndOfStream: !bodyFollows(o)}
	x.req = req
	var proxyLines []string
	disabled := ""
	switch {
	case proxy == "nginx":
		// ngx_wasm_module: no xds.* properties; ngx.host is nginx's $host.
		req.HostVar, req.HasHostVar = strings.ToLower(hostOnlyPort(authority)), true
		proxyLines = append(proxyLines, fmt.Sprintf("nginx (ngx_wasm_module): no xds.* properties; $host %q", req.HostVar))
	case o.route != nil || o.vhost != nil:
		req.XDS = true
		if o.route != nil {
			req.RouteName, req.HasRoute = *o.route, true
		}
		if o.vhost != nil {
			req.VirtualHost, req.HasVirtualHost = *o.vhost, true
		}
	default:
		req.XDS = true
		var sel envoySelection
		authority, sel = selectEnvoyRoute(src, o.method, authority, path)
		proxyLines, disabled = sel.lines, sel.disabled
		if sel.route != nil {
			req.RouteName, req.HasRoute = *sel.route, true
		}
		if sel.vhost != nil {
			req.VirtualHost, req.HasVirtualHost = *sel.vhost, true
		}
	}
	req.Headers = [][2]string{{":method", o.method}, {":path", path}, {":authority", authority}, {":scheme", "https"}}
	scheme := "Bearer"
	if o.dpop != nil {
		scheme = "DPoP"
	}
	if o.token != "" {
		req.Headers = append(req.Headers, [2]string{"authorization", scheme + " " + o.token})
	}
	for _, p := range o.dpop {
		req.Headers = append(req.Headers, [2]string{"dpop", p})
	}
	req.Headers = append(req.Headers, o.headers...)
	added, addedWhy := bodyHeaders(o, proxy)
	req.Headers = append(req.Headers, added...)

	fmt.Fprintln(w, "audguard explain — one request through the filter's decision code (native, no proxy)")
	where := cfgPath
	if src.Label != "$" {
		where += " at " + src.Label
		rep.Source = src.Label
	}
	override := ""
	if o.authorityFrom != "" {
		override = ", set by --authority-from"
	}
	rep.Config, rep.Mode, rep.AuthorityFrom, rep.Proxy = cfgPath, cfg.Mode.String(), cfg.AuthorityFrom.String(), proxy
	fmt.Fprintf(w, "config   %s (mode %s, authority_from %s%s)\n", where, cfg.Mode, cfg.AuthorityFrom, override)
	for _, l := range proxyLines {
		fmt.Fprintf(w, "proxy    %s\n", l)
	}
	rep.ProxyNotes = proxyLines
	route, vhost := optionalReq(req.RouteName, req.HasRoute), optionalReq(req.VirtualHost, req.HasVirtualHost)
	fmt.Fprintf(w, "request  %s %s, authority %q, route %s, virtual host %s\n", o.method, path, authority, route, vhost)
	rq := &rep.Request
	rq.Method, rq.Path, rq.Authority, rq.Headers = o.method, path, authority, [][2]string{}
	if req.HasRoute {
		rq.Route = &req.RouteName
	}
	if req.HasVirtualHost {
		rq.VirtualHost = &req.VirtualHost
	}
	for _, h := range o.headers {
		if h[0] == "authorization" {
			fmt.Fprintln(w, "         extra authorization header (not shown)")
			rq.Headers = append(rq.Headers, [2]string{h[0], "(not shown)"})
			continue
		}
		fmt.Fprintf(w, "         %s: %s\n", h[0], h[1])
		rq.Headers = append(rq.Headers, h)
	}
	for i, h := range added {
		fmt.Fprintf(w, "         %s: %s (added by explain: %s)\n", h[0], h[1], addedWhy[i])
		rq.Headers = append(rq.Headers, h)
	}
	switch {
	case o.token == "":
		fmt.Fprintln(w, "token    none (no Authorization header)")
	default:
		fmt.Fprintf(w, "token    Authorization: %s <%d bytes, not shown>\n", scheme, len(o.token))
		rq.TokenBytes = len(o.token)
	}
	if o.dpop != nil {
		sizes := make([]string, len(o.dpop))
		for i, p := range o.dpop {
			sizes[i] = fmt.Sprintf("<%d bytes, not shown>", len(p))
		}
		from := o.dpopFrom
		if from == "-" {
			from = "stdin"
		}
		fmt.Fprintf(w, "dpop     %d DPoP header(s) from %s: %s\n", len(o.dpop), from, strings.Join(sizes, ", "))
		rq.TokenScheme, rq.DPoPProofs = "DPoP", len(o.dpop)
	}
	if l := bodyLine(o); l != "" {
		fmt.Fprintf(w, "body     %s\n", l)
		rq.Body = l
	}
	rq.Now = o.now.UTC().Format(time.RFC3339)
	fmt.Fprintf(w, "now      %s\n", rq.Now)
	if disabled != "" {
		fmt.Fprintf(w, "result   not checked: %s; Envoy passes the request on without running the filter\n", disabled)
		rep.Result = explainResult{Outcome: "not_checked", Passes: true, Detail: disabled}
		return exitOK
	}

	var steps []policy.Step
	eng := policy.New(cfg, policy.Options{
		Now:       func() time.Time { return o.now },
		CacheSize: -1,
		Trace:     func(s policy.Step) { steps = append(steps, s) },
	})
	explainKeys(x, eng, cfg, o)
	mark := len(steps)
	for i := 1; i < o.repeat; i++ {
		// The earlier sendings of the same request, on the same engine (one
		// VM: its replay set remembers their proofs); only the last is shown.
		d := eng.Decide(req)
		line := fmt.Sprintf("request %d of %d: %s", i, o.repeat, d.Outcome)
		if d.Reason != policy.ReasonNone {
			line += fmt.Sprintf(", reason %s (status %d)", d.Reason, d.Status)
		}
		fmt.Fprintf(w, "repeat   %s\n", line)
		rep.Notes = append(rep.Notes, "repeat: "+line)
	}
	if o.repeat > 1 {
		fmt.Fprintf(w, "repeat   request %d of %d, the one shown below\n", o.repeat, o.repeat)
		rq.Repeat = o.repeat
	}
	steps = steps[:mark]
	d := eng.Decide(req)
	x.final = d

	fmt.Fprintln(w, "steps")
	for _, s := range steps {
		x.step(&rep.Steps, s)
	}
	if d.Reason == policy.ReasonUnknownKey {
		note := kidNote(o.token, d.Resource)
		fmt.Fprintf(w, "  note  %-18s %s\n", "key ids", note)
		rep.Notes = append(rep.Notes, "key ids: "+note)
	}
	if d.Outcome == policy.OutcomeHold {
		return explainHeld(x, eng, req, d, o, &steps)
	}
	if o.body != nil {
		note := bodyNotRead(d, req, o.method, path)
		fmt.Fprintf(w, "body     not read: %s\n", note)
		rep.Notes = append(rep.Notes, "body not read: "+note)
	}
	explainFailures(x, eng, cfg, d, steps, req, o, true)
	return writeOutcome(x, d)
}

func optionalReq(v string, has bool) string {
	if !has {
		return "(none)"
	}
	return strconv.Quote(v)
}

// kidNote names the token's kid (and alg) and the kids configured for the
// resource's issuers: key ids are configuration, never secret. Nothing else
// of the token is shown.
func kidNote(token string, r *config.Resource) string {
	var hdr struct {
		Kid any    `json:"kid"`
		Alg string `json:"alg"`
	}
	head, _, _ := strings.Cut(token, ".")
	var b strings.Builder
	raw, err := base64.RawURLEncoding.DecodeString(head)
	switch {
	case err != nil || json.Unmarshal(raw, &hdr) != nil:
		b.WriteString("the token header cannot be read")
	case hdr.Kid == nil:
		b.WriteString("the token has no kid")
	default:
		if k, ok := hdr.Kid.(string); ok {
			fmt.Fprintf(&b, "token kid %s", quoteShort(k))
		} else {
			b.WriteString("token kid is not a string")
		}
	}
	if hdr.Alg != "" {
		fmt.Fprintf(&b, " (alg %s)", quoteShort(hdr.Alg))
	}
	if r == nil {
		return b.String()
	}
	iss := tokenIssuer(token)
	for _, is := range r.Issuers {
		if iss != "" && is.Issuer != iss {
			continue
		}
		var kids []string
		var configured []*jwtlite.Key
		if is.Keys != nil {
			configured = is.Keys.Keys
		}
		for _, k := range configured {
			if k.ID == "" {
				kids = append(kids, "(no kid) "+string(k.Alg))
				continue
			}
			kids = append(kids, strconv.Quote(k.ID)+" "+string(k.Alg))
		}
		fmt.Fprintf(&b, "; issuer %s has %s", is.Name, joinOr(kids, "no keys"))
	}
	return b.String()
}

// tokenIssuer reads the iss claim to pick the issuer whose kids to list.
func tokenIssuer(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		Iss string `json:"iss"`
	}
	_ = json.Unmarshal(raw, &c)
	return c.Iss
}

// quoteShort quotes a value from the token header, cut to 64 bytes.
func quoteShort(s string) string {
	if len(s) > 64 {
		return strconv.Quote(s[:64]) + "…"
	}
	return strconv.Quote(s)
}

// envoySelection is what Envoy tells the filter about a request: the
// properties xds.route_name and xds.virtual_host_name its router set.
type envoySelection struct {
	route, vhost *string
	lines        []string // how they were picked
	disabled     string   // non-empty: the route disables the filter
}

// selectEnvoyRoute picks the virtual host and route for a request the way
// Envoy's router does, from the route configuration of the filter's
// connection manager, after the connection manager's own host rewriting
// (strip_any_host_port, strip_trailing_host_dot), which the filter sees too.
// It returns the :authority the filter sees.
func selectEnvoyRoute(src *source, method, authority, path string) (string, envoySelection) {
	var sel envoySelection
	switch {
	case src.Kind == kindEnvoyFilter || src.Kind == kindWasmPlugin:
		sel.lines = []string{"envoy (Istio generates the routes): xds.route_name and xds.virtual_host_name only from --route and --vhost"}
		return authority, sel
	case src.Kind != kindEnvoy || src.env.hcm == nil:
		sel.lines = []string{"envoy: xds.route_name and xds.virtual_host_name only from --route and --vhost (no route configuration in this file)"}
		return authority, sel
	}
	hcm := src.env.hcm
	rt := routeTableFor(src.env.doc, hcm, src.env.hcmPath)
	if rt == nil {
		sel.lines = []string{"envoy; the connection manager's route configuration is not in this file (rds): give --route and --vhost"}
		return authority, sel
	}
	seen := authority
	if yamlTrue(mapGet(hcm, "strip_any_host_port")) {
		seen = hostOnlyPort(seen)
	}
	if yamlTrue(mapGet(hcm, "strip_trailing_host_dot")) {
		h, port := seen, ""
		if i := strings.LastIndexByte(seen, ':'); i >= 0 && hostOnlyPort(seen) != seen {
			h, port = seen[:i], seen[i:]
		}
		seen = strings.TrimSuffix(h, ".") + port
	}
	if seen != authority {
		sel.lines = append(sel.lines, fmt.Sprintf("the connection manager rewrites :authority %q to %q (strip_any_host_port, strip_trailing_host_dot)", authority, seen))
	}
	rcName := "the route configuration"
	if rt.name != "" {
		rcName += " " + strconv.Quote(rt.name)
	}
	hm, ok := rt.match(seen)
	if !ok {
		sel.lines = append(sel.lines, fmt.Sprintf("no virtual host of %s has a domain matching %q: the router answers 404 (after the filter, which sees no xds.route_name or xds.virtual_host_name)", rcName, seen))
		return seen, sel
	}
	vhName := hm.vh.name
	sel.lines = append(sel.lines, fmt.Sprintf("virtual host %q: domain %q (%s match)", vhName, hm.domain, hm.how))
	rp, decided, why := pickRoute(hm.vh, method, path)
	switch {
	case !decided:
		sel.vhost = &vhName
		sel.lines = append(sel.lines, "cannot decide the route: "+why+"; give --route (and --vhost) to choose it; judged without xds.route_name")
		return seen, sel
	case rp.node == nil:
		sel.lines = append(sel.lines, fmt.Sprintf("no route of virtual host %q matches %s %s: the router answers 404 (after the filter, which sees no xds.route_name or xds.virtual_host_name)", vhName, method, path))
		return seen, sel
	}
	routeName := rp.name
	sel.vhost, sel.route = &vhName, &routeName
	label := strconv.Quote(routeName)
	if routeName == "" {
		label = "(unnamed)"
	}
	sel.lines = append(sel.lines, fmt.Sprintf("route %s: routes[%d], %s", label, rp.idx, rp.how))
	filterName := scalar(mapGet(src.env.entry, "name"))
	if off, where := filterDisabled(rt, hm.vh, rp.node, filterName); off {
		sel.disabled = fmt.Sprintf("the %s's typed_per_filter_config disables the filter %q", where, filterName)
	}
	return seen, sel
}

// writeOutcome prints the final status, reply and upstream headers, and
// returns the exit status: exitOK when the request passes (allowed, public
// path, preflight, report mode's passes, metadata answered 200 or 204),
// exitWarnings when it does not (denied, would be denied, a metadata
// request refused with 405).
func writeOutcome(x *explainOut, d *policy.Decision) int {
	w := x.w
	x.final = d
	res := &x.rep.Result
	res.Outcome, res.Status, res.Counter = d.Outcome.String(), int(d.Status), d.Counter()
	if d.Reason != policy.ReasonNone {
		res.Reason = d.Reason.String()
	}
	pass := false
	switch d.Outcome {
	case policy.OutcomeDenied:
		fmt.Fprintf(w, "result   %d, denied: reason %s (counter %s)\n", d.Status, d.Reason, d.Counter())
	case policy.OutcomeWouldDeny:
		fmt.Fprintf(w, "result   would deny (report mode passes it on): reason %s (counter %s)\n", d.Reason, d.Counter())
	case policy.OutcomeMetadata:
		if d.Status == 200 || d.Status == 204 {
			fmt.Fprintf(w, "result   %d, answered by the filter: RFC 9728 metadata (counter %s)\n", d.Status, d.Counter())
			pass = true
		} else {
			fmt.Fprintf(w, "result   %d, refused by the filter: the RFC 9728 metadata endpoint answers GET, HEAD and OPTIONS (counter %s)\n", d.Status, d.Counter())
		}
	default:
		counter := d.Counter()
		if counter == "" {
			counter = "none"
		}
		fmt.Fprintf(w, "result   %s: passed on to the upstream (counter %s)\n", d.Outcome, counter)
		pass = true
	}
	res.Passes = pass
	if d.Local() {
		for _, h := range d.ReplyHeaders {
			fmt.Fprintf(w, "  reply  %s: %s\n", h[0], h[1])
		}
		res.ReplyHeaders = append([][2]string{}, d.ReplyHeaders...)
		if len(d.ReplyBody) > 0 {
			fmt.Fprintf(w, "  body   %s\n", d.ReplyBody)
			res.ReplyBody = string(d.ReplyBody)
		}
		fmt.Fprintln(w, "upstream nothing (the filter answers)")
	} else {
		res.UpstreamRemove, res.UpstreamSet = []string{}, [][2]string{}
		if len(d.Remove) == 0 && len(d.Set) == 0 {
			fmt.Fprintln(w, "upstream request headers unchanged")
		}
		for _, h := range d.Remove {
			fmt.Fprintf(w, "upstream remove %s\n", h)
			res.UpstreamRemove = append(res.UpstreamRemove, h)
		}
		for _, h := range d.Set {
			if strings.EqualFold(h[0], "authorization") {
				fmt.Fprintf(w, "upstream set    %s: (not shown)\n", h[0])
				res.UpstreamSet = append(res.UpstreamSet, [2]string{h[0], "(not shown)"})
				continue
			}
			fmt.Fprintf(w, "upstream set    %s: %s\n", h[0], h[1])
			res.UpstreamSet = append(res.UpstreamSet, h)
		}
	}
	if pass {
		return exitOK
	}
	return exitWarnings
}
