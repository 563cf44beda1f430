package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// stamp sets the -X variables for one test.
func stamp(t *testing.T, v, rev string) {
	oldV, oldR := version, revision
	version, revision = v, rev
	t.Cleanup(func() { version, revision = oldV, oldR })
}

// TestVersionCommand: `audguard version`, `--version` and `version --json`
// print the stamped version and revision.
func TestVersionCommand(t *testing.T) {
	stamp(t, "v1.2.3-4-gabcdef0", "abcdef0123456789")
	want := "audguard v1.2.3-4-gabcdef0 (abcdef0123456789) " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		code, out, errOut := cli(t, "", args...)
		if code != exitOK || out != want || errOut != "" {
			t.Errorf("%q: exit %d, stdout %q (want %q), stderr %q", args, code, out, want, errOut)
		}
	}
	code, out, _ := cli(t, "", "version", "--json")
	var got map[string]string
	if err := json.Unmarshal([]byte(out), &got); code != exitOK || err != nil ||
		got["version"] != "v1.2.3-4-gabcdef0" || got["revision"] != "abcdef0123456789" || got["go"] != runtime.Version() {
		t.Errorf("version --json: exit %d, %v, %s", code, err, out)
	}
	if code, _, _ := cli(t, "", "version", "extra"); code != exitInvalid {
		t.Errorf("version extra: exit %d, want 2", code)
	}
}

// TestVersionUnstamped: without -X, the build information decides, and
// something is always printed.
func TestVersionUnstamped(t *testing.T) {
	stamp(t, "", "")
	wv, wrev := resolveVersion("", "", debug.ReadBuildInfo)
	code, out, _ := cli(t, "", "version")
	if code != exitOK || !strings.HasPrefix(out, "audguard "+wv+" ("+wrev+") ") || wv == "" || wrev == "" {
		t.Errorf("exit %d, %q; want audguard %s (%s)", code, out, wv, wrev)
	}
}

// TestVersionStampedBuild builds the CLI with the -ldflags `make cli` uses
// and runs `audguard version`.
func TestVersionStampedBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI")
	}
	bin := filepath.Join(t.TempDir(), "audguard")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-X main.version=v0.0.0-test-dirty -X main.revision=0123456789abcdef", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "audguard v0.0.0-test-dirty (0123456789abcdef) go") {
		t.Errorf("stamped binary: %v %q", err, out)
	}
}
