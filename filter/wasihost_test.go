package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// This file is a small proxy-wasm host for build/audguard.wasm, built on
// wazero like proxytest's, except that WASI poll_oneoff is ours: it behaves
// as proxy-wasm-cpp-host (Envoy's Wasm host) did before or after its PR #533.
// proxytest always instantiates wazero's full WASI, whose poll_oneoff works,
// so tests through proxytest never see what Envoy 1.33–1.38 do to a
// standard-Go module (RATIONALE.md, "The host floor is Envoy 1.39").
//
// The host drives the module the way Envoy does: proxy_on_context_create,
// proxy_on_vm_start and proxy_on_configure for the root context; per stream
// proxy_on_context_create, proxy_on_request_headers, proxy_on_response_headers
// (when not answered locally), proxy_on_done, proxy_on_log, proxy_on_delete.
// It provides exactly the env functions the module imports.

// pollBehaviour is how the host answers wasi_snapshot_preview1.poll_oneoff.
type pollBehaviour int

const (
	// pollBefore533 is proxy-wasm-cpp-host from PR #427 (Envoy 1.33) until
	// PR #533: the import exists, but answers ENOSYS and writes nothing.
	pollBefore533 pollBehaviour = iota
	// pollAfter533 is proxy-wasm-cpp-host with PR #533 (Envoy 1.39): it
	// reports zero events and success, without sleeping.
	pollAfter533
)

func (p pollBehaviour) String() string {
	if p == pollBefore533 {
		return "cpp-host before #533"
	}
	return "cpp-host after #533"
}

// probeTag is the userdata of probeHost's subscription ("audguard").
const probeTag = 0x6175646775617264

// errnoNOSYS is WASI's ENOSYS.
const errnoNOSYS = 52

// proxy-wasm ABI 0.2.1 values used by the host.
const (
	pwOK         = 0
	pwNotFound   = 1
	pwBadArg     = 2
	pwCasMiss    = 8
	mapReqHdrs   = 0
	bufPluginCfg = 7
	metricGauge  = 1
	logCritical  = 5
)

type hostLog struct {
	level uint32
	msg   string
}

type hostMetric struct {
	name  string
	typ   uint32
	value int64
}

type sharedValue struct {
	value []byte
	cas   uint32
}

// wasiHost is one VM of the module on one simulated host.
type wasiHost struct {
	t    testing.TB
	ctx  context.Context
	r    wazero.Runtime
	mod  api.Module
	poll pollBehaviour

	stderr       bytes.Buffer // the guest's stdout and stderr (runtime fatal errors, gctrace)
	pollCalls    int          // calls by the Go runtime
	probeCalls   int          // calls by probeHost (filter/hostprobe.go)
	pollFailures int          // calls answered with an error

	config     []byte
	props      map[string]string
	reqHeaders [][2]string
	local      uint32 // status of the local reply of the current stream, 0 if none
	logs       []hostLog
	metrics    []hostMetric
	metricIDs  map[string]uint32
	shared     map[string]sharedValue
	nextID     uint32
	rootID     uint32
	fn         map[string]api.Function
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

// newWASIHost instantiates the module on a host whose poll_oneoff behaves as
// p, with real clocks (like Envoy) and GODEBUG from godebug when not empty.
func newWASIHost(t testing.TB, p pollBehaviour, godebug string) *wasiHost {
	t.Helper()
	h := &wasiHost{t: t, ctx: context.Background(), poll: p, props: map[string]string{},
		metricIDs: map[string]uint32{}, shared: map[string]sharedValue{}, nextID: 1}
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
	cfg := wazero.NewModuleConfig().WithStartFunctions("_initialize").
		WithStdout(&h.stderr).WithStderr(&h.stderr).
		WithSysWalltime().WithSysNanotime()
	if godebug != "" {
		cfg = cfg.WithEnv("GODEBUG", godebug)
	}
	h.mod, err = h.r.InstantiateModule(h.ctx, compiled, cfg)
	if err != nil {
		t.Fatalf("instantiate module: %v (guest output: %s)", err, h.stderr.String())
	}
	h.fn = map[string]api.Function{}
	for _, name := range []string{"proxy_on_memory_allocate", "proxy_on_context_create", "proxy_on_vm_start",
		"proxy_on_configure", "proxy_on_request_headers", "proxy_on_response_headers", "proxy_on_done",
		"proxy_on_log", "proxy_on_delete"} {
		if h.fn[name] = h.mod.ExportedFunction(name); h.fn[name] == nil {
			t.Fatalf("module does not export %s", name)
		}
	}
	return h
}

// pollOneoff answers poll_oneoff as the chosen cpp-host does.
func (h *wasiHost) pollOneoff(_ context.Context, mod api.Module, in, out, nsubs, neventsPtr uint32) uint32 {
	if tag, ok := mod.Memory().ReadUint64Le(in); ok && tag == probeTag {
		h.probeCalls++
	} else {
		h.pollCalls++
	}
	if h.poll == pollBefore533 {
		h.pollFailures++
		return errnoNOSYS
	}
	if !mod.Memory().WriteUint32Le(neventsPtr, 0) {
		return 21 // EFAULT
	}
	return 0
}

// call calls a guest export. A trap or a runtime abort (proc_exit) returns
// an error; the module is unusable afterwards.
func (h *wasiHost) call(name string, args ...uint64) (uint64, error) {
	res, err := h.fn[name].Call(h.ctx, args...)
	if err != nil {
		return 0, err
	}
	if len(res) == 0 {
		return 0, nil
	}
	return res[0], nil
}

// start creates the root context and starts the plugin with cfg; it returns
// proxy_on_configure's result.
func (h *wasiHost) start(cfg []byte) (bool, error) {
	h.config = cfg
	h.rootID = h.nextID
	h.nextID++
	if _, err := h.call("proxy_on_context_create", uint64(h.rootID), 0); err != nil {
		return false, err
	}
	if _, err := h.call("proxy_on_vm_start", uint64(h.rootID), 0); err != nil {
		return false, err
	}
	ok, err := h.call("proxy_on_configure", uint64(h.rootID), uint64(len(cfg)))
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
		if _, err := h.call(f, uint64(id)); err != nil {
			return err
		}
	}
	return nil
}

