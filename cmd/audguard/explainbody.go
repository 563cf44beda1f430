package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/filter/jsonrpc"
	"github.com/audguard/audguard/filter/mcp"
	"github.com/audguard/audguard/filter/policy"
)

// The JSON-RPC body of the explained request (docs/request-flow.md#9-mcp-operation):
// a POST to the MCP endpoint of a resource with mcp_body "verify" is held on
// its headers (policy.OutcomeHold) and decided again once its body is in.
// explain does what the filter's glue does: the header pass, then, when it
// holds, the body pass with at most max_body_bytes+1 bytes of --body.

// bodySource is --body: where the body comes from.
type bodySource struct {
	name string // the file as given, or "stdin"
	r    io.Reader
	size int64 // a regular file's size; -1 when unknown before reading (stdin, a pipe)
}

// openBody opens --body: a file, or stdin for "-". The caller closes the
// returned closer.
func openBody(path string, stdin io.Reader) (*bodySource, io.Closer, error) {
	if path == "-" {
		return &bodySource{name: "stdin", r: stdin, size: -1}, io.NopCloser(nil), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	src := &bodySource{name: path, r: f, size: -1}
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		src.size = fi.Size()
	}
	return src, f, nil
}

// bodyFollows reports whether the explained request has a body after its
// headers: with --body, or a POST (MCP sends every JSON-RPC message as a
// POST) whose body was not given. Every other request ends with its headers.
func bodyFollows(o *explainOptions) bool {
	return o.body != nil || strings.EqualFold(o.method, "post")
}

// bodyHeaders are the headers explain adds to announce the body, as a client
// would, unless -H gives content-length or transfer-encoding: a regular
// file's size as content-length (what curl sends), else, on nginx, a chunked
// transfer-encoding (ngx_wasm_module's filter sees a body only when the
// headers announce one; Envoy tells the filter by the end of stream). Each
// comes with why it was added.
func bodyHeaders(o *explainOptions, proxy string) (hs [][2]string, why []string) {
	if !bodyFollows(o) {
		return nil, nil
	}
	for _, h := range o.headers {
		if h[0] == "content-length" || h[0] == "transfer-encoding" {
			return nil, nil
		}
	}
	switch {
	case o.body != nil && o.body.size >= 0:
		return [][2]string{{"content-length", strconv.FormatInt(o.body.size, 10)}}, []string{"the --body file's size"}
	case proxy == "nginx":
		return [][2]string{{"transfer-encoding", "chunked"}}, []string{"the body's length is not known: on ngx_wasm_module the headers must announce a body"}
	}
	return nil, nil
}

// bodyLine describes the body in the request summary ("" for a request
// without one).
func bodyLine(o *explainOptions) string {
	switch {
	case o.body == nil && bodyFollows(o):
		return "not given (--body FILE|-): the headers do not end the request; the filter reads a body only when it holds the request for it"
	case o.body == nil:
		return ""
	case o.body.size >= 0:
		return fmt.Sprintf("%s, %d bytes, read only if the filter holds the request for it", o.body.name, o.body.size)
	}
	return o.body.name + ", read only if the filter holds the request for it (at most max_body_bytes+1 bytes)"
}

// readBody reads at most limit+1 bytes of the body: over reports a body
// longer than limit, as the filter's glue finds it once more than
// max_body_bytes have arrived.
func readBody(r io.Reader, limit int64) (body []byte, over bool, err error) {
	body, err = io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, false, err
	}
	return body, int64(len(body)) > limit, nil
}

