package mcp

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/audguard/audguard/internal/lex"
)

// enc is the client side of "Value Encoding" (MCP 2026-07-28,
// basic/transports/streamable-http): the sentinel form of s.
func enc(s string) string {
	return "=?base64?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?="
}

// encodeValue encodes s the way a conforming client does: plain when it can
// be, the sentinel form otherwise (and for a value that starts with the
// sentinel's prefix in any case, which Parse refuses as plain).
func encodeValue(s string) string {
	plain := s != "" && s[0] != ' ' && s[len(s)-1] != ' ' && !hasSentinelPrefix(s)
	for i := 0; plain && i < len(s); i++ {
		plain = s[i] >= 0x20 && s[i] <= 0x7E
	}
	if plain {
		return s
	}
	return enc(s)
}

func hdr(kv ...string) [][2]string {
	var h [][2]string
	for i := 0; i+1 < len(kv); i += 2 {
		h = append(h, [2]string{kv[i], kv[i+1]})
	}
	return h
}

// current builds the headers of a 2026-07-28 request; a "" name is left out.
func current(method, name string) [][2]string {
	h := hdr("mcp-protocol-version", "2026-07-28", "mcp-method", method)
	if name != "" {
		h = append(h, [2]string{"mcp-name", name})
	}
	return h
}

