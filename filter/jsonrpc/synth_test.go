package jsonrpc

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// synth builds from the fuzzer's bytes a body that is close to a JSON-RPC
// message: members named like the ones Parse reads (case variants, Unicode
// folds, escapes, duplicates, NUL-suffixed), values of the expected and
// unexpected types, strings with escapes and surrogate pairs, and white
// space of every kind. Random bytes alone seldom get past the syntax;
// these bodies exercise what Parse must refuse or read as the SDK does.
func synth(data []byte) []byte {
	s := synthesizer{data: data}
	var b strings.Builder
	s.ws(&b)
	if s.next()%4 == 0 {
		b.WriteByte('[')
		n := 1 + int(s.next()%3)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			s.ws(&b)
			s.message(&b)
			s.ws(&b)
		}
		b.WriteByte(']')
	} else {
		s.message(&b)
	}
	s.ws(&b)
	if s.next()%16 == 0 {
		s.message(&b) // trailing data
	}
	return []byte(b.String())
}

type synthesizer struct {
	data []byte
	i    int
}

// next is the next choice, 0 once the bytes are used up.
func (s *synthesizer) next() byte {
	if s.i >= len(s.data) {
		return 0
	}
	c := s.data[s.i]
	s.i++
	return c
}

func (s *synthesizer) pick(options []string) string { return options[int(s.next())%len(options)] }

// ws writes white space, seldom a character JSON does not count as such.
func (s *synthesizer) ws(b *strings.Builder) {
	switch c := s.next(); {
	case c == 0xA5:
		b.WriteString(s.pick([]string{"\f", "\v", "\u00a0", "\ufeff", "\x00"}))
	case c%8 == 0:
		b.WriteString(s.pick([]string{" ", "\n", "\t", "\r\n "}))
	}
}

var messageNames = []string{"jsonrpc", "id", "method", "params", "result", "error",
	"jsonrpc", "id", "method", "params", "method", "params",
	"Method", "ID", "Params", "JSONRPC", "reſult", "paramſ", "jſonrpc", "methoD", "erroR",
	"method\x00", "params\x00", "\u212Aey", "x", "_meta", "methodmethodmethodmethod", "méthod", "ıd", "İD"}

var paramsNames = []string{"name", "uri", "arguments", "_meta", "name", "uri", "name", "uri",
	"NAME", "Name", "URI", "Uri", "nam\u0065", "ur\u0131", "\u212Aind", "name\x00", "uri\x00", "ſ", "nameuri"}

var methods = []string{"tools/call", "prompts/get", "resources/read", "tools/call", "prompts/get", "resources/read",
	"tools/list", "initialize", "notifications/initialized", "", "Tools/call", "tools/call ", "resources/subscribe"}

var stringValues = []string{"t", "get_forecast", "file:///etc/passwd", "", "\u212A", "a\"b", "a\\b", "\x00",
	"\U0001F600", "é", "\u2028", "ſ", "2.0", "1.0", "tools/call", "abcdefgh", "abcdefghijklmnopq"}

var numbers = []string{"1", "0", "-0", "7", "-1", "1.5", "1e400", "1E-400", "-0.0e0", "9007199254740993",
	"123456789012345678901234567890", "1e20", "01", "1.", "+1"}

// str writes a JSON string holding v, escaping some characters at random.
func (s *synthesizer) str(b *strings.Builder, v string) {
	b.WriteByte('"')
	mode := s.next()
	for _, r := range v {
		c := s.next()
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || mode%4 == 1 && c%2 == 0 || mode%4 == 2:
			if r > 0xFFFF {
				r1, r2 := utf16Pair(r)
				fmt.Fprintf(b, `\u%04x\u%04X`, r1, r2)
			} else if c%3 == 0 {
				fmt.Fprintf(b, `\u%04X`, r)
			} else {
				fmt.Fprintf(b, `\u%04x`, r)
			}
		case r == '/' && c%2 == 0:
			b.WriteString(`\/`)
		default:
			b.WriteRune(r)
		}
	}
	if mode%32 == 3 {
		b.WriteString(s.pick([]string{`\ud800`, `\udc00`, "\xff", `\t`, "\t"}))
	}
	b.WriteByte('"')
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xD800 + r>>10, 0xDC00 + r&0x3FF
}

