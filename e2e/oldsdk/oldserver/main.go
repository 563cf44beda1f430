// Command oldserver is an MCP server of the official MCP Go SDK at v1.1.0 with
// a safe tool, get_forecast, and a dangerous one, delete_forecast, both
// taking {"city": string}. It counts the runs of each tool.
//
// It validates none of the MCP request headers, as an old or lax server does:
// the SDK at v1.1.0 knows nothing of Mcp-Method and Mcp-Name (MCP 2026-07-28)
// and never compares them with the body; it does refuse (400) an
// MCP-Protocol-Version it does not know, which would hide a client's lie
// behind a newer revision, so a value other than 2025-06-18, 2025-03-26 and
// 2024-11-05 is dropped before the SDK sees the request (it then assumes
// 2025-03-26) and a request claiming 2026-07-28 is served from its body.
//
//	oldserver [-addr 127.0.0.1:0] [-stateless] [-json] [-stdin-exit]
//
// It serves the MCP endpoint at /mcp and the run counts at GET /runs
// ({"delete_forecast": n, "get_forecast": n}), and prints one JSON line
// {"listen": "host:port"} on stdout once it listens.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type forecastArgs struct {
	City string `json:"city"`
}

type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) add(tool string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[tool]++
}

func (c *counter) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(c.n)
}

// versions are the revisions the SDK at v1.1.0 supports.
var versions = map[string]bool{"2025-06-18": true, "2025-03-26": true, "2024-11-05": true}

// lax drops an MCP-Protocol-Version the SDK does not know.
func lax(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := r.Header.Values("Mcp-Protocol-Version"); len(v) > 0 && !versions[v[0]] {
			r.Header.Del("Mcp-Protocol-Version")
		}
		h.ServeHTTP(w, r)
	})
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	stateless := flag.Bool("stateless", false, "no sessions (the SDK's StreamableHTTPOptions.Stateless)")
	jsonResponse := flag.Bool("json", false, "answer POSTs with application/json rather than an event stream")
	stdinExit := flag.Bool("stdin-exit", false, "exit when standard input ends (a test keeps it open)")
	flag.Parse()

	runs := &counter{n: map[string]int{"get_forecast": 0, "delete_forecast": 0}}
	s := mcp.NewServer(&mcp.Implementation{Name: "forecast", Version: "1.1.0"}, nil)
	yes, no := true, false
	mcp.AddTool(s, &mcp.Tool{Name: "get_forecast", Description: "Read a forecast.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true}},
		func(_ context.Context, _ *mcp.CallToolRequest, in forecastArgs) (*mcp.CallToolResult, any, error) {
			runs.add("get_forecast")
			log.Printf("ran get_forecast city=%q", in.City)
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "sunny in " + in.City}}}, nil, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "delete_forecast", Description: "Delete a forecast.",
		Annotations: &mcp.ToolAnnotations{DestructiveHint: &yes, OpenWorldHint: &no}},
		func(_ context.Context, _ *mcp.CallToolRequest, in forecastArgs) (*mcp.CallToolResult, any, error) {
			runs.add("delete_forecast")
			log.Printf("ran delete_forecast city=%q", in.City)
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "deleted " + in.City}}}, nil, nil
		})
	handler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s },
		&mcp.StreamableHTTPOptions{Stateless: *stateless, JSONResponse: *jsonResponse})

	mux := http.NewServeMux()
	mux.Handle("/mcp", lax(handler))
	mux.Handle("GET /runs", runs)

	l, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if *stdinExit {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			os.Exit(0)
		}()
	}
	if err := json.NewEncoder(os.Stdout).Encode(map[string]string{"listen": l.Addr().String()}); err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(fmt.Errorf("serve: %w", srv.Serve(l)))
}
