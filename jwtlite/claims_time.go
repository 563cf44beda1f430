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

// CheckTime applies the time rules of contract §5.5 step 8 (RFC 7519 §4.1.4–4.1.6) in this
// order: "exp" required, valid and now < exp+skew, else ErrExpired (also when missing or
// invalid); "nbf", if present, valid and ≤ now+skew, else ErrNotYetValid; "iat", if present,
// valid and ≤ now+skew, else ErrIssuedInFuture. Valid means a finite JSON number with
// 0 ≤ v < 2^53. A null nbf or iat counts as invalid.
func (c *Claims) CheckTime(now time.Time, skew time.Duration) error {
	early, late := now.Add(-skew), now.Add(skew)
	exp, ok := c.numericDate(c.exp)
	if !ok || compareTime(early, exp) >= 0 { // now < exp+skew ⇔ now-skew < exp
		return ErrExpired
	}
	if c.nbf.vt != jsonparser.NotExist {
		nbf, ok := c.numericDate(c.nbf)
		if !ok || compareTime(late, nbf) < 0 { // nbf ≤ now+skew
			return ErrNotYetValid
		}
	}
	if c.iat.vt != jsonparser.NotExist {
		iat, ok := c.numericDate(c.iat)
		if !ok || compareTime(late, iat) < 0 { // iat ≤ now+skew
			return ErrIssuedInFuture
		}
	}
	return nil
}

// Expiry returns the "exp" claim when it is a valid NumericDate (for caches).
func (c *Claims) Expiry() (exp float64, ok bool) {
	return c.numericDate(c.exp)
}
