package policy

import (
	"errors"

	"github.com/audguard/audguard/jwtlite"
)

// Reason is the closed set of denial reasons of docs/metrics.md. The zero value
// means "no denial".
type Reason uint8

// The reasons, in docs/metrics.md order.
const (
	ReasonNone Reason = iota
	ReasonMissingToken
	ReasonInvalidRequest
	ReasonTokenInQuery
	ReasonMalformedToken
	ReasonTokenTooLarge
	ReasonUnsupportedAlgorithm
	ReasonUnknownKey
	ReasonBadSignature
	ReasonUnknownIssuer
	ReasonExpired
	ReasonNotYetValid
	ReasonIssuedInFuture
	ReasonWrongTokenType
	ReasonMissingClaim
	ReasonWrongAudience
	ReasonExtraAudience
	ReasonInsufficientScope
	ReasonUnmatchedResource
	ReasonRevoked
	ReasonKeysUnavailable
	ReasonForbiddenOrigin
	ReasonInvalidMCPHeaders
	ReasonInvalidMCPBody
	ReasonHeaderMismatch
	ReasonBodyTooLarge
	ReasonInvalidDPoPProof
	ReasonDPoPReplayed
	ReasonUseDPoPNonce
	ReasonDPoPBinding
	numReasons
)

// challengeKind says which WWW-Authenticate a denial carries (docs/responses.md).
type challengeKind uint8

const (
	challengeNone         challengeKind = iota // no challenge (unmatched: no resource to name)
	challengeNoToken                           // Bearer resource_metadata="…"[, scope="…"] (RFC 6750 §3.1)
	challengeInvalidToken                      // error="invalid_token"
	challengeInvalidReq                        // error="invalid_request"
	challengeInsufficient                      // error="insufficient_scope", scope="…"
	challengeInvalidProof                      // DPoP error="invalid_dpop_proof" (RFC 9449 §7.1)
	challengeUseNonce                          // DPoP error="use_dpop_nonce" (RFC 9449 §9), with a DPoP-Nonce header
)

// reasonInfo is everything the filter says about one reason: its name in
// counters and logs (docs/metrics.md), the HTTP status and body `error` of the
// local reply and its challenge (§6), the fixed error_description, and the
// jwtlite sentinel it comes from, if any. Adding a reason means adding a
// constant above and a row here.
type reasonInfo struct {
	name        string
	status      uint32
	code        string // the body's "error" (RFC 6750 §3.1 code, or a docs/responses.md word)
	challenge   challengeKind
	description string // fixed; never a token, claim value, key id or signature (RFC 6750 §3 charset)
	sentinel    error  // the jwtlite error that maps to this reason, or nil
}

