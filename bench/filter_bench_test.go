package bench

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/audguard/audguard/filter/config"
	jwks "github.com/audguard/audguard/filter/keys"
	"github.com/audguard/audguard/filter/policy"
)

// coldPool is how many distinct tokens a cold benchmark cycles through: more
// than the cache holds, so with LRU eviction every request misses (each
// benchmark also checks the miss counter).
const coldPool = policy.DefaultCacheSize + 100

// cacheWant says what each request of a case must do to the token cache.
type cacheWant int

const (
	cacheAny cacheWant = iota
	cacheAllHit
	cacheAllMiss
	// cacheShared: no local hit, and at least 90 % of the requests served
	// from shared data (the rest: two pool tokens in one shared slot).
	cacheShared
)

// sharedPool and sharedLocal size the shared-data case: a pool of tokens
// four times the local cache, so each comes back after the local cache has
// evicted it, and few enough for the 65,536 shared slots to hold them all
// but by a rare slot collision.
const (
	sharedPool  = 32
	sharedLocal = 8
)

// filterCase is one per-request measurement.
type filterCase struct {
	name   string
	plugin plugin
	cfg    func() []byte
	reqs   func() [][][2]string
	status uint32 // expected local reply; 0: passed on
	cache  cacheWant
	remote bool // the configuration has a jwks_uri: answer its first fetch before timing
	// body, when set, is sent after the headers (which then do not end the
	// stream); hold: the filter holds the request on its headers and
	// decides it on the body (mcp_body verify), else it decides on the
	// headers and lets the body pass.
	body func() []byte
	hold bool
}

// warmAll: every request of the case is sent once before timing (the
// shared-data case, whose first round verifies and publishes each token).
func (c filterCase) warmAll() bool { return c.cache == cacheShared }

func audguardCfg(o configOptions) func() []byte { return func() []byte { return pluginConfig(o) } }

func oneReq(h func() [][2]string) func() [][][2]string {
	return func() [][][2]string { return [][][2]string{h()} }
}

func hitReq() [][2]string { return authorized(tokenPool("RS256", 1)[0]) }

func coldReqs(alg string) func() [][][2]string {
	return func() [][][2]string { return coldReqsN(alg, coldPool) }
}

func filterCases() []filterCase {
	cs := []filterCase{
		{name: "noop", plugin: pluginNoop, cfg: func() []byte { return nil }, reqs: oneReq(hitReq)},
		{name: "readheaders", plugin: pluginReadheaders, cfg: func() []byte { return nil }, reqs: oneReq(hitReq)},
		{name: "hit", plugin: pluginAudguard, cfg: audguardCfg(defaultConfig), reqs: oneReq(hitReq), cache: cacheAllHit},
		{name: "missing_token", plugin: pluginAudguard, cfg: audguardCfg(defaultConfig),
			reqs: oneReq(func() [][2]string { return baseHeaders("/mcp") }), status: 401},
		{name: "metadata", plugin: pluginAudguard, cfg: audguardCfg(defaultConfig), reqs: oneReq(metadataRequest), status: 200},
	}
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		cs = append(cs, filterCase{name: "stdverify/" + alg, plugin: pluginStdverify, cfg: stdverifyConfig,
			reqs: oneReq(func() [][2]string { return append(hitReq(), [2]string{"x-alg", alg}) })})
	}
	for _, alg := range algs {
		cs = append(cs, filterCase{name: "cold/" + alg, plugin: pluginAudguard, cfg: audguardCfg(defaultConfig),
			reqs: coldReqs(alg), cache: cacheAllMiss})
	}
	return cs
}

// scaleCases measure the per-request cost against configuration size: a
// cache hit with 1, 100 and 10,000 resources (resolution and metadata maps),
// and a cold HS256 request with 1, 100 and 1,000 keys in the issuer (key
// selection; HS256 because its signature check is cheap enough for a
// selection cost to show).
func scaleCases() []filterCase {
	var cs []filterCase
	for _, n := range []int{1, 100, 10000} {
		cs = append(cs, filterCase{name: fmt.Sprintf("hit/resources=%d", n), plugin: pluginAudguard,
			cfg: audguardCfg(configOptions{resources: n, hsKeys: 1}), reqs: oneReq(hitReq), cache: cacheAllHit})
	}
	for _, n := range []int{1, 100, 1000} {
		cs = append(cs, filterCase{name: fmt.Sprintf("cold-HS256/keys=%d", n), plugin: pluginAudguard,
			cfg: audguardCfg(configOptions{resources: 1, hsKeys: n}), reqs: coldReqs("HS256"), cache: cacheAllMiss})
	}
	return cs
}

