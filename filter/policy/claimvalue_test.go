package policy

import "testing"

// TestClaimHeaderValueEncoding: a string claim reaches the upstream as it
// is, but for the bytes that cannot be in a field value (RFC 9110 §5.5: CTL
// other than HTAB, and DEL), non-ASCII bytes, "%" itself, and spaces and
// tabs at either end (which a recipient strips as OWS), each percent-encoded
// (docs/request-flow.md#13-upstream-headers). A space inside a value is a
// space: "tools read" arrives as the array ["tools","read"] does.
func TestClaimHeaderValueEncoding(t *testing.T) {
	tests := []struct {
		json, want string // json: the claim's JSON string body, escapes as in the token
	}{
		{`tools read`, "tools read"},
		{`Ann O'Neil`, "Ann O'Neil"},
		{`a  b`, "a  b"},
		{`a\tb`, "a\tb"},
		{` lead`, "%20lead"},
		{`trail `, "trail%20"},
		{`  two  `, "%20%20two%20%20"},
		{` `, "%20"},
		{`\t`, "%09"},
		{`\ta b\t`, "%09a b%09"},
		{` \t x \t `, "%20%09%20x%20%09%20"},
		{`a\r\nx: y`, "a%0D%0Ax: y"},
		{`a\u0000b`, "a%00b"},
		{`a\u001fb`, "a%1Fb"},
		{`a\u007fb`, "a%7Fb"},
		{`100%`, "100%25"},
		{`%20`, "%2520"},
		{`caf\u00e9`, "caf%C3%A9"},
		{"caf\xc3\xa9", "caf%C3%A9"},
		{`\"q\" ,;=\\`, `"q" ,;=\`},
		{``, ""},
	}
	for _, tt := range tests {
		got, ok := appendEncodedJSONString([]byte("p:"), []byte(tt.json))
		if !ok || string(got) != "p:"+tt.want {
			t.Errorf("%q: got %q, %v; want %q", tt.json, got, ok, "p:"+tt.want)
		}
		for i := 2; i < len(got); i++ {
			if c := got[i]; c < 0x20 && c != '\t' || c >= 0x7f {
				t.Errorf("%q: byte %#x in the header value", tt.json, c)
			}
		}
		if v := got[2:]; len(v) > 0 && (v[0] == ' ' || v[0] == '\t' || v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
			t.Errorf("%q: %q starts or ends with white space", tt.json, v)
		}
	}
}
