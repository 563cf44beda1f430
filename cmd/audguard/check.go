package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Exit codes of `audguard check` (and of usage errors everywhere).
const (
	exitOK       = 0 // valid (warnings allowed unless --strict)
	exitWarnings = 1 // valid with warnings, and --strict
	exitInvalid  = 2 // refused, unreadable, or bad usage
)

// Report formats of `audguard check --format`.
const (
	formatText   = "text"
	formatJSON   = "json"
	formatGitHub = "github"
)

const checkUsage = `usage: audguard check [--format text|json|github] [--strict] [--ignore CODES]
                      [--target nginx] CONFIG|DIR|- ...
       audguard check --list-codes [--format json]

Validates each CONFIG exactly as the filter does at start, and judges the
proxy configuration around it. CONFIG is a plugin configuration (JSON), or an
Envoy YAML/JSON, Istio WasmPlugin, Istio EnvoyFilter, Kong declarative or
nginx configuration holding one (every audguard filter is checked). A
directory is searched recursively, in lexical order, for *.json, *.yaml,
*.yml and *.conf files (names starting with "." are skipped); - reads one
configuration from stdin.

An nginx configuration (read as nginx does; include is not followed) is one
whose top-level directives include an nginx one (events, http, wasm,
server, location, proxy_wasm, include…): each proxy_wasm's configuration
parameter is checked, and refused when nginx -t would fail on it (over
nginx's 4096-byte parameter buffer) or would rewrite its bytes (\' \" \\
\n \t \r). --target nginx applies the same rules to a plugin configuration
file that will be wrapped as it is into proxy_wasm <module> '…';.

Every problem is listed, in file order, with its line and column and a
stable code (AG0102; --list-codes lists every code with its severity): the
loader's refusals; fail-open settings, a Wasm filter after the router, and
route or virtual host names the file's route configuration lacks (errors);
missing connection-manager hardening, authorities no virtual host or route
sends to the filter, and the loader's warnings (warnings). A refusal that
only follows from an earlier one (jwks_cluster without the jwks_uri refused
before it) is not listed. --ignore AG0311,AG0207 leaves those problems out,
and out of the exit status; refusals of the filter's loader (AG01xx), of
nginx (AG04xx) and problems of the file itself cannot be ignored.

The report goes to stdout: text; json (--json is --format json): one file's
report, or {"status", "errors", "warnings", "files": [reports]} when the
command line names several files or a directory; github: one workflow
command per problem (::error file=F,line=L,col=C,title=AG0102::…), which
GitHub Actions shows on the changed lines. Usage errors, and files that
cannot be read or searched, are also reported on stderr.

Exit status: 0 valid, 1 valid with warnings and --strict, 2 an error in
any file, or bad usage.
`

// codeList collects --ignore: codes, comma-separated, repeatable.
type codeList []string

func (c *codeList) String() string { return strings.Join(*c, ",") }

func (c *codeList) Set(v string) error {
	for _, code := range strings.Split(v, ",") {
		if code = strings.ToUpper(strings.TrimSpace(code)); code != "" {
			*c = append(*c, code)
		}
	}
	return nil
}

