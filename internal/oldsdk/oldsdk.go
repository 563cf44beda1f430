// Package oldsdk runs, for tests, the programs of e2e/oldsdk: an MCP client
// and server built with the official MCP Go SDK at v1.1.0, a release that
// speaks MCP 2025-06-18 at most (its client never sends Mcp-Method or
// Mcp-Name, its server never compares them with the body). e2e/oldsdk is a
// module of its own, as one build cannot hold that release and the root
// module's v1.8.0; this package builds its programs with the go command and
// drives them as processes, for the filter's in-process tests and the real
// host's suite alike.
package oldsdk

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// Version is the SDK release e2e/oldsdk/go.mod requires.
const Version = "v1.1.0"

var build struct {
	once           sync.Once
	client, server string
	err            error
}

// Programs builds e2e/oldsdk's oldclient and oldserver into dir, once per
// test binary (GOWORK=off; the SDK comes through the module proxy; go.sum as
// committed). repoRoot is the root module's directory.
func Programs(t testing.TB, repoRoot, dir string) (client, server string) {
	t.Helper()
	build.once.Do(func() {
		dir, err := filepath.Abs(dir)
		if err == nil {
			err = os.MkdirAll(dir, 0o755)
		}
		if err != nil {
			build.err = err
			return
		}
		cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./oldclient", "./oldserver")
		cmd.Dir = filepath.Join(repoRoot, "e2e", "oldsdk")
		cmd.Env = append(os.Environ(), "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build in e2e/oldsdk: %v\n%s", err, out)
			return
		}
		build.client, build.server = filepath.Join(dir, "oldclient"), filepath.Join(dir, "oldserver")
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.client, build.server
}

// Server is one running oldserver.
type Server struct {
	Addr   string // 127.0.0.1:port
	stderr *bytes.Buffer
}

// URL is the server's base URL, http://Addr.
func (s *Server) URL() string { return "http://" + s.Addr }

// StartServer runs the old server bin with args on a loopback port until the
// test ends (it exits when its standard input, held by the test, closes).
func StartServer(t testing.TB, bin string, args ...string) *Server {
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
	s := &Server{stderr: &bytes.Buffer{}}
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
	s.Addr = l.Listen
	return s
}

// Runs reads how often each tool ran on the server.
func (s *Server) Runs(t testing.TB) map[string]int {
	t.Helper()
	resp, err := http.Get(s.URL() + "/runs")
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

// Step is one line of oldclient's output.
type Step struct {
	Step            string     `json:"step"`
	OK              bool       `json:"ok"`
	Protocol        string     `json:"protocol"`
	Tools           []string   `json:"tools"`
	Tool            string     `json:"tool"`
	Text            string     `json:"text"`
	IsError         bool       `json:"is_error"`
	Error           string     `json:"error"`
	Status          int        `json:"status"`
	WWWAuthenticate string     `json:"www_authenticate"`
	HTTP            []Exchange `json:"http"`
}

// Exchange is one HTTP request the old client sent, as it reports it.
type Exchange struct {
	RPC             string `json:"rpc"`
	Version         string `json:"mcp_protocol_version"`
	McpMethod       string `json:"mcp_method"`
	McpName         string `json:"mcp_name"`
	Status          int    `json:"status"`
	WWWAuthenticate string `json:"www_authenticate"`
	Proto           string `json:"proto"`
}

// Call is one run of the old client.
type Call struct {
	URL, Host, Token string
	Tool, Args       string   // the tool to call and its JSON arguments
	Env              []string // added to the environment (e.g. SSL_CERT_FILE)
}

// RunClient runs oldclient bin with c and returns its steps. Exit status 1
// (a step failed) is not an error here: the steps say what failed.
func RunClient(t testing.TB, bin string, c Call) []Step {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-url", c.URL, "-host", c.Host, "-token", c.Token, "-tool", c.Tool, "-args", c.Args)
	cmd.Env = append(os.Environ(), c.Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		t.Fatalf("oldclient: %v\n%s%s", err, out, stderr.Bytes())
	}
	t.Logf("oldclient -tool %s:\n%s", c.Tool, bytes.TrimSpace(out))
	var steps []Step
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		var s Step
		if err := json.Unmarshal(line, &s); err != nil {
			t.Fatalf("oldclient output %q: %v", line, err)
		}
		steps = append(steps, s)
	}
	return steps
}

// WantSteps checks the steps (connect, list_tools, call_tool) and their
// outcomes, the protocol negotiated, the tools listed (both, or
// get_forecast alone: shape_lists), and that every POST
// was a 2025-06-18 one (no version header on initialize) without Mcp-Method
// or Mcp-Name, over proto ("" for any HTTP version).
func WantSteps(t testing.TB, steps []Step, proto string, ok ...bool) {
	t.Helper()
	var names, want []string
	var got []bool
	for i, s := range steps {
		names = append(names, s.Step)
		got = append(got, s.OK)
		want = append(want, []string{"connect", "list_tools", "call_tool"}[min(i, 2)])
		for _, x := range s.HTTP {
			v := "2025-06-18"
			if x.RPC == "initialize" {
				v = ""
			}
			if x.Version != v || x.McpMethod != "" || x.McpName != "" || proto != "" && x.Proto != proto {
				t.Errorf("%s: the old client sent %q over %s with MCP-Protocol-Version %q, Mcp-Method %q, Mcp-Name %q; want %q and neither",
					s.Step, x.RPC, x.Proto, x.Version, x.McpMethod, x.McpName, v)
			}
		}
	}
	if !slices.Equal(names, want) || !slices.Equal(got, ok) {
		t.Fatalf("steps %q ok %v, want %d steps ok %v", names, got, len(ok), ok)
	}
	if steps[0].Protocol != "2025-06-18" {
		t.Errorf("negotiated %q, want 2025-06-18", steps[0].Protocol)
	}
	// A filter with shape_lists hides delete_forecast from a token that
	// may not call it; the callers check which list they expect.
	if len(steps) > 1 && !slices.Equal(steps[1].Tools, []string{"delete_forecast", "get_forecast"}) && !slices.Equal(steps[1].Tools, []string{"get_forecast"}) {
		t.Errorf("tools %q", steps[1].Tools)
	}
}
