package jwtlite

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
	"slices"
	"unicode/utf8"

	"github.com/buger/jsonparser"
)

// maxJSONDepth bounds the nesting of objects and arrays in a header, claims set or JWK Set
// (RFC 8259 §9 lets a parser limit the depth of nesting). Real tokens nest a few levels; the
// bound keeps the walker's stack fixed and small.
const maxJSONDepth = 32

// maxSyntaxDepth is the nesting past which a text is not even valid JSON to the walker, as to
// encoding/json (its scanner's maxNestingDepth), which the walker replaces: a text nested
// deeper than maxJSONDepth is refused either way, with errTooDeep when it is valid JSON to
// encoding/json and errInvalidJSON when it is not, as before.
const maxSyntaxDepth = 10000

var (
	// ErrDuplicateMember: a JSON object names a member twice (CheckJSONObject).
	ErrDuplicateMember = errors.New("duplicate member")
	errNotObject       = errors.New("not a JSON object")
	errInvalidJSON     = errors.New("invalid JSON")
	errInvalidUTF8     = errors.New("invalid UTF-8")
	errTooDeep         = errors.New("JSON nested too deeply")
	errTooLong         = errors.New("JSON text of 2 GiB or more")
	errStop            = errors.New("stop") // ends an iteration early; never returned to callers
)

// jsonChecker validates JSON texts (RFC 8259) with reusable scratch space: valid UTF-8
// (RFC 8259 §8.1), valid JSON (RFC 8259 §2–§7: exactly what encoding/json.Valid accepts, which
// jwtlite no longer imports), a top-level object, at most maxJSONDepth nested objects and
// arrays, and no duplicate member names in any object, compared after unescaping. RFC 8259 §4
// leaves duplicate names to the implementation; RFC 7515 §4 (JOSE Header) and RFC 7519 §4
// (JWT Claims Set) require a parser to reject them or to keep the last. We reject, in every
// nested object too: buger/jsonparser keeps the first of duplicates, another parser may keep
// the last, and two verifiers that read different values are a bypass. The zero value is
// ready. After a successful check the top-level members are available (members, memberName,
// memberValue), so that the header and the claims are not walked again.
//
// A token is untrusted until its signature is checked, and all of this runs before, so every
// step takes time linear in the length n of the text, whatever its shape, and no secret is
// needed to keep it so:
//
//   - utf8.Valid is a single pass;
//   - walk is one pass, which checks the syntax (it replaces a separate encoding/json.Valid
//     pass) and the rest at once, with fixed stacks of open containers (iterating with
//     jsonparser.ObjectEach and recursing into each value, as before, scanned a value once per
//     level of nesting above it, and allocated for each escaped name);
//   - each member name is recorded where it lies (an escaped one unescaped into names), and
//     when its object closes, the object's names are sorted by a key of their first 7 bytes and
//     their length (chunkKey; an LSD radix sort on the key bytes that differ, or an insertion
//     sort for a few names), and names of equal keys are sorted again by their next 7 bytes,
//     and so on: each name takes part in one round per 7 bytes it shares with another name of
//     its object, so the whole check is O(n) steps, plus 256 per radix pass.
//
// A hash set of the names, keyed by secret random keys, did the same in expected O(1) per name
// (and had to fall back to sorting with comparisons when a host's predictable WASI random_get,
// as wazero's default, let collisions be crafted: ~10 ms in the module for 6,600 names).
// Comparing each name with every earlier one of its object, as before that, made a 64 KiB
// token of ~6,600 tiny members cost 640 ms in the module, against 8.8 ms for one long member.
//
// After warm-up a check allocates nothing: names, records, spans, the sort's scratch and the
// stack are reused across calls.
type jsonChecker struct {
	names  []byte     // the unescaped escaped member names of the open objects, concatenated
	recs   []nameRec  // one per name of the open objects, in document order: each open object's are a run
	text   []byte     // the text last checked
	values [][2]int32 // where each top-level value lies: from after its colon to its delimiter
	stack  [maxJSONDepth]frame
	// kinds has bit d set when the container open at depth d is an object, clear for an
	// array, at every depth up to maxSyntaxDepth (stack holds only the first maxJSONDepth).
	kinds [(maxSyntaxDepth + 63) / 64]uint64

	// Scratch of the duplicate check: the keys being sorted, the radix sort's other buffer and
	// counts, and the groups of names with equal keys still to tell apart.
	sorted, spare []keyRec
	count         [256]uint32
	groups        []group

	// work counts the steps of the duplicate check since the last checkObject (keys made,
	// keys moved by a sort, names compared): the tests bound it.
	work  int
	radix bool // tests: every group of two or more names goes through the radix sort
}

