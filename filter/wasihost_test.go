package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// This file is a strict proxy-wasm host for build/audguard.wasm, built on
// wazero like proxytest's, but strict where the real hosts are and with the
// two host families' differences the glue depends on:
//
//   - WASI poll_oneoff is ours: it answers as proxy-wasm-cpp-host (Envoy's
//     Wasm host) did before or after its PR #533, or as a stock
//     ngx_wasm_module does. proxytest always instantiates wazero's full WASI,
//     whose poll_oneoff works, so tests through proxytest never see what
//     Envoy 1.33–1.38 do to a standard-Go module (RATIONALE.md, "The host
//     floor is Envoy 1.39").
//   - proxy_set_effective_context behaves as proxy-wasm-cpp-host's (an id
//     that names no live context is BadArgument; a live one really becomes
//     the context of the host calls that follow, until the callback returns)
//     or as ngx_wasm_module 3bed278's (Ok for any id, switches nothing): see
//     hostMode.
//   - What ngx_wasm_module traps on traps here too, and fails the test:
//     proxy_increment_metric of anything but a counter, proxy_record_metric
//     of a counter, any metric call naming an id never defined, an HTTP
//     call-out outside on_request_headers, on_request_body, on_tick and
//     on_http_call_response (so: during plugin start), a tick period set
//     outside a root context. So does what no host can do sensibly: a host
//     call about a stream (request headers, body, local reply, resume,
//     per-request properties) made while the current context is not a live
//     stream — from on_tick or an HTTP call-out's answer in the root context
//     without a real context switch — resuming a stream that is not paused,
//     a second local reply, reading the plugin configuration outside
//     on_configure or a call-out's answer outside its callback. A trap ends
//     the VM, as on a real host (ngx_wasm_module recreates the instance).
//   - Shared data has the host's compare-and-swap: on proxy-wasm-cpp-host CAS
//     0 writes unconditionally; on ngx_wasm_module the CAS must equal the
//     key's (0 when absent).
//
// The host drives the module the way Envoy does: proxy_on_context_create,
// proxy_on_vm_start and proxy_on_configure for the root context; per stream
// proxy_on_context_create, proxy_on_request_headers (and body), and when the
// stream ends proxy_on_response_headers (when it was neither answered locally
// nor left paused), proxy_on_done, proxy_on_log, proxy_on_delete. The test
// ticks (proxy_on_tick, once the module set a tick period), answers HTTP
// call-outs (proxy_on_http_call_response; the answer's headers and body are
// read with proxy_get_header_map_pairs and proxy_get_buffer_bytes during that
// callback) and, with a fakeClock, moves the module's clock.

// pollBehaviour is how the host answers wasi_snapshot_preview1.poll_oneoff.
type pollBehaviour int

const (
	// pollBefore533 is proxy-wasm-cpp-host from PR #427 (Envoy 1.33) until
	// PR #533: the import exists, but answers ENOSYS and writes nothing.
	pollBefore533 pollBehaviour = iota
	// pollAfter533 is proxy-wasm-cpp-host with PR #533 (Envoy 1.39), and
	// ngx_wasm_module with the poll_oneoff patch (e2e/nginx/host): it
	// reports zero events and success, without sleeping.
	pollAfter533
	// pollNgxStock is ngx_wasm_module 3bed278 as released: ENOTSUP.
	pollNgxStock
)

func (p pollBehaviour) String() string {
	switch p {
	case pollBefore533:
		return "cpp-host before #533"
	case pollAfter533:
		return "cpp-host after #533"
	}
	return "stock ngx_wasm_module"
}

// hostMode is the host family, as far as the glue can tell them apart.
type hostMode int

const (
	// modeCppHost is proxy-wasm-cpp-host (Envoy, Istio):
	// proxy_set_effective_context refuses an id that names no live context
	// (BadArgument) and really switches to a live one.
	modeCppHost hostMode = iota
	// modeNgx is ngx_wasm_module 3bed278 (nginx, Kong):
	// proxy_set_effective_context answers Ok to any id and switches nothing.
	modeNgx
)

func (m hostMode) String() string {
	if m == modeNgx {
		return "ngx_wasm_module"
	}
	return "proxy-wasm-cpp-host"
}

// probeTag is the userdata of probeHost's subscription ("audguard").
const probeTag = 0x6175646775617264

// WASI errnos.
const (
	errnoNOSYS  = 52
	errnoNOTSUP = 58
)

// proxy-wasm ABI 0.2.1 values used by the host.
const (
	pwOK            = 0
	pwNotFound      = 1
	pwBadArg        = 2
	pwCasMiss       = 8
	mapReqHdrs      = 0
	mapRespHdrs     = 2
	mapCallRespHdrs = 6
	mapCallRespTrls = 7
	bufReqBody      = 0
	bufRespBody     = 1
	bufCallResp     = 4
	bufPluginCfg    = 7
	metricCounter   = 0
	metricGauge     = 1
	metricHistogram = 2
	logInfo         = 2
	logWarn         = 3
	logCritical     = 5
	actionPause     = 1
)

// metricIDBase is the first metric id the host hands out: ids are not small
// integers a bug could name by accident.
const metricIDBase = 0x5000

type hostLog struct {
	level   uint32
	msg     string
	context uint32 // the current context when it was logged
}

type hostMetric struct {
	name    string
	typ     uint32
	value   int64
	records int // proxy_record_metric calls
}

