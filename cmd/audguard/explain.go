package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/filter/policy"
)

const explainUsage = `usage: audguard explain --config CONFIG [options] TOKEN|-

Runs the filter's own decision code (filter/policy) for one request carrying
"Authorization: Bearer TOKEN" ("" sends none; "-" reads TOKEN from stdin) and
prints each check: the resource chosen and why, the token header, key,
signature, each claim check, the final status, the exact WWW-Authenticate and
the headers that would go upstream. The token itself is never printed.

Exit status: 0 the request would pass (allowed, metadata, public path,
preflight), 1 it would be denied, 2 bad usage or an invalid configuration.

options:
`

// headerFlags collects repeated -H 'name: value' options.
type headerFlags [][2]string

func (h *headerFlags) String() string { return "" }

func (h *headerFlags) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return errors.New(`want "name: value"`)
	}
	*h = append(*h, [2]string{strings.ToLower(name), strings.TrimSpace(value)})
	return nil
}

// explainOptions is a parsed `audguard explain` command line.
type explainOptions struct {
	config, filter          string
	route, vhost            *string
	authority, path, method string
	now                     time.Time
	headers                 headerFlags
	token                   string
	hasAuthority, hasPath   bool
}

func runExplain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, explainUsage); fs.PrintDefaults() }
	var o explainOptions
	fs.StringVar(&o.config, "config", "", "plugin configuration or Envoy/Istio manifest (required)")
	fs.StringVar(&o.filter, "filter", "", "which configuration, by the SOURCE label `audguard check` prints, when the file holds several")
	route := fs.String("route", "", "Envoy route name (xds.route_name); unset: the host has no such property")
	vhost := fs.String("vhost", "", "Envoy virtual host name (xds.virtual_host_name)")
	fs.StringVar(&o.authority, "authority", "", "request :authority (default: the first resource's)")
	fs.StringVar(&o.path, "path", "", "request :path (default: the first resource's path)")
	fs.StringVar(&o.method, "method", "GET", "request method")
	nowFlag := fs.String("now", "", "the clock: RFC 3339 or Unix seconds (default: now)")
	fs.Var(&o.headers, "H", "extra request header 'name: value' (repeatable)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitInvalid
	}
	if o.config == "" || len(pos) != 1 {
		fs.Usage()
		return exitInvalid
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "route":
			o.route = route
		case "vhost":
			o.vhost = vhost
		case "authority":
			o.hasAuthority = true
		case "path":
			o.hasPath = true
		}
	})
	o.now = time.Now()
	if *nowFlag != "" {
		if o.now, err = parseNow(*nowFlag); err != nil {
			fmt.Fprintf(stderr, "audguard explain: --now: %v\n", err)
			return exitInvalid
		}
	}
	o.token = pos[0]
	if o.token == "-" {
		if o.token, err = readToken(stdin); err != nil {
			fmt.Fprintf(stderr, "audguard explain: reading the token from stdin: %v\n", err)
			return exitInvalid
		}
	}
	cfg, label, err := loadOne(o.config, o.filter)
	if err != nil {
		fmt.Fprintf(stderr, "audguard explain: %v\n", err)
		return exitInvalid
	}
	if explain(stdout, cfg, o.config, label, &o) {
		return exitOK
	}
	return exitWarnings
}

// parseNow reads an RFC 3339 time or Unix seconds.
func parseNow(s string) (time.Time, error) {
	if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(sec, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, errors.New("want RFC 3339 (2025-06-18T12:00:00Z) or Unix seconds")
	}
	return t, nil
}

