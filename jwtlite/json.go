package jwtlite

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
	"math/rand/v2"
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
// step takes time O(n log n) or less in the length n of the text, whatever its shape:
//
//   - utf8.Valid is a single pass;
//   - walk is one pass, which checks the syntax (it replaces a separate encoding/json.Valid
//     pass) and the rest at once, with fixed stacks of open containers (iterating with
//     jsonparser.ObjectEach and recursing into each value, as before, scanned a value once per
//     level of nesting above it, and allocated for each escaped name);
//   - each member name is looked up, when it is read, in a hash set of the names of the open
//     objects (open addressing, at most half full), keyed by (object, unescaped name): O(1)
//     expected per name. hashName is keyed by secret random keys per checker, so which names
//     collide cannot be planned without them. A host whose WASI random_get is predictable
//     (wazero's default source is deterministic) makes the keys predictable, and collisions
//     could then be crafted; so the set counts the slots it inspects, and past probeBudget
//     per name the check switches, for the rest of the text, to sorting each object's names
//     when it closes (slices.SortFunc: pattern-defeating quicksort with a heapsort fallback,
//     O(k log k) comparisons for k names in the worst case, each reading at most the shorter
//     name). The worst case is bounded whatever the keys; the common case never sorts
//     (sorting 6,600 short names takes ~10 ms in the module, the hash set ~1 ms).
//
// Comparing each name with every earlier one of its object, as before, made a 64 KiB token of
// ~6,600 tiny members cost 640 ms in the module, against 8.8 ms for one long member; now 12 ms.
//
// After warm-up a check allocates nothing: names, records, spans, the hash table and the stack
// are reused across calls.
type jsonChecker struct {
	names  []byte     // unescaped member names of the open objects, concatenated
	recs   []nameRec  // one per name in names, in document order: each open object's are a run
	text   []byte     // the text last checked
	values [][2]int32 // where each top-level value lies: from after its colon to its delimiter
	table  []slot     // open-addressing hash set of recs; a zero slot is empty
	order  []int      // indices into recs, sorted by name when sorting
	used   int        // occupied slots (names of closed objects included)
	stack  [maxJSONDepth]frame
	objs   uint32 // objects opened so far in this check; an object's id is the count at its '{'
	// kinds has bit d set when the container open at depth d is an object, clear for an
	// array, at every depth up to maxSyntaxDepth (stack holds only the first maxJSONDepth).
	kinds [(maxSyntaxDepth + 63) / 64]uint64

	key    [2]uint64 // secret keys of hashName, drawn when the checker is first used
	seeded bool

	// sorting is set once the hash set has used up its probe budget: from then on each
	// object's names are sorted when it closes.
	sorting bool
	// hashed counts the names looked up in the hash set, probes the slots inspected
	// (rehashing included) and compares the name comparisons made by sorting, since the last
	// checkObject: probeBudget bounds probes, and the tests bound all three.
	hashed, probes, compares int
	collide                  bool // tests: every name hashes alike, as crafted collisions would
}

// nameRec is one member name: names[start:end], of object obj, with its hash.
type nameRec struct {
	hash       uint64
	start, end int32
	obj        uint32
}

// slot is one hash-set entry: 1 + an index into recs, and the top bits of its hash, so that
// most probes compare without reading the record.
type slot struct {
	rec int32
	tag uint32
}

// frame is one open object or array.
type frame struct {
	obj   uint32 // the object's id; 0 for an array
	recs  int    // len(recs) when it opened: an object's names are recs[recs:]
	names int    // len(names) when it opened
}

const (
	minTableSlots = 16
	// probeBudget is how many hash-set slots may be inspected per name hashed before the check
	// falls back to sorting. With random keys and the table at most half full, linear probing
	// inspects about two slots per new name; probeSlack more for the whole text keeps texts of
	// a few dozen names in the hash set whatever their hashes.
	probeBudget = 16
	probeSlack  = 64
)

