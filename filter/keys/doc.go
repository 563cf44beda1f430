// Package keys keeps an issuer's verification keys when they come from a remote JWK Set
// (RFC 7517 §5) at the issuer's jwks_uri (RFC 8414 §2; OpenID Connect Discovery 1.0 §3), next
// to or instead of configured keys, and the per-issuer revocation levers.
//
// Like package policy it imports no proxy-wasm SDK and reads no clock: the glue passes now to
// every call and carries out the Actions it gets back (ActFetch: DispatchHttpCall; ActWake:
// decide a paused request again; ActWarn: log a line). No goroutine, no timer.
//
// # One issuer's keys
//
// Keys(i) is the configured keys plus the last good fetched set; a fetched key whose kid a
// configured key has is skipped (configured keys win). Every key, configured, fetched or taken
// from shared data, is judged by jwtlite under the issuer's algorithms: bound to exactly one
// algorithm (RFC 8725 §3.1), RSA of 2048–8192 bits, EC points on their curve, "use"/"key_ops"
// honoured. A fetched "oct" key is always skipped.
//
// # The state machine, per issuer with a jwks_uri
//
//	       Tick at plugin start
//	              │ lease (CAS in shared data)
//	              ▼
//	┌──────────► FETCHING ── 200 + ParseSet ok ──► GOOD: replace fetched keys, publish set
//	│              │                                     next = refresh ±10 %
//	│              └─ status, timeout, ParseSet error ─► FAILED: keep last good set (fail static)
//	│                                                        next = 1 s, 2 s, 4 s … ≤ refresh
//	└── next due · unknown kid (≥ refetch_min since the last fetch started) · expired lease
//
//	a good set older than jwks_max_stale_seconds (≠ 0) is dropped once a fetch that started at or
//	after that age has failed (this VM's or, by the control entry, another's) — never on age alone
//
// The request path asks Select(i, header). On jwtlite.ErrUnknownKey it asks OnMiss, which
// answers MissWait (pause; an ActWake follows when the fetch ends: the request is decided again
// and does not wait twice), MissUnknownKey (401 unknown_key: the issuer's keys are all there and
// none fits) or MissUnavailable (503 keys_unavailable: no good fetched set — first fetch not done
// or failed, or dropped as stale — and no configured key fits). At most
// DefaultMaxWaiters (256) requests wait per VM; Cancel forgets one whose stream ended.
//
// # One proxy, one fetch
//
// The VMs of a proxy share, in proxy-wasm shared data under a prefix naming the configuration,
// a small control entry (fetch lease: owner VM and expiry = start + timeout + 2 s; the schedule;
// the published generation) and the published set (Set.Compact, its fetch time and generation).
// A VM fetches only after taking the lease with compare-and-swap; an expired lease is taken
// over. The VM that fetched publishes the set; every other VM takes it on its Tick after
// judging it again with ParseSet — shared bytes are never trusted more than a fetch, and a
// refused entry changes nothing. Shared data is writable by every module of the vm_id, so a
// module there could still publish a well-formed set of its own keys: give audguard its own
// vm_id (RATIONALE.md, "Sharing verified tokens between VMs is opt-in").
//
// # Driving it from the glue
//
//	OnPluginStart      st, _ = New(issuers, Options{Shared, Prefix, VMID}); run(st.Tick(now));
//	                   if st.HasRemote() { SetTickPeriodMilliSeconds(TickPeriod) }
//	OnTick             run(st.Tick(now))
//	request path       k, err := st.Select(i, &header)   // zero allocations
//	                   on ErrUnknownKey: m, acts := st.OnMiss(now, i, contextID, !ctx.waited); run(acts)
//	                   MissWait → ctx.waited = true, pause; MissUnknownKey → 401; MissUnavailable → 503
//	                   after the signature: Revocation.Revoked / RevokedClaims
//	OnHttpStreamDone   st.Cancel(contextID)
//	run(acts)          ActFetch → DispatchHttpCall(Cluster, Headers, nil, nil, TimeoutMS, callback);
//	                              callback: st.OnFetchResponse(now, Seq, status (0 if none), ≤ MaxBodyBytes+1 body bytes);
//	                              a dispatch error: st.OnFetchFailed(now, Seq, err.Error())
//	                   ActWake  → SetEffectiveContext(Waiter); decide again; resume or answer
//	                   ActWarn  → LogWarn(Text)
//	metrics            st.Stats(now, i): counters (add the increase since the last export) and gauges
//
// Every call returns a fresh slice, so run may call back into the State while it iterates.
//
// # Revocation
//
// Revocation (revoked_key_ids, revoked_token_ids, reject_issued_before) answers, without
// allocating, whether a verified token is revoked.
package keys
