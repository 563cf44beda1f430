//go:build e2enginx

package nginx

import (
	"strings"
	"testing"
)

// TestStockHostProbe: on the stock ngx_wasm_module, whose WASI poll_oneoff
// answers ENOTSUP, the filter says so once per VM — not once per
// configuration (three proxy_wasm directives here) — names the host it found
// and what to do there, and still serves.
func TestStockHostProbe(t *testing.T) {
	n := startNginx(t, nginxStock, conf{workers: 1, modules: withMetrics(module{"audguard", wasmPath}), servers: servers(localConfig(t, "enforce"))})
	if r := n.do(t, h1, "GET", "http://mcp-a.example.com/mcp", [][2]string{{"authorization", "Bearer " + sign(keys.rs, resA, nil)}}, ""); r.status != 200 {
		t.Fatalf("stock host: status %d %s", r.status, r.body)
	}
	var crit []string
	for _, l := range n.linesSince(0) {
		if strings.Contains(l, "audguard: the host's WASI poll_oneoff failed") {
			crit = append(crit, l)
		}
	}
	if len(crit) != 1 {
		t.Fatalf("%d probe lines for 1 worker and 3 configurations, want 1:\n%s", len(crit), strings.Join(crit, "\n"))
	}
	for _, want := range []string{"[crit]", "errno 58", "ngx_wasm_module", "poll_oneoff implementation"} {
		if !strings.Contains(crit[0], want) {
			t.Errorf("probe line lacks %q: %s", want, crit[0])
		}
	}
	if strings.Contains(crit[0], "Envoy >= 1.39") {
		t.Errorf("probe line gives Envoy's advice on nginx: %s", crit[0])
	}
	if got, ok := n.metric(t, "audguard.host_poll_oneoff_broken"); !ok || got != 1 {
		t.Errorf("gauge audguard.host_poll_oneoff_broken = %d (%v), want 1", got, ok)
	}
}
