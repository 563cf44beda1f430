package dpop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/audguard/audguard/internal/lex"
)

// Defaults and bounds of NonceConfig.
const (
	// DefaultNonceSlot: a nonce is valid in the slot it was issued in and the next one, so
	// for between one and two slots.
	DefaultNonceSlot = time.Minute

	minNonceSlot, maxNonceSlot = 5 * time.Second, time.Hour

	// NonceLen is the length of a nonce Issue returns: 32 base64url characters, within the
	// NQCHAR syntax of RFC 9449 §8.1 (nonce = 1*NQCHAR).
	NonceLen = 32

	nonceVersion = 1
	nonceRawLen  = 1 + 7 + nonceTagLen // version, slot (56 bits), tag
	nonceTagLen  = 16                  // HMAC-SHA256 truncated to 128 bits (NIST SP 800-107r1 §5.3.3)
)

// strictB64 decodes unpadded base64url and refuses non-zero padding bits (RFC 4648 §3.5).
var strictB64 = base64.RawURLEncoding.Strict()

// nonceLabel starts every MAC input, separating it from any other use of the secret.
const nonceLabel = "audguard dpop nonce v1\x00"

// NonceConfig configures Nonces.
type NonceConfig struct {
	// Secret keys the nonce MAC: at least SecretSize bytes. nil: a secret is made at first
	// use from Random, shared through Shared when set (SharedSecret).
	Secret []byte
	// Slot is the time slot a nonce is issued for (5 s – 1 h); 0: DefaultNonceSlot.
	Slot time.Duration
	// Context is bound into every nonce (e.g. the resource URI): a nonce issued under another
	// context is not valid here.
	Context string
	// Shared, with Key, shares a generated secret among the VMs of the proxy, so a nonce
	// issued by one worker is valid at every other. The first writer wins (SharedSecret).
	Shared SharedStore
	// Key is the shared-data key of the secret (required with Shared), e.g.
	// "audguard/<config digest>/dpop/nonce-secret".
	Key string
	// Random is the source of a generated secret; nil: crypto/rand.Reader.
	Random io.Reader
}

// Nonces issues and checks stateless server nonces for DPoP proofs (RFC 9449 §8, §9): a nonce
// is base64url(version || slot || HMAC-SHA256(secret, label || slot || context)[:16]), where
// slot counts Slot-long periods since the Unix epoch. Valid accepts the nonces of the current
// and the previous slot, comparing MACs in constant time, so a nonce lives one to two slots
// and rotates without any state: a proof carrying a valid nonce was made at most two slots
// ago (RFC 9449 §11.1, server-managed freshness).
//
// A resource requiring nonces (Config.Nonce) answers a proof without a valid nonce with 401,
// WWW-Authenticate: DPoP error="use_dpop_nonce" and a DPoP-Nonce header holding Issue(now)
// (RFC 9449 §9); it may send a fresh nonce with a successful response when Stale reports
// that the proof's nonce is of the previous slot (§8.2).
//
// Not safe for concurrent use: one Nonces per VM (they agree when they share the secret).
type Nonces struct {
	cfg      NonceConfig
	secret   []byte
	secretAt time.Time // last read of the shared secret (or failed attempt)
	mac      hash.Hash
	tags     [2]slotTag // MACs of the last two slots computed
	issued   slotNonce
}

type slotTag struct {
	_    [0]func() // not comparable: no generated equality function in the module
	slot uint64
	tag  [nonceTagLen]byte
	ok   bool
}

type slotNonce struct {
	_     [0]func() // not comparable: no generated equality function in the module
	slot  uint64
	nonce string
}

// NewNonces checks cfg and returns Nonces. Errors wrap ErrConfig.
func NewNonces(cfg NonceConfig) (*Nonces, error) {
	if cfg.Slot == 0 {
		cfg.Slot = DefaultNonceSlot
	}
	if cfg.Slot < minNonceSlot || cfg.Slot > maxNonceSlot || cfg.Slot%time.Second != 0 {
		return nil, fmt.Errorf("%w: nonce Slot is %v; it must be whole seconds between %v and %v", ErrConfig, cfg.Slot, minNonceSlot, maxNonceSlot)
	}
	if cfg.Secret != nil && len(cfg.Secret) < SecretSize {
		return nil, fmt.Errorf("%w: nonce Secret has %d bytes; at least %d are required", ErrConfig, len(cfg.Secret), SecretSize)
	}
	if cfg.Shared != nil && cfg.Key == "" {
		return nil, fmt.Errorf("%w: nonce Key is required with Shared", ErrConfig)
	}
	n := &Nonces{cfg: cfg}
	if cfg.Secret != nil {
		n.setSecret(append([]byte(nil), cfg.Secret...))
	}
	return n, nil
}

// ErrNoSecret: Issue could not obtain a secret (the random source failed).
var ErrNoSecret = errors.New("dpop: no nonce secret")

