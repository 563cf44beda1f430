//go:build e2enginx

package nginx

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Performance on the real host (reported, never asserted): worker CPU per
// request for five variants behind one nginx worker, in interleaved rounds;
// the module's compile time per worker; Go runtime traps per request on the
// stock host. The report goes to build/e2e-nginx/report.md (or
// AUDGUARD_E2E_REPORT) and the test log.

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// variant is one kind of request measured.
type variant struct {
	name, host string
	auth       string // Authorization header, "" for none
	status     int    // expected status
	body       string // a POST with this JSON-RPC body; "" for a GET
}

type report struct{ lines []string }

func (r *report) add(format string, args ...any) {
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

func (r *report) write(t *testing.T) {
	path := os.Getenv("AUDGUARD_E2E_REPORT")
	if path == "" {
		path = filepath.Join(workDir, "report.md")
	}
	text := strings.Join(r.lines, "\n") + "\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Errorf("writing the report: %v", err)
	}
	t.Logf("report written to %s:\n%s", path, text)
}

var perfReport report

func TestPerformance(t *testing.T) {
	perfReport = report{}
	perfReport.add("# audguard on nginx + ngx_wasm_module: measured %s", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	perfReport.add("")
	t.Run("cpu per request", cpuPerRequest)
	t.Run("compile time per worker", compileTime)
	t.Run("stock host traps", stockTraps)
	perfReport.write(t)
}

// cpuPerRequest: one worker serves five variants on identical upstreams
// (a 204 from the echo server); each round sends every variant the same
// number of sequential keep-alive requests, in an order that rotates per
// round, and reads the worker's CPU time (schedstat) around each batch.
func cpuPerRequest(t *testing.T) {
	cfg := localConfig(t, "enforce")
	// tools.example.com has operations: a POST to /mcp is judged by its body
	// (mcp_body verify); toolshdr.example.com is the same resource judged
	// from its headers only (mcp_body off).
	// A mode of "" leaves mcp_body out, for builds from before it (which
	// judged every request by its headers).
	bodyCfg := func(mode, host string) string {
		extra := map[string]any{"operations": []any{map[string]any{"method": "tools/call", "name": "delete_forecast", "scopes": []string{"mcp:admin"}}}}
		if mode != "" {
			extra["mcp_body"] = mode
		}
		return mustJSON(t, map[string]any{"mode": "enforce", "authority_from": "host",
			"issuers":   []any{map[string]any{"name": "corp", "issuer": issuer, "jwks": map[string]any{"keys": []any{keys.rs.Public()}}}},
			"resources": []any{resource("https://"+host+"/mcp", host, "tools", extra)}})
	}
	modules := []module{{"audguard", wasmPath}, {"noop", helperModules["noop"]}, {"readheaders", helperModules["readheaders"]}}
	servers := []server{
		{names: []string{"nofilter.test"}},
		{names: []string{"noop.test"}, module: "noop"},
		{names: []string{"readheaders.test"}, module: "readheaders"},
		{names: []string{"mcp-a.example.com"}, module: "audguard", config: cfg},
		{names: []string{"tools.example.com"}, module: "audguard", config: bodyCfg("verify", "tools.example.com")},
		{names: []string{"toolshdr.example.com"}, module: "audguard", config: bodyCfg("off", "toolshdr.example.com")},
	}
	// Other builds of the module (perfModules), each serving the same cache
	// hit and the same tools/call judged by its headers under hosts of its
	// own, in a VM of its own, for a comparison within the same run; this
	// build is loaded once more the same way, so that each compared VM
	// serves the same two kinds of request.
	others := perfModules(t)
	if len(others) > 0 {
		others = append([]perfModule{{"this build", wasmPath}}, others...)
	}
	for i, m := range others {
		name, mode := fmt.Sprintf("other%d", i), "off"
		if i > 0 {
			mode = "" // a build from before mcp_body
		}
		modules = append(modules, module{name, m.path})
		servers = append(servers,
			server{names: []string{fmt.Sprintf("hit-%d.example.com", i)}, module: name,
				config: strings.ReplaceAll(cfg, "mcp-a.example.com", fmt.Sprintf("hit-%d.example.com", i))},
			server{names: []string{fmt.Sprintf("tools-%d.example.com", i)}, module: name,
				config: bodyCfg(mode, fmt.Sprintf("tools-%d.example.com", i))})
	}
	n := startNginx(t, nginxBin, conf{workers: 1, logLevel: "notice", modules: modules, servers: servers})
	defer n.checkHealthy(t)
	workers := n.workers()
	if len(workers) != 1 {
		t.Fatalf("workers %v, want 1", workers)
	}
	tok := "Bearer " + sign(keys.rs, resA, map[string]any{"exp": time.Now().Add(time.Hour).Unix()})
	toolsTok := "Bearer " + sign(keys.rs, resTools, map[string]any{"exp": time.Now().Add(time.Hour).Unix()})
	toolCall := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_forecast","arguments":{"city":"` +
		strings.Repeat("x", 1024-83) + `"}}}`
	variants := []variant{
		{"no filter", "nofilter.test", "", 204, ""},
		{"do-nothing Go plugin", "noop.test", "", 204, ""},
		{"header-reading Go plugin", "readheaders.test", "", 204, ""},
		{"audguard cache hit", "mcp-a.example.com", tok, 204, ""},
		{"audguard 401 (no token)", "mcp-a.example.com", "", 401, ""},
		{"audguard hit, tools/call judged by its 1 KiB body", "tools.example.com", toolsTok, 204, toolCall},
		{"audguard hit, the same judged by its headers (mcp_body off)", "toolshdr.example.com",
			"Bearer " + sign(keys.rs, "https://toolshdr.example.com/mcp", map[string]any{"exp": time.Now().Add(time.Hour).Unix()}), 204, toolCall},
	}
	for i, m := range others {
		hit, tools := fmt.Sprintf("hit-%d.example.com", i), fmt.Sprintf("tools-%d.example.com", i)
		variants = append(variants,
			variant{"audguard cache hit, " + m.label, hit,
				"Bearer " + sign(keys.rs, "https://"+hit+"/mcp", map[string]any{"exp": time.Now().Add(time.Hour).Unix()}), 204, ""},
			variant{"audguard hit, tools/call judged by its headers, " + m.label, tools,
				"Bearer " + sign(keys.rs, "https://"+tools+"/mcp", map[string]any{"exp": time.Now().Add(time.Hour).Unix()}), 204, toolCall})
	}
	rounds, per := envInt("AUDGUARD_E2E_PERF_ROUNDS", 7), envInt("AUDGUARD_E2E_PERF_REQUESTS", 3000)
	c := n.client(h1, nil)
	send := func(v variant, k int) {
		for range k {
			req, _ := http.NewRequest("GET", "http://"+v.host+"/mcp", nil)
			if v.body != "" {
				req, _ = http.NewRequest("POST", "http://"+v.host+"/mcp", strings.NewReader(v.body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("MCP-Protocol-Version", "2026-07-28")
				req.Header.Set("Mcp-Method", "tools/call")
				req.Header.Set("Mcp-Name", "get_forecast")
			}
			if v.auth != "" {
				req.Header.Set("Authorization", v.auth)
			}
			req.Header.Set("Accept", "application/json, text/event-stream")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", v.name, err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != v.status {
				t.Fatalf("%s: status %d, want %d", v.name, resp.StatusCode, v.status)
			}
		}
	}
	for _, v := range variants { // warm: caches, instances, connections
		send(v, 500)
	}
	samples := make([][]float64, len(variants))
	for r := range rounds {
		for j := range variants {
			i := (j + r) % len(variants)
			before := cpuNanos(workers[0])
			send(variants[i], per)
			samples[i] = append(samples[i], float64(cpuNanos(workers[0])-before)/float64(per)/1e3)
		}
	}
	med := make([]float64, len(variants))
	perfReport.add("## Worker CPU per request (patched host, 1 worker, HTTP/1.1 keep-alive)")
	perfReport.add("")
	perfReport.add("%d interleaved rounds of %d requests per variant; µs of worker CPU per request.", rounds, per)
	perfReport.add("")
	perfReport.add("| variant | median µs | range µs |")
	perfReport.add("|---|---|---|")
	for i, v := range variants {
		s := slices.Clone(samples[i])
		slices.Sort(s)
		med[i] = s[len(s)/2]
		perfReport.add("| %s | %.1f | %.1f–%.1f |", v.name, med[i], s[0], s[len(s)-1])
	}
	perfReport.add("")
	perfReport.add("Cache hit: %.2f× the header-reading plugin, %.2f× the do-nothing plugin; 401: %.2f× the header-reading plugin. "+
		"A tools/call judged by its 1 KiB body: %.2f× the same judged by its headers.",
		med[3]/med[2], med[3]/med[1], med[4]/med[2], med[5]/med[6])
	for i, m := range others[min(1, len(others)):] {
		j := 9 + 2*i
		perfReport.add("Each build in a VM of its own, this build ÷ %s: cache hit %.3f×, tools/call judged by its headers %.3f×.",
			m.label, med[7]/med[j], med[8]/med[j+1])
	}
	perfReport.add("")
}

// perfModule is another build of the module measured next to this one.
type perfModule struct{ label, path string }

// perfModules reads AUDGUARD_E2E_PERF_MODULES: "label=path" entries separated
// by ";" (make e2e-nginx passes the build before the body, list and DPoP
// work, when it could build it).
func perfModules(t *testing.T) []perfModule {
	var out []perfModule
	for _, entry := range strings.Split(os.Getenv("AUDGUARD_E2E_PERF_MODULES"), ";") {
		if entry = strings.TrimSpace(entry); entry == "" {
			continue
		}
		label, path, ok := strings.Cut(entry, "=")
		if !ok {
			t.Fatalf("AUDGUARD_E2E_PERF_MODULES: %q is not label=path", entry)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("AUDGUARD_E2E_PERF_MODULES: %v", err)
		}
		out = append(out, perfModule{label, path})
	}
	return out
}

// loaded matches ngx_wasm_module's line for a module compiled by a worker.
var loaded = regexp.MustCompile(`\[info\] (\d+)#\d+: \[wasm\] successfully loaded "audguard" module in (\d+)ms`)

// compileTime: cold starts (no wasmtime cache) with one and with two
// workers, then a start with wasmtime's compilation cache warm; each
// worker's own figure comes from ngx_wasm_module's log line, time to the
// first answer from the test's clock.
func compileTime(t *testing.T) {
	st, err := os.Stat(wasmPath)
	if err != nil {
		t.Fatal(err)
	}
	perfReport.add("## Module compile time per worker")
	perfReport.add("")
	perfReport.add("Module: %.1f MB. Workers answer nothing until they have compiled it; with wasmtime's compilation "+
		"cache (`wasm { wasmtime { cache_config …; } }`) a start after the first loads the compiled code instead.", float64(st.Size())/1e6)
	perfReport.add("")
	perfReport.add("| workers | compile ms per worker | start to first answer |")
	perfReport.add("|---|---|---|")
	runs := []struct {
		workers int
		cached  bool
	}{{1, false}, {2, false}, {1, true}, {1, true}}
	for i, run := range runs {
		w := run.workers
		start := time.Now()
		n := startNginx(t, nginxBin, conf{workers: w, noCache: !run.cached, servers: []server{
			{names: []string{"mcp-a.example.com"}, module: "audguard", config: localConfig(t, "enforce")}}})
		ready := time.Since(start)
		// The first worker to finish answers; the others may still be compiling.
		var ms []string
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			ms = ms[:0]
			for _, l := range n.linesSince(0) {
				if m := loaded.FindStringSubmatch(l); m != nil {
					ms = append(ms, m[2])
				}
			}
			if len(ms) >= w || time.Now().After(deadline) {
				break
			}
		}
		if len(ms) < w {
			t.Errorf("%d workers: %d compile lines in the log", w, len(ms))
		}
		n.checkHealthy(t)
		n.stop()
		if run.cached && i == 2 {
			continue // the first cached start may fill the cache: the next one is reported
		}
		label := strconv.Itoa(w)
		if run.cached {
			label += ", wasmtime cache_config, cache warm"
		}
		perfReport.add("| %s | %s | %.1f s |", label, strings.Join(ms, ", "), ready.Seconds())
	}
	perfReport.add("")
}

// stockTraps: the stock host's poll_oneoff fails, and the Go runtime aborts
// the VM when its scheduler needs it. Count runtime aborts and worker crashes
// over many requests (cache hits), with the wasmtime cache on so a
// recompiling worker is quick.
func stockTraps(t *testing.T) {
	total := envInt("AUDGUARD_E2E_STOCK_REQUESTS", 30000)
	n := startNginx(t, nginxStock, conf{workers: 1, logLevel: "notice", servers: []server{
		{names: []string{"mcp-a.example.com"}, module: "audguard", config: localConfig(t, "enforce")}}})
	tok := "Bearer " + sign(keys.rs, resA, map[string]any{"exp": time.Now().Add(time.Hour).Unix()})
	c := n.client(h1, nil)
	codes := map[int]int{}
	failed := 0
	for range total {
		req, _ := http.NewRequest("GET", "http://mcp-a.example.com/mcp", nil)
		req.Header.Set("Authorization", tok)
		resp, err := c.Do(req)
		if err != nil {
			failed++
			time.Sleep(100 * time.Millisecond)
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		codes[resp.StatusCode]++
	}
	aborts, crashes := 0, 0
	for _, l := range n.linesSince(0) {
		if strings.Contains(l, "poll_oneoff failed") && !strings.Contains(l, "audguard: the host's WASI") {
			aborts++
		}
		if strings.Contains(l, "exited on signal") {
			crashes++
		}
	}
	perfReport.add("## Stock ngx_wasm_module (poll_oneoff answers ENOTSUP)")
	perfReport.add("")
	perfReport.add("%d cache-hit requests on one worker: statuses %v, %d transport errors; log lines: %d Go runtime aborts (poll_oneoff failed), %d worker crashes (exited on signal).",
		total, codes, failed, aborts, crashes)
	perfReport.add("")
}
