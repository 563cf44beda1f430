package dpop

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/audguard/audguard/jwtlite"
)

// Allocation budgets of the request path after warm-up (the client's key parsed and cached,
// the target seen). Verify itself allocates nothing: what ES256 allocates is the signature
// check, jwtlite's Key.Verify (measured beside it as the budget): the standard library's
// ecdsa.VerifyASN1 and jwtlite's DER buffers; EdDSA and everything else allocate nothing.
func TestAllocations(t *testing.T) {
	testKeys(t)
	nonces, err := NewNonces(NonceConfig{Secret: []byte(strings.Repeat("s", 32)), Context: tgt})
	if err != nil {
		t.Fatal(err)
	}
	nonce, _ := nonces.Issue(t0)
	withNonce := func(c map[string]any) { c["nonce"] = nonce }
	v := newVerifier(t, Config{Nonce: nonces})
	es := mint(t, spec{claims: withNonce})
	ed := mint(t, spec{alg: jwtlite.EdDSA, claims: withNonce})
	r := newReplaySet(t, ReplayConfig{Capacity: 1024})
	var p Proof
	cnf := []byte(`{"jkt":"` + rfcJKT + `"}`)
	rfcProof := Proof{JKT: rfcJKT}
	i := 0

	// The standard library's ECDSA P-256 verification of the same signature, for scale.
	sigES := strings.Split(es, ".")
	input := []byte(sigES[0] + "." + sigES[1])
	sum := sha256.Sum256(input)
	raw := mustB64(t, sigES[2])
	rr, ss := new(big.Int).SetBytes(raw[:32]), new(big.Int).SetBytes(raw[32:])
	der, err := asn1.Marshal(struct{ R, S *big.Int }{rr, ss})
	if err != nil {
		t.Fatal(err)
	}
	// jwtlite verifies with ecdsa.VerifyASN1 (ecdsa.Verify adds the DER encoding of r, s).
	bareES := testing.AllocsPerRun(200, func() {
		if !ecdsa.VerifyASN1(&p256.PublicKey, sum[:], der) {
			t.Fatal("bare verify")
		}
	})
	t.Logf("ecdsa.VerifyASN1: %v allocations per run; ecdsa.Verify: %v", bareES, testing.AllocsPerRun(200, func() {
		ecdsa.Verify(&p256.PublicKey, sum[:], rr, ss)
	}))

	// The whole signature check as Verify runs it: jwtlite's Key.Verify re-encodes R||S as DER
	// for ecdsa.VerifyASN1.
	jk, _, err := jwtlite.ParseKey([]byte(marshal(t, publicJWK(p256))), []jwtlite.Algorithm{jwtlite.ES256})
	if err != nil {
		t.Fatal(err)
	}
	keyVerify := testing.AllocsPerRun(200, func() {
		if jk.Verify(jwtlite.ES256, input, raw) != nil {
			t.Fatal("Key.Verify")
		}
	})
	t.Logf("jwtlite Key.Verify ES256: %v allocations per run", keyVerify)

	cases := []struct {
		name   string
		budget float64 // allocations allowed per run
		fn     func()
	}{
		{"Verify ES256", keyVerify, func() {
			var err error
			if p, err = v.Verify(es, baseReq, t0); err != nil {
				t.Fatal(err)
			}
		}},
		{"Verify EdDSA", 0, func() {
			if _, err := v.Verify(ed, baseReq, t0); err != nil {
				t.Fatal(err)
			}
		}},
		{"Verify refused (ath)", 0, func() {
			if _, err := v.Verify(ed, Request{Method: "POST", Target: tgt, AccessToken: "other"}, t0); err != ErrTokenHash {
				t.Fatal(err)
			}
		}},
		{"Nonces.Valid", 0, func() {
			if !nonces.Valid([]byte(nonce), t0) {
				t.Fatal("nonce")
			}
		}},
		{"ReplaySet.SeenKey", 0, func() {
			i++
			if r.SeenKey(key(i), t0.Add(time.Minute), t0) {
				t.Fatal("replay")
			}
		}},
		{"ReplaySet.Seen replay", 0, func() {
			if !r.Seen(&p, t0) {
				t.Fatal("not a replay")
			}
		}},
		{"CheckDPoP", 0, func() {
			if CheckDPoP(cnf, &rfcProof) != nil {
				t.Fatal("binding")
			}
		}},
		{"CheckBearer", 0, func() {
			if CheckBearer(cnf) != ErrDowngrade {
				t.Fatal("downgrade")
			}
		}},
		{"Reason", 0, func() {
			if Reason(ErrTarget) == "" {
				t.Fatal("reason")
			}
		}},
	}
	// Warm up: the key cache, the buffers, the nonce MACs, the replay entry of p.
	for _, c := range cases[:3] {
		c.fn()
	}
	r.Seen(&p, t0)
	for _, c := range cases {
		got := testing.AllocsPerRun(200, c.fn)
		t.Logf("%s: %v allocations per run (budget %v)", c.name, got, c.budget)
		if got > c.budget {
			t.Errorf("%s: %v allocations per run, want at most %v", c.name, got, c.budget)
		}
	}
}

func mustB64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
