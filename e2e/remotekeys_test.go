//go:build e2e

package e2e

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Remote keys through Envoy: envoy.yaml's issuer has no configured keys and
// fetches https://auth.example.com/.well-known/jwks.json through the TLS
// cluster auth_example_com from the compose JWKS server (jwksserver/), whose
// control port the test drives.
//
//	AUDGUARD_E2E_JWKS_URL   the JWKS server's control port (default http://127.0.0.1:9903)
//	AUDGUARD_E2E_COMPOSE    the compose command, run in e2e/ (default "docker compose -f docker-compose.yaml")

func jwksControlURL() string {
	if u := strings.TrimSuffix(os.Getenv("AUDGUARD_E2E_JWKS_URL"), "/"); u != "" {
		return u
	}
	return "http://127.0.0.1:9903"
}

type jwksState struct {
	Fetches        int      `json:"fetches"`
	LastFetchMilli int64    `json:"last_fetch_unix_ms"`
	Status         int      `json:"status"`
	Kids           []string `json:"kids"`
}

// jwksCall sends a control request to the JWKS server and decodes its answer into out.
func jwksCall(t *testing.T, method, path string, out any) {
	t.Helper()
	req, err := http.NewRequest(method, jwksControlURL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("JWKS server %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("JWKS server %s %s: status %d", method, path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("JWKS server %s %s: %v", method, path, err)
	}
}

func jwksServerState(t *testing.T) jwksState {
	t.Helper()
	var st jwksState
	jwksCall(t, http.MethodGet, "/state", &st)
	return st
}

// refetchMin reads jwks_refetch_min_seconds from envoy.yaml, the file Envoy runs.
func refetchMin(t *testing.T) time.Duration {
	t.Helper()
	b, err := os.ReadFile("../envoy/envoy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`"jwks_refetch_min_seconds":\s*(\d+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("envoy.yaml: no jwks_refetch_min_seconds")
	}
	n, _ := strconv.Atoi(string(m[1]))
	return time.Duration(n) * time.Second
}

// waitRefetchAllowed waits until the last fetch that reached the JWKS server
// is more than jwks_refetch_min_seconds old: only then does an unknown kid
// make the filter fetch again (the rate limit counts from a fetch's start,
// which comes before the server sees it).
func waitRefetchAllowed(t *testing.T, min time.Duration) jwksState {
	t.Helper()
	const margin = 1500 * time.Millisecond
	deadline := time.Now().Add(min + time.Minute)
	for {
		st := jwksServerState(t)
		since := time.Since(time.UnixMilli(st.LastFetchMilli))
		if st.LastFetchMilli == 0 || since >= min+margin {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("the JWKS server is fetched more often than every %v (last %v ago); refetch never allowed", min, since)
		}
		time.Sleep(min + margin - since)
	}
}

// waitStats polls Envoy's audguard stats until ok says yes (the filter exports
// its key metrics on its 500 ms tick), or fails after limit.
func waitStats(t *testing.T, limit time.Duration, what string, ok func(map[string]uint64) bool) map[string]uint64 {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		m := stats(t)
		if ok(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s; audguard stats: %v", limit, what, m)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// rotateKey makes the JWKS server publish a new ES256 key and returns it.
func rotateKey(t *testing.T) (*ecdsa.PrivateKey, string) {
	t.Helper()
	var rot struct {
		Kid        string `json:"kid"`
		Alg        string `json:"alg"`
		PrivateKey string `json:"private_key_pem"`
	}
	jwksCall(t, http.MethodPost, "/rotate", &rot)
	blk, _ := pem.Decode([]byte(rot.PrivateKey))
	if blk == nil || rot.Alg != "ES256" || rot.Kid == "" {
		t.Fatalf("rotate: unexpected answer (kid %q, alg %q)", rot.Kid, rot.Alg)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		t.Fatalf("rotate: %T, want an ECDSA key", k)
	}
	return ec, rot.Kid
}

// compose runs a docker compose subcommand on the e2e project.
func compose(args ...string) ([]byte, error) {
	cmdline := strings.Fields(os.Getenv("AUDGUARD_E2E_COMPOSE"))
	if len(cmdline) == 0 {
		cmdline = []string{"docker", "compose", "-f", "docker-compose.yaml"}
	}
	cmd := exec.Command(cmdline[0], append(cmdline[1:], args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %s: %v: %s", strings.Join(cmdline, " "), strings.Join(args, " "), err, stderr.Bytes())
	}
	return out, nil
}

// requireCompose skips (or, under make e2e, fails) when the compose command cannot reach the project.
func requireCompose(t *testing.T) {
	t.Helper()
	if _, err := compose("ps", "--quiet", "envoy"); err != nil {
		if os.Getenv("AUDGUARD_E2E_REQUIRE") == "1" {
			t.Fatalf("docker compose is needed: %v", err)
		}
		t.Skipf("docker compose unavailable: %v", err)
	}
}

// TestAccessLogShowsDecision: envoy.yaml's access log prints the filter's
// access-log properties (audguard_outcome, audguard_reason,
// audguard_resource; README "Counters and logs") for each request.
func TestAccessLogShowsDecision(t *testing.T) {
	requireCompose(t)
	since := time.Now().Add(-5 * time.Second).UTC().Format(time.RFC3339)
	id := fmt.Sprintf("/e2e-log-%d", time.Now().UnixNano())
	if status, _ := post(t, "https://mcp-a.example.com"+id+"-denied", mint(t, tokenOpts{aud: resB})); status != http.StatusUnauthorized {
		t.Fatalf("B's token on A: status %d, want 401", status)
	}
	status, _ := post(t, "https://mcp-a.example.com"+id+"-allowed", mint(t, tokenOpts{aud: resA}))
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		t.Fatalf("A's token on A: status %d", status)
	}
	want := []*regexp.Regexp{
		regexp.MustCompile(`POST ` + id + `-denied 401 audguard=denied/wrong_audience resource=mcp_a_example_com_mcp\b`),
		regexp.MustCompile(`POST ` + id + `-allowed ` + strconv.Itoa(status) + ` audguard=allowed/- resource=mcp_a_example_com_mcp\b`),
	}
	// Envoy flushes access logs to stdout on its own schedule (by default every 10 s).
	var logs []byte
	for deadline := time.Now().Add(40 * time.Second); ; time.Sleep(2 * time.Second) {
		out, err := compose("logs", "--no-color", "--no-log-prefix", "--since", since, "envoy")
		if err != nil {
			t.Fatal(err)
		}
		logs = out
		missing := 0
		for _, re := range want {
			if !re.Match(logs) {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			break
		}
	}
	var lines []string
	for _, l := range strings.Split(string(logs), "\n") {
		if strings.Contains(l, id) {
			lines = append(lines, l)
		}
	}
	t.Fatalf("access log lines for %s: %q; want lines matching %v", id, lines, want)
}

// TestKeyRotation: the authorization server rotates to a new key and the very
// first request signed with it succeeds — the unknown kid makes the filter
// refetch the set and hold the request until it has it (OpenID Connect Core
// 1.0 §10.1.1). Then the server breaks: first it answers 500, then it is
// stopped; a token naming a kid nobody publishes gets 401 unknown_key after a
// failed refetch, and tokens signed with keys of the last good set keep
// working (fail static).
func TestKeyRotation(t *testing.T) {
	min := refetchMin(t)
	refetches, ok, failed := metricJWKS+"unknown_kid_refetch", metricJWKS+"fetch_ok", metricJWKS+"fetch_failed"

	// 1. Rotation: the first request with the new key.
	st := waitRefetchAllowed(t, min)
	before := stats(t)
	rotated, kid := rotateKey(t)
	tok := mint(t, tokenOpts{aud: resA, signer: rotated, kid: kid})
	if status, challenge := post(t, resA, tok); status != http.StatusOK {
		t.Fatalf("first request signed with the rotated key %s: status %d (%s); want 200: an unknown kid must refetch the set", kid, status, challenge)
	}
	after := waitStats(t, 5*time.Second, "unknown_kid_refetch and fetch_ok did not rise", func(m map[string]uint64) bool {
		return m[refetches] > before[refetches] && m[ok] > before[ok]
	})
	st2 := jwksServerState(t)
	if st2.Fetches <= st.Fetches {
		t.Errorf("the JWKS server saw no fetch after the rotation (%d → %d)", st.Fetches, st2.Fetches)
	}
	t.Logf("rotated to %s: %d fetch(es) reached the server, unknown_kid_refetch %d → %d", kid, st2.Fetches-st.Fetches, before[refetches], after[refetches])
	// The other VMs of the proxy (one per Envoy worker) take the set the fetching VM published
	// on their next tick (500 ms); after that, no VM fetches again for this kid.
	time.Sleep(time.Second)
	if status, _ := post(t, resB, mint(t, tokenOpts{aud: resB, signer: rotated, kid: kid})); status != http.StatusOK {
		t.Errorf("second request with the rotated key (on B): status %d", status)
	}
	if st3 := jwksServerState(t); st3.Fetches != st2.Fetches {
		t.Errorf("a second token with the now published kid fetched again (%d → %d)", st2.Fetches, st3.Fetches)
	}

	lastGood := func(t *testing.T, when string) {
		t.Helper()
		if status, c := post(t, resA, mint(t, tokenOpts{aud: resA, signer: rotated, kid: kid})); status != http.StatusOK {
			t.Errorf("%s: token signed with the rotated key (last good set): status %d (%s), want 200", when, status, c)
		}
		if status, c := post(t, resA, mint(t, tokenOpts{aud: resA})); status != http.StatusOK {
			t.Errorf("%s: token signed with e2e-rsa-1 (last good set): status %d (%s), want 200", when, status, c)
		}
	}
	stranger, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	unknownKid := func(t *testing.T) (int, string) {
		t.Helper()
		return post(t, resA, mint(t, tokenOpts{aud: resA, signer: stranger, kid: fmt.Sprintf("never-published-%d", time.Now().UnixNano())}))
	}

	// 2. The server answers 500.
	var ignored jwksState
	jwksCall(t, http.MethodPost, "/fail?status=500", &ignored)
	t.Cleanup(func() {
		req, _ := http.NewRequest(http.MethodPost, jwksControlURL()+"/recover", nil)
		if resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req); err == nil {
			resp.Body.Close()
		}
	})
	st = waitRefetchAllowed(t, min)
	before = stats(t)
	status, challenge := unknownKid(t)
	if status != http.StatusUnauthorized || challengeParam(challenge, "error") != "invalid_token" {
		t.Fatalf("unknown kid while the server answers 500: %d %q; want 401 invalid_token (unknown_key: a good set is at hand)", status, challenge)
	}
	if st2 := jwksServerState(t); st2.Fetches <= st.Fetches {
		t.Errorf("the unknown kid did not make the filter refetch (server fetches %d → %d)", st.Fetches, st2.Fetches)
	}
	waitStats(t, 5*time.Second, "fetch_failed did not rise after a 500", func(m map[string]uint64) bool {
		return m[failed] > before[failed]
	})
	lastGood(t, "server answering 500")

	// 3. The server is stopped (no connection at all).
	t.Run("stopped", func(t *testing.T) {
		requireCompose(t)
		if _, err := compose("stop", "auth"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if _, err := compose("start", "auth"); err != nil {
				t.Errorf("restarting the JWKS server: %v", err)
			}
		})
		time.Sleep(1500 * time.Millisecond) // let failures from before the stop be exported
		f0 := stats(t)[failed]
		// The filter retries a failed fetch after 1 s, 2 s, 4 s …, and an unknown kid starts
		// one when none started in the last jwks_refetch_min_seconds: a fetch fails soon.
		deadline := time.Now().Add(2 * time.Minute)
		for next := time.Now(); stats(t)[failed] <= f0; time.Sleep(time.Second) {
			if time.Now().After(deadline) {
				t.Fatal("no failed fetch while the JWKS server was stopped")
			}
			if time.Now().After(next) {
				if status, c := unknownKid(t); status != http.StatusUnauthorized {
					t.Fatalf("unknown kid with the server stopped: %d %q; want 401 (a good set is at hand, never 503)", status, c)
				}
				next = time.Now().Add(min / 2)
			}
		}
		lastGood(t, "server stopped")
	})
}