// runCheck implements `audguard check`.
func runCheck(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = commandUsage(fs, stderr, checkUsage)
	format := fs.String("format", formatText, "`text|json|github`: the report's format (github: GitHub Actions workflow commands)")
	asJSON := fs.Bool("json", false, "the same as --format json")
	strict := fs.Bool("strict", false, "exit 1 when there are warnings")
	var ignore codeList
	fs.Var(&ignore, "ignore", "`CODES`: leave out the problems with these codes (comma-separated, repeatable; --list-codes lists them)")
	listCodes := fs.Bool("list-codes", false, "list every problem code with its severity and what it means, then exit")
	target := fs.String("target", "", "`nginx`: CONFIG is a plugin configuration file that will be wrapped as it is into one nginx parameter (proxy_wasm <module> '…';): refuse it when nginx would (over 4094 bytes, a ', or an escape nginx rewrites)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitInvalid
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "audguard check: "+format+"\n", a...)
		return exitInvalid
	}
	formatSet := false
	fs.Visit(func(f *flag.Flag) { formatSet = formatSet || f.Name == "format" })
	if *asJSON {
		if formatSet && *format != formatJSON {
			return fail("--json is --format json; it cannot go with --format %s", *format)
		}
		*format = formatJSON
	}
	switch *format {
	case formatText, formatJSON, formatGitHub:
	default:
		msg := fmt.Sprintf("--format %q: want text, json or github", *format)
		if s := suggest(*format, []string{formatText, formatJSON, formatGitHub}); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		return fail("%s", msg)
	}
	if *listCodes {
		if len(pos) > 0 {
			return fail("--list-codes lists the codes and checks nothing: leave out %s", strings.Join(pos, " "))
		}
		writeCodeList(stdout, *format)
		return exitOK
	}
	if *target != "" && *target != targetNginx {
		return fail("--target %q: the only target is nginx (without --target, CONFIG is judged as the proxy configuration it is)", *target)
	}
	ignored := map[string]bool{}
	for _, code := range ignore {
		c, ok := codeByName(code)
		if !ok {
			var all []string
			for _, c := range codeTable {
				all = append(all, c.Code)
			}
			msg := fmt.Sprintf("--ignore %s: no such code", code)
			if s := suggest(code, all); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			return fail("%s; audguard check --list-codes lists them", msg)
		}
		if !c.Ignorable {
			return fail("--ignore %s: %s (%s) cannot be ignored: %s", code, code, c.Summary, whyNotIgnorable[c.Group])
		}
		ignored[code] = true
	}
	if len(pos) == 0 {
		return missingArgument(fs, stderr, "CONFIG: name one or more configuration files or directories, or - to read one from stdin",
			"audguard check [--format text|json|github] [--strict] [--ignore CODES] CONFIG|DIR|- ...")
	}
	inputs, err := expandInputs(pos)
	if err != nil {
		return fail("%v", err)
	}
	var reps []checkReport
	dirs := map[string]bool{} // directory argument → some file under it holds a configuration
	for _, in := range inputs {
		var rep checkReport
		switch {
		case in.err != nil:
			rep = checkReport{File: in.label, Status: "invalid", Error: in.err.Error(), Code: in.code, Errors: 1, Filters: []filterReport{}}
		case in.stdin:
			data, err := io.ReadAll(stdin)
			if err != nil {
				rep = checkReport{File: in.label, Status: "invalid", Error: "cannot read stdin: " + err.Error(), Code: codeUnreadable, Errors: 1, Filters: []filterReport{}}
				break
			}
			rep = checkData(in.label, data, *target, ignored)
		default:
			rep = checkPath(in.label, *target, ignored)
		}
		if in.dir != "" && rep.Code == codeNoConfig {
			// Found in a directory, among other files: not one of ours.
			rep = checkReport{File: in.label, Status: "skipped", Note: "holds no audguard plugin configuration", Filters: []filterReport{}}
		}
		if rep.Error != "" {
			fmt.Fprintf(stderr, "audguard check: %s: %s (%s)\n", rep.File, rep.Error, rep.Code)
		}
		reps = append(reps, rep)
		if in.dir != "" {
			dirs[in.dir] = dirs[in.dir] || rep.Status != "skipped"
		}
	}
	for _, a := range pos {
		if found, ok := dirs[a]; ok && !found {
			rep := checkReport{File: a, Status: "invalid", Errors: 1, Code: codeNoFiles, Filters: []filterReport{},
				Error: "no file under the directory holds an audguard plugin configuration"}
			fmt.Fprintf(stderr, "audguard check: %s: %s (%s)\n", rep.File, rep.Error, rep.Code)
			reps = append(reps, rep)
		}
	}
	several := len(pos) > 1 || len(inputs) != 1 || inputs[0].dir != ""
	switch *format {
	case formatJSON:
		if several {
			writeReport(stdout, true, summarize(reps), nil)
		} else {
			writeReport(stdout, true, reps[0], nil)
		}
	case formatGitHub:
		writeGitHub(stdout, reps)
	default:
		for i, rep := range reps {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			writeCheckText(stdout, rep)
		}
		if several {
			writeRunSummary(stdout, summarize(reps))
		}
	}
	code := exitOK
	for _, rep := range reps {
		switch {
		case rep.Status == "invalid":
			code = exitInvalid
		case rep.Status == "warnings" && *strict && code == exitOK:
			code = exitWarnings
		}
	}
	return code
}

