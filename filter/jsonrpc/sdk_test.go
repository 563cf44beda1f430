package jsonrpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	_ "unsafe" // go:linkname

	sdkjsonrpc "github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The reference decoder is the one an MCP server built on the official Go
// SDK runs, called rather than re-implemented: the SDK's streamable HTTP
// server reads a POST body with mcp.readBatch (a JSON array of messages,
// else one message, each through jsonrpc.DecodeMessage), and decodes the
// params of a request with internal/json.Unmarshal (segmentio/encoding,
// case-sensitive) into the method's params type (newMethodInfo's
// unmarshalParams); mcp.extractName is what its client puts in Mcp-Name.
// These are unexported, so they are reached with go:linkname; the
// signatures are those of sdkVersion, which TestSDKPinned checks go.mod
// still requires (a different version must have them checked again).
const sdkVersion = "v1.8.0"

//go:linkname sdkReadBatch github.com/modelcontextprotocol/go-sdk/mcp.readBatch
func sdkReadBatch(data []byte) (msgs []sdkjsonrpc.Message, isBatch bool, _ error)

//go:linkname sdkUnmarshal github.com/modelcontextprotocol/go-sdk/internal/json.Unmarshal
func sdkUnmarshal(data []byte, v any) error

//go:linkname sdkExtractName github.com/modelcontextprotocol/go-sdk/mcp.extractName
func sdkExtractName(method string, params json.RawMessage) (string, bool)

// sdkPinned reports whether go.mod requires sdkVersion of the SDK.
func sdkPinned() (bool, string) {
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		return false, err.Error()
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/modelcontextprotocol/go-sdk (\S+)`).FindSubmatch(mod)
	if m == nil {
		return false, "go.mod does not require github.com/modelcontextprotocol/go-sdk"
	}
	return string(m[1]) == sdkVersion, "go.mod requires go-sdk " + string(m[1]) + ", the linknamed signatures are those of " + sdkVersion
}

func TestSDKPinned(t *testing.T) {
	if ok, why := sdkPinned(); !ok {
		t.Fatal(why)
	}
}

// sdkMessage is one message as the SDK's server reads it.
type sdkMessage struct {
	kind   Kind
	method string
	// id: the SDK's ID value (string or int64); nil when absent or null.
	id any
	// target, targetOK: params.name or params.uri as the server decodes
	// the params of a target method; targetOK is false when it refuses
	// them (the request fails with "invalid params").
	target   string
	targetOK bool
	// header, headerOK: what mcp.extractName (the client's Mcp-Name) makes
	// of the params.
	header   string
	headerOK bool
}

// sdkRead reads body as the SDK's streamable HTTP server does; err when it
// answers 400 "malformed payload".
func sdkRead(body []byte) (batch bool, out []sdkMessage, err error) {
	msgs, batch, err := sdkReadBatch(body)
	if err != nil {
		return batch, nil, err
	}
	for _, m := range msgs {
		var s sdkMessage
		switch m := m.(type) {
		case *sdkjsonrpc.Request:
			s.kind, s.method, s.id = Notification, m.Method, m.ID.Raw()
			if m.ID.IsValid() {
				s.kind = Request
			}
			s.target, s.targetOK = sdkServerTarget(m.Method, m.Params)
			s.header, s.headerOK = sdkExtractName(m.Method, m.Params)
		case *sdkjsonrpc.Response:
			s.kind, s.id = Response, m.ID.Raw()
		default:
			return batch, nil, errors.New("unknown SDK message type")
		}
		out = append(out, s)
	}
	return batch, out, nil
}

// sdkServerTarget decodes params as the SDK's server does for method
// (newMethodInfo's unmarshalParams with the params type of the method's
// handler), and returns the target.
func sdkServerTarget(method string, params json.RawMessage) (string, bool) {
	decode := func(p any) bool { return params != nil && sdkUnmarshal(params, p) == nil }
	switch method {
	case "tools/call":
		var p *mcp.CallToolParamsRaw
		if decode(&p) && p != nil {
			return p.Name, true
		}
	case "prompts/get":
		var p *mcp.GetPromptParams
		if decode(&p) && p != nil {
			return p.Name, true
		}
	case "resources/read":
		var p *mcp.ReadResourceParams
		if decode(&p) && p != nil {
			return p.URI, true
		}
	}
	return "", false
}

// stdMessage and stdParams are a message and its params as a server built
// on encoding/json would declare them: encoding/json matches member names
// case-insensitively (Unicode simple folding) and keeps the last of
// duplicates.
type stdMessage struct {
	JSONRPC *string         `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  *string         `json:"method"`
	Params  json.RawMessage `json:"params"`
	Result  json.RawMessage `json:"result"`
	Error   json.RawMessage `json:"error"`
}

