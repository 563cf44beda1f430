package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// commandExamples holds one example command line per flag set (by its name),
// printed at the end of the command's usage. TestCommandHelp runs `-h` for
// each; TestCommandExamplesRun keeps each one a README command, which
// TestREADMECommandsRun runs.
var commandExamples = map[string]string{
	"check":        "audguard check --json --strict envoy/istio/wasmplugin.yaml",
	"explain":      "audguard explain --config envoy/envoy.yaml --authority mcp-b.example.com --path /reports/mcp - < token.txt",
	"token keygen": "audguard token keygen --alg ES256 --kid k1 --out-private key.jwk > jwks.json",
	"token mint":   "audguard token mint --key key.jwk --iss https://auth.example.com --aud https://mcp.example.com/mcp --scope mcp:tools --sub alice --lifetime 10m",
	"version":      "audguard version --json",
}

// commandUsage returns the Usage function of a command's flag set: text, every
// flag with its default (fs.PrintDefaults), and one example line. It writes to w
// (stderr after a usage error; stdout for -h, see run).
func commandUsage(fs *flag.FlagSet, w io.Writer, text string) func() {
	return func() {
		fmt.Fprint(w, text)
		if !strings.HasSuffix(text, ":\n") { // explain's text ends with its own "options:" heading
			fmt.Fprint(w, "\nflags:\n")
		}
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n == 0 {
			fmt.Fprint(w, "  (none)\n")
		}
		out := fs.Output()
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(out)
		if ex := commandExamples[fs.Name()]; ex != "" {
			fmt.Fprintf(w, "\nexample:\n  %s\n", ex)
		}
	}
}

// helpRequested reports whether a command's arguments ask for its help (-h,
// -help or --help before any "--").
func helpRequested(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}
