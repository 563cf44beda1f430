package docs

import (
	"encoding/json"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/filter/policy"
)

var update = flag.Bool("update", false, "rewrite the generated parts of the documents")

// reasonRow is one entry of filter/policy's reasonTable.
type reasonRow struct {
	name, code, challenge, description string
	status                             int
	jsonrpc                            int // filter/policy's jsonrpcCodes: the JSON-RPC error code of the body, 0 for {error, error_description}
}

// stringValue evaluates a string literal or a concatenation of them.
func stringValue(t *testing.T, e ast.Expr) string {
	t.Helper()
	switch e := e.(type) {
	case *ast.BasicLit:
		s, err := strconv.Unquote(e.Value)
		if err != nil {
			t.Fatal(err)
		}
		return s
	case *ast.BinaryExpr:
		return stringValue(t, e.X) + stringValue(t, e.Y)
	case *ast.CallExpr: // []byte(`…`)
		if len(e.Args) == 1 {
			return stringValue(t, e.Args[0])
		}
	case *ast.ParenExpr:
		return stringValue(t, e.X)
	}
	t.Fatalf("not a constant string: %T", e)
	return ""
}

// policyDecls parses filter/policy (without tests) and returns its
// package-level var and const values by name.
func policyDecls(t *testing.T) map[string]ast.Expr {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "filter", "policy", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]ast.Expr{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || (gd.Tok != token.VAR && gd.Tok != token.CONST) {
				continue
			}
			for _, s := range gd.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						out[n.Name] = vs.Values[i]
					}
				}
			}
		}
	}
	return out
}

// reasonRows reads reasonTable from filter/policy's source (it is not
// exported), in table order, and cross-checks it with the exported API.
func reasonRows(t *testing.T) []reasonRow {
	t.Helper()
	lit, ok := policyDecls(t)["reasonTable"].(*ast.CompositeLit)
	if !ok {
		t.Fatal("filter/policy: reasonTable is not a composite literal")
	}
	codes := jsonrpcCodes(t)
	var rows []reasonRow
	for _, e := range lit.Elts {
		kv := e.(*ast.KeyValueExpr)
		row := kv.Value.(*ast.CompositeLit)
		if len(row.Elts) == 0 {
			continue // ReasonNone
		}
		if len(row.Elts) != 6 {
			t.Fatalf("reasonTable %s: %d fields, want name, status, code, challenge, description, sentinel", kv.Key.(*ast.Ident).Name, len(row.Elts))
		}
		status, err := strconv.Atoi(row.Elts[1].(*ast.BasicLit).Value)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, reasonRow{
			name:        stringValue(t, row.Elts[0]),
			status:      status,
			code:        stringValue(t, row.Elts[2]),
			challenge:   row.Elts[3].(*ast.Ident).Name,
			description: stringValue(t, row.Elts[4]),
			jsonrpc:     codes[kv.Key.(*ast.Ident).Name],
		})
	}
	reasons := policy.Reasons()
	if len(rows) != len(reasons) {
		t.Fatalf("reasonTable has %d rows, policy.Reasons() %d", len(rows), len(reasons))
	}
	for i, r := range reasons {
		if rows[i].name != r.String() || rows[i].description != r.Description() {
			t.Fatalf("reasonTable row %d (%s) does not match policy.Reasons() (%s): the source parse is off", i, rows[i].name, r)
		}
	}
	return rows
}

// jsonrpcCodes reads filter/policy's jsonrpcCodes (the reasons answered
// with a JSON-RPC error body), keyed by the reason's constant name.
func jsonrpcCodes(t *testing.T) map[string]int {
	t.Helper()
	lit, ok := policyDecls(t)["jsonrpcCodes"].(*ast.CompositeLit)
	if !ok {
		t.Fatal("filter/policy: jsonrpcCodes is not a composite literal")
	}
	out := map[string]int{}
	for _, e := range lit.Elts {
		kv := e.(*ast.KeyValueExpr)
		u, ok := kv.Value.(*ast.UnaryExpr)
		if !ok || u.Op != token.SUB {
			t.Fatalf("jsonrpcCodes %s: not a negative integer literal", kv.Key.(*ast.Ident).Name)
		}
		n, err := strconv.Atoi(u.X.(*ast.BasicLit).Value)
		if err != nil {
			t.Fatal(err)
		}
		out[kv.Key.(*ast.Ident).Name] = -n
	}
	if len(out) == 0 {
		t.Fatal("filter/policy: jsonrpcCodes is empty")
	}
	return out
}

