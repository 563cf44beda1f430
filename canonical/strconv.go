package canonical

import "strconv"

// quote is strconv.Quote and itoa strconv.Itoa, called rather than inlined
// at each message and port that uses them (smaller module, same text).
//
//go:noinline
func quote(s string) string { return strconv.Quote(s) }

//go:noinline
func itoa(i int) string { return strconv.Itoa(i) }
