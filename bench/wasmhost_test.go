package bench

import (
	"context"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/wazero/api"
)

// wasmPageSize is the WebAssembly linear memory page size (64 KiB).
const wasmPageSize = 65536

// guest is the wazero module instance behind a proxytest.WasmVMContext.
//
// proxytest does not expose it, and Go-built modules are anonymous, so
// wazero's Runtime.Module cannot look them up by name. We read it through
// three unexported fields (proxytest vmContext.runtime → wazero
// runtime.store → wasm.Store.moduleList), the smallest reach that gives the
// real api.Module: its linear memory size, and the proxy_on_delete export
// that the proxytest wrapper never calls (Envoy calls it after every stream;
// without it the guest's per-stream map grows without bound and any memory
// figure would measure the harness). Both dependencies are pinned in go.mod;
// if a field moves, guestOf returns an error and every benchmark fails
// rather than skipping.
type guest struct {
	mod      api.Module
	onDelete api.Function
}

func guestOf(vm proxytest.WasmVMContext) (*guest, error) {
	v := reflect.ValueOf(vm)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("bench: unexpected proxytest.WasmVMContext %T", vm)
	}
	rt := field(v.Elem(), "runtime") // wazero.Runtime (interface)
	if !rt.IsValid() || rt.Kind() != reflect.Interface || rt.IsNil() {
		return nil, fmt.Errorf("bench: proxytest vmContext has no runtime field")
	}
	rtImpl := rt.Elem() // *wazero.runtime
	if rtImpl.Kind() != reflect.Pointer {
		return nil, fmt.Errorf("bench: unexpected wazero runtime %s", rtImpl.Type())
	}
	store := field(rtImpl.Elem(), "store") // *wasm.Store
	if !store.IsValid() || store.IsNil() {
		return nil, fmt.Errorf("bench: wazero runtime has no store")
	}
	for m := field(store.Elem(), "moduleList"); m.IsValid() && !m.IsNil(); m = field(m.Elem(), "next") {
		mod, ok := m.Interface().(api.Module)
		if !ok {
			return nil, fmt.Errorf("bench: %s is not an api.Module", m.Type())
		}
		if mod.ExportedFunction("proxy_on_request_headers") != nil {
			del := mod.ExportedFunction("proxy_on_delete")
			if del == nil {
				return nil, fmt.Errorf("bench: guest module does not export proxy_on_delete")
			}
			return &guest{mod: mod, onDelete: del}, nil
		}
	}
	return nil, fmt.Errorf("bench: no proxy-wasm guest module in the wazero store")
}

// field returns the named (possibly unexported) field of struct value v as a
// readable value.
func field(v reflect.Value, name string) reflect.Value {
	f := v.FieldByName(name)
	if !f.IsValid() {
		return f
	}
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
}

// pages is the guest's current linear memory size in 64 KiB pages.
func (g *guest) pages() uint32 { return g.mod.Memory().Size() / wasmPageSize }

// deleteContext tells the guest a stream's context is gone (proxy_on_delete),
// as Envoy does after proxy_on_log.
func (g *guest) deleteContext(id uint32) error {
	_, err := g.onDelete.Call(context.Background(), uint64(id))
	return err
}