// challengeLabels name each challenge kind in the table; responses.md
// explains each in "Challenges".
var challengeLabels = map[string]string{
	"challengeNone":         "none",
	"challengeNoToken":      "[no error](#no-token)",
	"challengeInvalidToken": "[`invalid_token`](#invalid-token)",
	"challengeInvalidReq":   "[`invalid_request`](#invalid-request)",
	"challengeInsufficient": "[`insufficient_scope`](#insufficient-scope)",
	"challengeInvalidProof": "[`invalid_dpop_proof`](#dpop)",
	"challengeUseNonce":     "[`use_dpop_nonce`](#dpop)",
}

func reasonsTable(t *testing.T) string {
	var b strings.Builder
	b.WriteString("| reason | status | body | `WWW-Authenticate` | `error_description` (or JSON-RPC `message`) |\n")
	b.WriteString("|---|---|---|---|---|\n")
	for _, r := range reasonRows(t) {
		label, ok := challengeLabels[r.challenge]
		if !ok {
			t.Fatalf("reason %s: challenge kind %s has no label here", r.name, r.challenge)
		}
		body := "`error`: `" + r.code + "`"
		if r.jsonrpc != 0 {
			body = "[JSON-RPC error](#json-rpc-error-bodies) `" + strconv.Itoa(r.jsonrpc) + "`"
		}
		b.WriteString("| [`" + r.name + "`](troubleshooting.md#" + r.name + ") | " + strconv.Itoa(r.status) + " | " + body + " | " +
			label + " | " + r.description + " |\n")
	}
	return b.String()
}

const (
	beginReasons = "<!-- BEGIN reasons: generated from filter/policy/reason.go by `go test ./docs -update`; do not edit -->\n"
	endReasons   = "<!-- END reasons -->\n"
)

// TestResponsesTable: the reason table of responses.md is generated from
// filter/policy's reasonTable (status, body error, challenge, description),
// and the other fixed reply texts appear verbatim.
func TestResponsesTable(t *testing.T) {
	const file = "responses.md"
	src := string(readFile(t, file))
	before, rest, ok1 := strings.Cut(src, beginReasons)
	_, after, ok2 := strings.Cut(rest, endReasons)
	if !ok1 || !ok2 {
		t.Fatalf("%s: the generated section's markers are missing", file)
	}
	want := before + beginReasons + reasonsTable(t) + endReasons + after
	if want != src {
		if *update {
			if err := os.WriteFile(file, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
		} else {
			t.Errorf("%s: the reason table differs from filter/policy/reason.go; run go test ./docs -update", file)
		}
	}
	decls := policyDecls(t)
	for _, name := range []string{"descOneHost", "descOneOrigin", "serverErrorBody", "metadataMethods", "preflightMaxAge"} {
		e, ok := decls[name]
		if !ok {
			t.Errorf("filter/policy: %s is gone; update %s and this test", name, file)
			continue
		}
		if s := stringValue(t, e); !strings.Contains(src, s) {
			t.Errorf("%s does not show %s (%q)", file, name, s)
		}
	}
}

// headings returns the heading lines of a Markdown file, trimmed of "#".
func headings(src string) []string {
	prose, _ := markdownLines(src)
	raw := strings.Split(src, "\n")
	var out []string
	for i, line := range prose {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			out = append(out, strings.TrimSpace(strings.TrimLeft(raw[i], "#")))
		}
	}
	return out
}

// TestConfigurationCoversKeys: configuration.md has a section for every key
// of config.Keys() (the top-level issuers and resources are whole sections).
func TestConfigurationCoversKeys(t *testing.T) {
	hs := headings(string(readFile(t, "configuration.md")))
	for _, k := range config.Keys() {
		want := "`" + k + "`"
		switch k {
		case "issuers":
			want = "Issuers"
		case "resources":
			want = "Resources"
		}
		if !slices.Contains(hs, want) {
			t.Errorf("configuration.md: no heading %q", want)
		}
	}
}

