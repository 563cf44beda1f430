package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/audguard/audguard/filter/listshape"
	"github.com/audguard/audguard/filter/policy"
)

// The upstream's answer to an explained list request
// (docs/request-flow.md#lists): with --response FILE|-, once the request is
// decided, explain shapes FILE as the filter's glue shapes the body of an
// allowed list request's answer (filter/listshape: Shaper for
// application/json, StreamShaper for text/event-stream) and shows which
// entries the token would see and which it would not.

// responseSource is --response: where the answer comes from and its type.
type responseSource struct {
	name  string // the file as given, or "stdin"
	data  []byte
	media string // "json", "sse", or "" to detect
}

// maxResponse bounds what explain reads of --response.
const maxResponse = 64 << 20

// readResponse reads --response: a file, or stdin for "-".
func readResponse(path, media string, stdin io.Reader) (*responseSource, error) {
	src := &responseSource{name: path, media: media}
	var r io.Reader = stdin
	if path == "-" {
		src.name = "stdin"
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxResponse+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxResponse {
		return nil, fmt.Errorf("longer than %d bytes", maxResponse)
	}
	src.data = data
	return src, nil
}

// looksSSE reports whether data reads as an event stream: a line starting
// with "event:" or "data:".
func looksSSE(data []byte) bool {
	for _, line := range strings.FieldsFunc(string(data), func(r rune) bool { return r == '\n' || r == '\r' }) {
		line = strings.TrimPrefix(line, "\uFEFF")
		if strings.HasPrefix(line, "data:") || strings.HasPrefix(line, "event:") {
			return true
		}
	}
	return false
}

// explainResponseReport is the "response" member of --json.
type explainResponseReport struct {
	File        string   `json:"file"`
	Bytes       int      `json:"bytes"`
	ContentType string   `json:"content_type,omitempty"` // application/json or text/event-stream; absent without a plan
	List        string   `json:"list,omitempty"`         // tools/list, …
	Shaped      bool     `json:"shaped"`                 // the filter would shape the answer
	Sees        []string `json:"sees"`                   // the targets (names or URIs) the token sees
	Hidden      []string `json:"hidden"`                 // the targets it would not see
	Unjudged    int      `json:"unjudged,omitempty"`     // entries removed because their target cannot be judged
	Removed     int      `json:"removed"`                // entries the filter removes (0 in report mode)
	Detail      string   `json:"detail,omitempty"`       // why nothing is shaped
}

// explainResponse shapes --response with the decision's list plan, or
// says why the filter would not shape it.
func explainResponse(x *explainOut, d *policy.Decision, req *policy.Request, src *responseSource, reportMode bool) {
	w := x.w
	rep := &explainResponseReport{File: src.name, Bytes: len(src.data), Sees: []string{}, Hidden: []string{}}
	x.rep.Response = rep
	if d == nil || d.List == nil {
		why := noListPlan(d, req)
		rep.Detail = why
		fmt.Fprintf(w, "response %s, %d bytes: not shaped: %s\n", src.name, len(src.data), why)
		return
	}
	plan := d.List
	media, how := src.media, "--response-type"
	if media == "" {
		media, how = "json", "detected: no event: or data: line"
		if looksSSE(src.data) {
			media, how = "sse", "detected: event: or data: lines"
		}
	}
	ctype := "application/json"
	if media == "sse" {
		ctype = "text/event-stream"
	}
	rep.ContentType, rep.List = ctype, plan.Kind.String()
	fmt.Fprintf(w, "response %s, %d bytes, as %s (%s), the answer to %s id %s of resource %s\n",
		src.name, len(src.data), ctype, how, plan.Kind, plan.ID, plan.Resource.URI)
	var seen []string
	var kept []bool
	keep := func(target string) bool {
		ok := plan.Keep(target)
		seen, kept = append(seen, strings.Clone(target)), append(kept, ok)
		return ok
	}
	limit := int(plan.Resource.MaxBodyBytes)
	var removed int
	var err error
	switch {
	case media == "json" && len(src.data) > limit:
		err = fmt.Errorf("larger than max_body_bytes (%d bytes)", limit)
	case media == "json":
		var sh listshape.Shaper
		_, removed, err = sh.Shape(src.data, plan.Kind, plan.ID, keep, nil)
	default:
		var st listshape.StreamShaper
		st.Reset(plan.Kind, plan.ID, keep, limit)
		if _, done := st.Feed(src.data); !done {
			st.Flush()
		}
		removed, err = st.Result()
	}
	if err != nil {
		why := strings.TrimPrefix(err.Error(), "listshape: ")
		rep.Detail = why
		fmt.Fprintf(w, "  list   passed unshaped (counter %s): %s\n", policy.CounterListUnshaped, why)
		return
	}
	rep.Shaped = true
	for i, t := range seen {
		if kept[i] {
			rep.Sees = append(rep.Sees, t)
		} else {
			rep.Hidden = append(rep.Hidden, t)
		}
	}
	rep.Unjudged = removed - len(rep.Hidden)
	if rep.Unjudged < 0 {
		rep.Unjudged = 0
	}
	report := reportMode || d.Outcome == policy.OutcomeWouldDeny
	total := len(seen) + rep.Unjudged
	noun := plan.Kind.Member()
	fmt.Fprintf(w, "  list   %d %s (by %q, judged as %s): the token sees %d, %d hidden", total, noun, plan.Kind.Key(), plan.Kind.Method(), len(rep.Sees), len(rep.Hidden)+rep.Unjudged)
	if rep.Unjudged > 0 {
		fmt.Fprintf(w, " (%d whose %s cannot be judged)", rep.Unjudged, plan.Kind.Key())
	}
	fmt.Fprintln(w)
	for _, t := range rep.Sees {
		fmt.Fprintf(w, "  sees   %s\n", quoteShort(t))
	}
	for _, t := range rep.Hidden {
		fmt.Fprintf(w, "  hidden %s\n", quoteShort(t))
	}
	if report {
		fmt.Fprintln(w, "  note   report mode: the filter removes nothing and logs the names it would hide")
		return
	}
	rep.Removed = removed
	switch removed {
	case 0:
		fmt.Fprintln(w, "  list   the filter removes nothing: the answer passes whole")
	case 1:
		fmt.Fprintf(w, "  list   the filter removes 1 entry (counter %s)\n", policy.ListRemovedCounter(plan.Resource))
	default:
		fmt.Fprintf(w, "  list   the filter removes %d entries (counter %s)\n", removed, policy.ListRemovedCounter(plan.Resource))
	}
}

// noListPlan says why the decision carries no list plan.
func noListPlan(d *policy.Decision, req *policy.Request) string {
	switch {
	case d == nil:
		return "the filter does not decide this request"
	case d.Outcome == policy.OutcomeHold:
		return "the request is held for its body (give it with --body): the filter shapes only the answer to a list request it judged by its body"
	case d.Outcome != policy.OutcomeAllowed && d.Outcome != policy.OutcomeWouldDeny:
		return fmt.Sprintf("the request is not allowed (%s): the filter shapes only the answer to an allowed list request", d.Outcome)
	case d.Outcome == policy.OutcomeWouldDeny:
		return "the request is not allowed: the filter shapes only the answer to an allowed list request"
	case d.Resource == nil:
		return "no resource: the filter shapes only the answer to a list request of a resource"
	case !req.HasBody:
		return "the filter did not judge the request by its body (a list request is known only from its body: a POST to the MCP endpoint of a resource with mcp_body verify, with --body)"
	}
	method, one := bodyMethod(req.Body)
	if kind, ok := listshape.KindOf(method); one && ok {
		if !d.Resource.ShapeLists {
			return fmt.Sprintf("shape_lists is off for resource %s: the %s answer passes whole", d.Resource.URI, kind)
		}
		return "the decision carries no list plan"
	}
	if !one {
		return "not a list request: the body is not one request message (the filter shapes the answer to one tools/list, prompts/list, resources/list or resources/templates/list request)"
	}
	return fmt.Sprintf("not a list request: the body's method is %s, not tools/list, prompts/list, resources/list or resources/templates/list", strconv.Quote(method))
}

// bodyMethod is the method of a body holding one JSON-RPC request (one:
// the body is one object with a method and an id).
func bodyMethod(body []byte) (method string, one bool) {
	var m struct {
		Method *string          `json:"method"`
		ID     *json.RawMessage `json:"id"`
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' || json.Unmarshal(body, &m) != nil || m.Method == nil || m.ID == nil {
		return "", false
	}
	return *m.Method, true
}
