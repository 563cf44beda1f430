package main

import (
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
)

// hostShared is the host's shared data for this plugin's vm_id
// (proxy_get_shared_data / proxy_set_shared_data). Any error reads as
// "absent" or "not stored": the shared cache is an optimisation, and a miss
// only means the signature is verified again.
type hostShared struct{}

func (hostShared) Get(key string) ([]byte, uint32, bool) {
	v, cas, err := proxywasm.GetSharedData(key)
	if err != nil {
		return nil, 0, false
	}
	return v, cas, true
}

func (hostShared) Set(key string, value []byte, cas uint32) bool {
	return proxywasm.SetSharedData(key, value, cas) == nil
}
