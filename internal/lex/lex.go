// Package lex holds the byte classes and ASCII helpers that the HTTP, OAuth
// and URI grammars audguard parses share, as lookup tables built from their
// RFC grammar. canonical, jwtlite and the filter/config, filter/policy,
// filter/mcp and filter/keys packages use it; it imports nothing, so no
// layer is crossed.
//
// Every class is a bit in one [256]uint16 table, so a check is one load and
// one AND, and no class can drift between packages.
package lex

// Class is a set of bytes.
type Class uint16

// The classes, each with its grammar.
const (
	// Alpha is RFC 5234 ALPHA = %x41-5A / %x61-7A.
	Alpha Class = 1 << iota
	// Digit is RFC 5234 DIGIT = %x30-39.
	Digit
	// HexDig is RFC 5234 HEXDIG, read case-insensitively as RFC 3986 §2.1
	// allows for pct-encoded: DIGIT / "A"-"F" / "a"-"f".
	HexDig
	// TChar is RFC 9110 §5.6.2 tchar = "!" / "#" / "$" / "%" / "&" / "'" /
	// "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA.
	TChar
	// B64TokenChar is a character of RFC 6750 §2.1 b64token before the
	// padding: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/".
	B64TokenChar
	// ScopeChar is RFC 6749 §3.3 NQCHAR = %x21 / %x23-5B / %x5D-7E.
	ScopeChar
	// Unreserved is RFC 3986 §2.3 unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~".
	Unreserved
	// LowerAlnum is a-z and 0-9: the bytes a folded header name keeps
	// (AppendHeaderKey and AppendFold read every other byte as "-" or "_").
	LowerAlnum
	// VChar is RFC 5234 VCHAR = %x21-7E.
	VChar
	// Base64URL is the RFC 4648 §5 base64url alphabet: ALPHA / DIGIT / "-" / "_".
	Base64URL
	// PathChar is RFC 3986 §3.3 pchar without pct-encoded and "@", plus "/":
	// unreserved / sub-delims / ":" / "/".
	PathChar
)

var table [256]Class

func init() {
	add := func(c Class, set string) {
		for i := 0; i < len(set); i++ {
			table[set[i]] |= c
		}
	}
	addRange := func(c Class, lo, hi byte) {
		for b := int(lo); b <= int(hi); b++ {
			table[b] |= c
		}
	}
	for _, c := range []Class{Alpha, TChar, B64TokenChar, Unreserved, Base64URL, PathChar} {
		addRange(c, 'A', 'Z')
		addRange(c, 'a', 'z')
	}
	for _, c := range []Class{Digit, HexDig, TChar, B64TokenChar, Unreserved, LowerAlnum, Base64URL, PathChar} {
		addRange(c, '0', '9')
	}
	addRange(HexDig, 'A', 'F')
	addRange(HexDig, 'a', 'f')
	add(TChar, "!#$%&'*+-.^_`|~")
	add(B64TokenChar, "-._~+/")
	add(ScopeChar, "\x21")
	addRange(ScopeChar, 0x23, 0x5B)
	addRange(ScopeChar, 0x5D, 0x7E)
	add(Unreserved, "-._~")
	addRange(LowerAlnum, 'a', 'z')
	addRange(VChar, 0x21, 0x7E)
	add(Base64URL, "-_")
	add(PathChar, "-._~!$&'()*+,;=:/")
}

// Is reports whether c is in class k.
func Is(c byte, k Class) bool { return table[c]&k != 0 }

// All reports whether s is non-empty and every byte of s is in class k.
func All(s string, k Class) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if table[s[i]]&k == 0 {
			return false
		}
	}
	return true
}

// IsToken reports whether s is an RFC 9110 §5.6.2 token (1*tchar).
func IsToken(s string) bool { return All(s, TChar) }

// IsScopeToken reports whether s is an RFC 6749 §3.3 scope-token (1*NQCHAR).
func IsScopeToken(s string) bool { return All(s, ScopeChar) }

// IsB64Token reports whether s matches RFC 6750 §2.1
// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func IsB64Token(s string) bool {
	n := 0
	for n < len(s) && table[s[n]]&B64TokenChar != 0 {
		n++
	}
	if n == 0 {
		return false
	}
	for ; n < len(s); n++ {
		if s[n] != '=' {
			return false
		}
	}
	return true
}

// Unhex returns the value of a HEXDIG.
func Unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// ToLower returns c with an ASCII upper-case letter lower-cased.
func ToLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// EqualFold reports whether a and b are equal ignoring ASCII case only
// (RFC 9110 §5.1 field names, RFC 9068 §4 typ). Non-ASCII bytes compare
// exactly. It does not allocate.
func EqualFold[A, B ~string | ~[]byte](a A, b B) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if ToLower(a[i]) != ToLower(b[i]) {
			return false
		}
	}
	return true
}

// AppendHeaderKey appends the request header name s to dst in the one form
// audguard compares header names in, wherever a client could spell a name
// two ways: claim headers (filter/config, filter/policy) and the MCP
// request headers (filter/mcp). It is AppendFold with "-": ASCII letters
// lower-cased and every byte outside a-z and 0-9 read as "-", so that
// "X_MCP.Subject" and "x-mcp-subject", or "Mcp.Name" and "Mcp-Name", are one
// name, as CGI-style upstreams (PHP, WSGI, Rack) read them: they fold "-",
// "_" and "." into the same variable. It does not allocate when dst has room.
func AppendHeaderKey(dst []byte, s string) []byte { return AppendFold(dst, s, '-') }

// AppendFold appends s to dst with ASCII letters lower-cased and every other
// byte outside a-z and 0-9 (non-ASCII bytes included) replaced by repl. With
// repl '-' it is AppendHeaderKey; with '_' it derives resource names from
// URIs. It does not allocate when dst has room.
func AppendFold(dst []byte, s string, repl byte) []byte {
	for i := 0; i < len(s); i++ {
		c := ToLower(s[i])
		if !Is(c, LowerAlnum) {
			c = repl
		}
		dst = append(dst, c)
	}
	return dst
}

// HasUpper reports whether s holds an ASCII upper-case letter.
func HasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// Lower returns s with ASCII letters lower-cased; s itself, without
// allocating, when it has none (strings.ToLower would also fold non-ASCII).
func Lower(s string) string {
	if !HasUpper(s) {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		b[i] = ToLower(c)
	}
	return string(b)
}
