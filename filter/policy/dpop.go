package policy

import (
	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/filter/dpop"
	"github.com/audguard/audguard/jwtlite"
)

// DPoP at the resource (RFC 9449; docs/request-flow.md#11a-dpop): the state
// one Engine keeps for the resources whose dpop is not "off", and the step
// of Decide that judges the proof and the token's binding.

// dpopState is the engine's DPoP machinery, built once by NewEngine.
type dpopState struct {
	// res is by Resource.Index; nil when no resource uses DPoP.
	res []dpopResource
	// replays remembers accepted proofs (RFC 9449 §11.1), for every
	// resource: a proof's replay key covers its target URI, so proofs for
	// different resources never collide. Proxy-wide through shared data
	// when Options.DPoPShared is set.
	replays *dpop.ReplaySet
}

// dpopResource is what one resource with DPoP on needs per request.
type dpopResource struct {
	verifier *dpop.Verifier
	nonces   *dpop.Nonces // nil without dpop_nonce
}

// newDPoP builds the DPoP state of cfg: a Verifier (and, with dpop_nonce,
// Nonces) per resource with DPoP on, one ReplaySet. store, when not nil, is
// the plugin's shared data: the replay set and the nonce secret are shared
// by the VMs of the proxy under "audguard/<config digest>/dpop/".
func newDPoP(cfg *config.Plugin, store SharedStore) (dpopState, error) {
	var st dpopState
	var shared dpop.SharedStore
	prefix := ""
	for _, r := range cfg.Resources {
		if r.DPoP == config.DPoPOff {
			continue
		}
		if st.res == nil {
			st.res = make([]dpopResource, len(cfg.Resources))
			if store != nil {
				shared, prefix = store, configPrefix(cfg)+"dpop/"
			}
			var err error
			if st.replays, err = dpop.NewReplaySet(dpop.ReplayConfig{Shared: shared, Prefix: prefix}); err != nil {
				return st, err
			}
		}
		rd := &st.res[r.Index]
		var nc dpop.NonceChecker
		if r.DPoPNonce {
			n, err := dpop.NewNonces(dpop.NonceConfig{Secret: cfg.DPoPNonceSecret, Context: r.URI,
				Shared: shared, Key: prefix + "nonce-secret"})
			if err != nil {
				return st, err
			}
			rd.nonces, nc = n, n
		}
		v, err := dpop.NewVerifier(dpop.Config{Algorithms: r.DPoPAlgorithms, MaxAge: r.DPoPIATWindow(), Nonce: nc})
		if err != nil {
			return st, err
		}
		rd.verifier = v
	}
	return st, nil
}

// DPoPStats returns the replay set's statistics (docs/metrics.md); ok is
// false when no resource uses DPoP.
func (e *Engine) DPoPStats() (s dpop.ReplayStats, ok bool) {
	if e.dpop.replays == nil {
		return s, false
	}
	return e.dpop.replays.Stats(), true
}

// checkDPoP is docs/request-flow.md#11a-dpop, once the token verified and
// before its scopes: with the DPoP scheme, the request's one proof (RFC 9449
// §4.3), the token's binding to its key (§6.1, §7.1), then replay (§11.1)
// last so that only accepted proofs are remembered; with the Bearer scheme,
// on every resource whatever its dpop, the downgrade rule (§7.2): a
// DPoP-bound token is no bearer token.
//
// The body pass of a request held for its body (Request.HasBody,
// BodyTooLarge) checks the proof again but does not count it as a replay of
// itself: the header pass remembered it.
func (e *Engine) checkDPoP(r *config.Resource, v *requestView, req *Request, claims *jwtlite.Claims) Reason {
	e.freshNonce = false
	cnf := e.cnf(claims)
	if e.scheme != schemeDPoP {
		err := dpop.CheckBearer(cnf)
		if err != nil && e.tracing() {
			e.trace("dpop", false, "a DPoP-bound token (cnf.jkt) presented as a Bearer token, or a malformed cnf: "+err.Error()+" (RFC 9449 §7.2)")
		}
		return e.dpopReason(err)
	}
	rd := &e.dpop.res[r.Index]
	now := e.now()
	proof, err := dpop.OneProof(v.dpopProofs())
	var p dpop.Proof
	if err == nil {
		p, err = rd.verifier.Verify(proof, dpop.Request{Method: v.method, Target: dpop.Target(r.Origin(), v.path), AccessToken: e.token}, now)
	}
	if err == nil {
		err = dpop.CheckDPoP(cnf, &p)
	}
	if err == nil && !req.HasBody && !req.BodyTooLarge && e.dpop.replays.Seen(&p, now) {
		err = dpop.ErrReplayed
	}
	if err == nil && rd.nonces != nil && rd.nonces.Stale(p.Nonce, now) {
		e.freshNonce = true // the allowed response carries the next one (RFC 9449 §8.2)
	}
	if e.tracing() {
		if err != nil {
			e.trace("dpop", false, "DPoP proof refused: "+err.Error()+" (RFC 9449 §4.3, §7.1)")
		} else {
			e.trace("dpop", true, "one valid DPoP proof ("+string(p.Alg)+") for "+p.Target+", by the key the token is bound to (cnf.jkt), not seen before")
		}
	}
	return e.dpopReason(err)
}

