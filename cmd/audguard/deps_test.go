package main

import (
	"encoding/base64"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestNoHeavyDeps: the CLI links no wasm runtime (wazero, the SDK's host
// emulator). It does link go-control-plane and istio.io/api, for the typed
// validation of the proxy configuration (typed.go); the filter never does
// (TestFilterLinksNoProxyAPIs).
func TestNoHeavyDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/tetratelabs/wazero", "proxy-wasm-go-sdk"} {
			if strings.HasPrefix(dep, banned) || strings.Contains(dep, banned) {
				t.Errorf("cmd/audguard links %s", dep)
			}
		}
	}
	if !strings.Contains(string(out), "github.com/audguard/audguard/filter/policy") {
		t.Error("go list output does not list filter/policy: the check is not looking at the right package")
	}
}

// TestFilterLinksNoProxyAPIs: the .wasm (./filter, GOOS=wasip1) links none
// of the proxies' API types the CLI validates with — no protobuf runtime at
// all — so they cannot grow or change the module.
func TestFilterLinksNoProxyAPIs(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "../../filter")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/envoyproxy/", "istio.io/", "github.com/cncf/xds", "google.golang.org/protobuf",
			"github.com/golang/protobuf", "google.golang.org/genproto", "go.opentelemetry.io/", "cel.dev/"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("./filter links %s", dep)
			}
		}
	}
	if !strings.Contains(string(out), "github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm") {
		t.Error("go list output does not list the proxy-wasm SDK: the check is not looking at the filter")
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
