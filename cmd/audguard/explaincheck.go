package main

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/audguard/audguard/filter/config"
	jwks "github.com/audguard/audguard/filter/keys"
	"github.com/audguard/audguard/filter/mcp"
	"github.com/audguard/audguard/filter/policy"
	"github.com/audguard/audguard/jwtlite"
)

// explainOut is where explain writes: the text (w; io.Discard with --json)
// and the report --json prints.
type explainOut struct {
	w   io.Writer
	rep *explainReport

	req   *policy.Request  // the explained request
	final *policy.Decision // its last decision (nil: not decided)
}

// explainReport is `audguard explain --json`.
type explainReport struct {
	Config        string                 `json:"config"`
	Source        string                 `json:"source,omitempty"` // the filter's place in the file (a YAML path)
	Mode          string                 `json:"mode"`
	AuthorityFrom string                 `json:"authority_from"`
	Proxy         string                 `json:"proxy"` // envoy or nginx
	ProxyNotes    []string               `json:"proxy_notes,omitempty"`
	Request       explainRequest         `json:"request"`
	Keys          []explainKeySet        `json:"keys,omitempty"`
	Steps         []explainStep          `json:"steps"`                 // the filter's checks, as it makes them
	BodySteps     []explainStep          `json:"body_steps,omitempty"`  // the filter's second decision, with the body
	MoreChecks    []explainStep          `json:"more_checks,omitempty"` // after the first failure, the checks that do not depend on it
	Failures      []explainFailure       `json:"failures"`              // every failure; the first decides
	Notes         []string               `json:"notes,omitempty"`
	Result        explainResult          `json:"result"`
	Response      *explainResponseReport `json:"response,omitempty"` // --response: the list the token would see
	Exit          int                    `json:"exit"`
}

type explainRequest struct {
	Method      string      `json:"method"`
	Path        string      `json:"path"`
	Authority   string      `json:"authority"`
	Route       *string     `json:"route"`                  // null: no xds.route_name
	VirtualHost *string     `json:"virtual_host"`           // null: no xds.virtual_host_name
	Headers     [][2]string `json:"headers"`                // besides :method, :path, :authority and the token's
	TokenBytes  int         `json:"token_bytes"`            // 0: no Authorization header; the token is never shown
	TokenScheme string      `json:"token_scheme,omitempty"` // "DPoP" with --dpop (else Bearer)
	DPoPProofs  int         `json:"dpop_proofs,omitempty"`  // DPoP headers sent (--dpop); never shown
	Repeat      int         `json:"repeat,omitempty"`       // --repeat: times the request was sent; the last is shown
	Body        string      `json:"body,omitempty"`
	Now         string      `json:"now"`
}

// explainKeySet is what explain did for the keys of one jwks_uri issuer.
type explainKeySet struct {
	Issuer     string `json:"issuer"`
	URI        string `json:"uri"`
	From       string `json:"from"`    // "jwks_uri" (fetched here), "--jwks", or "none" (--offline)
	Verdict    string `json:"verdict"` // "accepted", "refused", "fetch failed", "not fetched"
	HTTPStatus int    `json:"http_status,omitempty"`
	Usable     int    `json:"usable,omitempty"`
	Detail     string `json:"detail,omitempty"`
}

type explainStep struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// explainFailure is one failed check, with how to fix it.
type explainFailure struct {
	Check   string `json:"check"`
	Reason  string `json:"reason"`
	Detail  string `json:"detail"`
	Fix     string `json:"fix"`
	Docs    string `json:"docs"`
	Decides bool   `json:"decides"` // the filter's answer is this failure's (the first)
}

type explainResult struct {
	Outcome        string      `json:"outcome"` // allowed, denied, would_deny, metadata, public, preflight, holding, not_checked, …
	Passes         bool        `json:"passes"`
	Status         int         `json:"status,omitempty"`
	Reason         string      `json:"reason,omitempty"`
	Counter        string      `json:"counter,omitempty"`
	Detail         string      `json:"detail,omitempty"`
	ReplyHeaders   [][2]string `json:"reply_headers,omitempty"`
	ReplyBody      string      `json:"reply_body,omitempty"`
	UpstreamRemove []string    `json:"upstream_remove,omitempty"`
	UpstreamSet    [][2]string `json:"upstream_set,omitempty"`
}

