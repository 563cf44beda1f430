package bench

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/audguard/audguard/filter/config"
	jwks "github.com/audguard/audguard/filter/keys"
	"github.com/audguard/audguard/filter/policy"
	"github.com/audguard/audguard/internal/mint"
)

// DPoP (RFC 9449; docs/request-flow.md#11a-dpop): what a DPoP request costs
// on a token-cache hit, against the same request with the Bearer scheme on a
// cache hit and against the bare standard-library check of the proof's
// signature, per proof algorithm.
//
// A proof is single-use (the replay set refuses a jti seen within the iat
// window), so every timed request carries its own proof, minted before the
// timer starts with an iat at the clock the engine will read: time.Now
// natively; in the module wazero's fake walltime, which starts at wasmEpoch
// and moves 1 ms per reading, so the proofs' iat follow it (guest.clock,
// wasmDPoPReqs).

// dpopAlgs are the proof algorithms benchmarked, in table order.
var dpopAlgs = []string{"ES256", "EdDSA"}

var (
	dpopKeysOnce sync.Once
	dpopKeySet   map[string]*benchKey
)

// dpopKey is the client's proof key for alg (not one of the issuer's keys),
// generated once per test binary.
func dpopKey(alg string) *benchKey {
	dpopKeysOnce.Do(func() {
		dpopKeySet = map[string]*benchKey{}
		for _, a := range dpopAlgs {
			dpopKeySet[a] = newBenchKey(a, "dpop-"+strings.ToLower(a))
		}
	})
	return dpopKeySet[alg]
}

var (
	dpopTokMu sync.Mutex
	dpopToks  = map[string]string{}
)

// dpopToken is the hit case's RS256 token (claims(issCorp, 0)) bound to the
// proof key of alg (cnf.jkt, RFC 9449 §6.1).
func dpopToken(alg string) string {
	dpopTokMu.Lock()
	defer dpopTokMu.Unlock()
	if t, ok := dpopToks[alg]; ok {
		return t
	}
	c := claims(issCorp, 0)
	c["cnf"] = map[string]any{"jkt": dpopKey(alg).mint.Thumbprint()}
	t, err := keys()["RS256"].mint.Sign(c, nil)
	must(err)
	dpopToks[alg] = t
	return t
}

// dpopHTU is the proofs' htu: the main resource's URI, which the requests
// POST to.
const dpopHTU = resMain

// dpopConfig is the default configuration with dpop "required" at the main
// resource (default algorithms, iat window and replay set, no nonce).
func dpopConfig() []byte {
	var cfg map[string]any
	must(json.Unmarshal(pluginConfig(defaultConfig), &cfg))
	cfg["resources"].([]any)[0].(map[string]any)["dpop"] = "required"
	b, err := json.Marshal(cfg)
	must(err)
	return b
}

// dpopProof is a proof by alg's key for a POST to the main resource with
// tok, with its own jti, issued at iat (Unix seconds).
func dpopProof(alg, tok string, jti int, iat int64) string {
	p, err := dpopKey(alg).mint.DPoPProof(map[string]any{
		"jti": fmt.Sprintf("bench-%d", jti), "htm": "POST", "htu": dpopHTU, "iat": iat, "ath": mint.TokenHash(tok),
	}, nil)
	must(err)
	return p
}

// dpopReqs returns n requests, each hitReq's request with the DPoP scheme,
// alg's bound token and a proof of its own: jti first, first+1, …; request i
// has iat(i).
func dpopReqs(alg string, first, n int, iat func(i int) int64) [][][2]string {
	tok := dpopToken(alg)
	reqs := make([][][2]string, n)
	var wg sync.WaitGroup
	const workers = 4 // minting is most of the setup of a long run
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				reqs[i] = append(baseHeaders("/mcp"), [2]string{"authorization", "DPoP " + tok},
					[2]string{"dpop", dpopProof(alg, tok, first+i, iat(i))})
			}
		}()
	}
	wg.Wait()
	return reqs
}

