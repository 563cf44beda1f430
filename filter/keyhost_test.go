package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

// The hosts the remote-key tests (filter/jwks_test.go) drive: the SDK's
// emulator for the native runs, and the strict host
// (filter/wasihost_test.go) with a clock the test moves for the .wasm runs.
// Both can be a host that switches contexts (proxy-wasm-cpp-host: Envoy,
// Istio) or one that does not (ngx_wasm_module: nginx, Kong).

// keyHost is one proxy running the plugin with one configuration.
type keyHost interface {
	// tick calls the plugin's tick.
	tick()
	// advance moves the plugin's clock forward.
	advance(d time.Duration)
	// callouts are the HTTP call-outs dispatched so far, oldest first.
	callouts() []keyCallout
	// answer answers the oldest unanswered call-out; status 0: no answer
	// (timeout), delivered without headers.
	answer(status int, body []byte)
	// send starts a stream with the request headers; it returns its id.
	send(headers [][2]string, endOfStream bool) uint32
	// body hands a stream its request body and returns the plugin's action.
	body(id uint32, data []byte, endOfStream bool) types.Action
	// complete ends a stream (the client went away, or the response is done).
	complete(id uint32)
	// status is a stream's state: Pause with the status of a local reply,
	// Pause and 0 while paused, Continue and 0 once passed upstream.
	status(id uint32) (types.Action, uint32)
	// reply is a stream's local reply, nil if none.
	reply(id uint32) *keyReply
	counter(name string) uint64
	// gauge is a gauge's value and whether the plugin defined it.
	gauge(name string) (uint64, bool)
	// logs are the log lines at level (logInfo, logWarn, logCritical).
	logs(level uint32) []string
	// anotherVM starts the plugin in another VM of the same proxy (same
	// shared data); from then on requests and ticks go to it.
	anotherVM()
	// streamCallsInRoot are the host calls about a stream made while the
	// host ran a root-context callback (a tick, a call-out's answer): only
	// after a real context switch can there be any. The emulator cannot
	// tell (nil).
	streamCallsInRoot() []string
}

type keyCallout struct {
	upstream string
	headers  [][2]string
	fromRoot bool // dispatched from the plugin (root) context
}

type keyReply struct {
	status  uint32
	headers [][2]string
}

// --- the SDK's emulator, native ---

type emuKeys struct {
	t       *testing.T
	h       proxytest.HostEmulator
	now     time.Time
	streams []uint32
	served  int
}

// startEmuKeys starts the native plugin on the emulator with cfg and a clock
// at start. switches: the plugin is told that the host switches contexts (the
// emulator accepts any id in proxy_set_effective_context, as ngx_wasm_module
// does, but really switches, as proxy-wasm-cpp-host does), so the waiting
// path of Envoy runs natively.
func startEmuKeys(t *testing.T, cfg []byte, switches bool, start time.Time) *emuKeys {
	e := &emuKeys{t: t, now: start}
	savedClock := clock
	clock = func() time.Time { return e.now }
	t.Cleanup(func() { clock = savedClock })
	if switches {
		savedProbe := contextSwitchProbe
		contextSwitchProbe = func(uint32) bool { return true }
		t.Cleanup(func() { contextSwitchProbe = savedProbe })
	}
	h, reset := proxytest.NewHostEmulator(proxytest.NewEmulatorOption().WithVMContext(&vmContext{}).WithPluginConfiguration(cfg))
	t.Cleanup(reset)
	if got := h.StartPlugin(); got != types.OnPluginStartStatusOK {
		t.Fatalf("OnPluginStart = %v; error logs %q", got, h.GetErrorLogs())
	}
	e.h = h
	return e
}

func (e *emuKeys) tick()                   { e.h.Tick() }
func (e *emuKeys) advance(d time.Duration) { e.now = e.now.Add(d) }

func (e *emuKeys) all() []proxytest.HttpCalloutAttribute {
	var out []proxytest.HttpCalloutAttribute
	for _, id := range append([]uint32{proxytest.PluginContextID}, e.streams...) {
		out = append(out, e.h.GetCalloutAttributesFromContext(id)...)
	}
	return out
}

func (e *emuKeys) callouts() []keyCallout {
	var out []keyCallout
	for _, id := range append([]uint32{proxytest.PluginContextID}, e.streams...) {
		for _, c := range e.h.GetCalloutAttributesFromContext(id) {
			out = append(out, keyCallout{upstream: c.Upstream, headers: c.Headers, fromRoot: id == proxytest.PluginContextID})
		}
	}
	return out
}

func (e *emuKeys) answer(status int, body []byte) {
	e.t.Helper()
	all := e.all()
	if e.served >= len(all) {
		e.t.Fatalf("no call-out to answer (%d dispatched)", len(all))
	}
	c := all[e.served]
	e.served++
	var hdrs [][2]string
	if status > 0 {
		hdrs = [][2]string{{":status", fmt.Sprint(status)}}
	}
	e.h.CallOnHttpCallResponse(c.CalloutID, hdrs, nil, body)
}

func (e *emuKeys) send(headers [][2]string, endOfStream bool) uint32 {
	id := e.h.InitializeHttpContext()
	e.streams = append(e.streams, id)
	e.h.CallOnRequestHeaders(id, headers, endOfStream)
	return id
}

func (e *emuKeys) body(id uint32, data []byte, endOfStream bool) types.Action {
	return e.h.CallOnRequestBody(id, data, endOfStream)
}

func (e *emuKeys) complete(id uint32) { e.h.CompleteHttpContext(id) }

