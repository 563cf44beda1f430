package keys

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/audguard/audguard/jwtlite"
)

// remoteIssuer is issuer "corp" with only a jwks_uri.
func remoteIssuer(mut func(*Remote)) Issuer { return Issuer{Remote: remoteCfg(mut)} }

// started returns a VM that has made its first fetch (answered with body, status 200) at t0.
func started(t *testing.T, c *clock, store SharedStore, body []byte, mut func(*Remote)) *vm {
	t.Helper()
	v := newVM(t, c, store, 1, remoteIssuer(mut), nil)
	v.tick()
	v.respond(200, body)
	if v.stats().FetchesOK != 1 {
		t.Fatalf("first fetch not good: %v", v.warns)
	}
	return v
}

func TestFetchRequest(t *testing.T) {
	c := &clock{t: t0}
	v := newVM(t, c, nil, 1, remoteIssuer(func(r *Remote) { r.TimeoutMS = 1500 }), nil)
	v.tick()
	if len(v.fetches) != 1 {
		t.Fatalf("plugin start made %d fetches, want 1", len(v.fetches))
	}
	f := v.fetches[0].Fetch
	if f.Cluster != "idp" || f.TimeoutMS != 1500 || f.Seq == 0 {
		t.Fatalf("fetch %+v", f)
	}
	want, _ := FetchHeaders("https://idp.example.com/.well-known/jwks.json")
	if len(f.Headers) != len(want) || f.Headers[2] != want[2] {
		t.Fatalf("headers %v", f.Headers)
	}
	v.tick() // a fetch in flight is not repeated
	if v.calls != 1 {
		t.Fatalf("%d calls", v.calls)
	}
}

// TestFirstFetch: the outcomes of the first fetch. A failure leaves the issuer without keys,
// warns with the issuer, the failure and "never", and retries after 1 s.
func TestFirstFetch(t *testing.T) {
	testKeys(t)
	good := jwks(ecJWK(t, 0, "k1", nil))
	cases := []struct {
		name   string
		status int
		body   []byte
		noResp bool   // no response: the tick gives up after timeout + margin
		warn   string // "" for a good fetch
	}{
		{"ok", 200, good, false, ""},
		{"500", 500, []byte(`{"error":"x"}`), false, "status 500"},
		{"timeout (empty response)", 0, nil, false, "no response"},
		{"timeout (no callback)", 0, nil, true, "no response within 2000 ms"},
		{"oversized", 200, append(good, bytes.Repeat([]byte(" "), MaxBodyBytes)...), false, "larger than 262144"},
		{"bad JSON", 200, []byte(`{"keys":[`), false, "not a JWK Set"},
		{"duplicate members", 200, []byte(`{"keys":[],"keys":[]}`), false, "duplicate JSON member"},
		{"only unusable keys", 200, jwks(rsaJWK(t, true, "w")), false, "no usable key"},
		{"only oct keys", 200, jwks(`{"kty":"oct","kid":"h","alg":"HS256"}`), false, "no usable key"}, // with "k": TestPrivateKeysWarned
		{"duplicate kid", 200, jwks(ecJWK(t, 0, "k1", nil), ecJWK(t, 1, "k1", nil)), false, "share a kid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{t: t0}
			v := newVM(t, c, nil, 1, remoteIssuer(nil), nil)
			v.tick()
			c.add(100 * time.Millisecond)
			if tc.noResp {
				c.add(4 * time.Second)
				v.tick()
			} else {
				v.respond(tc.status, tc.body)
			}
			st := v.stats()
			if tc.warn == "" {
				if !v.has("k1") || st.FetchesOK != 1 || st.FetchedKeys != 1 || st.SinceGoodFetch != 0 || len(v.warns) != 0 {
					t.Fatalf("good fetch: keys %v stats %+v warns %v", v.has("k1"), st, v.warns)
				}
				return
			}
			if v.s.Keys(0) != nil || st.FetchesFailed != 1 || st.FetchesOK != 0 || st.SinceGoodFetch != -1 {
				t.Fatalf("failed fetch: stats %+v", st)
			}
			if len(v.warns) != 1 || !strings.Contains(v.warns[0], `issuer "corp"`) || !strings.Contains(v.warns[0], tc.warn) ||
				!strings.HasSuffix(v.warns[0], "last good fetch never") {
				t.Fatalf("warning %q, want one naming %q", v.warns, tc.warn)
			}
			if len(v.warns[0]) > 200 || strings.Contains(v.warns[0], "\n") {
				t.Fatalf("warning is not one short line: %q", v.warns[0])
			}
			// The retry comes 1 s after the failure.
			c.add(999 * time.Millisecond)
			v.tick()
			if v.calls != 1 {
				t.Fatal("retried before 1 s")
			}
			c.add(time.Millisecond)
			v.tick()
			if v.calls != 2 {
				t.Fatal("no retry after 1 s")
			}
		})
	}
}

