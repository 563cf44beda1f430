package dpop

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/audguard/audguard/jwtlite"
)

// FuzzVerify: Verify never panics; every refusal has a reason; an accepted proof has the
// thumbprint of its jwk, a jti within bounds, an iat within the window, and verifies again
// (the caches change nothing). Seeds in testdata/fuzz/FuzzVerify: valid proofs for every key
// type, the RFC 9449 examples, and proofs failing each check.
func FuzzVerify(f *testing.F) {
	f.Add(rfcTokenProof, "POST", "https://server.example.com/token", "", int64(1562262616))
	f.Add(rfcResProof, "GET", "https://resource.example.org/protectedresource", rfcAccessToken, int64(1562262618))
	v, err := NewVerifier(Config{KeyCacheSize: 4})
	if err != nil {
		f.Fatal(err)
	}
	fresh, err := NewVerifier(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, proof, method, target, token string, unix int64) {
		now := time.Unix(unix, 0)
		req := Request{Method: method, Target: target, AccessToken: token}
		p, err := v.Verify(proof, req, now)
		if err != nil {
			if Reason(err) == "" || p.JKT != "" {
				t.Fatalf("refusal %v without reason, or with a proof", err)
			}
			return
		}
		if len(p.JTI) == 0 || len(p.JTI) > DefaultMaxJTIBytes || len(p.JKT) != ThumbprintLen {
			t.Fatalf("accepted proof %+v", p)
		}
		if d := now.Sub(p.IssuedAt); d > DefaultMaxAge || -d > DefaultMaxFuture {
			t.Fatalf("iat %v outside the window at %v", p.IssuedAt, now)
		}
		jwk, ok := headerJWK(v.parser.HeaderJSON())
		if !ok {
			t.Fatal("accepted without jwk")
		}
		if want, err := Thumbprint(bytes.Clone(jwk)); err != nil || want != p.JKT {
			t.Fatalf("JKT %s, Thumbprint %s (%v)", p.JKT, want, err)
		}
		jti, target := string(p.JTI), p.Target
		q, err := fresh.Verify(proof, req, now)
		if err != nil || q.JKT != p.JKT || string(q.JTI) != jti || q.Target != target || q.ReplayKey != ReplayKey(p.JKT, target, jti) {
			t.Fatalf("a fresh Verifier disagrees: %v", err)
		}
	})
}

// FuzzThumbprint: Thumbprint never panics, and agrees with a reference built with
// encoding/json (which keeps the last of duplicate members, so duplicates are skipped here:
// Thumbprint refuses them).
func FuzzThumbprint(f *testing.F) {
	f.Add([]byte(`{"kty":"RSA","n":"` + rfc7638N + `","e":"AQAB"}`))
	f.Add([]byte(`{"kty":"EC","crv":"P-256","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"}`))
	f.Add([]byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"x"}`))
	f.Add([]byte(`{"kty":"oct","k":"AAAA"}`))
	f.Fuzz(func(t *testing.T, jwk []byte) {
		got, err := Thumbprint(jwk)
		if err != nil {
			if got != "" || (err != ErrMalformed && err != ErrKeyUnusable) {
				t.Fatalf("%q, %v", got, err)
			}
			return
		}
		var m map[string]any
		if json.Unmarshal(jwk, &m) != nil {
			t.Fatalf("accepted %q, which encoding/json refuses", jwk)
		}
		var req []string
		switch m["kty"] {
		case "EC":
			req = []string{"crv", "kty", "x", "y"}
		case "OKP":
			req = []string{"crv", "kty", "x"}
		case "RSA":
			req = []string{"e", "kty", "n"}
		default:
			t.Fatalf("accepted kty %v", m["kty"])
		}
		var ref strings.Builder
		ref.WriteByte('{')
		for i, name := range req {
			s, ok := m[name].(string)
			if !ok {
				t.Fatalf("accepted without string %s", name)
			}
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(s)
			if i > 0 {
				ref.WriteByte(',')
			}
			ref.WriteString(`"` + name + `":` + strings.TrimSuffix(b.String(), "\n"))
		}
		ref.WriteByte('}')
		var tp thumbprinter
		sum, _ := tp.sum(jwk)
		if string(tp.in) != ref.String() {
			t.Fatalf("hash input %s, reference %s", tp.in, ref.String())
		}
		if b64(sum[:]) != got {
			t.Fatal("thumbprint is not the hash of the input")
		}
	})
}

// FuzzConfirmation: the binding helpers never panic and, on checked JSON, agree with each other.
func FuzzConfirmation(f *testing.F) {
	f.Add([]byte(`{"jkt":"` + rfcJKT + `"}`))
	f.Add([]byte(`{"jkt":"\u0030ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I","x5t#S256":"x"}`))
	f.Add([]byte(`{"jkt":1}`))
	f.Add([]byte(`[]`))
	p := Proof{JKT: rfcJKT}
	f.Fuzz(func(t *testing.T, cnf []byte) {
		jkt, bound, err := ParseConfirmation(cnf)
		if cnf != nil && jwtlite.CheckJSONObject(cnf) != nil {
			// Not a checked JSON object: CheckBearer and CheckDPoP only ever see cnf from
			// verified claims; ParseConfirmation refuses it.
			if err != ErrConfirmation || bound || jkt != "" {
				t.Fatalf("unchecked JSON accepted: %q %v %v", jkt, bound, err)
			}
			_, _ = CheckBearer(cnf), CheckDPoP(cnf, &p)
			return
		}
		bearer, dpop := CheckBearer(cnf), CheckDPoP(cnf, &p)
		switch {
		case err != nil:
			if err != ErrConfirmation || bearer != err || dpop != err || bound {
				t.Fatalf("%v %v %v", err, bearer, dpop)
			}
		case bound:
			if bearer != ErrDowngrade || len(jkt) != ThumbprintLen || (dpop == nil) != (jkt == rfcJKT) {
				t.Fatalf("bound %q: %v %v", jkt, bearer, dpop)
			}
		default:
			if bearer != nil || dpop != ErrNotBound || jkt != "" {
				t.Fatalf("unbound: %v %v", bearer, dpop)
			}
		}
	})
}

// FuzzNonce: Valid never panics, and accepts only the nonce issued for the slot.
func FuzzNonce(f *testing.F) {
	n, err := NewNonces(NonceConfig{Secret: bytes.Repeat([]byte{1}, SecretSize), Context: tgt})
	if err != nil {
		f.Fatal(err)
	}
	issued, _ := n.Issue(t0)
	f.Add([]byte(issued))
	f.Add([]byte("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
	f.Fuzz(func(t *testing.T, nonce []byte) {
		if n.Valid(nonce, t0) && string(nonce) != issued {
			t.Fatalf("accepted %q", nonce)
		}
	})
}
