package main

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
)

// Problem codes: every problem `audguard check` reports carries a stable
// code (AG0102) naming its kind, which --ignore suppresses and --list-codes
// lists. A code never changes meaning; a kind that is added gets a new code.
// The AGxx98/AGxx99 codes are catch-alls for what no other row describes: a
// later release may give such a problem a code of its own.
//
// The groups:
//
//	AG00xx  the file itself, and how the plugin configuration sits in it
//	AG01xx  refusals of the filter's loader: the filter would not start
//	AG02xx  warnings of the filter's loader
//	AG03xx  the proxy configuration around the filter (Envoy, Istio, Kong, nginx)
//	AG04xx  nginx's own refusals of the parameter the configuration is wrapped in
//	AG05xx  what Envoy, Istio or the Kubernetes API refuse (or drop) in the
//	        proxy configuration around the filter, by the proxy's own API types
//
// Refusals (of the loader, of the proxy itself, and problems of the file)
// cannot be ignored: ignoring them would not make the filter start.

// Code groups, in table order.
const (
	groupFile    = "file"
	groupRefusal = "refusal"
	groupWarning = "warning"
	groupProxy   = "proxy"
	groupNginx   = "nginx"
	groupTyped   = "typed"
)

var groupTitles = map[string]string{
	groupFile:    "the file, and how the plugin configuration sits in it (the errors cannot be ignored)",
	groupRefusal: "refusals of the filter's loader: the filter would not start (cannot be ignored)",
	groupWarning: "warnings of the filter's loader",
	groupProxy:   "the proxy configuration around the filter",
	groupNginx:   "nginx refuses the configuration (nginx -t fails; cannot be ignored)",
	groupTyped:   "Envoy, Istio or the Kubernetes API refuses the configuration around the filter (the errors cannot be ignored)",
}

// whyNotIgnorable says why the codes of a group cannot be ignored.
var whyNotIgnorable = map[string]string{
	groupFile:    "the file cannot be checked, or the proxy would hand the filter no configuration",
	groupRefusal: "the filter's loader refuses the configuration, and ignoring that would not make the filter start",
	groupNginx:   "nginx itself refuses the configuration (nginx -t fails)",
	groupTyped:   "the proxy or its control plane refuses the configuration",
}

// codeInfo is one problem kind.
type codeInfo struct {
	Code      string `json:"code"`
	Severity  string `json:"severity"`
	Summary   string `json:"summary"`
	Group     string `json:"group"`
	Ignorable bool   `json:"ignorable"`

	msg  *regexp.Regexp // the message matches (nil: any)
	path *regexp.Regexp // the path matches (nil: any)
}

func row(group, code, sev, summary, msg, path string) codeInfo {
	c := codeInfo{Code: code, Severity: sev, Summary: summary, Group: group,
		Ignorable: group == groupWarning || group == groupProxy || code == codeYAML11 || group == groupTyped && sev == sevWarning}
	if msg != "" {
		c.msg = regexp.MustCompile(msg)
	}
	if path != "" {
		c.path = regexp.MustCompile(path)
	}
	return c
}

// Codes set where the problem is made, not by its message.
const (
	codeUnreadable     = "AG0001"
	codeNoConfig       = "AG0003"
	codeNoFiles        = "AG0007"
	codeTargetMismatch = "AG0006"
	codeYAML11         = "AG0010"
)

