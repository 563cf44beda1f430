// Package canonical parses, normalises and compares canonical resource URIs
// (docs/request-flow.md#6-resource, docs/configuration.md#canonical-resource-uri,
// docs/request-flow.md#4-metadata-endpoint).
//
// A protected MCP server is identified by its canonical resource URI: the
// "canonical server URI" of the MCP authorization specification, used as the
// RFC 8707 §2 "resource" indicator and as the token audience. The canonical
// form applied by [Parse] is the syntax-based and scheme-based normalisation
// of RFC 3986 §6.2.2 and §6.2.3 — lower-case scheme and host (§6.2.2.1),
// percent-encodings upper-cased and unreserved characters decoded (§6.2.2.2),
// dot segments removed (§6.2.2.3, algorithm of §5.2.4), default port removed
// (§6.2.3) — plus the rules of RFC 8707 §2 (absolute, no fragment) and of
// docs/configuration.md#canonical-resource-uri (no query, no userinfo, root
// written without "/").
//
// [URI.MetadataPath] and [URI.MetadataURL] give the RFC 9728 §3 (§3.1) protected
// resource metadata location, path-inserted after "/.well-known/oauth-protected-resource".
//
// [NormalizeAuthority] turns an HTTP :authority / Host value into the key a
// resource is looked up under, and [AudienceMatcher] compares token "aud"
// values with one resource without allocating.
//
// The package deliberately does not use net/url: it is lenient where this
// package must be strict. IP literals are parsed as net/netip parses them
// (ip.go), without its cost in the module.
package canonical