// TestWaiterResumedAfterFirstFetch: a request that finds no key while the first fetch is in
// flight waits, and is woken when the fetch is good; decided again it finds the key.
func TestWaiterResumedAfterFirstFetch(t *testing.T) {
	c := &clock{t: t0}
	v := newVM(t, c, nil, 1, remoteIssuer(nil), nil)
	v.tick()
	if v.has("k1") {
		t.Fatal("key before the first fetch")
	}
	if m := v.miss(7, true); m != MissWait {
		t.Fatalf("miss during the first fetch: %v, want wait", m)
	}
	if v.calls != 1 || v.s.Waiting() != 1 {
		t.Fatalf("calls %d waiting %d", v.calls, v.s.Waiting())
	}
	c.add(200 * time.Millisecond)
	v.respond(200, jwks(ecJWK(t, 0, "k1", nil)))
	if len(v.woken) != 1 || v.woken[0] != 7 || v.s.Waiting() != 0 {
		t.Fatalf("woken %v", v.woken)
	}
	if !v.has("k1") {
		t.Fatal("key not there after the first fetch")
	}
}

// TestWaiterGets503AfterFailedFirstFetch: the waiter is woken by the failure; decided again
// (not waiting twice) it gets keys_unavailable.
func TestWaiterGets503AfterFailedFirstFetch(t *testing.T) {
	for _, how := range []string{"status", "timeout"} {
		t.Run(how, func(t *testing.T) {
			c := &clock{t: t0}
			v := newVM(t, c, nil, 1, remoteIssuer(nil), nil)
			v.tick()
			if m := v.miss(7, true); m != MissWait {
				t.Fatalf("%v", m)
			}
			if how == "status" {
				v.respond(503, nil)
			} else {
				c.add(4 * time.Second) // timeout 2 s + margin 2 s
				v.tick()
			}
			if len(v.woken) != 1 || v.woken[0] != 7 {
				t.Fatalf("woken %v", v.woken)
			}
			if m := v.miss(7, false); m != MissUnavailable {
				t.Fatalf("after a failed first fetch: %v, want keys_unavailable", m)
			}
			// A new request during the backoff does not wait either: a fetch started < 30 s ago.
			if m := v.miss(8, true); m != MissUnavailable {
				t.Fatalf("new request: %v", m)
			}
		})
	}
}

func TestRefreshReplacesKeys(t *testing.T) {
	c := &clock{t: t0}
	v := started(t, c, nil, jwks(ecJWK(t, 0, "k1", nil)), nil)
	c.add(599 * time.Second)
	v.tick()
	if v.calls != 1 {
		t.Fatal("refreshed before 600 s")
	}
	c.add(time.Second)
	v.tick()
	if v.calls != 2 {
		t.Fatal("no refresh at 600 s")
	}
	if !v.has("k1") {
		t.Fatal("keys gone while the refresh is in flight")
	}
	v.respond(200, jwks(ecJWK(t, 1, "k2", nil), ecJWK(t, 2, "k3", nil)))
	if v.has("k1") || !v.has("k2") || !v.has("k3") || v.stats().FetchedKeys != 2 || v.stats().SinceGoodFetch != 0 {
		t.Fatalf("refresh did not replace the set: %+v", v.stats())
	}
}

