package policy

import (
	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/filter/keys"
)

// Outcome is what happened to a request.
type Outcome uint8

const (
	// OutcomeAllowed: the token was verified for the resource; continue upstream.
	OutcomeAllowed Outcome = iota + 1
	// OutcomeDenied: a local 4xx reply (enforce mode).
	OutcomeDenied
	// OutcomeWouldDeny: report mode; the request would have been denied and is
	// passed on unchanged (docs/request-flow.md#report-mode).
	OutcomeWouldDeny
	// OutcomeMetadata: the RFC 9728 metadata endpoint answered locally (§5.1).
	OutcomeMetadata
	// OutcomeMetadataPassed: report mode; a metadata request passed on (§5.8).
	OutcomeMetadataPassed
	// OutcomePreflight: a CORS preflight passed on without a token (§5.2).
	OutcomePreflight
	// OutcomePublic: a public path passed on without a token (§5.3).
	OutcomePublic
	// OutcomeHostError: a host call failed (docs/request-flow.md#host-failures): 500, or in report
	// mode passed on once the client-sent claim headers are removed.
	OutcomeHostError
	// OutcomeWait: the request waits for a key fetch (docs/configuration.md#remote-key-sets-jwks_uri): pause
	// it, apply nothing; the key state wakes it (keys.ActWake), and it is
	// decided again with MayWait false.
	OutcomeWait
	// OutcomeHold: the request must be judged by its JSON-RPC body
	// (docs/request-flow.md#9-mcp-operation): hold it, apply nothing, and
	// decide it again once the body is whole (Request.HasBody) or too large
	// (Request.BodyTooLarge); MaxBody is the resource's max_body_bytes.
	OutcomeHold
)

var outcomeNames = [...]string{
	OutcomeAllowed:        "allowed",
	OutcomeDenied:         "denied",
	OutcomeWouldDeny:      "would_deny",
	OutcomeMetadata:       "metadata",
	OutcomeMetadataPassed: "metadata_passed",
	OutcomePreflight:      "preflight",
	OutcomePublic:         "public",
	OutcomeHostError:      "host_error",
	OutcomeWait:           "waiting",
	OutcomeHold:           "holding",
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

	// MaxBody is the resource's max_body_bytes when Outcome is OutcomeHold.
	MaxBody int64

	// Request headers to remove, then to set, before continuing upstream.
	Remove []string
	Set    [][2]string

	// Response lists headers to set on the upstream's response to an
	// allowed request (a fresh DPoP-Nonce, RFC 9449 §8.2); the glue sets
	// them when the response headers come.
	Response [][2]string

	// List, when not nil, is how to shape the answer to a list request
	// (docs/request-flow.md#lists): the glue keeps it for the response.
	List *ListPlan

	// RequestID is the request's x-request-id, sanitised for logs.
	RequestID string

	// Actions are what the key state asks of the glue (a fetch to
	// dispatch, waiting requests to wake, a warning): carry them out after
	// the decision, whatever its outcome.
	Actions []keys.Action

	// hostCall names the failed host call of an OutcomeHostError.
	hostCall string
	// The denial's log line (Engine.deny), built by LogLine from the
	// engine's per-request state, which is valid until the next Decide.
	logLevel      LogLevel
	logSuppressed int
	engine        *Engine
}

// Local reports whether the filter answers the request itself.
func (d *Decision) Local() bool { return d.Status != 0 }

func (d *Decision) reset() {
	*d = Decision{
		ReplyHeaders: d.ReplyHeaders[:0],
		Remove:       d.Remove[:0],
		Set:          d.Set[:0],
		Response:     d.Response[:0],
	}
}

// LogLevel is the level a decision's log line is written at.
type LogLevel uint8

const (
	LogNone  LogLevel = iota // nothing to log
	LogDebug                 // a denial or would-deny: one per request (docs/metrics.md)
	LogInfo                  // the first denial per (resource, reason) in 10 s, with the count held back
	LogError                 // a host call failed
)

// Log returns the decision's log line and its level (LogNone: no line).
func (d *Decision) Log() (LogLevel, string) {
	switch d.Outcome {
	case OutcomeDenied, OutcomeWouldDeny:
		return d.logLevel, d.LogLine()
	case OutcomeHostError:
		return LogError, "audguard: host call failed: " + d.hostCall
	}
	return LogNone, ""
}

// serverErrorBody is the body of the 500 for a failed host call (docs/responses.md).
var serverErrorBody = []byte(`{"error":"server_error","error_description":"The authorization filter could not evaluate the request."}`)

// HostFailure is the decision for a failed host call (docs/request-flow.md#host-failures): what
// names the call, headers are the request headers if they could be read.
// In enforce mode, 500. In report mode the request is passed on, as report
// mode never answers locally (§5.8), but only once every client-sent claim
// header is removed (§5.7 holds whatever the mode); when the headers are
// unknown (nil), or their removal fails (the glue then asks again with nil),
// it is 500 in report mode too: a spoofed claim header must never reach the
// upstream. e may be nil (no configuration loaded): 500.
func (e *Engine) HostFailure(what string, headers [][2]string) *Decision {
	var d *Decision
	if e != nil {
		d = &e.hostFailure
	} else {
		d = new(Decision)
	}
	d.reset()
	d.Outcome, d.hostCall = OutcomeHostError, what
	if e != nil && e.cfg.Mode == config.ModeReport && headers != nil {
		e.stripClaimHeaders(headers, d)
		return d
	}
	d.Status = 500
	d.ReplyHeaders = append(d.ReplyHeaders, [2]string{hdrContentType, mimeJSON})
	d.ReplyBody = serverErrorBody
	return d
}
