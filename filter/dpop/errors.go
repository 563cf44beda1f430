package dpop

import "errors"

// Sentinel errors, one per check. Verify and the binding helpers return them unwrapped
// (compare with == or errors.Is); configuration errors wrap ErrConfig. No error carries
// proof, token or key bytes.
var (
	// ErrMissing: no DPoP header, or an empty one (RFC 9449 §4.1, §7.1).
	ErrMissing = errors.New("dpop: no proof")
	// ErrMultiple: more than one DPoP header, or one value holding several (a comma, as an
	// intermediary joins repeated fields) (RFC 9449 §4.3 step 1).
	ErrMultiple = errors.New("dpop: more than one proof")
	// ErrTooLarge: the proof is longer than Config.MaxProofBytes; refused before decoding.
	ErrTooLarge = errors.New("dpop: proof too large")
	// ErrMalformed: not one JWS compact serialization of a JWT: three parts, strict unpadded
	// base64url, UTF-8 JSON objects without duplicate members at any depth, "kid"/"typ"
	// strings when present (RFC 9449 §4.3 step 2; RFC 7515 §7.1, RFC 7519 §7.2).
	ErrMalformed = errors.New("dpop: malformed proof")
	// ErrType: header "typ" is not "dpop+jwt" (RFC 9449 §4.2, §4.3 step 4).
	ErrType = errors.New("dpop: wrong typ")
	// ErrAlgorithm: "alg" missing, "none", unknown, symmetric or not in Config.Algorithms, or
	// a "crit" header, which no extension we implement allows (RFC 9449 §4.3 step 5, RFC
	// 7515 §4.1.11).
	ErrAlgorithm = errors.New("dpop: algorithm not accepted")
	// ErrNoKey: the header has no "jwk" member, or it is not a JSON object (RFC 9449 §4.2).
	ErrNoKey = errors.New("dpop: no jwk")
	// ErrPrivateKey: "jwk" holds a private or symmetric member: d, p, q, dp, dq, qi, oth, k
	// (RFC 9449 §4.3 step 7; RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
	ErrPrivateKey = errors.New("dpop: jwk holds private key material")
	// ErrKeyUnusable: "jwk" is not a public key usable with "alg": wrong kty or curve, a
	// point off its curve, RSA outside 2048–8192 bits, "use"/"key_ops"/"alg" members that
	// exclude it (jwtlite.ParseKey's rules; RFC 7518 §6, RFC 8037 §2).
	ErrKeyUnusable = errors.New("dpop: jwk not usable with alg")
	// ErrSignature: the signature does not verify under "jwk" (RFC 9449 §4.3 step 6).
	ErrSignature = errors.New("dpop: bad signature")
	// ErrJTI: "jti" missing, not a string, empty or longer than Config.MaxJTIBytes (RFC 9449
	// §4.2, §11.1).
	ErrJTI = errors.New("dpop: bad jti")
	// ErrMethod: "htm" missing, not a string or not the request's method (RFC 9449 §4.3
	// step 8).
	ErrMethod = errors.New("dpop: htm does not match")
	// ErrTarget: "htu" missing, not a string, not an http(s) URI, or not the request's
	// target URI after normalization (RFC 9449 §4.3 step 9). Also returned when
	// Request.Target itself is not a valid target URI.
	ErrTarget = errors.New("dpop: htu does not match")
	// ErrNonce: a nonce is required (Config.Nonce set) and "nonce" is missing, not a
	// string, or not one the checker accepts (RFC 9449 §4.3 step 10, §9). The response is
	// 401 with error "use_dpop_nonce" and a fresh DPoP-Nonce header.
	ErrNonce = errors.New("dpop: nonce missing or not valid")
	// ErrIssuedAt: "iat" missing, not a NumericDate, older than Config.MaxAge or further
	// ahead than Config.MaxFuture (RFC 9449 §4.3 step 11, §11.1).
	ErrIssuedAt = errors.New("dpop: iat outside the accepted window")
	// ErrTokenHash: an access token came with the proof and "ath" is missing, not a string
	// or not base64url(SHA-256(token)) (RFC 9449 §4.2, §4.3 step 12, §7.1).
	ErrTokenHash = errors.New("dpop: ath does not match the access token")

	// ErrReplayed: the proof was seen before within its window (RFC 9449 §11.1). Verify
	// does not return it; the caller does when ReplaySet.Seen reports a replay.
	ErrReplayed = errors.New("dpop: proof replayed")

	// ErrConfirmation: the access token's "cnf" claim is present but not a JSON object, or
	// its "jkt" is not a string of 43 base64url characters (RFC 7800 §3.1, RFC 9449 §6.1).
	ErrConfirmation = errors.New("dpop: malformed cnf claim")
	// ErrNotBound: a token without "cnf"."jkt" was presented with the DPoP scheme. RFC 9449
	// §7.1 asks the resource to confirm the key the token is bound to; an unbound token has
	// none, so the safer reading refuses it (use the Bearer scheme for unbound tokens).
	ErrNotBound = errors.New("dpop: access token is not DPoP-bound")
	// ErrKeyMismatch: the token's "cnf"."jkt" is not the proof key's thumbprint (RFC 9449
	// §4.3 step 12, §6.1, §7.1).
	ErrKeyMismatch = errors.New("dpop: proof key is not the token's key")
	// ErrDowngrade: a DPoP-bound token (with "cnf"."jkt") was presented with the Bearer
	// scheme (RFC 9449 §7.2: such a token MUST be rejected as a bearer token).
	ErrDowngrade = errors.New("dpop: DPoP-bound token presented as a bearer token")

	// ErrConfig: a Config, ReplayConfig or NonceConfig breaks a rule stated on its field.
	ErrConfig = errors.New("dpop: invalid configuration")
)

