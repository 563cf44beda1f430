package bench

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/filter/policy"
	"github.com/audguard/audguard/jwtlite"
)

// forgedMaxTokenBytes is the largest max_token_bytes the configuration
// accepts; the forged tokens are as long as it allows.
const forgedMaxTokenBytes = 65536

// forgedShape is one way to fill a forged token's claims: every shape makes a
// token of exactly the same length, valid up to its signature (a known issuer,
// a known key), so that a request costs the filter everything it does before
// the signature check fails. The attacker needs no key to send one.
type forgedShape struct {
	name string
	// fill returns the members to add after the real claims, at most n bytes
	// of JSON (each with its leading comma).
	fill func(n int) string
	// header puts the members in the JOSE header instead of the claims.
	header bool
}

// members fills n bytes with member(0), member(1), … while they fit.
func members(n int, member func(i int) string) string {
	var sb strings.Builder
	for i := 0; ; i++ {
		m := member(i)
		if sb.Len()+len(m) > n {
			return sb.String()
		}
		sb.WriteString(m)
	}
}

// elements is one member "x" whose value is open, elem repeated (comma
// separated) and close, at most n bytes.
func elements(n int, open, elem, close string) string {
	var sb strings.Builder
	sb.WriteString(`,"x":` + open + elem)
	for sb.Len()+1+len(elem)+len(close) <= n {
		sb.WriteString("," + elem)
	}
	sb.WriteString(close)
	return sb.String()
}

var forgedShapes = []forgedShape{
	// one long member: the cheapest shape to parse, the reference.
	{name: "one-member", fill: func(n int) string { return `,"x":"` + strings.Repeat("a", n-7) + `"` }},
	// ~6,000 tiny members: quadratic in a pairwise duplicate check.
	{name: "many-members", fill: func(n int) string {
		return members(n, func(i int) string { return `,"` + shortName(i) + `":0` })
	}},
	// the same in the JOSE header (parsed before the claims).
	{name: "header-members", header: true, fill: func(n int) string {
		return members(n, func(i int) string { return `,"` + shortName(i) + `":0` })
	}},
	// the same, every name spelled with a \u escape (equal only after unescaping).
	{name: "escaped-names", fill: func(n int) string {
		return members(n, func(i int) string { return `,"\u0078` + shortName(i) + `":0` })
	}},
	// the same with a two-byte escape (\n) in every name.
	{name: "short-escape-names", fill: func(n int) string {
		return members(n, func(i int) string { return `,"\n` + shortName(i) + `":0` })
	}},
	// every character of every name escaped.
	{name: "all-escaped", fill: func(n int) string {
		return members(n, func(i int) string {
			var sb strings.Builder
			for _, c := range shortName(i) {
				fmt.Fprintf(&sb, `\u%04x`, c)
			}
			return `,"` + sb.String() + `":0`
		})
	}},
	// names of ~100 bytes that share all but their last bytes.
	{name: "long-prefix-names", fill: func(n int) string {
		prefix := strings.Repeat("p", 96)
		return members(n, func(i int) string { return `,"` + prefix + shortName(i) + `":0` })
	}},
	// names of 9 digits (past the 8-byte short-string path).
	{name: "nine-byte-names", fill: func(n int) string {
		return members(n, func(i int) string { return fmt.Sprintf(`,"%09d":0`, i) })
	}},
	// members whose values are empty objects.
	{name: "object-members", fill: func(n int) string {
		return members(n, func(i int) string { return `,"` + shortName(i) + `":{}` })
	}},
	// thousands of small objects in one array.
	{name: "many-objects", fill: func(n int) string { return elements(n, "[", `{"a":0,"b":0}`, "]") }},
	// thousands of empty objects in one array.
	{name: "empty-objects", fill: func(n int) string { return elements(n, "[", `{}`, "]") }},
	// thousands of empty arrays in one array.
	{name: "empty-arrays", fill: func(n int) string { return elements(n, "[", `[]`, "]") }},
	// an array of ~24,000 zeros.
	{name: "zeros", fill: func(n int) string { return elements(n, "[", `0`, "]") }},
	// an array of ~24,000 empty strings.
	{name: "empty-strings", fill: func(n int) string { return elements(n, "[", `""`, "]") }},
	// many members, whitespace around every token.
	{name: "spaced-members", fill: func(n int) string {
		return members(n, func(i int) string { return " , \"" + shortName(i) + "\" : 0 " })
	}},
	// 31 nested arrays (the deepest allowed) around one long string.
	{name: "deep-nesting", fill: func(n int) string {
		const d = 31
		return `,"x":` + strings.Repeat("[", d) + `"` + strings.Repeat("a", n-7-2*d) + `"` + strings.Repeat("]", d)
	}},
}

