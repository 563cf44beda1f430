package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/audguard/audguard/filter/policy"
	"github.com/audguard/audguard/internal/mint"
)

// Remote key sets through the glue (docs/configuration.md#remote-key-sets-jwks_uri, docs/configuration.md#revocation), in both runs: the
// call-outs are answered by the test through the emulator, as the host would
// answer them from the authorization server's cluster.

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

type jwksHost struct {
	t *testing.T
	*host
	served int // call-outs answered so far
}

// callouts are the JWK Set fetches dispatched so far, from any context.
func (j *jwksHost) callouts(ids ...uint32) []proxytest.HttpCalloutAttribute {
	var out []proxytest.HttpCalloutAttribute
	for _, id := range append([]uint32{proxytest.PluginContextID}, ids...) {
		out = append(out, j.h.GetCalloutAttributesFromContext(id)...)
	}
	return out
}

// answer answers the oldest unanswered call-out with status and body.
func (j *jwksHost) answer(ids []uint32, status int, body []byte) {
	j.t.Helper()
	all := j.callouts(ids...)
	if j.served >= len(all) {
		j.t.Fatalf("no call-out to answer (%d dispatched)", len(all))
	}
	c := all[j.served]
	j.served++
	if c.Upstream != jwksCluter {
		j.t.Fatalf("call-out to %q, want %q", c.Upstream, jwksCluter)
	}
	var hdrs [][2]string
	if status > 0 {
		hdrs = [][2]string{{":status", fmt.Sprint(status)}}
	}
	j.h.CallOnHttpCallResponse(c.CalloutID, hdrs, nil, body)
}

func (j *jwksHost) request(tok string) uint32 {
	id := j.h.InitializeHttpContext()
	j.h.CallOnRequestHeaders(id, [][2]string{{":method", "POST"}, {":path", "/mcp"}, {":authority", "remote.example.com"},
		{"host", "remote.example.com"}, {"authorization", "Bearer " + tok}}, true)
	return id
}

func (j *jwksHost) status(id uint32) (types.Action, uint32) {
	if l := j.h.GetSentLocalResponse(id); l != nil {
		return types.ActionPause, l.StatusCode
	}
	return j.h.GetCurrentHttpStreamAction(id), 0
}

