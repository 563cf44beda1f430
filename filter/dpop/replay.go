package dpop

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"io"
	"math/bits"
	"strconv"
	"time"
)

// Defaults and bounds of ReplayConfig.
const (
	// DefaultReplayCapacity entries per VM hold every proof of 68 requests a second for the
	// default window of 70 s (MaxAge 60 s + MaxFuture 10 s); about 230 KiB.
	DefaultReplayCapacity = 4096
	// DefaultSharedSlots slots of SlotEntries proofs each: 8,192 proofs across the proxy,
	// about 330 KiB of shared data.
	DefaultSharedSlots = 1024
	// SlotEntries is how many proofs one shared slot holds; the oldest is dropped first.
	SlotEntries = 8

	minReplayCapacity, maxReplayCapacity = 16, 1 << 18
	maxSharedSlots                       = 1 << 16

	// saltRefresh: how often a VM reads the shared salt again, so that VMs that raced to
	// create it (Envoy's CAS 0 writes unconditionally) converge on the stored one, and how
	// long it waits to try a failed store again.
	saltRefresh = 10 * time.Second
	sharedTries = 4
)

// ReplayConfig configures a ReplaySet.
type ReplayConfig struct {
	// Capacity: proofs remembered per VM (16 – 262144); 0: DefaultReplayCapacity.
	Capacity int
	// Shared, when set, also records proofs in the proxy-wide shared data, so a proof used
	// at one VM (Envoy worker) is a replay at every other.
	Shared SharedStore
	// Prefix starts every shared-data key (required with Shared): it should name the
	// configuration, as "audguard/<config digest>/dpop/", so that another configuration never
	// reads the entries. Keys: Prefix+"replay/salt" and Prefix+"replay/<slot>".
	Prefix string
	// SharedSlots: slots in shared data (1 – 65536); 0: DefaultSharedSlots.
	SharedSlots int
	// Random is the source of the shared salt; nil: crypto/rand.Reader.
	Random io.Reader
}

// ReplayStats are a ReplaySet's numbers. Counters only grow; export their increase.
type ReplayStats struct {
	Entries        int    // proofs this VM remembers now (gauge)
	Replays        uint64 // replays detected (counter)
	SharedReplays  uint64 // of which only the shared data knew (first use at another VM)
	Dropped        uint64 // unexpired proofs this VM forgot to make room: each is a proof whose replay it can no longer detect (counter)
	SharedDropped  uint64 // unexpired proofs this VM dropped from full shared slots (counter)
	SharedFailures uint64 // Seen calls that could not use the shared data and relied on this VM's set alone (counter)
}

// ReplaySet remembers the proofs a resource accepted until they expire, and reports a proof
// seen again within its window as a replay (RFC 9449 §11.1: "a proof JWT with the same jti
// value has not previously been received at the same resource during that time period").
//
// A proof is identified by Proof.ReplayKey (its key's thumbprint, target and jti) and
// remembered until Proof.ReplayUntil (iat + MaxAge): after that Verify refuses it by its iat,
// so memory needs to cover only the iat window.
//
// Per VM the set holds at most Capacity proofs in a ring, oldest first, with an open-addressing
// index keyed by a per-set random seed (hash/maphash), so crafted jti values cannot make
// lookups slow. When the ring is full of unexpired proofs the oldest is dropped and counted
// (Stats.Dropped): a flood of Capacity valid proofs within the window evicts a proof's record,
// after which that proof could be replayed here. Size Capacity at the expected proof rate
// times the window and alert on Dropped. Expired entries are reclaimed first and never count.
//
// With a SharedStore the set also keeps the proofs in shared data, in SharedSlots slots of
// SlotEntries proofs each; the slot of a proof is chosen with a secret salt shared through
// the store (SharedSecret), so a client cannot aim its own proofs at the slot of a proof it
// wants to replay. Writes use compare-and-swap and are read back; when the store fails (no
// salt, or no write after a few tries) the call relies on this VM's set alone and counts
// Stats.SharedFailures: cross-VM detection is best effort, per-VM detection always holds.
//
// Call Seen last, after every other check of the request passed, so that only proofs the
// resource accepted are remembered. Not safe for concurrent use: one ReplaySet per VM.
type ReplaySet struct {
	cap   int
	ring  []replayEntry
	head  int
	n     int
	index []int32 // ring positions + 1; 0 is an empty slot
	mask  uint64
	seed  maphash.Seed

	store   SharedStore
	prefix  string
	slots   uint32
	slotKey []string // lazily built shared-data keys
	random  io.Reader
	salt    []byte
	saltOK  bool
	saltAt  time.Time // last read (or failed attempt)
	buf     []byte

	stats ReplayStats
}

type replayEntry struct {
	key   [32]byte
	hash  uint64
	until int64 // Unix ms; 0: dead (forgotten, still in the ring)
}

