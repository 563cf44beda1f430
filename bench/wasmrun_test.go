package bench

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

// plugin names the modules the benchmarks run.
type plugin string

const (
	pluginAudguard  plugin = "audguard"
	pluginNoop      plugin = "noop"
	pluginStdverify plugin = "stdverify"
	// pluginReadheaders reads the request headers and two properties.
	pluginReadheaders plugin = "readheaders"
)

// path builds (or finds) the module for p.
func (p plugin) path() (string, error) {
	switch p {
	case pluginAudguard:
		return ensureAudguard()
	case pluginNoop:
		return buildWasm("./bench/testdata/noop", false)
	case pluginStdverify:
		return buildWasm("./bench/testdata/stdverify", false)
	case pluginReadheaders:
		return buildWasm("./bench/testdata/readheaders", false)
	}
	return "", fmt.Errorf("bench: unknown plugin %q", p)
}

// wasmVM is one compiled and instantiated module.
type wasmVM struct {
	vm proxytest.WasmVMContext
	g  *guest
}

func newWasmVM(p plugin) (*wasmVM, error) {
	path, err := p.path()
	if err != nil {
		return nil, err
	}
	bin, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	vm, err := proxytest.NewWasmVMContext(bin)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	g, err := guestOf(vm)
	if err != nil {
		_ = vm.Close()
		return nil, err
	}
	return &wasmVM{vm: vm, g: g}, nil
}

var (
	vmMu     sync.Mutex
	sharedVM = map[plugin]*wasmVM{}
)

// shared returns the binary-wide instance of p (compiling takes 1–2 s). Each
// benchmark starts its own plugin context on it.
func shared(tb testing.TB, p plugin) *wasmVM {
	tb.Helper()
	vmMu.Lock()
	defer vmMu.Unlock()
	if v := sharedVM[p]; v != nil {
		return v
	}
	v, err := newWasmVM(p)
	if err != nil {
		tb.Fatalf("%s module: %v", p, err)
	}
	sharedVM[p] = v
	return v
}

// wasmHost is one proxytest host emulator session with a started plugin.
type wasmHost struct {
	vm    *wasmVM
	h     proxytest.HostEmulator
	reset func()
}

// start starts the plugin on vm with cfg and fails tb unless it starts.
func start(tb testing.TB, vm *wasmVM, cfg []byte) *wasmHost {
	tb.Helper()
	opt := proxytest.NewEmulatorOption().WithVMContext(vm.vm).WithPluginConfiguration(cfg)
	h, reset := proxytest.NewHostEmulator(opt)
	if st := h.StartPlugin(); st != types.OnPluginStartStatusOK {
		reset()
		tb.Fatalf("OnPluginStart = %v; error logs: %q", st, h.GetErrorLogs())
	}
	return &wasmHost{vm: vm, h: h, reset: reset}
}

// stop ends the session: the plugin context is done and deleted in the guest
// (proxy_on_done, proxy_on_delete, as Envoy does when a configuration is
// replaced; proxytest does neither), then the emulator is reset.
func (w *wasmHost) stop() {
	w.h.FinishVM()
	_ = w.vm.g.deleteContext(proxytest.PluginContextID)
	w.reset()
}

// do runs one whole stream the way Envoy does for a request the filter
// decides on the headers: context create, request headers, log, delete.
// It returns the action and the local reply status (0: none).
func (w *wasmHost) do(headers [][2]string, wantStatus uint32) error {
	id := w.h.InitializeHttpContext()
	action := w.h.CallOnRequestHeaders(id, headers, true)
	if wantStatus == 0 && action != types.ActionContinue || wantStatus != 0 && action != types.ActionPause {
		return w.explain(id, action)
	}
	if wantStatus != 0 {
		if r := w.h.GetSentLocalResponse(id); r == nil || r.StatusCode != wantStatus {
			return w.explain(id, action)
		}
	}
	w.h.CompleteHttpContext(id)
	return w.vm.g.deleteContext(id)
}

func (w *wasmHost) explain(id uint32, action types.Action) error {
	st := uint32(0)
	if r := w.h.GetSentLocalResponse(id); r != nil {
		st = r.StatusCode
	}
	return fmt.Errorf("action %v, local status %d; logs: %s", action, st,
		strings.Join(append(w.h.GetErrorLogs(), w.h.GetDebugLogs()...), " | "))
}

// answerFirstFetch ticks the plugin, which sends its first key fetch, and
// answers that call-out with a 200 and body.
func (w *wasmHost) answerFirstFetch(body []byte) error {
	w.h.Tick()
	cs := w.h.GetCalloutAttributesFromContext(proxytest.PluginContextID)
	if len(cs) != 1 {
		return fmt.Errorf("%d call-outs after the first tick, want the key fetch", len(cs))
	}
	w.h.CallOnHttpCallResponse(cs[0].CalloutID, [][2]string{{":status", "200"}}, nil, body)
	return nil
}

func (w *wasmHost) counter(name string) uint64 {
	v, _ := w.h.GetCounterMetric(name)
	return v
}

// loop runs b.N streams cycling through reqs.
func (w *wasmHost) loop(b *testing.B, reqs [][][2]string, wantStatus uint32) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := w.do(reqs[i%len(reqs)], wantStatus); err != nil {
			b.Fatalf("request %d: %v", i, err)
		}
	}
	b.StopTimer()
}
