package dpop

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNonces(t *testing.T) {
	n, err := NewNonces(NonceConfig{Slot: time.Minute, Context: tgt})
	if err != nil {
		t.Fatal(err)
	}
	start := t0.Truncate(time.Minute)
	a, err := n.Issue(start)
	if err != nil || len(a) != NonceLen {
		t.Fatalf("Issue = %q, %v", a, err)
	}
	if b, _ := n.Issue(start.Add(59 * time.Second)); b != a {
		t.Error("a slot has one nonce")
	}
	b, _ := n.Issue(start.Add(time.Minute))
	if b == a {
		t.Error("the next slot has another nonce")
	}
	steps := []struct {
		at           time.Duration
		valid, stale bool
	}{
		{0, true, false},
		{59 * time.Second, true, false},
		{time.Minute, true, true}, // the previous slot: valid, a fresh one may be offered
		{2*time.Minute - time.Second, true, true},
		{2 * time.Minute, false, false}, // two slots later: expired
		{-time.Second, false, false},    // issued in the future
	}
	for _, s := range steps {
		now := start.Add(s.at)
		if got := n.Valid([]byte(a), now); got != s.valid {
			t.Errorf("Valid at +%v = %v, want %v", s.at, got, s.valid)
		}
		if got := n.Stale([]byte(a), now); got != s.stale {
			t.Errorf("Stale at +%v = %v, want %v", s.at, got, s.stale)
		}
	}
	for _, bad := range []string{
		"", "abc", a + "A", a[:NonceLen-1], strings.ToUpper(a), a[:10] + "+" + a[11:],
		a[:NonceLen-1] + string(rune(a[NonceLen-1]^1)),
	} {
		if bad == a {
			continue
		}
		if n.Valid([]byte(bad), start) {
			t.Errorf("Valid(%q)", bad)
		}
	}
	// Tampering with the slot breaks the MAC.
	raw := []byte(a)
	raw[5] ^= 2
	if n.Valid(raw, start) {
		t.Error("slot changed, still valid")
	}
	// Another context or another secret does not accept it.
	m, _ := NewNonces(NonceConfig{Slot: time.Minute, Context: "https://other.example.com"})
	if m.Valid([]byte(a), start) {
		t.Error("valid for a fresh secret")
	}
	secret := bytes.Repeat([]byte{7}, SecretSize)
	c1, _ := NewNonces(NonceConfig{Secret: secret, Context: "a"})
	c2, _ := NewNonces(NonceConfig{Secret: secret, Context: "b"})
	c3, _ := NewNonces(NonceConfig{Secret: secret, Context: "a"})
	x, _ := c1.Issue(start)
	if c2.Valid([]byte(x), start) || !c3.Valid([]byte(x), start) {
		t.Error("context binding")
	}
}

// TestNoncesShared: VMs sharing a store agree on the secret (the first writer wins), under both
// CAS semantics, and converge after a race; a failed store gives a per-VM secret.
func TestNoncesShared(t *testing.T) {
	for _, envoy := range []bool{false, true} {
		store := newMapStore()
		store.envoy = envoy
		cfg := NonceConfig{Shared: store, Key: "audguard/x/dpop/nonce-secret", Context: tgt}
		vm1, _ := NewNonces(cfg)
		vm2, _ := NewNonces(cfg)
		a, err := vm1.Issue(t0)
		if err != nil {
			t.Fatal(err)
		}
		if !vm2.Valid([]byte(a), t0) {
			t.Errorf("envoy=%v: vm2 refuses vm1's nonce", envoy)
		}
		b, _ := vm2.Issue(t0)
		if a != b {
			t.Errorf("envoy=%v: the VMs issue different nonces", envoy)
		}
	}
	// A race Envoy lets both VMs win: vm2 writes after vm1 read its own write back. After
	// saltRefresh vm1 reads the stored secret again and the VMs agree.
	store := newMapStore()
	store.envoy = true
	cfg := NonceConfig{Shared: store, Key: "k", Context: tgt}
	vm1, _ := NewNonces(cfg)
	vm2, _ := NewNonces(cfg)
	a, _ := vm1.Issue(t0)
	delete(store.m, "k")
	delete(store.cas, "k")
	b, _ := vm2.Issue(t0)
	if a == b || vm1.Valid([]byte(b), t0) {
		t.Fatal("the race did not happen")
	}
	later := t0.Add(saltRefresh)
	if !vm1.Valid([]byte(b), later) {
		t.Error("vm1 did not converge on the stored secret")
	}
	// A failing store: each VM works alone; the VM's own nonces stay valid.
	store = newMapStore()
	store.fail = true
	vm3, _ := NewNonces(NonceConfig{Shared: store, Key: "k"})
	c, err := vm3.Issue(t0)
	if err != nil || !vm3.Valid([]byte(c), t0.Add(time.Second)) {
		t.Errorf("failing store: %q %v", c, err)
	}
	// A failing random source and no store: no nonce, nothing valid.
	vm4, _ := NewNonces(NonceConfig{Random: failingReader{}})
	if _, err := vm4.Issue(t0); !errors.Is(err, ErrNoSecret) || vm4.Valid([]byte(c), t0) {
		t.Errorf("failing random: %v", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestNonceConfig(t *testing.T) {
	for _, cfg := range []NonceConfig{
		{Slot: time.Second},
		{Slot: 2 * time.Hour},
		{Slot: 1500 * time.Millisecond},
		{Secret: []byte("short")},
		{Shared: newMapStore()},
	} {
		if _, err := NewNonces(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
}

// TestSharedSecret: first writer wins; a planted value is replaced; the value read back is
// returned.
func TestSharedSecret(t *testing.T) {
	store := newMapStore()
	a, ok, err := SharedSecret(store, "k", nil)
	if err != nil || !ok || len(a) != SecretSize {
		t.Fatal(a, ok, err)
	}
	b, ok, _ := SharedSecret(store, "k", nil)
	if !ok || !bytes.Equal(a, b) {
		t.Error("second reader got another secret")
	}
	store.m["k"] = []byte("planted")
	c, ok, _ := SharedSecret(store, "k", nil)
	if !ok || bytes.Equal(c, a) || len(c) != SecretSize {
		t.Error("planted value not replaced")
	}
	if d, ok, err := SharedSecret(nil, "k", nil); ok || err != nil || len(d) != SecretSize {
		t.Error("no store")
	}
}