func TestFailedRefreshKeepsKeys(t *testing.T) {
	c := &clock{t: t0}
	v := started(t, c, nil, jwks(ecJWK(t, 0, "k1", nil)), nil)
	for _, body := range [][]byte{nil, []byte("junk"), jwks(octJWK("k2"))} {
		c.add(10 * time.Minute)
		v.tick()
		v.respond(map[bool]int{true: 500, false: 200}[body == nil], body)
		if !v.has("k1") || v.stats().FetchedKeys != 1 {
			t.Fatal("a failed refresh dropped the keys")
		}
	}
	st := v.stats()
	if st.FetchesFailed != 3 || st.SinceGoodFetch != 1800 {
		t.Fatalf("stats %+v", st)
	}
	if w := v.warns[len(v.warns)-1]; !strings.HasSuffix(w, "last good fetch "+t0.UTC().Format(time.RFC3339)) {
		t.Fatalf("warning %q does not name the last good fetch", w)
	}
}

// TestPrivateKeysWarned: a fetched set that publishes private key material has those keys
// skipped and warns once per fetch that brings it — good or refused — naming the issuer and the
// number of keys, never a kid or key material.
func TestPrivateKeysWarned(t *testing.T) {
	testKeys(t)
	c := &clock{t: t0}
	d := b64(ecKeys[1].D.Bytes())
	leaky := jwks(ecJWK(t, 0, "k1", nil), ecJWK(t, 1, "secret-kid", map[string]any{"d": d}), octJWK("h1"))
	v := started(t, c, nil, leaky, nil)
	if !v.has("k1") || v.has("secret-kid") || v.stats().FetchedKeys != 1 {
		t.Fatal("private keys used, or the public one not")
	}
	want := `audguard: jwks set publishes private key material: issuer "corp": 2 keys skipped`
	if len(v.warns) != 1 || !strings.HasPrefix(v.warns[0], want) {
		t.Fatalf("warnings %q, want one starting %q", v.warns, want)
	}
	c.add(10 * time.Minute)
	v.tick()
	v.respond(200, jwks(ecJWK(t, 1, "k2", map[string]any{"d": d}))) // refused: no usable key
	if len(v.warns) != 3 || !strings.HasPrefix(v.warns[1], `audguard: jwks set publishes private key material: issuer "corp": 1 key skipped`) ||
		!strings.Contains(v.warns[2], "jwks fetch failed") || !v.has("k1") {
		t.Fatalf("warnings %q", v.warns)
	}
	c.add(10 * time.Minute)
	v.tick()
	v.respond(200, jwks(ecJWK(t, 2, "k3", nil)))
	if len(v.warns) != 3 || !v.has("k3") {
		t.Fatalf("a clean set warned: %q", v.warns)
	}
	for _, w := range v.warns {
		if strings.Contains(w, d) || strings.Contains(w, "secret-kid") || strings.Contains(w, "h1") {
			t.Fatalf("warning quotes a kid or key material: %q", w)
		}
	}
}

// TestBackoffDoublingAndCap: retries after 1, 2, 4 … s, capped at jwks_refresh_seconds, and a
// good fetch returns to the refresh period.
func TestBackoffDoublingAndCap(t *testing.T) {
	c := &clock{t: t0}
	v := newVM(t, c, nil, 1, remoteIssuer(func(r *Remote) { r.RefreshSeconds, r.MaxStaleSeconds = 60, 0 }), nil)
	v.tick()
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60, 60}
	for i, d := range want {
		v.respond(500, nil)
		c.add(d*time.Second - time.Millisecond)
		v.tick()
		if v.calls != i+1 {
			t.Fatalf("retry %d came before %v", i+1, d*time.Second)
		}
		c.add(time.Millisecond)
		v.tick()
		if v.calls != i+2 {
			t.Fatalf("retry %d did not come after %v", i+1, d*time.Second)
		}
	}
	v.respond(200, jwks(ecJWK(t, 0, "k1", nil)))
	c.add(59 * time.Second)
	v.tick()
	if v.calls != len(want)+1 {
		t.Fatal("after a good fetch the next came before the refresh")
	}
	c.add(time.Second)
	v.tick()
	v.respond(500, nil)
	c.add(time.Second)
	v.tick()
	if v.calls != len(want)+3 {
		t.Fatal("the backoff did not start again at 1 s")
	}
}

func TestBackoff(t *testing.T) {
	for n, want := range map[uint32]time.Duration{0: time.Second, 1: time.Second, 2: 2 * time.Second, 7: 64 * time.Second, 40: 600 * time.Second, 1 << 16: 600 * time.Second} {
		if got := backoff(n, 600*time.Second); got != want {
			t.Errorf("backoff(%d) = %v, want %v", n, got, want)
		}
	}
}