// checkInput is one file to check: a path, or stdin ("-"); err when it
// cannot be checked (a directory without configuration files).
type checkInput struct {
	label string
	stdin bool
	dir   string // the directory named on the command line it was found in
	err   error
	code  string
}

// configExts are the file names a directory is searched for.
var configExts = []string{".json", ".yaml", ".yml", ".conf"}

// expandInputs turns the command line's CONFIG arguments into files: a
// directory into the configuration files under it (lexical order, names
// starting with "." skipped), "-" into stdin (once).
func expandInputs(args []string) ([]checkInput, error) {
	var out []checkInput
	stdin := false
	for _, a := range args {
		if a == "-" {
			if stdin {
				return nil, errors.New("- (stdin) is named twice: it can be read once")
			}
			stdin = true
			out = append(out, checkInput{label: "-", stdin: true})
			continue
		}
		fi, err := os.Stat(a)
		if err != nil || !fi.IsDir() {
			out = append(out, checkInput{label: a}) // checkPath reports what is wrong
			continue
		}
		var found []checkInput
		root := a
		if li, err := os.Lstat(a); err == nil && li.Mode()&iofs.ModeSymlink != 0 {
			root = a + string(filepath.Separator) // walk the directory the link names
		}
		err = filepath.WalkDir(root, func(p string, d iofs.DirEntry, err error) error {
			if err != nil {
				found = append(found, checkInput{label: p, dir: a, err: errors.New("cannot read: " + err.Error()), code: codeUnreadable})
				if d != nil && d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if p != root && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() || !slices.Contains(configExts, strings.ToLower(filepath.Ext(p))) {
				return nil
			}
			if d.Type()&iofs.ModeSymlink != 0 {
				if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
					return nil
				}
			}
			found = append(found, checkInput{label: p, dir: a})
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			found = []checkInput{{label: a, code: codeNoFiles,
				err: errors.New("the directory holds no *.json, *.yaml, *.yml or *.conf file")}}
		}
		out = append(out, found...)
	}
	return out, nil
}

// checkFile reads, finds and validates every plugin configuration in path.
// With target "nginx", a plugin configuration file is also judged as the
// one nginx parameter it will be wrapped into.
func checkFile(path, target string) checkReport {
	return checkPath(path, target, nil)
}

// checkPath is checkFile, leaving out the problems whose codes ignore holds.
func checkPath(path, target string, ignore map[string]bool) checkReport {
	data, err := os.ReadFile(path)
	if err != nil {
		return checkReport{File: path, Target: target, Filters: []filterReport{}, Status: "invalid",
			Error: "cannot read the file: " + err.Error(), Code: codeUnreadable, Errors: 1}
	}
	return checkData(path, data, target, ignore)
}

// checkData validates every plugin configuration in data, read from label.
func checkData(label string, data []byte, target string, ignore map[string]bool) checkReport {
	rep := checkReport{File: label, Target: target, Filters: []filterReport{}}
	sources, notes, err := readSources(data)
	rep.Notes = notes
	if err != nil {
		rep.Status, rep.Error, rep.Errors = "invalid", err.Error(), 1
		rep.Code = classify(groupFile, problem{Severity: sevError, Message: err.Error()})
		return rep
	}
	if target == targetNginx {
		for i := range sources {
			switch s := &sources[i]; {
			case s.Kind == kindNginx:
			case s.Kind == kindPlugin && s.whole:
				s.target = targetNginx
			default:
				rep.Status, rep.Errors, rep.Code = "invalid", 1, codeTargetMismatch
				rep.Error = fmt.Sprintf("--target nginx judges a plugin configuration file (JSON) that will be wrapped into one nginx parameter; this file holds a proxy configuration's (%s at %s): check it without --target", s.Kind, s.Label)
				if s.Kind == kindPlugin {
					rep.Error = "--target nginx judges a plugin configuration file as the JSON that will be wrapped into one nginx parameter; this file is YAML, which the filter does not read: write it as JSON"
				}
				return rep
			}
		}
	}
	for _, s := range sources {
		fr := buildFilterReport(s)
		if len(ignore) > 0 {
			kept := fr.Problems[:0]
			fr.Warnings = []string{}
			for _, p := range fr.Problems {
				if ignore[p.Code] {
					rep.Ignored++
					continue
				}
				kept = append(kept, p)
				if p.Severity == sevWarning {
					fr.Warnings = append(fr.Warnings, p.Path+": "+p.Message)
				}
			}
			fr.Problems = kept
		}
		for _, p := range fr.Problems {
			if p.Severity == sevError {
				rep.Errors++
			} else {
				rep.Warnings++
			}
		}
		rep.Filters = append(rep.Filters, fr)
	}
	switch {
	case rep.Errors > 0:
		rep.Status = "invalid"
	case rep.Warnings > 0:
		rep.Status = "warnings"
	default:
		rep.Status = "ok"
	}
	return rep
}

// checkRun is the --format json report of several files.
type checkRun struct {
	Status   string        `json:"status"` // the worst of the files': "ok", "warnings" or "invalid"
	Errors   int           `json:"errors"`
	Warnings int           `json:"warnings"`
	Ignored  int           `json:"ignored,omitempty"`
	Files    []checkReport `json:"files"`
}

func summarize(reps []checkReport) checkRun {
	run := checkRun{Status: "ok", Files: reps}
	for _, r := range reps {
		run.Errors += r.Errors
		run.Warnings += r.Warnings
		run.Ignored += r.Ignored
		switch {
		case r.Status == "invalid":
			run.Status = "invalid"
		case r.Status == "warnings" && run.Status == "ok":
			run.Status = "warnings"
		}
	}
	return run
}

// writeRunSummary ends the text report of several files.
func writeRunSummary(w io.Writer, run checkRun) {
	n := map[string]int{}
	for _, r := range run.Files {
		n[r.Status]++
	}
	fmt.Fprintf(w, "\nchecked %s: %d invalid, %d with warnings, %d valid; %s, %s%s\n", filesText(run),
		n["invalid"], n["warnings"], n["ok"], plural(run.Errors, "error"), plural(run.Warnings, "warning"), ignoredText(run.Ignored))
}

// filesText counts the files checked, and those skipped.
func filesText(run checkRun) string {
	skipped := 0
	for _, r := range run.Files {
		if r.Status == "skipped" {
			skipped++
		}
	}
	if skipped == 0 {
		return plural(len(run.Files), "file")
	}
	return fmt.Sprintf("%s (%d skipped)", plural(len(run.Files)-skipped, "file"), skipped)
}

func ignoredText(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d ignored)", n)
}