// clock reads the module's walltime (wazero's fake clock, which moves
// 1 ms per reading; this reading moves it too) through the instance's
// exported Sys field (wasm.ModuleInstance.Sys, *sys.Context, method
// Walltime): the clock the filter's time.Now reads.
func (g *guest) clock() (time.Time, error) {
	v := reflect.ValueOf(g.mod)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return time.Time{}, fmt.Errorf("bench: unexpected module %T", g.mod)
	}
	s := v.Elem().FieldByName("Sys")
	if !s.IsValid() || s.Kind() != reflect.Pointer || s.IsNil() {
		return time.Time{}, fmt.Errorf("bench: module %T has no Sys context", g.mod)
	}
	m := s.MethodByName("Walltime")
	if !m.IsValid() {
		return time.Time{}, fmt.Errorf("bench: %s has no Walltime method", s.Type())
	}
	out := m.Call(nil)
	return time.Unix(out[0].Int(), out[1].Int()), nil
}

// dpopClockCalibration is how many DPoP cache hits wasmDPoPReqs sends to
// measure how far one request moves the module's clock.
const dpopClockCalibration = 32

// runWasmDPoP measures a DPoP request of alg on a cache hit in the compiled
// module (wasmDPoPReqs): b.N timed hits, each with its own proof.
func runWasmDPoP(b *testing.B, alg string) {
	requireWazero(b)
	vm := shared(b, pluginAudguard)
	w := start(b, vm, dpopConfig())
	defer w.stop()
	reqs := wasmDPoPReqs(b, w, alg, b.N)
	hits, misses := w.counter(policy.CounterCacheHit), w.counter(policy.CounterCacheMiss)
	w.loop(b, reqs, 0) // fails on any request not passed on
	checkCache(b, cacheAllHit, w.counter(policy.CounterCacheHit)-hits, w.counter(policy.CounterCacheMiss)-misses, 0)
}

// wasmDPoPReqs sends w a miss (the token verified and cached) and
// dpopClockCalibration hits, which measure how far one request moves the
// module's clock, and returns n more requests of alg, request i with a
// proof issued at the module's clock for it.
func wasmDPoPReqs(tb testing.TB, w *wasmHost, alg string, n int) [][][2]string {
	tb.Helper()
	t0, err := w.vm.g.clock()
	if err != nil {
		tb.Fatal(err)
	}
	warm := dpopReqs(alg, 0, 1+dpopClockCalibration, func(int) int64 { return t0.Unix() })
	for i, r := range warm {
		if i == 1 {
			if t0, err = w.vm.g.clock(); err != nil {
				tb.Fatal(err)
			}
		}
		if err := w.do(r, 0); err != nil {
			tb.Fatalf("warm-up request %d: %v", i, err)
		}
	}
	t1, err := w.vm.g.clock()
	if err != nil {
		tb.Fatal(err)
	}
	step := t1.Sub(t0) / dpopClockCalibration // per hit, the clock reading above included
	return dpopReqs(alg, len(warm), n, func(i int) int64 { return t1.Add(time.Duration(i) * step).Unix() })
}

// TestDPoPBenchModule runs a few of the benchmark's DPoP hits in the module:
// a change in wazero's layout (guest.clock) or in the proofs fails here,
// in `make test`, instead of at benchmark time.
func TestDPoPBenchModule(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the Wasm module; skipped with -short")
	}
	requireWazero(t)
	for _, alg := range dpopAlgs {
		t.Run(alg, func(t *testing.T) {
			w := start(t, shared(t, pluginAudguard), dpopConfig())
			defer w.stop()
			hits := w.counter(policy.CounterCacheHit)
			for i, r := range wasmDPoPReqs(t, w, alg, 8) {
				if err := w.do(r, 0); err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
			}
			if got := w.counter(policy.CounterCacheHit) - hits; got != dpopClockCalibration+8 {
				t.Errorf("%d cache hits, want %d", got, dpopClockCalibration+8)
			}
		})
	}
}

