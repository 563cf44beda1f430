package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// A proxy-wasm reactor runs Go code only while the host calls into it. While
// requests flow, the runtime's own collections finish (bench/: 10.3 MiB of
// linear memory after 200,000 requests, with or without maybeCollect), but
// a configuration load is one long call, and on a VM with no traffic after it
// the collection it started does not finish: 60 back-to-back loads of 10,000
// resources grew linear memory, which never shrinks, by 38 MiB each. So the
// filter collects explicitly: once after a load (collectNow), and between
// requests once enough has been allocated (maybeCollect), so collections
// happen after a response rather than inside a later request (SDK
// doc/OVERVIEW.md, "Performance overhead due to Garbage Collection").

// gcCheckEvery is how many finished streams pass between allocation checks.
// Reading the counter is cheap (no stop-the-world, unlike
// runtime.ReadMemStats), but still not free inside the VM.
const gcCheckEvery = 16

// gcMinBudget is the least that may be allocated between collections. The
// budget is the larger of this and gcPercent % of the heap that was live
// after the last collection (GOGC semantics): a collection's cost grows with
// live data (the configuration, the token cache), so a budget growing with
// it keeps the collection cost spread over proportionally more requests,
// while the heap stays below about (1 + gcPercent/100) times the live data,
// and at least gcMinBudget above it.
const gcMinBudget = 4 << 20

// gcPercent is the configuration's gc_percent (docs/configuration.md#gc_percent),
// set with the runtime's own GOGC by setGCPercent.
var gcPercent = 100

var (
	streamsSinceCheck int
	// retired: a configuration (plugin context) was retired since the last
	// collection: what it held is garbage the next check collects.
	retired        bool
	allocsAtLastGC uint64
	cyclesAtLastGC uint64
	budget         uint64 = gcMinBudget
	samples               = []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/gc/heap/live:bytes"}}
)

// maybeCollect runs the garbage collector outside the request path when at
// least the budget has been allocated since the last collection, the
// runtime's own or the filter's. Called from OnHttpStreamDone, after the
// response.
func maybeCollect() {
	streamsSinceCheck++
	if streamsSinceCheck < gcCheckEvery {
		return
	}
	streamsSinceCheck = 0
	metrics.Read(samples[:1])
	if sampleUint(0)-allocsAtLastGC < budget && !retired {
		return // the cycle count is read only when a collection may be due
	}
	metrics.Read(samples[1:2])
	if due(sampleUint(0), sampleUint(1)) || retired {
		collectNow()
	}
}

// due reports whether allocs bytes allocated and cycles collections so far
// (the runtime's counters) make a collection due. A collection the runtime
// made since the last check restarts the count instead: counting from the
// filter's own last collection only, maybeCollect ran a second full
// collection right after nearly every one of the runtime's (the budget is
// about the room the runtime leaves, and the runtime starts a little before
// it), doubling the collections (BENCHMARKS.md, "The collector's allowance").
func due(allocs, cycles uint64) bool {
	if cycles != cyclesAtLastGC {
		allocsAtLastGC, cyclesAtLastGC = allocs, cycles
		return false
	}
	return allocs-allocsAtLastGC >= budget
}

// collectNow runs a full collection and restarts the budget. OnPluginStart
// should call it once the engine is built: loading a configuration allocates
// far more than it keeps (38 MB for 10,000 resources), and on an idle VM that
// garbage otherwise stays.
func collectNow() {
	runtime.GC()
	retired = false
	metrics.Read(samples)
	allocsAtLastGC, cyclesAtLastGC = sampleUint(0), sampleUint(1)
	budget = max(gcMinBudget, sampleUint(2)/100*uint64(gcPercent))
}

// setGCPercent applies gc_percent to the runtime's collector and to
// maybeCollect's budget. The collector is the VM's: where one VM runs several
// configurations, the last one started sets it.
func setGCPercent(percent int) {
	gcPercent = percent
	debug.SetGCPercent(percent)
}

// sampleUint is the value of samples[i], or 0 when the runtime does not
// support the metric (then maybeCollect never collects; the runtime's own
// collector is still there).
func sampleUint(i int) uint64 {
	if samples[i].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return samples[i].Value.Uint64()
}
