package jwtlite

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// The syntax check of walk replaced a separate encoding/json.Valid pass. These tests hold it
// to what that pass accepted: walk without checking (validJSON) against encoding/json.Valid
// itself, and checkObject against the previous checkObject (prevCheckObject: encoding/json.Valid,
// then the previous walk, both kept here), error for error, on hand-made texts, every
// one-byte edit of them, random texts and the fuzzer's.

// validJSON is walk as a pure syntax check: it must accept exactly what encoding/json.Valid
// accepts (RFC 8259 §2–§7, nesting up to 10,000), UTF-8 aside (checkObject checks it first).
func validJSON(b []byte) bool {
	var c jsonChecker
	return c.walk(b, false) == nil
}

// prevCheckObject is checkObject as it was before walk checked the syntax.
func prevCheckObject(c *jsonChecker, b []byte) error {
	if len(b) >= math.MaxInt32 {
		return errTooLong
	}
	if !utf8.Valid(b) {
		return errInvalidUTF8
	}
	if !json.Valid(b) {
		return errInvalidJSON
	}
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return errNotObject
	}
	c.text, c.names, c.recs, c.values = b, c.names[:0], c.recs[:0], c.values[:0]
	return prevWalk(c, b)
}

// prevWalk is the walk that ran after encoding/json.Valid, kept but for its duplicate check,
// which is checkObject's (names recorded as they are read, looked for duplicates when their
// object closes or, first, when a container opens too deep). It visits every object, array
// and member name of b, which must be valid JSON (RFC 8259 §2: outside strings there are only
// structural characters, whitespace, numbers and the literals, and numbers and literals hold
// no quote, bracket, brace, colon or comma).
func prevWalk(c *jsonChecker, b []byte) error {
	depth := 0
	key := false // the next string is a member name
	value := 0   // where the value of the current top-level member starts (after its colon)
	isObj := func(d int) bool { return c.kinds[d>>6]&(1<<(d&63)) != 0 }
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			end, escaped := prevStringEnd(b, i+1)
			if key {
				if !escaped {
					c.recs = append(c.recs, nameRec{key: chunkKey(b[i+1:end], 0), start: int32(i + 1), n: int32(end - i - 1)})
				} else if err := c.addEscaped(b[i+1 : end]); err != nil {
					return err
				}
				key = false
			}
			i = end
		case ':':
			if depth == 1 {
				value = i + 1
			}
		case ',':
			if depth == 1 {
				c.values = append(c.values, [2]int32{int32(value), int32(i)})
			}
			key = isObj(depth - 1)
		case '{', '[':
			if depth >= maxJSONDepth {
				if c.openDuplicate(depth) {
					return ErrDuplicateMember
				}
				return errTooDeep
			}
			c.stack[depth] = frame{recs: len(c.recs), names: len(c.names)}
			if b[i] == '{' {
				c.kinds[depth>>6] |= 1 << (depth & 63)
				key = true
			} else {
				c.kinds[depth>>6] &^= 1 << (depth & 63)
			}
			depth++
		case '}', ']':
			depth--
			f := c.stack[depth]
			if !isObj(depth) {
				break
			}
			if c.duplicate(f.recs, len(c.recs)) {
				return ErrDuplicateMember
			}
			if depth == 0 {
				if len(c.recs) > 0 { // the last top-level member
					c.values = append(c.values, [2]int32{int32(value), int32(i)})
				}
				return nil // keep the top-level names; json.Valid allows only space after
			}
			// Forget this object's names; the enclosing objects' names stay.
			c.recs, c.names = c.recs[:f.recs], c.names[:f.names]
		}
	}
	return errInvalidJSON // unreachable: b is a valid object
}

// prevStringEnd returns the index of the quote that closes the string whose contents start at
// b[i], and whether the contents hold an escape. Each byte is read a bounded number of times
// however the escapes fall: the next quote is searched for again only after an escape
// consumed it.
func prevStringEnd(b []byte, i int) (end int, escaped bool) {
	// Most strings are short names and values: a plain loop first, IndexByte past 16 bytes.
	for n := min(i+16, len(b)); i < n; i++ {
		switch b[i] {
		case '"':
			return i, escaped
		case '\\':
			escaped = true
			i++ // the escaped byte (of a \uXXXX the hex digits follow: no quote among them)
		}
	}
	q := -1 // index of the first '"' at or after i, once searched
	for {
		if q < i {
			q = i + bytes.IndexByte(b[i:], '"')
		}
		bs := bytes.IndexByte(b[i:q], '\\')
		if bs < 0 {
			return q, escaped
		}
		escaped = true
		i += bs + 2
	}
}

