package policy

import "github.com/audguard/audguard/filter/config"

// Outcome is what happened to a request.
type Outcome uint8

const (
	// OutcomeAllowed: the token was verified for the resource; continue upstream.
	OutcomeAllowed Outcome = iota + 1
	// OutcomeDenied: a local 4xx reply (enforce mode).
	OutcomeDenied
	// OutcomeWouldDeny: report mode; the request would have been denied and is
	// passed on unchanged (contract §5.8).
	OutcomeWouldDeny
	// OutcomeMetadata: the RFC 9728 metadata endpoint answered locally (§5.1).
	OutcomeMetadata
	// OutcomeMetadataPassed: report mode; a metadata request passed on (§5.8).
	OutcomeMetadataPassed
	// OutcomePreflight: a CORS preflight passed on without a token (§5.2).
	OutcomePreflight
	// OutcomePublic: a public path passed on without a token (§5.3).
	OutcomePublic
)

var outcomeNames = [...]string{
	OutcomeAllowed:        "allowed",
	OutcomeDenied:         "denied",
	OutcomeWouldDeny:      "would_deny",
	OutcomeMetadata:       "metadata",
	OutcomeMetadataPassed: "metadata_passed",
	OutcomePreflight:      "preflight",
	OutcomePublic:         "public",
}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) && outcomeNames[o] != "" {
		return outcomeNames[o]
	}
	return "unknown"
}

// CacheUse says whether verification used the verified-token cache.
type CacheUse uint8

const (
	CacheNotUsed CacheUse = iota // no token was verified
	CacheHit                     // served from the cache, no signature check
	CacheMiss                    // verified cold
	CacheShared                  // served from the VMs' shared data, no signature check
)

// Decision is the result of Engine.Decide. It is owned by the Engine and
// valid until the next call.
type Decision struct {
	Outcome  Outcome
	Reason   Reason           // the denial reason (also in report mode)
	Resource *config.Resource // nil when no resource matched
	Cache    CacheUse

	// Local reply (Outcome Denied or Metadata): Status != 0.
	Status       uint32
	ReplyHeaders [][2]string
	ReplyBody    []byte

	// Request headers to remove, then to set, before continuing upstream.
	Remove []string
	Set    [][2]string

	// RequestID is the request's x-request-id, sanitised for logs.
	RequestID string
}

// Local reports whether the filter answers the request itself.
func (d *Decision) Local() bool { return d.Status != 0 }

func (d *Decision) reset() {
	*d = Decision{
		ReplyHeaders: d.ReplyHeaders[:0],
		Remove:       d.Remove[:0],
		Set:          d.Set[:0],
	}
}