// readToken reads one line (the token) from r; surrounding white space is dropped.
func readToken(r io.Reader) (string, error) {
	s, err := bufio.NewReader(io.LimitReader(r, 1<<20)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimSpace(s), nil
}

// loadOne finds the plugin configurations in path and loads the one to use.
func loadOne(path, filter string) (*config.Plugin, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	sources, err := findSources(data)
	if err != nil {
		return nil, "", err
	}
	var pick *source
	if filter != "" {
		for i := range sources {
			if sources[i].Label == filter {
				pick = &sources[i]
			}
		}
	} else if len(sources) == 1 {
		pick = &sources[0]
	}
	if pick == nil {
		labels := make([]string, len(sources))
		for i, s := range sources {
			labels[i] = s.Label
		}
		return nil, "", fmt.Errorf("%s holds %d configurations; choose one with --filter: %s", path, len(sources), strings.Join(labels, ", "))
	}
	if pick.Err != nil {
		return nil, "", fmt.Errorf("%s: %v", pick.Label, pick.Err)
	}
	p, err := config.Load(pick.Config)
	if err != nil {
		return nil, "", fmt.Errorf("the configuration is invalid (run `audguard check %s`): %v", path, err)
	}
	return p, pick.Label, nil
}

// explain runs the decision and prints it; it reports whether the request
// would pass.
func explain(w io.Writer, cfg *config.Plugin, cfgPath, label string, o *explainOptions) bool {
	first := cfg.Resources[0]
	authority, path := o.authority, o.path
	if !o.hasAuthority {
		authority = first.Parsed.Authority()
	}
	if !o.hasPath {
		path = first.Parsed.Path
		if path == "" {
			path = "/"
		}
	}
	req := &policy.Request{
		Headers:     [][2]string{{":method", o.method}, {":path", path}, {":authority", authority}, {":scheme", "https"}},
		EndOfStream: true,
	}
	if o.route != nil {
		req.RouteName, req.HasRoute = *o.route, true
	}
	if o.vhost != nil {
		req.VirtualHost, req.HasVirtualHost = *o.vhost, true
	}
	if o.token != "" {
		req.Headers = append(req.Headers, [2]string{"authorization", "Bearer " + o.token})
	}
	req.Headers = append(req.Headers, o.headers...)

	var steps []policy.Step
	eng := policy.New(cfg, policy.Options{
		Now:       func() time.Time { return o.now },
		CacheSize: -1,
		Trace:     func(s policy.Step) { steps = append(steps, s) },
	})
	d := eng.Decide(req)
	steps = append(steps, extractionStep(d, steps)...)

	fmt.Fprintln(w, "audguard explain — one request through the filter's decision code (native, no proxy)")
	src := cfgPath
	if label != "$" {
		src += " at " + label
	}
	fmt.Fprintf(w, "config   %s (mode %s)\n", src, cfg.Mode)
	fmt.Fprintf(w, "request  %s %s, authority %q, route %s, virtual host %s\n", o.method, path, authority, optional(o.route), optional(o.vhost))
	for _, h := range o.headers {
		if h[0] == "authorization" {
			fmt.Fprintln(w, "         extra authorization header (not shown)")
			continue
		}
		fmt.Fprintf(w, "         %s: %s\n", h[0], h[1])
	}
	switch {
	case o.token == "":
		fmt.Fprintln(w, "token    none (no Authorization header)")
	default:
		fmt.Fprintf(w, "token    Authorization: Bearer <%d bytes, not shown>\n", len(o.token))
	}
	fmt.Fprintf(w, "now      %s\n", o.now.UTC().Format(time.RFC3339))
	fmt.Fprintln(w, "steps")
	for _, s := range steps {
		mark := "ok  "
		if !s.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %s  %-18s %s\n", mark, s.Name, s.Detail)
	}
	return writeOutcome(w, d)
}

func optional(s *string) string {
	if s == nil {
		return "(none)"
	}
	return strconv.Quote(*s)
}

// extractionStep describes a §5.4 extraction refusal, which the engine does
// not trace itself.
func extractionStep(d *policy.Decision, seen []policy.Step) []policy.Step {
	var detail string
	switch d.Reason {
	case policy.ReasonMissingToken:
		detail = "no Authorization header with the Bearer scheme (RFC 6750 §2.1)"
	case policy.ReasonInvalidRequest:
		detail = "more than one Authorization header, or Bearer credentials that are not exactly one b64token (RFC 6750 §2.1)"
	case policy.ReasonTokenInQuery:
		detail = "an access_token query parameter: tokens in the URI are refused (RFC 6750 §2.3, RFC 9700 §2.6)"
	default:
		return nil
	}
	for _, s := range seen {
		if s.Name == "token" {
			return nil
		}
	}
	return []policy.Step{{Name: "token", OK: false, Detail: detail}}
}

// writeOutcome prints the final status, reply and upstream headers.
func writeOutcome(w io.Writer, d *policy.Decision) bool {
	pass := false
	switch d.Outcome {
	case policy.OutcomeDenied:
		fmt.Fprintf(w, "result   %d, denied: reason %s (counter %s)\n", d.Status, d.Reason, d.Counter())
	case policy.OutcomeWouldDeny:
		fmt.Fprintf(w, "result   would deny (report mode passes it on): reason %s (counter %s)\n", d.Reason, d.Counter())
	case policy.OutcomeMetadata:
		fmt.Fprintf(w, "result   %d, answered by the filter: RFC 9728 metadata (counter %s)\n", d.Status, d.Counter())
		pass = true
	default:
		counter := d.Counter()
		if counter == "" {
			counter = "none"
		}
		fmt.Fprintf(w, "result   %s: passed on to the upstream (counter %s)\n", d.Outcome, counter)
		pass = true
	}
	if d.Local() {
		for _, h := range d.ReplyHeaders {
			fmt.Fprintf(w, "  reply  %s: %s\n", h[0], h[1])
		}
		if len(d.ReplyBody) > 0 {
			fmt.Fprintf(w, "  body   %s\n", d.ReplyBody)
		}
		fmt.Fprintln(w, "upstream nothing (the filter answers)")
		return pass
	}
	if len(d.Remove) == 0 && len(d.Set) == 0 {
		fmt.Fprintln(w, "upstream request headers unchanged")
	}
	for _, h := range d.Remove {
		fmt.Fprintf(w, "upstream remove %s\n", h)
	}
	for _, h := range d.Set {
		if strings.EqualFold(h[0], "authorization") {
			fmt.Fprintf(w, "upstream set    %s: (not shown)\n", h[0])
			continue
		}
		fmt.Fprintf(w, "upstream set    %s: %s\n", h[0], h[1])
	}
	return pass
}