func TestParse(t *testing.T) {
	type res struct {
		era          Era
		method, name string
	}
	cur := func(method, name string) res { return res{EraCurrent, method, name} }
	legacy := res{era: EraLegacy}
	bad := func(header string, p Problem) res { return res{method: "!" + header, name: p.String()} }

	tests := []struct {
		desc    string
		headers [][2]string
		want    res
	}{
		// The era comes from MCP-Protocol-Version.
		{"no version header", hdr(":method", "POST", "mcp-method", "tools/call", "mcp-name", "x"), legacy},
		{"older version 2025-11-25", hdr("mcp-protocol-version", "2025-11-25", "mcp-method", "tools/call", "mcp-name", "x"), legacy},
		{"older version 2025-06-18", hdr("mcp-protocol-version", "2025-06-18", "mcp-method", "tools/call"), legacy},
		{"the day before", hdr("mcp-protocol-version", "2026-07-27", "mcp-method", "tools/call"), legacy},
		{"first trusted version", current("tools/call", "x"), cur("tools/call", "x")},
		{"later version", hdr("mcp-protocol-version", "2027-01-15", "mcp-method", "tools/list"), cur("tools/list", "")},
		{"far later version", hdr("mcp-protocol-version", "9999-12-31", "mcp-method", "ping"), cur("ping", "")},
		{"leap day", hdr("mcp-protocol-version", "2028-02-29", "mcp-method", "ping"), cur("ping", "")},
		{"leap day of a 400th year", hdr("mcp-protocol-version", "2400-02-29", "mcp-method", "ping"), cur("ping", "")},
		{"malformed: no leap day in 2100", hdr("mcp-protocol-version", "2100-02-29", "mcp-method", "ping"), legacy},
		{"malformed: February 30", hdr("mcp-protocol-version", "2027-02-30", "mcp-method", "ping"), legacy},
		{"malformed: April 31", hdr("mcp-protocol-version", "2027-04-31", "mcp-method", "ping"), legacy},
		{"malformed: month 13", hdr("mcp-protocol-version", "2026-13-01", "mcp-method", "ping"), legacy},
		{"malformed: month 00", hdr("mcp-protocol-version", "2027-00-10", "mcp-method", "ping"), legacy},
		{"malformed: day 00", hdr("mcp-protocol-version", "2027-01-00", "mcp-method", "ping"), legacy},
		{"malformed: one-digit month", hdr("mcp-protocol-version", "2027-7-28", "mcp-method", "ping"), legacy},
		{"malformed: slashes", hdr("mcp-protocol-version", "2027/07/28", "mcp-method", "ping"), legacy},
		{"malformed: trailing space", hdr("mcp-protocol-version", "2027-07-28 ", "mcp-method", "ping"), legacy},
		{"malformed: time suffix", hdr("mcp-protocol-version", "2027-07-28T00", "mcp-method", "ping"), legacy},
		{"malformed: sign", hdr("mcp-protocol-version", "+027-07-28", "mcp-method", "ping"), legacy},
		{"malformed: empty", hdr("mcp-protocol-version", "", "mcp-method", "ping"), legacy},
		{"malformed: a word", hdr("mcp-protocol-version", "draft", "mcp-method", "ping"), legacy},
		{"malformed: 11 digits of year", hdr("mcp-protocol-version", "20270-07-28", "mcp-method", "ping"), legacy},

		// Legacy requests expose nothing and are not otherwise validated.
		{"legacy: no method", hdr("mcp-protocol-version", "2025-11-25"), legacy},
		{"legacy: bad method value", hdr("mcp-method", " x\x01"), legacy},
		{"legacy: bad name value", hdr("mcp-method", "tools/call", "mcp-name", "=?base64?!?="), legacy},

		// Names are case-insensitive.
		{"header names in any case", hdr("MCP-PROTOCOL-VERSION", "2026-07-28", "MCP-Method", "tools/call", "mCp-NaMe", "x"), cur("tools/call", "x")},
		{"unrelated headers ignored", hdr("mcp-methods", "x", "mcp-protocol-version", "2026-07-28", "x-mcp-name", "y", "mcp-method", "ping"), cur("ping", "")},

		// Each header appearing more than once is invalid, in every era.
		{"duplicate version, different case", hdr("MCP-Protocol-Version", "2026-07-28", "mcp-protocol-version", "2026-07-28", "mcp-method", "ping"), bad(HeaderProtocolVersion, ProblemDuplicate)},
		{"duplicate version, legacy values", hdr("mcp-protocol-version", "2025-06-18", "Mcp-Protocol-Version", "2026-07-28"), bad(HeaderProtocolVersion, ProblemDuplicate)},
		{"duplicate method, different case", append(current("tools/list", ""), [2]string{"MCP-METHOD", "tools/list"}), bad(HeaderMethod, ProblemDuplicate)},
		{"duplicate method, different values", append(current("tools/list", ""), [2]string{"Mcp-Method", "tools/call"}), bad(HeaderMethod, ProblemDuplicate)},
		{"duplicate method, legacy", hdr("mcp-method", "a", "Mcp-Method", "a"), bad(HeaderMethod, ProblemDuplicate)},
		{"duplicate name, different case", append(current("tools/call", "a"), [2]string{"Mcp-Name", "b"}), bad(HeaderName, ProblemDuplicate)},
		{"duplicate name, same value", append(current("tools/call", "a"), [2]string{"MCP-NAME", "a"}), bad(HeaderName, ProblemDuplicate)},
		{"duplicate name, legacy", hdr("mcp-protocol-version", "2025-11-25", "mcp-name", "a", "MCP-Name", "a"), bad(HeaderName, ProblemDuplicate)},

		// Mcp-Method is required; Mcp-Name for three methods.
		{"missing method", hdr("mcp-protocol-version", "2026-07-28", "mcp-name", "x"), bad(HeaderMethod, ProblemMissing)},
		{"missing name for tools/call", current("tools/call", ""), bad(HeaderName, ProblemMissing)},
		{"missing name for resources/read", current("resources/read", ""), bad(HeaderName, ProblemMissing)},
		{"missing name for prompts/get", current("prompts/get", ""), bad(HeaderName, ProblemMissing)},
		{"missing name for an encoded tools/call", current(enc("tools/call"), ""), bad(HeaderName, ProblemMissing)},
		{"no name needed for tools/list", current("tools/list", ""), cur("tools/list", "")},
		{"no name needed for resources/subscribe", current("resources/subscribe", ""), cur("resources/subscribe", "")},
		{"values are case-sensitive: Tools/Call needs no name", current("Tools/Call", ""), cur("Tools/Call", "")},
		{"a name on another method is read", current("resources/subscribe", "file:///a"), cur("resources/subscribe", "file:///a")},
		{"a bad name on another method is invalid", current("tools/list", " x"), bad(HeaderName, ProblemSpace)},

		// Plain values.
		{"tool name", current("tools/call", "get_weather"), cur("tools/call", "get_weather")},
		{"resource URI", current("resources/read", "file:///projects/myapp/config.json"), cur("resources/read", "file:///projects/myapp/config.json")},
		{"inner spaces are plain", current("prompts/get", "my prompt"), cur("prompts/get", "my prompt")},
		{"all printable ASCII", current("tools/call", "!~\"\\%"), cur("tools/call", "!~\"\\%")},
		{"empty name value", append(current("tools/call", ""), [2]string{"mcp-name", ""}), bad(HeaderName, ProblemEmpty)},
		{"empty method value", current("", ""), bad(HeaderMethod, ProblemEmpty)},
		{"leading space", current("tools/call", " x"), bad(HeaderName, ProblemSpace)},
		{"trailing space", current("tools/call", "x "), bad(HeaderName, ProblemSpace)},
		{"only a space", current("tools/call", " "), bad(HeaderName, ProblemSpace)},
		{"method with trailing space", current("tools/list ", ""), bad(HeaderMethod, ProblemSpace)},
		{"raw non-ASCII (UTF-8)", current("tools/call", "café"), bad(HeaderName, ProblemCharacters)},
		{"raw Latin-1 byte", current("tools/call", "caf\xe9"), bad(HeaderName, ProblemCharacters)},
		{"tab", current("tools/call", "a\tb"), bad(HeaderName, ProblemCharacters)},
		{"leading tab", current("tools/call", "\tx"), bad(HeaderName, ProblemCharacters)},
		{"DEL", current("tools/call", "a\x7f"), bad(HeaderName, ProblemCharacters)},
		{"NUL", current("tools/call", "a\x00"), bad(HeaderName, ProblemCharacters)},
		{"raw non-ASCII method", current("tööls/call", "x"), bad(HeaderMethod, ProblemCharacters)},

		// The Base64 sentinel (spec examples first).
		{"spec example: non-ASCII", current("tools/call", "=?base64?SGVsbG8sIOS4lueVjA==?="), cur("tools/call", "Hello, 世界")},
		{"spec example: padded", current("tools/call", "=?base64?IHBhZGRlZCA=?="), cur("tools/call", " padded ")},
		{"spec example: newline", current("tools/call", "=?base64?bGluZTEKbGluZTI=?="), cur("tools/call", "line1\nline2")},
		{"spec example: sentinel literal", current("tools/call", "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="), cur("tools/call", "=?base64?literal?=")},
		{"encoded plain name", current("tools/call", enc("get_weather")), cur("tools/call", "get_weather")},
		{"decoded spaces", current("prompts/get", enc(" a b ")), cur("prompts/get", " a b ")},
		{"decoded control bytes", current("prompts/get", enc("\x00\t\r\n")), cur("prompts/get", "\x00\t\r\n")},
		{"encoded method", current(enc("tools/call"), "x"), cur("tools/call", "x")},
		{"encoded URI", current("resources/read", enc("file:///ü")), cur("resources/read", "file:///ü")},
		{"upper-case markers are refused, not guessed", current("tools/call", "=?BASE64?Zm9v?="), bad(HeaderName, ProblemEncoding)},
		{"mixed-case markers are refused", current("tools/call", "=?Base64?Zm9v?="), bad(HeaderName, ProblemEncoding)},
		{"Mcp_Name is Mcp-Name", hdr("mcp-protocol-version", "2026-07-28", "mcp-method", "tools/call", "Mcp_Name", "x"), cur("tools/call", "x")},
		{"Mcp_Name next to Mcp-Name is a duplicate", hdr("mcp-protocol-version", "2026-07-28", "mcp-method", "tools/call", "mcp-name", "x", "MCP_NAME", "y"), bad(HeaderName, ProblemDuplicate)},
		{"Mcp_Method next to Mcp-Method is a duplicate", hdr("mcp-protocol-version", "2026-07-28", "mcp-method", "tools/list", "mcp_method", "tools/call"), bad(HeaderMethod, ProblemDuplicate)},
		// Names fold as claim header names do: every byte but a-z0-9 is "-".
		{"Mcp.Name is Mcp-Name", hdr("mcp-protocol-version", "2026-07-28", "mcp-method", "tools/call", "Mcp.Name", "x"), cur("tools/call", "x")},
		{"Mcp.Name next to Mcp-Name is a duplicate", hdr("mcp-protocol-version", "2026-07-28", "mcp-method", "tools/call", "Mcp-Name", "get_forecast", "Mcp.Name", "delete_forecast"), bad(HeaderName, ProblemDuplicate)},
		{"Mcp~Method next to Mcp-Method is a duplicate", hdr("mcp-protocol-version", "2026-07-28", "mcp-method", "tools/list", "Mcp~Method", "tools/call"), bad(HeaderMethod, ProblemDuplicate)},
		{"MCP.Protocol.Version next to MCP-Protocol-Version is a duplicate", hdr("mcp-protocol-version", "2026-07-28", "MCP.Protocol_Version", "2025-06-18", "mcp-method", "ping"), bad(HeaderProtocolVersion, ProblemDuplicate)},
		{"Mcp.Method alone is Mcp-Method", hdr("mcp.protocol.version", "2026-07-28", "Mcp.Method", "ping"), cur("ping", "")},
		{"mixed-case marker is refused too", current("tools/call", "=?Base64?Zm9v?="), bad(HeaderName, ProblemEncoding)},
		// The sentinel's prefix without its end, in any case, is refused
		// too: a server that decodes it anyway would see another name.
		{"no final ?= is refused", current("tools/call", "=?base64?ZGVsZXRlX2ZvcmVjYXN0"), bad(HeaderName, ProblemEncoding)},
		{"final ? only is refused", current("tools/call", "=?base64?Zm9v?"), bad(HeaderName, ProblemEncoding)},
		{"upper-case prefix without its end is refused", current("tools/call", "=?BASE64?Zm9v"), bad(HeaderName, ProblemEncoding)},
		{"the prefix alone is refused", current("tools/call", "=?base64?"), bad(HeaderName, ProblemEncoding)},
		{"prefix then text is refused", current("tools/call", "=?base64?get forecast"), bad(HeaderName, ProblemEncoding)},
		{"method with the prefix only is refused", current("=?base64?dG9vbHMvY2FsbA==", "x"), bad(HeaderMethod, ProblemEncoding)},
		{"the prefix later in the value is plain", current("tools/call", "x=?base64?Zm9v"), cur("tools/call", "x=?base64?Zm9v")},
		{"a shorter look-alike is plain", current("tools/call", "=?base64Zm9v"), cur("tools/call", "=?base64Zm9v")},
		{"no leading = is plain", current("tools/call", "?base64?Zm9v?="), cur("tools/call", "?base64?Zm9v?=")},
		{"space before the markers is plain, then bad", current("tools/call", " =?base64?Zm9v?="), bad(HeaderName, ProblemSpace)},
		{"bad base64 character", current("tools/call", "=?base64?Zm9v!?="), bad(HeaderName, ProblemEncoding)},
		{"URL-safe alphabet", current("tools/call", "=?base64?-_8=?="), bad(HeaderName, ProblemEncoding)},
		{"unpadded", current("tools/call", "=?base64?Zm8?="), bad(HeaderName, ProblemEncoding)},
		{"unpadded, one byte", current("tools/call", "=?base64?Zg?="), bad(HeaderName, ProblemEncoding)},
		{"too much padding", current("tools/call", "=?base64?Zm8==?="), bad(HeaderName, ProblemEncoding)},
		{"non-zero padding bits", current("tools/call", "=?base64?Zm9=?="), bad(HeaderName, ProblemEncoding)},
		{"non-zero padding bits, one byte", current("tools/call", "=?base64?Zh==?="), bad(HeaderName, ProblemEncoding)},
		{"padding in the middle", current("tools/call", "=?base64?Zg==Zg==?="), bad(HeaderName, ProblemEncoding)},
		{"space inside", current("tools/call", "=?base64?Zm9v YmFy?="), bad(HeaderName, ProblemEncoding)},
		{"CRLF inside (the decoder would skip it)", current("tools/call", "=?base64?Zm9v\r\nYmFy?="), bad(HeaderName, ProblemEncoding)},
		{"decodes to invalid UTF-8", current("tools/call", "=?base64?/w==?="), bad(HeaderName, ProblemEncoding)},
		{"decodes to a lone surrogate", current("tools/call", enc("\xed\xa0\x80")), bad(HeaderName, ProblemEncoding)},
		{"empty payload", current("tools/call", "=?base64??="), bad(HeaderName, ProblemEmpty)},
		{"overlapping markers", current("tools/call", "=?base64?="), bad(HeaderName, ProblemEncoding)},
		{"bad encoded method", current("=?base64?x?=", ""), bad(HeaderMethod, ProblemEncoding)},
	}
	var p Parser
	for _, tt := range tests {
		h, err := p.Parse(tt.headers)
		var got res
		if err != nil {
			var he *HeaderError
			if !errors.As(err, &he) {
				t.Fatalf("%s: error %v is not a *HeaderError", tt.desc, err)
			}
			got = bad(he.Header, he.Problem)
			if !strings.HasPrefix(err.Error(), Reason+": ") {
				t.Errorf("%s: error %q does not start with the reason", tt.desc, err)
			}
		} else {
			got = res{h.Era, h.Method, h.Name}
			if h.Era == EraLegacy && (h.Method != "" || h.Name != "") {
				t.Errorf("%s: legacy request exposes method %q name %q", tt.desc, h.Method, h.Name)
			}
		}
		if got != tt.want {
			t.Errorf("%s: Parse = %+v, want %+v", tt.desc, got, tt.want)
		}
	}
}

