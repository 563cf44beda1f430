package envoy

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	streamv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"
	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// TestEnvoyYAMLRemoteKeys: every issuer of envoy.yaml with a jwks_uri names,
// in jwks_cluster, a cluster of the same file that reaches the URI's host and
// port over TLS with that host as SNI, a CA bundle and the host pinned as a
// DNS subject alternative name. `audguard check` does not look at clusters,
// so a misspelt jwks_cluster would otherwise only show as failed fetches
// (the host refuses a call-out to an unknown cluster). At least one issuer
// must use jwks_uri: the e2e key-rotation test needs it.
func TestEnvoyYAMLRemoteKeys(t *testing.T) {
	b := loadBootstrap(t, readFile(t, "envoy.yaml"))
	clusters := map[string]*clusterv3.Cluster{}
	for _, c := range b.GetStaticResources().GetClusters() {
		clusters[c.GetName()] = c
	}
	cfg := mirrorDecode(t, checkWasm(t, collect[*wasmfilterv3.Wasm](t, b)[0]))
	remote := 0
	for _, is := range cfg.Issuers {
		if is.JWKSURI == "" {
			if is.JWKSCluster != "" {
				t.Errorf("issuer %s: jwks_cluster without jwks_uri", is.Name)
			}
			continue
		}
		remote++
		u, err := url.Parse(is.JWKSURI)
		if err != nil || u.Scheme != "https" || u.Hostname() == "" {
			t.Errorf("issuer %s: jwks_uri %q is not an https URL (the shipped example is a production one)", is.Name, is.JWKSURI)
			continue
		}
		port := uint32(443)
		if p := u.Port(); p != "" {
			t.Errorf("issuer %s: jwks_uri %q names a port; the example keeps the default", is.Name, is.JWKSURI)
		}
		c := clusters[is.JWKSCluster]
		if c == nil {
			t.Errorf("issuer %s: jwks_cluster %q is not a cluster of envoy.yaml", is.Name, is.JWKSCluster)
			continue
		}
		if typ := c.GetType(); typ != clusterv3.Cluster_LOGICAL_DNS && typ != clusterv3.Cluster_STRICT_DNS {
			t.Errorf("cluster %s: type %v, want LOGICAL_DNS or STRICT_DNS", c.GetName(), typ)
		}
		found := false
		for _, e := range c.GetLoadAssignment().GetEndpoints() {
			for _, lb := range e.GetLbEndpoints() {
				sa := lb.GetEndpoint().GetAddress().GetSocketAddress()
				if sa.GetAddress() == u.Hostname() && sa.GetPortValue() == port {
					found = true
				} else {
					t.Errorf("cluster %s: endpoint %s:%d, want %s:%d", c.GetName(), sa.GetAddress(), sa.GetPortValue(), u.Hostname(), port)
				}
			}
		}
		if !found {
			t.Errorf("cluster %s: no endpoint %s:%d", c.GetName(), u.Hostname(), port)
		}
		ts := c.GetTransportSocket()
		if ts == nil || ts.GetName() != "envoy.transport_sockets.tls" {
			t.Errorf("cluster %s: no TLS transport socket: the JWK Set would be fetched in the clear", c.GetName())
			continue
		}
		tc := &tlsv3.UpstreamTlsContext{}
		if err := ts.GetTypedConfig().UnmarshalTo(tc); err != nil {
			t.Fatalf("cluster %s: transport socket is not an UpstreamTlsContext: %v", c.GetName(), err)
		}
		if tc.GetSni() != u.Hostname() {
			t.Errorf("cluster %s: sni %q, want %q", c.GetName(), tc.GetSni(), u.Hostname())
		}
		vc := tc.GetCommonTlsContext().GetValidationContext()
		if !strings.HasPrefix(vc.GetTrustedCa().GetFilename(), "/") {
			t.Errorf("cluster %s: validation_context.trusted_ca is not a CA bundle file: Envoy would accept any certificate", c.GetName())
		}
		pinned := false
		for _, m := range vc.GetMatchTypedSubjectAltNames() {
			if m.GetSanType() == tlsv3.SubjectAltNameMatcher_DNS && m.GetMatcher().GetExact() == u.Hostname() {
				pinned = true
			}
		}
		if !pinned {
			t.Errorf("cluster %s: match_typed_subject_alt_names does not pin DNS %q: any certificate the CA bundle trusts would do", c.GetName(), u.Hostname())
		}
		if vc.GetTrustChainVerification() != tlsv3.CertificateValidationContext_VERIFY_TRUST_CHAIN {
			t.Errorf("cluster %s: trust_chain_verification %v", c.GetName(), vc.GetTrustChainVerification())
		}
		if is.JWKSRefetchMin == nil {
			t.Errorf("issuer %s: jwks_refetch_min_seconds not spelt out; the e2e test reads it from envoy.yaml", is.Name)
		}
	}
	if remote == 0 {
		t.Error("no issuer uses jwks_uri; the e2e key-rotation test needs one")
	}
}

// TestEnvoyYAMLAccessLog: the connection manager logs audguard's three
// access-log properties (README.md, "Counters and logs"), which the e2e test
// finds in Envoy's output, and never the query string (a token sent there
// would be written to the log).
func TestEnvoyYAMLAccessLog(t *testing.T) {
	b := loadBootstrap(t, readFile(t, "envoy.yaml"))
	hcm := collect[*hcmv3.HttpConnectionManager](t, b)[0]
	if len(hcm.GetAccessLog()) != 1 {
		t.Fatalf("%d access logs, want 1", len(hcm.GetAccessLog()))
	}
	al := &streamv3.StdoutAccessLog{}
	if err := hcm.GetAccessLog()[0].GetTypedConfig().UnmarshalTo(al); err != nil {
		t.Fatalf("access log is not a StdoutAccessLog: %v", err)
	}
	format := al.GetLogFormat().GetTextFormatSource().GetInlineString()
	for _, want := range []string{
		"audguard=%FILTER_STATE(wasm.audguard_outcome:PLAIN)%/%FILTER_STATE(wasm.audguard_reason:PLAIN)%",
		"resource=%FILTER_STATE(wasm.audguard_resource:PLAIN)%",
		"%REQ_WITHOUT_QUERY(:PATH)%",
	} {
		if !strings.Contains(format, want) {
			t.Errorf("access log format lacks %s: %q", want, format)
		}
	}
	if strings.Contains(format, "%REQ(:PATH)%") || strings.Contains(format, "%PATH%") || !strings.HasSuffix(format, "\n") {
		t.Errorf("access log format logs the query string or lacks the final newline: %q", format)
	}
	// The same line README.md recommends ("Counters and logs").
	m := regexp.MustCompile(`(?m)^\s*inline_string: ("[^"\n]*audguard_outcome[^"\n]*")\s*$`).FindSubmatch(readFile(t, "../README.md"))
	if m == nil {
		t.Fatal("README.md: no access-log inline_string naming audguard_outcome")
	}
	if readme, err := strconv.Unquote(string(m[1])); err != nil || readme != format {
		t.Errorf("access log format differs from README.md's:\n envoy.yaml %q\n README.md  %q (%v)", format, readme, err)
	}
}
