package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/audguard/audguard/filter/dpop"
	"github.com/audguard/audguard/internal/mint"
)

// DPoP in the engine (docs/request-flow.md#11a-dpop); the table cases, natively
// and in the module, are filter/dpop_cases_test.go.

func dpopConfig(mode string, nonce bool) func(map[string]any) {
	return func(m map[string]any) {
		r := m["resources"].([]any)[0].(map[string]any)
		r["dpop"] = mode
		if nonce {
			r["dpop_nonce"] = true
		}
	}
}

// dpopRequest is a POST to resA's endpoint with the DPoP scheme: a token
// bound to key and a proof made at now (with nonce when not empty).
func dpopRequest(t *testing.T, now time.Time, key *mint.Key, jti, nonce string) *Request {
	t.Helper()
	tok := token(t, now, resA, map[string]any{"cnf": map[string]any{"jkt": key.Thumbprint()}})
	cl := map[string]any{"jti": jti, "htm": "POST", "htu": resA, "iat": now.Unix(), "ath": mint.TokenHash(tok)}
	if nonce != "" {
		cl["nonce"] = nonce
	}
	p, err := key.DPoPProof(cl, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Request{Headers: [][2]string{{":method", "POST"}, {":path", "/mcp"}, {":authority", authA},
		{"authorization", "DPoP " + tok}, {"dpop", p}}}
}

func dpopKey(t *testing.T) *mint.Key {
	k, err := mint.NewKey("EdDSA", "")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func header(hs [][2]string, name string) (string, bool) {
	for _, kv := range hs {
		if kv[0] == name {
			return kv[1], true
		}
	}
	return "", false
}

// TestDPoPAcrossVMs: the VMs of a proxy (engines over one shared store)
// refuse a proof another VM accepted, and accept the nonces another VM
// issued, without a configured nonce secret.
func TestDPoPAcrossVMs(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	store := newMapStore()
	cfg := loadConfig(t, dpopConfig("required", true))
	vm1 := New(cfg, Options{Now: c.now, DPoPShared: store})
	vm2 := New(cfg, Options{Now: c.now, DPoPShared: store})
	key := dpopKey(t)

	d := vm1.Decide(dpopRequest(t, c.t, key, "j1", ""))
	nonce, ok := header(d.ReplyHeaders, "dpop-nonce")
	if d.Reason != ReasonUseDPoPNonce || !ok {
		t.Fatalf("vm1 without a nonce: %v %v, dpop-nonce %v", d.Outcome, d.Reason, ok)
	}
	req := dpopRequest(t, c.t, key, "j2", nonce)
	if d := vm2.Decide(req); d.Outcome != OutcomeAllowed {
		t.Fatalf("vm2 with vm1's nonce: %v %v", d.Outcome, d.Reason)
	}
	if d := vm1.Decide(req); d.Reason != ReasonDPoPReplayed {
		t.Fatalf("vm1, the proof vm2 accepted: %v %v, want dpop_replayed", d.Outcome, d.Reason)
	}
	if s, ok := vm1.DPoPStats(); !ok || s.Replays != 1 || s.SharedReplays != 1 {
		t.Errorf("vm1 stats %+v, %v: want one replay, known from the shared data", s, ok)
	}
	if !strings.HasPrefix(firstKey(store, "/dpop/"), "audguard/") {
		t.Errorf("no shared entry under audguard/<digest>/dpop/: %v", store.m)
	}
}

func firstKey(s *mapStore, part string) string {
	for k := range s.m {
		if strings.Contains(k, part) {
			return k
		}
	}
	return ""
}

// TestDPoPStaleNonceGetsTheNext: a proof carrying the previous slot's nonce
// is accepted, and the response carries the current one (RFC 9449 §8.2);
// report mode changes no response.
func TestDPoPStaleNonceGetsTheNext(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	for _, mode := range []string{"enforce", "report"} {
		cfg := loadConfig(t, func(m map[string]any) {
			dpopConfig("required", true)(m)
			m["mode"] = mode
		})
		e := New(cfg, Options{Now: c.now})
		key := dpopKey(t)
		c.t = c.t.Add(-dpop.DefaultNonceSlot)
		d := e.Decide(dpopRequest(t, c.t, key, "j1", ""))
		old, _ := header(d.ReplyHeaders, "dpop-nonce")
		if mode == "report" {
			if d.Outcome != OutcomeWouldDeny || d.Reason != ReasonUseDPoPNonce || old != "" {
				t.Fatalf("report: %v %v %q", d.Outcome, d.Reason, old)
			}
			c.t = c.t.Add(dpop.DefaultNonceSlot)
			continue
		}
		c.t = c.t.Add(dpop.DefaultNonceSlot)
		d = e.Decide(dpopRequest(t, c.t, key, "j2", old))
		next, ok := header(d.Response, "dpop-nonce")
		if d.Outcome != OutcomeAllowed || !ok || next == old {
			t.Fatalf("stale nonce: %v %v, response nonce %q (old %q)", d.Outcome, d.Reason, next, old)
		}
		d = e.Decide(dpopRequest(t, c.t, key, "j3", next))
		if _, ok := header(d.Response, "dpop-nonce"); d.Outcome != OutcomeAllowed || ok {
			t.Fatalf("current nonce: %v %v, response nonce sent %v", d.Outcome, d.Reason, ok)
		}
	}
}

// TestDPoPDescriptions: every DPoP check has its own error_description, in
// the characters RFC 6750 §3 allows.
func TestDPoPDescriptions(t *testing.T) {
	for _, err := range []error{dpop.ErrMissing, dpop.ErrMultiple, dpop.ErrTooLarge, dpop.ErrMalformed, dpop.ErrType,
		dpop.ErrAlgorithm, dpop.ErrNoKey, dpop.ErrPrivateKey, dpop.ErrKeyUnusable, dpop.ErrSignature, dpop.ErrJTI,
		dpop.ErrMethod, dpop.ErrTarget, dpop.ErrIssuedAt, dpop.ErrTokenHash, dpop.ErrConfirmation, dpop.ErrNotBound,
		dpop.ErrKeyMismatch, dpop.ErrDowngrade} {
		d := dpopDescriptions[dpop.Reason(err)]
		if d == "" {
			t.Errorf("%v: no description", err)
		}
		for i := 0; i < len(d); i++ {
			if c := d[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
				t.Errorf("%v: description has %q", err, c)
			}
		}
	}
	var e Engine
	for err, want := range map[error]Reason{dpop.ErrNonce: ReasonUseDPoPNonce, dpop.ErrReplayed: ReasonDPoPReplayed,
		dpop.ErrDowngrade: ReasonDPoPBinding, dpop.ErrKeyMismatch: ReasonDPoPBinding, dpop.ErrTarget: ReasonInvalidDPoPProof, nil: ReasonNone} {
		if got := e.dpopReason(err); got != want {
			t.Errorf("dpopReason(%v) = %v, want %v", err, got, want)
		}
	}
}

// TestDPoPTrace: the explain trace names the DPoP step, never the proof.
func TestDPoPTrace(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	var steps []Step
	e := New(loadConfig(t, dpopConfig("required", false)), Options{Now: c.now, Trace: func(s Step) { steps = append(steps, s) }})
	req := dpopRequest(t, c.t, dpopKey(t), "j1", "")
	if d := e.Decide(req); d.Outcome != OutcomeAllowed {
		t.Fatalf("%v %v", d.Outcome, d.Reason)
	}
	found := false
	for _, s := range steps {
		found = found || s.Name == "dpop" && s.OK
		if proof, _ := header(req.Headers, "dpop"); strings.Contains(s.Detail, proof[len(proof)-20:]) {
			t.Errorf("step %s carries proof bytes", s.Name)
		}
	}
	if !found {
		t.Errorf("no passed dpop step in %+v", steps)
	}
}

// TestDPoPBindingOnCacheHits: the cache entry remembers the token's cnf
// (Engine.cnf), and every hit still applies it: a bound token stays refused
// as Bearer on every repeat, the same token with its proof is allowed from
// the cache, and an unbound token's entry does not take a bound one's cnf.
func TestDPoPBindingOnCacheHits(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	e := New(loadConfig(t, dpopConfig("allowed", false)), Options{Now: c.now})
	key := dpopKey(t)
	bound := token(t, c.t, resA, map[string]any{"cnf": map[string]any{"jkt": key.Thumbprint()}})
	plain := token(t, c.t, resA, nil)
	bearer := func(tok string) *Request {
		return &Request{Headers: [][2]string{{":method", "GET"}, {":path", "/mcp"}, {":authority", authA}, {"authorization", "Bearer " + tok}}}
	}
	for i := range 3 {
		if d := e.Decide(bearer(bound)); d.Reason != ReasonDPoPBinding {
			t.Fatalf("bound token as Bearer, request %d: %v %v, want dpop_binding", i, d.Outcome, d.Reason)
		}
		if d := e.Decide(bearer(plain)); d.Outcome != OutcomeAllowed {
			t.Fatalf("unbound token, request %d: %v %v", i, d.Outcome, d.Reason)
		}
	}
	for i, jti := range []string{"a", "b"} {
		cl := map[string]any{"jti": jti, "htm": "POST", "htu": resA, "iat": c.t.Unix(), "ath": mint.TokenHash(bound)}
		p, err := key.DPoPProof(cl, nil)
		if err != nil {
			t.Fatal(err)
		}
		d := e.Decide(&Request{Headers: [][2]string{{":method", "POST"}, {":path", "/mcp"}, {":authority", authA},
			{"authorization", "DPoP " + bound}, {"dpop", p}}})
		if d.Outcome != OutcomeAllowed || d.Cache != CacheHit {
			t.Fatalf("bound token with its proof, request %d: %v %v cache %v, want allowed from the cache", i, d.Outcome, d.Reason, d.Cache)
		}
	}
}
