package policy

import (
	"strconv"
	"strings"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/filter/jsonrpc"
	"github.com/audguard/audguard/filter/mcp"
	"github.com/audguard/audguard/internal/lex"
)

// The JSON-RPC body (docs/request-flow.md#9-mcp-operation). For a resource
// with mcp_body "verify", a POST to its MCP endpoint is judged by the
// operation its body names, not by what its headers say: only clients of MCP
// 2026-07-28 send Mcp-Method and Mcp-Name, and only servers of that revision
// must refuse a body that disagrees with them (basic/transports/
// streamable-http, "Server Validation"). The token is checked on the
// headers first, so a request without a good token is answered before any
// body is read.

// bodyJudged reports whether r's operation is judged by the body of this
// request: mcp_body verify, a POST (any case: an upstream that reads "post"
// as POST must not see it unjudged) to r's MCP endpoint. Every other request
// keeps the header rules.
func bodyJudged(r *config.Resource, v *requestView, path string) bool {
	return r.Body == config.BodyVerify && lex.EqualFold(v.method, "post") && atEndpoint(r.Endpoint(), path)
}

// atEndpoint reports whether path is the MCP endpoint, one terminating "/"
// tolerated (as for the metadata endpoint).
func atEndpoint(endpoint, path string) bool {
	return path == endpoint || len(path) == len(endpoint)+1 && path[len(path)-1] == '/' && path[:len(endpoint)] == endpoint
}

// bodyOperation reads req's body and sets e.need to what its messages need.
// The headers' Mcp-Method and Mcp-Name, when present, must equal the body's
// method and target (after "Value Encoding"); a 2026-07-28 request must
// carry them ("Standard Request Headers"). A batch (JSON-RPC 2.0 §6, the
// 2025-03-26 transport) needs the union of its messages' scopes; the
// revisions that send Mcp-Method have no batches.
func (e *Engine) bodyOperation(r *config.Resource, req *Request) Reason {
	body, err := e.bodyParser.Parse(req.Body)
	if err != nil {
		if e.tracing() {
			e.trace("body", false, "JSON-RPC body refused: "+err.Error())
		}
		return ReasonInvalidMCPBody
	}
	h := &e.mcpHeaders
	if len(body.Messages) == 1 {
		e.bodyID = body.Messages[0].ID
	}
	e.listKind = listKind(&body)
	if reason, why := headersAgree(h, &body); reason != ReasonNone {
		if e.tracing() {
			e.trace("body", false, why)
		}
		return reason
	}
	e.needs = e.needs[:0]
	for i := range body.Messages {
		m := &body.Messages[i]
		if m.Kind == jsonrpc.Response {
			e.needs = append(e.needs, r.Rules.Base()) // a client's answer to a server request
			continue
		}
		e.needs = append(e.needs, r.Rules.For(m.Method, m.Target))
	}
	e.need = r.Rules.Union(e.needs)
	if !body.Batch && body.Messages[0].Kind != jsonrpc.Response {
		// The log line names the operation judged: the body's (the headers
		// agreed with it).
		h.Method, h.Name, h.Era = body.Messages[0].Method, body.Messages[0].Target, mcp.EraCurrent
	}
	if e.tracing() {
		e.trace("body", true, describeBody(&body, e.need))
	}
	return ReasonNone
}

// headersAgree compares the MCP headers with the body.
func headersAgree(h *mcp.Headers, body *jsonrpc.Body) (Reason, string) {
	current := h.Era == mcp.EraCurrent
	if body.Batch {
		switch {
		case current:
			return ReasonHeaderMismatch, "a batch under MCP-Protocol-Version " + strconv.Quote(h.Version) + ": revisions since 2025-06-18 send one message per request"
		case h.Method != "" || h.Name != "":
			return ReasonHeaderMismatch, "Mcp-Method or Mcp-Name on a batch: they name one message"
		}
		return ReasonNone, ""
	}
	m := &body.Messages[0]
	target := jsonrpc.TargetMember(m.Method)
	switch {
	case h.Method != "" && h.Method != m.Method:
		return ReasonHeaderMismatch, "Mcp-Method does not equal the body's method"
	case h.Name != "" && (target == "" || h.Name != m.Target):
		return ReasonHeaderMismatch, "Mcp-Name does not equal the body's params." + nonEmpty(target, "name or uri")
	case !current:
		return ReasonNone, ""
	case m.Kind != jsonrpc.Response && h.Method == "":
		return ReasonHeaderMismatch, "no Mcp-Method on a " + mcp.FirstTrustedVersion + " request"
	case target != "" && h.Name == "":
		return ReasonHeaderMismatch, "no Mcp-Name on a " + mcp.FirstTrustedVersion + " " + m.Method + " request"
	}
	return ReasonNone, ""
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// describeBody is the trace line of a judged body: the messages (method and
// target, quoted and cut) and the scopes they need.
func describeBody(body *jsonrpc.Body, need *mcp.Need) string {
	var b strings.Builder
	if body.Batch {
		b.WriteString("batch of " + strconv.Itoa(len(body.Messages)) + ": ")
	}
	for i := range body.Messages {
		m := &body.Messages[i]
		if i > 0 {
			b.WriteString("; ")
		}
		if m.Kind == jsonrpc.Response {
			b.WriteString("a response")
			continue
		}
		b.WriteString(m.Kind.String() + " " + strconv.Quote(cut(m.Method)))
		if m.Target != "" {
			b.WriteString(" " + jsonrpc.TargetMember(m.Method) + " " + strconv.Quote(cut(m.Target)))
		}
	}
	b.WriteString(": needs " + quoteList(need.Scopes()))
	return b.String()
}

func cut(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// holdForBody decides, on the header pass, whether the request must be held
// until its body is whole (true: d is OutcomeHold). A content-length over
// max_body_bytes is refused now (false, with req.BodyTooLarge's effect); a
// request whose headers end the stream has an empty body, judged now.
func (e *Engine) holdForBody(r *config.Resource, v *requestView, req *Request, d *Decision) bool {
	if req.HasBody || req.BodyTooLarge {
		return false
	}
	if v.contentLength > int64(r.MaxBodyBytes) {
		req.BodyTooLarge = true
		return false
	}
	if v.noBody(req) {
		// No body (end of stream on the headers; on ngx_wasm_module, whose
		// headers never end the stream, no content-length other than 0 and
		// no transfer-encoding): judged as an empty one now, as that host
		// never calls the body callback for a request without a body.
		req.HasBody = true
		return false
	}
	if e.tracing() {
		e.trace("body", true, "POST to the MCP endpoint "+r.Endpoint()+": held until its body (at most "+strconv.FormatInt(int64(r.MaxBodyBytes), 10)+" bytes) is in")
	}
	d.Outcome, d.Resource = OutcomeHold, r
	d.MaxBody = int64(r.MaxBodyBytes)
	return true
}