type sharedValue struct {
	value []byte
	cas   uint32
}

// sharedStore is the shared data of one vm_id: every VM of a proxy sees it.
type sharedStore struct {
	m       map[string]sharedValue
	lastCas uint32 // proxy-wasm-cpp-host hands out CAS values from one counter
}

func newSharedStore() *sharedStore { return &sharedStore{m: map[string]sharedValue{}} }

// fakeClock is the module's wall and monotonic clock, moved by the test. Each
// reading also moves it by clockReadingStep, as wazero's fake clocks do, so
// that nothing in the Go runtime waiting for time to pass can spin forever;
// a test's reading drifts by far less than a second.
type fakeClock struct {
	wall0   time.Time     // the wall clock at elapsed 0
	elapsed time.Duration // since wall0; the monotonic clock reads this
}

const clockReadingStep = time.Microsecond

func newFakeClock(start time.Time) *fakeClock { return &fakeClock{wall0: start} }

// advance moves both clocks forward by d.
func (c *fakeClock) advance(d time.Duration) { c.elapsed += d }

func (c *fakeClock) walltime() (int64, int32) {
	c.elapsed += clockReadingStep
	t := c.wall0.Add(c.elapsed)
	return t.Unix(), int32(t.Nanosecond())
}

func (c *fakeClock) nanotime() int64 {
	c.elapsed += clockReadingStep
	return int64(c.elapsed)
}

// hostConfig is how newStrictHost builds a host.
type hostConfig struct {
	mode    hostMode
	poll    pollBehaviour
	godebug string       // GODEBUG for the guest, when not empty
	clock   *fakeClock   // nil: the machine's clocks (as a real proxy)
	shared  *sharedStore // nil: a store of its own; another VM of the same proxy passes the first's
	props   map[string]string
}

// hostRoot is a root (plugin) context.
type hostRoot struct {
	id     uint32
	tickMS uint32 // proxy_set_tick_period_milliseconds; 0: no tick
	live   bool
}

// hostStream is an HTTP stream (context).
type hostStream struct {
	id, root    uint32
	reqHeaders  [][2]string
	reqBody     []byte
	respHeaders [][2]string
	props       map[string]string // proxy_set_property
	paused      bool              // the filter paused it and nothing resumed it yet
	resumed     int               // proxy_continue_stream calls
	reply       *hostReply        // the local reply, if any
	ended       bool              // proxy_on_delete was called
}

// hostReply is a local reply (proxy_send_local_response).
type hostReply struct {
	status  uint32
	details string
	headers [][2]string
	body    []byte
}

// hostCallout is one HTTP call-out (proxy_http_call).
type hostCallout struct {
	token     uint32
	root      uint32 // the root context it belongs to (its answer goes there)
	from      uint32 // the current context when it was dispatched
	during    string // the callback it was dispatched in
	upstream  string
	headers   [][2]string
	body      []byte
	timeoutMS uint32
	answered  bool
	// the answer, while proxy_on_http_call_response runs
	respHeaders [][2]string
	respBody    []byte
}

// streamCall is a host call about a stream, and where it was made.
type streamCall struct {
	fn       string
	stream   uint32
	callback string // the export the host was running
	cbCtx    uint32 // the context that export was called for
}

// hostTrap is the panic a host function raises to trap the guest: wazero
// ends the guest call with it as the error.
type hostTrap struct{ msg string }

func (t hostTrap) Error() string { return "strict host trap: " + t.msg }

// wasiHost is one VM of the module on one simulated host.
type wasiHost struct {
	t   testing.TB
	ctx context.Context
	r   wazero.Runtime
	mod api.Module
	cfg hostConfig

	stderr       bytes.Buffer // the guest's stdout and stderr (runtime fatal errors, gctrace)
	pollCalls    int          // calls by the Go runtime
	probeCalls   int          // calls by probeHost (filter/hostprobe.go)
	pollFailures int          // calls answered with an error

	config    []byte
	props     map[string]string
	logs      []hostLog
	metrics   []hostMetric
	metricIDs map[string]uint32
	shared    *sharedStore
	nextID    uint32
	rootID    uint32 // the newest root context: requests and ticks go to it
	roots     map[uint32]*hostRoot
	streams   map[uint32]*hostStream
	callouts  []*hostCallout
	fn        map[string]api.Function

	// What runs now: the export being called, the context it was called for,
	// and the context host calls act on (the same, unless the module switched).
	callback string
	cbCtx    uint32
	current  uint32
	callResp *hostCallout // the call-out whose answer is being delivered

	switches    []uint32     // every id passed to proxy_set_effective_context
	streamCalls []streamCall // every host call about a stream
	violations  []string
	// onViolation reports a violation; the default fails the test.
	onViolation func(msg string)
	trapped     error // the VM trapped or exited: it is gone
}

// compilationCache shares the compiled module between the hosts of one test
// binary (compiling it takes a second or two).
var compilationCache = wazero.NewCompilationCache()

var (
	wasmBinOnce sync.Once
	wasmBin     []byte
	wasmBinErr  error
)

func moduleBytes(t testing.TB) []byte {
	t.Helper()
	wasmBinOnce.Do(func() {
		wasmBin, wasmBinErr = os.ReadFile(wasmPath)
		if wasmBinErr != nil {
			wasmBinErr = fmt.Errorf("%s is missing (run `make build`; `make test` builds it first): %w", wasmPath, wasmBinErr)
		}
	})
	if wasmBinErr != nil {
		t.Fatal(wasmBinErr)
	}
	return wasmBin
}

