package jwtlite

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/buger/jsonparser"
)

// agree checks b with jsonChecker, normally and with every group of names radix-sorted (which
// otherwise only groups of more than insertionMax names are), against stdCheckObject, the
// reference built on encoding/json alone, and the top-level members against
// jsonparser.ObjectEach.
func agree(t *testing.T, b []byte) {
	t.Helper()
	for _, radix := range []bool{false, true} {
		c := jsonChecker{radix: radix}
		got := c.checkObject(b)
		sameAsStd(t, &c, got, b)
		if got == nil {
			sameMembers(t, &c, b)
		}
	}
}

// sameMembers checks memberName and memberValue against jsonparser.ObjectEach.
func sameMembers(t *testing.T, c *jsonChecker, b []byte) {
	t.Helper()
	i := 0
	err := jsonparser.ObjectEach(b, func(key, value []byte, vt jsonparser.ValueType, end int) error {
		if vt == jsonparser.String {
			end-- // the closing quote
		}
		want := span{start: end - len(value), end: end, vt: vt}
		if i >= c.members() {
			return fmt.Errorf("member %d (%q) missing", i, key)
		}
		if name, sp := c.memberName(i), c.memberValue(i); string(name) != string(key) || sp != want {
			return fmt.Errorf("member %d: %q %+v, ObjectEach %q %+v", i, name, sp, key, want)
		}
		i++
		return nil
	})
	if err == nil && i != c.members() {
		err = fmt.Errorf("%d members, ObjectEach %d", c.members(), i)
	}
	if err != nil {
		t.Fatalf("%q: %v", b, err)
	}
}

// TestJSONCheckerAgreesWithReference: the walker and its duplicate check (both of its sorts)
// return what the encoding/json reference (stdCheckObject) returns, on hand-made cases and
// random documents rich in duplicates, escapes and nesting.
func TestJSONCheckerAgreesWithReference(t *testing.T) {
	deep := func(n int, inner string) string {
		return `{"a":` + strings.Repeat("[", n) + inner + strings.Repeat("]", n) + `}`
	}
	cases := []struct {
		json string
		ok   bool
	}{
		{`{}`, true},
		{" \t{\"a\":1}\r\n", true},
		{`{"a":1,"a":2}`, false},
		{`{"a":1,"\u0061":2}`, false},                   // equal after unescaping
		{`{"\u0061":1,"\u0061":2}`, false},              // equal spellings with escapes
		{`{"a/b":1,"a\/b":2}`, false},                   // \/ is /
		{`{"\ud83d\ude00":1,"😀":2}`, false},             // surrogate pair vs UTF-8
		{`{"\ud800":1,"\ufffd":2}`, false},              // a lone surrogate unescapes to U+FFFD
		{`{"a\u0000":1,"a":2}`, true},                   // NUL is a byte like any other
		{`{"a\"":1,"a\"":2}`, false},                    // escaped quote inside a name
		{`{"a\\":1,"a\"":2}`, true},                     // ... not confused with an escaped backslash
		{`{"a":"}","b":"{","c":"\",","d":"[:]"}`, true}, // structure inside strings
		{`{"":1,"":2}`, false},
		{`{"":1," ":2}`, true},
		{`{"abcdefghX":1,"abcdefghY":2}`, true},
		{`{"abcdefghijklmnopqrstuvwxyz":1,"abcdefghijklmnopqrstuvwxyz":2}`, false},
		{`{"a":{"a":1}}`, true},
		{`{"a":{"b":1,"b":2}}`, false},
		{`{"x":[{"b":1},{"b":2}]}`, true},
		{`{"x":[{"b":1,"b":2}]}`, false},
		{`{"a":{"b":1},"b":2}`, true},
		{`{"a":1,"b":{"c":{"a":1}},"a":3}`, false},      // duplicate across a nested object
		{`{"b":{"x":1,"y":2},"c":{"y":1,"x":2}}`, true}, // siblings reuse records
		{`{"b":{"x":1,"y":2},"c":{"y":1,"y":2}}`, false},
		{`{"a":[1,{"a":1,"b":[{"a":1,"\u0061":1}]}]}`, false},
		{deep(31, `"x"`), true},
		{deep(32, `"x"`), false}, // the 33rd container
		{deep(30, `{"k":1,"k":2}`), false},
		{deep(30, `{"k":1,"l":2}`), true},
		{deep(31, `{}`), false},
		{`[]`, false},
		{`"a"`, false},
		{`{"a":1,}`, false},
		{"{\"a\":\"\xff\"}", false},
	}
	for _, tc := range cases {
		var c jsonChecker
		if err := c.checkObject([]byte(tc.json)); (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok=%v", tc.json, err, tc.ok)
		}
		agree(t, []byte(tc.json))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	accepted := 0
	for range 1000 {
		b := randomObject(rng, 1+rng.IntN(200))
		agree(t, b)
		if (&jsonChecker{}).checkObject(b) == nil {
			accepted++
		}
	}
	t.Logf("%d of 1000 random documents accepted", accepted)
	if accepted < 100 || accepted > 900 {
		t.Errorf("%d of 1000 random documents accepted: the generator lost its mix", accepted)
	}
}

// randomObject writes a random JSON object of about n members over a few names, most
// spellable several ways, nested up to beyond maxJSONDepth now and then.
func randomObject(rng *rand.Rand, n int) []byte {
	names := []string{`a`, `\u0061`, `b`, `a\u0000`, `aa`, `\"`, `\\`, ``, `abcdefgh`, `abcdefgh\u0069`, `abcdefghi`, `\ud800`, `\ufffd`}
	var sb strings.Builder
	var obj func(depth, n int)
	var value func(depth int)
	value = func(depth int) {
		switch r := rng.IntN(10); {
		case r < 2 && depth < 40:
			obj(depth+1, rng.IntN(5))
		case r < 3 && depth < 40:
			sb.WriteByte('[')
			for k := range rng.IntN(4) {
				if k > 0 {
					sb.WriteByte(',')
				}
				value(depth + 1)
			}
			sb.WriteByte(']')
		case r < 5:
			sb.WriteString(`"v\"}{,:"`)
		default:
			sb.WriteString([]string{`1`, `-0.5e3`, `true`, `false`, `null`}[rng.IntN(5)])
		}
	}
	obj = func(depth, n int) {
		sb.WriteString("{ ")
		unique := rng.IntN(3) > 0 // suffix every name with its index: duplicates only through escapes
		for k := range n {
			if k > 0 {
				sb.WriteString(" ,")
			}
			if unique {
				fmt.Fprintf(&sb, `"%s%d"`, names[rng.IntN(len(names))], k)
			} else if rng.IntN(4) == 0 {
				fmt.Fprintf(&sb, `"%s%d"`, names[rng.IntN(len(names))], rng.IntN(n+1))
			} else {
				fmt.Fprintf(&sb, `"%s"`, names[rng.IntN(len(names))])
			}
			sb.WriteString(" : ")
			value(depth)
		}
		sb.WriteString(" }")
	}
	if rng.IntN(3) == 0 { // many distinct names: long objects with no duplicate
		sb.WriteString("{")
		for k := range n * 3 {
			if k > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, `"n%d":`, k)
			value(1)
		}
		sb.WriteString("}")
		return []byte(sb.String())
	}
	obj(0, n)
	return []byte(sb.String())
}

