package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Exit codes of `audguard check` (and of usage errors everywhere).
const (
	exitOK       = 0 // valid (warnings allowed unless --strict)
	exitWarnings = 1 // valid with warnings, and --strict
	exitInvalid  = 2 // refused, unreadable, or bad usage
)

const checkUsage = `usage: audguard check [--json] [--strict] CONFIG

Validates CONFIG exactly as the filter does at start. CONFIG is a plugin
configuration (JSON), or an Envoy YAML/JSON, Istio WasmPlugin or Istio
EnvoyFilter manifest holding one (every audguard Wasm filter is checked).

Exit status: 0 valid, 1 valid with warnings and --strict, 2 invalid.
`

// runCheck implements `audguard check`.
func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, checkUsage) }
	asJSON := fs.Bool("json", false, "print the report as JSON")
	strict := fs.Bool("strict", false, "exit 1 when there are warnings")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitInvalid
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitInvalid
	}
	rep := checkFile(pos[0])
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		_ = enc.Encode(rep)
	} else {
		writeCheckText(stdout, rep)
	}
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
func checkFile(path string) checkReport {
	rep := checkReport{File: path, Filters: []filterReport{}}
	data, err := os.ReadFile(path)
	if err != nil {
		rep.Status, rep.Error = "invalid", "cannot read the file: "+err.Error()
		return rep
	}
	sources, err := findSources(data)
	if err != nil {
		rep.Status, rep.Error = "invalid", err.Error()
		return rep
	}
	rep.Status = "ok"
	for _, s := range sources {
		fr := buildFilterReport(s)
		switch {
		case !fr.Valid:
			rep.Status = "invalid"
		case len(fr.Warnings) > 0 && rep.Status == "ok":
			rep.Status = "warnings"
		}
		rep.Filters = append(rep.Filters, fr)
	}
	return rep
}

// writeCheckText prints the report for a person.
func writeCheckText(w io.Writer, rep checkReport) {
	fmt.Fprintf(w, "audguard check %s\n", rep.File)
	if rep.Error != "" {
		fmt.Fprintf(w, "INVALID: %s\n", rep.Error)
		return
	}
	for i, f := range rep.Filters {
		if len(rep.Filters) > 1 || f.Kind != kindPlugin {
			fmt.Fprintf(w, "\n%s at %s\n", f.Kind, f.Source)
		}
		writeFilterText(w, f)
		if i == len(rep.Filters)-1 {
			fmt.Fprintln(w)
		}
	}
	nWarn := 0
	for _, f := range rep.Filters {
		nWarn += len(f.Warnings)
	}
	switch rep.Status {
	case "invalid":
		fmt.Fprintln(w, "result: INVALID — the filter would refuse to start (the host rejects the configuration)")
	case "warnings":
		fmt.Fprintf(w, "result: valid, %d warning(s)\n", nWarn)
	default:
		fmt.Fprintln(w, "result: valid, no warnings")
	}
}

func writeFilterText(w io.Writer, f filterReport) {
	if !f.Valid {
		if f.Error.Path != "" {
			fmt.Fprintf(w, "  INVALID at %s: %s\n", f.Error.Path, f.Error.Message)
		} else {
			fmt.Fprintf(w, "  INVALID: %s\n", f.Error.Message)
		}
		if f.Error.Fix != "" {
			fmt.Fprintf(w, "  fix: %s\n", f.Error.Fix)
		}
		writeWarnings(w, f.Warnings)
		return
	}
	fmt.Fprintf(w, "  mode %s, clock skew %ds, max token %d bytes\n", f.Mode, f.ClockSkewSeconds, f.MaxTokenBytes)
	fmt.Fprintln(w, "  issuers:")
	for _, is := range f.Issuers {
		fmt.Fprintf(w, "    %s  iss %s\n", is.Name, is.Issuer)
		fmt.Fprintf(w, "      algorithms %s; token type %s; required claims %s\n",
			strings.Join(is.Algorithms, ", "), is.TokenType, joinOr(is.RequiredClaims, "none beyond iss, aud, exp"))
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
		fmt.Fprintf(w, "    [%d] %s\n", i, r.Resource)
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
		if len(r.PublicPaths) > 0 {
			fmt.Fprintf(w, "        public paths %s\n", strings.Join(r.PublicPaths, ", "))
		}
		fwd := "Authorization removed before the upstream"
		if r.ForwardToken {
			fwd = "Authorization forwarded to the upstream"
		}
		fmt.Fprintf(w, "        upstream     %s", fwd)
		if len(r.ClaimHeaders) > 0 {
			claims := make([]string, 0, len(r.ClaimHeaders))
			for c := range r.ClaimHeaders {
				claims = append(claims, c)
			}
			sort.Strings(claims)
			for j, c := range claims {
				claims[j] = c + " → " + r.ClaimHeaders[c]
			}
			fmt.Fprintf(w, "; claim headers %s", strings.Join(claims, ", "))
		}
		fmt.Fprintln(w)
	}
	writeWarnings(w, f.Warnings)
}

func writeWarnings(w io.Writer, warnings []string) {
	if len(warnings) == 0 {
		return
	}
	fmt.Fprintln(w, "  warnings:")
	for _, s := range warnings {
		fmt.Fprintf(w, "    - %s\n", s)
	}
}

// mappingText says how requests reach a resource, in contract §3 order.
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