// The error codes a denial answers with in its WWW-Authenticate DPoP challenge (RFC 9449
// §7.1, §9, §12.2; RFC 6750 §3.1).
const (
	CodeInvalidProof = "invalid_dpop_proof" // RFC 9449 §7.1, §12.2
	CodeUseNonce     = "use_dpop_nonce"     // RFC 9449 §9, §12.2
	CodeInvalidToken = "invalid_token"      // RFC 6750 §3.1
)

// denials is the one table from sentinel to reason (for counters and logs) and to the error
// code of the response.
var denials = [...]struct {
	err    error
	reason string
	code   string
}{
	{ErrMissing, "dpop_missing", CodeInvalidProof},
	{ErrMultiple, "dpop_multiple", CodeInvalidProof},
	{ErrTooLarge, "dpop_too_large", CodeInvalidProof},
	{ErrMalformed, "dpop_malformed", CodeInvalidProof},
	{ErrType, "dpop_wrong_typ", CodeInvalidProof},
	{ErrAlgorithm, "dpop_algorithm", CodeInvalidProof},
	{ErrNoKey, "dpop_no_jwk", CodeInvalidProof},
	{ErrPrivateKey, "dpop_private_jwk", CodeInvalidProof},
	{ErrKeyUnusable, "dpop_unusable_jwk", CodeInvalidProof},
	{ErrSignature, "dpop_bad_signature", CodeInvalidProof},
	{ErrJTI, "dpop_bad_jti", CodeInvalidProof},
	{ErrMethod, "dpop_wrong_htm", CodeInvalidProof},
	{ErrTarget, "dpop_wrong_htu", CodeInvalidProof},
	{ErrNonce, "dpop_nonce", CodeUseNonce},
	{ErrIssuedAt, "dpop_iat", CodeInvalidProof},
	{ErrTokenHash, "dpop_wrong_ath", CodeInvalidProof},
	{ErrReplayed, "dpop_replayed", CodeInvalidProof},
	{ErrConfirmation, "dpop_bad_cnf", CodeInvalidToken},
	{ErrNotBound, "dpop_token_not_bound", CodeInvalidToken},
	{ErrKeyMismatch, "dpop_key_mismatch", CodeInvalidToken},
	{ErrDowngrade, "dpop_downgrade", CodeInvalidToken},
}

// Reason returns the short reason of a denial error ("dpop_wrong_htu", …) for counters and
// logs, or "" for nil and errors of no check. It does not allocate.
func Reason(err error) string {
	if i := denial(err); i >= 0 {
		return denials[i].reason
	}
	return ""
}

// Code returns the error code the response carries for a denial error: "use_dpop_nonce" for
// ErrNonce, "invalid_token" for the token binding errors (RFC 6750 §3.1), "invalid_dpop_proof"
// for every other proof error, ErrReplayed included; "" for nil and errors of no check.
func Code(err error) string {
	if i := denial(err); i >= 0 {
		return denials[i].code
	}
	return ""
}

func denial(err error) int {
	if err == nil {
		return -1
	}
	for i := range denials {
		if err == denials[i].err {
			return i
		}
	}
	for i := range denials {
		if errors.Is(err, denials[i].err) {
			return i
		}
	}
	return -1
}