// TestStaleKeysDropped: fetched keys older than jwks_max_stale_seconds go once an attempt to
// replace them, started after that age, has failed — not before; configured keys stay; the
// next good fetch brings fetched keys back. 0 keeps them forever.
func TestStaleKeysDropped(t *testing.T) {
	for _, stale := range []int64{120, 0} {
		c := &clock{t: t0}
		is := remoteIssuer(func(r *Remote) { r.RefreshSeconds, r.MaxStaleSeconds = 60, stale })
		is.Configured = jwks(ecJWK(t, 3, "conf", nil))
		v := newVM(t, c, nil, 1, is, nil)
		v.tick()
		v.respond(200, jwks(ecJWK(t, 0, "k1", nil)))
		// Every refresh fails: at 60 s, then after 1, 2, 4, 8, 16 and 32 s (123 s: the first
		// attempt past the bound) and 60 s.
		var attempts []time.Duration
		for c.t.Before(t0.Add(123 * time.Second)) {
			c.add(time.Second)
			v.tick()
			if len(v.fetches) > 0 {
				attempts = append(attempts, c.t.Sub(t0))
				if c.t.Before(t0.Add(123*time.Second)) && !v.has("k1") {
					t.Fatalf("stale %d: keys dropped at %v, before a failed attempt past the bound", stale, c.t.Sub(t0))
				}
				v.respond(500, nil)
			} else if !v.has("k1") {
				t.Fatalf("stale %d: keys dropped at %v, before a failed attempt past the bound", stale, c.t.Sub(t0))
			}
		}
		if want := []time.Duration{60, 61, 63, 67, 75, 91, 123}; len(attempts) != len(want) || attempts[6] != want[6]*time.Second {
			t.Fatalf("attempts at %v, want %v s", attempts, want)
		}
		if stale == 0 {
			if !v.has("k1") {
				t.Fatal("max_stale 0 dropped the keys")
			}
			continue
		}
		if v.has("k1") || !v.has("conf") || v.stats().FetchedKeys != 0 {
			t.Fatal("stale keys not dropped when the attempt past the bound failed, or configured keys dropped with them")
		}
		if !strings.Contains(strings.Join(v.warns, "\n"), "jwks keys dropped: issuer \"corp\"") {
			t.Fatalf("no warning for the drop: %q", v.warns)
		}
		// Unknown kid now: a configured key is there, but the fetched set is not: 503.
		if m := v.miss(1, false); m != MissUnavailable {
			t.Fatalf("unknown kid after the drop: %v", m)
		}
		for len(v.fetches) == 0 {
			c.add(time.Second)
			v.tick()
		}
		v.respond(200, jwks(ecJWK(t, 1, "k2", nil)))
		if !v.has("k2") || !v.has("conf") {
			t.Fatal("keys not back after a good fetch")
		}
	}
}

