package policy

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/internal/mint"
)

const (
	resA    = "https://a.example.com/mcp"
	resB    = "https://b.example.com/mcp"
	issuer  = "https://auth.example.com"
	metaA   = `resource_metadata="https://a.example.com/.well-known/oauth-protected-resource/mcp"`
	authA   = "a.example.com"
	authB   = "b.example.com"
	keyKind = "ES256"
)

var (
	keyOnce sync.Once
	esKey   *mint.Key
)

func testKey(t testing.TB) *mint.Key {
	keyOnce.Do(func() {
		k, err := mint.NewKey(keyKind, "k1")
		if err != nil {
			panic(err)
		}
		esKey = k
	})
	return esKey
}

// clock is an injectable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func loadConfig(t testing.TB, edit func(map[string]any)) *config.Plugin {
	t.Helper()
	cfg := map[string]any{
		"issuers": []any{map[string]any{"name": "corp", "issuer": issuer,
			"jwks": map[string]any{"keys": []any{testKey(t).Public()}}}},
		"resources": []any{
			map[string]any{"resource": resA, "authorities": []string{authA}},
			map[string]any{"resource": resB, "authorities": []string{authB}},
		},
	}
	if edit != nil {
		edit(cfg)
	}
	b, _ := json.Marshal(cfg)
	p, err := config.Load(b)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return p
}

