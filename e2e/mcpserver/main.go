// Command mcpserver is the upstream MCP server of the audguard end-to-end
// test: a streamable-HTTP MCP server built with the official Go SDK,
// stateless so that it speaks MCP 2026-07-28 (the SDK serves that revision
// only statelessly) as well as the older revisions. It exposes two tools
// whose names come from flags: a harmless echo and a "dangerous" one
// (destructive in its annotations) that envoy/envoy.yaml guards with an
// operations rule needing mcp:admin. It does no authorization itself:
// audguard in front of it does. What it does check, as every 2026-07-28
// server must, is that the Mcp-Method and Mcp-Name headers audguard judged
// agree with the JSON-RPC body (400, HeaderMismatch -32020 otherwise; the
// SDK does that). Test-only; do not deploy.
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
	tool := flag.String("tool", "echo_a", "name of the harmless echo tool")
	adminTool := flag.String("admin-tool", "delete_a", "name of the dangerous tool (audguard requires mcp:admin for it)")
	path := flag.String("path", "/mcp", "MCP endpoint path")
	flag.Parse()

	server := mcp.NewServer(&mcp.Implementation{Name: *name, Version: "e2e"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: *tool, Description: "Echoes its input; answers with the server name."},
		func(_ context.Context, _ *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, echoOut, error) {
			return nil, echoOut{Text: in.Text, Server: *name}, nil
		})
	destructive := true
	mcp.AddTool(server, &mcp.Tool{Name: *adminTool, Description: "Pretends to delete what it is given; answers with the server name.",
		Annotations: &mcp.ToolAnnotations{DestructiveHint: &destructive}},
		func(_ context.Context, _ *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, echoOut, error) {
			log.Printf("mcpserver %s: %s called", *name, *adminTool)
			return nil, echoOut{Text: "deleted " + in.Text, Server: *name}, nil
		})

	mux := http.NewServeMux()
	mux.Handle(*path, mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{Stateless: true}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })

	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("mcpserver %s: tools %q and %q on %s%s", *name, *tool, *adminTool, *addr, *path)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
