package policy

import (
	"encoding/hex"
	"strconv"
	"time"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/filter/mcp"
)

// Per-resource counters (docs/metrics.md): the allowed, denied and would-deny
// counters again, per resources[].name, named so that Envoy's
// stats_config.stats_tags turn them into "resource" and "reason" labels:
//
//	audguard.resource.<name>.allowed
//	audguard.resource.<name>.denied.<reason>
//	audguard.resource.<name>.would_deny.<reason>
//
// They are defined on first use (the glue keys them by ResourceCounterKey),
// so 10,000 quiet resources cost nothing.
const counterResourcePrefix = "audguard.resource."

// StatsTags are the Envoy stats_config.stats_tags (tag_name, regex) that
// label audguard's counters; the README prints them and a test runs them
// against the real counter names. In each regex the first capture group is
// removed from the stat name and the second is the tag's value (Envoy's
// TagSpecifier rule).
var StatsTags = [][2]string{
	{"resource", `^wasmcustom\.audguard\.resource\.(([a-z0-9_-]+)\.)`},
	{"reason", `^wasmcustom\.audguard\.(?:resource\.[a-z0-9_-]+\.)?(?:denied|would_deny)(\.([a-z_]+))$`},
}

// ResourceCounterKey identifies the per-resource counter a decision moves;
// ok is false when it moves none (no resource, or not an allow or deny).
func (d *Decision) ResourceCounterKey() (key uint64, ok bool) {
	if d.Resource == nil {
		return 0, false
	}
	switch d.Outcome {
	case OutcomeAllowed, OutcomeDenied, OutcomeWouldDeny:
		return uint64(d.Resource.Index)<<16 | uint64(d.Outcome)<<8 | uint64(d.Reason), true
	}
	return 0, false
}

// ResourceCounterName is the name of the counter ResourceCounterKey
// identifies. It allocates: call it once per key.
func (d *Decision) ResourceCounterName() string {
	p := counterResourcePrefix + d.Resource.Name + "."
	switch d.Outcome {
	case OutcomeAllowed:
		return p + "allowed"
	case OutcomeDenied:
		return p + "denied." + d.Reason.String()
	}
	return p + "would_deny." + d.Reason.String()
}

// Access-log properties (docs/metrics.md): every decided request publishes its
// outcome, reason and resource name with proxy_set_property. Envoy stores
// each as filter state "wasm.<name>", printed by %FILTER_STATE(wasm.<name>:PLAIN)%.
const (
	PropertyOutcome  = "audguard_outcome"
	PropertyReason   = "audguard_reason"
	PropertyResource = "audguard_resource"
)

// Properties returns the access-log properties of a decision, in a fixed
// order; a value is "-" when it does not apply.
func (d *Decision) Properties() [3][2]string {
	outcome := d.Outcome.String()
	if d.Outcome == OutcomeMetadataPassed {
		outcome = "metadata"
	}
	reason, resource := "-", "-"
	if d.Reason != ReasonNone {
		reason = d.Reason.String()
	}
	if d.Resource != nil {
		resource = d.Resource.Name
	}
	return [3][2]string{{PropertyOutcome, outcome}, {PropertyReason, reason}, {PropertyResource, resource}}
}

// logEvery is how often a (resource, reason) pair may log at info (docs/metrics.md).
const logEvery = 10 * time.Second

// logLimiter lets one info line through per (resource, reason) per logEvery
// and counts the ones it holds back. The other denials log at debug.
type logLimiter struct {
	last       map[uint32]logState
	suppressed int
}

type logState struct {
	at         time.Time
	suppressed int
}

// due reports whether the denial of resource r for reason may log at info
// now, and how many were held back since the last info line for the pair.
func (l *logLimiter) due(r *config.Resource, reason Reason, now time.Time) (bool, int) {
	if l.last == nil {
		l.last = make(map[uint32]logState)
	}
	idx := uint32(0xffffff)
	if r != nil {
		idx = uint32(r.Index)
	}
	key := idx<<8 | uint32(reason)
	st, seen := l.last[key]
	if seen && now.Sub(st.at) < logEvery {
		st.suppressed++
		l.last[key] = st
		return false, 0
	}
	l.last[key] = logState{at: now}
	return true, st.suppressed
}

// logLine is the line for a denial or would-deny (docs/metrics.md): reason,
// resource name, request id and the token's fingerprint (the first 12 hex
// digits of its SHA-256), never token bytes, claim values or key ids; at
// info, the number of lines held back since the last one for the pair.
func (e *Engine) logLine(d *Decision, fingerprint bool, suppressed int, info bool) string {
	verb := "deny"
	if d.Outcome == OutcomeWouldDeny {
		verb = "would deny"
	}
	res := "-"
	if d.Resource != nil {
		res = d.Resource.Name
	}
	fp := "-"
	if fingerprint {
		fp = hex.EncodeToString(e.digest()[:6])
	}
	line := "audguard: " + verb + " reason=" + d.Reason.String() + " resource=" + res
	if h := &e.mcpHeaders; h.Era == mcp.EraCurrent && logSafe(h.Method) {
		line += " mcp_method=" + h.Method
		if logSafe(h.Name) {
			line += " mcp_name=" + h.Name
		}
	}
	line += " request_id=" + d.RequestID + " token=" + fp
	if info && suppressed > 0 {
		line += " (" + strconv.Itoa(suppressed) + " more like it not logged in the last " + logEvery.String() + ")"
	}
	return line
}

// MetricName turns a configured name (an issuer's) into a metric name
// segment: ASCII lower case, every byte other than a-z, 0-9, "_" and "-" as
// "_", at most 48 bytes.
func MetricName(s string) string {
	b := []byte(s)
	if len(b) > 48 {
		b = b[:48]
	}
	for i, c := range b {
		switch {
		case 'A' <= c && c <= 'Z':
			b[i] = c + 'a' - 'A'
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "_"
	}
	return string(b)
}
