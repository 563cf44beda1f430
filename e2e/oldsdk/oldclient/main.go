// Command oldclient is an MCP client of the official MCP Go SDK at v1.1.0
// (protocol 2025-06-18 at most, no Mcp-Method or Mcp-Name headers). It
// connects to an MCP endpoint over the streamable HTTP transport with a bearer
// token, lists the tools, calls one tool with the given arguments and prints
// one JSON line per step (see step).
//
//	oldclient -url http://127.0.0.1:8080/mcp -host tools.example.com -token "$TOKEN" \
//	    -tool get_forecast -args '{"city":"Oslo"}'
//
// The SDK's error for a refused request names the status only in words
// ("failed to connect: Forbidden"); the status code and WWW-Authenticate of
// each POST are read from the HTTP exchange itself, by a round tripper
// around the SDK's HTTP client. Exit status: 0 when every step succeeded, 1
// when one failed (its line says how), 2 on bad flags.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// step is one output line.
type step struct {
	Step     string   `json:"step"` // connect, list_tools, call_tool
	OK       bool     `json:"ok"`
	Protocol string   `json:"protocol,omitempty"` // connect: the negotiated revision
	Tools    []string `json:"tools,omitempty"`    // list_tools: the names, sorted
	Tool     string   `json:"tool,omitempty"`     // call_tool
	Text     string   `json:"text,omitempty"`     // call_tool: the result's text content
	IsError  bool     `json:"is_error,omitempty"` // call_tool: the tool reported an error
	Error    string   `json:"error,omitempty"`    // the SDK's error
	// Status and WWWAuthenticate are those of the last POST of the step
	// that was not answered 2xx (a refusal), as seen on the wire.
	Status          int    `json:"status,omitempty"`
	WWWAuthenticate string `json:"www_authenticate,omitempty"`
	// HTTP lists the step's POSTs: what the SDK sent and the answer.
	HTTP []exchange `json:"http"`
}

// exchange is one POST the SDK sent.
type exchange struct {
	RPC             string `json:"rpc"` // the JSON-RPC method of its body
	Version         string `json:"mcp_protocol_version"`
	McpMethod       string `json:"mcp_method"`
	McpName         string `json:"mcp_name"`
	Status          int    `json:"status"`
	WWWAuthenticate string `json:"www_authenticate,omitempty"`
	Proto           string `json:"proto"` // HTTP/1.1, HTTP/2.0
}

// recorder adds the token and the Host override to every request and
// records the POSTs.
type recorder struct {
	base  http.RoundTripper
	token string
	host  string

	mu   sync.Mutex
	seen []exchange
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.host != "" {
		req.Host = r.host
	}
	var x exchange
	if req.Method == http.MethodPost && req.Body != nil {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		var msg struct {
			Method string `json:"method"`
		}
		_ = json.Unmarshal(body, &msg)
		x = exchange{RPC: msg.Method, Version: req.Header.Get("Mcp-Protocol-Version"),
			McpMethod: req.Header.Get("Mcp-Method"), McpName: req.Header.Get("Mcp-Name")}
		if x.RPC == "" {
			x.RPC = "(response or batch)"
		}
	}
	resp, err := r.base.RoundTrip(req)
	if err != nil || req.Method != http.MethodPost {
		return resp, err
	}
	x.Status, x.Proto = resp.StatusCode, resp.Proto
	x.WWWAuthenticate = strings.Join(resp.Header.Values("Www-Authenticate"), ", ")
	r.mu.Lock()
	r.seen = append(r.seen, x)
	r.mu.Unlock()
	return resp, nil
}

// take returns the POSTs recorded since the last take.
func (r *recorder) take() []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.seen
	r.seen = nil
	if out == nil {
		out = []exchange{}
	}
	return out
}

func main() {
	endpoint := flag.String("url", "", "the MCP endpoint (required)")
	token := flag.String("token", "", "bearer token sent on every request")
	host := flag.String("host", "", "Host header to send instead of the URL's authority")
	tool := flag.String("tool", "", "tool to call after listing the tools (none: only connect and list)")
	args := flag.String("args", "{}", "the tool's arguments, a JSON object")
	timeout := flag.Duration("timeout", 30*time.Second, "limit for all steps together")
	flag.Parse()
	var arguments map[string]any
	if *endpoint == "" || flag.NArg() != 0 || json.Unmarshal([]byte(*args), &arguments) != nil {
		fmt.Fprintln(os.Stderr, "usage: oldclient -url URL [-token T] [-host H] [-tool NAME [-args JSON-object]]")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	rec := &recorder{base: http.DefaultTransport, token: *token, host: *host}
	out := json.NewEncoder(os.Stdout)
	failed := false
	emit := func(s step, err error) bool {
		s.HTTP = rec.take()
		s.OK = err == nil && !s.IsError
		if err != nil {
			s.Error = err.Error()
		}
		for _, x := range s.HTTP {
			if x.Status < 200 || x.Status > 299 {
				s.Status, s.WWWAuthenticate = x.Status, x.WWWAuthenticate
			}
		}
		_ = out.Encode(s)
		failed = failed || !s.OK
		return s.OK
	}
	defer func() {
		if failed {
			os.Exit(1)
		}
	}()

	client := mcp.NewClient(&mcp.Implementation{Name: "oldclient", Version: "1.1.0"}, nil)
	transport := &mcp.StreamableClientTransport{Endpoint: *endpoint, HTTPClient: &http.Client{Transport: rec}, MaxRetries: -1}
	cs, err := client.Connect(ctx, transport, nil)
	s := step{Step: "connect"}
	if err == nil {
		s.Protocol = cs.InitializeResult().ProtocolVersion
	}
	if !emit(s, err) {
		return
	}
	defer cs.Close()

	list, err := cs.ListTools(ctx, nil)
	s = step{Step: "list_tools"}
	if err == nil {
		for _, t := range list.Tools {
			s.Tools = append(s.Tools, t.Name)
		}
		slices.Sort(s.Tools)
	}
	if !emit(s, err) || *tool == "" {
		return
	}

	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: *tool, Arguments: arguments})
	s = step{Step: "call_tool", Tool: *tool}
	if err == nil {
		s.IsError = res.IsError
		var text []string
		for _, c := range res.Content {
			if tc, ok := c.(*mcp.TextContent); ok {
				text = append(text, tc.Text)
			}
		}
		s.Text = strings.Join(text, "\n")
	}
	emit(s, err)
}
