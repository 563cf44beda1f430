package main

import (
	"runtime/metrics"
	"testing"
)

// TestGCDue: the between-request collection is due once the budget has been
// allocated since the last collection, whoever made it; a collection the
// runtime made since the last check restarts the count (it used to be
// followed by a second one).
func TestGCDue(t *testing.T) {
	prevAllocs, prevCycles, prevBudget := allocsAtLastGC, cyclesAtLastGC, budget
	t.Cleanup(func() { allocsAtLastGC, cyclesAtLastGC, budget = prevAllocs, prevCycles, prevBudget })
	allocsAtLastGC, cyclesAtLastGC, budget = 1000, 7, 100
	steps := []struct {
		allocs, cycles uint64
		want           bool
	}{
		{1050, 7, false}, // under the budget
		{1100, 7, true},  // the budget, no collection since
		{1150, 7, true},  // still due until something collects
		{1150, 8, false}, // the runtime collected: count again from here
		{1200, 8, false},
		{1249, 8, false},
		{1250, 8, true}, // the budget since the runtime's collection
		{1300, 9, false},
		{5000, 10, false}, // another runtime collection, however much was allocated before it
		{5099, 10, false},
		{5100, 10, true},
	}
	for i, s := range steps {
		if got := due(s.allocs, s.cycles); got != s.want {
			t.Fatalf("step %d: due(%d, %d) = %v, want %v", i, s.allocs, s.cycles, got, s.want)
		}
	}
}

// TestGCAfterRetire: a retired configuration makes the next check collect
// (its tables are garbage the runtime, pacing on the old live heap, would
// leave for long), once; without one and under the budget, no collection.
func TestGCAfterRetire(t *testing.T) {
	prevBudget, prevRetired := budget, retired
	t.Cleanup(func() { budget, retired = prevBudget, prevRetired })
	cycles := func() uint64 {
		s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	check := func(step string, wantGC bool) {
		t.Helper()
		budget = 1 << 60 // never due by allocation here
		streamsSinceCheck = gcCheckEvery - 1
		before := cycles()
		maybeCollect()
		if got := cycles() > before; got != wantGC {
			t.Errorf("%s: collected %v, want %v", step, got, wantGC)
		}
	}
	retired = false
	check("nothing retired", false)
	(&pluginContext{}).OnPluginDone()
	check("after OnPluginDone", true)
	check("the check after that", false)
}
