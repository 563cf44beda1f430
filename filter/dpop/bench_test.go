package dpop

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/audguard/audguard/jwtlite"
)

// BenchmarkVerify measures Verify on a warm Verifier (client key cached) next to the bare
// standard-library verification of the same signature over the same signing input: the
// difference is everything else Verify does (parse, strict JSON, claims, htu, ath, thumbprint
// lookup). Compare Verify/ES256 with Bare/ecdsa.Verify and Verify/EdDSA with
// Bare/ed25519.Verify.
func BenchmarkVerify(b *testing.B) {
	testKeys(b)
	for _, alg := range []jwtlite.Algorithm{jwtlite.ES256, jwtlite.EdDSA} {
		proof := mint(b, spec{alg: alg})
		v := newVerifier(b, Config{})
		if _, err := v.Verify(proof, baseReq, t0); err != nil {
			b.Fatal(err)
		}
		b.Run(string(alg), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(proof, baseReq, t0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkBare(b *testing.B) {
	testKeys(b)
	parts := func(p string) ([]byte, []byte) {
		s := strings.Split(p, ".")
		return []byte(s[0] + "." + s[1]), mustB64(b, s[2])
	}
	input, sig := parts(mint(b, spec{}))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	b.Run("ecdsa.Verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sum := sha256.Sum256(input) // the hash is part of the signature check
			if !ecdsa.Verify(&p256.PublicKey, sum[:], r, s) {
				b.Fatal("verify")
			}
		}
	})
	edInput, edSig := parts(mint(b, spec{alg: jwtlite.EdDSA}))
	pub := edKey.Public().(ed25519.PublicKey)
	b.Run("ed25519.Verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !ed25519.Verify(pub, edInput, edSig) {
				b.Fatal("verify")
			}
		}
	})
}

// BenchmarkReplayAndNonce: the per-request bookkeeping beside Verify.
func BenchmarkReplayAndNonce(b *testing.B) {
	r := newReplaySet(b, ReplayConfig{})
	n, _ := NewNonces(NonceConfig{Secret: []byte(strings.Repeat("s", 32))})
	nonce, _ := n.Issue(t0)
	b.Run("SeenKey", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			r.SeenKey(key(i), t0.Add(time.Minute), t0)
		}
	})
	b.Run("Nonces.Valid", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !n.Valid([]byte(nonce), t0) {
				b.Fatal("nonce")
			}
		}
	})
}

// BenchmarkRatio reports Verify's time over the bare verification's as the metric "ratio",
// measured in alternating rounds (the fastest round of each), so that a noisy, shared machine
// affects both sides alike.
func BenchmarkRatio(b *testing.B) {
	testKeys(b)
	for _, alg := range []jwtlite.Algorithm{jwtlite.ES256, jwtlite.EdDSA} {
		proof := mint(b, spec{alg: alg})
		v := newVerifier(b, Config{})
		s := strings.Split(proof, ".")
		input, sig := []byte(s[0]+"."+s[1]), mustB64(b, s[2])
		var bare func() bool
		if alg == jwtlite.ES256 {
			r, ss := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
			bare = func() bool {
				sum := sha256.Sum256(input)
				return ecdsa.Verify(&p256.PublicKey, sum[:], r, ss)
			}
		} else {
			pub := edKey.Public().(ed25519.PublicKey)
			bare = func() bool { return ed25519.Verify(pub, input, sig) }
		}
		b.Run(string(alg), func(b *testing.B) {
			const round = 50
			best := [2]time.Duration{time.Hour, time.Hour}
			for b.Loop() {
				start := time.Now()
				for range round {
					if _, err := v.Verify(proof, baseReq, t0); err != nil {
						b.Fatal(err)
					}
				}
				mid := time.Now()
				for range round {
					if !bare() {
						b.Fatal("bare")
					}
				}
				end := time.Now()
				best[0], best[1] = min(best[0], mid.Sub(start)), min(best[1], end.Sub(mid))
			}
			b.ReportMetric(float64(best[0])/round/1e3, "µs-verify")
			b.ReportMetric(float64(best[1])/round/1e3, "µs-bare")
			b.ReportMetric(float64(best[0])/float64(best[1]), "ratio")
		})
	}
}