// claimsShape is a claims set of about size bytes in one of the shapes a forged token can
// take to make the checks before the signature expensive (bench/forged_test.go measures the
// same shapes as whole tokens).
func claimsShape(shape string, size int) []byte {
	var sb strings.Builder
	sb.WriteString(`{"iss":"https://auth.example.com","sub":"user-1"`)
	name := func(i int) string { return fmt.Sprintf("%x", i) }
	for i := 0; sb.Len() < size-120; i++ {
		switch shape {
		case "one-member":
			sb.WriteString(`,"x":"` + strings.Repeat("a", size-sb.Len()-10) + `"`)
		case "many-members":
			sb.WriteString(`,"` + name(i) + `":0`)
		case "escaped-names":
			sb.WriteString(`,"\u0078` + name(i) + `":0`)
		case "long-prefix-names":
			sb.WriteString(`,"` + strings.Repeat("p", 96) + name(i) + `":0`)
		case "many-objects":
			if i == 0 {
				sb.WriteString(`,"x":[{}`)
			}
			sb.WriteString(`,{"a":0,"b":0}`)
		case "chunk-prefix-names": // names of 15 bytes sharing their first 14: two rounds of sorting
			sb.WriteString(`,"` + fmt.Sprintf("%014x", 0)[:14-len(name(i))] + name(i) + `x":0`)
		case "small-groups": // objects of insertionMax+1 names of 22 bytes sharing 21, in an array
			if i == 0 {
				sb.WriteString(`,"x":[{}`)
			}
			sb.WriteString(`,{`)
			for k := range insertionMax + 1 {
				if k > 0 {
					sb.WriteString(",")
				}
				sb.WriteString(`"` + strings.Repeat("q", 21) + string(rune('a'+k)) + `":0`)
			}
			sb.WriteString(`}`)
		case "deep-nesting":
			sb.WriteString(`,"x":` + strings.Repeat(`{"a":`, 30) + `"` + strings.Repeat("a", size-sb.Len()-200) + `"` + strings.Repeat("}", 30))
		default:
			panic(shape)
		}
	}
	if shape == "many-objects" || shape == "small-groups" {
		sb.WriteString("]")
	}
	sb.WriteString("}")
	return []byte(sb.String())
}

