package policy

// Reason is the closed set of denial reasons of contract §7. The zero value
// means "no denial".
type Reason uint8

// The reasons, in contract §7 order.
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
	numReasons
)

var reasonNames = [numReasons]string{
	ReasonNone:                 "",
	ReasonMissingToken:         "missing_token",
	ReasonInvalidRequest:       "invalid_request",
	ReasonTokenInQuery:         "token_in_query",
	ReasonMalformedToken:       "malformed_token",
	ReasonTokenTooLarge:        "token_too_large",
	ReasonUnsupportedAlgorithm: "unsupported_algorithm",
	ReasonUnknownKey:           "unknown_key",
	ReasonBadSignature:         "bad_signature",
	ReasonUnknownIssuer:        "unknown_issuer",
	ReasonExpired:              "expired",
	ReasonNotYetValid:          "not_yet_valid",
	ReasonIssuedInFuture:       "issued_in_future",
	ReasonWrongTokenType:       "wrong_token_type",
	ReasonMissingClaim:         "missing_claim",
	ReasonWrongAudience:        "wrong_audience",
	ReasonExtraAudience:        "extra_audience",
	ReasonInsufficientScope:    "insufficient_scope",
	ReasonUnmatchedResource:    "unmatched_resource",
}

// descriptions are the only error_description texts ever sent (contract §6):
// fixed sentences that never carry a token, claim value, key id or signature.
// They use only the characters RFC 6750 §3 allows in error_description.
var descriptions = [numReasons]string{
	ReasonMissingToken:         "A bearer access token is required.",
	ReasonInvalidRequest:       "The request must carry exactly one well-formed Bearer Authorization header.",
	ReasonTokenInQuery:         "Access tokens are not accepted in the query string; use the Authorization header.",
	ReasonMalformedToken:       "The access token is malformed.",
	ReasonTokenTooLarge:        "The access token is too large.",
	ReasonUnsupportedAlgorithm: "The access token uses an unsupported signing algorithm or header.",
	ReasonUnknownKey:           "The access token was not signed with a trusted key.",
	ReasonBadSignature:         "The access token signature is invalid.",
	ReasonUnknownIssuer:        "The access token issuer is not accepted for this resource.",
	ReasonExpired:              "The access token has expired.",
	ReasonNotYetValid:          "The access token is not valid yet.",
	ReasonIssuedInFuture:       "The access token was issued in the future.",
	ReasonWrongTokenType:       "The access token has the wrong type; an at+jwt access token is required.",
	ReasonMissingClaim:         "The access token lacks a required claim.",
	ReasonWrongAudience:        "The access token was not issued for this resource.",
	ReasonExtraAudience:        "The access token names other audiences; this resource requires a token issued for it alone.",
	ReasonInsufficientScope:    "The access token lacks a required scope.",
	ReasonUnmatchedResource:    "No protected resource is configured for this request.",
}

// String returns the contract §7 reason name ("" for ReasonNone).
func (r Reason) String() string {
	if r >= numReasons {
		return "unknown"
	}
	return reasonNames[r]
}

// Description returns the fixed error_description sentence for r.
func (r Reason) Description() string {
	if r >= numReasons {
		return ""
	}
	return descriptions[r]
}

// Reasons returns every reason of the closed set, in contract §7 order.
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
		if reasonNames[r] == s {
			return r, true
		}
	}
	return ReasonNone, false
}
