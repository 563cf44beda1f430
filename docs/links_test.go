package docs

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// documents are the Markdown files whose links TestRelativeLinks checks: the
// top-level ones (README.md, RATIONALE.md, SECURITY.md, ...) and docs/*.md.
func documents(t *testing.T) []string {
	t.Helper()
	top, err := filepath.Glob(filepath.Join("..", "*.md"))
	if err != nil || len(top) == 0 {
		t.Fatalf("no top-level *.md (%v)", err)
	}
	docs, err := filepath.Glob("*.md")
	if err != nil || len(docs) == 0 {
		t.Fatalf("no docs/*.md (%v)", err)
	}
	return append(top, docs...)
}

// markdownLines returns the lines of a Markdown file outside fenced code
// blocks, with inline code spans blanked, and the fenced blocks apart.
func markdownLines(src string) (prose []string, fences []fence) {
	var cur *fence
	for i, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			if cur == nil {
				cur = &fence{lang: strings.TrimPrefix(trimmed, "```"), line: i + 1}
			} else {
				fences = append(fences, *cur)
				cur = nil
			}
			prose = append(prose, "")
			continue
		}
		if cur != nil {
			cur.text += line + "\n"
			prose = append(prose, "")
			continue
		}
		prose = append(prose, blankCodeSpans(line))
	}
	return prose, fences
}

type fence struct {
	lang, text string
	line       int
}

// blankCodeSpans replaces `code spans` (any run length of backticks) with
// spaces, so that text inside them is not read as links or headings.
func blankCodeSpans(line string) string {
	b := []byte(line)
	for i := 0; i < len(b); {
		if b[i] != '`' {
			i++
			continue
		}
		n := 0
		for i+n < len(b) && b[i+n] == '`' {
			n++
		}
		end := strings.Index(string(b[i+n:]), strings.Repeat("`", n))
		if end < 0 {
			i += n
			continue
		}
		for j := i; j < i+n+end+n; j++ {
			b[j] = ' '
		}
		i += n + end + n
	}
	return string(b)
}

// anchors returns the heading anchors of a Markdown file as GitHub makes
// them: the heading text lower-cased, code spans and link targets reduced to
// their text, every character other than a letter, digit, space, "-" or "_"
// dropped, spaces turned into "-", and "-1", "-2", … for repeats.
func anchors(src string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	inFence := false
	for _, line := range strings.Split(src, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
			continue
		}
		if inFence || !strings.HasPrefix(line, "#") {
			continue
		}
		text := strings.TrimLeft(line, "#")
		if text == "" || text[0] != ' ' {
			continue
		}
		text = linkTarget.ReplaceAllString(strings.TrimSpace(text), "$1")
		var b strings.Builder
		for _, r := range strings.ToLower(text) {
			switch {
			case unicode.IsLetter(r), unicode.IsDigit(r), r == '-', r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteRune('-')
			}
		}
		a := b.String()
		if n := seen[a]; n > 0 {
			out[a+"-"+strconv.Itoa(n)] = true
		} else {
			out[a] = true
		}
		seen[a]++
	}
	return out
}

var (
	linkTarget = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	mdLink     = regexp.MustCompile(`\]\(([^)\s]+)\)`)
)

// checkTarget reports what is wrong with a relative link from file, or "".
func checkTarget(from, target string) string {
	path, anchor, _ := strings.Cut(target, "#")
	file := from
	if path != "" {
		file = filepath.Join(filepath.Dir(from), filepath.FromSlash(path))
		if _, err := os.Stat(file); err != nil {
			return "no such file or directory"
		}
	}
	if anchor == "" || !strings.HasSuffix(file, ".md") {
		return ""
	}
	src, err := os.ReadFile(file)
	if err != nil {
		return err.Error()
	}
	if !anchors(string(src))[anchor] {
		return "no heading with anchor #" + anchor + " in " + filepath.ToSlash(file)
	}
	return ""
}

