package jwtlite

// Accessors for JWS uses beyond access tokens (filter/dpop reads DPoP proofs, RFC 9449 §4.2,
// with this Parser): the decoded JOSE header, whose members other than alg, kid and typ
// Parse does not interpret, and the "iat" claim that Parse already read.

// HeaderJSON returns the decoded JOSE header (RFC 7515 §4) of the last Parse that returned
// nil: a UTF-8 JSON object without duplicate members at any depth, as Parse checked it.
// After a Parse that failed its content is unspecified. The slice aliases the Parser's
// buffer: valid until the next Parse with the same Parser. It does not allocate.
func (p *Parser) HeaderJSON() []byte { return p.header }

// IssuedAt returns the "iat" claim (RFC 7519 §4.1.6) when it is present and a valid
// NumericDate (RFC 7519 §2: a finite JSON number with 0 ≤ v < 2^53, fractions allowed); ok
// is false when it is absent, null, of another type or out of range. It does not allocate.
func (c *Claims) IssuedAt() (iat float64, ok bool) { return c.times.iat, c.times.iatOK }

// Audiences returns the "aud" values (RFC 7519 §4.1.3), copied, in order: for traces and
// reports, not the request path (it allocates).
func (c *Claims) Audiences() []string {
	var out []string
	_ = c.EachAudience(func(a []byte) bool {
		out = append(out, string(a))
		return true
	})
	return out
}

// Scopes returns the granted scopes ("scope", else "scp"), copied, in order: for traces and
// reports, not the request path (it allocates).
func (c *Claims) Scopes() []string {
	var out []string
	c.EachScope(func(s []byte) bool {
		out = append(out, string(s))
		return true
	})
	return out
}
