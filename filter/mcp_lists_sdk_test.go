package main

// List shaping (docs/request-flow.md#lists) with the MCP Go SDK (v1.8.0) on
// both sides of the filter, in both runners: the SDK client
// (mcp.NewClient, StreamableClientTransport) lists tools through the filter
// in the emulator, the SDK server answers, and the response body passes the
// filter as well (stepUpWorld.respBody). A token sees the tools it may call.

import (
	"net/http"
	"slices"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// bearerTransport sends every request with one fixed bearer token.
type bearerTransport struct {
	token string
	next  http.RoundTripper
}

func (b bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(req)
}

// TestMCPListShapingSDK: with shape_lists on (the default of a resource with
// operations) and mcp_body verify, a token with mcp:tools lists only
// get_forecast, and calling each tool it lists succeeds; a token with
// mcp:tools and mcp:admin lists both.
func TestMCPListShapingSDK(t *testing.T) {
	k := getKeys(t)
	for _, r := range runners() {
		t.Run(r.name, func(t *testing.T) {
			w := newStepUpWorldWith(t, r, k, stepUpConfigBody(k, "verify"))
			defer w.h.reset()
			w.respBody = true
			for _, tc := range []struct {
				name, scope string
				want        []string
			}{
				{"read-only", "mcp:tools", []string{"get_forecast"}},
				{"admin", "mcp:tools mcp:admin", []string{"delete_forecast", "get_forecast"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					ctx := t.Context()
					tok := w.c.rs(resStepUp, map[string]any{"scope": tc.scope})
					w.tokens = append(w.tokens, tok)
					client := mcp.NewClient(&mcp.Implementation{Name: "lists-client", Version: "1.0.0"}, nil)
					transport := &mcp.StreamableClientTransport{Endpoint: resStepUp,
						HTTPClient: &http.Client{Transport: bearerTransport{tok, w}}}
					mark := w.mark()
					cs, err := client.Connect(ctx, transport, nil)
					if err != nil {
						t.Fatalf("Connect: %v\n%s", err, w.dump(mark))
					}
					defer cs.Close()

					mark = w.mark()
					res, err := cs.ListTools(ctx, nil)
					if err != nil {
						t.Fatalf("ListTools: %v\n%s", err, w.dump(mark))
					}
					hop := w.onlyMCP(t, mark)
					wantSent(t, hop, "tools/list", "")
					if hop.Status != 200 || hop.By != "upstream" {
						t.Errorf("tools/list: %s", hop)
					}
					var names []string
					for _, tool := range res.Tools {
						names = append(names, tool.Name)
					}
					slices.Sort(names)
					if !slices.Equal(names, tc.want) {
						t.Fatalf("tools = %q, want %q\n%s", names, tc.want, w.dump(mark))
					}
					for _, name := range names {
						before := w.calls(name)
						mark := w.mark()
						res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: map[string]any{"city": "Oslo"}})
						if err != nil || res.IsError {
							t.Fatalf("CallTool %s: %v %+v\n%s", name, err, res, w.dump(mark))
						}
						hop := w.onlyMCP(t, mark)
						wantSent(t, hop, "tools/call", name)
						if hop.Status != 200 || hop.By != "upstream" {
							t.Errorf("%s: %s", name, hop)
						}
						if n := w.calls(name) - before; n != 1 {
							t.Errorf("%s ran %d times, want 1", name, n)
						}
					}
				})
			}
		})
	}
}