// codeTable lists every code, in order. Within a group the first row whose
// patterns match a problem gives its code; each group ends with its
// catch-all.
var codeTable = []codeInfo{
	row(groupFile, codeUnreadable, sevError, "the file cannot be read", "", ""),
	row(groupFile, "AG0002", sevError, "the file is not valid YAML, JSON or nginx configuration", `^not valid YAML or JSON|^not a valid nginx configuration`, ""),
	row(groupFile, codeNoConfig, sevError, "the file holds no audguard plugin configuration (a file found in a directory is skipped)", `^no audguard plugin configuration found`, ""),
	row(groupFile, "AG0004", sevError, "a YAML value the plugin configuration (JSON) cannot hold", `^yaml value cannot be converted to JSON`, ""),
	row(groupFile, "AG0005", sevError, "the proxy would hand the plugin no configuration, or not a JSON string", `is missing|must be a|must be the`, ""),
	row(groupFile, codeTargetMismatch, sevError, "--target nginx on a file that is not a plugin configuration JSON", "", ""),
	row(groupFile, codeNoFiles, sevError, "a directory holds no *.json, *.yaml, *.yml or *.conf file with an audguard plugin configuration", "", ""),
	row(groupFile, codeYAML11, sevWarning, "an unquoted YAML key or value that YAML 1.1 tools (kubectl, istioctl) read as a boolean", "", ""),
	row(groupFile, "AG0099", sevError, "another problem with the file", "", ""),

	row(groupRefusal, "AG0101", sevError, "invalid JSON: a syntax error, trailing data, not UTF-8, nested too deeply", `^(invalid JSON|trailing data|is not valid UTF-8|nested too deeply)`, ""),
	row(groupRefusal, "AG0102", sevError, "unknown member (a misspelt key)", `^unknown member`, ""),
	row(groupRefusal, "AG0103", sevError, "a member given twice in one object", `^duplicate member`, ""),
	row(groupRefusal, "AG0104", sevError, "a value of the wrong JSON type", `^must be [a-z ]+, not `, ""),
	row(groupRefusal, "AG0105", sevError, "a required member is missing", `^missing required member`, ""),
	row(groupRefusal, "AG0106", sevError, "an empty value or list", `must not be empty|is empty|must name at least one`, ""),
	row(groupRefusal, "AG0107", sevError, "a number out of its range", `^must be an integer from`, ""),
	row(groupRefusal, "AG0108", sevError, "a word that is not one of the allowed ones", `is not one of|is not an audience match mode`, ""),
	row(groupRefusal, "AG0109", sevError, "a list entry given twice", `^duplicate entry|repeats .* after normalisation`, ""),
	row(groupRefusal, "AG0110", sevError, "no issuer or no resource is configured", `^no (issuer|resource) is configured`, ""),
	row(groupRefusal, "AG0111", sevError, "an issuer name or issuer URL used by two issuers", `^issuer name .* is already used|^issuer .* is already configured`, ""),
	row(groupRefusal, "AG0112", sevError, "a resource names an issuer that does not exist", `^no issuer is named`, ""),
	row(groupRefusal, "AG0113", sevError, "an algorithm that is not supported, or HMAC next to jwks_uri", `is not a supported JWS algorithm|is listed with "jwks_uri"`, ""),
	row(groupRefusal, "AG0114", sevError, "configured keys (jwks) refused: no usable key, a duplicate kid, an invalid key", "", `\.jwks($|[.\[])`),
	row(groupRefusal, "AG0115", sevError, "remote keys refused: jwks_uri, jwks_cluster and their timings", `"jwks_uri" needs "jwks_cluster"`, ""),
	row(groupRefusal, "AG0115", sevError, "", "", `\.jwks_(uri|cluster|refresh_seconds|refetch_min_seconds|timeout_ms|max_stale_seconds)$`),
	row(groupRefusal, "AG0116", sevError, "two resources claim one name, route, virtual host, authority, default, URI or metadata path", `is claimed by|is already configured by|more than one resource is the default|is already served for|^name .* is already used by`, ""),
	row(groupRefusal, "AG0117", sevError, "a resource URI that is invalid or not canonical", `canonical|percent-encoded|has a query|is not a valid resource URI|cannot be normalised`, ""),
	row(groupRefusal, "AG0118", sevError, "a resource no request can reach", `no request can reach it`, ""),
	row(groupRefusal, "AG0119", sevError, "an authority that is not host[:port]", `is not a valid host\[:port\] authority`, ""),
	row(groupRefusal, "AG0120", sevError, "a scope that is not a scope-token, or offline_access required", `scope-token|"offline_access" requests a refresh token`, ""),
	row(groupRefusal, "AG0121", sevError, "a public path refused (covers the resource, /*, dot segments…)", "", `\.public_paths\[`),
	row(groupRefusal, "AG0122", sevError, "a claim header refused (reserved, pseudo-header, not a token, set twice)", "", `\.claim_headers`),
	row(groupRefusal, "AG0123", sevError, "an MCP operation rule refused (operations, scope_implies, legacy_protocol, mcp_body)", "", `\.(operations|scope_implies|legacy_protocol|mcp_body|max_body_bytes)`),
	row(groupRefusal, "AG0124", sevError, "allowed_origins refused", "", `\.allowed_origins`),
	row(groupRefusal, "AG0125", sevError, "a resource name that is not [a-z0-9_-]{1,48}", "", `^resources\[\d+\]\.name$`),
	row(groupRefusal, "AG0126", sevError, "a revocation setting refused", "", `\.(revoked_key_ids|revoked_token_ids|reject_issued_before)`),
	row(groupRefusal, "AG0199", sevError, "another refusal of the filter's loader", "", ""),

	row(groupWarning, "AG0201", sevWarning, "report mode: denials are only logged and counted", `^report mode never blocks`, ""),
	row(groupWarning, "AG0202", sevWarning, "a clock skew that accepts expired tokens for minutes", `^a leeway of`, ""),
	row(groupWarning, "AG0203", sevWarning, "the verified-token cache is off", `verified-token cache is off`, ""),
	row(groupWarning, "AG0204", sevWarning, "verified tokens shared through proxy-wasm shared data: give the plugin its own vm_id", `verified tokens are shared through`, ""),
	row(groupWarning, "AG0205", sevWarning, "an HMAC algorithm: the shared secret is in the host's config dump", `verifies with a shared secret`, ""),
	row(groupWarning, "AG0206", sevWarning, `token_type "any": typ is not checked`, `"any" does not check typ`, ""),
	row(groupWarning, "AG0207", sevWarning, `route name "default", a catch-all name in several control planes`, `route name "default"`, ""),
	row(groupWarning, "AG0208", sevWarning, `a virtual host name with "*", compared literally`, `virtual host name contains "\*"`, ""),
	row(groupWarning, "AG0209", sevWarning, "an authority other than the resource URI's", `differs from the resource URI's authority`, ""),
	row(groupWarning, "AG0210", sevWarning, "exclusive_audience false: multi-audience tokens accepted", `tokens whose aud also names other services`, ""),
	row(groupWarning, "AG0211", sevWarning, "forward_token: the upstream receives the access token", `the upstream MCP server receives the access token`, ""),
	row(groupWarning, "AG0212", sevWarning, `allowed_origins ["*"]: Origin is not checked`, `the Origin header is not checked`, ""),
	row(groupWarning, "AG0213", sevWarning, `"offline_access" in scopes_supported is not published`, `"offline_access" is not published`, ""),
	row(groupWarning, "AG0214", sevWarning, `audience_match "canonical" is less strict than "exact"`, `"canonical" also accepts`, ""),
	row(groupWarning, "AG0215", sevWarning, `a resource URI that works but invites mistakes (plain http, a trailing "/")`, "", `\.resource$`),
	row(groupWarning, "AG0216", sevWarning, "a configured key the filter skips", "", `\.jwks($|[.\[])`),
	row(groupWarning, "AG0299", sevWarning, "another warning of the filter's loader", "", ""),

	row(groupProxy, "AG0301", sevError, "fail-open: requests pass unchecked when the VM fails (fail_open, failure_policy, failStrategy)", "", `\.(fail_open|failure_policy|failStrategy)$`),
	row(groupProxy, "AG0302", sevError, "the filter or its Kong filter chain is disabled", "", `\.(disabled|enabled)$`),
	row(groupProxy, "AG0303", sevError, "the filter runs after the router, or the router is replaced", `after the router|removes the router`, ""),
	row(groupProxy, "AG0304", sevError, "a route or virtual host name the route configuration does not define", `is not defined by`, ""),
	row(groupProxy, "AG0305", sevError, "a route or virtual host name on ngx_wasm_module (Kong, nginx), which has no xds.* properties", `has no xds\.\* properties`, ""),
	row(groupProxy, "AG0311", sevWarning, "the connection manager does not set normalize_path", "", `\.normalize_path$`),
	row(groupProxy, "AG0312", sevWarning, "the connection manager does not set merge_slashes", "", `\.merge_slashes$`),
	row(groupProxy, "AG0313", sevWarning, "the connection manager does not reject escaped slashes (path_with_escaped_slashes_action)", "", `\.path_with_escaped_slashes_action$`),
	row(groupProxy, "AG0314", sevWarning, "the connection manager allows headers with underscores", "", `\.headers_with_underscores_action$`),
	row(groupProxy, "AG0315", sevWarning, "strip_any_host_port is not set while resources are bound by authorities", "", `\.strip_any_host_port$`),
	row(groupProxy, "AG0316", sevWarning, "strip_trailing_host_dot is not set while resources are bound by authorities", "", `\.strip_trailing_host_dot$`),
	row(groupProxy, "AG0321", sevWarning, "an authority with a port that strip_any_host_port removes", `has a port, but strip_any_host_port`, ""),
	row(groupProxy, "AG0322", sevWarning, "an authority no virtual host, Kong route or nginx server_name sends to the filter", `has a domain matching authority|is not a host of the routes|is not a server_name of`, ""),
	row(groupProxy, "AG0323", sevWarning, "an Envoy resource bound by authority where the route configuration names virtual hosts", `is bound by authority while`, ""),
	row(groupProxy, "AG0324", sevWarning, "an authority_from that does not suit the proxy", "", `^authority_from$`),
	row(groupProxy, "AG0398", sevWarning, "another warning about the proxy configuration", "", ""),
	row(groupProxy, "AG0399", sevError, "another error in the proxy configuration", "", ""),

	row(groupNginx, "AG0401", sevError, "a configuration parameter too long for nginx's 4096-byte buffer", `too long parameter`, ""),
	row(groupNginx, "AG0402", sevError, "an escape nginx rewrites (\\' \\\" \\\\ \\n \\t \\r)", `has the escape`, ""),
	row(groupNginx, "AG0403", sevError, "a ' or a trailing \\ that ends the parameter '…' early", `has a ', which ends|ends with a \\`, ""),
	row(groupNginx, "AG0404", sevError, "a proxy_wasm module that wasm {} does not load", `is not loaded by wasm \{\}`, ""),
	row(groupNginx, "AG0405", sevError, "jwks_uri without an shm_kv zone for the filter in wasm {}", `shm_kv`, ""),
	row(groupNginx, "AG0406", sevError, "a proxy_wasm directive nginx refuses (a block, no module, no configuration, too many parameters)", `^proxy_wasm`, ""),
	row(groupNginx, "AG0499", sevError, "another reason nginx refuses the configuration", "", ""),

	row(groupTyped, "AG0501", sevError, "an unknown field of a proxy API type", `^unknown field`, ""),
	row(groupTyped, "AG0502", sevWarning, "an unknown field or value the control plane drops (Istio), so it has no effect", `.`, ""),
	row(groupTyped, "AG0503", sevError, "a value that is not one of the enum's", `is not a value of`, ""),
	row(groupTyped, "AG0504", sevError, "two fields of one oneof", `is set together with`, ""),
	row(groupTyped, "AG0505", sevError, "a YAML value of the wrong type", `^is the YAML .*, not `, ""),
	row(groupTyped, "AG0506", sevError, "a malformed duration or timestamp", `is not a duration|is not an RFC 3339 timestamp`, ""),
	row(groupTyped, "AG0507", sevError, "a typed_config @type that names no message type of Envoy's API", `names no message type`, ""),
	row(groupTyped, "AG0508", sevError, "a field that breaks a validation rule of the proxy's API (a missing oneof, a length, a range)", `.`, ""),
}