var claimsShapes = []string{"one-member", "many-members", "escaped-names", "long-prefix-names", "many-objects", "deep-nesting",
	"chunk-prefix-names", "small-groups"}

// TestDuplicateCheckIsNotQuadratic is the guard against the pre-signature CPU denial of
// service: counted work, not time. For each shape of a 48 KiB claims set (the payload of a
// 64 KiB token), the duplicate check takes a few steps per name and per 7 bytes of name
// (bound: 12 per name and per 7 bytes of the text, the radix sort's 256 steps a pass
// included), where the
// pairwise check made n(n-1)/2 comparisons (17.6 million for the 5,930 names of many-members
// here). Nothing depends on a secret: the shapes that made the hash set it replaced work
// hardest (every name alike in the table) are just names here.
func TestDuplicateCheckIsNotQuadratic(t *testing.T) {
	for _, shape := range claimsShapes {
		raw := claimsShape(shape, 48<<10)
		for _, radix := range []bool{false, true} {
			c := jsonChecker{radix: radix}
			if err := c.checkObject(raw); err != nil {
				t.Fatalf("%s: %v", shape, err)
			}
			n := bytes.Count(raw, []byte(`":`)) // names, about
			bound := 12 * (n + len(raw)/7)
			if c.work > bound && !radix { // (forced radix sorts of a few names cost 256 steps a pass)
				t.Errorf("%s (radix %v): %d names: %d steps, bound %d", shape, radix, n, c.work, bound)
			}
			if quadratic := n * (n - 1) / 2; n > 1000 && quadratic < 10*bound {
				t.Errorf("%s: the bound %d does not separate linear from n²/2 = %d", shape, bound, quadratic)
			}
			t.Logf("%-18s radix %-5v %5d names: %6d steps (bound %d; pairwise n²/2 = %d)", shape, radix, n, c.work, bound, n*(n-1)/2)
		}
	}
}

// TestForgedClaimsAllocateNothing: Parse of every shape allocates nothing once warm (escaped
// names used to cost two allocations each, from jsonparser.ObjectEach).
func TestForgedClaimsAllocateNothing(t *testing.T) {
	hdr := b64([]byte(`{"alg":"RS256","kid":"k1"}`))
	var p Parser
	var tok Token
	for _, shape := range claimsShapes {
		token := hdr + "." + b64(claimsShape(shape, 48<<10)) + "." + b64(make([]byte, 256))
		if err := p.Parse(token, &tok); err != nil {
			t.Fatalf("%s: %v", shape, err)
		}
		if a := testing.AllocsPerRun(5, func() { _ = p.Parse(token, &tok) }); a != 0 {
			t.Errorf("%s: %v allocations per Parse", shape, a)
		}
	}
}

// FuzzJSONChecker: jsonChecker (normally and with every group radix-sorted) returns what
// stdCheckObject, the encoding/json reference, returns, and reports the top-level members as
// it and jsonparser.ObjectEach do.
func FuzzJSONChecker(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":{"a":[{"\u0061":1,"a":2}]}}`))
	f.Add(claimsShape("small-groups", 400))
	f.Add(claimsShape("chunk-prefix-names", 400))
	f.Add([]byte(`{"` + strings.Repeat(`pppppppppppppppppppp1":0,"`, 30) + `x":{"\u0041BCDEFGHIJ":0,"ABCDEFGHIJ":1}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			return
		}
		agree(t, b)
	})
}

// The checker keeps what it needs between calls: a second check of other text starts clean.
func TestJSONCheckerReuse(t *testing.T) {
	var c jsonChecker
	for _, s := range []string{`{"a":{"b":1},"c":2}`, `{"b":1,"a":2}`, `{"a":1,"a":2}`, `{"x":{"y":{}}}`, `{"c":2,"a":{"b":1}}`} {
		sameAsStd(t, &c, c.checkObject([]byte(s)), []byte(s))
		if !bytes.Equal(c.text, []byte(s)) {
			t.Errorf("%s: text not kept", s)
		}
	}
}
