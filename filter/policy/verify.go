package policy

import (
	"strconv"
	"time"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/filter/keys"
	"github.com/audguard/audguard/jwtlite"
)

// verify runs docs/request-flow.md#11-verification for token against resource r: one pipeline with
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
	e.token, e.tokenSeen, e.sumDone = token, true, false

	var ent *cacheEntry
	if e.found != nil && sameString(e.foundTok, token) {
		ent = e.cache.use(e.found, nowSec) // extraction looked this token up already
	} else {
		ent = e.cache.get(token, nowSec)
	}
	if ent != nil && ent.keySet == e.keys.Keys(ent.issuer.Index) {
		d.Cache = CacheHit
		e.hit = ent
		if e.tracing() {
			e.trace("cache", true, "verified earlier by issuer "+ent.issuer.Name+"; signature not checked again")
		}
		return ent.issuer, &ent.claims, ReasonNone
	}
	// (An entry whose issuer's key set changed since — a rotation, a key
	// dropped as stale — is verified again: a cached token never outlives
	// its key, docs/configuration.md#remote-key-sets-jwks_uri.)
	if is, expiresAt, ok := e.sharedHit(r, token, nowSec); ok {
		d.Cache = CacheShared
		if e.tracing() {
			e.trace("cache", true, "verified earlier by another VM (issuer "+is.Name+"); signature not checked again")
		}
		e.cache.put(token, is, e.keys.Keys(is.Index), &e.tok.Claims, expiresAt, nowSec)
		return is, &e.tok.Claims, ReasonNone
	}
	d.Cache = CacheMiss
	issuer, reason := e.verifyCold(r, token, now, d)
	if reason != ReasonNone {
		return nil, nil, reason
	}
	claims := &e.tok.Claims
	skew := e.cfg.ClockSkew.Seconds()
	if exp, ok := claims.Expiry(); ok && nowSec < exp+skew {
		e.cache.put(token, issuer, e.keys.Keys(issuer.Index), claims, exp+skew, nowSec)
		if e.shared != nil {
			e.shared.put(e.digest(), issuer.Index, exp+skew, e.key.Fingerprint())
		}
	}
	return issuer, claims, ReasonNone
}

// resourceChecks runs the checks of docs/request-flow.md#11-verification that depend on the
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
		e.trace("time", err == nil, ClaimTimes(claims, now, skew))
	}
	if err != nil {
		return reasonOf(err, ReasonExpired)
	}
	// 9. audience.
	// A cached entry remembers the last resource its audience passed for:
	// the rule depends only on the claims and the resource's configuration,
	// both fixed, so a hit on the same resource need not scan "aud" again.
	if ent := e.hit; ent != nil && ent.audienceOK == r {
		err = nil
	} else {
		err = claims.CheckAudience(r.Audience.Match, r.ExclusiveAudience)
		if err == nil && ent != nil {
			ent.audienceOK = r
		}
	}
	if e.tracing() {
		detail := "token aud " + quoteList(claims.Audiences())
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
	// (A cached entry found its first missing claim when it was cached: the
	// claims and the issuer's list are both fixed.)
	var missing int
	if e.hit != nil {
		missing = e.hit.missingClaim
	} else {
		missing = missingClaim(issuer, claims)
	}
	if missing >= 0 {
		if e.tracing() {
			e.trace("required claims", false, "claim "+strconv.Quote(issuer.RequiredClaims[missing])+" is missing or null")
		}
		return ReasonMissingClaim
	}
	if e.tracing() && len(issuer.RequiredClaims) > 0 {
		e.trace("required claims", true, "present: "+quoteList(issuer.RequiredClaims))
	}
	return ReasonNone
}

// missingClaim returns the index in issuer.RequiredClaims of the first claim
// the token lacks (absent or null), or -1.
func missingClaim(issuer *config.Issuer, claims *jwtlite.Claims) int {
	for i, name := range issuer.RequiredClaims {
		if !claims.Has(name) {
			return i
		}
	}
	return -1
}