// TestStaleBoundWaitsForTheRefresh: jwks_refresh_seconds 300, jwks_max_stale_seconds 300,
// jwks_refetch_min_seconds 600 and the jitter at its top (×1.098): the refresh is due at
// 329.4 s, after the bound. While the issuer answers, the keys serve at every tick from 301 to
// 340 s; while it is down, they serve until that refresh fails and go with it.
func TestStaleBoundWaitsForTheRefresh(t *testing.T) {
	for _, healthy := range []bool{true, false} {
		c := &clock{t: t0}
		v := newVM(t, c, nil, 1, remoteIssuer(func(r *Remote) {
			r.RefreshSeconds, r.MaxStaleSeconds, r.RefetchMinSeconds = 300, 300, 600
		}), func(o *Options) { o.Rand = func() float64 { return 0.99 } })
		v.tick()
		v.respond(200, jwks(ecJWK(t, 0, "k1", nil)))
		refresh := time.Duration(float64(300*time.Second) * 1.098)
		for c.t.Before(t0.Add(340 * time.Second)) {
			c.add(TickPeriod)
			v.tick()
			if len(v.fetches) > 0 {
				if v.calls == 2 && c.t.Sub(t0) != refresh.Truncate(TickPeriod)+TickPeriod {
					t.Fatalf("healthy %v: the refresh at %v, want the first tick after %v", healthy, c.t.Sub(t0), refresh)
				}
				c.add(50 * time.Millisecond)
				if healthy {
					v.respond(200, jwks(ecJWK(t, 0, "k1", nil)))
				} else {
					v.respond(503, nil)
				}
			}
			at := c.t.Sub(t0)
			switch {
			case healthy && !v.has("k1"):
				t.Fatalf("healthy issuer: no keys at %v", at)
			case !healthy && at <= refresh && !v.has("k1"):
				t.Fatalf("down issuer: keys dropped at %v, before the refresh at %v was tried", at, refresh)
			case !healthy && at > refresh+time.Second && v.has("k1"):
				t.Fatalf("down issuer: keys still served at %v, after the refresh past the bound failed", at)
			}
			if m := v.miss(1, false); at > 301*time.Second && healthy && m != MissUnknownKey {
				t.Fatalf("healthy issuer: unknown kid at %v answered %v, want unknown_key (keys there)", at, m)
			}
		}
		if st := v.stats(); healthy && (st.FetchesOK != 2 || st.FetchesFailed != 0) || !healthy && st.FetchesFailed == 0 {
			t.Fatalf("healthy %v: stats %+v", healthy, st)
		}
	}
}

// TestStaleBoundWithoutAnAttempt: when no attempt can be made (another module keeps
// rewriting the shared schedule so that no fetch is ever due), the set still goes once an
// attempt must have come and ended under this configuration.
func TestStaleBoundWithoutAnAttempt(t *testing.T) {
	c := &clock{t: t0}
	store := newMapStore()
	a := started(t, c, store, jwks(ecJWK(t, 0, "k1", nil)), func(r *Remote) { r.RefreshSeconds, r.MaxStaleSeconds = 60, 60 })
	deadline := 60*time.Second + 66*time.Second + 2*(2*time.Second+leaseMargin) + TickPeriod
	for c.t.Before(t0.Add(deadline + 2*time.Second)) {
		c.add(TickPeriod)
		ctl, _ := decodeControl(store.m[ctlKey])
		ctl.nextAt = c.t.Add(50 * time.Second).UnixMilli()
		store.plant(ctlKey, ctl.encode())
		a.tick()
		if a.calls != 1 {
			t.Fatal("fetched although no fetch was due")
		}
		if at := c.t.Sub(t0); at < deadline && !a.has("k1") {
			t.Fatalf("keys dropped at %v, before %v", at, deadline)
		}
	}
	if a.has("k1") {
		t.Fatal("keys never dropped without an attempt")
	}
}

// TestUnknownKidRefetch: an unknown kid starts one refetch and waits; the refetch brings the
// key and wakes the request. A second unknown kid within jwks_refetch_min_seconds of that
// fetch's start is decided at once; after it, it refetches again.
func TestUnknownKidRefetch(t *testing.T) {
	c := &clock{t: t0}
	v := started(t, c, nil, jwks(ecJWK(t, 0, "k1", nil)), nil)
	c.add(31 * time.Second)
	if m := v.miss(1, true); m != MissWait || v.calls != 2 || v.stats().UnknownKeyRefetches != 1 {
		t.Fatalf("unknown kid: %v, %d calls", m, v.calls)
	}
	if m := v.miss(2, true); m != MissWait || v.calls != 2 {
		t.Fatalf("second unknown kid during the refetch: %v, %d calls, want to wait for the same fetch", m, v.calls)
	}
	c.add(300 * time.Millisecond)
	v.respond(200, jwks(ecJWK(t, 0, "k1", nil), ecJWK(t, 1, "k2", nil)))
	if len(v.woken) != 2 || !v.has("k2") {
		t.Fatalf("woken %v", v.woken)
	}
	if m := v.miss(1, false); m != MissUnknownKey { // decided again and still unknown
		t.Fatalf("%v", m)
	}
	c.add(29 * time.Second) // 29.3 s after the refetch started
	if m := v.miss(3, true); m != MissUnknownKey || v.calls != 2 {
		t.Fatalf("inside the rate limit: %v, %d calls; want unknown_key at once", m, v.calls)
	}
	c.add(time.Second)
	if m := v.miss(4, true); m != MissWait || v.calls != 3 || v.stats().UnknownKeyRefetches != 2 {
		t.Fatalf("after the rate limit: %v, %d calls", m, v.calls)
	}
	// The refetch also reset the schedule: the next refresh is 600 s after it.
	v.respond(200, jwks(ecJWK(t, 1, "k2", nil)))
	c.add(599 * time.Second)
	v.tick()
	if v.calls != 3 {
		t.Fatal("refresh before 600 s after the refetch")
	}
}

