package policy

import (
	"strconv"
	"time"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/jwtlite"
)

// verify runs contract §5.5 for token against resource r: one pipeline with
// one exit. First the token is obtained as (issuer, claims) — from this VM's
// cache, from the VMs' shared data, or by a cold verification of steps 2–7 —
// then the resource checks (issuer accepted here, time, audience and
// exclusivity, required claims) run once, whatever the source, because one
// token may be presented to several resources and time moves on. Each check
// is traced once.
func (e *Engine) verify(r *config.Resource, token string, d *Decision) (*jwtlite.Claims, Reason) {
	// 1. size, before any decoding.
	if len(token) > e.cfg.MaxTokenBytes {
		if e.tracing() {
			e.trace("size", false, strconv.Itoa(len(token))+" bytes > max_token_bytes "+strconv.Itoa(e.cfg.MaxTokenBytes))
		}
		return nil, ReasonTokenTooLarge
	}
	now := e.now()
	issuer, claims, reason := e.obtain(r, token, now, d)
	if reason == ReasonNone {
		reason = e.resourceChecks(r, issuer, claims, now, d.Cache != CacheMiss)
	}
	if reason != ReasonNone {
		return nil, reason
	}
	return claims, ReasonNone
}

// obtain returns the token's issuer and verified claims: from the local
// cache, from shared data (Engine.sharedHit), or by verifyCold, whose result
// is then cached. d.Cache records the source.
func (e *Engine) obtain(r *config.Resource, token string, now time.Time, d *Decision) (*config.Issuer, *jwtlite.Claims, Reason) {
	nowSec := float64(now.UnixNano()) / 1e9
	e.sha.Reset()
	_, _ = e.sha.Write(stringBytes(token))
	e.sha.Sum(e.sum[:0])
	e.tokenSeen = true

	if ent := e.cache.get(&e.sum, nowSec); ent != nil {
		d.Cache = CacheHit
		if e.tracing() {
			e.trace("cache", true, "verified earlier by issuer "+ent.issuer.Name+"; signature not checked again")
		}
		return ent.issuer, &ent.claims, ReasonNone
	}
	if is, expiresAt, ok := e.sharedHit(r, token, nowSec); ok {
		d.Cache = CacheShared
		if e.tracing() {
			e.trace("cache", true, "verified earlier by another VM (issuer "+is.Name+"); signature not checked again")
		}
		e.cache.put(&e.sum, is, &e.tok.Claims, expiresAt, nowSec)
		return is, &e.tok.Claims, ReasonNone
	}
	d.Cache = CacheMiss
	issuer, reason := e.verifyCold(r, token)
	if reason != ReasonNone {
		return nil, nil, reason
	}
	claims := &e.tok.Claims
	skew := e.cfg.ClockSkew.Seconds()
	if exp, ok := claims.Expiry(); ok && nowSec < exp+skew {
		e.cache.put(&e.sum, issuer, claims, exp+skew, nowSec)
		if e.shared != nil {
			e.shared.put(&e.sum, issuerIndex(e.cfg, issuer), exp+skew)
		}
	}
	return issuer, claims, ReasonNone
}

// resourceChecks runs the checks of contract §5.5 that depend on the
// resource or on the time: 4 (issuer accepted here; a cold verification has
// made and traced it already), 8 (time), 9 (audience, RFC 8707), 10
// (required claims).
func (e *Engine) resourceChecks(r *config.Resource, issuer *config.Issuer, claims *jwtlite.Claims, now time.Time, cached bool) Reason {
	if cached && !accepts(r, issuer) {
		if e.tracing() {
			e.trace("issuer", false, "issuer "+issuer.Issuer+" is not accepted by "+r.URI)
		}
		return ReasonUnknownIssuer
	}
	// 8. time.
	skew := e.cfg.ClockSkew
	err := claims.CheckTime(now, skew)
	if e.tracing() {
		e.trace("time", err == nil, claimTimes(claims, now, skew))
	}
	if err != nil {
		return reasonOf(err, ReasonExpired)
	}
	// 9. audience.
	err = claims.CheckAudience(r.Audience.Match, r.ExclusiveAudience)
	if e.tracing() {
		detail := "token aud " + quoteList(audiences(claims))
		match := " (" + r.AudienceMatch.String() + " match)"
		switch {
		case err == nil:
			detail += " matches " + r.URI + match
		case reasonOf(err, ReasonWrongAudience) == ReasonExtraAudience:
			detail += " names other audiences besides " + r.URI + " (exclusive_audience)"
		default:
			detail += " does not name " + r.URI + match
		}
		e.trace("audience", err == nil, detail)
	}
	if err != nil {
		return reasonOf(err, ReasonWrongAudience)
	}
	// 10. required claims.
	for _, name := range issuer.RequiredClaims {
		if !claims.Has(name) {
			if e.tracing() {
				e.trace("required claims", false, "claim "+strconv.Quote(name)+" is missing or null")
			}
			return ReasonMissingClaim
		}
	}
	if e.tracing() && len(issuer.RequiredClaims) > 0 {
		e.trace("required claims", true, "present: "+quoteList(issuer.RequiredClaims))
	}
	return ReasonNone
}

