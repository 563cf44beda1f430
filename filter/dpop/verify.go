package dpop

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/buger/jsonparser"

	"github.com/audguard/audguard/canonical"
	"github.com/audguard/audguard/internal/lex"
	"github.com/audguard/audguard/jwtlite"
)

// Defaults and bounds of Config (zero fields take the default).
const (
	// DefaultMaxAge is how old a proof's iat may be: RFC 9449 §11.1 asks for a window short
	// enough that the replay set can hold every jti seen in it.
	DefaultMaxAge = 60 * time.Second
	// DefaultMaxFuture is how far ahead of our clock a proof's iat may be (client clock skew).
	DefaultMaxFuture = 10 * time.Second
	// DefaultMaxProofBytes fits a proof with an 8192-bit RSA key (about 3,600 bytes).
	DefaultMaxProofBytes = 4096
	// DefaultMaxJTIBytes fits every common jti (a UUID is 36, 32 random bytes in base64url 43).
	DefaultMaxJTIBytes = 128
	// DefaultKeyCacheSize is how many proof keys a Verifier keeps parsed (a client signs
	// every proof with the same key, RFC 9449 §4.1).
	DefaultKeyCacheSize = 64

	minAge, maxAge           = time.Second, 10 * time.Minute
	minFuture, maxFuture     = time.Second, 5 * time.Minute
	minProofBytes, maxProof  = 512, 65536
	minJTIBytes, maxJTIBytes = 16, 1024
	maxKeyCache              = 4096
)

// NonceChecker decides whether a proof's "nonce" claim is one this server provided and still
// accepts (RFC 9449 §4.3 step 10, §9). *Nonces implements it.
type NonceChecker interface {
	Valid(nonce []byte, now time.Time) bool
}

// Config configures a Verifier. Zero values take the defaults above.
type Config struct {
	// Algorithms the proof's "alg" must be one of (RFC 9449 §4.3 step 5). Asymmetric only:
	// ES256/384/512, EdDSA and Ed25519 (either accepts the other, RFC 9864 §2.2), RS256/384/512,
	// PS256/384/512; "none", HS* and unknown names are refused by NewVerifier. nil: all of them.
	Algorithms []jwtlite.Algorithm
	// MaxAge: the oldest iat accepted is now−MaxAge (1 s – 10 min). ReplaySet remembers a
	// proof until iat+MaxAge.
	MaxAge time.Duration
	// MaxFuture: the latest iat accepted is now+MaxFuture (1 s – 5 min).
	MaxFuture time.Duration
	// MaxProofBytes: longer proofs are refused before decoding (512 – 65536).
	MaxProofBytes int
	// MaxJTIBytes bounds "jti" (16 – 1024), and so the memory of the replay key input.
	MaxJTIBytes int
	// Nonce, when set, makes "nonce" required and valid by it (RFC 9449 §9).
	Nonce NonceChecker
	// KeyCacheSize: parsed proof keys kept per Verifier, oldest replaced first (1 – 4096).
	KeyCacheSize int
}

// Request is what the resource knows of the request a proof came with.
type Request struct {
	// Method is the request's method (":method"), compared with "htm" exactly: methods are
	// case-sensitive (RFC 9110 §9.1).
	Method string
	// Target is the request's target URI as the resource computes it: the scheme and
	// authority of the resource's own canonical URI, never the request's Host or
	// X-Forwarded-*, followed by the request path without query (see Target). It must be an
	// absolute http(s) URI without userinfo, query or fragment.
	Target string
	// AccessToken is the access token the request presents with the DPoP scheme; "" when the
	// proof comes without one (then "ath" is not checked).
	AccessToken string
}

// Target returns origin (scheme "://" authority, e.g. "https://mcp.example.com", from the
// resource's canonical URI) followed by path with its query and fragment removed: the target
// URI of RFC 9449 §4.2 "htu" (RFC 9110 §7.1) for Request.Target. An empty path reads as "/".
func Target(origin, path string) string {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	if path == "" {
		path = "/"
	}
	return origin + path
}