// newDPoPEngine is the engine of dpopConfig natively, with the replay set
// in a local shared store as the module keeps it in shared data.
func newDPoPEngine(tb testing.TB) *policy.Engine {
	cfg, err := config.Load(dpopConfig())
	if err != nil {
		tb.Fatal(err)
	}
	e, err := policy.NewEngine(cfg, policy.Options{DPoPShared: jwks.NewLocalStore()})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// runNativeDPoP is runWasmDPoP in policy.Engine: proofs issued now.
func runNativeDPoP(b *testing.B, alg string) {
	e := newDPoPEngine(b)
	now := func(int) int64 { return time.Now().Unix() }
	if d := e.Decide(&policy.Request{Headers: dpopReqs(alg, 0, 1, now)[0], EndOfStream: true}); d.Outcome != policy.OutcomeAllowed {
		b.Fatalf("first request: outcome %v reason %v, want allowed", d.Outcome, d.Reason)
	}
	reqs := dpopReqs(alg, 1, b.N, now)
	var hits uint64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := e.Decide(&policy.Request{Headers: reqs[i], EndOfStream: true})
		if d.Outcome != policy.OutcomeAllowed {
			b.Fatalf("request %d: outcome %v reason %v, want allowed", i, d.Outcome, d.Reason)
		}
		if d.Cache == policy.CacheHit {
			hits++
		}
	}
	b.StopTimer()
	checkCache(b, cacheAllHit, hits, uint64(b.N)-hits, 0)
}

// dpopFloorInput is one proof of alg split for the bare check: signing
// input, and signature as the standard library takes it (ASN.1 DER for
// ES256, RFC 7518 §3.4's r‖s re-encoded; raw for EdDSA).
func dpopFloorInput(alg string) (msg, sig []byte) {
	p := dpopProof(alg, dpopToken(alg), 0, time.Now().Unix())
	i := strings.LastIndexByte(p, '.')
	raw, err := base64.RawURLEncoding.DecodeString(p[i+1:])
	must(err)
	msg = []byte(p[:i])
	if alg != "ES256" {
		return msg, raw
	}
	der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(raw[:32]), new(big.Int).SetBytes(raw[32:])})
	must(err)
	return msg, der
}

// dpopFloorCheck is the bare check of one proof's signature natively:
// SHA-256 and ecdsa.VerifyASN1 for ES256, ed25519.Verify for EdDSA.
func dpopFloorCheck(alg string) func() bool {
	msg, sig := dpopFloorInput(alg)
	switch pub := dpopKey(alg).public.(type) {
	case *ecdsa.PublicKey:
		return func() bool {
			d := sha256.Sum256(msg)
			return ecdsa.VerifyASN1(pub, d[:], sig)
		}
	case ed25519.PublicKey:
		return func() bool { return ed25519.Verify(pub, msg, sig) }
	}
	panic("bench: no DPoP floor for " + alg)
}

func benchDPoPFloor(alg string) func(b *testing.B) {
	return func(b *testing.B) {
		check := dpopFloorCheck(alg)
		if !check() {
			b.Fatalf("%s proof signature does not verify", alg)
		}
		b.ReportAllocs()
		for b.Loop() {
			if !check() {
				b.Fatal("signature does not verify")
			}
		}
	}
}

// stdverifyDPoPConfig is the reference verifier's configuration for the
// proofs: the ES256 and EdDSA proof keys with one proof's signing input and
// signature each (the plugin checks ES256 with ecdsa.Verify, which is
// ecdsa.VerifyASN1 after encoding r and s).
func stdverifyDPoPConfig() []byte {
	var sb strings.Builder
	enc := base64.RawURLEncoding
	for _, alg := range dpopAlgs {
		var raw []byte
		switch pub := dpopKey(alg).public.(type) {
		case *ecdsa.PublicKey:
			var err error
			raw, err = pub.Bytes()
			must(err)
		case ed25519.PublicKey:
			raw = pub
		}
		p := dpopProof(alg, dpopToken(alg), 0, time.Now().Unix())
		i := strings.LastIndexByte(p, '.')
		fmt.Fprintf(&sb, "%s %s %s %s\n", alg, enc.EncodeToString(raw), enc.EncodeToString([]byte(p[:i])), p[i+1:])
	}
	return []byte(sb.String())
}

