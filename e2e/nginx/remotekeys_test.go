//go:build e2enginx

package nginx

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/audguard/audguard/internal/mint"
)

// remoteConfig: issuer "remote" whose keys come only from jwks_uri, served
// on loopback (plain http is allowed there), through ngx_wasm_module's
// call-out to host:port.
func remoteConfig(t testing.TB) string {
	return mustJSON(t, map[string]any{
		"mode": "enforce", "authority_from": "host",
		"issuers": []any{map[string]any{"name": "remote", "issuer": issuer,
			"jwks_uri":     "http://127.0.0.1:" + strconv.Itoa(jwksPort) + "/jwks.json",
			"jwks_cluster": "127.0.0.1:" + strconv.Itoa(jwksPort), "jwks_refetch_min_seconds": 5,
			"jwks_refresh_seconds": 60, "jwks_timeout_ms": 1000}},
		"resources": []any{resource(resA, "mcp-a.example.com", "a", nil)},
	})
}

// eventually retries f every 200 ms until it returns "" or limit passes,
// and fails with f's last word.
func eventually(t testing.TB, limit time.Duration, f func() string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		msg := f()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", limit, msg)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestRemoteKeys: jwks_uri on ngx_wasm_module. The host cannot resume a
// paused request from a fetch's answer (proxy_set_effective_context does
// nothing there), so no request waits: 503 before the first good set, then
// the fetched keys; a new kid is refused once and starts the refetch that
// makes the next token pass; fail-static while the issuer is down; the
// per-issuer gauges are set (a gauge increment trapped every tick there).
// The worker must neither crash nor trap throughout (checkHealthy).
func TestRemoteKeys(t *testing.T) {
	jwks.set(http.StatusServiceUnavailable, keys.ec)
	defer jwks.set(http.StatusOK, keys.ec)
	n := startNginx(t, nginxBin, conf{workers: 1, modules: withMetrics(module{"audguard", wasmPath}),
		servers: []server{
			{names: []string{"mcp-a.example.com"}, module: "audguard", config: remoteConfig(t), upstream: "echo"},
			{names: []string{"metrics.test"}, module: "metrics"},
		}})
	defer n.checkHealthy(t)
	u := "http://mcp-a.example.com/mcp"
	bearer := func(tok string) [][2]string { return [][2]string{{"authorization", "Bearer " + tok}} }
	ec := sign(keys.ec, resA, nil)

	t.Run("503 before the first good set, never paused", func(t *testing.T) {
		start := time.Now()
		r := n.do(t, h1, "GET", u, bearer(ec), "")
		wantDenial(t, r, 503, "", "temporarily_unavailable", dKeys)
		if r.header.Get("retry-after") != "5" {
			t.Errorf("retry-after %q, want 5", r.header.Get("retry-after"))
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("the request took %s: it waited", d)
		}
		eventually(t, 5*time.Second, func() string {
			if jwks.count() == 0 {
				return "no fetch reached the JWK Set server"
			}
			return ""
		})
		eventually(t, 3*time.Second, func() string { // counters are exported on the tick
			if got, ok := n.metric(t, "audguard.jwks.remote.fetch_failed"); !ok || got == 0 {
				return "fetch_failed = " + strconv.FormatUint(got, 10)
			}
			return ""
		})
	})
	t.Run("first good set", func(t *testing.T) {
		jwks.set(http.StatusOK, keys.ec)
		eventually(t, 10*time.Second, func() string { // retries back off 1 s, 2 s, 4 s
			if r := n.do(t, h1, "GET", u, bearer(ec), ""); r.status != 200 {
				return "status " + strconv.Itoa(r.status)
			}
			return ""
		})
		eventually(t, 2*time.Second, func() string { // gauges are exported on the tick
			if got, ok := n.metric(t, "audguard.jwks.remote.keys"); !ok || got != 1 {
				return "keys gauge " + strconv.FormatUint(got, 10)
			}
			if _, ok := n.metric(t, "audguard.jwks.remote.seconds_since_good_fetch"); !ok {
				return "no seconds_since_good_fetch after a good fetch"
			}
			return ""
		})
	})
	t.Run("rotation: a new kid is refused once, then found", func(t *testing.T) {
		jwks.set(http.StatusOK, keys.ec, keys.rsNext)
		next := sign(keys.rsNext, resA, nil)
		start := time.Now()
		r := n.do(t, h1, "GET", u, bearer(next), "")
		wantDenial(t, r, 401, invalidToken(dUnknown), "invalid_token", dUnknown)
		if d := time.Since(start); d > time.Second {
			t.Errorf("the request took %s: it waited", d)
		}
		// The refetch goes out on a tick once jwks_refetch_min_seconds (5 s)
		// have passed since the last fetch started.
		eventually(t, 12*time.Second, func() string {
			if r := n.do(t, h1, "GET", u, bearer(next), ""); r.status != 200 {
				return "new kid still refused: " + strconv.Itoa(r.status)
			}
			return ""
		})
		if got, ok := n.metric(t, "audguard.jwks.remote.unknown_kid_refetch"); !ok || got == 0 {
			t.Errorf("unknown_kid_refetch = %d (%v), want > 0", got, ok)
		}
	})
	t.Run("unknown kids from any client: answered at once, fetches bounded", func(t *testing.T) {
		before := jwks.count()
		start := time.Now()
		for i := range 50 {
			k := *keys.rsNext
			k.Kid = "forged-" + strconv.Itoa(i)
			wantDenial(t, n.do(t, h1, "GET", u, bearer(sign(&k, resA, nil)), ""), 401, invalidToken(dUnknown), "invalid_token", dUnknown)
		}
		took := time.Since(start)
		// At most one refetch per jwks_refetch_min_seconds, plus the one in flight.
		if got, most := jwks.count()-before, int(took/(5*time.Second))+2; got > most {
			t.Errorf("%d fetches for 50 unknown kids in %s, want at most %d", got, took, most)
		}
	})
	t.Run("issuer down: fail-static on the last good set", func(t *testing.T) {
		jwks.set(http.StatusInternalServerError)
		before := jwks.count()
		k := *keys.rsNext
		k.Kid = "forged-down"
		forged := sign(&k, resA, nil)
		eventually(t, 12*time.Second, func() string {
			n.do(t, h1, "GET", u, bearer(forged), "") // starts a refetch once 5 s have passed since the last
			if jwks.count() == before {
				return "no fetch while down"
			}
			return ""
		})
		time.Sleep(time.Second) // the failed answer is in
		for _, tok := range []string{ec, sign(keys.rsNext, resA, nil)} {
			if r := n.do(t, h1, "GET", u, bearer(tok), ""); r.status != 200 {
				t.Errorf("with the issuer down: status %d %s", r.status, r.body)
			}
		}
	})
}

// TestJWKSFromFile: the guide's way in for a configuration too long for one
// nginx parameter — the keys in a file that nginx itself serves on a
// loopback-only server, fetched by the filter through jwks_uri. Replacing
// the file rotates the keys without a reload.
func TestJWKSFromFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "jwks.json")
	if err := os.WriteFile(file, mint.JWKS(keys.ec), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	cfg := mustJSON(t, map[string]any{
		"mode": "enforce", "authority_from": "host",
		"issuers": []any{map[string]any{"name": "file", "issuer": issuer,
			"jwks_uri": "http://127.0.0.1:" + strconv.Itoa(port) + "/jwks.json", "jwks_cluster": "127.0.0.1:" + strconv.Itoa(port),
			"jwks_refetch_min_seconds": 5}},
		"resources": []any{resource(resA, "mcp-a.example.com", "a", nil)},
	})
	n := startNginx(t, nginxBin, conf{workers: 1,
		httpExtra: "server { listen 127.0.0.1:" + strconv.Itoa(port) + "; location = /jwks.json { alias " + file + "; default_type application/json; } }",
		servers:   []server{{names: []string{"mcp-a.example.com"}, module: "audguard", config: cfg, upstream: "echo"}}})
	defer n.checkHealthy(t)
	get := func(tok string) int {
		return n.do(t, h1, "GET", "http://mcp-a.example.com/mcp", [][2]string{{"authorization", "Bearer " + tok}}, "").status
	}
	eventually(t, 5*time.Second, func() string {
		if st := get(sign(keys.ec, resA, nil)); st != 200 {
			return "key from the file not used: " + strconv.Itoa(st)
		}
		return ""
	})
	if err := os.WriteFile(file, mint.JWKS(keys.ec, keys.rsNext), 0o644); err != nil {
		t.Fatal(err)
	}
	next := sign(keys.rsNext, resA, nil)
	eventually(t, 12*time.Second, func() string {
		if st := get(next); st != 200 {
			return "key added to the file not used: " + strconv.Itoa(st)
		}
		return ""
	})
}
