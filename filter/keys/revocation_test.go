package keys

import (
	"errors"
	"strconv"
	"testing"

	"github.com/audguard/audguard/jwtlite"
)

func TestRevocation(t *testing.T) {
	r, err := NewRevocation(RevocationConfig{KeyIDs: []string{"old"}, TokenIDs: []string{"jti-1", "jti-2"}, IssuedBefore: 1_800_000_000})
	if err != nil {
		t.Fatal(err)
	}
	const ok = 1_800_000_001.0
	cases := []struct {
		name   string
		kid    string
		jti    string
		hasJTI bool
		iat    float64
		hasIat bool
		want   Lever
	}{
		{"nothing revoked", "k1", "jti-3", true, ok, true, NotRevoked},
		{"revoked kid", "old", "jti-3", true, ok, true, RevokedKey},
		{"revoked kid wins over jti", "old", "jti-1", true, ok, true, RevokedKey},
		{"revoked jti", "k1", "jti-2", true, ok, true, RevokedToken},
		{"jti compared exactly", "k1", "JTI-2", true, ok, true, NotRevoked},
		{"jti absent", "k1", "jti-1", false, ok, true, NotRevoked},
		{"issued before", "k1", "", false, 1_799_999_999.5, true, RevokedIssuedBefore},
		{"issued at the limit", "k1", "", false, 1_800_000_000, true, NotRevoked},
		{"no iat counts as before", "k1", "", false, 0, false, RevokedIssuedBefore},
		{"kid absent (no-kid key)", "", "", false, ok, true, NotRevoked},
	}
	for _, c := range cases {
		if got := r.Revoked(c.kid, []byte(c.jti), c.hasJTI, c.iat, c.hasIat); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	var none *Revocation
	if none.Revoked("old", nil, false, 0, false) != NotRevoked || none.RevokedClaims("old", nil) != NotRevoked {
		t.Fatal("nil revocation")
	}
	// Only the kid lever: a missing iat is fine.
	kidOnly, _ := NewRevocation(RevocationConfig{KeyIDs: []string{"old"}})
	if kidOnly.Revoked("k1", nil, false, 0, false) != NotRevoked || kidOnly.Revoked("old", nil, false, 0, false) != RevokedKey {
		t.Fatal("kid only")
	}
}

func TestRevokedClaims(t *testing.T) {
	r, _ := NewRevocation(RevocationConfig{TokenIDs: []string{"jti-1", "42"}, IssuedBefore: 1000})
	cases := []struct {
		claims string
		want   Lever
	}{
		{`{"jti":"jti-2","iat":2000}`, NotRevoked},
		{`{"jti":"jti-1","iat":2000}`, RevokedToken},
		{`{"jti":"jti\u002d1","iat":2000}`, RevokedToken},
		{`{"jti":42,"iat":2000}`, RevokedToken},
		{`{"jti":"x","iat":999.9}`, RevokedIssuedBefore},
		{`{"jti":"x","iat":1000}`, NotRevoked},
		{`{"jti":"x"}`, RevokedIssuedBefore},
		{`{"jti":"x","iat":null}`, RevokedIssuedBefore},
		{`{"jti":"x","iat":true}`, RevokedIssuedBefore},
		{`{"iat":1e3}`, NotRevoked},
	}
	for _, c := range cases {
		cl, err := jwtlite.ParseClaims([]byte(c.claims))
		if err != nil {
			t.Fatal(err)
		}
		if got := r.RevokedClaims("k", &cl); got != c.want {
			t.Errorf("%s: %v, want %v", c.claims, got, c.want)
		}
	}
}

func TestNewRevocationRefuses(t *testing.T) {
	many := make([]string, MaxRevokedTokenIDs+1)
	for i := range many {
		many[i] = strconv.Itoa(i)
	}
	cases := []struct {
		c      RevocationConfig
		member string
	}{
		{RevocationConfig{KeyIDs: []string{""}}, "revoked_key_ids[0]"},
		{RevocationConfig{KeyIDs: []string{"a", "a"}}, "revoked_key_ids[1]"},
		{RevocationConfig{TokenIDs: []string{"a", ""}}, "revoked_token_ids[1]"},
		{RevocationConfig{TokenIDs: many}, "revoked_token_ids"},
		{RevocationConfig{IssuedBefore: -1}, "reject_issued_before"},
	}
	for _, c := range cases {
		_, err := NewRevocation(c.c)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Member != c.member {
			t.Errorf("%+v: %v, want a refusal of %s", c.c.KeyIDs, err, c.member)
		}
	}
	if r, err := NewRevocation(RevocationConfig{TokenIDs: many[:MaxRevokedTokenIDs]}); err != nil || r == nil {
		t.Fatal(err)
	}
	if r, err := NewRevocation(RevocationConfig{}); err != nil || r != nil {
		t.Fatal("no lever should compile to nil")
	}
}
