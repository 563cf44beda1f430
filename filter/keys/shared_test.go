package keys

import (
	"strings"
	"testing"
	"time"
)

const (
	ctlKey = prefix + "jwks/0/ctl"
	setKey = prefix + "jwks/0/set"
)

// TestTwoVMsOneFetch: two VMs over one store make one call for the first fetch and one for
// each refresh, and both use the new keys after their tick.
func TestTwoVMsOneFetch(t *testing.T) {
	for _, envoy := range []bool{false, true} {
		c := &clock{t: t0}
		store := newMapStore()
		store.envoy = envoy
		a := newVM(t, c, store, 1, remoteIssuer(nil), nil)
		b := newVM(t, c, store, 2, remoteIssuer(nil), nil)
		a.tick()
		b.tick()
		if a.calls+b.calls != 1 || a.calls != 1 {
			t.Fatalf("first fetch: %d + %d calls", a.calls, b.calls)
		}
		c.add(300 * time.Millisecond)
		a.respond(200, jwks(ecJWK(t, 0, "k1", nil)))
		if !a.has("k1") || b.has("k1") {
			t.Fatal("before b's tick")
		}
		b.tick()
		if !b.has("k1") || b.stats().FetchedKeys != 1 || b.stats().FetchesOK != 0 {
			t.Fatalf("b after its tick: %+v", b.stats())
		}

		// The refresh: both VMs are due at the same time; whichever ticks first fetches.
		c.add(600 * time.Second)
		b.tick()
		a.tick()
		if a.calls != 1 || b.calls != 1 {
			t.Fatalf("refresh: a %d calls, b %d calls; want one new call in all", a.calls, b.calls)
		}
		b.respond(200, jwks(ecJWK(t, 1, "k2", nil)))
		a.tick()
		for _, v := range []*vm{a, b} {
			if v.has("k1") || !v.has("k2") {
				t.Fatal("a VM does not use the refreshed keys")
			}
		}
		// An unknown kid on each VM: one refetch for the proxy; both requests wait for it.
		c.add(time.Minute)
		if m := a.miss(1, true); m != MissWait {
			t.Fatalf("%v", m)
		}
		if m := b.miss(1, true); m != MissWait {
			t.Fatalf("%v", m)
		}
		if a.calls+b.calls != 3 {
			t.Fatalf("unknown kid on two VMs made %d calls in all, want 3", a.calls+b.calls)
		}
		a.respond(200, jwks(ecJWK(t, 2, "k3", nil)))
		if len(a.woken) != 1 || len(b.woken) != 0 {
			t.Fatal("a's waiter")
		}
		b.tick()
		if len(b.woken) != 1 || !b.has("k3") {
			t.Fatal("b's waiter is woken on b's tick, with the new keys")
		}
	}
}

// TestOtherVMsFailureWakesWaiters: a request waiting on VM b for VM a's fetch is woken when
// that fetch fails, and then decided at once.
func TestOtherVMsFailureWakesWaiters(t *testing.T) {
	c := &clock{t: t0}
	store := newMapStore()
	a := newVM(t, c, store, 1, remoteIssuer(nil), nil)
	b := newVM(t, c, store, 2, remoteIssuer(nil), nil)
	a.tick()
	b.tick()
	if m := b.miss(9, true); m != MissWait || b.calls != 0 {
		t.Fatalf("%v %d", m, b.calls)
	}
	a.respond(500, nil)
	b.tick()
	if len(b.woken) != 1 || b.miss(9, false) != MissUnavailable {
		t.Fatalf("woken %v", b.woken)
	}
	// b follows the shared backoff: the retry is one call, 1 s later, by whoever ticks first.
	c.add(time.Second)
	b.tick()
	a.tick()
	if a.calls+b.calls != 2 || b.calls != 1 {
		t.Fatalf("retry: %d + %d calls", a.calls, b.calls)
	}
}

// TestLeaseTakeover: a VM that took the lease and never answers (gone) holds it until the
// timeout and margin; then another VM takes it over and fetches.
func TestLeaseTakeover(t *testing.T) {
	c := &clock{t: t0}
	store := newMapStore()
	a := newVM(t, c, store, 1, remoteIssuer(nil), nil)
	b := newVM(t, c, store, 2, remoteIssuer(nil), nil)
	a.tick() // a takes the lease and is never heard of again
	c.add(4*time.Second - time.Millisecond)
	b.tick()
	if b.calls != 0 {
		t.Fatal("b fetched while a's lease was live")
	}
	c.add(time.Millisecond)
	b.tick()
	if b.calls != 1 {
		t.Fatal("b did not take over the expired lease")
	}
	b.respond(200, jwks(ecJWK(t, 0, "k1", nil)))
	if !b.has("k1") {
		t.Fatal("b")
	}
	// a comes back late: its own guard fails its fetch, and it leaves b's schedule alone.
	ctlBefore := string(store.m[ctlKey])
	a.tick()
	if a.stats().FetchesFailed != 1 || string(store.m[ctlKey]) != ctlBefore || !a.has("k1") {
		t.Fatalf("a after the takeover: %+v", a.stats())
	}
}

