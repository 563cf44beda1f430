package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/audguard/audguard/internal/demo/keyfile"
	"github.com/audguard/audguard/internal/mint"
)

// testOnlyBanner goes to stderr with every `audguard token` result, so stdout
// stays a clean JWK Set or token.
const testOnlyBanner = "audguard token: FOR DEMOS AND TESTS ONLY — not an authorization server; never trust these keys or tokens in production.\n"

const tokenUsage = `usage (FOR DEMOS AND TESTS ONLY — audguard is not an authorization server):
  audguard token keygen --alg ES256 --kid k1 --out-private key.jwk
      Generate a key pair: write the private JWK to --out-private (mode 0600,
      never overwritten) and print the public JWK Set (for "jwks") to stdout.
      --alg: RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA.
  audguard token mint --key KEYFILE --iss ISS --aud AUD [--aud AUD2]
                      [--scope "a b"] [--sub S] [--client-id C]
                      [--lifetime 10m] [--typ at+jwt] [--now T] [--alg A] [--kid K]
      Sign an RFC 9068 access token and print it. KEYFILE is a private JWK or
      an unencrypted PEM key (PKCS #8, PKCS #1, SEC 1); --alg and --kid default
      to the JWK's (for PEM: the key type's algorithm, and no kid).
`

func runToken(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokenUsage)
		return exitInvalid
	}
	switch args[0] {
	case "keygen":
		return runKeygen(args[1:], stdout, stderr)
	case "mint":
		return runMint(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, tokenUsage)
		return exitOK
	}
	fmt.Fprintf(stderr, "audguard token: unknown subcommand %q\n\n%s", args[0], tokenUsage)
	return exitInvalid
}

func tokenFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("token "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = commandUsage(fs, stderr, tokenUsage)
	return fs
}

func runKeygen(args []string, stdout, stderr io.Writer) int {
	fs := tokenFlags("keygen", stderr)
	alg := fs.String("alg", "ES256", "JWS algorithm the key is bound to")
	kid := fs.String("kid", "", "key id")
	out := fs.String("out-private", "", "file for the private JWK (required)")
	pos, err := parseInterleaved(fs, args)
	switch {
	case err != nil:
		return exitInvalid
	case len(pos) != 0:
		return unexpectedArguments(fs, stderr, pos)
	case *out == "":
		return missingArgument(fs, stderr, "--out-private FILE: the file to write the private JWK to", "audguard token keygen --alg ES256 --kid k1 --out-private key.jwk")
	}
	if strings.HasPrefix(*alg, "HS") {
		fmt.Fprintln(stderr, "audguard token keygen: HS* keys are shared secrets; use an asymmetric algorithm")
		return exitInvalid
	}
	k, err := mint.NewKey(*alg, *kid)
	if err != nil {
		fmt.Fprintf(stderr, "audguard token keygen: %v\n", err)
		return exitInvalid
	}
	priv, _ := json.MarshalIndent(k.Private(), "", "  ")
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		fmt.Fprintf(stderr, "audguard token keygen: %v\n", err)
		return exitInvalid
	}
	_, err = f.Write(append(priv, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(stderr, "audguard token keygen: writing %s: %v\n", *out, err)
		return exitInvalid
	}
	fmt.Fprint(stderr, testOnlyBanner)
	var set any
	_ = json.Unmarshal(mint.JWKS(k), &set)
	pub, _ := json.MarshalIndent(set, "", "  ")
	fmt.Fprintf(stdout, "%s\n", pub)
	return exitOK
}

// stringList collects a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func runMint(args []string, stdout, stderr io.Writer) int {
	fs := tokenFlags("mint", stderr)
	keyPath := fs.String("key", "", "private key file: JWK or PEM (required)")
	iss := fs.String("iss", "", "issuer (required)")
	var aud stringList
	fs.Var(&aud, "aud", "audience: the resource URI (required; repeat for several)")
	scope := fs.String("scope", "", "space-separated scopes")
	sub := fs.String("sub", "", "subject")
	clientID := fs.String("client-id", "audguard-cli", "client_id claim (RFC 9068 §2.2)")
	lifetime := fs.Duration("lifetime", 10*time.Minute, "exp - iat")
	typ := fs.String("typ", "at+jwt", `header typ ("" to omit)`)
	nowFlag := fs.String("now", "", "iat: RFC 3339 or Unix seconds (default: now)")
	alg := fs.String("alg", "", "algorithm (default: the key's)")
	kid := fs.String("kid", "", "key id (default: the JWK's)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitInvalid
	}
	if len(pos) != 0 {
		return unexpectedArguments(fs, stderr, pos)
	}
	var missing []string
	for _, m := range []struct {
		name string
		set  bool
	}{{"--key KEYFILE", *keyPath != ""}, {"--iss ISS", *iss != ""}, {"--aud AUD", len(aud) > 0}} {
		if !m.set {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		return missingArgument(fs, stderr, strings.Join(missing, ", "), "audguard token mint --key KEYFILE --iss ISS --aud AUD [--scope S] [--sub S] ...")
	}
	tok, err := mintToken(*keyPath, *alg, *kid, *iss, aud, *scope, *sub, *clientID, *typ, *nowFlag, *lifetime)
	if err != nil {
		fmt.Fprintf(stderr, "audguard token mint: %v\n", err)
		return exitInvalid
	}
	fmt.Fprint(stderr, testOnlyBanner)
	fmt.Fprintln(stdout, tok)
	return exitOK
}

func mintToken(keyPath, alg, kid, iss string, aud []string, scope, sub, clientID, typ, nowFlag string, lifetime time.Duration) (string, error) {
	if lifetime <= 0 {
		return "", errors.New("--lifetime must be positive")
	}
	data, err := os.ReadFile(keyPath)
	if err != nil {
		return "", err
	}
	k, err := keyfile.Load(data, alg, kid)
	if err != nil {
		return "", err
	}
	now := time.Now()
	if nowFlag != "" {
		if now, err = parseNow(nowFlag); err != nil {
			return "", fmt.Errorf("--now: %w", err)
		}
	}
	jti := make([]byte, 16)
	_, _ = rand.Read(jti)
	claims := map[string]any{
		"iss": iss, "iat": now.Unix(), "exp": now.Add(lifetime).Unix(), "jti": hex.EncodeToString(jti),
	}
	if len(aud) == 1 {
		claims["aud"] = aud[0]
	} else {
		claims["aud"] = []string(aud)
	}
	for name, v := range map[string]string{"scope": scope, "sub": sub, "client_id": clientID} {
		if v != "" {
			claims[name] = v
		}
	}
	header := map[string]any{"typ": typ}
	if typ == "" {
		header["typ"] = nil
	}
	return k.Sign(claims, header)
}