// nameRec is one member name: text[start:start+n] as it lies in the text (no escape), or,
// when start < 0, names[^start:^start+n] (unescaped); and its chunkKey from byte 0.
type nameRec struct {
	key      uint64
	start, n int32
}

// keyRec is a name's sort key (chunkKey) and the index of its nameRec.
type keyRec struct {
	_   [0]func() // not comparable: no generated equality function in the module
	key uint64
	rec int32
}

// group is sorted[lo:hi], names equal in their first off bytes, to sort by the next 7.
type group struct {
	lo, hi, off int32
}

// frame is one open object or array.
type frame struct {
	recs  int // len(recs) when it opened: an object's names are recs[recs:]
	names int // len(names) when it opened
}

// insertionMax is the largest group of keys sorted by insertion (at most insertionMax/2 moves
// per key on average, fewer than the radix sort's fixed 256 steps per pass for so few keys).
const insertionMax = 24

// checkObject returns nil when b is a UTF-8 JSON object without duplicate members. Its errors
// come in the order of the checks: errTooLong, errInvalidUTF8, errInvalidJSON, errNotObject,
// then the first of errTooDeep and ErrDuplicateMember in document order.
func (c *jsonChecker) checkObject(b []byte) error {
	if len(b) >= math.MaxInt32 { // offsets are int32; no header, claims set or JWK Set is near
		return errTooLong
	}
	if !utf8.Valid(b) {
		return errInvalidUTF8
	}
	c.text, c.names, c.recs, c.values = b, c.names[:0], c.recs[:0], c.values[:0]
	c.work = 0
	return c.walk(b, true)
}

// members returns the number of top-level members of the object last checked without error.
func (c *jsonChecker) members() int { return len(c.values) }

// memberName returns the unescaped name of the i-th top-level member of the object last
// checked without error (valid until the next check).
func (c *jsonChecker) memberName(i int) []byte { return c.name(c.recs[i]) }

// name returns the unescaped name r records.
func (c *jsonChecker) name(r nameRec) []byte {
	if r.start >= 0 {
		return c.text[r.start : r.start+r.n]
	}
	s := ^r.start
	return c.names[s : s+r.n]
}