// TestNewerGenerationOnTick: each published set is taken on the next tick, and only once.
func TestNewerGenerationOnTick(t *testing.T) {
	c := &clock{t: t0}
	store := newMapStore()
	a := started(t, c, store, jwks(ecJWK(t, 0, "k1", nil)), nil)
	b := newVM(t, c, store, 2, remoteIssuer(nil), nil)
	b.tick() // a VM that starts later takes the published set at once and does not fetch
	if !b.has("k1") || b.calls != 0 {
		t.Fatal("late VM")
	}
	gen := func() uint64 { g, _, _, _ := decodeSet(store.m[setKey]); return g }
	if gen() != 1 {
		t.Fatalf("generation %d", gen())
	}
	for i, kid := range []string{"k2", "k3"} {
		c.add(10 * time.Minute)
		a.tick()
		a.respond(200, jwks(ecJWK(t, i+1, kid, nil)))
		if gen() != uint64(i+2) {
			t.Fatalf("generation %d", gen())
		}
		gets := store.gets
		b.tick()
		if !b.has(kid) || store.gets-gets != 2 {
			t.Fatalf("b did not take generation %d with one read of each entry (%d reads)", gen(), store.gets-gets)
		}
	}
	// A tick without a new generation reads the control entry only.
	gets := store.gets
	b.tick()
	if store.gets-gets != 1 {
		t.Fatalf("a quiet tick made %d reads, want 1", store.gets-gets)
	}
	// The shared fetch time is the last good fetch on every VM.
	c.add(30 * time.Second)
	if a.stats().SinceGoodFetch != 30 || b.stats().SinceGoodFetch != 30 {
		t.Fatalf("since good fetch: %d, %d", a.stats().SinceGoodFetch, b.stats().SinceGoodFetch)
	}
}

// TestStaleSharedSet: a VM that starts after the published set passed jwks_max_stale_seconds
// takes it while no attempt to replace it has failed; once one that started past the bound
// fails (made by another VM), every VM drops it, and a VM starting then does not take it.
func TestStaleSharedSet(t *testing.T) {
	c := &clock{t: t0}
	store := newMapStore()
	mut := func(r *Remote) { r.RefreshSeconds, r.MaxStaleSeconds = 60, 60 }
	a := started(t, c, store, jwks(ecJWK(t, 0, "k1", nil)), mut)
	c.add(59 * time.Second)
	a.tick()
	c.add(2 * time.Second)
	b := newVM(t, c, store, 2, remoteIssuer(mut), nil)
	b.tick() // b takes the set, and the refresh (due at 60 s) is its to make
	if !b.has("k1") || b.stats().SinceGoodFetch != 61 || b.calls != 1 {
		t.Fatalf("a set past the bound, not yet replaced, not taken: keys %v, calls %d", b.has("k1"), b.calls)
	}
	a.tick() // b's fetch holds the lease
	if !a.has("k1") || a.calls != 1 {
		t.Fatal("a dropped the set, or fetched, while b's attempt was in flight")
	}
	c.add(100 * time.Millisecond)
	b.respond(500, nil)
	if b.has("k1") {
		t.Fatal("b kept the set after its attempt past the bound failed")
	}
	a.tick()
	if a.has("k1") {
		t.Fatal("a kept the set after b's attempt past the bound failed")
	}
	late := newVM(t, c, store, 3, remoteIssuer(mut), nil)
	late.tick()
	if late.has("k1") {
		t.Fatal("a VM starting after the failed attempt took the stale set")
	}
}