// NewReplaySet checks cfg and returns an empty ReplaySet. Errors wrap ErrConfig.
func NewReplaySet(cfg ReplayConfig) (*ReplaySet, error) {
	if cfg.Capacity == 0 {
		cfg.Capacity = DefaultReplayCapacity
	}
	if cfg.Capacity < minReplayCapacity || cfg.Capacity > maxReplayCapacity {
		return nil, fmt.Errorf("%w: Capacity is %d; it must be between %d and %d", ErrConfig, cfg.Capacity, minReplayCapacity, maxReplayCapacity)
	}
	if cfg.SharedSlots == 0 {
		cfg.SharedSlots = DefaultSharedSlots
	}
	if cfg.SharedSlots < 1 || cfg.SharedSlots > maxSharedSlots {
		return nil, fmt.Errorf("%w: SharedSlots is %d; it must be between 1 and %d", ErrConfig, cfg.SharedSlots, maxSharedSlots)
	}
	if cfg.Shared != nil && cfg.Prefix == "" {
		return nil, fmt.Errorf("%w: Prefix is required with Shared", ErrConfig)
	}
	size := 1 << bits.Len(uint(2*cfg.Capacity-1)) // a power of two ≥ 2×Capacity: at most half full
	r := &ReplaySet{
		cap:    cfg.Capacity,
		ring:   make([]replayEntry, cfg.Capacity),
		index:  make([]int32, size),
		mask:   uint64(size - 1),
		seed:   maphash.MakeSeed(),
		store:  cfg.Shared,
		prefix: cfg.Prefix,
		slots:  uint32(cfg.SharedSlots),
		random: cfg.Random,
	}
	if r.store != nil {
		r.slotKey = make([]string, cfg.SharedSlots)
	}
	return r, nil
}

// Stats returns the set's numbers.
func (r *ReplaySet) Stats() ReplayStats {
	s := r.stats
	s.Entries = 0
	for i := 0; i < r.n; i++ {
		if r.ring[(r.head+i)%r.cap].until != 0 {
			s.Entries++
		}
	}
	return s
}

// Seen reports whether the verified proof p was seen before within its window, and
// remembers it otherwise (an atomic test-and-set per VM). A proof whose ReplayUntil is not
// after now is not remembered (Verify refuses it anyway).
func (r *ReplaySet) Seen(p *Proof, now time.Time) bool {
	return r.SeenKey(p.ReplayKey, p.ReplayUntil, now)
}

// SeenKey is Seen for a replay key and expiry computed elsewhere (ReplayKey).
func (r *ReplaySet) SeenKey(key [32]byte, until, now time.Time) bool {
	nowMs, untilMs := now.UnixMilli(), ceilMilli(until)
	if untilMs <= nowMs {
		return false
	}
	r.reclaim(nowMs)
	h := maphash.Bytes(r.seed, key[:])
	if pos := r.find(&key, h); pos >= 0 {
		e := &r.ring[pos]
		if e.until > nowMs {
			r.stats.Replays++
			return true
		}
		r.unindex(pos)
		e.until = 0
	}
	replayed := false
	if r.store != nil {
		replayed = r.sharedSeen(&key, untilMs, nowMs, now)
	}
	r.add(&key, h, untilMs, nowMs)
	if replayed {
		r.stats.Replays++
		r.stats.SharedReplays++
	}
	return replayed
}

func ceilMilli(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.Nanosecond()%int(time.Millisecond) != 0 {
		ms++
	}
	return ms
}

// reclaim forgets expired and dead entries at the head of the ring.
func (r *ReplaySet) reclaim(nowMs int64) {
	for r.n > 0 {
		e := &r.ring[r.head]
		if e.until > nowMs {
			return
		}
		if e.until != 0 {
			r.unindex(r.head)
		}
		e.until = 0
		r.head = (r.head + 1) % r.cap
		r.n--
	}
}

// add appends an entry, dropping the oldest when the ring is full.
func (r *ReplaySet) add(key *[32]byte, h uint64, untilMs, nowMs int64) {
	if r.n == r.cap {
		e := &r.ring[r.head]
		if e.until != 0 {
			if e.until > nowMs {
				r.stats.Dropped++
			}
			r.unindex(r.head)
		}
		e.until = 0
		r.head = (r.head + 1) % r.cap
		r.n--
	}
	pos := (r.head + r.n) % r.cap
	r.ring[pos] = replayEntry{key: *key, hash: h, until: untilMs}
	r.n++
	i := h & r.mask
	for r.index[i] != 0 {
		i = (i + 1) & r.mask
	}
	r.index[i] = int32(pos + 1)
}

// find returns the ring position of a live or expired (not dead) entry with key, or -1.
func (r *ReplaySet) find(key *[32]byte, h uint64) int {
	for i := h & r.mask; r.index[i] != 0; i = (i + 1) & r.mask {
		pos := int(r.index[i] - 1)
		if e := &r.ring[pos]; e.hash == h && e.key == *key {
			return pos
		}
	}
	return -1
}

