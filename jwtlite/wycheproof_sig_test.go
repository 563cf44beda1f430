package jwtlite_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/audguard/audguard/jwtlite"
)

// wycheproofModule is the pinned Project Wycheproof revision whose testvectors/ we run. The
// vectors are fetched at test time through the Go module proxy and never committed.
const wycheproofModule = "github.com/google/wycheproof@v0.0.0-20191219022705-2196000605e4"

// wycheproofVectorsDir returns Dir/testvectors of the pinned Wycheproof module, downloading it
// with `go mod download -json` (run outside any module so go.mod/go.sum are never touched).
// When the download is not possible it skips the test with one line, except in CI (CI set to
// anything but "", "0", "false" or "no", as GitHub Actions' CI=true), where missing vectors fail it.
func wycheproofVectorsDir(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "mod", "download", "-json", wycheproofModule)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=", "GOTOOLCHAIN=local")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, runErr := cmd.Output()
	var info struct{ Dir, Error string }
	_ = json.Unmarshal(out, &info) // -json reports failures in "Error" too
	if runErr != nil || info.Error != "" || info.Dir == "" {
		reason := info.Error
		if reason == "" {
			reason = strings.TrimSpace(stderr.String())
		}
		if reason == "" && runErr != nil {
			reason = runErr.Error()
		}
		reason = strings.Join(strings.Fields(reason), " ") // one line
		msg := fmt.Sprintf("Wycheproof vectors unavailable: `go mod download %s` failed (needs the Go module proxy): %s",
			wycheproofModule, reason)
		if inCI() {
			t.Fatal(msg + " (CI is set: a test-data download that fails is a failure)")
		}
		t.Skip(msg)
	}
	return filepath.Join(info.Dir, "testvectors")
}

// inCI reports whether the tests run in CI, where test data that cannot be fetched is a failure.
func inCI() bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv("CI"))) {
	case "", "0", "false", "no":
		return false
	}
	return true
}

// wpFile is the subset of the Wycheproof signature-verification schemas
// (rsassa_pkcs1_verify, rsassa_pss_verify, ecdsa_p1363_verify, eddsa_verify) we read.
type wpFile struct {
	Algorithm     string    `json:"algorithm"`
	NumberOfTests int       `json:"numberOfTests"`
	TestGroups    []wpGroup `json:"testGroups"`
}

type wpGroup struct {
	Type    string `json:"type"`
	KeySize int    `json:"keysize"` // RSA
	N       string `json:"n"`       // RSA modulus, hex
	E       string `json:"e"`       // RSA public exponent, hex
	Sha     string `json:"sha"`
	Mgf     string `json:"mgf"`    // PSS
	MgfSha  string `json:"mgfSha"` // PSS
	SLen    int    `json:"sLen"`   // PSS
	Key     struct {
		Curve string `json:"curve"`
		Wx    string `json:"wx"` // EC, hex
		Wy    string `json:"wy"` // EC, hex
		Pk    string `json:"pk"` // EdDSA, hex
	} `json:"key"`
	Tests []wpTest `json:"tests"`
}

type wpTest struct {
	TcID    int      `json:"tcId"`
	Comment string   `json:"comment"`
	Msg     string   `json:"msg"`
	Sig     string   `json:"sig"`
	Result  string   `json:"result"` // "valid", "invalid" or "acceptable"
	Flags   []string `json:"flags"`
}

// acceptableVerdict is our decision for a Wycheproof "acceptable" vector, by flag.
type acceptableVerdict string

const (
	// mustReject: Verify must return ErrBadSignature.
	mustReject acceptableVerdict = "must-reject"
	// keyDependent: the flag is about the key; refused at ParseKey, or else the signature must verify.
	keyDependent acceptableVerdict = "key-dependent"
)

