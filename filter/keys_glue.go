package main

import (
	"strconv"
	"time"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"

	jwks "github.com/audguard/audguard/filter/keys"
	"github.com/audguard/audguard/filter/policy"
)

// Remote JWK Sets (docs/configuration.md#remote-key-sets-jwks_uri): the glue carries out what the key state
// (filter/keys) asks for — HTTP call-outs, waking paused requests, warnings —
// and drives its schedule with the plugin tick. Nothing here decides.

// clock is the key state's time source; native tests move it forward (in
// the .wasm under test the runtime's clock is fixed).
var clock = time.Now

// startKeys asks the host for a tick when an issuer has a jwks_uri; the
// first tick starts the first fetch.
func (p *pluginContext) startKeys() {
	p.waiting = make(map[uint32]*httpContext)
	st := p.engine.Keys()
	if !st.HasRemote() {
		return
	}
	cfg := p.engine.Config()
	p.keyStats = make([]issuerMetrics, len(cfg.Issuers))
	for i, is := range cfg.Issuers {
		if is.Remote != nil {
			p.keyStats[i] = newIssuerMetrics(is.Name)
		}
	}
	// The first fetch starts on the first tick, not here: ngx_wasm_module
	// refuses HTTP call-outs during plugin start. A request that needs the
	// keys before then starts the fetch itself and waits for it.
	if err := proxywasm.SetTickPeriodMilliSeconds(uint32(jwks.TickPeriod / time.Millisecond)); err != nil {
		proxywasm.LogErrorf("audguard: cannot set the tick for remote key sets: %v", err)
	}
}

// OnTick advances the key state: fetches asked for from a request,
// refreshes, retries, a set another VM fetched, stale keys; then exports the
// per-issuer metrics.
func (p *pluginContext) OnTick() {
	if p.engine == nil {
		return
	}
	p.inRoot = true
	defer func() { p.inRoot = false }()
	now := clock()
	queued := p.queued
	p.queued = nil
	for _, f := range queued {
		p.fetch(f)
	}
	st := p.engine.Keys()
	p.run(st.Tick(now))
	for i := range p.keyStats {
		if p.keyStats[i].defined {
			p.keyStats[i].export(st.Stats(now, i))
		}
	}
	p.exportDPoP() // filter/dpop_glue.go
}

// run carries out key-state actions, in order.
func (p *pluginContext) run(acts []jwks.Action) {
	for _, a := range acts {
		switch a.Kind {
		case jwks.ActFetch:
			if p.inRoot {
				p.fetch(a.Fetch)
			} else {
				// A call-out made from a request belongs to that request's
				// context: the host cancels it, and the SDK drops its answer,
				// when the stream ends, and the fetch (and the proxy-wide
				// lease) would be lost. It goes out on the next tick, from
				// the plugin context, well inside the lease's margin.
				p.queued = append(p.queued, a.Fetch)
			}
		case jwks.ActWake:
			p.wake(a.Waiter)
		case jwks.ActWarn:
			proxywasm.LogWarn(a.Text) // already "audguard: jwks fetch failed: …"
		}
	}
}

// fetch dispatches one JWK Set fetch through the host's HTTP call-out and
// reports its outcome to the key state. It is only called from the plugin
// context (a tick, or the answer to an earlier fetch).
func (p *pluginContext) fetch(f jwks.FetchRequest) {
	_, err := proxywasm.DispatchHttpCall(f.Cluster, f.Headers, nil, nil, f.TimeoutMS, func(_, bodySize, _ int) {
		p.inRoot = true
		defer func() { p.inRoot = false }()
		status := 0
		if hs, err := proxywasm.GetHttpCallResponseHeaders(); err == nil {
			for _, h := range hs {
				if h[0] == ":status" {
					status, _ = strconv.Atoi(h[1])
				}
			}
		}
		var body []byte
		if bodySize > 0 {
			body, _ = proxywasm.GetHttpCallResponseBody(0, min(bodySize, jwks.MaxBodyBytes+1))
		}
		p.run(p.engine.Keys().OnFetchResponse(clock(), f.Seq, status, body))
	})
	if err != nil {
		p.run(p.engine.Keys().OnFetchFailed(clock(), f.Seq, "dispatch: "+err.Error()))
	}
}