// OneProof returns the one DPoP header value among values (every DPoP field of the request,
// as the host lists them): ErrMissing when there is none or it is empty, ErrMultiple when
// there are more (RFC 9449 §4.3 step 1).
func OneProof(values []string) (string, error) {
	switch {
	case len(values) == 0 || len(values) == 1 && values[0] == "":
		return "", ErrMissing
	case len(values) > 1:
		return "", ErrMultiple
	}
	return values[0], nil
}

// Proof is what a verified proof tells the resource.
type Proof struct {
	// JKT is the RFC 7638 SHA-256 thumbprint of the proof's "jwk", base64url: compare it with
	// the access token's "cnf"."jkt" (CheckBinding, CheckDPoP; RFC 9449 §6.1).
	JKT string
	// JTI is the "jti" claim. It aliases the Verifier's buffer: valid until its next Verify.
	JTI []byte
	// IssuedAt is the "iat" claim.
	IssuedAt time.Time
	// Alg is the proof's "alg".
	Alg jwtlite.Algorithm
	// Nonce is the "nonce" claim when Config.Nonce is set (nil otherwise): with Nonces.Stale
	// it tells whether the response should carry a fresh DPoP-Nonce (RFC 9449 §8.2). It
	// aliases the Verifier's buffer, as JTI does.
	Nonce []byte
	// Target is the canonical form of the target URI "htu" matched (RFC 3986 §6.2.2, §6.2.3).
	Target string
	// ReplayKey identifies the proof for replay detection: SHA-256 over JKT, Target and JTI,
	// each length-prefixed, so that only the same key's proof for the same target with the
	// same jti is a replay (RFC 9449 §11.1).
	ReplayKey [32]byte
	// ReplayUntil is IssuedAt+MaxAge: after it the proof fails the iat check anyway, so a
	// replay set need not remember it longer.
	ReplayUntil time.Time
}

// Verifier checks DPoP proofs at a protected resource (RFC 9449 §4.3, §7.1). It keeps parsing
// buffers and a cache of parsed proof keys: not safe for concurrent use — give each VM (each
// proxy-wasm worker, single-threaded) its own.
type Verifier struct {
	cfg    Config
	parser jwtlite.Parser
	tok    jwtlite.Token
	thumb  thumbprinter

	keys    map[string]*cachedKey // by the jwk member's JSON text
	keyRing []string              // cache keys in insertion order, for replacement
	keyNext int

	target  string        // the last Request.Target seen, when it was valid
	tgtURI  canonical.URI // its parsed canonical form
	tgtText string        // tgtURI.String()

	jti, htm, htu, nonce, ath []byte // unescaping buffers
	tokBuf, keyIn             []byte // access token copy (ath), replay key input
	algs                      [algCount]bool
}

// cachedKey is a proof key jwtlite accepted for alg, with its thumbprint.
type cachedKey struct {
	_   [0]func() // not comparable: no generated equality function in the module
	alg jwtlite.Algorithm
	key *jwtlite.Key
	jkt string
}

// asymmetric lists the algorithms a Config may name, in a fixed order (indexes into algs).
var asymmetric = [...]jwtlite.Algorithm{
	jwtlite.ES256, jwtlite.ES384, jwtlite.ES512, jwtlite.EdDSA, jwtlite.Ed25519,
	jwtlite.RS256, jwtlite.RS384, jwtlite.RS512, jwtlite.PS256, jwtlite.PS384, jwtlite.PS512,
}

const algCount = len(asymmetric)

func algIndex(a jwtlite.Algorithm) int {
	for i, b := range asymmetric {
		if a == b {
			return i
		}
	}
	return -1
}