// step prints one traced check and adds it to list.
func (x *explainOut) step(list *[]explainStep, s policy.Step) {
	mark := "ok  "
	if !s.OK {
		mark = "FAIL"
	}
	fmt.Fprintf(x.w, "  %s  %-18s %s\n", mark, s.Name, s.Detail)
	*list = append(*list, explainStep{Name: s.Name, OK: s.OK, Detail: s.Detail})
}

// explainKeys gives the issuers whose keys come from a jwks_uri what the
// filter would have: every such issuer the set of --jwks; else the token's
// issuer the set fetched from its jwks_uri (as `audguard keys` fetches),
// unless --offline. The key state judges the set exactly as a fetched one.
// Issuers the token does not name are left without keys: no check of this
// request uses them.
func explainKeys(x *explainOut, eng *policy.Engine, cfg *config.Plugin, o *explainOptions) {
	iss := tokenIssuer(o.token)
	var client *keysRun
	for _, a := range eng.Keys().Tick(o.now) {
		if a.Kind != jwks.ActFetch {
			continue
		}
		is := cfg.Issuers[a.Issuer]
		ks := explainKeySet{Issuer: is.Name, URI: is.Remote.URI}
		line := ""
		switch {
		case o.jwks != nil:
			ks.From, ks.Verdict = "--jwks", "accepted"
			for _, r := range eng.Keys().OnFetchResponse(o.now, a.Fetch.Seq, 200, o.jwks) {
				if r.Kind == jwks.ActWarn {
					ks.Verdict, ks.Detail = "refused", r.Text
					line = fmt.Sprintf("--jwks refused for issuer %s: %s", is.Name, r.Text)
				}
			}
		case iss == "" || is.Issuer != iss:
			continue
		case o.offline:
			ks.From, ks.Verdict = "none", "not fetched"
			ks.Detail = "--offline"
			line = fmt.Sprintf("issuer %s: jwks_uri %s not fetched (--offline): explain has none of its keys, as the filter before its first fetch", is.Name, ks.URI)
		default:
			if client == nil {
				client = &keysRun{client: &http.Client{Timeout: o.timeout, Transport: keysTransport,
					CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
			}
			ks.From = "jwks_uri"
			line = fetchForExplain(eng, a, is, client, o.now, &ks)
		}
		x.rep.Keys = append(x.rep.Keys, ks)
		if line != "" {
			fmt.Fprintf(x.w, "keys     %s\n", line)
		}
	}
}

// fetchForExplain fetches one issuer's jwks_uri and hands the answer to the
// key state, as the filter's glue does with its fetch's; it returns the line
// saying what came of it.
func fetchForExplain(eng *policy.Engine, a jwks.Action, is *config.Issuer, k *keysRun, now time.Time, ks *explainKeySet) string {
	uri := is.Remote.URI
	if _, err := jwks.FetchHeaders(uri); err != nil {
		eng.Keys().OnFetchFailed(now, a.Fetch.Seq, err.Error())
		ks.Verdict, ks.Detail = "not fetched", err.Error()
		return fmt.Sprintf("issuer %s: jwks_uri %s cannot be fetched: %v", is.Name, uri, err)
	}
	status, body, err := k.get(uri)
	ks.HTTPStatus = status
	if err != nil {
		if status == 0 {
			eng.Keys().OnFetchFailed(now, a.Fetch.Seq, err.Error())
		} else {
			eng.Keys().OnFetchResponse(now, a.Fetch.Seq, status, nil)
		}
		ks.Verdict, ks.Detail = "fetch failed", err.Error()
		return fmt.Sprintf("issuer %s: fetching %s from here failed: %v (without a good fetch the filter has no keys of this issuer)", is.Name, uri, err)
	}
	set, perr := jwks.ParseSet(body, is.ExplicitAlgorithms)
	eng.Keys().OnFetchResponse(now, a.Fetch.Seq, 200, body)
	got := fmt.Sprintf("issuer %s: fetched %s (HTTP 200, %d bytes)", is.Name, uri, len(body))
	if perr != nil {
		ks.Verdict, ks.Detail = "refused", perr.Error()
		return got + ": set refused: " + perr.Error() + " (`audguard keys` judges every key); the filter would keep no keys of it"
	}
	ks.Verdict, ks.Usable = "accepted", len(set.Keys)
	kids := make([]string, 0, len(set.Keys))
	for _, key := range set.Keys {
		if key.ID == "" {
			kids = append(kids, "(no kid) "+string(key.Alg))
		} else {
			kids = append(kids, strconv.Quote(key.ID)+" "+string(key.Alg))
		}
	}
	skipped := ""
	if set.Skipped > 0 {
		skipped = fmt.Sprintf(", %d skipped (`audguard keys` says why)", set.Skipped)
	}
	return fmt.Sprintf("%s: set accepted, %s: %s%s", got, plural(len(set.Keys), "usable key"), strings.Join(kids, ", "), skipped)
}

// tokenFacts is what explain reads of the token, unverified, to go on after
// the filter's first failure: the parsed token, and the issuer its iss
// names (accepted by the resource, or configured for another).
type tokenFacts struct {
	t        jwtlite.Token
	ok       bool           // the token parses
	issuer   *config.Issuer // nil: iss names no configured issuer
	accepted bool           // issuer is one the resource accepts
	p        jwtlite.Parser // owns t's buffers
	checker  mcp.Checker    // for scopes
	cfg      *config.Plugin // the configuration
	res      *config.Resource
}

func readToken2(cfg *config.Plugin, r *config.Resource, token string) *tokenFacts {
	tf := &tokenFacts{cfg: cfg, res: r}
	if token == "" || r == nil || tf.p.Parse(token, &tf.t) != nil {
		return tf
	}
	tf.ok = true
	if iss, ok := tf.t.Claims.Issuer(); ok {
		if is := r.IssuerFor(iss); is != nil {
			tf.issuer, tf.accepted = is, true
		} else {
			for _, is := range cfg.Issuers {
				if is.Issuer == string(iss) {
					tf.issuer = is
				}
			}
		}
	}
	return tf
}

// checkResult is one check explain made after the filter stopped.
type checkResult struct {
	step   policy.Step
	reason policy.Reason // when it failed
}

// stopsEverything: after these the token cannot be read, or there is no
// resource to judge it for: nothing more can be checked.
var stopsEverything = map[policy.Reason]bool{
	policy.ReasonMissingToken: true, policy.ReasonInvalidRequest: true, policy.ReasonMalformedToken: true,
	policy.ReasonTokenTooLarge: true, policy.ReasonUnsupportedAlgorithm: true, policy.ReasonUnmatchedResource: true,
}

// moreChecks runs, after the filter's first failure, the checks of the
// token the filter did not get to and that do not depend on the one that
// failed, in the filter's order: issuer, key and signature (with the
// issuer's keys, as the key state holds them), revocation, token type,
// time, audience, required claims, scopes. Each uses the filter's own
// pieces (jwtlite's claim checks, the key state, the resource's audience
// matcher and scope rules). done holds the checks the filter traced.
func moreChecks(tf *tokenFacts, eng *policy.Engine, req *policy.Request, now time.Time, done map[string]bool) []checkResult {
	if !tf.ok {
		return nil
	}
	var out []checkResult
	add := func(name string, ok bool, detail string, reason policy.Reason) {
		out = append(out, checkResult{step: policy.Step{Name: name, OK: ok, Detail: detail}, reason: reason})
	}
	r, t, is, cfg := tf.res, &tf.t, tf.issuer, tf.cfg
	if !done["issuer"] {
		iss, _ := t.Claims.Issuer()
		switch {
		case !t.Claims.IssuerPresent():
			add("issuer", false, "the token has no iss claim", policy.ReasonMissingClaim)
		default:
			accepted := make([]string, len(r.Issuers))
			for i, a := range r.Issuers {
				accepted[i] = a.Issuer
			}
			detail := "iss " + strconv.Quote(string(iss)) + "; accepted here: " + policy.QuoteList(accepted)
			if is != nil && !tf.accepted {
				detail += "; it is issuer " + is.Name + "'s, which " + r.URI + " does not list (the checks below use that issuer's keys and settings)"
			}
			add("issuer", tf.accepted, detail, policy.ReasonUnknownIssuer)
		}
	}
	if is != nil && !done["key"] && !done["cache"] {
		key, err := eng.Keys().Select(is.Index, &t.Header)
		kid := "no kid"
		if t.Header.HasKid {
			kid = "kid " + strconv.Quote(string(t.Header.Kid))
		}
		if !tf.accepted {
			kid += " (with the keys of issuer " + is.Name + ", which " + r.URI + " does not accept)"
		}
		switch {
		case err != nil:
			detail := "alg " + string(t.Header.Alg) + ", " + kid + "; no key of issuer " + is.Name + " fits (a kid must name a key; alg must equal the key's bound algorithm)"
			reason := policy.ReasonUnknownKey
			if eng.Keys().Keys(is.Index) == nil && is.Remote != nil {
				detail += "; the issuer has no usable key here (its jwks_uri was not fetched, or not fetched well)"
				reason = policy.ReasonKeysUnavailable
			}
			add("key", false, detail, reason)
		default:
			add("key", true, "alg "+string(t.Header.Alg)+", "+kid+"; selected "+key.Kty+" key bound to "+string(key.Alg), policy.ReasonNone)
			sigOK := key.Verify(t.Header.Alg, t.SigningInput, t.Signature) == nil
			if !done["signature"] {
				add("signature", sigOK, string(t.Header.Alg)+" signature", policy.ReasonBadSignature)
			}
			if sigOK && !done["revocation"] {
				if lever := is.Revocation.RevokedClaims(key.ID, &t.Claims); lever != jwks.NotRevoked {
					add("revocation", false, "refused by "+lever.String()+" of issuer "+is.Name, policy.ReasonRevoked)
				}
			}
		}
	}
	if is != nil && !done["token type"] {
		typ := "missing"
		if t.Header.HasTyp {
			typ = strconv.Quote(string(t.Header.Typ))
		}
		ok := is.TokenType != config.TokenTypeATJWT || (t.Header.HasTyp && jwtlite.IsATJWT(t.Header.Typ))
		add("token type", ok, "typ "+typ+", required "+is.TokenType.String(), policy.ReasonWrongTokenType)
	}
	if !done["time"] {
		err := t.Claims.CheckTime(now, cfg.ClockSkew)
		reason := policy.ReasonExpired
		switch err {
		case jwtlite.ErrNotYetValid:
			reason = policy.ReasonNotYetValid
		case jwtlite.ErrIssuedInFuture:
			reason = policy.ReasonIssuedInFuture
		}
		add("time", err == nil, policy.ClaimTimes(&t.Claims, now, cfg.ClockSkew), reason)
	}
	if !done["audience"] {
		err := t.Claims.CheckAudience(r.Audience.Match, r.ExclusiveAudience)
		detail := "token aud " + policy.QuoteList(t.Claims.Audiences())
		match := " (" + r.AudienceMatch.String() + " match)"
		reason := policy.ReasonWrongAudience
		switch {
		case err == nil:
			detail += " matches " + r.URI + match
		case err == jwtlite.ErrExtraAudience:
			detail += " names other audiences besides " + r.URI + " (exclusive_audience)"
			reason = policy.ReasonExtraAudience
		default:
			detail += " does not name " + r.URI + match
		}
		add("audience", err == nil, detail, reason)
	}
	if is != nil && !done["required claims"] && len(is.RequiredClaims) > 0 {
		if c := missingClaimOf(is, &t.Claims); c != "" {
			add("required claims", false, "claim "+strconv.Quote(c)+" is missing or null", policy.ReasonMissingClaim)
		} else {
			add("required claims", true, "present: "+policy.QuoteList(is.RequiredClaims), policy.ReasonNone)
		}
	}
	if !done["scopes"] {
		need := needOf(r, req)
		missing, ok := tf.checker.Check(need, t.Claims.EachScope, nil)
		detail := "needed " + policy.QuoteList(need.Scopes()) + ", granted " + policy.QuoteList(t.Claims.Scopes())
		if !ok {
			detail += ", missing " + policy.QuoteList(missing)
		}
		add("scopes", ok, detail, policy.ReasonInsufficientScope)
	}
	return out
}

// needOf is the scopes a request needs at r as the filter's header pass
// sets them (docs/request-flow.md#9-mcp-operation): the operation rule the
// MCP headers choose for a POST at a resource with operations whose body is
// not judged, else required_scopes.
func needOf(r *config.Resource, req *policy.Request) *mcp.Need {
	method, path := "", ""
	for _, h := range req.Headers {
		switch h[0] {
		case ":method":
			method = h[1]
		case ":path":
			path = h[1]
		}
	}
	if len(r.Operations) == 0 || !strings.EqualFold(method, "post") ||
		(r.Body == config.BodyVerify && atMCPEndpoint(r.Endpoint(), pathOnly(path))) {
		return r.Rules.Base()
	}
	h := mcpHeadersOf(req.Headers)
	if need, ok := r.Rules.Select(&h); ok {
		return need
	}
	return r.Rules.Base()
}

func missingClaimOf(is *config.Issuer, c *jwtlite.Claims) string {
	for _, name := range is.RequiredClaims {
		if !c.Has(name) {
			return name
		}
	}
	return ""
}

// explainFailures goes on after a denial (more: with the checks the filter
// did not get to, see moreChecks) and lists every failure, the filter's
// first, with a fix and the section of docs/troubleshooting.md.
func explainFailures(x *explainOut, eng *policy.Engine, cfg *config.Plugin, d *policy.Decision, steps []policy.Step, req *policy.Request, o *explainOptions, more bool) {
	if d.Outcome != policy.OutcomeDenied && d.Outcome != policy.OutcomeWouldDeny {
		return
	}
	w, rep := x.w, x.rep
	tf := readToken2(cfg, d.Resource, o.token)
	first := explainFailure{Reason: d.Reason.String(), Detail: d.Reason.Description(), Decides: true}
	for i := len(steps) - 1; i >= 0; i-- {
		if !steps[i].OK {
			first.Check, first.Detail = steps[i].Name, steps[i].Detail
			break
		}
	}
	failures := []explainFailure{first}
	if more && !stopsEverything[d.Reason] && d.Resource != nil {
		done := map[string]bool{}
		for _, s := range steps {
			done[s.Name] = true
		}
		extra := moreChecks(tf, eng, req, o.now, done)
		if len(extra) > 0 {
			fmt.Fprintf(w, "more checks (the filter stopped at %s; explain goes on with the checks that do not depend on it)\n", d.Reason)
			rep.MoreChecks = []explainStep{}
			for _, c := range extra {
				x.step(&rep.MoreChecks, c.step)
				if !c.step.OK {
					failures = append(failures, explainFailure{Check: c.step.Name, Reason: c.reason.String(), Detail: c.step.Detail})
				}
			}
		}
	}
	n := "1 failure"
	if len(failures) > 1 {
		n = fmt.Sprintf("%d failures; the first decides the answer", len(failures))
	}
	fmt.Fprintf(w, "failures (%s)\n", n)
	for i := range failures {
		f := &failures[i]
		r, _ := policy.ParseReason(f.Reason)
		f.Fix = fixFor(r, tf, f.Detail, o)
		f.Docs = "docs/troubleshooting.md#" + f.Reason
		check := ""
		if f.Check != "" {
			check = " (" + f.Check + ")"
		}
		fmt.Fprintf(w, "  %d. %s%s: %s\n", i+1, f.Reason, check, f.Detail)
		fmt.Fprintf(w, "     fix: %s\n", f.Fix)
		fmt.Fprintf(w, "     see %s\n", f.Docs)
	}
	rep.Failures = failures
}

// fixFor says how to fix one failure, in the words of
// docs/troubleshooting.md, with the names of this configuration.
func fixFor(r policy.Reason, tf *tokenFacts, detail string, o *explainOptions) string {
	res, is := tf.res, tf.issuer
	resURI := "the resource"
	if res != nil {
		resURI = res.URI
	}
	isName := "the token's issuer"
	if is != nil {
		isName = "issuer " + strconv.Quote(is.Name)
	}
	switch r {
	case policy.ReasonMissingToken:
		return "send the access token as \"Authorization: Bearer <token>\"; a client without one starts from the metadata document the 401's WWW-Authenticate names, and something in front of the proxy must not drop Authorization"
	case policy.ReasonInvalidRequest:
		return "send exactly one \"Authorization: Bearer <token>\" header holding one token (no quotes, commas, line breaks or trailing space), and at most one Host and one Origin header"
	case policy.ReasonTokenInQuery:
		return "send the token in the Authorization header only, never as access_token in the query; treat tokens already sent this way as exposed (logs)"
	case policy.ReasonMalformedToken:
		return "have the authorization server issue JWT access tokens (RFC 9068) for " + resURI + " (the client asks with resource=" + resURI + "), not opaque or encrypted tokens"
	case policy.ReasonTokenTooLarge:
		return fmt.Sprintf("raise max_token_bytes (now %d, at most 65536) if such tokens are legitimate, or have the issuer put less in the token", tf.cfg.MaxTokenBytes)
	case policy.ReasonUnsupportedAlgorithm:
		return "have the issuer sign with RS256/384/512, PS256/384/512, ES256/384/512 or EdDSA (HS256/384/512 only with configured keys), without a crit header"
	case policy.ReasonUnknownKey:
		return "add the issuer's current key to the jwks of " + isName + ", or use jwks_uri so rotations are picked up; `audguard keys CONFIG` shows the issuer's keys and how each is bound"
	case policy.ReasonBadSignature:
		return "compare the configured key with the issuer's (`audguard keys CONFIG`); give every key a distinct kid"
	case policy.ReasonUnknownIssuer:
		iss, _ := tf.t.Claims.Issuer()
		switch {
		case tf.ok && is != nil && !tf.accepted:
			return fmt.Sprintf("add %q to the issuers of %s, if it is to accept that issuer's tokens", is.Name, resURI)
		case tf.ok:
			return fmt.Sprintf("set an issuer's \"issuer\" to the token's exact iss %q (a trailing \"/\" counts), and list that issuer in the issuers of %s", string(iss), resURI)
		}
		return "set an issuer's \"issuer\" to the token's exact iss, and list that issuer in the resource's issuers"
	case policy.ReasonExpired:
		return "the client gets a fresh token (refresh); check the proxy's clock (NTP); explain --now replays the decision at another time"
	case policy.ReasonNotYetValid, policy.ReasonIssuedInFuture:
		return fmt.Sprintf("synchronise the issuer's and the proxy's clocks (NTP); a larger clock_skew_seconds (now %d, at most 300) only as a stopgap", int(tf.cfg.ClockSkew.Seconds()))
	case policy.ReasonWrongTokenType:
		return fmt.Sprintf("have the authorization server issue RFC 9068 access tokens (header typ \"at+jwt\"); if it cannot, set \"token_type\": \"any\" on %s, and make sure its ID tokens cannot carry %s in aud", isName, resURI)
	case policy.ReasonMissingClaim:
		if tf.ok && !tf.t.Claims.IssuerPresent() {
			return "have the issuer put iss in its tokens"
		}
		if tf.ok && is != nil {
			if c := missingClaimOf(is, &tf.t.Claims); c != "" {
				return fmt.Sprintf("have the issuer add the claim %q, or remove it from the required_claims of %s", c, isName)
			}
		}
		return "have the issuer add the claim, or remove it from the issuer's required_claims"
	case policy.ReasonWrongAudience:
		fix := "the client asks for the token with resource=" + resURI + " (RFC 8707), and the authorization server puts that exact URI in aud"
		if tf.ok && res != nil {
			for _, a := range tf.t.Claims.Audiences() {
				if a != res.URI && strings.HasPrefix(res.URI, strings.TrimSuffix(a, "/")) {
					fix += fmt.Sprintf("; the token's %q is the resource URI without its path", a)
					break
				}
			}
		}
		return fix
	case policy.ReasonExtraAudience:
		return "the client asks for one token per resource (one resource parameter, " + resURI + "); exclusive_audience false accepts the replay risk"
	case policy.ReasonInsufficientScope:
		if _, missing, ok := strings.Cut(detail, ", missing ["); ok {
			return fmt.Sprintf("the client asks for the missing scopes [%s (it steps up with the scope of the 403's challenge), or the authorization server grants them", missing)
		}
		return "the client asks for the scopes the 403's challenge names (step-up), or the authorization server grants them; the operation rules say which each operation needs"
	case policy.ReasonUnmatchedResource:
		return "bind a resource to this request (routes, virtual_hosts, authorities or default); `audguard check` warns about names the proxy does not use"
	case policy.ReasonRevoked:
		return "usually intended: the client needs a new token, issued after reject_issued_before and signed by a key that is not revoked"
	case policy.ReasonKeysUnavailable:
		if o.offline {
			return "run without --offline to fetch the jwks_uri from here, or give its set with --jwks FILE; the filter needs jwks_cluster to reach it"
		}
		uri, cluster := "its jwks_uri", "its jwks_cluster"
		if is != nil && is.Remote != nil {
			uri, cluster = is.Remote.URI, strconv.Quote(is.Remote.Cluster)
		}
		return "make " + uri + " answer 200 with a JWK Set the filter accepts, reachable from the proxy through the cluster " + cluster + "; `audguard keys CONFIG` fetches and judges it"
	case policy.ReasonForbiddenOrigin:
		return "add the web client's origin to the allowed_origins of " + resURI
	case policy.ReasonInvalidMCPHeaders:
		return "send one well-formed MCP-Protocol-Version, Mcp-Method and Mcp-Name each (Mcp-Name as sent by MCP 2026-07-28 clients)"
	case policy.ReasonInvalidMCPBody:
		return "send one well-formed JSON-RPC message (a batch only from clients older than MCP 2025-06-18)"
	case policy.ReasonHeaderMismatch:
		return "send Mcp-Method and Mcp-Name naming the body's method and target"
	case policy.ReasonBodyTooLarge:
		limit := "max_body_bytes"
		if res != nil {
			limit = fmt.Sprintf("max_body_bytes (now %d)", res.MaxBodyBytes)
		}
		return "send a smaller body, or raise the " + limit + " of " + resURI
	}
	switch r.String() { // DPoP (RFC 9449)
	case "invalid_dpop_proof":
		return "send one DPoP header with a proof made for this request and token (htm, htu the resource's own URL, a fresh iat, ath); the error_description names the check that failed"
	case "dpop_replayed":
		return "sign a new proof, with a new jti, for every request, retries included (RFC 9449 §4.2)"
	case "use_dpop_nonce":
		return "the client retries with the nonce of the DPoP-Nonce header and keeps the latest; behind a load balancer every proxy needs the same dpop_nonce_secret"
	case "dpop_binding":
		return "send a DPoP-bound token as \"Authorization: DPoP <token>\" with a proof signed by the key it is bound to (cnf.jkt), an unbound token as Bearer"
	}
	return "follow the usual causes and fixes in the reason's section of docs/troubleshooting.md"
}
