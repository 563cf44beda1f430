package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// cliGolden runs one command line and compares its exit status, stdout and
// stderr with testdata/cli/<name>.golden.
func cliGolden(t *testing.T, name, stdin string, wantCode int, args ...string) (string, string) {
	t.Helper()
	code, out, errOut := cli(t, stdin, args...)
	if code != wantCode {
		t.Errorf("%q: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, wantCode, out, errOut)
	}
	golden(t, "cli/"+name+".golden", fmt.Sprintf("$ audguard %s\nexit %d\n-- stdout --\n%s-- stderr --\n%s", strings.Join(args, " "), code, out, errOut))
	return out, errOut
}

// TestCheckCLI: `audguard check` as a CI gate — several files and a
// directory, stdin, the github format, problem codes and --ignore, and the
// usage errors.
func TestCheckCLI(t *testing.T) {
	cases := []struct {
		name  string
		stdin string
		code  int
		args  []string
	}{
		// Two files and a directory: every *.json, *.yaml, *.yml and *.conf
		// file below it, in lexical order, names starting with "." skipped;
		// the worst file decides the exit status.
		{"check_files_and_dir", "", 2, []string{"check", "testdata/check/valid.json", "testdata/check/warnings.json", "testdata/checkdir"}},
		{"check_files_and_dir_json", "", 0, []string{"check", "--format", "json", "testdata/check/valid.json", "testdata/checkdir/envoy"}},
		{"check_stdin", `{"mode": "enforce", "issuers": [], "resources": []}`, 2, []string{"check", "-"}},
		{"check_github", "", 2, []string{"check", "--format", "github", "testdata/check/envoy-fail-open.yaml", "testdata/check/warnings.json", "testdata/check/missing-file.json", "-"}},
		{"check_ignore", "", 1, []string{"check", "--strict", "--ignore", "AG0311,AG0312", "--ignore", "ag0313", "testdata/check/envoy-unhardened.yaml"}},
		{"check_ignore_refusal", "", 2, []string{"check", "--ignore", "AG0102", "testdata/check/valid.json"}},
		{"check_ignore_unknown", "", 2, []string{"check", "--ignore", "AG0331", "testdata/check/valid.json"}},
		{"check_list_codes", "", 0, []string{"check", "--list-codes"}},
		{"check_followon", "", 2, []string{"check", "testdata/check/followon-jwks-cluster.json"}},
		{"check_missing_config", "", 2, []string{"check", "--strict"}},
		{"check_unknown_flag", "", 2, []string{"check", "--fromat", "json", "testdata/check/valid.json"}},
		{"check_bad_format", "", 2, []string{"check", "--format", "jsno", "testdata/check/valid.json"}},
		{"check_json_and_format", "", 2, []string{"check", "--json", "--format", "github", "testdata/check/valid.json"}},
		{"check_help", "", 0, []string{"check", "-h"}},
		{"unknown_command", "", 2, []string{"chekc", "testdata/check/valid.json"}},
		{"unknown_command_help", "", 2, []string{"help", "explian"}},
		{"explain_missing_token", "", 2, []string{"explain", "--config", "testdata/check/valid.json"}},
		{"explain_missing_config", "", 2, []string{"explain", "--now", "0", "tok"}},
		{"explain_unknown_flag", "", 2, []string{"explain", "--confg", "testdata/check/valid.json", "tok"}},
		{"explain_flag_value", "", 2, []string{"explain", "--config"}},
		{"explain_help", "", 0, []string{"explain", "-h"}},
		{"keys_missing_argument", "", 2, []string{"keys"}},
		{"mint_missing_flags", "", 2, []string{"token", "mint", "--scope", "mcp:tools"}},
		{"version_arguments", "", 2, []string{"version", "now"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errOut := cliGolden(t, c.name, c.stdin, c.code, c.args...)
			switch {
			case c.code == exitInvalid && c.name != "check_files_and_dir" && c.name != "check_files_and_dir_json" &&
				c.name != "check_stdin" && c.name != "check_github" && c.name != "check_followon":
				// A usage error: nothing on stdout, what is wrong on stderr.
				if out != "" || errOut == "" {
					t.Errorf("usage error: stdout %q, stderr %q", out, errOut)
				}
			case strings.HasSuffix(c.name, "_help"), c.name == "check_list_codes":
				if errOut != "" {
					t.Errorf("stderr %q", errOut)
				}
			}
		})
	}
}

// TestCheckFormats: --json is --format json; --format github prints one
// workflow command per problem of --format json, with its file, line,
// column and code; every problem has a code of the list.
func TestCheckFormats(t *testing.T) {
	files := []string{"testdata/check/envoy-fail-open.yaml", "testdata/check/warnings.json", "testdata/check/multi-errors.json", "testdata/check/nginx-too-long.conf"}
	_, viaFlag, _ := cli(t, "", append([]string{"check", "--json"}, files...)...)
	_, viaFormat, _ := cli(t, "", append([]string{"check", "--format", "json"}, files...)...)
	if viaFlag != viaFormat {
		t.Fatal("--json and --format json differ")
	}
	var run checkRun
	if err := json.Unmarshal([]byte(viaFormat), &run); err != nil {
		t.Fatal(err)
	}
	_, gh, _ := cli(t, "", append([]string{"check", "--format", "github"}, files...)...)
	cmd := regexp.MustCompile(`^::(error|warning) file=([^,:]+)(?:,line=(\d+))?(?:,col=(\d+))?,title=(AG\d{4})::(AG\d{4}) `)
	lines := strings.Split(strings.TrimSuffix(gh, "\n"), "\n")
	i := 0
	for _, f := range run.Files {
		for _, fr := range f.Filters {
			for _, p := range fr.Problems {
				if _, ok := codeByName(p.Code); !ok {
					t.Errorf("%s: %s %s has code %q, which --list-codes does not list", f.File, p.Path, p.Message, p.Code)
				}
				if i >= len(lines) {
					t.Fatalf("github output ends before %s %s", f.File, p.Path)
				}
				m := cmd.FindStringSubmatch(lines[i])
				want := []string{p.Severity, f.File, itoa(p.Line), itoa(p.Column), p.Code, p.Code}
				if p.Line == 0 {
					want[2] = ""
				}
				if p.Column == 0 {
					want[3] = ""
				}
				if m == nil || strings.Join(m[1:], " ") != strings.Join(want, " ") {
					t.Errorf("github line %q, want %q", lines[i], want)
				}
				if strings.ContainsAny(lines[i], "\r") {
					t.Errorf("unescaped line break in %q", lines[i])
				}
				i++
			}
		}
	}
	if i != len(lines)-1 || !strings.HasPrefix(lines[i], "audguard check: 4 files, ") {
		t.Errorf("github output: %d problems for %d lines:\n%s", i, len(lines), gh)
	}
}

// TestProblemCodes: every problem the check goldens' configurations give
// has a code of the list that is not a catch-all; the list names each code
// once, with a severity and a summary.
func TestProblemCodes(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range codeTable {
		if c.Summary == "" {
			continue
		}
		if seen[c.Code] || !regexp.MustCompile(`^AG0\d{3}$`).MatchString(c.Code) || (c.Severity != sevError && c.Severity != sevWarning) {
			t.Errorf("code row %+v", c)
		}
		seen[c.Code] = true
	}
	entries, err := os.ReadDir("testdata/check")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".golden") {
			continue
		}
		_, out, _ := cli(t, "", "check", "--json", "testdata/check/"+e.Name())
		var rep checkReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		if rep.Error != "" && !seen[rep.Code] {
			t.Errorf("%s: file error %q has code %q", e.Name(), rep.Error, rep.Code)
		}
		for _, f := range rep.Filters {
			for _, p := range f.Problems {
				if !seen[p.Code] || strings.HasSuffix(p.Code, "99") || strings.HasSuffix(p.Code, "98") {
					t.Errorf("%s: %s %q has code %q", e.Name(), p.Path, p.Message, p.Code)
				}
			}
		}
	}
}

