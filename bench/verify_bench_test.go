package bench

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/audguard/audguard/internal/mint"
	"github.com/audguard/audguard/jwtlite"
)

// verifier is one of the three ways a benchmark checks the same token.
type verifier struct {
	name string
	run  func(alg string) func(b *testing.B)
}

var verifiers = []verifier{
	{"jwtlite", benchJwtlite},
	{"floor", benchFloor},
	{"golang-jwt", benchGolangJWT},
}

// BenchmarkVerify is token verification natively, per algorithm: jwtlite's
// whole docs/request-flow.md#11-verification pipeline; the bare standard-library signature check of
// the same signing input and signature (the floor: no parsing, no claims);
// and golang-jwt/jwt v5 with the same claims checks.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range algs {
		for _, v := range verifiers {
			b.Run(alg+"/"+v.name, v.run(alg))
		}
	}
}

// skew is the leeway of both full verifiers. Both make the same checks: iss,
// aud (one value, exactly the resource), exp and iat with this leeway, sub
// present, typ at+jwt, the algorithm and the key (by kid) pinned.
var skew = 60 * time.Second

func benchJwtlite(alg string) func(b *testing.B) {
	return func(b *testing.B) {
		k := keys()[alg]
		var allow []jwtlite.Algorithm
		if alg == "HS256" {
			allow = []jwtlite.Algorithm{jwtlite.HS256}
		}
		ks, _, err := jwtlite.ParseKeySet(mint.JWKS(k.mint), allow)
		if err != nil {
			b.Fatal(err)
		}
		opts := &jwtlite.VerifyOptions{
			Keys: ks, Issuer: issuerFor(alg), Now: time.Now(), Skew: skew, MaxTokenBytes: 8192,
			RequireATJWT: true, ExclusiveAudience: true, RequiredClaims: []string{"sub"},
			Audience: func(aud []byte) bool { return string(aud) == resMain },
		}
		tok := tokenPool(alg, 1)[0]
		var p jwtlite.Parser
		var t jwtlite.Token
		if err := jwtlite.Verify(&p, tok, opts, &t); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := jwtlite.Verify(&p, tok, opts, &t); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// floorCheck returns the bare signature check for alg: hash and verify with
// the standard library, on the already split and decoded token.
func floorCheck(alg string) (func() bool, error) {
	k := keys()[alg]
	tok := tokenPool(alg, 1)[0]
	i := strings.LastIndexByte(tok, '.')
	msg := []byte(tok[:i])
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		return nil, err
	}
	switch alg {
	case "RS256":
		pub := k.public.(*rsa.PublicKey)
		return func() bool {
			d := sha256.Sum256(msg)
			return rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig) == nil
		}, nil
	case "PS256":
		pub := k.public.(*rsa.PublicKey)
		opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}
		return func() bool {
			d := sha256.Sum256(msg)
			return rsa.VerifyPSS(pub, crypto.SHA256, d[:], sig, opts) == nil
		}, nil
	case "ES256":
		pub := k.public.(*ecdsa.PublicKey)
		return func() bool {
			d := sha256.Sum256(msg)
			r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
			return ecdsa.Verify(pub, d[:], r, s)
		}, nil
	case "EdDSA":
		pub := k.public.(ed25519.PublicKey)
		return func() bool { return ed25519.Verify(pub, msg, sig) }, nil
	case "HS256":
		secret := k.public.([]byte)
		return func() bool {
			m := hmac.New(sha256.New, secret)
			m.Write(msg)
			var buf [sha256.Size]byte
			return hmac.Equal(sig, m.Sum(buf[:0]))
		}, nil
	}
	return nil, errors.New("bench: no floor for " + alg)
}

func benchFloor(alg string) func(b *testing.B) {
	return func(b *testing.B) {
		check, err := floorCheck(alg)
		if err != nil || !check() {
			b.Fatalf("floor check for %s does not verify (%v)", alg, err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if !check() {
				b.Fatal("signature does not verify")
			}
		}
	}
}

func benchGolangJWT(alg string) func(b *testing.B) {
	return func(b *testing.B) {
		k := keys()[alg]
		p := jwt.NewParser(
			jwt.WithValidMethods([]string{alg}), jwt.WithIssuer(issuerFor(alg)), jwt.WithAudience(resMain),
			jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(skew),
		)
		keyFunc := func(t *jwt.Token) (any, error) {
			if typ, _ := t.Header["typ"].(string); !jwtlite.IsATJWT([]byte(typ)) {
				return nil, errors.New("typ is not at+jwt")
			}
			if kid, _ := t.Header["kid"].(string); kid != k.mint.Kid {
				return nil, errors.New("unknown kid")
			}
			return k.public, nil
		}
		tok := tokenPool(alg, 1)[0]
		verify := func() error {
			var c jwt.RegisteredClaims
			if _, err := p.ParseWithClaims(tok, &c, keyFunc); err != nil {
				return err
			}
			if c.Subject == "" || len(c.Audience) != 1 { // required sub; exclusive audience
				return errors.New("claims check failed")
			}
			return nil
		}
		if err := verify(); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := verify(); err != nil {
				b.Fatal(err)
			}
		}
	}
}