// verifyCold runs steps 2–7 of contract §5.5: syntax, header, issuer, key,
// signature and type. Only a token that passes them is cached.
func (e *Engine) verifyCold(r *config.Resource, token string) (*config.Issuer, Reason) {
	t := &e.tok
	if err := e.parser.Parse(token, t); err != nil {
		if e.tracing() {
			e.trace("syntax and header", false, err.Error())
		}
		return nil, reasonOf(err, ReasonMalformedToken)
	}
	if e.tracing() {
		e.trace("syntax and header", true, "compact JWS, alg "+string(t.Header.Alg))
	}
	issuer, reason := e.tokenIssuer(r, t)
	if reason != ReasonNone {
		return nil, reason
	}
	key, err := issuer.Keys.Select(&t.Header)
	if e.tracing() {
		detail := "alg " + string(t.Header.Alg)
		if t.Header.HasKid {
			detail += ", kid present"
		} else {
			detail += ", no kid"
		}
		if key != nil {
			detail += "; selected " + key.Kty + " key bound to " + string(key.Alg)
		} else {
			detail += "; no key of issuer " + issuer.Name + " fits (a kid must name a key; alg must equal the key's bound algorithm)"
		}
		e.trace("key", err == nil, detail)
	}
	if err != nil {
		return nil, ReasonUnknownKey
	}
	err = key.Verify(t.Header.Alg, t.SigningInput, t.Signature)
	if e.tracing() {
		e.trace("signature", err == nil, string(t.Header.Alg)+" signature")
	}
	if err != nil {
		return nil, ReasonBadSignature
	}
	okType := typeAccepted(issuer, &t.Header)
	if e.tracing() {
		typ := "missing"
		if t.Header.HasTyp {
			typ = strconv.Quote(string(t.Header.Typ))
		}
		e.trace("token type", okType, "typ "+typ+", required "+issuer.TokenType.String())
	}
	if !okType {
		return nil, ReasonWrongTokenType
	}
	return issuer, ReasonNone
}

// tokenIssuer is step 4 of contract §5.5 on a parsed token: iss present
// (missing_claim) and naming an issuer accepted by r (unknown_issuer).
func (e *Engine) tokenIssuer(r *config.Resource, t *jwtlite.Token) (*config.Issuer, Reason) {
	if !t.Claims.IssuerPresent() {
		if e.tracing() {
			e.trace("issuer", false, "the token has no iss claim")
		}
		return nil, ReasonMissingClaim
	}
	iss, ok := t.Claims.Issuer()
	var issuer *config.Issuer
	if ok {
		issuer = r.IssuerFor(iss)
	}
	if e.tracing() {
		accepted := make([]string, len(r.Issuers))
		for i, is := range r.Issuers {
			accepted[i] = is.Issuer
		}
		e.trace("issuer", issuer != nil, "iss "+strconv.Quote(string(iss))+"; accepted here: "+quoteList(accepted))
	}
	if issuer == nil {
		return nil, ReasonUnknownIssuer
	}
	return issuer, ReasonNone
}

// sharedHit looks the current token (e.sum) up in shared data. Another VM's
// entry says only "this token's signature verified" (contract §5.5); it is
// trusted no further than that (defence in depth against anything else that
// can write the plugin's shared data): the token itself is parsed again and
// must be a well-formed JWS whose iss is the entry's issuer, accepted here,
// with the required typ, and the entry's expiry must be a finite number no
// later than the token's own exp plus the leeway. The claims used are the
// token's own (in e.tok), never bytes from shared data. Anything else reads
// as a miss, and the token is verified in full. Nothing here is traced: the
// checks it repeats are traced by verifyCold on a miss.
func (e *Engine) sharedHit(r *config.Resource, token string, now float64) (*config.Issuer, float64, bool) {
	if e.shared == nil {
		return nil, 0, false
	}
	idx, stored, ok := e.shared.get(&e.sum, now)
	if !ok || idx >= len(e.cfg.Issuers) {
		return nil, 0, false
	}
	t := &e.tok
	if e.parser.Parse(token, t) != nil {
		return nil, 0, false
	}
	iss, ok := t.Claims.Issuer()
	if !ok {
		return nil, 0, false
	}
	is := r.IssuerFor(iss)
	if is == nil || is != e.cfg.Issuers[idx] || !typeAccepted(is, &t.Header) {
		return nil, 0, false
	}
	exp, ok := t.Claims.Expiry()
	expiresAt := exp + e.cfg.ClockSkew.Seconds()
	if !ok || stored > expiresAt || now >= expiresAt {
		return nil, 0, false
	}
	return is, expiresAt, true
}

// typeAccepted is step 7 of contract §5.5: the header typ per token_type
// (RFC 9068 §4).
func typeAccepted(is *config.Issuer, h *jwtlite.Header) bool {
	return is.TokenType != config.TokenTypeATJWT || (h.HasTyp && jwtlite.IsATJWT(h.Typ))
}

func accepts(r *config.Resource, is *config.Issuer) bool {
	for _, x := range r.Issuers {
		if x == is {
			return true
		}
	}
	return false
}