// acceptablePolicy documents, per Wycheproof flag, what we do with "acceptable" vectors. We are
// strict: anything that is only a legacy or lenient encoding of a signature is rejected.
var acceptablePolicy = map[string]acceptableVerdict{
	// RSASSA-PKCS1-v1_5 DigestInfo without the NULL parameters: RFC 8017 §9.2 step 2 fixes the
	// encoding (with NULL); the legacy form is rejected.
	"MissingNull": mustReject,
	// ECDSA signature shorter than 2×32 bytes: RFC 7518 §3.4 requires R and S as 32-octet
	// sequences each, so other lengths are rejected.
	"SigSize": mustReject,
	// Key with e = 3: the signatures are mathematically valid; whether the key is usable is
	// ParseKey's policy (RSA e odd and > 1 per docs/configuration.md#keys). Refused → "refused by policy";
	// accepted → the signature must verify, like any valid vector.
	"SmallPublicKey": keyDependent,
}

// wpSuite describes one Wycheproof file and how to turn a group's public key into a JWK.
type wpSuite struct {
	file      string
	alg       jwtlite.Algorithm
	altAlgs   []jwtlite.Algorithm // other names that must give the same verdict (RFC 9864 §2.2)
	groupType string
	check     func(g *wpGroup) error // the group's parameters are what alg means
	jwk       func(g *wpGroup) ([]byte, error)
	// outsidePolicy reports that ParseKey may refuse the key under docs/configuration.md#keys
	// (RSA < 2048 bits or an exponent other than 65537).
	outsidePolicy func(g *wpGroup) bool
}

var wycheproofSuites = []wpSuite{
	{
		file: "rsa_signature_2048_sha256_test.json", alg: jwtlite.RS256, groupType: "RsassaPkcs1Verify",
		check: func(g *wpGroup) error { return expect(g.Sha == "SHA-256", "sha") },
		jwk:   rsaJWK(jwtlite.RS256), outsidePolicy: rsaOutsidePolicy,
	},
	{
		file: "rsa_pss_2048_sha256_mgf1_32_test.json", alg: jwtlite.PS256, groupType: "RsassaPssVerify",
		check: func(g *wpGroup) error {
			return expect(g.Sha == "SHA-256" && g.Mgf == "MGF1" && g.MgfSha == "SHA-256" && g.SLen == 32, "pss parameters")
		},
		jwk: rsaJWK(jwtlite.PS256), outsidePolicy: rsaOutsidePolicy,
	},
	{
		file: "ecdsa_secp256r1_sha256_p1363_test.json", alg: jwtlite.ES256, groupType: "EcdsaP1363Verify",
		check: func(g *wpGroup) error { return expect(g.Sha == "SHA-256" && g.Key.Curve == "secp256r1", "curve/sha") },
		jwk:   ecP256JWK, outsidePolicy: func(*wpGroup) bool { return false },
	},
	{
		file: "eddsa_test.json", alg: jwtlite.EdDSA, altAlgs: []jwtlite.Algorithm{jwtlite.Ed25519}, groupType: "EddsaVerify",
		check: func(g *wpGroup) error { return expect(g.Key.Curve == "edwards25519", "curve") },
		jwk:   ed25519JWK, outsidePolicy: func(*wpGroup) bool { return false },
	},
}

func expect(ok bool, what string) error {
	if !ok {
		return errors.New("unexpected group " + what)
	}
	return nil
}

// b64u is BASE64URL without padding (RFC 7515 §2).
func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// uintBytes decodes a hex integer and strips leading zero octets (JWK Base64urlUInt, RFC 7518 §2).
func uintBytes(h string) ([]byte, error) {
	b, err := hex.DecodeString(h)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimLeft(b, "\x00")
	if len(b) == 0 {
		b = []byte{0}
	}
	return b, nil
}

// fixedBytes decodes a hex integer into exactly n big-endian octets (RFC 7518 §6.2.1.2).
func fixedBytes(h string, n int) ([]byte, error) {
	b, err := uintBytes(h)
	if err != nil {
		return nil, err
	}
	if len(b) > n {
		return nil, errors.New("coordinate too long")
	}
	return append(make([]byte, n-len(b)), b...), nil
}

