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

// CounterNames lists every counter the filter defines, in a stable order:
// a counter's index here is its CounterID.
func CounterNames() []string {
	names := make([]string, 0, numCounters)
	names = append(names, fixedCounters[:]...)
	for _, r := range Reasons() {
		names = append(names, DeniedCounter(r), WouldDenyCounter(r))
	}
	return names
}

// fixedCounters are the counters that are not per reason, in CounterNames'
// order.
var fixedCounters = [...]string{CounterAllowed, CounterMetadata, CounterPublic, CounterPreflight,
	CounterRouteChanged, CounterCacheHit, CounterCacheMiss, CounterCacheShared, CounterHostError, CounterListUnshaped}

// numCounters is len(CounterNames()).
const numCounters = len(fixedCounters) + 2*(int(numReasons)-1)

// CounterID is name's index in CounterNames, or -1 for a name that is not
// there. The glue keeps its counters in a slice by ID, so a request moves
// them without a lookup by name.
func CounterID(name string) int {
	for i, n := range fixedCounters {
		if n == name {
			return i
		}
	}
	for r := ReasonNone + 1; r < numReasons; r++ {
		switch name {
		case counterDeniedNames[r]:
			return deniedID(r)
		case counterWouldNames[r]:
			return deniedID(r) + 1
		}
	}
	return -1
}

// deniedID is the CounterID of r's denial counter; its would-deny counter
// follows it.
func deniedID(r Reason) int { return len(fixedCounters) + 2*(int(r)-1) }

// CounterID is the CounterID of the counter the decision moves (Counter),
// or -1 for none.
func (d *Decision) CounterID() int {
	switch d.Outcome {
	case OutcomeAllowed:
		return 0
	case OutcomeDenied:
		if d.Reason > ReasonNone && d.Reason < numReasons {
			return deniedID(d.Reason)
		}
	case OutcomeWouldDeny:
		if d.Reason > ReasonNone && d.Reason < numReasons {
			return deniedID(d.Reason) + 1
		}
	case OutcomeMetadata:
		return 1
	case OutcomePublic:
		return 2
	case OutcomePreflight:
		return 3
	case OutcomeHostError:
		return 8
	}
	return -1
}

// CacheCounterID is the CounterID of the cache counter the decision moves
// (CacheCounter), or -1 for none.
func (d *Decision) CacheCounterID() int {
	switch d.Cache {
	case CacheHit:
		return 5
	case CacheMiss:
		return 6
	case CacheShared:
		return 7
	}
	return -1
}

// Counter returns the name of the counter a decision moves ("" for none):
// CounterNames()[CounterID()]. Cache counters are separate: see
// Decision.Cache.
func (d *Decision) Counter() string { return counterName(d.CounterID()) }

// CacheCounter returns the name of the cache counter a decision moves (""
// for none).
func (d *Decision) CacheCounter() string { return counterName(d.CacheCounterID()) }

// counterName is the name of the counter with this ID, "" for -1.
func counterName(id int) string {
	if id < 0 {
		return ""
	}
	if id < len(fixedCounters) {
		return fixedCounters[id]
	}
	r := Reason((id-len(fixedCounters))/2 + 1)
	if (id-len(fixedCounters))%2 == 0 {
		return counterDeniedNames[r]
	}
	return counterWouldNames[r]
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
