//go:build wasm

package policy

// sameToken compares a cached token with a request's (equalWords).
func sameToken(a, b string) bool { return equalWords(a, b) }