// memberValue returns where the value of the i-th top-level member lies in the text last
// checked without error: a string's contents without the quotes (still escaped), any other
// value whole, as jsonparser reports values.
func (c *jsonChecker) memberValue(i int) span {
	b, start, end := c.text, int(c.values[i][0]), int(c.values[i][1])
	for isSpace(b[start]) {
		start++
	}
	for isSpace(b[end-1]) {
		end--
	}
	// b is valid JSON: the first byte tells the type.
	switch b[start] {
	case '"':
		return span{start: start + 1, end: end - 1, vt: jsonparser.String}
	case '{':
		return span{start: start, end: end, vt: jsonparser.Object}
	case '[':
		return span{start: start, end: end, vt: jsonparser.Array}
	case 't', 'f':
		return span{start: start, end: end, vt: jsonparser.Boolean}
	case 'n':
		return span{start: start, end: end, vt: jsonparser.Null}
	}
	return span{start: start, end: end, vt: jsonparser.Number}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// walk parses b as one JSON text (RFC 8259 §2: ws value ws) and returns errInvalidJSON unless
// b is one, exactly as encoding/json.Valid judges (including its 10,000 levels of nesting;
// it does not look at UTF-8, which checkObject checked before). While check holds, walk also
// checks that the value is an object (errNotObject), nested at most maxJSONDepth deep
// (errTooDeep) with no duplicate member names (ErrDuplicateMember, see addName), recording
// the names and the top-level values. The first of those errors ends the checking but not the
// parse: it is returned only when the whole of b is valid JSON, so that errInvalidJSON comes
// first, as when a separate syntax pass ran before the walk. With check false walk is a pure
// syntax check (the tests compare it with encoding/json.Valid).
//
// Each turn of the loop reads a member name and its name separator when in an object, one
// value (RFC 8259 §3), and what follows the value up to the next one: the ends of the
// containers it closes and a value separator. Short strings (shortString) and plain integers,
// which most tokens are made of, are read in the loop itself: in the WebAssembly module a call
// costs more than the bytes it reads. Each byte is read a bounded number of times.
func (c *jsonChecker) walk(b []byte, check bool) error {
	var fail error // the first of errNotObject, errTooDeep, ErrDuplicateMember
	depth := 0     // open objects and arrays
	value := 0     // where the value of the current top-level member starts (after its colon)
	name := false  // a member name and a name separator come first (after '{' or ',' in an object)
	i := 0
values:
	for {
		i = skipSpace(b, i)
		if name { // RFC 8259 §4: member = string name-separator value
			if i >= len(b) || b[i] != '"' {
				return errInvalidJSON
			}
			j, escaped := shortString(b, i+1), false
			if j < 0 { // an escape, a long name, the end of the text, or an error
				var ok bool
				if j, escaped, ok = stringEnd(b, i+1); !ok {
					return errInvalidJSON
				}
			}
			if check { // duplicates are looked for when the object closes
				if !escaped {
					// chunkKey(b[i+1:j], 0), one load for a short name (most are)
					var key uint64
					if n := j - i - 1; n <= 7 && len(b)-i >= 9 {
						key = binary.LittleEndian.Uint64(b[i+1:])&(1<<(8*n)-1) | uint64(n)<<56
					} else {
						key = chunkKey(b[i+1:j], 0)
					}
					c.recs = append(c.recs, nameRec{key: key, start: int32(i + 1), n: int32(j - i - 1)})
				} else if err := c.addEscaped(b[i+1 : j]); err != nil {
					return err
				}
			}
			i = skipSpace(b, j+1)
			if i >= len(b) || b[i] != ':' {
				return errInvalidJSON
			}
			i++
			if depth == 1 && check {
				value = i
			}
			name = false
			i = skipSpace(b, i)
		}
		if i >= len(b) {
			return errInvalidJSON
		}
		switch ch := b[i]; ch {
		case '{', '[': // RFC 8259 §4, §5
			if depth == 0 && ch != '{' && check {
				fail, check = errNotObject, false
			}
			if depth >= maxSyntaxDepth {
				return errInvalidJSON
			}
			obj := ch == '{'
			if check {
				if depth >= maxJSONDepth {
					// A duplicate among the names read so far comes first in document order.
					fail, check = errTooDeep, false
					if c.openDuplicate(depth) {
						fail = ErrDuplicateMember
					}
				} else {
					c.stack[depth] = frame{recs: len(c.recs), names: len(c.names)}
				}
			}
			if w, bit := depth>>6, uint64(1)<<(depth&63); obj {
				c.kinds[w] |= bit
			} else {
				c.kinds[w] &^= bit
			}
			depth++
			i = skipSpace(b, i+1)
			if i < len(b) && b[i] == ch+2 { // '{'+2 is '}', '['+2 is ']': empty, closed below
				break
			}
			name = obj
			continue
		case '"': // RFC 8259 §7
			j := shortString(b, i+1)
			if j < 0 { // an escape, a long string, the end of the text, or an error
				var ok bool
				if j, _, ok = stringEnd(b, i+1); !ok {
					return errInvalidJSON
				}
			}
			i = j + 1
		case 't': // RFC 8259 §3: the literals are lowercase
			if len(b)-i < 4 || string(b[i:i+4]) != "true" {
				return errInvalidJSON
			}
			i += 4
		case 'f':
			if len(b)-i < 5 || string(b[i:i+5]) != "false" {
				return errInvalidJSON
			}
			i += 5
		case 'n':
			if len(b)-i < 4 || string(b[i:i+4]) != "null" {
				return errInvalidJSON
			}
			i += 4
		case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9': // RFC 8259 §6: int
			j := i + 1
			if ch != '0' { // no leading zeros: "01" is 0 then a stray 1, refused below
				for j < len(b) && b[j]-'0' < 10 {
					j++
				}
			}
			if j < len(b) && (b[j] == '.' || b[j]|0x20 == 'e') { // frac or exp: the whole grammar
				var ok bool
				if j, ok = numberEnd(b, i); !ok {
					return errInvalidJSON
				}
			}
			i = j
		case '-':
			end, ok := numberEnd(b, i)
			if !ok {
				return errInvalidJSON
			}
			i = end
		default:
			return errInvalidJSON
		}
		if depth == 0 && check { // a scalar at the top level
			fail, check = errNotObject, false
		}

		// After a value: container ends, then a value separator or the end of the text.
		for {
			i = skipSpace(b, i)
			if depth == 0 {
				if i < len(b) { // RFC 8259 §2: nothing but whitespace after the value
					return errInvalidJSON
				}
				return fail
			}
			if i >= len(b) {
				return errInvalidJSON
			}
			d := depth - 1
			obj := c.kinds[d>>6]&(1<<(d&63)) != 0
			switch b[i] {
			case ',': // RFC 8259 §4, §5: value-separator
				if depth == 1 && check {
					c.values = append(c.values, [2]int32{int32(value), int32(i)})
				}
				i++
				name = obj
				continue values
			case '}', ']':
				if (b[i] == '}') != obj {
					return errInvalidJSON
				}
				depth = d
				if check && obj {
					// Look for a duplicate among the object's names. At the top level, record
					// the last member's value and keep the names. In a nested object, forget
					// its names (the enclosing objects' names stay).
					f := c.stack[depth]
					switch {
					case len(c.recs)-f.recs >= 2 && c.duplicate(f.recs, len(c.recs)): // (no call for fewer)
						fail, check = ErrDuplicateMember, false
					case depth > 0:
						c.recs, c.names = c.recs[:f.recs], c.names[:f.names]
					case len(c.recs) > 0: // the last top-level member
						c.values = append(c.values, [2]int32{int32(value), int32(i)})
					}
				}
				i++
			default:
				return errInvalidJSON
			}
		}
	}
}

// skipSpace returns the index of the first byte at or after i that is not whitespace: space,
// horizontal tab, line feed or carriage return (RFC 8259 §2), or len(b).
func skipSpace(b []byte, i int) int {
	for ; i < len(b); i++ {
		if c := b[i]; c > ' ' || !isSpace(c) {
			break
		}
	}
	return i
}

// numberEnd returns the index just past the number that starts at b[i] (RFC 8259 §6:
// [ minus ] int [ frac ] [ exp ], int = zero / ( digit1-9 *DIGIT ), frac = "." 1*DIGIT,
// exp = ( "e" / "E" ) [ minus / plus ] 1*DIGIT), and false when no number starts there. What
// follows the number is walk's to judge: "01" is the number 0 followed by a stray "1".
func numberEnd(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i]-'1' < 9:
		i = digitsEnd(b, i+1)
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		if i+1 >= len(b) || b[i+1]-'0' >= 10 {
			return 0, false
		}
		i = digitsEnd(b, i+2)
	}
	if i < len(b) && b[i]|0x20 == 'e' { // 'E' and 'e' only
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i]-'0' >= 10 {
			return 0, false
		}
		i = digitsEnd(b, i+1)
	}
	return i, true
}

