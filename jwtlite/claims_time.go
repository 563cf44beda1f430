package jwtlite

import (
	"math"
	"strconv"
	"time"

	"github.com/buger/jsonparser"
)

// maxNumericDate is 2^53: NumericDate values (RFC 7519 §2) must be below it so every integer
// second is exact in a float64 and in every JSON implementation.
const maxNumericDate = 1 << 53

// numericDate parses a NumericDate (RFC 7519 §2): a finite JSON number with 0 ≤ v < 2^53;
// fractions are allowed. Strings, null, negatives (including -0), overflowing or underflowing
// exponents are refused.
func (c *Claims) numericDate(s span) (float64, bool) {
	if s.vt != jsonparser.Number {
		return 0, false
	}
	b := c.bytes(s)
	if len(b) == 0 || b[0] == '-' || len(b) > 64 {
		return 0, false
	}
	var buf [64]byte
	v, err := strconv.ParseFloat(string(append(buf[:0], b...)), 64)
	if err != nil || v < 0 || v >= maxNumericDate || v != v {
		return 0, false
	}
	return v, true
}

// compareTime compares the instant t with the NumericDate v (0 ≤ v < 2^53) without losing
// t's nanoseconds to float rounding: -1 if t is before v, 0 if equal, +1 if after.
func compareTime(t time.Time, v float64) int {
	whole := math.Floor(v)
	sec, frac := int64(whole), v-whole // both exact for 0 ≤ v < 2^53
	switch ts := t.Unix(); {
	case ts < sec:
		return -1
	case ts > sec:
		return 1
	}
	switch ns := float64(t.Nanosecond()) / 1e9; {
	case ns < frac:
		return -1
	case ns > frac:
		return 1
	}
	return 0
}

// times holds the NumericDate claims as numbers, parsed once when the claims
// are loaded, so CheckTime on a cached token (every cache hit) compares
// numbers instead of scanning and parsing JSON again.
type times struct {
	_                   [0]func() // not comparable: no generated equality function in the module
	exp, nbf, iat       float64
	expOK, nbfOK, iatOK bool // a valid NumericDate
	hasNbf, hasIat      bool // the member is present (of any type, null included)
}

func (c *Claims) parseTimes() times {
	var t times
	t.exp, t.expOK = c.numericDate(c.exp)
	t.hasNbf, t.hasIat = c.nbf.vt != jsonparser.NotExist, c.iat.vt != jsonparser.NotExist
	t.nbf, t.nbfOK = c.numericDate(c.nbf)
	t.iat, t.iatOK = c.numericDate(c.iat)
	return t
}

// CheckTime applies the time rules of docs/request-flow.md#11-verification step 8 (RFC 7519 §4.1.4–4.1.6) in this
// order: "exp" required, valid and now < exp+skew, else ErrExpired (also when missing or
// invalid); "nbf", if present, valid and ≤ now+skew, else ErrNotYetValid; "iat", if present,
// valid and ≤ now+skew, else ErrIssuedInFuture. Valid means a finite JSON number with
// 0 ≤ v < 2^53. A null nbf or iat counts as invalid.
func (c *Claims) CheckTime(now time.Time, skew time.Duration) error {
	t := &c.times
	early, late := now.Add(-skew), now.Add(skew)
	if !t.expOK || compareTime(early, t.exp) >= 0 { // now < exp+skew ⇔ now-skew < exp
		return ErrExpired
	}
	if t.hasNbf && (!t.nbfOK || compareTime(late, t.nbf) < 0) { // nbf ≤ now+skew
		return ErrNotYetValid
	}
	if t.hasIat && (!t.iatOK || compareTime(late, t.iat) < 0) { // iat ≤ now+skew
		return ErrIssuedInFuture
	}
	return nil
}

// Expiry returns the "exp" claim when it is a valid NumericDate (for caches).
func (c *Claims) Expiry() (exp float64, ok bool) {
	return c.times.exp, c.times.expOK
}
