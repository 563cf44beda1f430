package main

import (
	"strings"

	"github.com/audguard/audguard/filter/policy"
)

// List shaping (docs/request-flow.md#lists): the answer to a list request
// judged by its body keeps only the entries the token may use. bodyConfig's
// resource ops: tools/call needs mcp:write (delete_forecast mcp:admin),
// resources/read mcp:read, prompts/get "secret" mcp:admin, everything
// mcp:tools; mcp:admin implies mcp:write, which implies mcp:read.

func listCases() []dualCase {
	tok := func(scope string) func(*tctx) string {
		return func(c *tctx) string { return c.rs(resOps, map[string]any{"scope": scope}) }
	}
	const removedCounter = "audguard.resource.ops.list_removed"
	ok := func(result string) string { return `{"jsonrpc":"2.0","id":1,"result":` + result + `}` }
	tools := ok(`{"tools":[{"name":"get_forecast","inputSchema":{"type":"object"}},{"name":"delete_forecast"},{"name":"other"}],"nextCursor":"c2"}`)
	toolsWrite := ok(`{"tools":[{"name":"get_forecast","inputSchema":{"type":"object"}},{"name":"other"}],"nextCursor":"c2"}`)
	l := func(name, method, scopes string, resp dualResp) dualCase {
		r := resp
		if r.ctype == "" {
			r.ctype = "application/json"
		}
		if r.removedCounter == "" && !r.unshaped {
			r.removedCounter = removedCounter
		}
		return dualCase{name: "list/" + name, cfg: "body", authority: "ops.example.com", method: "POST",
			rpc: call("1", method, `{"cursor":"c1"}`), token: tok(scopes), counter: policy.CounterAllowed, resp: &r}
	}
	sse := func(data string) string { return "event: message\ndata: " + data + "\n\n" }
	note := sse(`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1,"tools":[{"name":"x"}]}}`)
	tpl := ok(`{"resourceTemplates":[{"uriTemplate":"file:///{path}","name":"files"}]}`)
	res := ok(`{"resources":[{"uri":"file:///a","name":"a"}, {"uri":"file:///b","name":"b"}]}`)
	with := func(c dualCase, f func(*dualCase)) dualCase { f(&c); return c }
	return []dualCase{
		// Each kind; entries with and without rules; nextCursor kept.
		l("tools: mcp:write hides delete_forecast", "tools/list", "mcp:tools mcp:write",
			dualResp{chunks: []string{tools}, want: toolsWrite, shaped: true, removed: 1}),
		l("tools: mcp:tools alone sees none", "tools/list", "mcp:tools",
			dualResp{chunks: []string{tools}, want: ok(`{"tools":[],"nextCursor":"c2"}`), shaped: true, removed: 3}),
		l("tools: mcp:admin implies mcp:write: all", "tools/list", "mcp:tools mcp:admin",
			dualResp{chunks: []string{tools}, shaped: true}),
		l("prompts: secret needs mcp:admin, the others nothing more", "prompts/list", "mcp:tools",
			dualResp{chunks: []string{ok(`{"prompts":[{"name":"secret"},{"name":"hello","arguments":[]}]}`)},
				want: ok(`{"prompts":[{"name":"hello","arguments":[]}]}`), shaped: true, removed: 1}),
		l("resources: mcp:read needed", "resources/list", "mcp:tools",
			dualResp{chunks: []string{res}, want: ok(`{"resources":[ ]}`), shaped: true, removed: 2}),
		l("resources: mcp:write implies mcp:read", "resources/list", "mcp:tools mcp:write",
			dualResp{chunks: []string{res}, shaped: true}),
		l("templates: judged as resources/read", "resources/templates/list", "mcp:tools",
			dualResp{chunks: []string{tpl}, want: ok(`{"resourceTemplates":[]}`), shaped: true, removed: 1}),
		l("unknown members and odd numbers kept", "tools/list", "mcp:tools mcp:write",
			dualResp{chunks: []string{ok(`{"x":1e2,"tools":[{"name":"get_forecast","n":-0,"f":1.0},{"name":"delete_forecast"}],"_meta":{"y":[]}}`)},
				want: ok(`{"x":1e2,"tools":[{"name":"get_forecast","n":-0,"f":1.0}],"_meta":{"y":[]}}`), shaped: true, removed: 1}),
		l("JSON in several chunks", "tools/list", "mcp:tools mcp:write",
			dualResp{chunks: []string{tools[:20], tools[20:90], tools[90:]}, want: toolsWrite, shaped: true, removed: 1}),

		// Server-sent events.
		l("SSE: one event", "tools/list", "mcp:tools mcp:write",
			dualResp{ctype: "text/event-stream", chunks: []string{sse(tools)}, want: sse(toolsWrite), shaped: true, removed: 1}),
		l("SSE: a notification first, several events", "tools/list", "mcp:tools mcp:write",
			dualResp{ctype: "text/event-stream; charset=utf-8", chunks: []string{note, sse(tools) + note},
				want: note + sse(toolsWrite) + note, shaped: true, removed: 1}),
		l("SSE: the event split across chunks", "tools/list", "mcp:tools mcp:write",
			dualResp{ctype: "text/event-stream", chunks: func() []string {
				s := note + sse(tools)
				return []string{s[:len(note)+10], s[len(note)+10 : len(note)+70], s[len(note)+70:]}
			}(), want: note + sse(toolsWrite), shaped: true, removed: 1}),

		// Passed unshaped, counted.
		l("compressed", "tools/list", "mcp:tools mcp:write",
			dualResp{enc: "gzip", chunks: []string{tools}, unshaped: true}),
		l("not 200", "tools/list", "mcp:tools mcp:write",
			dualResp{status: "202", chunks: []string{tools}, unshaped: true}),
		l("another content-type", "tools/list", "mcp:tools mcp:write",
			dualResp{ctype: "text/plain", chunks: []string{tools}, unshaped: true}),
		l("unparseable", "tools/list", "mcp:tools mcp:write",
			dualResp{chunks: []string{tools[:len(tools)-1]}, unshaped: true, shaped: true}),
		l("another id", "tools/list", "mcp:tools mcp:write",
			dualResp{chunks: []string{strings.Replace(tools, `"id":1`, `"id":2`, 1)}, unshaped: true, shaped: true}),
		l("an error response", "tools/list", "mcp:tools mcp:write",
			dualResp{chunks: []string{`{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"no"}}`}, unshaped: true, shaped: true}),
		l("oversize", "tools/list", "mcp:tools mcp:write",
			dualResp{chunks: []string{tools[:40] + strings.Repeat(" ", 5000), strings.Repeat(" ", 5000) + tools[40:]}, unshaped: true, shaped: true}),

		// Not a list, or not shaped.
		with(l("tools/call answers are not touched", "tools/call", "mcp:tools mcp:write",
			dualResp{chunks: []string{tools}}), func(c *dualCase) { c.rpc = call("1", "tools/call", tool("get_forecast")) }),
		with(l("report mode: logged, nothing removed", "tools/list", "mcp:tools",
			dualResp{chunks: []string{tools}}), func(c *dualCase) {
			c.cfg, c.logHas = "bodyreport", `would not show "get_forecast", "delete_forecast", "other"`
		}),
		with(l("report mode SSE: logged, nothing removed", "tools/list", "mcp:tools mcp:write",
			dualResp{ctype: "text/event-stream", chunks: []string{note, sse(tools)}}), func(c *dualCase) {
			c.cfg, c.logHas = "bodyreport", `would not show "delete_forecast"`
		}),
	}
}