// TestTroubleshootingCoversReasons: every denial reason has its section in
// troubleshooting.md, and metrics.md names it.
func TestTroubleshootingCoversReasons(t *testing.T) {
	hs := headings(string(readFile(t, "troubleshooting.md")))
	metrics := string(readFile(t, "metrics.md"))
	for _, r := range policy.Reasons() {
		if !slices.Contains(hs, "`"+r.String()+"`") {
			t.Errorf("troubleshooting.md: no heading `%s`", r)
		}
		if !strings.Contains(metrics, "`"+r.String()+"`") {
			t.Errorf("metrics.md does not name the reason %s", r)
		}
	}
}

// TestMetricsNames: metrics.md names every counter, the per-resource and
// remote key set metrics, the access-log properties, and prints the stats
// tags the filter's counters are tested against.
func TestMetricsNames(t *testing.T) {
	src := string(readFile(t, "metrics.md"))
	for _, name := range policy.CounterNames() {
		if strings.HasPrefix(name, "audguard.denied.") || strings.HasPrefix(name, "audguard.would_deny.") {
			continue // the reasons are checked one by one, the prefixes below
		}
		if !strings.Contains(src, "`"+name+"`") {
			t.Errorf("metrics.md does not name the counter %s", name)
		}
	}
	for _, s := range []string{"audguard.denied.<reason>", "audguard.would_deny.<reason>",
		"audguard.resource.<name>.allowed", "audguard.resource.<name>.denied.<reason>", "audguard.resource.<name>.would_deny.<reason>",
		"audguard.host_poll_oneoff_broken",
		policy.PropertyOutcome, policy.PropertyReason, policy.PropertyResource} {
		if !strings.Contains(src, s) {
			t.Errorf("metrics.md does not name %s", s)
		}
	}
	// The remote key set metrics, as filter/keys_glue.go names them.
	glue := string(readFile(t, filepath.Join("..", "filter", "keys_glue.go")))
	suffixes := regexp.MustCompile(`p \+ "([a-z_]+)"`).FindAllStringSubmatch(glue, -1)
	if len(suffixes) < 5 {
		t.Fatalf("filter/keys_glue.go: found %d jwks metric names", len(suffixes))
	}
	for _, m := range suffixes {
		if !strings.Contains(src, "audguard.jwks.<issuer>."+m[1]) {
			t.Errorf("metrics.md does not name audguard.jwks.<issuer>.%s", m[1])
		}
	}
	// The stats_tags block is policy.StatsTags.
	var found [][2]string
	lines := strings.Split(src, "\n")
	for i, l := range lines {
		if name, ok := strings.CutPrefix(strings.TrimSpace(l), "- tag_name: "); ok && i+1 < len(lines) {
			re, _ := strings.CutPrefix(strings.TrimSpace(lines[i+1]), "regex: ")
			found = append(found, [2]string{name, strings.Trim(re, "'")})
		}
	}
	if !slices.Equal(found, policy.StatsTags) {
		t.Errorf("metrics.md stats_tags %q, want %q", found, policy.StatsTags)
	}
}

// docJSONExamples returns the JSON code blocks of README.md and docs/*.md
// that are whole plugin configurations (they have issuers and resources).
func docJSONExamples(t *testing.T) []example {
	t.Helper()
	var out []example
	for _, f := range documents(t) {
		_, fences := markdownLines(string(readFile(t, f)))
		for _, fc := range fences {
			if fc.lang != "json" {
				continue
			}
			var m map[string]json.RawMessage
			if json.Unmarshal([]byte(fc.text), &m) != nil || m["issuers"] == nil || m["resources"] == nil {
				continue
			}
			out = append(out, example{filepath.ToSlash(f) + ":" + strconv.Itoa(fc.line), []byte(fc.text)})
		}
	}
	return out
}

// TestDocExamplesLoad: every whole configuration shown in the documents
// starts, and is valid under the schema.
func TestDocExamplesLoad(t *testing.T) {
	rs := loadSchema(t)
	exs := docJSONExamples(t)
	if len(exs) == 0 {
		t.Fatal("no JSON configuration in the documents")
	}
	for _, ex := range exs {
		if err := startErr(ex.data); err != nil {
			t.Errorf("%s: refused: %v", ex.where, err)
		}
		if err := validate(rs, ex.data); err != nil {
			t.Errorf("%s: not valid under %s: %v", ex.where, schemaFile, err)
		}
	}
}
