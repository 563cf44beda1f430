package policy

import (
	"strings"

	"github.com/audguard/audguard/filter/mcp"
	"github.com/audguard/audguard/internal/lex"
)

// Request is what the host tells the filter about one HTTP request. The glue
// fills it from proxy-wasm host calls; the CLI and tests fill it directly.
type Request struct {
	// Headers are all request headers as the host lists them (HTTP/2 style:
	// lower-case names, pseudo-headers such as ":path" included), in order.
	// Repeated headers appear once per value; that is how a second
	// Authorization header is noticed (docs/request-flow.md#10-token-extraction).
	Headers [][2]string
	// EndOfStream is true when the headers end the request (no body).
	EndOfStream bool

	// RouteName is the Envoy property xds.route_name; HasRoute is false when
	// the host does not have the property.
	RouteName string
	HasRoute  bool
	// VirtualHost is the Envoy property xds.virtual_host_name.
	VirtualHost    string
	HasVirtualHost bool

	// XDS is true when the host is known to serve Envoy's xds.* properties
	// (the glue learns it once Envoy has answered one). Under authority_from
	// "auto" it selects the exact :authority (docs/request-flow.md#6-resource); so does
	// HasVirtualHost.
	XDS bool
	// HostVar is nginx's $host (property ngx.host) when the host has it
	// (ngx_wasm_module). Under authority_from "host" it is preferred to the
	// Host header: it is the value nginx chose the server by, even when the
	// request line is in absolute form (RFC 9112 §3.2.2) and names another
	// host than the Host header.
	HostVar    string
	HasHostVar bool

	// ID names the request to the key state (the glue's HTTP context id): a
	// request whose key is not known yet may wait for a fetch (docs/configuration.md#remote-key-sets-jwks_uri).
	ID uint32
	// MayWait: the request may be paused for a key fetch. False when it has
	// waited once already, and in report mode.
	MayWait bool

	// The body (docs/request-flow.md#9-mcp-operation): after a decision
	// with OutcomeHold the glue holds the request until its body is whole,
	// then decides it again with HasBody and Body (nil for an empty body),
	// or with BodyTooLarge once more than the resource's max_body_bytes
	// arrived.
	Body         []byte
	HasBody      bool
	BodyTooLarge bool
}

// requestView is the part of the headers the decision reads, gathered in one
// pass (docs/request-flow.md).
type requestView struct {
	method, path, authority, origin string
	acrMethod, acrHeaders           string
	hasOrigin, hasACRMethod         bool
	originCount                     int
	hasACRHeaders                   bool
	authorization                   string
	authCount                       int
	dpop                            [2]string // the first two DPoP headers (RFC 9449 §4.1): two are one too many
	dpopCount                       int
	host                            string // first Host header
	hostCount                       int
	announcesBody                   bool  // a content-length other than "0", or a transfer-encoding
	contentLength                   int64 // the content-length value; -1 when absent or not one decimal number
	requestID                       string
	mcp                             mcp.Raw // Mcp-Method, Mcp-Name, MCP-Protocol-Version
}

// dpopProofs lists the request's DPoP header values for dpop.OneProof (at
// most two: enough to tell one from several).
func (v *requestView) dpopProofs() []string { return v.dpop[:min(v.dpopCount, len(v.dpop))] }

func (v *requestView) read(headers [][2]string) {
	v.contentLength = -1
	for _, h := range headers {
		name, value := h[0], h[1]
		// One or two comparisons per header: the names looked for have
		// different lengths but for ":authority" and "mcp-method".
		switch len(name) {
		case len(":method"), len(":path"), len(":authority"): // len("mcp-method") too
			switch name {
			case ":method":
				v.method = value
			case ":path":
				v.path = value
			case ":authority":
				v.authority = value
			default:
				v.mcp.Add(name, value)
			}
		case len("mcp-protocol-version"), len("mcp-name"):
			v.mcp.Add(name, value)
		case len("host"):
			if lex.EqualFold(name, "host") {
				v.hostCount++
				if v.hostCount == 1 {
					v.host = value
				}
			} else if lex.EqualFold(name, "dpop") {
				if v.dpopCount < len(v.dpop) {
					v.dpop[v.dpopCount] = value
				}
				v.dpopCount++
			}
		case len("content-length"):
			if lex.EqualFold(name, "content-length") {
				v.announcesBody = v.announcesBody || value != "0"
				v.contentLength = decimal(value)
			}
		case len("transfer-encoding"):
			if lex.EqualFold(name, "transfer-encoding") {
				v.announcesBody = true
			}
		case len("authorization"):
			if lex.EqualFold(name, "authorization") {
				v.authCount++
				if v.authCount == 1 {
					v.authorization = value
				}
			}
		case len("origin"):
			if lex.EqualFold(name, "origin") {
				v.origin, v.hasOrigin = value, true
				v.originCount++
			}
		case len("access-control-request-method"):
			if lex.EqualFold(name, "access-control-request-method") {
				v.acrMethod, v.hasACRMethod = value, true
			}
		case len("access-control-request-headers"):
			if lex.EqualFold(name, "access-control-request-headers") {
				v.acrHeaders, v.hasACRHeaders = value, true
			}
		case len("x-request-id"):
			if lex.EqualFold(name, "x-request-id") {
				v.requestID = value
			}
		}
	}
}

// noBody reports whether the headers announce no request body
// (docs/request-flow.md#5-cors-preflight): end of stream on the headers, or, on a host that never reports end
// of stream with the headers (ngx_wasm_module), neither a content-length
// other than "0" nor a transfer-encoding (RFC 9112 §6.3: such a request has
// no body).
func (v *requestView) noBody(req *Request) bool {
	if req.EndOfStream {
		return true
	}
	if req.XDS || req.HasVirtualHost || req.HasRoute {
		return false // Envoy reports end of stream; trust nothing else there
	}
	return !v.announcesBody
}

// decimal reads a content-length value (RFC 9110 §8.6: 1*DIGIT); -1 when it
// is not one, or does not fit.
func decimal(s string) int64 {
	if s == "" || len(s) > 18 {
		return -1
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// pathOnly returns the path of a :path value, before any "?".
func pathOnly(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}
