package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/filter/keys"
	"github.com/audguard/audguard/jwtlite"
)

const keysUsage = `usage: audguard keys [--json] [--timeout 5s] [--issuer-metadata] ISSUER-URL-OR-CONFIG

Fetches each issuer's jwks_uri from where you run it (the filter fetches
through jwks_cluster) and judges every key as the filter will: one algorithm
per key under the issuer's "algorithms", RSA of 2048 to 8192 bits, EC points
on their curve, "use" and "key_ops" honoured, no private key members, "oct"
never taken from a fetched set, a kid that a configured key has left to the
configured key. Prints kid,
kty, crv, bound algorithm, use and the verdict of each key (never key
material), the verdict on each set, and a summary.

ISSUER-URL-OR-CONFIG is a jwks_uri (https; plain http only to loopback),
judged without an algorithms allowlist; or a plugin configuration, Envoy
YAML, Istio WasmPlugin or EnvoyFilter, or Kong file: every issuer of every
audguard filter in it, configured keys ("jwks") included.

--issuer-metadata fetches, per issuer, <issuer>/.well-known/oauth-authorization-server
(RFC 8414 §3, inserted before the issuer's path), or on 404 the OpenID
Connect <issuer>/.well-known/openid-configuration, and checks that its
"issuer" equals the configured issuer and its "jwks_uri" the configured one.
With a URL argument, the URL is the issuer and its metadata's jwks_uri is
judged.

Requests: GET, Accept: application/json, at most 256 KiB, status 200 only,
no redirects (the filter follows none).

Exit status: 0 every key usable, 1 keys skipped, 2 errors (a fetch failed, a
set or configuration refused, metadata that does not match).
`

func init() {
	commandExamples["keys"] = "audguard keys envoy/demo-config.json"
}

// keysTransport carries the command's HTTP requests; nil is
// http.DefaultTransport. Tests point it at an httptest server's client.
var keysTransport http.RoundTripper

