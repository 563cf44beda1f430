package main

import (
	"strconv"
	"strings"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/filter/listshape"
	"github.com/audguard/audguard/filter/policy"
)

// List shaping (docs/request-flow.md#lists): the answer to a list request
// the decision planned (policy.ListPlan) keeps only the entries the token
// may use. Only such a response costs anything: every other one finds
// h.list nil.

// listMode is how a planned response's body is shaped.
type listMode uint8

const (
	listNone listMode = iota // no plan, or passed unshaped
	listJSON                 // application/json: buffered to the end, shaped once
	listSSE                  // text/event-stream: shaped chunk by chunk
)

// listState is a planned response's: its plan, how it is shaped, and for a
// stream its shaper (from the plugin's pool).
type listState struct {
	plan    *policy.ListPlan
	mode    listMode
	report  bool
	stream  *listshape.StreamShaper
	refused []string // report mode: the names keep refused
}

// keep is handed to listshape: the plan's answer, except in report mode,
// where every entry is kept and the refused names are remembered for the
// log line.
func (s *listState) keep(target string) bool {
	if s.plan.Keep(target) {
		return true
	}
	if !s.report {
		return false
	}
	if len(s.refused) < 32 {
		s.refused = append(s.refused, target)
	}
	return true
}

// planList keeps the decision's list plan for the response.
func (h *httpContext) planList(d *policy.Decision) {
	if d.List == nil || d.Local() {
		return
	}
	h.list = &listState{plan: d.List, report: h.plugin.engine.Config().Mode == config.ModeReport}
}

// listHeaders decides, on the response headers, whether the planned body is
// shaped: a 200 of application/json or text/event-stream without a
// content-encoding other than identity. Else it is counted and passed.
func (h *httpContext) listHeaders() {
	s := h.list
	status, _ := proxywasm.GetHttpResponseHeader(":status")
	ctype, _ := proxywasm.GetHttpResponseHeader("content-type")
	enc, _ := proxywasm.GetHttpResponseHeader("content-encoding")
	media := strings.ToLower(strings.TrimSpace(strings.SplitN(ctype, ";", 2)[0]))
	enc = strings.TrimSpace(enc)
	switch {
	case status != "200" || enc != "" && !strings.EqualFold(enc, "identity"):
	case media == "application/json":
		s.mode = listJSON
	case media == "text/event-stream":
		s.mode = listSSE
		s.stream = h.plugin.streamShaper()
		s.stream.Reset(s.plan.Kind, s.plan.ID, s.keep, int(s.plan.Resource.MaxBodyBytes))
	}
	if s.mode == listNone {
		h.unshaped("status " + status + ", content-type " + strconv.Quote(cutText(ctype)) + ", content-encoding " + strconv.Quote(cutText(enc)))
		return
	}
	if !s.report {
		// The shaped body is shorter: its length is the host's to count.
		if err := proxywasm.RemoveHttpResponseHeader("content-length"); err != nil {
			proxywasm.LogWarnf("audguard: removing content-length failed: %v; the list is passed unshaped", err)
			h.unshaped("")
		}
	}
}

// unshaped passes the rest of a planned response unshaped, counted.
func (h *httpContext) unshaped(why string) {
	s := h.list
	h.plugin.count(policy.CounterID(policy.CounterListUnshaped))
	if why != "" {
		proxywasm.LogDebugf("audguard: %s answer of resource %s passed unshaped: %s", s.plan.Kind, s.plan.Resource.Name, why)
	}
	h.endList()
}

func (h *httpContext) endList() {
	if s := h.list; s != nil && s.stream != nil {
		h.plugin.streams = append(h.plugin.streams, s.stream)
	}
	h.list = nil
}

// OnHttpResponseBody shapes the body of a planned list response; any other
// response passes at once.
func (h *httpContext) OnHttpResponseBody(size int, endOfStream bool) types.Action {
	s := h.list
	if s == nil {
		return types.ActionContinue
	}
	switch s.mode {
	case listJSON:
		return h.listJSONBody(size, endOfStream)
	case listSSE:
		return h.listSSEBody(size, endOfStream)
	}
	return types.ActionContinue
}

