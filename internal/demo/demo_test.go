package demo

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const repo = "../.."

// wasmModule returns build/audguard.wasm, building it into a temporary
// directory when it is missing (the test fails if that build fails).
func wasmModule(t *testing.T) string {
	t.Helper()
	p := filepath.Join(repo, "build", "audguard.wasm")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	out := filepath.Join(t.TempDir(), "audguard.wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-o", out, "./filter")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the module: %v\n%s", err, b)
	}
	return out
}

const meta = `resource_metadata="https://mcp-a.example.com/.well-known/oauth-protected-resource/mcp"`

func invalidToken(desc string) string {
	return `Bearer error="invalid_token", error_description="` + desc + `", ` + meta
}

// TestDemo runs `make demo`'s function against the real module and checks
// every scripted row's status, counter and challenge, and the table's shape.
func TestDemo(t *testing.T) {
	var out bytes.Buffer
	rows, err := Run(&out, Options{
		WasmPath:   wasmModule(t),
		ConfigPath: filepath.Join(repo, "envoy", "demo-config.json"),
		KeysDir:    filepath.Join(repo, "e2e", "keys"),
	})
	if err != nil {
		t.Fatal(err)
	}
	wrongAud := invalidToken("The access token was not issued for this resource.")
	want := []struct {
		status             uint32
		counter, challenge string
	}{
		{0, "allowed", ""},
		{0, "allowed", ""},
		{0, "allowed", ""},
		{401, "denied.wrong_audience", wrongAud},
		{401, "denied.wrong_audience", wrongAud},
		{401, "denied.wrong_audience", wrongAud},
		{401, "denied.extra_audience", invalidToken("The access token names other audiences; this resource requires a token issued for it alone.")},
		{401, "denied.expired", invalidToken("The access token has expired.")},
		{401, "denied.unsupported_algorithm", invalidToken("The access token uses an unsupported signing algorithm or header.")},
		{401, "denied.wrong_token_type", invalidToken("The access token has the wrong type; an at+jwt access token is required.")},
		{403, "denied.insufficient_scope", `Bearer error="insufficient_scope", scope="mcp:tools", ` + meta + `, error_description="The access token lacks a required scope."`},
		{401, "denied.missing_token", `Bearer ` + meta + `, scope="mcp:tools"`},
		{400, "denied.token_in_query", `Bearer error="invalid_request", error_description="Access tokens are not accepted in the query string; use the Authorization header.", ` + meta},
		{200, "metadata", ""},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d:\n%s", len(rows), len(want), out.String())
	}
	for i, w := range want {
		r := rows[i]
		if r.Status != w.status || r.Counter != w.counter || r.Challenge != w.challenge || !r.Expected {
			t.Errorf("row %d %q: status %d counter %q challenge %q expected %v; want %d %q %q",
				i+1, r.Name, r.Status, r.Counter, r.Challenge, r.Expected, w.status, w.counter, w.challenge)
		}
	}
	if b := rows[13].Body; !strings.Contains(b, `"resource":"https://mcp-a.example.com/mcp"`) {
		t.Errorf("metadata body %s", b)
	}
	text := out.String()
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if !strings.HasPrefix(lines[0], "audguard demo: ") {
		t.Errorf("first line %q is not the header line", lines[0])
	}
	if last := lines[len(lines)-1]; last != "summary: 14 requests: 3 allowed, 10 denied, 1 answered by the filter (metadata); every result as expected" {
		t.Errorf("summary line %q", last)
	}
	// Aligned: every table row starts its RESULT column at the same offset.
	var col int
	for _, l := range lines {
		if strings.HasPrefix(l, "#  ") {
			col = strings.Index(l, "RESULT")
		}
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "4 ") || strings.HasPrefix(l, "12 ") {
			if !strings.HasPrefix(l[col:], "40") {
				t.Errorf("row not aligned under RESULT: %q", l)
			}
		}
	}
}

// TestDemoFailsClosed: a missing module is an error, not an empty table.
func TestDemoFailsClosed(t *testing.T) {
	_, err := Run(&bytes.Buffer{}, Options{WasmPath: filepath.Join(t.TempDir(), "none.wasm"),
		ConfigPath: filepath.Join(repo, "envoy", "demo-config.json"), KeysDir: filepath.Join(repo, "e2e", "keys")})
	if err == nil {
		t.Fatal("no error for a missing module")
	}
}