// digitsEnd returns the index of the first byte at or after i that is not a decimal digit.
func digitsEnd(b []byte, i int) int {
	for i < len(b) && b[i]-'0' < 10 {
		i++
	}
	return i
}

// isHex reports whether c is a hexadecimal digit (RFC 8259 §7: HEXDIG, either case).
func isHex(c byte) bool { return c-'0' < 10 || (c|0x20)-'a' < 6 }

const (
	lsbs = 0x0101010101010101
	msbs = 0x8080808080808080
)

// special8 returns, for the 8 bytes of w (the first in the lowest bits), a mask with the top
// bit of each byte set that is a quotation mark, a reverse solidus or a control character
// below 0x20, the bytes a string cannot hold as they are (RFC 8259 §7) — at least of the
// lowest such byte, so that bits.TrailingZeros64(m)/8 is its index, and none when there is
// none. x - n·lsbs & ^x & msbs flags the bytes of x below n (n ≤ 0x80, here 0x20, and 1 after
// xoring with '"' or '\\' for equality): a byte from 0x80 up is never flagged, and a borrow
// that flags a byte above a flagged one (falsely) comes from that lower, truly flagged, byte.
func special8(w uint64) uint64 {
	q := w ^ '"'*lsbs
	s := w ^ '\\'*lsbs
	return ((w-0x20*lsbs)&^w | (q-lsbs)&^q | (s-lsbs)&^s) & msbs
}