var reasonTable = [numReasons]reasonInfo{
	ReasonNone: {},
	ReasonMissingToken: {"missing_token", 401, "unauthorized", challengeNoToken,
		"A bearer access token is required.", nil},
	ReasonInvalidRequest: {"invalid_request", 400, "invalid_request", challengeInvalidReq,
		"The request must carry exactly one well-formed Bearer Authorization header.", nil},
	ReasonTokenInQuery: {"token_in_query", 400, "invalid_request", challengeInvalidReq,
		"Access tokens are not accepted in the query string; use the Authorization header.", nil},
	ReasonMalformedToken: {"malformed_token", 401, "invalid_token", challengeInvalidToken,
		"The access token is malformed.", jwtlite.ErrMalformed},
	ReasonTokenTooLarge: {"token_too_large", 401, "invalid_token", challengeInvalidToken,
		"The access token is too large.", jwtlite.ErrTokenTooLarge},
	ReasonUnsupportedAlgorithm: {"unsupported_algorithm", 401, "invalid_token", challengeInvalidToken,
		"The access token uses an unsupported signing algorithm or header.", jwtlite.ErrUnsupportedAlgorithm},
	ReasonUnknownKey: {"unknown_key", 401, "invalid_token", challengeInvalidToken,
		"The access token was not signed with a trusted key.", jwtlite.ErrUnknownKey},
	ReasonBadSignature: {"bad_signature", 401, "invalid_token", challengeInvalidToken,
		"The access token signature is invalid.", jwtlite.ErrBadSignature},
	ReasonUnknownIssuer: {"unknown_issuer", 401, "invalid_token", challengeInvalidToken,
		"The access token issuer is not accepted for this resource.", jwtlite.ErrUnknownIssuer},
	ReasonExpired: {"expired", 401, "invalid_token", challengeInvalidToken,
		"The access token has expired.", jwtlite.ErrExpired},
	ReasonNotYetValid: {"not_yet_valid", 401, "invalid_token", challengeInvalidToken,
		"The access token is not valid yet.", jwtlite.ErrNotYetValid},
	ReasonIssuedInFuture: {"issued_in_future", 401, "invalid_token", challengeInvalidToken,
		"The access token was issued in the future.", jwtlite.ErrIssuedInFuture},
	ReasonWrongTokenType: {"wrong_token_type", 401, "invalid_token", challengeInvalidToken,
		"The access token has the wrong type; an at+jwt access token is required.", jwtlite.ErrWrongTokenType},
	ReasonMissingClaim: {"missing_claim", 401, "invalid_token", challengeInvalidToken,
		"The access token lacks a required claim.", jwtlite.ErrMissingClaim},
	ReasonWrongAudience: {"wrong_audience", 401, "invalid_token", challengeInvalidToken,
		"The access token was not issued for this resource.", jwtlite.ErrWrongAudience},
	ReasonExtraAudience: {"extra_audience", 401, "invalid_token", challengeInvalidToken,
		"The access token names other audiences; this resource requires a token issued for it alone.", jwtlite.ErrExtraAudience},
	ReasonInsufficientScope: {"insufficient_scope", 403, "insufficient_scope", challengeInsufficient,
		"The access token lacks a required scope.", nil},
	ReasonUnmatchedResource: {"unmatched_resource", 403, "access_denied", challengeNone,
		"No protected resource is configured for this request.", nil},
	ReasonRevoked: {"revoked", 401, "invalid_token", challengeInvalidToken,
		"The access token has been revoked.", nil},
	ReasonKeysUnavailable: {"keys_unavailable", 503, "temporarily_unavailable", challengeNone,
		"The keys to verify the access token cannot be had right now; try again shortly.", nil},
	ReasonForbiddenOrigin: {"forbidden_origin", 403, "forbidden_origin", challengeNone,
		"The request Origin is not allowed for this resource.", nil},
	ReasonInvalidMCPHeaders: {"invalid_mcp_headers", 400, "invalid_request", challengeInvalidReq,
		"The MCP request headers (MCP-Protocol-Version, Mcp-Method, Mcp-Name) are missing, repeated or malformed.", nil},
	ReasonInvalidMCPBody: {"invalid_mcp_body", 400, "invalid_request", challengeNone,
		"The request body is not one well-formed JSON-RPC message or batch.", nil},
	ReasonHeaderMismatch: {"header_mismatch", 400, "invalid_request", challengeNone,
		"The Mcp-Method or Mcp-Name header is missing or does not match the JSON-RPC body.", nil},
	ReasonBodyTooLarge: {"body_too_large", 413, "request_too_large", challengeNone,
		"The request body is larger than this resource accepts.", nil},
	ReasonInvalidDPoPProof: {"invalid_dpop_proof", 401, "invalid_dpop_proof", challengeInvalidProof,
		"The DPoP proof is missing or invalid.", nil},
	ReasonDPoPReplayed: {"dpop_replayed", 401, "invalid_dpop_proof", challengeInvalidProof,
		"The DPoP proof was used before; send a new proof with every request.", nil},
	ReasonUseDPoPNonce: {"use_dpop_nonce", 401, "use_dpop_nonce", challengeUseNonce,
		"The DPoP proof must carry the nonce this resource provides in the DPoP-Nonce header.", nil},
	ReasonDPoPBinding: {"dpop_binding", 401, "invalid_token", challengeInvalidToken,
		"The access token is not bound to the DPoP proof key, or a DPoP-bound token was presented without a proof.", nil},
}

// jsonrpcCodes are the reasons answered with a JSON-RPC error body rather
// than {"error", "error_description"}: an MCP client reads those (MCP
// 2026-07-28, basic/transports/streamable-http: "Security & Endpoint" for
// Origin, "Server Validation" for HeaderMismatch -32020). The message is the
// reason's description.
var jsonrpcCodes = [numReasons]int{
	ReasonForbiddenOrigin: -32600, // Invalid Request (JSON-RPC 2.0 §5.1); the transport names no code
	ReasonInvalidMCPBody:  -32600,
	ReasonHeaderMismatch:  -32020, // HeaderMismatch
}

// reasonWait is not a denial: the request waits for a key fetch
// (OutcomeWait). It never leaves the engine as a Decision's Reason.
const reasonWait Reason = 255

// String returns the docs/metrics.md reason name ("" for ReasonNone).
func (r Reason) String() string {
	if r >= numReasons {
		return "unknown"
	}
	return reasonTable[r].name
}

// Description returns the fixed error_description sentence for r.
func (r Reason) Description() string {
	if r >= numReasons {
		return ""
	}
	return reasonTable[r].description
}

// Reasons returns every reason of the closed set, in docs/metrics.md order.
func Reasons() []Reason {
	out := make([]Reason, 0, numReasons-1)
	for r := ReasonNone + 1; r < numReasons; r++ {
		out = append(out, r)
	}
	return out
}

// ParseReason maps a reason name back to its Reason.
func ParseReason(s string) (Reason, bool) {
	for r := ReasonNone + 1; r < numReasons; r++ {
		if reasonTable[r].name == s {
			return r, true
		}
	}
	return ReasonNone, false
}

// reasonOf maps an error from jwtlite to its reason through the sentinel
// column of reasonTable; fallback for anything unexpected (fail closed: it
// is still a denial).
func reasonOf(err error, fallback Reason) Reason {
	for r := ReasonNone + 1; r < numReasons; r++ {
		if s := reasonTable[r].sentinel; s != nil && err == s {
			return r
		}
	}
	for r := ReasonNone + 1; r < numReasons; r++ {
		if s := reasonTable[r].sentinel; s != nil && errors.Is(err, s) {
			return r
		}
	}
	return fallback
}
