package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/filter/policy"
	"github.com/audguard/audguard/internal/mint"
)

// explainNow is the fixed clock of every explain golden (--now).
var explainNow = time.Unix(1750000000, 0).UTC()

const (
	issA = "https://issuer.test"
	issB = "https://other-issuer.test"
	resA = "https://mcp.test/mcp"
	resB = "https://b.test/mcp"
	// DPoP resources (RFC 9449).
	dpopRes  = "https://dpop.test/mcp"
	nonceRes = "https://nonce.test/mcp"
)

// explainFixture writes a configuration with freshly generated keys: issuer
// "a" (ES256, kid k1, sub required) for https://mcp.test/mcp by authority,
// issuer "b" for https://b.test/mcp by route b_route; https://ops.test/mcp
// judges MCP operations by the JSON-RPC body (max_body_bytes 1024),
// https://ops-headers.test/mcp the same rules by the headers (mcp_body off).
// https://dpop.test/mcp accepts DPoP (dpop "allowed"), https://nonce.test/mcp
// requires it with server nonces (dpop_nonce, under a fixed
// dpop_nonce_secret, so the DPoP-Nonce at the fixed clock is too).
// Outputs never show key material, proofs or tokens, so the goldens do not
// depend on the keys (nor on ECDSA's random signatures).
func explainFixture(t *testing.T) (cfgPath string, a, forged, b *mint.Key) {
	t.Helper()
	var err error
	must := func(k *mint.Key, e error) *mint.Key {
		if e != nil {
			err = e
		}
		return k
	}
	a = must(mint.NewKey("ES256", "k1"))
	forged = must(mint.NewKey("ES256", "k1"))
	b = must(mint.NewKey("EdDSA", "b1"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := map[string]any{
		"dpop_nonce_secret": mint.B64([]byte("explain golden nonce secret, 32+ bytes long")),
		"issuers": []any{
			map[string]any{"name": "a", "issuer": issA, "jwks": json.RawMessage(mint.JWKS(a)), "required_claims": []string{"sub"}},
			map[string]any{"name": "b", "issuer": issB, "jwks": json.RawMessage(mint.JWKS(b)), "revoked_token_ids": []string{"leaked"}},
			map[string]any{"name": "r", "issuer": "https://remote.test", "jwks_uri": "http://127.0.0.1:9/jwks.json", "jwks_cluster": "remote"},
		},
		"resources": []any{
			map[string]any{"resource": resA, "authorities": []string{"mcp.test"}, "issuers": []string{"a"},
				"required_scopes": []string{"mcp:tools"}, "public_paths": []string{"/healthz"},
				"claim_headers": map[string]string{"sub": "x-mcp-subject", "scope": "x-mcp-scope"}},
			map[string]any{"resource": resB, "routes": []string{"b_route"}, "issuers": []string{"b"}},
			map[string]any{"resource": "https://remote.test/mcp", "authorities": []string{"remote.test"}, "issuers": []string{"r"}},
			map[string]any{"resource": "https://ops.test/mcp", "authorities": []string{"ops.test"}, "issuers": []string{"a"},
				"required_scopes": []string{"mcp:tools"},
				"scope_implies":   map[string][]string{"mcp:admin": {"mcp:write"}},
				"operations":      []any{map[string]any{"method": "tools/call", "name": "delete_forecast", "scopes": []string{"mcp:admin"}}},
				"allowed_origins": []string{"https://app.test"}, "max_body_bytes": 1024},
			// The same rules judged on the headers alone.
			map[string]any{"resource": "https://ops-headers.test/mcp", "authorities": []string{"ops-headers.test"}, "issuers": []string{"a"},
				"required_scopes": []string{"mcp:tools"},
				"scope_implies":   map[string][]string{"mcp:admin": {"mcp:write"}},
				"operations":      []any{map[string]any{"method": "tools/call", "name": "delete_forecast", "scopes": []string{"mcp:admin"}}},
				"mcp_body":        "off"},
			map[string]any{"resource": dpopRes, "authorities": []string{"dpop.test"}, "issuers": []string{"a"}, "dpop": "allowed"},
			map[string]any{"resource": nonceRes, "authorities": []string{"nonce.test"}, "issuers": []string{"a"},
				"dpop": "required", "dpop_algorithms": []string{"ES256", "EdDSA"}, "dpop_nonce": true},
		},
	}
	data, _ := json.Marshal(cfg)
	cfgPath = filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(cfgPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, a, forged, b
}

func baseClaims() map[string]any {
	return map[string]any{"iss": issA, "aud": resA, "sub": "alice", "scope": "mcp:tools",
		"iat": explainNow.Unix() - 60, "exp": explainNow.Unix() + 600}
}

func with(c map[string]any, kv ...any) map[string]any {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
		} else {
			c[kv[i].(string)] = kv[i+1]
		}
	}
	return c
}

// TestExplainGolden drives every reason of docs/responses.md#denials (and the passing
// outcomes) through `audguard explain`, compares with the goldens, and
// checks that the token's payload and signature never appear in the output.
func TestExplainGolden(t *testing.T) {
	cfgPath, a, forged, b := explainFixture(t)
	sign := func(k *mint.Key, c map[string]any, h map[string]any) string {
		tok, err := k.Sign(c, h)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := sign(a, baseClaims(), nil)
	ops := func(scope string) string {
		return sign(a, with(baseClaims(), "aud", "https://ops.test/mcp", "scope", scope), nil)
	}
	opsHeaders := func(scope string) string {
		return sign(a, with(baseClaims(), "aud", "https://ops-headers.test/mcp", "scope", scope), nil)
	}
	dir := filepath.Dir(cfgPath)
	bodyFile := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	call := func(id int, tool string) string {
		return `{"jsonrpc":"2.0","id":` + strconv.Itoa(id) + `,"method":"tools/call","params":{"name":"` + tool + `","arguments":{"city":"Oslo"}}}`
	}
	forecast := bodyFile("forecast.json", call(1, "get_forecast"))
	deletion := bodyFile("delete.json", call(2, "delete_forecast"))
	invalid := bodyFile("invalid.json", `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get_forecast","name":"delete_forecast"}}`)
	batch := bodyFile("batch.json", "["+call(4, "get_forecast")+","+call(5, "delete_forecast")+`,{"jsonrpc":"2.0","method":"notifications/initialized"}]`)
	big := `{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"get_forecast","arguments":{"text":"` + strings.Repeat("x", 1100) + `"}}}`
	bigFile := bodyFile("big.json", big)
	opsPost := []string{"--authority", "ops.test", "--method", "POST"}
	listReq := bodyFile("list.json", `{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{}}`)
	listResult := `{"jsonrpc":"2.0","id":7,"result":{"tools":[{"name":"get_forecast","inputSchema":{"type":"object"}},{"name":"delete_forecast","inputSchema":{"type":"object"}}]}}`
	listJSON := bodyFile("tools.json", listResult+"\n")
	listSSE := bodyFile("tools.sse", "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":1}}\n\nevent: message\ndata: "+listResult+"\n\n")
	plus := func(base []string, more ...string) []string { return append(append([]string{}, base...), more...) }
	stdin := map[string]string{"body_too_large": big} // by case
	remoteSet := filepath.Join(filepath.Dir(cfgPath), "remote-jwks.json")
	if err := os.WriteFile(remoteSet, mint.JWKS(b), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		token  string
		args   []string
		code   int
		reason string // "" when the request passes, or is held
	}{
		{"allowed", good, nil, 0, ""},
		{"allowed_by_route", sign(b, with(baseClaims(), "iss", issB, "aud", resB), nil), []string{"--route", "b_route", "--authority", "b.test"}, 0, ""},
		{"metadata", "", []string{"--path", "/.well-known/oauth-protected-resource/mcp"}, 0, ""},
		{"public_path", "", []string{"--path", "/healthz"}, 0, ""},
		{"missing_token", "", nil, 1, "missing_token"},
		{"invalid_request", "two words", nil, 1, "invalid_request"},
		{"token_in_query", good, []string{"--path", "/mcp?access_token=x"}, 1, "token_in_query"},
		{"malformed_token", "abc.def", nil, 1, "malformed_token"},
		{"token_too_large", strings.Repeat("a", 9000), nil, 1, "token_too_large"},
		{"unsupported_algorithm", mint.B64([]byte(`{"alg":"none","typ":"at+jwt"}`)) + "." + mint.B64(mustJSON(t, baseClaims())) + ".", nil, 1, "unsupported_algorithm"},
		{"unknown_key", sign(a, baseClaims(), map[string]any{"kid": "nope"}), nil, 1, "unknown_key"},
		{"bad_signature", sign(forged, baseClaims(), nil), nil, 1, "bad_signature"},
		{"unknown_issuer", sign(b, with(baseClaims(), "iss", issB), nil), nil, 1, "unknown_issuer"},
		{"expired", sign(a, with(baseClaims(), "exp", explainNow.Unix()-3600), nil), nil, 1, "expired"},
		{"not_yet_valid", sign(a, with(baseClaims(), "nbf", explainNow.Unix()+3600), nil), nil, 1, "not_yet_valid"},
		{"issued_in_future", sign(a, with(baseClaims(), "iat", explainNow.Unix()+3600), nil), nil, 1, "issued_in_future"},
		{"wrong_token_type", sign(a, baseClaims(), map[string]any{"typ": "JWT"}), nil, 1, "wrong_token_type"},
		{"missing_claim", sign(a, with(baseClaims(), "sub", nil), nil), nil, 1, "missing_claim"},
		{"wrong_audience", sign(a, with(baseClaims(), "aud", resA+"/"), nil), nil, 1, "wrong_audience"},
		{"extra_audience", sign(a, with(baseClaims(), "aud", []string{resA, resB}), nil), nil, 1, "extra_audience"},
		{"insufficient_scope", sign(a, with(baseClaims(), "scope", "mcp:read"), nil), nil, 1, "insufficient_scope"},
		{"unmatched_resource", good, []string{"--authority", "nowhere.test"}, 1, "unmatched_resource"},
		{"revoked", sign(b, with(baseClaims(), "iss", issB, "aud", resB, "jti", "leaked"), nil), []string{"--route", "b_route", "--authority", "b.test"}, 1, "revoked"},
		// --offline: the issuer's jwks_uri is not fetched, so it has no keys.
		{"keys_unavailable", sign(b, with(baseClaims(), "iss", "https://remote.test", "aud", "https://remote.test/mcp"), nil), []string{"--authority", "remote.test", "--offline"}, 1, "keys_unavailable"},
		{"remote_keys_from_file", sign(b, with(baseClaims(), "iss", "https://remote.test", "aud", "https://remote.test/mcp", "scope", ""), nil),
			[]string{"--authority", "remote.test", "--jwks", remoteSet}, 0, ""},
		// explain fetches the jwks_uri of the token's issuer (here from a
		// stand-in transport: the fixture's URL is never dialled).
		{"remote_keys_fetched", sign(b, with(baseClaims(), "iss", "https://remote.test", "aud", "https://remote.test/mcp", "scope", ""), nil),
			[]string{"--authority", "remote.test"}, 0, ""},
		{"remote_keys_fetch_failed", sign(b, with(baseClaims(), "iss", "https://remote.test", "aud", "https://remote.test/mcp", "scope", ""), nil),
			[]string{"--authority", "remote.test"}, 1, ""},
		// A typical IdP token: typ JWT, aud the host without the resource's
		// path, no scope: every failure is listed, the first decides.
		{"idp_token", sign(a, with(baseClaims(), "aud", "https://mcp.test", "scope", "openid profile"), map[string]any{"typ": "JWT"}), nil, 1, "wrong_token_type"},
		// A metadata request the filter refuses (405) is not a pass.
		{"metadata_405", "", []string{"--path", "/.well-known/oauth-protected-resource/mcp", "--method", "POST"}, 1, ""},
		{"forbidden_origin", good, []string{"--authority", "ops.test", "-H", "Origin: https://evil.test"}, 1, "forbidden_origin"},
		{"invalid_mcp_headers", good, plus(opsPost, "--mcp-method", "tools/call", "--mcp-name", "=?base64?not base64?="), 1, "invalid_mcp_headers"},
		// Operations judged on the headers (mcp_body off).
		{"operation_scope", opsHeaders("mcp:tools mcp:write"),
			[]string{"--authority", "ops-headers.test", "--method", "POST", "--mcp-method", "tools/call", "--mcp-name", "delete_forecast"}, 1, "insufficient_scope"},
		{"operation_allowed", opsHeaders("mcp:tools mcp:admin"),
			[]string{"--authority", "ops-headers.test", "--method", "POST", "--mcp-method", "tools/call", "--mcp-name", "delete_forecast"}, 0, ""},
		{"body_not_read", opsHeaders("mcp:tools"),
			[]string{"--authority", "ops-headers.test", "--method", "POST", "--mcp-method", "tools/call", "--mcp-name", "get_forecast", "--body", deletion}, 0, ""},
		// Operations judged on the JSON-RPC body (mcp_body verify).
		{"body_held", ops("mcp:tools mcp:write"), plus(opsPost, "--mcp-method", "tools/call", "--mcp-name", "delete_forecast"), 1, ""},
		{"body_allowed", ops("mcp:tools"), plus(opsPost, "--mcp-method", "tools/call", "--mcp-name", "get_forecast", "--body", forecast), 0, ""},
		{"body_operation_scope", ops("mcp:tools mcp:write"), plus(opsPost, "--mcp-method", "tools/call", "--mcp-name", "delete_forecast", "--body", deletion), 1, "insufficient_scope"},
		{"header_mismatch", ops("mcp:tools"), plus(opsPost, "--mcp-method", "tools/call", "--mcp-name", "get_forecast", "--body", deletion), 1, "header_mismatch"},
		{"invalid_mcp_body", ops("mcp:tools"), plus(opsPost, "--mcp-version", "2025-06-18", "--body", invalid), 1, "invalid_mcp_body"},
		{"body_batch", ops("mcp:tools mcp:admin"), plus(opsPost, "--mcp-version", "2025-03-26", "--body", batch), 0, ""},
		{"body_too_large", ops("mcp:tools"), plus(opsPost, "--mcp-method", "tools/call", "--mcp-name", "get_forecast", "--body", "-"), 1, "body_too_large"},
		{"body_too_large_length", ops("mcp:tools"), plus(opsPost, "--mcp-method", "tools/call", "--mcp-name", "get_forecast", "--body", bigFile), 1, "body_too_large"},
		// --response: the answer to a list request, shaped as the filter
		// would (shape_lists is on by default with operations).
		{"list_read_only", ops("mcp:tools"), plus(opsPost, "--mcp-method", "tools/list", "--body", listReq, "--response", listJSON), 0, ""},
		{"list_admin", ops("mcp:tools mcp:admin"), plus(opsPost, "--mcp-method", "tools/list", "--body", listReq, "--response", listJSON), 0, ""},
		{"list_sse", ops("mcp:tools"), plus(opsPost, "--mcp-method", "tools/list", "--body", listReq, "--response", listSSE), 0, ""},
		{"list_not_list", ops("mcp:tools"), plus(opsPost, "--mcp-method", "tools/call", "--mcp-name", "get_forecast", "--body", forecast, "--response", listJSON), 0, ""},
	}
	// DPoP: a proof key, a token bound to it (cnf.jkt), proofs in files.
	pk, err := mint.NewKey("ES256", "")
	if err != nil {
		t.Fatal(err)
	}
	bound := func(aud string) string {
		return sign(a, with(baseClaims(), "aud", aud, "scope", "mcp:tools", "cnf", map[string]any{"jkt": pk.Thumbprint()}), nil)
	}
	dpopTok, nonceTok := bound(dpopRes), bound(nonceRes)
	proof := func(name, htu, token string) string {
		p, err := pk.DPoPProof(map[string]any{"jti": "proof-" + name, "htm": "GET", "htu": htu, "iat": explainNow.Unix() - 5, "ath": mint.TokenHash(token)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return bodyFile(name+".dpop", p+"\n")
	}
	dpopArgs := func(file string, more ...string) []string {
		return append([]string{"--authority", "dpop.test", "--dpop", file}, more...)
	}
	goodProof := proof("good", dpopRes, dpopTok)
	cases = append(cases, []struct {
		name   string
		token  string
		args   []string
		code   int
		reason string
	}{
		{"dpop_allowed", dpopTok, dpopArgs(goodProof), 0, ""},
		// A proof made for another URL (htu).
		{"invalid_dpop_proof", dpopTok, dpopArgs(proof("wrong-htu", "https://other.test/mcp", dpopTok)), 1, "invalid_dpop_proof"},
		// The same request twice to one filter instance: the proof's second sight.
		{"dpop_replayed", dpopTok, dpopArgs(goodProof, "--repeat", "2"), 1, "dpop_replayed"},
		// A resource with dpop_nonce: a proof without the nonce gets 401 and the DPoP-Nonce.
		{"use_dpop_nonce", nonceTok, []string{"--authority", "nonce.test", "--dpop", proof("no-nonce", nonceRes, nonceTok)}, 1, "use_dpop_nonce"},
		// A DPoP-bound token presented as a Bearer token: the downgrade (RFC 9449 §7.2).
		{"dpop_binding", dpopTok, []string{"--authority", "dpop.test"}, 1, "dpop_binding"},
	}...)
	proofParts := map[string][]string{}
	for _, c := range cases {
		for i, arg := range c.args {
			if arg == "--dpop" {
				data, _ := os.ReadFile(c.args[i+1])
				proofParts[c.name] = strings.Split(strings.TrimSpace(string(data)), ".")
			}
		}
	}
	transports := map[string]http.RoundTripper{
		"remote_keys_fetched":      serveSet{200, mint.JWKS(b)},
		"remote_keys_fetch_failed": serveSet{404, []byte(`{"error":"not found"}`)},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			keysTransport = transports[c.name]
			if keysTransport == nil {
				keysTransport = refuseDial{t}
			}
			defer func() { keysTransport = nil }()
			args := append([]string{"explain", "--config", cfgPath, "--now", "1750000000"}, c.args...)
			code, out, errOut := cli(t, stdin[c.name], append(args, c.token)...)
			if code != c.code {
				t.Fatalf("exit %d, want %d; stderr %s\n%s", code, c.code, errOut, out)
			}
			out = strings.ReplaceAll(out, cfgPath, "CONFIG")
			out = strings.ReplaceAll(out, dir+string(filepath.Separator), "")
			golden(t, "explain/"+c.name+".golden", out)
			if c.reason != "" {
				if !strings.Contains(out, "reason "+c.reason+" ") {
					t.Errorf("output does not name reason %s:\n%s", c.reason, out)
				}
				seen[c.reason] = true
			}
			parts := strings.Split(c.token, ".")
			if len(parts) == 3 {
				for i, p := range parts[1:] {
					if len(p) > 8 && strings.Contains(out, p) {
						t.Errorf("output shows token part %d", i+2)
					}
				}
			}
			if len(c.token) > 8 && strings.Contains(out, c.token) {
				t.Error("output shows the token")
			}
			for i, p := range proofParts[c.name] {
				if len(p) > 8 && strings.Contains(out, p) {
					t.Errorf("output shows DPoP proof part %d", i+1)
				}
			}
		})
	}
	for _, r := range policy.Reasons() {
		if !seen[r.String()] {
			t.Errorf("reason %s not covered", r)
		}
	}
}

// TestExplainStdin reads the token from stdin with "-" and accepts RFC 3339 --now.
func TestExplainStdin(t *testing.T) {
	cfgPath, a, _, _ := explainFixture(t)
	tok, err := a.Sign(baseClaims(), nil)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli(t, tok+"\n", "explain", "--config", cfgPath, "--now", explainNow.Format(time.RFC3339), "-")
	if code != 0 || !strings.Contains(out, "result   allowed") || !strings.Contains(out, "x-mcp-subject: alice") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, p := range strings.Split(tok, ".")[1:] {
		if strings.Contains(out, p) {
			t.Fatal("token part in output")
		}
	}
	if code, _, _ := cli(t, "", "explain", "--config", cfgPath, "--now", "yesterday", ""); code != exitInvalid {
		t.Errorf("bad --now: exit %d", code)
	}
	if code, _, _ := cli(t, "", "explain", "--config", "testdata/check/invalid-canonical.json", ""); code != exitInvalid {
		t.Errorf("invalid config: exit %d", code)
	}
}

func TestParseNow(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1750000000": 1750000000, "2025-06-15T15:06:40Z": 1750000000, "2025-06-15T17:06:40+02:00": 1750000000} {
		got, err := parseNow(in)
		if err != nil || got.Unix() != want {
			t.Errorf("parseNow(%q) = %v, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "soon", "2025-06-15", "1.5"} {
		if _, err := parseNow(in); err == nil {
			t.Errorf("parseNow(%q) accepted", in)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestExplainBody: --body from stdin on nginx (the body announced by a
// chunked transfer-encoding, as ngx_wasm_module's filter needs), and the
// usage errors of --body.
func TestExplainBody(t *testing.T) {
	cfgPath, a, _, _ := explainFixture(t)
	tok, err := a.Sign(with(baseClaims(), "aud", "https://ops.test/mcp", "scope", "mcp:tools mcp:admin"), nil)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_forecast"}}`
	args := []string{"explain", "--config", cfgPath, "--now", "1750000000", "--proxy", "nginx", "--authority", "ops.test", "--method", "POST",
		"--mcp-method", "tools/call", "--mcp-name", "delete_forecast", "--body", "-", tok}
	code, out, errOut := cli(t, body, args...)
	if code != 0 || !strings.Contains(out, "transfer-encoding: chunked (added by explain") ||
		!strings.Contains(out, `request "tools/call" name "delete_forecast": needs ["mcp:tools", "mcp:admin"]`) ||
		!strings.Contains(out, "result   allowed") {
		t.Errorf("nginx, body from stdin: exit %d, stderr %q\n%s", code, errOut, out)
	}
	// Without a transfer-encoding (-H content-length: 0), nginx's filter
	// judges the request as having no body at once.
	code, out, _ = cli(t, body, append(args[:len(args)-1:len(args)-1], "-H", "content-length: 0", tok)...)
	if code != 1 || !strings.Contains(out, "reason invalid_mcp_body") || !strings.Contains(out, "judged as an empty body") {
		t.Errorf("nginx, content-length 0: exit %d\n%s", code, out)
	}
	for _, bad := range [][]string{
		{"--body", "-", "-"}, // both on stdin
		{"--body", filepath.Join(t.TempDir(), "missing.json"), tok}, // no such file
	} {
		code, out, errOut := cli(t, tok, append([]string{"explain", "--config", cfgPath, "--authority", "ops.test", "--method", "POST"}, bad...)...)
		if code != exitInvalid || out != "" || !strings.Contains(errOut, "--body") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", bad, code, out, errOut)
		}
	}
}

// serveSet is an HTTP transport answering every request with status and
// body: explain's fetch of a jwks_uri in the goldens.
type serveSet struct {
	status int
	body   []byte
}

func (s serveSet) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: s.status, Status: strconv.Itoa(s.status) + " " + http.StatusText(s.status),
		Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(s.body)), Request: r}, nil
}

// refuseDial fails a test that fetches anything.
type refuseDial struct{ t *testing.T }

func (d refuseDial) RoundTrip(r *http.Request) (*http.Response, error) {
	d.t.Errorf("explain fetched %s", r.URL)
	return nil, http.ErrHandlerTimeout
}

// TestExplainJSON: --json prints the explanation as one object: the same
// verdict, every failure with its fix and docs section, and the exit status.
func TestExplainJSON(t *testing.T) {
	cfgPath, a, _, _ := explainFixture(t)
	tok, err := a.Sign(with(baseClaims(), "aud", "https://mcp.test", "scope", "openid"), map[string]any{"typ": "JWT"})
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli(t, "", "explain", "--json", "--config", cfgPath, "--now", "1750000000", tok)
	if code != 1 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	golden(t, "explain/idp_token.json.golden", strings.ReplaceAll(out, cfgPath, "CONFIG"))
	var rep explainReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, f := range rep.Failures {
		reasons = append(reasons, f.Reason)
		if f.Fix == "" || f.Docs != "docs/troubleshooting.md#"+f.Reason {
			t.Errorf("failure %+v", f)
		}
	}
	if strings.Join(reasons, " ") != "wrong_token_type wrong_audience insufficient_scope" || !rep.Failures[0].Decides || rep.Failures[1].Decides ||
		rep.Result.Reason != "wrong_token_type" || rep.Result.Status != 401 || rep.Result.Passes || rep.Exit != 1 {
		t.Errorf("failures %q, result %+v, exit %d", reasons, rep.Result, rep.Exit)
	}
	for _, p := range strings.Split(tok, ".")[1:] {
		if strings.Contains(out, p) {
			t.Error("--json shows the token")
		}
	}
	// The text and the JSON tell the same: each failure, fix and link.
	_, text, _ := cli(t, "", "explain", "--config", cfgPath, "--now", "1750000000", tok)
	for _, f := range rep.Failures {
		for _, want := range []string{f.Reason + " (" + f.Check + "): " + f.Detail, "fix: " + f.Fix, "see " + f.Docs} {
			if !strings.Contains(text, want) {
				t.Errorf("text lacks %q", want)
			}
		}
	}
}

// TestExplainFailuresDocumented: every reason's fix names a section of
// docs/troubleshooting.md that exists (TestMessagesCiteDocs checks the
// sections the sources cite; these are built from the reason's name).
func TestExplainFailuresDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "troubleshooting.md"))
	if err != nil {
		t.Fatal(err)
	}
	tf := &tokenFacts{cfg: &config.Plugin{MaxTokenBytes: 8192}}
	for _, r := range policy.Reasons() {
		if !strings.Contains(string(doc), "\n### `"+r.String()+"`\n") {
			t.Errorf("docs/troubleshooting.md has no section for %s", r)
		}
		if fix := fixFor(r, tf, "", &explainOptions{}); fix == "" || strings.HasPrefix(fix, "follow the usual causes") {
			t.Errorf("%s: fix %q", r, fix)
		}
	}
}
