package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTokenKeygenMintExplain: keygen writes a private JWK and prints the
// public JWK Set; a token minted with it passes explain against a config
// built from that set.
func TestTokenKeygenMintExplain(t *testing.T) {
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "key.jwk")
	code, jwks, errOut := cli(t, "", "token", "keygen", "--alg", "ES256", "--kid", "k1", "--out-private", keyPath)
	if code != 0 || !strings.Contains(errOut, "FOR DEMOS AND TESTS ONLY") {
		t.Fatalf("keygen: %d %s", code, errOut)
	}
	if strings.Contains(jwks, `"d"`) {
		t.Fatal("the printed JWK Set holds a private member")
	}
	if st, err := os.Stat(keyPath); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key file: %v %v", st, err)
	}
	if code, _, _ := cli(t, "", "token", "keygen", "--alg", "ES256", "--out-private", keyPath); code != exitInvalid {
		t.Error("keygen overwrote an existing file")
	}
	cfg := `{"issuers":[{"name":"demo","issuer":"https://issuer.test","jwks":` + jwks + `}],
		"resources":[{"resource":"https://mcp.test/mcp","default":true,"required_scopes":["mcp:tools"]}]}`
	cfgPath := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, tok, errOut := cli(t, "", "token", "mint", "--key", keyPath, "--iss", "https://issuer.test",
		"--aud", "https://mcp.test/mcp", "--scope", "mcp:tools", "--sub", "alice", "--now", "1750000000")
	if code != 0 || !strings.Contains(errOut, "FOR DEMOS AND TESTS ONLY") {
		t.Fatalf("mint: %d %s", code, errOut)
	}
	tok = strings.TrimSpace(tok)
	code, out, _ := cli(t, "", "explain", "--config", cfgPath, "--now", "1750000100", tok)
	if code != 0 || !strings.Contains(out, "result   allowed") {
		t.Fatalf("explain: %d\n%s", code, out)
	}
	var claims map[string]any
	payload := strings.Split(tok, ".")[1]
	if err := json.Unmarshal(mustB64(t, payload), &claims); err != nil {
		t.Fatal(err)
	}
	if claims["exp"].(float64) != 1750000600 || claims["client_id"] != "audguard-cli" || claims["jti"] == "" {
		t.Errorf("claims %v", claims)
	}
}

// TestTokenMintPEM mints with the committed test-only PEM keys; the demo
// configuration accepts the tokens.
func TestTokenMintPEM(t *testing.T) {
	for key, kid := range map[string]string{"rsa-test-only.key.pem": "e2e-rsa-1", "ec-p256-test-only.key.pem": "e2e-ec-1"} {
		code, tok, errOut := cli(t, "", "token", "mint", "--key", "../../e2e/keys/"+key, "--kid", kid,
			"--iss", "https://auth.example.com", "--aud", "https://mcp-a.example.com/mcp", "--scope", "mcp:tools", "--now", "1750000000")
		if code != 0 {
			t.Fatalf("%s: %d %s", key, code, errOut)
		}
		code, out, _ := cli(t, "", "explain", "--config", "../../envoy/demo-config.json", "--now", "1750000001", strings.TrimSpace(tok))
		if code != 0 {
			t.Errorf("%s: explain exit %d\n%s", key, code, out)
		}
	}
}

func TestTokenRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"keygen", "--alg", "HS256", "--out-private", filepath.Join(dir, "a")},
		{"keygen", "--alg", "XX1", "--out-private", filepath.Join(dir, "b")},
		{"keygen", "--alg", "ES256"},
		{"mint", "--key", "../../e2e/keys/jwks.json", "--iss", "i", "--aud", "a"},
		{"mint", "--key", "../../e2e/keys/rsa-test-only.key.pem", "--alg", "ES256", "--iss", "i", "--aud", "a"},
		{"mint", "--key", "../../e2e/keys/rsa-test-only.key.pem", "--iss", "i", "--aud", "a", "--lifetime", "-1m"},
		{"mint", "--key", "../../e2e/keys/rsa-test-only.key.pem", "--iss", "i"},
	} {
		if code, out, _ := cli(t, "", append([]string{"token"}, args...)...); code != exitInvalid || out != "" {
			t.Errorf("%q: exit %d, stdout %q", args, code, out)
		}
	}
}