// cnf is the token's "cnf" claim (dpop.Cnf); on a cache hit, read once per
// entry (the claims are fixed).
func (e *Engine) cnf(claims *jwtlite.Claims) []byte {
	ent := e.hit
	if ent == nil || &ent.claims != claims {
		return dpop.Cnf(claims)
	}
	if !ent.cnfRead {
		ent.cnf, ent.cnfRead = dpop.Cnf(claims), true
	}
	return ent.cnf
}

// dpopReason maps a dpop error to its reason, and sets the denial's
// description to the fixed sentence of the check that failed.
func (e *Engine) dpopReason(err error) Reason {
	if err == nil {
		return ReasonNone
	}
	if d := dpopDescriptions[dpop.Reason(err)]; d != "" {
		e.desc = d
	}
	switch err {
	case dpop.ErrNonce:
		return ReasonUseDPoPNonce
	case dpop.ErrReplayed:
		return ReasonDPoPReplayed
	case dpop.ErrConfirmation, dpop.ErrNotBound, dpop.ErrKeyMismatch, dpop.ErrDowngrade:
		return ReasonDPoPBinding
	}
	return ReasonInvalidDPoPProof
}

// dpopDescriptions are the error_description of each failed DPoP check, by
// dpop.Reason: fixed sentences (RFC 6750 §3 charset), never proof bytes.
var dpopDescriptions = map[string]string{
	"dpop_missing":         "The request must carry one DPoP proof in a DPoP header.",
	"dpop_multiple":        "The request must carry exactly one DPoP proof.",
	"dpop_too_large":       "The DPoP proof is too large.",
	"dpop_malformed":       "The DPoP proof is not a well-formed JWT.",
	"dpop_wrong_typ":       "The DPoP proof must have typ dpop+jwt.",
	"dpop_algorithm":       "The DPoP proof is signed with an algorithm this resource does not accept.",
	"dpop_no_jwk":          "The DPoP proof header must carry the public key as jwk.",
	"dpop_private_jwk":     "The DPoP proof jwk must not hold private key material.",
	"dpop_unusable_jwk":    "The DPoP proof jwk is not a public key usable with its alg.",
	"dpop_bad_signature":   "The DPoP proof signature is invalid.",
	"dpop_bad_jti":         "The DPoP proof must carry a jti.",
	"dpop_wrong_htm":       "The DPoP proof htm does not match the request method.",
	"dpop_wrong_htu":       "The DPoP proof htu does not match the request URI.",
	"dpop_iat":             "The DPoP proof iat is outside the accepted window.",
	"dpop_wrong_ath":       "The DPoP proof ath does not match the access token.",
	"dpop_bad_cnf":         "The access token cnf claim is malformed.",
	"dpop_token_not_bound": "The access token is not DPoP-bound; present it with the Bearer scheme.",
	"dpop_key_mismatch":    "The access token is bound to another key than the DPoP proof key.",
	"dpop_downgrade":       "The access token is DPoP-bound; present it with the DPoP scheme and a proof.",
}

// challengeSchemes says which challenges a denial at r carries
// (docs/responses.md#dpop): Bearer only where dpop is "off", DPoP only where
// it is "required"; where it is "allowed", both for a request without a
// token (RFC 9449 §7.2), DPoP for a DPoP refusal or a request that used the
// DPoP scheme, Bearer otherwise.
func (e *Engine) challengeSchemes(r *config.Resource, reason Reason) (bearer, dpopCh bool) {
	switch r.DPoP {
	case config.DPoPOff:
		return true, false
	case config.DPoPRequired:
		return false, true
	}
	switch {
	case reason == ReasonMissingToken:
		return true, true
	case reason >= ReasonInvalidDPoPProof && reason <= ReasonDPoPBinding, e.scheme == schemeDPoP:
		return false, true
	}
	return true, false
}

// dpopReplyHeaders adds to a denial at r the DPoP-Nonce a use_dpop_nonce
// refusal carries (RFC 9449 §9).
func (e *Engine) dpopReplyHeaders(d *Decision, r *config.Resource, reason Reason) {
	if reason != ReasonUseDPoPNonce || e.dpop.res == nil || e.dpop.res[r.Index].nonces == nil {
		return
	}
	if n, err := e.dpop.res[r.Index].nonces.Issue(e.now()); err == nil {
		d.ReplyHeaders = append(d.ReplyHeaders, [2]string{hdrDPoPNonce, n})
	}
}

// dpopResponse asks the glue to set a fresh DPoP-Nonce on the response to an
// allowed request whose proof carried the previous one (RFC 9449 §8.2).
func (e *Engine) dpopResponse(r *config.Resource, d *Decision) {
	if !e.freshNonce {
		return // before reading the clock: in the module that is a host call, on every allowed request
	}
	if n, err := e.dpop.res[r.Index].nonces.Issue(e.now()); err == nil {
		d.Response = append(d.Response, [2]string{hdrDPoPNonce, n})
		if e.view.hasOrigin { // a browser client may read it (Fetch, CORS-exposed headers)
			d.Response = append(d.Response, [2]string{hdrACEH, hdrDPoPNonce})
		}
	}
}
