package main

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"testing"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/filter/policy"
	"github.com/audguard/audguard/internal/mint"
	"github.com/audguard/audguard/jwtlite"
)

// TestPlantedSharedEntries: anything that can write the plugin's shared data
// (another module on the same vm_id, a host bug) can plant an entry. An entry
// only ever says "this token's signature verified"; the token is parsed
// again and must agree with it, so a planted entry cannot make a bearer
// string that is not a JWT pass, cannot choose claims, and cannot extend a
// token's life. Both runs: the entries are written into the host's shared
// data from outside the module, as an attacker would.
func TestPlantedSharedEntries(t *testing.T) {
	k := getKeys(t)
	var cfg map[string]any
	if err := json.Unmarshal(testConfig(k, "enforce", true), &cfg); err != nil {
		t.Fatal(err)
	}
	const slots = 64
	cfg["shared_cache_slots"] = slots
	cfgJSON := mustJSON(cfg)
	loaded, err := config.Load(cfgJSON)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256(cfgJSON)
	if loaded.Digest() != digest {
		t.Fatal("Plugin.Digest is not the SHA-256 of the configuration's bytes")
	}
	prefix := "audguard/" + hex.EncodeToString(digest[:12]) + "/"

	// plant writes the entry layout of filter/policy/shared.go for token.
	rsKeys, _, err := jwtlite.ParseKeySet(mint.JWKS(k.rs), nil)
	if err != nil {
		t.Fatal(err)
	}
	rsFP := [16]byte(rsKeys.Keys[0].Fingerprint()[:16])
	plant := func(t *testing.T, token string, issuerIndex uint16, expiresAt float64) {
		t.Helper()
		sum := sha256.Sum256([]byte(token))
		key := prefix + strconv.FormatUint(uint64(binary.BigEndian.Uint32(sum[:4])%slots), 10)
		v := []byte{'A', 'G', 'S', 3}
		v = append(v, sum[:]...)
		v = binary.BigEndian.AppendUint64(v, math.Float64bits(expiresAt))
		v = binary.BigEndian.AppendUint16(v, issuerIndex)
		v = append(v, rsFP[:]...) // the configured RS256 key's: an attacker can compute it from the public JWK
		_, cas, _ := proxywasm.GetSharedData(key)
		if err := proxywasm.SetSharedData(key, v, cas); err != nil {
			t.Fatalf("planting: %v", err)
		}
	}

	for _, r := range runners() {
		c := &tctx{now: r.now, keys: k}
		now := float64(r.now.Unix())
		good := c.rs(resA, nil)
		forged := c.sign(k.rsOther, c.claims(resA, nil), nil) // same kid, another key
		exp := now + 600
		skew := 60.0
		cases := []struct {
			name    string
			token   string
			issuer  uint16
			expires float64
			status  uint32
			counter string
		}{
			{"control: a consistent entry is served", good, 0, exp + skew, 0, policy.CounterCacheShared},
			{"not a JWT", "bm90LWEtand0", 0, now + 3600, 401, policy.DeniedCounter(policy.ReasonMalformedToken)},
			{"NaN expiry", forged, 0, math.NaN(), 401, policy.DeniedCounter(policy.ReasonBadSignature)},
			{"+Inf expiry", forged, 0, math.Inf(1), 401, policy.DeniedCounter(policy.ReasonBadSignature)},
			{"expiry beyond exp+skew", forged, 0, exp + skew + 1, 401, policy.DeniedCounter(policy.ReasonBadSignature)},
			{"another issuer's index", forged, 1, exp + skew, 401, policy.DeniedCounter(policy.ReasonBadSignature)},
			{"issuer index out of range", forged, 9, exp + skew, 401, policy.DeniedCounter(policy.ReasonBadSignature)},
		}
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s/%s", r.name, tc.name), func(t *testing.T) {
				h := startHost(t, r, cfgJSON, nil, types.OnPluginStartStatusOK)
				defer h.reset()
				plant(t, tc.token, tc.issuer, tc.expires)
				id := h.h.InitializeHttpContext()
				act := h.h.CallOnRequestHeaders(id, [][2]string{{":method", "POST"}, {":path", "/mcp"},
					{":authority", "mcp-a.example.com"}, {"authorization", "Bearer " + tc.token}}, true)
				local := h.h.GetSentLocalResponse(id)
				switch {
				case tc.status == 0 && (act != types.ActionContinue || local != nil):
					t.Fatalf("want allowed; got action %v, local %v", act, local)
				case tc.status != 0 && (local == nil || local.StatusCode != tc.status):
					t.Fatalf("want %d; got action %v, local %+v", tc.status, act, local)
				}
				if v, err := h.h.GetCounterMetric(tc.counter); err != nil || v != 1 {
					t.Errorf("counter %s = %d (%v), want 1; counters %v", tc.counter, v, err, h.counters(policy.CounterNames()))
				}
			})
		}
	}
}
