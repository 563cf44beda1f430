// Command audguard is the operator CLI of the audguard proxy-wasm filter. It
// runs the filter's own configuration loader (filter/config) and decision
// engine (filter/policy) natively:
//
//	audguard check CONFIG...     validate configurations as the filter does at start
//	audguard explain ... TOKEN   run the full decision for one request, step by step
//	audguard keys CONFIG         fetch and judge each issuer's jwks_uri
//	audguard token SUBCOMMAND    make test keys, tokens and DPoP proofs (demos and tests only)
//	audguard version             print the version and revision it was built as
//
// 'audguard COMMAND -h' lists a command's flags and one example.
//
// It does not link the proxy-wasm host emulator: the in-process demo (`make
// demo`) is the separate command cmd/audguard/demo. It does link
// go-control-plane's Envoy API types and istio.io/api's, so that check
// decodes a proxy configuration as the proxy's own API would (typed.go).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

const usage = `audguard — operator CLI for the audguard MCP audience-binding proxy-wasm filter

usage:
  audguard check [--format text|json|github] [--strict] [--ignore CODES]
                 [--target nginx] CONFIG|DIR|- ...
      Validate each CONFIG (plugin JSON, Envoy YAML, Istio WasmPlugin or
      EnvoyFilter, Kong declarative or nginx configuration; a directory is
      searched for them) exactly as the filter does at start; list resources,
      keys, and every problem with a stable code (--list-codes lists them).
  audguard explain --config CONFIG [--filter SOURCE] [--route R] [--vhost V]
                   [--authority A] [--path P] [--method M] [-H 'name: value']...
                   [--now RFC3339|UNIX] [--offline|--jwks FILE]
                   [--dpop FILE|-] [--repeat N] [--json] TOKEN|-
      Run the filter's full decision for one request and print every step,
      then every failure with its fix. TOKEN "" sends no Authorization
      header; "-" reads the token from stdin.
  audguard token keygen --alg ES256 --kid k1 --out-private key.jwk
  audguard token mint --key KEYFILE --iss ISS --aud AUD [--scope S] [--sub S]
                      [--cnf-jkt JKT | --dpop-key FILE] ...
  audguard token dpop-proof --key FILE --htm POST --htu URL [--token FILE|-]
                            [--nonce N] [--iat T] [--jti ID]
      FOR DEMOS AND TESTS ONLY: make a key pair, sign test access tokens
      (DPoP-bound with --cnf-jkt or --dpop-key) and DPoP proofs.
  audguard keys [--json] [--timeout 5s] [--issuer-metadata] ISSUER-URL-OR-CONFIG
      Fetch each jwks_uri from here and judge every key as the filter will;
      --issuer-metadata also checks the issuer's RFC 8414 / OpenID metadata.
  audguard version [--json]       (also: audguard --version)
      Print the version and revision this binary was built as.

Run 'audguard COMMAND -h' (or 'audguard help COMMAND') for a command's flags
and an example.
`

// commands maps each command name to its implementation.
var commands = map[string]func(args []string, stdin io.Reader, stdout, stderr io.Writer) int{
	"check":   runCheck,
	"explain": runExplain,
	"token":   runToken,
	"keys":    runKeys,
	"version": func(args []string, _ io.Reader, stdout, stderr io.Writer) int {
		return runVersion(args, stdout, stderr)
	},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches a command line and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitInvalid
	}
	name, rest := args[0], args[1:]
	switch name {
	case "--version", "-version":
		name = "version"
	case "help", "-h", "-help", "--help":
		if name != "help" || len(rest) == 0 {
			fmt.Fprint(stdout, usage)
			return exitOK
		}
		name, rest = rest[0], append(rest[1:len(rest):len(rest)], "-h") // audguard help COMMAND [SUB]
	}
	cmd, ok := commands[name]
	if !ok {
		msg := fmt.Sprintf("audguard: unknown command %q", name)
		names := make([]string, 0, len(commands)+1)
		for n := range commands {
			names = append(names, n)
		}
		if s := suggest(strings.TrimLeft(name, "-"), append(names, "help")); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		fmt.Fprintf(stderr, "%s\nRun 'audguard help' for the commands.\n", msg)
		return exitInvalid
	}
	if helpRequested(rest) {
		return commandHelp(cmd, rest, stdout)
	}
	return cmd(rest, stdin, stdout, stderr)
}

// commandHelp answers -h: the command's usage (its flags and an example) on
// stdout, exit 0. The command sees only "-h" (after token's subcommand), so
// nothing else is parsed and nothing runs.
func commandHelp(cmd func([]string, io.Reader, io.Writer, io.Writer) int, args []string, stdout io.Writer) int {
	help := []string{"-h"}
	if len(args) > 0 && (args[0] == "keygen" || args[0] == "mint" || args[0] == "dpop-proof") {
		help = []string{args[0], "-h"}
	}
	cmd(help, strings.NewReader(""), stdout, stdout)
	return exitOK
}

// parseInterleaved parses flags that may come before or after positional
// arguments ("--" ends the flags). On -h it prints the flag set's usage; on a
// bad flag it says what is wrong (reportFlagError) on the flag set's output;
// both return errUsage.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	out, usage := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	pos, err := parseLoop(fs, args)
	fs.SetOutput(out)
	fs.Usage = usage
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage()
		} else {
			reportFlagError(fs, out, err)
		}
		return nil, errUsage
	}
	return pos, nil
}

func parseLoop(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// fs.Parse consumed a "--": everything after it is positional.
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
