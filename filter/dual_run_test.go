package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/audguard/audguard/filter/policy"
)

// TestDual runs every case of dualCases natively and in the compiled module.
func TestDual(t *testing.T) {
	k := getKeys(t)
	configs := map[string][]byte{
		"main":       testConfig(k, "enforce", true),
		"nodefault":  testConfig(k, "enforce", false),
		"report":     testConfig(k, "report", false),
		"mcp":        mcpConfig(k, "enforce"),
		"mcpreport":  mcpConfig(k, "report"),
		"body":       bodyConfig(k, "enforce"),
		"bodyreport": bodyConfig(k, "report"),
		"dpop":       dpopConfig(k),
	}
	counterNames := policy.CounterNames()
	for _, r := range runners() {
		t.Run(r.name, func(t *testing.T) {
			c := &tctx{now: r.now, keys: k, live: r.name == "native"}
			for _, tc := range append(append(append(append(append(dualCases(), routingCases()...), mcpCases()...), bodyCases()...), dpopCases()...), listCases()...) {
				t.Run(tc.name, func(t *testing.T) {
					cfgName := tc.cfg
					if cfgName == "" {
						cfgName = "main"
					}
					h := startHost(t, r, configs[cfgName], tc.props, types.OnPluginStartStatusOK)
					defer h.reset()
					runDualCase(t, h, c, &tc, counterNames)
				})
			}
		})
	}
}

// dualHeaders builds the request headers of tc and lists the credentials in
// them (no log line may contain one).
func dualHeaders(c *tctx, tc *dualCase) ([][2]string, []string) {
	method, authority, path := tc.method, tc.authority, tc.path
	if method == "" {
		method = "GET"
	}
	if authority == "" {
		authority = "mcp-a.example.com"
	}
	if path == "" {
		path = "/mcp"
	}
	headers := [][2]string{
		{":method", method}, {":path", path}, {":authority", authority}, {":scheme", "https"},
		{"x-request-id", "req-42"},
	}
	switch {
	case tc.noHost:
	case tc.hosts != nil:
		for _, v := range tc.hosts {
			headers = append(headers, [2]string{"host", v})
		}
	default:
		headers = append(headers, [2]string{"host", authority})
	}
	if tc.openBody {
		headers = append(headers, [2]string{"content-length", "7"})
	}
	if tc.rpc != "" {
		if ct := tc.contentType; ct != "-" {
			if ct == "" {
				ct = "application/json"
			}
			headers = append(headers, [2]string{"content-type", ct})
		}
		if !tc.noLength {
			headers = append(headers, [2]string{"content-length", strconv.Itoa(len(tc.rpc))})
		}
	}
	var secrets []string
	authz := tc.authz
	if tc.token != nil {
		tok := tc.token(c)
		authz = append(authz, "Bearer "+tok)
		secrets = append(secrets, tok)
	}
	if tc.authzFn != nil {
		authz = append(authz, tc.authzFn(c)...)
	}
	for _, v := range authz {
		headers = append(headers, [2]string{"authorization", v})
		if _, cred, ok := strings.Cut(v, " "); ok && len(strings.TrimSpace(cred)) > 8 {
			secrets = append(secrets, strings.TrimSpace(cred))
		}
	}
	headers = append(headers, tc.headers...)
	if tc.dpopFn != nil {
		authz, proofs := tc.dpopFn(c)
		if authz != "" {
			headers = append(headers, [2]string{"authorization", authz})
			if _, cred, ok := strings.Cut(authz, " "); ok && len(cred) > 8 {
				secrets = append(secrets, cred)
			}
		}
		for _, p := range proofs {
			headers = append(headers, [2]string{"dpop", p})
			if len(p) > 8 {
				secrets = append(secrets, p)
			}
		}
	}
	return headers, secrets
}