// unindex removes ring position pos from the index (linear probing with backward-shift
// deletion: no tombstones, so probe sequences never grow with churn).
func (r *ReplaySet) unindex(pos int) {
	i := r.ring[pos].hash & r.mask
	for r.index[i] != int32(pos+1) {
		if r.index[i] == 0 {
			return // not indexed
		}
		i = (i + 1) & r.mask
	}
	for {
		r.index[i] = 0
		j := i
		for {
			j = (j + 1) & r.mask
			if r.index[j] == 0 {
				return
			}
			home := r.ring[r.index[j]-1].hash & r.mask
			// The entry at j may move to the hole at i unless its home lies cyclically in (i, j].
			if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
				r.index[i] = r.index[j]
				i = j
				break
			}
		}
	}
}

// Shared slots hold SlotEntries entries: magic, then (key, until ms) pairs, oldest first.
var replayMagic = [4]byte{'A', 'G', 'R', 1}

const replayEntryLen = 32 + 8

// sharedSeen looks key up in its shared slot and records it there when absent. It reports a
// replay only when the slot holds key unexpired; every failure reads as "not seen" (this VM's
// set still holds the proof).
func (r *ReplaySet) sharedSeen(key *[32]byte, untilMs, nowMs int64, now time.Time) bool {
	if !r.ensureSalt(now) {
		r.stats.SharedFailures++
		return false
	}
	slot := r.slotOf(key)
	name := r.slotKey[slot]
	if name == "" {
		name = r.prefix + "replay/" + strconv.FormatUint(uint64(slot), 10)
		r.slotKey[slot] = name
	}
	for try := 0; try < sharedTries; try++ {
		v, cas, ok := r.store.Get(name)
		if !ok {
			v, cas = nil, 0
		}
		entries := decodeSlot(v)
		b := append(r.buf[:0], replayMagic[:]...)
		live := 0
		for i := 0; i < len(entries); i += replayEntryLen {
			e := entries[i : i+replayEntryLen]
			until := int64(binary.BigEndian.Uint64(e[32:]))
			if until <= nowMs {
				continue
			}
			if [32]byte(e[:32]) == *key {
				return true
			}
			live++
		}
		// Keep the newest SlotEntries-1 live entries, then ours.
		skip := max(0, live-(SlotEntries-1))
		for i := 0; i < len(entries); i += replayEntryLen {
			e := entries[i : i+replayEntryLen]
			if int64(binary.BigEndian.Uint64(e[32:])) <= nowMs {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			b = append(b, e...)
		}
		b = append(b, key[:]...)
		b = binary.BigEndian.AppendUint64(b, uint64(untilMs))
		r.buf = b
		if !r.store.Set(name, b, cas) {
			continue
		}
		if cas != 0 || r.slotHolds(name, key) {
			r.stats.SharedDropped += uint64(max(0, live-(SlotEntries-1)))
			return false
		}
	}
	r.stats.SharedFailures++
	return false
}

// slotHolds reads slot name back after a write with CAS 0, which Envoy performs
// unconditionally: another VM may have written the slot at the same time.
func (r *ReplaySet) slotHolds(name string, key *[32]byte) bool {
	v, _, ok := r.store.Get(name)
	if !ok {
		return false
	}
	entries := decodeSlot(v)
	for i := 0; i < len(entries); i += replayEntryLen {
		if [32]byte(entries[i:i+32]) == *key {
			return true
		}
	}
	return false
}

// decodeSlot returns the entries of a slot value, or nil when it is absent or not one this
// package wrote (a planted value is overwritten, not trusted).
func decodeSlot(v []byte) []byte {
	if len(v) < len(replayMagic) || [4]byte(v[:4]) != replayMagic {
		return nil
	}
	e := v[4:]
	if len(e)%replayEntryLen != 0 || len(e) > SlotEntries*replayEntryLen {
		return nil
	}
	return e
}

// slotOf is the shared slot of key: the first 4 bytes of SHA-256(salt || key) mod slots.
func (r *ReplaySet) slotOf(key *[32]byte) uint32 {
	var in [SecretSize + 32]byte
	copy(in[:], r.salt)
	copy(in[SecretSize:], key[:])
	sum := sha256.Sum256(in[:])
	return binary.BigEndian.Uint32(sum[:4]) % r.slots
}

// ensureSalt reads (or creates) the shared salt at first use and every saltRefresh.
func (r *ReplaySet) ensureSalt(now time.Time) bool {
	if r.saltAt.IsZero() || now.Sub(r.saltAt) >= saltRefresh || now.Before(r.saltAt) {
		r.saltAt = now
		s, ok, err := SharedSecret(r.store, r.prefix+"replay/salt", r.random)
		if err == nil && ok {
			r.salt, r.saltOK = s, true
		} else if r.salt == nil {
			r.saltOK = false
		}
	}
	return r.saltOK
}
