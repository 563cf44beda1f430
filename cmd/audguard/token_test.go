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