// wake decides a request that waited for a fetch once more, now without
// waiting, and resumes it or answers it; then the plugin context is the
// effective one again, so that what follows (a fetch) is not the stream's.
func (p *pluginContext) wake(id uint32) {
	h := p.waiting[id]
	if h == nil {
		return // it ended meanwhile
	}
	delete(p.waiting, id)
	if err := proxywasm.SetEffectiveContext(id); err != nil {
		return // the stream is gone
	}
	defer func() { _ = proxywasm.SetEffectiveContext(p.id) }()
	inRoot := p.inRoot
	p.inRoot = false // the stream is the effective context now: a fetch waits for the tick
	action := h.decide(false)
	p.inRoot = inRoot
	if action == types.ActionContinue {
		if err := proxywasm.ResumeHttpRequest(); err != nil {
			proxywasm.LogErrorf("audguard: resuming a request after a key fetch failed: %v", err)
		}
	}
}

// issuerMetrics are the per-issuer metrics of an issuer with a jwks_uri
// (docs/metrics.md): fetches ok and failed and unknown-kid refetches (counters),
// usable fetched keys and seconds since the last good fetch (gauges, set with
// proxy_record_metric: filter/hostprobe.go's setGauge).
type issuerMetrics struct {
	defined                    bool
	ok, failed, refetch        proxywasm.MetricCounter
	keys, since                proxywasm.MetricGauge
	sinceDefined               bool // seconds_since_good_fetch exists from the first good fetch on
	lastOK, lastFailed, lastRe uint64
	lastKeys, lastSince        int64
	// names keeps the metric names' bytes alive: the SDK's test host keys
	// its metric table by the guest's memory (real hosts copy the name).
	names []string
}

func newIssuerMetrics(name string) issuerMetrics {
	p := "audguard.jwks." + policy.MetricName(name) + "."
	m := issuerMetrics{defined: true, names: []string{p + "fetch_ok", p + "fetch_failed", p + "unknown_kid_refetch", p + "keys", p + "seconds_since_good_fetch"},
		lastKeys: -1, lastSince: -1}
	m.ok, m.failed, m.refetch = proxywasm.DefineCounterMetric(m.names[0]), proxywasm.DefineCounterMetric(m.names[1]), proxywasm.DefineCounterMetric(m.names[2])
	m.keys = proxywasm.DefineGaugeMetric(m.names[3])
	return m
}

// export adds the counters' increase since the last export and sets the
// gauges that changed. seconds_since_good_fetch is defined at the first good
// fetch: absent means never (a gauge holds no negative value).
func (m *issuerMetrics) export(s jwks.Stats) {
	add := func(c proxywasm.MetricCounter, now uint64, last *uint64) {
		if now > *last {
			c.Increment(now - *last)
			*last = now
		}
	}
	add(m.ok, s.FetchesOK, &m.lastOK)
	add(m.failed, s.FetchesFailed, &m.lastFailed)
	add(m.refetch, s.UnknownKeyRefetches, &m.lastRe)
	if n := int64(s.FetchedKeys); n != m.lastKeys {
		setGauge(m.keys, uint64(n))
		m.lastKeys = n
	}
	if s.SinceGoodFetch >= 0 && s.SinceGoodFetch != m.lastSince {
		if !m.sinceDefined {
			m.since, m.sinceDefined = proxywasm.DefineGaugeMetric(m.names[4]), true
		}
		setGauge(m.since, uint64(s.SinceGoodFetch))
		m.lastSince = s.SinceGoodFetch
	}
}
