package keys

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/buger/jsonparser"

	"github.com/audguard/audguard/jwtlite"
)

// Issuer is what State needs of one issuers[] entry. Indexes into the slice given to New are
// the issuer numbers of every other method.
type Issuer struct {
	Name       string              // issuers[].name, for warnings
	Configured []byte              // the configured JWK Set (config.Issuer.JWKS); nil or empty for none
	Algorithms []jwtlite.Algorithm // the explicit "algorithms" allowlist; nil when the configuration has none
	Remote     *Remote             // nil: configured keys only
}

// Options are the per-VM parts of a State.
type Options struct {
	// Shared is the proxy-wasm shared data of the vm_id; nil keeps everything inside this VM
	// (one VM, or tests).
	Shared SharedStore
	// Prefix starts every shared key: "audguard/" and a digest of the configuration, so
	// entries of another configuration are never read.
	Prefix string
	// VMID names this VM in the fetch lease; unique among the VMs of the proxy (the glue draws
	// it at random when the VM starts). 0: drawn from math/rand/v2.
	VMID uint64
	// Rand returns a number in [0, 1) for the ±10 % refresh jitter; nil: math/rand/v2.
	Rand func() float64
	// MaxWaiters bounds the paused requests of this VM; 0: DefaultMaxWaiters.
	MaxWaiters int
}

const (
	// DefaultMaxWaiters is how many requests may wait for a fetch in one VM.
	DefaultMaxWaiters = 256
	// TickPeriod is the tick the glue should ask for (SetTickPeriodMilliSeconds): backoff starts
	// at 1 s, and a VM learns of another VM's fetch on its tick.
	TickPeriod = 500 * time.Millisecond
	// leaseMargin is added to the fetch timeout for the lease: the host answers a timed-out
	// call with an empty response, and this VM's tick notices a lost one.
	leaseMargin = 2 * time.Second
	// clockSlack tolerates a start time slightly in the future (VMs read one clock).
	clockSlack = time.Second
	// firstBackoff is the delay after the first failed fetch; it doubles up to the refresh.
	firstBackoff = time.Second
)

// ActionKind says what an Action asks of the glue.
type ActionKind uint8

const (
	// ActFetch: dispatch the HTTP call Fetch describes (proxywasm.DispatchHttpCall with
	// Fetch.Cluster, Fetch.Headers, no body, Fetch.TimeoutMS) and report its outcome with
	// OnFetchResponse or OnFetchFailed, passing Fetch.Seq.
	ActFetch ActionKind = iota + 1
	// ActWake: decide the paused request Waiter again, with mayWait false, and continue or
	// answer it. The fetch it waited for has ended (good, failed or timed out); it is no longer
	// waiting.
	ActWake
	// ActWarn: log Text as a warning (proxywasm.LogWarn). Text names the issuer and the
	// failure, never key material, bodies or kids.
	ActWarn
)

// Action is one thing the glue must do, in order.
type Action struct {
	Kind   ActionKind
	Issuer int
	Fetch  FetchRequest // ActFetch
	Waiter uint32       // ActWake: the waiter id given to OnMiss
	Text   string       // ActWarn
}

// FetchRequest is one JWK Set fetch.
type FetchRequest struct {
	Seq       uint64      // hand back to OnFetchResponse / OnFetchFailed
	Cluster   string      // jwks_cluster
	Headers   [][2]string // FetchHeaders(jwks_uri)
	TimeoutMS uint32      // jwks_timeout_ms
}

// Miss is what the request path does with a token whose key is not in Keys(issuer).
type Miss uint8

const (
	// MissUnknownKey: decide now, 401 unknown_key: the issuer's keys are all there (configured
	// keys, and a good fetched set when it has a jwks_uri) and none fits.
	MissUnknownKey Miss = iota + 1
	// MissUnavailable: decide now, 503 keys_unavailable: the issuer has a jwks_uri and no good
	// fetched set (first fetch not done or failed, or dropped as stale), and no configured key
	// fits; or it has no usable key at all. The token may be good: the keys to judge it are not.
	MissUnavailable
	// MissWait: pause the request (types.ActionPause); an ActWake for it follows.
	MissWait
)