// Issue returns the nonce of the slot of now (the same string throughout the slot).
func (n *Nonces) Issue(now time.Time) (string, error) {
	if !n.ensureSecret(now) {
		return "", ErrNoSecret
	}
	slot := n.slotOf(now)
	if n.issued.nonce != "" && n.issued.slot == slot {
		return n.issued.nonce, nil
	}
	var raw [nonceRawLen]byte
	raw[0] = nonceVersion
	putSlot(raw[1:8], slot)
	tag := n.tag(slot)
	copy(raw[8:], tag[:])
	n.issued = slotNonce{slot: slot, nonce: base64.RawURLEncoding.EncodeToString(raw[:])}
	return n.issued.nonce, nil
}

// Valid reports whether nonce was issued, under this secret and context, in the slot of now
// or the one before (RFC 9449 §4.3 step 10). It does not allocate once the slot's MAC is
// known.
func (n *Nonces) Valid(nonce []byte, now time.Time) bool {
	_, ok := n.check(nonce, now)
	return ok
}

// Stale reports whether nonce is valid but of the previous slot: the resource may then offer
// a fresh one in a DPoP-Nonce response header (RFC 9449 §8.2).
func (n *Nonces) Stale(nonce []byte, now time.Time) bool {
	slot, ok := n.check(nonce, now)
	return ok && slot+1 == n.slotOf(now)
}

// check decodes nonce and verifies its MAC; the slot must be the current or the previous one.
func (n *Nonces) check(nonce []byte, now time.Time) (uint64, bool) {
	if len(nonce) != NonceLen || !n.ensureSecret(now) {
		return 0, false
	}
	for _, c := range nonce {
		if !lex.Is(c, lex.Base64URL) {
			return 0, false
		}
	}
	var raw [nonceRawLen]byte
	if m, err := strictB64.Decode(raw[:], nonce); err != nil || m != nonceRawLen || raw[0] != nonceVersion {
		return 0, false
	}
	slot, cur := getSlot(raw[1:8]), n.slotOf(now)
	if slot != cur && slot+1 != cur {
		return 0, false
	}
	tag := n.tag(slot)
	return slot, hmac.Equal(raw[8:], tag[:])
}

func (n *Nonces) slotOf(now time.Time) uint64 {
	s := now.Unix()
	if s < 0 {
		return 0
	}
	return uint64(s) / uint64(n.cfg.Slot/time.Second) & (1<<56 - 1)
}

// tag returns the MAC of slot, computing it once per slot.
func (n *Nonces) tag(slot uint64) [nonceTagLen]byte {
	for i := range n.tags {
		if t := &n.tags[i]; t.ok && t.slot == slot {
			return t.tag
		}
	}
	n.mac.Reset()
	var hdr [len(nonceLabel) + 8]byte
	copy(hdr[:], nonceLabel)
	binary.BigEndian.PutUint64(hdr[len(nonceLabel):], slot)
	n.mac.Write(hdr[:])
	n.mac.Write([]byte(n.cfg.Context))
	var sum [sha256.Size]byte
	n.mac.Sum(sum[:0])
	// Keep the newer slot in [1]: the pair is always the last two slots asked for.
	t := slotTag{slot: slot, ok: true}
	copy(t.tag[:], sum[:nonceTagLen])
	if n.tags[1].ok && n.tags[1].slot < slot {
		n.tags[0], n.tags[1] = n.tags[1], t
	} else {
		n.tags[0] = t
	}
	return t.tag
}

// ensureSecret makes sure a secret is there: the configured one; else the shared one, read at
// first use and again every saltRefresh (so VMs that raced to create it converge, and a failed
// store is tried again); else, while the store fails, one of this VM's own.
func (n *Nonces) ensureSecret(now time.Time) bool {
	if n.cfg.Secret != nil {
		return true
	}
	fresh := !now.Before(n.secretAt) && now.Sub(n.secretAt) < saltRefresh
	if n.secret != nil && (fresh || n.cfg.Shared == nil) {
		return true
	}
	n.secretAt = now
	s, shared, err := SharedSecret(n.cfg.Shared, n.cfg.Key, n.cfg.Random)
	switch {
	case err != nil: // the random source failed: keep what there is
		return n.secret != nil
	case shared:
		if n.secret == nil || !hmac.Equal(s, n.secret) {
			n.setSecret(s)
		}
	case n.secret == nil: // the store failed: this VM's own secret until it works
		n.setSecret(s)
	}
	return true
}

func (n *Nonces) setSecret(s []byte) {
	n.secret = s
	n.mac = hmac.New(sha256.New, s)
	n.tags = [2]slotTag{}
	n.issued = slotNonce{}
}

func putSlot(b []byte, slot uint64) {
	for i := 6; i >= 0; i-- {
		b[i] = byte(slot)
		slot >>= 8
	}
}

func getSlot(b []byte) uint64 {
	var s uint64
	for _, c := range b[:7] {
		s = s<<8 | uint64(c)
	}
	return s
}
