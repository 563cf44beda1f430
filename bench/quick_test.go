package bench

import (
	"testing"

	"github.com/audguard/audguard/filter/config"
	jwks "github.com/audguard/audguard/filter/keys"
	"github.com/audguard/audguard/filter/policy"
)

// maxHitAllocs is the committed bound on heap allocations of a cache-hit
// decision in the native engine (measured: 1, the Decision's request id).
// Raising it needs a reason in the commit.
const maxHitAllocs = 1

// TestCacheHitAllocs keeps the hot path allocation-free in the engine, the
// part of the per-request cost a Go GC inside the Wasm VM pays for. Not a
// timed assertion: allocation counts are deterministic.
func TestCacheHitAllocs(t *testing.T) {
	cases := []filterCase{{name: "hit", cfg: audguardCfg(defaultConfig), reqs: oneReq(hitReq), cache: cacheAllHit}}
	for _, c := range featureCases() { // the features' hits too: operation rules, fetched keys
		if c.cache == cacheAllHit && c.name != "hit" {
			cases = append(cases, c)
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := config.Load(c.cfg())
			if err != nil {
				t.Fatal(err)
			}
			e := policy.New(cfg, policy.Options{})
			if c.remote {
				answerFirstFetchNative(t, e, remoteJWKS())
			}
			req := &policy.Request{Headers: c.reqs()[0], EndOfStream: true}
			if d := e.Decide(req); d.Outcome != policy.OutcomeAllowed || d.Cache != policy.CacheMiss {
				t.Fatalf("first request: outcome %v reason %v cache %v; want allowed, miss", d.Outcome, d.Reason, d.Cache)
			}
			var d *policy.Decision
			allocs := testing.AllocsPerRun(200, func() { d = e.Decide(req) })
			if d.Outcome != policy.OutcomeAllowed || d.Cache != policy.CacheHit {
				t.Fatalf("repeat request: outcome %v cache %v; want allowed, hit", d.Outcome, d.Cache)
			}
			if allocs > maxHitAllocs {
				t.Errorf("cache-hit decision: %.1f allocs/op, bound %d", allocs, maxHitAllocs)
			}
		})
	}
}

// TestReferencePlugins builds the two reference plugins and the filter,
// reaches each guest's wazero module (the reflection guestOf depends on),
// and runs a few requests through each the way the benchmarks do: a
// layout change in proxytest or wazero fails here, in `make test`, instead
// of at benchmark time.
func TestReferencePlugins(t *testing.T) {
	if testing.Short() {
		t.Skip("builds three Wasm modules; skipped with -short")
	}
	cases := []struct {
		p    plugin
		cfg  []byte
		reqs [][][2]string
	}{
		{pluginNoop, nil, [][][2]string{hitReq()}},
		{pluginReadheaders, nil, [][][2]string{hitReq()}},
		{pluginStdverify, stdverifyConfig(), [][][2]string{
			append(hitReq(), [2]string{"x-alg", "RS256"}),
			append(hitReq(), [2]string{"x-alg", "ES256"}),
			append(hitReq(), [2]string{"x-alg", "EdDSA"}),
		}},
		{pluginAudguard, pluginConfig(defaultConfig), [][][2]string{hitReq(), hitReq(), authorized(tokenPool("EdDSA", 1)[0])}},
	}
	for _, c := range cases {
		t.Run(string(c.p), func(t *testing.T) {
			vm, err := newWasmVM(c.p)
			if err != nil {
				t.Fatal(err)
			}
			defer vm.vm.Close()
			w := start(t, vm, c.cfg)
			defer w.reset()
			if vm.g.pages() == 0 {
				t.Fatal("guest linear memory reads 0 pages")
			}
			for i, r := range c.reqs {
				if err := w.do(r, 0); err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
			}
			if c.p == pluginAudguard {
				hits, misses := w.counter(policy.CounterCacheHit), w.counter(policy.CounterCacheMiss)
				if hits != 1 || misses != 2 {
					t.Errorf("cache counters: %d hits, %d misses; want 1, 2", hits, misses)
				}
			}
		})
	}
	t.Run("stdverify refuses a bad signature", func(t *testing.T) {
		vm := shared(t, pluginStdverify)
		cfg := stdverifyConfig()
		i := len(cfg) - 10 // a character inside the last (EdDSA) signature
		if cfg[i] == 'A' {
			cfg[i] = 'B'
		} else {
			cfg[i] = 'A'
		}
		w := start(t, vm, cfg)
		defer w.reset()
		if err := w.do(append(hitReq(), [2]string{"x-alg", "EdDSA"}), 403); err != nil {
			t.Fatal(err)
		}
	})
}

// maxSharedHitAllocs bounds the allocations of a decision served from
// shared data natively, through keys.NewLocalStore (measured: 6 or 7 from
// run to run). Raising it needs a reason in the commit.
const maxSharedHitAllocs = 7

// TestSharedHitAllocs keeps a shared-data hit within its bound: the
// shared case's token pool cycles through a local cache a quarter its size,
// so after one round every request is served from shared data.
func TestSharedHitAllocs(t *testing.T) {
	var c filterCase
	for _, fc := range featureCases() {
		if fc.cache == cacheShared {
			c = fc
		}
	}
	cfg, err := config.Load(c.cfg())
	if err != nil {
		t.Fatal(err)
	}
	e := policy.New(cfg, policy.Options{Shared: jwks.NewLocalStore()})
	reqs := c.reqs()
	for _, h := range reqs {
		e.Decide(&policy.Request{Headers: h, EndOfStream: true})
	}
	i, shared := 0, 0
	allocs := testing.AllocsPerRun(len(reqs)*4, func() {
		d := e.Decide(&policy.Request{Headers: reqs[i%len(reqs)], EndOfStream: true})
		i++
		if d.Outcome == policy.OutcomeAllowed && d.Cache == policy.CacheShared {
			shared++
		}
	})
	if shared*10 < i*9 {
		t.Fatalf("%d of %d requests served from shared data; want ≥ 90 %%", shared, i)
	}
	if allocs > maxSharedHitAllocs {
		t.Errorf("shared-data hit: %.1f allocs/op, bound %d", allocs, maxSharedHitAllocs)
	}
}
