package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// makefiles returns the top-level Makefile and mk/*.mk, as `make` reads them.
func makefiles(t *testing.T) (root string, files []string) {
	t.Helper()
	root = filepath.Join("..", "..")
	mks, err := filepath.Glob(filepath.Join(root, "mk", "*.mk"))
	if err != nil || len(mks) == 0 {
		t.Fatalf("mk/*.mk: %v %v", mks, err)
	}
	return root, append([]string{filepath.Join(root, "Makefile")}, mks...)
}

var docLine = regexp.MustCompile(`^## ([A-Za-z0-9_.-]+): \S`)

// TestMakeTargetsDocumented: every .PHONY target of the Makefiles has a
// "## target: text" line, which `make help` prints, and every such line
// names a target that exists.
func TestMakeTargetsDocumented(t *testing.T) {
	_, files := makefiles(t)
	phony := map[string]string{}
	documented := map[string]bool{}
	defined := map[string]bool{}
	targetLine := regexp.MustCompile(`^([A-Za-z0-9_.-]+)\s*:([^=]|$)`)
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := sc.Text()
			if rest, ok := strings.CutPrefix(line, ".PHONY:"); ok {
				for _, name := range strings.Fields(rest) {
					phony[name] = filepath.Base(path)
				}
			}
			if m := docLine.FindStringSubmatch(line); m != nil {
				documented[m[1]] = true
			}
			if m := targetLine.FindStringSubmatch(line); m != nil {
				defined[m[1]] = true
			}
		}
		f.Close()
	}
	if len(phony) < 10 {
		t.Fatalf("found only %d .PHONY targets: %v", len(phony), phony)
	}
	for name, file := range phony {
		if !documented[name] {
			t.Errorf("%s: .PHONY target %q has no \"## %s: text\" line (make help lists those)", file, name, name)
		}
	}
	for name := range documented {
		if !defined[name] {
			t.Errorf("\"## %s:\" documents a target no Makefile defines", name)
		}
	}
}

// TestMakeHelp runs `make -s help`: one line per documented target, each
// naming the target and saying something.
func TestMakeHelp(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	root, files := makefiles(t)
	var want []string
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(raw), "\n") {
			if m := docLine.FindStringSubmatch(line); m != nil {
				want = append(want, m[1])
			}
		}
	}
	out, err := exec.Command("make", "-s", "-C", root, "help").CombinedOutput()
	if err != nil {
		t.Fatalf("make -s help: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("make help printed %d lines for %d documented targets:\n%s", len(lines), len(want), out)
	}
	for i, name := range want {
		f := strings.Fields(lines[i])
		if len(f) < 3 || f[0] != name {
			t.Errorf("make help line %d is %q, want target %q and its description", i+1, lines[i], name)
		}
	}
}