// runPrelude sends tc's request once (dualCase.prelude), checks its status
// against tc.preStatus, keeps the DPoP-Nonce it got in c.nonce, and returns
// the counters after it.
func runPrelude(t *testing.T, h *host, c *tctx, tc *dualCase, counterNames []string) map[string]uint64 {
	t.Helper()
	headers, _ := dualHeaders(c, tc)
	id := h.h.InitializeHttpContext()
	action := h.h.CallOnRequestHeaders(id, headers, true)
	local := h.h.GetSentLocalResponse(id)
	switch {
	case local != nil:
		if local.StatusCode != tc.preStatus {
			t.Fatalf("prelude: status %d, want %d (www-authenticate %q)", local.StatusCode, tc.preStatus, header(local.Headers, "www-authenticate"))
		}
		c.nonce = header(local.Headers, "dpop-nonce")
	case action != types.ActionContinue || tc.preStatus != 0:
		t.Fatalf("prelude: action %v, want status %d", action, tc.preStatus)
	default:
		h.h.CallOnResponseHeaders(id, [][2]string{{":status", "200"}}, false)
		c.nonce = header(h.h.GetCurrentResponseHeaders(id), "dpop-nonce")
	}
	h.h.CompleteHttpContext(id)
	return h.counters(counterNames)
}

