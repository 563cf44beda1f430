package jwtlite_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/audguard/audguard/jwtlite"
)

// The differential test mints tokens (valid and hostile) and asserts that jwtlite.Verify and
// github.com/golang-jwt/jwt/v5, configured alike, reach the same accept/refuse verdict, except
// for the documented tables below. Everything is deterministic: a seeded math/rand/v2 source
// picks claim values and tamper positions, and testing/cryptotest.SetGlobalRandom makes key
// generation and signing reproducible.

const (
	diffSeed     = 20250617
	diffIssuer   = "https://issuer.example"
	diffAudience = "https://mcp.example/mcp"
	diffKid      = "k1"
	diffReps     = 2 // every case is minted this many times with fresh random claim values
)

var (
	diffNow  = time.Unix(1_750_000_000, 0)
	diffSkew = 60 * time.Second
)

// stricterRule documents a case where jwtlite is deliberately stricter than golang-jwt: golang-jwt
// must accept it and jwtlite must refuse it with err.
type stricterRule struct {
	rule string
	err  error
}

// diffStricter is the table of deliberate divergences where we refuse and golang-jwt accepts.
var diffStricter = map[string]stricterRule{
	"dup-claim":         {"duplicate claim names: RFC 7519 §4 (names MUST be unique), docs/request-flow.md#11-verification step 2; golang-jwt keeps the last", jwtlite.ErrMalformed},
	"dup-claim-escaped": {"duplicate claim names compared after unescaping (\"sub\" vs \"\\u0073ub\"): RFC 7519 §4, RFC 8259 §7", jwtlite.ErrMalformed},
	"dup-header":        {"duplicate header parameter names: RFC 7515 §4 (MUST reject or use last; we reject)", jwtlite.ErrMalformed},
	"sig-padding-bits":  {"strict base64url: non-zero padding bits in the last character, RFC 7515 §2 / RFC 4648 §3.5; golang-jwt decodes leniently", jwtlite.ErrMalformed},
	"crit":              {"\"crit\" present: RFC 7515 §4.1.11 (we understand no extension), docs/request-flow.md#11-verification step 3; golang-jwt ignores crit", jwtlite.ErrUnsupportedAlgorithm},
	"invalid-utf8":      {"claims not valid UTF-8: RFC 7519 §7.2 step 10 / RFC 8259 §8.1; encoding/json substitutes U+FFFD", jwtlite.ErrMalformed},
	"nbf-negative":      {"nbf < 0: docs/request-flow.md#11-verification step 8 (0 ≤ v < 2^53)", jwtlite.ErrNotYetValid},
	"iat-negative":      {"iat < 0: docs/request-flow.md#11-verification step 8 (0 ≤ v < 2^53)", jwtlite.ErrIssuedInFuture},
	"exp-2^53":          {"exp ≥ 2^53 (not exactly representable): docs/request-flow.md#11-verification step 8", jwtlite.ErrExpired},
	"nbf-fraction":      {"nbf = now+skew+0.5 is in the future: RFC 7519 §2 NumericDate allows fractions; golang-jwt truncates to whole seconds", jwtlite.ErrNotYetValid},
	"pss-salt-0":        {"PS256 with salt length 0: RFC 7518 §3.5 (salt length = hash length); golang-jwt verifies with PSSSaltLengthAuto", jwtlite.ErrBadSignature},
	"pss-salt-max":      {"PS256 with maximal salt: RFC 7518 §3.5 (salt length = hash length); golang-jwt verifies with PSSSaltLengthAuto", jwtlite.ErrBadSignature},
	"key-bound-one-alg": {"RSA key bound to RS256 used with PS256 while the issuer allows both: RFC 8725 §3.1, docs/configuration.md#keys", jwtlite.ErrUnknownKey},
}

// diffLaxer is the table of cases where we accept and golang-jwt refuses, each with the reason
// that accepting is correct.
var diffLaxer = map[string]string{
	"alg-ed25519":           "alg \"Ed25519\" for an Ed25519 key: RFC 9864 §2.2 fully-specified name, docs/configuration.md#keys (EdDSA ≡ Ed25519); golang-jwt v5.3 does not know the name",
	"exp-fraction-boundary": "exp = now-skew+0.5 has not passed: RFC 7519 §2 NumericDate allows fractions; golang-jwt truncates exp to whole seconds",
}

