// Package demo is `make demo`: it runs the compiled filter (build/audguard.wasm)
// in-process — wazero through the proxy-wasm Go SDK's host emulator, exactly as
// the filter's own wasm tests do — with a plugin configuration, sends it a
// script of requests carrying tokens minted with the test-only keys of
// e2e/keys, and prints what the filter answered to each.
//
// wazero's clock reads 2022-01-01T00:00:00Z inside the module (its fake
// walltime), so every token is minted relative to that instant.
package demo

import (
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/audguard/audguard/filter/policy"
	"github.com/audguard/audguard/internal/demo/keyfile"
	"github.com/audguard/audguard/internal/mint"
)

// ModuleEpoch is what the module's clock reads under wazero's fake walltime.
var ModuleEpoch = time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)

// ErrStart: the module did not start with the configuration.
var ErrStart = errors.New("demo: the filter refused to start")

// Options says what to run.
type Options struct {
	WasmPath   string // build/audguard.wasm
	ConfigPath string // envoy/demo-config.json
	KeysDir    string // e2e/keys (rsa-test-only.key.pem, ec-p256-test-only.key.pem)
}

// Row is one scripted request and what the filter did with it.
type Row struct {
	Name      string // what the request shows
	Request   string // method, authority and path
	Status    uint32 // local reply status; 0 when the request went on upstream
	Challenge string // WWW-Authenticate of the local reply, if any
	Body      string // body of a 200 local reply (the metadata document)
	Counter   string // the audguard counter the request moved
	Expected  bool   // the result is the one the script expects
}

// Result is what the filter answered, as a column.
func (r *Row) Result() string {
	if r.Status == 0 {
		return "→ upstream"
	}
	return fmt.Sprint(r.Status)
}

// Run runs the script, prints the table to w and returns the rows. An error
// means the demo could not run at all (missing module, keys or config, or a
// module that refused the configuration).
func Run(w io.Writer, o Options) ([]Row, error) {
	cfg, err := os.ReadFile(o.ConfigPath)
	if err != nil {
		return nil, fmt.Errorf("demo: configuration: %w", err)
	}
	keys, err := loadKeys(o.KeysDir)
	if err != nil {
		return nil, err
	}
	bin, err := os.ReadFile(o.WasmPath)
	if err != nil {
		return nil, fmt.Errorf("demo: %w (run `make build`)", err)
	}
	// The emulator logs every proxy_log call through the standard logger;
	// the table says it all, so keep the terminal quiet while it runs.
	prev := log.Writer()
	log.SetOutput(io.Discard)
	defer log.SetOutput(prev)
	vm, err := proxytest.NewWasmVMContext(bin)
	if err != nil {
		return nil, fmt.Errorf("demo: loading %s: %w", o.WasmPath, err)
	}
	defer vm.Close()
	host, reset := proxytest.NewHostEmulator(proxytest.NewEmulatorOption().WithVMContext(vm).WithPluginConfiguration(cfg))
	defer reset()
	if st := host.StartPlugin(); st != types.OnPluginStartStatusOK {
		return nil, fmt.Errorf("%w: %s", ErrStart, strings.Join(host.GetErrorLogs(), "; "))
	}

	script, err := buildScript(keys)
	if err != nil {
		return nil, err
	}
	counters := policy.CounterNames()
	rows := make([]Row, 0, len(script))
	for _, s := range script {
		rows = append(rows, send(host, counters, s))
	}
	print(w, o, rows)
	return rows, nil
}

// loadKeys reads the two test-only PEM keys of e2e/keys.
func loadKeys(dir string) (*testKeys, error) {
	read := func(file, alg, kid string) (*mint.Key, error) {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			return nil, fmt.Errorf("demo: test key: %w", err)
		}
		return keyfile.Load(data, alg, kid)
	}
	rs, err := read("rsa-test-only.key.pem", "RS256", "e2e-rsa-1")
	if err != nil {
		return nil, err
	}
	ec, err := read("ec-p256-test-only.key.pem", "ES256", "e2e-ec-1")
	if err != nil {
		return nil, err
	}
	return &testKeys{rs: rs, ec: ec}, nil
}

// send runs one scripted request through the emulated host.
func send(h proxytest.HostEmulator, counters []string, s step) Row {
	before := snapshot(h, counters)
	headers := [][2]string{{":method", s.method}, {":path", s.path}, {":authority", s.authority}, {":scheme", "https"}}
	if s.authorization != "" {
		headers = append(headers, [2]string{"authorization", s.authorization})
	}
	id := h.InitializeHttpContext()
	h.CallOnRequestHeaders(id, headers, true)
	row := Row{Name: s.name, Request: s.method + " " + s.path}
	if local := h.GetSentLocalResponse(id); local != nil {
		row.Status = local.StatusCode
		if local.StatusCode == 200 {
			row.Body = string(local.Data)
		}
		for _, kv := range local.Headers {
			if strings.EqualFold(kv[0], "www-authenticate") {
				row.Challenge = kv[1]
			}
		}
	}
	h.CompleteHttpContext(id)
	after := snapshot(h, counters)
	for _, name := range counters {
		if after[name] > before[name] && !strings.HasPrefix(name, "audguard.cache.") {
			row.Counter = strings.TrimPrefix(name, "audguard.")
		}
	}
	row.Expected = row.Status == s.wantStatus && row.Counter == s.wantCounter
	return row
}

func snapshot(h proxytest.HostEmulator, names []string) map[string]uint64 {
	out := make(map[string]uint64, len(names))
	for _, n := range names {
		if v, err := h.GetCounterMetric(n); err == nil {
			out[n] = v
		}
	}
	return out
}

// print writes the table: a header line, aligned rows, a summary line.
func print(w io.Writer, o Options, rows []Row) {
	fmt.Fprintf(w, "audguard demo: %s running in-process (wazero, proxy-wasm host emulator) with %s\n", o.WasmPath, o.ConfigPath)
	fmt.Fprintf(w, "every request goes to %s (resource %s); tokens are signed with the TEST-ONLY keys in %s\n", hostA, resA, o.KeysDir)
	fmt.Fprintf(w, "and minted for the module's clock, which reads %s\n\n", ModuleEpoch.Format(time.RFC3339))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tCASE\tREQUEST\tRESULT\tCOUNTER\tWWW-AUTHENTICATE")
	allowed, denied, other, unexpected := 0, 0, 0, 0
	for i, r := range rows {
		mark := ""
		if !r.Expected {
			mark = "  UNEXPECTED"
			unexpected++
		}
		challenge := r.Challenge
		if challenge == "" {
			challenge = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s%s\n", i+1, r.Name, r.Request, r.Result(), r.Counter, challenge, mark)
		switch {
		case r.Counter == "allowed":
			allowed++
		case strings.HasPrefix(r.Counter, "denied."):
			denied++
		default:
			other++
		}
	}
	_ = tw.Flush()
	for i, r := range rows {
		if r.Body != "" {
			fmt.Fprintf(w, "\n#%d body: %s\n", i+1, r.Body)
		}
	}
	verdict := "every result as expected"
	if unexpected > 0 {
		verdict = fmt.Sprintf("%d UNEXPECTED result(s)", unexpected)
	}
	fmt.Fprintf(w, "\nsummary: %d requests: %d allowed, %d denied, %d answered by the filter (metadata); %s\n",
		len(rows), allowed, denied, other, verdict)
}
