package listshape

import (
	"errors"
	"strings"
	"testing"
)

var (
	// full is a tools/list response to id 1 with tools a, b and c; shaped
	// is it with b removed.
	full   = resp(`{"tools":[` + tA + `,` + tB + `,` + tC + `]}`)
	shaped = resp(`{"tools":[` + tA + `,` + tC + `]}`)
	// note is a progress notification.
	note = `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":0.5}}`
	// other is a tools/list response to id 2.
	other = `{"jsonrpc":"2.0","id":2,"result":{"tools":[` + tB + `]}}`
)

// sample is a stream with a comment, a retry field, a notification event
// with event and id fields, then the response split over three data lines
// with a comment among them, CRLF line ends, and a closing comment with CR
// line ends; sampleShaped is its shaped form.
var (
	sample = ": stream opened\nretry: 5000\n\nevent: message\nid: 1\ndata: " + note + "\n\n" +
		"event: message\r\nid: 2\r\ndata: " + `{"jsonrpc":"2.0","id":1,"result":{"tools":[` + tA + ",\r\n" +
		"data:" + tB + ",\r\n: a comment inside the event\r\ndata: " + tC + "]}}\r\n\r\n: bye\r\r"
	sampleShaped = ": stream opened\nretry: 5000\n\nevent: message\nid: 1\ndata: " + note + "\n\n" +
		"event: message\r\nid: 2\r\ndata: " + `{"jsonrpc":"2.0","id":1,"result":{"tools":[` + tA + "\r\n" +
		"data:,\r\n: a comment inside the event\r\ndata: " + tC + "]}}\r\n\r\n: bye\r\r"
)

// streamCase is one stream and what StreamShaper must send on.
type streamCase struct {
	name    string
	stream  string
	want    string // "" means the stream unchanged
	max     int    // 1 MiB when 0
	removed int
	err     error
}