type stdParams struct {
	Name json.RawMessage `json:"name"`
	URI  json.RawMessage `json:"uri"`
}

// stdRead reads body with encoding/json.
func stdRead(body []byte) (batch bool, out []stdMessage, err error) {
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) > 0 && t[0] == '[' {
		err = json.Unmarshal(body, &out)
		return true, out, err
	}
	var m stdMessage
	err = json.Unmarshal(body, &m)
	return false, []stdMessage{m}, err
}

// checkAgreement fails unless Parse refuses body, or the SDK's server and
// encoding/json read the same messages from it as Parse: kind, method,
// target and id. A body the SDK refuses (400) is no operation on which to
// disagree; encoding/json must accept every body Parse accepts.
func checkAgreement(t *testing.T, p *Parser, body []byte) {
	t.Helper()
	got, err := p.Parse(body)
	if err != nil {
		checkErr(t, err)
		return
	}
	if len(got.Messages) == 0 || len(got.Messages) > MaxBatch || (!got.Batch && len(got.Messages) != 1) {
		t.Fatalf("Parse: batch %v with %d messages", got.Batch, len(got.Messages))
	}

	// The SDK's server.
	if batch, msgs, err := sdkRead(body); err == nil {
		if batch != got.Batch || len(msgs) != len(got.Messages) {
			t.Fatalf("SDK: batch %v, %d messages; Parse: batch %v, %d", batch, len(msgs), got.Batch, len(got.Messages))
		}
		for i, s := range msgs {
			m := got.Messages[i]
			if s.kind != m.Kind || s.method != m.Method {
				t.Fatalf("message %d: SDK %v %q, Parse %v %q", i, s.kind, s.method, m.Kind, m.Method)
			}
			if !sameID(s.id, m.ID) {
				t.Fatalf("message %d: SDK id %#v, Parse %s", i, s.id, m.ID)
			}
			if TargetMember(m.Method) == "" {
				continue
			}
			if s.targetOK && s.target != m.Target {
				t.Fatalf("message %d: the SDK's server reads target %q, Parse %q", i, s.target, m.Target)
			}
			if s.headerOK && s.header != m.Target {
				t.Fatalf("message %d: the SDK's extractName reads %q, Parse %q", i, s.header, m.Target)
			}
		}
	}

	// encoding/json.
	batch, msgs, err := stdRead(body)
	if err != nil {
		t.Fatalf("Parse accepts what encoding/json refuses: %v", err)
	}
	if batch != got.Batch || len(msgs) != len(got.Messages) {
		t.Fatalf("encoding/json: batch %v, %d messages; Parse: batch %v, %d", batch, len(msgs), got.Batch, len(got.Messages))
	}
	for i, s := range msgs {
		m := got.Messages[i]
		if s.JSONRPC == nil || *s.JSONRPC != "2.0" {
			t.Fatalf("message %d: encoding/json reads jsonrpc %v", i, s.JSONRPC)
		}
		if string(s.ID) != m.ID {
			t.Fatalf("message %d: encoding/json id %s, Parse %s", i, s.ID, m.ID)
		}
		kind, method := Response, ""
		if s.Method != nil {
			kind, method = Notification, *s.Method
			if s.ID != nil {
				kind = Request
			}
		}
		if kind != m.Kind || method != m.Method {
			t.Fatalf("message %d: encoding/json %v %q, Parse %v %q", i, kind, method, m.Kind, m.Method)
		}
		member := TargetMember(m.Method)
		if member == "" {
			continue
		}
		var ps stdParams
		if err := json.Unmarshal(s.Params, &ps); err != nil {
			t.Fatalf("message %d: encoding/json refuses params %s: %v", i, s.Params, err)
		}
		raw := ps.Name
		if member == "uri" {
			raw = ps.URI
		}
		var target string
		if err := json.Unmarshal(raw, &target); err != nil || target != m.Target {
			t.Fatalf("message %d: encoding/json reads target %s (%v), Parse %q", i, raw, err, m.Target)
		}
	}
}

