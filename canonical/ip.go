package canonical

// IP literals. This package used net/netip, which costs a Wasm module about
// 60 KB (net/netip, and unique, weak and a generic hash-trie map that its
// zone interning pulls in, plus their tables); these two parsers accept
// exactly what netip.ParseAddr accepts for the addresses this package sees
// (no zones: a "%" is refused before), and ipv6.String is netip's
// Addr.String (RFC 5952). ip_test.go checks them against net/netip.

// parseIPv4 reads a dotted-decimal IPv4 address: four decimal octets of at
// most 255, without leading zeros, separated by ".".
func parseIPv4(s string) (a [4]byte, ok bool) {
	return a, parseIPv4Into(s, a[:])
}

func parseIPv4Into(s string, a []byte) bool {
	pos, val, digits := 0, 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if digits == 1 && val == 0 {
				return false // leading zero
			}
			val = val*10 + int(c-'0')
			digits++
			if val > 255 {
				return false
			}
		case c == '.':
			if i == 0 || i == len(s)-1 || s[i-1] == '.' || pos == 3 {
				return false
			}
			a[pos] = byte(val)
			pos, val, digits = pos+1, 0, 0
		default:
			return false
		}
	}
	if pos < 3 {
		return false
	}
	a[3] = byte(val)
	return true
}

// ipv6 is an IPv6 address, most significant byte first.
type ipv6 [16]byte

// parseIPv6 reads an IPv6 address (RFC 4291 §2.2): up to eight groups of one
// to four hex digits, one "::" standing for at least one group of zeros, and
// optionally a dotted-decimal IPv4 address as the last two groups.
func parseIPv6(s string) (ip ipv6, ok bool) {
	ellipsis := -1 // where "::" is, as a byte index into ip
	if len(s) >= 2 && s[0] == ':' && s[1] == ':' {
		ellipsis = 0
		s = s[2:]
		if s == "" {
			return ip, true // "::"
		}
	}
	i := 0
	for i < 16 {
		off, acc := 0, 0
		for ; off < len(s); off++ {
			c := s[off]
			var d int
			switch {
			case c >= '0' && c <= '9':
				d = int(c - '0')
			case c >= 'a' && c <= 'f':
				d = int(c-'a') + 10
			case c >= 'A' && c <= 'F':
				d = int(c-'A') + 10
			default:
				d = -1
			}
			if d < 0 {
				break
			}
			if off > 3 {
				return ip, false // more than four digits
			}
			acc = acc<<4 + d
		}
		if off == 0 {
			return ip, false // an empty group
		}
		if off < len(s) && s[off] == '.' { // the embedded IPv4 address
			if ellipsis < 0 && i != 12 || i+4 > 16 {
				return ip, false
			}
			if !parseIPv4Into(s, ip[i:i+4]) {
				return ip, false
			}
			s = ""
			i += 4
			break
		}
		ip[i], ip[i+1] = byte(acc>>8), byte(acc)
		i += 2
		s = s[off:]
		if s == "" {
			break
		}
		if s[0] != ':' || len(s) == 1 {
			return ip, false
		}
		s = s[1:]
		if s[0] == ':' {
			if ellipsis >= 0 {
				return ip, false // a second "::"
			}
			ellipsis = i
			s = s[1:]
			if s == "" {
				break
			}
		}
	}
	if s != "" {
		return ip, false
	}
	if i < 16 {
		if ellipsis < 0 {
			return ip, false // too short
		}
		n := 16 - i
		for j := i - 1; j >= ellipsis; j-- {
			ip[j+n] = ip[j]
		}
		clear(ip[ellipsis : ellipsis+n])
	} else if ellipsis >= 0 {
		return ip, false // "::" standing for no group
	}
	return ip, true
}

func (ip *ipv6) group(i int) uint16 { return uint16(ip[2*i])<<8 | uint16(ip[2*i+1]) }

// String is the RFC 5952 text form, as netip.Addr.String writes it: lower-case
// hex without leading zeros, the first longest run of two or more zero groups
// written "::", and an IPv4-mapped address (::ffff:0:0/96) as
// "::ffff:" followed by the IPv4 address in dotted decimal.
func (ip ipv6) String() string {
	var buf [64]byte
	return string(ip.appendTo(buf[:0]))
}

// appendTo appends ip.String() to b.
func (ip *ipv6) appendTo(b []byte) []byte {
	if [12]byte(ip[:12]) == [12]byte{10: 0xff, 11: 0xff} {
		b = append(b, "::ffff:"...)
		for i, o := range ip[12:] {
			if i > 0 {
				b = append(b, '.')
			}
			b = appendDecimal(b, o)
		}
		return b
	}
	zeroStart, zeroEnd := -1, -1
	for i := 0; i < 8; i++ {
		j := i
		for j < 8 && ip.group(j) == 0 {
			j++
		}
		if l := j - i; l >= 2 && l > zeroEnd-zeroStart {
			zeroStart, zeroEnd = i, j
		}
	}
	for i := 0; i < 8; i++ {
		if i == zeroStart {
			b = append(b, ':', ':')
			i = zeroEnd
			if i >= 8 {
				break
			}
		} else if i > 0 {
			b = append(b, ':')
		}
		b = appendHex(b, ip.group(i))
	}
	return b
}

const hexDigits = "0123456789abcdef"

func appendHex(b []byte, x uint16) []byte {
	if x >= 0x1000 {
		b = append(b, hexDigits[x>>12])
	}
	if x >= 0x100 {
		b = append(b, hexDigits[x>>8&0xf])
	}
	if x >= 0x10 {
		b = append(b, hexDigits[x>>4&0xf])
	}
	return append(b, hexDigits[x&0xf])
}

func appendDecimal(b []byte, x uint8) []byte {
	if x >= 100 {
		b = append(b, '0'+x/100)
	}
	if x >= 10 {
		b = append(b, '0'+x/10%10)
	}
	return append(b, '0'+x%10)
}