// diffReason is the docs/request-flow.md#11-verification reason jwtlite must give for refusal cases both implementations
// refuse (kinds not listed may fail at more than one step, e.g. a tampered header).
var diffReason = map[string]error{
	"tamper-signature": jwtlite.ErrBadSignature, "resigned-other-key": jwtlite.ErrBadSignature,
	"alg-hs256-public-key-secret": jwtlite.ErrUnknownKey, "alg-none": jwtlite.ErrUnsupportedAlgorithm,
	"alg-None-with-signature": jwtlite.ErrUnsupportedAlgorithm, "alg-rs-ps-swap": jwtlite.ErrUnknownKey,
	"alg-header-rs-signature-ps": jwtlite.ErrBadSignature, "es256-der-signature": jwtlite.ErrBadSignature,
	"hs384-same-secret": jwtlite.ErrUnknownKey, "hs-issuer-rs256-token": jwtlite.ErrUnknownKey,
	"embedded-jwk-attacker-key": jwtlite.ErrBadSignature, "wrong-kid": jwtlite.ErrUnknownKey,
	"expired": jwtlite.ErrExpired, "exp-boundary-outside": jwtlite.ErrExpired, "exp-missing": jwtlite.ErrExpired,
	"exp-string": jwtlite.ErrExpired, "exp-null": jwtlite.ErrExpired, "exp-zero": jwtlite.ErrExpired,
	"exp-overflow": jwtlite.ErrExpired, "nbf-future": jwtlite.ErrNotYetValid, "nbf-null": jwtlite.ErrNotYetValid,
	"nbf-string": jwtlite.ErrNotYetValid, "iat-future": jwtlite.ErrIssuedInFuture, "iat-bool": jwtlite.ErrIssuedInFuture,
	"iss-missing": jwtlite.ErrMissingClaim, "iss-null": jwtlite.ErrMissingClaim, "iss-wrong": jwtlite.ErrUnknownIssuer,
	"iss-empty": jwtlite.ErrUnknownIssuer, "iss-array": jwtlite.ErrUnknownIssuer,
	"aud-wrong": jwtlite.ErrWrongAudience, "aud-prefix": jwtlite.ErrWrongAudience, "aud-array-no-match": jwtlite.ErrWrongAudience,
	"aud-missing": jwtlite.ErrWrongAudience, "aud-empty-array": jwtlite.ErrWrongAudience, "aud-null": jwtlite.ErrWrongAudience,
	"aud-empty-string": jwtlite.ErrWrongAudience, "aud-number": jwtlite.ErrWrongAudience, "aud-object": jwtlite.ErrWrongAudience,
	"aud-array-with-non-string": jwtlite.ErrWrongAudience, "sub-missing": jwtlite.ErrMissingClaim, "sub-null": jwtlite.ErrMissingClaim,
	"padded-base64": jwtlite.ErrMalformed, "padded-base64-header": jwtlite.ErrMalformed, "std-base64-alphabet": jwtlite.ErrMalformed,
	"extra-dot-end": jwtlite.ErrMalformed, "extra-part": jwtlite.ErrMalformed, "empty-middle-part": jwtlite.ErrMalformed,
	"two-parts": jwtlite.ErrMalformed, "empty-signature": jwtlite.ErrBadSignature, "header-array": jwtlite.ErrMalformed,
	"claims-array": jwtlite.ErrMalformed, "claims-trailing-garbage": jwtlite.ErrMalformed,
}

// diffProfile is one issuer configuration: its algorithm list, its single key and how to sign.
type diffProfile struct {
	name  string
	alg   string   // the algorithm valid tokens are signed with
	algs  []string // the issuer's "algorithms" (jwtlite) = WithValidMethods (golang-jwt)
	priv  any      // signing key for alg
	other any      // another key of the same type (re-signing attacks)
	pub   any      // the verification key golang-jwt's Keyfunc returns
	pubS  []byte   // a public-key serialization an attacker would use as an HMAC secret
	jwk   map[string]string
	ks    *jwtlite.KeySet
}

// diffKeys are generated once per test run.
type diffKeys struct {
	rsa, rsa2 *rsa.PrivateKey
	ec, ec2   *ecdsa.PrivateKey
	ed, ed2   ed25519.PrivateKey
	hs, hs2   []byte
}

func newDiffKeys(t *testing.T, rng *mrand.Rand) *diffKeys {
	t.Helper()
	var k diffKeys
	var err error
	must := func(e error) {
		if e != nil {
			t.Fatalf("key generation: %v", e)
		}
	}
	k.rsa, err = rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	k.rsa2, err = rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	k.ec2, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	_, k.ed, err = ed25519.GenerateKey(rand.Reader)
	must(err)
	_, k.ed2, err = ed25519.GenerateKey(rand.Reader)
	must(err)
	k.hs, k.hs2 = randBytes(rng, 32), randBytes(rng, 32)
	return &k
}

