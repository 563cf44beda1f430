package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMECommandsRun runs every `audguard …` line of the README's sh
// blocks with the CLI built from this tree, in a scratch directory that sees
// the repository's envoy/ and e2e/ folders, so the README stays true. Exit 0
// or 1 (a denial, or warnings with --strict) is fine; 2 is a usage or
// configuration error and fails.
func TestREADMECommandsRun(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	cmds := readmeCommands(t, filepath.Join(root, "README.md"))
	if len(cmds) < 5 {
		t.Fatalf("found %d audguard commands in README.md, expected the CLI section's", len(cmds))
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "audguard"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	work := t.TempDir()
	for _, d := range []string{"envoy", "e2e"} {
		if err := os.Symlink(filepath.Join(root, d), filepath.Join(work, d)); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range cmds {
		cmd := exec.Command("bash", "-c", c)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		if code > 1 {
			t.Errorf("README command exits %d: %s\n%s", code, c, out)
		}
	}
}

// readmeCommands returns the lines of ```sh blocks that start with "audguard ".
func readmeCommands(t *testing.T, path string) []string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cmds []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "```sh"):
			in = true
		case strings.HasPrefix(line, "```"):
			in = false
		case in && strings.HasPrefix(line, "audguard "):
			cmds = append(cmds, line)
		}
	}
	return cmds
}