// writeGitHub prints one GitHub Actions workflow command per problem
// (::error / ::warning, with file, line, col and the code as title), then a
// summary line.
func writeGitHub(w io.Writer, reps []checkReport) {
	for _, rep := range reps {
		file := ""
		if rep.File != "-" {
			file = "file=" + ghProperty(rep.File)
		}
		if rep.Error != "" {
			fmt.Fprintf(w, "::error %s::%s\n", ghJoin(file, "title="+rep.Code), ghData(rep.Code+" "+rep.Error))
		}
		for _, f := range rep.Filters {
			for _, p := range f.Problems {
				props := []string{file}
				if p.Line > 0 {
					props = append(props, "line="+strconv.Itoa(p.Line))
					if p.Column > 0 {
						props = append(props, "col="+strconv.Itoa(p.Column))
					}
				}
				props = append(props, "title="+p.Code)
				msg := p.Code + " " + relPath(p.Path, f.Source) + ": " + p.Message
				if p.Fix != "" {
					msg += " (fix: " + p.Fix + ")"
				}
				fmt.Fprintf(w, "::%s %s::%s\n", p.Severity, ghJoin(props...), ghData(msg))
			}
		}
	}
	run := summarize(reps)
	fmt.Fprintf(w, "audguard check: %s, %s, %s%s: %s\n", filesText(run), plural(run.Errors, "error"),
		plural(run.Warnings, "warning"), ignoredText(run.Ignored), run.Status)
}

func ghJoin(props ...string) string {
	var out []string
	for _, p := range props {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ",")
}