// checkObject returns nil when b is a UTF-8 JSON object without duplicate members. Its errors
// come in the order of the checks: errTooLong, errInvalidUTF8, errInvalidJSON, errNotObject,
// then the first of errTooDeep and ErrDuplicateMember that walk meets.
func (c *jsonChecker) checkObject(b []byte) error {
	if len(b) >= math.MaxInt32 { // offsets are int32; no header, claims set or JWK Set is near
		return errTooLong
	}
	if !utf8.Valid(b) {
		return errInvalidUTF8
	}
	if !c.seeded {
		c.key, c.seeded = [2]uint64{rand.Uint64(), rand.Uint64() | 1}, true
	}
	c.text, c.names, c.recs, c.values, c.objs = b, c.names[:0], c.recs[:0], c.values[:0], 0
	c.sorting, c.hashed, c.probes, c.compares = false, 0, 0, 0
	c.resetTable(minTableSlots)
	return c.walk(b, true)
}

// members returns the number of top-level members of the object last checked without error.
func (c *jsonChecker) members() int { return len(c.values) }

// memberName returns the unescaped name of the i-th top-level member of the object last
// checked without error (valid until the next check).
func (c *jsonChecker) memberName(i int) []byte {
	r := &c.recs[i]
	return c.names[r.start:r.end]
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
			if check {
				switch err := c.addName(b[i+1:j], escaped, c.stack[depth-1].obj); err {
				case nil:
				case ErrDuplicateMember:
					fail, check = err, false
				default:
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
					fail, check = errTooDeep, false
				} else {
					f := frame{recs: len(c.recs), names: len(c.names)}
					if obj {
						c.objs++ // fewer than 2³¹ objects fit in a text checkObject accepts
						f.obj = c.objs
					}
					c.stack[depth] = f
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
					// With sorting, look for a duplicate among the object's names. At the top
					// level, record the last member's value and keep the names. In a nested
					// object, forget its names (the enclosing objects' names stay; its hash-set
					// slots stay too, but belong to another object id, see addName).
					f := c.stack[depth]
					switch {
					case c.sorting && c.sortedDuplicate(f.recs):
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

// addName records the member name s of object obj (still escaped when escaped), unescaped as
// jsonparser.ObjectEach unescapes names so that two spellings of one name compare equal, and
// returns ErrDuplicateMember when the hash set already holds it (when sorting, duplicates are
// found at the object's '}').
func (c *jsonChecker) addName(s []byte, escaped bool, obj uint32) error {
	start := len(c.names)
	if !escaped {
		c.names = append(c.names, s...)
	} else {
		// Unescaping never lengthens a name: write it into names' spare capacity.
		c.names = slices.Grow(c.names, len(s))
		u, err := jsonparser.Unescape(s, c.names[start:start+len(s)])
		if err != nil {
			return errInvalidJSON
		}
		c.names = c.names[:start+len(u)]
	}
	r := nameRec{start: int32(start), end: int32(len(c.names)), obj: obj}
	if !c.sorting {
		name := c.names[start:]
		r.hash = c.hashName(name, obj)
		c.hashed++
		if 2*(c.used+1) > len(c.table) {
			c.rehash()
		}
		if !c.sorting {
			tag, mask := uint32(r.hash>>32), len(c.table)-1
			for i := int(r.hash) & mask; ; i = (i + 1) & mask {
				c.probes++
				s := c.table[i]
				if s.rec == 0 {
					c.table[i] = slot{rec: int32(len(c.recs) + 1), tag: tag}
					c.used++
					break
				}
				if s.tag != tag {
					continue
				}
				// A slot of a closed object may point past recs, or at a record reused since
				// by another object: the object id tells. (A record reused by this object is a
				// name of this object, so a match there is a duplicate all the same.)
				if j := int(s.rec) - 1; j < len(c.recs) {
					if o := &c.recs[j]; o.hash == r.hash && o.obj == obj && string(c.names[o.start:o.end]) == string(name) {
						return ErrDuplicateMember
					}
				}
			}
			c.overBudget()
		}
	}
	c.recs = append(c.recs, r)
	return nil
}

// hashName is a keyed hash of (obj, name). Each 8-byte word of the name (the last one
// assembled from the remaining bytes) is xored into the state, which is multiplied by a secret
// odd key and xor-shifted: for a given state that is a bijection of the word, and for a given
// word a bijection of the state. murmur3's fmix64, a bijection too, finishes it. So two names
// of one object collide in all 64 bits only through the secret keys; the table's slot is the
// low bits. hash/maphash would do as well, but its portable code costs ~180 ns per short name
// in the module, this ~20 ns.
func (c *jsonChecker) hashName(name []byte, obj uint32) uint64 {
	h := c.key[0] ^ uint64(obj)<<32 ^ uint64(len(name))
	for ; len(name) >= 8; name = name[8:] {
		h = (h ^ binary.LittleEndian.Uint64(name)) * c.key[1]
		h ^= h >> 32
	}
	if n := len(name); n > 0 {
		var w uint64
		switch {
		case n >= 4: // two overlapping loads cover the n bytes
			w = uint64(binary.LittleEndian.Uint32(name)) | uint64(binary.LittleEndian.Uint32(name[n-4:]))<<32
		default: // 1–3 bytes: first, middle, last
			w = uint64(name[0])<<16 | uint64(name[n/2])<<8 | uint64(name[n-1])
		}
		h = (h ^ w) * c.key[1]
		h ^= h >> 32
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	if c.collide {
		h = uint64(obj) // all the names of one object in one cluster
	}
	return h
}

// overBudget switches to sorting when the hash set has inspected more than probeBudget slots
// per name hashed (plus probeSlack): only colliding hashes get there.
func (c *jsonChecker) overBudget() {
	if c.probes > probeBudget*c.hashed+probeSlack {
		c.sorting = true
	}
}

// resetTable empties the hash set and gives it n slots (a power of two), reusing its storage.
func (c *jsonChecker) resetTable(n int) {
	if cap(c.table) >= n {
		c.table = c.table[:n]
		clear(c.table)
	} else {
		c.table = make([]slot, n)
	}
	c.used = 0
}

// rehash rebuilds the hash set from the names of the open objects (dropping those of closed
// objects), at most a quarter full.
func (c *jsonChecker) rehash() {
	n := minTableSlots
	for n < 4*(len(c.recs)+1) {
		n *= 2
	}
	c.resetTable(n)
	mask := n - 1
	for k := range c.recs {
		h := c.recs[k].hash
		for i := int(h) & mask; ; i = (i + 1) & mask {
			c.probes++
			if c.table[i].rec == 0 {
				c.table[i] = slot{rec: int32(k + 1), tag: uint32(h >> 32)}
				break
			}
		}
	}
	c.used = len(c.recs)
	c.overBudget()
}

// sortedDuplicate sorts the names recs[base:] of one object (through order, so that recs keep
// document order) and reports whether two are equal.
func (c *jsonChecker) sortedDuplicate(base int) bool {
	if len(c.recs)-base < 2 {
		return false
	}
	c.order = c.order[:0]
	for i := base; i < len(c.recs); i++ {
		c.order = append(c.order, i)
	}
	slices.SortFunc(c.order, c.compare)
	for i := 1; i < len(c.order); i++ {
		if c.compare(c.order[i-1], c.order[i]) == 0 {
			return true
		}
	}
	return false
}

// compare orders the names of two records by their bytes.
func (c *jsonChecker) compare(i, j int) int {
	c.compares++
	a, b := &c.recs[i], &c.recs[j]
	return bytes.Compare(c.names[a.start:a.end], c.names[b.start:b.end])
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
