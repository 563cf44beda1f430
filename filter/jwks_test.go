package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/audguard/audguard/filter/policy"
	"github.com/audguard/audguard/internal/mint"
)

// Remote key sets through the glue (docs/configuration.md#remote-key-sets-jwks_uri,
// docs/configuration.md#revocation), natively on the SDK's emulator and in the
// compiled module on the strict host (filter/wasihost_test.go), each on a host
// that switches contexts (proxy-wasm-cpp-host: Envoy, Istio; a request may
// wait for a key fetch and is resumed) and on one that does not
// (ngx_wasm_module: nginx, Kong; a request is decided at once on the keys at
// hand). The call-outs are answered by the test, as the host would answer
// them from the authorization server's cluster.

const (
	resRemote  = "https://remote.example.com/mcp"
	issRemote  = "https://remote-auth.example.com"
	jwksURI    = "https://remote-auth.example.com/.well-known/jwks.json"
	jwksCluter = "remote_auth"
)

// remoteConfig: issuer "remote" with a jwks_uri (and, with configured, one
// configured key), resource remote.example.com.
func remoteConfig(mode string, configured *mint.Key, extra map[string]any, opts ...string) []byte {
	is := map[string]any{"name": "remote", "issuer": issRemote, "jwks_uri": jwksURI, "jwks_cluster": jwksCluter,
		"jwks_refetch_min_seconds": 5}
	if configured != nil {
		is["jwks"] = map[string]any{"keys": []any{configured.Public()}}
	}
	for k, v := range extra {
		is[k] = v
	}
	cfg := map[string]any{"mode": mode, "issuers": []any{is},
		"resources": []any{map[string]any{"resource": resRemote, "authorities": []string{"remote.example.com"}}}}
	for _, o := range opts {
		if o == "shared" {
			cfg["shared_cache_slots"] = 64
		}
	}
	return mustJSON(cfg)
}

// jwksHost is a keyHost with the remote-key tests' requests.
type jwksHost struct{ keyHost }

// request sends a whole request to remote.example.com with tok.
func (j *jwksHost) request(tok string) uint32 {
	return j.send([][2]string{{":method", "POST"}, {":path", "/mcp"}, {":authority", "remote.example.com"},
		{"host", "remote.example.com"}, {"authorization", "Bearer " + tok}}, true)
}

// noSwitchLine is the start's info line on a host that does not switch contexts.
const noSwitchLine = "this host does not switch contexts"

// keyRun is one host the remote-key tests run on.
type keyRun struct {
	name     string
	switches bool // the host switches contexts: requests may wait for a fetch
	strict   bool // the compiled module on the strict host
	now      time.Time
	start    func(t *testing.T, cfg []byte) keyHost
}

func keyRuns() []keyRun {
	native, wasm := time.Now(), wasmEpoch
	return []keyRun{
		{name: "native/cpp-host", switches: true, now: native,
			start: func(t *testing.T, cfg []byte) keyHost { return startEmuKeys(t, cfg, true, native) }},
		{name: "native/ngx", now: native,
			start: func(t *testing.T, cfg []byte) keyHost { return startEmuKeys(t, cfg, false, native) }},
		{name: "wasm/cpp-host", switches: true, strict: true, now: wasm,
			start: func(t *testing.T, cfg []byte) keyHost { return startStrictKeys(t, cfg, modeCppHost, wasm) }},
		{name: "wasm/ngx", strict: true, now: wasm,
			start: func(t *testing.T, cfg []byte) keyHost { return startStrictKeys(t, cfg, modeNgx, wasm) }},
	}
}

