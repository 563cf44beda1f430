package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/audguard/audguard/jwtlite"
)

type refusal struct {
	name    string
	mutate  func(t testing.TB, c obj)              // patch the base config, or
	raw     func(t testing.TB, base []byte) []byte // patch its JSON text
	path    string
	msg     string // substring of Msg
	fix     string // substring of Fix, if checked
	wrapped error  // also reachable with errors.Is, if set
}

// patchText replaces the first occurrence of old in the JSON text.
func patchText(old, new string) func(testing.TB, []byte) []byte {
	return func(t testing.TB, b []byte) []byte {
		t.Helper()
		s := string(b)
		if !strings.Contains(s, old) {
			t.Fatalf("patch target %q not in %s", old, s)
		}
		return []byte(strings.Replace(s, old, new, 1))
	}
}

func set(get func(obj) obj, key string, v any) func(testing.TB, obj) {
	return func(_ testing.TB, c obj) { get(c)[key] = v }
}

func del(get func(obj) obj, key string) func(testing.TB, obj) {
	return func(_ testing.TB, c obj) { delete(get(c), key) }
}

func top(c obj) obj  { return c }
func iss0(c obj) obj { return iss(c, 0) }
func res0(c obj) obj { return res(c, 0) }
func res1(c obj) obj { return res(c, 1) }

func jwks(keys ...obj) obj {
	a := arr{}
	for _, k := range keys {
		a = append(a, k)
	}
	return obj{"keys": a}
}

// with2 adds a second resource built by mk to the base config, then applies f.
func with2(mk func() obj, f func(c obj)) func(testing.TB, obj) {
	return func(_ testing.TB, c obj) {
		addResource(c, mk())
		if f != nil {
			f(c)
		}
	}
}

