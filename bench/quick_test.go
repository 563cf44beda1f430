package bench

import (
	"testing"

	"github.com/audguard/audguard/filter/config"
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
	cfg, err := config.Load(pluginConfig(defaultConfig))
	if err != nil {
		t.Fatal(err)
	}
	e := policy.New(cfg, policy.Options{})
	req := &policy.Request{Headers: hitReq(), EndOfStream: true}
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