func TestParseVersionKept(t *testing.T) {
	var p Parser
	for _, v := range []string{"", "2025-06-18", "2026-07-28", "junk"} {
		h := hdr("mcp-method", "ping")
		if v != "" {
			h = append(h, [2]string{"mcp-protocol-version", v})
		}
		got, err := p.Parse(h)
		if err != nil || got.Version != v {
			t.Errorf("version %q: Parse = %+v, %v", v, got, err)
		}
	}
}

func TestEraOf(t *testing.T) {
	tests := []struct {
		v    string
		want Era
	}{
		{"", EraLegacy},
		{"2024-11-05", EraLegacy},
		{"2025-03-26", EraLegacy},
		{"2025-11-25", EraLegacy},
		{"2026-07-27", EraLegacy},
		{"2026-07-28", EraCurrent},
		{"2026-07-29", EraCurrent},
		{"2026-08-01", EraCurrent},
		{"2027-01-01", EraCurrent},
		{"2026-07-32", EraLegacy},
		{"2026-06-31", EraLegacy},
		{"2026-07-28\x00", EraLegacy},
		{"2026-O7-28", EraLegacy},
		{"DRAFT-2026-v1", EraLegacy},
	}
	for _, tt := range tests {
		if got := EraOf(tt.v); got != tt.want {
			t.Errorf("EraOf(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

func TestNameRequired(t *testing.T) {
	tests := []struct {
		method string
		want   bool
	}{
		{"tools/call", true},
		{"resources/read", true},
		{"prompts/get", true},
		{"tools/list", false},
		{"resources/subscribe", false},
		{"TOOLS/CALL", false},
		{"tools/call ", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := NameRequired(tt.method); got != tt.want {
			t.Errorf("NameRequired(%q) = %v, want %v", tt.method, got, tt.want)
		}
	}
}

// TestParseBuffersIndependent: a decoded method and a decoded name do not
// share storage, and a later call does not disturb values it did not decode.
func TestParseBuffersIndependent(t *testing.T) {
	var p Parser
	h, err := p.Parse(current(enc("tools/call"), enc("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")))
	if err != nil || h.Method != "tools/call" || h.Name != strings.Repeat("z", 32) {
		t.Fatalf("Parse = %+v, %v", h, err)
	}
	h2, err := p.Parse(current("tools/call", "plain"))
	if err != nil || h2.Name != "plain" || h2.Method != "tools/call" {
		t.Fatalf("Parse = %+v, %v", h2, err)
	}
}

// TestHeaderNameFold: an MCP header name is recognised exactly when it folds
// to the header's name the way claim header names fold (lex.AppendFold with
// "-", docs/request-flow.md#9-mcp-operation), for every byte in every
// position, so no spelling an upstream reads as Mcp-Name escapes the
// duplicate check.
func TestHeaderNameFold(t *testing.T) {
	for _, want := range []string{"mcp-protocol-version", "mcp-method", "mcp-name"} {
		for i := 0; i < len(want); i++ {
			for b := 0; b < 256; b++ {
				name := want[:i] + string([]byte{byte(b)}) + want[i+1:]
				var r Raw
				r.Add(name, "v")
				got := r.nVersion+r.nMethod+r.nName == 1
				folds := string(lex.AppendFold(nil, name, '-')) == want
				if got != folds {
					t.Errorf("%q: recognised %v, folds to %q %v", name, got, want, folds)
				}
			}
		}
	}
}
