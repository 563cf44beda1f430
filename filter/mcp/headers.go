package mcp

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/audguard/audguard/internal/lex"
)

// The request metadata headers of the Streamable HTTP transport (MCP
// 2026-07-28, basic/transports/streamable-http, "Protocol Version Header" and
// "Standard Request Headers"), spelled as the specification spells them.
// Names are compared case-insensitively (RFC 9110 §5.1, and "Case
// Sensitivity" in the same page); values are case-sensitive.
const (
	HeaderProtocolVersion = "MCP-Protocol-Version"
	HeaderMethod          = "Mcp-Method"
	HeaderName            = "Mcp-Name"
)

// FirstTrustedVersion is the first protocol revision whose servers must
// reject a request whose metadata headers disagree with its body (MCP
// 2026-07-28, basic/transports/streamable-http, "Server Validation").
const FirstTrustedVersion = "2026-07-28"

// Reason is the denial reason for every error Parse returns.
const Reason = "invalid_mcp_headers"

// The Base64 sentinel of "Value Encoding" (MCP 2026-07-28,
// basic/transports/streamable-http): the markers are case-sensitive and
// appear exactly so, lower case.
const (
	sentinelPrefix = "=?base64?"
	sentinelSuffix = "?="
)

// strictBase64 is the standard alphabet with padding (RFC 4648 §4), refusing
// non-zero padding bits. It still skips CR and LF, so the caller checks the
// alphabet first.
var strictBase64 = base64.StdEncoding.Strict()

// Era tells whether a request's metadata headers can be trusted.
type Era uint8

const (
	// EraLegacy: no MCP-Protocol-Version, a malformed one, or one before
	// FirstTrustedVersion. No server is bound to check the headers against
	// the body, so nothing the headers say is used.
	EraLegacy Era = iota
	// EraCurrent: FirstTrustedVersion or a later well-formed version. The
	// server must reject a body that disagrees with the headers.
	EraCurrent
)

func (e Era) String() string {
	if e == EraCurrent {
		return "current"
	}
	return "legacy"
}

// EraOf returns the era of an MCP-Protocol-Version value ("" when the header
// is absent). A version is well-formed when it is a real calendar date
// written YYYY-MM-DD (protocol revisions are dates, MCP 2026-07-28,
// basic/versioning); well-formed versions compare lexically.
func EraOf(version string) Era {
	if validDate(version) && version >= FirstTrustedVersion {
		return EraCurrent
	}
	return EraLegacy
}

// validDate reports whether s is YYYY-MM-DD naming a day of the proleptic
// Gregorian calendar.
func validDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	num := func(t string) int {
		n := 0
		for i := 0; i < len(t); i++ {
			c := t[i]
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	y, m, d := num(s[:4]), num(s[5:7]), num(s[8:])
	if y < 0 || m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m]
	if m == 2 && (y%4 == 0 && y%100 != 0 || y%400 == 0) {
		days = 29
	}
	return d <= days
}

// NameRequired reports whether a request with this JSON-RPC method must carry
// Mcp-Name (MCP 2026-07-28, basic/transports/streamable-http, "Standard
// Request Headers": tools/call, resources/read, prompts/get). These are also
// the only methods an operation rule may name a target for.
func NameRequired(method string) bool {
	switch method {
	case "tools/call", "resources/read", "prompts/get":
		return true
	}
	return false
}

// Headers is what Parse read from one request.
type Headers struct {
	_   [0]func() // not comparable: no generated equality function in the module
	Era Era
	// Version is the MCP-Protocol-Version value as sent, "" when absent.
	Version string
	// Method is the decoded Mcp-Method; "" in EraLegacy.
	Method string
	// Name is the decoded Mcp-Name; "" when absent, and always "" in
	// EraLegacy. An empty Mcp-Name is an error, so "" is unambiguous.
	Name string
}

// Problem is what is wrong with the metadata headers.
type Problem uint8

// The problems, in the order Parse checks them.
const (
	ProblemNone       Problem = iota
	ProblemDuplicate          // the header appears more than once
	ProblemMissing            // a required header is absent
	ProblemEmpty              // the value is empty, or the sentinel encodes nothing
	ProblemEncoding           // =?base64?…?= that is not strict padded Base64 of UTF-8, or another value starting with "=?base64?" in any case
	ProblemCharacters         // a plain value with a byte outside %x20-7E
	ProblemSpace              // a plain value with a leading or trailing space
	numProblems
)

