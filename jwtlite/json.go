package jwtlite

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"unicode/utf8"

	"github.com/buger/jsonparser"
)

// maxJSONDepth bounds the nesting of objects and arrays in a header, claims set or JWK Set.
// Real tokens nest a few levels; the bound keeps the walker's stack fixed and small.
const maxJSONDepth = 32

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
// (RFC 8259 §8.1), valid JSON, a top-level object, at most maxJSONDepth nested objects and
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
//   - utf8.Valid and encoding/json.Valid are single passes;
//   - walk is one pass with a fixed stack of open containers (iterating with
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

// checkObject returns nil when b is a UTF-8 JSON object without duplicate members.
func (c *jsonChecker) checkObject(b []byte) error {
	if len(b) >= math.MaxInt32 { // offsets are int32; no header, claims set or JWK Set is near
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
	if !c.seeded {
		c.key, c.seeded = [2]uint64{rand.Uint64(), rand.Uint64() | 1}, true
	}
	c.text, c.names, c.recs, c.values, c.objs = b, c.names[:0], c.recs[:0], c.values[:0], 0
	c.sorting, c.hashed, c.probes, c.compares = false, 0, 0, 0
	c.resetTable(minTableSlots)
	return c.walk(b)
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

// walk visits every object, array and member name of b, which must be valid JSON (RFC 8259
// §2: outside strings there are only structural characters, whitespace, numbers and the
// literals, and numbers and literals hold no quote, bracket, brace, colon or comma).
func (c *jsonChecker) walk(b []byte) error {
	depth := 0
	key := false // the next string is a member name
	value := 0   // where the value of the current top-level member starts (after its colon)
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			end, escaped := stringEnd(b, i+1)
			if key {
				if err := c.addName(b[i+1:end], escaped, c.stack[depth-1].obj); err != nil {
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
			key = c.stack[depth-1].obj != 0
		case '{', '[':
			if depth >= maxJSONDepth {
				return errTooDeep
			}
			f := frame{recs: len(c.recs), names: len(c.names)}
			if b[i] == '{' {
				c.objs++ // fewer than 2³¹ objects fit in a text checkObject accepts
				f.obj, key = c.objs, true
			}
			c.stack[depth] = f
			depth++
		case '}', ']':
			depth--
			f := c.stack[depth]
			if f.obj == 0 {
				break
			}
			if c.sorting && c.sortedDuplicate(f.recs) {
				return ErrDuplicateMember
			}
			if depth == 0 {
				if len(c.recs) > 0 { // the last top-level member
					c.values = append(c.values, [2]int32{int32(value), int32(i)})
				}
				return nil // keep the top-level names; json.Valid allows only space after
			}
			// Forget this object's names; the enclosing objects' names stay. Its hash-set
			// slots stay too, but belong to another object id (see addName).
			c.recs, c.names = c.recs[:f.recs], c.names[:f.names]
		}
	}
	return errInvalidJSON // unreachable: b is a valid object
}

// stringEnd returns the index of the quote that closes the string whose contents start at
// b[i], and whether the contents hold an escape. Each byte is read a bounded number of times
// however the escapes fall: the next quote is searched for again only after an escape
// consumed it.
func stringEnd(b []byte, i int) (end int, escaped bool) {
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
