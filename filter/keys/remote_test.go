package keys

import (
	"errors"
	"strings"
	"testing"
)

func TestFetchHeaders(t *testing.T) {
	cases := []struct {
		uri, authority, path string
		err                  string // substring of the refusal; "" accepts
	}{
		{"https://idp.example.com/.well-known/jwks.json", "idp.example.com", "/.well-known/jwks.json", ""},
		{"https://IDP.example.com:8443/keys?tenant=a&v=2", "idp.example.com:8443", "/keys?tenant=a&v=2", ""},
		{"https://idp.example.com:443/keys", "idp.example.com", "/keys", ""},
		{"https://idp.example.com", "idp.example.com", "/", ""},
		{"https://idp.example.com/keys?", "idp.example.com", "/keys", ""},
		{"https://idp.example.com/a/../keys?x=%2F", "idp.example.com", "/keys?x=%2F", ""},
		{"https://[2001:db8::1]:9443/keys", "[2001:db8::1]:9443", "/keys", ""},
		{"http://localhost:8080/jwks", "localhost:8080", "/jwks", ""},
		{"http://127.0.0.2/jwks", "127.0.0.2", "/jwks", ""},
		{"http://[::1]/jwks", "[::1]", "/jwks", ""},
		{"http://idp.example.com/jwks", "", "", "plain http"},
		{"http://10.0.0.1/jwks", "", "", "plain http"},
		{"ftp://idp.example.com/jwks", "", "", "scheme"},
		{"https://user@idp.example.com/jwks", "", "", "userinfo"},
		{"https://idp.example.com/jwks#k", "", "", "fragment"},
		{"https://idp.example.com/jwks?a=%zz", "", "", "query"},
		{"https://idp.example.com/jwks?a=<b>", "", "", "query"},
		{"https://idp.example.com/j wks", "", "", "space"},
		{"/jwks", "", "", "absolute"},
		{"", "", "", "empty"},
	}
	for _, c := range cases {
		h, err := FetchHeaders(c.uri)
		if c.err != "" {
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Member != "jwks_uri" || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: %v, want a jwks_uri refusal about %q", c.uri, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.uri, err)
			continue
		}
		scheme := "https"
		if strings.HasPrefix(c.uri, "http:") {
			scheme = "http"
		}
		want := [][2]string{{":method", "GET"}, {":scheme", scheme}, {":authority", c.authority}, {":path", c.path}, {"accept", "application/json"}}
		if len(h) != len(want) {
			t.Fatalf("%q: %v", c.uri, h)
		}
		for i := range want {
			if h[i] != want[i] {
				t.Errorf("%q: header %d is %q, want %q", c.uri, i, h[i], want[i])
			}
		}
	}
}

func TestRemoteCheck(t *testing.T) {
	cases := []struct {
		name   string
		mut    func(*Remote)
		member string // "" accepts
	}{
		{"defaults", nil, ""},
		{"bounds low", func(r *Remote) {
			r.RefreshSeconds, r.RefetchMinSeconds, r.TimeoutMS, r.MaxStaleSeconds = 60, 5, 100, 60
		}, ""},
		{"bounds high", func(r *Remote) {
			r.RefreshSeconds, r.RefetchMinSeconds, r.TimeoutMS, r.MaxStaleSeconds = 86400, 3600, 30000, 86400
		}, ""},
		{"stale forever", func(r *Remote) { r.MaxStaleSeconds = 0 }, ""},
		{"bad uri", func(r *Remote) { r.URI = "http://idp.example.com/" }, "jwks_uri"},
		{"no cluster", func(r *Remote) { r.Cluster = "" }, "jwks_cluster"},
		{"cluster with space", func(r *Remote) { r.Cluster = "a b" }, "jwks_cluster"},
		{"refresh low", func(r *Remote) { r.RefreshSeconds = 59 }, "jwks_refresh_seconds"},
		{"refresh high", func(r *Remote) { r.RefreshSeconds = 86401 }, "jwks_refresh_seconds"},
		{"refetch low", func(r *Remote) { r.RefetchMinSeconds = 4 }, "jwks_refetch_min_seconds"},
		{"refetch high", func(r *Remote) { r.RefetchMinSeconds = 3601 }, "jwks_refetch_min_seconds"},
		{"timeout low", func(r *Remote) { r.TimeoutMS = 99 }, "jwks_timeout_ms"},
		{"timeout high", func(r *Remote) { r.TimeoutMS = 30001 }, "jwks_timeout_ms"},
		{"stale below refresh", func(r *Remote) { r.MaxStaleSeconds = 599 }, "jwks_max_stale_seconds"},
		{"stale negative", func(r *Remote) { r.MaxStaleSeconds = -1 }, "jwks_max_stale_seconds"},
	}
	for _, c := range cases {
		r := remoteCfg(c.mut)
		err := r.Check()
		var ce *ConfigError
		switch {
		case c.member == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.member != "" && (!errors.As(err, &ce) || ce.Member != c.member || ce.Fix == ""):
			t.Errorf("%s: %v, want a refusal of %s", c.name, err, c.member)
		}
	}
}
