package main

import "runtime/debug"

// version and revision are stamped by `make build` with
//
//	-ldflags "-X main.version=$(VERSION) -X main.revision=$(REVISION)"
//
// VERSION is `git describe --tags --always --dirty` ("dev" without git),
// REVISION the commit. Unstamped (a go build by hand), buildVersion falls back
// to the module's build information. OnPluginStart logs them once, in its
// "started" line.
var version, revision string

// buildVersion returns the version and revision this module was built as.
func buildVersion() (string, string) {
	return resolveVersion(version, revision, debug.ReadBuildInfo)
}

// versionLine is how the start line names the module: "audguard VERSION (REVISION)".
func versionLine() string {
	v, rev := buildVersion()
	return "audguard " + v + " (" + rev + ")"
}

// resolveVersion: the stamped values; else, from the build information, the
// main module's version (set by `go install module@version`) or "dev", and
// vcs.revision with "-dirty" when vcs.modified (set by go build in a clone
// unless -buildvcs=false); else "unknown". cmd/audguard/version.go holds the
// same function (its TestResolveVersionSameInFilter keeps the two equal).
func resolveVersion(v, rev string, readBuildInfo func() (*debug.BuildInfo, bool)) (string, string) {
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