// shortName is the i-th of the shortest distinct member names over [a-zA-Z0-9].
func shortName(i int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b []byte
	for {
		b = append(b, alphabet[i%len(alphabet)])
		if i /= len(alphabet); i == 0 {
			return string(b)
		}
		i--
	}
}

var (
	forgedMu     sync.Mutex
	forgedTokens = map[string]string{}
)

// forgedToken returns the token of shape: an RS256 header naming the
// benchmark key, the benchmark's valid claims plus the shape's members (or
// the header plus them), and a signature of zeros; forgedMaxTokenBytes long
// or at most 3 bytes shorter (base64url), the same length for every shape.
func forgedToken(tb testing.TB, shape string) string {
	tb.Helper()
	forgedMu.Lock()
	defer forgedMu.Unlock()
	if t, ok := forgedTokens[shape]; ok {
		return t
	}
	var fs *forgedShape
	for i := range forgedShapes {
		if forgedShapes[i].name == shape {
			fs = &forgedShapes[i]
		}
	}
	if fs == nil {
		tb.Fatalf("no forged shape %q", shape)
	}
	enc := base64.RawURLEncoding
	header := `{"alg":"RS256","typ":"at+jwt","kid":"` + kidFor("RS256") + `"}`
	sig := enc.EncodeToString(make([]byte, 256))
	base, err := json.Marshal(claims(issCorp, 0))
	must(err)
	payload := string(base)
	// The header and claims JSON whose encodings fill the token exactly (to
	// 3 bytes): base64url of each part is as long as the shape's members
	// make it, and the parts' lengths add up the same way for every shape.
	room, pad := forgedRoom(tb, len(header), len(payload), len(sig), fs.header)
	// Pad to exactly room more bytes with whitespace (valid JSON, parsed like any other byte).
	fill := fs.fill(room)
	fill += strings.Repeat(" ", room-len(fill))
	if fs.header {
		header = header[:len(header)-1] + fill + "}"
		payload = payload[:len(payload)-1] + strings.Repeat(" ", pad) + "}"
	} else {
		payload = payload[:len(payload)-1] + fill + "}"
	}
	for _, part := range []string{header, payload} {
		if !json.Valid([]byte(part)) {
			tb.Fatalf("forged %s: invalid JSON", shape)
		}
	}
	t := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload)) + "." + sig
	if len(t) > forgedMaxTokenBytes {
		tb.Fatalf("forged %s: %d bytes", shape, len(t))
	}
	forgedTokens[shape] = t
	return t
}

// forgedRoom is how many bytes of JSON to add to the header (inHeader) or to
// the claims for a token of forgedMaxTokenBytes or at most 3 bytes less: the
// same length whichever part takes them. A part of n bytes encodes to ⌈4n/3⌉
// characters; the header's filling may need pad more bytes (whitespace) in
// the claims to reach the same total.
func forgedRoom(tb testing.TB, header, payload, sig int, inHeader bool) (room, pad int) {
	enc := base64.RawURLEncoding
	// Without the header option: the claims whose encoding fills the token.
	room = enc.DecodedLen(forgedMaxTokenBytes-enc.EncodedLen(header)-sig-2) - payload
	if !inHeader {
		return room, 0
	}
	want := enc.EncodedLen(header) + enc.EncodedLen(payload+room)
	for r := room; r > room-8; r-- {
		for pad := range 4 {
			if enc.EncodedLen(header+r)+enc.EncodedLen(payload+pad) == want {
				return r, pad
			}
		}
	}
	tb.Fatalf("no header filling makes a token of the claims filling's length")
	return 0, 0
}

