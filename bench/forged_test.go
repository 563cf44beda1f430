package bench

import (
	"encoding/base64"
	"encoding/json"
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
}

var forgedShapes = []forgedShape{
	// one long member: the cheapest shape to parse, the reference.
	{"one-member", func(n int) string { return `,"x":"` + strings.Repeat("a", n-7) + `"` }},
	// ~6,000 tiny members: quadratic in a pairwise duplicate check.
	{"many-members", func(n int) string {
		var sb strings.Builder
		for i := 0; ; i++ {
			m := `,"` + shortName(i) + `":0`
			if sb.Len()+len(m) > n {
				return sb.String()
			}
			sb.WriteString(m)
		}
	}},
	// the same, every name spelled with a \u escape (equal only after unescaping).
	{"escaped-names", func(n int) string {
		var sb strings.Builder
		for i := 0; ; i++ {
			m := `,"\u0078` + shortName(i) + `":0`
			if sb.Len()+len(m) > n {
				return sb.String()
			}
			sb.WriteString(m)
		}
	}},
	// names of ~100 bytes that share all but their last bytes.
	{"long-prefix-names", func(n int) string {
		var sb strings.Builder
		prefix := strings.Repeat("p", 96)
		for i := 0; ; i++ {
			m := `,"` + prefix + shortName(i) + `":0`
			if sb.Len()+len(m) > n {
				return sb.String()
			}
			sb.WriteString(m)
		}
	}},
	// thousands of small objects in one array.
	{"many-objects", func(n int) string {
		var sb strings.Builder
		sb.WriteString(`,"x":[{}`)
		for sb.Len()+len(`,{"a":0,"b":0}`)+1 <= n {
			sb.WriteString(`,{"a":0,"b":0}`)
		}
		sb.WriteString("]")
		return sb.String()
	}},
	// 31 nested arrays (the deepest allowed) around one long string.
	{"deep-nesting", func(n int) string {
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
// benchmark key, the benchmark's valid claims plus the shape's members, and a
// signature of zeros; forgedMaxTokenBytes long or at most 3 bytes shorter
// (base64url), the same length for every shape.
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
	header := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"at+jwt","kid":"` + kidFor("RS256") + `"}`))
	sig := enc.EncodeToString(make([]byte, 256))
	base, err := json.Marshal(claims(issCorp, 0))
	must(err)
	// The claims JSON whose encoding fills the token exactly (to 3 bytes).
	size := enc.DecodedLen(forgedMaxTokenBytes - len(header) - len(sig) - 2)
	room := size - len(base)
	fill := fs.fill(room)
	// Pad to exactly size bytes with whitespace (valid JSON, parsed like any other byte).
	payload := string(base[:len(base)-1]) + fill + strings.Repeat(" ", room-len(fill)) + "}"
	if len(payload) != size || !json.Valid([]byte(payload)) {
		tb.Fatalf("forged %s: %d bytes of claims (want %d), valid %v", shape, len(payload), size, json.Valid([]byte(payload)))
	}
	t := header + "." + enc.EncodeToString([]byte(payload)) + "." + sig
	if len(t) > forgedMaxTokenBytes {
		tb.Fatalf("forged %s: %d bytes", shape, len(t))
	}
	forgedTokens[shape] = t
	return t
}

// forgedMembers is the number of top-level members in shape's claims.
func forgedMembers(tb testing.TB, shape string) int {
	tok := forgedToken(tb, shape)
	parts := strings.Split(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
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
// about what the one-long-member token costs (make bench: ≤ 2×).
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