func TestRemoteKeys(t *testing.T) {
	k := getKeys(t)
	signed := func(c *tctx, key *mint.Key, edits map[string]any) string {
		claims := c.claims(resRemote, edits)
		claims["iss"] = issRemote
		return c.sign(key, claims, nil)
	}
	set := func(keys ...*mint.Key) []byte { return mint.JWKS(keys...) }
	for _, r := range runners() {
		t.Run(r.name, func(t *testing.T) {
			c := &tctx{now: r.now, keys: k}
			start := func(t *testing.T, cfg []byte) *jwksHost {
				h := startHost(t, r, cfg, nil, types.OnPluginStartStatusOK)
				t.Cleanup(h.reset)
				j := &jwksHost{t: t, host: h}
				if n := len(j.callouts()); n != 0 {
					t.Fatalf("%d call-outs during plugin start, want none (ngx_wasm_module refuses them there)", n)
				}
				j.h.Tick()
				if n := len(j.callouts()); n != 1 {
					t.Fatalf("%d call-outs after the first tick, want the first fetch", n)
				}
				got := j.callouts()[0].Headers
				for _, want := range [][2]string{{":method", "GET"}, {":authority", "remote-auth.example.com"},
					{":path", "/.well-known/jwks.json"}, {"accept", "application/json"}} {
					if v, ok := lookup(got, want[0]); !ok || v != want[1] {
						t.Errorf("fetch header %s = %q, want %q", want[0], v, want[1])
					}
				}
				return j
			}

			t.Run("waiting request resumed after the first fetch", func(t *testing.T) {
				j := start(t, remoteConfig("enforce", nil, nil))
				id := j.request(signed(c, k.ed, nil))
				if act, st := j.status(id); act != types.ActionPause || st != 0 {
					t.Fatalf("before the fetch: action %v status %d, want paused", act, st)
				}
				j.answer(nil, 200, set(k.ed))
				if act, st := j.status(id); act != types.ActionContinue || st != 0 {
					t.Fatalf("after the fetch: action %v status %d, want continue", act, st)
				}
				// The tick exports the issuer's metrics (docs/metrics.md).
				j.h.Tick()
				if v, err := j.h.GetCounterMetric("audguard.jwks.remote.fetch_ok"); err != nil || v != 1 {
					t.Errorf("fetch_ok = %d (%v), want 1", v, err)
				}
				if v, err := j.h.GetGaugeMetric("audguard.jwks.remote.keys"); err != nil || v != 1 {
					t.Errorf("keys gauge = %d (%v), want 1", v, err)
				}
				// The next request is decided at once on the fetched keys.
				id2 := j.request(signed(c, k.ed, map[string]any{"jti": "other"}))
				if act, _ := j.status(id2); act != types.ActionContinue {
					t.Fatalf("second request: %v", act)
				}
			})
			t.Run("a request before the first tick starts the fetch and waits", func(t *testing.T) {
				h := startHost(t, r, remoteConfig("enforce", nil, nil), nil, types.OnPluginStartStatusOK)
				t.Cleanup(h.reset)
				j := &jwksHost{t: t, host: h}
				id := j.request(signed(c, k.ed, nil))
				if act, st := j.status(id); act != types.ActionPause || st != 0 {
					t.Fatalf("action %v status %d, want paused", act, st)
				}
				// The request asked for the fetch; it goes out on the next tick,
				// from the plugin context, so that no stream owns it.
				if n := len(j.callouts(id)); n != 0 {
					t.Fatalf("%d call-outs from the request's context, want none", n)
				}
				j.h.Tick()
				if n := len(j.callouts()); n != 1 {
					t.Fatalf("%d call-outs from the plugin context after the tick, want 1", n)
				}
				j.answer(nil, 200, set(k.ed))
				if act, st := j.status(id); act != types.ActionContinue || st != 0 {
					t.Fatalf("after the fetch: %v %d", act, st)
				}
				j.h.Tick() // the schedule sees the fetch done: no second call-out
				if n := len(j.callouts(id)); n != 1 {
					t.Errorf("%d call-outs after the tick, want 1", n)
				}
			})
			t.Run("waiting request gets 503 after a failed first fetch", func(t *testing.T) {
				j := start(t, remoteConfig("enforce", nil, nil))
				id := j.request(signed(c, k.ed, nil))
				j.answer(nil, 500, nil)
				l := j.h.GetSentLocalResponse(id)
				if l == nil || l.StatusCode != 503 || header(l.Headers, "retry-after") != "5" || header(l.Headers, "www-authenticate") != "" {
					t.Fatalf("want 503 with retry-after and no challenge, got %+v", l)
				}
				if v, _ := j.h.GetCounterMetric(policy.DeniedCounter(policy.ReasonKeysUnavailable)); v != 1 {
					t.Errorf("keys_unavailable counter %d", v)
				}
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
					id := j.request(signed(c, k.ed, nil))
					j.answer(nil, resp.status, []byte(resp.body))
					if _, st := j.status(id); st != 503 {
						t.Fatalf("status %d, want 503", st)
					}
					if !strings.Contains(strings.Join(j.h.GetWarnLogs(), "\n"), `issuer "remote"`) {
						t.Errorf("no warning naming the issuer: %q", j.h.GetWarnLogs())
					}
				})
			}
			t.Run("unknown kid inside jwks_refetch_min_seconds: 401 at once", func(t *testing.T) {
				j := start(t, remoteConfig("enforce", nil, nil))
				j.answer(nil, 200, set(k.ed))
				id := j.request(signed(c, k.ec, nil)) // kid ec-1: not in the set; the first fetch was just now
				if _, st := j.status(id); st != 401 {
					t.Fatalf("status %d, want 401 unknown_key", st)
				}
				if n := len(j.callouts(id)); n != 1 {
					t.Errorf("%d call-outs, want only the first fetch", n)
				}
			})
			t.Run("unknown kid: one refetch, then allowed", func(t *testing.T) {
				if r.name == "wasm" {
					t.Skip("the .wasm under test reads a fixed clock, so jwks_refetch_min_seconds never passes; " +
						"the native run covers the glue, filter/keys covers the schedule")
				}
				now := time.Now()
				clock = func() time.Time { return now }
				t.Cleanup(func() { clock = time.Now })
				j := start(t, remoteConfig("enforce", nil, nil))
				j.answer(nil, 200, set(k.ed))
				now = now.Add(6 * time.Second) // past jwks_refetch_min_seconds (5)
				tok := signed(c, k.ec, nil)    // kid ec-1, not in the fetched set yet
				id := j.request(tok)
				if act, _ := j.status(id); act != types.ActionPause {
					t.Fatalf("unknown kid not waiting: %v", act)
				}
				j.h.Tick()                          // the refetch goes out from the plugin context
				j.answer(nil, 200, set(k.ed, k.ec)) // rotated
				if act, st := j.status(id); act != types.ActionContinue || st != 0 {
					t.Fatalf("after the refetch: %v %d", act, st)
				}
				// A second unknown kid inside jwks_refetch_min_seconds: 401 at once.
				id2 := j.request(signed(c, k.edOther, nil))
				if _, st := j.status(id2); st != 401 {
					t.Fatalf("second unknown kid: status %d, want 401", st)
				}
				if n := len(j.callouts(id, id2)); n != 2 {
					t.Errorf("%d call-outs, want 2 (first fetch, one refetch)", n)
				}
			})
			t.Run("a rotated key reusing the kid voids shared-cache entries", func(t *testing.T) {
				if r.name == "wasm" {
					t.Skip("needs jwks_refetch_min_seconds to pass; the .wasm under test reads a fixed clock")
				}
				now := time.Now()
				clock = func() time.Time { return now }
				t.Cleanup(func() { clock = time.Now })
				j := start(t, remoteConfig("enforce", nil, map[string]any{}, "shared"))
				k1, k2 := k.rs, k.rsOther // both kid rs-1
				j.answer(nil, 200, set(k1))
				tok := signed(c, k1, nil)
				if _, st := j.status(j.request(tok)); st != 0 {
					t.Fatalf("before the rotation: %d", st)
				}
				now = now.Add(6 * time.Second)
				j.request(signed(c, k.ec, nil)) // an unknown kid: the refetch brings the rotated set
				j.h.Tick()
				j.answer(nil, 200, set(k2))
				if _, st := j.status(j.request(tok)); st != 401 {
					t.Fatalf("a token of the rotated-out key after the rotation: %d, want 401", st)
				}
				if v, _ := j.h.GetCounterMetric(policy.CounterCacheShared); v != 0 {
					t.Errorf("served from shared data %d times", v)
				}
			})
			t.Run("a refetch outlives the stream that asked for it", func(t *testing.T) {
				if r.name == "wasm" {
					t.Skip("needs jwks_refetch_min_seconds to pass; the .wasm under test reads a fixed clock")
				}
				now := time.Now()
				clock = func() time.Time { return now }
				t.Cleanup(func() { clock = time.Now })
				j := start(t, remoteConfig("enforce", nil, nil))
				j.answer(nil, 200, set(k.ed))
				now = now.Add(6 * time.Second)
				id := j.request(signed(c, k.ec, nil)) // unknown kid: asks for a refetch, then goes away
				j.h.CompleteHttpContext(id)
				j.h.Tick()
				j.answer(nil, 200, set(k.ed, k.ec))
				if _, st := j.status(j.request(signed(c, k.ec, map[string]any{"jti": "again"}))); st != 0 {
					t.Fatalf("the rotated key was not taken: %d", st)
				}
			})
			t.Run("configured key wins over a fetched key with the same kid", func(t *testing.T) {
				j := start(t, remoteConfig("enforce", k.rs, nil))
				j.answer(nil, 200, set(k.rsOther)) // same kid rs-1, another key
				if _, st := j.status(j.request(signed(c, k.rs, nil))); st != 0 {
					t.Fatalf("configured key's token refused: %d", st)
				}
				if _, st := j.status(j.request(signed(c, k.rsOther, nil))); st != 401 {
					t.Fatalf("fetched twin's token: %d, want 401", st)
				}
			})
			t.Run("revocation levers", func(t *testing.T) {
				j := start(t, remoteConfig("enforce", nil, map[string]any{"revoked_key_ids": []string{"ec-1"},
					"revoked_token_ids": []string{"leaked"}, "reject_issued_before": c.now.Unix() - 100}))
				j.answer(nil, 200, set(k.ed, k.ec))
				for name, tok := range map[string]string{
					"revoked kid": signed(c, k.ec, nil),
					"revoked jti": signed(c, k.ed, map[string]any{"jti": "leaked"}),
					"old iat":     signed(c, k.ed, map[string]any{"iat": c.now.Unix() - 1000}),
					"no iat":      signed(c, k.ed, map[string]any{"iat": nil}),
				} {
					if _, st := j.status(j.request(tok)); st != 401 {
						t.Errorf("%s: status %d, want 401", name, st)
					}
				}
				if v, _ := j.h.GetCounterMetric(policy.DeniedCounter(policy.ReasonRevoked)); v != 4 {
					t.Errorf("revoked counter %d, want 4", v)
				}
				if _, st := j.status(j.request(signed(c, k.ed, nil))); st != 0 {
					t.Errorf("a good token refused: %d", st)
				}
			})
			t.Run("report mode never waits", func(t *testing.T) {
				j := start(t, remoteConfig("report", nil, nil))
				id := j.request(signed(c, k.ed, nil))
				if act, st := j.status(id); act != types.ActionContinue || st != 0 {
					t.Fatalf("report mode: %v %d, want passed on at once", act, st)
				}
				if v, _ := j.h.GetCounterMetric(policy.WouldDenyCounter(policy.ReasonKeysUnavailable)); v != 1 {
					t.Errorf("would_deny keys_unavailable %d", v)
				}
			})
			t.Run("one proxy, one fetch: a second VM takes the published set", func(t *testing.T) {
				j := start(t, remoteConfig("enforce", nil, nil))
				j.answer(nil, 200, set(k.ed))
				// A second plugin start over the same shared data is another VM's
				// view: an empty local state, the host's shared data.
				if got := j.h.StartPlugin(); got != types.OnPluginStartStatusOK {
					t.Fatalf("second start: %v", got)
				}
				j.h.Tick()
				if n := len(j.callouts()); n != 1 {
					t.Fatalf("%d call-outs after the second VM started, want 1 (its keys come from shared data)", n)
				}
				if _, st := j.status(j.request(signed(c, k.ed, nil))); st != 0 {
					t.Fatalf("second VM refused a token of the fetched set: %d", st)
				}
			})
			t.Run("the body of a waiting request is held", func(t *testing.T) {
				j := start(t, remoteConfig("enforce", nil, nil))
				id := j.h.InitializeHttpContext()
				j.h.CallOnRequestHeaders(id, [][2]string{{":method", "POST"}, {":path", "/mcp"}, {":authority", "remote.example.com"},
					{"host", "remote.example.com"}, {"content-length", "2"}, {"authorization", "Bearer " + signed(c, k.ed, nil)}}, false)
				if act := j.h.CallOnRequestBody(id, []byte("{}"), true); act != types.ActionPause {
					t.Fatalf("body of a waiting request: %v, want pause (Continue would send it upstream undecided)", act)
				}
				j.answer(nil, 500, nil)
				if l := j.h.GetSentLocalResponse(id); l == nil || l.StatusCode != 503 {
					t.Fatalf("after the failed fetch: %+v, want 503", l)
				}
			})
			t.Run("a stream that ends while waiting is forgotten", func(t *testing.T) {
				j := start(t, remoteConfig("enforce", nil, nil))
				id := j.request(signed(c, k.ed, nil))
				j.h.CompleteHttpContext(id)
				j.answer(nil, 200, set(k.ed)) // must not touch the ended stream
				if id2 := j.request(signed(c, k.ed, map[string]any{"jti": "x"})); func() types.Action { a, _ := j.status(id2); return a }() != types.ActionContinue {
					t.Fatalf("after the fetch, a new request is not allowed")
				}
			})
		})
	}
}