func (m Miss) String() string {
	switch m {
	case MissUnknownKey:
		return "unknown_key"
	case MissUnavailable:
		return "keys_unavailable"
	case MissWait:
		return "wait"
	}
	return "invalid"
}

// Stats are one issuer's numbers for the glue to export.
type Stats struct {
	FetchesOK           uint64 // good fetches this VM made (counter)
	FetchesFailed       uint64 // failed fetches this VM made (counter)
	UnknownKeyRefetches uint64 // fetches this VM started for an unknown kid (counter)
	FetchedKeys         int    // usable fetched keys in use: shadowed ones not counted (gauge)
	SinceGoodFetch      int64  // seconds since the last good fetch of the proxy; -1: never (gauge)
}

// State is one VM's view of every issuer's keys: the configured keys, the last good fetched
// set, the fetch schedule and the paused requests. Not safe for concurrent use (a proxy-wasm VM
// is single-threaded). It never blocks, starts no goroutine and reads no clock: the glue passes
// now to every call and carries out the returned actions.
type State struct {
	issuers []*issuer
	store   SharedStore
	vmID    uint64
	rand    func() float64
	max     int
	waiters []waiter
	seq     uint64
}

type waiter struct {
	_        [0]func() // not comparable: no generated equality function in the module
	id       uint32
	issuer   int
	deadline time.Time
}

type issuer struct {
	idx      int
	name     string
	algs     []jwtlite.Algorithm
	rem      *remote
	cfgElems [][]byte
	cfgKids  map[string]bool
	cfgKeys  *jwtlite.KeySet
	keys     *jwtlite.KeySet // configured + fetched; nil when none is usable

	fetched   *Set      // last good fetched set in use; nil: none (yet, or dropped as stale)
	fetchedAt time.Time // its fetch time
	used      int       // fetched keys in keys
	gen       uint64    // generation of the shared set this VM took last (adopted, stale or its own)
	lastGood  time.Time // last good fetch known to this VM; zero: never
	rejectGen uint64    // a generation refused: not read again
	rejected  bool

	inflight    bool // this VM's fetch
	seq         uint64
	started     time.Time
	failedStart time.Time // start of this VM's last failed fetch; zero: none

	watching           bool // waiters of this VM wait for another VM's fetch: this one
	watchOwner         uint64
	watchStartedMillis int64

	stats Stats
}

type remote struct {
	cluster                             string
	headers                             [][2]string
	timeoutMS                           uint32
	timeout, refresh, refetchMin, stale time.Duration
	ctlKey, setKey                      string
}