func randBytes(rng *mrand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func pemOf(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatalf("marshal public key: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func ecXY(t *testing.T, pub *ecdsa.PublicKey) (x, y []byte) {
	t.Helper()
	b, err := pub.Bytes()
	if err != nil || len(b) != 65 {
		t.Fatalf("encode EC point: %v", err)
	}
	return b[1:33], b[33:]
}

// diffProfiles builds the issuer configurations and parses their JWK Sets with jwtlite.
func diffProfiles(t *testing.T, k *diffKeys) []*diffProfile {
	t.Helper()
	rsaJWK := func(alg string) map[string]string {
		return map[string]string{"kty": "RSA", "alg": alg, "kid": diffKid,
			"n": b64u(k.rsa.N.Bytes()), "e": b64u(big.NewInt(int64(k.rsa.E)).Bytes())}
	}
	x, y := ecXY(t, &k.ec.PublicKey)
	edPub := k.ed.Public().(ed25519.PublicKey)
	ps := []*diffProfile{
		{name: "RS256", alg: "RS256", algs: []string{"RS256"}, priv: k.rsa, other: k.rsa2, pub: &k.rsa.PublicKey,
			pubS: pemOf(t, &k.rsa.PublicKey), jwk: rsaJWK("RS256")},
		{name: "PS256", alg: "PS256", algs: []string{"PS256"}, priv: k.rsa, other: k.rsa2, pub: &k.rsa.PublicKey,
			pubS: pemOf(t, &k.rsa.PublicKey), jwk: rsaJWK("PS256")},
		{name: "RS256+PS256", alg: "RS256", algs: []string{"RS256", "PS256"}, priv: k.rsa, other: k.rsa2, pub: &k.rsa.PublicKey,
			pubS: pemOf(t, &k.rsa.PublicKey), jwk: rsaJWK("RS256")},
		{name: "ES256", alg: "ES256", algs: []string{"ES256"}, priv: k.ec, other: k.ec2, pub: &k.ec.PublicKey,
			pubS: pemOf(t, &k.ec.PublicKey), jwk: map[string]string{"kty": "EC", "crv": "P-256", "kid": diffKid, "x": b64u(x), "y": b64u(y)}},
		{name: "EdDSA", alg: "EdDSA", algs: []string{"EdDSA"}, priv: k.ed, other: k.ed2, pub: edPub,
			pubS: pemOf(t, edPub), jwk: map[string]string{"kty": "OKP", "crv": "Ed25519", "kid": diffKid, "x": b64u(edPub)}},
		{name: "HS256", alg: "HS256", algs: []string{"HS256"}, priv: k.hs, other: k.hs2, pub: k.hs,
			jwk: map[string]string{"kty": "oct", "alg": "HS256", "kid": diffKid, "k": b64u(k.hs)}},
	}
	for _, p := range ps {
		set, err := json.Marshal(map[string]any{"keys": []any{p.jwk}})
		if err != nil {
			t.Fatal(err)
		}
		algs := make([]jwtlite.Algorithm, len(p.algs))
		for i, a := range p.algs {
			algs[i] = jwtlite.Algorithm(a)
		}
		ks, _, err := jwtlite.ParseKeySet(set, algs)
		if err != nil {
			t.Fatalf("profile %s: ParseKeySet: %v", p.name, err)
		}
		p.ks = ks
	}
	return ps
}

// sign produces a JWS signature over input. how is an alg name, optionally with a variant:
// "PS256/salt0", "PS256/saltmax", "ES256/der", "ES256/highs"; "none" gives an empty signature.
func sign(t *testing.T, how string, key any, input string) []byte {
	t.Helper()
	msg := []byte(input)
	h256 := sha256.Sum256(msg)
	var sig []byte
	var err error
	switch how {
	case "none":
		return nil
	case "RS256":
		sig, err = rsa.SignPKCS1v15(nil, key.(*rsa.PrivateKey), crypto.SHA256, h256[:])
	case "PS256", "PS256/salt0", "PS256/saltmax":
		salt := map[string]int{"PS256": rsa.PSSSaltLengthEqualsHash, "PS256/salt0": 0, "PS256/saltmax": rsa.PSSSaltLengthAuto}[how]
		sig, err = rsa.SignPSS(rand.Reader, key.(*rsa.PrivateKey), crypto.SHA256, h256[:], &rsa.PSSOptions{SaltLength: salt})
	case "ES256/der":
		sig, err = ecdsa.SignASN1(rand.Reader, key.(*ecdsa.PrivateKey), h256[:])
	case "ES256", "ES256/highs":
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, key.(*ecdsa.PrivateKey), h256[:])
		if err == nil && how == "ES256/highs" {
			s = new(big.Int).Sub(elliptic.P256().Params().N, s) // (r, n−s) is also valid ECDSA
		}
		if err == nil {
			sig = make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
		}
	case "EdDSA", "Ed25519":
		sig = ed25519.Sign(key.(ed25519.PrivateKey), msg)
	case "HS256":
		m := hmac.New(sha256.New, key.([]byte))
		m.Write(msg)
		sig = m.Sum(nil)
	case "HS384":
		m := hmac.New(sha512.New384, key.([]byte))
		m.Write(msg)
		sig = m.Sum(nil)
	default:
		t.Fatalf("sign: unknown method %q", how)
	}
	if err != nil {
		t.Fatalf("sign %s: %v", how, err)
	}
	return sig
}

// member is one JSON object member with its name and value as raw JSON text, so that tests can
// build duplicates, escapes and invalid UTF-8 that encoding/json would never produce.
type member struct{ name, value string }

type object []member

func (o object) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + m.name + `":` + m.value)
	}
	b.WriteByte('}')
	return b.String()
}

// with returns a copy of o with name set to value (replaced in place, or appended).
func (o object) with(name, value string) object {
	c := append(object(nil), o...)
	for i := range c {
		if c[i].name == name {
			c[i].value = value
			return c
		}
	}
	return append(c, member{name, value})
}

// without returns a copy of o without name.
func (o object) without(name string) object {
	var c object
	for _, m := range o {
		if m.name != name {
			c = append(c, m)
		}
	}
	return c
}

