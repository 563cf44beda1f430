// Command filter is the audguard proxy-wasm plugin: thin glue between the
// proxy-wasm host ABI and the pure decision package filter/policy.
//
// Everything that decides lives in filter/config (parsed once at start) and
// filter/policy (per request); this file only reads what the host knows,
// applies the decision, counts and logs. Every failing host call fails
// closed.
package main

import (
	"errors"
	"runtime/debug"
	"time"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/audguard/audguard/filter/config"
	jwks "github.com/audguard/audguard/filter/keys"
	"github.com/audguard/audguard/filter/listshape"
	"github.com/audguard/audguard/filter/policy"
)

func main() {}

func init() {
	proxywasm.SetVMContext(&vmContext{})
}

type vmContext struct{ types.DefaultVMContext }

func (*vmContext) NewPluginContext(id uint32) types.PluginContext { return &pluginContext{id: id} }

// pluginContext holds one compiled configuration and its engine. A new
// configuration starts a new plugin context, so the token cache never
// outlives the configuration it was filled under.
type pluginContext struct {
	types.DefaultPluginContext
	id               uint32 // the plugin (root) context: owns the key fetches
	engine           *policy.Engine
	counters         []proxywasm.MetricCounter // by policy.CounterID
	counterNames     []string                  // kept alive: the SDK's test host keys metrics by guest memory
	resourceCounters map[uint64]resourceCounter
	kind             hostKind
	waiting          map[uint32]*httpContext // requests paused for a key fetch
	queued           []jwks.FetchRequest     // fetches asked for from a request: dispatched on the next tick
	inRoot           bool                    // in a plugin-context callback (tick, fetch answer)
	keyStats         []issuerMetrics         // per issuer, exported on the tick
	noProperties     bool                    // access_log_properties is false, or the host refused proxy_set_property once: stop asking
	host             hostFacts               // what the start-time probes found (filter/hostprobe.go)
	dpopStats        dpopMetrics             // the DPoP replay set's metrics, exported on the tick (filter/dpop_glue.go)
	// List shaping (filter/lists_glue.go): one JSON shaper and its buffer,
	// and the stream shapers not in use.
	shaper   listshape.Shaper
	shapeBuf []byte
	streams  []*listshape.StreamShaper
}

// resourceCounter is a per-resource counter and its name, kept alive: the
// SDK's test host keys its metric table by the guest's memory (real hosts
// copy the name).
type resourceCounter struct {
	proxywasm.MetricCounter
	name string
}

// publish sets the decision's access-log properties (docs/metrics.md). A host
// that cannot store them (ngx_wasm_module without a matching variable) is
// told once at info and then left alone: access logs are not worth a 500.
func (p *pluginContext) publish(d *policy.Decision) {
	if p.noProperties {
		return
	}
	for _, kv := range d.Properties() {
		if kv[1] == "-" {
			continue // absent prints as "-" in Envoy's access log: one host call saved
		}
		if err := proxywasm.SetProperty([]string{kv[0]}, []byte(kv[1])); err != nil {
			p.noProperties = true
			proxywasm.LogInfof("audguard: the host does not keep the access-log properties (%v); not setting them again", err)
			return
		}
	}
}