func rsaJWK(alg jwtlite.Algorithm) func(g *wpGroup) ([]byte, error) {
	return func(g *wpGroup) ([]byte, error) {
		n, err := uintBytes(g.N)
		if err != nil {
			return nil, err
		}
		e, err := uintBytes(g.E)
		if err != nil {
			return nil, err
		}
		return json.Marshal(map[string]string{"kty": "RSA", "alg": string(alg), "n": b64u(n), "e": b64u(e)})
	}
}

func rsaOutsidePolicy(g *wpGroup) bool {
	e, ok := new(big.Int).SetString(g.E, 16)
	return g.KeySize < 2048 || !ok || e.Cmp(big.NewInt(65537)) != 0
}

func ecP256JWK(g *wpGroup) ([]byte, error) {
	x, err := fixedBytes(g.Key.Wx, 32)
	if err != nil {
		return nil, err
	}
	y, err := fixedBytes(g.Key.Wy, 32)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]string{"kty": "EC", "alg": "ES256", "crv": "P-256", "x": b64u(x), "y": b64u(y)})
}

func ed25519JWK(g *wpGroup) ([]byte, error) {
	pk, err := hex.DecodeString(g.Key.Pk)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]string{"kty": "OKP", "alg": "EdDSA", "crv": "Ed25519", "x": b64u(pk)})
}

// wpCounts is the per-file tally printed at the end of each subtest.
type wpCounts struct {
	total, passed, refusedByPolicy, acceptableRejected, acceptableAccepted int
}

// TestWycheproofSig runs Wycheproof per-algorithm signature vectors through jwtlite's own verify
// path: ParseKey of a JWK built from the group's public key, then Key.Verify(alg, msg, sig).
// "valid" must verify; "invalid" must give ErrBadSignature (or ErrInvalidKey from ParseKey);
// "acceptable" follows acceptablePolicy.
func TestWycheproofSig(t *testing.T) {
	dir := wycheproofVectorsDir(t)
	for _, s := range wycheproofSuites {
		t.Run(s.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, s.file))
			if err != nil {
				t.Fatalf("read vectors: %v", err)
			}
			var f wpFile
			if err := json.Unmarshal(raw, &f); err != nil {
				t.Fatalf("decode vectors: %v", err)
			}
			c := runWycheproofFile(t, &s, &f)
			if c.total != f.NumberOfTests || c.total == 0 {
				t.Errorf("ran %d vectors, file declares %d", c.total, f.NumberOfTests)
			}
			t.Logf("%s (%s): %d vectors: passed %d, refused-by-policy %d, acceptable-rejected %d, acceptable-accepted %d",
				s.file, s.alg, c.total, c.passed, c.refusedByPolicy, c.acceptableRejected, c.acceptableAccepted)
		})
	}
}

func runWycheproofFile(t *testing.T, s *wpSuite, f *wpFile) wpCounts {
	var c wpCounts
	for gi := range f.TestGroups {
		g := &f.TestGroups[gi]
		c.total += len(g.Tests)
		if g.Type != s.groupType {
			t.Errorf("group %d: type %q, want %q", gi, g.Type, s.groupType)
			continue
		}
		if err := s.check(g); err != nil {
			t.Errorf("group %d: %v", gi, err)
			continue
		}
		jwk, err := s.jwk(g)
		if err != nil {
			t.Errorf("group %d: build JWK: %v", gi, err)
			continue
		}
		key, _, err := jwtlite.ParseKey(jwk, []jwtlite.Algorithm{s.alg})
		if err != nil {
			wycheproofKeyRefused(t, s, g, gi, err, &c)
			continue
		}
		if key.Alg != s.alg {
			t.Errorf("group %d: key bound to %q, want %q", gi, key.Alg, s.alg)
			continue
		}
		if s.outsidePolicy(g) {
			t.Logf("group %d: note: %d-bit key with e=0x%s accepted by ParseKey (docs/configuration.md#keys: e odd and > 1)", gi, g.KeySize, g.E)
		}
		for ti := range g.Tests {
			wycheproofVector(t, s, key, &g.Tests[ti], &c)
		}
	}
	return c
}