// New checks the issuers and returns the State of one VM. Issuers without Remote keep their
// configured keys only. Refused: an invalid Remote (a *ConfigError), a configured set jwtlite
// refuses, an issuer with neither usable configured keys nor a Remote, and an issuer with a
// Remote whose algorithms list an HS algorithm (a published set never carries a secret, so no
// fetched key could ever be used).
func New(issuers []Issuer, opts Options) (*State, error) {
	s := &State{store: opts.Shared, vmID: opts.VMID, rand: opts.Rand, max: opts.MaxWaiters}
	if s.store == nil {
		s.store = NewLocalStore()
	}
	if s.vmID == 0 {
		s.vmID = rand.Uint64() | 1
	}
	if s.rand == nil {
		s.rand = rand.Float64
	}
	if s.max <= 0 {
		s.max = DefaultMaxWaiters
	}
	for i, in := range issuers {
		is := &issuer{idx: i, name: in.Name, algs: in.Algorithms, cfgKids: map[string]bool{}}
		if in.Algorithms != nil && len(in.Algorithms) == 0 {
			return nil, errors.New("keys: issuer " + quote(in.Name) + `: "algorithms" is empty`)
		}
		for _, a := range in.Algorithms {
			if _, ok := jwtlite.ParseAlgorithm(string(a)); !ok {
				return nil, errors.New("keys: issuer " + quote(in.Name) + `: "algorithms" names an unsupported algorithm`)
			}
		}
		if len(in.Configured) > 0 {
			ks, _, err := jwtlite.ParseKeySet(in.Configured, in.Algorithms)
			if err != nil && (in.Remote == nil || !errors.Is(err, jwtlite.ErrNoUsableKey)) {
				return nil, errors.New("keys: issuer " + quote(in.Name) + ": configured keys: " + err.Error())
			}
			is.cfgKeys = ks
			arr, _, _, _ := jsonparser.Get(in.Configured, "keys")
			_, _ = jsonparser.ArrayEach(arr, func(v []byte, _ jsonparser.ValueType, _ int, _ error) {
				is.cfgElems = append(is.cfgElems, v)
				if kid, err := jsonparser.GetString(v, "kid"); err == nil {
					is.cfgKids[kid] = true
				}
			})
		}
		if in.Remote == nil {
			if is.cfgKeys == nil {
				return nil, errors.New("keys: issuer " + quote(in.Name) + ": no configured keys and no jwks_uri")
			}
		} else {
			r := in.Remote
			if err := r.Check(); err != nil {
				return nil, err
			}
			for _, a := range in.Algorithms {
				if a.IsHMAC() {
					return nil, refuse("jwks_uri", "issuer "+quote(in.Name)+" lists "+string(a)+
						" in \"algorithms\", and a published JWK Set never carries a shared secret",
						"configure HMAC keys in \"jwks\" without jwks_uri, or list asymmetric algorithms")
				}
			}
			h, _ := FetchHeaders(r.URI)
			base := opts.Prefix + "jwks/" + itoa(i) + "/"
			is.rem = &remote{
				cluster: r.Cluster, headers: h, timeoutMS: uint32(r.TimeoutMS),
				timeout:    time.Duration(r.TimeoutMS) * time.Millisecond,
				refresh:    time.Duration(r.RefreshSeconds) * time.Second,
				refetchMin: time.Duration(r.RefetchMinSeconds) * time.Second,
				stale:      time.Duration(r.MaxStaleSeconds) * time.Second,
				ctlKey:     base + "ctl", setKey: base + "set",
			}
		}
		is.keys = is.cfgKeys
		s.issuers = append(s.issuers, is)
	}
	return s, nil
}

// HasRemote reports whether any issuer has a jwks_uri: only then does the glue need a tick.
func (s *State) HasRemote() bool {
	for _, is := range s.issuers {
		if is.rem != nil {
			return true
		}
	}
	return false
}

// Keys returns issuer i's keys for the request path: the configured keys and the fetched keys
// whose kid no configured key uses, as one jwtlite.KeySet (KeySet.Select allocates nothing).
// nil when the issuer has no usable key; then Select gives jwtlite.ErrUnknownKey.
func (s *State) Keys(i int) *jwtlite.KeySet {
	if i < 0 || i >= len(s.issuers) {
		return nil
	}
	return s.issuers[i].keys
}

// Select is Keys(i).Select(h): the key for the token header, or jwtlite.ErrUnknownKey (then ask
// OnMiss). Zero allocations.
func (s *State) Select(i int, h *jwtlite.Header) (*jwtlite.Key, error) {
	return s.Keys(i).Select(h)
}

// Waiting is the number of paused requests of this VM.
func (s *State) Waiting() int { return len(s.waiters) }

// Stats returns issuer i's numbers at now.
func (s *State) Stats(now time.Time, i int) Stats {
	if i < 0 || i >= len(s.issuers) {
		return Stats{SinceGoodFetch: -1}
	}
	is := s.issuers[i]
	st := is.stats
	st.FetchedKeys = is.used
	st.SinceGoodFetch = -1
	if !is.lastGood.IsZero() {
		st.SinceGoodFetch = max(0, int64(now.Sub(is.lastGood)/time.Second))
	}
	return st
}

