package main

import (
	"time"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"

	"github.com/audguard/audguard/filter/dpop"
)

// DPoP glue (docs/request-flow.md#11a-dpop): the engine holds the proof
// verifiers, the replay set and the nonces (filter/policy/dpop.go), sharing
// the replay set and the nonce secret through hostShared; here the replay
// set's statistics become metrics on the tick, like the key sets' (filter/keys_glue.go).

// dpopTickPeriod is the tick when only DPoP needs one (remote key sets set their own).
const dpopTickPeriod = time.Second

// dpopMetrics are the replay set's counters and gauge (docs/metrics.md#dpop-metrics).
type dpopMetrics struct {
	defined                         bool
	replays, sharedReplays, dropped proxywasm.MetricCounter
	sharedDropped, sharedFailures   proxywasm.MetricCounter
	entries                         proxywasm.MetricGauge
	last                            dpop.ReplayStats
	lastEntries                     int
	names                           []string // kept alive: the SDK's test host keys metrics by guest memory
}

// startDPoP defines the DPoP metrics when a resource uses DPoP, and makes
// sure the tick runs to export them.
func (p *pluginContext) startDPoP() {
	if _, ok := p.engine.DPoPStats(); !ok {
		return
	}
	const pre = "audguard.dpop."
	m := &p.dpopStats
	m.names = []string{pre + "replays", pre + "shared_replays", pre + "dropped", pre + "shared_dropped", pre + "shared_failures", pre + "entries"}
	m.replays = proxywasm.DefineCounterMetric(m.names[0])
	m.sharedReplays = proxywasm.DefineCounterMetric(m.names[1])
	m.dropped = proxywasm.DefineCounterMetric(m.names[2])
	m.sharedDropped = proxywasm.DefineCounterMetric(m.names[3])
	m.sharedFailures = proxywasm.DefineCounterMetric(m.names[4])
	m.entries = proxywasm.DefineGaugeMetric(m.names[5])
	m.defined, m.lastEntries = true, -1
	if !p.engine.Keys().HasRemote() {
		if err := proxywasm.SetTickPeriodMilliSeconds(uint32(dpopTickPeriod / time.Millisecond)); err != nil {
			proxywasm.LogErrorf("audguard: cannot set the tick for the DPoP metrics: %v", err)
		}
	}
}

// exportDPoP moves the DPoP metrics to the replay set's statistics (on the tick).
func (p *pluginContext) exportDPoP() {
	m := &p.dpopStats
	if !m.defined {
		return
	}
	s, _ := p.engine.DPoPStats()
	add := func(c proxywasm.MetricCounter, now, last uint64) {
		if now > last {
			c.Increment(now - last)
		}
	}
	add(m.replays, s.Replays, m.last.Replays)
	add(m.sharedReplays, s.SharedReplays, m.last.SharedReplays)
	add(m.dropped, s.Dropped, m.last.Dropped)
	add(m.sharedDropped, s.SharedDropped, m.last.SharedDropped)
	add(m.sharedFailures, s.SharedFailures, m.last.SharedFailures)
	m.last = s
	if s.Entries != m.lastEntries {
		setGauge(m.entries, uint64(s.Entries)) // a gauge: never proxy_increment_metric
		m.lastEntries = s.Entries
	}
}
