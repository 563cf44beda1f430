package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
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

const checkUsage = `usage: audguard check [--json] [--strict] [--target nginx] CONFIG

Validates CONFIG exactly as the filter does at start, and judges the proxy
configuration around it. CONFIG is a plugin configuration (JSON), or an
Envoy YAML/JSON, Istio WasmPlugin, Istio EnvoyFilter, Kong declarative or
nginx configuration holding one (every audguard filter is checked).

An nginx configuration (read as nginx does; include is not followed) is one
whose top-level directives include an nginx one (events, http, wasm,
server, location, proxy_wasm, include…): each proxy_wasm's configuration
parameter is checked, and refused when nginx -t would fail on it (over
nginx's 4096-byte parameter buffer) or would rewrite its bytes (\' \" \\
\n \t \r). --target nginx applies the same rules to a plugin configuration
file that will be wrapped as it is into proxy_wasm <module> '…';.

Every problem is listed, in file order, with its line and column: the
loader's refusals; fail-open settings, a Wasm filter after the router, and
route or virtual host names the file's route configuration lacks (errors);
missing connection-manager hardening, authorities no virtual host or route
sends to the filter, and the loader's warnings (warnings).

Exit status: 0 valid, 1 valid with warnings and --strict, 2 errors.
`

// runCheck implements `audguard check`.
func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = commandUsage(fs, stderr, checkUsage)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	strict := fs.Bool("strict", false, "exit 1 when there are warnings")
	target := fs.String("target", "", "`nginx`: CONFIG is a plugin configuration file that will be wrapped as it is into one nginx parameter (proxy_wasm <module> '…';): refuse it when nginx would (over 4094 bytes, a ', or an escape nginx rewrites)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitInvalid
	}
	if *target != "" && *target != targetNginx {
		fmt.Fprintf(stderr, "audguard check: --target %q: the only target is nginx (without --target, CONFIG is judged as the proxy configuration it is)\n", *target)
		return exitInvalid
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitInvalid
	}
	rep := checkFile(pos[0], *target)
	writeReport(stdout, *asJSON, rep, func() { writeCheckText(stdout, rep) })
	switch rep.Status {
	case "invalid":
		return exitInvalid
	case "warnings":
		if *strict {
			return exitWarnings
		}
	}
	return exitOK
}

// checkFile reads, finds and validates every plugin configuration in path.
// With target "nginx", a plugin configuration file is also judged as the
// one nginx parameter it will be wrapped into.
func checkFile(path, target string) checkReport {
	rep := checkReport{File: path, Target: target, Filters: []filterReport{}}
	data, err := os.ReadFile(path)
	if err != nil {
		rep.Status, rep.Error, rep.Errors = "invalid", "cannot read the file: "+err.Error(), 1
		return rep
	}
	sources, notes, err := readSources(data)
	rep.Notes = notes
	if err != nil {
		rep.Status, rep.Error, rep.Errors = "invalid", err.Error(), 1
		return rep
	}
	if target == targetNginx {
		for i := range sources {
			switch s := &sources[i]; {
			case s.Kind == kindNginx:
			case s.Kind == kindPlugin && s.whole:
				s.target = targetNginx
			default:
				rep.Status, rep.Errors = "invalid", 1
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

// writeCheckText prints the report for a person.
func writeCheckText(w io.Writer, rep checkReport) {
	fmt.Fprintf(w, "audguard check %s\n", rep.File)
	if rep.Target == targetNginx {
		fmt.Fprintln(w, "target: nginx (a plugin configuration file is judged as the one nginx parameter it will be wrapped into)")
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if rep.Error != "" {
		fmt.Fprintf(w, "INVALID: %s\n", rep.Error)
		return
	}
	refused, proxyRefuses := false, false
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
		if i == len(rep.Filters)-1 {
			fmt.Fprintln(w)
		}
	}
	counts := plural(rep.Errors, "error") + ", " + plural(rep.Warnings, "warning")
	switch {
	case proxyRefuses:
		fmt.Fprintf(w, "result: INVALID — nginx would refuse the configuration (nginx -t fails); %s\n", counts)
	case refused:
		fmt.Fprintf(w, "result: INVALID — the filter would refuse to start (the host rejects the configuration); %s\n", counts)
	case rep.Errors > 0:
		fmt.Fprintf(w, "result: INVALID — the filter would start, but the proxy configuration around it is unsafe; %s\n", counts)
	case rep.Warnings > 0:
		fmt.Fprintf(w, "result: valid, %s\n", plural(rep.Warnings, "warning"))
	default:
		fmt.Fprintln(w, "result: valid, no warnings")
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
		return fmt.Sprintf("verify (JSON-RPC body judged; max %d bytes)", r.MaxBodyBytes)
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
//	error   line 12:5  resources[1].resource: is not in canonical form (docs/configuration.md#canonical-resource-uri)
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
		fmt.Fprintf(w, "    %-7s %s  %s: %s\n", p.Severity, at, path, p.Message)
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
