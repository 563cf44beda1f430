package keys

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/audguard/audguard/jwtlite"
)

// Test keys, generated once per test binary.
var (
	keysOnce sync.Once
	ecKeys   []*ecdsa.PrivateKey // P-256
	rsaKey   *rsa.PrivateKey     // 2048 bits
	weakRSA  *rsa.PrivateKey     // 1024 bits: refused
)

func testKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		for range 4 {
			k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				panic(err)
			}
			ecKeys = append(ecKeys, k)
		}
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if weakRSA, err = rsa.GenerateKey(rand.Reader, 1024); err != nil {
			panic(err)
		}
	})
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwk renders a JWK object text from members (nil values are dropped).
func jwk(t testing.TB, m map[string]any) string {
	t.Helper()
	for k, v := range m {
		if v == nil {
			delete(m, k)
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ecJWK is the public JWK of test EC key n (P-256, ES256) with kid and extra members.
func ecJWK(t testing.TB, n int, kid string, extra map[string]any) string {
	t.Helper()
	testKeys(t)
	pub, err := ecKeys[n].PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{"kty": "EC", "crv": "P-256", "alg": "ES256", "x": b64(pub[1:33]), "y": b64(pub[33:])}
	if kid != "" {
		m["kid"] = kid
	}
	for k, v := range extra {
		m[k] = v
	}
	return jwk(t, m)
}

// rsaJWK is the public JWK (RS256) of the 2048-bit test key, or of the 1024-bit one if weak.
func rsaJWK(t testing.TB, weak bool, kid string) string {
	t.Helper()
	testKeys(t)
	k := rsaKey
	if weak {
		k = weakRSA
	}
	return jwk(t, map[string]any{"kty": "RSA", "alg": "RS256", "kid": kid,
		"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())})
}

// bigRSAJWK is an RS256 public JWK whose modulus is an odd number of exactly bits bits (not a
// product of two primes: parsing judges size and form only).
func bigRSAJWK(t testing.TB, kid string, bits int) string {
	n := bytes.Repeat([]byte{0xa5}, (bits+7)/8) // 0xa5: top and bottom bit set
	if r := bits % 8; r != 0 {
		n[0] = 1<<(r-1) | 1
	}
	return jwk(t, map[string]any{"kty": "RSA", "alg": "RS256", "kid": kid, "n": b64(n), "e": "AQAB"})
}

func octJWK(kid string) string {
	return `{"kty":"oct","kid":"` + kid + `","alg":"HS256","k":"` + b64(make([]byte, 32)) + `"}`
}

// jwks joins JWK texts into a JWK Set.
func jwks(keys ...string) []byte { return []byte(`{"keys":[` + strings.Join(keys, ",") + `]}`) }

// sign makes an ES256 signature with test EC key n.
func sign(t testing.TB, n int, input []byte) []byte {
	t.Helper()
	d := sha256.Sum256(input)
	r, s, err := ecdsa.Sign(rand.Reader, ecKeys[n], d[:])
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out
}

func hdr(kid string) *jwtlite.Header {
	return &jwtlite.Header{Alg: jwtlite.ES256, Kid: []byte(kid), HasKid: true}
}

// clock is a settable clock.
type clock struct{ t time.Time }

func (c *clock) add(d time.Duration) time.Time { c.t = c.t.Add(d); return c.t }

var t0 = time.Unix(1_800_000_000, 0)

// mapStore is an in-memory SharedStore with CAS. envoy: CAS 0 writes unconditionally, as
// Envoy does; otherwise CAS 0 writes only if absent.
type mapStore struct {
	m     map[string][]byte
	cas   map[string]uint32
	next  uint32
	envoy bool
	gets  int
}

func newMapStore() *mapStore { return &mapStore{m: map[string][]byte{}, cas: map[string]uint32{}} }

func (s *mapStore) Get(key string) ([]byte, uint32, bool) {
	s.gets++
	v, ok := s.m[key]
	return append([]byte(nil), v...), s.cas[key], ok
}

func (s *mapStore) Set(key string, value []byte, cas uint32) bool {
	cur, ok := s.cas[key]
	if cas == 0 && ok && !s.envoy || cas != 0 && cas != cur {
		return false
	}
	s.next++
	s.m[key], s.cas[key] = append([]byte(nil), value...), s.next
	return true
}

// plant overwrites key as a foreign module could.
func (s *mapStore) plant(key string, value []byte) {
	s.next++
	s.m[key], s.cas[key] = value, s.next
}

// vm is a fake glue around one State: it records what the actions ask.
type vm struct {
	t       testing.TB
	s       *State
	c       *clock
	fetches []Action // ActFetch not yet answered
	calls   int      // HTTP calls dispatched
	woken   []uint32
	warns   []string
}

const prefix = "audguard/0123456789abcdef/"

func remoteCfg(mut func(*Remote)) *Remote {
	r := DefaultRemote("https://idp.example.com/.well-known/jwks.json", "idp")
	if mut != nil {
		mut(&r)
	}
	return &r
}

// newVM makes a VM with one issuer "corp" (index 0) over store (nil: its own).
func newVM(t testing.TB, c *clock, store SharedStore, id uint64, is Issuer, mut func(*Options)) *vm {
	t.Helper()
	if is.Name == "" {
		is.Name = "corp"
	}
	o := Options{Shared: store, Prefix: prefix, VMID: id, Rand: func() float64 { return 0.5 }}
	if mut != nil {
		mut(&o)
	}
	s, err := New([]Issuer{is}, o)
	if err != nil {
		t.Fatal(err)
	}
	return &vm{t: t, s: s, c: c}
}

func (v *vm) run(acts []Action) {
	for _, a := range acts {
		switch a.Kind {
		case ActFetch:
			v.fetches = append(v.fetches, a)
			v.calls++
		case ActWake:
			v.woken = append(v.woken, a.Waiter)
		case ActWarn:
			v.warns = append(v.warns, a.Text)
		default:
			v.t.Fatalf("unknown action %v", a.Kind)
		}
	}
}

func (v *vm) tick() { v.run(v.s.Tick(v.c.t)) }

// respond answers the oldest pending fetch.
func (v *vm) respond(status int, body []byte) {
	v.t.Helper()
	if len(v.fetches) == 0 {
		v.t.Fatal("no fetch to answer")
	}
	a := v.fetches[0]
	v.fetches = v.fetches[1:]
	v.run(v.s.OnFetchResponse(v.c.t, a.Fetch.Seq, status, body))
}

func (v *vm) miss(id uint32, mayWait bool) Miss {
	m, acts := v.s.OnMiss(v.c.t, 0, id, mayWait)
	v.run(acts)
	return m
}

// has reports whether issuer 0 selects a key for kid.
func (v *vm) has(kid string) bool {
	_, err := v.s.Select(0, hdr(kid))
	return err == nil
}

func (v *vm) stats() Stats { return v.s.Stats(v.c.t, 0) }
