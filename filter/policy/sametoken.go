package policy

import (
	"encoding/binary"
	"unsafe"
)

// sameString reports whether a and b are the same bytes in memory: the same
// address and length, not merely equal contents.
func sameString(a, b string) bool {
	return len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b)
}

// equalWords reports whether a == b, comparing eight bytes at a time. Go's
// wasm runtime compares strings one byte per loop iteration (memeqbody in
// internal/bytealg/equal_wasm.s): 1.8 µs for a 700-byte token in wazero,
// twice per cache hit. Native builds use == (vectorised) instead; see
// sameToken. Timing does not matter here: a cached token is only compared
// with a request's token after the seeded hash of both matched.
func equalWords(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	pa, pb := unsafe.Slice(unsafe.StringData(a), len(a)), unsafe.Slice(unsafe.StringData(b), len(b))
	i := 0
	for ; i+8 <= len(pa); i += 8 {
		if binary.LittleEndian.Uint64(pa[i:]) != binary.LittleEndian.Uint64(pb[i:]) {
			return false
		}
	}
	for ; i < len(pa); i++ {
		if pa[i] != pb[i] {
			return false
		}
	}
	return true
}