// stdverifyDPoPCase is the reference plugin checking alg's proof signature
// per request (the request carries x-alg).
func stdverifyDPoPCase(alg string) filterCase {
	return filterCase{name: "stdverify/dpop-" + alg, plugin: pluginStdverify, cfg: stdverifyDPoPConfig,
		reqs: oneReq(func() [][2]string { return append(hitReq(), [2]string{"x-alg", alg}) })}
}

// bearerHitCase is the Bearer baseline: the hit case of filterCases (dpop
// off, the same RS256 token unbound, the same headers).
func bearerHitCase() filterCase {
	return filterCase{name: "hit", plugin: pluginAudguard, cfg: audguardCfg(defaultConfig), reqs: oneReq(hitReq), cache: cacheAllHit}
}

// BenchmarkDPoP is a DPoP request on a cache hit per proof algorithm, in
// the module and natively, with the Bearer hit and the bare proof
// signature check (stdverify in the module, the standard library natively).
func BenchmarkDPoP(b *testing.B) {
	bh := bearerHitCase()
	b.Run("wasm/bearer-hit", func(b *testing.B) { runWasm(b, bh) })
	b.Run("native/bearer-hit", func(b *testing.B) { runNative(b, bh) })
	b.Run("wasm/noop", func(b *testing.B) {
		runWasm(b, filterCase{name: "noop", plugin: pluginNoop, cfg: func() []byte { return nil }, reqs: oneReq(hitReq)})
	})
	for _, alg := range dpopAlgs {
		b.Run("wasm/hit/"+alg, func(b *testing.B) { runWasmDPoP(b, alg) })
		b.Run("native/hit/"+alg, func(b *testing.B) { runNativeDPoP(b, alg) })
		b.Run("wasm/stdverify/"+alg, func(b *testing.B) { runWasm(b, stdverifyDPoPCase(alg)) })
		b.Run("native/floor/"+alg, benchDPoPFloor(alg))
	}
}

// maxDPoPHitAllocs bounds the heap allocations of a DPoP request on a cache
// hit in the native engine, per proof algorithm, proof checked and
// remembered (measured: 15 for ES256, the standard library's P-256
// verification; 3 for EdDSA). Raising it needs a reason in the commit.
var maxDPoPHitAllocs = map[string]float64{"ES256": 15, "EdDSA": 3}

// dpopHitAllocs returns the allocations of one DPoP request of alg on a
// cache hit natively, each run with a fresh proof.
func dpopHitAllocs(tb testing.TB, alg string) float64 {
	tb.Helper()
	const runs = 200
	e := newDPoPEngine(tb)
	reqs := dpopReqs(alg, 0, runs+2, func(int) int64 { return time.Now().Unix() })
	req := &policy.Request{}
	i, allowed, hits := 0, 0, 0
	var d *policy.Decision
	judge := func() {
		*req = policy.Request{Headers: reqs[i], EndOfStream: true}
		i++
		d = e.Decide(req)
		if d.Outcome == policy.OutcomeAllowed {
			allowed++
			if d.Cache == policy.CacheHit {
				hits++
			}
		}
	}
	judge() // verifies the token
	if d.Outcome != policy.OutcomeAllowed {
		tb.Fatalf("%s, first request: outcome %v reason %v; want allowed", alg, d.Outcome, d.Reason)
	}
	allocs := testing.AllocsPerRun(runs, judge) // runs+1 calls
	if allowed != runs+2 || hits != runs+1 {
		tb.Fatalf("%s: %d of %d requests allowed, %d cache hits; want all allowed, all but the first hits", alg, allowed, i, hits)
	}
	return allocs
}

