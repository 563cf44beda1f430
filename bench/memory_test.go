package bench

import (
	"flag"
	"fmt"
	"testing"
)

// requests is how many requests the linear-memory run sends. `make bench`
// uses the documented 1,000,000; the default keeps a plain
// `go test -bench Memory` short on a small machine.
var requests = flag.Int("requests", 100000, "requests in the linear memory run (make bench: 1000000)")

// memoryTokens is how many distinct tokens the memory run cycles through:
// ten times the default cache size, so every request misses and the cache
// keeps evicting (the worst case for memory).
const memoryTokens = 10000

// memoryResult is the guest's linear memory, in 64 KiB pages.
type memoryResult struct {
	startPages, endPages uint32
	requests             int
}

func (m memoryResult) String() string {
	return fmt.Sprintf("%d pages (%.1f MiB) after start, %d pages (%.1f MiB) after %d requests",
		m.startPages, mib(m.startPages), m.endPages, mib(m.endPages), m.requests)
}

func mib(pages uint32) float64 { return float64(pages) * wasmPageSize / (1 << 20) }

// measureMemory starts p in a fresh module with the default configuration
// (default cache size), then sends n requests, each with one of
// memoryTokens distinct HS256 tokens in turn. HS256 keeps a million
// verifications affordable under wazero; the memory behaviour (a cache miss,
// a verification, an insertion and an eviction per request) is the same for
// every algorithm.
// pagesAfterStart is the linear memory of a fresh instance of p right after
// its plugin started with cfg.
func pagesAfterStart(tb testing.TB, p plugin, cfg []byte) uint32 {
	tb.Helper()
	vm, w := freshStart(tb, p, cfg)
	defer vm.vm.Close()
	defer w.reset()
	return vm.g.pages()
}

// freshStart compiles a new instance of p (not the shared one, whose memory
// earlier benchmarks have grown) and starts its plugin with cfg.
func freshStart(tb testing.TB, p plugin, cfg []byte) (*wasmVM, *wasmHost) {
	tb.Helper()
	requireWazero(tb)
	vm, err := newWasmVM(p)
	if err != nil {
		tb.Fatalf("%s module: %v", p, err)
	}
	return vm, start(tb, vm, cfg)
}

func measureMemory(tb testing.TB, p plugin, n int) memoryResult {
	tb.Helper()
	var cfg []byte
	if p == pluginAudguard {
		cfg = pluginConfig(defaultConfig)
	}
	vm, w := freshStart(tb, p, cfg)
	defer vm.vm.Close()
	defer w.reset()
	reqs := coldReqsN("HS256", memoryTokens)
	res := memoryResult{startPages: vm.g.pages(), requests: n}
	for i := 0; i < n; i++ {
		if err := w.do(reqs[i%len(reqs)], 0); err != nil {
			tb.Fatalf("request %d: %v", i, err)
		}
	}
	res.endPages = vm.g.pages()
	return res
}

func coldReqsN(alg string, n int) [][][2]string {
	out := make([][][2]string, 0, n)
	for _, t := range tokenPool(alg, n) {
		out = append(out, authorized(t))
	}
	return out
}

// BenchmarkMemory reports linear memory after start and after -requests
// requests, for the filter and the do-nothing plugin. It does the same work
// whatever b.N is; run it with -benchtime=1x.
func BenchmarkMemory(b *testing.B) {
	for _, p := range []plugin{pluginAudguard, pluginNoop} {
		b.Run(string(p), func(b *testing.B) {
			m := measureMemory(b, p, *requests)
			b.ReportMetric(float64(m.startPages), "pages-start")
			b.ReportMetric(float64(m.endPages), "pages-end")
			b.ReportMetric(mib(m.endPages), "MiB-end")
		})
	}
}