// sameID reports whether the SDK's id (nil, string or int64: a number is
// read as a float64 and converted) is the one whose JSON text Parse
// returned.
func sameID(sdk any, raw string) bool {
	switch v := sdk.(type) {
	case nil:
		return raw == ""
	case string:
		var s string
		return strings.HasPrefix(raw, `"`) && json.Unmarshal([]byte(raw), &s) == nil && s == v
	case int64:
		f, err := strconv.ParseFloat(raw, 64)
		return err == nil && int64(f) == v
	}
	return false
}

// FuzzParseAgreesWithSDK: for any body, Parse refuses it or reads what the
// official Go SDK's server and encoding/json read (checkAgreement); the
// input is checked as it is and as the choices of synth, which builds a
// near-message from it. Seeds: the bodies of TestParse and
// testdata/fuzz/FuzzParseAgreesWithSDK.
func FuzzParseAgreesWithSDK(f *testing.F) {
	if ok, why := sdkPinned(); !ok {
		f.Fatal(why)
	}
	for _, tc := range parseCases {
		f.Add([]byte(tc.body))
	}
	var p Parser
	f.Fuzz(func(t *testing.T, body []byte) {
		checkAgreement(t, &p, body)
		checkAgreement(t, &p, synth(body))
	})
}

// TestSDKReads records how the SDK's server (v1.8.0) reads bodies Parse
// refuses or reads strictly, so that a change in the SDK shows here. The
// filter relies on these facts (see the package comment).
func TestSDKReads(t *testing.T) {
	if ok, why := sdkPinned(); !ok {
		t.Fatal(why)
	}
	type read struct {
		batch bool
		msgs  string // kind method [target], one per message; "error" when refused
	}
	show := func(body string) read {
		batch, msgs, err := sdkRead([]byte(body))
		if err != nil {
			return read{batch, "error"}
		}
		var parts []string
		for _, m := range msgs {
			s := m.kind.String() + " " + strconv.Quote(m.method)
			if m.targetOK {
				s += " " + strconv.Quote(m.target)
			}
			parts = append(parts, s)
		}
		return read{batch, strings.Join(parts, "; ")}
	}
	for _, tc := range []struct {
		why, body string
		want      read
		parse     error // what Parse says; nil: accepts
	}{
		{"no jsonrpc member", `{"id":1,"method":"a"}`, read{false, "error"}, ErrVersion},
		{"duplicates: the last wins", `{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call","params":{"name":"a","name":"b"}}`,
			read{false, `request "tools/call" "b"`}, ErrDuplicate},
		{"duplicate jsonrpc: the last wins", `{"jsonrpc":"1.0","jsonrpc":"2.0","method":"a"}`, read{false, `notification "a"`}, ErrDuplicate},
		{"member names are case-sensitive", `{"jsonrpc":"2.0","id":1,"method":"tools/call","Method":"x","params":{"Name":"a","name":"b"}}`,
			read{false, `request "tools/call" "b"`}, ErrCaseVariant},
		{"no Unicode folding", `{"jsonrpc":"2.0","id":1,"method":"a","paramſ":1}`, read{false, `request "a"`}, ErrCaseVariant},
		{"escaped member names are unescaped", `{"jsonrpc":"2.0","id":1,"m\u0065thod":"a"}`, read{false, `request "a"`}, nil},
		{"a null id makes a notification", `{"jsonrpc":"2.0","id":null,"method":"a"}`, read{false, `notification "a"`}, ErrNotMessage},
		{"a response with a null id is refused", `{"jsonrpc":"2.0","id":null,"result":{}}`, read{false, "error"}, ErrNotMessage},
		{"method null is the method \"\"", `{"jsonrpc":"2.0","id":1,"method":null,"result":{}}`, read{false, `request ""`}, ErrNotMessage},
		{"a method wins over a result", `{"jsonrpc":"2.0","id":1,"method":"a","result":{}}`, read{false, `request "a"`}, ErrNotMessage},
		{"a response needs neither result nor error", `{"jsonrpc":"2.0","id":1}`, read{false, `response ""`}, ErrNotMessage},
		{"ids are read as float64 and truncated", `{"jsonrpc":"2.0","id":1.5,"method":"a"}`, read{false, `request "a"`}, nil},
		{"an id past float64 is refused", `{"jsonrpc":"2.0","id":1e400,"method":"a"}`, read{false, "error"}, nil},
		{"an id true is refused", `{"jsonrpc":"2.0","id":true,"method":"a"}`, read{false, "error"}, ErrNotMessage},
		{"params any JSON value at first", `{"jsonrpc":"2.0","id":1,"method":"a","params":"x"}`, read{false, `request "a"`}, ErrNotMessage},
		{"tools/call with params null: no params", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":null}`, read{false, `request "tools/call"`}, ErrNotMessage},
		{"tools/call without name: \"\"", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}`, read{false, `request "tools/call" ""`}, ErrTarget},
		{"what follows the first value is ignored", note + ` {"jsonrpc":"2.0","method":"b"} x`, read{false, `notification "a"`}, ErrSyntax},
		{"not UTF-8: replaced", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"a\xff\"}}",
			read{false, "request \"tools/call\" \"a\uFFFD\""}, ErrUTF8},
		{"lone surrogates: replaced", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a\ud800"}}`,
			read{false, "request \"tools/call\" \"a\uFFFD\""}, ErrSyntax},
		{"a byte order mark is refused", "\ufeff" + note, read{false, "error"}, ErrSyntax},
		{"a batch", `[` + note + `]`, read{true, `notification "a"`}, nil},
		{"an empty batch is refused", `[]`, read{true, "error"}, ErrEmptyBatch},
		{"a body null is an empty batch", `null`, read{true, "error"}, ErrNotMessage},
		{"a nested batch is refused", `[[` + note + `]]`, read{true, "error"}, ErrNestedBatch},
		{"batches have no limit", batchOf(MaxBatch+1, note), read{true, strings.TrimSuffix(strings.Repeat(`notification "a"; `, MaxBatch+1), "; ")}, ErrBatchTooLong},
		{"deep nesting up to 1000", `{"jsonrpc":"2.0","method":"a","params":` + deep(999) + `}`, read{false, `notification "a"`}, ErrDepth},
	} {
		t.Run(tc.why, func(t *testing.T) {
			if got := show(tc.body); got != tc.want {
				t.Errorf("SDK reads %+v, want %+v", got, tc.want)
			}
			var p Parser
			if _, err := p.Parse([]byte(tc.body)); !errors.Is(err, tc.parse) || (err == nil) != (tc.parse == nil) {
				t.Errorf("Parse: %v, want %v", err, tc.parse)
			}
		})
	}
}