// NewVerifier checks cfg and returns a Verifier. Errors wrap ErrConfig.
func NewVerifier(cfg Config) (*Verifier, error) {
	v := &Verifier{}
	if cfg.Algorithms == nil {
		for i := range v.algs {
			v.algs[i] = true
		}
	} else {
		if len(cfg.Algorithms) == 0 {
			return nil, fmt.Errorf("%w: Algorithms is empty", ErrConfig)
		}
		for _, a := range cfg.Algorithms {
			i := algIndex(a)
			if i < 0 {
				return nil, fmt.Errorf("%w: algorithm %q is not an asymmetric JWS algorithm we implement (never none or HS*; RFC 9449 §4.3 step 5)", ErrConfig, string(a))
			}
			v.algs[i] = true
		}
		// EdDSA and Ed25519 name the same thing for an Ed25519 key (RFC 9864 §2.2).
		ed, ed2 := algIndex(jwtlite.EdDSA), algIndex(jwtlite.Ed25519)
		v.algs[ed], v.algs[ed2] = v.algs[ed] || v.algs[ed2], v.algs[ed] || v.algs[ed2]
		cfg.Algorithms = append([]jwtlite.Algorithm(nil), cfg.Algorithms...)
	}
	var err error
	dur := func(d *time.Duration, def, lo, hi time.Duration, name string) {
		if *d == 0 {
			*d = def
		}
		if err == nil && (*d < lo || *d > hi) {
			err = fmt.Errorf("%w: %s is %v; it must be between %v and %v", ErrConfig, name, *d, lo, hi)
		}
	}
	num := func(n *int, def, lo, hi int, name string) {
		if *n == 0 {
			*n = def
		}
		if err == nil && (*n < lo || *n > hi) {
			err = fmt.Errorf("%w: %s is %d; it must be between %d and %d", ErrConfig, name, *n, lo, hi)
		}
	}
	dur(&cfg.MaxAge, DefaultMaxAge, minAge, maxAge, "MaxAge")
	dur(&cfg.MaxFuture, DefaultMaxFuture, minFuture, maxFuture, "MaxFuture")
	num(&cfg.MaxProofBytes, DefaultMaxProofBytes, minProofBytes, maxProof, "MaxProofBytes")
	num(&cfg.MaxJTIBytes, DefaultMaxJTIBytes, minJTIBytes, maxJTIBytes, "MaxJTIBytes")
	num(&cfg.KeyCacheSize, DefaultKeyCacheSize, 1, maxKeyCache, "KeyCacheSize")
	if err != nil {
		return nil, err
	}
	v.cfg = cfg
	v.keys = make(map[string]*cachedKey, cfg.KeyCacheSize)
	v.keyRing = make([]string, 0, cfg.KeyCacheSize)
	return v, nil
}

// Config returns the configuration with its defaults filled in.
func (v *Verifier) Config() Config { return v.cfg }

