package main

// Per-tool scopes for MCP clients and servers older than 2026-07-28: the
// official MCP Go SDK at v1.1.0 (e2e/oldsdk, a module of its own: one build
// cannot hold it and the root module's v1.8.0), whose client sends
// MCP-Protocol-Version 2025-06-18 at most and never Mcp-Method or Mcp-Name,
// and whose server never compares those headers with the body. The filter
// judges such a client by its JSON-RPC body (mcp_body verify, the default
// for a resource with operations; docs/request-flow.md#the-body).
//
// The old programs are separate processes: the client reaches the filter in
// the emulator through an httptest server (front), and the old server, behind
// the filter, is reached through a reverse proxy. Both runners.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// oldSDKVersion is the SDK release e2e/oldsdk/go.mod requires.
const oldSDKVersion = "v1.1.0"

var oldSDKBuild struct {
	once           sync.Once
	client, server string
	err            error
}

// oldSDKPrograms builds e2e/oldsdk's oldclient and oldserver once per test
// binary, into build/oldsdk/filter (GOWORK=off; the SDK comes through the
// module proxy; go.sum as committed, -mod=readonly being go build's default).
func oldSDKPrograms(t testing.TB) (client, server string) {
	t.Helper()
	b := &oldSDKBuild
	b.once.Do(func() {
		dir, err := filepath.Abs(filepath.Join("..", "build", "oldsdk", "filter"))
		if err != nil {
			b.err = err
			return
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.err = err
			return
		}
		cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./oldclient", "./oldserver")
		cmd.Dir = filepath.Join("..", "e2e", "oldsdk")
		cmd.Env = append(os.Environ(), "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build in e2e/oldsdk: %v\n%s", err, out)
			return
		}
		b.client, b.server = filepath.Join(dir, "oldclient"), filepath.Join(dir, "oldserver")
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.client, b.server
}

// oldServer is one running e2e/oldsdk/oldserver.
type oldServer struct {
	url    string // http://127.0.0.1:port
	stderr *bytes.Buffer
}

// startOldServer runs the old server with args on a loopback port until the
// test ends (it exits when its standard input, held by the test, closes).
func startOldServer(t testing.TB, bin string, args ...string) *oldServer {
	t.Helper()
	cmd := exec.Command(bin, append(args, "-stdin-exit")...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &oldServer{stderr: &bytes.Buffer{}}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("old server's log:\n%s", s.stderr)
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	go func() { _, _ = io.Copy(io.Discard, stdout); done <- cmd.Wait() }()
	var l struct{ Listen string }
	if err != nil || json.Unmarshal([]byte(line), &l) != nil || l.Listen == "" {
		t.Fatalf("old server did not say where it listens: %q %v", line, err)
	}
	s.url = "http://" + l.Listen
	return s
}

// runs reads how often each tool ran on the old server.
func (s *oldServer) runs(t testing.TB) map[string]int {
	t.Helper()
	resp, err := http.Get(s.url + "/runs")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var n map[string]int
	if err := json.NewDecoder(resp.Body).Decode(&n); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /runs: %d %v", resp.StatusCode, err)
	}
	return n
}

// oldStep is one line of oldclient's output.
type oldStep struct {
	Step            string        `json:"step"`
	OK              bool          `json:"ok"`
	Protocol        string        `json:"protocol"`
	Tools           []string      `json:"tools"`
	Tool            string        `json:"tool"`
	Text            string        `json:"text"`
	IsError         bool          `json:"is_error"`
	Error           string        `json:"error"`
	Status          int           `json:"status"`
	WWWAuthenticate string        `json:"www_authenticate"`
	HTTP            []oldExchange `json:"http"`
}

type oldExchange struct {
	RPC             string `json:"rpc"`
	Version         string `json:"mcp_protocol_version"`
	McpMethod       string `json:"mcp_method"`
	McpName         string `json:"mcp_name"`
	Status          int    `json:"status"`
	WWWAuthenticate string `json:"www_authenticate"`
	Proto           string `json:"proto"`
}

// runOldClient runs oldclient against endpoint with Host host and token,
// calling tool with args, and returns its steps. Exit status 1 (a step
// failed) is not an error here: the steps say what failed.
func runOldClient(t testing.TB, bin, endpoint, host, token, tool, args string, env ...string) []oldStep {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-url", endpoint, "-host", host, "-token", token, "-tool", tool, "-args", args)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		t.Fatalf("oldclient: %v\n%s%s", err, out, stderr.Bytes())
	}
	var steps []oldStep
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		var s oldStep
		if err := json.Unmarshal(line, &s); err != nil {
			t.Fatalf("oldclient output %q: %v", line, err)
		}
		steps = append(steps, s)
	}
	t.Logf("oldclient -tool %s:\n%s", tool, bytes.TrimSpace(out))
	return steps
}