// q is a JSON string literal.
func q(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func num(v int64) string { return strconv.FormatInt(v, 10) }

// diffCase is one minted token.
type diffCase struct {
	name, kind string
	profile    *diffProfile
	token      string
	wantAccept bool // the verdict both must reach (agreement cases)
}

// diffGen mints tokens for one profile and one repetition.
type diffGen struct {
	t      *testing.T
	rng    *mrand.Rand
	p      *diffProfile
	keys   *diffKeys
	now    int64
	header object
	claims object
}

func (g *diffGen) newBase() {
	g.now = diffNow.Unix()
	g.header = object{{"alg", q(g.p.alg)}, {"kid", q(diffKid)}}
	if g.rng.IntN(2) == 0 {
		g.header = append(object{{"typ", q("JWT")}}, g.header...)
	}
	g.claims = object{
		{"iss", q(diffIssuer)},
		{"sub", q("user-" + strconv.Itoa(g.rng.IntN(1_000_000)))},
		{"aud", q(diffAudience)},
		{"exp", num(g.now + 300 + g.rng.Int64N(86_400))},
		{"iat", num(g.now - g.rng.Int64N(3_600))},
		{"jti", q(fmt.Sprintf("%016x", g.rng.Uint64()))},
	}
	if g.rng.IntN(2) == 0 {
		g.claims = g.claims.with("nbf", num(g.now-g.rng.Int64N(600)))
	}
	if g.rng.IntN(2) == 0 {
		g.claims = g.claims.with("scope", q("tools:read tools:call"))
	}
}

func enc(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// mint signs raw header and claims JSON with how/key and returns the compact serialization.
func (g *diffGen) mint(header, claims, how string, key any) string {
	in := enc(header) + "." + enc(claims)
	return in + "." + b64u(sign(g.t, how, key, in))
}

// valid mints header/claims signed with the profile's own algorithm and key.
func (g *diffGen) valid(h, c object) string { return g.mint(h.String(), c.String(), g.p.alg, g.p.priv) }

// b64Alphabet is the base64url alphabet (RFC 4648 §5), index = 6-bit value.
const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// flipChar replaces the character at i of a base64url string with a different alphabet character.
func flipChar(s string, i int) string {
	j := strings.IndexByte(b64Alphabet, s[i])
	return s[:i] + string(b64Alphabet[(j+17)%64]) + s[i+1:]
}

// diffKinds lists every case. build returns "" when the case does not apply to the profile.
// want is the verdict both implementations must reach, unless kind is in a divergence table.
var diffKinds = []struct {
	kind  string
	want  bool
	build func(g *diffGen) string
}{
	// --- accepted by both ---
	{"valid", true, func(g *diffGen) string { return g.valid(g.header, g.claims) }},
	{"valid-no-kid", true, func(g *diffGen) string { return g.valid(g.header.without("kid"), g.claims) }},
	{"valid-escaped-kid", true, func(g *diffGen) string { return g.valid(g.header.with("kid", `"k\u0031"`), g.claims) }},
	{"aud-array-match", true, func(g *diffGen) string {
		return g.valid(g.header, g.claims.with("aud", `["https://other.example",`+q(diffAudience)+`]`))
	}},
	{"aud-array-40", true, func(g *diffGen) string {
		var a []string
		for i := range 39 {
			a = append(a, q("https://rs"+strconv.Itoa(i)+".example"))
		}
		return g.valid(g.header, g.claims.with("aud", "["+strings.Join(append(a, q(diffAudience)), ",")+"]"))
	}},
	{"aud-array-empty-string-and-match", true, func(g *diffGen) string {
		return g.valid(g.header, g.claims.with("aud", `["",`+q(diffAudience)+`]`))
	}},
	{"escaped-iss-aud", true, func(g *diffGen) string {
		return g.valid(g.header, g.claims.with("iss", `"https:\/\/issuer.\u0065xample"`).with("aud", `"https:\/\/mcp.example\/mcp"`))
	}},
	{"exp-boundary-inside", true, func(g *diffGen) string {
		return g.valid(g.header, g.claims.with("exp", num(g.now-int64(diffSkew/time.Second)+1)))
	}},
	{"nbf-boundary", true, func(g *diffGen) string {
		return g.valid(g.header, g.claims.with("nbf", num(g.now+int64(diffSkew/time.Second))))
	}},
	{"iat-boundary", true, func(g *diffGen) string {
		return g.valid(g.header, g.claims.with("iat", num(g.now+int64(diffSkew/time.Second))))
	}},
	{"exp-exponent", true, func(g *diffGen) string { return g.valid(g.header, g.claims.with("exp", "1e10")) }},
	{"exp-max-safe", true, func(g *diffGen) string { return g.valid(g.header, g.claims.with("exp", "9007199254740991")) }},
	{"exp-fraction-far", true, func(g *diffGen) string {
		return g.valid(g.header, g.claims.with("exp", num(g.now+3600)+".5"))
	}},
	{"ignored-jku-x5u", true, func(g *diffGen) string {
		return g.valid(g.header.with("jku", q("https://attacker.example/jwks")).with("x5u", q("https://attacker.example/x5")), g.claims)
	}},
	{"b64-false-without-crit", true, func(g *diffGen) string { return g.valid(g.header.with("b64", "false"), g.claims) }},
	{"json-whitespace", true, func(g *diffGen) string {
		return g.mint(" \n"+g.header.String()+" ", "\t"+g.claims.String()+"\r\n", g.p.alg, g.p.priv)
	}},
	{"extra-claims", true, func(g *diffGen) string {
		return g.valid(g.header, g.claims.with("cnf", `{"jkt":"x","n":[1,2,{"a":null}]}`).with("client_id", q("c1")))
	}},
	{"sub-empty-string", true, func(g *diffGen) string { return g.valid(g.header, g.claims.with("sub", `""`)) }},
	{"es256-high-s", true, func(g *diffGen) string {
		if g.p.alg != "ES256" {
			return ""
		}
		return g.mint(g.header.String(), g.claims.String(), "ES256/highs", g.p.priv)
	}},

	// --- refused by both ---
	{"tamper-header", false, func(g *diffGen) string {
		tok := g.valid(g.header, g.claims)
		return flipChar(tok, g.rng.IntN(strings.IndexByte(tok, '.')-1))
	}},
	{"tamper-payload", false, func(g *diffGen) string {
		tok := g.valid(g.header, g.claims)
		a := strings.IndexByte(tok, '.') + 1
		b := strings.LastIndexByte(tok, '.')
		return flipChar(tok, a+g.rng.IntN(b-a-1))
	}},
	{"tamper-signature", false, func(g *diffGen) string {
		in := enc(g.header.String()) + "." + enc(g.claims.String())
		sig := sign(g.t, g.p.alg, g.p.priv, in)
		sig[g.rng.IntN(len(sig))] ^= byte(1 << g.rng.IntN(8))
		return in + "." + b64u(sig)
	}},
	{"resigned-other-key", false, func(g *diffGen) string {
		return g.mint(g.header.String(), g.claims.String(), g.p.alg, g.p.other)
	}},
	{"alg-hs256-public-key-secret", false, func(g *diffGen) string {
		if g.p.pubS == nil {
			return ""
		}
		return g.mint(g.header.with("alg", q("HS256")).String(), g.claims.String(), "HS256", g.p.pubS)
	}},
	{"alg-none", false, func(g *diffGen) string {
		return g.mint(g.header.with("alg", q("none")).String(), g.claims.String(), "none", nil)
	}},
	{"alg-None-with-signature", false, func(g *diffGen) string {
		in := enc(g.header.with("alg", q("None")).String()) + "." + enc(g.claims.String())
		return in + "." + b64u(sign(g.t, g.p.alg, g.p.priv, in))
	}},
	{"alg-rs-ps-swap", false, func(g *diffGen) string {
		swap := map[string]string{"RS256": "PS256", "PS256": "RS256"}[g.p.name]
		if swap == "" {
			return ""
		}
		return g.mint(g.header.with("alg", q(swap)).String(), g.claims.String(), swap, g.p.priv)
	}},
	{"alg-header-rs-signature-ps", false, func(g *diffGen) string {
		if g.p.name != "RS256" {
			return ""
		}
		return g.mint(g.header.String(), g.claims.String(), "PS256", g.p.priv)
	}},
	{"es256-der-signature", false, func(g *diffGen) string {
		if g.p.alg != "ES256" {
			return ""
		}
		return g.mint(g.header.String(), g.claims.String(), "ES256/der", g.p.priv)
	}},
	{"hs384-same-secret", false, func(g *diffGen) string {
		if g.p.alg != "HS256" {
			return ""
		}
		return g.mint(g.header.with("alg", q("HS384")).String(), g.claims.String(), "HS384", g.p.priv)
	}},
	{"hs-issuer-rs256-token", false, func(g *diffGen) string {
		if g.p.alg != "HS256" {
			return ""
		}
		return g.mint(g.header.with("alg", q("RS256")).String(), g.claims.String(), "RS256", g.keys.rsa)
	}},
	{"embedded-jwk-attacker-key", false, func(g *diffGen) string {
		return g.mint(g.header.with("jwk", `{"kty":"oct","k":"AAAA"}`).String(), g.claims.String(), g.p.alg, g.p.other)
	}},
	{"expired", false, func(g *diffGen) string {
		return g.valid(g.header, g.claims.with("exp", num(g.now-3600-g.rng.Int64N(86400))))
	}},
	{"exp-boundary-outside", false, func(g *diffGen) string {
		return g.valid(g.header, g.claims.with("exp", num(g.now-int64(diffSkew/time.Second))))
	}},
	{"nbf-future", false, func(g *diffGen) string {
		return g.valid(g.header, g.claims.with("nbf", num(g.now+int64(diffSkew/time.Second)+1+g.rng.Int64N(3))))
	}},
	{"iat-future", false, func(g *diffGen) string {
		return g.valid(g.header, g.claims.with("iat", num(g.now+int64(diffSkew/time.Second)+1+g.rng.Int64N(3))))
	}},
	{"exp-missing", false, func(g *diffGen) string { return g.valid(g.header, g.claims.without("exp")) }},
	{"exp-string", false, func(g *diffGen) string {
		return g.valid(g.header, g.claims.with("exp", q(num(g.now+3600))))
	}},
	{"exp-null", false, func(g *diffGen) string { return g.valid(g.header, g.claims.with("exp", "null")) }},
	{"exp-zero", false, func(g *diffGen) string { return g.valid(g.header, g.claims.with("exp", "0")) }},
	{"exp-overflow", false, func(g *diffGen) string { return g.valid(g.header, g.claims.with("exp", "1e400")) }},
	{"nbf-null", false, func(g *diffGen) string { return g.valid(g.header, g.claims.with("nbf", "null")) }},
	{"nbf-string", false, func(g *diffGen) string { return g.valid(g.header, g.claims.with("nbf", `"0"`)) }},
	{"iat-bool", false, func(g *diffGen) string { return g.valid(g.header, g.claims.with("iat", "true")) }},
	{"iss-missing", false, func(g *diffGen) string { return g.valid(g.header, g.claims.without("iss")) }},
	{"iss-wrong", false, func(g *diffGen) string {
		return g.valid(g.header, g.claims.with("iss", q(diffIssuer+"/")))
	}},
	{"iss-null", false, func(g *diffGen) string { return g.valid(g.header, g.claims.with("iss", "null")) }},
	{"iss-empty", false, func(g *diffGen) string { return g.valid(g.header, g.claims.with("iss", `""`)) }},
	{"iss-array", false, func(g *diffGen) string {
		return g.valid(g.header, g.claims.with("iss", "["+q(diffIssuer)+"]"))
	}},
	{"aud-wrong", false, func(g *diffGen) string {
		return g.valid(g.header, g.claims.with("aud", q("https://mcp.example/other")))
	}},
	{"aud-prefix", false, func(g *diffGen) string {
		return g.valid(g.header, g.claims.with("aud", q(diffAudience+"/sub")))
	}},
	{"aud-array-no-match", false, func(g *diffGen) string {
		return g.valid(g.header, g.claims.with("aud", `["https://a.example","https://b.example"]`))
	}},
	{"aud-missing", false, func(g *diffGen) string { return g.valid(g.header, g.claims.without("aud")) }},
	{"aud-empty-array", false, func(g *diffGen) string { return g.valid(g.header, g.claims.with("aud", "[]")) }},
	{"aud-null", false, func(g *diffGen) string { return g.valid(g.header, g.claims.with("aud", "null")) }},
	{"aud-empty-string", false, func(g *diffGen) string { return g.valid(g.header, g.claims.with("aud", `""`)) }},
	{"aud-number", false, func(g *diffGen) string { return g.valid(g.header, g.claims.with("aud", "42")) }},
	{"aud-object", false, func(g *diffGen) string {
		return g.valid(g.header, g.claims.with("aud", `{"aud":`+q(diffAudience)+`}`))
	}},
	{"aud-array-with-non-string", false, func(g *diffGen) string {
		return g.valid(g.header, g.claims.with("aud", "["+q(diffAudience)+",5]"))
	}},
	{"sub-missing", false, func(g *diffGen) string { return g.valid(g.header, g.claims.without("sub")) }},
	{"sub-null", false, func(g *diffGen) string { return g.valid(g.header, g.claims.with("sub", "null")) }},
	{"padded-base64", false, func(g *diffGen) string {
		tok := g.valid(g.header, g.claims)
		return tok + strings.Repeat("=", (4-len(tok[strings.LastIndexByte(tok, '.')+1:])%4)%4)
	}},
	{"padded-base64-header", false, func(g *diffGen) string {
		// Pad the header and sign the padded form, so only the padding is wrong. One of any two
		// consecutive header lengths needs padding.
		for n := 1; ; n++ {
			h := base64.URLEncoding.EncodeToString([]byte(g.header.with("pad", q(strings.Repeat("x", n))).String()))
			if strings.HasSuffix(h, "=") {
				in := h + "." + enc(g.claims.String())
				return in + "." + b64u(sign(g.t, g.p.alg, g.p.priv, in))
			}
		}
	}},
	{"std-base64-alphabet", false, func(g *diffGen) string {
		// Re-mint with a different jti until the signature has a '-' or '_' to turn into '+' or '/'.
		for i := 0; ; i++ {
			tok := g.valid(g.header, g.claims.with("jti", q("std-"+strconv.Itoa(i))))
			sig := tok[strings.LastIndexByte(tok, '.')+1:]
			if strings.ContainsAny(sig, "-_") {
				return tok[:len(tok)-len(sig)] + strings.NewReplacer("-", "+", "_", "/").Replace(sig)
			}
		}
	}},
	{"extra-dot-end", false, func(g *diffGen) string { return g.valid(g.header, g.claims) + "." }},
	{"extra-part", false, func(g *diffGen) string {
		tok := g.valid(g.header, g.claims)
		return tok + "." + tok[strings.LastIndexByte(tok, '.')+1:]
	}},
	{"empty-middle-part", false, func(g *diffGen) string {
		tok := g.valid(g.header, g.claims)
		return tok[:strings.IndexByte(tok, '.')] + ".." + tok[strings.LastIndexByte(tok, '.')+1:]
	}},
	{"two-parts", false, func(g *diffGen) string {
		tok := g.valid(g.header, g.claims)
		return tok[:strings.LastIndexByte(tok, '.')]
	}},
	{"empty-signature", false, func(g *diffGen) string {
		tok := g.valid(g.header, g.claims)
		return tok[:strings.LastIndexByte(tok, '.')+1]
	}},
	{"wrong-kid", false, func(g *diffGen) string { return g.valid(g.header.with("kid", q("k2")), g.claims) }},
	{"kid-number", false, func(g *diffGen) string { return g.valid(g.header.with("kid", "1"), g.claims) }},
	{"header-array", false, func(g *diffGen) string {
		return g.mint("["+g.header.String()+"]", g.claims.String(), g.p.alg, g.p.priv)
	}},
	{"claims-array", false, func(g *diffGen) string {
		return g.mint(g.header.String(), "["+g.claims.String()+"]", g.p.alg, g.p.priv)
	}},
	{"claims-trailing-garbage", false, func(g *diffGen) string {
		return g.mint(g.header.String(), g.claims.String()+"x", g.p.alg, g.p.priv)
	}},

	// --- golang-jwt accepts, jwtlite refuses: see diffStricter ---
	{"dup-claim", false, func(g *diffGen) string {
		return g.mint(g.header.String(), g.claims.String()[:len(g.claims.String())-1]+`,"iss":`+q(diffIssuer)+"}", g.p.alg, g.p.priv)
	}},
	{"dup-claim-escaped", false, func(g *diffGen) string {
		c := g.claims.String()
		return g.mint(g.header.String(), c[:len(c)-1]+`,"\u0073ub":"someone-else"}`, g.p.alg, g.p.priv)
	}},
	{"dup-header", false, func(g *diffGen) string {
		h := g.header.String()
		return g.mint(h[:len(h)-1]+`,"alg":`+q(g.p.alg)+"}", g.claims.String(), g.p.alg, g.p.priv)
	}},
	{"sig-padding-bits", false, func(g *diffGen) string {
		tok := g.valid(g.header, g.claims)
		// The signature lengths used here (256, 64, 32 bytes) leave ≥ 2 padding bits in the last
		// character; flipping its lowest bit changes only padding bits.
		last := len(tok) - 1
		return tok[:last] + string(b64Alphabet[strings.IndexByte(b64Alphabet, tok[last])^1])
	}},
	{"crit", false, func(g *diffGen) string {
		return g.valid(g.header.with("crit", `["exp"]`), g.claims)
	}},
	{"invalid-utf8", false, func(g *diffGen) string {
		return g.valid(g.header, g.claims.with("jti", "\"bad-\xff-utf8\""))
	}},
	{"nbf-negative", false, func(g *diffGen) string { return g.valid(g.header, g.claims.with("nbf", "-1")) }},
	{"iat-negative", false, func(g *diffGen) string { return g.valid(g.header, g.claims.with("iat", "-1")) }},
	{"exp-2^53", false, func(g *diffGen) string { return g.valid(g.header, g.claims.with("exp", "9007199254740993")) }},
	{"nbf-fraction", false, func(g *diffGen) string {
		return g.valid(g.header, g.claims.with("nbf", num(g.now+int64(diffSkew/time.Second))+".5"))
	}},
	{"pss-salt-0", false, func(g *diffGen) string {
		if g.p.name != "PS256" {
			return ""
		}
		return g.mint(g.header.String(), g.claims.String(), "PS256/salt0", g.p.priv)
	}},
	{"pss-salt-max", false, func(g *diffGen) string {
		if g.p.name != "PS256" {
			return ""
		}
		return g.mint(g.header.String(), g.claims.String(), "PS256/saltmax", g.p.priv)
	}},
	{"key-bound-one-alg", false, func(g *diffGen) string {
		if g.p.name != "RS256+PS256" {
			return ""
		}
		return g.mint(g.header.with("alg", q("PS256")).String(), g.claims.String(), "PS256", g.p.priv)
	}},

	// --- jwtlite accepts, golang-jwt refuses: see diffLaxer ---
	{"alg-ed25519", true, func(g *diffGen) string {
		if g.p.alg != "EdDSA" {
			return ""
		}
		return g.mint(g.header.with("alg", q("Ed25519")).String(), g.claims.String(), "Ed25519", g.p.priv)
	}},
	{"exp-fraction-boundary", true, func(g *diffGen) string {
		return g.valid(g.header, g.claims.with("exp", num(g.now-int64(diffSkew/time.Second))+".5"))
	}},
}

// referenceVerify is golang-jwt configured like jwtlite.Verify for profile p, plus the one rule
// golang-jwt has no option for: required claims (here "sub") present and not null.
func referenceVerify(p *diffProfile, token string) error {
	parser := jwt.NewParser(
		jwt.WithValidMethods(p.algs),
		jwt.WithIssuer(diffIssuer),
		jwt.WithAudience(diffAudience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(diffSkew),
		jwt.WithTimeFunc(func() time.Time { return diffNow }),
	)
	claims := jwt.MapClaims{}
	_, err := parser.ParseWithClaims(token, claims, func(tok *jwt.Token) (any, error) {
		// A kid, when present, must name our key; absent is fine with one key (docs/configuration.md#keys).
		if v, ok := tok.Header["kid"]; ok {
			if s, ok := v.(string); !ok || s != diffKid {
				return nil, errors.New("unknown kid")
			}
		}
		return p.pub, nil
	})
	if err != nil {
		return err
	}
	if v, ok := claims["sub"]; !ok || v == nil {
		return errors.New("sub missing")
	}
	return nil
}

func liteVerify(p *diffProfile, parser *jwtlite.Parser, token string) error {
	var tok jwtlite.Token
	return jwtlite.Verify(parser, token, &jwtlite.VerifyOptions{
		Keys:           p.ks,
		Issuer:         diffIssuer,
		Now:            diffNow,
		Skew:           diffSkew,
		Audience:       func(aud []byte) bool { return string(aud) == diffAudience },
		RequiredClaims: []string{"sub"},
	}, &tok)
}

// TestDifferential compares jwtlite.Verify with golang-jwt over ≥ 300 minted tokens.
func TestDifferential(t *testing.T) {
	cryptotest.SetGlobalRandom(t, diffSeed)
	rng := mrand.New(mrand.NewPCG(diffSeed, diffSeed^0x9e3779b97f4a7c15))
	keys := newDiffKeys(t, rng)
	profiles := diffProfiles(t, keys)

	kinds := map[string]bool{}
	for _, k := range diffKinds {
		kinds[k.kind] = true
	}
	for kind := range diffReason {
		if !kinds[kind] {
			t.Errorf("diffReason names unknown case kind %q", kind)
		}
	}

	var cases []diffCase
	for _, p := range profiles {
		for rep := range diffReps {
			for _, k := range diffKinds {
				if p.name == "RS256+PS256" && k.kind != "valid" && k.kind != "key-bound-one-alg" {
					continue // this profile only exists to show the key/alg binding
				}
				g := &diffGen{t: t, rng: rng, p: p, keys: keys}
				g.newBase()
				if tok := k.build(g); tok != "" {
					cases = append(cases, diffCase{
						name: fmt.Sprintf("%s/%s/%d", p.name, k.kind, rep), kind: k.kind,
						profile: p, token: tok, wantAccept: k.want,
					})
				}
			}
		}
	}
	if len(cases) < 300 {
		t.Fatalf("only %d tokens minted, want ≥ 300", len(cases))
	}

	var parser jwtlite.Parser
	var agree, agreeAccept, stricter, laxer int
	seenStricter, seenLaxer := map[string]bool{}, map[string]bool{}
	for _, c := range cases {
		liteErr := liteVerify(c.profile, &parser, c.token)
		refErr := referenceVerify(c.profile, c.token)
		lite, ref := liteErr == nil, refErr == nil
		if rule, ok := diffStricter[c.kind]; ok {
			seenStricter[c.kind] = true
			if !ref || lite || !errors.Is(liteErr, rule.err) {
				t.Errorf("%s: stricter case (%s): want golang-jwt accept and jwtlite %v; golang-jwt err=%v, jwtlite err=%v",
					c.name, rule.rule, rule.err, refErr, liteErr)
				continue
			}
			stricter++
			continue
		}
		if why, ok := diffLaxer[c.kind]; ok {
			seenLaxer[c.kind] = true
			if ref || !lite {
				t.Errorf("%s: laxer case (%s): want jwtlite accept and golang-jwt refuse; golang-jwt err=%v, jwtlite err=%v",
					c.name, why, refErr, liteErr)
				continue
			}
			laxer++
			continue
		}
		switch {
		case lite && !ref:
			t.Errorf("%s: jwtlite ACCEPTS, golang-jwt refuses (%v)", c.name, refErr)
		case !lite && ref:
			t.Errorf("%s: jwtlite refuses (%v), golang-jwt accepts; not in the stricter table", c.name, liteErr)
		case ref != c.wantAccept:
			t.Errorf("%s: both %s, case expects accept=%v (generator broken?); jwtlite err=%v, golang-jwt err=%v",
				c.name, verdict(ref), c.wantAccept, liteErr, refErr)
		case !lite && diffReason[c.kind] != nil && !errors.Is(liteErr, diffReason[c.kind]):
			t.Errorf("%s: both refuse, but jwtlite says %v, want %v", c.name, liteErr, diffReason[c.kind])
		default:
			agree++
			if lite {
				agreeAccept++
			}
		}
	}
	for kind := range diffStricter {
		if !seenStricter[kind] {
			t.Errorf("stricter table entry %q was never exercised", kind)
		}
	}
	for kind := range diffLaxer {
		if !seenLaxer[kind] {
			t.Errorf("laxer table entry %q was never exercised", kind)
		}
	}
	t.Logf("differential: total %d, agree %d (both accept %d, both refuse %d), stricter %d, laxer-with-citation %d",
		len(cases), agree, agreeAccept, agree-agreeAccept, stricter, laxer)
}

func verdict(accept bool) string {
	if accept {
		return "accept"
	}
	return "refuse"
}
