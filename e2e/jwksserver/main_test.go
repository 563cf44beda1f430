package main

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/audguard/audguard/filter/keys"
	"github.com/audguard/audguard/jwtlite"
)

// envoy.yaml's issuer: the algorithms the served set is judged under.
var algs = []jwtlite.Algorithm{jwtlite.RS256, jwtlite.ES256}

func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{status: http.StatusOK}
	if err := s.load(filepath.Join("..", "keys", "jwks.json")); err != nil {
		t.Fatal(err)
	}
	return s
}

func fetch(t *testing.T, s *server) (int, []byte) {
	t.Helper()
	w := httptest.NewRecorder()
	s.serveSet(w, httptest.NewRequest(http.MethodGet, "https://auth.example.com"+jwksPath, nil))
	return w.Code, w.Body.Bytes()
}

func control(t *testing.T, s *server, method, target string, out any) {
	t.Helper()
	w := httptest.NewRecorder()
	s.controlMux().ServeHTTP(w, httptest.NewRequest(method, target, nil))
	if w.Code != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, target, w.Code, w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
		t.Fatal(err)
	}
}

// TestServedSetsAreUsable: the initial set and every rotated set pass the
// filter's own judgement (filter/keys.ParseSet under envoy.yaml's
// algorithms), the key /rotate returns verifies under the published JWK, and
// the oldest rotated keys are dropped before the set could grow past the
// filter's limit.
func TestServedSetsAreUsable(t *testing.T) {
	s := newServer(t)
	code, body := fetch(t, s)
	set, err := keys.ParseSet(body, algs)
	if code != http.StatusOK || err != nil || len(set.Keys) != 2 {
		t.Fatalf("initial set: %d %v %d usable keys", code, err, len(set.Keys))
	}
	for i := 1; i <= maxRotated+3; i++ {
		var rot struct {
			Kid, Alg   string
			PrivateKey string `json:"private_key_pem"`
		}
		control(t, s, http.MethodPost, "/rotate", &rot)
		if rot.Alg != "ES256" || !strings.HasPrefix(rot.Kid, "rotated-") {
			t.Fatalf("rotate: %+v", rot)
		}
		_, body = fetch(t, s)
		set, err := keys.ParseSet(body, algs)
		if err != nil {
			t.Fatalf("rotation %d: the filter refuses the set: %v", i, err)
		}
		if want := 2 + min(i, maxRotated); len(set.Keys) != want {
			t.Fatalf("rotation %d: %d usable keys, want %d", i, len(set.Keys), want)
		}
		var k *jwtlite.Key
		for _, sk := range set.Keys {
			if sk.ID == rot.Kid {
				k = sk
			}
		}
		if k == nil || k.Alg != jwtlite.ES256 {
			t.Fatalf("rotation %d: kid %s not usable as ES256 in the served set", i, rot.Kid)
		}
		// Sign as a JWS ES256 signature (r || s, 32 bytes each) with the returned key.
		blk, _ := pem.Decode([]byte(rot.PrivateKey))
		priv, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		input := []byte("eyJhbGciOiJFUzI1NiJ9.e30")
		digest := sha256.Sum256(input)
		r, sv, err := ecdsa.Sign(rand.Reader, priv.(*ecdsa.PrivateKey), digest[:])
		if err != nil {
			t.Fatal(err)
		}
		sig := append(r.FillBytes(make([]byte, 32)), sv.FillBytes(make([]byte, 32))...)
		if err := k.Verify(jwtlite.ES256, input, sig); err != nil {
			t.Fatalf("rotation %d: the returned private key does not match the published JWK: %v", i, err)
		}
	}
	var st struct {
		Fetches int
		Kids    []string
		Status  int
	}
	control(t, s, http.MethodGet, "/state", &st)
	if st.Fetches != maxRotated+4 || len(st.Kids) != 2+maxRotated || !slices.Contains(st.Kids, "e2e-rsa-1") || st.Status != 200 {
		t.Errorf("state %+v", st)
	}
}

// TestFailAndRecover: /fail makes every fetch answer the status, /recover
// serves the set again.
func TestFailAndRecover(t *testing.T) {
	s := newServer(t)
	var st struct{ Status int }
	control(t, s, http.MethodPost, "/fail", &st)
	if code, _ := fetch(t, s); code != 500 || st.Status != 500 {
		t.Fatalf("failing: fetch %d, state %d", code, st.Status)
	}
	control(t, s, http.MethodPost, "/fail?status=503", &st)
	if code, _ := fetch(t, s); code != 503 {
		t.Fatalf("failing with 503: fetch %d", code)
	}
	w := httptest.NewRecorder()
	s.controlMux().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/fail?status=200", nil))
	if w.Code != http.StatusBadRequest {
		t.Errorf("/fail?status=200: %d, want 400", w.Code)
	}
	control(t, s, http.MethodPost, "/recover", &st)
	if code, body := fetch(t, s); code != 200 || st.Status != 200 || !json.Valid(body) {
		t.Fatalf("recovered: fetch %d, state %d", code, st.Status)
	}
}
