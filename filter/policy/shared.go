package policy

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"

	"github.com/audguard/audguard/filter/config"
)

// SharedStore is the proxy-wasm shared data of one vm_id
// (proxy_get_shared_data / proxy_set_shared_data): one key-value store seen
// by every VM — every Envoy worker — of the plugin. The ABI has no delete,
// so the engine bounds its use with a fixed number of slots.
type SharedStore interface {
	// Get returns the value and its CAS token; ok is false when the key is absent.
	Get(key string) (value []byte, cas uint32, ok bool)
	// Set stores value if cas still matches; false otherwise. CAS 0 means
	// "only if absent" to some hosts (ngx_wasm_module) and "unconditionally" to
	// Envoy: what is stored here is correct under either reading.
	Set(key string, value []byte, cas uint32) bool
}

// sharedMagic starts every shared entry; a change of layout changes it.
var sharedMagic = [4]byte{'A', 'G', 'S', 3}

// sharedEntryLen is the fixed size of an entry: magic, digest, expiry,
// issuer, and the first 16 bytes of the verifying key's fingerprint.
const sharedEntryLen = 4 + 32 + 8 + 2 + 16

// shared is the cross-VM cache: slot = first 4 bytes of the token's SHA-256
// mod slots. An entry is the full 32-byte digest (compared in full), the
// expiry (exp + skew), the issuer's index and the verifying key's
// fingerprint: it records that a VM verified the signature of the token with
// that digest under that key, nothing more (a rotated key, even one reusing
// the kid, makes the entry useless). No claims are
// shared: a hit parses the token itself (Engine.sharedHit). The key carries
// a digest of the configuration, so entries written under another
// configuration are never read: a configuration change flushes it as it
// flushes the per-VM cache.
type shared struct {
	store  SharedStore
	slots  uint32
	prefix string // "audguard/<config digest>/"
	buf    [sharedEntryLen]byte
}

func newShared(store SharedStore, slots int, cfg *config.Plugin) *shared {
	if store == nil || slots <= 0 {
		return nil
	}
	return &shared{store: store, slots: uint32(slots), prefix: configPrefix(cfg)}
}

// configPrefix starts every shared-data key of a configuration:
// "audguard/<digest of the configuration>/", so entries written under
// another configuration are never read.
func configPrefix(cfg *config.Plugin) string {
	d := cfg.Digest()
	return "audguard/" + hex.EncodeToString(d[:12]) + "/"
}

func (s *shared) key(sum *[32]byte) string {
	slot := binary.BigEndian.Uint32(sum[:4]) % s.slots
	return s.prefix + strconv.FormatUint(uint64(slot), 10)
}

// get returns the issuer index, expiry and key fingerprint stored for sum, if
// an entry for exactly this digest exists, is well formed, has a finite
// expiry and has not expired at now. The caller checks the token against it.
func (s *shared) get(sum *[32]byte, now float64) (issuerIndex int, expiresAt float64, key [16]byte, ok bool) {
	v, _, ok := s.store.Get(s.key(sum))
	if !ok || len(v) != sharedEntryLen || [4]byte(v[:4]) != sharedMagic || [32]byte(v[4:36]) != *sum {
		return 0, 0, key, false
	}
	expiresAt = math.Float64frombits(binary.BigEndian.Uint64(v[36:44]))
	if math.IsNaN(expiresAt) || math.IsInf(expiresAt, 0) || now >= expiresAt {
		return 0, 0, key, false
	}
	return int(binary.BigEndian.Uint16(v[44:46])), expiresAt, [16]byte(v[46:62]), true
}

// put publishes a token this VM verified. A lost compare-and-swap race just
// means another VM wrote the slot first; the entry is an optimisation.
func (s *shared) put(sum *[32]byte, issuerIndex int, expiresAt float64, keyFP *[32]byte) {
	if issuerIndex < 0 || issuerIndex > math.MaxUint16 {
		return
	}
	slot := s.key(sum)
	_, cas, _ := s.store.Get(slot)
	b := append(s.buf[:0], sharedMagic[:]...)
	b = append(b, sum[:]...)
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(expiresAt))
	b = binary.BigEndian.AppendUint16(b, uint16(issuerIndex))
	b = append(b, keyFP[:16]...)
	s.store.Set(slot, b, cas)
}
