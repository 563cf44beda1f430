// Package buildinfo names the build of the module and of the CLI: the
// version and revision `make build` stamps, else what the Go toolchain
// recorded.
package buildinfo

import "runtime/debug"

// Resolve: the stamped values; else, from the build information, the
// main module's version (set by `go install module@version`) or "dev", and
// vcs.revision with "-dirty" when vcs.modified (set by go build in a clone
// unless -buildvcs=false); else "unknown". The module (filter) and the CLI
// (cmd/audguard) both use it, so they name a build alike.
func Resolve(v, rev string, readBuildInfo func() (*debug.BuildInfo, bool)) (string, string) {
	if v != "" && rev != "" {
		return v, rev
	}
	var vcsRev, mainVersion string
	var modified bool
	if bi, ok := readBuildInfo(); ok && bi != nil {
		mainVersion = bi.Main.Version
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				vcsRev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "dev"
		if mainVersion != "" && mainVersion != "(devel)" {
			v = mainVersion
		}
	}
	if rev == "" {
		rev = "unknown"
		if vcsRev != "" {
			rev = vcsRev
			if modified {
				rev += "-dirty"
			}
		}
	}
	return v, rev
}