// featureCases measure what the request-path features cost a cache hit:
// the same MCP request with and without 50 operation rules and a
// scope_implies chain, and the same token with configured and with fetched
// (jwks_uri) keys.
func featureCases() []filterCase {
	return []filterCase{
		{name: "hit", plugin: pluginAudguard, cfg: audguardCfg(defaultConfig), reqs: oneReq(hitReq), cache: cacheAllHit},
		{name: "hit/remote-keys", plugin: pluginAudguard, cfg: audguardCfg(configOptions{resources: 1, hsKeys: 1, remoteKeys: true}),
			reqs: oneReq(hitReq), cache: cacheAllHit, remote: true},
		{name: "hit/mcp", plugin: pluginAudguard, cfg: audguardCfg(defaultConfig), reqs: oneReq(mcpHitReq), cache: cacheAllHit},
		{name: "shared/RS256", plugin: pluginAudguard,
			cfg:  audguardCfg(configOptions{resources: 1, hsKeys: 1, sharedSlots: 65536, cacheSize: sharedLocal}),
			reqs: func() [][][2]string { return coldReqsN("RS256", sharedPool) }, cache: cacheShared},
		{name: "cold/RS256", plugin: pluginAudguard, cfg: audguardCfg(defaultConfig), reqs: coldReqs("RS256"), cache: cacheAllMiss},
		{name: "hit/mcp/operations=50", plugin: pluginAudguard, cfg: audguardCfg(configOptions{resources: 1, hsKeys: 1, operations: 50}),
			reqs: oneReq(mcpHitReq), cache: cacheAllHit},
	}
}

// stdverifyConfig is the reference verifier's configuration: the RS256,
// ES256 and EdDSA keys with the signing input and signature of one token
// each, so it checks exactly what a cold audguard request checks.
func stdverifyConfig() []byte {
	var sb strings.Builder
	enc := base64.RawURLEncoding
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		k := keys()[alg]
		var raw []byte
		switch p := k.public.(type) {
		case *rsa.PublicKey:
			raw = p.N.Bytes()
		case *ecdsa.PublicKey:
			var err error
			raw, err = p.Bytes()
			must(err)
		case ed25519.PublicKey:
			raw = p
		}
		tok := tokenPool(alg, 1)[0]
		i := strings.LastIndexByte(tok, '.')
		fmt.Fprintf(&sb, "%s %s %s %s\n", alg, enc.EncodeToString(raw), enc.EncodeToString([]byte(tok[:i])), tok[i+1:])
	}
	return []byte(sb.String())
}

// runWasm measures c in its compiled module.
func runWasm(b *testing.B, c filterCase) {
	requireWazero(b)
	vm := shared(b, c.plugin)
	w := start(b, vm, c.cfg())
	defer w.stop()
	if c.remote {
		if err := w.answerFirstFetch(remoteJWKS()); err != nil {
			b.Fatal(err)
		}
	}
	reqs := c.reqs()
	var body []byte
	if c.body != nil {
		body = c.body()
	}
	send := func(r [][2]string) error {
		if body != nil {
			return w.doBody(r, body, c.hold)
		}
		return w.do(r, c.status)
	}
	if c.cache == cacheAllHit { // warm the cache
		if err := send(reqs[0]); err != nil {
			b.Fatal(err)
		}
	}
	if c.warmAll() {
		for _, r := range reqs {
			if err := send(r); err != nil {
				b.Fatal(err)
			}
		}
	}
	hits, misses, shared := w.counter(policy.CounterCacheHit), w.counter(policy.CounterCacheMiss), w.counter(policy.CounterCacheShared)
	if body != nil {
		w.loopBody(b, reqs, body, c.hold)
	} else {
		w.loop(b, reqs, c.status)
	}
	checkCache(b, c.cache, w.counter(policy.CounterCacheHit)-hits, w.counter(policy.CounterCacheMiss)-misses,
		w.counter(policy.CounterCacheShared)-shared)
}