func runDualCase(t *testing.T, h *host, c *tctx, tc *dualCase, counterNames []string) {
	t.Helper()
	c.nonce = ""
	var before map[string]uint64
	if tc.prelude {
		before = runPrelude(t, h, c, tc, counterNames)
	}
	headers, secrets := dualHeaders(c, tc)

	id := h.h.InitializeHttpContext()
	action := h.h.CallOnRequestHeaders(id, headers, !tc.openBody && !tc.noEOS && tc.rpc == "")
	local := h.h.GetSentLocalResponse(id)
	if tc.rpc != "" && local == nil {
		action = sendBody(t, h, id, tc, action)
		if tc.cutBody > 0 {
			return
		}
		local = h.h.GetSentLocalResponse(id)
	}

	if tc.status == 0 {
		if action != types.ActionContinue || local != nil {
			st := uint32(0)
			var www string
			if local != nil {
				st, www = local.StatusCode, header(local.Headers, "www-authenticate")
			}
			t.Fatalf("want continue; got action %v, local status %d, www-authenticate %q, counters %v",
				action, st, www, h.counters(counterNames))
		}
	} else {
		if local == nil {
			t.Fatalf("want local %d; got action %v and no local reply; counters %v", tc.status, action, h.counters(counterNames))
		}
		if action != types.ActionPause {
			t.Errorf("action = %v, want pause", action)
		}
		if local.StatusCode != tc.status {
			t.Errorf("status = %d, want %d (www-authenticate %q, body %s)", local.StatusCode, tc.status,
				header(local.Headers, "www-authenticate"), local.Data)
		}
		if tc.wwwAll != nil {
			var got []string
			for _, kv := range local.Headers {
				if strings.EqualFold(kv[0], "www-authenticate") {
					got = append(got, kv[1])
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.wwwAll, "\n") {
				t.Errorf("www-authenticate values:\n got %q\nwant %q", got, tc.wwwAll)
			}
		}
		if tc.www != "" || tc.status == 403 && strings.Contains(tc.counter, "unmatched") {
			if got := header(local.Headers, "www-authenticate"); got != tc.www {
				t.Errorf("www-authenticate:\n got %q\nwant %q", got, tc.www)
			}
		}
		if tc.body != "" || (tc.status == 200 && tc.method == "HEAD") {
			if string(local.Data) != tc.body {
				t.Errorf("body:\n got %s\nwant %s", local.Data, tc.body)
			}
		}
		if tc.status >= 400 && tc.status != 405 && !jsonrpcReason(tc.counter) {
			var b map[string]string
			if err := json.Unmarshal(local.Data, &b); err != nil || b["error"] == "" || b["error_description"] == "" {
				t.Errorf("reply body %q is not the {error, error_description} JSON object", local.Data)
			}
			if got := header(local.Headers, "content-type"); got != "application/json" {
				t.Errorf("content-type = %q", got)
			}
		}
		for name, want := range tc.reply {
			if got, ok := lookup(local.Headers, name); !ok || got != want && want != "*" {
				t.Errorf("reply header %s = %q (present %v), want %q", name, got, ok, want)
			}
		}
		hasOrigin := false
		for _, kv := range headers {
			hasOrigin = hasOrigin || kv[0] == "origin"
		}
		if !hasOrigin {
			if _, ok := lookup(local.Headers, "access-control-expose-headers"); ok {
				t.Errorf("CORS expose header on a reply to a request without Origin")
			}
		}
	}

	up := h.h.GetCurrentRequestHeaders(id)
	if tc.status == 0 && tc.respHdr != nil {
		h.h.CallOnResponseHeaders(id, [][2]string{{":status", "200"}}, false)
		resp := h.h.GetCurrentResponseHeaders(id)
		for name, want := range tc.respHdr {
			got, ok := lookup(resp, name)
			switch {
			case want == "" && ok:
				t.Errorf("response header %s = %q, want none", name, got)
			case want == "*" && !ok, want != "" && want != "*" && got != want:
				t.Errorf("response header %s = %q (present %v), want %q", name, got, ok, want)
			}
		}
	}
	if tc.status == 0 && tc.resp != nil {
		runResponse(t, h, id, tc.resp)
	}
	if tc.status == 0 {
		for name, want := range tc.up {
			got, ok := lookup(up, name)
			if !ok || (want != "*" && got != want) {
				t.Errorf("upstream header %s = %q (present %v), want %q", name, got, ok, want)
			}
		}
	}
	for _, name := range tc.once {
		n := 0
		for _, kv := range up {
			if strings.EqualFold(kv[0], name) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("upstream header %s appears %d times, want once", name, n)
		}
	}
	for _, name := range tc.gone {
		if got, ok := lookup(up, name); ok {
			t.Errorf("upstream header %s = %q, want it removed", name, got)
		}
	}

	moved := h.counters(counterNames)
	for name, n := range before { // the prelude's
		if moved[name] -= n; moved[name] == 0 {
			delete(moved, name)
		}
	}
	delete(moved, policy.CounterCacheHit)
	delete(moved, policy.CounterCacheMiss)
	want := map[string]uint64{}
	if tc.counter != "" {
		want[tc.counter] = 1
	}
	if tc.resp != nil && tc.resp.unshaped {
		want[policy.CounterListUnshaped]++
	}
	if !equalCounters(moved, want) {
		t.Errorf("counters moved %v, want %v", moved, want)
	}

	logs := allLogs(h)
	if tc.logHas != "" && !strings.Contains(strings.Join(logs, "\n"), tc.logHas) {
		t.Errorf("no log line contains %q; logs: %q", tc.logHas, logs)
	}
	for _, line := range logs {
		for _, s := range secrets {
			if strings.Contains(line, s) || strings.Contains(line, lastPart(s)) {
				t.Errorf("a log line contains token bytes: %q", line)
			}
		}
	}
}

// dualResp is an upstream response with a body: headers, then the body in
// chunks (the last with end of stream); want is what must reach the client.
type dualResp struct {
	status, ctype, enc string // status "" is 200
	chunks             []string
	want               string // "" : the body as sent
	unshaped           bool   // list_unshaped counts it
	removedCounter     string // a counter that must equal removed
	removed            uint64
	shaped             bool // content-length must be gone
}

// runResponse sends r after an allowed request: each body call the filter
// answers with Continue forwards the host's current body; Pause buffers.
func runResponse(t *testing.T, h *host, id uint32, r *dualResp) {
	t.Helper()
	status := r.status
	if status == "" {
		status = "200"
	}
	full := strings.Join(r.chunks, "")
	hs := [][2]string{{":status", status}, {"content-length", strconv.Itoa(len(full))}}
	if r.ctype != "" {
		hs = append(hs, [2]string{"content-type", r.ctype})
	}
	if r.enc != "" {
		hs = append(hs, [2]string{"content-encoding", r.enc})
	}
	h.h.CallOnResponseHeaders(id, hs, false)
	if _, ok := lookup(h.h.GetCurrentResponseHeaders(id), "content-length"); ok == r.shaped {
		t.Errorf("content-length present %v on the response, want %v", ok, !r.shaped)
	}
	var got []byte
	for i, c := range r.chunks {
		if h.h.CallOnResponseBody(id, []byte(c), i == len(r.chunks)-1) == types.ActionContinue {
			got = append(got, h.h.GetCurrentResponseBody(id)...)
		}
	}
	want := r.want
	if want == "" {
		want = full
	}
	if string(got) != want {
		t.Errorf("response body:\n got %s\nwant %s", got, want)
	}
	if r.removedCounter != "" {
		if n, _ := h.h.GetCounterMetric(r.removedCounter); n != r.removed {
			t.Errorf("%s = %d, want %d", r.removedCounter, n, r.removed)
		}
	}
}

func lastPart(tok string) string {
	if i := strings.LastIndexByte(tok, '.'); i >= 0 && len(tok)-i > 8 {
		return tok[i+1:]
	}
	return tok
}

func allLogs(h *host) []string {
	var out []string
	out = append(out, h.h.GetTraceLogs()...)
	out = append(out, h.h.GetDebugLogs()...)
	out = append(out, h.h.GetInfoLogs()...)
	out = append(out, h.h.GetWarnLogs()...)
	out = append(out, h.h.GetErrorLogs()...)
	out = append(out, h.h.GetCriticalLogs()...)
	return out
}

func equalCounters(a, b map[string]uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func header(hs [][2]string, name string) string {
	v, _ := lookup(hs, name)
	return v
}

func lookup(hs [][2]string, name string) (string, bool) {
	for _, kv := range hs {
		if strings.EqualFold(kv[0], name) {
			return kv[1], true
		}
	}
	return "", false
}

// jsonrpcReason reports whether the denial counted by counter answers with a
// JSON-RPC error body (docs/responses.md) rather than {error, error_description}.
func jsonrpcReason(counter string) bool {
	for _, r := range []policy.Reason{policy.ReasonForbiddenOrigin, policy.ReasonInvalidMCPBody, policy.ReasonHeaderMismatch} {
		if counter == policy.DeniedCounter(r) {
			return true
		}
	}
	return false
}

// sendBody sends tc.rpc after headers the filter held: in tc.chunks body
// calls (the last with end of stream, unless trailers end the stream), each
// but the last answered with Pause (buffer), and returns the last action. It
// checks that the body reaches the upstream as it came.
func sendBody(t *testing.T, h *host, id uint32, tc *dualCase, action types.Action) types.Action {
	t.Helper()
	// Held: Envoy keeps the headers with the body (Pause); ngx_wasm_module
	// reads the body only after its headers phase continued.
	want := types.ActionPause
	if _, ngx := tc.props["ngxhost"]; ngx {
		want = types.ActionContinue
	}
	if action != want {
		t.Fatalf("headers of a request with an MCP body: action %v, want %v (hold for the body)", action, want)
	}
	n := max(tc.chunks, 1)
	body := []byte(tc.rpc)
	for i := 0; i < n; i++ {
		lo, hi := len(body)*i/n, len(body)*(i+1)/n
		last := i == n-1
		action = h.h.CallOnRequestBody(id, body[lo:hi], last && !tc.trailers)
		if tc.cutBody == i+1 {
			h.h.CompleteHttpContext(id) // the client went away while held
			if l := h.h.GetSentLocalResponse(id); l != nil {
				t.Errorf("a stream that ended while held was answered %d", l.StatusCode)
			}
			return action
		}
		if !last && h.h.GetSentLocalResponse(id) == nil && action != types.ActionPause {
			t.Fatalf("body chunk %d of %d: action %v, want pause (buffer)", i+1, n, action)
		}
		if h.h.GetSentLocalResponse(id) != nil {
			return action
		}
	}
	if tc.trailers {
		action = h.h.CallOnRequestTrailers(id, [][2]string{{"x-trailer", "1"}})
	}
	if action == types.ActionContinue {
		if got := h.h.GetCurrentRequestBody(id); string(got) != tc.rpc {
			t.Errorf("the body upstream is %q, want it as sent", got)
		}
	}
	return action
}