// verifyCold runs steps 2–7 of docs/request-flow.md#11-verification: syntax, header, issuer, key
// (from the issuer's key state: configured and fetched keys, §2.2),
// signature, revocation (6a, §2.3) and type. Only a token that passes them
// is cached.
func (e *Engine) verifyCold(r *config.Resource, token string, now time.Time, d *Decision) (*config.Issuer, Reason) {
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
	idx := issuer.Index
	key, err := e.keys.Select(idx, &t.Header)
	if err != nil {
		// Another VM may have fetched the key since this VM's last tick.
		d.Actions = append(d.Actions, e.keys.CatchUp(now, idx)...)
		key, err = e.keys.Select(idx, &t.Header)
	}
	if err != nil {
		return nil, e.keyMiss(idx, issuer, t, now, d)
	}
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
	e.key = key
	err = key.Verify(t.Header.Alg, t.SigningInput, t.Signature)
	if e.tracing() {
		e.trace("signature", err == nil, string(t.Header.Alg)+" signature")
	}
	if err != nil {
		return nil, ReasonBadSignature
	}
	// 6a. revocation, only now that the token is known to be the issuer's.
	if lever := issuer.Revocation.RevokedClaims(key.ID, &t.Claims); lever != keys.NotRevoked {
		if e.tracing() {
			e.trace("revocation", false, "refused by "+lever.String()+" of issuer "+issuer.Name)
		}
		return nil, ReasonRevoked
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

// keyMiss is step 5 of docs/request-flow.md#11-verification when no key of the issuer fits the
// token header: with a jwks_uri the request may wait for a refetch (§2.2),
// else it is unknown_key, or keys_unavailable when the issuer has no usable
// key at all. The key state's actions (a fetch to start) go to the glue.
func (e *Engine) keyMiss(idx int, issuer *config.Issuer, t *jwtlite.Token, now time.Time, d *Decision) Reason {
	mayWait := e.req != nil && e.req.MayWait && e.cfg.Mode != config.ModeReport
	var id uint32
	if e.req != nil {
		id = e.req.ID
	}
	miss, acts := e.keys.OnMiss(now, idx, id, mayWait)
	d.Actions = append(d.Actions, acts...)
	if e.tracing() {
		detail := "alg " + string(t.Header.Alg)
		if t.Header.HasKid {
			detail += ", kid " + strconv.Quote(string(t.Header.Kid))
		} else {
			detail += ", no kid"
		}
		detail += "; no key of issuer " + issuer.Name + " fits (a kid must name a key; alg must equal the key's bound algorithm)"
		if ks := e.keys.Keys(idx); ks != nil {
			kids := make([]string, 0, len(ks.Keys))
			for _, k := range ks.Keys {
				kids = append(kids, k.ID)
			}
			detail += "; the issuer's kids: " + quoteList(kids)
		}
		switch miss {
		case keys.MissWait:
			detail += "; waiting for a fetch of the issuer's jwks_uri"
		case keys.MissUnavailable:
			detail += "; the issuer has no usable key yet (its jwks_uri has not been fetched)"
		}
		e.trace("key", false, detail)
	}
	switch miss {
	case keys.MissWait:
		return reasonWait
	case keys.MissUnavailable:
		return ReasonKeysUnavailable
	}
	return ReasonUnknownKey
}

// tokenIssuer is step 4 of docs/request-flow.md#11-verification on a parsed token: iss present
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

// sharedHit looks the current token (by its SHA-256) up in shared data. Another VM's
// entry says only "this token's signature verified" (docs/request-flow.md#11-verification); it is
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
	idx, stored, keyFP, ok := e.shared.get(e.digest(), now)
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
	if key, err := e.keys.Select(idx, &t.Header); err != nil || [16]byte(key.Fingerprint()[:16]) != keyFP {
		return nil, 0, false // its key left the set, or another key took its place: verify again (or refuse)
	}
	exp, ok := t.Claims.Expiry()
	expiresAt := exp + e.cfg.ClockSkew.Seconds()
	if !ok || stored > expiresAt || now >= expiresAt {
		return nil, 0, false
	}
	return is, expiresAt, true
}

// typeAccepted is step 7 of docs/request-flow.md#11-verification: the header typ per token_type
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

// digest is the SHA-256 of the current token, computed once per request and
// only when needed: the shared cache's key (shared data is readable by other
// modules, so it holds digests, never tokens) and the log fingerprint.
func (e *Engine) digest() *[32]byte {
	if !e.sumDone {
		e.sha.Reset()
		_, _ = e.sha.Write(stringBytes(e.token))
		e.sha.Sum(e.sum[:0])
		e.sumDone = true
	}
	return &e.sum
}