// TestPlantedSharedEntry: whatever another module writes into the shared entries, a VM keeps
// its good keys unless the entry is a set that passes ParseSet, and is not stopped from
// fetching for longer than its own configuration allows.
func TestPlantedSharedEntry(t *testing.T) {
	testKeys(t)
	bad := []struct {
		name string
		set  []byte // the planted set entry; nil: leave it
		warn string
	}{
		{"garbage", []byte("garbage"), "the shared entry does not match"},
		{"wrong generation", encodeSet(7, t0.UnixMilli(), jwks(ecJWK(t, 1, "evil", nil))), "the shared entry does not match"},
		{"not a JWK Set", encodeSet(2, t0.UnixMilli(), []byte(`{"keys":`)), "not a JWK Set"},
		{"oct key", encodeSet(2, t0.UnixMilli(), jwks(octJWK("evil"))), "no usable key"},
		{"private key", encodeSet(2, t0.UnixMilli(), jwks(ecJWK(t, 1, "evil", map[string]any{"d": "x"}))), "no usable key"},
		{"weak RSA", encodeSet(2, t0.UnixMilli(), jwks(rsaJWK(t, true, "evil"))), "no usable key"},
		{"duplicate kid", encodeSet(2, t0.UnixMilli(), jwks(ecJWK(t, 1, "evil", nil), ecJWK(t, 2, "evil", nil))), "two keys share a kid"},
		{"duplicate member", encodeSet(2, t0.UnixMilli(), []byte(`{"keys":[],"keys":[`+ecJWK(t, 1, "evil", nil)+`]}`)), "duplicate JSON member"},
		{"oversized", encodeSet(2, t0.UnixMilli(), append(jwks(ecJWK(t, 1, "evil", nil)), make([]byte, MaxBodyBytes)...)), "body larger than"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{t: t0}
			store := newMapStore()
			a := started(t, c, store, jwks(ecJWK(t, 0, "k1", nil)), nil)
			b := newVM(t, c, store, 2, remoteIssuer(nil), nil)
			b.tick()
			c.add(time.Second)
			store.plant(setKey, tc.set)
			ctl, _ := decodeControl(store.m[ctlKey])
			ctl.gen = 2
			store.plant(ctlKey, ctl.encode())
			reads := store.gets
			for _, v := range []*vm{a, b} {
				v.tick()
				v.tick()
				if !v.has("k1") || v.has("evil") || v.stats().FetchedKeys != 1 {
					t.Fatal("a refused entry changed the keys")
				}
				if len(v.warns) != 1 || !strings.Contains(v.warns[0], "shared JWK Set refused: issuer \"corp\": "+tc.warn) {
					t.Fatalf("warnings %q", v.warns)
				}
			}
			if store.gets-reads != 6 { // per VM: ctl + set, then ctl only
				t.Fatalf("%d reads: a refused generation is read again", store.gets-reads)
			}
			// The next real fetch publishes a generation past the planted one.
			c.add(10 * time.Minute)
			a.tick()
			a.respond(200, jwks(ecJWK(t, 2, "k2", nil)))
			b.tick()
			if !b.has("k2") {
				t.Fatal("b did not take the next good set")
			}
		})
	}

	t.Run("a planted good set is used", func(t *testing.T) {
		// Shared data is trusted as far as the vm_id is: a well-formed set is taken (doc.go).
		c := &clock{t: t0}
		store := newMapStore()
		a := started(t, c, store, jwks(ecJWK(t, 0, "k1", nil)), nil)
		store.plant(setKey, encodeSet(9, t0.UnixMilli(), jwks(ecJWK(t, 1, "other", nil))))
		ctl, _ := decodeControl(store.m[ctlKey])
		ctl.gen = 9
		store.plant(ctlKey, ctl.encode())
		a.tick()
		if !a.has("other") {
			t.Fatal("well-formed shared set refused")
		}
	})

	t.Run("lease held forever", func(t *testing.T) {
		c := &clock{t: t0}
		store := newMapStore()
		a := started(t, c, store, jwks(ecJWK(t, 0, "k1", nil)), nil)
		c.add(10 * time.Minute)
		store.plant(ctlKey, (&control{owner: 99, startedAt: c.t.UnixMilli(), expiresAt: c.t.Add(1000 * time.Hour).UnixMilli(),
			nextAt: c.t.Add(1000 * time.Hour).UnixMilli(), gen: 1}).encode())
		a.tick()
		if a.calls != 1 {
			t.Fatal("fetched under a live lease")
		}
		c.add(4 * time.Second) // no lease outlives start + timeout + margin
		a.tick()
		if a.calls != 2 {
			t.Fatal("a planted lease stopped the refresh")
		}
	})

	t.Run("start in the future", func(t *testing.T) {
		c := &clock{t: t0}
		store := newMapStore()
		a := started(t, c, store, jwks(ecJWK(t, 0, "k1", nil)), nil)
		c.add(time.Minute)
		store.plant(ctlKey, (&control{owner: 99, startedAt: c.t.Add(1000 * time.Hour).UnixMilli(),
			expiresAt: c.t.Add(1000 * time.Hour).UnixMilli(), nextAt: c.t.Add(time.Minute).UnixMilli(), gen: 1}).encode())
		if m := a.miss(1, true); m != MissWait || a.calls != 2 {
			t.Fatalf("a future start blocked the unknown-kid refetch: %v %d", m, a.calls)
		}
	})

	t.Run("control garbage", func(t *testing.T) {
		c := &clock{t: t0}
		store := newMapStore()
		a := started(t, c, store, jwks(ecJWK(t, 0, "k1", nil)), nil)
		store.plant(ctlKey, []byte("garbage"))
		a.tick()
		if !a.has("k1") || a.calls != 2 {
			t.Fatalf("garbage control entry: keys %v, calls %d (an unreadable entry is absent: fetch)", a.has("k1"), a.calls)
		}
		a.respond(200, jwks(ecJWK(t, 1, "k2", nil)))
		if !a.has("k2") {
			t.Fatal("k2")
		}
	})
}