// request runs one stream through the module and returns the local reply's
// status (0: passed upstream).
func (h *wasiHost) request(headers [][2]string) (uint32, error) {
	id := uint64(h.nextID)
	h.nextID++
	h.reqHeaders, h.local = headers, 0
	if _, err := h.call("proxy_on_context_create", id, uint64(h.rootID)); err != nil {
		return 0, err
	}
	if _, err := h.call("proxy_on_request_headers", id, uint64(len(headers)), 1); err != nil {
		return 0, err
	}
	status := h.local
	if status == 0 {
		if _, err := h.call("proxy_on_response_headers", id, 0, 1); err != nil {
			return 0, err
		}
	}
	for _, f := range []string{"proxy_on_done", "proxy_on_log", "proxy_on_delete"} {
		if _, err := h.call(f, id); err != nil {
			return 0, err
		}
	}
	return status, nil
}

// gauge is the value of the named gauge, and whether the module defined it.
func (h *wasiHost) gauge(name string) (int64, bool) {
	id, ok := h.metricIDs[name]
	if !ok || h.metrics[id].typ != metricGauge {
		return 0, false
	}
	return h.metrics[id].value, true
}

func (h *wasiHost) counter(name string) int64 {
	if id, ok := h.metricIDs[name]; ok {
		return h.metrics[id].value
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

// --- guest memory helpers ---

func (h *wasiHost) read(mod api.Module, ptr, size uint32) []byte {
	if size == 0 {
		return nil
	}
	b, ok := mod.Memory().Read(ptr, size)
	if !ok {
		panic(fmt.Sprintf("guest memory read out of range: %d+%d", ptr, size))
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

// exportEnv instantiates the proxy-wasm host functions the module imports.
func (h *wasiHost) exportEnv(compiled wazero.CompiledModule) error {
	b := h.r.NewHostModuleBuilder("env")
	defined := map[string]bool{}
	fn := func(name string, f any) { defined[name] = true; b.NewFunctionBuilder().WithFunc(f).Export(name) }
	stubRest := func() {
		// Every other proxy-wasm import answers OK and does nothing: this host
		// tests the WASI side, not call-outs or ticks.
		for _, imp := range compiled.ImportedFunctions() {
			mod, name, _ := imp.Import()
			if mod != "env" || defined[name] {
				continue
			}
			results := imp.ResultTypes()
			b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(_ context.Context, _ api.Module, stack []uint64) {
				for i := range results {
					stack[i] = 0
				}
			}), imp.ParamTypes(), results).Export(name)
		}
	}

	fn("proxy_log", func(_ context.Context, mod api.Module, level, ptr, size uint32) uint32 {
		h.logs = append(h.logs, hostLog{level, string(h.read(mod, ptr, size))})
		return pwOK
	})
	fn("proxy_set_effective_context", func(_ context.Context, _ api.Module, id uint32) uint32 { return pwOK })
	fn("proxy_get_buffer_bytes", func(ctx context.Context, mod api.Module, typ, start, max, retPtr, retSize uint32) uint32 {
		if typ != bufPluginCfg {
			return pwNotFound
		}
		b := h.config
		if int(start) > len(b) {
			return pwBadArg
		}
		b = b[start:]
		if uint32(len(b)) > max {
			b = b[:max]
		}
		return h.give(ctx, mod, b, retPtr, retSize)
	})
	fn("proxy_get_header_map_pairs", func(ctx context.Context, mod api.Module, typ, retPtr, retSize uint32) uint32 {
		if typ != mapReqHdrs {
			return h.give(ctx, mod, serializeHeaders(nil), retPtr, retSize)
		}
		return h.give(ctx, mod, serializeHeaders(h.reqHeaders), retPtr, retSize)
	})
	fn("proxy_remove_header_map_value", func(_ context.Context, mod api.Module, typ, kPtr, kSize uint32) uint32 {
		k := string(h.read(mod, kPtr, kSize))
		if typ == mapReqHdrs {
			out := h.reqHeaders[:0:0]
			for _, kv := range h.reqHeaders {
				if !strings.EqualFold(kv[0], k) {
					out = append(out, kv)
				}
			}
			h.reqHeaders = out
		}
		return pwOK
	})
	fn("proxy_replace_header_map_value", func(_ context.Context, mod api.Module, typ, kPtr, kSize, vPtr, vSize uint32) uint32 {
		k, v := string(h.read(mod, kPtr, kSize)), string(h.read(mod, vPtr, vSize))
		if typ == mapReqHdrs {
			for i, kv := range h.reqHeaders {
				if strings.EqualFold(kv[0], k) {
					h.reqHeaders[i][1] = v
					return pwOK
				}
			}
			h.reqHeaders = append(h.reqHeaders, [2]string{k, v})
		}
		return pwOK
	})
	fn("proxy_send_local_response", func(_ context.Context, _ api.Module, status, _, _, _, _, _, _, _ uint32) uint32 {
		h.local = status
		return pwOK
	})
	fn("proxy_get_property", func(ctx context.Context, mod api.Module, pPtr, pSize, retPtr, retSize uint32) uint32 {
		path := strings.ReplaceAll(strings.TrimRight(string(h.read(mod, pPtr, pSize)), "\x00"), "\x00", ".")
		v, ok := h.props[path]
		if !ok {
			return pwNotFound
		}
		return h.give(ctx, mod, []byte(v), retPtr, retSize)
	})
	fn("proxy_get_shared_data", func(ctx context.Context, mod api.Module, kPtr, kSize, retPtr, retSize, retCas uint32) uint32 {
		v, ok := h.shared[string(h.read(mod, kPtr, kSize))]
		if !ok {
			return pwNotFound
		}
		if st := h.give(ctx, mod, v.value, retPtr, retSize); st != pwOK {
			return st
		}
		mod.Memory().WriteUint32Le(retCas, v.cas)
		return pwOK
	})
	fn("proxy_set_shared_data", func(_ context.Context, mod api.Module, kPtr, kSize, vPtr, vSize, cas uint32) uint32 {
		k := string(h.read(mod, kPtr, kSize))
		cur := h.shared[k]
		if cas != 0 && cas != cur.cas {
			return pwCasMiss
		}
		h.shared[k] = sharedValue{value: h.read(mod, vPtr, vSize), cas: cur.cas + 1}
		return pwOK
	})
	fn("proxy_set_property", func(_ context.Context, _ api.Module, pPtr, pSize, vPtr, vSize uint32) uint32 {
		return pwOK // access-log properties: accepted and dropped
	})
	fn("proxy_define_metric", func(_ context.Context, mod api.Module, typ, nPtr, nSize, retID uint32) uint32 {
		name := string(h.read(mod, nPtr, nSize))
		id, ok := h.metricIDs[name]
		if !ok {
			id = uint32(len(h.metrics))
			h.metrics = append(h.metrics, hostMetric{name: name, typ: typ})
			h.metricIDs[name] = id
		}
		mod.Memory().WriteUint32Le(retID, id)
		return pwOK
	})
	fn("proxy_increment_metric", func(_ context.Context, _ api.Module, id uint32, offset int64) uint32 {
		if int(id) >= len(h.metrics) {
			return pwNotFound
		}
		h.metrics[id].value += offset
		return pwOK
	})
	fn("proxy_record_metric", func(_ context.Context, _ api.Module, id uint32, value uint64) uint32 {
		if int(id) >= len(h.metrics) {
			return pwNotFound
		}
		h.metrics[id].value = int64(value)
		return pwOK
	})
	stubRest()
	_, err := b.Instantiate(h.ctx)
	return err
}

// isExit reports whether err is the guest ending itself (the Go runtime's
// fatal errors call proc_exit(2)).
func isExit(err error) bool {
	var exit interface{ ExitCode() uint32 }
	return errors.As(err, &exit)
}
