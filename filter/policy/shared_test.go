package policy

import (
	"testing"
	"time"
)

// mapStore is an in-memory SharedStore with proxy-wasm's CAS semantics.
type mapStore struct {
	m   map[string][]byte
	cas map[string]uint32
}

func newMapStore() *mapStore { return &mapStore{m: map[string][]byte{}, cas: map[string]uint32{}} }

func (s *mapStore) Get(key string) ([]byte, uint32, bool) {
	v, ok := s.m[key]
	return v, s.cas[key], ok
}

func (s *mapStore) Set(key string, value []byte, cas uint32) bool {
	if cas != 0 && cas != s.cas[key] {
		return false
	}
	s.m[key] = append([]byte(nil), value...)
	s.cas[key]++
	return true
}

func TestSharedDataServesOtherVMsWithoutSignatureCheck(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	shared := func(m map[string]any) { m["shared_cache_slots"] = 64 }
	store := newMapStore()
	vm1 := New(loadConfig(t, shared), Options{Now: c.now, Shared: store})
	var steps []string
	vm2 := New(loadConfig(t, shared), Options{Now: c.now, Shared: store, Trace: func(s Step) { steps = append(steps, s.Name) }})

	tok := token(t, c.t, resA, nil)
	if d := vm1.Decide(request(authA, tok)); d.Outcome != OutcomeAllowed || d.Cache != CacheMiss {
		t.Fatalf("vm1: %v %v", d.Outcome, d.Cache)
	}
	if len(store.m) != 1 {
		t.Fatalf("shared store has %d entries after one verification", len(store.m))
	}
	d := vm2.Decide(request(authA, tok))
	if d.Outcome != OutcomeAllowed || d.Cache != CacheShared {
		t.Fatalf("vm2: %v %v, want allowed from shared data", d.Outcome, d.Cache)
	}
	for _, s := range steps {
		if s == "signature" || s == "key" {
			t.Errorf("vm2 checked the %s; a shared hit must not", s)
		}
	}
	// vm2 now has it locally; and the audience is still checked per resource.
	if d := vm2.Decide(request(authB, tok)); d.Cache != CacheHit || d.Reason != ReasonWrongAudience {
		t.Fatalf("vm2 at B: %v %v", d.Cache, d.Reason)
	}

	// Another configuration never reads these entries.
	vm3 := New(loadConfig(t, func(m map[string]any) { shared(m); m["clock_skew_seconds"] = 30 }), Options{Now: c.now, Shared: store})
	if d := vm3.Decide(request(authA, tok)); d.Cache != CacheMiss {
		t.Fatalf("other configuration read a shared entry: %v", d.Cache)
	}

	// A corrupted entry is ignored (digest or claims no longer check out).
	store2 := newMapStore()
	w := New(loadConfig(t, shared), Options{Now: c.now, Shared: store2})
	w.Decide(request(authA, tok))
	for k, v := range store2.m {
		v[10] ^= 1 // inside the digest
		store2.m[k] = v
	}
	r := New(loadConfig(t, shared), Options{Now: c.now, Shared: store2})
	if d := r.Decide(request(authA, tok)); d.Cache != CacheMiss || d.Outcome != OutcomeAllowed {
		t.Fatalf("corrupted entry: %v %v", d.Cache, d.Outcome)
	}

	// Expired entries are not served.
	c.t = c.t.Add(time.Hour)
	vm4 := New(loadConfig(t, shared), Options{Now: c.now, Shared: store})
	if d := vm4.Decide(request(authA, tok)); d.Cache != CacheMiss || d.Reason != ReasonExpired {
		t.Fatalf("expired shared entry: %v %v", d.Cache, d.Reason)
	}
}

func TestSharedDataOffByDefault(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	store := newMapStore()
	e := New(loadConfig(t, nil), Options{Now: c.now, Shared: store})
	e.Decide(request(authA, token(t, c.t, resA, nil)))
	if len(store.m) != 0 {
		t.Fatalf("shared data written without shared_cache_slots")
	}
}