// TestRemoteKeys: remote JWK Sets through the glue on the four hosts of
// keyRuns: the first fetch on the first tick, never during plugin start, and
// every fetch from the plugin context; on a host that switches contexts a
// request that needs a fetch waits and is resumed or answered from the
// fetch's answer; on one that does not, it is decided at once and the fetch
// it asked for goes out on the next tick, and no host call touches a stream
// from the root context (the strict host traps on one).
func TestRemoteKeys(t *testing.T) {
	k := getKeys(t)
	set := func(keys ...*mint.Key) []byte { return mint.JWKS(keys...) }
	for _, run := range keyRuns() {
		t.Run(run.name, func(t *testing.T) {
			c := &tctx{now: run.now, keys: k}
			signed := func(key *mint.Key, edits map[string]any) string {
				claims := c.claims(resRemote, edits)
				claims["iss"] = issRemote
				return c.sign(key, claims, nil)
			}
			// begin starts the plugin; no tick yet.
			begin := func(t *testing.T, cfg []byte) *jwksHost {
				j := &jwksHost{run.start(t, cfg)}
				if n := len(j.callouts()); n != 0 {
					t.Fatalf("%d call-outs during plugin start, want none (ngx_wasm_module refuses them there)", n)
				}
				lines := 0
				for _, l := range j.logs(logInfo) {
					if strings.Contains(l, noSwitchLine) {
						lines++
					}
				}
				if want := map[bool]int{true: 0, false: 1}[run.switches]; lines != want {
					t.Errorf("%d info lines %q at start, want %d; info logs %q", lines, noSwitchLine, want, j.logs(logInfo))
				}
				return j
			}
			// start starts the plugin and ticks once: the first fetch goes out,
			// from the plugin context.
			start := func(t *testing.T, cfg []byte) *jwksHost {
				j := begin(t, cfg)
				j.tick()
				cs := j.callouts()
				if len(cs) != 1 {
					t.Fatalf("%d call-outs after the first tick, want the first fetch", len(cs))
				}
				if !cs[0].fromRoot || cs[0].upstream != jwksCluter {
					t.Errorf("first fetch: to %q, from the plugin context %v; want %q from the plugin context", cs[0].upstream, cs[0].fromRoot, jwksCluter)
				}
				for _, want := range [][2]string{{":method", "GET"}, {":authority", "remote-auth.example.com"},
					{":path", "/.well-known/jwks.json"}, {"accept", "application/json"}} {
					if v, ok := lookup(cs[0].headers, want[0]); !ok || v != want[1] {
						t.Errorf("fetch header %s = %q, want %q", want[0], v, want[1])
					}
				}
				return j
			}
			// fromRoot fails unless every call-out so far left from the plugin context.
			fromRoot := func(t *testing.T, j *jwksHost) {
				t.Helper()
				for i, c := range j.callouts() {
					if !c.fromRoot || c.upstream != jwksCluter {
						t.Errorf("call-out %d: to %q, from the plugin context %v; want %q from the plugin context", i+1, c.upstream, c.fromRoot, jwksCluter)
					}
				}
			}
			// noStreamFromRoot fails if a host call touched a stream from a
			// root-context callback: only after a real context switch can one.
			noStreamFromRoot := func(t *testing.T, j *jwksHost) {
				t.Helper()
				if calls := j.streamCallsInRoot(); len(calls) != 0 {
					t.Errorf("host calls about a stream from the root context: %q", calls)
				}
			}

			// --- on every host ---

			t.Run("unknown kid inside jwks_refetch_min_seconds: 401 at once", func(t *testing.T) {
				j := start(t, remoteConfig("enforce", nil, nil))
				j.answer(200, set(k.ed))
				id := j.request(signed(k.ec, nil)) // kid ec-1: not in the set; the first fetch was just now
				if _, st := j.status(id); st != 401 {
					t.Fatalf("status %d, want 401 unknown_key", st)
				}
				j.tick()
				if n := len(j.callouts()); n != 1 {
					t.Errorf("%d call-outs, want only the first fetch", n)
				}
			})
			t.Run("configured key wins over a fetched key with the same kid", func(t *testing.T) {
				j := start(t, remoteConfig("enforce", k.rs, nil))
				j.answer(200, set(k.rsOther)) // same kid rs-1, another key
				if _, st := j.status(j.request(signed(k.rs, nil))); st != 0 {
					t.Fatalf("configured key's token refused: %d", st)
				}
				if _, st := j.status(j.request(signed(k.rsOther, nil))); st != 401 {
					t.Fatalf("fetched twin's token: %d, want 401", st)
				}
			})
			t.Run("revocation levers", func(t *testing.T) {
				j := start(t, remoteConfig("enforce", nil, map[string]any{"revoked_key_ids": []string{"ec-1"},
					"revoked_token_ids": []string{"leaked"}, "reject_issued_before": c.now.Unix() - 100}))
				j.answer(200, set(k.ed, k.ec))
				for name, tok := range map[string]string{
					"revoked kid": signed(k.ec, nil),
					"revoked jti": signed(k.ed, map[string]any{"jti": "leaked"}),
					"old iat":     signed(k.ed, map[string]any{"iat": c.now.Unix() - 1000}),
					"no iat":      signed(k.ed, map[string]any{"iat": nil}),
				} {
					if _, st := j.status(j.request(tok)); st != 401 {
						t.Errorf("%s: status %d, want 401", name, st)
					}
				}
				if v := j.counter(policy.DeniedCounter(policy.ReasonRevoked)); v != 4 {
					t.Errorf("revoked counter %d, want 4", v)
				}
				if _, st := j.status(j.request(signed(k.ed, nil))); st != 0 {
					t.Errorf("a good token refused: %d", st)
				}
			})
			t.Run("report mode never waits", func(t *testing.T) {
				j := start(t, remoteConfig("report", nil, nil))
				id := j.request(signed(k.ed, nil))
				if act, st := j.status(id); act != types.ActionContinue || st != 0 {
					t.Fatalf("report mode: %v %d, want passed on at once", act, st)
				}
				if v := j.counter(policy.WouldDenyCounter(policy.ReasonKeysUnavailable)); v != 1 {
					t.Errorf("would_deny keys_unavailable %d", v)
				}
			})
			t.Run("one proxy, one fetch: a second VM takes the published set", func(t *testing.T) {
				j := start(t, remoteConfig("enforce", nil, nil))
				j.answer(200, set(k.ed))
				// Another VM: an empty local state, the host's shared data.
				j.anotherVM()
				j.tick()
				if n := len(j.callouts()); n != 1 {
					t.Fatalf("%d call-outs after the second VM started, want 1 (its keys come from shared data)", n)
				}
				if _, st := j.status(j.request(signed(k.ed, nil))); st != 0 {
					t.Fatalf("second VM refused a token of the fetched set: %d", st)
				}
			})
			t.Run("a refetch outlives the stream that asked for it", func(t *testing.T) {
				j := start(t, remoteConfig("enforce", nil, nil))
				j.answer(200, set(k.ed))
				j.advance(6 * time.Second)
				id := j.request(signed(k.ec, nil))                         // unknown kid: asks for a refetch, then goes away
				want := map[bool]uint32{true: 0, false: 401}[run.switches] // waiting, or refused at once
				if _, st := j.status(id); st != want {
					t.Fatalf("unknown kid: status %d, want %d", st, want)
				}
				j.complete(id)
				j.tick()
				if n := len(j.callouts()); n != 2 {
					t.Fatalf("%d call-outs, want the refetch", n)
				}
				fromRoot(t, j)
				j.answer(200, set(k.ed, k.ec))
				noStreamFromRoot(t, j)
				if _, st := j.status(j.request(signed(k.ec, map[string]any{"jti": "again"}))); st != 0 {
					t.Fatalf("the rotated key was not taken: %d", st)
				}
			})
			t.Run("gauges are recorded, never incremented", func(t *testing.T) {
				// On the strict host an increment of a gauge traps, as on
				// ngx_wasm_module, where every tick of an issuer with a jwks_uri
				// trapped while the gauges were moved with proxy_increment_metric.
				const p = "audguard.jwks.remote."
				j := start(t, remoteConfig("enforce", nil, nil))
				j.answer(500, nil) // the first fetch fails
				j.tick()
				if v, ok := j.gauge(p + "keys"); !ok || v != 0 {
					t.Errorf("keys gauge after a failed first fetch = %d (defined %v), want 0", v, ok)
				}
				if v, ok := j.gauge(p + "seconds_since_good_fetch"); ok {
					t.Errorf("seconds_since_good_fetch = %d before any good fetch, want it undefined (absent: never)", v)
				}
				if v := j.counter(p + "fetch_failed"); v != 1 {
					t.Errorf("fetch_failed = %d, want 1", v)
				}
				j.advance(2 * time.Second) // past the first retry's back-off (1 s)
				j.tick()
				if n := len(j.callouts()); n != 2 {
					t.Fatalf("%d call-outs after the back-off, want the retry", n)
				}
				j.answer(200, set(k.ed, k.ec))
				j.tick()
				if v, ok := j.gauge(p + "keys"); !ok || v != 2 {
					t.Errorf("keys gauge = %d (defined %v), want 2", v, ok)
				}
				if v, ok := j.gauge(p + "seconds_since_good_fetch"); !ok || v != 0 {
					t.Errorf("seconds_since_good_fetch right after the good fetch = %d (defined %v), want 0", v, ok)
				}
				since := int64(0)
				for _, s := range []int64{7, 8, 30} {
					j.advance(time.Duration(s-since) * time.Second)
					since = s
					j.tick()
					if v, ok := j.gauge(p + "seconds_since_good_fetch"); !ok || int64(v) != s {
						t.Errorf("seconds_since_good_fetch = %d (defined %v), want %d", v, ok, s)
					}
				}
				if v, ok := j.gauge(p + "keys"); !ok || v != 2 {
					t.Errorf("keys gauge after ticks = %d (defined %v), want 2", v, ok)
				}
				if v := j.counter(p + "fetch_ok"); v != 1 {
					t.Errorf("fetch_ok = %d, want 1", v)
				}
			})
			t.Run("a rotated key reusing the kid voids shared-cache entries", func(t *testing.T) {
				// The shared cache's key-fingerprint check, in the module as
				// shipped: an entry written under the old key is never served
				// for the new one, though both have kid rs-1.
				j := start(t, remoteConfig("enforce", nil, map[string]any{"jwks_refresh_seconds": 60}, "shared"))
				k1, k2 := k.rs, k.rsOther // both kid rs-1
				j.answer(200, set(k1))
				tok := signed(k1, nil)
				if _, st := j.status(j.request(tok)); st != 0 {
					t.Fatalf("before the rotation: %d", st)
				}
				if run.switches {
					j.advance(6 * time.Second)
					j.request(signed(k.ec, nil)) // an unknown kid: the refetch brings the rotated set
				} else {
					j.advance(67 * time.Second) // the refresh (60 s ±10 %) brings it
				}
				j.tick()
				if n := len(j.callouts()); n != 2 {
					t.Fatalf("%d call-outs, want the refetch", n)
				}
				j.answer(200, set(k2))
				if _, st := j.status(j.request(tok)); st != 401 {
					t.Fatalf("a token of the rotated-out key after the rotation: %d, want 401", st)
				}
				// Another VM: its local cache is empty, so only the shared
				// entry could let the token in.
				j.anotherVM()
				j.tick()
				if _, st := j.status(j.request(tok)); st != 401 {
					t.Fatalf("a token of the rotated-out key in another VM: %d, want 401", st)
				}
				if v := j.counter(policy.CounterCacheShared); v != 0 {
					t.Errorf("served from shared data %d times", v)
				}
				if _, st := j.status(j.request(signed(k2, map[string]any{"jti": "new"}))); st != 0 {
					t.Errorf("a token of the new key: %d, want allowed", st)
				}
				fromRoot(t, j)
			})

			if run.switches {
				waitingCases(t, run, k, signed, begin, start, fromRoot)
				return
			}

			// --- on a host that does not switch contexts: never paused ---

			t.Run("no wait: 503 keys_unavailable before the first good set", func(t *testing.T) {
				j := begin(t, remoteConfig("enforce", nil, nil))
				id := j.request(signed(k.ed, nil))
				r := j.reply(id)
				if r == nil || r.status != 503 || header(r.headers, "retry-after") != "5" || header(r.headers, "www-authenticate") != "" {
					act, _ := j.status(id)
					t.Errorf("before the first tick: want 503 at once with retry-after and no challenge, got reply %+v, action %v", r, act)
				}
				if n := len(j.callouts()); n != 0 {
					t.Errorf("%d call-outs from the request, want none", n)
				}
				j.tick() // the first fetch, from the plugin context
				if n := len(j.callouts()); n != 1 {
					t.Fatalf("%d call-outs after the first tick, want 1", n)
				}
				id2 := j.request(signed(k.ed, map[string]any{"jti": "2"}))
				if act, st := j.status(id2); act != types.ActionPause || st != 503 {
					t.Fatalf("during the first fetch: %v %d, want 503 at once", act, st)
				}
				j.answer(200, set(k.ed))
				noStreamFromRoot(t, j)
				for _, id := range []uint32{id, id2} {
					if _, st := j.status(id); st != 503 {
						t.Errorf("stream %d after the fetch: %d, want its 503 unchanged", id, st)
					}
				}
				if v := j.counter(policy.DeniedCounter(policy.ReasonKeysUnavailable)); v != 2 {
					t.Errorf("keys_unavailable counter %d, want 2", v)
				}
				if act, st := j.status(j.request(signed(k.ed, map[string]any{"jti": "3"}))); act != types.ActionContinue || st != 0 {
					t.Fatalf("after the fetch: %v %d, want allowed", act, st)
				}
				fromRoot(t, j)
			})
			t.Run("no wait: an unknown kid is decided at once, the refetch goes out on the next tick", func(t *testing.T) {
				j := start(t, remoteConfig("enforce", nil, nil))
				j.answer(200, set(k.ed))
				j.advance(6 * time.Second)         // past jwks_refetch_min_seconds (5)
				id := j.request(signed(k.ec, nil)) // kid ec-1: not in the set
				if act, st := j.status(id); act != types.ActionPause || st != 401 {
					t.Errorf("unknown kid: %v %d, want 401 at once", act, st) // go on: the answer must not touch it either
				}
				if n := len(j.callouts()); n != 1 {
					t.Fatalf("%d call-outs right after the request, want only the first fetch (the refetch waits for the tick)", n)
				}
				j.tick()
				if n := len(j.callouts()); n != 2 {
					t.Fatalf("%d call-outs after the tick, want the refetch", n)
				}
				fromRoot(t, j)
				j.answer(200, set(k.ed, k.ec))
				noStreamFromRoot(t, j)
				if _, st := j.status(id); st != 401 {
					t.Errorf("the refused request after the refetch: %d, want its 401 unchanged", st)
				}
				if act, st := j.status(j.request(signed(k.ec, map[string]any{"jti": "again"}))); act != types.ActionContinue || st != 0 {
					t.Fatalf("after the refetch: %v %d, want allowed", act, st)
				}
				// A second unknown kid inside jwks_refetch_min_seconds: 401, no refetch.
				j.request(signed(k.edOther, nil))
				j.tick()
				if n := len(j.callouts()); n != 2 {
					t.Errorf("%d call-outs, want 2 (first fetch, one refetch)", n)
				}
				if v := j.counter("audguard.jwks.remote.unknown_kid_refetch"); v != 1 {
					t.Errorf("unknown_kid_refetch = %d, want 1", v)
				}
			})
			t.Run("no wait: the body of a decided request is not held", func(t *testing.T) {
				j := start(t, remoteConfig("enforce", nil, nil))
				j.answer(200, set(k.ed))
				id := j.send([][2]string{{":method", "POST"}, {":path", "/mcp"}, {":authority", "remote.example.com"},
					{"host", "remote.example.com"}, {"content-length", "2"}, {"authorization", "Bearer " + signed(k.ed, nil)}}, false)
				if act, st := j.status(id); act != types.ActionContinue || st != 0 {
					t.Fatalf("headers: %v %d, want allowed", act, st)
				}
				if act := j.body(id, []byte("{}"), true); act != types.ActionContinue {
					t.Fatalf("body of an allowed request: %v, want continue", act)
				}
			})
		})
	}
}