// explainHeld goes on with a request the header pass held (OutcomeHold):
// without --body it says what the filter would need to decide it; with one,
// it reads the body and decides the request again, as the filter does. It
// returns the exit status (exitOK when the request would pass).
func explainHeld(x *explainOut, eng *policy.Engine, req *policy.Request, d *policy.Decision, o *explainOptions, steps *[]policy.Step) int {
	w, rep := x.w, x.rep
	r, limit := d.Resource, d.MaxBody
	removed := append([]string(nil), d.Remove...)
	held := fmt.Sprintf("the filter holds the request until its body is in (at most %d bytes, max_body_bytes of %s), then decides it again with the body", limit, r.URI)
	fmt.Fprintf(w, "held     %s\n", held)
	rep.Notes = append(rep.Notes, "held: "+held)
	if o.body == nil {
		var needs bytes.Buffer
		writeHoldNeeds(&needs, r, req.Headers, limit)
		_, _ = w.Write(needs.Bytes())
		for _, l := range strings.Split(strings.TrimSpace(needs.String()), "\n") {
			rep.Notes = append(rep.Notes, strings.TrimSpace(l))
		}
		fmt.Fprint(w, "upstream nothing yet (the request is held)")
		if len(removed) > 0 {
			fmt.Fprintf(w, "; removed at once, whatever the body: %s", strings.Join(removed, ", "))
		}
		fmt.Fprintln(w)
		rep.Result = explainResult{Outcome: policy.OutcomeHold.String(), UpstreamRemove: removed, Detail: "held for its body: not decided on the headers"}
		return exitWarnings
	}
	body, over, err := readBody(o.body.r, limit)
	if err != nil {
		fmt.Fprintf(w, "body     cannot be read from %s: %v\n", o.body.name, err)
		fmt.Fprintln(w, "result   not decided: the body could not be read")
		rep.Result = explainResult{Outcome: "not_decided", Detail: fmt.Sprintf("the body cannot be read from %s: %v", o.body.name, err)}
		return exitWarnings
	}
	first := append([]policy.Step(nil), (*steps)...)
	*steps = (*steps)[:0]
	if over {
		req.BodyTooLarge = true
		note := fmt.Sprintf("more than %d bytes from %s: the filter stops at byte %d and decides without reading further", limit, o.body.name, limit+1)
		fmt.Fprintf(w, "body     %s\n", note)
		rep.Notes = append(rep.Notes, "body: "+note)
	} else {
		req.Body, req.HasBody = body, true
		fmt.Fprintf(w, "body     %d bytes from %s\n", len(body), o.body.name)
		rep.Notes = append(rep.Notes, fmt.Sprintf("body: %d bytes from %s", len(body), o.body.name))
	}
	d = eng.Decide(req)

	fmt.Fprintln(w, "steps with the body (the filter's second decision)")
	second := *steps
	same := 0
	for same < len(first) && same < len(second) && first[same] == second[same] {
		same++
	}
	if same > 0 {
		fmt.Fprintf(w, "  ...   %-18s the header pass's first %d checks again, with the same results\n", "", same)
	}
	rep.BodySteps = []explainStep{}
	for _, s := range second[same:] {
		x.step(&rep.BodySteps, s)
		if s.Name != "body" {
			continue
		}
		note := ""
		switch {
		case s.OK:
			note = headersVsBody(req.Headers, body)
		case d.Reason == policy.ReasonHeaderMismatch:
			note = headersAndBody(req.Headers, body)
		}
		if note != "" {
			fmt.Fprintf(w, "  note  %-18s %s\n", "headers vs body", note)
			rep.Notes = append(rep.Notes, "headers vs body: "+note)
		}
	}
	explainFailures(x, eng, eng.Config(), d, second, req, o, false)
	return writeOutcome(x, d)
}

// writeHoldNeeds says what the filter needs to decide a held request whose
// body explain was not given: the body, what the MCP headers hold it to, and
// the scopes each operation needs.
func writeHoldNeeds(w io.Writer, r *config.Resource, headers [][2]string, limit int64) {
	fmt.Fprintln(w, "result   held for its body: not decided on the headers; give the body with --body FILE|- to see the decision")
	fmt.Fprintf(w, "  needs  a body of at most %d bytes holding one JSON-RPC message (a batch only from clients older than MCP 2025-06-18)\n", limit)
	h := mcpHeadersOf(headers)
	switch {
	case h.Method != "" || h.Name != "":
		var parts []string
		if h.Method != "" {
			parts = append(parts, "its method to equal Mcp-Method "+strconv.Quote(h.Method))
		}
		if h.Name != "" {
			member := jsonrpc.TargetMember(h.Method)
			if member == "" {
				member = "name or uri"
			}
			parts = append(parts, "its params."+member+" to equal Mcp-Name "+strconv.Quote(h.Name))
		}
		fmt.Fprintf(w, "  needs  %s\n", strings.Join(parts, ", and "))
	case h.Era == mcp.EraCurrent:
		fmt.Fprintf(w, "  needs  Mcp-Method (and Mcp-Name for tools/call, prompts/get, resources/read): MCP-Protocol-Version %q requires them\n", h.Version)
	default:
		fmt.Fprintf(w, "  needs  no Mcp-Method or Mcp-Name (MCP-Protocol-Version %s: clients older than %s need not send them); the body alone names the operation\n",
			versionText(h.Version), mcp.FirstTrustedVersion)
	}
	var rules []string
	const shown = 8
	for i, op := range r.Operations {
		if i == shown {
			rules = append(rules, fmt.Sprintf("… %d more", len(r.Operations)-shown))
			break
		}
		what := op.Method
		if op.Name != "" {
			what += " " + strconv.Quote(op.Name)
		} else {
			what += " (any other target)"
		}
		rules = append(rules, what+" "+quoteScopes(r.Rules.For(op.Method, op.Name).Scopes()))
	}
	rules = append(rules, "anything else "+quoteScopes(r.Rules.Base().Scopes()))
	fmt.Fprintf(w, "  needs  the scopes of the operation the body names: %s\n", strings.Join(rules, "; "))
	if h.Method != "" {
		fmt.Fprintf(w, "  needs  if the body is what the headers say: %s\n", quoteScopes(r.Rules.For(h.Method, h.Name).Scopes()))
	}
}