// sameVerdict checks b: validJSON against encoding/json.Valid, and checkObject against
// prevCheckObject (normally and with every group radix-sorted) for the same error and, on
// success, the same top-level members. prevCheckObject finds duplicates with the same
// duplicate check as checkObject, so the verdict is also held to stdCheckObject, which shares
// none of it.
func sameVerdict(t *testing.T, b []byte) {
	t.Helper()
	if got, want := validJSON(b), json.Valid(b); got != want {
		t.Fatalf("%q: validJSON %v, encoding/json.Valid %v", b, got, want)
	}
	for _, radix := range []bool{false, true} {
		c, p := jsonChecker{radix: radix}, jsonChecker{radix: radix}
		got, want := c.checkObject(b), prevCheckObject(&p, b)
		if got != want {
			t.Fatalf("radix=%v: %q: checkObject %v, previously %v", radix, b, got, want)
		}
		sameAsStd(t, &c, got, b)
		if got != nil {
			continue
		}
		if c.members() != p.members() {
			t.Fatalf("%q: %d members, previously %d", b, c.members(), p.members())
		}
		for i := range c.members() {
			if string(c.memberName(i)) != string(p.memberName(i)) || c.memberValue(i) != p.memberValue(i) {
				t.Fatalf("%q: member %d: %q %+v, previously %q %+v", b, i,
					c.memberName(i), c.memberValue(i), p.memberName(i), p.memberValue(i))
			}
		}
	}
}

