package main

import "github.com/audguard/audguard/internal/buildinfo"

// version and revision are stamped by `make build` with
//
//	-ldflags "-X main.version=$(VERSION) -X main.revision=$(REVISION)"
//
// VERSION is `git describe --tags --always --dirty` ("dev" without git),
// REVISION the commit. Unstamped (a go build by hand), buildVersion falls back
// to the module's build information, read by buildinfo.Read (what
// debug.ReadBuildInfo gives Resolve, without its parser in the module).
// OnPluginStart logs them once, in its "started" line.
var version, revision string

// buildVersion returns the version and revision this module was built as.
func buildVersion() (string, string) {
	return resolveVersion(version, revision, buildinfo.Read)
}

// versionLine is how the start line names the module: "audguard VERSION (REVISION)".
func versionLine() string {
	v, rev := buildVersion()
	return "audguard " + v + " (" + rev + ")"
}

// resolveVersion is buildinfo.Resolve (shared with cmd/audguard).
var resolveVersion = buildinfo.Resolve
