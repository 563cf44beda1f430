// Command metricsreader is a test-only proxy-wasm filter for the nginx
// end-to-end suite: it answers GET /?name=<metric> with the value of
// audguard's metric <name>, read with proxy_get_metric.
//
// ngx_wasm_module stores a filter's metric <name> as "pw:<filter>:<name>"
// and its id is the CRC-32 of that string (ngx_wa_metrics_define); any
// filter may read any id. plain nginx has no other way to read them. An id
// that does not exist traps the instance (it is recreated): the suite only
// asks for metrics that should exist, and a trap reads as 500.
package main

import (
	"hash/crc32"
	"strconv"
	"strings"

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

func (*httpContext) OnHttpRequestHeaders(int, bool) types.Action {
	path, err := proxywasm.GetHttpRequestHeader(":path")
	if err != nil {
		return reply(500, "no :path")
	}
	_, query, _ := strings.Cut(path, "?")
	name, ok := strings.CutPrefix(query, "name=")
	if !ok || name == "" {
		return reply(400, "want ?name=<metric>")
	}
	id := crc32.ChecksumIEEE([]byte("pw:audguard:" + name))
	v := proxywasm.MetricCounter(id).Value() // traps when the metric does not exist
	return reply(200, strconv.FormatUint(v, 10))
}

func reply(status uint32, body string) types.Action {
	_ = proxywasm.SendHttpResponse(status, [][2]string{{"content-type", "text/plain"}}, []byte(body), -1)
	return types.ActionPause
}
