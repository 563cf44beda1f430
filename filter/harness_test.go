package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/audguard/audguard/internal/mint"
)

// wasmPath is the module `make build` writes; the wasm half of every dual
// test runs it through wazero. A missing module is a failure, not a skip.
var wasmPath = filepath.Join("..", "build", "audguard.wasm")

// wasmEpoch is what the module's clock reads under proxytest.NewWasmVMContext
// (wazero's fake walltime): tokens for the wasm run are minted around it.
var wasmEpoch = time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)

// runner is one of the two ways a case runs: natively, or the compiled
// module in wazero. Each has its own clock, and tokens are minted relative to it.
type runner struct {
	name string
	vm   func(t testing.TB) types.VMContext
	now  time.Time
}

var (
	wasmOnce sync.Once
	wasmVM   proxytest.WasmVMContext
	wasmErr  error
)

// sharedWasmVM compiles the module once per test binary (1–2 s) and reuses the
// instance across cases: each case gets a fresh plugin context and config.
func sharedWasmVM(t testing.TB) types.VMContext {
	t.Helper()
	wasmOnce.Do(func() {
		bin, err := os.ReadFile(wasmPath)
		if err != nil {
			wasmErr = fmt.Errorf("%s is missing (run `make build`; `make test` builds it first): %w", wasmPath, err)
			return
		}
		wasmVM, wasmErr = proxytest.NewWasmVMContext(bin)
	})
	if wasmErr != nil {
		t.Fatalf("wasm VM: %v", wasmErr)
	}
	return wasmVM
}

func runners() []runner {
	return []runner{
		{name: "native", vm: func(testing.TB) types.VMContext { return &vmContext{} }, now: time.Now()},
		{name: "wasm", vm: sharedWasmVM, now: wasmEpoch},
	}
}

// keys are generated once per test binary.
type testKeys struct {
	rs, ec, ed, rsOther, edOther, hs *mint.Key
	dpopEd, dpopEC, dpopOther        *mint.Key // DPoP proof keys (filter/dpop_cases_test.go)
}

var (
	keysOnce sync.Once
	keys     testKeys
)

func getKeys(t testing.TB) *testKeys {
	keysOnce.Do(func() {
		must := func(k *mint.Key, err error) *mint.Key {
			if err != nil {
				panic(err)
			}
			return k
		}
		keys = testKeys{
			rs:      must(mint.NewKey("RS256", "rs-1")),
			ec:      must(mint.NewKey("ES256", "ec-1")),
			ed:      must(mint.NewKey("EdDSA", "ed-1")),
			rsOther: must(mint.NewKey("RS256", "rs-1")), // same kid, different key: forged
			edOther: must(mint.NewKey("EdDSA", "other-1")),
			hs:      must(mint.NewKey("HS256", "hs-1")),

			dpopEd:    must(mint.NewKey("EdDSA", "")),
			dpopEC:    must(mint.NewKey("ES256", "")),
			dpopOther: must(mint.NewKey("EdDSA", "")),
		}
	})
	return &keys
}

// host wraps one emulator session: a plugin started with one configuration.
type host struct {
	t     testing.TB
	h     proxytest.HostEmulator
	reset func()
}

// startHost starts the plugin with cfg under r, with the given properties.
// It fails the test unless the start status equals wantStart.
func startHost(t testing.TB, r runner, cfg []byte, props map[string]string, wantStart types.OnPluginStartStatus) *host {
	t.Helper()
	opt := proxytest.NewEmulatorOption().WithVMContext(r.vm(t)).WithPluginConfiguration(cfg)
	for name, v := range props {
		opt = opt.WithProperty(splitProp(name), []byte(v))
	}
	h, reset := proxytest.NewHostEmulator(opt)
	if got := h.StartPlugin(); got != wantStart {
		reset()
		t.Fatalf("%s: OnPluginStart = %v, want %v; error logs: %q", r.name, got, wantStart, h.GetErrorLogs())
	}
	return &host{t: t, h: h, reset: reset}
}

func splitProp(name string) []string {
	switch name {
	case "route":
		return []string{"xds", "route_name"}
	case "vhost":
		return []string{"xds", "virtual_host_name"}
	case "ngxhost":
		return []string{"ngx", "host"}
	}
	panic("unknown property " + name)
}

// counters returns every non-zero counter.
func (h *host) counters(names []string) map[string]uint64 {
	out := map[string]uint64{}
	for _, n := range names {
		if v, err := h.h.GetCounterMetric(n); err == nil && v != 0 {
			out[n] = v
		}
	}
	return out
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
