package main

import (
	"context"
	"os"
	"sort"
	"testing"

	"github.com/tetratelabs/wazero"
)

// envoyHostFunctions is what Envoy has provided to a module since 1.33: the `env`
// functions of the proxy-wasm ABI 0.2.1 and the wasi_snapshot_preview1 set of
// proxy-wasm-cpp-host PR #427.
var envoyHostFunctions = map[string]map[string]bool{
	"env": set(
		"proxy_log", "proxy_get_log_level", "proxy_get_current_time_nanoseconds",
		"proxy_set_tick_period_milliseconds", "proxy_get_buffer_bytes", "proxy_set_buffer_bytes",
		"proxy_get_header_map_pairs", "proxy_set_header_map_pairs", "proxy_get_header_map_value",
		"proxy_add_header_map_value", "proxy_replace_header_map_value", "proxy_remove_header_map_value",
		"proxy_get_header_map_size", "proxy_get_property", "proxy_set_property",
		"proxy_get_shared_data", "proxy_set_shared_data", "proxy_register_shared_queue",
		"proxy_resolve_shared_queue", "proxy_dequeue_shared_queue", "proxy_enqueue_shared_queue",
		"proxy_continue_stream", "proxy_close_stream", "proxy_send_local_response",
		"proxy_http_call", "proxy_grpc_call", "proxy_grpc_stream", "proxy_grpc_send",
		"proxy_grpc_cancel", "proxy_grpc_close", "proxy_get_status", "proxy_set_effective_context",
		"proxy_call_foreign_function", "proxy_done", "proxy_define_metric",
		"proxy_increment_metric", "proxy_record_metric", "proxy_get_metric",
	),
	"wasi_snapshot_preview1": set(
		"fd_write", "fd_read", "fd_seek", "fd_close", "fd_fdstat_get", "fd_fdstat_set_flags",
		"environ_get", "environ_sizes_get", "args_get", "args_sizes_get", "clock_time_get",
		"random_get", "sched_yield", "poll_oneoff", "proc_exit", "path_open", "fd_prestat_get",
		"fd_prestat_dir_name",
	),
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// TestModuleImportsAreEnvoyHostFunctions reads the compiled module's imports
// with wazero: a module importing anything else fails to load in Envoy.
func TestModuleImportsAreEnvoyHostFunctions(t *testing.T) {
	bin, err := os.ReadFile(wasmPath)
	if err != nil {
		t.Fatalf("%s is missing (run `make build`): %v", wasmPath, err)
	}
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	mod, err := r.CompileModule(ctx, bin)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	var imported []string
	for _, f := range mod.ImportedFunctions() {
		m, name, _ := f.Import()
		imported = append(imported, m+"."+name)
		if !envoyHostFunctions[m][name] {
			t.Errorf("module imports %s.%s, which Envoy does not provide", m, name)
		}
	}
	if len(mod.ImportedMemories()) != 0 {
		t.Errorf("module imports a memory; proxy-wasm modules export their own")
	}
	sort.Strings(imported)
	t.Logf("%d imports: %v", len(imported), imported)
	exports := mod.ExportedFunctions()
	for _, want := range []string{"proxy_on_request_headers", "proxy_on_context_create", "proxy_on_configure", "_initialize"} {
		if _, ok := exports[want]; !ok {
			t.Errorf("module does not export %s", want)
		}
	}
	if _, ok := mod.ExportedMemories()["memory"]; !ok {
		t.Errorf("module does not export its memory")
	}
	abi := false
	for name := range exports {
		if name == "proxy_abi_version_0_2_1" || name == "proxy_abi_version_0_2_0" {
			abi = true
		}
	}
	if !abi {
		t.Errorf("module exports no proxy_abi_version_0_2_x marker")
	}
}