// wantOldSteps checks the steps' names and outcomes, and that every POST the
// old client sent is a 2025-06-18 one: MCP-Protocol-Version 2025-06-18
// (none on initialize) and neither Mcp-Method nor Mcp-Name.
func wantOldSteps(t testing.TB, steps []oldStep, ok ...bool) {
	t.Helper()
	var names, want []string
	var got []bool // the steps' ok
	for i, s := range steps {
		names = append(names, s.Step)
		got = append(got, s.OK)
		want = append(want, []string{"connect", "list_tools", "call_tool"}[min(i, 2)])
		for _, x := range s.HTTP {
			v := "2025-06-18"
			if x.RPC == "initialize" {
				v = ""
			}
			if x.Version != v || x.McpMethod != "" || x.McpName != "" {
				t.Errorf("%s: the old client sent %q with MCP-Protocol-Version %q, Mcp-Method %q, Mcp-Name %q; want %q and neither",
					s.Step, x.RPC, x.Version, x.McpMethod, x.McpName, v)
			}
		}
	}
	if !slices.Equal(names, want) || !slices.Equal(got, ok) {
		t.Fatalf("steps %q ok %v, want %d steps ok %v", names, got, len(ok), ok)
	}
	if steps[0].Protocol != "2025-06-18" {
		t.Errorf("negotiated %q, want 2025-06-18", steps[0].Protocol)
	}
	if len(steps) > 1 && !slices.Equal(steps[1].Tools, []string{"delete_forecast", "get_forecast"}) {
		t.Errorf("tools %q", steps[1].Tools)
	}
}

// front serves the world's MCP host on a loopback port for a client in
// another process: each request goes, as https://<its Host><path>, through
// w.RoundTrip (the filter, then the server behind it), and is recorded.
func (w *stepUpWorld) front(t testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		// A context without this listener's address (http.LocalAddrContextKey):
		// the server behind the filter is not reached on this loopback port,
		// and the SDK v1.8.0 server's DNS rebinding guard would read it so.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		defer context.AfterFunc(r.Context(), cancel)()
		req := r.Clone(ctx)
		req.RequestURI = ""
		req.URL = &url.URL{Scheme: "https", Host: r.Host, Path: r.URL.Path, RawQuery: r.URL.RawQuery}
		req.Body = io.NopCloser(bytes.NewReader(body))
		resp, err := w.RoundTrip(req)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for n, vs := range resp.Header {
			if n != "Content-Length" && n != "Transfer-Encoding" {
				rw.Header()[n] = vs
			}
		}
		rw.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(rw, resp.Body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// behind puts the old server behind the world's filter in place of the SDK
// v1.8.0 server, keeping the Host the filter saw.
func (w *stepUpWorld) behind(s *oldServer) {
	u, err := url.Parse(s.url)
	if err != nil {
		panic(err)
	}
	w.server = &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(u)
		pr.Out.Host = pr.In.Host
	}}
}

// mcpPosts is the POSTs to the MCP endpoint since mark.
func (w *stepUpWorld) mcpPosts(mark int) []stepUpHop {
	var out []stepUpHop
	for _, h := range w.since(mark) {
		if h.Method == http.MethodPost && h.URL == resStepUp {
			out = append(out, h)
		}
	}
	return out
}

