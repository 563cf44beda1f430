package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// commandFlagSets reads this package's sources and returns, per flag set
// (flag.NewFlagSet("name") or tokenFlags("name") → "token name"), the names
// of the flags its function defines on it.
func commandFlagSets(t *testing.T) map[string][]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	// The argument that holds a flag's name, by FlagSet method.
	nameArg := map[string]int{"String": 0, "Bool": 0, "Int": 0, "Int64": 0, "Uint": 0, "Float64": 0, "Duration": 0, "Func": 0, "BoolFunc": 0,
		"StringVar": 1, "BoolVar": 1, "IntVar": 1, "Int64Var": 1, "UintVar": 1, "Float64Var": 1, "DurationVar": 1, "Var": 1, "TextVar": 1}
	sets := map[string][]string{}
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			set := ""
			var flags []string
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) == 0 {
					return true
				}
				lit := func(i int) string {
					if i >= len(call.Args) {
						return ""
					}
					if bl, ok := call.Args[i].(*ast.BasicLit); ok && bl.Kind == token.STRING {
						s, _ := strconv.Unquote(bl.Value)
						return s
					}
					return ""
				}
				switch fn := call.Fun.(type) {
				case *ast.SelectorExpr:
					if x, ok := fn.X.(*ast.Ident); ok && x.Name == "flag" && fn.Sel.Name == "NewFlagSet" {
						set = lit(0)
					} else if x, ok := fn.X.(*ast.Ident); ok && x.Name == "fs" {
						if i, ok := nameArg[fn.Sel.Name]; ok {
							if name := lit(i); name != "" {
								flags = append(flags, name)
							}
						}
					}
				case *ast.Ident:
					if fn.Name == "tokenFlags" {
						set = "token " + lit(0)
					}
				}
				return true
			})
			if set != "" && set != "token " {
				sets[set] = append(sets[set], flags...)
			}
		}
	}
	return sets
}

// TestCommandHelp: `audguard COMMAND -h` (and --help, and `audguard help
// COMMAND`) prints, on stdout with exit 0, every flag of the command and one
// example line that runs that command.
func TestCommandHelp(t *testing.T) {
	sets := commandFlagSets(t)
	var names []string
	for name := range sets {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, want := range []string{"check", "explain", "token keygen", "token mint", "version"} {
		if _, ok := sets[want]; !ok {
			t.Errorf("no flag set %q found in the sources (found %q)", want, names)
		}
	}
	for _, name := range names {
		cmd := strings.Fields(name)
		for _, args := range [][]string{append(cmd, "-h"), append(cmd, "--help"), append([]string{"help"}, cmd...)} {
			code, out, errOut := cli(t, "", args...)
			if code != exitOK || errOut != "" {
				t.Errorf("%q: exit %d, stderr %q", args, code, errOut)
			}
			for _, f := range sets[name] {
				if !strings.Contains(out, "\n  "+dashes(f)+" ") && !strings.Contains(out, "\n  "+dashes(f)+"\n") {
					t.Errorf("%q does not list %s:\n%s", args, dashes(f), out)
				}
			}
			// A value's name is a word of its own, never a `quoted` part
			// of the help ("--filter audguard check").
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, "  -") && strings.Contains(l, "audguard") {
					t.Errorf("%q: flag line %q", args, l)
				}
			}
			_, example, ok := strings.Cut(out, "\nexample:\n  ")
			if !ok || strings.Count(strings.TrimRight(example, "\n"), "\n") != 0 ||
				!strings.HasPrefix(example, "audguard "+name+" ") {
				t.Errorf("%q: no one-line example of audguard %s:\n%s", args, name, out)
			}
		}
	}
	// -h runs nothing: even with a missing file it only prints help.
	if code, out, _ := cli(t, "", "check", "/nonexistent", "-h"); code != exitOK || !strings.Contains(out, "example:") {
		t.Errorf("check /nonexistent -h: exit %d\n%s", code, out)
	}
	// A usage error says what is wrong on stderr, and where the help is; exit 2.
	if code, out, errOut := cli(t, "", "check"); code != exitInvalid || out != "" || !strings.Contains(errOut, "missing CONFIG") ||
		!strings.Contains(errOut, "Run 'audguard check -h'") {
		t.Errorf("check without CONFIG: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestCommandExamplesRun: every example in the help is a command of the
// README, which TestREADMECommandsRun runs (or, for the token commands,
// the README's own key and token lines).
func TestCommandExamplesRun(t *testing.T) {
	raw := readmeCommands(t, filepath.Join("..", "..", "README.md"))
	readme := strings.Join(raw, "\n")
	for name, ex := range commandExamples {
		if !strings.Contains(readme, ex) {
			t.Errorf("%s's example %q is not a README command (so no test runs it)", name, ex)
		}
	}
}
