package dpop

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dpopNPMVersion pins the npm package "dpop" (Filip Skokan, "DPoP (RFC9449) for JavaScript
// Runtimes", https://github.com/panva/dpop) the interop test generates proofs with.
const dpopNPMVersion = "2.1.2"

// interopScript generates proofs with the npm package for each algorithm it offers (it names
// Ed25519 keys' algorithm "Ed25519", RFC 9864) and prints them as JSON with the thumbprint the
// package computes.
const interopScript = `
import * as DPoP from 'dpop';
const args = JSON.parse(process.argv[2]);
const out = [];
for (const alg of ['ES256', 'Ed25519', 'PS256', 'RS256']) {
  let kp;
  try {
    kp = await DPoP.generateKeyPair(alg, { extractable: true });
  } catch (e) {
    out.push({ alg, error: String(e) });
    continue;
  }
  const jkt = await DPoP.calculateThumbprint(kp.publicKey);
  out.push({
    alg, jkt,
    plain: await DPoP.generateProof(kp, args.htu, args.htm),
    withToken: await DPoP.generateProof(kp, args.htu, args.htm, undefined, args.token),
    withNonce: await DPoP.generateProof(kp, args.htu, args.htm, args.nonce, args.token),
    withQuery: await DPoP.generateProof(kp, args.htu + '?page=2#top', args.htm, undefined, args.token),
    extra: await DPoP.generateProof(kp, args.htu, args.htm, undefined, args.token, { extra: { a: [1, 2] } }),
  });
}
console.log(JSON.stringify(out));
`

type interopProofs struct {
	Alg       string `json:"alg"`
	Error     string `json:"error"`
	JKT       string `json:"jkt"`
	Plain     string `json:"plain"`
	WithToken string `json:"withToken"`
	WithNonce string `json:"withNonce"`
	WithQuery string `json:"withQuery"`
	Extra     string `json:"extra"`
}

// TestInteropNPMDPoP verifies proofs made by the npm package "dpop" (pinned above): ES256 and
// Ed25519 (EdDSA) at least, with and without ath and nonce; and checks that the same proofs,
// tampered with or presented for another request, are refused. It needs node and npm on PATH
// and network access for the install; without them it skips (it never fails for their lack).
func TestInteropNPMDPoP(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the npm interop test (it installs dpop@" + dpopNPMVersion + ")")
	}
	node, err1 := exec.LookPath("node")
	npm, err2 := exec.LookPath("npm")
	if err1 != nil || err2 != nil {
		t.Skip("node and npm are not both on PATH: skipping the interop test with the npm package dpop@" + dpopNPMVersion)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	install := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--ignore-scripts",
		"--no-package-lock", "--fetch-retries=1", "--fetch-timeout=30000", "--prefix", dir, "dpop@"+dpopNPMVersion)
	install.Dir = dir
	install.Env = append(os.Environ(), "npm_config_update_notifier=false")
	if out, err := install.CombinedOutput(); err != nil {
		t.Skipf("npm install dpop@%s failed (no network?): skipping the interop test: %v\n%s", dpopNPMVersion, err, tail(out))
	}
	script := filepath.Join(dir, "gen.mjs")
	if err := os.WriteFile(script, []byte(interopScript), 0o600); err != nil {
		t.Fatal(err)
	}

	nonces, err := NewNonces(NonceConfig{Context: tgt})
	if err != nil {
		t.Fatal(err)
	}
	nonce, err := nonces.Issue(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	args, _ := json.Marshal(map[string]string{"htu": tgt, "htm": "POST", "token": accessTok, "nonce": nonce})
	gen := exec.CommandContext(ctx, node, script, string(args))
	gen.Dir = dir
	out, err := gen.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("node %s: %v\n%s", script, err, tail(stderr))
	}
	var sets []interopProofs
	if err := json.Unmarshal(out, &sets); err != nil {
		t.Fatalf("reading the proofs: %v\n%s", err, tail(out))
	}
	now := time.Now()
	verified := map[string]bool{}
	for _, s := range sets {
		if s.Error != "" {
			if s.Alg == "ES256" || s.Alg == "Ed25519" {
				t.Errorf("%s: node could not make a key: %s", s.Alg, s.Error)
			} else {
				t.Logf("%s: node could not make a key, not tested: %s", s.Alg, s.Error)
			}
			continue
		}
		t.Run(s.Alg, func(t *testing.T) {
			v := newVerifier(t, Config{})
			vn := newVerifier(t, Config{Nonce: nonces})
			replay := newReplaySet(t, ReplayConfig{})
			noToken := Request{Method: "POST", Target: tgt}
			accept := []struct {
				name  string
				v     *Verifier
				proof string
				req   Request
			}{
				{"without ath", v, s.Plain, noToken},
				{"with ath", v, s.WithToken, baseReq},
				{"with ath and nonce", vn, s.WithNonce, baseReq},
				{"htu with query and fragment", v, s.WithQuery, baseReq},
				{"extra claims", v, s.Extra, baseReq},
			}
			for _, c := range accept {
				p, err := c.v.Verify(c.proof, c.req, now)
				if err != nil {
					t.Errorf("%s: Verify = %v", c.name, err)
					continue
				}
				if p.JKT != s.JKT {
					t.Errorf("%s: JKT %s, the package computes %s", c.name, p.JKT, s.JKT)
				}
				if err := CheckDPoP([]byte(`{"jkt":"`+s.JKT+`"}`), &p); err != nil {
					t.Errorf("%s: CheckDPoP = %v", c.name, err)
				}
				if replay.Seen(&p, now) {
					t.Errorf("%s: first use reported as a replay", c.name)
				}
			}
			if p, err := v.Verify(s.WithToken, baseReq, now); err != nil || !replay.Seen(&p, now) {
				t.Errorf("second use of a proof not reported as a replay: %v", err)
			}
			parts := strings.Split(s.WithToken, ".")
			refuse := []struct {
				name  string
				v     *Verifier
				proof string
				req   Request
				want  error
			}{
				{"signature flipped", v, parts[0] + "." + parts[1] + "." + flip(parts[2]), baseReq, ErrSignature},
				{"payload of another proof", v, parts[0] + "." + strings.Split(s.Plain, ".")[1] + "." + parts[2], baseReq, ErrSignature},
				{"other method", v, s.WithToken, Request{Method: "GET", Target: tgt, AccessToken: accessTok}, ErrMethod},
				{"other target", v, s.WithToken, Request{Method: "POST", Target: "https://mcp.example.com/other", AccessToken: accessTok}, ErrTarget},
				{"other token", v, s.WithToken, Request{Method: "POST", Target: tgt, AccessToken: "other"}, ErrTokenHash},
				{"ath missing", v, s.Plain, baseReq, ErrTokenHash},
				{"nonce missing", vn, s.WithToken, baseReq, ErrNonce},
				{"too late", v, s.WithToken, baseReq, ErrIssuedAt},
			}
			for _, c := range refuse {
				at := now
				if c.name == "too late" {
					at = now.Add(DefaultMaxAge + 2*time.Second)
				}
				if _, err := c.v.Verify(c.proof, c.req, at); err != c.want {
					t.Errorf("%s: Verify = %v, want %v", c.name, err, c.want)
				}
			}
			if err := CheckDPoP([]byte(`{"jkt":"`+rfcJKT+`"}`), &Proof{JKT: s.JKT}); err != ErrKeyMismatch {
				t.Errorf("token bound to another key: %v", err)
			}
			verified[s.Alg] = !t.Failed()
		})
	}
	t.Logf("dpop@%s proofs verified: %v", dpopNPMVersion, verified)
	if !verified["ES256"] || !verified["Ed25519"] {
		t.Errorf("ES256 and Ed25519 proofs must both verify: %v", verified)
	}
}

// flip changes the first character of a base64url string to another one.
func flip(s string) string {
	c := byte('A')
	if s[0] == 'A' {
		c = 'B'
	}
	return string(c) + s[1:]
}

func tail(b []byte) string {
	const n = 2000
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