// Tick runs the schedule at now; the glue calls it when the plugin starts (the first fetch)
// and on every tick. For each issuer with a jwks_uri, in order: take a newer set another VM
// published (judged again; a refused one is warned about and changes nothing); drop fetched
// keys older than jwks_max_stale_seconds once an attempt to replace them has failed (see
// expired); end this VM's fetch if it outlived its timeout; wake
// the requests waiting for another VM's fetch once that fetch has ended; and start a fetch when
// one is due (first fetch, refresh, retry) and no VM holds the lease.
func (s *State) Tick(now time.Time) []Action {
	var acts []Action
	for _, is := range s.issuers {
		if is.rem == nil {
			continue
		}
		ctl, _, ok := s.readControl(is)
		if ok && ctl.gen != is.gen && ctl.gen != 0 {
			acts = s.adopt(now, is, ctl, acts)
		}
		acts = s.dropStale(now, is, ctl, ok, acts)
		if is.inflight && !now.Before(is.started.Add(is.rem.timeout+leaseMargin)) {
			acts = s.finishFailed(now, is, "no response within "+strconv.FormatUint(uint64(is.rem.timeoutMS), 10)+" ms", acts)
			ctl, _, ok = s.readControl(is)
		}
		if is.watching && (!ok || ctl.owner != is.watchOwner || ctl.startedAt != is.watchStartedMillis || !is.leaseLive(ctl, now)) {
			is.watching = false
			acts = s.wake(is.idx, acts)
		}
		if !is.inflight && (!ok || is.due(ctl, now)) && (!ok || !is.leaseLive(ctl, now)) {
			acts = s.startFetch(now, is, acts)
		}
	}
	for j := 0; j < len(s.waiters); {
		if w := s.waiters[j]; !now.Before(w.deadline) {
			acts = append(acts, Action{Kind: ActWake, Issuer: w.issuer, Waiter: w.id})
			s.waiters = append(s.waiters[:j], s.waiters[j+1:]...)
			continue
		}
		j++
	}
	return acts
}

// OnMiss is called on the request path when Select found no key for a token of issuer i
// (an unknown kid, docs/request-flow.md#remote-keys-waiting-and-503). waiter identifies the
// request (its context id); mayWait is false when the request has already waited once, in report
// mode, and on a host that cannot resume a paused request (docs/request-flow.md#remote-keys-on-hosts-that-cannot-wake-a-request).
//
// The answer is MissUnknownKey or MissUnavailable (see there) at once, unless the request may
// wait for a fetch: one of this issuer in flight (any VM), or a new one
// it starts when no fetch of the issuer (any kind, any VM) started less than
// jwks_refetch_min_seconds ago — then MissWait and, for a new fetch, an ActFetch. A request that
// may not wait starts that fetch all the same (same bound) and is answered at once: the next
// token naming the new key finds it. Beyond MaxWaiters paused requests, or for an issuer without
// jwks_uri, the answer is at once. OpenID Connect Core 1.0 §10.1.1: a verifier that meets an
// unknown kid re-fetches the issuer's keys.
func (s *State) OnMiss(now time.Time, i int, waiter uint32, mayWait bool) (Miss, []Action) {
	if i < 0 || i >= len(s.issuers) {
		return MissUnavailable, nil
	}
	is := s.issuers[i]
	final := MissUnknownKey
	if is.keys == nil || is.rem != nil && is.fetched == nil {
		final = MissUnavailable
	}
	if is.rem == nil {
		return final, nil
	}
	if mayWait {
		for _, w := range s.waiters {
			if w.id == waiter {
				return MissWait, nil
			}
		}
		if len(s.waiters) >= s.max {
			mayWait = false // answered at once; a refetch may still start below
		}
	}
	// wait pauses the request for the fetch in flight (this VM's, or another
	// VM's under a live lease when ctl says so), if it may wait.
	wait := func(ctl *control, acts []Action) (Miss, []Action) {
		if !mayWait {
			return final, acts
		}
		if ctl != nil {
			s.watch(is, *ctl)
		}
		s.addWaiter(now, is, waiter)
		return MissWait, acts
	}
	if is.inflight {
		return wait(nil, nil)
	}
	ctl, _, ok := s.readControl(is)
	if ok && is.leaseLive(ctl, now) {
		return wait(&ctl, nil)
	}
	if ok && is.recent(ctl, now) {
		return final, nil
	}
	acts := s.startFetch(now, is, nil)
	if !is.inflight {
		if ctl, _, ok := s.readControl(is); ok && is.leaseLive(ctl, now) {
			return wait(&ctl, acts)
		}
		return final, acts
	}
	is.stats.UnknownKeyRefetches++
	return wait(nil, acts)
}

