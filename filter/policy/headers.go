package policy

import (
	"github.com/audguard/audguard/internal/lex"
	"strings"
	"unsafe"

	"github.com/buger/jsonparser"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/jwtlite"
)

// stripClaimHeaders lists every request header whose name, folded by
// lex.AppendHeaderKey, is any resource's claim header (docs/request-flow.md#13-upstream-headers), so no
// client can spoof a header the upstream trusts to come from a verified token.
func (e *Engine) stripClaimHeaders(headers [][2]string, d *Decision) {
	if len(e.strip) == 0 {
		return
	}
	for _, h := range headers {
		name := h[0]
		if !e.stripLens.has(len(name)) {
			continue // the fold keeps the length: no claim header has this one
		}
		if _, hit := e.strip[e.foldHeaderName(name)]; hit {
			// Once per occurrence: some hosts (and the SDK's emulator) remove
			// one value per call; a call for an absent header is harmless.
			d.Remove = append(d.Remove, name)
		}
	}
}

// lengthSet is a set of string lengths, every length ≥ 255 counted as 255:
// a bitmap that lets stripClaimHeaders skip the fold and map lookup for
// request headers whose name is no claim header's length.
type lengthSet [4]uint64

func (s *lengthSet) add(n int)      { n = min(n, 255); s[n>>6] |= 1 << (n & 63) }
func (s *lengthSet) has(n int) bool { n = min(n, 255); return s[n>>6]&(1<<(n&63)) != 0 }

// foldHeaderName returns name read the way claim headers are compared:
// lex.AppendHeaderKey, the fold the loader keyed e.strip with (CGI-style
// upstreams fold "_" and "." alike, so "x-mcp.subject" and "X_MCP_SUBJECT"
// reach them as the same variable as "x-mcp-subject"). It uses e.buf when it
// has to change anything; the result is valid until the next call.
func (e *Engine) foldHeaderName(name string) string {
	clean := true
	for i := 0; i < len(name); i++ {
		if c := name[i]; c != '-' && !lex.Is(c, lex.LowerAlnum) {
			clean = false
			break
		}
	}
	if clean {
		return name
	}
	e.buf = lex.AppendHeaderKey(e.buf[:0], name)
	return unsafe.String(unsafe.SliceData(e.buf), len(e.buf))
}

// setClaimHeaders sets r's claim headers from verified claims (docs/request-flow.md#13-upstream-headers):
// strings as they are, non-empty arrays of strings joined by one space,
// numbers and booleans as their JSON text, anything else not set. Inside each
// string, what a field value cannot carry (appendEncodedJSONString) is
// percent-encoded, so a claim can never smuggle a line break or a lookalike
// into a header, nor lose a space at its ends.
func (e *Engine) setClaimHeaders(r *config.Resource, c *jwtlite.Claims, d *Decision) {
	if len(r.ClaimHeaders) == 0 {
		return
	}
	if ent := e.hit; ent != nil && &ent.claims == c {
		// A cache hit: each claim is rendered once per entry, not per request.
		if ent.rendered == nil {
			ent.rendered = make(map[string]renderedClaim, len(r.ClaimHeaders))
		}
		for _, ch := range r.ClaimHeaders {
			rc, done := ent.rendered[ch.Claim]
			if !done {
				v, ok := e.renderClaim(c, ch.Claim)
				rc = renderedClaim{strings.Clone(v), ok}
				ent.rendered[ch.Claim] = rc
			}
			if rc.ok {
				d.Set = append(d.Set, [2]string{ch.Header, rc.value})
			}
		}
		return
	}
	for _, ch := range r.ClaimHeaders {
		if v, ok := e.renderClaim(c, ch.Claim); ok {
			d.Set = append(d.Set, [2]string{ch.Header, strings.Clone(v)})
		}
	}
}

// renderedClaim is a claim's header value, or ok false when the claim sets
// no header.
type renderedClaim struct {
	value string
	ok    bool
}

// renderClaim renders claim as a header value in e.buf (valid until the
// next call): strings as they are, arrays of strings joined by one space,
// numbers and booleans as their JSON text, anything else (and an empty
// array) nothing; encoded as appendEncodedJSONString does.
func (e *Engine) renderClaim(c *jwtlite.Claims, claim string) (string, bool) {
	val, typ, _, err := jsonparser.Get(c.Raw(), claim)
	if err != nil {
		return "", false
	}
	e.buf = e.buf[:0]
	ok := true
	switch typ {
	case jsonparser.String:
		e.buf, ok = appendEncodedJSONString(e.buf, val)
	case jsonparser.Number, jsonparser.Boolean:
		e.buf = append(e.buf, val...)
	case jsonparser.Array:
		first := true
		_, aerr := jsonparser.ArrayEach(val, func(v []byte, vt jsonparser.ValueType, _ int, _ error) {
			if !ok {
				return
			}
			if vt != jsonparser.String {
				ok = false
				return
			}
			if !first {
				e.buf = append(e.buf, ' ')
			}
			first = false
			e.buf, ok = appendEncodedJSONString(e.buf, v)
		})
		if aerr != nil || first {
			ok = false // an empty array sets nothing, as jwtlite.Claims.HeaderValue
		}
	default:
		ok = false
	}
	return unsafe.String(unsafe.SliceData(e.buf), len(e.buf)), ok
}

// appendEncodedJSONString unescapes a JSON string body and appends it as
// it is, except for what a field value cannot carry (RFC 9110 §5.5), each
// byte of which is percent-encoded: a control character other than HTAB,
// DEL, a non-ASCII byte (obs-text is allowed but read as Latin-1 by many
// stacks: encoded, a UTF-8 claim has one reading), "%" itself (so the
// encoding can be undone), and spaces and tabs at the start or end (a
// recipient strips them as OWS). Spaces and tabs inside are kept: a scope
// "tools read" arrives as "tools read", as the array ["tools","read"] does.
func appendEncodedJSONString(dst, escaped []byte) ([]byte, bool) {
	var scratch [256]byte
	s, err := jsonparser.Unescape(escaped, scratch[:])
	if err != nil {
		return dst, false
	}
	lo, hi := 0, len(s) // s[lo:hi] is s without its leading and trailing SP and HTAB
	for lo < hi && (s[lo] == ' ' || s[lo] == '\t') {
		lo++
	}
	for hi > lo && (s[hi-1] == ' ' || s[hi-1] == '\t') {
		hi--
	}
	const hexdigits = "0123456789ABCDEF"
	for i, c := range s {
		inner := lo <= i && i < hi && (c == ' ' || c == '\t')
		if !inner && (c < 0x21 || c > 0x7e) || c == '%' {
			dst = append(dst, '%', hexdigits[c>>4], hexdigits[c&15])
		} else {
			dst = append(dst, c)
		}
	}
	return dst, true
}

// stringBytes views s as bytes without copying. The bytes must not be written.
func stringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// sanitizeRequestID keeps a client-supplied x-request-id safe to log: at most
// 64 characters from [A-Za-z0-9._:-], else "-".
func sanitizeRequestID(id string) string {
	if id == "" || len(id) > 64 {
		return "-"
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == ':':
		default:
			return "-"
		}
	}
	return id
}

// SpoofedHeaders returns the names of the request headers that clash with
// any resource's claim header (docs/request-flow.md#13-upstream-headers), for a request the engine
// could not decide (a failing host call): they go even then.
func (e *Engine) SpoofedHeaders(headers [][2]string) []string {
	var d Decision
	e.stripClaimHeaders(headers, &d)
	return d.Remove
}