// TestTokenDPoP: a token minted with --dpop-key is bound to that key
// (cnf.jkt, the same as --cnf-jkt with its thumbprint), and a proof from
// `token dpop-proof` with the token's ath passes explain --dpop at a DPoP
// resource; the same proof for another htu does not.
func TestTokenDPoP(t *testing.T) {
	dir := t.TempDir()
	keyPath, dpopKey := filepath.Join(dir, "key.jwk"), filepath.Join(dir, "dpop.jwk")
	_, jwks, _ := cli(t, "", "token", "keygen", "--alg", "ES256", "--kid", "k1", "--out-private", keyPath)
	if code, _, errOut := cli(t, "", "token", "keygen", "--alg", "EdDSA", "--out-private", dpopKey); code != 0 {
		t.Fatalf("keygen: %s", errOut)
	}
	cfg := `{"issuers":[{"name":"demo","issuer":"https://issuer.test","jwks":` + jwks + `}],
		"resources":[{"resource":"https://mcp.test/mcp","default":true,"dpop":"required"}]}`
	cfgPath := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	mintArgs := []string{"token", "mint", "--key", keyPath, "--iss", "https://issuer.test", "--aud", "https://mcp.test/mcp", "--sub", "alice", "--now", "1750000000"}
	code, tok, errOut := cli(t, "", append(mintArgs, "--dpop-key", dpopKey)...)
	if code != 0 {
		t.Fatalf("mint --dpop-key: %d %s", code, errOut)
	}
	tok = strings.TrimSpace(tok)
	var claims struct {
		Cnf struct {
			JKT string `json:"jkt"`
		} `json:"cnf"`
	}
	if err := json.Unmarshal(mustB64(t, strings.Split(tok, ".")[1]), &claims); err != nil || len(claims.Cnf.JKT) != 43 {
		t.Fatalf("cnf %+v, %v", claims, err)
	}
	code, tok2, _ := cli(t, "", append(mintArgs, "--cnf-jkt", claims.Cnf.JKT)...)
	var claims2 map[string]any
	if err := json.Unmarshal(mustB64(t, strings.Split(strings.TrimSpace(tok2), ".")[1]), &claims2); code != 0 || err != nil ||
		claims2["cnf"].(map[string]any)["jkt"] != claims.Cnf.JKT {
		t.Errorf("mint --cnf-jkt: exit %d, claims %v", code, claims2)
	}
	tokPath := filepath.Join(dir, "token.txt")
	if err := os.WriteFile(tokPath, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		htu, reason string
		code        int
	}{{"https://mcp.test/mcp", "", 0}, {"https://other.test/mcp", "invalid_dpop_proof", 1}} {
		code, proof, errOut := cli(t, tok, "token", "dpop-proof", "--key", dpopKey, "--htm", "GET", "--htu", c.htu,
			"--token", "-", "--iat", "1750000095", "--jti", "j-"+c.htu, "--nonce", "n1")
		if code != 0 || !strings.Contains(errOut, "FOR DEMOS AND TESTS ONLY") {
			t.Fatalf("dpop-proof: %d %s", code, errOut)
		}
		var p map[string]any
		if err := json.Unmarshal(mustB64(t, strings.Split(strings.TrimSpace(proof), ".")[1]), &p); err != nil ||
			p["htm"] != "GET" || p["htu"] != c.htu || p["iat"] != float64(1750000095) || p["nonce"] != "n1" || p["ath"] == nil {
			t.Errorf("proof claims %v, %v", p, err)
		}
		code, out, _ := cli(t, proof, "explain", "--config", cfgPath, "--now", "1750000100", "--dpop", "-", tok)
		if code != c.code || (c.reason != "" && !strings.Contains(out, "reason "+c.reason+" ")) {
			t.Errorf("explain --dpop (htu %s): exit %d\n%s", c.htu, code, out)
		}
	}
	// A proof made from the token file, without --iat, --jti: ath, now, a random jti.
	code, proof, _ := cli(t, "", "token", "dpop-proof", "--key", dpopKey, "--htm", "POST", "--htu", "https://mcp.test/mcp", "--token", tokPath)
	var p map[string]any
	if err := json.Unmarshal(mustB64(t, strings.Split(strings.TrimSpace(proof), ".")[1]), &p); code != 0 || err != nil || p["ath"] == nil || len(p["jti"].(string)) != 32 {
		t.Errorf("dpop-proof --token FILE: exit %d, claims %v", code, p)
	}
	for _, args := range [][]string{
		append(mintArgs[1:], "--cnf-jkt", "x", "--dpop-key", dpopKey),
		append(mintArgs[1:], "--dpop-key", filepath.Join(dir, "missing.jwk")),
		{"dpop-proof", "--key", dpopKey, "--htm", "GET"},
		{"dpop-proof", "--key", filepath.Join(dir, "missing.jwk"), "--htm", "GET", "--htu", "https://mcp.test/mcp"},
		{"dpop-proof", "--key", dpopKey, "--htm", "GET", "--htu", "https://mcp.test/mcp", "--iat", "soon"},
		{"dpop-proof", "--key", dpopKey, "--htm", "GET", "--htu", "https://mcp.test/mcp", "--token", "-"}, // empty stdin
	} {
		if code, out, _ := cli(t, "", append([]string{"token"}, args...)...); code != exitInvalid || out != "" {
			t.Errorf("%q: exit %d, stdout %q", args, code, out)
		}
	}
}