// runKeys implements `audguard keys`.
func runKeys(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("keys", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = commandUsage(fs, stderr, keysUsage)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	timeout := fs.Duration("timeout", 5*time.Second, "time limit of each HTTP request")
	metadata := fs.Bool("issuer-metadata", false, "check each issuer's RFC 8414 / OpenID metadata (issuer and jwks_uri)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitInvalid
	}
	switch {
	case *timeout <= 0:
		fmt.Fprintln(stderr, "audguard keys: --timeout must be positive")
		return exitInvalid
	case len(pos) == 0:
		return missingArgument(fs, stderr, "ISSUER-URL-OR-CONFIG: a jwks_uri (or, with --issuer-metadata, an issuer URL), or a configuration file",
			"audguard keys [--json] [--timeout 5s] [--issuer-metadata] ISSUER-URL-OR-CONFIG")
	case len(pos) > 1:
		fmt.Fprintf(stderr, "audguard keys: one ISSUER-URL-OR-CONFIG expected, not %d (%s)\nRun 'audguard keys -h' for its flags and an example.\n", len(pos), strings.Join(pos, " "))
		return exitInvalid
	}
	k := &keysRun{metadata: *metadata, client: &http.Client{
		Timeout:   *timeout,
		Transport: keysTransport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
	rep := k.run(pos[0])
	writeReport(stdout, *asJSON, rep, func() { writeKeysText(stdout, rep) })
	switch rep.Status {
	case "errors":
		return exitInvalid
	case "warnings":
		return exitWarnings
	}
	return exitOK
}

// keysReport is the outcome of `audguard keys` (also its --json form).
type keysReport struct {
	Input   string       `json:"input"`
	Status  string       `json:"status"` // "ok", "warnings" (keys skipped), "errors"
	Error   string       `json:"error,omitempty"`
	Summary keysSummary  `json:"summary"`
	Filters []keysFilter `json:"filters"`
}

type keysSummary struct {
	Usable      int `json:"usable"`       // keys the filter would use (of accepted sets)
	Skipped     int `json:"skipped"`      // keys skipped, in every set
	RefusedSets int `json:"refused_sets"` // sets refused, not fetched, or whose fetch failed
	Errors      int `json:"errors"`
	Warnings    int `json:"warnings"` // skipped keys included
}

// keysFilter is one audguard filter of the input (the command line for a URL).
type keysFilter struct {
	Source    string       `json:"source"`
	Kind      string       `json:"kind"`
	Line      int          `json:"line,omitempty"`
	Error     string       `json:"error,omitempty"`
	LoadError string       `json:"load_error,omitempty"` // a note: config.Load refuses the configuration
	Issuers   []keysIssuer `json:"issuers"`
}

type keysIssuer struct {
	Path       string        `json:"path"` // "issuers[i]"
	Name       string        `json:"name,omitempty"`
	Issuer     string        `json:"issuer,omitempty"`
	Algorithms []string      `json:"algorithms"` // null: no explicit allowlist
	Errors     []string      `json:"errors,omitempty"`
	Warnings   []string      `json:"warnings,omitempty"`
	Metadata   *keysMetadata `json:"metadata,omitempty"`
	Sets       []keysSet     `json:"sets"`
}

// Set verdicts.
const (
	setAccepted    = "accepted"
	setRefused     = "refused"
	setFetchFailed = "fetch failed"
	setNotFetched  = "not fetched"
	setIgnored     = "ignored" // configured keys without a usable one, next to a jwks_uri
)

type keysSet struct {
	Origin     string    `json:"origin"` // "configured" or "jwks_uri"
	URI        string    `json:"uri,omitempty"`
	HTTPStatus int       `json:"http_status,omitempty"`
	Bytes      int       `json:"bytes,omitempty"`
	Verdict    string    `json:"verdict"`
	Reason     string    `json:"reason,omitempty"`
	Usable     int       `json:"usable"`
	Skipped    int       `json:"skipped"`
	Private    int       `json:"private,omitempty"` // keys holding private material (skipped or invalid)
	Keys       []keysKey `json:"keys"`
}

// Key verdicts.
const (
	keyUsable    = "usable"
	keySkipped   = "skipped"
	keyInvalid   = "invalid"       // refuses a configured set
	keyDuplicate = "duplicate kid" // refuses the set
)

// keysKey is one key's verdict. It never holds key material.
type keysKey struct {
	Index   int     `json:"index"`
	Kid     *string `json:"kid,omitempty"`
	Kty     string  `json:"kty,omitempty"`
	Crv     string  `json:"crv,omitempty"`
	Alg     string  `json:"alg,omitempty"` // the bound algorithm when usable, else the JWK's "alg"
	Use     string  `json:"use,omitempty"`
	Verdict string  `json:"verdict"`
	Reason  string  `json:"reason,omitempty"`

	private bool // holds private key material (jwtlite.ErrPrivateKey, or a fetched oct key's "k")
}

type keysMetadata struct {
	Tried   []string `json:"tried"`         // each URL asked, with its outcome
	URL     string   `json:"url,omitempty"` // the document read
	Issuer  string   `json:"issuer,omitempty"`
	JWKSURI string   `json:"jwks_uri,omitempty"`
	Errors  []string `json:"errors,omitempty"`
	Notes   []string `json:"notes,omitempty"`
}

type keysRun struct {
	client   *http.Client
	metadata bool
}

// run builds the report for one argument.
func (k *keysRun) run(arg string) keysReport {
	rep := keysReport{Input: arg, Filters: []keysFilter{}}
	if lower := strings.ToLower(arg); strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://") {
		f := keysFilter{Source: "command line", Kind: "jwks_uri"}
		is := keysIssuer{Path: "argument", Sets: []keysSet{}}
		if k.metadata {
			f.Kind = "issuer"
			is.Issuer = arg
			k.checkMetadata(&is, "")
			if is.Metadata != nil && is.Metadata.JWKSURI != "" && len(is.Metadata.Errors) == 0 {
				is.addFetched(k.fetchSet(is.Metadata.JWKSURI, nil, nil))
			}
		} else {
			is.addFetched(k.fetchSet(arg, nil, nil))
		}
		f.Issuers = []keysIssuer{is}
		rep.Filters = append(rep.Filters, f)
	} else {
		data, err := os.ReadFile(arg)
		if err != nil {
			rep.Error = "cannot read the file: " + err.Error()
		} else if sources, err := findSources(data); err != nil {
			rep.Error = err.Error()
		} else {
			for _, s := range sources {
				rep.Filters = append(rep.Filters, k.filter(s))
			}
		}
	}
	rep.tally()
	return rep
}

// tally fills Summary and Status.
func (rep *keysReport) tally() {
	s := &rep.Summary
	if rep.Error != "" {
		s.Errors++
	}
	for _, f := range rep.Filters {
		if f.Error != "" {
			s.Errors++
		}
		for _, is := range f.Issuers {
			s.Errors += len(is.Errors)
			s.Warnings += len(is.Warnings)
			if is.Metadata != nil {
				s.Errors += len(is.Metadata.Errors)
			}
			for _, set := range is.Sets {
				s.Skipped += set.Skipped
				s.Warnings += set.Skipped
				switch set.Verdict {
				case setAccepted:
					s.Usable += set.Usable
				case setIgnored:
					s.Warnings++
				default:
					s.RefusedSets++
					s.Errors++
				}
			}
		}
	}
	switch {
	case s.Errors > 0:
		rep.Status = "errors"
	case s.Warnings > 0:
		rep.Status = "warnings"
	default:
		rep.Status = "ok"
	}
}

// filter judges the issuers of one plugin configuration. It reads the
// issuers[] members it needs from the JSON itself, so that it does not
// depend on which members config.Load accepts.
func (k *keysRun) filter(s source) keysFilter {
	f := keysFilter{Source: s.Label, Kind: s.Kind, Line: s.Line, Issuers: []keysIssuer{}}
	if s.Err != nil {
		f.Error = s.Err.Error()
		return f
	}
	if _, err := config.Load(s.Config); err != nil {
		f.LoadError = strings.TrimPrefix(err.Error(), "config: ")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(s.Config, &top); err != nil {
		f.Error = "the plugin configuration is not a JSON object: " + err.Error()
		return f
	}
	var issuers []json.RawMessage
	if raw, ok := top["issuers"]; !ok || json.Unmarshal(raw, &issuers) != nil {
		f.Error = `the plugin configuration has no "issuers" array`
		return f
	}
	for i, raw := range issuers {
		f.Issuers = append(f.Issuers, k.issuer("issuers["+strconv.Itoa(i)+"]", raw))
	}
	return f
}

// issuer judges one issuers[] entry: its configured keys, its jwks_uri's
// set, and (--issuer-metadata) its metadata.
func (k *keysRun) issuer(path string, raw json.RawMessage) keysIssuer {
	is := keysIssuer{Path: path, Sets: []keysSet{}}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		is.Errors = append(is.Errors, "not a JSON object")
		return is
	}
	str := func(member string) (string, bool) {
		v, ok := m[member]
		if !ok {
			return "", false
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			is.Errors = append(is.Errors, member+": must be a string")
			return "", false
		}
		return s, true
	}
	is.Name, _ = str("name")
	is.Issuer, _ = str("issuer")
	jwksURI, hasURI := str("jwks_uri")
	var algs []jwtlite.Algorithm
	if v, ok := m["algorithms"]; ok {
		var names []string
		if err := json.Unmarshal(v, &names); err != nil || len(names) == 0 {
			is.Errors = append(is.Errors, "algorithms: must be a non-empty array of strings")
			return is
		}
		algs = []jwtlite.Algorithm{}
		for j, n := range names {
			a, ok := jwtlite.ParseAlgorithm(n)
			if !ok {
				is.Errors = append(is.Errors, fmt.Sprintf("algorithms[%d]: %q is not a supported JWS algorithm", j, n))
				return is
			}
			algs = append(algs, a)
			is.Algorithms = append(is.Algorithms, n)
		}
	}
	if len(is.Errors) > 0 {
		return is
	}
	if k.metadata {
		k.checkMetadata(&is, jwksURI)
	}

	configured, hasJWKS, err := configuredJWKS(m)
	cfgKids := map[string]bool{}
	switch {
	case err != nil:
		is.Errors = append(is.Errors, "jwks: "+err.Error())
	case hasJWKS:
		set := judgeConfigured(configured, algs, hasURI)
		for _, key := range set.Keys {
			if key.Kid != nil {
				cfgKids[*key.Kid] = true
			}
		}
		is.Sets = append(is.Sets, set)
	case !hasURI:
		is.Errors = append(is.Errors, `neither "jwks" nor "jwks_uri": the issuer has no keys`)
	}
	if hasURI {
		for _, a := range algs {
			if a.IsHMAC() {
				is.Errors = append(is.Errors, "algorithms lists "+string(a)+" next to jwks_uri, and a published JWK Set never carries a shared secret (the filter refuses this)")
				return is
			}
		}
		is.addFetched(k.fetchSet(jwksURI, algs, cfgKids))
	}
	return is
}

// addFetched adds a fetched set, and a warning when it publishes private key
// material: the filter skips those keys and warns at every fetch, and the
// keys themselves are exposed.
func (is *keysIssuer) addFetched(set keysSet) {
	is.Sets = append(is.Sets, set)
	if set.Private > 0 {
		is.Warnings = append(is.Warnings, "jwks_uri "+set.URI+" publishes private key material in "+plural(set.Private, "key")+
			" (skipped): whoever reads the set can sign tokens with them; the issuer must rotate them and publish only their public half")
	}
}

// configuredJWKS returns the issuer's "jwks": a JWK Set object, or a string
// holding one (as config.Load accepts).
func configuredJWKS(m map[string]json.RawMessage) ([]byte, bool, error) {
	v, ok := m["jwks"]
	if !ok {
		return nil, false, nil
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		v = json.RawMessage(s)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(v, &obj); err != nil {
		return nil, true, errors.New(`must be a JWK Set object or a string holding one`)
	}
	return v, true, nil
}

// judgeConfigured judges configured keys as config.Load and the filter do:
// jwtlite.ParseKeySet decides the set, jwtlite.ParseKey each key.
func judgeConfigured(jwks []byte, algs []jwtlite.Algorithm, hasURI bool) keysSet {
	set := keysSet{Origin: "configured", Keys: []keysKey{}}
	_, _, err := jwtlite.ParseKeySet(jwks, algs)
	set.Keys = judgeKeys(jwks, algs, false, nil)
	countKeys(&set)
	switch {
	case err == nil:
		set.Verdict = setAccepted
	case hasURI && errors.Is(err, jwtlite.ErrNoUsableKey):
		set.Verdict, set.Reason = setIgnored, "no usable configured key; the filter starts on the jwks_uri's keys alone"
	default:
		set.Verdict, set.Reason = setRefused, strings.TrimPrefix(err.Error(), "jwtlite: ")
	}
	return set
}

// fetchSet fetches a jwks_uri and judges its set with keys.ParseSet, as the
// filter does; cfgKids are the issuer's configured kids, which win.
func (k *keysRun) fetchSet(uri string, algs []jwtlite.Algorithm, cfgKids map[string]bool) keysSet {
	set := keysSet{Origin: "jwks_uri", URI: uri, Keys: []keysKey{}}
	if _, err := keys.FetchHeaders(uri); err != nil {
		set.Verdict, set.Reason = setNotFetched, err.Error()
		return set
	}
	status, body, err := k.get(uri)
	set.HTTPStatus, set.Bytes = status, len(body)
	if err != nil {
		set.Verdict, set.Reason = setFetchFailed, err.Error()
		return set
	}
	_, perr := keys.ParseSet(body, algs)
	switch {
	case perr == nil, errors.Is(perr, keys.ErrDuplicateKid), errors.Is(perr, keys.ErrNoUsableKey):
		set.Keys = judgeKeys(body, algs, true, cfgKids)
		countKeys(&set)
	}
	if perr != nil {
		set.Verdict, set.Reason = setRefused, perr.Error()
		return set
	}
	set.Verdict = setAccepted
	return set
}

func countKeys(set *keysSet) {
	for _, key := range set.Keys {
		switch key.Verdict {
		case keyUsable:
			set.Usable++
		case keySkipped:
			set.Skipped++
		}
		if key.private {
			set.Private++
		}
	}
}

// judgeKeys gives each element of a JWK Set's "keys" its verdict under the
// rules of jwtlite.ParseKey (and, for a fetched set, those of keys.ParseSet:
// "oct" skipped, a non-object skipped, and a kid that a configured key has
// left to that key).
func judgeKeys(body []byte, algs []jwtlite.Algorithm, fetched bool, cfgKids map[string]bool) []keysKey {
	out := []keysKey{}
	var top map[string]json.RawMessage
	var elems []json.RawMessage
	if json.Unmarshal(body, &top) != nil || json.Unmarshal(top["keys"], &elems) != nil {
		return out
	}
	seen := map[string]int{}
	for i, elem := range elems {
		key := keysKey{Index: i}
		var m map[string]json.RawMessage
		if json.Unmarshal(elem, &m) != nil {
			if fetched {
				key.Verdict, key.Reason = keySkipped, "not a JSON object"
			} else {
				key.Verdict, key.Reason = keyInvalid, "not a JSON object"
			}
			out = append(out, key)
			continue
		}
		get := func(member string) string {
			var s string
			_ = json.Unmarshal(m[member], &s)
			return s
		}
		if _, ok := m["kid"]; ok {
			kid := get("kid")
			key.Kid = &kid
		}
		key.Kty, key.Crv, key.Alg, key.Use = get("kty"), get("crv"), get("alg"), get("use")
		if key.Kid != nil {
			if j, dup := seen[*key.Kid]; dup {
				key.Verdict, key.Reason = keyDuplicate, "key "+strconv.Itoa(j)+" has the same kid; the set is refused (RFC 7517 §4.5)"
				out = append(out, key)
				continue
			}
			seen[*key.Kid] = i
		}
		if fetched && key.Kty == "oct" {
			_, key.private = m["k"]
			key.Verdict, key.Reason = keySkipped, `"oct": a shared secret is never taken from a published set`
			out = append(out, key)
			continue
		}
		k, _, err := jwtlite.ParseKey(elem, algs)
		key.private = errors.Is(err, jwtlite.ErrPrivateKey)
		switch {
		case err == nil:
			key.Verdict, key.Alg = keyUsable, string(k.Alg)
			if key.Kid != nil && cfgKids[*key.Kid] {
				key.Verdict, key.Reason = keySkipped, "a configured key has this kid (configured keys win)"
			}
		case fetched || errors.Is(err, jwtlite.ErrNoUsableKey):
			key.Verdict, key.Reason = keySkipped, keyReason(err)
		default:
			key.Verdict, key.Reason = keyInvalid, keyReason(err)
		}
		out = append(out, key)
	}
	return out
}

// keyReason shortens a jwtlite error about one key ("jwtlite: invalid key:
// key 0 (kid "a"): RSA modulus has …") to its reason.
func keyReason(err error) string {
	msg := err.Error()
	for _, sentinel := range []error{jwtlite.ErrInvalidKey, jwtlite.ErrNoUsableKey} {
		msg = strings.TrimPrefix(msg, sentinel.Error()+": ")
	}
	if strings.HasPrefix(msg, "key 0 (") {
		if i := strings.Index(msg, "): "); i >= 0 {
			msg = msg[i+3:]
		}
	}
	return strings.TrimPrefix(strings.TrimPrefix(msg, "skipped: "), "jwtlite: ")
}

// get fetches uri as the filter does: GET, Accept: application/json, no
// redirect, status 200, at most keys.MaxBodyBytes+1 bytes read (a longer
// body is left for the caller to refuse). status is 0 when no response came.
func (k *keysRun) get(uri string) (status int, body []byte, err error) {
	req, err := http.NewRequest(http.MethodGet, uri, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg := "HTTP status " + resp.Status + "; the filter needs 200"
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			msg += " and follows no redirect: configure the final URL"
		}
		return resp.StatusCode, nil, errors.New(msg)
	}
	body, err = io.ReadAll(io.LimitReader(resp.Body, keys.MaxBodyBytes+1))
	if err != nil {
		return resp.StatusCode, body, fmt.Errorf("reading the body: %w", err)
	}
	return resp.StatusCode, body, nil
}

// metadataURLs returns the RFC 8414 §3 URL of an issuer's authorization
// server metadata (the well-known suffix inserted between host and path, a
// terminating "/" of the path removed) and the OpenID Connect Discovery 1.0
// §4 URL (the suffix appended to the issuer).
func metadataURLs(issuer string) (oauth, openid string, err error) {
	u, err := url.Parse(issuer)
	if err != nil {
		return "", "", err
	}
	if u.Scheme == "" || u.Host == "" {
		return "", "", errors.New("is not an absolute URL")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(issuer, "#") {
		return "", "", errors.New("has a query or fragment, which an issuer identifier must not have (RFC 8414 §2)")
	}
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	base := u.Scheme + "://" + u.Host
	return base + "/.well-known/oauth-authorization-server" + path,
		base + path + "/.well-known/openid-configuration", nil
}

// checkMetadata fetches the issuer's metadata and compares its issuer and
// jwks_uri with the configuration's (jwksURI "" when none is configured).
func (k *keysRun) checkMetadata(is *keysIssuer, jwksURI string) {
	md := &keysMetadata{Tried: []string{}}
	is.Metadata = md
	if is.Issuer == "" {
		md.Errors = append(md.Errors, `the issuer has no "issuer" to find metadata with`)
		return
	}
	oauth, openid, err := metadataURLs(is.Issuer)
	if err != nil {
		md.Errors = append(md.Errors, "issuer "+strconv.Quote(is.Issuer)+" "+err.Error())
		return
	}
	var body []byte
	for _, u := range []string{oauth, openid} {
		if _, err := keys.FetchHeaders(u); err != nil {
			var ce *keys.ConfigError
			if errors.As(err, &ce) {
				err = errors.New(ce.Problem + "; fix: " + ce.Fix)
			}
			md.Tried = append(md.Tried, u+": not fetched: "+err.Error())
			md.Errors = append(md.Errors, "metadata URL "+u+" "+err.Error())
			return
		}
		status, b, err := k.get(u)
		switch {
		case err == nil:
			md.Tried = append(md.Tried, u+": 200")
			md.URL, body = u, b
		case status == http.StatusNotFound && u == oauth:
			md.Tried = append(md.Tried, u+": 404")
			continue
		default:
			md.Tried = append(md.Tried, u+": "+err.Error())
			md.Errors = append(md.Errors, "metadata "+u+": "+err.Error())
			return
		}
		break
	}
	if len(body) > keys.MaxBodyBytes {
		md.Errors = append(md.Errors, "metadata "+md.URL+": body larger than "+strconv.Itoa(keys.MaxBodyBytes)+" bytes")
		return
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		md.Errors = append(md.Errors, "metadata "+md.URL+": not a JSON object")
		return
	}
	str := func(member string) (string, bool) {
		var s string
		raw, ok := doc[member]
		return s, ok && json.Unmarshal(raw, &s) == nil
	}
	var okIss, okURI bool
	md.Issuer, okIss = str("issuer")
	md.JWKSURI, okURI = str("jwks_uri")
	switch {
	case !okIss:
		md.Errors = append(md.Errors, `metadata has no "issuer" string (RFC 8414 §2 requires it)`)
	case md.Issuer != is.Issuer:
		md.Errors = append(md.Errors, fmt.Sprintf("metadata issuer %q is not the configured issuer %q (RFC 8414 §3.3: they must be identical)", md.Issuer, is.Issuer))
	}
	switch {
	case !okURI && (jwksURI != "" || is.Path == "argument"):
		md.Errors = append(md.Errors, `metadata has no "jwks_uri" string`)
	case !okURI:
	case jwksURI != "" && md.JWKSURI != jwksURI:
		md.Errors = append(md.Errors, fmt.Sprintf("metadata jwks_uri %q is not the configured jwks_uri %q", md.JWKSURI, jwksURI))
	case jwksURI == "" && is.Path != "argument":
		md.Notes = append(md.Notes, "the issuer has no jwks_uri; its metadata names "+strconv.Quote(md.JWKSURI))
	}
}

// writeKeysText prints the report for a person.
func writeKeysText(w io.Writer, rep keysReport) {
	fmt.Fprintf(w, "audguard keys %s\n", rep.Input)
	if rep.Error != "" {
		fmt.Fprintf(w, "ERROR: %s\n", rep.Error)
	}
	for _, f := range rep.Filters {
		if len(rep.Filters) > 1 || (f.Kind != kindPlugin && f.Source != "command line") {
			at := ""
			if f.Line > 0 {
				at = fmt.Sprintf(" (line %d)", f.Line)
			}
			fmt.Fprintf(w, "\n%s at %s%s\n", f.Kind, f.Source, at)
		}
		if f.Error != "" {
			fmt.Fprintf(w, "  ERROR: %s\n", f.Error)
		}
		if f.LoadError != "" {
			fmt.Fprintf(w, "  note: the filter's loader refuses this configuration (audguard check lists why): %s\n", f.LoadError)
		}
		for _, is := range f.Issuers {
			writeKeysIssuer(w, is)
		}
	}
	s := rep.Summary
	verdict := map[string]string{"ok": "ok", "warnings": "WARNINGS", "errors": "ERRORS"}[rep.Status]
	fmt.Fprintf(w, "\nresult: %s — %s usable, %s skipped, %s refused, %s\n", verdict,
		plural(s.Usable, "key"), plural(s.Skipped, "key"), plural(s.RefusedSets, "set"), plural(s.Errors, "error"))
}

func writeKeysIssuer(w io.Writer, is keysIssuer) {
	fmt.Fprintln(w)
	head := is.Path
	if is.Name != "" {
		head += " " + strconv.Quote(is.Name)
	}
	if is.Issuer != "" {
		head += " " + is.Issuer
	}
	if is.Path == "argument" {
		head = "jwks_uri given on the command line"
		if is.Metadata != nil {
			head = "issuer " + is.Issuer + " given on the command line"
		}
	}
	algs := "algorithms: none listed (each key's own)"
	if is.Algorithms != nil {
		algs = "algorithms: " + strings.Join(is.Algorithms, ", ")
	}
	fmt.Fprintf(w, "%s\n  %s\n", head, algs)
	for _, e := range is.Errors {
		fmt.Fprintf(w, "  ERROR: %s\n", e)
	}
	for _, e := range is.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", e)
	}
	if md := is.Metadata; md != nil {
		for _, t := range md.Tried {
			fmt.Fprintf(w, "  metadata %s\n", t)
		}
		if md.URL != "" {
			fmt.Fprintf(w, "    issuer %s, jwks_uri %s\n", showStr(md.Issuer), showStr(md.JWKSURI))
		}
		for _, e := range md.Errors {
			fmt.Fprintf(w, "  ERROR: %s\n", e)
		}
		for _, n := range md.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
		if md.URL != "" && len(md.Errors) == 0 {
			fmt.Fprintln(w, "    metadata matches the configuration")
		}
	}
	for _, set := range is.Sets {
		where := "configured keys (jwks)"
		if set.Origin == "jwks_uri" {
			where = "jwks_uri " + set.URI
			if set.HTTPStatus != 0 {
				size := strconv.Itoa(set.Bytes) + " bytes"
				if set.Bytes > keys.MaxBodyBytes {
					size = "over " + strconv.Itoa(keys.MaxBodyBytes) + " bytes"
				}
				if set.Verdict == setFetchFailed {
					size = ""
				} else {
					size = ", " + size
				}
				where += fmt.Sprintf(" (HTTP %d%s)", set.HTTPStatus, size)
			}
		}
		v := strings.ToUpper(set.Verdict)
		if set.Verdict == setAccepted {
			v = "accepted"
		}
		line := fmt.Sprintf("  %s: %s", where, v)
		if set.Reason != "" {
			line += ": " + set.Reason
		}
		switch {
		case len(set.Keys) == 0:
		case set.Verdict == setAccepted:
			line += fmt.Sprintf(" — %d usable, %d skipped", set.Usable, set.Skipped)
		default:
			line += fmt.Sprintf(" — of its keys %d would be usable, %d skipped", set.Usable, set.Skipped)
		}
		fmt.Fprintln(w, line)
		if len(set.Keys) == 0 {
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "    #\tKID\tKTY\tCRV\tALG\tUSE\tVERDICT")
		for _, key := range set.Keys {
			kid := "-"
			if key.Kid != nil {
				kid = showStr(*key.Kid)
			}
			verdict := key.Verdict
			if key.Reason != "" {
				verdict += ": " + key.Reason
			}
			fmt.Fprintf(tw, "    %d\t%s\t%s\t%s\t%s\t%s\t%s\n", key.Index, kid, col(key.Kty), col(key.Crv),
				col(key.Alg), col(key.Use), verdict)
		}
		_ = tw.Flush()
	}
}

// showStr prints a string from a key or a document as it is when it is
// plain printable ASCII without spaces, else quoted.
func showStr(s string) string {
	if s == "" {
		return `""`
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '"' {
			return strconv.Quote(s)
		}
	}
	return s
}

// col is showStr for a table column, "-" for an empty or absent member.
func col(s string) string {
	if s == "" {
		return "-"
	}
	return showStr(s)
}