// waitingCases are the cases of a host that switches contexts: a request
// that needs a key fetch waits for it and is resumed, or answered, from the
// fetch's answer (proxy-wasm-cpp-host: Envoy, Istio).
func waitingCases(t *testing.T, run keyRun, k *testKeys, signed func(*mint.Key, map[string]any) string,
	begin, start func(*testing.T, []byte) *jwksHost, fromRoot func(*testing.T, *jwksHost)) {
	set := func(keys ...*mint.Key) []byte { return mint.JWKS(keys...) }
	// resumedBySwitch fails unless, on the strict host, the answer resumed
	// the request from the root context after really switching to it.
	resumedBySwitch := func(t *testing.T, j *jwksHost) {
		t.Helper()
		if run.strict && len(j.streamCallsInRoot()) == 0 {
			t.Errorf("the fetch's answer touched no stream: the waiting request was not woken through a context switch")
		}
	}
	t.Run("waiting request resumed after the first fetch", func(t *testing.T) {
		j := start(t, remoteConfig("enforce", nil, nil))
		id := j.request(signed(k.ed, nil))
		if act, st := j.status(id); act != types.ActionPause || st != 0 {
			t.Fatalf("before the fetch: action %v status %d, want paused", act, st)
		}
		j.answer(200, set(k.ed))
		if act, st := j.status(id); act != types.ActionContinue || st != 0 {
			t.Fatalf("after the fetch: action %v status %d, want continue", act, st)
		}
		resumedBySwitch(t, j)
		// The tick exports the issuer's metrics (docs/metrics.md).
		j.tick()
		if v := j.counter("audguard.jwks.remote.fetch_ok"); v != 1 {
			t.Errorf("fetch_ok = %d, want 1", v)
		}
		if v, ok := j.gauge("audguard.jwks.remote.keys"); !ok || v != 1 {
			t.Errorf("keys gauge = %d (defined %v), want 1", v, ok)
		}
		// The next request is decided at once on the fetched keys.
		id2 := j.request(signed(k.ed, map[string]any{"jti": "other"}))
		if act, _ := j.status(id2); act != types.ActionContinue {
			t.Fatalf("second request: %v", act)
		}
		j.complete(id)
		j.complete(id2)
	})
	t.Run("a request before the first tick starts the fetch and waits", func(t *testing.T) {
		j := begin(t, remoteConfig("enforce", nil, nil))
		id := j.request(signed(k.ed, nil))
		if act, st := j.status(id); act != types.ActionPause || st != 0 {
			t.Fatalf("action %v status %d, want paused", act, st)
		}
		// The request asked for the fetch; it goes out on the next tick,
		// from the plugin context, so that no stream owns it.
		if n := len(j.callouts()); n != 0 {
			t.Fatalf("%d call-outs from the request's context, want none", n)
		}
		j.tick()
		if n := len(j.callouts()); n != 1 {
			t.Fatalf("%d call-outs after the tick, want 1", n)
		}
		fromRoot(t, j)
		j.answer(200, set(k.ed))
		if act, st := j.status(id); act != types.ActionContinue || st != 0 {
			t.Fatalf("after the fetch: %v %d", act, st)
		}
		j.tick() // the schedule sees the fetch done: no second call-out
		if n := len(j.callouts()); n != 1 {
			t.Errorf("%d call-outs after the tick, want 1", n)
		}
	})
	t.Run("waiting request gets 503 after a failed first fetch", func(t *testing.T) {
		j := start(t, remoteConfig("enforce", nil, nil))
		id := j.request(signed(k.ed, nil))
		j.answer(500, nil)
		r := j.reply(id)
		if r == nil || r.status != 503 || header(r.headers, "retry-after") != "5" || header(r.headers, "www-authenticate") != "" {
			t.Fatalf("want 503 with retry-after and no challenge, got %+v", r)
		}
		if v := j.counter(policy.DeniedCounter(policy.ReasonKeysUnavailable)); v != 1 {
			t.Errorf("keys_unavailable counter %d", v)
		}
		resumedBySwitch(t, j)
	})
	for name, resp := range map[string]struct {
		status int
		body   string
	}{
		"bad JSON":          {200, `{"keys":[`},
		"duplicate members": {200, `{"keys":[],"keys":[]}`},
		"only unusable":     {200, `{"keys":[{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0","kid":"h"}]}`},
		"oversized":         {200, `{"keys":[]` + strings.Repeat(" ", 256<<10) + `}`},
		"timeout":           {0, ""},
	} {
		t.Run("first fetch fails: "+name, func(t *testing.T) {
			j := start(t, remoteConfig("enforce", nil, nil))
			id := j.request(signed(k.ed, nil))
			j.answer(resp.status, []byte(resp.body))
			if _, st := j.status(id); st != 503 {
				t.Fatalf("status %d, want 503", st)
			}
			if !strings.Contains(strings.Join(j.logs(logWarn), "\n"), `issuer "remote"`) {
				t.Errorf("no warning naming the issuer: %q", j.logs(logWarn))
			}
		})
	}
	t.Run("unknown kid: one refetch, then allowed", func(t *testing.T) {
		j := start(t, remoteConfig("enforce", nil, nil))
		j.answer(200, set(k.ed))
		j.advance(6 * time.Second) // past jwks_refetch_min_seconds (5)
		tok := signed(k.ec, nil)   // kid ec-1, not in the fetched set yet
		id := j.request(tok)
		if act, st := j.status(id); act != types.ActionPause || st != 0 {
			t.Fatalf("unknown kid not waiting: %v %d", act, st)
		}
		j.tick()                       // the refetch goes out from the plugin context
		j.answer(200, set(k.ed, k.ec)) // rotated
		if act, st := j.status(id); act != types.ActionContinue || st != 0 {
			t.Fatalf("after the refetch: %v %d", act, st)
		}
		resumedBySwitch(t, j)
		// A second unknown kid inside jwks_refetch_min_seconds: 401 at once.
		id2 := j.request(signed(k.edOther, nil))
		if _, st := j.status(id2); st != 401 {
			t.Fatalf("second unknown kid: status %d, want 401", st)
		}
		if n := len(j.callouts()); n != 2 {
			t.Errorf("%d call-outs, want 2 (first fetch, one refetch)", n)
		}
		fromRoot(t, j)
		j.tick() // exports the counters
		if v := j.counter("audguard.jwks.remote.unknown_kid_refetch"); v != 1 {
			t.Errorf("unknown_kid_refetch = %d, want 1", v)
		}
	})
	t.Run("the body of a waiting request is held", func(t *testing.T) {
		j := start(t, remoteConfig("enforce", nil, nil))
		id := j.send([][2]string{{":method", "POST"}, {":path", "/mcp"}, {":authority", "remote.example.com"},
			{"host", "remote.example.com"}, {"content-length", "2"}, {"authorization", "Bearer " + signed(k.ed, nil)}}, false)
		if act := j.body(id, []byte("{}"), true); act != types.ActionPause {
			t.Fatalf("body of a waiting request: %v, want pause (Continue would send it upstream undecided)", act)
		}
		j.answer(500, nil)
		if r := j.reply(id); r == nil || r.status != 503 {
			t.Fatalf("after the failed fetch: %+v, want 503", r)
		}
	})
	t.Run("a body that came whole while waiting is judged at the wake", func(t *testing.T) {
		// A POST to an MCP endpoint judged by its body (operations) waits
		// for the first fetch; its body (and end of stream) arrives
		// meanwhile. At the wake it is held for its body, which is already
		// in: it must be judged then, as no body callback will follow.
		var cfg map[string]any
		if err := json.Unmarshal(remoteConfig("enforce", nil, nil), &cfg); err != nil {
			t.Fatal(err)
		}
		cfg["resources"].([]any)[0].(map[string]any)["operations"] = []any{
			map[string]any{"method": "tools/call", "name": "delete_forecast", "scopes": []string{"mcp:admin"}}}
		for _, tc := range []struct {
			tool   string
			status uint32
		}{{"get_forecast", 0}, {"delete_forecast", 403}} {
			t.Run(tc.tool, func(t *testing.T) { // one host per subtest: the SDK's emulator is global
				j := start(t, mustJSON(cfg))
				body := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + tc.tool + `"}}`)
				id := j.send([][2]string{{":method", "POST"}, {":path", "/mcp"}, {":authority", "remote.example.com"},
					{"host", "remote.example.com"}, {"content-length", strconv.Itoa(len(body))}, {"authorization", "Bearer " + signed(k.ed, nil)}}, false)
				if act := j.body(id, body, true); act != types.ActionPause {
					t.Fatalf("%s: body of a waiting request: %v, want pause", tc.tool, act)
				}
				j.answer(200, set(k.ed))
				act, st := j.status(id)
				if st != tc.status || tc.status == 0 && act != types.ActionContinue {
					t.Fatalf("%s after the fetch: action %v status %d, want status %d (0: continue)", tc.tool, act, st, tc.status)
				}
			})
		}
	})
	t.Run("a stream that ends while waiting is forgotten", func(t *testing.T) {
		j := start(t, remoteConfig("enforce", nil, nil))
		id := j.request(signed(k.ed, nil))
		j.complete(id)
		j.answer(200, set(k.ed)) // must not touch the ended stream
		if act, _ := j.status(j.request(signed(k.ed, map[string]any{"jti": "x"}))); act != types.ActionContinue {
			t.Fatalf("after the fetch, a new request is not allowed")
		}
		if calls := j.streamCallsInRoot(); len(calls) != 0 {
			t.Errorf("the fetch's answer touched a stream, with none waiting: %q", calls)
		}
	})
}