// CatchUp takes a set of issuer i that another VM published since this VM's
// last tick, if any (judged as on a tick): the request path calls it before
// treating a kid as unknown, so a request arriving between another worker's
// refetch and this worker's tick is not refused for a key the proxy already
// has. One shared-data read; a no-op without a jwks_uri.
func (s *State) CatchUp(now time.Time, i int) []Action {
	if i < 0 || i >= len(s.issuers) || s.issuers[i].rem == nil {
		return nil
	}
	is := s.issuers[i]
	ctl, _, ok := s.readControl(is)
	if !ok || ctl.gen == is.gen || ctl.gen == 0 {
		return nil
	}
	return s.adopt(now, is, ctl, nil)
}

// Cancel forgets a paused request whose stream ended (OnHttpStreamDone); false if it was not
// waiting.
func (s *State) Cancel(waiter uint32) bool {
	for j, w := range s.waiters {
		if w.id == waiter {
			s.waiters = append(s.waiters[:j], s.waiters[j+1:]...)
			return true
		}
	}
	return false
}

// OnFetchResponse reports the response to the fetch Seq: the ":status" (0 when the host gave
// none: timeout, reset) and the body (at most MaxBodyBytes+1 bytes of it). Status 200 and a body
// ParseSet accepts replace the issuer's fetched keys at once, publish the set to the other VMs
// and schedule the next refresh in jwks_refresh_seconds ±10 %; anything else keeps the last good
// set (fail static), warns, and retries after 1 s, 2 s, 4 s … up to jwks_refresh_seconds. Both
// wake the requests waiting for the issuer. A body whose keys publish private material (see
// ParseSet) warns once more, naming the issuer and the number of such keys. A response to a
// fetch this VM has already given up on is ignored.
func (s *State) OnFetchResponse(now time.Time, seq uint64, status int, body []byte) []Action {
	is := s.inflightFor(seq)
	if is == nil {
		return nil
	}
	if status != 200 {
		why := "status " + itoa(status)
		if status == 0 {
			why = "no response (timeout or connection failure)"
		}
		return s.finishFailed(now, is, why, nil)
	}
	set, private, err := parseSet(body, is.algs)
	var acts []Action
	if private > 0 {
		keys := " keys"
		if private == 1 {
			keys = " key"
		}
		acts = append(acts, Action{Kind: ActWarn, Issuer: is.idx, Text: "audguard: jwks set publishes private key material: issuer " +
			quote(is.name) + ": " + itoa(private) + keys + " skipped; whoever reads the set can sign tokens with them: " +
			"the issuer must rotate those keys and publish only their public half"})
	}
	if err != nil {
		return s.finishFailed(now, is, "status 200, "+err.Error(), acts)
	}
	return append(acts, s.finishOK(now, is, set)...)
}

// OnFetchFailed reports that the fetch Seq could not be made (DispatchHttpCall failed); reason
// is the host's error text. Handled as a failed fetch.
func (s *State) OnFetchFailed(now time.Time, seq uint64, reason string) []Action {
	is := s.inflightFor(seq)
	if is == nil {
		return nil
	}
	return s.finishFailed(now, is, "call failed: "+printable(reason, 100), nil)
}

// printable keeps at most n bytes of printable ASCII of s, so a host error text cannot break
// the one warning line.
func printable(s string, n int) string {
	b := make([]byte, 0, min(len(s), n))
	for i := 0; i < len(s) && len(b) < n; i++ {
		if c := s[i]; c >= ' ' && c < 0x7f {
			b = append(b, c)
		} else {
			b = append(b, '?')
		}
	}
	return string(b)
}

func (s *State) inflightFor(seq uint64) *issuer {
	for _, is := range s.issuers {
		if is.inflight && is.seq == seq {
			return is
		}
	}
	return nil
}

