// Package dpop is the protected-resource side of OAuth 2.0 Demonstrating Proof of Possession
// (DPoP, RFC 9449): it checks the DPoP proof a request carries, binds the access token to the
// proof's key, detects replayed proofs and issues server nonces.
//
// Like filter/keys and filter/policy it imports no proxy-wasm SDK and reads no clock: every
// call takes now. Its state (a Verifier's buffers and key cache, a ReplaySet, Nonces) is per
// VM and not safe for concurrent use; proxy-wide state goes through a SharedStore with
// compare-and-swap. Only the standard library's cryptography is used, through jwtlite.
// Errors never carry proof, token or key bytes; callers must not log proofs or tokens either.
//
// # The pieces
//
//   - Verifier.Verify checks one proof against the request (RFC 9449 §4.3): strict JWS/JSON
//     parsing by jwtlite, typ dpop+jwt, an allowed asymmetric alg, a public jwk usable with
//     it, the signature, jti, htm, htu (after RFC 3986 normalization, query and fragment
//     ignored), nonce when required, iat within a window, ath against the access token. Each
//     check has its own sentinel error (errors.go; Reason and Code map them for counters and
//     responses). The result, Proof, carries the key's thumbprint (jkt), jti, iat and the
//     replay key.
//   - Thumbprint computes RFC 7638 SHA-256 JWK thumbprints (EC, OKP, RSA).
//   - CheckDPoP, CheckBearer and CheckBinding apply the token binding (RFC 9449 §6.1, §7.1) and
//     the downgrade rule (§7.2) to the access token's "cnf" claim (Cnf reads it from
//     jwtlite.Claims).
//   - ReplaySet remembers accepted proofs until their iat window closes (§11.1): bounded per VM,
//     optionally proxy-wide through shared data.
//   - Nonces issues and checks stateless, rotating server nonces (§8, §9); SharedSecret lets
//     the VMs of a proxy agree on the secret.
//
// # Wiring (for the glue; not done here)
//
// Per VM at plugin start:
//
//	v, _ := dpop.NewVerifier(dpop.Config{Algorithms: …, Nonce: nonces /* or nil */})
//	replays, _ := dpop.NewReplaySet(dpop.ReplayConfig{Shared: store, Prefix: "audguard/<config digest>/dpop/"})
//	nonces, _ := dpop.NewNonces(dpop.NonceConfig{Context: resourceURI, Shared: store, Key: prefix + "nonce-secret"})
//
// Per request, after the access token itself verified (claims in hand):
//
//	Authorization: DPoP <token>      (RFC 9449 §7.1; the scheme name is case-insensitive)
//	    proof, err := dpop.OneProof(<every DPoP header value>)
//	    p, err := v.Verify(proof, dpop.Request{Method: <:method>,
//	        Target: dpop.Target(<origin of the resource's canonical URI>, <:path>), AccessToken: token}, now)
//	    err = dpop.CheckDPoP(dpop.Cnf(&claims), &p)
//	    if replays.Seen(&p, now) { err = dpop.ErrReplayed }   // last, so only accepted proofs are remembered
//	Authorization: Bearer <token>
//	    err = dpop.CheckBearer(dpop.Cnf(&claims))          // ErrDowngrade for a DPoP-bound token
//
// The target's scheme and authority come from the resource's configured canonical URI, never
// from the request's Host or X-Forwarded-* headers, as for audiences (README, "Canonical
// resource URI").
//
// A refusal answers 401 with WWW-Authenticate: DPoP error="<Code(err)>" and algs="<the
// allowed algorithms>" (RFC 9449 §7.1); a resource that also accepts Bearer sends both
// challenges (§7.2). For ErrNonce the code is "use_dpop_nonce" and the response carries
// DPoP-Nonce: nonces.Issue(now) (§9); a successful response may carry a fresh DPoP-Nonce when
// nonces.Stale(<the proof's nonce>, now) (§8.2). Protected resource metadata (RFC 9728 §2) can
// publish dpop_signing_alg_values_supported and dpop_bound_access_tokens_required.
//
// # Readings where RFC 9449 leaves a choice
//
//   - "htu" is compared "ignoring any query and fragment parts" (§4.3 step 9) on both sides:
//     a proof whose htu carries a query or fragment is accepted when the rest matches (the
//     OpenID FAPI 2.0 conformance suite expects that), and normalization is RFC 3986 §6.2.2
//     and §6.2.3, as §4.3 recommends.
//   - "typ" is compared case-insensitively and may carry the "application/" prefix (RFC 7515
//     §4.1.9).
//   - EdDSA and Ed25519 (RFC 9864) name the same algorithm for an Ed25519 key; the npm package
//     dpop, for one, signs with "Ed25519".
//   - A token without "cnf"."jkt" presented with the DPoP scheme is refused (ErrNotBound).
//   - When a nonce is required, iat is still checked: the nonce adds server-managed freshness,
//     it does not replace the window (§11.1).
package dpop
