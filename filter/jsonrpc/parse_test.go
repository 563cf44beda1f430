package jsonrpc

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// wantMsg is a message as a test expects it.
type wantMsg struct {
	kind           Kind
	method, target string
	id             string
}

// parseCase is one body and what Parse must make of it: its messages, or
// an error.
type parseCase struct {
	name  string
	body  string
	batch bool
	want  []wantMsg
	err   error
}

// deep nests n arrays.
func deep(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

// batchOf is a batch of n copies of msg.
func batchOf(n int, msg string) string {
	return "[" + strings.Repeat(msg+",", n-1) + msg + "]"
}

const note = `{"jsonrpc":"2.0","method":"a"}`

// parseCases is the table of TestParse; FuzzParseAgreesWithSDK starts
// from its bodies too.
var parseCases = []parseCase{
	// Accepted.
	{name: "tools/call", body: `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get_forecast","arguments":{"city":"Oslo"}}}`,
		want: []wantMsg{{Request, "tools/call", "get_forecast", "7"}}},
	{name: "params before method", body: `{"params":{"arguments":{},"name":"x"},"method":"tools/call","id":"a","jsonrpc":"2.0"}`,
		want: []wantMsg{{Request, "tools/call", "x", `"a"`}}},
	{name: "resources/read by uri", body: `{"jsonrpc":"2.0","id":"r","method":"resources/read","params":{"uri":"file:///a"}}`,
		want: []wantMsg{{Request, "resources/read", "file:///a", `"r"`}}},
	{name: "prompts/get", body: `{"jsonrpc":"2.0","id":2,"method":"prompts/get","params":{"name":"greet","arguments":{"who":"x"}}}`,
		want: []wantMsg{{Request, "prompts/get", "greet", "2"}}},
	{name: "escaped method and name", body: `{"jsonrpc":"2.0","id":1,"method":"tools\/call","params":{"name":"del\u0065te"}}`,
		want: []wantMsg{{Request, "tools/call", "delete", "1"}}},
	{name: "escaped member names", body: `{"j\u0073onrpc":"2\u002e0","\u0069d":1,"\u006Dethod":"tools\u002Fcall","p\u0061rams":{"\u006eame":"x"}}`,
		want: []wantMsg{{Request, "tools/call", "x", "1"}}},
	{name: "surrogate pair and NUL in target", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a\ud83d\ude00\u0000b"}}`,
		want: []wantMsg{{Request, "tools/call", "a\U0001F600\x00b", "1"}}},
	{name: "target is not folded", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"\u212Aelvin"}}`,
		want: []wantMsg{{Request, "tools/call", "\u212Aelvin", "1"}}},
	{name: "method is case-sensitive", body: `{"jsonrpc":"2.0","id":1,"method":"Tools/Call"}`,
		want: []wantMsg{{Request, "Tools/Call", "", "1"}}},
	{name: "empty method", body: `{"jsonrpc":"2.0","id":1,"method":""}`,
		want: []wantMsg{{Request, "", "", "1"}}},
	{name: "notification", body: " \t\r\n{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"} \n",
		want: []wantMsg{{Notification, "notifications/initialized", "", ""}}},
	{name: "notification tools/call", body: `{"jsonrpc":"2.0","method":"tools/call","params":{"name":"t"}}`,
		want: []wantMsg{{Notification, "tools/call", "t", ""}}},
	{name: "whitespace everywhere", body: "{ \"jsonrpc\" :\t\"2.0\" ,\n\"id\"\r:\n-1 , \"method\" : \"tools/call\" , \"params\" : { \"name\" : \"n\" } }",
		want: []wantMsg{{Request, "tools/call", "n", "-1"}}},
	{name: "params array", body: `{"jsonrpc":"2.0","id":1,"method":"a","params":[1,"x",{"name":"y"}]}`,
		want: []wantMsg{{Request, "a", "", "1"}}},
	{name: "other methods ignore name", body: `{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"u","name":"n"}}`,
		want: []wantMsg{{Request, "resources/read", "u", "1"}}},
	{name: "non-string name of another method", body: `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"name":5,"uri":null}}`,
		want: []wantMsg{{Request, "tools/list", "", "1"}}},
	{name: "unknown members, duplicates and case variants of them", body: `{"jsonrpc":"2.0","x":1,"x":2,"X":3,"id":1,"method":"a","_meta":{}}`,
		want: []wantMsg{{Request, "a", "", "1"}}},
	{name: "duplicates nested in arguments", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":{"name":"a","name":"b","NAME":"c","method":1,"method":2}}}`,
		want: []wantMsg{{Request, "tools/call", "t", "1"}}},
	{name: "duplicates nested in _meta", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"uri":1,"uri":2},"name":"t"}}`,
		want: []wantMsg{{Request, "tools/call", "t", "1"}}},
	{name: "Kelvin sign member names", body: `{"jsonrpc":"2.0","\u212Aey":1,"id":1,"method":"tools/call","params":{"\u212Aind":"x","name":"t"}}`,
		want: []wantMsg{{Request, "tools/call", "t", "1"}}},
	{name: "raw Kelvin sign and other Unicode names", body: "{\"jsonrpc\":\"2.0\",\"\u212Aey\":1,\"métho\":2,\"ид\":3,\"id\":1,\"method\":\"a\",\"params\":{\"nämé\":1,\"ürí\":2}}",
		want: []wantMsg{{Request, "a", "", "1"}}},
	{name: "id -0", body: `{"jsonrpc":"2.0","id":-0,"method":"a"}`, want: []wantMsg{{Request, "a", "", "-0"}}},
	{name: "id 1e400", body: `{"jsonrpc":"2.0","id":1e400,"method":"a"}`, want: []wantMsg{{Request, "a", "", "1e400"}}},
	{name: "id fraction and exponent", body: `{"jsonrpc":"2.0","id":-12.5E+3,"method":"a"}`, want: []wantMsg{{Request, "a", "", "-12.5E+3"}}},
	{name: "huge id", body: `{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"a"}`,
		want: []wantMsg{{Request, "a", "", "123456789012345678901234567890"}}},
	{name: "string id with escapes", body: `{"jsonrpc":"2.0","id":"a\"b\u0063","method":"a"}`, want: []wantMsg{{Request, "a", "", `"a\"b\u0063"`}}},
	{name: "empty string id", body: `{"jsonrpc":"2.0","id":"","method":"a"}`, want: []wantMsg{{Request, "a", "", `""`}}},
	{name: "response", body: `{"jsonrpc":"2.0","id":3,"result":{}}`, want: []wantMsg{{Response, "", "", "3"}}},
	{name: "null result", body: `{"jsonrpc":"2.0","id":3,"result":null}`, want: []wantMsg{{Response, "", "", "3"}}},
	{name: "error response", body: `{"jsonrpc":"2.0","id":3,"error":{"code":1,"message":"x"}}`, want: []wantMsg{{Response, "", "", "3"}}},
	{name: "response with params", body: `{"jsonrpc":"2.0","id":"s","result":1,"params":{"name":1,"uri":2}}`, want: []wantMsg{{Response, "", "", `"s"`}}},
	{name: "batch", body: `[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":2,"method":"prompts/get","params":{"name":"p"}}]`, batch: true,
		want: []wantMsg{{Request, "tools/list", "", "1"}, {Request, "prompts/get", "p", "2"}}},
	{name: "batch of one", body: " [ " + note + " ] ", batch: true, want: []wantMsg{{Notification, "a", "", ""}}},
	{name: "batch mixing kinds", body: `[{"jsonrpc":"2.0","id":1,"result":{}},{"jsonrpc":"2.0","method":"n"},{"jsonrpc":"2.0","id":"x","method":"resources/read","params":{"uri":"u"}}]`, batch: true,
		want: []wantMsg{{Response, "", "", "1"}, {Notification, "n", "", ""}, {Request, "resources/read", "u", `"x"`}}},
	{name: "100 messages", body: batchOf(MaxBatch, note), batch: true, want: func() []wantMsg {
		w := make([]wantMsg, MaxBatch)
		for i := range w {
			w[i] = wantMsg{Notification, "a", "", ""}
		}
		return w
	}()},
	{name: "deep but allowed", body: `{"jsonrpc":"2.0","method":"a","params":` + deep(MaxDepth-1) + `}`,
		want: []wantMsg{{Notification, "a", "", ""}}},
	{name: "deep in params object, allowed", body: `{"jsonrpc":"2.0","method":"a","params":{"x":` + deep(MaxDepth-2) + `}}`,
		want: []wantMsg{{Notification, "a", "", ""}}},
	{name: "deep in a batch, allowed", body: `[{"jsonrpc":"2.0","method":"a","params":` + deep(MaxDepth-2) + `}]`, batch: true,
		want: []wantMsg{{Notification, "a", "", ""}}},

	// ErrUTF8.
	{name: "not UTF-8", body: "{\"jsonrpc\":\"2.0\",\"method\":\"a\xff\"}", err: ErrUTF8},
	{name: "not UTF-8 in a member name", body: "{\"jsonrpc\":\"2.0\",\"method\":\"a\",\"\xc0\xaf\":1}", err: ErrUTF8},
	{name: "UTF-8 encoded surrogate", body: "{\"jsonrpc\":\"2.0\",\"method\":\"a\xed\xa0\x80\"}", err: ErrUTF8},
	{name: "not UTF-8 in arguments", body: "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"t\",\"arguments\":{\"x\":\"\xe2\x82\"}}}", err: ErrUTF8},
	{name: "truncated UTF-8 at the end", body: note + "\xe2", err: ErrUTF8},

	// ErrSyntax.
	{name: "empty", body: ``, err: ErrSyntax},
	{name: "white space only", body: " \n\t\r", err: ErrSyntax},
	{name: "byte order mark", body: "\ufeff" + note, err: ErrSyntax},
	{name: "non-JSON white space", body: "\u00a0" + note, err: ErrSyntax},
	{name: "form feed", body: note[:1] + "\f" + note[1:], err: ErrSyntax},
	{name: "truncated", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"`, err: ErrSyntax},
	{name: "trailing garbage", body: note + ` x`, err: ErrSyntax},
	{name: "two messages", body: note + note, err: ErrSyntax},
	{name: "two messages with white space", body: note + "\n" + note, err: ErrSyntax},
	{name: "trailing comma", body: `{"jsonrpc":"2.0","method":"a",}`, err: ErrSyntax},
	{name: "trailing comma in params", body: `{"jsonrpc":"2.0","method":"a","params":{"name":"x",}}`, err: ErrSyntax},
	{name: "trailing comma in a batch", body: `[` + note + `,]`, err: ErrSyntax},
	{name: "batch without commas", body: `[` + note + note + `]`, err: ErrSyntax},
	{name: "truncated batch", body: `[` + note, err: ErrSyntax},
	{name: "empty batch and garbage", body: `[] x`, err: ErrSyntax},
	{name: "missing colon", body: `{"jsonrpc" "2.0","method":"a"}`, err: ErrSyntax},
	{name: "unquoted name", body: `{jsonrpc:"2.0","method":"a"}`, err: ErrSyntax},
	{name: "single quotes", body: `{'jsonrpc':'2.0','method':'a'}`, err: ErrSyntax},
	{name: "comment", body: `{"jsonrpc":"2.0",/**/"method":"a"}`, err: ErrSyntax},
	{name: "bad number", body: `{"jsonrpc":"2.0","id":01,"method":"a"}`, err: ErrSyntax},
	{name: "number without digits after the point", body: `{"jsonrpc":"2.0","id":1.,"method":"a"}`, err: ErrSyntax},
	{name: "number without exponent digits", body: `{"jsonrpc":"2.0","id":1e+,"method":"a"}`, err: ErrSyntax},
	{name: "number with a plus", body: `{"jsonrpc":"2.0","id":+1,"method":"a"}`, err: ErrSyntax},
	{name: "bare minus", body: `{"jsonrpc":"2.0","id":-,"method":"a"}`, err: ErrSyntax},
	{name: "NaN", body: `{"jsonrpc":"2.0","id":NaN,"method":"a"}`, err: ErrSyntax},
	{name: "truncated literal", body: `{"jsonrpc":"2.0","method":"a","params":[tru]}`, err: ErrSyntax},
	{name: "truncated null id", body: `{"jsonrpc":"2.0","id":nul,"method":"a"}`, err: ErrSyntax},
	{name: "raw tab in a string", body: "{\"jsonrpc\":\"2.0\",\"method\":\"a\tb\"}", err: ErrSyntax},
	{name: "raw NUL in a member name", body: "{\"jsonrpc\":\"2.0\",\"method\":\"a\",\"x\x00\":1}", err: ErrSyntax},
	{name: "bad escape", body: `{"jsonrpc":"2.0","method":"a\x41"}`, err: ErrSyntax},
	{name: "short \\u escape", body: `{"jsonrpc":"2.0","method":"a\u41"}`, err: ErrSyntax},
	{name: "backslash at the end", body: `{"jsonrpc":"2.0","method":"a\`, err: ErrSyntax},
	{name: "unterminated string", body: `{"jsonrpc":"2.0","method":"a`, err: ErrSyntax},
	{name: "lone surrogate", body: `{"jsonrpc":"2.0","method":"a\ud800"}`, err: ErrSyntax},
	{name: "lone low surrogate", body: `{"jsonrpc":"2.0","method":"a\udc00"}`, err: ErrSyntax},
	{name: "reversed surrogates", body: `{"jsonrpc":"2.0","method":"a\udc00\ud800"}`, err: ErrSyntax},
	{name: "high surrogate and a letter", body: `{"jsonrpc":"2.0","method":"a\ud800\u0041"}`, err: ErrSyntax},
	{name: "two high surrogates", body: `{"jsonrpc":"2.0","method":"a\ud800\ud800"}`, err: ErrSyntax},
	{name: "lone surrogate in a member name", body: `{"jsonrpc":"2.0","method":"a","params":{"\udfff":1}}`, err: ErrSyntax},
	{name: "lone surrogate in arguments", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":["\ud83d"]}}`, err: ErrSyntax},
	{name: "syntax error beats a duplicate later", body: `{"jsonrpc":"2.0","method":"a","params":{"x":}}`, err: ErrSyntax},

	// ErrDepth.
	{name: "too deep", body: `{"jsonrpc":"2.0","method":"a","params":` + deep(70) + `}`, err: ErrDepth},
	{name: "one too deep", body: `{"jsonrpc":"2.0","method":"a","params":` + deep(MaxDepth) + `}`, err: ErrDepth},
	{name: "one too deep in params object", body: `{"jsonrpc":"2.0","method":"a","params":{"x":` + deep(MaxDepth-1) + `}}`, err: ErrDepth},
	{name: "one too deep in a batch", body: `[{"jsonrpc":"2.0","method":"a","params":` + deep(MaxDepth-1) + `}]`, err: ErrDepth},
	{name: "too deep in a non-message batch element", body: `[` + deep(MaxDepth) + `]`, err: ErrDepth},
	{name: "too deep scalar body", body: deep(MaxDepth + 1), err: ErrDepth},

	// ErrDuplicate.
	{name: "duplicate method", body: `{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call"}`, err: ErrDuplicate},
	{name: "duplicate escaped", body: `{"jsonrpc":"2.0","id":1,"method":"tools/list","m\u0065thod":"tools/call"}`, err: ErrDuplicate},
	{name: "duplicate jsonrpc", body: `{"jsonrpc":"1.0","jsonrpc":"2.0","method":"a"}`, err: ErrDuplicate},
	{name: "duplicate id", body: `{"jsonrpc":"2.0","id":1,"id":2,"method":"a"}`, err: ErrDuplicate},
	{name: "duplicate params", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"},"params":{"name":"b"}}`, err: ErrDuplicate},
	{name: "duplicate result", body: `{"jsonrpc":"2.0","id":1,"result":1,"result":2}`, err: ErrDuplicate},
	{name: "duplicate error", body: `{"jsonrpc":"2.0","id":1,"error":{},"error":{}}`, err: ErrDuplicate},
	{name: "duplicate name", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","name":"b"}}`, err: ErrDuplicate},
	{name: "duplicate name, the first not a string", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":1,"name":"b"}}`, err: ErrDuplicate},
	{name: "duplicate uri", body: `{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"a","u\u0072i":"b"}}`, err: ErrDuplicate},
	{name: "duplicate in a batch's second message", body: `[` + note + `,{"jsonrpc":"2.0","method":"a","method":"b"}]`, err: ErrDuplicate},

	// ErrCaseVariant.
	{name: "case variant Method", body: `{"jsonrpc":"2.0","id":1,"method":"tools/list","Method":"tools/call"}`, err: ErrCaseVariant},
	{name: "case variant alone", body: `{"jsonrpc":"2.0","id":1,"METHOD":"tools/call"}`, err: ErrCaseVariant},
	{name: "case variant ID", body: `{"jsonrpc":"2.0","ID":1,"method":"a"}`, err: ErrCaseVariant},
	{name: "case variant JSONRPC", body: `{"JSONRPC":"2.0","jsonrpc":"2.0","method":"a"}`, err: ErrCaseVariant},
	{name: "case variant Params", body: `{"jsonrpc":"2.0","id":1,"method":"a","Params":{}}`, err: ErrCaseVariant},
	{name: "case variant Result", body: `{"jsonrpc":"2.0","id":1,"Result":{}}`, err: ErrCaseVariant},
	{name: "case variant eRRor", body: `{"jsonrpc":"2.0","id":1,"result":{},"eRRor":{}}`, err: ErrCaseVariant},
	{name: "case variant NAME", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","NAME":"b"}}`, err: ErrCaseVariant},
	{name: "case variant escaped", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","\u004eame":"b"}}`, err: ErrCaseVariant},
	{name: "case variant URI", body: `{"jsonrpc":"2.0","id":1,"method":"x","params":{"uri":"a","URI":"b"}}`, err: ErrCaseVariant},
	{name: "case variant Uri of resources/read", body: `{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"Uri":"b","uri":"a"}}`, err: ErrCaseVariant},
	{name: "Unicode fold paramſ", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","paramſ":{}}`, err: ErrCaseVariant},
	{name: "Unicode fold escaped param\\u017f", body: `{"jsonrpc":"2.0","id":1,"method":"a","param\u017f":{}}`, err: ErrCaseVariant},
	{name: "Unicode fold jſonrpc", body: `{"jsonrpc":"2.0","jſonrpc":"1.0","id":1,"method":"a"}`, err: ErrCaseVariant},
	{name: "Unicode fold reſult", body: `{"jsonrpc":"2.0","id":1,"method":"a","reſult":{}}`, err: ErrCaseVariant},
	{name: "Unicode fold ſ and upper case", body: `{"jsonrpc":"2.0","id":1,"method":"a","PARAMſ":{}}`, err: ErrCaseVariant},
	{name: "dotless ı in id", body: `{"jsonrpc":"2.0","ıd":1,"method":"a"}`, err: ErrCaseVariant},
	{name: "dotted İ in ID", body: `{"jsonrpc":"2.0","id":1,"İD":2,"method":"a"}`, err: ErrCaseVariant},
	{name: "escaped dotless ı in uri", body: `{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"a","urı":"b"}}`, err: ErrCaseVariant},

	// ErrVersion.
	{name: "no jsonrpc", body: `{"id":1,"method":"tools/list"}`, err: ErrVersion},
	{name: "jsonrpc 1.0", body: `{"jsonrpc":"1.0","id":1,"method":"a"}`, err: ErrVersion},
	{name: "jsonrpc a number", body: `{"jsonrpc":2.0,"id":1,"method":"a"}`, err: ErrVersion},
	{name: "jsonrpc null", body: `{"jsonrpc":null,"id":1,"method":"a"}`, err: ErrVersion},
	{name: "jsonrpc with a space", body: `{"jsonrpc":"2.0 ","id":1,"method":"a"}`, err: ErrVersion},
	{name: "jsonrpc in a batch's second message", body: `[` + note + `,{"method":"a"}]`, err: ErrVersion},

	// ErrNotMessage.
	{name: "empty object", body: `{}`, err: ErrNotMessage},
	{name: "scalar", body: `"x"`, err: ErrNotMessage},
	{name: "null body", body: `null`, err: ErrNotMessage},
	{name: "number body", body: ` 1 `, err: ErrNotMessage},
	{name: "jsonrpc only", body: `{"jsonrpc":"2.0"}`, err: ErrNotMessage},
	{name: "method and result", body: `{"jsonrpc":"2.0","id":1,"method":"tools/list","result":{}}`, err: ErrNotMessage},
	{name: "method and error", body: `{"jsonrpc":"2.0","id":1,"method":"tools/list","error":{}}`, err: ErrNotMessage},
	{name: "method not string", body: `{"jsonrpc":"2.0","id":1,"method":1}`, err: ErrNotMessage},
	{name: "response with method null", body: `{"jsonrpc":"2.0","id":1,"method":null,"result":{}}`, err: ErrNotMessage},
	{name: "id without result", body: `{"jsonrpc":"2.0","id":1}`, err: ErrNotMessage},
	{name: "result and error", body: `{"jsonrpc":"2.0","id":1,"result":{},"error":{}}`, err: ErrNotMessage},
	{name: "response without id", body: `{"jsonrpc":"2.0","result":{}}`, err: ErrNotMessage},
	{name: "id null", body: `{"jsonrpc":"2.0","id":null,"method":"tools/list"}`, err: ErrNotMessage},
	{name: "id null response", body: `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}`, err: ErrNotMessage},
	{name: "id object", body: `{"jsonrpc":"2.0","id":{},"method":"a"}`, err: ErrNotMessage},
	{name: "id array", body: `{"jsonrpc":"2.0","id":[1],"method":"a"}`, err: ErrNotMessage},
	{name: "id true", body: `{"jsonrpc":"2.0","id":true,"method":"a"}`, err: ErrNotMessage},
	{name: "id false", body: `{"jsonrpc":"2.0","id":false,"method":"a"}`, err: ErrNotMessage},
	{name: "params string", body: `{"jsonrpc":"2.0","id":1,"method":"a","params":"x"}`, err: ErrNotMessage},
	{name: "params null", body: `{"jsonrpc":"2.0","id":1,"method":"a","params":null}`, err: ErrNotMessage},
	{name: "params number", body: `{"jsonrpc":"2.0","id":1,"method":"a","params":0}`, err: ErrNotMessage},

	// ErrEmptyBatch, ErrBatchTooLong, ErrNestedBatch.
	{name: "empty batch", body: `[ ]`, err: ErrEmptyBatch},
	{name: "empty batch, white space", body: "\n[\n]\n", err: ErrEmptyBatch},
	{name: "101 messages", body: batchOf(MaxBatch+1, note), err: ErrBatchTooLong},
	{name: "nested batch", body: `[[{"jsonrpc":"2.0","id":1,"method":"a"}]]`, err: ErrNestedBatch},
	{name: "number in a batch", body: `[1]`, err: ErrNestedBatch},
	{name: "null in a batch", body: `[null]`, err: ErrNestedBatch},
	{name: "string after a message", body: `[` + note + `,"x"]`, err: ErrNestedBatch},
	{name: "invalid element in a batch", body: `[tru]`, err: ErrSyntax},

	// ErrTarget.
	{name: "no target", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}`, err: ErrTarget},
	{name: "empty target", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":""}}`, err: ErrTarget},
	{name: "escaped empty target", body: `{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":""}}`, err: ErrTarget},
	{name: "target not string", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":1}}`, err: ErrTarget},
	{name: "target null", body: `{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":null}}`, err: ErrTarget},
	{name: "target object", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":{"x":"y"}}}`, err: ErrTarget},
	{name: "no params", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call"}`, err: ErrTarget},
	{name: "params array for tools/call", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":["x"]}`, err: ErrTarget},
	{name: "name for resources/read", body: `{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"name":"a"}}`, err: ErrTarget},
	{name: "uri for tools/call", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"uri":"a"}}`, err: ErrTarget},
	{name: "escaped method needs a target", body: `{"jsonrpc":"2.0","id":1,"method":"resources\/read","params":{}}`, err: ErrTarget},
	{name: "notification needs a target", body: `{"jsonrpc":"2.0","method":"prompts/get"}`, err: ErrTarget},
	{name: "target in a batch", body: `[` + note + `,{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":""}}]`, err: ErrTarget},
}

// allErrs are the Err values.
var allErrs = []error{ErrUTF8, ErrSyntax, ErrDepth, ErrDuplicate, ErrCaseVariant, ErrVersion,
	ErrNotMessage, ErrEmptyBatch, ErrBatchTooLong, ErrNestedBatch, ErrTarget}

// checkErr fails unless err matches exactly one Err value.
func checkErr(t *testing.T, err error) {
	t.Helper()
	n := 0
	for _, e := range allErrs {
		if errors.Is(err, e) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("error %v matches %d Err values, want 1", err, n)
	}
}

// TestParse: each case's messages (kind, method, target, id) or error.
func TestParse(t *testing.T) {
	var p Parser
	covered := map[error]bool{}
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := p.Parse([]byte(tc.body))
			if tc.err != nil {
				covered[tc.err] = true
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				checkErr(t, err)
				if b.Batch || b.Messages != nil {
					t.Fatalf("Body %+v with an error", b)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if b.Batch != tc.batch || len(b.Messages) != len(tc.want) {
				t.Fatalf("batch %v, %d messages; want %v, %d", b.Batch, len(b.Messages), tc.batch, len(tc.want))
			}
			for i, m := range b.Messages {
				if got := (wantMsg{m.Kind, m.Method, m.Target, m.ID}); got != tc.want[i] {
					t.Errorf("message %d = %+v, want %+v", i, got, tc.want[i])
				}
			}
		})
	}
	for _, e := range allErrs {
		if !covered[e] {
			t.Errorf("no case for %v", e)
		}
	}
}

// TestParseReuse: a Parser's earlier results are not disturbed by a failed
// Parse, and a Parse after a failure starts afresh.
func TestParseReuse(t *testing.T) {
	var p Parser
	for _, tc := range parseCases {
		if _, err := p.Parse([]byte(tc.body)); (err != nil) != (tc.err != nil) {
			t.Fatalf("%s: err = %v", tc.name, err)
		}
	}
	b, err := p.Parse([]byte(`{"jsonrpc":"2.0","id":1,"method":"tools\/call","params":{"name":"t\u0031"}}`))
	if err != nil || len(b.Messages) != 1 || b.Messages[0].Method != "tools/call" || b.Messages[0].Target != "t1" {
		t.Fatalf("after the table: %+v, %v", b, err)
	}
}

// TestFoldRune: the runes foldRune maps to ASCII letters are exactly the
// non-ASCII runes that Unicode simple folding (the orbit strings.EqualFold
// and encoding/json use) or a case mapping (unicode.ToUpper, ToLower,
// ToTitle) takes to an ASCII letter.
func TestFoldRune(t *testing.T) {
	letter := func(r rune) byte {
		switch {
		case 'a' <= r && r <= 'z':
			return byte(r)
		case 'A' <= r && r <= 'Z':
			return byte(r - 'A' + 'a')
		}
		return 0
	}
	for r := rune(utf8.RuneSelf); r <= unicode.MaxRune; r++ {
		var want byte
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if c := letter(f); c != 0 {
				want = c
			}
		}
		for _, m := range []rune{unicode.ToLower(r), unicode.ToUpper(r), unicode.ToTitle(r)} {
			if c := letter(m); c != 0 {
				want = c
			}
		}
		if got := foldRune(r); got != want {
			t.Errorf("foldRune(%U) = %q, want %q", r, got, want)
		}
	}
}

// TestFoldEqual: foldEqual against strings.EqualFold, which it extends by
// ı and İ only.
func TestFoldEqual(t *testing.T) {
	for _, tc := range []struct {
		name, w string
		want    bool
	}{
		{"method", "method", true}, {"METHOD", "method", true}, {"mEtHoD", "method", true},
		{"paramſ", "params", true}, {"PARAMſ", "params", true}, {"ıd", "id", true}, {"İD", "id", true},
		{"urı", "uri", true}, {"\u212Aey", "key", true},
		{"method ", "method", false}, {"metho", "method", false}, {"", "id", false}, {"id\x00", "id", false},
		{"méthod", "method", false}, {"ɪd", "id", false}, {"ｉｄ", "id", false}, {"i\u0307d", "id", false},
		{"m\xffthod", "method", false}, {"[d", "{d", false}, {"@d", "`d", false},
	} {
		if got := foldEqual(tc.name, tc.w); got != tc.want {
			t.Errorf("foldEqual(%q, %q) = %v, want %v", tc.name, tc.w, got, tc.want)
		}
		if tc.want != strings.EqualFold(tc.name, tc.w) && !strings.ContainsAny(tc.name, "ıİ") {
			t.Errorf("foldEqual(%q, %q) differs from strings.EqualFold", tc.name, tc.w)
		}
	}
}

func TestTargetMember(t *testing.T) {
	for m, want := range map[string]string{"tools/call": "name", "prompts/get": "name", "resources/read": "uri",
		"tools/list": "", "resources/subscribe": "", "Tools/call": "", "": ""} {
		if got := TargetMember(m); got != want {
			t.Errorf("TargetMember(%q) = %q, want %q", m, got, want)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{Request: "request", Notification: "notification", Response: "response", 0: "unknown", 9: "unknown"} {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", k, got, want)
		}
	}
}
