// Command readheaders is a reference proxy-wasm plugin of the audguard
// benchmarks that does the least any header-inspecting filter must do: read
// all request headers and the two route properties, then let the request
// through. Between the do-nothing plugin and the filter, it shows how much
// of a request's cost is the host interface rather than the decision.
package main

import (
	"errors"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

func main() {}

func init() { proxywasm.SetVMContext(&vmContext{}) }

type vmContext struct{ types.DefaultVMContext }

func (*vmContext) NewPluginContext(uint32) types.PluginContext { return &pluginContext{} }

type pluginContext struct{ types.DefaultPluginContext }

func (*pluginContext) NewHttpContext(uint32) types.HttpContext { return &httpContext{} }

type httpContext struct{ types.DefaultHttpContext }

// OnHttpRequestHeaders reads what audguard reads and fails closed on a
// failing host call, as audguard does.
func (*httpContext) OnHttpRequestHeaders(int, bool) types.Action {
	headers, err := proxywasm.GetHttpRequestHeaders()
	if err != nil || len(headers) == 0 {
		return deny()
	}
	for _, p := range [][]string{{"xds", "route_name"}, {"xds", "virtual_host_name"}} {
		if _, err := proxywasm.GetProperty(p); err != nil && !errors.Is(err, types.ErrorStatusNotFound) {
			return deny()
		}
	}
	return types.ActionContinue
}

func deny() types.Action {
	_ = proxywasm.SendHttpResponse(500, nil, nil, -1)
	return types.ActionPause
}
