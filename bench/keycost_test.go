package bench

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/filter/policy"
	"github.com/audguard/audguard/jwtlite"
)

// What one request costs when its token names the most expensive key an
// issuer may publish (BENCHMARKS.md, "Worst-case key cost"). A client needs
// no key to make a request cost that: a token naming the key's kid with a
// made-up signature is verified (and refused) like a real one, and a refused
// token is never cached. The cost is the RSA public operation s^e mod n,
// which grows with the square of the modulus length and with the bits of e.

// keyCostShape is one RSA public key shape: modulus length and exponent.
type keyCostShape struct {
	bits int
	e    int
}

func (s keyCostShape) String() string {
	e := fmt.Sprint(s.e)
	if s.e == 1<<31-1 {
		e = "2^31-1"
	}
	return fmt.Sprintf("rsa%d/e=%s", s.bits, e)
}

// keyCostShapes are the shapes the filter accepts, from the usual to the
// worst (2048–8192 bits, odd 3 ≤ e ≤ 2³¹−1); beyondShapes are moduli it
// refuses, measured with the bare standard-library check only.
var (
	keyCostShapes = []keyCostShape{{2048, 65537}, {4096, 65537}, {8192, 65537}, {2048, 1<<31 - 1}, {8192, 1<<31 - 1}}
	beyondShapes  = []keyCostShape{{16384, 65537}, {48000, 65537}}
)

// keyCostKid names the key in the configuration and the forged token.
const keyCostKid = "big"

// keyCostKey is a public key of the shape: an odd modulus of exactly
// s.bits bits (random, not a product of two primes: the public operation
// costs the same).
func keyCostKey(s keyCostShape) *rsa.PublicKey {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), uint(s.bits-1)))
	must(err)
	n.SetBit(n, s.bits-1, 1).SetBit(n, 0, 1)
	return &rsa.PublicKey{N: n, E: s.e}
}

func keyCostJWK(pub *rsa.PublicKey) map[string]any {
	return map[string]any{"kty": "RSA", "kid": keyCostKid, "alg": "RS256", "use": "sig",
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes())}
}

// forgedRS256 is a valid-looking RS256 access token for the main resource
// that names kid "big", with a random signature below the modulus (one
// octet shorter in value than n, as long in octets), so the public
// operation runs in full and the check fails.
func forgedRS256(pub *rsa.PublicKey) string {
	enc := base64.RawURLEncoding
	h, err := json.Marshal(map[string]string{"alg": "RS256", "kid": keyCostKid, "typ": "at+jwt"})
	must(err)
	c, err := json.Marshal(claims(issCorp, 0))
	must(err)
	sig := make([]byte, (pub.N.BitLen()+7)/8)
	_, err = rand.Read(sig[1:])
	must(err)
	return enc.EncodeToString(h) + "." + enc.EncodeToString(c) + "." + enc.EncodeToString(sig)
}

// keyCostConfig is issuer "corp" with the one key and the main resource.
func keyCostConfig(pub *rsa.PublicKey, maxTokenBytes int) []byte {
	cfg := map[string]any{
		"max_token_bytes": maxTokenBytes,
		"issuers": []any{map[string]any{"name": "corp", "issuer": issCorp,
			"jwks": map[string]any{"keys": []any{keyCostJWK(pub)}}, "required_claims": []string{"sub"}}},
		"resources": []any{map[string]any{"resource": resMain, "authorities": []string{authMain},
			"required_scopes": []string{scopeMain}}},
	}
	b, err := json.Marshal(cfg)
	must(err)
	return b
}

// keyCostCase is the whole filter refusing the forged token: 401
// bad_signature on every request.
func keyCostCase(s keyCostShape) filterCase {
	pub := keyCostKey(s)
	tok := forgedRS256(pub)
	return filterCase{name: s.String(), plugin: pluginAudguard,
		cfg:  func() []byte { return keyCostConfig(pub, 65536) },
		reqs: oneReq(func() [][2]string { return authorized(tok) }), status: 401, cache: cacheAllMiss}
}

// BenchmarkKeyCost: per shape, jwtlite.Verify refusing the forged token
// (verify/…), the bare rsa.VerifyPKCS1v15 of its signing input (floor/…),
// and the whole filter natively and in the module (native/…, wasm/…).
// Moduli the filter refuses get the floor only.
func BenchmarkKeyCost(b *testing.B) {
	for _, s := range keyCostShapes {
		b.Run("verify/"+s.String(), func(b *testing.B) { benchKeyCostVerify(b, s) })
	}
	for _, s := range append(keyCostShapes, beyondShapes...) {
		b.Run("floor/"+s.String(), func(b *testing.B) { benchKeyCostFloor(b, s) })
	}
	for _, s := range keyCostShapes {
		c := keyCostCase(s)
		b.Run("native/"+c.name, func(b *testing.B) { runNative(b, c) })
		b.Run("wasm/"+c.name, func(b *testing.B) { runWasm(b, c) })
	}
}

func benchKeyCostVerify(b *testing.B, s keyCostShape) {
	pub := keyCostKey(s)
	set, err := json.Marshal(map[string]any{"keys": []any{keyCostJWK(pub)}})
	must(err)
	ks, _, err := jwtlite.ParseKeySet(set, nil)
	if err != nil {
		b.Fatal(err)
	}
	opts := &jwtlite.VerifyOptions{
		Keys: ks, Issuer: issCorp, Now: time.Now(), Skew: skew, MaxTokenBytes: 65536,
		RequireATJWT: true, ExclusiveAudience: true, RequiredClaims: []string{"sub"},
		Audience: func(aud []byte) bool { return string(aud) == resMain },
	}
	tok := forgedRS256(pub)
	var p jwtlite.Parser
	var t jwtlite.Token
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := jwtlite.Verify(&p, tok, opts, &t); !errors.Is(err, jwtlite.ErrBadSignature) {
			b.Fatalf("forged token: %v, want a bad signature", err)
		}
	}
}

func benchKeyCostFloor(b *testing.B, s keyCostShape) {
	pub := keyCostKey(s)
	tok := forgedRS256(pub)
	i := len(tok) - 1
	for tok[i] != '.' {
		i--
	}
	msg := []byte(tok[:i])
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	must(err)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := sha256.Sum256(msg)
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig) == nil {
			b.Fatal("a random signature verified")
		}
	}
}

// TestKeyCostCases: the engine refuses each forged token for its signature,
// so the benchmark times the public operation (part of `go test ./bench/`).
func TestKeyCostCases(t *testing.T) {
	for _, s := range []keyCostShape{{2048, 65537}, {8192, 1<<31 - 1}} {
		c := keyCostCase(s)
		cfg, err := config.Load(c.cfg())
		if err != nil {
			t.Fatal(err)
		}
		d := policy.New(cfg, policy.Options{}).Decide(&policy.Request{Headers: c.reqs()[0], EndOfStream: true})
		if d.Outcome != policy.OutcomeDenied || d.Reason != policy.ReasonBadSignature || d.Cache != policy.CacheMiss {
			t.Errorf("%s: outcome %v reason %v cache %v, want a denial for the signature", c.name, d.Outcome, d.Reason, d.Cache)
		}
	}
}
