package main

import (
	"math"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
)

// GaugeHostPollOneoffBroken is set to 1 when the host's WASI poll_oneoff
// fails at plugin start (probeHost). It is defined only then.
const GaugeHostPollOneoffBroken = "audguard.host_poll_oneoff_broken"

// hostFacts is what the start-time probes learned about the host
// (docs/request-flow.md#remote-keys-on-hosts-that-cannot-wake-a-request).
type hostFacts struct {
	// switchesContexts: proxy_set_effective_context really makes another
	// context current, so a key fetch's answer (which arrives in the plugin
	// context) may resume a paused request. proxy-wasm-cpp-host (Envoy,
	// Istio) refuses an id that names no context with BadArgument;
	// ngx_wasm_module (nginx, Kong; 3bed278) answers Ok to any id and
	// switches nothing, and a resumed request there read another context's
	// memory (a worker crash, SIGSEGV in ngx_proxy_wasm_maps_get_map).
	switchesContexts bool
}

// family names the host for an operator, from its measured behaviour.
func (f hostFacts) family() string {
	if f.switchesContexts {
		return "proxy-wasm-cpp-host (Envoy, Istio)"
	}
	return "a host that does not switch contexts (ngx_wasm_module: nginx, Kong; or another)"
}

// noSuchContext is a context id no host hands out: ids count up from 1 per
// VM, and 2^32-1 contexts never coexist.
const noSuchContext = math.MaxUint32

// probeContextSwitch asks the host to make a context that does not exist
// current. A host that checks the id (and so really switches) refuses; a host
// that accepts it switches nothing. The plugin context (root) is made current
// again either way, for a host that did take the id.
func probeContextSwitch(root uint32) bool {
	err := proxywasm.SetEffectiveContext(noSuchContext)
	_ = proxywasm.SetEffectiveContext(root)
	return err != nil
}

// probeHost runs the start-time probes. The context switch is probed at every
// start (two host calls; tests swap the host under one binary); poll_oneoff
// once per VM, so its critical line is not repeated at each reload.
func probeHost(root uint32) hostFacts {
	f := hostFacts{switchesContexts: contextSwitchProbe(root)}
	if !pollProbed {
		pollProbed = true
		probePoll(f)
	}
	return f
}

// contextSwitchProbe is probeContextSwitch; native tests replace it to run
// the Envoy path on the SDK's emulator, which accepts any id.
var contextSwitchProbe = probeContextSwitch

// pollProbed: poll_oneoff was probed in this VM.
var pollProbed bool

// probePoll checks that the host answers WASI poll_oneoff. A standard-Go
// wasip1 module calls poll_oneoff from its scheduler and garbage collector,
// and the Go runtime aborts the VM ("fatal error: poll_oneoff failed") when
// it returns an error. proxy-wasm-cpp-host answered ENOSYS from its PR #427
// (Envoy 1.33) until PR #533 (Envoy 1.39); ngx_wasm_module 3bed278 answers
// ENOTSUP. The runtime's first such call can come long after start
// (RATIONALE.md, "The host floor is Envoy 1.39"), so the probe makes one call
// itself — one clock subscription with a zero relative timeout, which never
// blocks — and says so at start, naming what to do on the host it found. It
// never refuses the start: the module may run for a long time before the
// runtime needs poll_oneoff, and denying everything now would be an outage of
// its own.
func probePoll(f hostFacts) {
	errno := pollOneoffProbe()
	if errno == 0 {
		return
	}
	fix := "use Envoy >= 1.39 (Istio >= 1.31) or a proxy-wasm-cpp-host with PR #533"
	if !f.switchesContexts {
		fix = "on ngx_wasm_module (nginx, Kong) build the module with a poll_oneoff implementation " +
			"(envoy/kong/README.md, \"Host requirement\"): on the stock module the worker crashes, not only the request"
	}
	proxywasm.LogCriticalf("audguard: the host's WASI poll_oneoff failed (errno %d): the Go runtime aborts "+
		"on such hosts under load (fatal error: poll_oneoff failed, golang/go#78513); host: %s; %s", errno, f.family(), fix)
	setGauge(proxywasm.DefineGaugeMetric(GaugeHostPollOneoffBroken), 1)
}

// setGauge sets a gauge with proxy_record_metric. Gauges are never moved with
// proxy_increment_metric: ngx_wasm_module traps on that for anything but a
// counter, and the trap recurs at every tick of the recreated instance. The
// SDK has no record call for gauges; its histogram type makes the same host
// call. A host that refuses is ignored: a gauge only reports.
func setGauge(g proxywasm.MetricGauge, v uint64) {
	defer func() { _ = recover() }() // the SDK panics when the host refuses
	proxywasm.MetricHistogram(g).Record(v)
}
