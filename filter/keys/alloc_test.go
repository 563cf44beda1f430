package keys

import (
	"testing"

	"github.com/audguard/audguard/jwtlite"
)

// TestAllocations pins the request-path promises: selecting a key by kid (configured and
// fetched keys together) and the revocation levers allocate nothing.
func TestAllocations(t *testing.T) {
	c := &clock{t: t0}
	is := remoteIssuer(nil)
	is.Configured = jwks(ecJWK(t, 2, "conf", nil))
	v := newVM(t, c, nil, 1, is, nil)
	v.tick()
	v.respond(200, jwks(ecJWK(t, 0, "k1", nil), ecJWK(t, 1, "k2", nil)))
	fetched, configured, unknown := hdr("k2"), hdr("conf"), hdr("nope")
	r, _ := NewRevocation(RevocationConfig{KeyIDs: []string{"old"}, TokenIDs: []string{"jti-1"}, IssuedBefore: 1000})
	claims, err := jwtlite.ParseClaims([]byte(`{"jti":"jti-2","iat":2000}`))
	if err != nil {
		t.Fatal(err)
	}
	jti := []byte("jti-2")
	cases := []struct {
		name string
		fn   func()
	}{
		{"Select fetched kid", func() {
			if _, err := v.s.Select(0, fetched); err != nil {
				t.Fatal(err)
			}
		}},
		{"Select configured kid", func() {
			if _, err := v.s.Keys(0).Select(configured); err != nil {
				t.Fatal(err)
			}
		}},
		{"Select unknown kid", func() {
			if _, err := v.s.Select(0, unknown); err != jwtlite.ErrUnknownKey {
				t.Fatal(err)
			}
		}},
		{"Revoked", func() {
			if r.Revoked("k2", jti, true, 2000, true) != NotRevoked {
				t.Fatal("revoked")
			}
		}},
		{"RevokedClaims", func() {
			if r.RevokedClaims("k2", &claims) != NotRevoked {
				t.Fatal("revoked")
			}
		}},
	}
	for _, tc := range cases {
		if got := testing.AllocsPerRun(100, tc.fn); got != 0 {
			t.Errorf("%s: %v allocations per run, want 0", tc.name, got)
		}
	}
}
