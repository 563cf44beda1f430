package main

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

// runFilter hands an HTTP request to the filter in the emulator as a proxy
// would: pseudo-headers, the request's headers (lower-case, in a stable
// order), a content-length for a body, then the body. It returns the stream's
// context id (the caller completes it) and, when the filter answered the
// request itself, its reply (status ≠ 0). Shared by the in-process MCP SDK
// tests.
func runFilter(e proxytest.HostEmulator, req *http.Request, authority string, body []byte) (id uint32, status int, hdr http.Header, data []byte, err error) {
	headers := [][2]string{{":method", req.Method}, {":path", req.URL.RequestURI()}, {":authority", authority}, {":scheme", req.URL.Scheme}}
	names := make([]string, 0, len(req.Header))
	for n := range req.Header {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		for _, v := range req.Header[n] {
			headers = append(headers, [2]string{strings.ToLower(n), v})
		}
	}
	if len(body) > 0 {
		headers = append(headers, [2]string{"content-length", strconv.Itoa(len(body))})
	}
	id = e.InitializeHttpContext()
	local := func() (uint32, int, http.Header, []byte, error, bool) {
		lr := e.GetSentLocalResponse(id)
		if lr == nil {
			return 0, 0, nil, nil, nil, false
		}
		hdr := http.Header{}
		for _, kv := range lr.Headers {
			if !strings.HasPrefix(kv[0], ":") {
				hdr.Add(kv[0], kv[1])
			}
		}
		return id, int(lr.StatusCode), hdr, lr.Data, nil, true
	}
	action := e.CallOnRequestHeaders(id, headers, len(body) == 0)
	if id, status, hdr, data, err, ok := local(); ok {
		return id, status, hdr, data, err
	}
	// A request judged by its JSON-RPC body is held at its headers
	// (docs/request-flow.md#9-mcp-operation) and decided with the body.
	held := action == types.ActionPause && len(body) > 0
	if action != types.ActionContinue && !held {
		return id, 0, nil, nil, fmt.Errorf("filter neither replied nor continued (action %v)", action)
	}
	if len(body) > 0 {
		a := e.CallOnRequestBody(id, body, true)
		if id, status, hdr, data, err, ok := local(); ok {
			return id, status, hdr, data, err
		}
		if a != types.ActionContinue {
			return id, 0, nil, nil, fmt.Errorf("filter paused the body (action %v)", a)
		}
	}
	return id, 0, nil, nil, nil
}
