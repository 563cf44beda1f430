package main

import (
	"strconv"

	"github.com/audguard/audguard/filter/policy"
)

// dualCase is one request through the plugin. Every case runs twice: the
// native Go build and the compiled build/audguard.wasm under wazero.
type dualCase struct {
	name        string
	cfg         string // "main" (default resource), "nodefault", "report"
	method      string // default GET
	authority   string // default mcp-a.example.com
	path        string // default /mcp
	props       map[string]string
	headers     [][2]string                                 // extra request headers
	authz       []string                                    // Authorization values, verbatim
	token       func(*tctx) string                          // Authorization: Bearer <token>
	authzFn     func(*tctx) []string                        // Authorization values built from the runner's clock
	openBody    bool                                        // the request has a body: end of stream not on the headers, and a content-length
	hosts       []string                                    // Host headers; nil: one, equal to authority (as nginx and HTTP/1.1 clients send)
	noHost      bool                                        // no Host header at all (Envoy turns Host into :authority)
	noEOS       bool                                        // end of stream not on the headers, and no content-length (ngx_wasm_module)
	rpc         string                                      // a request body: sent after the headers (which must then be held), in chunks
	chunks      int                                         // rpc in this many body calls (0, 1: one, with end of stream, as ngx_wasm_module)
	trailers    bool                                        // end of stream comes with trailers after the body
	cutBody     int                                         // the stream ends (OnHttpStreamDone) after this many chunks, undecided
	noLength    bool                                        // no content-length with rpc (HTTP/2, or a chunked body)
	contentType string                                      // content-type with rpc: "" application/json, "-" none
	dpopFn      func(*tctx) (authz string, proofs []string) // Authorization and DPoP headers (filter/dpop_cases_test.go)
	prelude     bool                                        // the same request goes once before (c.nonce then holds the DPoP-Nonce it got); the expectations are the second's
	preStatus   uint32                                      // the prelude's status (0: continues upstream)
	resp        *dualResp                                   // the upstream's response, with a body (filter/list_cases_test.go)

	// Expectations.
	status  uint32            // 0: continues upstream
	www     string            // exact WWW-Authenticate ("" = absent)
	wwwAll  []string          // when set: every WWW-Authenticate value, in order
	respHdr map[string]string // response headers the filter sets on an allowed request's response ("" = absent, "*" = any)
	body    string            // exact reply body, when set
	reply   map[string]string // reply headers that must be present with these values ("*" = any)
	up      map[string]string // upstream headers present; "*" = any value
	gone    []string          // upstream headers absent
	once    []string          // upstream headers present exactly once
	counter string            // the one non-cache counter that moved
	logHas  string            // a log line must contain this
}

var spoofHeaders = [][2]string{{"x-mcp-subject", "admin"}, {"x_mcp_client_id", "evil"}, {"X-Mcp-Scope", "all"}}

var claimHeadersGone = []string{"x-mcp-subject", "x_mcp_client_id", "x-mcp-client-id", "x-mcp-scope", "x-mcp-roles"}

