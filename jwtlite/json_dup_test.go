package jwtlite

import (
	"fmt"
	"strings"
	"testing"

	"github.com/buger/jsonparser"
)

// TestUnescapeASCII: the fast unescaping of names agrees with jsonparser.Unescape whenever it
// answers, and leaves every non-ASCII escape to it.
func TestUnescapeASCII(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{`a`, true}, {``, true}, {`\n`, true}, {`\"\\\/\b\f\n\r\t`, true}, {`\u0000`, true},
		{`\u0041\u0061`, true}, {`\u007f`, true}, {`\u007F`, true}, {`\u004a\u004A`, true},
		{`x\u0078x`, true}, {`\u0080`, false}, {`\u00e9`, false}, {`\u0100`, false},
		{`\ud83d\ude00`, false}, {`\ud800`, false}, {`a\u0800b`, false}, {`\u8000`, false},
		{`\uA000`, false}, {`\u0a00`, false},
	} {
		out := make([]byte, len(tc.in))
		got, ok := unescapeASCII([]byte(tc.in), out)
		if ok != tc.ok {
			t.Errorf("%q: ok %v, want %v", tc.in, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		want, err := jsonparser.Unescape([]byte(tc.in), nil)
		if err != nil || string(got) != string(want) {
			t.Errorf("%q: %q, jsonparser %q (%v)", tc.in, got, want, err)
		}
	}
}

// TestChunkKey: keys are equal exactly as chunkKey promises, whether the bytes after the name
// can be loaded with it or not.
func TestChunkKey(t *testing.T) {
	names := []string{"", "a", "a\x00", "b", "ab", "abcdefg", "abcdefgh", "abcdefgi", "abcdefghijklmn",
		"abcdefghijklmno", "abcdefg\x00", "\x00", "\x00\x00\x00\x00\x00\x00\x00"}
	for _, x := range names {
		for _, y := range names {
			for off := 0; off <= min(len(x), len(y)); off += 7 {
				if x[:off] != y[:off] {
					continue
				}
				kx, ky := chunkKey([]byte(x), off), chunkKey([]byte(y + "zzzzzzzz")[:len(y)], off)
				wantEqual := x[:min(len(x), off+7)] == y[:min(len(y), off+7)] &&
					(len(x)-off > 7) == (len(y)-off > 7) && (len(x)-off > 7 || len(x) == len(y))
				if (kx == ky) != wantEqual {
					t.Errorf("%q, %q from %d: keys %x, %x; want equal %v", x, y, off, kx, ky, wantEqual)
				}
				if ends := kx>>56 != 0xff; ends != (len(x)-off <= 7) {
					t.Errorf("%q from %d: key %x", x, off, kx)
				}
			}
		}
	}
}

// TestDuplicateGroups: duplicates in objects of every size the sorts meet (two names, an
// insertion sort, a radix sort), found however many bytes the names share, and only equal
// names; with the first error in document order when a container opens too deep.
func TestDuplicateGroups(t *testing.T) {
	object := func(names []string) string {
		var sb strings.Builder
		sb.WriteString("{")
		for i, n := range names {
			if i > 0 {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, `"%s":%d`, n, i)
		}
		return sb.String() + "}"
	}
	for _, k := range []int{2, 3, insertionMax, insertionMax + 1, 300} {
		for _, prefix := range []string{"", "p", "ppppppp", "pppppppp", strings.Repeat("p", 20), strings.Repeat("p", 70)} {
			names := make([]string, k)
			for i := range names {
				names[i] = prefix + fmt.Sprintf("%03d", i)
			}
			for _, tc := range []struct {
				edit  func([]string)
				dup   bool
				label string
			}{
				{func([]string) {}, false, "distinct"},
				{func(n []string) { n[k-1] = n[0] }, true, "last = first"},
				{func(n []string) { n[k/2] = n[k/2-1] + "\\u0000" }, false, "one longer by a NUL"},
				{func(n []string) { n[k-1] = strings.Replace(n[0], "p", `\u0070`, 1) }, true, "escaped copy (or a copy)"},
				{func(n []string) { n[0] = n[0][:len(n[0])-1] }, false, "one shorter"},
			} {
				n := append([]string(nil), names...)
				tc.edit(n)
				text := object(n)
				for _, wrap := range []string{"%s", `{"x":[%s]}`, `{"a":0,"x":%s}`} {
					b := []byte(fmt.Sprintf(wrap, text))
					agree(t, b)
					var c jsonChecker
					if err := c.checkObject(b); (err == ErrDuplicateMember) != tc.dup || (err != nil && err != ErrDuplicateMember) {
						t.Errorf("k %d, prefix %d bytes, %s, in %s: %v", k, len(prefix), tc.label, wrap, err)
					}
				}
			}
		}
	}
	deep := strings.Repeat("[", 40) + strings.Repeat("]", 40)
	for _, tc := range []struct {
		text string
		want error
	}{
		{`{"a":0,"a":` + deep + `}`, ErrDuplicateMember},
		{`{"a":0,"b":` + deep + `,"a":1}`, errTooDeep},
		{`{"a":{"b":0,"b":` + deep + `}}`, ErrDuplicateMember},
		{`{"a":{"b":0,"c":{"d":` + deep + `}},"a":0}`, errTooDeep},
		{`{"a":[{"b":0},{"b":` + deep + `}]}`, errTooDeep},
		{`{"a":0,"x":[{"b":0,"y":{"a":` + deep + `}}]}`, errTooDeep},
		{`{"a":0,"x":[{"b":0,"b":{"a":` + deep + `}}]}`, ErrDuplicateMember},
	} {
		var c jsonChecker
		if got := c.checkObject([]byte(tc.text)); got != tc.want {
			t.Errorf("%.60s: %v, want %v", tc.text, got, tc.want)
		}
		agree(t, []byte(tc.text))
	}
}
