package strsort

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortEqualsSlicesSort: every length up to 40 and some longer lists,
// with few distinct values (many repeats) and many, sort as slices.Sort does.
func TestSortEqualsSlicesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"", "a", "A", "aa", "ab", "b", "ba", "z", "é", "\x00", "\xff", "mcp:read", "mcp:write"}
	for _, distinct := range []int{1, 2, 3, len(alphabet)} {
		for n := 0; n <= 40; n++ {
			for round := 0; round < 20; round++ {
				check(t, r, alphabet[:distinct], n)
			}
		}
		for _, n := range []int{100, 257, 1000, 4096} {
			check(t, r, alphabet[:distinct], n)
		}
	}
	type alg string // a named string type, as jwtlite.Algorithm
	a := []alg{"RS256", "ES256", "EdDSA", "PS256", "ES384"}
	Sort(a)
	if !slices.IsSorted(a) {
		t.Errorf("named type: %q", a)
	}
}

func check(t *testing.T, r *rand.Rand, alphabet []string, n int) {
	t.Helper()
	s := make([]string, n)
	for i := range s {
		s[i] = alphabet[r.IntN(len(alphabet))]
		if r.IntN(4) == 0 {
			s[i] += alphabet[r.IntN(len(alphabet))]
		}
	}
	want := slices.Clone(s)
	slices.Sort(want)
	Sort(s)
	if !slices.Equal(s, want) {
		t.Fatalf("Sort gave %q, want %q", s, want)
	}
}

func TestSortAllocates(t *testing.T) {
	s := []string{"c", "b", "a", "d"}
	if n := testing.AllocsPerRun(100, func() { Sort(s) }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}
