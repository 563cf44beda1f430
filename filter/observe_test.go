package main

import (
	"testing"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

// Contract §7 in both runs: per-resource counters defined on first use, and
// the access-log properties of each decided request.
func TestObservability(t *testing.T) {
	k := getKeys(t)
	for _, r := range runners() {
		t.Run(r.name, func(t *testing.T) {
			c := &tctx{now: r.now, keys: k}
			h := startHost(t, r, testConfig(k, "enforce", false), nil, types.OnPluginStartStatusOK)
			defer h.reset()
			const perA = "audguard.resource.mcp_a_example_com_mcp."
			if _, err := h.h.GetCounterMetric(perA + "allowed"); err == nil {
				t.Fatalf("per-resource counter defined before first use")
			}
			send := func(authority, tok string) {
				id := h.h.InitializeHttpContext()
				h.h.CallOnRequestHeaders(id, [][2]string{{":method", "POST"}, {":path", "/mcp"},
					{":authority", authority}, {"host", authority}, {"authorization", "Bearer " + tok}}, true)
				h.h.CompleteHttpContext(id)
			}
			// The emulator keeps properties across streams (Envoy keeps them
			// per stream); one not set reads as "-", as %FILTER_STATE% prints it.
			prop := func(name string) string {
				v, err := h.h.GetProperty([]string{name})
				if err != nil {
					return "-"
				}
				return string(v)
			}

			send("mcp-a.example.com", c.rs(resA, nil))
			if got := [3]string{prop("audguard_outcome"), prop("audguard_reason"), prop("audguard_resource")}; got != [3]string{"allowed", "-", "mcp_a_example_com_mcp"} {
				t.Errorf("properties after allow: %q", got)
			}
			send("mcp-a.example.com", c.rs(resB, nil))
			send("mcp-a.example.com", c.rs(resB, nil))
			if got := [3]string{prop("audguard_outcome"), prop("audguard_reason"), prop("audguard_resource")}; got != [3]string{"denied", "wrong_audience", "mcp_a_example_com_mcp"} {
				t.Errorf("properties after deny: %q", got)
			}
			send("elsewhere.example.net", c.rs(resA, nil))
			if got := [2]string{prop("audguard_outcome"), prop("audguard_reason")}; got != [2]string{"denied", "unmatched_resource"} {
				t.Errorf("properties after unmatched: %q", got)
			}
			for name, want := range map[string]uint64{perA + "allowed": 1, perA + "denied.wrong_audience": 2} {
				if v, err := h.h.GetCounterMetric(name); err != nil || v != want {
					t.Errorf("%s = %d (%v), want %d", name, v, err, want)
				}
			}
		})
	}
}