// TestCheckFollowOn: a refusal that follows from an earlier refused member
// of the same object (jwks_cluster and jwks_refresh_seconds "set without
// jwks_uri" once jwks_uri is refused) is not reported; an independent
// refusal of the same object is.
func TestCheckFollowOn(t *testing.T) {
	_, out, _ := cli(t, "", "check", "--json", "testdata/check/followon-jwks-cluster.json")
	var rep checkReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, p := range rep.Filters[0].Problems {
		paths = append(paths, p.Path)
	}
	if strings.Join(paths, " ") != "issuers[0].jwks_uri issuers[0].token_type" {
		t.Errorf("problems at %q, want the jwks_uri and the token_type", paths)
	}
	for _, tc := range []struct{ path, msg string }{
		{"issuers[0].jwks_cluster", "is set without jwks_uri"},
		{"issuers[0].jwks_cluster", "is set without jwks"},
		{"issuers[0].jwks_cluster", "names jwks_uri_x"},
	} {
		r := &repairer{removed: []string{"issuers[0].jwks_uri"}}
		want := tc.msg == "is set without jwks_uri"
		if got := r.followOn(tc.path, tc.msg); got != want {
			t.Errorf("followOn(%q, %q) = %v", tc.path, tc.msg, got)
		}
	}
	if (&repairer{removed: []string{"issuers[0].jwks_uri"}}).followOn("issuers[1].jwks_cluster", "is set without jwks_uri") {
		t.Error("a member of another issuer is taken for a follow-on")
	}
}

// TestSuggest: "did you mean" for slips, nothing for other words.
func TestSuggest(t *testing.T) {
	cands := []string{"check", "explain", "keys", "token", "version", "help"}
	for in, want := range map[string]string{"chek": "check", "chekc": "check", "explian": "explain", "key": "keys", "versoin": "version",
		"tokne": "token", "x": "", "frobnicate": "", "exp": "explain", "vers": "version"} {
		if got := suggest(in, cands); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
	if got := suggest("jwks_url", []string{"jwks", "jwks_uri", "jwks_cluster"}); got != "jwks_uri" {
		t.Errorf("jwks_url: %q", got)
	}
}