// TestOldSDKClientStepUp: the client of MCP Go SDK v1.1.0 (2025-06-18, no
// Mcp-Method or Mcp-Name) gets per-tool step-up from the body, in front of
// the SDK v1.8.0 server (in-process) and of the SDK v1.1.0 server (a
// process; stateless, JSON answers: the emulator's path cannot stream an
// open GET): a token with mcp:tools lists the tools and calls get_forecast;
// delete_forecast is refused 403 naming "mcp:tools mcp:admin", by the
// filter, and does not run; a token with mcp:tools mcp:admin calls it.
func TestOldSDKClientStepUp(t *testing.T) {
	k := getKeys(t)
	client, server := oldSDKPrograms(t)
	for _, srv := range []string{"server-v1.8.0", "server-" + oldSDKVersion} {
		for _, r := range runners() {
			t.Run(srv+"/"+r.name, func(t *testing.T) {
				w := newStepUpWorld(t, r, k)
				defer w.h.reset()
				runs := func(_ testing.TB, tool string) int { return w.calls(tool) }
				if srv != "server-v1.8.0" {
					old := startOldServer(t, server, "-stateless", "-json")
					w.behind(old)
					runs = func(t testing.TB, tool string) int { return old.runs(t)[tool] }
				}
				endpoint := w.front(t).URL + "/mcp"
				tools := w.c.rs(resStepUp, map[string]any{"scope": "mcp:tools"})
				admin := w.c.rs(resStepUp, map[string]any{"scope": "mcp:tools mcp:admin"})
				args := `{"city":"Oslo"}`

				t.Run("mcp:tools: tools listed, get_forecast runs", func(t *testing.T) {
					mark := w.mark()
					steps := runOldClient(t, client, endpoint, stepUpHost, tools, "get_forecast", args)
					wantOldSteps(t, steps, true, true, true)
					if steps[2].Text != "sunny in Oslo" {
						t.Errorf("get_forecast: %q", steps[2].Text)
					}
					posts := w.mcpPosts(mark)
					var rpcs []string
					for _, h := range posts {
						rpcs = append(rpcs, h.RPCMethod)
						if h.By != "upstream" || h.Status/100 != 2 || h.McpMethod != "" || h.McpName != "" {
							t.Errorf("%s", h)
						}
					}
					if !slices.Equal(rpcs, []string{"initialize", "notifications/initialized", "tools/list", "tools/call"}) {
						t.Errorf("POSTs through the filter: %q\n%s", rpcs, w.dump(mark))
					}
					if n := runs(t, "get_forecast"); n != 1 {
						t.Errorf("get_forecast ran %d times, want 1", n)
					}
				})
				t.Run("mcp:tools: delete_forecast refused 403 by the filter", func(t *testing.T) {
					mark := w.mark()
					steps := runOldClient(t, client, endpoint, stepUpHost, tools, "delete_forecast", args)
					wantOldSteps(t, steps, true, true, false)
					call := steps[2]
					if call.Status != 403 || call.WWWAuthenticate != challengeAdmin || !strings.Contains(call.Error, "Forbidden") {
						t.Errorf("call_tool: status %d, WWW-Authenticate %q, SDK error %q; want 403, %q", call.Status, call.WWWAuthenticate, call.Error, challengeAdmin)
					}
					posts := w.mcpPosts(mark)
					last := posts[len(posts)-1]
					if last.RPCMethod != "tools/call" || last.Status != 403 || last.By != "filter" || !slices.Equal(last.WWW, []string{challengeAdmin}) {
						t.Errorf("the refused POST: %s", last)
					}
					if n := runs(t, "delete_forecast"); n != 0 {
						t.Errorf("delete_forecast ran %d times, want 0", n)
					}
				})
				t.Run("mcp:tools mcp:admin: delete_forecast runs", func(t *testing.T) {
					steps := runOldClient(t, client, endpoint, stepUpHost, admin, "delete_forecast", args)
					wantOldSteps(t, steps, true, true, true)
					if steps[2].Text != "deleted Oslo" {
						t.Errorf("delete_forecast: %q", steps[2].Text)
					}
					if n := runs(t, "delete_forecast"); n != 1 {
						t.Errorf("delete_forecast ran %d times, want 1", n)
					}
				})
			})
		}
	}
}