// startFetch takes the issuer's lease with compare-and-swap and, if it got it, appends the
// ActFetch. The lease keeps the schedule and the published generation of the entry it replaces.
func (s *State) startFetch(now time.Time, is *issuer, acts []Action) []Action {
	old, cas, ok := s.readControl(is)
	c := control{}
	if ok {
		c = old
	}
	c.owner, c.startedAt = s.vmID, now.UnixMilli()
	c.expiresAt = now.Add(is.rem.timeout + leaseMargin).UnixMilli()
	if !s.store.Set(is.rem.ctlKey, c.encode(), cas) {
		return acts
	}
	// Envoy reads CAS 0 as "write unconditionally", not "only if absent": two VMs creating the
	// entry at once both succeed, and the later write wins. Read it back; the loser backs off
	// (and at worst both fetch once, on the very first fetch of a configuration).
	if got, _, ok := s.readControl(is); !ok || got.owner != s.vmID || got.startedAt != c.startedAt {
		return acts
	}
	s.seq++
	is.inflight, is.seq, is.started = true, s.seq, time.UnixMilli(c.startedAt)
	is.watching = false // requests that waited for an ended fetch wait for this one (woken when it ends)
	return append(acts, Action{Kind: ActFetch, Issuer: is.idx, Fetch: FetchRequest{
		Seq: is.seq, Cluster: is.rem.cluster, Headers: is.rem.headers, TimeoutMS: is.rem.timeoutMS}})
}

// finishOK adopts a good set, publishes it and releases the lease with the next refresh.
func (s *State) finishOK(now time.Time, is *issuer, set *Set) []Action {
	is.inflight = false
	is.stats.FetchesOK++
	ms := now.UnixMilli()
	next := now.Add(s.jitter(is.rem.refresh)).UnixMilli()
	gen, published := s.publish(is, set, ms)
	s.updateControl(is, func(c *control) {
		c.expiresAt, c.failures, c.nextAt = 0, 0, next
		if published {
			c.gen, c.fetchedAt = gen, ms
		}
	})
	if published {
		is.gen = gen
	} else if c, _, ok := s.readControl(is); ok {
		is.gen = c.gen // do not take the older published set back on the next tick
	}
	is.fetched, is.fetchedAt, is.lastGood = set, now, now
	s.rebuild(is)
	return s.wake(is.idx, nil)
}

// finishFailed keeps the last good set — unless this attempt was the one past
// jwks_max_stale_seconds that the set waited for (expired) —, warns, and releases the lease
// with the backoff.
func (s *State) finishFailed(now time.Time, is *issuer, why string, acts []Action) []Action {
	is.inflight = false
	is.failedStart = is.started
	is.stats.FetchesFailed++
	s.updateControl(is, func(c *control) {
		if c.failures < 1<<16 {
			c.failures++
		}
		c.expiresAt = 0
		c.nextAt = now.Add(backoff(c.failures, is.rem.refresh)).UnixMilli()
	})
	acts = append(acts, Action{Kind: ActWarn, Issuer: is.idx, Text: "audguard: jwks fetch failed: issuer " +
		quote(is.name) + ": " + why + "; last good fetch " + stamp(is.lastGood)})
	ctl, _, ok := s.readControl(is)
	acts = s.dropStale(now, is, ctl, ok, acts)
	return s.wake(is.idx, acts)
}

// expired reports whether a fetched set fetched at fetchedAt must no longer be used at now
// (docs/configuration.md#issuersjwks_max_stale_seconds; RATIONALE.md, "Fetched keys are dropped
// only after an attempt to replace them failed"). Age alone never drops a set: a refresh is
// due up to jwks_refresh_seconds × 1.1 after the last good fetch, later than a
// jwks_max_stale_seconds as short as the refresh, and a healthy issuer's keys would go before
// the refresh that replaces them. So a set past the bound goes once an attempt that started at
// or after the bound has failed — this VM's (failedStart), or any VM's, as the shared control
// entry records it (released lease, consecutive failures, start at or after the bound) — or,
// if no such attempt can be seen, once one must have come and ended under this
// configuration's schedule: the bound, plus a refresh with its jitter, plus twice a lease
// (a fetch started just before the bound, then the retry after it), plus a tick. Only a
// host that stops answering or another module rewriting the schedule gets there.
func (is *issuer) expired(fetchedAt time.Time, ctl control, ok bool, now time.Time) bool {
	if is.rem.stale <= 0 {
		return false
	}
	bound := fetchedAt.Add(is.rem.stale)
	switch {
	case now.Before(bound):
		return false
	case !is.failedStart.IsZero() && !is.failedStart.Before(bound):
		return true
	case ok && ctl.failures > 0 && ctl.expiresAt == 0 && ctl.startedAt >= bound.UnixMilli():
		return true
	}
	return !now.Before(bound.Add(is.rem.refresh*11/10 + 2*(is.rem.timeout+leaseMargin) + TickPeriod))
}