// TestUnknownKidRateLimitCountsRefresh: the rate limit counts every kind of fetch.
func TestUnknownKidRateLimitCountsRefresh(t *testing.T) {
	c := &clock{t: t0}
	v := started(t, c, nil, jwks(ecJWK(t, 0, "k1", nil)), nil)
	c.add(10 * time.Second) // the first fetch started 10 s ago
	if m := v.miss(1, true); m != MissUnknownKey || v.calls != 1 {
		t.Fatalf("%v %d", m, v.calls)
	}
}

func TestWaiterLimit(t *testing.T) {
	c := &clock{t: t0}
	v := newVM(t, c, nil, 1, remoteIssuer(nil), nil)
	v.tick()
	for id := uint32(1); id <= DefaultMaxWaiters; id++ {
		if m := v.miss(id, true); m != MissWait {
			t.Fatalf("waiter %d: %v", id, m)
		}
	}
	if m := v.miss(DefaultMaxWaiters+1, true); m != MissUnavailable {
		t.Fatalf("waiter 257: %v, want decided at once", m)
	}
	if m := v.miss(5, true); m != MissWait || v.s.Waiting() != DefaultMaxWaiters {
		t.Fatalf("a waiting request asking again: %v, %d waiting", m, v.s.Waiting())
	}
	v.respond(200, jwks(ecJWK(t, 0, "k1", nil)))
	if len(v.woken) != DefaultMaxWaiters {
		t.Fatalf("woke %d", len(v.woken))
	}
	// With keys, a request beyond the limit is 401, not 503.
	c.add(time.Minute)
	v.woken = nil
	for id := uint32(1000); id < 1000+DefaultMaxWaiters; id++ {
		v.miss(id, true)
	}
	if m := v.miss(2000, true); m != MissUnknownKey {
		t.Fatalf("%v", m)
	}
}

func TestCancelWaiter(t *testing.T) {
	c := &clock{t: t0}
	v := newVM(t, c, nil, 1, remoteIssuer(nil), nil)
	v.tick()
	v.miss(1, true)
	v.miss(2, true)
	if !v.s.Cancel(1) || v.s.Cancel(1) || v.s.Cancel(99) || v.s.Waiting() != 1 {
		t.Fatal("cancel")
	}
	v.respond(200, jwks(ecJWK(t, 0, "k1", nil)))
	if len(v.woken) != 1 || v.woken[0] != 2 {
		t.Fatalf("woken %v: a cancelled waiter must not be woken", v.woken)
	}
	if v.s.Cancel(2) {
		t.Fatal("a woken waiter is still cancellable")
	}
}

// TestWaiterDeadline: a request waiting for another VM's fetch is woken at the latest after
// the timeout and two margins, whatever the shared entry says.
func TestWaiterDeadline(t *testing.T) {
	c := &clock{t: t0}
	store := newMapStore()
	a := newVM(t, c, store, 1, remoteIssuer(nil), nil)
	b := newVM(t, c, store, 2, remoteIssuer(nil), nil)
	a.tick()
	if m := b.miss(1, true); m != MissWait {
		t.Fatalf("%v", m)
	}
	c.add(4*time.Second - time.Millisecond)
	b.tick()
	if len(b.woken) != 0 {
		t.Fatal("woken while the lease is live")
	}
	c.add(time.Millisecond) // the lease has expired
	b.tick()
	if len(b.woken) != 1 {
		t.Fatal("not woken when the lease expired")
	}
}