func (s *synthesizer) scalar(b *strings.Builder) {
	switch s.next() % 6 {
	case 0, 1:
		s.str(b, s.pick(stringValues))
	case 2:
		b.WriteString(s.pick(numbers))
	case 3:
		b.WriteString(s.pick([]string{"null", "true", "false"}))
	case 4:
		b.WriteString(s.pick([]string{"{}", "[]", `{"a":1,"a":2}`, `[1,"x",{"name":"y"}]`, `{"name":"n","uri":"u"}`}))
	default:
		b.WriteString(`{"code":-32000,"message":"m"}`)
	}
}

func (s *synthesizer) message(b *strings.Builder) {
	b.WriteByte('{')
	s.ws(b)
	n := int(s.next() % 7)
	if s.next()%2 == 0 { // mostly well-formed
		n = 0
		s.member(b, "jsonrpc", 0)
		b.WriteByte(',')
		if s.next()%4 != 0 {
			s.member(b, "id", 0)
			b.WriteByte(',')
		}
		s.member(b, "method", 0)
		b.WriteByte(',')
		s.member(b, "params", 0)
	}
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		s.member(b, s.pick(messageNames), 0)
	}
	if s.next()%8 == 0 {
		if n > 0 || b.Len() > 1 {
			b.WriteByte(',')
		}
		s.member(b, s.pick(messageNames), 0)
	}
	s.ws(b)
	b.WriteByte('}')
}

// member writes name and a value suited to it (mostly).
func (s *synthesizer) member(b *strings.Builder, name string, depth int) {
	s.ws(b)
	s.str(b, name)
	s.ws(b)
	b.WriteByte(':')
	s.ws(b)
	if s.next()%8 == 0 {
		s.scalar(b)
		return
	}
	switch strings.ToLower(name) {
	case "jsonrpc", "jſonrpc":
		s.str(b, s.pick([]string{"2.0", "2.0", "2.0", "1.0", "2.0 "}))
	case "id":
		if s.next()%2 == 0 {
			s.str(b, s.pick(stringValues))
		} else {
			b.WriteString(s.pick(numbers))
		}
	case "method", "méthod":
		s.str(b, s.pick(methods))
	case "params", "paramſ":
		if depth > 2 {
			b.WriteString("{}")
			return
		}
		b.WriteByte('{')
		n := int(s.next() % 4)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			s.member(b, s.pick(paramsNames), depth+1)
		}
		s.ws(b)
		b.WriteByte('}')
	case "arguments", "_meta":
		if depth > 2 {
			b.WriteString("{}")
			return
		}
		b.WriteByte('{')
		n := int(s.next() % 3)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			s.member(b, s.pick(paramsNames), depth+1)
		}
		b.WriteByte('}')
	default:
		if strings.EqualFold(name, "name") || strings.EqualFold(name, "uri") || strings.HasPrefix(name, "nam") || strings.HasPrefix(name, "ur") {
			s.str(b, s.pick(stringValues))
			return
		}
		s.scalar(b)
	}
}

// TestSynth: synth makes bodies Parse accepts, for some inputs, and ones it
// refuses for each reason that the fuzzer then explores.
func TestSynth(t *testing.T) {
	var p Parser
	accepted, seen := 0, map[error]bool{}
	r := rand.New(rand.NewPCG(1, 2))
	in := make([]byte, 256)
	for i := 0; i < 20000; i++ {
		for j := range in {
			in[j] = byte(r.Uint32())
		}
		body := synth(in)
		if !utf8.Valid(body) && !strings.Contains(string(body), "\xff") {
			t.Fatalf("synth made invalid UTF-8 %q", body)
		}
		checkAgreement(t, &p, body)
		if _, err := p.Parse(body); err == nil {
			accepted++
		} else {
			for _, e := range allErrs {
				if errors.Is(err, e) {
					seen[e] = true
				}
			}
		}
	}
	if accepted < 500 {
		t.Errorf("synth made only %d accepted bodies in 20000", accepted)
	}
	t.Logf("accepted %d of 20000; refusals seen: %d kinds", accepted, len(seen))
}