// stringEnd returns the index of the quotation mark that closes the string whose contents
// start at b[i], and whether the contents hold an escape; ok is false unless the contents are
// valid (RFC 8259 §7): no control character below 0x20 as it is, and only the escapes \",
// \\, \/, \b, \f, \n, \r, \t and \u with four hexadecimal digits. Like encoding/json.Valid
// it accepts any \uXXXX, lone surrogates included (the grammar of §7 allows them and §8.2
// leaves their meaning unpredictable; addName unescapes them as jsonparser does, to U+FFFD),
// and any byte from 0x20 up (checkObject checks UTF-8 before). Plain bytes are skipped 8 at a
// time (special8), the last few of the text one at a time; each byte is read at most twice.
func stringEnd(b []byte, i int) (end int, escaped, ok bool) {
	for {
		for {
			if len(b)-i < 8 {
				for i < len(b) && !strSpecial[b[i]] {
					i++
				}
				break
			}
			if m := special8(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= len(b) {
			return 0, false, false
		}
		switch b[i] {
		case '"':
			return i, escaped, true
		case '\\':
			escaped = true
			if i+1 >= len(b) {
				return 0, false, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(b)-i < 6 || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return 0, false, false
				}
				i += 6
			default:
				return 0, false, false
			}
		default: // a control character
			return 0, false, false
		}
	}
}

// shortString returns the index of the quotation mark that closes the string whose contents
// start at b[i] when the string is short and plain: its closing quotation mark within the 8
// bytes from b[i], no escape before it. Otherwise it returns -1, and stringEnd is to read it.
// Most names and many values are such strings; walk reads them without a call (a call costs
// more than the bytes in the WebAssembly module).
func shortString(b []byte, i int) int {
	if len(b)-i >= 8 {
		if m := special8(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			if j := i + bits.TrailingZeros64(m)>>3; b[j] == '"' {
				return j
			}
		}
	}
	return -1
}

// strSpecial marks the bytes a string cannot hold as they are (RFC 8259 §7): the quotation
// mark, the reverse solidus and the control characters below 0x20.
var strSpecial = [256]bool{
	0x00: true, 0x01: true, 0x02: true, 0x03: true, 0x04: true, 0x05: true, 0x06: true, 0x07: true,
	0x08: true, 0x09: true, 0x0a: true, 0x0b: true, 0x0c: true, 0x0d: true, 0x0e: true, 0x0f: true,
	0x10: true, 0x11: true, 0x12: true, 0x13: true, 0x14: true, 0x15: true, 0x16: true, 0x17: true,
	0x18: true, 0x19: true, 0x1a: true, 0x1b: true, 0x1c: true, 0x1d: true, 0x1e: true, 0x1f: true,
	'"': true, '\\': true,
}

// addEscaped records the member name s, which holds an escape, unescaped into names as
// jsonparser.ObjectEach unescapes names, so that two spellings of one name compare equal.
func (c *jsonChecker) addEscaped(s []byte) error {
	start := len(c.names)
	// Unescaping never lengthens a name: write it into names' spare capacity.
	c.names = slices.Grow(c.names, len(s))
	out := c.names[start : start+len(s)]
	u, ok := unescapeASCII(s, out)
	if !ok {
		var err error
		if u, err = jsonparser.Unescape(s, out); err != nil {
			return errInvalidJSON
		}
	}
	c.names = c.names[:start+len(u)]
	c.recs = append(c.recs, nameRec{key: chunkKey(u, 0), start: ^int32(start), n: int32(len(u))})
	return nil
}

// unescapeASCII unescapes the string contents s, whose escapes walk has checked, into out
// (len(s) bytes) as jsonparser.Unescape does, when every escape stands for an ASCII
// character (\", \\, \/, \b, \f, \n, \r, \t, \u0000–\u007F); otherwise ok is false and
// jsonparser.Unescape is to do it (surrogates and other code points). No call per escape: a
// call costs more than the bytes in the WebAssembly module.
func unescapeASCII(s, out []byte) (u []byte, ok bool) {
	n := 0
	for i := 0; i < len(s); n++ {
		ch := s[i]
		if ch != '\\' {
			out[n] = ch
			i++
			continue
		}
		e := s[i+1]
		if e != 'u' {
			out[n] = escaped1[e]
			i += 2
			continue
		}
		if s[i+2] != '0' || s[i+3] != '0' || s[i+4] > '7' {
			return nil, false
		}
		out[n] = (s[i+4]-'0')<<4 | hexVal(s[i+5])
		i += 6
	}
	return out[:n], true
}

// escaped1 maps the byte after a reverse solidus to the character the escape stands for
// (RFC 8259 §7), for every escape but \u.
var escaped1 = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// hexVal is the value of the hexadecimal digit c.
func hexVal(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}

// chunkKey is the sort key of name from byte off on (off ≤ len(name)): its next 7 bytes or
// fewer in the low 56 bits (little-endian, zeros past the name's end) and in the top byte how
// many bytes are left when the name ends within them (0–7), else 0xff. Of names equal in their
// first off bytes, two have equal keys exactly when they are equal in their first off+7 bytes
// and either both end there (and are equal: a key whose top byte is not 0xff is a duplicate
// when another has it) or neither does (0xff: to compare from off+7 on). One 8-byte load when
// the bytes after the name are in the same buffer, as those of a name in the text are.
func chunkKey(name []byte, off int) uint64 {
	rest := name[off:]
	n := len(rest)
	if n > 7 {
		return binary.LittleEndian.Uint64(rest)&(1<<56-1) | 0xff<<56
	}
	var w uint64
	if cap(rest) >= 8 {
		w = binary.LittleEndian.Uint64(rest[:8]) & (1<<(8*n) - 1)
	} else {
		for i := n - 1; i >= 0; i-- {
			w = w<<8 | uint64(rest[i])
		}
	}
	return w | uint64(n)<<56
}

// duplicate reports whether two of the names recs[lo:hi], one object's, are equal: the names
// are sorted by chunkKey, and each group of equal keys that do not end the names is sorted by
// the keys of the next 7 bytes, until every group is of one name or of names that end alike.
// Two names are compared as they are instead (one step).
func (c *jsonChecker) duplicate(lo, hi int) bool {
	k := hi - lo
	if k < 2 {
		return false
	}
	if k == 2 && !c.radix {
		c.work++
		return string(c.name(c.recs[lo])) == string(c.name(c.recs[lo+1]))
	}
	if cap(c.sorted) < k {
		c.sorted = make([]keyRec, k, 2*k)
	}
	s := c.sorted[:k]
	for i, r := range c.recs[lo:hi] {
		s[i] = keyRec{key: r.key, rec: int32(lo + i)}
	}
	c.work += k
	c.groups = append(c.groups[:0], group{lo: 0, hi: int32(k)})
	for len(c.groups) > 0 {
		gr := c.groups[len(c.groups)-1]
		c.groups = c.groups[:len(c.groups)-1]
		g := s[gr.lo:gr.hi]
		c.sortKeys(g)
		off := int(gr.off) + 7
		for i := 0; i < len(g); {
			j := i + 1
			for j < len(g) && g[j].key == g[i].key {
				j++
			}
			c.work += j - i
			switch {
			case j-i < 2:
			case g[i].key>>56 != 0xff: // names that end within the key: equal
				return true
			case j-i == 2 && !c.radix:
				if string(c.name(c.recs[g[i].rec])[off:]) == string(c.name(c.recs[g[i+1].rec])[off:]) {
					return true
				}
			default:
				for m := i; m < j; m++ {
					g[m].key = chunkKey(c.name(c.recs[g[m].rec]), off)
				}
				c.groups = append(c.groups, group{lo: gr.lo + int32(i), hi: gr.lo + int32(j), off: int32(off)})
			}
			i = j
		}
	}
	return false
}

// openDuplicate reports whether an object open at a depth below depth has two equal names
// among those read so far.
func (c *jsonChecker) openDuplicate(depth int) bool {
	for d := 0; d < depth; d++ {
		if c.kinds[d>>6]&(1<<(d&63)) == 0 {
			continue
		}
		end := len(c.recs)
		if d+1 < depth {
			end = c.stack[d+1].recs // the names after those are of containers opened since
		}
		if c.duplicate(c.stack[d].recs, end) {
			return true
		}
	}
	return false
}

// sortKeys sorts g by key: by insertion when short, else by a least-significant-digit radix
// sort on the key bytes that differ between keys (a pass of 2·len(g)+256 steps each: keys
// of short names differ in a few bytes).
func (c *jsonChecker) sortKeys(g []keyRec) {
	if len(g) <= insertionMax && !c.radix {
		for i := 1; i < len(g); i++ {
			x, j := g[i], i
			for ; j > 0 && g[j-1].key > x.key; j-- {
				g[j] = g[j-1]
			}
			g[j] = x
			c.work += i - j
		}
		return
	}
	or, and := uint64(0), ^uint64(0)
	for _, x := range g {
		or, and = or|x.key, and&x.key
	}
	diff := or ^ and
	if cap(c.spare) < len(g) {
		c.spare = make([]keyRec, len(g), 2*len(g))
	}
	src, dst := g, c.spare[:len(g)]
	for shift := 0; shift < 64; shift += 8 {
		if byte(diff>>shift) == 0 {
			continue // every key has the same byte here
		}
		c.count = [256]uint32{}
		for _, x := range src {
			c.count[byte(x.key>>shift)]++
		}
		sum := uint32(0)
		for d, n := range c.count {
			c.count[d] = sum
			sum += n
		}
		for _, x := range src {
			d := byte(x.key >> shift)
			dst[c.count[d]] = x
			c.count[d]++
		}
		src, dst = dst, src
		c.work += 2*len(g) + len(c.count)
	}
	if &src[0] != &g[0] {
		copy(g, src)
	}
}

// unescape returns the unescaped form of the JSON string contents s (without quotes), using
// and growing *scratch when s holds escapes; the result is valid until *scratch is reused.
func unescape(s []byte, scratch *[]byte) ([]byte, error) {
	if bytes.IndexByte(s, '\\') < 0 {
		return s, nil
	}
	if cap(*scratch) < len(s) {
		*scratch = make([]byte, len(s)*2)
	}
	out, err := jsonparser.Unescape(s, (*scratch)[:cap(*scratch)])
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CheckJSONObject reports whether b is a UTF-8 JSON object (RFC 8259 §8.1), nested at most
// 32 deep, with no duplicate member names in any object after unescaping (RFC 8259 §4 leaves
// duplicates to the implementation; two parsers that pick different duplicates are a bypass,
// so they are refused). It returns nil, an error matching ErrDuplicateMember, or another
// error saying why b is not such an object.
func CheckJSONObject(b []byte) error {
	var c jsonChecker
	return c.checkObject(b)
}
