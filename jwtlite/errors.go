package jwtlite

import "errors"

// Sentinel errors, one per denial reason (docs/responses.md#denials) that belongs to token verification, plus the
// configuration errors of ParseKeySet. Returned errors wrap them; test with errors.Is.
var (
	ErrTokenTooLarge        = errors.New("jwtlite: token too large")
	ErrMalformed            = errors.New("jwtlite: malformed token")
	ErrUnsupportedAlgorithm = errors.New("jwtlite: unsupported algorithm")
	ErrMissingClaim         = errors.New("jwtlite: missing claim")
	ErrUnknownIssuer        = errors.New("jwtlite: unknown issuer")
	ErrUnknownKey           = errors.New("jwtlite: unknown key")
	ErrBadSignature         = errors.New("jwtlite: bad signature")
	ErrWrongTokenType       = errors.New("jwtlite: wrong token type")
	ErrExpired              = errors.New("jwtlite: token expired")
	ErrNotYetValid          = errors.New("jwtlite: token not yet valid")
	ErrIssuedInFuture       = errors.New("jwtlite: token issued in the future")
	ErrWrongAudience        = errors.New("jwtlite: wrong audience")
	ErrExtraAudience        = errors.New("jwtlite: extra audience")

	// ErrInvalidKey: a JWK Set or an "algorithms" list breaks a rule of docs/configuration.md#keys.
	ErrInvalidKey = errors.New("jwtlite: invalid key")
	// ErrNoUsableKey: after skipping, no usable key is left (docs/configuration.md#keys).
	ErrNoUsableKey = errors.New("jwtlite: no usable key")
	// ErrRSAParameters: an RSA key whose modulus is outside 2048–8192 bits or whose public
	// exponent is not odd with 3 ≤ e ≤ 2³¹−1 (docs/configuration.md#keys). An error wrapping
	// it wraps ErrInvalidKey too.
	ErrRSAParameters = errors.New("jwtlite: RSA modulus or exponent out of range")
	// ErrPrivateKey: a JWK with private key members (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2), or
	// an "oct" key's secret outside an issuer whose algorithms list an HS algorithm
	// (docs/configuration.md#keys). An error wrapping it wraps ErrInvalidKey too.
	ErrPrivateKey = errors.New("jwtlite: private key material")
)

// reasons maps each verification sentinel to its reason string (docs/responses.md#denials).
var reasons = [...]struct {
	err    error
	reason string
}{
	{ErrTokenTooLarge, "token_too_large"},
	{ErrMalformed, "malformed_token"},
	{ErrUnsupportedAlgorithm, "unsupported_algorithm"},
	{ErrMissingClaim, "missing_claim"},
	{ErrUnknownIssuer, "unknown_issuer"},
	{ErrUnknownKey, "unknown_key"},
	{ErrBadSignature, "bad_signature"},
	{ErrWrongTokenType, "wrong_token_type"},
	{ErrExpired, "expired"},
	{ErrNotYetValid, "not_yet_valid"},
	{ErrIssuedInFuture, "issued_in_future"},
	{ErrWrongAudience, "wrong_audience"},
	{ErrExtraAudience, "extra_audience"},
}

// Reason returns the reason string (docs/responses.md#denials) for an error wrapping a verification sentinel,
// or "" for nil, configuration errors and anything else.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	// Fast path: the sentinels themselves, as returned by the hot paths, without unwrapping.
	for _, r := range reasons {
		if err == r.err {
			return r.reason
		}
	}
	for _, r := range reasons {
		if errors.Is(err, r.err) {
			return r.reason
		}
	}
	return ""
}
