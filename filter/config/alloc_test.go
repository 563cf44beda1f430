package config

import (
	"fmt"
	"runtime"
	"testing"
)

// TestLoadAllocsPerResource bounds the allocations Load makes per resource
// of the common shape (resource URI and one authority, the name derived):
// none of its own; the resources, their matchers, lists, rules and strings
// are carved from blocks shared by many resources. The count is the
// difference between 1,000 and 2,000 such resources, so the fixed part
// (issuers, key sets, maps) cancels out; AllocsPerRun is deterministic here
// (one goroutine, the same bytes every run).
func TestLoadAllocsPerResource(t *testing.T) {
	allocs := func(n int) float64 {
		data := commonResources(t, n)
		return testing.AllocsPerRun(3, func() {
			if _, err := Load(data); err != nil {
				t.Fatal(err)
			}
		})
	}
	a1, a2 := allocs(1000), allocs(2000)
	per := (a2 - a1) / 1000
	t.Logf("%.0f allocations for 1,000 resources, %.0f for 2,000: %.2f per resource", a1, a2, per)
	if per > 0.25 {
		t.Errorf("Load makes %.2f allocations per resource; want at most 0.25 (the shared blocks)", per)
	}
}

// TestLoadBytesPerResource bounds the bytes Load allocates per resource of
// the same shape, the difference between 1,000 and 2,000 resources. At
// 10,000 resources the start allocates all of it with the collector off
// (filter/main.go), so every byte here is linear memory a worker grows
// into. The bound is the figure measured with Go 1.26 (1,439 bytes: the
// parse tree, the resource, its matcher, its share of the tables) plus 3 %:
// a map of URIs again (+54 bytes) or a rule set per resource again (+131)
// fails it. The count is deterministic for one Go version; a new runtime
// may move it by its size classes, and the bound then moves with a note.
func TestLoadBytesPerResource(t *testing.T) {
	bytesFor := func(n int) uint64 {
		data := commonResources(t, n)
		if _, err := Load(data); err != nil { // warm: once-only allocations
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, err := Load(data); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	b1, b2 := bytesFor(1000), bytesFor(2000)
	per := float64(b2-b1) / 1000
	t.Logf("%d bytes for 1,000 resources, %d for 2,000: %.0f per resource", b1, b2, per)
	if per > 1480 {
		t.Errorf("Load allocates %.0f bytes per resource; want at most 1,480", per)
	}
}

// commonResources is the base configuration with n resources in all, the
// others of the common shape: a resource URI and its one authority.
func commonResources(t *testing.T, n int) []byte {
	c := baseConfig(t)
	for i := 1; i < n; i++ {
		addResource(c, obj{"resource": fmt.Sprintf("https://r%d.example.com/mcp", i), "authorities": arr{fmt.Sprintf("r%d.example.com", i)}})
	}
	return marshal(t, c)
}
