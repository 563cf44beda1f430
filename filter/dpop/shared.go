package dpop

import (
	"crypto/rand"
	"fmt"
	"io"
)

// SharedStore is the proxy-wasm shared data of one vm_id (proxy_get_shared_data /
// proxy_set_shared_data), seen by every VM — every Envoy worker — of the plugin. It has the
// method set of keys.SharedStore and policy.SharedStore, so the glue's one implementation
// serves all three. The ABI has no delete: everything here uses a bounded number of keys.
type SharedStore interface {
	// Get returns the value and its CAS token; ok is false when the key is absent (or the
	// host failed).
	Get(key string) (value []byte, cas uint32, ok bool)
	// Set stores value if cas still matches; false otherwise. CAS 0 means "only if absent"
	// to some stores and "unconditionally" to Envoy: every caller here reads its write back.
	Set(key string, value []byte, cas uint32) bool
}

// SecretSize is the length of the secrets SharedSecret makes: 256 bits, the HMAC-SHA256 key
// length RFC 2104 §3 recommends at least (the hash output).
const SecretSize = 32

// secretMagic starts a shared secret entry; a change of layout changes it.
var secretMagic = [4]byte{'A', 'G', 'D', 1}

const secretEntryLen = len(secretMagic) + SecretSize

// SharedSecret returns the SecretSize-byte secret stored under key, creating it from random
// (nil: crypto/rand.Reader) when the entry is absent or not one this package wrote: the first
// writer wins by compare-and-swap, and every VM reads the entry back after writing, so a VM
// that lost the race (Envoy's CAS 0 writes unconditionally) adopts the winner's secret. The
// bool reports whether the returned secret is the stored one; false means the store failed
// (nothing could be written or read back) and the secret is this VM's own, so values made
// with it are valid at this VM only: callers fall back to per-VM operation and try the store
// again later.
//
// Shared data is writable by every module of the vm_id; a module there could plant a secret
// of its choice. Give audguard its own vm_id (RATIONALE.md, "Sharing verified tokens between
// VMs is opt-in").
func SharedSecret(store SharedStore, key string, random io.Reader) ([]byte, bool, error) {
	if random == nil {
		random = rand.Reader
	}
	if store != nil {
		if s, ok := readSecret(store, key); ok {
			return s, true, nil
		}
	}
	own := make([]byte, SecretSize)
	if _, err := io.ReadFull(random, own); err != nil {
		return nil, false, fmt.Errorf("dpop: reading a random secret: %w", err)
	}
	if store == nil {
		return own, false, nil
	}
	entry := append(append(make([]byte, 0, secretEntryLen), secretMagic[:]...), own...)
	for try := 0; try < 4; try++ {
		v, cas, ok := store.Get(key)
		if ok {
			if s, valid := decodeSecret(v); valid {
				return s, true, nil
			}
		} else {
			cas = 0
		}
		if store.Set(key, entry, cas) {
			break
		}
	}
	if s, ok := readSecret(store, key); ok {
		return s, true, nil
	}
	return own, false, nil
}

func readSecret(store SharedStore, key string) ([]byte, bool) {
	v, _, ok := store.Get(key)
	if !ok {
		return nil, false
	}
	return decodeSecret(v)
}

func decodeSecret(v []byte) ([]byte, bool) {
	if len(v) != secretEntryLen || [4]byte(v[:4]) != secretMagic {
		return nil, false
	}
	return append([]byte(nil), v[4:]...), true
}
