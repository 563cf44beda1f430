package main

import "runtime"

// gcCheckEvery is how many finished streams pass between heap checks.
const gcCheckEvery = 64

// gcHeapLimit is the live-plus-garbage heap size above which a finished
// stream triggers a collection, so collections happen after a response
// rather than inside a later request (SDK doc/OVERVIEW.md, "Performance
// overhead due to Garbage Collection").
const gcHeapLimit = 8 << 20

var streamsSinceCheck int

// maybeCollect runs the garbage collector outside the request path when the
// heap has grown past gcHeapLimit. Called from OnHttpStreamDone.
func maybeCollect() {
	streamsSinceCheck++
	if streamsSinceCheck < gcCheckEvery {
		return
	}
	streamsSinceCheck = 0
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.HeapAlloc >= gcHeapLimit {
		runtime.GC()
	}
}