// dropStale drops the issuer's fetched set when it has expired, with a warning.
func (s *State) dropStale(now time.Time, is *issuer, ctl control, ok bool, acts []Action) []Action {
	if is.fetched == nil || !is.expired(is.fetchedAt, ctl, ok, now) {
		return acts
	}
	is.fetched = nil
	s.rebuild(is)
	return append(acts, Action{Kind: ActWarn, Issuer: is.idx, Text: "audguard: jwks keys dropped: issuer " +
		quote(is.name) + ": no good fetch for " + strconv.FormatInt(int64(now.Sub(is.fetchedAt)/time.Second), 10) +
		" s (jwks_max_stale_seconds " + strconv.FormatInt(int64(is.rem.stale/time.Second), 10) +
		") and no attempt since succeeded; last good fetch " + stamp(is.lastGood)})
}

// backoff is the delay after the n-th consecutive failure: 1 s, 2 s, 4 s … at most refresh.
func backoff(n uint32, refresh time.Duration) time.Duration {
	d := firstBackoff
	for i := uint32(1); i < n && d < refresh; i++ {
		d *= 2
	}
	return min(d, refresh)
}

// jitter returns d ±10 % from the random source.
func (s *State) jitter(d time.Duration) time.Duration {
	r := s.rand()
	if !(r >= 0 && r < 1) {
		r = 0.5
	}
	return time.Duration(float64(d) * (0.9 + 0.2*r))
}

// publish writes the set entry with the next generation (compare-and-swap, a few tries).
func (s *State) publish(is *issuer, set *Set, fetchedAt int64) (uint64, bool) {
	for try := 0; try < 4; try++ {
		v, cas, _ := s.store.Get(is.rem.setKey)
		cur, _, _, _ := decodeSet(v)
		gen := max(cur, is.gen)
		if c, _, ok := s.readControl(is); ok {
			gen = max(gen, c.gen)
		}
		if gen++; gen == 0 {
			gen = 1
		}
		if s.store.Set(is.rem.setKey, encodeSet(gen, fetchedAt, set.Compact), cas) {
			return gen, true
		}
	}
	return 0, false
}

// updateControl applies f to the control entry while it still holds this VM's lease (a lease
// taken over after it expired belongs to the new holder).
func (s *State) updateControl(is *issuer, f func(*control)) {
	for try := 0; try < 4; try++ {
		c, cas, ok := s.readControl(is)
		if !ok || c.owner != s.vmID || c.startedAt != is.started.UnixMilli() {
			return
		}
		f(&c)
		if s.store.Set(is.rem.ctlKey, c.encode(), cas) {
			return
		}
	}
}

// adopt takes the set another VM published as generation ctl.gen, after judging it again.
func (s *State) adopt(now time.Time, is *issuer, ctl control, acts []Action) []Action {
	if is.rejected && is.rejectGen == ctl.gen {
		return acts
	}
	v, _, ok := s.store.Get(is.rem.setKey)
	gen, fetchedMillis, compact, ok2 := decodeSet(v)
	refuse := func(why string) []Action {
		is.rejected, is.rejectGen = true, ctl.gen
		return append(acts, Action{Kind: ActWarn, Issuer: is.idx, Text: "audguard: shared JWK Set refused: issuer " +
			quote(is.name) + ": " + why + "; keeping the current keys"})
	}
	if !ok || !ok2 || gen != ctl.gen {
		return refuse("the shared entry does not match its generation")
	}
	set, err := ParseSet(compact, is.algs)
	if err != nil {
		return refuse(err.Error())
	}
	fetchedAt := time.UnixMilli(fetchedMillis)
	if fetchedAt.After(now) {
		fetchedAt = now
	}
	is.gen = ctl.gen
	if fetchedAt.After(is.lastGood) {
		is.lastGood = fetchedAt
	}
	if is.expired(fetchedAt, ctl, true, now) {
		return acts // already too old to use
	}
	is.fetched, is.fetchedAt = set, fetchedAt
	s.rebuild(is)
	return acts
}

