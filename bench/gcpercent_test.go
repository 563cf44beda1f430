package bench

import (
	"encoding/json"
	"flag"
	"fmt"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/filter/policy"
)

// The collector's allowance: gc_percent (docs/configuration.md#gc_percent),
// the module's GOGC and the budget of the filter's between-request
// collections (filter/gc.go), against linear memory and the cost per
// request, for the default configuration and for 10,000 resources.

// gcPercents are the settings measured, in table order; 100 is the default
// (measured without gc_percent in the configuration) and the ratios' base.
var gcPercents = []int{25, 50, 100, 200, 400}

// gcColdRequests is the cold block of one round for one setting; the hit
// block is twice as long. A block should span collections even at
// gc_percent 400 with 10,000 resources (live heap about 10 MiB, so about
// 40 MiB allocated between collections), or the fastest round is one
// without a collection.
var gcColdRequests = flag.Int("gc.requests", 10000,
	"cold HS256 requests per round and setting in the gc_percent table (twice as many cache hits)")

// gcConfigs are the configurations of the table.
var gcConfigs = []struct {
	name, short string
	opts        configOptions
}{
	{"default (1 resource)", "default", defaultConfig},
	{"10,000 resources", "resources=10000", configOptions{resources: 10000, hsKeys: 1}},
}

// withGCPercent is cfg with gc_percent set (0: left out, the default).
func withGCPercent(cfg []byte, percent int) []byte {
	if percent == 0 || percent == 100 {
		return cfg
	}
	var m map[string]any
	must(json.Unmarshal(cfg, &m))
	m["gc_percent"] = percent
	b, err := json.Marshal(m)
	must(err)
	return b
}

// gcRow is one setting's figures.
type gcRow struct {
	percent              int
	startPages, endPages uint32
	requests             int
	// hit and cold are the fastest round's mean per request; hitMean and
	// coldMean the mean over all rounds; hitRounds and coldRounds each
	// round's mean, in ns.
	hit, cold             measured
	hitMean, coldMean     measured
	hitRounds, coldRounds []float64
}

// measureGCPercent measures each setting in turn in a fresh module started
// with cfg (proxytest allows one host emulator at a time): linear memory
// after the start; then rounds of a block of 2×colds cache hits and a block
// of colds cold HS256 requests cycling through memoryTokens distinct tokens
// (every one a miss, an insertion and an eviction, as in the memory run),
// timed per block; linear memory after the last round. The module is never
// restarted, so the collections fall wherever the allocations put them.
func measureGCPercent(tb testing.TB, cfg []byte, rounds, colds int) []gcRow {
	tb.Helper()
	rows := make([]gcRow, len(gcPercents))
	for i, p := range gcPercents {
		rows[i] = measureGCSetting(tb, withGCPercent(cfg, p), rounds, colds)
		rows[i].percent = p
	}
	return rows
}

func measureGCSetting(tb testing.TB, cfg []byte, rounds, colds int) gcRow {
	tb.Helper()
	vm, w := freshStart(tb, pluginAudguard, cfg)
	defer vm.vm.Close()
	defer w.reset()
	row := gcRow{startPages: vm.g.pages()}
	hit, cold := hitReq(), coldReqsN("HS256", memoryTokens)
	hits, next := 2*colds, 0
	var hitSum, coldSum float64
	for range max(1, rounds) {
		if err := w.do(hit, 0); err != nil { // warm: the cold block evicted it
			tb.Fatal(err)
		}
		h0, m0 := w.counter(policy.CounterCacheHit), w.counter(policy.CounterCacheMiss)
		t0 := time.Now()
		for n := 0; n < hits; n++ {
			if err := w.do(hit, 0); err != nil {
				tb.Fatalf("hit %d: %v", n, err)
			}
		}
		t1 := time.Now()
		for n := 0; n < colds; n++ {
			if err := w.do(cold[next], 0); err != nil {
				tb.Fatalf("cold request %d: %v", n, err)
			}
			next = (next + 1) % len(cold)
		}
		t2 := time.Now()
		if h, m := w.counter(policy.CounterCacheHit)-h0, w.counter(policy.CounterCacheMiss)-m0; h != uint64(hits) || m != uint64(colds) {
			tb.Fatalf("%d hits and %d misses, want %d and %d", h, m, hits, colds)
		}
		hn, cn := float64(t1.Sub(t0).Nanoseconds())/float64(hits), float64(t2.Sub(t1).Nanoseconds())/float64(colds)
		row.hitRounds, row.coldRounds = append(row.hitRounds, hn), append(row.coldRounds, cn)
		hitSum, coldSum = hitSum+hn, coldSum+cn
		row.requests += 1 + hits + colds
	}
	row.hit = measured{ns: slices.Min(row.hitRounds), ok: true}
	row.cold = measured{ns: slices.Min(row.coldRounds), ok: true}
	row.hitMean = measured{ns: hitSum / float64(len(row.hitRounds)), ok: true}
	row.coldMean = measured{ns: coldSum / float64(len(row.coldRounds)), ok: true}
	row.endPages = vm.g.pages()
	return row
}

