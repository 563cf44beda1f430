package bench

import (
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// minWazero is the oldest wazero that runs a Go 1.26 wasip1 module for long:
// under v1.7.2 (the version the proxy-wasm SDK requires) the guest's garbage
// collector finds a corrupted heap after a few thousand requests
// ("fatal error: freeIndex is not valid"), even for a plugin that only
// allocates; v1.12.0 runs 1,000,000 requests cleanly.
const minWazero = "v1.12.0"

// requireWazero fails tb, with the fix, when the linked wazero is too old for
// a long Wasm run.
func requireWazero(tb testing.TB) {
	tb.Helper()
	v := wazeroVersion()
	if semverLess(v, minWazero) {
		tb.Fatalf("wazero %s corrupts the guest heap of a Go 1.26 module under load; "+
			"run `go get github.com/tetratelabs/wazero@%s` (see BENCHMARKS.md)", v, minWazero)
	}
}

var (
	wazeroOnce sync.Once
	wazeroVer  = "unknown"
)

// wazeroVersion is the wazero version this module builds with (test binaries
// carry no dependency list in their build info, so ask the go command).
func wazeroVersion() string {
	wazeroOnce.Do(func() {
		out, err := exec.Command("go", "list", "-m", "-f", "{{if .Replace}}{{.Replace.Version}}{{else}}{{.Version}}{{end}}",
			"github.com/tetratelabs/wazero").Output()
		if err == nil {
			wazeroVer = strings.TrimSpace(string(out))
		}
	})
	return wazeroVer
}

// semverLess compares vMAJOR.MINOR.PATCH; anything unparsable counts as old.
func semverLess(a, b string) bool {
	pa, pb := parseSemver(a), parseSemver(b)
	if pa == nil || pb == nil {
		return true
	}
	for i := range 3 {
		if pa[i] != pb[i] {
			return pa[i] < pb[i]
		}
	}
	return false
}

func parseSemver(v string) []int {
	v, _, _ = strings.Cut(strings.TrimPrefix(v, "v"), "-")
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return nil
	}
	out := make([]int, 3)
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil
		}
		out[i] = n
	}
	return out
}

func TestSemverLess(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"v1.7.2", "v1.12.0", true},
		{"v1.12.0", "v1.12.0", false},
		{"v1.12.1", "v1.12.0", false},
		{"v2.0.0", "v1.12.0", false},
		{"unknown", "v1.12.0", true},
		{"v1.13.0-pre", "v1.12.0", false},
	} {
		if got := semverLess(c.a, c.b); got != c.want {
			t.Errorf("semverLess(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
