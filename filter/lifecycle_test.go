package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/audguard/audguard/filter/policy"
)

// TestStartRefusesBadConfig: a configuration problem refuses the start
// (the host rejects the config) with one error line naming the path and fix.
func TestStartRefusesBadConfig(t *testing.T) {
	k := getKeys(t)
	good := string(testConfig(k, "enforce", true))
	cases := []struct {
		name, cfg, wantLog string
	}{
		{"empty", "", "config: $"},
		{"not JSON", "{", "invalid JSON"},
		{"non-canonical resource", strings.Replace(good, `"`+resB+`"`, `"HTTPS://MCP-B.example.com:443/mcp"`, 1),
			`fix: use "https://mcp-b.example.com/mcp"`},
		{"unknown key", strings.Replace(good, `"mode":`, `"mdoe":"enforce","mode":`, 1), "unknown member"},
		{"duplicate key", strings.Replace(good, `"mode":`, `"mode":"report","mode":`, 1), "duplicate member"},
	}
	for _, r := range runners() {
		for _, tc := range cases {
			t.Run(r.name+"/"+tc.name, func(t *testing.T) {
				h := startHost(t, r, []byte(tc.cfg), nil, types.OnPluginStartStatusFailed)
				defer h.reset()
				logs := h.h.GetErrorLogs()
				if len(logs) != 1 || !strings.Contains(logs[0], tc.wantLog) || strings.Contains(logs[0], "\n") {
					t.Errorf("error logs %q, want one line containing %q", logs, tc.wantLog)
				}
			})
		}
	}
}

// TestCacheHitInBothRuns: the second presentation of a token is served from
// the verified-token cache, and a hit still checks the resource.
func TestCacheHitInBothRuns(t *testing.T) {
	k := getKeys(t)
	cfg := testConfig(k, "enforce", true)
	for _, r := range runners() {
		t.Run(r.name, func(t *testing.T) {
			c := &tctx{now: r.now, keys: k}
			tok := c.rs(resA, nil)
			h := startHost(t, r, cfg, nil, types.OnPluginStartStatusOK)
			defer h.reset()
			send := func(authority string) (uint32, types.Action) {
				id := h.h.InitializeHttpContext()
				act := h.h.CallOnRequestHeaders(id, [][2]string{{":method", "POST"}, {":path", "/mcp"},
					{":authority", authority}, {"authorization", "Bearer " + tok}}, true)
				var st uint32
				if lr := h.h.GetSentLocalResponse(id); lr != nil {
					st = lr.StatusCode
				}
				h.h.CompleteHttpContext(id)
				return st, act
			}
			steps := []struct {
				authority string
				status    uint32
				hit, miss uint64
			}{
				{"mcp-a.example.com", 0, 0, 1},
				{"mcp-a.example.com", 0, 1, 1},
				{"nonex.example.com", 401, 2, 1}, // hit, but the audience is re-checked
			}
			for i, s := range steps {
				st, _ := send(s.authority)
				hit, _ := h.h.GetCounterMetric(policy.CounterCacheHit)
				miss, _ := h.h.GetCounterMetric(policy.CounterCacheMiss)
				if st != s.status || hit != s.hit || miss != s.miss {
					t.Fatalf("step %d: status %d hit %d miss %d; want %d %d %d", i, st, hit, miss, s.status, s.hit, s.miss)
				}
			}
		})
	}
}

// TestRouteChangedIsCounted: a later filter changed the route after the
// decision (docs/request-flow.md#6-resource).
func TestRouteChangedIsCounted(t *testing.T) {
	k := getKeys(t)
	cfg := testConfig(k, "enforce", true)
	for _, r := range runners() {
		t.Run(r.name, func(t *testing.T) {
			c := &tctx{now: r.now, keys: k}
			h := startHost(t, r, cfg, map[string]string{"route": "route_tools"}, types.OnPluginStartStatusOK)
			defer h.reset()
			for i, newRoute := range []string{"route_tools", "route_other"} {
				id := h.h.InitializeHttpContext()
				act := h.h.CallOnRequestHeaders(id, [][2]string{{":method", "POST"}, {":path", "/tools"},
					{":authority", "mcp-a.example.com"}, {"authorization", "Bearer " + c.rs(resTools, nil)}}, true)
				if act != types.ActionContinue {
					t.Fatalf("request %d not allowed", i)
				}
				if err := h.h.SetProperty([]string{"xds", "route_name"}, []byte(newRoute)); err != nil {
					t.Fatal(err)
				}
				h.h.CallOnResponseHeaders(id, [][2]string{{":status", "200"}}, false)
				h.h.CompleteHttpContext(id)
				got, _ := h.h.GetCounterMetric(policy.CounterRouteChanged)
				if want := uint64(i); got != want {
					t.Fatalf("after response %d: route_changed = %d, want %d", i, got, want)
				}
			}
		})
	}
}

// TestSharedDataAcrossPluginStarts: with shared_cache_slots set, a token
// verified under one plugin context is served to a fresh one (a new VM's
// view, empty local cache) from the host's shared data, without a signature
// check; without it, the fresh context verifies again.
func TestSharedDataAcrossPluginStarts(t *testing.T) {
	k := getKeys(t)
	for _, slots := range []int{0, 256} {
		var cfg map[string]any
		if err := json.Unmarshal(testConfig(k, "enforce", true), &cfg); err != nil {
			t.Fatal(err)
		}
		cfg["shared_cache_slots"] = slots
		cfgJSON := mustJSON(cfg)
		for _, r := range runners() {
			t.Run(fmt.Sprintf("%s/slots=%d", r.name, slots), func(t *testing.T) {
				c := &tctx{now: r.now, keys: k}
				tok := c.rs(resA, nil)
				h := startHost(t, r, cfgJSON, nil, types.OnPluginStartStatusOK)
				defer h.reset()
				send := func() {
					id := h.h.InitializeHttpContext()
					if act := h.h.CallOnRequestHeaders(id, [][2]string{{":method", "POST"}, {":path", "/mcp"},
						{":authority", "mcp-a.example.com"}, {"authorization", "Bearer " + tok}}, true); act != types.ActionContinue {
						t.Fatalf("request not allowed")
					}
					h.h.CompleteHttpContext(id)
				}
				send()
				if got := h.h.StartPlugin(); got != types.OnPluginStartStatusOK { // a new engine, empty local cache
					t.Fatalf("restart: %v", got)
				}
				send()
				miss, _ := h.h.GetCounterMetric(policy.CounterCacheMiss)
				sh, _ := h.h.GetCounterMetric(policy.CounterCacheShared)
				wantMiss, wantShared := uint64(1), uint64(1)
				if slots == 0 {
					wantMiss, wantShared = 2, 0
				}
				if miss != wantMiss || sh != wantShared {
					t.Fatalf("cache.miss %d cache.shared %d; want %d %d", miss, sh, wantMiss, wantShared)
				}
			})
		}
	}
}
