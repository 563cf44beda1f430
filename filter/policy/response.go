package policy

import (
	"strconv"
	"strings"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/filter/mcp"
	"github.com/audguard/audguard/internal/jsonw"
	"github.com/audguard/audguard/internal/lex"
	"github.com/audguard/audguard/internal/textblock"
)

// resourceReplies holds what the responses for one resource need, computed
// once at start (docs/responses.md, RFC 9728 §3.2, §5.1).
type resourceReplies struct {
	// metadataParam is `resource_metadata="<metadata URL>"` (RFC 9728 §5.1).
	metadataParam string
	// scopeParam is `scope="<required scopes>"`, or "" without required scopes.
	scopeParam string
	// missingChallenge is the whole WWW-Authenticate value for a request
	// without a token: no error attribute (RFC 6750 §3.1).
	missingChallenge string
	// algsParam is `algs="<dpop_algorithms>"` (RFC 9449 §7.1) and
	// dpopMissing the whole DPoP challenge for a request without a token;
	// both "" when the resource's dpop is "off".
	algsParam   string
	dpopMissing string
	// metadataDoc is the RFC 9728 §3.2 protected-resource metadata document,
	// rendered on first use (10,000 resources need not render 10,000
	// documents at start).
	metadataDoc []byte
}

func newResourceReplies(r *config.Resource, tb *textblock.Block) resourceReplies {
	var rr resourceReplies
	if sc := r.Rules.Base().Scopes(); len(sc) > 0 {
		rr.scopeParam = `scope="` + strings.Join(sc, " ") + `"`
	}
	// One string; metadataParam is a part of it. It is carved from tb, a
	// block many resources' challenges share (no allocation per resource
	// at start).
	const bearer, param = "Bearer ", `resource_metadata="`
	if rr.scopeParam != "" {
		rr.missingChallenge = tb.Join(bearer, param, r.MetadataURL, `", `, rr.scopeParam)
	} else {
		rr.missingChallenge = tb.Join(bearer, param, r.MetadataURL, `"`)
	}
	rr.metadataParam = rr.missingChallenge[len(bearer) : len(bearer)+len(param)+len(r.MetadataURL)+1]
	if r.DPoP != config.DPoPOff {
		algs := make([]string, len(r.DPoPAlgorithms))
		for i, a := range r.DPoPAlgorithms {
			algs[i] = string(a)
		}
		rr.algsParam = `algs="` + strings.Join(algs, " ") + `"`
		rr.dpopMissing = rr.dpopChallenge(rr.missingChallenge)
	}
	return rr
}

// dpopChallenge turns a Bearer challenge of challenge into the DPoP one: the
// same parameters after algs (RFC 9449 §7.1).
func (rr *resourceReplies) dpopChallenge(bearer string) string {
	if bearer == rr.missingChallenge && rr.dpopMissing != "" {
		return rr.dpopMissing
	}
	return "DPoP " + rr.algsParam + ", " + strings.TrimPrefix(bearer, "Bearer ")
}

// metadataDocument renders the RFC 9728 §3.2 document for r. Its `resource`
// comes from the configured canonical URI alone, never from the request
// (docs/configuration.md#canonical-resource-uri).
func metadataDocument(r *config.Resource) []byte {
	b := make([]byte, 0, 128+len(r.URI))
	b = append(b, `{"resource":`...)
	b = jsonw.String(b, r.URI)
	b = append(b, `,"authorization_servers":`...)
	b = jsonw.Strings(b, r.AuthorizationServers)
	if sc := published(r.ScopesSupported); len(sc) > 0 {
		b = append(b, `,"scopes_supported":`...)
		b = jsonw.Strings(b, sc)
	}
	b = append(b, `,"bearer_methods_supported":["header"]`...)
	if r.DPoP != config.DPoPOff {
		// RFC 9728 §2: the proof algorithms, and whether DPoP is the only way in.
		algs := make([]string, len(r.DPoPAlgorithms))
		for i, a := range r.DPoPAlgorithms {
			algs[i] = string(a)
		}
		b = append(b, `,"dpop_signing_alg_values_supported":`...)
		b = jsonw.Strings(b, algs)
		b = append(b, `,"dpop_bound_access_tokens_required":`...)
		b = jsonw.Bool(b, r.DPoP == config.DPoPRequired)
	}
	return append(b, '}')
}

// PublishedScopes is what r's metadata document lists as scopes_supported
// (RFC 9728 §2): its scopes_supported without offline_access.
func PublishedScopes(r *config.Resource) []string { return published(r.ScopesSupported) }

