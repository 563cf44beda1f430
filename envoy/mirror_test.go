package envoy

import (
	"bytes"
	"encoding/json"
	"testing"
)

// mirrorConfig mirrors the plugin configuration schema of docs/configuration.md. It is
// decoded strictly (unknown keys refused) as a second, loader-independent
// check on shipped configs and gives the tests the names to cross-check.
type mirrorConfig struct {
	Mode             string `json:"mode"`
	AuthorityFrom    string `json:"authority_from"`
	ClockSkewSeconds *int   `json:"clock_skew_seconds"`
	MaxTokenBytes    *int   `json:"max_token_bytes"`
	Issuers          []struct {
		Name           string          `json:"name"`
		Issuer         string          `json:"issuer"`
		JWKS           json.RawMessage `json:"jwks"`
		Algorithms     []string        `json:"algorithms"`
		TokenType      string          `json:"token_type"`
		RequiredClaims []string        `json:"required_claims"`
		// Remote JWK Set (docs/configuration.md#remote-key-sets-jwks_uri) and revocation levers (§2.3).
		JWKSURI            string   `json:"jwks_uri"`
		JWKSCluster        string   `json:"jwks_cluster"`
		JWKSRefresh        *int     `json:"jwks_refresh_seconds"`
		JWKSRefetchMin     *int     `json:"jwks_refetch_min_seconds"`
		JWKSTimeoutMS      *int     `json:"jwks_timeout_ms"`
		JWKSMaxStale       *int     `json:"jwks_max_stale_seconds"`
		RevokedKeyIDs      []string `json:"revoked_key_ids"`
		RevokedTokenIDs    []string `json:"revoked_token_ids"`
		RejectIssuedBefore *int64   `json:"reject_issued_before"`
	} `json:"issuers"`
	Resources []mirrorResource `json:"resources"`
}

type mirrorResource struct {
	Resource             string              `json:"resource"`
	Routes               []string            `json:"routes"`
	VirtualHosts         []string            `json:"virtual_hosts"`
	Authorities          []string            `json:"authorities"`
	Default              bool                `json:"default"`
	Issuers              []string            `json:"issuers"`
	RequiredScopes       []string            `json:"required_scopes"`
	ScopesSupported      []string            `json:"scopes_supported"`
	AuthorizationServers []string            `json:"authorization_servers"`
	AudienceMatch        string              `json:"audience_match"`
	ExclusiveAudience    *bool               `json:"exclusive_audience"`
	PublicPaths          []string            `json:"public_paths"`
	ForwardToken         bool                `json:"forward_token"`
	ClaimHeaders         map[string]string   `json:"claim_headers"`
	ScopeImplies         map[string][]string `json:"scope_implies"`
	Operations           []struct {
		Method string   `json:"method"`
		Name   string   `json:"name"`
		Scopes []string `json:"scopes"`
	} `json:"operations"`
	LegacyProtocol string   `json:"legacy_protocol"`
	AllowedOrigins []string `json:"allowed_origins"`
}

func mirrorDecode(t *testing.T, data []byte) *mirrorConfig {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c mirrorConfig
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("plugin config does not match the schema of docs/configuration.md: %v", err)
	}
	if dec.More() {
		t.Fatal("plugin config: trailing data")
	}
	if len(c.Issuers) == 0 || len(c.Resources) == 0 {
		t.Fatal("plugin config: no issuer or no resource")
	}
	return &c
}

// requireHostNeutral: for hosts without xds.* properties (Istio inbound's
// generic names, Kong), resources must map by authority or default only.
func requireHostNeutral(t *testing.T, where string, c *mirrorConfig) {
	t.Helper()
	for _, r := range c.Resources {
		if len(r.Routes) != 0 || len(r.VirtualHosts) != 0 {
			t.Errorf("%s: resource %s maps by route/virtual host name; this host needs authorities or default", where, r.Resource)
		}
		if len(r.Authorities) == 0 && !r.Default {
			t.Errorf("%s: resource %s has neither authorities nor default", where, r.Resource)
		}
	}
}
