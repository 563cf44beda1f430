package jwtlite

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"strconv"
	"strings"

	"github.com/buger/jsonparser"

	"github.com/audguard/audguard/internal/errs"
)

// jwk holds the members of one JWK (RFC 7517 §4, RFC 7518 §6) that matter for verification,
// and which private members it has (a key with any is refused, docs/configuration.md#keys).
// Certificate members are ignored.
type jwk struct {
	idx                            int
	kty, kid, alg, use, crv        string
	hasKid, hasAlg, hasUse, hasCrv bool
	n, e, x, y, k                  []byte // still base64url
	hasN, hasE, hasX, hasY, hasK   bool
	keyOps                         []string
	hasKeyOps                      bool
	private                        [len(privateMembers)]bool // by index into privateMembers
}

// privateMembers are the private key members of a JWK: RSA's d, p, q, dp, dq, qi and oth (RFC
// 7518 §6.3.2), EC's d (§6.2.2), OKP's d (RFC 8037 §2). A verification key is the public half
// only; a JWK with any of them is someone's signing key, which must not sit in a proxy's
// configuration (where its config dump shows it) or be published in a JWK Set.
var privateMembers = [...]string{"d", "p", "q", "dp", "dq", "qi", "oth"}

// IsPrivateMember reports whether name is a private key member of a JWK (privateMembers).
func IsPrivateMember(name string) bool {
	for _, m := range privateMembers {
		if name == m {
			return true
		}
	}
	return false
}

// name identifies the key in messages by index and kid (never key material).
func (j *jwk) name() string {
	if j.hasKid {
		return "key " + strconv.Itoa(j.idx) + " (kid " + strconv.Quote(j.kid) + ")"
	}
	return "key " + strconv.Itoa(j.idx) + " (no kid)"
}

func (j *jwk) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidKey, j.name(), fmt.Sprintf(format, args...))
}

// keyError is a refused key of a kind a caller may tell apart (ErrRSAParameters): its message
// reads as errorf's, and it wraps both ErrInvalidKey and kind.
type keyError struct {
	_    [0]func() // not comparable: no generated equality function in the module
	msg  string
	kind error
}

func (e *keyError) Error() string   { return e.msg }
func (e *keyError) Unwrap() []error { return []error{ErrInvalidKey, e.kind} }

// refuse is errorf for an error that also wraps kind.
func (j *jwk) refuse(kind error, format string, args ...any) error {
	return &keyError{msg: j.errorf(format, args...).Error(), kind: kind}
}

// errSkip carries the reason a key is skipped (a warning, not a failure).
type errSkip struct{ msg string }

func (e *errSkip) Error() string { return e.msg }

func (j *jwk) skip(format string, args ...any) error {
	return &errSkip{j.name() + ": skipped: " + fmt.Sprintf(format, args...)}
}

// decodeJWK reads the members of a JWK object. String members must be strings and key_ops an
// array of strings (RFC 7517 §4.3).
func decodeJWK(idx int, raw []byte) (*jwk, error) {
	j := &jwk{idx: idx}
	var scratch []byte
	str := func(v []byte, vt jsonparser.ValueType) (string, error) {
		if vt != jsonparser.String {
			return "", errors.New("not a string")
		}
		u, err := unescape(v, &scratch)
		return string(u), err
	}
	var bad string
	err := jsonparser.ObjectEach(raw, func(key, v []byte, vt jsonparser.ValueType, _ int) error {
		var err error
		var s string
		switch string(key) {
		case "kty", "kid", "alg", "use", "crv", "n", "e", "x", "y", "k":
			if s, err = str(v, vt); err != nil {
				bad = string(key)
				return err
			}
		case "key_ops":
			j.hasKeyOps = true
			if vt != jsonparser.Array {
				bad = "key_ops"
				return errors.New("not an array")
			}
			var inner error
			_, err = jsonparser.ArrayEach(v, func(e []byte, et jsonparser.ValueType, _ int, _ error) {
				s, err := str(e, et)
				if err != nil {
					inner = err
				}
				j.keyOps = append(j.keyOps, s)
			})
			if inner != nil || err != nil {
				bad = "key_ops"
				return errors.New("not an array of strings")
			}
			return nil
		default:
			for i, m := range privateMembers {
				if string(key) == m {
					j.private[i] = true // of any type: its presence is the problem
				}
			}
			return nil
		}
		switch string(key) {
		case "kty":
			j.kty = s
		case "kid":
			j.kid, j.hasKid = s, true
		case "alg":
			j.alg, j.hasAlg = s, true
		case "use":
			j.use, j.hasUse = s, true
		case "crv":
			j.crv, j.hasCrv = s, true
		case "n":
			j.n, j.hasN = []byte(s), true
		case "e":
			j.e, j.hasE = []byte(s), true
		case "x":
			j.x, j.hasX = []byte(s), true
		case "y":
			j.y, j.hasY = []byte(s), true
		case "k":
			j.k, j.hasK = []byte(s), true
		}
		return nil
	})
	if err != nil {
		if bad != "" {
			return j, j.errorf("member %q has the wrong type", bad)
		}
		return j, j.errorf("not a JSON object")
	}
	return j, nil
}

