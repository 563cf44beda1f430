package envoy

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// floorRe finds statements of a minimum host version: "Envoy >= 1.39",
// "Envoy (>= 1.39)", "Istio ≥ 1.31", "Envoy 1.39+".
var floorRe = regexp.MustCompile(`(?i)\b(envoy|istio)\s*\(?\s*(?:>=|≥)\s*(\d+\.\d+)|\b(envoy|istio)\s+(\d+\.\d+)\+`)

// TestFloorsStated: every file of the repository that states a host floor
// states the one floor: Envoy 1.39 (WASI poll_oneoff, proxy-wasm-cpp-host PR
// #533) and Istio 1.31 (its proxy is Envoy 1.39.1-dev; Istio 1.30 ships
// Envoy 1.38.4-dev). Historical facts ("deprecated since Envoy 1.33") are
// not floors and are written without ">=".
func TestFloorsStated(t *testing.T) {
	want := map[string]string{"envoy": "1.39", "istio": "1.31"}
	root := filepath.Join("..")
	seen := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "build", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".md", ".yaml", ".yml", ".go", ".json", ".conf", ".mk", ".golden":
		default:
			if d.Name() != "Makefile" {
				return nil
			}
		}
		if strings.HasSuffix(path, "floors_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			for _, m := range floorRe.FindAllStringSubmatch(line, -1) {
				host, v := strings.ToLower(m[1]+m[3]), m[2]+m[4]
				seen++
				if v != want[host] {
					t.Errorf("%s:%d: states %s %s as a floor; the floor is %s %s: %s", path, i+1, host, v, host, want[host], strings.TrimSpace(line))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen == 0 {
		t.Fatal("no floor statement found anywhere: the pattern no longer matches the docs")
	}
}
