//go:build wasip1

package main

import (
	"unsafe"
)

// pollOneoffProbeTag is the probe subscription's userdata ("audguard" in
// ASCII), so a test host can tell the probe's call from the runtime's.
const pollOneoffProbeTag = 0x6175646775617264

//go:wasmimport wasi_snapshot_preview1 poll_oneoff
//go:noescape
func wasiPollOneoff(in, out unsafe.Pointer, nsubscriptions uint32, nevents unsafe.Pointer) uint32

// pollOneoffProbe calls poll_oneoff with one subscription: the monotonic
// clock, relative, timeout 0. It returns the WASI errno (0: success).
//
// Layouts (wasi_snapshot_preview1, wasm32): a subscription is 48 bytes —
// userdata u64 at 0, the union tag u8 at 8 (0 = clock), then the clock
// subscription at 16: id u32 at 16, timeout u64 at 24, precision u64 at 32,
// flags u16 at 40 (0 = relative). An event is 32 bytes.
func pollOneoffProbe() uint32 {
	var sub [6]uint64
	var evt [4]uint64
	var nevents uint32
	sub[0] = pollOneoffProbeTag
	sub[1] = 0 // eventtype clock
	sub[2] = 1 // clockid monotonic
	sub[3] = 0 // timeout: now
	sub[4] = 0 // precision
	sub[5] = 0 // flags: relative
	return wasiPollOneoff(unsafe.Pointer(&sub), unsafe.Pointer(&evt), 1, unsafe.Pointer(&nevents))
}
