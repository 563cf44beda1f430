package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

var startLine = regexp.MustCompile(`^audguard (\S+) \((\S+)\) started in enforce mode with \d+ resource\(s\) and \d+ issuer\(s\)$`)

// TestStartLogsVersion: the plugin names its version and revision once, in
// its start line. The module built by `make build` logs the VERSION and
// REVISION that make stamped into it (build/.version); natively, the test
// binary's own (unstamped: the build information's, else dev/unknown).
func TestStartLogsVersion(t *testing.T) {
	k := getKeys(t)
	for _, r := range runners() {
		t.Run(r.name, func(t *testing.T) {
			h := startHost(t, r, testConfig(k, "enforce", true), nil, types.OnPluginStartStatusOK)
			defer h.reset()
			var got [][]string
			for _, l := range h.h.GetInfoLogs() {
				if m := startLine.FindStringSubmatch(l); m != nil {
					got = append(got, m)
				}
			}
			if len(got) != 1 {
				t.Fatalf("want one start line naming the version, got %d; info logs: %q", len(got), h.h.GetInfoLogs())
			}
			v, rev := got[0][1], got[0][2]
			switch r.name {
			case "native":
				if wv, wrev := buildVersion(); v != wv || rev != wrev {
					t.Errorf("logged %s (%s), want %s (%s)", v, rev, wv, wrev)
				}
			case "wasm":
				wantWasmVersion(t, v, rev)
			}
		})
	}
}

// wantWasmVersion checks what build/audguard.wasm logged: the strings are in
// the module, and, when build/.version (written by make build) is not newer
// than the module, they are the VERSION and REVISION make stamped.
func wantWasmVersion(t *testing.T, v, rev string) {
	t.Helper()
	bin, err := os.ReadFile(wasmPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{v, strings.TrimSuffix(rev, "-dirty")} {
		if !bytes.Contains(bin, []byte(s)) {
			t.Errorf("the module logged %q, which it does not contain", s)
		}
	}
	stamp := filepath.Join(filepath.Dir(wasmPath), ".version")
	raw, err := os.ReadFile(stamp)
	if err != nil {
		t.Logf("%s: %v (module not built by make build): logged %s (%s)", stamp, err, v, rev)
		return
	}
	ws, _ := os.Stat(wasmPath)
	ss, _ := os.Stat(stamp)
	if ws == nil || ss == nil || ss.ModTime().After(ws.ModTime()) {
		t.Fatalf("%s is newer than %s: run make build", stamp, wasmPath)
	}
	f := strings.Fields(string(raw))
	if len(f) != 2 {
		t.Fatalf("%s holds %q, want \"VERSION REVISION\"", stamp, raw)
	}
	if v != f[0] || rev != f[1] {
		t.Errorf("the module logged %s (%s); make build stamped %s (%s)", v, rev, f[0], f[1])
	}
}

// TestResolveVersion: stamped values win; otherwise the build information's
// module version and vcs.revision (with -dirty when modified); else dev/unknown.
func TestResolveVersion(t *testing.T) {
	info := func(mainVersion string, settings ...string) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/audguard/audguard", Version: mainVersion}}
			for i := 0; i+1 < len(settings); i += 2 {
				bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
			}
			return bi, true
		}
	}
	none := func() (*debug.BuildInfo, bool) { return nil, false }
	for _, c := range []struct {
		name, v, rev string
		read         func() (*debug.BuildInfo, bool)
		wantV, wantR string
	}{
		{"stamped", "v1.2.3", "abc", info("v9", "vcs.revision", "zzz"), "v1.2.3", "abc"},
		{"no build info", "", "", none, "dev", "unknown"},
		{"devel with vcs", "", "", info("(devel)", "vcs.revision", "abc", "vcs.modified", "false"), "dev", "abc"},
		{"devel modified", "", "", info("(devel)", "vcs.revision", "abc", "vcs.modified", "true"), "dev", "abc-dirty"},
		{"go install @version", "", "", info("v1.4.0"), "v1.4.0", "unknown"},
		{"only version stamped", "v2", "", info("(devel)", "vcs.revision", "abc"), "v2", "abc"},
	} {
		if v, rev := resolveVersion(c.v, c.rev, c.read); v != c.wantV || rev != c.wantR {
			t.Errorf("%s: %s (%s), want %s (%s)", c.name, v, rev, c.wantV, c.wantR)
		}
	}
}