// newWASIHost instantiates the module on a proxy-wasm-cpp-host whose
// poll_oneoff behaves as p, with real clocks (like Envoy) and GODEBUG from
// godebug when not empty.
func newWASIHost(t testing.TB, p pollBehaviour, godebug string) *wasiHost {
	t.Helper()
	return newStrictHost(t, hostConfig{mode: modeCppHost, poll: p, godebug: godebug})
}

// newStrictHost instantiates the module (one VM) on a host built as cfg says.
func newStrictHost(t testing.TB, cfg hostConfig) *wasiHost {
	t.Helper()
	h := &wasiHost{t: t, ctx: context.Background(), cfg: cfg, props: map[string]string{},
		metricIDs: map[string]uint32{}, shared: cfg.shared, nextID: 1,
		roots: map[uint32]*hostRoot{}, streams: map[uint32]*hostStream{}}
	for k, v := range cfg.props {
		h.props[k] = v
	}
	if h.shared == nil {
		h.shared = newSharedStore()
	}
	h.onViolation = func(msg string) { t.Errorf("strict host (%s): %s", cfg.mode, msg) }
	h.r = wazero.NewRuntimeWithConfig(h.ctx, wazero.NewRuntimeConfig().WithCompilationCache(compilationCache))
	t.Cleanup(func() { h.r.Close(h.ctx) })

	wasi := h.r.NewHostModuleBuilder(wasi_snapshot_preview1.ModuleName)
	wasi_snapshot_preview1.NewFunctionExporter().ExportFunctions(wasi)
	// A later export of the same name replaces wazero's implementation.
	wasi.NewFunctionBuilder().WithFunc(h.pollOneoff).
		WithParameterNames("in", "out", "nsubscriptions", "result.nevents").Export("poll_oneoff")
	if _, err := wasi.Instantiate(h.ctx); err != nil {
		t.Fatalf("instantiate WASI: %v", err)
	}
	compiled, err := h.r.CompileModule(h.ctx, moduleBytes(t))
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	if err := h.exportEnv(compiled); err != nil {
		t.Fatalf("instantiate env: %v", err)
	}
	mc := wazero.NewModuleConfig().WithStartFunctions("_initialize").
		WithStdout(&h.stderr).WithStderr(&h.stderr)
	if cfg.clock != nil {
		mc = mc.WithWalltime(cfg.clock.walltime, 1).WithNanotime(cfg.clock.nanotime, 1)
	} else {
		mc = mc.WithSysWalltime().WithSysNanotime()
	}
	if cfg.godebug != "" {
		mc = mc.WithEnv("GODEBUG", cfg.godebug)
	}
	h.mod, err = h.r.InstantiateModule(h.ctx, compiled, mc)
	if err != nil {
		t.Fatalf("instantiate module: %v (guest output: %s)", err, h.stderr.String())
	}
	h.fn = map[string]api.Function{}
	for _, name := range []string{"proxy_on_memory_allocate", "proxy_on_context_create", "proxy_on_vm_start",
		"proxy_on_configure", "proxy_on_request_headers", "proxy_on_request_body", "proxy_on_response_headers",
		"proxy_on_done", "proxy_on_log", "proxy_on_delete", "proxy_on_tick", "proxy_on_http_call_response"} {
		if h.fn[name] = h.mod.ExportedFunction(name); h.fn[name] == nil {
			t.Fatalf("module does not export %s", name)
		}
	}
	return h
}

// pollOneoff answers poll_oneoff as the chosen host does.
func (h *wasiHost) pollOneoff(_ context.Context, mod api.Module, in, out, nsubs, neventsPtr uint32) uint32 {
	if tag, ok := mod.Memory().ReadUint64Le(in); ok && tag == probeTag {
		h.probeCalls++
	} else {
		h.pollCalls++
	}
	switch h.cfg.poll {
	case pollBefore533:
		h.pollFailures++
		return errnoNOSYS
	case pollNgxStock:
		h.pollFailures++
		return errnoNOTSUP
	}
	if !mod.Memory().WriteUint32Le(neventsPtr, 0) {
		return 21 // EFAULT
	}
	return 0
}

// violate reports a violation of the host's rules and traps the guest, as a
// real host's trap would.
func (h *wasiHost) violate(format string, args ...any) {
	msg := fmt.Sprintf(format, args...) + " (in " + h.where() + ")"
	h.violations = append(h.violations, msg)
	h.onViolation(msg)
	panic(hostTrap{msg})
}

// where names the running callback and the current context.
func (h *wasiHost) where() string {
	cb := h.callback
	if cb == "" {
		cb = "no callback"
	}
	return cb + " of context " + strconv.FormatUint(uint64(h.cbCtx), 10) + ", current context " + h.describe(h.current)
}

// describe names a context.
func (h *wasiHost) describe(id uint32) string {
	n := strconv.FormatUint(uint64(id), 10)
	if _, ok := h.roots[id]; ok {
		return n + " (a root context)"
	}
	if s, ok := h.streams[id]; ok {
		if s.ended {
			return n + " (an ended stream)"
		}
		return n + " (a stream)"
	}
	return n + " (no context)"
}

