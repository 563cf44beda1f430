package keys

import (
	"bytes"
	"testing"

	"github.com/buger/jsonparser"

	"github.com/audguard/audguard/jwtlite"
)

// FuzzParseSet: ParseSet never panics; an accepted set has between 1 and MaxSetKeys usable keys
// bound to implemented algorithms (never HMAC), and its compact form is accepted again with
// the same keys and bytes, holds no private member, and is no larger than the body allows.
func FuzzParseSet(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`), "")
	f.Add([]byte(`{"keys":[{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}`), "HS256")
	f.Fuzz(func(t *testing.T, body []byte, alg string) {
		var algs []jwtlite.Algorithm
		if alg != "" {
			algs = []jwtlite.Algorithm{jwtlite.Algorithm(alg)}
		}
		s, err := ParseSet(body, algs)
		if err != nil {
			if s != nil {
				t.Fatal("set with an error")
			}
			return
		}
		if len(s.Keys) == 0 || len(s.Keys)+s.Skipped > MaxSetKeys || len(s.elems) != len(s.Keys) {
			t.Fatalf("%d keys, %d skipped", len(s.Keys), s.Skipped)
		}
		for _, k := range s.Keys {
			if _, ok := jwtlite.ParseAlgorithm(string(k.Alg)); !ok || k.Alg.IsHMAC() || k.Kty == "oct" {
				t.Fatalf("key bound to %q (%s)", k.Alg, k.Kty)
			}
		}
		for _, e := range s.elems {
			if _, _, _, err := jsonparser.Get(e, "d"); err == nil {
				t.Fatalf("private member in %s", e)
			}
		}
		again, err := ParseSet(s.Compact, algs)
		if err != nil || !bytes.Equal(again.Compact, s.Compact) || len(again.Keys) != len(s.Keys) {
			t.Fatalf("compact form not stable: %v", err)
		}
		for i, k := range s.Keys {
			if again.Keys[i].ID != k.ID || again.Keys[i].Alg != k.Alg || s.kids[i] != k.ID {
				t.Fatalf("key %d changed", i)
			}
		}
	})
}
