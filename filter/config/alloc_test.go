package config

import (
	"fmt"
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
		c := baseConfig(t)
		for i := 1; i < n; i++ {
			addResource(c, obj{"resource": fmt.Sprintf("https://r%d.example.com/mcp", i), "authorities": arr{fmt.Sprintf("r%d.example.com", i)}})
		}
		data := marshal(t, c)
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