// Verify checks proof, the value of the request's one DPoP header (see OneProof), against req
// at now, in this order, returning the first failure (each check has its own sentinel):
//
//	empty                                        ErrMissing     RFC 9449 §4.1
//	longer than MaxProofBytes                    ErrTooLarge
//	a comma: several values joined               ErrMultiple    §4.3 step 1
//	one JWS compact JWT, strict base64url, strict
//	  JSON (duplicate members refused anywhere)  ErrMalformed   §4.3 step 2; RFC 7515 §7.1
//	"alg" present, implemented, never none; no
//	  "crit"                                     ErrAlgorithm   §4.3 step 5; RFC 7515 §4.1.11
//	"typ" dpop+jwt                               ErrType        §4.3 step 4
//	"alg" in Config.Algorithms                   ErrAlgorithm   §4.3 step 5
//	"jwk" present, an object                     ErrNoKey       §4.2
//	"jwk" without private members                ErrPrivateKey  §4.3 step 7
//	"jwk" a public key usable with "alg"         ErrKeyUnusable §4.2; RFC 7518 §6
//	signature valid under "jwk"                  ErrSignature   §4.3 step 6
//	"jti" a string of 1..MaxJTIBytes bytes       ErrJTI         §4.2, §4.3 step 3
//	"htm" = req.Method                           ErrMethod      §4.3 step 8
//	"htu" = req.Target after normalization       ErrTarget      §4.3 step 9
//	"nonce" valid, when Config.Nonce is set      ErrNonce       §4.3 step 10, §9
//	"iat" within [now−MaxAge, now+MaxFuture]     ErrIssuedAt    §4.3 step 11, §11.1
//	"ath" = base64url(SHA-256(req.AccessToken)),
//	  when req.AccessToken is set                ErrTokenHash   §4.3 step 12, §7.1
//
// "typ" is compared ASCII case-insensitively, "application/dpop+jwt" included (RFC 7515
// §4.1.9). "htu" and req.Target are compared after RFC 3986 §6.2.2 syntax-based and §6.2.3
// scheme-based normalization (scheme and host case, default port, percent-encoding, dot
// segments: canonical.Parse), as RFC 9449 §4.3 recommends; the query and fragment of "htu"
// are ignored ("ignoring any query and fragment parts", §4.3 step 9). Members the proof
// carries beyond these are ignored (§4.2).
//
// Verify does not check replay (ReplaySet.Seen with the returned Proof) nor the binding to
// the access token (CheckDPoP / CheckBinding); the caller runs both, RFC 9449 §4.3 steps 11
// and 12. Nothing of the proof appears in errors; callers must not log proofs or tokens.
//
// After warm-up (the same client key and target seen before) Verify allocates nothing beyond
// what the signature check allocates: jwtlite's Key.Verify, for ECDSA the standard library's
// ecdsa.VerifyASN1; nothing at all for EdDSA (alloc_test.go).
func (v *Verifier) Verify(proof string, req Request, now time.Time) (Proof, error) {
	switch {
	case proof == "":
		return Proof{}, ErrMissing
	case len(proof) > v.cfg.MaxProofBytes:
		return Proof{}, ErrTooLarge
	case strings.IndexByte(proof, ',') >= 0:
		return Proof{}, ErrMultiple
	}
	if err := v.parser.Parse(proof, &v.tok); err != nil {
		if err == jwtlite.ErrUnsupportedAlgorithm {
			return Proof{}, ErrAlgorithm
		}
		return Proof{}, ErrMalformed
	}
	h := &v.tok.Header
	if !h.HasTyp || !isDPoPType(h.Typ) {
		return Proof{}, ErrType
	}
	if i := algIndex(h.Alg); i < 0 || !v.algs[i] {
		return Proof{}, ErrAlgorithm
	}
	jwk, ok := headerJWK(v.parser.HeaderJSON())
	if !ok {
		return Proof{}, ErrNoKey
	}
	ck, err := v.key(jwk, h.Alg)
	if err != nil {
		return Proof{}, err
	}
	if ck.key.Verify(h.Alg, v.tok.SigningInput, v.tok.Signature) != nil {
		return Proof{}, ErrSignature
	}

	var cl proofClaims
	cl.read(v.tok.Claims.Raw())
	jti, ok := cl.get(cJTI, &v.jti)
	if !ok || len(jti) == 0 || len(jti) > v.cfg.MaxJTIBytes {
		return Proof{}, ErrJTI
	}
	if htm, ok := cl.get(cHTM, &v.htm); !ok || string(htm) != req.Method {
		return Proof{}, ErrMethod
	}
	htu, ok := cl.get(cHTU, &v.htu)
	if !ok || !v.matchTarget(htu, req.Target) {
		return Proof{}, ErrTarget
	}
	var nonce []byte
	if v.cfg.Nonce != nil {
		if nonce, ok = cl.get(cNonce, &v.nonce); !ok || !v.cfg.Nonce.Valid(nonce, now) {
			return Proof{}, ErrNonce
		}
	}
	iat, ok := v.tok.Claims.IssuedAt()
	if !ok || !v.inWindow(iat, now) {
		return Proof{}, ErrIssuedAt
	}
	if req.AccessToken != "" {
		ath, ok := cl.get(cATH, &v.ath)
		if !ok || !v.tokenHashIs(ath, req.AccessToken) {
			return Proof{}, ErrTokenHash
		}
	}

	issued := numericTime(iat)
	p := Proof{
		JKT:         ck.jkt,
		JTI:         jti,
		IssuedAt:    issued,
		Alg:         h.Alg,
		Target:      v.tgtText,
		Nonce:       nonce,
		ReplayUntil: issued.Add(v.cfg.MaxAge),
	}
	p.ReplayKey = v.replayKey(ck.jkt, v.tgtText, jti)
	return p, nil
}