// listJSONBody buffers the body to its end (at most max_body_bytes), then
// shapes it once.
func (h *httpContext) listJSONBody(size int, eos bool) types.Action {
	s := h.list
	if int64(size) > int64(s.plan.Resource.MaxBodyBytes) {
		h.unshaped("larger than max_body_bytes")
		return types.ActionContinue
	}
	if !eos {
		return types.ActionPause
	}
	body, err := proxywasm.GetHttpResponseBody(0, size)
	if err != nil {
		h.unshaped("reading the body failed: " + err.Error())
		return types.ActionContinue
	}
	p := h.plugin
	out, removed, err := p.shaper.Shape(body, s.plan.Kind, s.plan.ID, s.keep, p.shapeBuf[:0])
	if err != nil {
		h.unshaped(err.Error())
		return types.ActionContinue
	}
	if removed > 0 {
		p.shapeBuf = out[:0] // out is the buffer only when entries were removed
	}
	if removed > 0 && !s.report {
		if err := proxywasm.ReplaceHttpResponseBody(out); err != nil {
			h.unshaped("replacing the body failed: " + err.Error())
			return types.ActionContinue
		}
	}
	h.listDone(removed)
	return types.ActionContinue
}

// listSSEBody feeds each chunk to the stream shaper and replaces it with
// what the shaper lets go; once the response's event is out, chunks pass.
func (h *httpContext) listSSEBody(size int, eos bool) types.Action {
	s := h.list
	var chunk []byte
	if size > 0 {
		b, err := proxywasm.GetHttpResponseBody(0, size)
		if err != nil {
			// The host cannot read its own buffer: pass the rest as it
			// comes (bytes of an event the shaper held are not recovered).
			h.unshaped("reading a chunk failed: " + err.Error())
			return types.ActionContinue
		}
		chunk = b
	}
	out, done := s.stream.Feed(chunk)
	if eos && !done {
		out = append(out, s.stream.Flush()...)
	}
	if !s.report && (len(out) != len(chunk) || string(out) != string(chunk)) {
		if err := proxywasm.ReplaceHttpResponseBody(out); err != nil {
			h.unshaped("replacing a chunk failed: " + err.Error())
			return types.ActionContinue
		}
	}
	if done || eos {
		removed, err := s.stream.Result()
		if err != nil {
			h.unshaped(err.Error())
			return types.ActionContinue
		}
		h.listDone(removed)
	}
	return types.ActionContinue
}

// listDone counts and logs a shaped list.
func (h *httpContext) listDone(removed int) {
	s := h.list
	p := h.plugin
	if s.report {
		if len(s.refused) > 0 {
			quoted := make([]string, len(s.refused))
			for i, n := range s.refused {
				quoted[i] = strconv.Quote(cutText(n))
			}
			proxywasm.LogInfof("audguard: report mode: the %s answer of resource %s would not show %s", s.plan.Kind, s.plan.Resource.Name, strings.Join(quoted, ", "))
		}
	} else if removed > 0 {
		p.countListRemoved(s.plan.Resource, removed)
	}
	h.endList()
}

// countListRemoved adds n to the resource's list_removed counter, defined on
// first use.
func (p *pluginContext) countListRemoved(r *config.Resource, n int) {
	key := uint64(r.Index)<<16 | 0xffff
	c, ok := p.resourceCounters[key]
	if !ok {
		name := policy.ListRemovedCounter(r)
		c = resourceCounter{proxywasm.DefineCounterMetric(name), name}
		p.resourceCounters[key] = c
	}
	c.Increment(uint64(n))
}

// streamShaper is a StreamShaper from the pool (one per concurrent stream).
func (p *pluginContext) streamShaper() *listshape.StreamShaper {
	if n := len(p.streams); n > 0 {
		s := p.streams[n-1]
		p.streams = p.streams[:n-1]
		return s
	}
	return new(listshape.StreamShaper)
}

func cutText(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
