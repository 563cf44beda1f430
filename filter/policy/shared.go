package policy

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/jwtlite"
)

// SharedStore is the proxy-wasm shared data of one vm_id
// (proxy_get_shared_data / proxy_set_shared_data): one key-value store seen
// by every VM — every Envoy worker — of the plugin. The ABI has no delete,
// so the engine bounds its use with a fixed number of slots.
type SharedStore interface {
	// Get returns the value and its CAS token; ok is false when the key is absent.
	Get(key string) (value []byte, cas uint32, ok bool)
	// Set stores value if cas still matches (0: only if absent); false otherwise.
	Set(key string, value []byte, cas uint32) bool
}

// sharedMagic starts every shared entry; a change of layout changes it.
var sharedMagic = [4]byte{'A', 'G', 'S', 1}

// shared is the cross-VM cache: slot = first 4 bytes of the token's SHA-256
// mod slots. An entry is the full 32-byte digest (compared in full), the
// expiry (exp + skew), the issuer's index and the verified claims JSON. The
// key carries a digest of the configuration, so entries written under
// another configuration are never read: a configuration change flushes it
// as it flushes the per-VM cache.
type shared struct {
	store  SharedStore
	slots  uint32
	prefix string // "audguard/<config digest>/"
	buf    []byte
}

func newShared(store SharedStore, slots int, cfg *config.Plugin) *shared {
	if store == nil || slots <= 0 {
		return nil
	}
	d := sha256.Sum256(cfg.JSON())
	return &shared{store: store, slots: uint32(slots), prefix: "audguard/" + hex.EncodeToString(d[:12]) + "/"}
}

func (s *shared) key(sum *[32]byte) string {
	slot := binary.BigEndian.Uint32(sum[:4]) % s.slots
	return s.prefix + strconv.FormatUint(uint64(slot), 10)
}

// get returns the verified claims and issuer for sum, if another VM (or this
// one, earlier) verified the token and it has not expired at now.
func (s *shared) get(sum *[32]byte, cfg *config.Plugin, now float64) (*config.Issuer, jwtlite.Claims, float64, bool) {
	v, _, ok := s.store.Get(s.key(sum))
	const head = 4 + 32 + 8 + 2
	if !ok || len(v) < head || [4]byte(v[:4]) != sharedMagic || [32]byte(v[4:36]) != *sum {
		return nil, jwtlite.Claims{}, 0, false
	}
	expiresAt := math.Float64frombits(binary.BigEndian.Uint64(v[36:44]))
	idx := int(binary.BigEndian.Uint16(v[44:46]))
	if now >= expiresAt || idx >= len(cfg.Issuers) {
		return nil, jwtlite.Claims{}, 0, false
	}
	claims, err := jwtlite.ParseClaims(v[head:])
	if err != nil {
		return nil, jwtlite.Claims{}, 0, false
	}
	return cfg.Issuers[idx], claims, expiresAt, true
}

// put publishes a token this VM verified. A lost compare-and-swap race just
// means another VM wrote the slot first; the entry is an optimisation.
func (s *shared) put(sum *[32]byte, issuerIndex int, claims *jwtlite.Claims, expiresAt float64) {
	if issuerIndex < 0 || issuerIndex > math.MaxUint16 {
		return
	}
	key := s.key(sum)
	_, cas, _ := s.store.Get(key)
	b := append(s.buf[:0], sharedMagic[:]...)
	b = append(b, sum[:]...)
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(expiresAt))
	b = binary.BigEndian.AppendUint16(b, uint16(issuerIndex))
	b = append(b, claims.Raw()...)
	s.buf = b
	s.store.Set(key, b, cas)
}

func issuerIndex(cfg *config.Plugin, is *config.Issuer) int {
	for i, x := range cfg.Issuers {
		if x == is {
			return i
		}
	}
	return -1
}