// ghData escapes a workflow command's message; ghProperty one of its
// properties (GitHub Actions toolkit, command.ts).
var (
	ghDataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	ghPropertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func ghData(s string) string     { return ghDataEscaper.Replace(s) }
func ghProperty(s string) string { return ghPropertyEscaper.Replace(s) }

// writeCheckText prints the report for a person.
func writeCheckText(w io.Writer, rep checkReport) {
	fmt.Fprintf(w, "audguard check %s\n", rep.File)
	if rep.Target == targetNginx {
		fmt.Fprintln(w, "target: nginx (a plugin configuration file is judged as the one nginx parameter it will be wrapped into)")
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if rep.Status == "skipped" {
		fmt.Fprintf(w, "skipped: %s (found in a directory)\n", rep.Note)
		return
	}
	if rep.Error != "" {
		fmt.Fprintf(w, "INVALID: %s (%s)\n", rep.Error, rep.Code)
		return
	}
	refused, proxyRefuses := false, false
	apiRefuses, unsafe := false, false // errors of the proxy's API types (AG05xx), other errors around the filter
	for i, f := range rep.Filters {
		if len(rep.Filters) > 1 || f.Kind != kindPlugin {
			at := ""
			if f.Line > 0 {
				at = fmt.Sprintf(" (line %d)", f.Line)
			}
			fmt.Fprintf(w, "\n%s at %s%s\n", f.Kind, f.Source, at)
		}
		writeFilterText(w, f, rep.Target)
		refused = refused || !f.Valid
		proxyRefuses = proxyRefuses || f.ProxyRefuses
		for _, p := range f.Problems {
			if p.Severity != sevError {
				continue
			}
			if c, ok := codeByName(p.Code); ok && c.Group == groupTyped {
				apiRefuses = true
			} else {
				unsafe = true
			}
		}
		if i == len(rep.Filters)-1 {
			fmt.Fprintln(w)
		}
	}
	counts := plural(rep.Errors, "error") + ", " + plural(rep.Warnings, "warning") + ignoredText(rep.Ignored)
	switch {
	case proxyRefuses:
		fmt.Fprintf(w, "result: INVALID — nginx would refuse the configuration (nginx -t fails); %s\n", counts)
	case refused:
		fmt.Fprintf(w, "result: INVALID — the filter would refuse to start (the host rejects the configuration); %s\n", counts)
	case apiRefuses && unsafe:
		fmt.Fprintf(w, "result: INVALID — the filter would start, but the proxy would refuse its configuration (its API refuses it: Envoy, Istio or the Kubernetes API), and the configuration around the filter is unsafe; %s\n", counts)
	case apiRefuses:
		fmt.Fprintf(w, "result: INVALID — the filter would start, but the proxy would refuse its configuration (its API refuses it: Envoy, Istio or the Kubernetes API); %s\n", counts)
	case rep.Errors > 0:
		fmt.Fprintf(w, "result: INVALID — the filter would start, but the proxy configuration around it is unsafe; %s\n", counts)
	case rep.Warnings > 0:
		fmt.Fprintf(w, "result: valid, %s%s\n", plural(rep.Warnings, "warning"), ignoredText(rep.Ignored))
	default:
		fmt.Fprintf(w, "result: valid, no warnings%s\n", ignoredText(rep.Ignored))
	}
}

// relPath shortens a YAML path for the text report: the part after what it
// shares with the filter's own path (label), at least one segment.
// $.l[0].hcm.http_filters[1].typed_config.config.fail_open under the label
// $.l[0].hcm.http_filters[1].typed_config is config.fail_open; the
// connection manager's $.l[0].hcm.normalize_path is normalize_path.
func relPath(path, label string) string {
	if !strings.HasPrefix(path, "$") || label == "$" {
		return path
	}
	n := 0
	for n < len(path) && n < len(label) && path[n] == label[n] {
		n++
	}
	if n == len(label) && n < len(path) && (path[n] == '.' || path[n] == '[') {
		return strings.TrimPrefix(path[n:], ".")
	}
	// Back off to the start of the segment where they part.
	for n > 0 && path[n-1] != '.' && path[n-1] != '[' {
		n--
	}
	if n > 0 && path[n-1] == '[' {
		n--
		for n > 0 && path[n-1] != '.' {
			n--
		}
	}
	if n <= len("$.") {
		return path // nothing shared but the root
	}
	return path[n:]
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func writeFilterText(w io.Writer, f filterReport, target string) {
	if !f.Valid {
		fmt.Fprintln(w, "  REFUSED: the filter's loader rejects this configuration")
		writeProblems(w, f)
		return
	}
	fmt.Fprintf(w, "  mode %s, authority_from %s, clock skew %ds, max token %d bytes\n", f.Mode, authorityFromText(f, target), f.ClockSkewSeconds, f.MaxTokenBytes)
	fmt.Fprintln(w, "  issuers:")
	for _, is := range f.Issuers {
		fmt.Fprintf(w, "    %s  iss %s\n", is.Name, is.Issuer)
		fmt.Fprintf(w, "      algorithms %s; token type %s; required claims %s\n",
			strings.Join(is.Algorithms, ", "), is.TokenType, joinOr(is.RequiredClaims, "none beyond iss, aud, exp"))
		if is.JWKSURI != "" {
			stale := strconv.FormatInt(is.MaxStaleSeconds, 10) + "s"
			if is.MaxStaleSeconds == 0 {
				stale = "never"
			}
			fmt.Fprintf(w, "      keys fetched from %s through cluster %s (refresh %ds, unknown-kid refetch at most every %ds, timeout %dms, dropped after %s without a good fetch)\n",
				is.JWKSURI, is.JWKSCluster, is.RefreshSeconds, is.RefetchMinSeconds, is.TimeoutMS, stale)
		}
		if len(is.RevokedKeyIDs) > 0 || is.RevokedTokenIDs > 0 || is.RejectIssuedBefore > 0 {
			fmt.Fprintf(w, "      revoked: kids %s; %d token ids", joinOr(is.RevokedKeyIDs, "none"), is.RevokedTokenIDs)
			if is.RejectIssuedBefore > 0 {
				fmt.Fprintf(w, "; tokens issued before %s", time.Unix(is.RejectIssuedBefore, 0).UTC().Format(time.RFC3339))
			}
			fmt.Fprintln(w)
		}
		for _, k := range is.Keys {
			kid := "(no kid)"
			if k.Kid != "" {
				kid = "kid " + strconv.Quote(k.Kid)
			}
			fmt.Fprintf(w, "      key %s: %s, bound to %s\n", kid, k.Kty, k.Alg)
		}
	}
	fmt.Fprintln(w, "  resources:")
	for i, r := range f.Resources {
		fmt.Fprintf(w, "    [%d] %s (name %s)\n", i, r.Resource, r.Name)
		fmt.Fprintf(w, "        metadata     %s\n", r.MetadataURL)
		fmt.Fprintf(w, "        requests     %s\n", mappingText(r))
		fmt.Fprintf(w, "        issuers      %s\n", strings.Join(r.Issuers, ", "))
		fmt.Fprintf(w, "        scopes       required %s; published %s\n", joinOr(r.RequiredScopes, "none"), joinOr(r.ScopesSupported, "none"))
		fmt.Fprintf(w, "        auth servers %s\n", strings.Join(r.AuthorizationServers, ", "))
		excl := "exclusive"
		if !r.ExclusiveAudience {
			excl = "not exclusive"
		}
		fmt.Fprintf(w, "        audience     %s match, %s\n", r.AudienceMatch, excl)
		for _, op := range r.Operations {
			what := op.Method
			if op.Name != "" {
				what += " " + strconv.Quote(op.Name)
			}
			fmt.Fprintf(w, "        operation    %s needs %s\n", what, joinOr(op.Scopes, "nothing more"))
		}
		fmt.Fprintf(w, "        body         %s\n", bodyText(r))
		if d := r.DPoP; d != nil {
			nonces := "no nonces"
			if d.Nonce {
				nonces = "nonces"
			}
			fmt.Fprintf(w, "        dpop         %s (%s; %s; iat window %ds)\n", d.Mode, strings.Join(d.Algorithms, ", "), nonces, d.IATWindowSeconds)
		}
		if r.LegacyProtocol != "" {
			fmt.Fprintf(w, "        older MCP    %s\n", r.LegacyProtocol)
		}
		if len(r.ScopeImplies) > 0 {
			implies := arrows(r.ScopeImplies, func(to []string) string { return strings.Join(to, ", ") })
			fmt.Fprintf(w, "        implies      %s\n", strings.Join(implies, "; "))
		}
		if len(r.AllowedOrigins) > 0 {
			note := ""
			if len(r.AllowedOrigins) == 1 && r.AllowedOrigins[0] == "*" {
				note = " (the Origin header is not checked)"
			}
			fmt.Fprintf(w, "        origins      %s%s\n", strings.Join(r.AllowedOrigins, ", "), note)
		}
		if len(r.PublicPaths) > 0 {
			fmt.Fprintf(w, "        public paths %s\n", strings.Join(r.PublicPaths, ", "))
		}
		fwd := "Authorization removed before the upstream"
		if r.ForwardToken {
			fwd = "Authorization forwarded to the upstream"
		}
		fmt.Fprintf(w, "        upstream     %s", fwd)
		if len(r.ClaimHeaders) > 0 {
			claims := arrows(r.ClaimHeaders, func(header string) string { return header })
			fmt.Fprintf(w, "; claim headers %s", strings.Join(claims, ", "))
		}
		fmt.Fprintln(w)
	}
	writeProblems(w, f)
}

// bodyText says how a resource judges MCP operations (mcp_body): by the
// JSON-RPC body, up to max_body_bytes, or by the headers alone.
func bodyText(r resourceReport) string {
	if r.MCPBody == "verify" {
		lists := "lists shown whole"
		if r.ShapeLists {
			lists = "lists show a token only what it may use"
		}
		return fmt.Sprintf("verify (JSON-RPC body judged; max %d bytes; %s)", r.MaxBodyBytes, lists)
	}
	if r.LegacyProtocol != "" {
		return "off (headers only; legacy_protocol " + r.LegacyProtocol + ")"
	}
	return "off (headers only; no operations)"
}

// arrows renders m as "key → value" entries, sorted by key.
func arrows[V any](m map[string]V, value func(V) string) []string {
	out := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+" → "+value(m[k]))
	}
	return out
}

// authorityFromText says what authority_from "auto" means where the filter
// runs (target: --target).
func authorityFromText(f filterReport, target string) string {
	if f.AuthorityFrom != "auto" {
		return f.AuthorityFrom
	}
	switch {
	case f.Kind == kindEnvoy || f.Kind == kindEnvoyFilter || f.Kind == kindWasmPlugin:
		return "auto (on Envoy: the exact :authority)"
	case f.Kind == kindKong || f.Kind == kindNginx || target == targetNginx:
		return "auto (on ngx_wasm_module: nginx's $host)"
	}
	return "auto"
}

// writeProblems lists a filter's problems in file order:
//
//	error   line 12:5  AG0117  resources[1].resource: is not in canonical form (docs/configuration.md#canonical-resource-uri)
//	        fix: use "https://mcp-b.example.com/mcp"
func writeProblems(w io.Writer, f filterReport) {
	if len(f.Problems) == 0 {
		return
	}
	fmt.Fprintln(w, "  problems, in file order:")
	for _, p := range f.Problems {
		at := "        "
		if p.Line > 0 {
			at = fmt.Sprintf("line %d", p.Line)
			if p.Column > 0 {
				at += ":" + strconv.Itoa(p.Column)
			}
		}
		path := relPath(p.Path, f.Source)
		fmt.Fprintf(w, "    %-7s %s  %s  %s: %s\n", p.Severity, at, p.Code, path, p.Message)
		if p.Fix != "" {
			fmt.Fprintf(w, "            fix: %s\n", p.Fix)
		}
	}
}

// mappingText says how requests reach a resource, in the order of docs/request-flow.md#6-resource.
func mappingText(r resourceReport) string {
	var parts []string
	q := func(label string, items []string) {
		if len(items) == 0 {
			return
		}
		qs := make([]string, len(items))
		for i, s := range items {
			qs[i] = strconv.Quote(s)
		}
		parts = append(parts, label+" "+strings.Join(qs, ", "))
	}
	q("route", r.Routes)
	q("virtual host", r.VirtualHosts)
	q("authority", r.Authorities)
	if r.Default {
		parts = append(parts, "default (every request no other resource takes)")
	}
	return strings.Join(parts, "; then ")
}

// writeReport prints a command's report as indented JSON (--json), or as
// text.
func writeReport(w io.Writer, asJSON bool, rep any, text func()) {
	if !asJSON {
		text()
		return
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(rep)
}