// rebuild makes the issuer's key set from its configured keys and the fetched keys whose kid
// no configured key has (configured keys win a kid, usable or not: jwtlite refuses a set
// naming a kid twice). Everything goes through jwtlite.ParseKeySet once more.
func (s *State) rebuild(is *issuer) {
	is.used = 0
	if is.fetched == nil {
		is.keys = is.cfgKeys
		return
	}
	b := append(make([]byte, 0, 64+len(is.fetched.Compact)), `{"keys":[`...)
	n, used := 0, 0
	add := func(e []byte) {
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, e...)
		n++
	}
	for _, e := range is.cfgElems {
		add(e)
	}
	for j, e := range is.fetched.elems {
		if is.fetched.hasKid[j] && is.cfgKids[is.fetched.kids[j]] {
			continue
		}
		add(e)
		used++
	}
	ks, _, err := jwtlite.ParseKeySet(append(b, "]}"...), is.algs)
	if err != nil {
		is.keys = is.cfgKeys
		return
	}
	is.keys, is.used = ks, used
}

func (s *State) readControl(is *issuer) (control, uint32, bool) {
	v, cas, ok := s.store.Get(is.rem.ctlKey)
	if !ok {
		return control{}, 0, false
	}
	c, valid := decodeControl(v)
	return c, cas, valid
}

// leaseLive reports whether a fetch holds the lease at now. A lease never outlives its start
// plus this configuration's timeout and margin, whatever its entry says.
func (is *issuer) leaseLive(c control, now time.Time) bool {
	ms := now.UnixMilli()
	return c.expiresAt > ms && c.startedAt <= now.Add(clockSlack).UnixMilli() &&
		ms < c.startedAt+(is.rem.timeout+leaseMargin).Milliseconds()
}

// recent reports whether a fetch started less than jwks_refetch_min_seconds before now.
func (is *issuer) recent(c control, now time.Time) bool {
	ms := now.UnixMilli()
	return c.startedAt <= now.Add(clockSlack).UnixMilli() && ms-c.startedAt < is.rem.refetchMin.Milliseconds()
}

// due reports whether the scheduled fetch is due. A next time later than any schedule this
// configuration makes (refresh +10 %) counts as due.
func (is *issuer) due(c control, now time.Time) bool {
	ms := now.UnixMilli()
	return ms >= c.nextAt || c.nextAt > ms+(is.rem.refresh*11/10+clockSlack).Milliseconds()
}

func (s *State) watch(is *issuer, c control) {
	is.watching, is.watchOwner, is.watchStartedMillis = true, c.owner, c.startedAt
}

// addWaiter is not inlined at its five callers (an append and a time sum each).
//
//go:noinline
func (s *State) addWaiter(now time.Time, is *issuer, id uint32) {
	s.waiters = append(s.waiters, waiter{id: id, issuer: is.idx, deadline: now.Add(is.rem.timeout + 2*leaseMargin)})
}

// wake appends an ActWake for every request waiting for issuer i and forgets them.
func (s *State) wake(i int, acts []Action) []Action {
	kept := s.waiters[:0]
	for _, w := range s.waiters {
		if w.issuer == i {
			acts = append(acts, Action{Kind: ActWake, Issuer: i, Waiter: w.id})
		} else {
			kept = append(kept, w)
		}
	}
	clear(s.waiters[len(kept):])
	s.waiters = kept
	s.issuers[i].watching = false
	return acts
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

// localStore is the SharedStore of a VM without shared data.
type localStore struct {
	m   map[string][]byte
	cas map[string]uint32
}

// NewLocalStore returns an in-memory SharedStore with the proxy-wasm
// compare-and-swap rules (cas 0 writes only an absent key): the store of a
// VM without shared data, and of benchmarks that stand in for a host's.
func NewLocalStore() SharedStore {
	return &localStore{m: map[string][]byte{}, cas: map[string]uint32{}}
}

func (l *localStore) Get(key string) ([]byte, uint32, bool) {
	v, ok := l.m[key]
	return v, l.cas[key], ok
}

func (l *localStore) Set(key string, value []byte, cas uint32) bool {
	if cur, ok := l.cas[key]; (cas == 0 && ok) || (cas != 0 && cas != cur) {
		return false
	}
	l.m[key] = append([]byte(nil), value...)
	l.cas[key]++
	return true
}