// callIn calls a guest export for context id. A trap or a runtime abort
// (proc_exit) returns an error; the module is gone afterwards.
func (h *wasiHost) callIn(id uint32, name string, args ...uint64) (uint64, error) {
	if h.trapped != nil {
		return 0, fmt.Errorf("%s: the VM is gone: %w", name, h.trapped)
	}
	f := h.fn[name]
	if f == nil {
		h.t.Fatalf("strict host: no export %s", name)
	}
	prevCb, prevCtx, prevCur := h.callback, h.cbCtx, h.current
	h.callback, h.cbCtx, h.current = name, id, id
	res, err := f.Call(h.ctx, args...)
	h.callback, h.cbCtx, h.current = prevCb, prevCtx, prevCur
	if err != nil {
		h.trapped = err
		return 0, err
	}
	if len(res) == 0 {
		return 0, nil
	}
	return res[0], nil
}

func (h *wasiHost) newID() uint32 {
	id := h.nextID
	h.nextID++
	return id
}

// start creates a root context and starts the plugin with cfg in it; it
// returns proxy_on_configure's result.
func (h *wasiHost) start(cfg []byte) (bool, error) {
	h.config = cfg
	id := h.newID()
	h.roots[id] = &hostRoot{id: id, live: true}
	h.rootID = id
	if _, err := h.callIn(id, "proxy_on_context_create", uint64(id), 0); err != nil {
		return false, err
	}
	if _, err := h.callIn(id, "proxy_on_vm_start", uint64(id), 0); err != nil {
		return false, err
	}
	ok, err := h.callIn(id, "proxy_on_configure", uint64(id), uint64(len(cfg)))
	return ok == 1, err
}

// reload starts the plugin with cfg in a new root context and then retires
// the old one (proxy_on_done, proxy_on_delete), as Envoy does when a plugin's
// configuration changes and its VM is kept.
func (h *wasiHost) reload(cfg []byte) (bool, error) {
	old := h.rootID
	ok, err := h.start(cfg)
	if err != nil || old == 0 {
		return ok, err
	}
	return ok, h.retire(old)
}

// retire ends root context id: proxy_on_done, then proxy_on_delete.
func (h *wasiHost) retire(id uint32) error {
	for _, f := range []string{"proxy_on_done", "proxy_on_delete"} {
		if _, err := h.callIn(id, f, uint64(id)); err != nil {
			return err
		}
	}
	h.roots[id].live = false
	return nil
}

// tick calls proxy_on_tick on the newest root context; the module must have
// asked for a tick.
func (h *wasiHost) tick() error {
	r := h.roots[h.rootID]
	if r == nil || !r.live || r.tickMS == 0 {
		h.t.Fatalf("strict host: no tick: the root context %d set no tick period", h.rootID)
	}
	_, err := h.callIn(r.id, "proxy_on_tick", uint64(r.id))
	return err
}

// beginRequest creates a stream on the newest root context and hands it the
// request headers; it returns the stream's id.
func (h *wasiHost) beginRequest(headers [][2]string, endOfStream bool) (uint32, error) {
	id := h.newID()
	s := &hostStream{id: id, root: h.rootID, reqHeaders: slices.Clone(headers), props: map[string]string{}}
	h.streams[id] = s
	if _, err := h.callIn(id, "proxy_on_context_create", uint64(id), uint64(h.rootID)); err != nil {
		return id, err
	}
	action, err := h.callIn(id, "proxy_on_request_headers", uint64(id), uint64(len(headers)), b2u(endOfStream))
	if err != nil {
		return id, err
	}
	s.paused = action == actionPause && s.reply == nil
	return id, nil
}

// requestBody hands the stream a chunk of its request body; it returns the
// module's action.
func (h *wasiHost) requestBody(id uint32, body []byte, endOfStream bool) (uint32, error) {
	s := h.streams[id]
	s.reqBody = append(s.reqBody, body...)
	action, err := h.callIn(id, "proxy_on_request_body", uint64(id), uint64(len(s.reqBody)), b2u(endOfStream))
	return uint32(action), err
}

// endRequest ends stream id: the response headers when it went upstream,
// then proxy_on_done, proxy_on_log and proxy_on_delete (a stream still paused
// is one the client gave up on).
func (h *wasiHost) endRequest(id uint32) error {
	s := h.streams[id]
	if s.reply == nil && !s.paused {
		if _, err := h.callIn(id, "proxy_on_response_headers", uint64(id), 0, 1); err != nil {
			return err
		}
	}
	for _, f := range []string{"proxy_on_done", "proxy_on_log", "proxy_on_delete"} {
		if _, err := h.callIn(id, f, uint64(id)); err != nil {
			return err
		}
	}
	s.ended = true
	return nil
}

// request runs one whole stream through the module and returns the local
// reply's status (0: passed upstream).
func (h *wasiHost) request(headers [][2]string) (uint32, error) {
	id, err := h.beginRequest(headers, true)
	if err != nil {
		return 0, err
	}
	var status uint32
	if r := h.streams[id].reply; r != nil {
		status = r.status
	}
	return status, h.endRequest(id)
}

// answer delivers the answer to call-out c: status 0 is a call that failed
// (timeout, reset), answered with no headers, as Envoy does.
func (h *wasiHost) answer(c *hostCallout, status int, body []byte) error {
	if c.answered {
		h.t.Fatalf("strict host: call-out %d answered twice", c.token)
	}
	c.answered = true
	if r := h.roots[c.root]; r == nil || !r.live {
		return nil // the root context is gone: the host drops the answer
	}
	if s := h.streams[c.from]; s != nil && s.ended && h.cfg.mode == modeNgx {
		return nil // ngx_wasm_module cancels a stream's call-outs when it ends
	}
	c.respHeaders, c.respBody = nil, body
	if status > 0 {
		c.respHeaders = [][2]string{{":status", strconv.Itoa(status)}}
	}
	h.callResp = c
	defer func() { h.callResp = nil }()
	_, err := h.callIn(c.root, "proxy_on_http_call_response", uint64(c.root), uint64(c.token),
		uint64(len(c.respHeaders)), uint64(len(body)), 0)
	return err
}

