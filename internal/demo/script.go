package demo

import (
	"time"

	"github.com/audguard/audguard/internal/mint"
)

// testKeys are the e2e test-only signing keys.
type testKeys struct{ rs, ec *mint.Key }

// step is one scripted request and the result it should get.
type step struct {
	name, method, authority, path, authorization string
	wantStatus                                   uint32
	wantCounter                                  string
}

const (
	issuer = "https://auth.example.com"
	resA   = "https://mcp-a.example.com/mcp"
	resB   = "https://mcp-b.example.com/mcp"
	hostA  = "mcp-a.example.com"
)

// claims returns access-token claims for aud around ModuleEpoch.
func claims(aud any, exp time.Duration) map[string]any {
	return map[string]any{
		"iss": issuer, "aud": aud, "sub": "demo-user", "client_id": "demo-client", "scope": "mcp:tools",
		"iat": ModuleEpoch.Add(-time.Minute).Unix(), "exp": ModuleEpoch.Add(exp).Unix(), "jti": "demo",
	}
}

// buildScript mints the tokens and lists the requests (envoy/demo-config.json:
// resources https://mcp-a.example.com/mcp and https://mcp-b.example.com/mcp,
// both requiring scope mcp:tools).
func buildScript(k *testKeys) ([]step, error) {
	var err error
	sign := func(key *mint.Key, c map[string]any, header map[string]any) string {
		if err != nil {
			return ""
		}
		var tok string
		tok, err = key.Sign(c, header)
		return "Bearer " + tok
	}
	okA := sign(k.rs, claims(resA, 10*time.Minute), nil)
	okEC := sign(k.ec, claims(resA, 10*time.Minute), nil)
	upper := sign(k.rs, claims("HTTPS://MCP-A.EXAMPLE.COM/mcp", 10*time.Minute), nil)
	forB := sign(k.rs, claims(resB, 10*time.Minute), nil)
	slash := sign(k.rs, claims(resA+"/", 10*time.Minute), nil)
	plain := sign(k.rs, claims("http://mcp-a.example.com/mcp", 10*time.Minute), nil)
	both := sign(k.rs, claims([]string{resA, resB}, 10*time.Minute), nil)
	expired := sign(k.rs, claims(resA, -10*time.Minute), nil)
	noScope := claims(resA, 10*time.Minute)
	delete(noScope, "scope")
	scopeless := sign(k.rs, noScope, nil)
	idToken := sign(k.rs, claims(resA, 10*time.Minute), map[string]any{"typ": "JWT"})
	if err != nil {
		return nil, err
	}
	none := "Bearer " + mint.B64([]byte(`{"alg":"none","typ":"at+jwt"}`)) + "." +
		mint.B64(mustJSON(claims(resA, 10*time.Minute))) + "."

	get := func(name, auth string, status uint32, counter string) step {
		return step{name: name, method: "GET", authority: hostA, path: "/mcp", authorization: auth,
			wantStatus: status, wantCounter: counter}
	}
	return []step{
		get("right audience (RS256)", okA, 0, "allowed"),
		get("right audience (ES256)", okEC, 0, "allowed"),
		get("upper-case scheme and host in aud", upper, 0, "allowed"),
		get("other server's token (aud mcp-b)", forB, 401, "denied.wrong_audience"),
		get("trailing-slash variant of aud", slash, 401, "denied.wrong_audience"),
		get("http instead of https in aud", plain, 401, "denied.wrong_audience"),
		get("aud names two servers", both, 401, "denied.extra_audience"),
		get("expired 10 minutes ago", expired, 401, "denied.expired"),
		get(`"alg": "none"`, none, 401, "denied.unsupported_algorithm"),
		get("typ JWT, not at+jwt", idToken, 401, "denied.wrong_token_type"),
		get("no mcp:tools scope", scopeless, 403, "denied.insufficient_scope"),
		get("missing token", "", 401, "denied.missing_token"),
		{name: "token in the query string", method: "GET", authority: hostA, path: "/mcp?access_token=x",
			wantStatus: 400, wantCounter: "denied.token_in_query"},
		{name: "metadata fetch (RFC 9728)", method: "GET", authority: hostA,
			path: "/.well-known/oauth-protected-resource/mcp", wantStatus: 200, wantCounter: "metadata"},
	}, nil
}
