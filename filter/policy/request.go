package policy

import "strings"

// Request is what the host tells the filter about one HTTP request. The glue
// fills it from proxy-wasm host calls; the CLI and tests fill it directly.
type Request struct {
	// Headers are all request headers as the host lists them (HTTP/2 style:
	// lower-case names, pseudo-headers such as ":path" included), in order.
	// Repeated headers appear once per value; that is how a second
	// Authorization header is noticed (contract §5.4).
	Headers [][2]string
	// EndOfStream is true when the headers end the request (no body).
	EndOfStream bool

	// RouteName is the Envoy property xds.route_name; HasRoute is false when
	// the host does not have the property.
	RouteName string
	HasRoute  bool
	// VirtualHost is the Envoy property xds.virtual_host_name.
	VirtualHost    string
	HasVirtualHost bool
}

// requestView is the part of the headers the decision reads, gathered in one
// pass (contract §5).
type requestView struct {
	method, path, authority, origin string
	acrMethod, acrHeaders           string
	hasOrigin, hasACRMethod         bool
	hasACRHeaders                   bool
	authorization                   string
	authCount                       int
	requestID                       string
}

func (v *requestView) read(headers [][2]string) {
	hostFallback := ""
	for _, h := range headers {
		name, value := h[0], h[1]
		switch {
		case name == ":method":
			v.method = value
		case name == ":path":
			v.path = value
		case name == ":authority":
			v.authority = value
		case asciiEqualFold(name, "host"):
			hostFallback = value
		case asciiEqualFold(name, "authorization"):
			v.authCount++
			if v.authCount == 1 {
				v.authorization = value
			}
		case asciiEqualFold(name, "origin"):
			v.origin, v.hasOrigin = value, true
		case asciiEqualFold(name, "access-control-request-method"):
			v.acrMethod, v.hasACRMethod = value, true
		case asciiEqualFold(name, "access-control-request-headers"):
			v.acrHeaders, v.hasACRHeaders = value, true
		case asciiEqualFold(name, "x-request-id"):
			v.requestID = value
		}
	}
	if v.authority == "" {
		v.authority = hostFallback
	}
}

// asciiEqualFold reports whether s equals the lower-case ASCII word lower,
// ignoring ASCII case in s. It does not allocate.
func asciiEqualFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// pathOnly returns the path of a :path value, before any "?".
func pathOnly(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}
