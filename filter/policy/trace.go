package policy

import (
	"strconv"
	"strings"
	"time"

	"github.com/audguard/audguard/jwtlite"
)

// Step is one check the engine made, reported to Options.Trace (used by
// `audguard explain`). Detail holds only what is safe to show: configured
// values, and of the token only its header algorithm, issuer, audiences,
// times and scopes — never token bytes, signatures, key material or other
// claims.
type Step struct {
	Name   string // e.g. "resource", "signature", "audience"
	OK     bool   // the check passed (or, for "resource", a resource was chosen)
	Detail string
}

// trace reports a step when tracing is on. Callers guard with e.tracing()
// before building details, so the filter's request path builds no strings.
func (e *Engine) trace(name string, ok bool, detail string) {
	e.tr(Step{Name: name, OK: ok, Detail: detail})
}

func (e *Engine) tracing() bool { return e.tr != nil }

// QuoteList renders items as a bracketed list of Go-quoted strings, as
// traces show lists (explain prints its own checks the same way).
func QuoteList(items []string) string { return quoteList(items) }

func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func unixString(v float64) string {
	sec := int64(v)
	return strconv.FormatFloat(v, 'f', -1, 64) + " (" + time.Unix(sec, 0).UTC().Format(time.RFC3339) + ")"
}

// ClaimTimes describes exp/nbf/iat for a trace (and for explain's list of
// the checks the filter did not get to).
func ClaimTimes(c *jwtlite.Claims, now time.Time, skew time.Duration) string {
	var b strings.Builder
	b.WriteString("now " + now.UTC().Format(time.RFC3339) + ", skew " + skew.String())
	if exp, ok := c.Expiry(); ok {
		b.WriteString(", exp " + unixString(exp))
	} else {
		b.WriteString(", exp missing or not a valid NumericDate")
	}
	for _, name := range []string{"nbf", "iat"} {
		if v, ok := c.HeaderValue(name, nil); ok {
			b.WriteString(", " + name + " " + string(v))
		}
	}
	return b.String()
}