// gauge is the value of the named gauge, and whether the module defined it.
func (h *wasiHost) gauge(name string) (int64, bool) {
	id, ok := h.metricIDs[name]
	if !ok || h.metrics[id-metricIDBase].typ != metricGauge {
		return 0, false
	}
	return h.metrics[id-metricIDBase].value, true
}

// counter is the value of the named counter (0 when undefined).
func (h *wasiHost) counter(name string) int64 {
	if id, ok := h.metricIDs[name]; ok && h.metrics[id-metricIDBase].typ == metricCounter {
		return h.metrics[id-metricIDBase].value
	}
	return 0
}

// logsAt returns the log lines at level.
func (h *wasiHost) logsAt(level uint32) []string {
	var out []string
	for _, l := range h.logs {
		if l.level == level {
			out = append(out, l.msg)
		}
	}
	return out
}

// gcCycles counts the collections the guest reported with GODEBUG=gctrace=1.
func (h *wasiHost) gcCycles() int {
	n := 0
	for _, line := range strings.Split(h.stderr.String(), "\n") {
		if strings.HasPrefix(line, "gc ") && strings.Contains(line, " MB, ") {
			n++
		}
	}
	return n
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// --- guest memory helpers ---

func (h *wasiHost) read(mod api.Module, ptr, size uint32) []byte {
	if size == 0 {
		return nil
	}
	b, ok := mod.Memory().Read(ptr, size)
	if !ok {
		h.violate("guest memory read out of range: %d+%d", ptr, size)
	}
	return bytes.Clone(b)
}

// give copies b into memory the guest allocates and stores its address and
// size at retPtr and retSize, as the ABI's "return buffer" parameters want.
func (h *wasiHost) give(ctx context.Context, mod api.Module, b []byte, retPtr, retSize uint32) uint32 {
	var ptr uint32
	if len(b) > 0 {
		res, err := mod.ExportedFunction("proxy_on_memory_allocate").Call(ctx, uint64(len(b)))
		if err != nil {
			panic(err)
		}
		ptr = uint32(res[0])
		if !mod.Memory().Write(ptr, b) {
			return pwBadArg
		}
	}
	if !mod.Memory().WriteUint32Le(retPtr, ptr) || !mod.Memory().WriteUint32Le(retSize, uint32(len(b))) {
		return pwBadArg
	}
	return pwOK
}

func serializeHeaders(hs [][2]string) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(hs)))
	for _, kv := range hs {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(kv[0])))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(kv[1])))
	}
	for _, kv := range hs {
		b = append(append(append(append(b, kv[0]...), 0), kv[1]...), 0)
	}
	return b
}

// deserializeHeaders reads the ABI's header map encoding; ok is false when b
// is malformed.
func deserializeHeaders(b []byte) (hs [][2]string, ok bool) {
	if len(b) == 0 {
		return nil, true
	}
	if len(b) < 4 {
		return nil, false
	}
	n := int(binary.LittleEndian.Uint32(b))
	if n > len(b)/8 {
		return nil, false
	}
	sizes, data := b[4:], b[4+8*n:]
	for i := range n {
		kl, vl := int(binary.LittleEndian.Uint32(sizes[8*i:])), int(binary.LittleEndian.Uint32(sizes[8*i+4:]))
		if kl+vl+2 > len(data) {
			return nil, false
		}
		hs = append(hs, [2]string{string(data[:kl]), string(data[kl+1 : kl+1+vl])})
		data = data[kl+vl+2:]
	}
	return hs, true
}

// --- what the host knows about the current context ---

// stream returns the current context's stream for a host call about a
// stream, or traps: the call was made from a root context (on_tick, a
// call-out's answer) without a real context switch, or about a stream that
// has ended.
func (h *wasiHost) stream(fn string) *hostStream {
	s := h.streams[h.current]
	if s == nil || s.ended {
		h.violate("%s about a stream while the current context is %s: a real host acts on another "+
			"context's state or fails (ngx_wasm_module: worker crash in ngx_proxy_wasm_maps_get_map)", fn, h.describe(h.current))
	}
	h.streamCalls = append(h.streamCalls, streamCall{fn: fn, stream: s.id, callback: h.callback, cbCtx: h.cbCtx})
	return s
}