// mcpHeadersOf reads MCP-Protocol-Version, Mcp-Method and Mcp-Name with the
// filter's reader (decoded as the filter decodes them when it holds them to
// the body); zero when they are malformed, which the header pass refuses.
func mcpHeadersOf(headers [][2]string) mcp.Headers {
	var raw mcp.Raw
	for _, h := range headers {
		raw.Add(h[0], h[1])
	}
	var p mcp.Parser
	h, err := p.ParseRawAll(&raw)
	if err != nil {
		return mcp.Headers{}
	}
	return h
}

// headersVsBody is the comparison the filter made, and passed, between the
// MCP headers and the body (filter/policy/body.go headersAgree), in words.
func headersVsBody(headers [][2]string, body []byte) string {
	var p jsonrpc.Parser
	b, err := p.Parse(body)
	if err != nil || len(b.Messages) == 0 {
		return ""
	}
	h := mcpHeadersOf(headers)
	version := "MCP-Protocol-Version " + versionText(h.Version)
	if b.Batch {
		return fmt.Sprintf("a batch of %d under %s (before %s): no Mcp-Method or Mcp-Name, which name one message", len(b.Messages), version, mcp.FirstTrustedVersion)
	}
	m := &b.Messages[0]
	var parts []string
	if h.Method != "" {
		parts = append(parts, "Mcp-Method "+strconv.Quote(cut64(h.Method))+" equals the body's method")
	}
	if h.Name != "" {
		parts = append(parts, "Mcp-Name "+strconv.Quote(cut64(h.Name))+" equals its params."+jsonrpc.TargetMember(m.Method))
	}
	switch {
	case len(parts) > 0:
		return version + ": " + strings.Join(parts, ", ")
	case m.Kind == jsonrpc.Response:
		return version + ": a response (a client's answer to a server request) carries no Mcp-Method or Mcp-Name"
	}
	return version + ": no Mcp-Method or Mcp-Name to compare (clients older than " + mcp.FirstTrustedVersion + " need not send them); the body alone names the operation"
}

// headersAndBody sets what the MCP headers say next to what the body says,
// for a body the filter refused as disagreeing with them.
func headersAndBody(headers [][2]string, body []byte) string {
	var p jsonrpc.Parser
	b, err := p.Parse(body)
	if err != nil || len(b.Messages) == 0 {
		return ""
	}
	h := mcpHeadersOf(headers)
	said := []string{"MCP-Protocol-Version " + versionText(h.Version)}
	if h.Method != "" {
		said = append(said, "Mcp-Method "+strconv.Quote(cut64(h.Method)))
	}
	if h.Name != "" {
		said = append(said, "Mcp-Name "+strconv.Quote(cut64(h.Name)))
	}
	var found string
	if b.Batch {
		found = fmt.Sprintf("a batch of %d messages", len(b.Messages))
	} else {
		m := &b.Messages[0]
		found = m.Kind.String()
		if m.Method != "" {
			found += " method " + strconv.Quote(cut64(m.Method))
		}
		if member := jsonrpc.TargetMember(m.Method); member != "" {
			found += ", params." + member + " " + strconv.Quote(cut64(m.Target))
		}
	}
	return "the headers say " + strings.Join(said, ", ") + "; the body holds a " + found
}

// cut64 cuts a value from the request to 64 bytes for display, as the
// filter's traces do.
func cut64(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

func versionText(v string) string {
	if v == "" {
		return "absent"
	}
	return strconv.Quote(v)
}

func quoteScopes(scopes []string) string {
	q := make([]string, len(scopes))
	for i, s := range scopes {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// bodyNotRead says why the filter did not read the --body of a request its
// header pass decided.
func bodyNotRead(d *policy.Decision, req *policy.Request, method, path string) string {
	r := d.Resource
	switch {
	case r == nil:
		return "no resource took the request; it was decided on its headers"
	case d.Reason == policy.ReasonBodyTooLarge:
		return "its content-length is over max_body_bytes (" + strconv.Itoa(int(r.MaxBodyBytes)) + "): refused on its headers"
	case r.Body == config.BodyOff:
		return "mcp_body is off for " + r.URI + ": the filter judges it on its headers and passes the body on unread"
	case !strings.EqualFold(method, "post") || !atMCPEndpoint(r.Endpoint(), pathOnly(path)):
		return "the filter reads only the body of a POST to the MCP endpoint " + r.Endpoint()
	case req.HasBody:
		return "its headers announce no body (no content-length other than 0, no transfer-encoding): judged as an empty body"
	}
	return "the request was decided on its headers (the body is read once the token has passed)"
}

// atMCPEndpoint is the filter's test for the MCP endpoint (one terminating
// "/" tolerated).
func atMCPEndpoint(endpoint, path string) bool {
	return path == endpoint || path == endpoint+"/"
}

func pathOnly(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}