var problemText = [numProblems]string{
	ProblemDuplicate:  "appears more than once",
	ProblemMissing:    "is missing",
	ProblemEmpty:      "is empty",
	ProblemEncoding:   "is not valid =?base64?…?= encoding of UTF-8 text",
	ProblemCharacters: "has a byte outside printable ASCII and is not =?base64?…?= encoded",
	ProblemSpace:      "has a leading or trailing space and is not =?base64?…?= encoded",
}

func (p Problem) String() string {
	if p >= numProblems {
		return "unknown"
	}
	return problemText[p]
}

// HeaderError is the error Parse returns: which header, and what is wrong.
// Its reason is always Reason. Parse returns pointers to shared values: do
// not modify them.
type HeaderError struct {
	_       [0]func() // not comparable: no generated equality function in the module
	Header  string    // HeaderProtocolVersion, HeaderMethod or HeaderName
	Problem Problem
}

func (e *HeaderError) Error() string {
	return Reason + ": " + e.Header + " " + e.Problem.String()
}

// headerErrors holds every HeaderError Parse can return, so that returning
// one does not allocate.
var headerErrors = func() (t [3][numProblems]HeaderError) {
	for i, h := range [3]string{HeaderProtocolVersion, HeaderMethod, HeaderName} {
		for p := range numProblems {
			t[i][p] = HeaderError{Header: h, Problem: p}
		}
	}
	return t
}()

const (
	idxVersion = iota
	idxMethod
	idxName
)

func headerError(idx int, p Problem) error { return &headerErrors[idx][p] }

// Parser reads the metadata headers of requests. The zero value is ready to
// use. A Parser keeps the buffers decoded values live in, so it is not safe
// for concurrent use; a proxy-wasm VM is single-threaded and keeps one.
type Parser struct {
	method, name []byte
}

// Parse reads MCP-Protocol-Version, Mcp-Method and Mcp-Name from headers
// (name/value pairs in the order the host lists them, one pair per value) by
// the rules of MCP 2026-07-28, basic/transports/streamable-http:
//
//   - any of the three present more than once is an error, in every era;
//   - EraLegacy (see EraOf) returns no method or name, whatever is sent;
//   - in EraCurrent, Mcp-Method is required, and Mcp-Name for the methods of
//     NameRequired ("Standard Request Headers"); each value present is read
//     by "Value Encoding": =?base64?…?= (markers exactly so) is decoded as
//     strict, padded, standard-alphabet Base64 and must be non-empty UTF-8,
//     which may hold any character; any other value must be non-empty,
//     printable ASCII (%x20-7E) and must not begin or end with a space.
//     "Server Validation" lists a missing header and invalid characters as
//     failures an intermediary answers with 400.
//
// A value that only looks like the sentinel — its prefix in another case
// ("=?BASE64?…?="), or the prefix without the final "?=" ("=?base64?ZGVs…")
// — is refused (ProblemEncoding) rather than read as plain: a server that
// decodes it anyway would act on another name. The specification defines
// the sentinel for Mcp-Name; Parse applies the same reading to Mcp-Method.
//
// Parse never reads the body. The caller applies it to the POST requests of
// a resource that has operations (every JSON-RPC message is a POST, "Sending
// Messages"), and answers an error with 400 and Reason.
//
// Every error is a *HeaderError. Decoded values live in p's buffers and stay
// valid until the next call; plain values are the header strings themselves.
// Parse does not allocate once its buffers have grown.
func (p *Parser) Parse(headers [][2]string) (Headers, error) {
	var raw Raw
	for i := range headers {
		raw.Add(headers[i][0], headers[i][1])
	}
	return p.ParseRaw(&raw)
}

// Raw holds the three MCP request headers as a caller's single pass over
// the request headers found them (Raw.Add), for ParseRaw.
type Raw struct {
	_                        [0]func() // not comparable: no generated equality function in the module
	version, method, name    string
	nVersion, nMethod, nName int
}

// Add records the header name: value if name is one of the three (compared
// as Parse compares, by isHeader); any other header is ignored.
func (r *Raw) Add(name, value string) {
	switch len(name) { // the three names have different lengths: one comparison at most
	case len("mcp-protocol-version"):
		if isHeader(name, "mcp-protocol-version") {
			r.nVersion++
			r.version = value
		}
	case len("mcp-method"):
		if isHeader(name, "mcp-method") {
			r.nMethod++
			r.method = value
		}
	case len("mcp-name"):
		if isHeader(name, "mcp-name") {
			r.nName++
			r.name = value
		}
	}
}