// streamProperty: properties that exist only for a request.
func streamProperty(path string) bool {
	for _, p := range []string{"xds.route_name", "xds.virtual_host_name", "ngx.", "request.", "response."} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

func (h *wasiHost) metric(fn string, id uint32) *hostMetric {
	if id < metricIDBase || int(id-metricIDBase) >= len(h.metrics) {
		h.violate("%s of metric id %d, which was never defined (ngx_wasm_module traps: metric not found)", fn, id)
	}
	return &h.metrics[id-metricIDBase]
}

func (h *wasiHost) headerMap(s *hostStream, typ uint32) *[][2]string {
	switch typ {
	case mapReqHdrs:
		return &s.reqHeaders
	case mapRespHdrs:
		return &s.respHeaders
	}
	return nil
}

// --- the env functions ---

func (h *wasiHost) proxyLog(_ context.Context, mod api.Module, level, ptr, size uint32) uint32 {
	h.logs = append(h.logs, hostLog{level, string(h.read(mod, ptr, size)), h.current})
	return pwOK
}

func (h *wasiHost) setEffectiveContext(_ context.Context, _ api.Module, id uint32) uint32 {
	h.switches = append(h.switches, id)
	if h.cfg.mode == modeNgx {
		return pwOK // ngx_wasm_module 3bed278: Ok, and nothing changes
	}
	if r, ok := h.roots[id]; ok && r.live {
		h.current = id
		return pwOK
	}
	if s, ok := h.streams[id]; ok && !s.ended {
		h.current = id
		return pwOK
	}
	return pwBadArg
}

func (h *wasiHost) setTickPeriod(_ context.Context, _ api.Module, ms uint32) uint32 {
	r, ok := h.roots[h.current]
	if !ok {
		h.violate("proxy_set_tick_period_milliseconds outside a root context (ngx_wasm_module traps)")
	}
	r.tickMS = ms
	return pwOK
}

func (h *wasiHost) getBufferBytes(ctx context.Context, mod api.Module, typ, start, max, retPtr, retSize uint32) uint32 {
	var b []byte
	switch typ {
	case bufPluginCfg:
		if h.callback != "proxy_on_configure" {
			h.violate("the plugin configuration read outside proxy_on_configure")
		}
		b = h.config
	case bufCallResp:
		if h.callResp == nil {
			h.violate("a call-out's answer body read outside proxy_on_http_call_response")
		}
		b = h.callResp.respBody
	case bufReqBody:
		b = h.stream("proxy_get_buffer_bytes(request body)").reqBody
	case bufRespBody:
		h.stream("proxy_get_buffer_bytes(response body)")
		return pwNotFound
	default:
		return pwNotFound
	}
	if int(start) > len(b) {
		return pwBadArg
	}
	b = b[start:]
	if uint32(len(b)) > max {
		b = b[:max]
	}
	return h.give(ctx, mod, b, retPtr, retSize)
}

func (h *wasiHost) setBufferBytes(_ context.Context, mod api.Module, typ, start, size, ptr, n uint32) uint32 {
	switch typ {
	case bufReqBody:
		s := h.stream("proxy_set_buffer_bytes(request body)")
		s.reqBody = h.read(mod, ptr, n)
		return pwOK
	case bufRespBody:
		h.stream("proxy_set_buffer_bytes(response body)")
		return pwOK
	}
	return pwBadArg
}

func (h *wasiHost) getHeaderMapPairs(ctx context.Context, mod api.Module, typ, retPtr, retSize uint32) uint32 {
	switch typ {
	case mapCallRespHdrs, mapCallRespTrls:
		if h.callResp == nil {
			h.violate("a call-out's answer headers read outside proxy_on_http_call_response")
		}
		if typ == mapCallRespTrls {
			return h.give(ctx, mod, serializeHeaders(nil), retPtr, retSize)
		}
		return h.give(ctx, mod, serializeHeaders(h.callResp.respHeaders), retPtr, retSize)
	}
	s := h.stream("proxy_get_header_map_pairs")
	m := h.headerMap(s, typ)
	if m == nil {
		return h.give(ctx, mod, serializeHeaders(nil), retPtr, retSize)
	}
	return h.give(ctx, mod, serializeHeaders(*m), retPtr, retSize)
}

func (h *wasiHost) setHeaderMapPairs(_ context.Context, mod api.Module, typ, ptr, size uint32) uint32 {
	s := h.stream("proxy_set_header_map_pairs")
	hs, ok := deserializeHeaders(h.read(mod, ptr, size))
	if !ok {
		return pwBadArg
	}
	if m := h.headerMap(s, typ); m != nil {
		*m = hs
	}
	return pwOK
}

func (h *wasiHost) getHeaderMapValue(ctx context.Context, mod api.Module, typ, kPtr, kSize, retPtr, retSize uint32) uint32 {
	if typ == mapCallRespHdrs && h.callResp != nil {
		k := string(h.read(mod, kPtr, kSize))
		for _, kv := range h.callResp.respHeaders {
			if strings.EqualFold(kv[0], k) {
				return h.give(ctx, mod, []byte(kv[1]), retPtr, retSize)
			}
		}
		return pwNotFound
	}
	s := h.stream("proxy_get_header_map_value")
	k := string(h.read(mod, kPtr, kSize))
	if m := h.headerMap(s, typ); m != nil {
		for _, kv := range *m {
			if strings.EqualFold(kv[0], k) {
				return h.give(ctx, mod, []byte(kv[1]), retPtr, retSize)
			}
		}
	}
	return pwNotFound
}

func (h *wasiHost) addHeaderMapValue(_ context.Context, mod api.Module, typ, kPtr, kSize, vPtr, vSize uint32) uint32 {
	s := h.stream("proxy_add_header_map_value")
	if m := h.headerMap(s, typ); m != nil {
		*m = append(*m, [2]string{string(h.read(mod, kPtr, kSize)), string(h.read(mod, vPtr, vSize))})
	}
	return pwOK
}

func (h *wasiHost) replaceHeaderMapValue(_ context.Context, mod api.Module, typ, kPtr, kSize, vPtr, vSize uint32) uint32 {
	s := h.stream("proxy_replace_header_map_value")
	k, v := string(h.read(mod, kPtr, kSize)), string(h.read(mod, vPtr, vSize))
	m := h.headerMap(s, typ)
	if m == nil {
		return pwOK
	}
	out := (*m)[:0:0]
	replaced := false
	for _, kv := range *m {
		if strings.EqualFold(kv[0], k) {
			if replaced {
				continue
			}
			kv[1], replaced = v, true
		}
		out = append(out, kv)
	}
	if !replaced {
		out = append(out, [2]string{k, v})
	}
	*m = out
	return pwOK
}

func (h *wasiHost) removeHeaderMapValue(_ context.Context, mod api.Module, typ, kPtr, kSize uint32) uint32 {
	s := h.stream("proxy_remove_header_map_value")
	k := string(h.read(mod, kPtr, kSize))
	if m := h.headerMap(s, typ); m != nil {
		*m = slices.DeleteFunc(slices.Clone(*m), func(kv [2]string) bool { return strings.EqualFold(kv[0], k) })
	}
	return pwOK
}

func (h *wasiHost) sendLocalResponse(_ context.Context, mod api.Module, status, dPtr, dSize, bPtr, bSize, hPtr, hSize, _ uint32) uint32 {
	s := h.stream("proxy_send_local_response")
	if s.reply != nil {
		h.violate("a second local reply on stream %d (the first: %d)", s.id, s.reply.status)
	}
	hs, ok := deserializeHeaders(h.read(mod, hPtr, hSize))
	if !ok {
		h.violate("a local reply with malformed headers")
	}
	s.reply = &hostReply{status: status, details: string(h.read(mod, dPtr, dSize)), headers: hs, body: h.read(mod, bPtr, bSize)}
	s.paused = false
	return pwOK
}

func (h *wasiHost) continueStream(_ context.Context, _ api.Module, streamType uint32) uint32 {
	s := h.stream("proxy_continue_stream")
	if streamType != 0 {
		return pwBadArg
	}
	if !s.paused {
		h.violate("proxy_continue_stream on stream %d, which is not paused (answered: %v)", s.id, s.reply != nil)
	}
	s.paused = false
	s.resumed++
	return pwOK
}

func (h *wasiHost) closeStream(_ context.Context, _ api.Module, _ uint32) uint32 {
	s := h.stream("proxy_close_stream")
	s.paused = false
	return pwOK
}

func (h *wasiHost) getProperty(ctx context.Context, mod api.Module, pPtr, pSize, retPtr, retSize uint32) uint32 {
	path := strings.ReplaceAll(strings.TrimRight(string(h.read(mod, pPtr, pSize)), "\x00"), "\x00", ".")
	if streamProperty(path) {
		s := h.stream("proxy_get_property(" + path + ")")
		if v, ok := s.props[path]; ok {
			return h.give(ctx, mod, []byte(v), retPtr, retSize)
		}
	}
	v, ok := h.props[path]
	if !ok {
		return pwNotFound
	}
	return h.give(ctx, mod, []byte(v), retPtr, retSize)
}

func (h *wasiHost) setProperty(_ context.Context, mod api.Module, pPtr, pSize, vPtr, vSize uint32) uint32 {
	path := strings.ReplaceAll(strings.TrimRight(string(h.read(mod, pPtr, pSize)), "\x00"), "\x00", ".")
	s := h.stream("proxy_set_property(" + path + ")") // access-log properties: per request
	s.props[path] = string(h.read(mod, vPtr, vSize))
	return pwOK
}

func (h *wasiHost) getSharedData(ctx context.Context, mod api.Module, kPtr, kSize, retPtr, retSize, retCas uint32) uint32 {
	v, ok := h.shared.m[string(h.read(mod, kPtr, kSize))]
	if !ok {
		return pwNotFound
	}
	if st := h.give(ctx, mod, v.value, retPtr, retSize); st != pwOK {
		return st
	}
	mod.Memory().WriteUint32Le(retCas, v.cas)
	return pwOK
}

func (h *wasiHost) setSharedData(_ context.Context, mod api.Module, kPtr, kSize, vPtr, vSize, cas uint32) uint32 {
	k := string(h.read(mod, kPtr, kSize))
	cur, exists := h.shared.m[k]
	switch h.cfg.mode {
	case modeNgx: // the CAS must be the key's, 0 when absent; the key's CAS counts its writes
		if cas != cur.cas {
			return pwCasMiss
		}
		h.shared.m[k] = sharedValue{value: h.read(mod, vPtr, vSize), cas: cur.cas + 1}
	default: // CAS 0 writes unconditionally; CAS values come from one counter
		if cas != 0 && exists && cas != cur.cas {
			return pwCasMiss
		}
		h.shared.lastCas++
		h.shared.m[k] = sharedValue{value: h.read(mod, vPtr, vSize), cas: h.shared.lastCas}
	}
	return pwOK
}

func (h *wasiHost) defineMetric(_ context.Context, mod api.Module, typ, nPtr, nSize, retID uint32) uint32 {
	if typ > metricHistogram {
		h.violate("proxy_define_metric with type %d", typ)
	}
	mod.Memory().WriteUint32Le(retID, h.addMetric(string(h.read(mod, nPtr, nSize)), typ))
	return pwOK
}

// addMetric defines a metric (or finds it: a name defined again keeps its id,
// as on both hosts) and returns its id.
func (h *wasiHost) addMetric(name string, typ uint32) uint32 {
	id, ok := h.metricIDs[name]
	if !ok {
		id = metricIDBase + uint32(len(h.metrics))
		h.metrics = append(h.metrics, hostMetric{name: name, typ: typ})
		h.metricIDs[name] = id
	}
	return id
}

func (h *wasiHost) incrementMetric(_ context.Context, _ api.Module, id uint32, offset int64) uint32 {
	m := h.metric("proxy_increment_metric", id)
	if m.typ != metricCounter {
		h.violate("proxy_increment_metric of %q, which is not a counter (ngx_wasm_module traps: metric not a counter)", m.name)
	}
	m.value += offset
	return pwOK
}

func (h *wasiHost) recordMetric(_ context.Context, _ api.Module, id uint32, value uint64) uint32 {
	m := h.metric("proxy_record_metric", id)
	if m.typ == metricCounter {
		h.violate("proxy_record_metric of %q, a counter (ngx_wasm_module traps: metric is a counter)", m.name)
	}
	m.value, m.records = int64(value), m.records+1
	return pwOK
}

func (h *wasiHost) getMetric(_ context.Context, mod api.Module, id, retPtr uint32) uint32 {
	m := h.metric("proxy_get_metric", id)
	if m.typ == metricHistogram {
		h.violate("proxy_get_metric of %q, a histogram (ngx_wasm_module traps)", m.name)
	}
	mod.Memory().WriteUint64Le(retPtr, uint64(m.value))
	return pwOK
}

func (h *wasiHost) httpCall(_ context.Context, mod api.Module, upPtr, upSize, hPtr, hSize, bPtr, bSize, tPtr, tSize, timeout, retID uint32) uint32 {
	switch h.callback {
	case "proxy_on_request_headers", "proxy_on_request_body", "proxy_on_tick", "proxy_on_http_call_response":
	default: // plugin start above all: ngx_wasm_module refuses call-outs there
		h.violate("proxy_http_call during %s: ngx_wasm_module traps (\"can only send HTTP dispatch during "+
			"on_request_headers, on_request_body, on_tick, on_dispatch_response\")", h.callback)
	}
	hs, ok := deserializeHeaders(h.read(mod, hPtr, hSize))
	if !ok {
		h.violate("a call-out with malformed headers")
	}
	root := h.current
	if s, ok := h.streams[root]; ok {
		root = s.root
	}
	c := &hostCallout{token: uint32(len(h.callouts) + 1), root: root, from: h.current, during: h.callback,
		upstream: string(h.read(mod, upPtr, upSize)), headers: hs, body: h.read(mod, bPtr, bSize), timeoutMS: timeout}
	h.callouts = append(h.callouts, c)
	mod.Memory().WriteUint32Le(retID, c.token)
	return pwOK
}

// exportEnv instantiates the proxy-wasm host functions. An import the host
// does not implement traps when called.
func (h *wasiHost) exportEnv(compiled wazero.CompiledModule) error {
	b := h.r.NewHostModuleBuilder("env")
	defined := map[string]bool{}
	fn := func(name string, f any) { defined[name] = true; b.NewFunctionBuilder().WithFunc(f).Export(name) }
	fn("proxy_log", h.proxyLog)
	fn("proxy_set_effective_context", h.setEffectiveContext)
	fn("proxy_set_tick_period_milliseconds", h.setTickPeriod)
	fn("proxy_get_buffer_bytes", h.getBufferBytes)
	fn("proxy_set_buffer_bytes", h.setBufferBytes)
	fn("proxy_get_header_map_pairs", h.getHeaderMapPairs)
	fn("proxy_set_header_map_pairs", h.setHeaderMapPairs)
	fn("proxy_get_header_map_value", h.getHeaderMapValue)
	fn("proxy_add_header_map_value", h.addHeaderMapValue)
	fn("proxy_replace_header_map_value", h.replaceHeaderMapValue)
	fn("proxy_remove_header_map_value", h.removeHeaderMapValue)
	fn("proxy_send_local_response", h.sendLocalResponse)
	fn("proxy_continue_stream", h.continueStream)
	fn("proxy_close_stream", h.closeStream)
	fn("proxy_get_property", h.getProperty)
	fn("proxy_set_property", h.setProperty)
	fn("proxy_get_shared_data", h.getSharedData)
	fn("proxy_set_shared_data", h.setSharedData)
	fn("proxy_define_metric", h.defineMetric)
	fn("proxy_increment_metric", h.incrementMetric)
	fn("proxy_record_metric", h.recordMetric)
	fn("proxy_get_metric", h.getMetric)
	fn("proxy_http_call", h.httpCall)
	fn("proxy_dispatch_http_call", h.httpCall) // the vNEXT name ngx_wasm_module also answers to
	for _, imp := range compiled.ImportedFunctions() {
		mod, name, _ := imp.Import()
		if mod != "env" || defined[name] {
			continue
		}
		b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(context.Context, api.Module, []uint64) {
			h.violate("%s is not implemented by the strict host", name)
		}), imp.ParamTypes(), imp.ResultTypes()).Export(name)
	}
	_, err := b.Instantiate(h.ctx)
	return err
}

// isExit reports whether err is the guest ending itself (the Go runtime's
// fatal errors call proc_exit(2)).
func isExit(err error) bool {
	var exit interface{ ExitCode() uint32 }
	return errors.As(err, &exit)
}