// syntaxCases are texts at the edges of the grammar, valid and not.
var syntaxCases = []string{
	// Whitespace (RFC 8259 §2): space, tab, LF, CR only.
	"", " ", "{}", " \t\r\n{}\n\r\t ", "{ }", "{\t}", "[ ]", "{\v}", "{\f}", "\v{}", "{}\f",
	"{}\x00", "\x00{}", "{}\u00a0", "\xc2\xa0{}", "{} {}", "{}}", "{}]", "{}x", "{},",
	`{"a" : 1 , "b" :[ 1 , 2 ] }`, "{\"a\"\n:\n1\n}", "{\"a\":1\x00}",
	// Values at the top level (only objects pass checkObject).
	`1`, `-0`, `"s"`, `true`, `false`, `null`, `[]`, `[1,2]`, ` null `, `nul`, `True`, `NULL`,
	`truex`, `true false`, `[true,false,null]`, `[truefalse]`, `[true false]`, `nulll`,
	// Numbers (RFC 8259 §6).
	`{"n":0}`, `{"n":-0}`, `{"n":01}`, `{"n":-01}`, `{"n":00}`, `{"n":1.5}`, `{"n":1.}`,
	`{"n":.5}`, `{"n":-.5}`, `{"n":+1}`, `{"n":-}`, `{"n":- 1}`, `{"n":1e5}`, `{"n":1E5}`,
	`{"n":1e+5}`, `{"n":1e-5}`, `{"n":1e}`, `{"n":1e+}`, `{"n":1e-}`, `{"n":1.5e05}`,
	`{"n":1.e5}`, `{"n":1e5.5}`, `{"n":1e5e5}`, `{"n":0x10}`, `{"n":1_000}`, `{"n":Infinity}`,
	`{"n":NaN}`, `{"n":-Infinity}`, `{"n":1.5.5}`, `{"n":--1}`, `{"n":0.0e0}`, `{"n":-0.0E-0}`,
	`{"n":123456789012345678901234567890e999999}`, `{"n":1 2}`, `{"n":1,}`, `{"n":0e}`,
	`[0]`, `[-0]`, `[0.1]`, `[1e2]`, `-`, `0`, `00`, `1.`, `1e`, `-1`, `01`, `[01]`, `[1,-]`,
	// Strings (RFC 8259 §7).
	`{"s":""}`, `{"s":"\""}`, `{"s":"\\"}`, `{"s":"\/"}`, `{"s":"\b\f\n\r\t"}`,
	`{"s":"\u0041"}`, `{"s":"\u00e9"}`, `{"s":"\uD83D\uDE00"}`, `{"s":"\ud800"}`, `{"s":"\udc00x"}`,
	`{"s":"\uABCD\uabcd\uAbCd"}`, `{"s":"\u004"}`, `{"s":"\u004g"}`, `{"s":"\u"}`, `{"s":"\U0041"}`,
	`{"s":"\x41"}`, `{"s":"\a"}`, `{"s":"\v"}`, `{"s":"\0"}`, `{"s":"\'"}`, `{"s":"\ "}`,
	`{"s":"\`, `{"s":"\"}`, `{"s":"abc}`, `{"s":"abc`, `{"s":'a'}`, `{'s':"a"}`, `{s:"a"}`,
	"{\"s\":\"\x00\"}", "{\"s\":\"\x1f\"}", "{\"s\":\"\t\"}", "{\"s\":\"\n\"}", "{\"s\":\"\x7f\"}",
	"{\"s\":\"\x20\"}", "{\"s\":\"\xff\"}", "{\"s\":\"\xc3\xa9\"}", "{\"s\":\"\xed\xa0\x80\"}",
	"{\"\x01\":1}", "{\"a\\\x01\":1}", `{"abcdefgh\"ijklmnop":1}`, `{"abcdefghijklmnopqrstuvwxyz\\":1}`,
	`{"` + strings.Repeat("a", 100) + `\u0041` + strings.Repeat("b", 100) + `":1}`,
	`{"` + strings.Repeat("a", 64) + "\x1f" + `":1}`, `{"` + strings.Repeat("a", 64) + `\z":1}`,
	`{"` + strings.Repeat("a", 7) + `":"` + strings.Repeat("b", 15) + `"}`,
	// Objects and arrays (RFC 8259 §4, §5).
	`{"a":1,}`, `{,"a":1}`, `{"a":1,,"b":2}`, `{"a"}`, `{"a":}`, `{"a"::1}`, `{"a":1 "b":2}`,
	`{1:1}`, `{"a":1]`, `["a":1]`, `[1}`, `{"a":[1,2}`, `{"a":[1,2]]}`, `{"a":{}}}`, `[,]`, `[1,]`,
	`[,1]`, `[[]]`, `[{}]`, `[{}`, `{"a":[]`, `{"a":{"b":{"c":[{"d":[]}]}}}`, `{"a":1}{"b":2}`,
	`{"a":1} 1`, `{"a":1}"`, `{"}":"{","]":"["}`, `{"a":"}"}`, `{"a":"\"}"}`, `}`, `]`, `{`, `[`,
	// Duplicates and depth, with and without a syntax error after them: the syntax error wins.
	`{"a":1,"a":2}`, `{"a":1,"a":2`, `{"a":1,"a":2}x`, `{"a":1,"a":2,}`, `{"a":1,"\u0061":[1,]}`,
	`{"a":{"b":1,"b":2},"c":01}`, `{"a":1,"a":"\q"}`, `{"a":1,"a":2} {`, `[1,2] x`, `"a" "b"`,
	`{"a":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`,
	`{"a":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `,}`,
	`{"a":` + strings.Repeat("[", 40) + strings.Repeat("]", 39) + `}`,
	`{"a":` + strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat("}", 40) + `}`,
	`{"a":` + strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat("}", 40) + `]`,
	`{"a":` + strings.Repeat(`[{"a":1,"a":`, 20) + `1` + strings.Repeat("}]", 20) + `}`,
	`{"a":` + strings.Repeat(`[{"b":1,"a":`, 20) + `1` + strings.Repeat("}]", 20) + `,"a":1}`,
	`{"x":` + strings.Repeat("[", 30) + `{"k":1,"k":2}` + strings.Repeat("]", 30) + `}`,
	`{"x":` + strings.Repeat("[", 31) + `{"k":1,"k":2}` + strings.Repeat("]", 31) + `}`,
	`{"x":` + strings.Repeat("[", 31) + `{"k":1,"k":2}` + strings.Repeat("]", 30) + `}`,
}

// nested returns n levels of open containers, inner, and the n closers.
func nested(n int, open, inner, closer string) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(closer, n)
}

// TestJSONSyntaxAgreesWithEncodingJSON: walk's syntax check accepts exactly what
// encoding/json.Valid accepts, and checkObject returns what it returned before, on the
// hand-made cases, every one-byte deletion, insertion and replacement in them, nesting up to
// and past encoding/json's 10,000 levels, and random texts.
func TestJSONSyntaxAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range syntaxCases {
		sameVerdict(t, []byte(s))
		sameVerdict(t, []byte(`{"v":`+s+`}`)) // the same text as a member's value
		sameVerdict(t, []byte(`[`+s+`]`))
	}

	// Every one-byte edit of the short cases.
	alphabet := []byte("{}[]\":,\\/ \t\r\n\v\f\x00\x1f\x7f\x80\xff-+.eE019aftnulrsbuxA")
	edits := 0
	for _, s := range syntaxCases {
		if len(s) > 64 {
			continue
		}
		b := []byte(s)
		for i := 0; i <= len(b); i++ {
			if i < len(b) {
				sameVerdict(t, append(append([]byte{}, b[:i]...), b[i+1:]...))
				edits++
			}
			for _, x := range alphabet {
				sameVerdict(t, append(append(append([]byte{}, b[:i]...), x), b[i:]...))
				if i < len(b) && b[i] != x {
					r := append([]byte{}, b...)
					r[i] = x
					sameVerdict(t, r)
				}
				edits += 2
			}
		}
	}

	// Objects long enough to be radix-sorted; duplicates are found at the object's end: with a
	// syntax error after it, the syntax error wins.
	for _, n := range []int{10, 100, 1000} {
		var sb strings.Builder
		sb.WriteString(`{"x":{`)
		for k := range n {
			fmt.Fprintf(&sb, `"n%d":%d,`, k, k)
		}
		for _, last := range []string{`"n0":0}}`, `"n0":0}}x`, `"n0":0},}`, `"m":0}}`, `"m":0}}]`, `"m":0}`} {
			sameVerdict(t, []byte(sb.String()+last))
			sameVerdict(t, []byte(sb.String()[len(`{"x":`):]+strings.TrimSuffix(last, "}")))
		}
	}

	// Nesting: encoding/json allows 10,000 levels, checkObject 32.
	for _, n := range []int{31, 32, 33, 9998, 9999, 10000, 10001, 20000} {
		for _, s := range []string{
			nested(n, "[", "", "]"),
			nested(n, "[", "1", "]"),
			nested(n, `{"a":`, "1", "}"),
			nested(n, `{"a":[`, "", "]}"),
			nested(n, "[", "", "]") + "x",
			nested(n, "[", "", "]") + "]",
			nested(n, "[", "", "}"),
			nested(n-1, `{"a":`, `{"k":1,"k":2}`, "}"),
			nested(n-1, `{"a":`, `{"k":1,"k":2}`, "}") + ",",
			`{"a":` + nested(n-1, "[", "", "]") + `}`,
			`{"a":` + nested(n-1, "[", "", "]") + `]`,
			`{"a":1,"a":` + nested(n-1, "[", "", "]") + `}`,
		} {
			sameVerdict(t, []byte(s))
		}
	}

	// Random texts: mostly valid, some corrupted by a byte or cut short.
	rng := rand.New(rand.NewPCG(3, 4))
	valid := 0
	for range 3000 {
		b := randomJSON(rng)
		switch rng.IntN(4) {
		case 0:
			b[rng.IntN(len(b))] = alphabet[rng.IntN(len(alphabet))]
		case 1:
			b = b[:rng.IntN(len(b)+1)]
		}
		if json.Valid(b) {
			valid++
		}
		sameVerdict(t, b)
	}
	t.Logf("%d one-byte edits; %d of 3000 random texts valid", edits, valid)
	if valid < 1000 || valid > 2900 {
		t.Errorf("%d of 3000 random texts valid: the generator lost its mix", valid)
	}
}

// randomJSON writes a random JSON text (an object, most of the time) with random whitespace,
// numbers, literals, strings with every escape, and nesting.
func randomJSON(rng *rand.Rand) []byte {
	var sb strings.Builder
	ws := func() {
		for rng.IntN(3) == 0 {
			sb.WriteByte(" \t\r\n"[rng.IntN(4)])
		}
	}
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	str := func() {
		sb.WriteByte('"')
		for range rng.IntN(12) {
			switch rng.IntN(6) {
			case 0:
				sb.WriteString(pick(`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`))
			case 1:
				fmt.Fprintf(&sb, `\u%04x`, []int{0, 0x1f, 0x41, 0xe9, 0xd800, 0xdbff, 0xdc00, 0xfffd, 0xffff}[rng.IntN(9)])
			case 2:
				sb.WriteString(pick("é", "😀", "\x7f", "}", "]", ",", ":", "{", "["))
			default:
				sb.WriteString(strings.Repeat(pick("a", "k", "0", " "), 1+rng.IntN(10)))
			}
		}
		sb.WriteByte('"')
	}
	num := func() {
		sb.WriteString(pick("", "-"))
		sb.WriteString(pick("0", "1", "9", "12", "1234567890"))
		if rng.IntN(3) == 0 {
			sb.WriteString(pick(".0", ".5", ".000", ".123456789"))
		}
		if rng.IntN(3) == 0 {
			sb.WriteString(pick("e", "E") + pick("", "+", "-") + pick("0", "5", "05", "308"))
		}
	}
	var value func(depth int)
	value = func(depth int) {
		ws()
		switch r := rng.IntN(10); {
		case r < 2 && depth < 36:
			sb.WriteByte('{')
			ws()
			for k := range rng.IntN(5) {
				if k > 0 {
					sb.WriteByte(',')
					ws()
				}
				if rng.IntN(2) == 0 {
					str()
				} else {
					fmt.Fprintf(&sb, `"%s"`, pick("a", "b", `\u0061`, "c"))
				}
				ws()
				sb.WriteByte(':')
				value(depth + 1)
			}
			sb.WriteByte('}')
		case r < 4 && depth < 36:
			sb.WriteByte('[')
			for k := range rng.IntN(5) {
				if k > 0 {
					sb.WriteByte(',')
				}
				value(depth + 1)
			}
			ws()
			sb.WriteByte(']')
		case r < 6:
			str()
		case r < 8:
			num()
		default:
			sb.WriteString(pick("true", "false", "null"))
		}
		ws()
	}
	if rng.IntN(8) == 0 {
		value(0)
	} else {
		ws()
		sb.WriteByte('{')
		for k := range 1 + rng.IntN(6) {
			if k > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, `"m%d":`, k)
			value(1)
		}
		sb.WriteByte('}')
		ws()
	}
	return []byte(sb.String())
}

// FuzzJSONSyntax: walk's syntax check agrees with encoding/json.Valid, and checkObject with
// prevCheckObject, on any bytes, alone and as a member's value.
func FuzzJSONSyntax(f *testing.F) {
	for _, s := range syntaxCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			return
		}
		sameVerdict(t, b)
		sameVerdict(t, append(append([]byte(`{"v":`), b...), '}'))
	})
}

// TestSpecial8: the lowest byte special8 flags is the first quotation mark, reverse solidus or
// control character of the word, and it flags none when there is none (shortString and
// stringEnd rely on both), for words rich in bytes next to those and in borrows.
func TestSpecial8(t *testing.T) {
	edge := []byte{0x00, 0x01, 0x1f, 0x20, 0x21, '"', 0x23, '[', '\\', ']', 0x7f, 0x80, 0x9f, 0xa0, 0xdc, 0xff}
	rng := rand.New(rand.NewPCG(5, 6))
	var w [8]byte
	for n := range 1 << 20 {
		for k := range w {
			if n < 1<<16 || rng.IntN(2) == 0 { // all pairs of edge bytes at the start, then random
				w[k] = edge[(n>>(4*(k%4)))%len(edge)]
			} else {
				w[k] = byte(rng.Uint32())
			}
		}
		first := -1
		for k, c := range w {
			if c < 0x20 || c == '"' || c == '\\' {
				first = k
				break
			}
		}
		m := special8(binary.LittleEndian.Uint64(w[:]))
		if got := bits.TrailingZeros64(m) >> 3; (m == 0) != (first < 0) || m != 0 && got != first {
			t.Fatalf("%q: special8 %#x, first special byte %d", w, m, first)
		}
	}
}