func TestConfiguredKeyWinsKid(t *testing.T) {
	c := &clock{t: t0}
	is := remoteIssuer(nil)
	is.Configured = jwks(ecJWK(t, 0, "shared-kid", nil), ecJWK(t, 2, "conf", nil))
	v := newVM(t, c, nil, 1, is, nil)
	if !v.has("conf") || !v.has("shared-kid") {
		t.Fatal("configured keys not in use before the first fetch")
	}
	v.tick()
	// No configured key fits and the fetched set is not there yet: the keys are unavailable,
	// not the token unknown.
	if m := v.miss(1, false); m != MissUnavailable {
		t.Fatalf("before the first fetch: %v", m)
	}
	v.respond(200, jwks(ecJWK(t, 1, "shared-kid", nil), ecJWK(t, 3, "f", nil)))
	if m := v.miss(1, false); m != MissUnknownKey {
		t.Fatalf("after the first fetch: %v", m)
	}
	k, err := v.s.Select(0, hdr("shared-kid"))
	if err != nil {
		t.Fatal(err)
	}
	input := []byte("a.b")
	if k.Verify(jwtlite.ES256, input, sign(t, 0, input)) != nil || k.Verify(jwtlite.ES256, input, sign(t, 1, input)) == nil {
		t.Fatal("the fetched key took the configured key's kid")
	}
	if !v.has("f") || v.stats().FetchedKeys != 1 {
		t.Fatalf("fetched keys in use: %d, want 1", v.stats().FetchedKeys)
	}
	// A fetched set whose only key is shadowed adds nothing, but is a good fetch.
	c.add(10 * time.Minute)
	v.tick()
	v.respond(200, jwks(ecJWK(t, 1, "conf", nil)))
	if v.stats().FetchesOK != 2 || v.stats().FetchedKeys != 0 || !v.has("conf") || v.has("f") {
		t.Fatalf("%+v", v.stats())
	}
}

func TestJitterBounds(t *testing.T) {
	for _, tc := range []struct {
		r    float64
		want time.Duration
	}{{0, 540 * time.Second}, {0.5, 600 * time.Second}, {0.999999, 659999400 * time.Microsecond}, {1, 600 * time.Second}, {-1, 600 * time.Second}} {
		c := &clock{t: t0}
		v := newVM(t, c, nil, 1, remoteIssuer(nil), func(o *Options) { o.Rand = func() float64 { return tc.r } })
		v.tick()
		v.respond(200, jwks(ecJWK(t, 0, "k1", nil)))
		next := tc.want.Truncate(time.Millisecond)
		c.add(next - time.Millisecond)
		v.tick()
		if v.calls != 1 {
			t.Fatalf("r=%v: refresh before %v", tc.r, next)
		}
		c.add(time.Millisecond)
		v.tick()
		if v.calls != 2 {
			t.Fatalf("r=%v: no refresh at %v", tc.r, next)
		}
		if next < 540*time.Second || next > 660*time.Second {
			t.Fatalf("jitter outside ±10 %%: %v", next)
		}
	}
}

func TestIssuerWithoutRemote(t *testing.T) {
	c := &clock{t: t0}
	v := newVM(t, c, nil, 1, Issuer{Configured: jwks(ecJWK(t, 0, "k1", nil))}, nil)
	if v.s.HasRemote() {
		t.Fatal("HasRemote")
	}
	v.tick()
	if v.calls != 0 || !v.has("k1") {
		t.Fatal("configured-only issuer")
	}
	if m := v.miss(1, true); m != MissUnknownKey {
		t.Fatalf("%v", m)
	}
}