// nativeLiveHeap is what the configuration keeps live in this process
// (GOARCH=wasm has the same 8-byte pointers and ints as amd64): after
// config.Load and policy.New, and with the token cache filled by distinct
// cold HS256 tokens. The module holds the same plus its runtime's and the
// SDK's own.
func nativeLiveHeap(tb testing.TB, cfg []byte) (load, withCache uint64) {
	tb.Helper()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	live := func() uint64 {
		runtime.GC()
		runtime.GC()
		metrics.Read(s)
		if s[0].Value.Kind() != metrics.KindUint64 {
			tb.Fatal("the runtime has no /gc/heap/live:bytes")
		}
		return s[0].Value.Uint64()
	}
	reqs := coldReqsN("HS256", 2*policy.DefaultCacheSize) // made before the baseline, kept alive to the end
	before := live()
	c, err := config.Load(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	e := policy.New(c, policy.Options{})
	load = live() - before
	for _, r := range reqs {
		if d := e.Decide(&policy.Request{Headers: r, EndOfStream: true}); d.Outcome != policy.OutcomeAllowed {
			tb.Fatalf("native: outcome %v reason %v", d.Outcome, d.Reason)
		}
	}
	withCache = live() - before
	runtime.KeepAlive(e)
	runtime.KeepAlive(reqs)
	return load, withCache
}

// gcPercentSection prints the table "The collector's allowance (gc_percent)".
func gcPercentSection(t *testing.T, p func(string, ...any)) {
	colds := max(1, *gcColdRequests)
	rounds := max(1, *rounds)
	p("### The collector's allowance (gc_percent)")
	p("")
	p("A fresh module per row, started with the configuration and gc_percent (100: left out, the default), then %d rounds of %d cache hits "+
		"and %d cold HS256 requests cycling through %d distinct tokens (each a miss, an insertion and an eviction), never restarted. "+
		"Per request: the fastest round's mean (in brackets: the mean over the rounds); × 100: over gc_percent 100 of the same configuration, fastest against fastest "+
		"(in brackets: mean against mean). Live heap: what the configuration keeps, measured natively (GOARCH=wasm has the same 8-byte pointers), "+
		"after the load and with a full token cache (%d entries).",
		rounds, 2*colds, colds, memoryTokens, policy.DefaultCacheSize)
	p("")
	p("| configuration | gc_percent | live heap (native): load / with cache | linear memory after start | after the run | cache hit | × 100 | cold HS256 | × 100 |")
	p("|---|---|---|---|---|---|---|---|---|")
	for _, c := range gcConfigs {
		cfg := pluginConfig(c.opts)
		load, withCache := nativeLiveHeap(t, cfg)
		rows := measureGCPercent(t, cfg, rounds, colds)
		base := rows[slices.Index(gcPercents, 100)]
		for _, r := range rows {
			name := fmt.Sprint(r.percent)
			if r.percent == 100 {
				name = "100 (default)"
			}
			p("| %s | %s | %.1f / %.1f MiB | %d pages (%.1f MiB) | %d pages (%.1f MiB) | %s (%s) | %s (%s) | %s (%s) | %s (%s) |",
				c.name, name, float64(load)/(1<<20), float64(withCache)/(1<<20),
				r.startPages, mib(r.startPages), r.endPages, mib(r.endPages),
				dur(r.hit), dur(r.hitMean), ratio(r.hit, base.hit), ratio(r.hitMean, base.hitMean),
				dur(r.cold), dur(r.coldMean), ratio(r.cold, base.cold), ratio(r.coldMean, base.coldMean))
		}
	}
	p("")
	p("After the run: %d requests per module (the warming hits included).", rounds*(1+3*colds))
	p("")
}

// BenchmarkGCPercent runs the gc_percent table's measurement once per
// configuration and reports each setting's figures. It does the same work
// whatever b.N is; run it with -benchtime=1x.
func BenchmarkGCPercent(b *testing.B) {
	for _, c := range gcConfigs {
		b.Run(c.short, func(b *testing.B) {
			rows := measureGCPercent(b, pluginConfig(c.opts), max(1, *rounds), max(1, *gcColdRequests))
			for _, r := range rows {
				b.Run(fmt.Sprintf("gc_percent=%d", r.percent), func(b *testing.B) {
					b.ReportMetric(float64(r.startPages), "pages-start")
					b.ReportMetric(float64(r.endPages), "pages-end")
					b.ReportMetric(r.hit.ns, "ns/hit")
					b.ReportMetric(r.cold.ns, "ns/cold")
				})
			}
		})
	}
}

var gcReport = flag.Bool("gc.report", false, "print only the gc_percent table (make bench prints it with the others)")

// TestGCPercentReport prints the gc_percent table alone:
// go test -v -run TestGCPercentReport ./bench/ -args -gc.report
func TestGCPercentReport(t *testing.T) {
	if !*gcReport {
		t.Skip("runs only with -gc.report")
	}
	requireWazero(t)
	var out strings.Builder
	gcPercentSection(t, func(format string, args ...any) { fmt.Fprintf(&out, format+"\n", args...) })
	fmt.Print(out.String())
}