// duplicated is the error for the first MCP header present more than once
// (version, method, name), or nil.
func (r *Raw) duplicated() error {
	switch {
	case r.nVersion > 1:
		return headerError(idxVersion, ProblemDuplicate)
	case r.nMethod > 1:
		return headerError(idxMethod, ProblemDuplicate)
	case r.nName > 1:
		return headerError(idxName, ProblemDuplicate)
	}
	return nil
}

// ParseRaw is Parse on headers already gathered by Raw.Add.
func (p *Parser) ParseRaw(r *Raw) (Headers, error) {
	if err := r.duplicated(); err != nil {
		return Headers{}, err
	}
	h := Headers{Era: EraOf(r.version), Version: r.version}
	if h.Era == EraLegacy {
		return h, nil
	}
	if r.nMethod == 0 {
		return Headers{}, headerError(idxMethod, ProblemMissing)
	}
	var prob Problem
	if h.Method, prob = decodeValue(r.method, &p.method); prob != ProblemNone {
		return Headers{}, headerError(idxMethod, prob)
	}
	if r.nName == 0 {
		if NameRequired(h.Method) {
			return Headers{}, headerError(idxName, ProblemMissing)
		}
		return h, nil
	}
	if h.Name, prob = decodeValue(r.name, &p.name); prob != ProblemNone {
		return Headers{}, headerError(idxName, prob)
	}
	return h, nil
}

// decodeValue reads one header value by "Value Encoding" (MCP 2026-07-28,
// basic/transports/streamable-http), keeping decoded bytes in *buf. The
// result aliases *buf or raw.
func decodeValue(raw string, buf *[]byte) (string, Problem) {
	if raw == "" {
		return "", ProblemEmpty
	}
	if strings.HasPrefix(raw, sentinelPrefix) && strings.HasSuffix(raw, sentinelSuffix) {
		// A value that starts and ends with the markers is encoded: clients
		// must encode any such plain value ("Value Encoding"). The markers
		// may overlap ("=?base64?="): that is a broken encoding.
		if len(raw) < len(sentinelPrefix)+len(sentinelSuffix) {
			return "", ProblemEncoding
		}
		payload := raw[len(sentinelPrefix) : len(raw)-len(sentinelSuffix)]
		if payload == "" {
			return "", ProblemEmpty
		}
		for i := 0; i < len(payload); i++ {
			if !isBase64Char(payload[i]) {
				return "", ProblemEncoding // the decoder would skip CR and LF
			}
		}
		n := strictBase64.DecodedLen(len(payload))
		if cap(*buf) < n {
			*buf = make([]byte, n)
		}
		b := (*buf)[:n]
		n, err := strictBase64.Decode(b, unsafe.Slice(unsafe.StringData(payload), len(payload)))
		if err != nil {
			return "", ProblemEncoding
		}
		b = b[:n]
		if n == 0 {
			return "", ProblemEmpty
		}
		if !utf8.Valid(b) {
			return "", ProblemEncoding
		}
		return unsafe.String(unsafe.SliceData(b), len(b)), ProblemNone
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c < 0x20 || c > 0x7E {
			return "", ProblemCharacters
		}
	}
	if raw[0] == ' ' || raw[len(raw)-1] == ' ' {
		return "", ProblemSpace
	}
	if len(raw) >= len(sentinelPrefix) && equalFold(raw[:len(sentinelPrefix)], sentinelPrefix) {
		// "=?BASE64?…?=", or the prefix without its "?=" ("=?base64?ZGVs…"):
		// not an encoding to this reading, but a server that matches the
		// markers case-insensitively, or decodes on the prefix alone, would
		// decode it and see another name than the one judged here. Refused,
		// never guessed.
		return "", ProblemEncoding
	}
	return raw, ProblemNone
}

func isBase64Char(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '='
}

// isHeader reports whether the request header name is the header key, a
// name already in lex.AppendHeaderKey form of at most 20 bytes: the name is
// folded as claim header names are (docs/request-flow.md#9-mcp-operation),
// every byte other than a-z and 0-9 read as "-". CGI-style servers fold
// "Mcp_Name" and "Mcp.Name" into the same variable as "Mcp-Name", so every
// such spelling counts as the header (and two of them as a duplicate). It
// does not allocate.
func isHeader(name, key string) bool {
	var buf [len("mcp-protocol-version")]byte
	if len(name) != len(key) || len(name) > len(buf) {
		return false
	}
	return string(lex.AppendHeaderKey(buf[:0], name)) == key
}

// equalFold reports whether s is the lower-case word lower ignoring ASCII
// case only (the sentinel's markers, an origin's scheme). Header names are
// compared by isHeader.
func equalFold(s, lower string) bool { return lex.EqualFold(s, lower) }
