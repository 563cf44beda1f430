// Command mcpserver is the upstream MCP server of the audguard end-to-end
// test: a streamable-HTTP MCP server (MCP spec 2025-06-18, "Streamable HTTP"
// transport) built with the official Go SDK, exposing one tool whose name
// comes from a flag. It does no authorization itself: audguard in front of it
// does. Test-only; do not deploy.
package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// echoIn is the tool's input.
type echoIn struct {
	Text string `json:"text" jsonschema:"text to echo back"`
}

// echoOut is the tool's structured output: the text and the server that answered.
type echoOut struct {
	Text   string `json:"text"`
	Server string `json:"server"`
}

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	name := flag.String("name", "mcp-a", "server name (MCP implementation name)")
	tool := flag.String("tool", "echo_a", "name of the one tool this server exposes")
	path := flag.String("path", "/mcp", "MCP endpoint path")
	flag.Parse()

	server := mcp.NewServer(&mcp.Implementation{Name: *name, Version: "e2e"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: *tool, Description: "Echoes its input; answers with the server name."},
		func(_ context.Context, _ *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, echoOut, error) {
			return nil, echoOut{Text: in.Text, Server: *name}, nil
		})

	mux := http.NewServeMux()
	mux.Handle(*path, mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })

	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("mcpserver %s: tool %q on %s%s", *name, *tool, *addr, *path)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
