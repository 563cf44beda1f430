package policy

import (
	"encoding/json"
	"testing"

	"github.com/audguard/audguard/filter/config"
)

// TestMetadataDocumentBytes: the metadata document is byte for byte what
// json.Marshal wrote for it before (HTML-safe escaping, scopes_supported
// left out when empty, offline_access never published).
func TestMetadataDocumentBytes(t *testing.T) {
	for _, r := range []*config.Resource{
		{URI: "https://mcp.example.com/mcp", AuthorizationServers: []string{"https://auth.example.com"}, ScopesSupported: []string{"mcp:read", "mcp:write"}},
		{URI: "https://mcp.example.com/", AuthorizationServers: nil, ScopesSupported: nil},
		{URI: "https://mcp.example.com/a&b<c>", AuthorizationServers: []string{"https://a.example/x?y=1&z=\u2028"}, ScopesSupported: []string{"offline_access"}},
		{URI: "https://h/mcp", AuthorizationServers: []string{"a", "b"}, ScopesSupported: []string{"offline_access", "s\"q\\"}},
	} {
		doc := struct {
			Resource               string   `json:"resource"`
			AuthorizationServers   []string `json:"authorization_servers"`
			ScopesSupported        []string `json:"scopes_supported,omitempty"`
			BearerMethodsSupported []string `json:"bearer_methods_supported"`
		}{r.URI, r.AuthorizationServers, published(r.ScopesSupported), []string{"header"}}
		if doc.AuthorizationServers == nil {
			doc.AuthorizationServers = []string{}
		}
		want, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		if got := metadataDocument(r); string(got) != string(want) {
			t.Errorf("metadataDocument(%q) =\n%s\nwant\n%s", r.URI, got, want)
		}
	}
}
