package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"github.com/audguard/audguard/internal/buildinfo"
	"io"
	"runtime"
	"runtime/debug"
)

// version and revision are stamped by `make cli` (and `make build` for the
// module, filter/version.go) with
//
//	-ldflags "-X main.version=$(VERSION) -X main.revision=$(REVISION)"
//
// VERSION is `git describe --tags --always --dirty` ("dev" without git),
// REVISION the commit. Unstamped (go build, go install), buildVersion falls
// back to the binary's build information.
var version, revision string

// buildVersion returns the version and revision this binary was built as.
func buildVersion() (string, string) {
	return resolveVersion(version, revision, debug.ReadBuildInfo)
}

// resolveVersion is buildinfo.Resolve (shared with the module).
var resolveVersion = buildinfo.Resolve

const versionUsage = `usage: audguard version [--json]

Prints the version and revision this binary was built as: the ones 'make cli'
stamps (git describe --tags --always --dirty, and the commit), else the Go
build information (go install module@version, vcs.revision), else "dev" and
"unknown". 'audguard --version' prints the same line.
`

// runVersion implements `audguard version` (and `audguard --version`).
func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = commandUsage(fs, stderr, versionUsage)
	asJSON := fs.Bool("json", false, `print {"version", "revision", "go", "platform"} as JSON`)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitInvalid
	}
	if len(pos) != 0 {
		return unexpectedArguments(fs, stderr, pos)
	}
	v, rev := buildVersion()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(map[string]string{
			"version":  v,
			"revision": rev,
			"go":       runtime.Version(),
			"platform": runtime.GOOS + "/" + runtime.GOARCH,
		})
		return exitOK
	}
	fmt.Fprintf(stdout, "audguard %s (%s) %s %s/%s\n", v, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}
