package policy

import (
	"strconv"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/filter/mcp"
	"github.com/audguard/audguard/internal/lex"
	"github.com/audguard/audguard/jwtlite"
)

// descOneOrigin describes the 400 for several Origin headers at a resource
// that checks Origin.
const descOneOrigin = "The request must carry at most one Origin header."

// checkOrigin is docs/request-flow.md#8-origin (MCP 2026-07-28 Streamable HTTP: servers MUST
// validate Origin, and answer 403 when it is present and invalid): only for
// a resource with allowed_origins, and only when the request has an Origin.
// desc is the 400's description, for several Origin headers.
func (e *Engine) checkOrigin(r *config.Resource, v *requestView) (Reason, string) {
	if r.OriginsAny || v.originCount == 0 {
		return ReasonNone, ""
	}
	if v.originCount > 1 {
		if e.tracing() {
			e.trace("origin", false, strconv.Itoa(v.originCount)+" Origin headers; at most one is allowed")
		}
		return ReasonInvalidRequest, descOneOrigin
	}
	ok := mcp.SameOrigin(v.origin, r.Origin()) || r.Origins != nil && r.Origins.Allowed(v.origin)
	if e.tracing() {
		verdict := " is neither the resource's own origin " + strconv.Quote(r.Origin()) + " nor in allowed_origins "
		if ok {
			verdict = " is the resource's own origin or in allowed_origins "
		}
		e.trace("origin", ok, "Origin "+strconv.Quote(v.origin)+verdict+quoteList(r.AllowedOrigins))
	}
	if !ok {
		return ReasonForbiddenOrigin, ""
	}
	return ReasonNone, ""
}

// operation is docs/request-flow.md#9-mcp-operation on the headers. When the body will
// judge the request (judgeBody), the MCP headers are only read, to be held to
// the body later (filter/policy/body.go), and the request needs
// required_scopes until then. Otherwise, for a POST to a resource with
// operations, the MCP request metadata headers (MCP 2026-07-28 Streamable
// HTTP, "Request Metadata") choose the rule whose scopes the request needs,
// e.need; every other request needs required_scopes alone. A 2026-07-28
// server must reject a body that disagrees with the headers.
func (e *Engine) operation(r *config.Resource, v *requestView, judgeBody bool) Reason {
	if judgeBody {
		h, err := e.mcpParser.ParseRawAll(&v.mcp)
		if err != nil {
			if e.tracing() {
				e.trace("operation", false, err.Error())
			}
			return ReasonInvalidMCPHeaders
		}
		e.mcpHeaders = h
		return ReasonNone
	}
	// Methods are case-sensitive (RFC 9110 §9.1), but an upstream that reads
	// "post" as POST must not see it without the operation's scopes.
	if len(r.Operations) == 0 || !lex.EqualFold(v.method, "post") {
		return ReasonNone
	}
	h, err := e.mcpParser.ParseRaw(&v.mcp) // gathered by requestView.read
	if err != nil {
		if e.tracing() {
			e.trace("operation", false, err.Error())
		}
		return ReasonInvalidMCPHeaders
	}
	e.mcpHeaders = h
	need, ok := r.Rules.Select(&h)
	if e.tracing() {
		e.trace("operation", ok, e.describeOperation(r, &h, need, ok))
	}
	if !ok {
		return ReasonInvalidMCPHeaders
	}
	e.need = need
	return ReasonNone
}

func (e *Engine) describeOperation(r *config.Resource, h *mcp.Headers, need *mcp.Need, ok bool) string {
	version := strconv.Quote(h.Version)
	if h.Version == "" {
		version = "absent"
	}
	if h.Era == mcp.EraLegacy {
		if !ok {
			return "MCP-Protocol-Version " + version + " is older than " + mcp.FirstTrustedVersion + ": its headers are not checked against the body, and legacy_protocol is reject"
		}
		return "MCP-Protocol-Version " + version + " is older than " + mcp.FirstTrustedVersion + ": legacy_protocol require_all needs every rule's scopes " + quoteList(need.Scopes())
	}
	what := "Mcp-Method " + strconv.Quote(h.Method)
	if h.Name != "" {
		what += ", Mcp-Name " + strconv.Quote(h.Name)
	}
	if i := need.Rule(); i >= 0 {
		op := r.Rules.Operation(i)
		rule := "operations[" + strconv.Itoa(i) + "] (method " + strconv.Quote(op.Method)
		if op.Name != "" {
			rule += ", name " + strconv.Quote(op.Name)
		}
		return what + ": rule " + rule + ") needs " + quoteList(need.Scopes())
	}
	return what + ": no rule; required_scopes " + quoteList(need.Scopes())
}

// checkScopes is docs/request-flow.md#12-scopes: the token's granted scopes ("scope", else
// "scp"), closed under scope_implies, must cover e.need.
func (e *Engine) checkScopes(r *config.Resource, claims *jwtlite.Claims) Reason {
	// A cached entry remembers the last Need its scopes covered: a Need is
	// compiled once (scopes and implications) and the claims are fixed.
	ent := e.hit
	if ent != nil && ent.scopesOK == e.need && !e.tracing() {
		return ReasonNone
	}
	missing, ok := e.checker.Check(e.need, claims.EachScope, e.missing[:0])
	e.missing = missing
	if ok && ent != nil {
		ent.scopesOK = e.need
	}
	if e.tracing() {
		granted := claims.Scopes()
		detail := "needed " + quoteList(e.need.Scopes()) + ", granted " + quoteList(granted)
		if r.Implications != nil {
			var closed []string
			for _, g := range granted {
				if all := r.Implications.Grants(g); all != nil {
					closed = append(closed, all...)
				} else {
					closed = append(closed, g)
				}
			}
			detail += " (with scope_implies: " + quoteList(closed) + ")"
		}
		if !ok {
			detail += ", missing " + quoteList(missing)
		}
		e.trace("scopes", ok, detail)
	}
	if !ok {
		return ReasonInsufficientScope
	}
	return ReasonNone
}

// logSafe reports whether an MCP header value may go into a log line as is:
// printable ASCII without spaces (a decoded =?base64?…?= value may hold
// anything, a line break included).
func logSafe(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
