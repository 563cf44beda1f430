package policy

import (
	"github.com/audguard/audguard/internal/lex"
	"strings"
)

// tokenInQuery reports whether the :path has an access_token query parameter
// in any position (RFC 6750 §2.3 is refused, docs/request-flow.md#10-token-extraction). Parameters are
// split on "&" and ";" (both separate parameters for some server stacks);
// a name is compared after percent-decoding and "+" read as a space, ending
// at a NUL byte, with surrounding spaces and one trailing "[]" ignored and
// ".", a space and "[" read as "_", so "access%5Ftoken", "x=1;access_token",
// "access_token[]", "access_token+", "access.token", "access+token",
// "access[token" and "access_token%00x" are all caught: each is read as
// access_token by some framework an upstream may use (PHP reads ".", " "
// and an unclosed "[" in a name as "_", and stops a name at a NUL byte).
func tokenInQuery(rawPath string) bool {
	q := strings.IndexByte(rawPath, '?')
	if q < 0 {
		return false
	}
	rest := rawPath[q+1:]
	for len(rest) > 0 {
		param := rest
		if i := strings.IndexAny(rest, "&;"); i >= 0 {
			param, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		name := param
		if i := strings.IndexByte(param, '='); i >= 0 {
			name = param[:i]
		}
		if decodedParamIs(name, "access_token") {
			return true
		}
	}
	return false
}

// decodedParamIs reports whether the query parameter name s, read as a form
// decoder reads it (percent-decoding, "+" as space) up to its first NUL
// byte, equals want (ASCII case-insensitive for the letters of want, and
// ".", " " and "[" equal to "_") once surrounding spaces and one trailing
// "[]" are set aside. It does not allocate: the decoded bytes are produced
// one at a time and compared against want.
func decodedParamIs(s, want string) bool {
	// The decoded name, without leading spaces and with trailing spaces held
	// back (pending) until a non-space byte follows, so that no run of
	// spaces, however long, pushes the name out of the buffer.
	var buf [64]byte
	n, pending := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			c = ' '
		case c == '%' && i+2 < len(s):
			hi, ok1 := lex.Unhex(s[i+1])
			lo, ok2 := lex.Unhex(s[i+2])
			if ok1 && ok2 {
				c = hi<<4 | lo
				i += 2
			}
		}
		if c == 0 {
			break // PHP keeps names as C strings: the name ends here
		}
		if isSpaceByte(c) {
			if n > 0 {
				pending++
			}
			continue
		}
		if n+pending+1 > len(buf) {
			return false // longer than want can be, whatever is set aside
		}
		for ; pending > 0; pending-- {
			buf[n] = ' '
			n++
		}
		buf[n] = c
		n++
	}
	d := buf[:n]
	if len(d) >= 2 && d[len(d)-2] == '[' && d[len(d)-1] == ']' {
		d = d[:len(d)-2]
		for len(d) > 0 && d[len(d)-1] == ' ' {
			d = d[:len(d)-1]
		}
	}
	if len(d) != len(want) {
		return false
	}
	for i, c := range d {
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c == '.', c == ' ', c == '[':
			c = '_' // PHP's reading of a parameter name
		}
		if c != want[i] {
			return false
		}
	}
	return true
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' }

// bearerCredentials splits an Authorization value (RFC 6750 §2.1,
// RFC 9110 §11.4). isBearer is false when the scheme is not "Bearer"
// (compared case-insensitively); then the request counts as carrying no
// token. ok is false when the scheme is Bearer but the credentials do not
// match 1*SP b64token (including none).
//
// The scheme is the leading run of RFC 9110 tchars, so "Bearer\ttoken" and
// "Bearer,token" are malformed Bearer credentials (400), not another scheme.
func bearerCredentials(v string) (token string, isBearer, ok bool) {
	return bearerCredentialsKnown(v, nil)
}

// bearerCredentialsKnown is bearerCredentials; known, when set, reports
// credentials already known to be one b64token (a token the verified-token
// cache holds byte for byte passed this very check before), which spares
// the scan of every byte on a cache hit.
func bearerCredentialsKnown(v string, known func(string) bool) (token string, isBearer, ok bool) {
	token, scheme, ok := credentials(v, false, known)
	return token, scheme == schemeBearer, ok
}

// authScheme is the scheme of the request's Authorization credentials.
type authScheme uint8

const (
	schemeNone   authScheme = iota // none, or one the resource does not accept
	schemeBearer                   // Bearer (RFC 6750 §2.1)
	schemeDPoP                     // DPoP (RFC 9449 §7.1), only where the resource's dpop is not "off"
)

// credentials splits an Authorization value into its scheme and token:
// Bearer, or DPoP when dpop is true (both names compared case-insensitively,
// RFC 9110 §11.1), followed by 1*SP b64token (RFC 6750 §2.1, RFC 9449 §7.1).
// scheme is schemeNone for any other scheme: then the request counts as
// carrying no token. ok is false when the scheme is one of ours but the
// credentials are not one b64token after one or more spaces. known is as
// for bearerCredentialsKnown.
//
// The scheme is the leading run of RFC 9110 tchars, so "Bearer\ttoken" and
// "Bearer,token" are malformed Bearer credentials (400), not another scheme.
func credentials(v string, dpop bool, known func(string) bool) (token string, scheme authScheme, ok bool) {
	n := 0
	for n < len(v) && lex.Is(v[n], lex.TChar) {
		n++
	}
	name, rest := v[:n], v[n:]
	switch {
	case lex.EqualFold(name, "bearer"):
		scheme = schemeBearer
	case dpop && lex.EqualFold(name, "dpop"):
		scheme = schemeDPoP
	default:
		return "", schemeNone, false
	}
	i := 0
	for i < len(rest) && rest[i] == ' ' {
		i++
	}
	if i == 0 {
		return "", scheme, false
	}
	token = rest[i:]
	if (known == nil || !known(token)) && !lex.IsB64Token(token) {
		return "", scheme, false
	}
	return token, scheme, true
}
