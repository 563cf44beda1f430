//go:build e2enginx && profile

package nginx

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestProfile (make profile-nginx; build tags e2enginx and profile, so not
// part of the suite) samples one nginx worker with perf while it serves
// cache hits, and the same with the header-reading plugin, with wasmtime
// writing a perf map so the module's functions have names. It writes
// perf's summaries to build/e2e-nginx/profile-<variant>.txt: the split
// between the module's code ([JIT]), nginx with wasmtime, libc and the
// kernel, and the module's functions by samples.
func TestProfile(t *testing.T) {
	if _, err := exec.LookPath("perf"); err != nil {
		t.Fatal("perf is not installed (Debian: linux-perf)")
	}
	requests := envInt("AUDGUARD_PROFILE_REQUESTS", 20000)
	for _, v := range []struct{ name, module, path string }{
		{"audguard-hit", "audguard", wasmPath},
		{"readheaders", "readheaders", helperModules["readheaders"]},
	} {
		t.Run(v.name, func(t *testing.T) {
			n := startNginx(t, nginxBin, conf{workers: 1, logLevel: "notice", noCache: true,
				wasmExtra: "wasmtime { flag profiler perfmap; }",
				modules:   []module{{v.module, v.path}},
				servers:   []server{{names: []string{"mcp-a.example.com"}, module: v.module, config: localConfig(t, "enforce")}}})
			defer n.checkHealthy(t)
			w := n.workers()[0]
			// wasmtime names the map after the process that compiled the
			// module; perf looks for the sampled process's.
			if b, err := os.ReadFile(fmt.Sprintf("/tmp/perf-%d.map", n.cmd.Process.Pid)); err == nil {
				_ = os.WriteFile(fmt.Sprintf("/tmp/perf-%d.map", w), b, 0o644)
			}
			tok := "Bearer " + sign(keys.rs, resA, map[string]any{"exp": time.Now().Add(time.Hour).Unix()})
			c := n.client(h1, nil)
			send := func(k int) {
				for range k {
					req, _ := http.NewRequest("GET", "http://mcp-a.example.com/mcp", nil)
					req.Header.Set("Authorization", tok)
					req.Header.Set("Accept", "application/json, text/event-stream")
					resp, err := c.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 204 {
						t.Fatalf("status %d, want 204", resp.StatusCode)
					}
				}
			}
			send(1000)
			data := filepath.Join(workDir, "perf-"+v.name+".data")
			rec := exec.Command("perf", "record", "-e", "cpu-clock", "-F", "10000", "-o", data, "-p", fmt.Sprint(w))
			if err := rec.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond)
			send(requests)
			_ = rec.Process.Signal(os.Interrupt)
			_ = rec.Wait()
			var out strings.Builder
			fmt.Fprintf(&out, "# %s: %d cache-hit requests on one worker, perf cpu-clock at 10 kHz\n\n", v.name, requests)
			for _, args := range [][]string{
				{"--sort", "dso"},
				{"--sort", "dso,sym", "--percent-limit", "0.2"},
			} {
				cmd := exec.Command("perf", append([]string{"report", "-i", data, "--no-children", "-g", "none", "--stdio"}, args...)...)
				b, err := cmd.Output()
				if err != nil {
					t.Fatalf("perf report: %v", err)
				}
				out.Write(b)
			}
			path := filepath.Join(workDir, "profile-"+v.name+".txt")
			if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("written %s", path)
		})
	}
}
