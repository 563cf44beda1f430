package keys

import (
	"encoding/binary"
)

// SharedStore is the proxy-wasm shared data of one vm_id (proxy_get_shared_data /
// proxy_set_shared_data), seen by every VM — every Envoy worker — of the plugin. It has the
// method set of policy.SharedStore, so the glue's one implementation serves both.
type SharedStore interface {
	// Get returns the value and its CAS token; ok is false when the key is absent.
	Get(key string) (value []byte, cas uint32, ok bool)
	// Set stores value if cas still matches; false otherwise. CAS 0 means
	// "only if absent" to some hosts (ngx_wasm_module) and "unconditionally" to
	// Envoy: what is stored here is correct under either reading.
	Set(key string, value []byte, cas uint32) bool
}

// Two entries per issuer with a jwks_uri, under the caller's prefix (a digest of the
// configuration, so another configuration never reads them):
//
//	<prefix>jwks/<issuer index>/ctl  the fetch lease, the schedule and the published generation (small; read every tick)
//	<prefix>jwks/<issuer index>/set  the published set: generation, fetch time, Set.Compact (read when the generation changes)
//
// Times are Unix milliseconds. A VM trusts neither entry more than a fetch: the set is judged
// again by ParseSet, and control values that no VM of this configuration could have written
// (a lease longer than the timeout, a start or next fetch in the future beyond the schedule)
// are clamped, so a planted entry cannot stop fetches or hold requests for long.
var (
	ctlMagic = [4]byte{'A', 'G', 'K', 1}
	setMagic = [4]byte{'A', 'G', 'S', 1}
)

const (
	ctlLen       = 4 + 8 + 8 + 8 + 8 + 4 + 8 + 8
	setHeaderLen = 4 + 8 + 8
)

// control is the ctl entry.
type control struct {
	owner     uint64 // VM id of the lease holder (of the last fetch)
	startedAt int64  // when the last fetch started (the rate limit of unknown-kid refetches)
	expiresAt int64  // lease end; 0 once released
	nextAt    int64  // when the next scheduled fetch is due
	failures  uint32 // consecutive failed fetches (the backoff exponent)
	gen       uint64 // generation of the published set; 0: none
	fetchedAt int64  // when that set was fetched
}

func (c *control) encode() []byte {
	b := make([]byte, 0, ctlLen)
	b = append(b, ctlMagic[:]...)
	b = binary.BigEndian.AppendUint64(b, c.owner)
	b = binary.BigEndian.AppendUint64(b, uint64(c.startedAt))
	b = binary.BigEndian.AppendUint64(b, uint64(c.expiresAt))
	b = binary.BigEndian.AppendUint64(b, uint64(c.nextAt))
	b = binary.BigEndian.AppendUint32(b, c.failures)
	b = binary.BigEndian.AppendUint64(b, c.gen)
	return binary.BigEndian.AppendUint64(b, uint64(c.fetchedAt))
}

func decodeControl(b []byte) (control, bool) {
	if len(b) != ctlLen || [4]byte(b[:4]) != ctlMagic {
		return control{}, false
	}
	u := func(i int) uint64 { return binary.BigEndian.Uint64(b[i:]) }
	return control{
		owner: u(4), startedAt: int64(u(12)), expiresAt: int64(u(20)), nextAt: int64(u(28)),
		failures: binary.BigEndian.Uint32(b[36:]), gen: u(40), fetchedAt: int64(u(48)),
	}, true
}

func encodeSet(gen uint64, fetchedAt int64, compact []byte) []byte {
	b := make([]byte, 0, setHeaderLen+len(compact))
	b = append(b, setMagic[:]...)
	b = binary.BigEndian.AppendUint64(b, gen)
	b = binary.BigEndian.AppendUint64(b, uint64(fetchedAt))
	return append(b, compact...)
}

func decodeSet(b []byte) (gen uint64, fetchedAt int64, compact []byte, ok bool) {
	if len(b) < setHeaderLen || [4]byte(b[:4]) != setMagic {
		return 0, 0, nil, false
	}
	return binary.BigEndian.Uint64(b[4:]), int64(binary.BigEndian.Uint64(b[12:])), b[setHeaderLen:], true
}
