package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// audguardWasm is the module `make build` writes. The Wasm benchmarks use it
// and build it (as `make build` does) when it is missing; a build failure is a
// benchmark failure, never a skip.
var audguardWasm = filepath.Join("..", "build", "audguard.wasm")

var (
	tmpOnce sync.Once
	tmpDir  string
	tmpErr  error
	buildMu sync.Mutex
	built   = map[string]string{}
)

// buildDir is one temporary directory per test binary, removed by TestMain.
func buildDir() (string, error) {
	tmpOnce.Do(func() { tmpDir, tmpErr = os.MkdirTemp("", "audguard-bench-") })
	return tmpDir, tmpErr
}

// buildWasm compiles the proxy-wasm plugin in pkg (a package path relative to
// the module root, e.g. "./filter") for wasip1 with -buildmode=c-shared and
// -trimpath, optionally stripped (-ldflags=-s -w), into the temporary
// directory, once per binary.
func buildWasm(pkg string, stripped bool) (string, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	key := fmt.Sprint(pkg, stripped)
	if p, ok := built[key]; ok {
		return p, nil
	}
	dir, err := buildDir()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, fmt.Sprintf("%s-%t.wasm", filepath.Base(pkg), stripped))
	if err := goBuildWasm(pkg, out, stripped); err != nil {
		return "", err
	}
	built[key] = out
	return out, nil
}

func goBuildWasm(pkg, out string, stripped bool) error {
	args := []string{"build", "-buildmode=c-shared", "-trimpath"}
	if stripped {
		args = append(args, "-ldflags=-s -w")
	}
	args = append(args, "-o", out, pkg)
	cmd := exec.Command("go", args...)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, msg)
	}
	return nil
}

// ensureAudguard returns build/audguard.wasm, building it first if missing.
// AUDGUARD_WASM, when set, names another module to measure instead.
func ensureAudguard() (string, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	if p := os.Getenv("AUDGUARD_WASM"); p != "" {
		return p, nil
	}
	if _, err := os.Stat(audguardWasm); err == nil {
		return audguardWasm, nil
	}
	if err := os.MkdirAll(filepath.Dir(audguardWasm), 0o755); err != nil {
		return "", err
	}
	abs, err := filepath.Abs(audguardWasm)
	if err != nil {
		return "", err
	}
	return audguardWasm, goBuildWasm("./filter", abs, false)
}
