package envoy

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// istioDocs splits a multi-document manifest and returns each document by
// its kind; a kind twice, or a document without one, fails the test.
func istioDocs(t *testing.T, path string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for i, doc := range regexp.MustCompile(`(?m)^---[ \t]*$`).Split(string(readFile(t, path)), -1) {
		var head struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			t.Fatalf("%s: document %d: %v", path, i, err)
		}
		if head.Kind == "" {
			if strings.TrimSpace(regexp.MustCompile(`(?m)^#.*$`).ReplaceAllString(doc, "")) != "" {
				t.Fatalf("%s: document %d has no kind", path, i)
			}
			continue
		}
		if _, dup := out[head.Kind]; dup {
			t.Fatalf("%s: two %s documents", path, head.Kind)
		}
		out[head.Kind] = []byte(doc)
	}
	return out
}

// serviceEntry and destinationRule are the subsets of networking.istio.io/v1
// the manifests use, decoded strictly.
type serviceEntry struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		ExportTo   []string `json:"exportTo"`
		Hosts      []string `json:"hosts"`
		Location   string   `json:"location"`
		Resolution string   `json:"resolution"`
		Ports      []struct {
			Number   int    `json:"number"`
			Name     string `json:"name"`
			Protocol string `json:"protocol"`
		} `json:"ports"`
	} `json:"spec"`
}

type destinationRule struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		ExportTo      []string `json:"exportTo"`
		Host          string   `json:"host"`
		TrafficPolicy struct {
			PortLevelSettings []struct {
				Port struct {
					Number int `json:"number"`
				} `json:"port"`
				TLS struct {
					Mode            string   `json:"mode"`
					SNI             string   `json:"sni"`
					SubjectAltNames []string `json:"subjectAltNames"`
					CACertificates  string   `json:"caCertificates"`
				} `json:"tls"`
			} `json:"portLevelSettings"`
		} `json:"trafficPolicy"`
	} `json:"spec"`
}

// checkIstioJWKSCluster: each issuer with a jwks_uri names, as jwks_cluster,
// the cluster Istio builds for the manifest's ServiceEntry and port
// ("outbound|<port>||<host>", Istio's subset key), for the jwks_uri's host
// and port, and the manifest's DestinationRule originates TLS on that port
// with the host as SNI and as the pinned subject alternative name. Without
// the DestinationRule the cluster would be plain TCP and the fetch would send
// HTTP to port 443.
func checkIstioJWKSCluster(t *testing.T, path string, c *mirrorConfig) {
	t.Helper()
	docs := istioDocs(t, path)
	var se serviceEntry
	var dr destinationRule
	if err := yaml.UnmarshalStrict(docs["ServiceEntry"], &se); err != nil {
		t.Fatalf("%s: ServiceEntry: %v", path, err)
	}
	if err := yaml.UnmarshalStrict(docs["DestinationRule"], &dr); err != nil {
		t.Fatalf("%s: DestinationRule: %v", path, err)
	}
	remote := 0
	for _, is := range c.Issuers {
		if is.JWKSURI == "" {
			continue
		}
		remote++
		u, err := url.Parse(is.JWKSURI)
		if err != nil || u.Scheme != "https" || u.Port() != "" {
			t.Errorf("%s: issuer %s: jwks_uri %q, want https on the default port", path, is.Name, is.JWKSURI)
			continue
		}
		host, port := u.Hostname(), 443
		if want := fmt.Sprintf("outbound|%d||%s", port, host); is.JWKSCluster != want {
			t.Errorf("%s: issuer %s: jwks_cluster %q, want %q (Istio's cluster for the ServiceEntry)", path, is.Name, is.JWKSCluster, want)
		}
		if se.APIVersion != "networking.istio.io/v1" || len(se.Spec.Hosts) != 1 || se.Spec.Hosts[0] != host ||
			se.Spec.Location != "MESH_EXTERNAL" || se.Spec.Resolution != "DNS" {
			t.Errorf("%s: ServiceEntry: want networking.istio.io/v1, hosts [%s], MESH_EXTERNAL, resolution DNS; got %+v", path, host, se.Spec)
		}
		found := false
		for _, p := range se.Spec.Ports {
			found = found || p.Number == port && (p.Protocol == "HTTPS" || p.Protocol == "TLS")
		}
		if !found {
			t.Errorf("%s: ServiceEntry has no HTTPS/TLS port %d", path, port)
		}
		if len(se.Spec.ExportTo) != 1 || se.Spec.ExportTo[0] != "." || len(dr.Spec.ExportTo) != 1 || dr.Spec.ExportTo[0] != "." {
			t.Errorf("%s: ServiceEntry and DestinationRule must be exportTo [\".\"]: the TLS origination would reach every namespace's sidecars", path)
		}
		if se.Metadata.Namespace != dr.Metadata.Namespace || dr.Spec.Host != host {
			t.Errorf("%s: DestinationRule host %q namespace %q; want %q in the ServiceEntry's namespace %q", path, dr.Spec.Host, dr.Metadata.Namespace, host, se.Metadata.Namespace)
		}
		tls := false
		for _, pl := range dr.Spec.TrafficPolicy.PortLevelSettings {
			if pl.Port.Number != port {
				continue
			}
			s := pl.TLS
			tls = s.Mode == "SIMPLE" && s.SNI == host && len(s.SubjectAltNames) == 1 && s.SubjectAltNames[0] == host
		}
		if !tls {
			t.Errorf("%s: DestinationRule does not originate TLS on port %d with sni and subjectAltNames %s", path, port, host)
		}
	}
	if remote == 0 {
		t.Errorf("%s: no issuer uses jwks_uri", path)
	}
}
