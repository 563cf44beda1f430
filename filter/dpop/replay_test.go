package dpop

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"
)

func newReplaySet(t testing.TB, cfg ReplayConfig) *ReplaySet {
	t.Helper()
	r, err := NewReplaySet(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// key returns a distinct replay key for i.
func key(i int) [32]byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	return sha256.Sum256(b[:])
}

func TestReplayWindow(t *testing.T) {
	testKeys(t)
	v := newVerifier(t, Config{})
	r := newReplaySet(t, ReplayConfig{})
	proof := mint(t, spec{})
	p, err := v.Verify(proof, baseReq, t0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Seen(&p, t0) {
		t.Fatal("first use reported as a replay")
	}
	steps := []struct {
		at     time.Duration
		replay bool
	}{
		{0, true},
		{time.Second, true},
		{DefaultMaxAge - time.Millisecond, true},
		{DefaultMaxAge, false}, // ReplayUntil: Verify refuses the proof by its iat from here on
		{DefaultMaxAge + time.Second, false},
	}
	for _, s := range steps {
		now := t0.Add(s.at)
		if _, err := v.Verify(proof, baseReq, now); s.at > DefaultMaxAge && err != ErrIssuedAt {
			t.Errorf("at +%v: Verify = %v, want ErrIssuedAt", s.at, err)
		}
		if got := r.Seen(&p, now); got != s.replay {
			t.Errorf("at +%v: Seen = %v, want %v", s.at, got, s.replay)
		}
	}
	// The same jti from another key, or for another target, is not a replay.
	jtiText := string(p.JTI) // p.JTI lives only until the Verifier's next Verify
	jti := func(m map[string]any) { m["jti"] = jtiText }
	for name, s := range map[string]spec{
		"same jti, other key":    {key: p256b, claims: jti},
		"same jti, other target": {claims: func(m map[string]any) { jti(m); m["htu"] = "https://mcp.example.com/other" }},
	} {
		req := baseReq
		if strings.Contains(name, "target") {
			req.Target = "https://mcp.example.com/other"
		}
		q, err := v.Verify(mint(t, s), req, t0)
		if err != nil {
			t.Fatal(name, err)
		}
		if r.Seen(&q, t0) {
			t.Errorf("%s: reported as a replay", name)
		}
	}
	if st := r.Stats(); st.Replays != 3 || st.Dropped != 0 || st.Entries != 3 {
		t.Errorf("stats %+v", st)
	}
	// Expired entries are reclaimed, not dropped.
	r.SeenKey(key(99), t0.Add(2*DefaultMaxAge+time.Second), t0.Add(2*DefaultMaxAge))
	if st := r.Stats(); st.Entries != 1 || st.Dropped != 0 {
		t.Errorf("after expiry: %+v", st)
	}
	// A proof already past its window is not remembered.
	if r.SeenKey(key(100), t0, t0) || r.SeenKey(key(100), t0, t0) {
		t.Error("expired proof remembered")
	}
}

// TestReplayBounded: the per-VM set never holds more than Capacity entries; unexpired entries
// dropped to make room are counted, and the newest are still detected.
func TestReplayBounded(t *testing.T) {
	r := newReplaySet(t, ReplayConfig{Capacity: 16})
	until := t0.Add(time.Minute)
	for i := 0; i < 100; i++ {
		if r.SeenKey(key(i), until, t0) {
			t.Fatalf("key %d reported as a replay", i)
		}
	}
	st := r.Stats()
	if st.Entries != 16 || st.Dropped != 84 {
		t.Fatalf("stats %+v, want 16 entries, 84 dropped", st)
	}
	for i := 84; i < 100; i++ {
		if !r.SeenKey(key(i), until, t0) {
			t.Errorf("key %d forgotten", i)
		}
	}
	if r.SeenKey(key(0), until, t0) { // dropped: it can be replayed, which Dropped reports
		t.Error("dropped key still known")
	}
	// Churn through expiring entries: the index stays consistent (every live key found, no
	// growth), and entries that expired are never counted as dropped.
	r = newReplaySet(t, ReplayConfig{Capacity: 64})
	now := t0
	for i := 0; i < 20000; i++ {
		now = now.Add(10 * time.Millisecond)
		if r.SeenKey(key(i), now.Add(500*time.Millisecond), now) {
			t.Fatalf("key %d: replay", i)
		}
		if i >= 10 && !r.SeenKey(key(i-10), now.Add(time.Second), now) {
			t.Fatalf("key %d forgotten within its window", i-10)
		}
	}
	if st := r.Stats(); st.Dropped != 0 || st.Entries > 64 {
		t.Errorf("churn stats %+v", st)
	}
}

// TestReplayShared: two VMs sharing one store detect each other's proofs, under both CAS
// semantics; the shared slots are bounded, oldest dropped first and counted.
func TestReplayShared(t *testing.T) {
	for _, envoy := range []bool{false, true} {
		store := newMapStore()
		store.envoy = envoy
		cfg := ReplayConfig{Shared: store, Prefix: "audguard/x/dpop/", SharedSlots: 64}
		vm1, vm2 := newReplaySet(t, cfg), newReplaySet(t, cfg)
		until := t0.Add(time.Minute)
		for i := 0; i < 20; i++ {
			if vm1.SeenKey(key(i), until, t0) {
				t.Fatalf("envoy=%v: key %d replay at first use", envoy, i)
			}
		}
		for i := 0; i < 20; i++ {
			if !vm2.SeenKey(key(i), until, t0) {
				t.Errorf("envoy=%v: vm2 missed vm1's key %d", envoy, i)
			}
		}
		if st := vm2.Stats(); st.SharedReplays != 20 || st.Replays != 20 {
			t.Errorf("envoy=%v: vm2 %+v", envoy, st)
		}
		// Both VMs use the one salt.
		if string(vm1.salt) != string(vm2.salt) || len(vm1.salt) != SecretSize {
			t.Errorf("envoy=%v: salts differ", envoy)
		}
		// Entries expire with their proofs.
		later := t0.Add(2 * time.Minute)
		if vm2.SeenKey(key(1000), later.Add(time.Minute), later) || !vm1.SeenKey(key(1000), later.Add(time.Minute), later) {
			t.Errorf("envoy=%v: key 1000", envoy)
		}
		if len(store.m) > 1+64 {
			t.Errorf("envoy=%v: %d shared keys", envoy, len(store.m))
		}

		// Four slots of SlotEntries hold at most 32 of 50 proofs; what does not fit was
		// dropped, oldest first, and counted.
		store = newMapStore()
		store.envoy = envoy
		small := newReplaySet(t, ReplayConfig{Shared: store, Prefix: "p/", SharedSlots: 4})
		const n = 50
		for i := 0; i < n; i++ {
			small.SeenKey(key(i), until, t0)
		}
		held := 0
		for k, v := range store.m {
			if k != "p/replay/salt" {
				held += len(decodeSlot(v)) / replayEntryLen
			}
		}
		if st := small.Stats(); held > 4*SlotEntries || uint64(held)+st.SharedDropped != n || len(store.m) > 5 {
			t.Errorf("envoy=%v: %d held, %+v", envoy, held, st)
		}
		// The newest proof is always still there.
		other := newReplaySet(t, ReplayConfig{Shared: store, Prefix: "p/", SharedSlots: 4})
		if !other.SeenKey(key(n-1), until, t0) {
			t.Errorf("envoy=%v: newest proof dropped", envoy)
		}
	}
}

func TestReplaySharedFailure(t *testing.T) {
	store := newMapStore()
	store.fail = true
	r := newReplaySet(t, ReplayConfig{Shared: store, Prefix: "p/"})
	until := t0.Add(time.Minute)
	if r.SeenKey(key(1), until, t0) || !r.SeenKey(key(1), until, t0) {
		t.Error("the per-VM set must still detect replays")
	}
	if st := r.Stats(); st.SharedFailures != 1 || st.Replays != 1 {
		t.Errorf("stats %+v", st)
	}
	// The store recovers: after saltRefresh the VM uses it again.
	store.fail = false
	if r.SeenKey(key(2), until.Add(20*time.Second), t0.Add(saltRefresh)) {
		t.Error("key 2 replay")
	}
	other := newReplaySet(t, ReplayConfig{Shared: store, Prefix: "p/"})
	if !other.SeenKey(key(2), until.Add(20*time.Second), t0.Add(saltRefresh)) {
		t.Error("after recovery the other VM must see key 2")
	}
	// A planted slot value is overwritten, never trusted.
	for k := range store.m {
		if strings.HasPrefix(k, "p/replay/") && k != "p/replay/salt" {
			store.m[k] = []byte("AGR\x01garbage")
		}
	}
	if other.SeenKey(key(3), until, t0.Add(saltRefresh)) {
		t.Error("garbage slot read as a replay")
	}
}

func TestReplayConfig(t *testing.T) {
	for _, cfg := range []ReplayConfig{
		{Capacity: 1},
		{Capacity: 1 << 20},
		{SharedSlots: -1},
		{SharedSlots: 1 << 20},
		{Shared: newMapStore()},
	} {
		if _, err := NewReplaySet(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
}