// TestOldSDKServerLyingHeaders: in front of the MCP Go SDK v1.1.0 server,
// which never compares Mcp-Method or Mcp-Name with the body (and, as a lax
// server, serves a request claiming 2026-07-28 from its body too), a client
// with mcp:tools whose headers name get_forecast while its body calls
// delete_forecast is refused by the filter (400, JSON-RPC -32020 with the
// request's id), under MCP-Protocol-Version 2025-06-18 and 2026-07-28, and
// the old server never runs delete_forecast; the honest get_forecast calls
// run. The control: the same lies sent straight to another old server run
// delete_forecast there.
func TestOldSDKServerLyingHeaders(t *testing.T) {
	k := getKeys(t)
	_, server := oldSDKPrograms(t)
	call := func(id int, tool string) []byte {
		return fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":%q,"arguments":{"city":"Oslo"}}}`, id, tool)
	}
	type lie struct{ version, method, name string }
	var lies []lie
	for _, v := range []string{"2025-06-18", "2026-07-28"} {
		lies = append(lies, lie{v, "", "get_forecast"}, lie{v, "tools/call", "get_forecast"})
	}

	t.Run("control: without the filter the old server runs the lie", func(t *testing.T) {
		direct := startOldServer(t, server, "-stateless", "-json")
		for i, l := range lies {
			req, _ := http.NewRequestWithContext(t.Context(), "POST", direct.url+"/mcp", bytes.NewReader(call(i+1, "delete_forecast")))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			req.Header.Set("Mcp-Protocol-Version", l.version)
			if l.method != "" {
				req.Header.Set("Mcp-Method", l.method)
			}
			req.Header.Set("Mcp-Name", l.name)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(b), "deleted Oslo") {
				t.Errorf("%+v straight to the old server: %d %s", l, resp.StatusCode, b)
			}
		}
		if n := direct.runs(t)["delete_forecast"]; n != len(lies) {
			t.Errorf("delete_forecast ran %d times without the filter, want %d", n, len(lies))
		}
	})

	for _, r := range runners() {
		t.Run(r.name, func(t *testing.T) {
			w := newStepUpWorld(t, r, k)
			defer w.h.reset()
			old := startOldServer(t, server, "-stateless", "-json")
			w.behind(old)
			tools := w.c.rs(resStepUp, map[string]any{"scope": "mcp:tools"})
			for i, l := range lies {
				id := 10 + i
				t.Run(fmt.Sprintf("lie %s Mcp-Method=%q Mcp-Name=%q", l.version, l.method, l.name), func(t *testing.T) {
					hop := w.raw(t, tools, call(id, "delete_forecast"), l.version, l.method, l.name)
					body := string(hop.RespBody)
					if hop.Status != 400 || hop.By != "filter" || !strings.Contains(body, `"code":-32020`) || !strings.Contains(body, `"id":`+strconv.Itoa(id)) {
						t.Errorf("want the filter's 400 HeaderMismatch with id %d; got %s", id, hop)
					}
				})
			}
			honest := []lie{{"2025-06-18", "", ""}, {"2025-06-18", "tools/call", "get_forecast"}, {"2026-07-28", "tools/call", "get_forecast"}}
			for i, h := range honest {
				t.Run(fmt.Sprintf("honest %s Mcp-Method=%q Mcp-Name=%q", h.version, h.method, h.name), func(t *testing.T) {
					hop := w.raw(t, tools, call(20+i, "get_forecast"), h.version, h.method, h.name)
					if hop.Status != 200 || hop.By != "upstream" || !strings.Contains(string(hop.RespBody), "sunny in Oslo") {
						t.Errorf("want get_forecast run; got %s", hop)
					}
				})
			}
			if got := old.runs(t); got["delete_forecast"] != 0 || got["get_forecast"] != len(honest) {
				t.Errorf("old server's runs %v, want delete_forecast 0, get_forecast %d", got, len(honest))
			}
		})
	}
}