// TestDPoPHitAllocs keeps a DPoP request on a cache hit within
// maxDPoPHitAllocs in the engine. Allocation counts are deterministic.
func TestDPoPHitAllocs(t *testing.T) {
	for _, alg := range dpopAlgs {
		t.Run(alg, func(t *testing.T) {
			a := dpopHitAllocs(t, alg)
			t.Logf("%.1f allocs/op", a)
			if a > maxDPoPHitAllocs[alg] {
				t.Errorf("DPoP hit, %s proof: %.1f allocs/op, bound %.0f", alg, a, maxDPoPHitAllocs[alg])
			}
		})
	}
}

// dpopSection measures BenchmarkDPoP's rows for TestReport and prints their
// table: per proof algorithm the DPoP hit, the Bearer hit and the bare proof
// signature check, in the module (the check: the stdverify plugin less the
// do-nothing plugin, so that the stream's cost is counted once, in the
// Bearer hit) and natively, with the target of each algorithm in the module.
func dpopSection(t *testing.T, p func(string, ...any), targets *[]target) {
	p("### DPoP on a cache hit (RFC 9449; ratio to the bare proof signature check plus the Bearer hit)")
	p("")
	p("| proof | DPoP hit (wasm) | B/op | Bearer hit | proof check (stdverify − noop) | × (check + Bearer) | DPoP hit (native) | allocs | Bearer hit | proof check (stdlib) | × (check + Bearer) |")
	p("|---|---|---|---|---|---|---|---|---|---|---|")
	bh := bearerHitCase()
	bearerW := measure(t, "DPoP/wasm/bearer-hit", func(b *testing.B) { runWasm(b, bh) })
	bearerN := measure(t, "DPoP/native/bearer-hit", func(b *testing.B) { runNative(b, bh) })
	noop := measure(t, "DPoP/wasm/noop", func(b *testing.B) {
		runWasm(b, filterCase{name: "noop", plugin: pluginNoop, cfg: func() []byte { return nil }, reqs: oneReq(hitReq)})
	})
	sum := func(a, b measured) measured { return measured{ns: a.ns + b.ns, ok: a.ok && b.ok} }
	for _, alg := range dpopAlgs {
		hw := measure(t, "DPoP/wasm/hit/"+alg, func(b *testing.B) { runWasmDPoP(b, alg) })
		sv := measure(t, "DPoP/wasm/stdverify/"+alg, func(b *testing.B) { runWasm(b, stdverifyDPoPCase(alg)) })
		hn := measure(t, "DPoP/native/hit/"+alg, func(b *testing.B) { runNativeDPoP(b, alg) })
		fl := measure(t, "DPoP/native/floor/"+alg, benchDPoPFloor(alg))
		check := measured{ns: sv.ns - noop.ns, ok: sv.ok && noop.ok}
		p("| %s | %s | %.0f | %s | %s | %s | %s | %.0f | %s | %s | %s |", alg, dur(hw), hw.bytes, dur(bearerW), dur(check),
			ratio(hw, sum(check, bearerW)), dur(hn), hn.allocs, dur(bearerN), dur(fl), ratio(hn, sum(fl, bearerN)))
		*targets = append(*targets, target{"DPoP hit " + alg + " in wasm ≤ 1.2× (bare proof signature check + Bearer hit)",
			hw.ok && check.ok && bearerW.ok && hw.ns <= 1.2*(check.ns+bearerW.ns), ratio(hw, sum(check, bearerW))})
	}
	p("")
	p("The DPoP hit is the Bearer hit's request (same headers, the same RS256 token with cnf.jkt) with the DPoP scheme and a proof of its own per request (POST, htu, ath, a fresh jti, iat at the engine's clock) at a resource with dpop required: one proof verified, bound to the token and recorded in the replay set (shared data in the module). The check in the module is the stdverify plugin on one proof (SHA-256 and ecdsa.Verify, i.e. VerifyASN1 after encoding r and s; ed25519.Verify) less the do-nothing plugin; natively it is SHA-256 and ecdsa.VerifyASN1, or ed25519.Verify.")
	p("")
}
