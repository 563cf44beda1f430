package buildinfo

import (
	"runtime/debug"
	"strings"
	"unicode/utf8"
	_ "unsafe" // go:linkname
)

// modinfo is the build information text the go command gave the linker
// (what debug.ReadBuildInfo parses), between 16 bytes of magic at each end;
// the runtime provides it to package runtime/debug under this name.
//
//go:linkname modinfo runtime/debug.modinfo
func modinfo() string

// Read is debug.ReadBuildInfo for Resolve, without debug.ParseBuildInfo,
// whose parser (with strconv.Unquote and fmt.Errorf) is some 30 KB of the
// module: it reads the main module's version and the build settings Resolve
// uses (vcs.revision, vcs.modified), nothing else (no Path, Deps, other
// Settings or GoVersion). For every text BuildInfo.String writes, which is
// how the go command writes it, Resolve gives with Read what it gives with
// debug.ReadBuildInfo, and Read fails where ParseBuildInfo does on a line
// without the columns, '=' or key it needs (TestReadEqualsParseBuildInfo).
func Read() (*debug.BuildInfo, bool) {
	data := modinfo()
	if len(data) < 32 {
		return nil, false
	}
	return parse(data[16 : len(data)-16])
}

// parse follows debug.ParseBuildInfo line by line.
func parse(data string) (*debug.BuildInfo, bool) {
	bi := new(debug.BuildInfo)
	last := false // a mod or dep line precedes: a replacement may follow
	var line string
	var ok bool
	for len(data) > 0 {
		if line, data, ok = strings.Cut(data, "\n"); !ok {
			break
		}
		switch {
		case strings.HasPrefix(line, "path\t"):
		case strings.HasPrefix(line, "mod\t"), strings.HasPrefix(line, "dep\t"):
			cols := strings.Split(line[4:], "\t")
			if len(cols) != 2 && len(cols) != 3 {
				return nil, false
			}
			if line[0] == 'm' {
				bi.Main.Version = cols[1]
			}
			last = true
		case strings.HasPrefix(line, "=>\t"):
			if strings.Count(line[3:], "\t") != 2 || !last {
				return nil, false
			}
			last = false
		case strings.HasPrefix(line, "build\t"):
			kv := line[6:]
			if kv == "" || kv[0] == '=' {
				return nil, false
			}
			var key, raw string
			if kv[0] == '"' || kv[0] == '`' {
				n := quotedLen(kv)
				if n < 0 || n == len(kv) || kv[n] != '=' {
					return nil, false
				}
				var kok bool
				if key, kok = unquote(kv[:n]); !kok {
					return nil, false
				}
				raw = kv[n+1:]
			} else {
				var found bool
				if key, raw, found = strings.Cut(kv, "="); !found || strings.ContainsAny(key, "= \t\r\n\"`") {
					return nil, false
				}
			}
			value := raw
			if raw != "" && (raw[0] == '"' || raw[0] == '`') {
				var vok bool
				if value, vok = unquote(raw); !vok {
					return nil, false
				}
			} else if strings.ContainsAny(raw, " \t\r\n\"`") {
				return nil, false
			}
			if key == "vcs.revision" || key == "vcs.modified" {
				bi.Settings = append(bi.Settings, debug.BuildSetting{Key: key, Value: value})
			}
		}
	}
	return bi, true
}

// quotedLen is the length of the quoted string s begins with ('"' or '`'),
// or -1 when it does not end on the line; escapes are checked by unquote.
func quotedLen(s string) int {
	q := s[0]
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == q:
			return i + 1
		case s[i] == '\\' && q == '"':
			i++
		case s[i] == '\n' && q == '"':
			return -1
		}
	}
	return -1
}

// unquote is strconv.Unquote of one whole quoted string ('"' or '`'): the
// same escapes, a '\r' dropped from a raw string, invalid UTF-8 in a string
// with escapes read as U+FFFD.
func unquote(s string) (string, bool) {
	if len(s) < 2 || quotedLen(s) != len(s) {
		return "", false
	}
	if s[0] == '`' {
		raw := []byte(s[1 : len(s)-1])
		n := 0
		for _, c := range raw { // each '\r' dropped (strings.ReplaceAll's machinery stays out of the module)
			if c != '\r' {
				raw[n] = c
				n++
			}
		}
		return string(raw[:n]), true
	}
	s = s[1 : len(s)-1]
	if !strings.Contains(s, `\`) && utf8.ValidString(s) {
		return s, true
	}
	var b []byte
	for i := 0; i < len(s); {
		var r rune // appended as UTF-8 when wide, else as one byte
		wide := true
		switch c := s[i]; {
		case c >= utf8.RuneSelf:
			var size int
			r, size = utf8.DecodeRuneInString(s[i:])
			i += size
		case c != '\\':
			r, wide = rune(c), false
			i++
		case i+1 == len(s):
			return "", false
		default:
			c = s[i+1]
			i += 2
			// One-character escapes, then octal (3 digits), \x (2 hex
			// digits: a byte), \u and \U (4 and 8: a rune).
			if k := strings.IndexByte(`abfnrtv\"`, c); k >= 0 {
				r, wide = rune("\a\b\f\n\r\t\v\\\""[k]), false
				break
			}
			n, shift := 0, 4
			switch {
			case '0' <= c && c <= '7':
				n, shift, r, wide = 2, 3, rune(c-'0'), false
			case c == 'x':
				n, wide = 2, false
			case c == 'u':
				n = 4
			case c == 'U':
				n = 8
			}
			if n == 0 || i+n > len(s) {
				return "", false
			}
			for _, h := range []byte(s[i : i+n]) {
				d := strings.IndexByte("0123456789abcdefABCDEF", h)
				if d >= 16 {
					d -= 6
				}
				if d < 0 || d >= 1<<shift {
					return "", false
				}
				r = r<<shift | rune(d)
			}
			i += n
			if !wide && r > 255 || wide && !utf8.ValidRune(r) {
				return "", false
			}
		}
		if wide {
			b = utf8.AppendRune(b, r)
		} else {
			b = append(b, byte(r))
		}
	}
	return string(b), true
}