// isDPoPType reports whether typ names application/dpop+jwt (RFC 9449 §4.2, §13.2), with or
// without the "application/" prefix and in any ASCII case (RFC 7515 §4.1.9).
func isDPoPType(typ []byte) bool {
	return lex.EqualFold(typ, "dpop+jwt") || lex.EqualFold(typ, "application/dpop+jwt")
}

// headerJWK returns the "jwk" member of the header when it is a JSON object.
func headerJWK(header []byte) ([]byte, bool) {
	var jwk []byte
	_ = jsonparser.ObjectEach(header, func(key, v []byte, vt jsonparser.ValueType, _ int) error {
		if string(key) == "jwk" && vt == jsonparser.Object {
			jwk = v
		}
		return nil
	})
	return jwk, jwk != nil
}

// hasPrivateMember reports whether jwk has a member of a private or symmetric key: RSA d, p,
// q, dp, dq, qi, oth (RFC 7518 §6.3.2), EC and OKP d (§6.2.2, RFC 8037 §2), oct k (§6.4.1).
func hasPrivateMember(jwk []byte) bool {
	found := false
	_ = jsonparser.ObjectEach(jwk, func(key, _ []byte, _ jsonparser.ValueType, _ int) error {
		switch string(key) {
		case "d", "p", "q", "dp", "dq", "qi", "oth", "k":
			found = true
		}
		return nil
	})
	return found
}

// key returns the cached parsed key for the jwk text and alg, parsing and caching it on a
// miss: private members refused (ErrPrivateKey), then jwtlite.ParseKey with alg as the only
// algorithm, so the key must fit alg (kty, crv, its own "alg", "use", "key_ops", RSA size,
// EC point on the curve), else ErrKeyUnusable.
func (v *Verifier) key(jwk []byte, alg jwtlite.Algorithm) (*cachedKey, error) {
	if ck := v.keys[string(jwk)]; ck != nil && ck.alg == alg {
		return ck, nil
	}
	if hasPrivateMember(jwk) {
		return nil, ErrPrivateKey
	}
	k, _, err := jwtlite.ParseKey(jwk, []jwtlite.Algorithm{alg})
	if err != nil {
		return nil, ErrKeyUnusable
	}
	sum, err := v.thumb.sum(jwk)
	if err != nil {
		return nil, ErrKeyUnusable
	}
	ck := &cachedKey{alg: alg, key: k, jkt: base64.RawURLEncoding.EncodeToString(sum[:])}
	text := string(jwk)
	if _, ok := v.keys[text]; !ok {
		if len(v.keyRing) < v.cfg.KeyCacheSize {
			v.keyRing = append(v.keyRing, text)
		} else {
			delete(v.keys, v.keyRing[v.keyNext])
			v.keyRing[v.keyNext] = text
			v.keyNext = (v.keyNext + 1) % len(v.keyRing)
		}
	}
	v.keys[text] = ck
	return ck, nil
}

// matchTarget reports whether the "htu" value matches target (RFC 9449 §4.3 step 9). The
// query and fragment of htu are ignored; then htu equal to target or to its canonical form
// matches without further work, and anything else is compared after canonical.Parse. An
// invalid target matches nothing. It leaves the canonical target in v.tgtText.
func (v *Verifier) matchTarget(htu []byte, target string) bool {
	if target != v.target || v.target == "" {
		u, err := canonical.Parse(target)
		if err != nil {
			v.target, v.tgtText = "", ""
			return false
		}
		v.target, v.tgtURI, v.tgtText = target, u, u.String()
	}
	for i, c := range htu {
		if c == '?' || c == '#' {
			htu = htu[:i]
			break
		}
	}
	if string(htu) == target || string(htu) == v.tgtText {
		return true
	}
	u, err := canonical.Parse(string(htu))
	return err == nil && u == v.tgtURI
}