// hsListed reports whether algorithms contains an HS* algorithm.
func hsListed(algorithms []Algorithm) bool {
	for _, a := range algorithms {
		if a.IsHMAC() {
			return true
		}
	}
	return false
}

// fits reports whether algorithm a can be used with this key's kty and crv (RFC 7518 §6).
func (j *jwk) fits(a Algorithm) bool {
	switch j.kty {
	case "RSA":
		return a.isRSA()
	case "EC":
		return a.ecCurve() != "" && a.ecCurve() == j.crv
	case "OKP":
		return j.crv == "Ed25519" && a.isEdDSA()
	case "oct":
		return a.IsHMAC()
	}
	return false
}

// listed reports whether a is in algorithms (EdDSA ≡ Ed25519).
func listed(a Algorithm, algorithms []Algorithm) bool {
	for _, b := range algorithms {
		if sameAlgorithm(a, b) {
			return true
		}
	}
	return false
}

// buildKey applies docs/configuration.md#keys to one decoded JWK. It returns the usable key, or an *errSkip
// (a warning) or an error wrapping ErrInvalidKey.
func buildKey(j *jwk, algorithms []Algorithm) (*Key, error) {
	// Private key material refuses the key whatever else it is (RFC 7517 §9.2: private keys
	// must be protected from disclosure), before any rule could merely skip it: a configured
	// one is in the host's config dump, a published one signs tokens for whoever reads it.
	var names []string
	for i, has := range j.private {
		if has {
			names = append(names, strconv.Quote(privateMembers[i]))
		}
	}
	if len(names) > 0 {
		return nil, j.refuse(ErrPrivateKey, "holds private key members (%s): a verification key is the public half only", strings.Join(names, ", "))
	}
	// An "oct" key's "k" is a shared secret (RFC 7518 §6.4.1): it belongs in the configuration
	// of an issuer that verifies HMAC tokens with it, and nowhere else.
	if j.kty == "oct" && j.hasK && !hsListed(algorithms) {
		return nil, j.refuse(ErrPrivateKey, `"k" is a shared secret, and "algorithms" lists no HS algorithm`)
	}
	if j.kty == "" {
		return nil, j.errorf(`"kty" is missing or empty`)
	}
	if hsListed(algorithms) && j.kty != "oct" {
		return nil, j.errorf(`"algorithms" lists an HS algorithm, so every key must be "oct" (kty is %q)`, j.kty)
	}
	// RFC 7517 §4.2, §4.3: keys meant for something other than verifying signatures.
	if j.hasUse && j.use != "sig" {
		return nil, j.skip(`"use" is %q, not "sig"`, j.use)
	}
	if j.hasKeyOps {
		verify := false
		for _, op := range j.keyOps {
			verify = verify || op == "verify"
		}
		if !verify {
			return nil, j.skip(`"key_ops" does not include "verify"`)
		}
	}
	switch j.kty {
	case "RSA":
	case "EC":
		if !j.hasCrv {
			return nil, j.errorf(`EC key without "crv"`)
		}
		if j.crv != "P-256" && j.crv != "P-384" && j.crv != "P-521" {
			return nil, j.skip("unsupported EC curve %q", j.crv)
		}
	case "OKP":
		if !j.hasCrv {
			return nil, j.errorf(`OKP key without "crv"`)
		}
		if j.crv != "Ed25519" {
			return nil, j.skip("unsupported OKP curve %q", j.crv)
		}
	case "oct":
		if !hsListed(algorithms) {
			return nil, j.skip(`"oct" keys need an HS algorithm listed in "algorithms"`)
		}
	default:
		return nil, j.skip("unsupported key type %q", j.kty)
	}

	// Binding (docs/configuration.md#keys, RFC 8725 §3.1).
	var alg Algorithm
	if j.hasAlg {
		a, ok := ParseAlgorithm(j.alg)
		if !ok {
			return nil, j.skip(`"alg" %q is not a signature algorithm we implement`, j.alg)
		}
		if !j.fits(a) {
			if j.kty == "EC" || j.kty == "OKP" {
				return nil, j.errorf(`"alg" %s does not fit a %s key on curve %q`, a, j.kty, j.crv)
			}
			return nil, j.errorf(`"alg" %s does not fit a %s key`, a, j.kty)
		}
		alg = a
	} else {
		var fit []Algorithm
		for _, a := range algorithms {
			if j.fits(a) && !listed(a, fit) {
				fit = append(fit, a)
			}
		}
		switch {
		case len(fit) == 1:
			alg = fit[0]
		case j.kty == "EC":
			switch j.crv { // checked above: one of the three
			case "P-256":
				alg = ES256
			case "P-384":
				alg = ES384
			case "P-521":
				alg = ES512
			}
		case j.kty == "OKP":
			alg = EdDSA
		case j.kty == "RSA":
			return nil, j.errorf(`RSA key without "alg" needs "algorithms" with exactly one RSA algorithm`)
		default:
			return nil, j.errorf(`oct key without "alg" needs "algorithms" with exactly one HS algorithm`)
		}
	}

	k := &Key{ID: j.kid, hasKid: j.hasKid, Alg: alg, Kty: j.kty}
	if err := j.material(k); err != nil {
		return nil, err
	}
	if algorithms != nil && !listed(alg, algorithms) {
		return nil, j.skip(`bound algorithm %s is not in "algorithms"`, alg)
	}
	k.fingerprint = fingerprint(k)
	return k, nil
}

