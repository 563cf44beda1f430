package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

// gc_percent (docs/configuration.md#gc_percent) reaches the Go runtime: the
// module's GOGC and the budget of the filter's between-request collections
// (filter/gc.go) follow the configuration that started last, and a refused
// configuration leaves the previous setting.

// withGCPercent returns cfg with gc_percent set to percent (0: removed).
func withGCPercent(t testing.TB, cfg []byte, percent int) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(cfg, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "gc_percent")
	if percent != 0 {
		m["gc_percent"] = percent
	}
	return mustJSON(m)
}

// runtimeGCPercent is the runtime's GOGC (debug.SetGCPercent has no getter).
func runtimeGCPercent() int {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p
}

// TestGCPercentNative: natively, the runtime's GOGC, gcPercent and the
// between-request budget follow each start's gc_percent (100 when absent);
// a refused configuration, whatever its gc_percent, changes none of them.
func TestGCPercentNative(t *testing.T) {
	prevGOGC, prevPercent, prevBudget := debug.SetGCPercent(100), gcPercent, budget
	t.Cleanup(func() { debug.SetGCPercent(prevGOGC); gcPercent, budget = prevPercent, prevBudget })

	k := getKeys(t)
	native := runners()[0]
	base := testConfig(k, "enforce", true)
	check := func(step string, want int) {
		t.Helper()
		if got := runtimeGCPercent(); got != want {
			t.Errorf("%s: the runtime's GOGC is %d, want %d", step, got, want)
		}
		if gcPercent != want {
			t.Errorf("%s: gcPercent is %d, want %d", step, gcPercent, want)
		}
	}
	// checkBudget: collectNow (at the start) set the budget from the live
	// heap it measured and gc_percent.
	checkBudget := func(step string, want int) {
		t.Helper()
		live := sampleUint(2) // /gc/heap/live:bytes, read by collectNow
		if live == 0 {
			t.Fatalf("%s: the runtime reports no live heap (/gc/heap/live:bytes)", step)
		}
		if exp := max(gcMinBudget, live/100*uint64(want)); budget != exp {
			t.Errorf("%s: budget %d, want max(%d, %d live × %d %%) = %d", step, budget, gcMinBudget, live, want, exp)
		}
	}

	for _, p := range []int{50, 25, 400, 1000} {
		h := startHost(t, native, withGCPercent(t, base, p), nil, types.OnPluginStartStatusOK)
		step := fmt.Sprintf("started with gc_percent %d", p)
		check(step, p)
		checkBudget(step, p)
		h.reset()
	}

	h := startHost(t, native, withGCPercent(t, base, 50), nil, types.OnPluginStartStatusOK)
	h.reset()
	check("started with gc_percent 50", 50)
	budget50 := budget
	for _, c := range []struct{ name, cfg string }{
		{"gc_percent 10 (below 25)", string(withGCPercent(t, base, 10))},
		{"gc_percent 1001 (above 1000)", string(withGCPercent(t, base, 1001))},
		{"gc_percent 100.5", strings.Replace(string(withGCPercent(t, base, 100)), `"gc_percent":100`, `"gc_percent":100.5`, 1)},
		{"gc_percent 400 with an unknown member", strings.Replace(string(withGCPercent(t, base, 400)), `"mode":`, `"mdoe":"enforce","mode":`, 1)},
	} {
		h := startHost(t, native, []byte(c.cfg), nil, types.OnPluginStartStatusFailed)
		h.reset()
		check("after the refused "+c.name, 50)
		if budget != budget50 {
			t.Errorf("after the refused %s: budget %d, want %d (unchanged)", c.name, budget, budget50)
		}
	}

	// No gc_percent: the default, 100.
	h = startHost(t, native, base, nil, types.OnPluginStartStatusOK)
	h.reset()
	check("started without gc_percent", 100)
	checkBudget("started without gc_percent", 100)
}

// gctraceLine is one collection as GODEBUG=gctrace=1 reports it.
type gctraceLine struct {
	live, goal int // MB: the heap marked live at its end, the heap goal it ran under
	forced     bool
	text       string
}

var gctraceRE = regexp.MustCompile(`(\d+)->(\d+)->(\d+) MB, (\d+) MB goal`)

// gctrace returns the collections the guest reported since the last call.
func (h *wasiHost) gctrace() []gctraceLine {
	var out []gctraceLine
	for _, l := range strings.Split(h.stderr.String(), "\n") {
		m := gctraceRE.FindStringSubmatch(l)
		if !strings.HasPrefix(l, "gc ") || m == nil {
			continue
		}
		live, _ := strconv.Atoi(m[3])
		goal, _ := strconv.Atoi(m[4])
		out = append(out, gctraceLine{live: live, goal: goal, forced: strings.HasSuffix(l, "(forced)"), text: l})
	}
	h.stderr.Reset()
	return out
}

// gcTestResources makes the module's live heap about 10 MB, so that the heap
// goal is set by gc_percent, not by the runtime's 4 MB × GOGC/100 minimum.
const gcTestResources = 10000