func refusals() []refusal {
	return []refusal{
		// Strict JSON (docs/configuration.md: duplicate members, unknown keys, wrong types, missing members).
		{name: "empty document", raw: func(testing.TB, []byte) []byte { return nil }, path: "$", msg: "unexpected end of input"},
		{name: "truncated", raw: func(_ testing.TB, b []byte) []byte { return b[:len(b)/2] }, msg: "invalid JSON"},
		{name: "syntax error", raw: patchText(`"name":"corp"`, `"name" "corp"`), path: "issuers[0].name", msg: "invalid JSON"},
		{name: "not an object", raw: func(testing.TB, []byte) []byte { return []byte(`[]`) }, path: "$", msg: "must be an object, not an array"},
		{name: "null document", raw: func(testing.TB, []byte) []byte { return []byte(`null`) }, path: "$", msg: "must be an object, not null"},
		{name: "trailing object", raw: func(_ testing.TB, b []byte) []byte { return append(b, "{}"...) }, path: "$", msg: "trailing data"},
		{name: "trailing garbage", raw: func(_ testing.TB, b []byte) []byte { return append(b, " x"...) }, path: "$", msg: "trailing data"},
		{name: "invalid UTF-8", raw: patchText(`"corp"`, "\"co\xffrp\""), path: "$", msg: "not valid UTF-8"},
		{name: "duplicate top-level member", raw: patchText(`{"issuers":`, `{"mode":"enforce","mode":"report","issuers":`), path: "mode", msg: "duplicate member"},
		{name: "duplicate member after unescaping", raw: patchText(`"name":"corp"`, `"name":"corp","na\u006de":"x"`), path: "issuers[0].name", msg: "duplicate member"},
		{name: "duplicate member inside a JWK", raw: patchText(`"kid":"rsa-1"`, `"kid":"rsa-1","k\u0069d":"z"`), path: "issuers[0].jwks.keys[0].kid", msg: "duplicate member"},
		{name: "duplicate member in claim_headers", raw: patchText(`"sub":"x-mcp-subject"`, `"sub":"x-mcp-subject","sub":"x-other"`), path: "resources[0].claim_headers.sub", msg: "duplicate member"},
		{name: "duplicate member inside a JWKS string", mutate: func(t testing.TB, c obj) {
			iss0(c)["jwks"] = `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + edKey(t)["x"].(string) + `","x":"AA"}]}`
		}, path: "issuers[0].jwks.keys[0].x", msg: "duplicate member"},
		{name: "unknown top-level member", mutate: set(top, "modes", "enforce"), path: "modes", msg: "unknown member", fix: "known members: mode,"},
		{name: "unknown issuer member", mutate: set(iss0, "alg", "RS256"), path: "issuers[0].alg", msg: "unknown member"},
		{name: "unknown resource member", mutate: set(res0, "audience", "x"), path: "resources[0].audience", msg: "unknown member"},
		{name: "unknown member with odd name", mutate: set(top, "a b", 1), path: `$["a b"]`, msg: "unknown member"},
		// DPoP (docs/configuration.md#resourcesdpop).
		{name: "dpop word", mutate: set(res0, "dpop", "on"), path: "resources[0].dpop", msg: `"on" is not one of`},
		{name: "dpop_algorithms HS256", mutate: func(t testing.TB, c obj) {
			res0(c)["dpop"], res0(c)["dpop_algorithms"] = "required", arr{"ES256", "HS256"}
		},
			path: "resources[0].dpop_algorithms[1]", msg: "not an asymmetric JWS algorithm", fix: "never none or HS*"},
		{name: "dpop_algorithms none", mutate: func(t testing.TB, c obj) { res0(c)["dpop"], res0(c)["dpop_algorithms"] = "required", arr{"none"} },
			path: "resources[0].dpop_algorithms[0]", msg: "not an asymmetric JWS algorithm"},
		{name: "dpop_algorithms empty", mutate: func(t testing.TB, c obj) { res0(c)["dpop"], res0(c)["dpop_algorithms"] = "allowed", arr{} },
			path: "resources[0].dpop_algorithms", msg: "must not be empty"},
		{name: "dpop_nonce with dpop off", mutate: set(res0, "dpop_nonce", true), path: "resources[0].dpop_nonce", msg: `has no effect while "dpop" is "off"`},
		{name: "dpop_iat_window_seconds 601", mutate: func(t testing.TB, c obj) { res0(c)["dpop"], res0(c)["dpop_iat_window_seconds"] = "required", 601 },
			path: "resources[0].dpop_iat_window_seconds", msg: "must be an integer from 5 to 600"},
		{name: "dpop_nonce_secret short", mutate: set(top, "dpop_nonce_secret", "c2hvcnQ"), path: "dpop_nonce_secret", msg: "at least 32 bytes"},
		{name: "dpop_nonce_secret not base64url", mutate: set(top, "dpop_nonce_secret", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNk+WY"), path: "dpop_nonce_secret", msg: "base64url"},
		{name: "missing issuers", mutate: del(top, "issuers"), path: "$", msg: `missing required member "issuers"`},
		{name: "missing resources", mutate: del(top, "resources"), path: "$", msg: `missing required member "resources"`},
		{name: "no issuer", mutate: set(top, "issuers", arr{}), path: "issuers", msg: "no issuer is configured"},
		{name: "no resource", mutate: set(top, "resources", arr{}), path: "resources", msg: "no resource is configured"},
		{name: "issuers not an array", mutate: set(top, "issuers", obj{}), path: "issuers", msg: "must be an array of issuers, not an object"},
		{name: "resources not an array", mutate: set(top, "resources", "x"), path: "resources", msg: "must be an array of resources, not a string"},
		{name: "issuer not an object", mutate: set(top, "issuers", arr{"corp"}), path: "issuers[0]", msg: "must be an object, not a string"},
		{name: "resource not an object", mutate: set(top, "resources", arr{nil}), path: "resources[0]", msg: "must be an object, not null"},

		// Ranges and words.
		{name: "mode word", mutate: set(top, "mode", "audit"), path: "mode", msg: `"audit" is not one of "enforce", "report"`},
		{name: "mode type", mutate: set(top, "mode", 1), path: "mode", msg: "must be a string, not a number"},
		{name: "mode null", mutate: set(top, "mode", nil), path: "mode", msg: "must be a string, not null"},
		{name: "skew too large", mutate: set(top, "clock_skew_seconds", 301), path: "clock_skew_seconds", msg: "from 0 to 300"},
		{name: "skew negative", mutate: set(top, "clock_skew_seconds", -1), path: "clock_skew_seconds", msg: "from 0 to 300"},
		{name: "skew fraction", mutate: set(top, "clock_skew_seconds", 1.5), path: "clock_skew_seconds", msg: "must be an integer"},
		{name: "skew exponent", raw: patchText(`{"issuers":`, `{"clock_skew_seconds":6e1,"issuers":`), path: "clock_skew_seconds", msg: "must be an integer"},
		{name: "skew string", mutate: set(top, "clock_skew_seconds", "60"), path: "clock_skew_seconds", msg: "must be an integer, not a string"},
		{name: "max_token_bytes too small", mutate: set(top, "max_token_bytes", 511), path: "max_token_bytes", msg: "from 512 to 65536"},
		{name: "max_token_bytes too large", mutate: set(top, "max_token_bytes", 65537), path: "max_token_bytes", msg: "from 512 to 65536"},
		{name: "cache_size negative", mutate: set(top, "cache_size", -1), path: "cache_size", msg: "from 0 to 1048576"},
		{name: "cache_size too large", mutate: set(top, "cache_size", 1<<20+1), path: "cache_size", msg: "from 0 to 1048576"},
		{name: "shared_cache_slots too large", mutate: set(top, "shared_cache_slots", 65537), path: "shared_cache_slots", msg: "from 0 to 65536"},
		{name: "gc_percent too small", mutate: set(top, "gc_percent", 24), path: "gc_percent", msg: "from 25 to 1000"},
		{name: "gc_percent too large", mutate: set(top, "gc_percent", 1001), path: "gc_percent", msg: "from 25 to 1000"},
		{name: "gc_percent off", mutate: set(top, "gc_percent", -1), path: "gc_percent", msg: "from 25 to 1000"},
		{name: "access_log_properties type", mutate: set(top, "access_log_properties", "false"), path: "access_log_properties", msg: "must be a boolean, not a string"},
		{name: "shared_cache_slots not a number", mutate: set(top, "shared_cache_slots", "8"), path: "shared_cache_slots", msg: "must be an integer"},
		{name: "max_token_bytes huge", raw: patchText(`{"issuers":`, `{"max_token_bytes":99999999999999999999999,"issuers":`), path: "max_token_bytes", msg: "from 512 to 65536"},
		{name: "token_type word", mutate: set(iss0, "token_type", "jwt"), path: "issuers[0].token_type", msg: `"jwt" is not one of "at+jwt", "any"`},
		{name: "audience_match word", mutate: set(res0, "audience_match", "loose"), path: "resources[0].audience_match", msg: `"loose" is not one of "exact", "canonical"`},
		{name: "exclusive_audience type", mutate: set(res0, "exclusive_audience", "yes"), path: "resources[0].exclusive_audience", msg: "must be a boolean, not a string"},
		{name: "forward_token type", mutate: set(res0, "forward_token", 0), path: "resources[0].forward_token", msg: "must be a boolean, not a number"},
		{name: "default type", mutate: set(res0, "default", "true"), path: "resources[0].default", msg: "must be a boolean, not a string"},

		// Issuers.
		{name: "issuer name missing", mutate: del(iss0, "name"), path: "issuers[0]", msg: `missing required member "name"`},
		{name: "issuer name empty", mutate: set(iss0, "name", ""), path: "issuers[0].name", msg: "must not be empty"},
		{name: "issuer value missing", mutate: del(iss0, "issuer"), path: "issuers[0]", msg: `missing required member "issuer"`},
		{name: "issuer value empty", mutate: set(iss0, "issuer", ""), path: "issuers[0].issuer", msg: "must not be empty"},
		{name: "jwks missing", mutate: del(iss0, "jwks"), path: "issuers[0]", msg: `missing required member "jwks"`},
		{name: "duplicate issuer name", mutate: func(t testing.TB, c obj) {
			is := secondIssuer(t)
			is["name"] = "corp"
			addIssuer(c, is)
			res0(c)["issuers"] = arr{"corp"}
		}, path: "issuers[1].name", msg: `issuer name "corp" is already used by issuers[0]`},
		{name: "duplicate issuer value", mutate: func(t testing.TB, c obj) {
			is := secondIssuer(t)
			is["issuer"] = "https://auth.example.com"
			addIssuer(c, is)
			res0(c)["issuers"] = arr{"corp"}
		}, path: "issuers[1].issuer", msg: `issuer "https://auth.example.com" is already configured by issuers[0]`},
		{name: "algorithm none", mutate: set(iss0, "algorithms", arr{"none"}), path: "issuers[0].algorithms[0]", msg: `"none" is not a supported JWS algorithm`},
		{name: "algorithm unknown", mutate: set(iss0, "algorithms", arr{"RS256", "RS1"}), path: "issuers[0].algorithms[1]", msg: "not a supported JWS algorithm"},
		{name: "algorithms empty", mutate: set(iss0, "algorithms", arr{}), path: "issuers[0].algorithms", msg: "must not be empty"},
		{name: "algorithms repeated", mutate: set(iss0, "algorithms", arr{"ES256", "ES256"}), path: "issuers[0].algorithms[1]", msg: "duplicate entry"},
		{name: "algorithms type", mutate: set(iss0, "algorithms", "RS256"), path: "issuers[0].algorithms", msg: "must be an array of strings"},
		{name: "required claim empty", mutate: set(iss0, "required_claims", arr{""}), path: "issuers[0].required_claims[0]", msg: "must not be empty"},
		{name: "required claim type", mutate: set(iss0, "required_claims", arr{1}), path: "issuers[0].required_claims[0]", msg: "must be a string"},
		{name: "jwks type", mutate: set(iss0, "jwks", 1), path: "issuers[0].jwks", msg: "must be a JWK Set object or a string holding one"},
		{name: "jwks string not JSON", mutate: set(iss0, "jwks", "{keys"), path: "issuers[0].jwks", msg: "invalid JSON"},
		{name: "jwks string holds an array", mutate: set(iss0, "jwks", "[]"), path: "issuers[0].jwks", msg: "must hold a JWK Set object, not an array"},
		{name: "jwks string trailing data", mutate: set(iss0, "jwks", `{"keys":[]} {}`), path: "issuers[0].jwks", msg: "trailing data"},

		// Contract §2.1, through jwtlite.ParseKeySet.
		{name: "RSA key without alg", mutate: func(t testing.TB, c obj) {
			k := rsaKey(t)
			delete(k, "alg")
			iss0(c)["jwks"] = jwks(k)
		}, path: "issuers[0].jwks", msg: `key 0 (kid "rsa-1"): RSA key without "alg" needs "algorithms"`, wrapped: jwtlite.ErrInvalidKey},
		{name: "no usable key", mutate: func(t testing.TB, c obj) {
			k := edKey(t)
			k["use"] = "enc"
			iss0(c)["jwks"] = jwks(k)
		}, path: "issuers[0].jwks", msg: "no usable key", fix: "signature verification key", wrapped: jwtlite.ErrNoUsableKey},
		{name: "empty key set", mutate: set(iss0, "jwks", jwks()), path: "issuers[0].jwks", msg: "no usable key", wrapped: jwtlite.ErrNoUsableKey},
		{name: "only keys outside explicit algorithms", mutate: set(iss0, "algorithms", arr{"PS256"}), path: "issuers[0].jwks", msg: "no usable key", wrapped: jwtlite.ErrNoUsableKey},
		{name: "duplicate kid", mutate: func(t testing.TB, c obj) {
			k := ecKey(t)
			k["kid"] = "rsa-1"
			iss0(c)["jwks"] = jwks(rsaKey(t), k)
		}, path: "issuers[0].jwks", msg: `duplicate kid "rsa-1"`, wrapped: jwtlite.ErrInvalidKey},
		{name: "EC point off the curve", mutate: func(t testing.TB, c obj) {
			k := ecKey(t)
			k["y"] = k["x"]
			iss0(c)["jwks"] = jwks(k)
		}, path: "issuers[0].jwks", msg: "not on curve", wrapped: jwtlite.ErrInvalidKey},
		{name: "alg does not fit the key", mutate: func(t testing.TB, c obj) {
			k := ecKey(t)
			k["alg"] = "RS256"
			iss0(c)["jwks"] = jwks(k)
		}, path: "issuers[0].jwks", msg: "does not fit", wrapped: jwtlite.ErrInvalidKey},
		{name: "HS secret too short", mutate: func(t testing.TB, c obj) {
			iss0(c)["jwks"] = jwks(octKey("h1", 16))
			iss0(c)["algorithms"] = arr{"HS256"}
		}, path: "issuers[0].jwks", msg: "at least 32 are required", wrapped: jwtlite.ErrInvalidKey},
		{name: "HS with an asymmetric key", mutate: func(t testing.TB, c obj) {
			iss0(c)["jwks"] = jwks(octKey("h1", 32), rsaKey(t))
			iss0(c)["algorithms"] = arr{"HS256", "RS256"}
		}, path: "issuers[0].jwks", msg: `every key must be "oct"`, wrapped: jwtlite.ErrInvalidKey},
		{name: "RSA modulus over 8192 bits", mutate: func(t testing.TB, c obj) {
			iss0(c)["jwks"] = jwks(rsaKey(t), bigRSAKey(t, "big", 48000))
		}, path: "issuers[0].jwks", msg: `key 1 (kid "big"): RSA modulus has 48000 bits; at most 8192 are accepted`,
			fix: "2048 to 8192 bits", wrapped: jwtlite.ErrRSAParameters},
		{name: "RSA modulus of 8193 bits", mutate: func(t testing.TB, c obj) {
			iss0(c)["jwks"] = jwks(bigRSAKey(t, "big", 8193))
		}, path: "issuers[0].jwks", msg: "RSA modulus has 8193 bits; at most 8192 are accepted", fix: "2048 to 8192 bits", wrapped: jwtlite.ErrRSAParameters},
		{name: "RSA exponent out of range", mutate: func(t testing.TB, c obj) {
			k := rsaKey(t)
			k["e"] = "gAAAAQ" // 2^31 + 1
			iss0(c)["jwks"] = jwks(k)
		}, path: "issuers[0].jwks", msg: "RSA exponent", fix: `public exponent 65537 ("e": "AQAB")`, wrapped: jwtlite.ErrRSAParameters},
		{name: "private key", mutate: func(t testing.TB, c obj) {
			k := ecKey(t)
			k["d"] = "c2VjcmV0"
			iss0(c)["jwks"] = jwks(rsaKey(t), k)
		}, path: "issuers[0].jwks", msg: `key 1 (kid "ec-1"): holds private key members ("d")`,
			fix: "publish only the public half: remove d, p, q, dp, dq, qi", wrapped: jwtlite.ErrPrivateKey},
		{name: "oct secret outside an HS issuer", mutate: func(t testing.TB, c obj) {
			iss0(c)["jwks"] = jwks(rsaKey(t), octKey("h1", 32))
		}, path: "issuers[0].jwks", msg: `key 1 (kid "h1"): "k" is a shared secret, and "algorithms" lists no HS algorithm`,
			fix: `remove the "oct" key`, wrapped: jwtlite.ErrPrivateKey},
		{name: "malformed base64url", mutate: func(t testing.TB, c obj) {
			k := edKey(t)
			k["x"] = "not base64!"
			iss0(c)["jwks"] = jwks(k)
		}, path: "issuers[0].jwks", msg: "base64url", wrapped: jwtlite.ErrInvalidKey},

		// Resource URI (docs/configuration.md#canonical-resource-uri).
		{name: "resource missing", mutate: del(res0, "resource"), path: "resources[0]", msg: `missing required member "resource"`},
		{name: "resource empty", mutate: set(res0, "resource", ""), path: "resources[0].resource", msg: "must not be empty"},
		{name: "resource not canonical (case)", mutate: set(res0, "resource", "https://MCP.example.com/mcp"), path: "resources[0].resource", msg: "not in canonical form", fix: `use "https://mcp.example.com/mcp"`},
		{name: "resource not canonical (root slash)", mutate: set(res0, "resource", "https://mcp.example.com/"), path: "resources[0].resource", msg: "not in canonical form", fix: `use "https://mcp.example.com"`},
		{name: "resource not canonical (default port)", mutate: set(res0, "resource", "https://mcp.example.com:443/mcp"), path: "resources[0].resource", msg: "not in canonical form", fix: `use "https://mcp.example.com/mcp"`},
		{name: "resource not canonical (dot segment)", mutate: set(res0, "resource", "https://mcp.example.com/a/../mcp"), path: "resources[0].resource", msg: "not in canonical form", fix: `use "https://mcp.example.com/mcp"`},
		{name: "resource with query", mutate: set(res0, "resource", "https://mcp.example.com/mcp?x=1"), path: "resources[0].resource", msg: "has a query"},
		{name: "resource with empty query", mutate: set(res0, "resource", "https://mcp.example.com/mcp?"), path: "resources[0].resource", msg: "has a query"},
		{name: "resource with percent", mutate: set(res0, "resource", "https://mcp.example.com/m%63p"), path: "resources[0].resource", msg: `contains "%"`},
		{name: "resource with fragment", mutate: set(res0, "resource", "https://mcp.example.com/mcp#x"), path: "resources[0].resource", msg: "is not a valid resource URI"},
		{name: "resource with userinfo", mutate: set(res0, "resource", "https://u@mcp.example.com/mcp"), path: "resources[0].resource", msg: "is not a valid resource URI"},
		{name: "resource relative", mutate: set(res0, "resource", "/mcp"), path: "resources[0].resource", msg: "is not a valid resource URI"},
		{name: "resource scheme", mutate: set(res0, "resource", "ftp://mcp.example.com/mcp"), path: "resources[0].resource", msg: "is not a valid resource URI"},

		// Mapping (docs/request-flow.md#6-resource).
		{name: "resource without mapping", mutate: func(_ testing.TB, c obj) {
			for _, k := range []string{"routes", "virtual_hosts", "authorities"} {
				delete(res0(c), k)
			}
			res0(c)["default"] = false
		}, path: "resources[0]", msg: "has none of routes, virtual_hosts, authorities, default"},
		{name: "resource with empty mappings", mutate: func(_ testing.TB, c obj) {
			for _, k := range []string{"routes", "virtual_hosts", "authorities"} {
				res0(c)[k] = arr{}
			}
		}, path: "resources[0]", msg: "has none of"},
		{name: "empty route name", mutate: set(res0, "routes", arr{""}), path: "resources[0].routes[0]", msg: "must not be empty"},
		{name: "empty virtual host name", mutate: set(res0, "virtual_hosts", arr{"a", ""}), path: "resources[0].virtual_hosts[1]", msg: "must not be empty"},
		{name: "route repeated", mutate: set(res0, "routes", arr{"a", "a"}), path: "resources[0].routes[1]", msg: "duplicate entry"},
		{name: "authority invalid", mutate: set(res0, "authorities", arr{"u@mcp.example.com"}), path: "resources[0].authorities[0]", msg: "not a valid host[:port]"},
		{name: "authority with path", mutate: set(res0, "authorities", arr{"mcp.example.com/mcp"}), path: "resources[0].authorities[0]", msg: "not a valid host[:port]"},
		{name: "authority empty", mutate: set(res0, "authorities", arr{""}), path: "resources[0].authorities[0]", msg: "must not be empty"},
		{name: "authority repeated after normalisation", mutate: set(res0, "authorities", arr{"mcp.example.com", "MCP.example.com:443"}), path: "resources[0].authorities[1]", msg: "repeats resources[0].authorities[0]"},
		{name: "route claimed twice", mutate: with2(secondResource, func(c obj) { res1(c)["routes"] = arr{"x", "weather_mcp"} }),
			path: "resources[1].routes[1]", msg: `route "weather_mcp" is claimed by resources[0] ("https://mcp.example.com/mcp") and resources[1] ("https://api.example.com/mcp")`},
		{name: "virtual host claimed twice", mutate: with2(secondResource, func(c obj) { res1(c)["virtual_hosts"] = arr{"mcp_example"} }),
			path: "resources[1].virtual_hosts[0]", msg: `virtual host "mcp_example" is claimed by resources[0]`},
		{name: "authority claimed twice", mutate: with2(secondResource, func(c obj) { res1(c)["authorities"] = arr{"MCP.Example.com."} }),
			path: "resources[1].authorities[0]", msg: `authority "mcp.example.com" is claimed by resources[0]`},
		{name: "two defaults", mutate: with2(secondResource, func(c obj) { res0(c)["default"] = true; res1(c)["default"] = true }),
			path: "resources[1].default", msg: "more than one resource is the default; resources[0]"},
		{name: "dangling issuer reference", mutate: set(res0, "issuers", arr{"corp", "nobody"}), path: "resources[0].issuers[1]", msg: `no issuer is named "nobody"`},
		{name: "issuers required with two issuers", mutate: func(t testing.TB, c obj) { addIssuer(c, secondIssuer(t)) },
			path: "resources[0]", msg: `missing required member "issuers" (more than one issuer is configured)`},
		{name: "issuers empty", mutate: set(res0, "issuers", arr{}), path: "resources[0].issuers", msg: "must name at least one issuer"},
		{name: "same resource twice", mutate: with2(secondResource, func(c obj) { res1(c)["resource"] = "https://mcp.example.com/mcp" }),
			path: "resources[1].resource", msg: `resource "https://mcp.example.com/mcp" is already configured by resources[0]`},
		// A repeated URI is named as such whatever else it also repeats, and
		// found without its own table: its metadata endpoint always meets
		// the earlier one's (tables.go, repeated).
		{name: "same resource twice, own name and route", mutate: with2(secondResource, func(c obj) {
			res1(c)["resource"] = "https://mcp.example.com/mcp"
			res1(c)["name"] = "twin"
		}), path: "resources[1].resource", msg: `resource "https://mcp.example.com/mcp" is already configured by resources[0]`},
		{name: "same resource twice, same name too", mutate: with2(secondResource, func(c obj) {
			res0(c)["name"] = "twin"
			res1(c)["resource"] = "https://mcp.example.com/mcp"
			res1(c)["name"] = "twin"
		}), path: "resources[1].resource", msg: `resource "https://mcp.example.com/mcp" is already configured by resources[0]`},
		{name: "same resource three times", mutate: with2(secondResource, func(c obj) {
			res1(c)["resource"] = "https://mcp.example.com/mcp"
			res1(c)["routes"] = arr{"other"}
			addResource(c, obj{"resource": "https://mcp.example.com/mcp", "routes": arr{"third"}})
		}), path: "resources[1].resource", msg: `resource "https://mcp.example.com/mcp" is already configured by resources[0]`},

		// Metadata paths meeting on one authority (docs/configuration.md, docs/request-flow.md#4-metadata-endpoint).
		{name: "metadata trailing-slash variant", mutate: with2(secondResource, func(c obj) { res1(c)["resource"] = "https://mcp.example.com/mcp/" }),
			path: "resources[1].resource", msg: `the metadata path "/.well-known/oauth-protected-resource/mcp/" on authority "mcp.example.com" is already served for resources[0]`},
		{name: "metadata on an extra authority", mutate: with2(secondResource, func(c obj) {
			delete(res0(c), "authorities")
			res1(c)["resource"] = "https://other.example.com/mcp"
			res1(c)["authorities"] = arr{"mcp.example.com"}
		}), path: "resources[1].authorities[0]", msg: `the metadata path "/.well-known/oauth-protected-resource/mcp" on authority "mcp.example.com" is already served for resources[0]`},
		{name: "metadata of two root resources", mutate: with2(secondResource, func(c obj) {
			res0(c)["resource"] = "https://mcp.example.com"
			delete(res0(c), "authorities")
			res1(c)["resource"] = "https://other.example.com"
			res1(c)["authorities"] = arr{"mcp.example.com"}
		}), path: "resources[1].authorities[0]", msg: `the metadata path "/.well-known/oauth-protected-resource" on authority "mcp.example.com" is already served for resources[0] ("https://mcp.example.com")`},
		{name: "authority with port claimed twice", mutate: with2(secondResource, func(c obj) {
			res0(c)["authorities"] = arr{"a.example.com"}
			res1(c)["resource"] = "https://other.example.com/mcp"
			res1(c)["authorities"] = arr{"b.example.com:8443"}
			res1(c)["routes"] = arr{"r1"}
			addResource(c, obj{"resource": "https://third.example.com/mcp/", "routes": arr{"r3"}, "authorities": arr{"B.example.com:8443"}})
		}), path: "resources[2].authorities[0]", msg: `is claimed by resources[1]`},

		// Scopes (RFC 6749 §3.3).
		{name: "scope with space", mutate: set(res0, "required_scopes", arr{"mcp tools"}), path: "resources[0].required_scopes[0]", msg: "scope-token"},
		{name: "scope with quote", mutate: set(res0, "required_scopes", arr{`a"b`}), path: "resources[0].required_scopes[0]", msg: "scope-token"},
		{name: "scope with backslash", mutate: set(res0, "scopes_supported", arr{"ok", `a\b`}), path: "resources[0].scopes_supported[1]", msg: "scope-token"},
		{name: "scope non-ASCII", mutate: set(res0, "scopes_supported", arr{"é"}), path: "resources[0].scopes_supported[0]", msg: "scope-token"},
		{name: "scope empty", mutate: set(res0, "required_scopes", arr{""}), path: "resources[0].required_scopes[0]", msg: "must not be empty"},
		{name: "scope repeated", mutate: set(res0, "required_scopes", arr{"a", "a"}), path: "resources[0].required_scopes[1]", msg: "duplicate entry"},
		{name: "authorization_servers empty", mutate: set(res0, "authorization_servers", arr{}), path: "resources[0].authorization_servers", msg: "must not be empty"},
		{name: "authorization_servers entry empty", mutate: set(res0, "authorization_servers", arr{""}), path: "resources[0].authorization_servers[0]", msg: "must not be empty"},

		// Public paths (docs/request-flow.md#7-public-paths).
		{name: "public path relative", mutate: set(res0, "public_paths", arr{"healthz"}), path: "resources[0].public_paths[0]", msg: `must start with "/"`},
		{name: "public path empty", mutate: set(res0, "public_paths", arr{""}), path: "resources[0].public_paths[0]", msg: "must not be empty"},
		{name: "public path all", mutate: set(res0, "public_paths", arr{"/healthz", "/*"}), path: "resources[0].public_paths[1]", msg: `"/*" would make every path`},
		{name: "public path percent", mutate: set(res0, "public_paths", arr{"/a%2e"}), path: "resources[0].public_paths[0]", msg: `contains "%"`},
		{name: "public path query", mutate: set(res0, "public_paths", arr{"/a?b=1"}), path: "resources[0].public_paths[0]", msg: `contains "?"`},
		{name: "public path dot segment", mutate: set(res0, "public_paths", arr{"/a/./b"}), path: "resources[0].public_paths[0]", msg: `"." or ".." segment`},
		{name: "public path dot-dot segment", mutate: set(res0, "public_paths", arr{"/a/.."}), path: "resources[0].public_paths[0]", msg: `"." or ".." segment`},
		{name: "public path dot-dot prefix", mutate: set(res0, "public_paths", arr{"/../*"}), path: "resources[0].public_paths[0]", msg: `"." or ".." segment`},
		{name: "public path double slash", mutate: set(res0, "public_paths", arr{"/a//b"}), path: "resources[0].public_paths[0]", msg: `contains "//"`},
		{name: "public path backslash", mutate: set(res0, "public_paths", arr{`/a\b`}), path: "resources[0].public_paths[0]", msg: `contains "\"`},
		{name: "public path semicolon", mutate: set(res0, "public_paths", arr{"/a;b"}), path: "resources[0].public_paths[0]", msg: `contains ";"`},
		{name: "public path NUL", mutate: set(res0, "public_paths", arr{"/a\x00"}), path: "resources[0].public_paths[0]", msg: "NUL"},
		{name: "public path space", mutate: set(res0, "public_paths", arr{"/a b"}), path: "resources[0].public_paths[0]", msg: "byte 0x20"},
		{name: "public path star inside", mutate: set(res0, "public_paths", arr{"/a/*/b"}), path: "resources[0].public_paths[0]", msg: `only as a final "/*"`},
		{name: "public path star suffix", mutate: set(res0, "public_paths", arr{"/a*"}), path: "resources[0].public_paths[0]", msg: `only as a final "/*"`},
		{name: "public path two stars", mutate: set(res0, "public_paths", arr{"/a/**"}), path: "resources[0].public_paths[0]", msg: `only as a final "/*"`},
		{name: "public path repeated", mutate: set(res0, "public_paths", arr{"/a", "/a"}), path: "resources[0].public_paths[1]", msg: "duplicate entry"},
		{name: "public path is the resource", mutate: set(res0, "public_paths", arr{"/mcp"}), path: "resources[0].public_paths[0]", msg: "covers the resource's own path"},
		{name: "public path is the resource plus slash", mutate: set(res0, "public_paths", arr{"/mcp/"}), path: "resources[0].public_paths[0]", msg: "covers the resource's own path"},
		{name: "public prefix at the resource", mutate: set(res0, "public_paths", arr{"/mcp/*"}), path: "resources[0].public_paths[0]", msg: "covers the resource's own path"},
		{name: "public prefix above the resource", mutate: func(_ testing.TB, c obj) {
			res0(c)["resource"] = "https://mcp.example.com/v1/mcp"
			res0(c)["public_paths"] = arr{"/v1/*"}
		}, path: "resources[0].public_paths[0]", msg: "covers the resource's own path"},
		{name: "public path of a trailing-slash resource", mutate: func(_ testing.TB, c obj) {
			res0(c)["resource"] = "https://mcp.example.com/mcp/"
			res0(c)["public_paths"] = arr{"/mcp"}
		}, path: "resources[0].public_paths[0]", msg: "covers the resource's own path"},
		{name: "public root of the root resource", mutate: func(_ testing.TB, c obj) {
			res0(c)["resource"] = "https://mcp.example.com"
			res0(c)["public_paths"] = arr{"/"}
		}, path: "resources[0].public_paths[0]", msg: "covers the resource's own path"},

		// Claim headers (docs/request-flow.md#13-upstream-headers).
		{name: "claim header not a token", mutate: set(res0, "claim_headers", obj{"sub": "x mcp"}), path: "resources[0].claim_headers.sub", msg: "not an RFC 9110 §5.6.2 token"},
		{name: "claim header with colon", mutate: set(res0, "claim_headers", obj{"sub": "x:y"}), path: "resources[0].claim_headers.sub", msg: "not an RFC 9110 §5.6.2 token"},
		{name: "claim header pseudo", mutate: set(res0, "claim_headers", obj{"sub": ":path"}), path: "resources[0].claim_headers.sub", msg: "pseudo-header"},
		{name: "claim header empty", mutate: set(res0, "claim_headers", obj{"sub": ""}), path: "resources[0].claim_headers.sub", msg: "must not be empty"},
		{name: "claim header type", mutate: set(res0, "claim_headers", obj{"sub": true}), path: "resources[0].claim_headers.sub", msg: "must be a string, not a boolean"},
		{name: "claim headers type", mutate: set(res0, "claim_headers", arr{"x-a"}), path: "resources[0].claim_headers", msg: "must be an object mapping claim names"},
		{name: "claim name empty", mutate: set(res0, "claim_headers", obj{"": "x-a"}), path: `resources[0].claim_headers[""]`, msg: "the claim name is empty"},
		{name: "claim header twice", mutate: set(res0, "claim_headers", obj{"client_id": "x-a", "sub": "X_A"}), path: "resources[0].claim_headers.sub", msg: `header "X_A" is already set from resources[0].claim_headers.client_id`},
		{name: "claim header odd claim name", mutate: set(res0, "claim_headers", obj{"https://example.com/c": "host"}), path: `resources[0].claim_headers["https://example.com/c"]`, msg: "may not be set from a claim"},
	}
}

// forbiddenClaimHeaders lists, for each refused header family of
// docs/configuration.md, a spelling that must be refused (case and "_" variants included).
var forbiddenClaimHeaders = []string{
	"authorization", "Authorization", "host", "HOST", "cookie", "te", "TE", "connection",
	"transfer-encoding", "Transfer_Encoding", "content-type", "Content-Length", "content_md5",
	"x-envoy-original-path", "X-Envoy-Internal", "x_envoy_decorator", "x-forwarded-for", "X_Forwarded_Proto",
	"mcp-session-id", "Mcp-Protocol-Version", "MCP_Session_Id",
	// Beyond the headers that frame the request (safer reading).
	"proxy-authorization", "upgrade", "keep-alive", "proxy-connection", "trailer", "forwarded",
}

func TestLoadRefusals(t *testing.T) {
	cases := refusals()
	for _, h := range forbiddenClaimHeaders {
		cases = append(cases, refusal{name: "claim header " + h, mutate: set(res0, "claim_headers", obj{"sub": h}),
			path: "resources[0].claim_headers.sub", msg: "may not be set from a claim"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := baseConfig(t)
			if tc.mutate != nil {
				tc.mutate(t, c)
			}
			data := marshal(t, c)
			if tc.raw != nil {
				data = tc.raw(t, data)
			}
			p, err := Load(data)
			if err == nil {
				t.Fatalf("Load accepted the configuration (warnings %q)", p.Warnings)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not a *Error", err, err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if tc.path != "" && e.Path != tc.path {
				t.Errorf("path = %q, want %q (error: %v)", e.Path, tc.path, err)
			}
			if !strings.Contains(e.Msg, tc.msg) {
				t.Errorf("msg = %q, want it to contain %q", e.Msg, tc.msg)
			}
			if tc.fix != "" && !strings.Contains(e.Fix, tc.fix) {
				t.Errorf("fix = %q, want it to contain %q", e.Fix, tc.fix)
			}
			if tc.wrapped != nil && !errors.Is(err, tc.wrapped) {
				t.Errorf("error %v does not wrap %v", err, tc.wrapped)
			}
			if s := err.Error(); strings.ContainsAny(s, "\r\n") || !strings.HasPrefix(s, "config: "+e.Path+": ") {
				t.Errorf("Error() = %q: want one line starting with %q", s, "config: "+e.Path+": ")
			}
		})
	}
}

func TestBaseConfigLoads(t *testing.T) {
	p := mustLoad(t, baseConfig(t))
	if len(p.Warnings) != 0 {
		t.Errorf("base config warnings: %q", p.Warnings)
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{Path: "$", Msg: "must be an object, not an array"}, "config: $: must be an object, not an array"},
		{Error{Path: "resources[0].resource", Msg: "is not in canonical form", Fix: `use "https://h"`},
			`config: resources[0].resource: is not in canonical form; fix: use "https://h"`},
		{Error{Path: "a", Msg: "two\nlines", Fix: "x\r\ny"}, "config: a: two lines; fix: x y"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// TestErrorsCarryNoKeyMaterial: refusals about keys name the key, never its bytes.
func TestErrorsCarryNoKeyMaterial(t *testing.T) {
	c := baseConfig(t)
	k := rsaKey(t)
	delete(k, "alg")
	n := k["n"].(string)
	iss0(c)["jwks"] = jwks(k)
	_, err := Load(marshal(t, c))
	if err == nil {
		t.Fatal("accepted")
	}
	if strings.Contains(err.Error(), n[:16]) {
		t.Errorf("error contains key material: %v", err)
	}
}
