package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// commandExamples holds one example command line per flag set (by its name),
// printed at the end of the command's usage. TestCommandHelp runs `-h` for
// each; TestCommandExamplesRun keeps each one a README command, which
// TestREADMECommandsRun runs.
var commandExamples = map[string]string{
	"check":            "audguard check --json --strict envoy/istio/wasmplugin.yaml",
	"explain":          "audguard explain --config envoy/envoy.yaml --jwks e2e/keys/jwks.json --authority mcp-b.example.com --path /reports/mcp - < token.txt",
	"token keygen":     "audguard token keygen --alg ES256 --kid k1 --out-private key.jwk > jwks.json",
	"token mint":       "audguard token mint --key key.jwk --iss https://auth.example.com --aud https://mcp.example.com/mcp --scope mcp:tools --sub alice --lifetime 10m",
	"token dpop-proof": "audguard token dpop-proof --key dpop-key.jwk --htm GET --htu https://mcp-a.example.com/mcp --token dpop-token.txt > proof.txt",
	"version":          "audguard version --json",
}

// commandUsage returns the Usage function of a command's flag set: text, every
// flag with its default (printFlags), and one example line. It writes to w
// (stderr after a usage error; stdout for -h, see run).
func commandUsage(fs *flag.FlagSet, w io.Writer, text string) func() {
	return func() {
		fmt.Fprint(w, text)
		if !strings.HasSuffix(text, ":\n") { // explain's text ends with its own "options:" heading
			fmt.Fprint(w, "\nflags:\n")
		}
		printFlags(w, fs)
		if ex := commandExamples[fs.Name()]; ex != "" {
			fmt.Fprintf(w, "\nexample:\n  %s\n", ex)
		}
	}
}

// printFlags lists the flags of fs as they are typed: "--name VALUE", then
// the flag's help and its default, if any. The value's name is the usage's
// `quoted` word (flag.UnquoteUsage), else one made from the flag's type.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		n++
		meta, help := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if len(f.Name) == 1 {
			line = "  -" + f.Name
		}
		switch meta {
		case "":
		case "string", "value":
			line += " " + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		case "duration":
			line += " DURATION"
		case "int", "uint", "int64", "uint64":
			line += " N"
		default:
			line += " " + meta
		}
		fmt.Fprintln(w, line)
		if d := f.DefValue; d != "" && d != "false" && d != "0" && d != "0s" && d != "[]" {
			help += " (default " + d + ")"
		}
		fmt.Fprintf(w, "        %s\n", help)
	})
	if n == 0 {
		fmt.Fprint(w, "  (none)\n")
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

// errUsage is returned by parseInterleaved after it has reported a bad
// command line (or printed the help): the caller exits 2.
var errUsage = errors.New("usage error")

// reportFlagError tells what is wrong with a command line flag.Parse refused,
// on the flag set's output: an unknown flag with the nearest known one, a
// flag without its value, or a value the flag refuses; then where the help is.
func reportFlagError(fs *flag.FlagSet, w io.Writer, err error) {
	cmd := "audguard " + fs.Name()
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "flag provided but not defined: "):
		name := strings.TrimLeft(strings.TrimPrefix(msg, "flag provided but not defined: "), "-")
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		msg = "unknown flag " + dashes(name)
		if s := suggest(name, names); s != "" {
			msg += "; did you mean " + dashes(s) + "?"
		}
	case strings.HasPrefix(msg, "flag needs an argument: "):
		name := strings.TrimLeft(strings.TrimPrefix(msg, "flag needs an argument: "), "-")
		msg = dashes(name) + " needs a value"
		if f := fs.Lookup(name); f != nil {
			if meta, _ := flag.UnquoteUsage(f); meta != "" && meta != "string" && meta != "value" {
				msg += " (" + dashes(name) + " " + meta + ")"
			}
		}
	case strings.HasPrefix(msg, "invalid value "), strings.HasPrefix(msg, "invalid boolean value "):
		// invalid value "x" for flag -timeout: parse error
		if before, after, ok := strings.Cut(msg, " for flag -"); ok {
			name, why, _ := strings.Cut(after, ": ")
			msg = dashes(name) + ": " + strings.TrimPrefix(strings.TrimPrefix(before, "invalid boolean value "), "invalid value ") + " is not a valid value: " + why
		}
	}
	fmt.Fprintf(w, "%s: %s\nRun '%s -h' for its flags and an example.\n", cmd, msg, cmd)
}

// missingArgument reports a command line that lacks what, and exits 2.
func missingArgument(fs *flag.FlagSet, w io.Writer, what, synopsis string) int {
	cmd := "audguard " + fs.Name()
	fmt.Fprintf(w, "%s: missing %s\nusage: %s\nRun '%s -h' for its flags and an example.\n", cmd, what, synopsis, cmd)
	return exitInvalid
}

// unexpectedArguments reports arguments a command does not take, and
// exits 2.
func unexpectedArguments(fs *flag.FlagSet, w io.Writer, args []string) int {
	cmd := "audguard " + fs.Name()
	fmt.Fprintf(w, "%s: takes no arguments besides its flags, not %s\nRun '%s -h' for its flags and an example.\n", cmd, strings.Join(shortArgs(args), " "), cmd)
	return exitInvalid
}

// dashes writes a flag name as it is typed: -H, --config.
func dashes(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// suggest returns the candidate nearest to word when it is near enough to
// be a slip ("did you mean"): at most two edits (one for words of up to
// four letters), a transposition counting as one; or a candidate word is the
// prefix of. "" when none is.
func suggest(word string, candidates []string) string {
	word = strings.ToLower(word)
	best, bestD := "", 1<<30
	limit := 2
	if len(word) <= 4 {
		limit = 1
	}
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	for _, c := range sorted {
		d := editDistance(word, strings.ToLower(c))
		if d <= limit && d < bestD {
			best, bestD = c, d
		}
	}
	if best != "" || len(word) < 3 {
		return best
	}
	for _, c := range sorted {
		if strings.HasPrefix(strings.ToLower(c), word) {
			return c
		}
	}
	return ""
}

// editDistance is the optimal string alignment distance of a and b:
// insertions, deletions, substitutions and transpositions of neighbours.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
