package policy

import (
	"strings"
	"testing"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/jwtlite"
)

// TestEqualWords holds the module's token comparison to ==, at every length
// around the 8-byte word and with the difference at every position.
func TestEqualWords(t *testing.T) {
	base := strings.Repeat("eyJhbGciOiJSUzI1NiJ9.", 4)
	for n := 0; n <= len(base); n++ {
		a := base[:n]
		if !equalWords(a, strings.Clone(a)) {
			t.Fatalf("length %d: equal strings compared unequal", n)
		}
		if n > 0 && equalWords(a, base[:n-1]) {
			t.Fatalf("length %d: a prefix compared equal", n)
		}
		for i := 0; i < n; i++ {
			b := []byte(a)
			b[i] ^= 0x20
			if equalWords(a, string(b)) {
				t.Fatalf("length %d: a difference at byte %d was missed", n, i)
			}
		}
	}
}

func FuzzEqualWords(f *testing.F) {
	f.Add("a.b.c", "a.b.c")
	f.Add("eyJhbGciOiJFUzI1NiJ9.e30.sig", "eyJhbGciOiJFUzI1NiJ9.e30.sih")
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := equalWords(a, b), a == b; got != want {
			t.Fatalf("equalWords(%q, %q) = %v, want %v", a, b, got, want)
		}
	})
}

// TestCacheKeyIsNotTheWholeStory: two tokens with the same length and the
// same last keyTail bytes share a map key, and the full comparison keeps
// each from being served as the other.
func TestCacheKeyIsNotTheWholeStory(t *testing.T) {
	c := newTokenCache(4)
	tail := strings.Repeat("s", keyTail)
	a, b := "aaaa."+tail, "bbbb."+tail
	if c.keyOf(a) != c.keyOf(b) {
		t.Fatal("keyOf differs for tokens that share length and tail; the test needs them to collide")
	}
	c.put(a, &config.Issuer{}, nil, &jwtlite.Claims{}, 100, 0)
	if c.get(b, 1) != nil {
		t.Fatal("a token that shares only the key was served from the cache")
	}
	if c.get(a, 1) == nil {
		t.Fatal("the cached token itself was not found")
	}
}
