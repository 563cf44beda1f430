package main

import (
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
)

// GaugeHostPollOneoffBroken is set to 1 when the host's WASI poll_oneoff
// fails at plugin start (probeHost). It is defined only then.
const GaugeHostPollOneoffBroken = "audguard.host_poll_oneoff_broken"

// probeHost checks, once per plugin start, that the host answers WASI
// poll_oneoff. A standard-Go wasip1 module calls poll_oneoff from its
// scheduler and garbage collector, and the Go runtime aborts the VM ("fatal
// error: poll_oneoff failed") when it returns an error. proxy-wasm-cpp-host
// answered ENOSYS from its PR #427 (Envoy 1.33) until PR #533 (Envoy 1.39).
// The runtime's first such call can come long after start (RATIONALE.md,
// "The host floor is Envoy 1.39"), so the probe makes one call itself — one
// clock subscription with a zero relative timeout, which never blocks — and
// says so at start. It never refuses the start: the module may run for a
// long time before the runtime needs poll_oneoff, and denying everything
// now would be an outage of its own.
func probeHost() {
	errno := pollOneoffProbe()
	if errno == 0 {
		return
	}
	proxywasm.LogCriticalf("audguard: the host's WASI poll_oneoff failed (errno %d): the Go runtime aborts "+
		"on such hosts under load (fatal error: poll_oneoff failed, golang/go#78513); use Envoy >= 1.39 "+
		"(Istio: a release whose proxy is Envoy >= 1.39) or a proxy-wasm-cpp-host with PR #533", errno)
	setGauge(GaugeHostPollOneoffBroken, 1)
}
