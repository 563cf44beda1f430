package jwtlite

import "time"

// VerifyOptions configures Verify for one issuer.
type VerifyOptions struct {
	Keys              *KeySet
	Issuer            string
	Now               time.Time
	Skew              time.Duration
	MaxTokenBytes     int                   // > 0: longer tokens are refused before decoding
	RequireATJWT      bool                  // header typ must be at+jwt (RFC 9068 §4)
	Audience          func(aud []byte) bool // nil: audience not checked
	ExclusiveAudience bool                  // every aud value must match
	RequiredClaims    []string              // must be present and non-null
}

// Verify runs the single-issuer pipeline of docs/request-flow.md#11-verification and returns the first failure:
// size (ErrTokenTooLarge) → Parse (ErrMalformed, ErrUnsupportedAlgorithm) → "iss" present
// (ErrMissingClaim) and equal to opts.Issuer (ErrUnknownIssuer) → key selection
// (ErrUnknownKey) → signature (ErrBadSignature) → "typ" when RequireATJWT, missing counts as
// wrong (ErrWrongTokenType) → CheckTime → audience: every value is passed to opts.Audience,
// none accepted gives ErrWrongAudience, with ExclusiveAudience any rejected gives
// ErrExtraAudience → each RequiredClaims present and non-null (ErrMissingClaim).
func Verify(p *Parser, token string, opts *VerifyOptions, t *Token) error {
	if opts.MaxTokenBytes > 0 && len(token) > opts.MaxTokenBytes {
		return ErrTokenTooLarge
	}
	if err := p.Parse(token, t); err != nil {
		return err
	}
	if !t.Claims.IssuerPresent() {
		return ErrMissingClaim
	}
	if iss, ok := t.Claims.Issuer(); !ok || string(iss) != opts.Issuer {
		return ErrUnknownIssuer
	}
	k, err := opts.Keys.Select(&t.Header)
	if err != nil {
		return err
	}
	if err := k.Verify(t.Header.Alg, t.SigningInput, t.Signature); err != nil {
		return err
	}
	if opts.RequireATJWT && (!t.Header.HasTyp || !IsATJWT(t.Header.Typ)) {
		return ErrWrongTokenType
	}
	if err := t.Claims.CheckTime(opts.Now, opts.Skew); err != nil {
		return err
	}
	if opts.Audience != nil {
		if err := t.Claims.CheckAudience(opts.Audience, opts.ExclusiveAudience); err != nil {
			return err
		}
	}
	for _, name := range opts.RequiredClaims {
		if !t.Claims.Has(name) {
			return ErrMissingClaim
		}
	}
	return nil
}