// TestOtherConfiguration: entries under another prefix are never read.
func TestOtherConfiguration(t *testing.T) {
	c := &clock{t: t0}
	store := newMapStore()
	started(t, c, store, jwks(ecJWK(t, 0, "k1", nil)), nil)
	b := newVM(t, c, store, 2, remoteIssuer(nil), func(o *Options) { o.Prefix = "audguard/fedcba9876543210/" })
	b.tick()
	if b.has("k1") || b.calls != 1 {
		t.Fatal("another configuration's set was used")
	}
}

func TestRecordsRoundTrip(t *testing.T) {
	c := control{owner: 1, startedAt: 2, expiresAt: 3, nextAt: 4, failures: 5, gen: 6, fetchedAt: 7}
	if got, ok := decodeControl(c.encode()); !ok || got != c {
		t.Fatal(got)
	}
	if _, ok := decodeControl(append(c.encode(), 0)); ok {
		t.Fatal("long control")
	}
	g, f, b, ok := decodeSet(encodeSet(8, 9, []byte("{}")))
	if !ok || g != 8 || f != 9 || string(b) != "{}" {
		t.Fatal("set")
	}
	if _, _, _, ok := decodeSet([]byte("AGS")); ok {
		t.Fatal("short set")
	}
}

// TestWaitersMoveToTheNextFetch: requests on b waiting for a's fetch, which a never finishes,
// wait for the fetch b starts once a's lease has expired, and are woken when it ends.
func TestWaitersMoveToTheNextFetch(t *testing.T) {
	c := &clock{t: t0}
	store := newMapStore()
	mut := func(r *Remote) { r.TimeoutMS, r.RefetchMinSeconds = 10000, 5 }
	a := newVM(t, c, store, 1, remoteIssuer(mut), nil)
	b := newVM(t, c, store, 2, remoteIssuer(mut), nil)
	a.tick()
	if m := b.miss(1, true); m != MissWait {
		t.Fatalf("%v", m)
	}
	c.add(12 * time.Second) // a's lease (10 s + 2 s) has expired; b has not ticked yet
	if m := b.miss(2, true); m != MissWait || b.calls != 1 {
		t.Fatalf("%v, %d calls", m, b.calls)
	}
	b.tick()
	if len(b.woken) != 0 {
		t.Fatalf("woken %v while b's own fetch is in flight", b.woken)
	}
	b.respond(200, jwks(ecJWK(t, 0, "k1", nil)))
	if len(b.woken) != 2 || !b.has("k1") {
		t.Fatalf("woken %v", b.woken)
	}
}

// A VM that has not ticked since another VM's fetch takes the published set
// when a request meets a kid it does not know (CatchUp), instead of
// answering unknown_key for a key the proxy already has.
func TestCatchUpBeforeTheTick(t *testing.T) {
	c := &clock{t: t0}
	store := newMapStore()
	a := newVM(t, c, store, 1, remoteIssuer(nil), nil)
	b := newVM(t, c, store, 2, remoteIssuer(nil), nil)
	a.tick()
	a.respond(200, jwks(ecJWK(t, 0, "k1", nil)))
	b.tick()
	c.add(600 * time.Second)
	a.tick()
	a.respond(200, jwks(ecJWK(t, 0, "k1", nil), ecJWK(t, 1, "k2", nil)))
	if b.has("k2") {
		t.Fatal("b has k2 before catching up")
	}
	if acts := b.s.CatchUp(c.t, 0); len(acts) != 0 || !b.has("k2") {
		t.Fatalf("after CatchUp: has k2 %v, actions %v", b.has("k2"), acts)
	}
	if acts := b.s.CatchUp(c.t, 0); len(acts) != 0 {
		t.Fatalf("a second CatchUp with nothing new acted: %v", acts)
	}
}
