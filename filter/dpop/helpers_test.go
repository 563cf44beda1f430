package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"sync"
	"testing"
	"time"

	keymint "github.com/audguard/audguard/internal/mint"
	"github.com/audguard/audguard/jwtlite"
)

// Test keys, generated once per test binary.
var (
	keysOnce                sync.Once
	p256, p256b, p384, p521 *ecdsa.PrivateKey
	edKey                   ed25519.PrivateKey
	rsaKey, rsaWeak         *rsa.PrivateKey // 2048 and 1024 bits
)

func testKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		must := func(err error) {
			if err != nil {
				panic(err)
			}
		}
		var err error
		p256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(err)
		p256b, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(err)
		p384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		must(err)
		p521, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		must(err)
		_, edKey, err = ed25519.GenerateKey(rand.Reader)
		must(err)
		rsaKey, err = rsa.GenerateKey(rand.Reader, 2048)
		must(err)
		rsaWeak, err = rsa.GenerateKey(rand.Reader, 1024)
		must(err)
	})
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// publicJWK returns the public JWK of a private test key with only the members a DPoP client
// sends (kty, crv, x, y / n, e), as internal/mint (keymint) writes them.
func publicJWK(key crypto.Signer) map[string]any {
	m := keymint.FromSigner("", "", key).Public()
	delete(m, "alg")
	delete(m, "use")
	return m
}

// privateJWK adds the private members (d; RSA p, q) to publicJWK.
func privateJWK(key crypto.Signer) map[string]any {
	m := keymint.FromSigner("", "", key).Private()
	delete(m, "alg")
	delete(m, "use")
	return m
}

// hsKey signs the HS256 proofs that must be refused.
var hsKey, _ = keymint.NewKey("HS256", "")

// sign makes the JWS signature of input with alg and key (RFC 7518 §3; RFC 8037 §3.1); key
// is a crypto.Signer, or nil for HS256.
func sign(t testing.TB, alg jwtlite.Algorithm, key any, input []byte) []byte {
	t.Helper()
	k := hsKey
	if alg != jwtlite.HS256 {
		k = keymint.FromSigner(string(alg), "", key.(crypto.Signer))
	}
	sig, err := k.SignInput(input)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func marshal(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The request every proof is made for unless a case says otherwise.
var (
	t0        = time.Unix(1_800_000_000, 0)
	tgt       = "https://mcp.example.com/mcp"
	accessTok = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl"
	baseReq   = Request{Method: "POST", Target: tgt, AccessToken: accessTok}
)

// spec describes one proof; mint turns it into a compact JWS. The zero value (with key set by
// mint) is a valid proof for baseReq at t0.
type spec struct {
	alg    jwtlite.Algorithm // default ES256
	key    any               // signing key; default the one alg needs
	jwkKey crypto.Signer     // key whose public JWK goes in the header; default key
	header func(h map[string]any)
	claims func(c map[string]any)
	// rawHeader / rawClaims replace the JSON texts entirely (after header/claims ran).
	rawHeader, rawClaims string
	sig                  func(sig []byte) []byte // tampers with the signature
}

func defaultKey(alg jwtlite.Algorithm) any {
	switch alg {
	case jwtlite.ES384:
		return p384
	case jwtlite.ES512:
		return p521
	case jwtlite.EdDSA, jwtlite.Ed25519:
		return edKey
	case jwtlite.RS256, jwtlite.RS384, jwtlite.RS512, jwtlite.PS256, jwtlite.PS384, jwtlite.PS512:
		return rsaKey
	case jwtlite.HS256:
		return nil
	}
	return p256
}

func mint(t testing.TB, s spec) string {
	t.Helper()
	testKeys(t)
	if s.alg == "" {
		s.alg = jwtlite.ES256
	}
	if s.key == nil {
		s.key = defaultKey(s.alg)
	}
	if s.jwkKey == nil {
		if signer, ok := s.key.(crypto.Signer); ok {
			s.jwkKey = signer
		} else {
			s.jwkKey = p256
		}
	}
	h := map[string]any{"typ": "dpop+jwt", "alg": string(s.alg), "jwk": publicJWK(s.jwkKey)}
	c := map[string]any{
		"jti": randomJTI(),
		"htm": "POST",
		"htu": tgt,
		"iat": t0.Unix(),
		"ath": TokenHash(accessTok),
	}
	if s.header != nil {
		s.header(h)
	}
	if s.claims != nil {
		s.claims(c)
	}
	hj, cj := marshal(t, h), marshal(t, c)
	if s.rawHeader != "" {
		hj = s.rawHeader
	}
	if s.rawClaims != "" {
		cj = s.rawClaims
	}
	input := b64([]byte(hj)) + "." + b64([]byte(cj))
	var sig []byte
	if s.alg != "none" {
		sig = sign(t, s.alg, s.key, []byte(input))
	}
	if s.sig != nil {
		sig = s.sig(sig)
	}
	return input + "." + b64(sig)
}

func randomJTI() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b64(b)
}

func newVerifier(t testing.TB, cfg Config) *Verifier {
	t.Helper()
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// mapStore is an in-memory SharedStore with proxy-wasm's CAS. envoy: CAS 0 writes
// unconditionally, as Envoy does; otherwise CAS 0 writes only if absent. fail makes every
// call fail.
type mapStore struct {
	m     map[string][]byte
	cas   map[string]uint32
	next  uint32
	envoy bool
	fail  bool
	sets  int
}

func newMapStore() *mapStore { return &mapStore{m: map[string][]byte{}, cas: map[string]uint32{}} }

func (s *mapStore) Get(key string) ([]byte, uint32, bool) {
	if s.fail {
		return nil, 0, false
	}
	v, ok := s.m[key]
	return append([]byte(nil), v...), s.cas[key], ok
}

func (s *mapStore) Set(key string, value []byte, cas uint32) bool {
	if s.fail {
		return false
	}
	cur, ok := s.cas[key]
	if cas == 0 && ok && !s.envoy || cas != 0 && cas != cur {
		return false
	}
	s.sets++
	s.next++
	s.m[key], s.cas[key] = append([]byte(nil), value...), s.next
	return true
}