// runNative measures c with the filter's decision engine in this process
// (the code the module runs, minus the proxy-wasm glue and host calls).
func runNative(b *testing.B, c filterCase) {
	cfg, err := config.Load(c.cfg())
	if err != nil {
		b.Fatal(err)
	}
	var opts policy.Options
	if c.cache == cacheShared {
		opts.Shared = jwks.NewLocalStore()
	}
	e := policy.New(cfg, opts)
	if c.remote {
		answerFirstFetchNative(b, e, remoteJWKS())
	}
	reqs := c.reqs()
	want := policy.OutcomeAllowed
	if c.status == 401 {
		want = policy.OutcomeDenied
	} else if c.status == 200 {
		want = policy.OutcomeMetadata
	}
	if c.body != nil {
		runNativeBody(b, e, c, reqs, c.body())
		return
	}
	if c.cache == cacheAllHit {
		e.Decide(&policy.Request{Headers: reqs[0], EndOfStream: true})
	}
	if c.warmAll() {
		for _, r := range reqs {
			e.Decide(&policy.Request{Headers: r, EndOfStream: true})
		}
	}
	var hits, misses, shared uint64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := e.Decide(&policy.Request{Headers: reqs[i%len(reqs)], EndOfStream: true})
		if d.Outcome != want {
			b.Fatalf("request %d: outcome %v reason %v, want %v", i, d.Outcome, d.Reason, want)
		}
		switch d.Cache {
		case policy.CacheHit:
			hits++
		case policy.CacheMiss:
			misses++
		case policy.CacheShared:
			shared++
		}
	}
	b.StopTimer()
	checkCache(b, c.cache, hits, misses, shared)
}

// checkCache fails b unless the counted cache uses are what want says.
func checkCache(b *testing.B, want cacheWant, hits, misses, shared uint64) {
	b.Helper()
	n := uint64(b.N)
	switch {
	case want == cacheAllHit && (hits != n || misses != 0):
		b.Fatalf("cache: %d hits, %d misses in %d requests; want all hits", hits, misses, n)
	case want == cacheAllMiss && (misses != n || hits != 0):
		b.Fatalf("cache: %d hits, %d misses in %d requests; want all misses", hits, misses, n)
	case want == cacheShared && (hits != 0 || shared*10 < n*9):
		b.Fatalf("cache: %d hits, %d shared, %d misses in %d requests; want ≥ 90 %% shared, no local hit", hits, shared, misses, n)
	}
}

// BenchmarkFilter is the whole filter per request: wasm/... in the compiled
// module under wazero next to the reference plugins, native/... the same
// decisions in this process.
func BenchmarkFilter(b *testing.B) {
	for _, c := range filterCases() {
		b.Run("wasm/"+c.name, func(b *testing.B) { runWasm(b, c) })
	}
	for _, c := range filterCases() {
		if c.plugin == pluginAudguard {
			b.Run("native/"+c.name, func(b *testing.B) { runNative(b, c) })
		}
	}
}

// BenchmarkFeatures is what the request-path features cost a cache hit
// (featureCases).
func BenchmarkFeatures(b *testing.B) {
	for _, c := range featureCases() {
		b.Run("wasm/"+c.name, func(b *testing.B) { runWasm(b, c) })
		b.Run("native/"+c.name, func(b *testing.B) { runNative(b, c) })
	}
}

// answerFirstFetchNative runs the key state's first tick on e and answers
// the fetch it asks for with body.
func answerFirstFetchNative(b testing.TB, e *policy.Engine, body []byte) {
	now := time.Now()
	for _, a := range e.Keys().Tick(now) {
		if a.Kind == jwks.ActFetch {
			e.Keys().OnFetchResponse(now, a.Fetch.Seq, 200, body)
			return
		}
	}
	b.Fatal("the first tick asked for no fetch")
}

// BenchmarkScale is the per-request cost against configuration size.
func BenchmarkScale(b *testing.B) {
	for _, c := range scaleCases() {
		b.Run("wasm/"+c.name, func(b *testing.B) { runWasm(b, c) })
		b.Run("native/"+c.name, func(b *testing.B) { runNative(b, c) })
	}
}

// BenchmarkConfigLoad is plugin start with 10,000 resources: parsing and
// validating the configuration and building the engine.
func BenchmarkConfigLoad(b *testing.B) {
	cfg := pluginConfig(configOptions{resources: 10000, hsKeys: 1})
	b.Run("wasm/resources=10000", func(b *testing.B) {
		vm := shared(b, pluginAudguard)
		for i := 0; i < b.N; i++ {
			start(b, vm, cfg).stop()
		}
	})
	b.Run("native/resources=10000", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			c, err := config.Load(cfg)
			if err != nil {
				b.Fatal(err)
			}
			policy.New(c, policy.Options{})
		}
	})
}