// forgedMembers is the number of top-level members in shape's claims.
func forgedMembers(tb testing.TB, shape string) int {
	tok := forgedToken(tb, shape)
	parts := strings.Split(tok, ".")
	part := parts[1]
	for _, s := range forgedShapes {
		if s.name == shape && s.header {
			part = parts[0]
		}
	}
	raw, err := base64.RawURLEncoding.DecodeString(part)
	must(err)
	var m map[string]json.RawMessage
	must(json.Unmarshal(raw, &m))
	return len(m)
}

// forgedConfig is the default configuration with max_token_bytes at its
// largest, so the forged tokens reach the parser.
var forgedConfig = configOptions{resources: 1, hsKeys: 1, maxTokenBytes: forgedMaxTokenBytes}

// forgedCase is the whole-filter request of shape: refused at the signature.
func forgedCase(tb testing.TB, shape string) filterCase {
	tok := forgedToken(tb, shape)
	return filterCase{name: "forged/" + shape, plugin: pluginAudguard, cfg: audguardCfg(forgedConfig),
		reqs: oneReq(func() [][2]string { return authorized(tok) }), status: 401, cache: cacheAllMiss}
}

// benchForgedParse is jwtlite.Parser.Parse of shape's token natively: the
// syntax step (base64url, UTF-8, JSON, duplicate members) the filter runs
// before the signature.
func benchForgedParse(shape string) func(b *testing.B) {
	return func(b *testing.B) {
		tok := forgedToken(b, shape)
		var p jwtlite.Parser
		var t jwtlite.Token
		if err := p.Parse(tok, &t); err != nil {
			b.Fatalf("%s: %v", shape, err)
		}
		b.SetBytes(int64(len(tok)))
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := p.Parse(tok, &t); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkForged is the cost of a forged max_token_bytes (64 KiB) token
// before its signature fails, per shape of its claims: parse/... is
// jwtlite's parse natively, native/... the filter's decision in process,
// wasm/... the whole filter in the compiled module. Every shape should cost
// about what the one-long-member token costs (make bench: ≤ 2× in the module,
// the worst shape named). The shapes are the costliest found per byte: tiny
// members (in the claims or the header), escaped names, names sharing long
// prefixes or all their first bytes, empty and small containers, tiny
// scalars, whitespace; see jwtlite's duplicate check for why none of them
// depends on a secret any more.
func BenchmarkForged(b *testing.B) {
	for _, s := range forgedShapes {
		b.Run("parse/"+s.name, benchForgedParse(s.name))
	}
	for _, s := range forgedShapes {
		c := forgedCase(b, s.name)
		b.Run("native/"+s.name, func(b *testing.B) { runNative(b, c) })
	}
	for _, s := range forgedShapes {
		c := forgedCase(b, s.name)
		b.Run("wasm/"+s.name, func(b *testing.B) { runWasm(b, c) })
	}
}

// TestForgedTokens checks the fixtures the benchmarks measure: every shape is
// as long as the others, Parse accepts it, and the filter's decision engine
// refuses it at the signature (bad_signature) with max_token_bytes 65536 —
// after the whole syntax step, not before. The module's answer is checked by
// each wasm benchmark (401, a cache miss).
func TestForgedTokens(t *testing.T) {
	cfg, err := config.Load(pluginConfig(forgedConfig))
	if err != nil {
		t.Fatal(err)
	}
	e := policy.New(cfg, policy.Options{})
	n := len(forgedToken(t, forgedShapes[0].name))
	if n < forgedMaxTokenBytes-3 {
		t.Errorf("forged tokens are %d bytes, want %d", n, forgedMaxTokenBytes)
	}
	for _, s := range forgedShapes {
		tok := forgedToken(t, s.name)
		if len(tok) != n {
			t.Errorf("%s: %d bytes, %s %d", s.name, len(tok), forgedShapes[0].name, n)
		}
		var p jwtlite.Parser
		var tt jwtlite.Token
		if err := p.Parse(tok, &tt); err != nil {
			t.Errorf("%s: Parse: %v", s.name, err)
		}
		d := e.Decide(&policy.Request{Headers: authorized(tok), EndOfStream: true})
		if d.Outcome != policy.OutcomeDenied || d.Reason != policy.ReasonBadSignature {
			t.Errorf("%s: outcome %v reason %v, want denied at the signature", s.name, d.Outcome, d.Reason)
		}
	}
	if m := forgedMembers(t, "many-members"); m < 5000 {
		t.Errorf("many-members: %d members, want thousands", m)
	}
}