// published is scopes_supported without offline_access, which a resource
// never advertises (MCP 2026-07-28 authorization; docs/configuration.md).
func published(scopes []string) []string {
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		if s != "offline_access" {
			out = append(out, s)
		}
	}
	return out
}

// errorBody renders the small JSON body of a local reply (docs/responses.md).
// descOneHost describes the 400 for a request with several Host headers
// (RFC 9112 §3.2), which has no resource and so no challenge.
const descOneHost = "The request must carry exactly one Host header."

func errorBody(code, description string) []byte {
	b := make([]byte, 0, 48+len(code)+len(description))
	b = append(b, `{"error":"`...)
	b = append(b, code...)
	b = append(b, `","error_description":"`...)
	b = append(b, description...)
	b = append(b, `"}`...)
	return b
}

// jsonrpcErrorBody is a JSON-RPC 2.0 error response (§5): id is the JSON
// text of the request's id ("null" when it cannot be read), or "" to leave
// the member out (MCP 2026-07-28, "Security & Endpoint": an Origin refusal
// has no id). description is a fixed sentence.
func jsonrpcErrorBody(code int, description, id string) []byte {
	b := make([]byte, 0, 64+len(description)+len(id))
	b = append(b, `{"jsonrpc":"2.0",`...)
	if id != "" {
		b = append(b, `"id":`...)
		b = append(b, id...)
		b = append(b, ',')
	}
	b = append(b, `"error":{"code":`...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, `,"message":"`...)
	b = append(b, description...)
	b = append(b, `"}}`...)
	return b
}

// challenge renders the WWW-Authenticate value for a denial (docs/responses.md),
// as reasonTable says. need is the set of scopes the request needs (§5.6):
// the 401 without a token and the 403 insufficient_scope both name all of it,
// so a client that reads either gets a sufficient token on its first try
// (MCP 2026-07-28 authorization, scope challenges). Only fixed sentences and
// configured values go into it.
func (rr *resourceReplies) challenge(reason Reason, need *mcp.Need, base *mcp.Need, desc string) string {
	info := reasonTable[reason]
	if desc != "" {
		info.description = desc
	}
	scopeParam := rr.scopeParam
	if need != nil && need != base {
		scopeParam = ""
		if sc := need.Scopes(); len(sc) > 0 {
			scopeParam = `scope="` + strings.Join(sc, " ") + `"`
		}
	}
	switch info.challenge {
	case challengeNoToken:
		if scopeParam == rr.scopeParam {
			return rr.missingChallenge
		}
		if scopeParam == "" {
			return "Bearer " + rr.metadataParam
		}
		return "Bearer " + rr.metadataParam + ", " + scopeParam
	case challengeInvalidReq:
		return `Bearer error="invalid_request", error_description="` + info.description + `", ` + rr.metadataParam
	case challengeInsufficient:
		return `Bearer error="insufficient_scope", ` + scopeParam + `, ` + rr.metadataParam +
			`, error_description="` + info.description + `"`
	case challengeInvalidToken:
		return `Bearer error="invalid_token", error_description="` + info.description + `", ` + rr.metadataParam
	case challengeInvalidProof, challengeUseNonce: // sent as DPoP challenges only (dpopChallenge)
		return `Bearer error="` + info.code + `", error_description="` + info.description + `", ` + rr.metadataParam
	}
	return ""
}

// Header names and fixed values of local replies.
const (
	hdrContentType     = "content-type"
	hdrWWWAuthenticate = "www-authenticate"
	hdrACAO            = "access-control-allow-origin"
	hdrACEH            = "access-control-expose-headers"
	hdrACAM            = "access-control-allow-methods"
	hdrACAH            = "access-control-allow-headers"
	hdrACMA            = "access-control-max-age"
	hdrAllow           = "allow"
	hdrRetryAfter      = "retry-after"
	hdrDPoPNonce       = "dpop-nonce"
	mimeJSON           = "application/json"
	metadataMethods    = "GET, HEAD, OPTIONS"
	preflightMaxAge    = "86400"
)

// sanitizeHeaderList returns v when it is a safe comma-separated list of
// header names to echo in access-control-allow-headers, else "".
func sanitizeHeaderList(v string) string {
	if len(v) > 1024 {
		return ""
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ',' || c == ' ' || lex.Is(c, lex.TChar) {
			continue
		}
		return ""
	}
	return v
}
