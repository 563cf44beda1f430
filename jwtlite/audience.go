package jwtlite

// CheckAudience is step 9 of the verification order (RFC 7519 §4.1.3, RFC
// 8707 §2): every value of "aud" (a string or an array of strings) is given
// to match; no value accepted gives ErrWrongAudience, and with exclusive any
// value not accepted gives ErrExtraAudience. A malformed "aud" (missing, not
// a string or an array of strings) is ErrWrongAudience. The engine and Verify
// both use it, so there is one audience rule.
func (c *Claims) CheckAudience(match func(aud []byte) bool, exclusive bool) error {
	matched, extra := false, false
	err := c.EachAudience(func(aud []byte) bool {
		if match(aud) {
			matched = true
		} else {
			extra = true
		}
		return true
	})
	if err != nil || !matched {
		return ErrWrongAudience
	}
	if exclusive && extra {
		return ErrExtraAudience
	}
	return nil
}
