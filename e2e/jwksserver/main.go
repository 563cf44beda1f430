// Command jwksserver is the e2e test's stand-in for the authorization server's
// JWK Set: it serves https://auth.example.com/.well-known/jwks.json over TLS
// (envoy/envoy.yaml's cluster auth_example_com reaches it by the compose
// network alias auth.example.com) and lets the test, on a separate plain-HTTP
// control port, rotate keys and make fetches fail. TEST-ONLY: /rotate hands
// out private keys.
//
// TLS listener (-listen, default :443):
//
//	GET /.well-known/jwks.json   the current set; while failing, the failure status instead
//
// Control listener (-control, default :8081; the compose file publishes it on
// 127.0.0.1:9903 only):
//
//	POST /rotate        add a new ES256 key to the set (the old keys stay, as an
//	                    authorization server keeps publishing the previous key while
//	                    its tokens live; only the newest 8 rotated ones) and answer
//	                    {"kid","alg","private_key_pem"}
//	POST /fail?status=N answer every fetch with status N (default 500) from now on
//	POST /recover       serve the set again
//	GET  /state         {"fetches","last_fetch_unix_ms","status","kids"}
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"
)

const jwksPath = "/.well-known/jwks.json"

type server struct {
	mu        sync.Mutex
	keys      []json.RawMessage // public JWKs, in publication order
	kids      []string
	status    int // 200, or the failure status every fetch gets
	fetches   int
	lastFetch time.Time
	rotations int
	initial   int // keys of the initial set, always published
}

// maxRotated is how many rotated keys stay published (the newest ones).
const maxRotated = 8

func main() {
	listen := flag.String("listen", ":443", "TLS address of the JWK Set")
	control := flag.String("control", ":8081", "plain-HTTP address of the test's control endpoints")
	certFile := flag.String("cert", "/tls/auth.example.com-test-only.crt", "TLS certificate (PEM)")
	keyFile := flag.String("key", "/tls/auth.example.com-test-only.key", "TLS private key (PEM)")
	initial := flag.String("jwks", "/keys/jwks.json", "the initial JWK Set (public keys)")
	flag.Parse()

	s := &server{status: http.StatusOK}
	if err := s.load(*initial); err != nil {
		log.Fatalf("jwksserver: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	pub := &http.Server{Addr: *listen, Handler: http.HandlerFunc(s.serveSet), ReadHeaderTimeout: 5 * time.Second}
	ctl := &http.Server{Addr: *control, Handler: s.controlMux(), ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 2)
	go func() { errc <- pub.ListenAndServeTLS(*certFile, *keyFile) }()
	go func() { errc <- ctl.ListenAndServe() }()
	log.Printf("jwksserver: JWK Set on %s (TLS) %s, control on %s, kids %v", *listen, jwksPath, *control, s.kids)
	select {
	case err := <-errc:
		log.Fatalf("jwksserver: %v", err)
	case <-ctx.Done():
	}
	// docker compose stop: exit at once (PID 1 gets no default SIGTERM handling).
	shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = pub.Shutdown(shut)
	_ = ctl.Shutdown(shut)
}

// load reads the initial set: its keys are published unchanged.
func (s *server) load(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil || len(set.Keys) == 0 {
		return fmt.Errorf("%s: not a JWK Set with keys (%v)", path, err)
	}
	for _, k := range set.Keys {
		var m struct {
			Kid string `json:"kid"`
		}
		if err := json.Unmarshal(k, &m); err != nil || m.Kid == "" {
			return fmt.Errorf("%s: a key without kid", path)
		}
		s.keys, s.kids = append(s.keys, k), append(s.kids, m.Kid)
	}
	s.initial = len(s.keys)
	return nil
}

// serveSet answers the proxy's fetches.
func (s *server) serveSet(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != jwksPath || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	s.fetches++
	s.lastFetch = time.Now()
	status, n := s.status, s.fetches
	body, _ := json.Marshal(map[string]any{"keys": s.keys})
	s.mu.Unlock()
	log.Printf("jwksserver: fetch %d from %s (Host %s): status %d", n, r.RemoteAddr, r.Host, status)
	if status != http.StatusOK {
		http.Error(w, "failing on purpose (e2e)", status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "max-age=300")
	_, _ = w.Write(body)
}

func (s *server) controlMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /rotate", s.rotate)
	mux.HandleFunc("POST /fail", func(w http.ResponseWriter, r *http.Request) {
		status := http.StatusInternalServerError
		if q := r.URL.Query().Get("status"); q != "" {
			n, err := strconv.Atoi(q)
			if err != nil || n < 300 || n > 599 {
				http.Error(w, "status must be 300 to 599", http.StatusBadRequest)
				return
			}
			status = n
		}
		s.mu.Lock()
		s.status = status
		s.mu.Unlock()
		log.Printf("jwksserver: failing every fetch with %d", status)
		s.state(w, r)
	})
	mux.HandleFunc("POST /recover", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.status = http.StatusOK
		s.mu.Unlock()
		log.Printf("jwksserver: serving the set again")
		s.state(w, r)
	})
	mux.HandleFunc("GET /state", s.state)
	return mux
}

// rotate publishes a new ES256 key and returns its private half to the test.
func (s *server) rotate(w http.ResponseWriter, _ *http.Request) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	pub, err := key.PublicKey.ECDH()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	point := pub.Bytes() // 0x04 || X || Y, 32 bytes each
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	s.mu.Lock()
	s.rotations++
	kid := fmt.Sprintf("rotated-%d-%s", s.rotations, hex.EncodeToString(suffix))
	b64 := base64.RawURLEncoding.EncodeToString
	jwk, _ := json.Marshal(map[string]string{"kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
		"x": b64(point[1:33]), "y": b64(point[33:65])})
	s.keys, s.kids = append(s.keys, jwk), append(s.kids, kid)
	if extra := len(s.keys) - s.initial - maxRotated; extra > 0 {
		// Drop the oldest rotated keys: the filter refuses a set of over 100 keys.
		s.keys = append(s.keys[:s.initial], s.keys[s.initial+extra:]...)
		s.kids = append(s.kids[:s.initial], s.kids[s.initial+extra:]...)
	}
	s.mu.Unlock()
	log.Printf("jwksserver: rotated: now publishing kid %s", kid)
	writeJSON(w, map[string]string{"kid": kid, "alg": "ES256",
		"private_key_pem": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))})
}

func (s *server) state(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var last int64
	if !s.lastFetch.IsZero() {
		last = s.lastFetch.UnixMilli()
	}
	writeJSON(w, map[string]any{"fetches": s.fetches, "last_fetch_unix_ms": last, "status": s.status,
		"kids": append([]string(nil), s.kids...)})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		log.Printf("jwksserver: %v", err)
	}
}
