package keys

import (
	"strconv"

	"github.com/audguard/audguard/jwtlite"
)

// MaxRevokedTokenIDs bounds revoked_token_ids.
const MaxRevokedTokenIDs = 10000

// RevocationConfig holds an issuer's revocation levers as configured.
type RevocationConfig struct {
	KeyIDs       []string // revoked_key_ids: kids refused even when a configured or fetched key has them
	TokenIDs     []string // revoked_token_ids: "jti" values (RFC 7519 §4.1.7), at most MaxRevokedTokenIDs
	IssuedBefore int64    // reject_issued_before: Unix seconds; tokens with an earlier or no "iat" are refused; 0: off
}

// Lever names the revocation lever that refused a token.
type Lever uint8

const (
	NotRevoked          Lever = iota
	RevokedKey                // the key's kid is in revoked_key_ids
	RevokedToken              // the token's jti is in revoked_token_ids
	RevokedIssuedBefore       // iat is missing or before reject_issued_before
)

func (l Lever) String() string {
	switch l {
	case NotRevoked:
		return "none"
	case RevokedKey:
		return "revoked_key_id"
	case RevokedToken:
		return "revoked_token_id"
	case RevokedIssuedBefore:
		return "issued_before"
	}
	return "invalid"
}

// Revocation is an issuer's precompiled revocation levers. The nil *Revocation revokes nothing.
type Revocation struct {
	kids   map[string]struct{}
	jtis   map[string]struct{}
	before float64 // 0: off
}

// NewRevocation checks and compiles c: no empty or repeated kid or jti, at most
// MaxRevokedTokenIDs jtis, IssuedBefore ≥ 0. It returns nil (revoke nothing) when c sets no
// lever. An error is a *ConfigError.
func NewRevocation(c RevocationConfig) (*Revocation, error) {
	if c.IssuedBefore < 0 {
		return nil, refuse("reject_issued_before", "is negative", "use Unix seconds, or omit it")
	}
	if len(c.TokenIDs) > MaxRevokedTokenIDs {
		return nil, refuse("revoked_token_ids", "lists "+itoa(len(c.TokenIDs))+" values",
			"list at most "+itoa(MaxRevokedTokenIDs)+"; use reject_issued_before or rotate the key for mass revocation")
	}
	set := func(member string, vals []string) (map[string]struct{}, error) {
		if len(vals) == 0 {
			return nil, nil
		}
		m := make(map[string]struct{}, len(vals))
		for i, v := range vals {
			at := member + "[" + itoa(i) + "]"
			if v == "" {
				return nil, refuse(at, "is empty", "remove it")
			}
			if _, dup := m[v]; dup {
				return nil, refuse(at, "repeats an earlier value", "list each value once")
			}
			m[v] = struct{}{}
		}
		return m, nil
	}
	r := &Revocation{before: float64(c.IssuedBefore)}
	var err error
	if r.kids, err = set("revoked_key_ids", c.KeyIDs); err != nil {
		return nil, err
	}
	if r.jtis, err = set("revoked_token_ids", c.TokenIDs); err != nil {
		return nil, err
	}
	if r.kids == nil && r.jtis == nil && r.before == 0 {
		return nil, nil
	}
	return r, nil
}

// Revoked says which lever, if any, refuses a token: kid is the selected key's kid (Key.ID: the
// key that verifies, also when the token header names none), jti the token's "jti" claim, iat
// its "iat" claim. Checked in that order. Allocation-free.
//
// Call it after the signature verified: the jti and iat of an unverified token prove nothing,
// and no deny should depend on a value the token controls before that (RATIONALE.md). A
// revoked kid stays in the key set on purpose: removing it would make its tokens look like
// unknown kids and start refetches.
func (r *Revocation) Revoked(kid string, jti []byte, hasJTI bool, iat float64, hasIat bool) Lever {
	if r == nil {
		return NotRevoked
	}
	if _, ok := r.kids[kid]; ok {
		return RevokedKey
	}
	if hasJTI && r.jtis != nil {
		if _, ok := r.jtis[string(jti)]; ok {
			return RevokedToken
		}
	}
	if r.before > 0 && (!hasIat || !(iat >= r.before)) {
		return RevokedIssuedBefore
	}
	return NotRevoked
}

// RevokedClaims is Revoked with jti and iat read from verified claims: "jti" as the claim's
// header rendering (a string unescaped; a number as its text); "iat" absent or null counts as
// missing, and one whose rendering is not a number counts as before (jwtlite's time check has
// already refused an "iat" that is not a NumericDate). Allocation-free for a jti of up to 128
// bytes.
func (r *Revocation) RevokedClaims(kid string, c *jwtlite.Claims) Lever {
	if r == nil {
		return NotRevoked
	}
	var jbuf [128]byte
	jti, hasJTI := c.HeaderValue("jti", jbuf[:0])
	iat, hasIat := 0.0, c.Has("iat")
	if hasIat && r.before > 0 {
		var ibuf [32]byte
		v, ok := c.HeaderValue("iat", ibuf[:0])
		f, err := strconv.ParseFloat(string(v), 64)
		if !ok || err != nil {
			f = -1
		}
		iat = f
	}
	return r.Revoked(kid, jti, hasJTI, iat, hasIat)
}
