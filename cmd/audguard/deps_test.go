package main

import (
	"encoding/base64"
	"os/exec"
	"strings"
	"testing"
)

// TestNoHeavyDeps: the CLI links neither go-control-plane nor the wasm
// runtime (wazero, the SDK's host emulator), so `go install` stays quick.
func TestNoHeavyDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/envoyproxy/go-control-plane", "github.com/tetratelabs/wazero", "proxy-wasm-go-sdk"} {
			if strings.HasPrefix(dep, banned) || strings.Contains(dep, banned) {
				t.Errorf("cmd/audguard links %s", dep)
			}
		}
	}
	if !strings.Contains(string(out), "github.com/audguard/audguard/filter/policy") {
		t.Error("go list output does not list filter/policy: the check is not looking at the right package")
	}
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