// OnPluginStart parses and validates the configuration once (docs/configuration.md).
// Any problem refuses the start: the host rejects the configuration, and
// nothing ever runs in an allow-all state.
func (p *pluginContext) OnPluginStart(int) types.OnPluginStartStatus {
	p.host = probeHost(p.id) // context switching; a failing WASI poll_oneoff: one critical line and a gauge
	// No collection while loading: a load allocates far more than it keeps
	// and collectNow runs right after it; collections during a 10,000-
	// resource load cost a quarter of its time in the module (BENCHMARKS.md),
	// and linear memory after the load is the same either way.
	// The collector stays off until the configuration's gc_percent is set
	// (or the previous setting is restored if the configuration is refused).
	percent := debug.SetGCPercent(-1)
	defer func() { setGCPercent(percent) }()
	data, err := proxywasm.GetPluginConfiguration()
	if err != nil && !errors.Is(err, types.ErrorStatusNotFound) {
		proxywasm.LogErrorf("audguard: cannot read the plugin configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	cfg, err := config.Load(data)
	if err != nil {
		proxywasm.LogError("audguard: refusing to start: " + err.Error())
		return types.OnPluginStartStatusFailed
	}
	for _, w := range cfg.Warnings {
		proxywasm.LogWarn("audguard: " + w)
	}
	p.noProperties = !cfg.AccessLogProperties // access_log_properties: false
	names := policy.CounterNames()
	p.counterNames = names
	p.counters = make([]proxywasm.MetricCounter, len(names))
	p.resourceCounters = make(map[uint64]resourceCounter)
	for i, name := range names {
		p.counters[i] = proxywasm.DefineCounterMetric(name)
	}
	p.engine, err = policy.NewEngine(cfg, policy.Options{Shared: hostShared{}, KeysShared: hostShared{}, DPoPShared: hostShared{},
		Now: func() time.Time { return clock() }})
	if err != nil {
		proxywasm.LogError("audguard: refusing to start: " + err.Error())
		return types.OnPluginStartStatusFailed
	}
	p.startKeys() // remote JWK Sets: first fetch and the tick (filter/keys_glue.go)
	p.startDPoP() // the DPoP replay metrics (filter/dpop_glue.go)
	if p.engine.Keys().HasRemote() && !p.host.switchesContexts {
		proxywasm.LogInfo("audguard: this host does not switch contexts (proxy_set_effective_context accepts " +
			"any id): requests are decided on the keys at hand and never paused for a key fetch " +
			"(docs/request-flow.md#remote-keys-on-hosts-that-cannot-wake-a-request)")
	}
	// Loading allocates far more than it keeps; collect now, outside any
	// request, or an idle VM keeps every reload's garbage (filter/gc.go).
	percent, gcPercent = cfg.GCPercent, cfg.GCPercent
	collectNow()
	proxywasm.LogInfof("%s started in %s mode with %d resource(s) and %d issuer(s)", versionLine(), // filter/version.go
		cfg.Mode, len(cfg.Resources), len(cfg.Issuers))
	return types.OnPluginStartStatusOK
}

// OnPluginDone: the host retires this configuration (a new one replaced
// it, or the VM stops). Its engine, token cache and tables become garbage
// once the host deletes the context; the between-request check after it
// collects them (filter/gc.go), as the runtime, pacing on the larger live
// heap the old configuration made, would wait long for it.
func (p *pluginContext) OnPluginDone() bool {
	retired = true
	return true
}

func (p *pluginContext) NewHttpContext(id uint32) types.HttpContext {
	return &httpContext{plugin: p, id: id}
}

// count moves the counter with this policy.CounterID; -1 is none.
func (p *pluginContext) count(id int) {
	if id >= 0 && id < len(p.counters) {
		p.counters[id].Increment(1)
	}
}

// hostKind is what the plugin has learned about its host (docs/request-flow.md#6-resource).
type hostKind uint8

const (
	hostUnknown hostKind = iota
	hostEnvoy            // answered an xds.* property
	hostNginx            // answered ngx.host (ngx_wasm_module: nginx, Kong)
	hostOther            // has no ngx.host: xds.* is asked for, ngx.host no longer
)

// readHostFacts fills the routing facts of req from host properties: Envoy's
// xds.route_name and xds.virtual_host_name, and, where the authority comes
// from the Host header, nginx's $host (ngx.host). Once a host has shown what
// it is, the other host's properties are no longer asked for (ngx_wasm_module
// logs unknown properties). It returns what failed, or "".
func (p *pluginContext) readHostFacts(req *policy.Request) string {
	var ok bool
	if p.kind != hostNginx {
		if req.RouteName, req.HasRoute, ok = property("xds", "route_name"); !ok {
			return "reading xds.route_name"
		}
		if req.VirtualHost, req.HasVirtualHost, ok = property("xds", "virtual_host_name"); !ok {
			return "reading xds.virtual_host_name"
		}
		if req.HasRoute || req.HasVirtualHost {
			p.kind = hostEnvoy
		}
	}
	req.XDS = p.kind == hostEnvoy
	if p.kind == hostUnknown || p.kind == hostNginx && p.engine.Config().AuthorityFrom != config.AuthorityExact {
		if req.HostVar, req.HasHostVar, ok = property("ngx", "host"); !ok {
			return "reading ngx.host"
		}
		switch {
		case req.HasHostVar:
			p.kind = hostNginx
		case p.kind == hostUnknown:
			p.kind = hostOther // no nginx variables here: do not ask again
		}
	}
	return ""
}

type httpContext struct {
	types.DefaultHttpContext
	plugin   *pluginContext
	id       uint32 // the host's context id: names the request to the key state
	eos      bool   // end of stream came with the request headers
	route    string
	hasRoute bool

	// The JSON-RPC body (docs/request-flow.md#9-mcp-operation): holding while the
	// request waits for its whole body (OutcomeHold), at most maxBody bytes;
	// bodySize is what the host has buffered so far. body, hasBody and
	// tooLarge are what the next decision is told.
	holding  bool
	maxBody  int64
	bodySize int
	body     []byte
	hasBody  bool
	tooLarge bool
	// bodyEnded: the stream's end (last body chunk or trailers) came while
	// the request waited for a key fetch, so no body callback will follow
	// its hold; cacheCounted: the header pass already counted its cache use.
	bodyEnded    bool
	cacheCounted bool
	held         *policy.Request // the header pass's request, for the body pass
	// response are headers for the upstream's response (a fresh DPoP-Nonce,
	// RFC 9449 §8.2), set in OnHttpResponseHeaders.
	response [][2]string
	// list is the list plan of the response (filter/lists_glue.go); nil
	// for every response that is not the answer to a list request.
	list *listState
}

// OnHttpRequestHeaders gathers what the host knows, has filter/policy
// decide, and applies the decision.
func (h *httpContext) OnHttpRequestHeaders(_ int, endOfStream bool) types.Action {
	h.eos = endOfStream
	return h.decide(true)
}

// decide runs the decision on the request headers; mayWait is false when the
// request has already waited for a key fetch (docs/configuration.md#remote-key-sets-jwks_uri),
// and always on a host that cannot make a paused request current again to
// resume it (docs/request-flow.md#remote-keys-on-hosts-that-cannot-wake-a-request).
func (h *httpContext) decide(mayWait bool) types.Action {
	p := h.plugin
	if p.engine == nil { // cannot happen after a successful start; fail closed
		return h.apply(p.engine.HostFailure("plugin not started", nil))
	}
	req, failed := h.request(mayWait)
	if failed != nil {
		return h.apply(failed)
	}
	d := p.engine.Decide(&req)
	switch d.Outcome {
	case policy.OutcomeWait:
		acts := d.Actions
		p.waiting[h.id] = h
		p.run(acts)
		return types.ActionPause
	case policy.OutcomeHold:
		return h.hold(d, &req)
	}
	acts := d.Actions
	action := h.apply(d)
	p.run(acts)
	return action
}

// request gathers what the host knows about the request: its headers and
// the host facts. The body pass reuses the header pass's (h.held): nothing
// of them changes in between, and reading them again cost a third of a
// body-judged cache hit in the module (BENCHMARKS.md). It returns the
// decision on a failing host call.
func (h *httpContext) request(mayWait bool) (policy.Request, *policy.Decision) {
	p := h.plugin
	if h.held != nil && (h.hasBody || h.tooLarge) {
		req := *h.held
		req.MayWait = false
		req.Body, req.HasBody, req.BodyTooLarge = h.body, h.hasBody, h.tooLarge
		return req, nil
	}
	headers, err := proxywasm.GetHttpRequestHeaders()
	if err != nil {
		return policy.Request{}, p.engine.HostFailure("reading request headers", nil)
	}
	req := policy.Request{Headers: headers, EndOfStream: h.eos, ID: h.id, MayWait: mayWait && p.host.switchesContexts,
		Body: h.body, HasBody: h.hasBody, BodyTooLarge: h.tooLarge}
	if what := p.readHostFacts(&req); what != "" {
		return policy.Request{}, p.engine.HostFailure(what, headers)
	}
	h.route, h.hasRoute = req.RouteName, req.HasRoute
	return req, nil
}

// hold holds a request the body will decide (OnHttpRequestBody,
// OnHttpRequestTrailers). Its cache use is counted now (the token was
// verified on the headers; the body pass is a cache hit), and client-sent
// claim headers go now, whatever the body brings.
func (h *httpContext) hold(d *policy.Decision, req *policy.Request) types.Action {
	p := h.plugin
	for _, name := range d.Remove {
		if err := proxywasm.RemoveHttpRequestHeader(name); err != nil {
			return h.apply(p.engine.HostFailure("removing a request header", nil))
		}
	}
	held := *req
	h.held, h.holding, h.maxBody = &held, true, d.MaxBody
	p.count(d.CacheCounterID())
	h.cacheCounted = true
	p.run(d.Actions)
	if h.bodyEnded {
		// The whole body came in while the request waited for a key
		// fetch: judge it now, no body callback will come.
		return h.judge()
	}
	if p.kind == hostNginx {
		// ngx_wasm_module reads the body in its content phase, which only
		// comes once the headers phase has continued; nothing goes upstream
		// before the body callback has answered (a Pause here would stall
		// the request for good).
		return types.ActionContinue
	}
	return types.ActionPause // Envoy: the headers wait with the body
}

// apply carries out a decision: counters, the log line, header removals,
// then the local reply or the header edits. A failing edit is itself a host
// failure, decided by policy without the headers (so: 500).
func (h *httpContext) apply(d *policy.Decision) types.Action {
	p := h.plugin
	if !h.cacheCounted {
		p.count(d.CacheCounterID())
	}
	p.count(d.CounterID())
	if key, ok := d.ResourceCounterKey(); ok {
		c, defined := p.resourceCounters[key]
		if !defined { // defined on first use (docs/metrics.md)
			name := d.ResourceCounterName()
			c = resourceCounter{proxywasm.DefineCounterMetric(name), name}
			p.resourceCounters[key] = c
		}
		c.Increment(1)
	}
	p.publish(d)
	switch level, line := d.Log(); level {
	case policy.LogDebug:
		proxywasm.LogDebug(line)
	case policy.LogInfo:
		proxywasm.LogInfo(line)
	case policy.LogError:
		proxywasm.LogError(line)
	}
	for _, name := range d.Remove {
		if err := proxywasm.RemoveHttpRequestHeader(name); err != nil {
			return h.apply(p.engine.HostFailure("removing a request header", nil))
		}
	}
	if d.Local() {
		if err := proxywasm.SendHttpResponse(d.Status, d.ReplyHeaders, d.ReplyBody, -1); err != nil {
			proxywasm.LogErrorf("audguard: sending the local reply failed: %v", err)
		}
		return types.ActionPause
	}
	for _, kv := range d.Set {
		if err := proxywasm.ReplaceHttpRequestHeader(kv[0], kv[1]); err != nil {
			return h.apply(p.engine.HostFailure("setting a claim header", nil))
		}
	}
	h.response = append(h.response[:0], d.Response...) // the Decision is the engine's: copy
	h.planList(d)
	return types.ActionContinue
}

// OnHttpResponseHeaders adds the response headers the decision asked for (a
// fresh DPoP-Nonce, and for a browser client the CORS exposure of it, next to
// whatever the upstream exposes; a failure is logged, the response is not at
// fault), and
// counts route_changed when the host reports a route other than the one the
// decision used (a later filter cleared the route cache;
// docs/request-flow.md#6-resource).
func (h *httpContext) OnHttpResponseHeaders(int, bool) types.Action {
	for _, kv := range h.response {
		if err := proxywasm.AddHttpResponseHeader(kv[0], kv[1]); err != nil {
			proxywasm.LogWarnf("audguard: adding the %s response header failed: %v", kv[0], err)
		}
	}
	h.response = nil
	if h.list != nil {
		h.listHeaders()
	}
	if h.hasRoute {
		if route, has, ok := property("xds", "route_name"); ok && has && route != h.route {
			h.plugin.count(policy.CounterID(policy.CounterRouteChanged))
		}
	}
	return types.ActionContinue
}

// OnHttpRequestBody holds the body of a request that waits for a key fetch:
// returning Continue here would let the paused request go upstream with no
// decision made (the headers' Pause does not hold the body). Envoy buffers
// it; a body beyond the buffer limit gets 413, which is closed too.
//
// A request held for its JSON-RPC body (OutcomeHold) is buffered until the
// end of the stream — Envoy calls this once per chunk with the size buffered
// so far, ngx_wasm_module once with the whole body — and decided then, or as
// soon as more than max_body_bytes have arrived. The body goes upstream as it
// came.
func (h *httpContext) OnHttpRequestBody(bodySize int, endOfStream bool) types.Action {
	if h.plugin.waiting[h.id] == h {
		h.bodySize, h.bodyEnded = bodySize, endOfStream
		return types.ActionPause
	}
	if !h.holding {
		return types.ActionContinue
	}
	h.bodySize = bodySize
	if !endOfStream && int64(bodySize) <= h.maxBody {
		return types.ActionPause
	}
	return h.judge()
}

// OnHttpRequestTrailers holds the trailers of a waiting request, likewise; a
// request held for its body is decided here when trailers end its stream.
func (h *httpContext) OnHttpRequestTrailers(int) types.Action {
	if h.plugin.waiting[h.id] == h {
		h.bodyEnded = true
		return types.ActionPause
	}
	if h.holding {
		return h.judge()
	}
	return types.ActionContinue
}

// judge decides a held request once its body is whole (h.bodySize bytes),
// or once more than max_body_bytes have come (413 body_too_large).
func (h *httpContext) judge() types.Action {
	if int64(h.bodySize) > h.maxBody {
		h.holding, h.tooLarge = false, true
		return h.decide(false)
	}
	return h.judgeBody()
}

// judgeBody reads the whole held body from the host and decides the request
// with it.
func (h *httpContext) judgeBody() types.Action {
	h.holding = false
	var body []byte
	if h.bodySize > 0 {
		b, err := proxywasm.GetHttpRequestBody(0, h.bodySize)
		if err != nil {
			return h.apply(h.plugin.engine.HostFailure("reading the request body", nil))
		}
		body = b
	}
	h.body, h.hasBody = body, true
	action := h.decide(false)
	h.body = nil
	return action
}

// OnHttpStreamDone forgets a request that ended while waiting for a key
// fetch, and collects garbage, when due, after the response is done.
func (h *httpContext) OnHttpStreamDone() {
	if p := h.plugin; p.waiting[h.id] == h {
		delete(p.waiting, h.id)
		p.engine.Keys().Cancel(h.id)
	}
	h.endList()
	maybeCollect()
}

// property reads a host property. A property the host does not have is no
// error (has=false); any other failure is (ok=false).
func property(path ...string) (value string, has, ok bool) {
	b, err := proxywasm.GetProperty(path)
	switch {
	case err == nil:
		return string(b), true, true
	case errors.Is(err, types.ErrorStatusNotFound):
		return "", false, true
	default:
		return "", false, false
	}
}