// fingerprint names a key by what verifies with it: kid, type, bound
// algorithm and key material (the RSA modulus and exponent, the EC point, the
// Ed25519 key, an HMAC secret's SHA-256), so two VMs that parsed the same
// key get the same value and a rotated key — even one reusing the kid —
// another.
func fingerprint(k *Key) [32]byte {
	h := sha256.New()
	field := func(b []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	field([]byte(k.ID))
	field([]byte(k.Kty))
	field([]byte(k.Alg))
	switch {
	case k.rsa != nil:
		field(k.rsa.N.Bytes())
		field(big.NewInt(int64(k.rsa.E)).Bytes())
	case k.ec != nil:
		field(k.ec.X.Bytes())
		field(k.ec.Y.Bytes())
	case k.ed != nil:
		field(k.ed)
	default:
		s := sha256.Sum256(k.secret)
		field(s[:])
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Fingerprint identifies the key (see fingerprint): the shared cache ties a
// verified token to the key that verified it.
func (k *Key) Fingerprint() *[32]byte { return &k.fingerprint }

// b64 decodes a strict base64url member (RFC 7515 §2).
func (j *jwk) b64(member string, has bool, v []byte) ([]byte, error) {
	if !has {
		return nil, j.errorf("member %q is missing", member)
	}
	out, ok := decodeB64(nil, v)
	if !ok {
		return nil, j.errorf("member %q is not strict unpadded base64url", member)
	}
	return out, nil
}

// material decodes and validates the public key (RFC 7518 §6.2.1, §6.3.1, §6.4; RFC 8037 §2).
func (j *jwk) material(k *Key) error {
	switch j.kty {
	case "RSA":
		n, err := j.b64("n", j.hasN, j.n)
		if err != nil {
			return err
		}
		e, err := j.b64("e", j.hasE, j.e)
		if err != nil {
			return err
		}
		// Base64urlUInt (RFC 7518 §2): minimal length, so no leading zero octet.
		if len(n) == 0 || n[0] == 0 || len(e) == 0 || e[0] == 0 {
			return j.errorf(`RSA "n" and "e" must be non-empty and without leading zero octets`)
		}
		// The modulus bounds, both ways (docs/configuration.md#keys): below 2048 bits a key
		// falls short of 112-bit security (NIST SP 800-57 Part 1 Rev. 5 §5.6.1.1, SP 800-131A
		// Rev. 2 §3); above 8192 bits it is a denial of service: each verification costs
		// about the square of the modulus length, any client's token naming the key pays it
		// (a forged signature is checked in full), and a published set chooses the size —
		// 48,000 bits cost 108 ms per request in the module, 8192 bits 3.4 ms (BENCHMARKS.md,
		// "Worst-case key cost"). Counted on the octets, before anything reads the number.
		if size := 8*len(n) - bits.LeadingZeros8(n[0]); size < minRSABits {
			return j.refuse(ErrRSAParameters, "RSA modulus has %d bits; at least %d are required", size, minRSABits)
		} else if size > maxRSABits {
			return j.refuse(ErrRSAParameters, "RSA modulus has %d bits; at most %d are accepted", size, maxRSABits)
		}
		nb := new(big.Int).SetBytes(n)
		if nb.Bit(0) == 0 {
			return j.errorf("RSA modulus is even")
		}
		// The public exponent: odd and 3 ≤ e ≤ 2³¹−1. RFC 8017 §3.1 asks 3 ≤ e ≤ n−1 (odd,
		// being coprime to λ(n)); Go's crypto/rsa refuses e < 2, an even e and e > 2³¹−1
		// (crypto/internal/fips140/rsa checkPublicKey). NIST SP 800-56B Rev. 2 §6.2.1 and
		// FIPS 186-5 §5.5(e) want 2¹⁶ < e < 2²⁵⁶ for keys they approve; we do not refuse
		// e = 3, which signature verification with an exact encoding check (Go's) does not
		// weaken, and the 31-bit ceiling bounds the cost of e at 30 squarings and 30
		// multiplications where 65537 takes 16 and 1 (measured ×2.2–2.7).
		if len(e) > 4 {
			return j.refuse(ErrRSAParameters, "RSA exponent is too large: it must be odd, greater than 1 and below 2^31")
		}
		var ev int64
		for _, b := range e {
			ev = ev<<8 | int64(b)
		}
		if ev <= 1 || ev%2 == 0 || ev > 1<<31-1 {
			return j.refuse(ErrRSAParameters, "RSA exponent must be odd, greater than 1 and below 2^31")
		}
		if hasROCAFingerprint(nb) {
			return j.errorf("RSA modulus has the ROCA fingerprint (CVE-2017-15361); replace the key")
		}
		k.rsa = &rsa.PublicKey{N: nb, E: int(ev)}
	case "EC":
		curve, size := elliptic.P256(), 32
		switch j.crv {
		case "P-384":
			curve, size = elliptic.P384(), 48
		case "P-521":
			curve, size = elliptic.P521(), 66
		}
		x, err := j.b64("x", j.hasX, j.x)
		if err != nil {
			return err
		}
		y, err := j.b64("y", j.hasY, j.y)
		if err != nil {
			return err
		}
		if len(x) != size || len(y) != size {
			return j.errorf(`EC "x" and "y" must be %d octets each for %s`, size, j.crv)
		}
		point := make([]byte, 0, 1+2*size)
		point = append(append(append(point, 4), x...), y...)
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
		if err != nil {
			return j.errorf("EC point is not on curve %s", j.crv)
		}
		k.ec = pub
	case "OKP":
		x, err := j.b64("x", j.hasX, j.x)
		if err != nil {
			return err
		}
		if len(x) != 32 {
			return j.errorf(`Ed25519 "x" must be 32 octets`)
		}
		k.ed = x
	case "oct":
		secret, err := j.b64("k", j.hasK, j.k)
		if err != nil {
			return err
		}
		if min := k.Alg.hash().Size(); len(secret) < min {
			return j.errorf("%s secret has %d octets; at least %d are required", k.Alg, len(secret), min)
		}
		k.secret = secret
	}
	return nil
}

// The accepted RSA modulus lengths, in bits (docs/configuration.md#keys).
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// checkAlgorithms refuses an explicit allowlist that is empty or names anything we do not implement.
func checkAlgorithms(algorithms []Algorithm) error {
	if algorithms != nil && len(algorithms) == 0 {
		return fmt.Errorf(`%w: "algorithms" is empty`, ErrInvalidKey)
	}
	for _, a := range algorithms {
		if _, ok := ParseAlgorithm(string(a)); !ok {
			return fmt.Errorf(`%w: "algorithms" contains %q, which is not a signature algorithm we implement`, ErrInvalidKey, string(a))
		}
	}
	return nil
}

// ParseKeySet parses a JWK Set JSON object (RFC 7517 §5) under the rules of docs/configuration.md#keys.
// algorithms is the issuer's explicit allowlist, or nil for the default (every asymmetric
// algorithm the usable keys are bound to).
//
// Each key is bound to one algorithm (RFC 8725 §3.1): its "alg"; else the one algorithm in
// algorithms that fits its type and curve; else, for EC and OKP, the curve's algorithm
// (P-256→ES256, P-384→ES384, P-521→ES512, Ed25519→EdDSA); else an error naming the key.
// Errors: RSA modulus outside 2048–8192 bits or exponent not odd/>1/<2^31 (these also wrap
// ErrRSAParameters), a ROCA modulus; EC point off its curve; "alg" not fitting kty/crv;
// malformed members; an HS* algorithm in algorithms next to non-oct keys; an oct key shorter
// than its hash; duplicate "kid" among usable keys; duplicate JSON members anywhere. Skipped
// with a warning: "use" not "sig"; "key_ops" without "verify"; unsupported kty, crv or "alg";
// bound algorithm not in an explicit algorithms; oct keys without "k" unless algorithms lists
// an HS* algorithm. Refused whatever else the key is (and wrapping ErrPrivateKey): a private
// key member (d, p, q, dp, dq, qi, oth), and an oct key's "k" unless algorithms lists an HS*
// algorithm. No usable key left gives ErrNoUsableKey.
// Errors wrap ErrInvalidKey or ErrNoUsableKey and never contain key material.
func ParseKeySet(jwks []byte, algorithms []Algorithm) (ks *KeySet, warnings []string, err error) {
	if err := checkAlgorithms(algorithms); err != nil {
		return nil, nil, err
	}
	var c jsonChecker
	if err := c.checkObject(jwks); err != nil {
		return nil, nil, fmt.Errorf("%w: JWK Set: %v", ErrInvalidKey, err)
	}
	keys, vt, _, err := jsonparser.Get(jwks, "keys")
	if err != nil || vt != jsonparser.Array {
		return nil, nil, fmt.Errorf(`%w: JWK Set: "keys" must be an array`, ErrInvalidKey)
	}
	ks = &KeySet{byKid: map[string]*Key{}}
	idx := 0
	var firstErr error
	// Every "kid" in the set, usable or skipped: a duplicate refuses the set (docs/configuration.md#keys), so
	// which key a kid names never depends on which keys happen to be usable.
	allKids := map[string]int{}
	_, _ = jsonparser.ArrayEach(keys, func(v []byte, et jsonparser.ValueType, _ int, _ error) {
		i := idx
		idx++
		if firstErr != nil {
			return
		}
		if et != jsonparser.Object {
			firstErr = fmt.Errorf("%w: key %d: not a JSON object", ErrInvalidKey, i)
			return
		}
		if kid, kerr := jsonparser.GetString(v, "kid"); kerr == nil {
			if j, dup := allKids[kid]; dup {
				firstErr = fmt.Errorf("%w: key %d: duplicate kid %q (also key %d)", ErrInvalidKey, i, kid, j)
				return
			}
			allKids[kid] = i
		}
		k, w, err := parseOne(i, v, algorithms)
		warnings = append(warnings, w...)
		if err != nil {
			if !errors.Is(err, ErrNoUsableKey) {
				firstErr = err
			}
			return
		}
		if k.hasKid {
			if _, dup := ks.byKid[k.ID]; dup {
				firstErr = fmt.Errorf("%w: key %d: duplicate kid %q", ErrInvalidKey, i, k.ID)
				return
			}
			ks.byKid[k.ID] = k
		}
		ks.Keys = append(ks.Keys, k)
	})
	if firstErr != nil {
		return nil, warnings, firstErr
	}
	if len(ks.Keys) == 0 {
		return nil, warnings, fmt.Errorf("%w: the JWK Set has no usable key (%d keys, all skipped)", ErrNoUsableKey, idx)
	}
	return ks, warnings, nil
}

// parseOne decodes and builds key idx; a skipped key gives its warning and ErrNoUsableKey.
func parseOne(idx int, raw []byte, algorithms []Algorithm) (*Key, []string, error) {
	j, err := decodeJWK(idx, raw)
	if err != nil {
		return nil, nil, err
	}
	k, err := buildKey(j, algorithms)
	if skip, ok := errs.As[*errSkip](err); ok {
		return nil, []string{skip.msg}, fmt.Errorf("%w: %s", ErrNoUsableKey, skip.msg)
	}
	if err != nil {
		return nil, nil, err
	}
	return k, nil, nil
}

// ParseKey parses one JWK (RFC 7517 §4) under the same rules as ParseKeySet. A key that
// ParseKeySet would skip gives its warning and an error wrapping ErrNoUsableKey.
func ParseKey(jwk []byte, algorithms []Algorithm) (*Key, []string, error) {
	if err := checkAlgorithms(algorithms); err != nil {
		return nil, nil, err
	}
	var c jsonChecker
	if err := c.checkObject(jwk); err != nil {
		return nil, nil, fmt.Errorf("%w: JWK: %v", ErrInvalidKey, err)
	}
	return parseOne(0, jwk, algorithms)
}