// wycheproofKeyRefused accounts for a group whose key ParseKey refused.
func wycheproofKeyRefused(t *testing.T, s *wpSuite, g *wpGroup, gi int, err error, c *wpCounts) {
	t.Helper()
	if !errors.Is(err, jwtlite.ErrInvalidKey) {
		t.Errorf("group %d: ParseKey error %v does not wrap ErrInvalidKey", gi, err)
		return
	}
	if s.outsidePolicy(g) {
		t.Logf("group %d: key refused by policy (%d-bit, e=0x%s): %v", gi, g.KeySize, g.E, err)
		c.refusedByPolicy += len(g.Tests)
		return
	}
	for _, tc := range g.Tests {
		if tc.Result == "invalid" {
			c.passed++
			continue
		}
		t.Errorf("tcId %d (%s, %q): ParseKey refused a key within policy: %v", tc.TcID, tc.Result, tc.Comment, err)
	}
}

// wycheproofVector checks one vector against key (and against each alternative algorithm name).
func wycheproofVector(t *testing.T, s *wpSuite, key *jwtlite.Key, tc *wpTest, c *wpCounts) {
	t.Helper()
	msg, err1 := hex.DecodeString(tc.Msg)
	sig, err2 := hex.DecodeString(tc.Sig)
	if err1 != nil || err2 != nil {
		t.Errorf("tcId %d: bad hex in vector", tc.TcID)
		return
	}
	err := key.Verify(s.alg, msg, sig)
	for _, alt := range s.altAlgs {
		if altErr := key.Verify(alt, msg, sig); (altErr == nil) != (err == nil) {
			t.Errorf("tcId %d: verdict with alg %q (%v) differs from %q (%v)", tc.TcID, alt, altErr, s.alg, err)
		}
	}
	where := func() string { return fmt.Sprintf("tcId %d (%s, %q)", tc.TcID, tc.Result, tc.Comment) }
	switch tc.Result {
	case "valid":
		if err != nil {
			t.Errorf("%s: valid signature refused: %v", where(), err)
			return
		}
		c.passed++
	case "invalid":
		if !errors.Is(err, jwtlite.ErrBadSignature) {
			t.Errorf("%s flags %v: got %v, want ErrBadSignature", where(), tc.Flags, err)
			return
		}
		c.passed++
	case "acceptable":
		// Every flag needs a policy; one must-reject flag makes the vector must-reject.
		verdict := keyDependent
		for _, fl := range tc.Flags {
			v, ok := acceptablePolicy[fl]
			if !ok {
				t.Errorf("%s: no policy for acceptable flag %q", where(), fl)
				return
			}
			if v == mustReject {
				verdict = mustReject
			}
		}
		if len(tc.Flags) == 0 {
			verdict = mustReject
		}
		switch {
		case err == nil && verdict == keyDependent:
			c.acceptableAccepted++
		case errors.Is(err, jwtlite.ErrBadSignature) && verdict == mustReject:
			c.acceptableRejected++
		default:
			t.Errorf("%s flags %v: got %v, policy %v", where(), tc.Flags, err, verdict)
		}
	default:
		t.Errorf("%s: unknown result", where())
	}
	// The bound algorithm is the only one this key verifies (RFC 8725 §3.1).
	if tc.Result == "valid" {
		if other := otherAlg(s.alg); !errors.Is(key.Verify(other, msg, sig), jwtlite.ErrUnknownKey) {
			t.Errorf("%s: Verify with alg %q did not give ErrUnknownKey", where(), other)
		}
	}
}

// otherAlg returns an algorithm of the same family that a key bound to a must not accept.
func otherAlg(a jwtlite.Algorithm) jwtlite.Algorithm {
	switch a {
	case jwtlite.RS256:
		return jwtlite.PS256
	case jwtlite.PS256:
		return jwtlite.RS256
	case jwtlite.ES256:
		return jwtlite.ES384
	}
	return jwtlite.HS256
}
