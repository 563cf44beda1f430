package config

import (
	"strings"

	"github.com/audguard/audguard/internal/lex"
	"github.com/audguard/audguard/internal/strsort"
)

// readScopes reads a list of scopes, each an RFC 6749 §3.3 scope-token:
// 1*( %x21 / %x23-5B / %x5D-7E ).
func readScopes(n *node) ([]string, error) {
	scopes, elems, err := readStrings(n)
	if err != nil {
		return nil, err
	}
	for i, s := range scopes {
		if !lex.IsScopeToken(s) {
			return nil, refuse(elems[i].path(), "is not an RFC 6749 §3.3 scope-token",
				`use printable ASCII without spaces, '"' or '\'`)
		}
	}
	return scopes, nil
}

// readClaimHeaders reads resources[].claim_headers, an object mapping a claim
// name to the request header set from it (docs/request-flow.md#13-upstream-headers). Header names are
// RFC 9110 §5.6.2 tokens, stored lower-case, and never a header that routes,
// frames or authenticates the request. The result is sorted by Header.
func readClaimHeaders(n *node) ([]ClaimHeader, error) {
	if n.kind != kindObject {
		return nil, wrongType(n, "an object mapping claim names to header names")
	}
	out := make([]ClaimHeader, 0, len(n.keys))
	seen := make(map[string]string, len(n.keys)) // stripKey(header) → path
	for i, claim := range n.keys {
		v := n.elems[i]
		if claim == "" {
			return nil, refuse(v.path(), "the claim name is empty", "use the claim's name as the member name")
		}
		h, err := readNonEmptyString(v)
		if err != nil {
			return nil, err
		}
		if err := checkClaimHeaderName(v.path(), h); err != nil {
			return nil, err
		}
		k := stripKey(h)
		if prev, ok := seen[k]; ok {
			return nil, refuse(v.path(), "header "+quote(h)+" is already set from "+prev, "set each header from one claim")
		}
		seen[k] = v.path()
		out = append(out, ClaimHeader{Claim: claim, Header: strings.ToLower(h)})
	}
	// Sorted by Header (unique: a repeated header was refused above) through
	// the []string sort the module has anyway, not the sort package and its
	// reflection.
	headers := make([]string, len(out))
	byHeader := make(map[string]ClaimHeader, len(out))
	for i, c := range out {
		headers[i] = c.Header
		byHeader[c.Header] = c
	}
	strsort.Sort(headers)
	for i, h := range headers {
		out[i] = byHeader[h]
	}
	return out, nil
}

// forbiddenHeader reports whether header k may never be set from a claim:
// it authenticates, routes or frames the request (docs/configuration.md),
// or is hop-by-hop (RFC 9110 §7.6.1). A switch, not a map: no table built
// at start.
func forbiddenHeader(k string) bool {
	switch k {
	case "authorization", "host", "cookie", "te", "connection",
		"transfer-encoding",
		// Beyond the headers that frame the request (safer reading): hop-by-hop and proxy headers.
		"proxy-authorization", "proxy-connection", "keep-alive",
		"upgrade", "trailer", "forwarded":
		return true
	}
	return false
}

// forbiddenPrefixes are header families that may never be set from a claim.
var forbiddenPrefixes = []string{"content-", "x-envoy-", "x-forwarded-", "mcp-"}

func checkClaimHeaderName(path, h string) error {
	if strings.HasPrefix(h, ":") {
		return refuse(path, quote(h)+" is a pseudo-header", "use an ordinary header name such as x-mcp-subject")
	}
	if !lex.IsToken(h) {
		return refuse(path, quote(h)+" is not an RFC 9110 §5.6.2 token", "use letters, digits and '-' only")
	}
	k := stripKey(h)
	if forbiddenHeader(k) {
		return refuse(path, quote(h)+" may not be set from a claim", "use an application header such as x-mcp-subject")
	}
	for _, p := range forbiddenPrefixes {
		if strings.HasPrefix(k, p) {
			return refuse(path, quote(h)+" may not be set from a claim ("+p+"* headers are reserved)", "use an application header such as x-mcp-subject")
		}
	}
	return nil
}

// stripKey is the form header names are compared in (docs/request-flow.md#13-upstream-headers):
// lex.AppendHeaderKey, lower-case with every byte other than a-z and 0-9
// read as "-", as CGI-style upstreams fold "_" and "." into the same
// variable. The MCP request headers are compared in the same form.
//
//go:noinline
func stripKey(h string) string {
	return string(lex.AppendHeaderKey(nil, h))
}