func TestNewRefuses(t *testing.T) {
	conf := jwks(ecJWK(t, 0, "k1", nil))
	for name, is := range map[string]Issuer{
		"no keys, no jwks_uri":       {Name: "x"},
		"invalid configured set":     {Name: "x", Configured: jwks(rsaJWK(t, true, "w"))},
		"bad remote":                 {Name: "x", Remote: remoteCfg(func(r *Remote) { r.TimeoutMS = 1 })},
		"HS algorithms with remote":  {Name: "x", Remote: remoteCfg(nil), Algorithms: []jwtlite.Algorithm{jwtlite.HS256}},
		"empty algorithms":           {Name: "x", Remote: remoteCfg(nil), Algorithms: []jwtlite.Algorithm{}},
		"unknown algorithm":          {Name: "x", Remote: remoteCfg(nil), Algorithms: []jwtlite.Algorithm{"none"}},
		"configured without usables": {Name: "x", Configured: jwks(octJWK("h"))},
	} {
		if _, err := New([]Issuer{is}, Options{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Configured keys that are all skipped are fine next to a jwks_uri; a secret never is.
	if _, err := New([]Issuer{{Name: "x", Configured: jwks(ecJWK(t, 0, "e", map[string]any{"use": "enc"})), Remote: remoteCfg(nil)}}, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := New([]Issuer{{Name: "x", Configured: jwks(octJWK("h")), Remote: remoteCfg(nil)}}, Options{}); err == nil || !strings.Contains(err.Error(), "shared secret") {
		t.Fatalf("configured oct secret next to a jwks_uri: %v", err)
	}
	if _, err := New([]Issuer{{Name: "x", Configured: conf}}, Options{}); err != nil {
		t.Fatal(err)
	}
}

// TestLateResponseIgnored: a response to a fetch the VM already gave up on changes nothing.
func TestLateResponseIgnored(t *testing.T) {
	c := &clock{t: t0}
	v := newVM(t, c, nil, 1, remoteIssuer(nil), nil)
	v.tick()
	seq := v.fetches[0].Fetch.Seq
	c.add(4 * time.Second)
	v.tick()
	if acts := v.s.OnFetchResponse(c.t, seq, 200, jwks(ecJWK(t, 0, "k1", nil))); acts != nil || v.has("k1") {
		t.Fatal("late response used")
	}
	if acts := v.s.OnFetchFailed(c.t, 12345, "x"); acts != nil {
		t.Fatal("unknown seq")
	}
}

func TestFetchDispatchFailed(t *testing.T) {
	c := &clock{t: t0}
	v := newVM(t, c, nil, 1, remoteIssuer(nil), nil)
	v.tick()
	v.run(v.s.OnFetchFailed(c.t, v.fetches[0].Fetch.Seq, "bad argument\nforged line"+strings.Repeat("x", 200)))
	if v.stats().FetchesFailed != 1 || len(v.warns) != 1 || !strings.Contains(v.warns[0], "call failed: bad argument?forged line") ||
		len(v.warns[0]) > 250 {
		t.Fatalf("%+v %q", v.stats(), v.warns)
	}
}

// TestTwoIssuers: fetches, waiters and keys are per issuer.
func TestTwoIssuers(t *testing.T) {
	c := &clock{t: t0}
	s, err := New([]Issuer{
		{Name: "a", Remote: remoteCfg(nil)},
		{Name: "b", Remote: remoteCfg(func(r *Remote) { r.URI, r.Cluster = "https://b.example.com/keys", "b" })},
		{Name: "c", Configured: jwks(ecJWK(t, 3, "c1", nil))},
	}, Options{Prefix: prefix, VMID: 1, Rand: func() float64 { return 0.5 }})
	if err != nil {
		t.Fatal(err)
	}
	v := &vm{t: t, s: s, c: c}
	v.tick()
	if len(v.fetches) != 2 || v.fetches[0].Issuer != 0 || v.fetches[1].Issuer != 1 || v.fetches[1].Fetch.Cluster != "b" {
		t.Fatalf("fetches %+v", v.fetches)
	}
	for id, i := range []int{0, 1, 0} {
		if m, _ := s.OnMiss(c.t, i, uint32(id), true); m != MissWait {
			t.Fatalf("%v", m)
		}
	}
	if m, _ := s.OnMiss(c.t, 2, 9, true); m != MissUnknownKey {
		t.Fatalf("configured-only issuer: %v", m)
	}
	v.run(s.OnFetchResponse(c.t, v.fetches[1].Fetch.Seq, 200, jwks(ecJWK(t, 1, "b1", nil))))
	if len(v.woken) != 1 || v.woken[0] != 1 || s.Waiting() != 2 {
		t.Fatalf("woken %v", v.woken)
	}
	if _, err := s.Select(1, hdr("b1")); err != nil {
		t.Fatal("issuer b")
	}
	if _, err := s.Select(0, hdr("b1")); err == nil {
		t.Fatal("issuer a has issuer b's key")
	}
	if s.Keys(5) != nil || s.Stats(c.t, 5).SinceGoodFetch != -1 {
		t.Fatal("out of range")
	}
	if m, _ := s.OnMiss(c.t, 5, 1, true); m != MissUnavailable {
		t.Fatal("out of range miss")
	}
}