func token(t testing.TB, now time.Time, aud any, edits map[string]any) string {
	t.Helper()
	claims := map[string]any{"iss": issuer, "sub": "u1", "aud": aud, "iat": now.Unix() - 10, "exp": now.Unix() + 300}
	for k, v := range edits {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	s, err := testKey(t).Sign(claims, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func request(authority, tok string) *Request {
	h := [][2]string{{":method", "POST"}, {":path", "/mcp"}, {":authority", authority}}
	if tok != "" {
		h = append(h, [2]string{"authorization", "Bearer " + tok})
	}
	return &Request{Headers: h, EndOfStream: false}
}

func TestCacheRechecksEverythingResourceAndTimeDependent(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	e := New(loadConfig(t, nil), Options{Now: c.now})
	tokA := token(t, c.t, resA, nil)

	steps := []struct {
		name      string
		authority string
		advance   time.Duration
		outcome   Outcome
		reason    Reason
		cache     CacheUse
	}{
		{"cold at A", authA, 0, OutcomeAllowed, ReasonNone, CacheMiss},
		{"hit at A", authA, 0, OutcomeAllowed, ReasonNone, CacheHit},
		{"hit at B still checks the audience", authB, 0, OutcomeDenied, ReasonWrongAudience, CacheHit},
		{"hit at A again", authA, 0, OutcomeAllowed, ReasonNone, CacheHit},
		{"hit at B again: the entry remembers only a passed audience", authB, 0, OutcomeDenied, ReasonWrongAudience, CacheHit},
		{"inside the skew after exp: still served", authA, 330 * time.Second, OutcomeAllowed, ReasonNone, CacheHit},
		{"past exp+skew: evicted, verified cold, expired", authA, 40 * time.Second, OutcomeDenied, ReasonExpired, CacheMiss},
	}
	for _, s := range steps {
		c.t = c.t.Add(s.advance)
		d := e.Decide(request(s.authority, tokA))
		if d.Outcome != s.outcome || d.Reason != s.reason || d.Cache != s.cache {
			t.Fatalf("%s: outcome %v reason %v cache %v; want %v %v %v", s.name, d.Outcome, d.Reason, d.Cache, s.outcome, s.reason, s.cache)
		}
	}
	if n := e.CacheLen(); n != 0 {
		t.Errorf("expired token still cached: %d entries", n)
	}
}

// TestCacheHitKeepsRequiredClaims: a verified token without a required
// claim is cached (its signature is good) and every hit still refuses it;
// the entry works the missing claim out once, when it is cached.
func TestCacheHitKeepsRequiredClaims(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	e := New(loadConfig(t, func(m map[string]any) {
		m["issuers"].([]any)[0].(map[string]any)["required_claims"] = []string{"iat", "sub"}
	}), Options{Now: c.now})
	noSub := token(t, c.t, resA, map[string]any{"sub": nil})
	nullIat := token(t, c.t, resA, map[string]any{"iat": nil})
	for i, want := range []CacheUse{CacheMiss, CacheHit, CacheHit} {
		d := e.Decide(request(authA, noSub))
		if d.Outcome != OutcomeDenied || d.Reason != ReasonMissingClaim || d.Cache != want {
			t.Fatalf("no sub, request %d: outcome %v reason %v cache %v; want denied, missing_claim, %v", i, d.Outcome, d.Reason, d.Cache, want)
		}
	}
	for i, want := range []CacheUse{CacheMiss, CacheHit} {
		d := e.Decide(request(authA, nullIat))
		if d.Outcome != OutcomeDenied || d.Reason != ReasonMissingClaim || d.Cache != want {
			t.Fatalf("no iat, request %d: outcome %v reason %v cache %v; want denied, missing_claim, %v", i, d.Outcome, d.Reason, d.Cache, want)
		}
	}
	ok := token(t, c.t, resA, nil)
	for i, want := range []CacheUse{CacheMiss, CacheHit} {
		d := e.Decide(request(authA, ok))
		if d.Outcome != OutcomeAllowed || d.Cache != want {
			t.Fatalf("both claims, request %d: outcome %v reason %v cache %v; want allowed, %v", i, d.Outcome, d.Reason, d.Cache, want)
		}
	}
}

func TestCacheHoldsOnlyVerifiedTokens(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	e := New(loadConfig(t, nil), Options{Now: c.now})
	good := token(t, c.t, resA, nil)
	// Same header and claims, signature of another token: never a hit.
	other := token(t, c.t, resA, map[string]any{"sub": "u2"})
	forged := good[:strings.LastIndexByte(good, '.')] + other[strings.LastIndexByte(other, '.'):]

	for i := 0; i < 2; i++ {
		d := e.Decide(request(authA, forged))
		if d.Reason != ReasonBadSignature || d.Cache != CacheMiss {
			t.Fatalf("forged #%d: reason %v cache %v", i, d.Reason, d.Cache)
		}
	}
	if e.CacheLen() != 0 {
		t.Fatalf("a token that failed verification was cached")
	}
	if d := e.Decide(request(authA, good)); d.Outcome != OutcomeAllowed || d.Cache != CacheMiss {
		t.Fatalf("good: %v %v", d.Outcome, d.Cache)
	}
	if d := e.Decide(request(authA, forged)); d.Reason != ReasonBadSignature || d.Cache != CacheMiss {
		t.Fatalf("forged after good was cached: reason %v cache %v", d.Reason, d.Cache)
	}
	// A token without exp is never cached (it is refused anyway).
	noExp := token(t, c.t, resA, map[string]any{"exp": nil})
	if d := e.Decide(request(authA, noExp)); d.Reason != ReasonExpired {
		t.Fatalf("no exp: %v", d.Reason)
	}
	if e.CacheLen() != 1 {
		t.Fatalf("cache has %d entries, want only the good token", e.CacheLen())
	}
}

func TestCacheIsBoundedLRU(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	e := New(loadConfig(t, nil), Options{Now: c.now, CacheSize: 2})
	t1 := token(t, c.t, resA, map[string]any{"jti": "1"})
	t2 := token(t, c.t, resA, map[string]any{"jti": "2"})
	t3 := token(t, c.t, resA, map[string]any{"jti": "3"})
	for _, tok := range []string{t1, t2, t1, t3} { // t2 is least recently used when t3 arrives
		e.Decide(request(authA, tok))
	}
	if e.CacheLen() != 2 {
		t.Fatalf("cache len %d, want 2", e.CacheLen())
	}
	if d := e.Decide(request(authA, t1)); d.Cache != CacheHit {
		t.Errorf("t1 (recently used) evicted")
	}
	if d := e.Decide(request(authA, t2)); d.Cache != CacheMiss {
		t.Errorf("t2 (least recently used) not evicted")
	}
	// Disabled cache.
	off := New(loadConfig(t, nil), Options{Now: c.now, CacheSize: -1})
	off.Decide(request(authA, t1))
	if d := off.Decide(request(authA, t1)); d.Cache != CacheMiss || d.Outcome != OutcomeAllowed {
		t.Errorf("disabled cache: %v %v", d.Cache, d.Outcome)
	}
}

// TestCacheHitAllocations guards the hot path: a cache-hit request without
// claim headers allocates nothing in the engine.
func TestCacheHitAllocations(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	e := New(loadConfig(t, func(m map[string]any) {
		r := m["resources"].([]any)[0].(map[string]any)
		r["required_scopes"] = []string{"mcp:tools"}
	}), Options{Now: c.now})
	req := request(authA, token(t, c.t, resA, map[string]any{"scope": "mcp:tools"}))
	if d := e.Decide(req); d.Outcome != OutcomeAllowed {
		t.Fatalf("warm-up: %v %v", d.Outcome, d.Reason)
	}
	allocs := testing.AllocsPerRun(200, func() {
		if d := e.Decide(req); d.Cache != CacheHit || d.Outcome != OutcomeAllowed {
			t.Fatalf("not a cache hit: %v %v", d.Cache, d.Outcome)
		}
	})
	if allocs != 0 {
		t.Errorf("cache-hit Decide allocates %.1f times per request, want 0", allocs)
	}
	// Denials on the hot path (missing token) allocate only the reply body.
	miss := request(authA, "")
	e.Decide(miss)
	if a := testing.AllocsPerRun(200, func() { e.Decide(miss) }); a > 2 {
		t.Errorf("missing-token Decide allocates %.1f times, want ≤ 2", a)
	}
}

func TestTraceNeverShowsTokenBytes(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	var steps []Step
	e := New(loadConfig(t, nil), Options{Now: c.now, Trace: func(s Step) { steps = append(steps, s) }})
	tok := token(t, c.t, resB, nil)
	d := e.Decide(request(authA, tok))
	if d.Reason != ReasonWrongAudience {
		t.Fatalf("reason %v", d.Reason)
	}
	var names []string
	parts := strings.Split(tok, ".")
	for _, s := range steps {
		names = append(names, s.Name)
		for _, p := range parts {
			if strings.Contains(s.Detail, p) {
				t.Errorf("step %q shows token bytes", s.Name)
			}
		}
	}
	want := "resource,token,syntax and header,issuer,key,signature,token type,time,audience"
	if got := strings.Join(names, ","); got != want {
		t.Errorf("steps %s\nwant  %s", got, want)
	}
	if last := steps[len(steps)-1]; last.OK || !strings.Contains(last.Detail, resB) {
		t.Errorf("audience step: %+v", last)
	}
}

func TestSpoofedHeaders(t *testing.T) {
	e := New(loadConfig(t, func(m map[string]any) {
		r := m["resources"].([]any)[1].(map[string]any)
		r["claim_headers"] = map[string]string{"sub": "x-mcp-subject"}
	}), Options{})
	got := e.SpoofedHeaders([][2]string{{"x-mcp-subject", "a"}, {"X_MCP_SUBJECT", "b"}, {"x-mcp-subjects", "c"}, {"x-mcp-subject", "d"}})
	want := []string{"x-mcp-subject", "X_MCP_SUBJECT", "x-mcp-subject"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("SpoofedHeaders = %q, want %q", got, want)
	}
}

// TestCacheHitChecksEachOperationsScopes: one cached token calls a tool its
// scopes cover, then one they do not, then the first again; the entry's
// memory of covered scopes must not carry over from one operation to another.
func TestCacheHitChecksEachOperationsScopes(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	e := New(loadConfig(t, func(m map[string]any) {
		r := m["resources"].([]any)[0].(map[string]any)
		r["operations"] = []any{
			map[string]any{"method": "tools/call", "name": "read", "scopes": []string{"files:read"}},
			map[string]any{"method": "tools/call", "name": "write", "scopes": []string{"files:write"}},
		}
		r["mcp_body"] = "off" // judged by the headers; the body pass has its own test
	}), Options{Now: c.now})
	tok := token(t, c.t, resA, map[string]any{"scope": "files:read"})
	call := func(tool string) *Request {
		req := request(authA, tok)
		req.Headers = append(req.Headers, [2]string{"mcp-protocol-version", "2026-07-28"},
			[2]string{"mcp-method", "tools/call"}, [2]string{"mcp-name", tool})
		return req
	}
	steps := []struct {
		tool    string
		outcome Outcome
		reason  Reason
		cache   CacheUse
	}{
		{"read", OutcomeAllowed, ReasonNone, CacheMiss},
		{"read", OutcomeAllowed, ReasonNone, CacheHit},
		{"write", OutcomeDenied, ReasonInsufficientScope, CacheHit},
		{"read", OutcomeAllowed, ReasonNone, CacheHit},
		{"write", OutcomeDenied, ReasonInsufficientScope, CacheHit},
	}
	for i, s := range steps {
		d := e.Decide(call(s.tool))
		if d.Outcome != s.outcome || d.Reason != s.reason || d.Cache != s.cache {
			t.Fatalf("step %d (%s): outcome %v reason %v cache %v; want %v %v %v", i, s.tool, d.Outcome, d.Reason, d.Cache, s.outcome, s.reason, s.cache)
		}
	}
}