// TestRelativeLinks: every relative link in the documents names an existing
// file or directory, and, into a Markdown file, an existing heading; and no
// document cites the behaviour contract, which users do not have.
func TestRelativeLinks(t *testing.T) {
	links := 0
	for _, f := range documents(t) {
		prose, _ := markdownLines(string(readFile(t, f)))
		for i, line := range prose {
			if strings.Contains(line, "contract §") {
				t.Errorf("%s:%d: cites the contract; cite docs/… instead", filepath.ToSlash(f), i+1)
			}
			for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				links++
				if why := checkTarget(f, target); why != "" {
					t.Errorf("%s:%d: link %q: %s", filepath.ToSlash(f), i+1, target, why)
				}
			}
		}
	}
	if links < 50 {
		t.Errorf("found only %d relative links; is the link pattern still right?", links)
	}
}

// TestAnchors checks the anchor rule on headings the documents use.
func TestAnchors(t *testing.T) {
	a := anchors("# `issuers[].jwks_uri`\n## Host floor: Envoy ≥ 1.39\n## 3. The request authority\n### `keys_unavailable`\n## X\n## X\n")
	for _, want := range []string{"issuersjwks_uri", "host-floor-envoy--139", "3-the-request-authority", "keys_unavailable", "x", "x-1"} {
		if !a[want] {
			t.Errorf("anchor %q missing from %v", want, a)
		}
	}
}

// docCitation matches a citation of the documents in a message.
var docCitation = regexp.MustCompile(`docs/([a-z0-9-]+\.md)(?:#([A-Za-z0-9_-]+))?`)

// TestMessagesCiteDocs: string literals in the Go sources (refusals, fixes,
// warnings, descriptions: what users read) cite the documents, not the
// behaviour contract users do not have, and every cited document and
// heading exists.
func TestMessagesCiteDocs(t *testing.T) {
	cited := 0
	walkGoFiles(t, false, func(fset *token.FileSet, f *ast.File) {
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			cited += checkCitations(t, fset.Position(lit.Pos()), "a string", s)
			return true
		})
	})
	if cited == 0 {
		t.Error("no Go string cites docs/; the walk is broken")
	}
}

// TestCommentsCiteDocs: comments in every Go file, tests included, cite the
// documents rather than the behaviour contract users do not have, and every
// docs/… they cite (with its heading) exists.
func TestCommentsCiteDocs(t *testing.T) {
	cited := 0
	walkGoFiles(t, true, func(fset *token.FileSet, f *ast.File) {
		for _, g := range f.Comments {
			cited += checkCitations(t, fset.Position(g.Pos()), "a comment", g.Text())
		}
	})
	if cited == 0 {
		t.Error("no Go comment cites docs/; the walk is broken")
	}
}

// walkGoFiles parses every Go file of the repository (test files too when
// tests is true), with its comments, and hands each to fn.
func walkGoFiles(t *testing.T, tests bool, fn func(*token.FileSet, *ast.File)) {
	t.Helper()
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "build", "testdata", "node_modules", "vendor":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || !tests && strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil // a file being edited elsewhere; the compiler reports it
		}
		fn(fset, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkCitations fails t if text (what, at pos) cites the contract or a
// docs/… document or heading that does not exist, and returns how many
// docs/ citations it holds.
func checkCitations(t *testing.T, pos token.Position, what, text string) int {
	t.Helper()
	if strings.Contains(text, "contract §") {
		t.Errorf("%s:%d: %s cites the contract: %q; cite docs/… instead", pos.Filename, pos.Line, what, text)
	}
	ms := docCitation.FindAllStringSubmatch(text, -1)
	for _, m := range ms {
		target := m[1]
		if m[2] != "" {
			target += "#" + m[2]
		}
		if why := checkTarget("x.md", target); why != "" {
			t.Errorf("%s:%d: %s cites docs/%s: %s", pos.Filename, pos.Line, what, target, why)
		}
	}
	return len(ms)
}
