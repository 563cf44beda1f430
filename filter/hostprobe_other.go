//go:build !wasip1

package main

import "github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"

// pollOneoffProbe has nothing to probe in a native build (the SDK's host
// emulator): it reports success.
func pollOneoffProbe() uint32 { return 0 }

// setGauge defines the gauge and adds v to it; only reachable in the wasip1
// build, kept so both builds share probeHost.
func setGauge(name string, v uint64) {
	proxywasm.DefineGaugeMetric(name).Add(int64(v))
}
