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
                      [--cnf-jkt JKT | --dpop-key DPOPKEYFILE]
      Sign an RFC 9068 access token and print it. KEYFILE is a private JWK or
      an unencrypted PEM key (PKCS #8, PKCS #1, SEC 1); --alg and --kid default
      to the JWK's (for PEM: the key type's algorithm, and no kid).
      --cnf-jkt, or --dpop-key (that key's RFC 7638 thumbprint), binds the
      token to a DPoP key: "cnf": {"jkt": ...} (RFC 9449 §6.1).
  audguard token dpop-proof --key KEYFILE --htm POST --htu URL [--token FILE|-]
                            [--nonce N] [--iat T] [--jti ID] [--alg A]
      Sign a DPoP proof (RFC 9449 §4.2) with KEYFILE (asymmetric; its public
      key goes in the proof's jwk) and print it: htm, htu, iat (default now),
      jti (default random), ath from the access token in FILE ("-": stdin),
      nonce when given.
`

func runToken(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokenUsage)
		return exitInvalid
	}
	switch args[0] {
	case "keygen":
		return runKeygen(args[1:], stdout, stderr)
	case "mint":
		return runMint(args[1:], stdout, stderr)
	case "dpop-proof":
		return runDPoPProof(args[1:], stdin, stdout, stderr)
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
	cnfJKT := fs.String("cnf-jkt", "", "`JKT`: bind the token to the DPoP key of this RFC 7638 thumbprint (cnf.jkt, RFC 9449 §6.1)")
	dpopKey := fs.String("dpop-key", "", "`FILE`: bind the token to this DPoP key (JWK or PEM; its thumbprint goes in cnf.jkt)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitInvalid
	}
	if len(pos) != 0 {
		return unexpectedArguments(fs, stderr, pos)
	}
	if missing := unset(flagSet{"--key KEYFILE", *keyPath != ""}, flagSet{"--iss ISS", *iss != ""}, flagSet{"--aud AUD", len(aud) > 0}); missing != "" {
		return missingArgument(fs, stderr, missing, "audguard token mint --key KEYFILE --iss ISS --aud AUD [--scope S] [--sub S] ...")
	}
	if *cnfJKT != "" && *dpopKey != "" {
		fmt.Fprintln(stderr, "audguard token mint: give one of --cnf-jkt and --dpop-key")
		return exitInvalid
	}
	jkt := *cnfJKT
	if *dpopKey != "" {
		if jkt, err = keyThumbprint(*dpopKey); err != nil {
			fmt.Fprintf(stderr, "audguard token mint: --dpop-key: %v\n", err)
			return exitInvalid
		}
	}
	tok, err := mintToken(*keyPath, *alg, *kid, *iss, aud, *scope, *sub, *clientID, *typ, *nowFlag, *lifetime, jkt)
	if err != nil {
		fmt.Fprintf(stderr, "audguard token mint: %v\n", err)
		return exitInvalid
	}
	fmt.Fprint(stderr, testOnlyBanner)
	fmt.Fprintln(stdout, tok)
	return exitOK
}

func mintToken(keyPath, alg, kid, iss string, aud []string, scope, sub, clientID, typ, nowFlag string, lifetime time.Duration, jkt string) (string, error) {
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
	if jkt != "" {
		claims["cnf"] = map[string]any{"jkt": jkt}
	}
	header := map[string]any{"typ": typ}
	if typ == "" {
		header["typ"] = nil
	}
	return k.Sign(claims, header)
}

// loadKeyFile reads a private key file (JWK or PEM) as keyfile.Load does.
func loadKeyFile(path, alg, kid string) (*mint.Key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return keyfile.Load(data, alg, kid)
}

// keyThumbprint is the RFC 7638 SHA-256 thumbprint of the public key of a
// private key file: the cnf.jkt of a token bound to it.
func keyThumbprint(path string) (string, error) {
	k, err := loadKeyFile(path, "", "")
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(k.Alg, "HS") {
		return "", errors.New("a DPoP key is asymmetric, not a shared secret")
	}
	jkt := k.Thumbprint()
	if jkt == "" {
		return "", errors.New("no thumbprint for this key type")
	}
	return jkt, nil
}

func runDPoPProof(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := tokenFlags("dpop-proof", stderr)
	keyPath := fs.String("key", "", "`FILE`: the DPoP private key, JWK or PEM (required)")
	htm := fs.String("htm", "", "`METHOD`: the request's method (required)")
	htu := fs.String("htu", "", "`URL`: the request's URL, without query and fragment (required)")
	tokenFile := fs.String("token", "", "`FILE|-`: the access token the proof goes with (its hash is ath); - reads stdin")
	nonce := fs.String("nonce", "", "`NONCE`: the server's DPoP-Nonce")
	iatFlag := fs.String("iat", "", "`RFC3339|UNIX`: the proof's iat (default: now)")
	jti := fs.String("jti", "", "`ID`: the proof's jti (default: 16 random bytes, hex)")
	alg := fs.String("alg", "", "`ALG`: algorithm (default: the key's)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitInvalid
	}
	if len(pos) != 0 {
		return unexpectedArguments(fs, stderr, pos)
	}
	if missing := unset(flagSet{"--key FILE", *keyPath != ""}, flagSet{"--htm METHOD", *htm != ""}, flagSet{"--htu URL", *htu != ""}); missing != "" {
		return missingArgument(fs, stderr, missing, "audguard token dpop-proof --key FILE --htm POST --htu URL [--token FILE|-] [--nonce N]")
	}
	proof, err := dpopProof(*keyPath, *alg, *htm, *htu, *tokenFile, *nonce, *iatFlag, *jti, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "audguard token dpop-proof: %v\n", err)
		return exitInvalid
	}
	fmt.Fprint(stderr, testOnlyBanner)
	fmt.Fprintln(stdout, proof)
	return exitOK
}

func dpopProof(keyPath, alg, htm, htu, tokenFile, nonce, iatFlag, jti string, stdin io.Reader) (string, error) {
	k, err := loadKeyFile(keyPath, alg, "")
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(k.Alg, "HS") {
		return "", errors.New("a DPoP proof is signed with an asymmetric key, not a shared secret")
	}
	iat := time.Now()
	if iatFlag != "" {
		if iat, err = parseNow(iatFlag); err != nil {
			return "", fmt.Errorf("--iat: %w", err)
		}
	}
	if jti == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		jti = hex.EncodeToString(b)
	}
	claims := map[string]any{"jti": jti, "htm": htm, "htu": htu, "iat": iat.Unix()}
	if tokenFile != "" {
		var tok string
		if tokenFile == "-" {
			tok, err = readToken(stdin)
		} else {
			var f *os.File
			if f, err = os.Open(tokenFile); err == nil {
				tok, err = readToken(f)
				f.Close()
			}
		}
		switch {
		case err != nil:
			return "", fmt.Errorf("--token: %w", err)
		case tok == "":
			return "", errors.New("--token: no token")
		}
		claims["ath"] = mint.TokenHash(tok)
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	return k.DPoPProof(claims, nil)
}

// flagSet is a required flag's name (as the usage writes it) and whether it was given.
type flagSet struct {
	name string
	set  bool
}

// unset lists, comma-separated, the required flags not given; "" when all were.
func unset(flags ...flagSet) string {
	var missing []string
	for _, f := range flags {
		if !f.set {
			missing = append(missing, f.name)
		}
	}
	return strings.Join(missing, ", ")
}
