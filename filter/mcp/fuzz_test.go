package mcp

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// Bits of FuzzParse's shape argument.
const (
	withVersion = 1 << iota
	withMethod
	withName
	dupVersion
	dupMethod
	dupName
	upperNames
	otherSeparator // the duplicates are spelled with "." for "-"
)

// FuzzParse reads arbitrary metadata headers (seeds in
// testdata/fuzz/FuzzParse): Parse never panics, its errors are HeaderErrors,
// legacy requests expose nothing, and every value it accepts is exactly what
// a conforming client would send for it.
func FuzzParse(f *testing.F) {
	var p Parser
	f.Fuzz(func(t *testing.T, version, method, name string, shape uint8) {
		names := [3]string{"mcp-protocol-version", "mcp-method", "mcp-name"}
		if shape&upperNames != 0 {
			names = [3]string{HeaderProtocolVersion, strings.ToUpper(HeaderMethod), HeaderName}
		}
		var h [][2]string
		add := func(present, dup bool, i int, v string) {
			if present {
				h = append(h, [2]string{names[i], v})
				if dup {
					other := strings.ToUpper(names[i])
					if shape&otherSeparator != 0 {
						other = strings.ReplaceAll(names[i], "-", ".")
					}
					h = append(h, [2]string{other, v})
				}
			}
		}
		add(shape&withVersion != 0, shape&dupVersion != 0, 0, version)
		add(shape&withMethod != 0, shape&dupMethod != 0, 1, method)
		add(shape&withName != 0, shape&dupName != 0, 2, name)
		dup := shape&withVersion != 0 && shape&dupVersion != 0 ||
			shape&withMethod != 0 && shape&dupMethod != 0 ||
			shape&withName != 0 && shape&dupName != 0

		got, err := p.Parse(h)
		if err != nil {
			var he *HeaderError
			if !errors.As(err, &he) || he.Problem == ProblemNone || he.Problem >= numProblems {
				t.Fatalf("error %v", err)
			}
			if dup != (he.Problem == ProblemDuplicate) {
				t.Fatalf("duplicate headers %v, error %v", dup, err)
			}
			return
		}
		if dup {
			t.Fatal("duplicate headers accepted")
		}
		if got.Era == EraLegacy {
			if got.Method != "" || got.Name != "" || shape&withVersion != 0 && EraOf(version) != EraLegacy {
				t.Fatalf("legacy request read as %+v", got)
			}
			return
		}
		if shape&withVersion == 0 || got.Version != version || !validDate(version) || version < FirstTrustedVersion {
			t.Fatalf("current era from version %q (present %v)", version, shape&withVersion != 0)
		}
		if got.Method == "" || !utf8.ValidString(got.Method) || !utf8.ValidString(got.Name) {
			t.Fatalf("accepted %+v", got)
		}
		if NameRequired(got.Method) && got.Name == "" {
			t.Fatalf("%s without a name", got.Method)
		}
		checkValue(t, method, got.Method)
		if shape&withName != 0 {
			checkValue(t, name, got.Name)
		} else if got.Name != "" {
			t.Fatalf("name %q from nowhere", got.Name)
		}

		// What a conforming client sends for these values parses back to them.
		m, n := strings.Clone(got.Method), strings.Clone(got.Name)
		sent := ""
		if n != "" {
			sent = encodeValue(n)
		}
		again, err := p.Parse(current(encodeValue(m), sent))
		if err != nil || again.Method != m || again.Name != n {
			t.Fatalf("round trip of %q %q: %+v, %v", m, n, again, err)
		}
	})
}

// checkValue: an accepted raw value is either the plain value itself or the
// one strict Base64 spelling of the decoded value.
func checkValue(t *testing.T, raw, decoded string) {
	t.Helper()
	if !strings.HasPrefix(raw, sentinelPrefix) || !strings.HasSuffix(raw, sentinelSuffix) {
		if raw != decoded {
			t.Fatalf("plain value %q read as %q", raw, decoded)
		}
		if hasSentinelPrefix(raw) {
			t.Fatalf("plain value %q starts with the sentinel's prefix", raw)
		}
		if raw[0] == ' ' || raw[len(raw)-1] == ' ' {
			t.Fatalf("plain value %q with a surrounding space", raw)
		}
		for i := 0; i < len(raw); i++ {
			if raw[i] < 0x20 || raw[i] > 0x7E {
				t.Fatalf("plain value %q with byte %#x", raw, raw[i])
			}
		}
		return
	}
	if want := enc(decoded); raw != want {
		t.Fatalf("value %q decoded to %q, whose encoding is %q", raw, decoded, want)
	}
}

// FuzzOrigin compiles one allowed_origins entry and checks one request Origin
// (seeds in testdata/fuzz/FuzzOrigin): nothing panics, a valid entry allows
// itself in any case and with the default port, and an allowed Origin is the
// entry up to ASCII case and the default port.
func FuzzOrigin(f *testing.F) {
	f.Fuzz(func(t *testing.T, entry, origin string) {
		o, err := CompileOrigins([]string{entry})
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Path() != "allowed_origins[0]" || ce.Msg == "" || ce.Fix == "" {
				t.Fatalf("error %v", err)
			}
			return
		}
		if !o.Allowed(entry) {
			t.Fatalf("%q does not allow itself", entry)
		}
		if entry != "null" {
			if !o.Allowed(asciiUpper(entry)) {
				t.Fatalf("%q does not allow %q", entry, asciiUpper(entry))
			}
			if strings.HasPrefix(entry, "https://") && !strings.Contains(entry[len("https://"):], ":") && !o.Allowed(entry+":443") {
				t.Fatalf("%q does not allow its default port", entry)
			}
		}
		if o.Allowed(origin) && refOrigin(origin) != entry {
			t.Fatalf("%q allows %q", entry, origin)
		}
	})
}

// refOrigin is a second, simpler reading of an allowed Origin: ASCII
// lower-cased, without the default port.
func refOrigin(s string) string {
	s = asciiLower(s)
	switch {
	case strings.HasPrefix(s, "https://"):
		s = strings.TrimSuffix(s, ":443")
	case strings.HasPrefix(s, "http://"):
		s = strings.TrimSuffix(s, ":80")
	}
	return s
}

// hasSentinelPrefix reports whether s starts with "=?base64?" in any ASCII
// case, spelled out without the package's helpers.
func hasSentinelPrefix(s string) bool {
	return len(s) >= len(sentinelPrefix) && asciiLower(s[:len(sentinelPrefix)]) == sentinelPrefix
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	return string(b)
}
