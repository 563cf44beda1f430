package policy

import (
	"bytes"
	"strings"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/filter/jsonrpc"
	"github.com/audguard/audguard/filter/listshape"
	"github.com/audguard/audguard/filter/mcp"
	"github.com/audguard/audguard/jwtlite"
)

// ListPlan is what the glue needs to shape the answer to a list request
// (docs/request-flow.md#lists; filter/listshape): the kind of list, the
// request's id as JSON text, the resource, and the token's granted scopes,
// copied (the claims do not outlive the decision). Each plan is the glue's
// to keep; it is not safe for concurrent use.
type ListPlan struct {
	Kind     listshape.Kind
	ID       string
	Resource *config.Resource
	Scopes   [][]byte

	checker mcp.Checker
	missing []string
}

// Keep reports whether the token covers the operation an entry naming
// target offers: Rules.For(Kind.Method(), target) after scope_implies.
// Pass it to listshape as keep.
func (p *ListPlan) Keep(target string) bool {
	need := p.Resource.Rules.For(p.Kind.Method(), target)
	var ok bool
	p.missing, ok = p.checker.Check(need, p.granted, p.missing[:0])
	return ok
}

func (p *ListPlan) granted(yield func([]byte) bool) {
	for _, s := range p.Scopes {
		if !yield(s) {
			return
		}
	}
}

// listKind records, from a judged body, the kind of list one request
// message asks for (0: none).
func listKind(body *jsonrpc.Body) listshape.Kind {
	if body.Batch || len(body.Messages) != 1 || body.Messages[0].Kind != jsonrpc.Request {
		return 0
	}
	k, _ := listshape.KindOf(body.Messages[0].Method)
	return k
}

// planList gives d a ListPlan when the body judged was one list request
// of a resource with shape_lists and the request is allowed (or, in report
// mode, whatever the verdict, so that what would have been removed is
// logged).
func (e *Engine) planList(r *config.Resource, claims *jwtlite.Claims, reason Reason, report bool, d *Decision) {
	if e.listKind == 0 || !r.ShapeLists || reason != ReasonNone && !report {
		return
	}
	p := &ListPlan{Kind: e.listKind, ID: strings.Clone(e.bodyID), Resource: r}
	if claims != nil {
		for s := range claims.EachScope {
			p.Scopes = append(p.Scopes, bytes.Clone(s))
		}
	}
	d.List = p
	if e.tracing() {
		e.trace("lists", true, "a "+e.listKind.String()+" request: its answer keeps the entries the token may use")
	}
}
