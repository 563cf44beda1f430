package policy

import "strings"

// tokenInQuery reports whether the :path has an access_token query parameter
// in any position (RFC 6750 §2.3 is refused, contract §5.4). The parameter
// name is compared after percent-decoding, so "access%5Ftoken" is caught too.
func tokenInQuery(rawPath string) bool {
	q := strings.IndexByte(rawPath, '?')
	if q < 0 {
		return false
	}
	rest := rawPath[q+1:]
	for len(rest) > 0 {
		param := rest
		if i := strings.IndexByte(rest, '&'); i >= 0 {
			param, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		name := param
		if i := strings.IndexByte(param, '='); i >= 0 {
			name = param[:i]
		}
		if decodedEquals(name, "access_token") {
			return true
		}
	}
	return false
}

// decodedEquals reports whether the percent-decoded form of s equals want
// (ASCII case-insensitive for the letters of want), without allocating.
func decodedEquals(s, want string) bool {
	j := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				c = hi<<4 | lo
				i += 2
			}
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if j >= len(want) || c != want[j] {
			return false
		}
		j++
	}
	return j == len(want)
}

func unhex(c byte) (byte, bool) {
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

// bearerCredentials splits an Authorization value (RFC 6750 §2.1,
// RFC 9110 §11.4). isBearer is false when the scheme is not "Bearer"
// (compared case-insensitively); then the request counts as carrying no
// token. ok is false when the scheme is Bearer but the credentials do not
// match 1*SP b64token (including none).
//
// The scheme is the leading run of RFC 9110 tchars, so "Bearer\ttoken" and
// "Bearer,token" are malformed Bearer credentials (400), not another scheme.
func bearerCredentials(v string) (token string, isBearer, ok bool) {
	n := 0
	for n < len(v) && isTChar(v[n]) {
		n++
	}
	scheme, rest := v[:n], v[n:]
	if !asciiEqualFold(scheme, "bearer") {
		return "", false, false
	}
	i := 0
	for i < len(rest) && rest[i] == ' ' {
		i++
	}
	if i == 0 {
		return "", true, false
	}
	token = rest[i:]
	if !isB64Token(token) {
		return "", true, false
	}
	return token, true, true
}

// isB64Token reports whether s matches
// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
// (RFC 6750 §2.1).
func isB64Token(s string) bool {
	n := 0
	for n < len(s) && isB64TokenChar(s[n]) {
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

func isB64TokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	case c == '-', c == '.', c == '_', c == '~', c == '+', c == '/':
		return true
	}
	return false
}
