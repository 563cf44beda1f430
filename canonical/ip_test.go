package canonical

import (
	"net/netip"
	"strings"
	"testing"
)

// ipSeeds are literals on both sides of every rule of parseIPv4 and
// parseIPv6, which must agree with net/netip.
var ipSeeds = []string{
	"", ".", "0.0.0.0", "127.0.0.1", "127.0.0.01", "127.1", "1.2.3.256", "255.255.255.255", "1.2.3.4.5",
	"1..2.3", ".1.2.3", "1.2.3.", "0x7f.0.0.1", "01.2.3.4", "1.2.3.4 ", "1.2.3.-4", "256.1.1.1", "1000.1.1.1",
	"::", "::1", "0:0::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::", "::1:2:3:4:5:6:7",
	"1:2:3:4:5:6:7::8", "1::2::3", ":::", ":1", "1:", "1::2:", "12345::", "g::", "FFFF::", "fFfF::1",
	"2001:DB8::1", "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", "2001:0:0:1::1", "0:0:1:0:0:0:1:0",
	"::ffff:192.0.2.1", "::FFFF:192.0.2.1", "::ffff:c000:201", "::192.0.2.1", "1:2:3:4:5:6:1.2.3.4",
	"1:2:3:4:5:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3.4.5", "::1.2.3", "::01.2.3.4", "::1234.1.1.1",
	"::12345.1.1.1", "::ab.1.2.3", "1.2.3.4::", "fe80::1%eth0", "::1%", "v1.x", "0::0", "0:0:0:0:0:0:0:0",
	"1:0:0:2:0:0:0:3", "1:0:0:0:2:0:0:3", "0:0:0:1:0:0:0:0", "::ffff:0:0", "::ffff:0.0.0.0", "::fffe:1.2.3.4",
	"0:0:0:0:0:ffff:1.2.3.4", "a:b:c:d:e:f:0:0", "::0:1",
}

// checkIP compares the package's IP parsing and printing with net/netip's on s.
func checkIP(t *testing.T, s string) {
	t.Helper()
	a, err := netip.ParseAddr(s)
	v4, ok4 := parseIPv4(s)
	if want := err == nil && a.Is4(); ok4 != want {
		t.Errorf("parseIPv4(%q) ok = %v, netip: %v (%v)", s, ok4, want, err)
	} else if ok4 && v4 != a.As4() {
		t.Errorf("parseIPv4(%q) = %v, netip %v", s, v4, a.As4())
	}
	v6, ok6 := parseIPv6(s)
	if strings.ContainsRune(s, '%') {
		if ok6 {
			t.Errorf("parseIPv6(%q) accepted a zone", s)
		}
		return
	}
	if want := err == nil && a.Is6(); ok6 != want {
		t.Errorf("parseIPv6(%q) ok = %v, netip: %v (%v)", s, ok6, want, err)
	} else if ok6 {
		if [16]byte(v6) != a.As16() {
			t.Errorf("parseIPv6(%q) = %v, netip %v", s, v6, a.As16())
		}
		if v6.String() != a.String() {
			t.Errorf("parseIPv6(%q).String() = %q, netip %q", s, v6.String(), a.String())
		}
	}
	if want := netipIsLoopback(s); IsLoopback(s) != want || IsLoopback("["+s+"]") != netipIsLoopback("["+s+"]") {
		t.Errorf("IsLoopback(%q) = %v, ([…]: %v), netip: %v (%v)", s, IsLoopback(s), IsLoopback("["+s+"]"), want, netipIsLoopback("["+s+"]"))
	}
}

// netipIsLoopback is IsLoopback as it was written with net/netip.
func netipIsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		a, err := netip.ParseAddr(host[1 : len(host)-1])
		return err == nil && a == netip.IPv6Loopback()
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Is4() && a.IsLoopback()
}

func TestIPLiteralsMatchNetip(t *testing.T) {
	for _, s := range ipSeeds {
		checkIP(t, s)
	}
	// Every address with groups from a small set, written in full and
	// through netip's own canonical form.
	vals := []uint16{0, 1, 0xffff, 0x1000}
	for n := 0; n < 1<<16; n++ {
		var a [16]byte
		for g, m := 0, n; g < 8; g, m = g+1, m>>2 {
			v := vals[m&3]
			a[2*g], a[2*g+1] = byte(v>>8), byte(v)
		}
		addr := netip.AddrFrom16(a)
		checkIP(t, addr.String())
		checkIP(t, addr.StringExpanded())
	}
}

func FuzzIPLiterals(f *testing.F) {
	for _, s := range ipSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkIP(t, s) })
}
