package main

import (
	"strings"
	"testing"
)

// TestStrictHostRules: each rule of the strict host (filter/wasihost_test.go)
// catches what it is for. The host functions are called as the module would
// call them, in the callback and context a misbehaving glue would be in; a
// rule that no longer traps would let the remote-key and probe tests pass
// over the bug it stands for.
func TestStrictHostRules(t *testing.T) {
	k := getKeys(t)
	cfg := mustJSON(map[string]any{
		"issuers":   []any{map[string]any{"name": "corp", "issuer": issCorp, "jwks": map[string]any{"keys": []any{k.ec.Public()}}}},
		"resources": []any{map[string]any{"resource": resA, "authorities": []string{"mcp-a.example.com"}}},
	})
	for _, mode := range []hostMode{modeCppHost, modeNgx} {
		t.Run(mode.String(), func(t *testing.T) {
			h := newStrictHost(t, hostConfig{mode: mode, poll: pollAfter533, clock: newFakeClock(wasmEpoch)})
			if ok, err := h.start(cfg); err != nil || !ok {
				t.Fatalf("start: ok=%v err=%v", ok, err)
			}
			root := h.rootID
			// A stream the module paused... the module never pauses this
			// configuration, so one answered locally (no token: 401) and one
			// marked paused by hand stand for it.
			answered, err := h.beginRequest([][2]string{{":method", "POST"}, {":path", "/mcp"}, {":authority", "mcp-a.example.com"}}, true)
			if err != nil || h.streams[answered].reply == nil || h.streams[answered].reply.status != 401 {
				t.Fatalf("a request without a token: err %v, reply %+v; want 401", err, h.streams[answered].reply)
			}
			paused, err := h.beginRequest([][2]string{{":method", "POST"}, {":path", "/mcp"}, {":authority", "mcp-a.example.com"}}, true)
			if err != nil {
				t.Fatal(err)
			}
			h.streams[paused].reply, h.streams[paused].paused = nil, true

			mem := func(b []byte) (ptr, size uint32) {
				res, err := h.fn["proxy_on_memory_allocate"].Call(h.ctx, uint64(len(b)+8))
				if err != nil {
					t.Fatal(err)
				}
				ptr = uint32(res[0])
				if !h.mod.Memory().Write(ptr, b) {
					t.Fatal("guest memory write")
				}
				return ptr, uint32(len(b))
			}
			ret, _ := mem(make([]byte, 8))
			ret2, _ := mem(make([]byte, 8))

			var caught []string
			h.onViolation = func(msg string) { caught = append(caught, msg) }
			// in runs f as a host call made in callback cb of context ctx.
			in := func(cb string, ctx uint32, f func()) {
				h.callback, h.cbCtx, h.current = cb, ctx, ctx
				defer func() { h.callback, h.cbCtx, h.current = "", 0, 0 }()
				f()
			}
			traps := func(what, want string, cb string, ctx uint32, f func()) {
				t.Helper()
				n := len(caught)
				trapped := false
				func() {
					defer func() {
						_, trapped = recover().(hostTrap)
					}()
					in(cb, ctx, f)
				}()
				if !trapped || len(caught) != n+1 {
					t.Errorf("%s: no trap", what)
					return
				}
				if !strings.Contains(caught[n], want) {
					t.Errorf("%s: violation %q lacks %q", what, caught[n], want)
				}
			}
			fine := func(what string, cb string, ctx uint32, f func() uint32, want uint32) {
				t.Helper()
				n := len(caught)
				var got uint32
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Errorf("%s: trapped: %v", what, r)
						}
					}()
					in(cb, ctx, func() { got = f() })
				}()
				if len(caught) != n {
					t.Errorf("%s: violations %q", what, caught[n:])
				}
				if got != want {
					t.Errorf("%s: status %d, want %d", what, got, want)
				}
			}

			// Metrics: a gauge is recorded, a counter incremented; ids are the host's.
			gauge, counter := h.addMetric("test.gauge", metricGauge), h.addMetric("test.counter", metricCounter)
			traps("increment a gauge", "not a counter", "proxy_on_tick", root, func() { h.incrementMetric(h.ctx, h.mod, gauge, 1) })
			traps("record a counter", "a counter", "proxy_on_tick", root, func() { h.recordMetric(h.ctx, h.mod, counter, 1) })
			for _, id := range []uint32{0, 1, gauge + 100} {
				traps("increment an undefined metric", "never defined", "proxy_on_tick", root, func() { h.incrementMetric(h.ctx, h.mod, id, 1) })
				traps("record an undefined metric", "never defined", "proxy_on_tick", root, func() { h.recordMetric(h.ctx, h.mod, id, 1) })
				traps("read an undefined metric", "never defined", "proxy_on_tick", root, func() { h.getMetric(h.ctx, h.mod, id, ret) })
			}
			fine("record a gauge", "proxy_on_tick", root, func() uint32 { return h.recordMetric(h.ctx, h.mod, gauge, 7) }, pwOK)
			fine("increment a counter", "proxy_on_tick", root, func() uint32 { return h.incrementMetric(h.ctx, h.mod, counter, 2) }, pwOK)
			fine("read a gauge", "proxy_on_tick", root, func() uint32 { return h.getMetric(h.ctx, h.mod, gauge, ret) }, pwOK)
			if v, _ := h.mod.Memory().ReadUint64Le(ret); v != 7 {
				t.Errorf("proxy_get_metric of the gauge read %d, want 7", v)
			}

			// Call-outs: refused during plugin start, as ngx_wasm_module does.
			up, upN := mem([]byte(jwksCluter))
			call := func() uint32 { return h.httpCall(h.ctx, h.mod, up, upN, 0, 0, 0, 0, 0, 0, 1000, ret) }
			for _, cb := range []string{"proxy_on_context_create", "proxy_on_vm_start", "proxy_on_configure", "proxy_on_done"} {
				traps("a call-out in "+cb, "proxy_http_call during "+cb, cb, root, func() { call() })
			}
			fine("a call-out on a tick", "proxy_on_tick", root, call, pwOK)
			if c := h.callouts[len(h.callouts)-1]; c.from != root || c.root != root || c.upstream != jwksCluter {
				t.Errorf("the call-out: %+v, want from and for the root context %d", c, root)
			}

			// A host call about a stream from the root context: on a tick, or
			// in a call-out's answer, without a real switch.
			key, keyN := mem([]byte("authorization"))
			prop, propN := mem([]byte("xds\x00route_name\x00"))
			streamCalls := map[string]func(){
				"read the request headers": func() { h.getHeaderMapPairs(h.ctx, h.mod, mapReqHdrs, ret, ret2) },
				"remove a request header":  func() { h.removeHeaderMapValue(h.ctx, h.mod, mapReqHdrs, key, keyN) },
				"replace a request header": func() { h.replaceHeaderMapValue(h.ctx, h.mod, mapReqHdrs, key, keyN, key, keyN) },
				"add a request header":     func() { h.addHeaderMapValue(h.ctx, h.mod, mapReqHdrs, key, keyN, key, keyN) },
				"read a request header":    func() { h.getHeaderMapValue(h.ctx, h.mod, mapReqHdrs, key, keyN, ret, ret2) },
				"set the request headers":  func() { h.setHeaderMapPairs(h.ctx, h.mod, mapReqHdrs, 0, 0) },
				"send a local reply":       func() { h.sendLocalResponse(h.ctx, h.mod, 503, 0, 0, 0, 0, 0, 0, 0) },
				"resume the request":       func() { h.continueStream(h.ctx, h.mod, 0) },
				"close the stream":         func() { h.closeStream(h.ctx, h.mod, 0) },
				"read the request body":    func() { h.getBufferBytes(h.ctx, h.mod, bufReqBody, 0, 10, ret, ret2) },
				"set the request body":     func() { h.setBufferBytes(h.ctx, h.mod, bufReqBody, 0, 0, key, keyN) },
				"read xds.route_name":      func() { h.getProperty(h.ctx, h.mod, prop, propN, ret, ret2) },
				"set an access-log property": func() {
					h.setProperty(h.ctx, h.mod, key, keyN, key, keyN)
				},
			}
			for what, f := range streamCalls {
				for _, cb := range []string{"proxy_on_tick", "proxy_on_http_call_response"} {
					traps(what+" in "+cb, "about a stream while the current context is "+h.describe(root), cb, root, f)
				}
			}
			// ... or about a stream that has ended.
			if err := h.endRequest(answered); err != nil {
				t.Fatal(err)
			}
			traps("read the headers of an ended stream", "an ended stream", "proxy_on_http_call_response", answered,
				streamCalls["read the request headers"])

			// proxy_set_effective_context: the probe's id, then a live stream.
			in("proxy_on_http_call_response", root, func() {
				st := h.setEffectiveContext(h.ctx, h.mod, 0xFFFFFFFF)
				if want := map[hostMode]uint32{modeCppHost: pwBadArg, modeNgx: pwOK}[mode]; st != want {
					t.Errorf("switch to a context that does not exist: status %d, want %d", st, want)
				}
				if h.current != root {
					t.Errorf("a refused switch changed the current context to %d", h.current)
				}
				if st := h.setEffectiveContext(h.ctx, h.mod, paused); st != pwOK {
					t.Errorf("switch to a live stream: status %d, want Ok", st)
				}
				want := map[hostMode]uint32{modeCppHost: paused, modeNgx: root}[mode]
				if h.current != want {
					t.Errorf("after a switch to stream %d the current context is %d, want %d", paused, h.current, want)
				}
			})
			switched := func(f func() uint32) func() uint32 {
				return func() uint32 { h.setEffectiveContext(h.ctx, h.mod, paused); return f() }
			}
			resume := func() uint32 { return h.continueStream(h.ctx, h.mod, 0) }
			if mode == modeCppHost {
				fine("resume a paused stream after a switch", "proxy_on_http_call_response", root, switched(resume), pwOK)
				if s := h.streams[paused]; s.paused || s.resumed != 1 {
					t.Errorf("the stream after proxy_continue_stream: paused %v, resumed %d", s.paused, s.resumed)
				}
				traps("resume a stream that is not paused", "not paused", "proxy_on_http_call_response", root, func() { switched(resume)() })
				reply := func() uint32 { return h.sendLocalResponse(h.ctx, h.mod, 503, 0, 0, 0, 0, 0, 0, 0) }
				fine("a local reply after a switch", "proxy_on_http_call_response", root, switched(reply), pwOK)
				traps("a second local reply", "a second local reply", "proxy_on_http_call_response", root, func() { switched(reply)() })
			} else {
				traps("resume after a switch that switched nothing", "about a stream", "proxy_on_http_call_response", root,
					func() { switched(resume)() })
			}

			// Buffers only where they exist.
			traps("read the plugin configuration on a tick", "outside proxy_on_configure", "proxy_on_tick", root,
				func() { h.getBufferBytes(h.ctx, h.mod, bufPluginCfg, 0, 10, ret, ret2) })
			traps("read a call-out's body outside its answer", "outside proxy_on_http_call_response", "proxy_on_tick", root,
				func() { h.getBufferBytes(h.ctx, h.mod, bufCallResp, 0, 10, ret, ret2) })
			traps("read a call-out's headers outside its answer", "outside proxy_on_http_call_response", "proxy_on_tick", root,
				func() { h.getHeaderMapPairs(h.ctx, h.mod, mapCallRespHdrs, ret, ret2) })
			traps("set a tick period from a stream", "outside a root context", "proxy_on_request_headers", paused,
				func() { h.setTickPeriod(h.ctx, h.mod, 1000) })

			// Shared data: the family's compare-and-swap.
			sk, skN := mem([]byte("audguard/test"))
			set := func(cas uint32) func() uint32 {
				return func() uint32 { return h.setSharedData(h.ctx, h.mod, sk, skN, key, keyN, cas) }
			}
			fine("create a key with CAS 0", "proxy_on_tick", root, set(0), pwOK)
			cas := h.shared.m["audguard/test"].cas
			fine("write with a stale CAS", "proxy_on_tick", root, set(cas+1), pwCasMiss)
			if mode == modeNgx {
				fine("write an existing key with CAS 0 (ngx_wasm_module: only if absent)", "proxy_on_tick", root, set(0), pwCasMiss)
			} else {
				fine("write an existing key with CAS 0 (proxy-wasm-cpp-host: unconditional)", "proxy_on_tick", root, set(0), pwOK)
				cas = h.shared.m["audguard/test"].cas
			}
			fine("write with the key's CAS", "proxy_on_tick", root, set(cas), pwOK)
			if got := h.shared.m["audguard/test"].cas; got == cas {
				t.Errorf("a write kept the CAS %d", got)
			}
		})
	}
}