func (e *emuKeys) status(id uint32) (types.Action, uint32) {
	if l := e.h.GetSentLocalResponse(id); l != nil {
		return types.ActionPause, l.StatusCode
	}
	return e.h.GetCurrentHttpStreamAction(id), 0
}

func (e *emuKeys) reply(id uint32) *keyReply {
	if l := e.h.GetSentLocalResponse(id); l != nil {
		return &keyReply{status: l.StatusCode, headers: l.Headers}
	}
	return nil
}

func (e *emuKeys) counter(name string) uint64 {
	v, _ := e.h.GetCounterMetric(name)
	return v
}

func (e *emuKeys) gauge(name string) (uint64, bool) {
	v, err := e.h.GetGaugeMetric(name)
	return v, err == nil
}

func (e *emuKeys) logs(level uint32) []string {
	switch level {
	case logInfo:
		return e.h.GetInfoLogs()
	case logWarn:
		return e.h.GetWarnLogs()
	case logCritical:
		return e.h.GetCriticalLogs()
	}
	e.t.Fatalf("no logs at level %d", level)
	return nil
}

// anotherVM starts the plugin again on the same emulator: a new engine with
// an empty local state over the same shared data, as another VM would see.
func (e *emuKeys) anotherVM() {
	if got := e.h.StartPlugin(); got != types.OnPluginStartStatusOK {
		e.t.Fatalf("second start: %v", got)
	}
}

func (e *emuKeys) streamCallsInRoot() []string { return nil }

// --- the strict host, the .wasm ---

type strictKeys struct {
	t      *testing.T
	mode   hostMode
	cfg    []byte
	clock  *fakeClock
	shared *sharedStore
	vms    []*wasiHost // the last one gets the requests and ticks
	served int
}

// startStrictKeys starts build/audguard.wasm with cfg on a strict host of
// the given family, its clock at start.
func startStrictKeys(t *testing.T, cfg []byte, mode hostMode, start time.Time) *strictKeys {
	s := &strictKeys{t: t, mode: mode, cfg: cfg, clock: newFakeClock(start), shared: newSharedStore()}
	s.anotherVM()
	return s
}

func (s *strictKeys) vm() *wasiHost { return s.vms[len(s.vms)-1] }

func (s *strictKeys) anotherVM() {
	vm := newStrictHost(s.t, hostConfig{mode: s.mode, poll: pollAfter533, clock: s.clock, shared: s.shared})
	if ok, err := vm.start(s.cfg); err != nil || !ok {
		s.t.Fatalf("start: ok=%v err=%v; logs %v", ok, err, vm.logs)
	}
	s.vms = append(s.vms, vm)
}

func (s *strictKeys) must(what string, err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatalf("%s: %v\nguest output:\n%s", what, err, tail(s.vm().stderr.String(), 20))
	}
}

func (s *strictKeys) tick()                   { s.must("tick", s.vm().tick()) }
func (s *strictKeys) advance(d time.Duration) { s.clock.advance(d) }

func (s *strictKeys) callouts() []keyCallout {
	var out []keyCallout
	for _, vm := range s.vms {
		for _, c := range vm.callouts {
			_, root := vm.roots[c.from]
			out = append(out, keyCallout{upstream: c.upstream, headers: c.headers, fromRoot: root})
		}
	}
	return out
}

func (s *strictKeys) answer(status int, body []byte) {
	s.t.Helper()
	n := s.served
	for _, vm := range s.vms {
		if n < len(vm.callouts) {
			s.served++
			s.must("answering a call-out", vm.answer(vm.callouts[n], status, body))
			return
		}
		n -= len(vm.callouts)
	}
	s.t.Fatalf("no call-out to answer (%d dispatched)", len(s.callouts()))
}

func (s *strictKeys) send(headers [][2]string, endOfStream bool) uint32 {
	id, err := s.vm().beginRequest(headers, endOfStream)
	s.must("request headers", err)
	return id
}

func (s *strictKeys) body(id uint32, data []byte, endOfStream bool) types.Action {
	action, err := s.vm().requestBody(id, data, endOfStream)
	s.must("request body", err)
	return types.Action(action)
}

func (s *strictKeys) complete(id uint32) { s.must("ending a stream", s.vm().endRequest(id)) }

func (s *strictKeys) status(id uint32) (types.Action, uint32) {
	st := s.vm().streams[id]
	switch {
	case st.reply != nil:
		return types.ActionPause, st.reply.status
	case st.paused:
		return types.ActionPause, 0
	}
	return types.ActionContinue, 0
}

func (s *strictKeys) reply(id uint32) *keyReply {
	if r := s.vm().streams[id].reply; r != nil {
		return &keyReply{status: r.status, headers: r.headers}
	}
	return nil
}

// counter is the current VM's counter (the strict host keeps metrics per VM).
func (s *strictKeys) counter(name string) uint64 { return uint64(s.vm().counter(name)) }

func (s *strictKeys) gauge(name string) (uint64, bool) {
	v, ok := s.vm().gauge(name)
	return uint64(v), ok
}

func (s *strictKeys) logs(level uint32) []string {
	var out []string
	for _, vm := range s.vms {
		out = append(out, vm.logsAt(level)...)
	}
	return out
}

func (s *strictKeys) streamCallsInRoot() []string {
	var out []string
	for _, vm := range s.vms {
		for _, c := range vm.streamCalls {
			if _, root := vm.roots[c.cbCtx]; root {
				out = append(out, fmt.Sprintf("%s on stream %d in %s", c.fn, c.stream, c.callback))
			}
		}
	}
	return out
}