// typedRefusal recognises the problems of the proxy's own API types
// (typed*.go): their messages end by saying who refuses or drops them.
var typedRefusal = regexp.MustCompile(`(Envoy refuses the configuration|Istio refuses the EnvoyFilter|the Kubernetes API refuses the resource \(kubectl apply\)|Envoy rejects the configuration this patch produces|Istio accepts the EnvoyFilter with a warning and drops it, so it has no effect)$`)

// codeByName finds a code's row.
func codeByName(code string) (codeInfo, bool) {
	for _, c := range codeTable {
		if c.Code == code && c.Summary != "" {
			return c, true
		}
	}
	return codeInfo{}, false
}

// classify gives a problem of group its code: the first row of the group
// whose patterns match, else the group's catch-all. A problem of the proxy
// configuration that makes the proxy refuse its configuration (fatal) is
// nginx's; another is looked up among nginx's rows, then the proxy's, whose
// catch-all follows the severity. groupFile classifies a source's error
// (the plugin configuration could not be taken from the file) and a file
// that cannot be searched.
func classify(group string, p problem) string {
	match := func(g string) string {
		for _, c := range codeTable {
			if g == groupTyped && c.Severity != p.Severity {
				continue
			}
			if c.Group == g && (c.msg != nil || c.path != nil) &&
				(c.msg == nil || c.msg.MatchString(p.Message)) && (c.path == nil || c.path.MatchString(p.Path)) {
				return c.Code
			}
		}
		return ""
	}
	switch group {
	case groupRefusal:
		if c := match(groupRefusal); c != "" {
			return c
		}
		return "AG0199"
	case groupWarning:
		if c := match(groupWarning); c != "" {
			return c
		}
		return "AG0299"
	case groupFile:
		if c := match(groupNginx); c != "" {
			return c
		}
		if c := match(groupFile); c != "" {
			return c
		}
		return "AG0099"
	}
	if c := match(groupNginx); c != "" {
		return c
	}
	if p.fatal {
		return "AG0499"
	}
	if typedRefusal.MatchString(p.Message) {
		if c := match(groupTyped); c != "" {
			return c
		}
	}
	if c := match(groupProxy); c != "" {
		return c
	}
	if p.Severity == sevError {
		return "AG0399"
	}
	return "AG0398"
}

// writeCodeList prints --list-codes: code, severity and one line per kind,
// by group (text), or the rows as a JSON array.
func writeCodeList(w io.Writer, format string) {
	var rows []codeInfo
	for _, c := range codeTable {
		if c.Summary != "" {
			rows = append(rows, c)
		}
	}
	if format == formatJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		_ = enc.Encode(rows)
		return
	}
	group := ""
	for _, c := range rows {
		if c.Group != group {
			if group != "" {
				fmt.Fprintln(w)
			}
			group = c.Group
			fmt.Fprintf(w, "%s\n", groupTitles[group])
		}
		fmt.Fprintf(w, "  %s  %-7s  %s\n", c.Code, c.Severity, c.Summary)
	}
}
