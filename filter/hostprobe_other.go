//go:build !wasip1

package main

// pollOneoffProbe has nothing to probe in a native build (the SDK's host
// emulator): it reports success.
func pollOneoffProbe() uint32 { return 0 }