// inWindow reports whether the NumericDate iat lies in [now−MaxAge, now+MaxFuture].
func (v *Verifier) inWindow(iat float64, now time.Time) bool {
	t := float64(now.Unix()) + float64(now.Nanosecond())/1e9
	age := t - iat
	return age <= v.cfg.MaxAge.Seconds() && -age <= v.cfg.MaxFuture.Seconds()
}

// numericTime converts a NumericDate (0 ≤ v < 2^53) to a time.
func numericTime(v float64) time.Time {
	sec := math.Floor(v)
	return time.Unix(int64(sec), int64((v-sec)*1e9))
}

// tokenHashIs reports whether ath is base64url(SHA-256(ASCII(token))) (RFC 9449 §4.2), in
// constant time.
func (v *Verifier) tokenHashIs(ath []byte, token string) bool {
	v.tokBuf = append(v.tokBuf[:0], token...)
	sum := sha256.Sum256(v.tokBuf)
	var want [ThumbprintLen]byte
	base64.RawURLEncoding.Encode(want[:], sum[:])
	return subtle.ConstantTimeCompare(ath, want[:]) == 1
}

// TokenHash returns the "ath" value for an access token: base64url(SHA-256(token)) (RFC 9449
// §4.2).
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// replayKey is ReplayKey with the Verifier's buffer.
func (v *Verifier) replayKey(jkt, target string, jti []byte) [32]byte {
	v.keyIn = appendReplayInput(v.keyIn[:0], jkt, target, jti)
	return sha256.Sum256(v.keyIn)
}

// appendReplayInput appends "dpop-replay" and jkt, target and jti, each after its length in
// 4 bytes, so that no two triples share an input.
func appendReplayInput(b []byte, jkt, target string, jti []byte) []byte {
	b = append(b, "dpop-replay"...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(jkt)))
	b = append(b, jkt...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(target)))
	b = append(b, target...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(jti)))
	return append(b, jti...)
}

// ReplayKey computes Proof.ReplayKey from its parts (SHA-256 of the length-prefixed jkt,
// canonical target and jti), for callers that track proofs they did not verify here.
func ReplayKey(jkt, target, jti string) [32]byte {
	return sha256.Sum256(appendReplayInput(nil, jkt, target, []byte(jti)))
}

// The claims Verify reads (RFC 9449 §4.2).
const (
	cJTI = iota
	cHTM
	cHTU
	cNonce
	cATH
	claimCount
)

// proofClaims holds where the claims Verify reads lie in the payload, found in one pass.
type proofClaims struct {
	val [claimCount][]byte // string contents, still escaped
	typ [claimCount]jsonparser.ValueType
}

func (c *proofClaims) read(payload []byte) {
	_ = jsonparser.ObjectEach(payload, func(key, v []byte, vt jsonparser.ValueType, _ int) error {
		id := -1
		switch string(key) {
		case "jti":
			id = cJTI
		case "htm":
			id = cHTM
		case "htu":
			id = cHTU
		case "nonce":
			id = cNonce
		case "ath":
			id = cATH
		}
		if id >= 0 {
			c.val[id], c.typ[id] = v, vt
		}
		return nil
	})
}

// get returns claim id unescaped (into buf's storage when it has escapes); ok is false when it
// is absent or not a string. The result aliases the Parser's payload or buf: both live until
// the Verifier's next Verify, as Proof.JTI promises.
func (c *proofClaims) get(id int, buf *[]byte) ([]byte, bool) {
	if c.typ[id] != jsonparser.String {
		return nil, false
	}
	u, err := unescapeInto(c.val[id], buf)
	if err != nil {
		return nil, false
	}
	return u, true
}