func dualCases() []dualCase {
	a := func(c *tctx) string { return c.rs(resA, nil) }
	corsDeny := map[string]string{"access-control-allow-origin": "*", "access-control-expose-headers": "www-authenticate"}
	json := map[string]string{"content-type": "application/json"}
	allowedA := map[string]string{"x-mcp-subject": "user-1", "x-mcp-client-id": "client-1", "x-mcp-scope": "mcp:tools"}

	return []dualCase{
		// ---- Right audience.
		{name: "A/RS256 via virtual host", props: map[string]string{"vhost": "vh_a"}, token: a,
			up: allowedA, gone: []string{"authorization"}, counter: policy.CounterAllowed},
		{name: "A/ES256 via authority", token: func(c *tctx) string { return c.sign(c.keys.ec, c.claims(resA, nil), nil) },
			up: allowedA, gone: []string{"authorization"}, counter: policy.CounterAllowed},
		{name: "A/EdDSA", token: func(c *tctx) string { return c.sign(c.keys.ed, c.claims(resA, nil), nil) },
			counter: policy.CounterAllowed},
		{name: "A/EdDSA key accepts alg Ed25519", token: func(c *tctx) string {
			return c.sign(c.keys.ed, c.claims(resA, nil), map[string]any{"alg": "Ed25519"})
		}, counter: policy.CounterAllowed},
		{name: "A/upper-case scheme and host accepted", token: func(c *tctx) string { return c.rs("HTTPS://MCP-A.EXAMPLE.COM/mcp", nil) },
			counter: policy.CounterAllowed},
		{name: "A/aud array with only A", token: func(c *tctx) string { return c.rs([]string{resA}, nil) }, counter: policy.CounterAllowed},
		{name: "A/typ application/AT+JWT accepted", token: func(c *tctx) string {
			return c.sign(c.keys.rs, c.claims(resA, nil), map[string]any{"typ": "application/AT+JWT"})
		}, counter: policy.CounterAllowed},
		{name: "A/exp just inside the skew", token: func(c *tctx) string { return c.rs(resA, map[string]any{"exp": c.now.Unix() - 30}) },
			counter: policy.CounterAllowed},
		{name: "A/scp array grants", token: func(c *tctx) string {
			return c.rs(resA, map[string]any{"scope": nil, "scp": []string{"mcp:resources", "mcp:tools"}})
		}, up: map[string]string{"x-mcp-subject": "user-1"}, gone: []string{"x-mcp-scope"}, counter: policy.CounterAllowed},
		{name: "A/claim header values encoded", token: func(c *tctx) string {
			return c.rs(resA, map[string]any{"sub": "Ann O'Neil\r\nx: y%", "roles": []string{"a b", "c"}})
		}, up: map[string]string{"x-mcp-subject": "Ann O'Neil%0D%0Ax: y%25", "x-mcp-roles": "a b c"}, counter: policy.CounterAllowed},
		{name: "A/claim header inner spaces as they are, outer ones encoded", token: func(c *tctx) string {
			return c.rs(resA, map[string]any{"sub": " user 1	", "scope": "mcp:tools mcp:read", "roles": []string{"a ", "	b"}})
		}, up: map[string]string{"x-mcp-subject": "%20user 1%09", "x-mcp-scope": "mcp:tools mcp:read", "x-mcp-roles": "a%20 %09b"}, counter: policy.CounterAllowed},
		{name: "A/extra spaces after Bearer", authzFn: func(c *tctx) []string { return []string{"Bearer   " + c.rs(resA, nil)} },
			counter: policy.CounterAllowed, up: allowedA},

		// ---- Wrong audience variants at A (exact, exclusive).
		{name: "wrong aud/other server's token", token: func(c *tctx) string { return c.rs(resB, nil) },
			status: 401, www: invalidToken(dAud, metaA), body: body("invalid_token", dAud), counter: policy.DeniedCounter(policy.ReasonWrongAudience),
			logHas: "reason=wrong_audience"},
		{name: "wrong aud/trailing slash", token: func(c *tctx) string { return c.rs(resA+"/", nil) },
			status: 401, www: invalidToken(dAud, metaA), counter: policy.DeniedCounter(policy.ReasonWrongAudience)},
		{name: "wrong aud/http vs https", token: func(c *tctx) string { return c.rs("http://mcp-a.example.com/mcp", nil) },
			status: 401, www: invalidToken(dAud, metaA), counter: policy.DeniedCounter(policy.ReasonWrongAudience)},
		{name: "wrong aud/default port in exact mode", token: func(c *tctx) string { return c.rs("https://mcp-a.example.com:443/mcp", nil) },
			status: 401, www: invalidToken(dAud, metaA), counter: policy.DeniedCounter(policy.ReasonWrongAudience)},
		{name: "wrong aud/extra path segment", token: func(c *tctx) string { return c.rs(resA+"/admin", nil) },
			status: 401, www: invalidToken(dAud, metaA), counter: policy.DeniedCounter(policy.ReasonWrongAudience)},
		{name: "wrong aud/dot segments", token: func(c *tctx) string { return c.rs("https://mcp-a.example.com/x/../mcp", nil) },
			status: 401, www: invalidToken(dAud, metaA), counter: policy.DeniedCounter(policy.ReasonWrongAudience)},
		{name: "wrong aud/percent-encoding", token: func(c *tctx) string { return c.rs("https://mcp-a.example.com/%6Dcp", nil) },
			status: 401, www: invalidToken(dAud, metaA), counter: policy.DeniedCounter(policy.ReasonWrongAudience)},
		{name: "wrong aud/userinfo", token: func(c *tctx) string { return c.rs("https://u@mcp-a.example.com/mcp", nil) },
			status: 401, www: invalidToken(dAud, metaA), counter: policy.DeniedCounter(policy.ReasonWrongAudience)},
		{name: "wrong aud/host only", token: func(c *tctx) string { return c.rs("mcp-a.example.com", nil) },
			status: 401, www: invalidToken(dAud, metaA), counter: policy.DeniedCounter(policy.ReasonWrongAudience)},
		{name: "wrong aud/array without A", token: func(c *tctx) string { return c.rs([]string{resB, resTools}, nil) },
			status: 401, www: invalidToken(dAud, metaA), counter: policy.DeniedCounter(policy.ReasonWrongAudience)},
		{name: "wrong aud/not a string", token: func(c *tctx) string { return c.rs(42, nil) },
			status: 401, www: invalidToken(dAud, metaA), counter: policy.DeniedCounter(policy.ReasonWrongAudience)},
		{name: "extra aud/array with another server when exclusive", token: func(c *tctx) string { return c.rs([]string{resA, resB}, nil) },
			status: 401, www: invalidToken(dExtra, metaA), counter: policy.DeniedCounter(policy.ReasonExtraAudience)},
		{name: "non-exclusive/array with another server allowed", authority: "nonex.example.com",
			token: func(c *tctx) string { return c.rs([]string{resB, resNonEx}, nil) }, counter: policy.CounterAllowed},
		{name: "non-exclusive/still needs a match", authority: "nonex.example.com",
			token:  func(c *tctx) string { return c.rs([]string{resB, resA}, nil) },
			status: 401, counter: policy.DeniedCounter(policy.ReasonWrongAudience)},
		{name: "canonical mode/default port accepted", authority: "canon.example.com", path: "/",
			token: func(c *tctx) string { return c.rs("https://canon.example.com:443/", nil) }, counter: policy.CounterAllowed},
		{name: "canonical mode/empty path equals /", authority: "canon.example.com", path: "/",
			token: func(c *tctx) string { return c.rs("https://canon.example.com/", nil) }, counter: policy.CounterAllowed},
		{name: "canonical mode/still not http", authority: "canon.example.com", path: "/",
			token:  func(c *tctx) string { return c.rs("http://canon.example.com", nil) },
			status: 401, www: invalidToken(dAud, metaCanon), counter: policy.DeniedCounter(policy.ReasonWrongAudience)},

		// ---- Two MCP servers behind one listener: virtual hosts and routes.
		{name: "vhosts/A token refused at B", authority: "mcp-b.example.com", props: map[string]string{"vhost": "vh_b"},
			token: a, status: 401, www: invalidToken(dAud, metaB), counter: policy.DeniedCounter(policy.ReasonWrongAudience)},
		{name: "vhosts/B token allowed at B", authority: "mcp-b.example.com", props: map[string]string{"vhost": "vh_b"},
			token: func(c *tctx) string { return c.rs(resB, nil) }, counter: policy.CounterAllowed},
		{name: "vhosts/vhost beats authority", authority: "mcp-a.example.com", props: map[string]string{"vhost": "vh_b"},
			token: a, status: 401, www: invalidToken(dAud, metaB), counter: policy.DeniedCounter(policy.ReasonWrongAudience)},
		{name: "routes/A token refused on the tools route", path: "/tools", props: map[string]string{"vhost": "vh_a", "route": "route_tools"},
			token: a, status: 401, www: invalidToken(dAud, metaTools), counter: policy.DeniedCounter(policy.ReasonWrongAudience)},
		{name: "routes/tools token allowed on the tools route", path: "/tools", props: map[string]string{"vhost": "vh_a", "route": "route_tools"},
			token: func(c *tctx) string { return c.rs(resTools, nil) }, counter: policy.CounterAllowed},
		{name: "routes/tools token refused on A's route", props: map[string]string{"vhost": "vh_a", "route": "route_mcp"},
			token: func(c *tctx) string { return c.rs(resTools, nil) }, status: 401, www: invalidToken(dAud, metaA),
			counter: policy.DeniedCounter(policy.ReasonWrongAudience)},
		{name: "default/unknown authority maps to the default resource", authority: "elsewhere.example.net",
			token: func(c *tctx) string { return c.rs(resDef, nil) }, counter: policy.CounterAllowed},
		{name: "default/A token refused there", authority: "elsewhere.example.net",
			token: a, status: 401, www: invalidToken(dAud, metaDef), counter: policy.DeniedCounter(policy.ReasonWrongAudience)},
		{name: "unmatched/403 without challenge", cfg: "nodefault", authority: "elsewhere.example.net", token: a,
			status: 403, www: "", body: body("access_denied", dUnmatched), counter: policy.DeniedCounter(policy.ReasonUnmatchedResource)},
		{name: "unmatched/with Origin gets CORS", cfg: "nodefault", authority: "elsewhere.example.net",
			headers: [][2]string{{"origin", "https://app.example"}}, status: 403, reply: corsDeny,
			counter: policy.DeniedCounter(policy.ReasonUnmatchedResource)},

		// ---- 5.4 extraction.
		{name: "missing token/with scope hint", status: 401, www: `Bearer ` + metaA + `, scope="mcp:tools"`,
			body: body("unauthorized", dMissing), reply: json, counter: policy.DeniedCounter(policy.ReasonMissingToken)},
		{name: "missing token/no scopes configured", authority: "mcp-b.example.com", props: map[string]string{"vhost": "vh_b"},
			status: 401, www: `Bearer ` + metaB, counter: policy.DeniedCounter(policy.ReasonMissingToken)},
		{name: "missing token/Basic scheme", authz: []string{"Basic dXNlcjpwYXNz"}, status: 401,
			www: `Bearer ` + metaA + `, scope="mcp:tools"`, counter: policy.DeniedCounter(policy.ReasonMissingToken)},
		{name: "missing token/with Origin gets CORS", headers: [][2]string{{"origin", "https://mcp-a.example.com"}}, status: 401,
			reply: corsDeny, counter: policy.DeniedCounter(policy.ReasonMissingToken)},
		// Origin by default (docs/request-flow.md#8-origin): only the resource's own.
		{name: "origin/another site by default", headers: [][2]string{{"origin", "https://app.example"}}, token: a, status: 403,
			body:  `{"jsonrpc":"2.0","error":{"code":-32600,"message":"The request Origin is not allowed for this resource."}}`,
			reply: corsDeny, counter: policy.DeniedCounter(policy.ReasonForbiddenOrigin)},
		{name: "origin/own origin, upper case and default port", headers: [][2]string{{"origin", "HTTPS://MCP-A.example.com:443"}}, token: a,
			counter: policy.CounterAllowed},
		{name: "origin/own host, other scheme", headers: [][2]string{{"origin", "http://mcp-a.example.com"}}, token: a, status: 403,
			counter: policy.DeniedCounter(policy.ReasonForbiddenOrigin)},
		{name: "origin/two own origins", headers: [][2]string{{"origin", "https://mcp-a.example.com"}, {"origin", "https://mcp-a.example.com"}}, token: a,
			status: 400, counter: policy.DeniedCounter(policy.ReasonInvalidRequest)},
		{name: "query token/access_token", path: "/mcp?x=1&access_token=abc", token: a, status: 400,
			www: invalidRequest(dQuery, metaA), body: body("invalid_request", dQuery), counter: policy.DeniedCounter(policy.ReasonTokenInQuery)},
		{name: "query token/percent-encoded name", path: "/mcp?access%5Ftoken=abc", status: 400,
			www: invalidRequest(dQuery, metaA), counter: policy.DeniedCounter(policy.ReasonTokenInQuery)},
		{name: "two Authorization headers", authz: []string{"Bearer abc", "Bearer def"}, status: 400,
			www: invalidRequest(dInvalid, metaA), counter: policy.DeniedCounter(policy.ReasonInvalidRequest)},
		{name: "Bearer without credentials", authz: []string{"Bearer"}, status: 400,
			www: invalidRequest(dInvalid, metaA), counter: policy.DeniedCounter(policy.ReasonInvalidRequest)},
		{name: "Bearer credentials not a b64token", authz: []string{"Bearer a,b"}, status: 400,
			www: invalidRequest(dInvalid, metaA), counter: policy.DeniedCounter(policy.ReasonInvalidRequest)},
		{name: "lower-case bearer scheme accepted", authzFn: func(c *tctx) []string { return []string{"bearer " + c.rs(resA, nil)} },
			counter: policy.CounterAllowed},

		// ---- 5.5 each reason, and the order of checks.
		{name: "token_too_large", authz: []string{"Bearer " + pad(8193)}, status: 401,
			www: invalidToken(dTooLarge, metaA), counter: policy.DeniedCounter(policy.ReasonTokenTooLarge)},
		{name: "token_too_large before syntax", token: func(c *tctx) string { return c.rs(resA, map[string]any{"junk": pad(7000)}) },
			status: 401, www: invalidToken(dTooLarge, metaA), counter: policy.DeniedCounter(policy.ReasonTokenTooLarge)},
		{name: "malformed/two parts", authz: []string{"Bearer abc.def"}, status: 401,
			www: invalidToken(dMalformed, metaA), counter: policy.DeniedCounter(policy.ReasonMalformedToken)},
		{name: "malformed/padding", token: func(c *tctx) string { return c.rs(resA, nil) + "==" }, status: 401,
			www: invalidToken(dMalformed, metaA), counter: policy.DeniedCounter(policy.ReasonMalformedToken)},
		{name: "malformed/duplicate claim after unescaping", token: func(c *tctx) string {
			tok, _ := c.keys.rs.SignRaw([]byte(`{"alg":"RS256","kid":"rs-1","typ":"at+jwt"}`),
				[]byte(`{"iss":"`+issCorp+`","sub":"u","aud":"`+resA+`","exp":`+itoa(c.now.Unix()+600)+`,"a\u0075d":"`+resB+`"}`))
			return tok
		}, status: 401, www: invalidToken(dMalformed, metaA), counter: policy.DeniedCounter(policy.ReasonMalformedToken)},
		{name: "unsupported/alg none", token: func(c *tctx) string {
			return rawToken(`{"alg":"none","typ":"at+jwt"}`, `{"iss":"`+issCorp+`","aud":"`+resA+`"}`, "")
		}, status: 401, www: invalidToken(dAlg, metaA), counter: policy.DeniedCounter(policy.ReasonUnsupportedAlgorithm)},
		{name: "unsupported/crit", token: func(c *tctx) string {
			return c.sign(c.keys.rs, c.claims(resA, nil), map[string]any{"crit": []string{"exp"}})
		}, status: 401, www: invalidToken(dAlg, metaA), counter: policy.DeniedCounter(policy.ReasonUnsupportedAlgorithm)},
		{name: "missing_claim/no iss", token: func(c *tctx) string { return c.rs(resA, map[string]any{"iss": nil}) },
			status: 401, www: invalidToken(dClaim, metaA), counter: policy.DeniedCounter(policy.ReasonMissingClaim)},
		{name: "unknown_issuer/other iss", token: func(c *tctx) string { return c.rs(resA, map[string]any{"iss": "https://evil.example"}) },
			status: 401, www: invalidToken(dIssuer, metaA), counter: policy.DeniedCounter(policy.ReasonUnknownIssuer)},
		{name: "unknown_issuer/issuer not accepted by this resource", token: func(c *tctx) string {
			return c.sign(c.keys.edOther, c.claims(resA, map[string]any{"iss": issPart}), nil)
		}, status: 401, www: invalidToken(dIssuer, metaA), counter: policy.DeniedCounter(policy.ReasonUnknownIssuer)},
		{name: "partner token accepted where partner is", authority: "mcp-b.example.com", props: map[string]string{"vhost": "vh_b"},
			token: func(c *tctx) string {
				return c.sign(c.keys.edOther, c.claims(resB, map[string]any{"iss": issPart}), map[string]any{"typ": nil})
			}, counter: policy.CounterAllowed},
		{name: "unknown_key/unknown kid", token: func(c *tctx) string {
			return c.sign(c.keys.rs, c.claims(resA, nil), map[string]any{"kid": "nope"})
		}, status: 401, www: invalidToken(dKey, metaA), counter: policy.DeniedCounter(policy.ReasonUnknownKey)},
		{name: "unknown_key/no kid with three keys", token: func(c *tctx) string {
			return c.sign(c.keys.rs, c.claims(resA, nil), map[string]any{"kid": nil})
		}, status: 401, www: invalidToken(dKey, metaA), counter: policy.DeniedCounter(policy.ReasonUnknownKey)},
		{name: "unknown_key/alg differs from the key's", token: func(c *tctx) string {
			return c.sign(c.keys.rs, c.claims(resA, nil), map[string]any{"alg": "PS256"})
		}, status: 401, www: invalidToken(dKey, metaA), counter: policy.DeniedCounter(policy.ReasonUnknownKey)},
		{name: "bad_signature/forged with another key of the same kid", token: func(c *tctx) string {
			return c.sign(c.keys.rsOther, c.claims(resA, nil), nil)
		}, status: 401, www: invalidToken(dSig, metaA), counter: policy.DeniedCounter(policy.ReasonBadSignature)},
		{name: "order/bad signature before expiry and audience", token: func(c *tctx) string {
			return c.sign(c.keys.rsOther, c.claims(resB, map[string]any{"exp": c.now.Unix() - 3600}), nil)
		}, status: 401, www: invalidToken(dSig, metaA), counter: policy.DeniedCounter(policy.ReasonBadSignature)},
		{name: "order/unknown issuer before key", token: func(c *tctx) string {
			return c.sign(c.keys.rs, c.claims(resA, map[string]any{"iss": "https://evil.example"}), map[string]any{"kid": "nope"})
		}, status: 401, www: invalidToken(dIssuer, metaA), counter: policy.DeniedCounter(policy.ReasonUnknownIssuer)},
		{name: "wrong_token_type/JWT", token: func(c *tctx) string {
			return c.sign(c.keys.rs, c.claims(resA, nil), map[string]any{"typ": "JWT"})
		}, status: 401, www: invalidToken(dType, metaA), counter: policy.DeniedCounter(policy.ReasonWrongTokenType)},
		{name: "wrong_token_type/missing typ", token: func(c *tctx) string {
			return c.sign(c.keys.rs, c.claims(resA, nil), map[string]any{"typ": nil})
		}, status: 401, www: invalidToken(dType, metaA), counter: policy.DeniedCounter(policy.ReasonWrongTokenType)},
		{name: "order/wrong type before expiry", token: func(c *tctx) string {
			return c.sign(c.keys.rs, c.claims(resA, map[string]any{"exp": c.now.Unix() - 3600}), map[string]any{"typ": "JWT"})
		}, status: 401, www: invalidToken(dType, metaA), counter: policy.DeniedCounter(policy.ReasonWrongTokenType)},
		{name: "expired/beyond the skew", token: func(c *tctx) string { return c.rs(resA, map[string]any{"exp": c.now.Unix() - 120}) },
			status: 401, www: invalidToken(dExpired, metaA), counter: policy.DeniedCounter(policy.ReasonExpired)},
		{name: "expired/exp missing", token: func(c *tctx) string { return c.rs(resA, map[string]any{"exp": nil}) },
			status: 401, www: invalidToken(dExpired, metaA), counter: policy.DeniedCounter(policy.ReasonExpired)},
		{name: "expired/exp a string", token: func(c *tctx) string { return c.rs(resA, map[string]any{"exp": "9999999999"}) },
			status: 401, www: invalidToken(dExpired, metaA), counter: policy.DeniedCounter(policy.ReasonExpired)},
		{name: "order/expired before wrong audience", token: func(c *tctx) string {
			return c.rs(resB, map[string]any{"exp": c.now.Unix() - 3600})
		}, status: 401, www: invalidToken(dExpired, metaA), counter: policy.DeniedCounter(policy.ReasonExpired)},
		{name: "not_yet_valid", token: func(c *tctx) string { return c.rs(resA, map[string]any{"nbf": c.now.Unix() + 300}) },
			status: 401, www: invalidToken(dNotYet, metaA), counter: policy.DeniedCounter(policy.ReasonNotYetValid)},
		{name: "issued_in_future", token: func(c *tctx) string { return c.rs(resA, map[string]any{"iat": c.now.Unix() + 300}) },
			status: 401, www: invalidToken(dFuture, metaA), counter: policy.DeniedCounter(policy.ReasonIssuedInFuture)},
		{name: "missing_claim/required sub", token: func(c *tctx) string { return c.rs(resA, map[string]any{"sub": nil}) },
			status: 401, www: invalidToken(dClaim, metaA), counter: policy.DeniedCounter(policy.ReasonMissingClaim)},
		{name: "order/wrong audience before missing claim", token: func(c *tctx) string {
			return c.rs(resB, map[string]any{"sub": nil})
		}, status: 401, www: invalidToken(dAud, metaA), counter: policy.DeniedCounter(policy.ReasonWrongAudience)},
		{name: "insufficient_scope", token: func(c *tctx) string { return c.rs(resA, map[string]any{"scope": "mcp:resources"}) },
			status: 403, www: `Bearer error="insufficient_scope", scope="mcp:tools", ` + metaA + `, error_description="` + dScope + `"`,
			body: body("insufficient_scope", dScope), counter: policy.DeniedCounter(policy.ReasonInsufficientScope)},
		{name: "insufficient_scope/scope prefix is not the scope", token: func(c *tctx) string { return c.rs(resA, map[string]any{"scope": "mcp:tool mcp:toolsX"}) },
			status: 403, counter: policy.DeniedCounter(policy.ReasonInsufficientScope)},

		// ---- 5.1 metadata.
		{name: "metadata/GET path-inserted", path: "/.well-known/oauth-protected-resource/mcp", status: 200,
			body:  `{"resource":"` + resA + `","authorization_servers":["` + issCorp + `"],"scopes_supported":["mcp:tools","mcp:resources"],"bearer_methods_supported":["header"]}`,
			reply: map[string]string{"content-type": "application/json", "access-control-allow-origin": "*"}, counter: policy.CounterMetadata},
		{name: "metadata/one trailing slash and a query tolerated", path: "/.well-known/oauth-protected-resource/mcp/?x=1", status: 200,
			counter: policy.CounterMetadata},
		{name: "metadata/found before resource resolution", path: "/.well-known/oauth-protected-resource/mcp",
			props: map[string]string{"vhost": "vh_b", "route": "route_tools"}, status: 200, counter: policy.CounterMetadata},
		{name: "metadata/HEAD has no body", method: "HEAD", path: "/.well-known/oauth-protected-resource/mcp", status: 200, body: "",
			reply: map[string]string{"content-type": "application/json"}, counter: policy.CounterMetadata},
		{name: "metadata/OPTIONS", method: "OPTIONS", path: "/.well-known/oauth-protected-resource/mcp",
			headers: [][2]string{{"origin", "https://app.example"}, {"access-control-request-method", "GET"}, {"access-control-request-headers", "mcp-protocol-version"}},
			status:  204, reply: map[string]string{"access-control-allow-origin": "*", "access-control-allow-methods": "GET, HEAD, OPTIONS",
				"access-control-allow-headers": "mcp-protocol-version", "access-control-max-age": "86400"}, counter: policy.CounterMetadata},
		{name: "metadata/POST is 405", method: "POST", path: "/.well-known/oauth-protected-resource/mcp", status: 405,
			reply: map[string]string{"allow": "GET, HEAD, OPTIONS"}, counter: policy.CounterMetadata},
		{name: "metadata/root form only for a root resource", path: "/.well-known/oauth-protected-resource", status: 401,
			www: `Bearer ` + metaA + `, scope="mcp:tools"`, counter: policy.DeniedCounter(policy.ReasonMissingToken)},
		{name: "metadata/root resource", authority: "canon.example.com", path: "/.well-known/oauth-protected-resource", status: 200,
			body:    `{"resource":"` + resCanon + `","authorization_servers":["` + issCorp + `"],"bearer_methods_supported":["header"]}`,
			counter: policy.CounterMetadata},
		{name: "metadata/another resource's metadata path is not served on this authority", authority: "mcp-b.example.com",
			path: "/.well-known/oauth-protected-resource/tools", props: map[string]string{"vhost": "vh_b"}, status: 401, www: `Bearer ` + metaB, counter: policy.DeniedCounter(policy.ReasonMissingToken)},
		{name: "metadata/each server its own document", authority: "mcp-b.example.com", path: "/.well-known/oauth-protected-resource/mcp",
			props: map[string]string{"vhost": "vh_b"}, status: 200,
			body:    `{"resource":"` + resB + `","authorization_servers":["` + issCorp + `","` + issPart + `"],"bearer_methods_supported":["header"]}`,
			counter: policy.CounterMetadata},
		{name: "metadata/authority normalised", authority: "MCP-A.example.com.:443", path: "/.well-known/oauth-protected-resource/mcp",
			status: 200, counter: policy.CounterMetadata},

		// ---- 5.2 CORS preflight.
		{name: "preflight/passed without token", method: "OPTIONS", authz: []string{"Bearer leaked"},
			headers: [][2]string{{"origin", "https://app.example"}, {"access-control-request-method", "POST"}},
			gone:    []string{"authorization"}, counter: policy.CounterPreflight},
		{name: "preflight/with a body needs a token", method: "OPTIONS", openBody: true,
			headers: [][2]string{{"origin", "https://mcp-a.example.com"}, {"access-control-request-method", "POST"}},
			status:  401, counter: policy.DeniedCounter(policy.ReasonMissingToken)},
		{name: "preflight/without Access-Control-Request-Method needs a token", method: "OPTIONS",
			headers: [][2]string{{"origin", "https://mcp-a.example.com"}}, status: 401, counter: policy.DeniedCounter(policy.ReasonMissingToken)},
		{name: "preflight/lower-case method is not OPTIONS", method: "options",
			headers: [][2]string{{"origin", "https://mcp-a.example.com"}, {"access-control-request-method", "POST"}},
			status:  401, counter: policy.DeniedCounter(policy.ReasonMissingToken)},

		// ---- 5.3 public paths.
		{name: "public/exact", path: "/healthz", authz: []string{"Bearer leaked"}, gone: []string{"authorization"}, counter: policy.CounterPublic},
		{name: "public/exact with query", path: "/healthz?verbose=1", counter: policy.CounterPublic},
		{name: "public/prefix", path: "/public/docs/a.txt", counter: policy.CounterPublic},
		{name: "public/prefix dir itself", path: "/public/", counter: policy.CounterPublic},
		{name: "public/prefix parent is not public", path: "/public", status: 401, counter: policy.DeniedCounter(policy.ReasonMissingToken)},
		{name: "public/exact is not a prefix", path: "/healthz/x", status: 401, counter: policy.DeniedCounter(policy.ReasonMissingToken)},
		{name: "public/traversal", path: "/public/../mcp", status: 401, counter: policy.DeniedCounter(policy.ReasonMissingToken)},
		{name: "public/encoded traversal", path: "/public/%2e%2e/mcp", status: 401, counter: policy.DeniedCounter(policy.ReasonMissingToken)},
		{name: "public/encoded slash", path: "/public%2Fx", status: 401, counter: policy.DeniedCounter(policy.ReasonMissingToken)},
		{name: "public/encoded slash inside prefix", path: "/public/a%2F..%2F..%2Fmcp", status: 401, counter: policy.DeniedCounter(policy.ReasonMissingToken)},
		{name: "public/double slash", path: "/public//x", status: 401, counter: policy.DeniedCounter(policy.ReasonMissingToken)},
		{name: "public/backslash", path: "/public/..\\mcp", status: 401, counter: policy.DeniedCounter(policy.ReasonMissingToken)},
		{name: "public/semicolon", path: "/healthz;x", status: 401, counter: policy.DeniedCounter(policy.ReasonMissingToken)},
		{name: "public/forward_token never forwards an unverified token", authority: "fwd.example.com", path: "/status",
			authz: []string{"Bearer kept"}, gone: []string{"authorization"}, counter: policy.CounterPublic},
		{name: "forward_token/allowed keeps Authorization", authority: "fwd.example.com",
			token: func(c *tctx) string { return c.rs(resFwd, nil) }, up: map[string]string{"authorization": "*"}, counter: policy.CounterAllowed},

		// ---- 5.7 claim-header spoofing on every kind of request.
		{name: "spoof/allowed request gets the real values", headers: spoofHeaders, token: a,
			up: allowedA, gone: []string{"x_mcp_client_id"}, counter: policy.CounterAllowed},
		{name: "spoof/repeated spoofed header all replaced", headers: [][2]string{{"x-mcp-subject", "a"}, {"x-mcp-subject", "b"}, {"x_mcp_subject", "c"}},
			token: a, up: allowedA, once: []string{"x-mcp-subject"}, gone: []string{"x_mcp_subject"}, counter: policy.CounterAllowed},
		{name: "preflight/every Authorization removed", method: "OPTIONS", authz: []string{"Bearer one", "Bearer two"},
			headers: [][2]string{{"origin", "https://app.example"}, {"access-control-request-method", "POST"}},
			gone:    []string{"authorization"}, counter: policy.CounterPreflight},
		{name: "spoof/denied request", headers: spoofHeaders, status: 401, gone: claimHeadersGone,
			counter: policy.DeniedCounter(policy.ReasonMissingToken)},
		{name: "spoof/metadata request", headers: spoofHeaders, path: "/.well-known/oauth-protected-resource/mcp", status: 200,
			gone: claimHeadersGone, counter: policy.CounterMetadata},
		{name: "spoof/preflight", method: "OPTIONS",
			headers: append([][2]string{{"origin", "o"}, {"access-control-request-method", "GET"}}, spoofHeaders...),
			gone:    claimHeadersGone, counter: policy.CounterPreflight},
		{name: "spoof/public path", headers: spoofHeaders, path: "/healthz", gone: claimHeadersGone, counter: policy.CounterPublic},
		{name: "spoof/unmatched", cfg: "nodefault", authority: "elsewhere.example.net", headers: spoofHeaders, status: 403,
			gone: claimHeadersGone, counter: policy.DeniedCounter(policy.ReasonUnmatchedResource)},
		{name: "spoof/on another resource's request", authority: "mcp-b.example.com", props: map[string]string{"vhost": "vh_b"},
			headers: spoofHeaders, token: func(c *tctx) string { return c.rs(resB, nil) }, gone: claimHeadersGone, counter: policy.CounterAllowed},

		// ---- 5.8 report mode.
		{name: "report/wrong audience passes, counted, logged at info", cfg: "report",
			token: func(c *tctx) string { return c.rs(resB, nil) }, up: map[string]string{"authorization": "*"},
			gone: []string{"x-mcp-subject"}, counter: policy.WouldDenyCounter(policy.ReasonWrongAudience), logHas: "would deny reason=wrong_audience"},
		{name: "report/missing token passes", cfg: "report", counter: policy.WouldDenyCounter(policy.ReasonMissingToken)},
		{name: "report/metadata not answered", cfg: "report", path: "/.well-known/oauth-protected-resource/mcp"},
		{name: "report/unmatched passes", cfg: "report", authority: "elsewhere.example.net",
			counter: policy.WouldDenyCounter(policy.ReasonUnmatchedResource)},
		{name: "report/allowed sets claim headers and keeps Authorization", cfg: "report", headers: spoofHeaders, token: a,
			up: merge(allowedA, map[string]string{"authorization": "*"}), counter: policy.CounterAllowed},
		{name: "report/spoofed headers removed on would-deny", cfg: "report", headers: spoofHeaders,
			gone: claimHeadersGone, counter: policy.WouldDenyCounter(policy.ReasonMissingToken)},
		{name: "report/preflight keeps Authorization", cfg: "report", method: "OPTIONS", authz: []string{"Bearer x"},
			headers: [][2]string{{"origin", "o"}, {"access-control-request-method", "GET"}},
			up:      map[string]string{"authorization": "Bearer x"}, counter: policy.CounterPreflight},
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
