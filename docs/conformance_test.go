package docs

// TestConformanceMatrix keeps conformance.md honest without running any of
// the tests it cites: every `package/path:TestName` must name a top-level
// test function of that package, every `…:TestName/sub/test` must also have
// its last element among that package's test string literals (go test
// writes spaces as underscores, so underscores and spaces are compared as
// the same), every requirement row must carry a known status and, when it
// claims proof, cite a test, and the totals table must add up.

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const matrixFile = "conformance.md"

// testRef matches a cited test in backquotes: package path (relative to the
// module root), a colon, the top-level test, then optional /subtest path.
var testRef = regexp.MustCompile("`([a-z0-9_]+(?:/[a-z0-9_]+)*):(Test[A-Za-z0-9_]*)((?:/[^`]*)?)`")

// rowID is the first cell of a requirement row: MCP-1, MCP-D2, HTTP-18, 6750-3, ….
var rowID = regexp.MustCompile(`^[A-Z0-9]+-[A-Z]?[0-9]+$`)

// statuses are the values of the Status column; proof marks those that must
// cite at least one test.
var statuses = map[string]bool{"proven": true, "partly": true, "untested": false, "gap": false, "elsewhere": false, "n/a": false}

// pkgTests is what one package's *_test.go files hold.
type pkgTests struct {
	funcs    map[string]bool
	literals []string // every string literal, underscores read as spaces
}

// normalize reads underscores as spaces, as go test's subtest names write spaces.
func normalize(s string) string { return strings.ReplaceAll(s, "_", " ") }

func loadPkg(t *testing.T, root, pkg string) (*pkgTests, error) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(pkg), "*_test.go"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, os.ErrNotExist
	}
	p := &pkgTests{funcs: map[string]bool{}}
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, d := range file.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") {
				p.funcs[fn.Name.Name] = true
			}
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil {
					p.literals = append(p.literals, normalize(s))
				}
			}
			return true
		})
	}
	return p, nil
}

func TestConformanceMatrix(t *testing.T) {
	raw, err := os.ReadFile(matrixFile)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	root := ".." // go test runs in docs/; package paths are relative to the module root

	// 1. Every cited test exists.
	pkgs := map[string]*pkgTests{}
	refs := testRef.FindAllStringSubmatch(doc, -1)
	if len(refs) < 50 {
		t.Fatalf("only %d test references found in %s; the pattern or the file is broken", len(refs), matrixFile)
	}
	seen := map[string]bool{}
	for _, m := range refs {
		ref, pkg, fn, sub := m[0], m[1], m[2], strings.TrimPrefix(m[3], "/")
		if seen[ref] {
			continue
		}
		seen[ref] = true
		p, ok := pkgs[pkg]
		if !ok {
			var err error
			if p, err = loadPkg(t, root, pkg); err != nil {
				t.Errorf("%s: package %s: %v", ref, pkg, err)
			}
			pkgs[pkg] = p
		}
		if p == nil {
			continue
		}
		if !p.funcs[fn] {
			t.Errorf("%s: no func %s( in %s/*_test.go", ref, fn, pkg)
			continue
		}
		if m[3] == "" {
			continue
		}
		leaf := sub[strings.LastIndexByte(sub, '/')+1:]
		if leaf == "" {
			t.Errorf("%s: empty subtest name", ref)
			continue
		}
		want := normalize(leaf)
		found := false
		for _, lit := range p.literals {
			if strings.Contains(lit, want) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s: subtest %q is not in any string literal of %s/*_test.go", ref, want, pkg)
		}
	}

	// 2. Every requirement row has a known status, and proof where it claims it.
	counts := map[string]int{}
	ids := map[string]bool{}
	total := 0
	for i, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if len(cells) == 0 || !rowID.MatchString(strings.TrimSpace(cells[0])) {
			continue
		}
		id := strings.TrimSpace(cells[0])
		if len(cells) != 6 {
			t.Errorf("line %d (%s): %d cells, want 6 (ID, requirement, §, audguard, status, proven by)", i+1, id, len(cells))
			continue
		}
		if ids[id] {
			t.Errorf("line %d: requirement %s listed twice", i+1, id)
		}
		ids[id] = true
		status := strings.TrimSpace(cells[4])
		needsProof, known := statuses[status]
		if !known {
			t.Errorf("line %d (%s): status %q is not one of proven, partly, untested, gap, elsewhere, n/a", i+1, id, status)
			continue
		}
		if needsProof && !testRef.MatchString(cells[5]) {
			t.Errorf("line %d (%s): status %s but no test cited", i+1, id, status)
		}
		counts[status]++
		total++
	}

	// 3. The totals table adds up.
	const marker = "<!-- conformance-totals"
	at := strings.Index(doc, marker)
	if at < 0 {
		t.Fatalf("%s: no %q totals table", matrixFile, marker)
	}
	claimed := map[string]int{}
	claimedAll := -1
	for _, line := range strings.Split(doc[at:], "\n")[1:] {
		if !strings.HasPrefix(line, "|") {
			if len(claimed) > 0 || claimedAll >= 0 {
				break
			}
			continue
		}
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if len(cells) != 2 {
			continue
		}
		name := strings.Trim(strings.TrimSpace(cells[0]), "*")
		n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(cells[1]), "*"))
		if err != nil {
			continue // header or separator
		}
		if name == "all" {
			claimedAll = n
		} else {
			claimed[name] = n
		}
	}
	var names []string
	for s := range statuses {
		names = append(names, s)
	}
	sort.Strings(names)
	for _, s := range names {
		if claimed[s] != counts[s] {
			t.Errorf("totals: %s = %d, but %d rows have that status", s, claimed[s], counts[s])
		}
	}
	for s := range claimed {
		if _, ok := statuses[s]; !ok {
			t.Errorf("totals: unknown status %q", s)
		}
	}
	if claimedAll != total {
		t.Errorf("totals: all = %d, but there are %d requirement rows", claimedAll, total)
	}
	t.Logf("%d requirements %v; %d distinct test references in %d packages", total, counts, len(seen), len(pkgs))
}