var streamCases = []streamCase{
	{name: "sample", stream: sample, want: sampleShaped, removed: 1},
	{name: "LF", stream: "data: " + full + "\n\n", want: "data: " + shaped + "\n\n", removed: 1},
	{name: "CR", stream: "data: " + full + "\r\r", want: "data: " + shaped + "\r\r", removed: 1},
	{name: "CRLF", stream: "data: " + full + "\r\n\r\n", want: "data: " + shaped + "\r\n\r\n", removed: 1},
	{name: "mixed line ends", stream: "id: 7\r\ndata: " + full + "\r\r\n: x\n", want: "id: 7\r\ndata: " + shaped + "\r\r\n: x\n", removed: 1},
	{name: "no space after the colon", stream: "data:" + full + "\n\n", want: "data:" + shaped + "\n\n", removed: 1},
	{name: "two spaces after the colon", stream: "data:  " + full + "\n\n", want: "data:  " + shaped + "\n\n", removed: 1},
	{name: "BOM", stream: "\xEF\xBB\xBFdata: " + full + "\n\n", want: "\xEF\xBB\xBFdata: " + shaped + "\n\n", removed: 1},
	{name: "BOM before a comment", stream: "\xEF\xBB\xBF: hi\n\ndata: " + full + "\n\n", want: "\xEF\xBB\xBF: hi\n\ndata: " + shaped + "\n\n", removed: 1},
	{name: "BOM alone on the first line", stream: "\xEF\xBB\xBF\ndata: " + full + "\n\n", want: "\xEF\xBB\xBF\ndata: " + shaped + "\n\n", removed: 1},
	{name: "a BOM later is not skipped", stream: "\n\xEF\xBB\xBFdata: " + full + "\n\n", err: ErrNoResponse},
	{name: "notification first", stream: "data: " + note + "\n\nevent: message\ndata: " + full + "\n\n",
		want: "data: " + note + "\n\nevent: message\ndata: " + shaped + "\n\n", removed: 1},
	{name: "response to another id first", stream: "data: " + other + "\n\ndata: " + full + "\n\n",
		want: "data: " + other + "\n\ndata: " + shaped + "\n\n", removed: 1},
	{name: "after the response, nothing is shaped", stream: "data: " + full + "\n\ndata: " + full + "\n\n",
		want: "data: " + shaped + "\n\ndata: " + full + "\n\n", removed: 1},
	{name: "fields and comments kept", stream: "retry: 10\n:c1\nevent: message\nid: 9\n:c2\ndata: " + full + "\nid: 10\nx-unknown: y\n\n: end\n",
		want: "retry: 10\n:c1\nevent: message\nid: 9\n:c2\ndata: " + shaped + "\nid: 10\nx-unknown: y\n\n: end\n", removed: 1},
	{name: "data line without a colon", stream: "data\ndata: " + full + "\n\n", want: "data\ndata: " + shaped + "\n\n", removed: 1},
	{name: "an entry over several lines", stream: "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":[\ndata: " + tA + ",{\"name\":\ndata:\ndata: \"b\"},\ndata: " + tC + "]}}\n\n",
		want: "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":[\ndata: " + tA + "\ndata:\ndata: ,\ndata: " + tC + "]}}\n\n", removed: 1},
	{name: "every entry removed over lines", stream: "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":[{\"name\":\ndata: \"x\"},{\"name\":\"y\"}\ndata: ]}}\n\n",
		want: "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":[\ndata: \ndata: ]}}\n\n", removed: 2},
	{name: "event type does not matter", stream: "event: other\ndata: " + full + "\n\n", want: "event: other\ndata: " + shaped + "\n\n", removed: 1},
	{name: "Data is not data", stream: "Data: " + full + "\n\n", err: ErrNoResponse},
	{name: "data with a space before the colon is not data", stream: "data : " + full + "\n\n", err: ErrNoResponse},
	{name: "a comment is not data", stream: ":data: " + full + "\n\n", err: ErrNoResponse},
	{name: "datax is not data", stream: "datax: " + full + "\n\n", err: ErrNoResponse},
	{name: "nothing to remove", stream: "data: " + shaped + "\n\n", err: nil},
	{name: "error response", stream: "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-1,\"message\":\"x\"}}\n\ndata: " + full + "\n\n", err: ErrErrorResponse},
	{name: "a response without the list ends it", stream: "data: " + resp(`{}`) + "\n\ndata: " + full + "\n\n", err: ErrNoList},
	{name: "a duplicate id does not end it", stream: "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"id\":1,\"result\":{\"tools\":[]}}\n\ndata: " + full + "\n\n",
		want: "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"id\":1,\"result\":{\"tools\":[]}}\n\ndata: " + shaped + "\n\n", removed: 1},
	{name: "not JSON data", stream: "data: hello\n\ndata: [1,2]\n\n", err: ErrNoResponse},
	{name: "data split over lines is joined with LF", stream: "data: {\"jsonrpc\":\"2.0\",\"id\"\ndata: :1,\"result\":{\"tools\":[" + tA + "," + tB + "," + tC + "]}}\n\n",
		want: "data: {\"jsonrpc\":\"2.0\",\"id\"\ndata: :1,\"result\":{\"tools\":[" + tA + "," + tC + "]}}\n\n", removed: 1},
	{name: "unterminated at the end: shaped at Flush", stream: "data: " + full, want: "data: " + shaped, removed: 1},
	{name: "unterminated line end at the end", stream: "data: " + full + "\n", want: "data: " + shaped + "\n", removed: 1},
	{name: "partial field at the end", stream: "data: " + note + "\n\ndat", err: ErrNoResponse},
	{name: "too large", stream: "data: " + full + "\n\n", max: 20, err: ErrTooLarge},
	{name: "too large at the last byte", stream: "data: " + full + "\n\n", max: len("data: "+full+"\n\n") - 1, err: ErrTooLarge},
	{name: "largest held", stream: "data: " + full + "\n\n", max: len("data: " + full + "\n\n"), want: "data: " + shaped + "\n\n", removed: 1},
	{name: "too large, then the response", stream: "data: " + note + "\n\n: x\ndata: " + full + "\n\n", max: len(note) + 2,
		err: ErrTooLarge},
	{name: "too large notification, then the response", stream: "data: " + note + note + "\n\ndata: " + full + "\n\n", max: len(full) + 10,
		want: "data: " + note + note + "\n\ndata: " + shaped + "\n\n", removed: 1},
	{name: "hold nothing", stream: "data: " + full + "\n\n", max: -1, err: ErrTooLarge},
	{name: "empty", stream: "", err: ErrNoResponse},
}

// feedAll feeds the chunks and flushes, returning what was sent on.
func feedAll(t testing.TB, s *StreamShaper, max int, chunks ...string) string {
	s.Reset(Tools, "1", allow("a", "c"), max)
	var out strings.Builder
	done := false
	for _, c := range chunks {
		o, d := s.Feed([]byte(c))
		if done && (!d || string(o) != c) {
			t.Fatalf("after done: %q, %v for %q", o, d, c)
		}
		done = d
		out.Write(o)
	}
	out.Write(s.Flush())
	return out.String()
}

func TestStream(t *testing.T) {
	var s StreamShaper
	for _, tc := range streamCases {
		t.Run(tc.name, func(t *testing.T) {
			max := tc.max
			if max == 0 {
				max = 1 << 20
			}
			want := tc.want
			if want == "" {
				want = tc.stream
			}
			check := func(how, got string) {
				t.Helper()
				if got != want {
					t.Fatalf("%s:\n%q\nwant\n%q", how, got, want)
				}
				removed, err := s.Result()
				if removed != tc.removed || !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
					t.Fatalf("%s: Result %d, %v; want %d, %v", how, removed, err, tc.removed, tc.err)
				}
			}
			check("one chunk", feedAll(t, &s, max, tc.stream))
			for cut := 0; cut <= len(tc.stream); cut++ {
				check("cut at "+itoa(cut), feedAll(t, &s, max, tc.stream[:cut], tc.stream[cut:]))
			}
			bytes := make([]string, len(tc.stream))
			for i := 0; i < len(tc.stream); i++ {
				bytes[i] = tc.stream[i : i+1]
			}
			check("byte by byte", feedAll(t, &s, max, bytes...))
		})
	}
}

// TestStreamTwoCuts: the sample stream cut at every pair of positions.
func TestStreamTwoCuts(t *testing.T) {
	if testing.Short() {
		t.Skip("quadratic")
	}
	var s StreamShaper
	for i := 0; i <= len(sample); i++ {
		for j := i; j <= len(sample); j++ {
			if got := feedAll(t, &s, 1<<20, sample[:i], sample[i:j], sample[j:]); got != sampleShaped {
				t.Fatalf("cuts at %d and %d:\n%q", i, j, got)
			}
		}
	}
}

// TestStreamDone: Feed reports done with the chunk that completes the
// response, and then returns each chunk itself.
func TestStreamDone(t *testing.T) {
	var s StreamShaper
	s.Reset(Tools, "1", allow("a", "c"), 1<<20)
	if out, done := s.Feed([]byte("data: " + note + "\n\n")); done || string(out) != "data: "+note+"\n\n" {
		t.Fatalf("notification: %q, %v", out, done)
	}
	if out, done := s.Feed([]byte("data: " + full)); done || len(out) != 0 {
		t.Fatalf("response begun: %q, %v", out, done)
	}
	if out, done := s.Feed([]byte("\n\n: after")); !done || string(out) != "data: "+shaped+"\n\n: after" {
		t.Fatalf("response ended: %q, %v", out, done)
	}
	rest := []byte("data: " + full + "\n\n")
	if out, done := s.Feed(rest); !done || &out[0] != &rest[0] || len(out) != len(rest) {
		t.Fatalf("after: %q, %v", out, done)
	}
	if out := s.Flush(); len(out) != 0 {
		t.Fatalf("Flush: %q", out)
	}
	if removed, err := s.Result(); removed != 1 || err != nil {
		t.Fatalf("Result: %d, %v", removed, err)
	}
}

// TestStreamSameAsShape: a one-line data event is shaped exactly as Shape
// shapes its data, for every case of the Shape table that is a tools
// list and fits on one line.
func TestStreamSameAsShape(t *testing.T) {
	var s StreamShaper
	var sh Shaper
	for _, tc := range shapeCases {
		if tc.kind != Tools || tc.id != "" || strings.ContainsAny(tc.body, "\r\n") {
			continue
		}
		out, removed, err := sh.Shape([]byte(tc.body), Tools, "1", tc.keep, nil)
		s.Reset(Tools, "1", tc.keep, 1<<20)
		o, _ := s.Feed([]byte("data: " + tc.body + "\n\n"))
		got := string(o) + string(s.Flush())
		if got != "data: "+string(out)+"\n\n" {
			t.Errorf("%s: stream %q, Shape %q", tc.name, got, out)
		}
		r, e := s.Result()
		if errors.Is(err, ErrNotJSON) || errors.Is(err, ErrNotResponse) || errors.Is(err, ErrOtherID) || errors.Is(err, ErrKind) ||
			errors.Is(err, ErrDuplicate) && e == ErrNoResponse {
			continue // not the response: the stream goes on
		}
		if r != removed || e != err {
			t.Errorf("%s: stream %d, %v; Shape %d, %v", tc.name, r, e, removed, err)
		}
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}

// TestStreamManyLines: a chunk of a million CR line ends, and of a million
// short comments, passes through unchanged (in linear time: each line end
// is searched for once).
func TestStreamManyLines(t *testing.T) {
	var s StreamShaper
	for _, stream := range []string{strings.Repeat("\r", 1<<20), strings.Repeat(":\r", 1<<19) + "data: " + full + "\r\r"} {
		want := strings.Replace(stream, full, shaped, 1)
		if got := feedAll(t, &s, 1<<20, stream); got != want {
			t.Errorf("%d bytes: output differs", len(stream))
		}
	}
}