// TestGCPercentWasm: in the compiled module, the heap goal the runtime
// reports (GODEBUG=gctrace=1) after each collection is the live heap times
// 1 + gc_percent/100 of the configuration that started last; a refused
// configuration leaves it.
func TestGCPercentWasm(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a 10,000-resource configuration several times")
	}
	large := largeConfig(t, gcTestResources)
	c := &tctx{now: time.Now(), keys: getKeys(t)}
	tok := c.sign(c.keys.ec, c.claims(resA, nil), nil)
	// A large header: each request then allocates tens of kilobytes in the
	// module (reading the headers), so a few thousand requests pass
	// several collections even at gc_percent 400.
	pad := strings.Repeat("p", 32<<10)

	h := newWASIHost(t, pollAfter533, "gctrace=1")
	h.props["xds.route_name"] = "r"
	h.props["xds.virtual_host_name"] = "vh"

	// requests sends requests until the module has collected at least
	// three more times (the first after a start runs under the goal the
	// start left) and returns those collections.
	requests := func(step string) []gctraceLine {
		t.Helper()
		var lines []gctraceLine
		i := 0
		for ; len(lines) < 3; i++ {
			if i == 20000 {
				t.Fatalf("%s: %d collections in %d requests", step, len(lines), i)
			}
			st, err := h.request([][2]string{{":method", "POST"}, {":path", "/mcp"}, {":authority", "mcp-a.example.com"},
				{"authorization", "Bearer " + tok}, {"x-pad", pad}})
			if err != nil || st != 0 {
				t.Fatalf("%s: request %d: status %d, %v; logs %v", step, i+1, st, err, h.logs)
			}
			lines = append(lines, h.gctrace()...)
		}
		t.Logf("%s: %d requests, %d collections, goals %v MB", step, i, len(lines), goals(lines))
		return lines
	}
	// checkGoal: every collection after the first ran under a goal of the
	// previous one's live heap × (1 + percent/100), to the MB gctrace rounds to.
	checkGoal := func(step string, lines []gctraceLine, percent int) {
		t.Helper()
		for i := 1; i < len(lines); i++ {
			prev := lines[i-1].live
			lo := prev * (100 + percent) / 100
			hi := (prev+1)*(100+percent)/100 + 1
			if g := lines[i].goal; g < lo || g > hi {
				t.Errorf("%s: heap goal %d MB after a collection that left %d MB live, want %d–%d MB (gc_percent %d)\n%s\n%s",
					step, g, prev, lo, hi, percent, lines[i-1].text, lines[i].text)
			}
		}
	}
	// reload replaces the configuration as Envoy does; a refused one
	// leaves the previous root context serving.
	reload := func(step string, cfg []byte, wantOK bool) {
		t.Helper()
		old := h.rootID
		ok, err := h.start(cfg)
		if err != nil || ok != wantOK {
			t.Fatalf("%s: started %v (%v), want %v; logs %v", step, ok, err, wantOK, h.logs)
		}
		if !ok {
			h.rootID = old
		} else if old != 0 {
			if err := h.retire(old); err != nil {
				t.Fatalf("%s: retiring the previous configuration: %v", step, err)
			}
		}
		h.gctrace() // the start's own collection, made with the collector off
	}

	reload("gc_percent 25", withGCPercent(t, large, 25), true)
	at25 := requests("gc_percent 25")
	checkGoal("gc_percent 25", at25, 25)

	reload("gc_percent 400", withGCPercent(t, large, 400), true)
	at400 := requests("gc_percent 400")
	checkGoal("gc_percent 400", at400, 400)
	if g25, g400 := at25[len(at25)-1].goal, at400[len(at400)-1].goal; g400 < 3*g25 {
		t.Errorf("heap goal %d MB at gc_percent 400, %d MB at 25: want at least 3×", g400, g25)
	}

	reload("refused: gc_percent 10", withGCPercent(t, large, 10), false)
	checkGoal("after the refused gc_percent 10", requests("after the refused gc_percent 10"), 400)

	reload("no gc_percent", large, true)
	checkGoal("no gc_percent (100)", requests("no gc_percent"), 100)
}

// largeConfig is one issuer (corp, the EC key) and n resources, resA first.
func largeConfig(t testing.TB, n int) []byte {
	k := getKeys(t)
	issuers := []map[string]any{{"name": "corp", "issuer": issCorp, "jwks": map[string]any{"keys": []any{k.ec.Public()}}}}
	res := []map[string]any{{"resource": resA, "authorities": []string{"mcp-a.example.com"}}}
	for i := range n - 1 {
		s := strconv.Itoa(i)
		res = append(res, map[string]any{"resource": "https://r" + s + ".example.com/mcp", "authorities": []string{"r" + s + ".example.com"}})
	}
	return mustJSON(map[string]any{"issuers": issuers, "resources": res})
}

// goals lists each collection's live heap and goal, in MB.
func goals(lines []gctraceLine) []string {
	var out []string
	for _, l := range lines {
		f := ""
		if l.forced {
			f = " (forced)"
		}
		out = append(out, fmt.Sprintf("%d→%d%s", l.live, l.goal, f))
	}
	return out
}
