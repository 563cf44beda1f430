package policy

import "github.com/audguard/audguard/filter/config"

// Counter names (docs/metrics.md). In Envoy they appear as stats under the
// "wasmcustom." prefix.
const (
	CounterAllowed      = "audguard.allowed"
	CounterMetadata     = "audguard.metadata"
	CounterPublic       = "audguard.public"
	CounterPreflight    = "audguard.preflight"
	CounterRouteChanged = "audguard.route_changed"
	CounterCacheHit     = "audguard.cache.hit"
	CounterCacheMiss    = "audguard.cache.miss"
	CounterCacheShared  = "audguard.cache.shared"
	CounterHostError    = "audguard.host_error"
	// CounterListUnshaped counts the answers to list requests passed on
	// unshaped (docs/request-flow.md#lists).
	CounterListUnshaped = "audguard.list_unshaped"
	counterDeniedPrefix = "audguard.denied."
	counterWouldPrefix  = "audguard.would_deny."
)

// DeniedCounter is the name of the denial counter for r.
func DeniedCounter(r Reason) string { return counterDeniedPrefix + r.String() }

// WouldDenyCounter is the name of the report-mode counter for r.
func WouldDenyCounter(r Reason) string { return counterWouldPrefix + r.String() }

// ListRemovedCounter is the name of r's counter of list entries removed
// (docs/request-flow.md#lists). It allocates.
func ListRemovedCounter(r *config.Resource) string {
	return counterResourcePrefix + r.Name + ".list_removed"
}

// CounterNames lists every counter the filter defines, in a stable order.
func CounterNames() []string {
	names := []string{CounterAllowed, CounterMetadata, CounterPublic, CounterPreflight,
		CounterRouteChanged, CounterCacheHit, CounterCacheMiss, CounterCacheShared, CounterHostError, CounterListUnshaped}
	for _, r := range Reasons() {
		names = append(names, DeniedCounter(r), WouldDenyCounter(r))
	}
	return names
}

// Counter returns the counter a decision moves ("" for none). Cache counters
// are separate: see Decision.Cache.
func (d *Decision) Counter() string {
	switch d.Outcome {
	case OutcomeAllowed:
		return CounterAllowed
	case OutcomeDenied:
		return counterDeniedNames[d.Reason]
	case OutcomeWouldDeny:
		return counterWouldNames[d.Reason]
	case OutcomeMetadata:
		return CounterMetadata
	case OutcomePublic:
		return CounterPublic
	case OutcomePreflight:
		return CounterPreflight
	case OutcomeHostError:
		return CounterHostError
	}
	return ""
}

// CacheCounter returns the cache counter a decision moves ("" for none).
func (d *Decision) CacheCounter() string {
	switch d.Cache {
	case CacheHit:
		return CounterCacheHit
	case CacheMiss:
		return CounterCacheMiss
	case CacheShared:
		return CounterCacheShared
	}
	return ""
}

// Precomputed so the request path does not concatenate.
var counterDeniedNames, counterWouldNames [numReasons]string

func init() {
	for r := ReasonNone + 1; r < numReasons; r++ {
		counterDeniedNames[r] = DeniedCounter(r)
		counterWouldNames[r] = WouldDenyCounter(r)
	}
}

// LogLine is the decision's log line for a denial or would-deny
// (docs/metrics.md; see Decision.Log for its level).
func (d *Decision) LogLine() string {
	if d.engine == nil {
		return ""
	}
	return d.engine.logLine(d, d.engine.tokenSeen, d.logSuppressed, d.logLevel == LogInfo)
}
