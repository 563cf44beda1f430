package listshape

import (
	"bytes"
	"encoding/json"
	"hash/fnv"
	"testing"
)

// fuzzKeep is a keep that depends on sel: 0 keeps everything, 1 nothing,
// others a pseudo-random half of the targets.
func fuzzKeep(sel uint8) func(string) bool {
	return func(t string) bool {
		switch sel {
		case 0:
			return true
		case 1:
			return false
		}
		h := fnv.New32a()
		h.Write([]byte{sel})
		h.Write([]byte(t))
		return h.Sum32()%2 == 0
	}
}

// FuzzShape: Shape never panics; when it fails, out is the body itself;
// when it shapes, the output is valid JSON, holds exactly the kept entries
// in order, and is the body with only the removed entries (and one comma
// each) cut (checkShaped, against encoding/json). Seeds: the bodies of
// TestShape and testdata/fuzz/FuzzShape.
func FuzzShape(f *testing.F) {
	for _, tc := range shapeCases {
		id := tc.id
		if id == "" || id == "-" {
			id = "1"
		}
		f.Add([]byte(tc.body), id, uint8(tc.kind), uint8(2))
	}
	f.Add(toolsList(3), "1", uint8(Tools), uint8(3))
	var s Shaper
	dst := []byte{}
	f.Fuzz(func(t *testing.T, body []byte, id string, kind, sel uint8) {
		k := Kind(kind % 6)
		keep := fuzzKeep(sel)
		checkShape(t, &s, body, k, id, keep, &dst)
		if k.Member() != "" {
			if err := checkShape(t, &s, synth(body, k), k, "1", keep, &dst); err != nil {
				t.Fatalf("a synthesized list: %v", err)
			}
		}
	})
}

// entryVocabulary is what synth builds lists of: entries of every kind,
// judgeable or not, and values that are not entries.
var entryVocabulary = []string{
	`{"name":"a"}`, `{"name":"b","x":1e2}`, `{"n\u0061me":"c"}`, `{"name":"a","name":"b"}`,
	`{"Name":"a"}`, `{"name":5}`, `{}`, `null`, `"a"`, `[{"name":"a"}]`, `{"name":"d\u00e9"}`,
	`{"x":{"name":"a","uri":"b"},"name":"e"}`, `{"name":""}`, `{"name":"\ud83d\ude00"}`, `-0`,
	`{"uri":"a"}`, `{"uriTemplate":"b"}`, `{"ur\u0131":"x","uri":"y"}`, `{"uri":"file:\/\/\/a","name":"f"}`,
	`{"uriTemplate":"t\/{x}","URITEMPLATE":"u"}`, `{"uriTemplate":"{x}"}`, `{ "name" : "g" , "description" : "G" }`,
	`{"name":"h","inputSchema":{"type":"object","properties":{"name":{"type":"string"}}}}`, `1.0`, `true`,
	`{"uri":"a","uri":"a"}`, `{"name":"a","NAME":"a"}`, `{"name":"\u0061"}`, `{"\u212Aey":1,"name":"k"}`, `{"URI":"a"}`, `[]`, `{"name":null}`, `{"uri":"c"}`,
}

var synthSpace = []string{"", " ", "\n", "\t", "\r\n  ", "  ", "\n\n", " \t"}

// synth builds a valid list response to id 1 of kind k from b: each byte
// picks an entry (low 5 bits) and the white space around it and its comma
// (high 3 bits).
func synth(b []byte, k Kind) []byte {
	out := []byte(`{"jsonrpc":"2.0","_meta":{"a":[1,2]},"id":1,"result":{"nextCursor":"n","` + k.Member() + `":[`)
	for i, c := range b {
		sp := synthSpace[c>>5]
		if i > 0 {
			out = append(out, sp...)
			out = append(out, ',')
		}
		out = append(out, sp...)
		out = append(out, entryVocabulary[int(c&31)%len(entryVocabulary)]...)
	}
	return append(out, "],\"_meta\":{}},\"x\":-0}"...)
}

// checkShape runs Shape on body and checks what it returns; it returns
// Shape's error.
func checkShape(t *testing.T, s *Shaper, body []byte, k Kind, id string, keep func(string) bool, dst *[]byte) error {
	t.Helper()
	in := bytes.Clone(body)
	out, removed, err := s.Shape(body, k, id, keep, (*dst)[:0])
	if !bytes.Equal(body, in) {
		t.Fatal("the body was modified")
	}
	if err != nil {
		if removed != 0 || len(out) != len(body) || len(body) > 0 && &out[0] != &body[0] {
			t.Fatalf("%v, yet removed %d and out %q", err, removed, out)
		}
		return err
	}
	if removed == 0 && (len(out) != len(body) || len(body) > 0 && &out[0] != &body[0]) {
		t.Fatalf("nothing removed, yet out %q", out)
	}
	if err := checkShaped(body, k, keep, out, removed); err != nil {
		t.Fatal(err)
	}
	if removed > 0 {
		*dst = out
	}
	return nil
}

// FuzzStream: the output of StreamShaper is the same for any chunking of
// the stream (one chunk, chunks of pseudo-random sizes, byte by byte), and
// so is Result; read as an event stream, the output has the events of the
// input, the response's data shaped as Shape shapes it (but for white
// space), and a stream that is one event of one data line is shaped
// exactly as Shape shapes its data. The checks run on the input and on a
// stream sseSynth builds from it. Seeds: the streams of TestStream and
// testdata/fuzz/FuzzStream.
func FuzzStream(f *testing.F) {
	for _, tc := range streamCases {
		max := tc.max
		if max <= 0 || max > 0xFFFF {
			max = 0xFFFF
		}
		f.Add([]byte(tc.stream), uint8(2), uint64(12345), uint16(max))
	}
	var s StreamShaper
	f.Fuzz(func(t *testing.T, stream []byte, sel uint8, seed uint64, maxHeld uint16) {
		keep := fuzzKeep(sel)
		checkStream(t, &s, stream, keep, seed, int(maxHeld))
		synth := sseSynth(stream)
		checkStream(t, &s, synth, keep, seed, 1<<20)
	})
}

// checkStream feeds stream in three chunkings and checks the results.
func checkStream(t *testing.T, s *StreamShaper, stream []byte, keep func(string) bool, seed uint64, maxHeld int) {
	t.Helper()
	run := func(next func(rest []byte) int) ([]byte, int, error) {
		s.Reset(Tools, "1", keep, maxHeld)
		var out []byte
		for rest := stream; len(rest) > 0; {
			n := min(next(rest), len(rest))
			o, _ := s.Feed(rest[:n])
			out = append(out, o...)
			rest = rest[n:]
		}
		out = append(out, s.Flush()...)
		r, err := s.Result()
		return out, r, err
	}
	whole, r1, e1 := run(func(rest []byte) int { return len(rest) })
	x := seed | 1
	chunked, r2, e2 := run(func([]byte) int {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		return int(x%64) + 1
	})
	single, r3, e3 := run(func([]byte) int { return 1 })
	if !bytes.Equal(whole, chunked) || !bytes.Equal(whole, single) {
		t.Fatalf("outputs differ:\nwhole   %q\nchunked %q\nsingle  %q", whole, chunked, single)
	}
	if r1 != r2 || r1 != r3 || e1 != e2 || e1 != e3 {
		t.Fatalf("results differ: %d %v, %d %v, %d %v", r1, e1, r2, e2, r3, e3)
	}
	if !s.overflowed {
		checkStreamFraming(t, stream, whole, keep)
	}
	// An event of one data line, alone: its data shaped as Shape does.
	if data, ok := bytes.CutPrefix(stream, []byte("data: ")); ok &&
		bytes.HasSuffix(data, []byte("\n\n")) && bytes.IndexAny(data[:len(data)-2], "\r\n") < 0 &&
		len(stream) <= maxHeld {
		data = data[:len(data)-2]
		var sh Shaper
		out, removed, err := sh.Shape(data, Tools, "1", keep, nil)
		want := append(append([]byte("data: "), out...), "\n\n"...)
		if !bytes.Equal(whole, want) {
			t.Fatalf("stream %q, Shape %q", whole, want)
		}
		if r1 != removed || err == nil && e1 != nil || err != nil && e1 != err && e1 != ErrNoResponse {
			t.Fatalf("stream %d %v, Shape %d %v", r1, e1, removed, err)
		}
	}
}

// sseEvents reads a whole stream as the HTML standard does (a leading BOM
// skipped; CR, LF, CRLF; comments; "data" values after one optional
// space, joined with LF) and returns the data of each dispatched event; an
// event cut off by the end of the stream is returned too, flagged.
func sseEvents(stream []byte) (events [][]byte, cutOff bool) {
	stream = bytes.TrimPrefix(stream, []byte("\xEF\xBB\xBF"))
	var data []byte
	hasData := false
	for i := 0; i < len(stream); {
		n := bytes.IndexAny(stream[i:], "\r\n")
		end := len(stream)
		if n >= 0 {
			end = i + n
		}
		line := stream[i:end]
		i = end + 1
		if n >= 0 && stream[end] == '\r' && i < len(stream) && stream[i] == '\n' {
			i++
		}
		if n >= 0 && len(line) == 0 {
			if hasData {
				events = append(events, bytes.Clone(data[:len(data)-1]))
			}
			data, hasData = data[:0], false
			continue
		}
		if bytes.Equal(line, []byte("data")) || bytes.HasPrefix(line, []byte("data:")) {
			v := line[min(len(line), 5):]
			v = bytes.TrimPrefix(v, []byte(" "))
			data = append(data, v...)
			data = append(data, '\n')
			hasData = true
		}
	}
	if hasData {
		events = append(events, bytes.Clone(data[:len(data)-1]))
		cutOff = true
	}
	return events, cutOff
}

// sseSynth builds a stream from b: comments, fields, notifications, blank
// lines, and list responses to id 1 (of synth's entries) cut into data
// lines between JSON tokens, with every kind of line end.
func sseSynth(b []byte) []byte {
	var out []byte
	ends := []string{"\n", "\r", "\r\n"}
	for i := 0; i < len(b); i++ {
		c := b[i]
		end := ends[int(c>>3)%3]
		switch c & 7 {
		case 0:
			out = append(out, ": comment"+end...)
		case 1:
			out = append(out, "event: message"+end+"id: 7"+end...)
		case 2:
			out = append(out, "retry: 10"+end...)
		case 3:
			out = append(out, end...)
		case 4:
			out = append(out, "data: "+note+end+end...)
		default:
			// A response of the next few bytes' entries, cut after every
			// structural character the byte's high bits choose.
			n := min(int(c>>5)+1, len(b)-i-1)
			body := synth(b[i+1:i+1+n], Tools)
			i += n
			out = append(out, "data:"...)
			if c&1 == 0 {
				out = append(out, ' ')
			}
			inString, esc := false, false
			for k, x := range body {
				if x == '\r' || x == '\n' {
					x = ' ' // synth's white space: a line end would end the data line
				}
				out = append(out, x)
				switch {
				case esc:
					esc = false
				case inString && x == '\\':
					esc = true
				case x == '"':
					inString = !inString
				case !inString && (x == ',' || x == '[' || x == '{') && (k+int(c))%3 == 0:
					out = append(out, end+"data:"...)
					if k%2 == 0 {
						out = append(out, ' ')
					}
				}
			}
			out = append(out, end+end...)
		}
	}
	return out
}

// checkStreamFraming: every event of the output is the event of the input,
// but for the first whose data is the response to id 1, whose data is
// Shape's output but for white space; and the output stream has the same
// events.
func checkStreamFraming(t *testing.T, stream, out []byte, keep func(string) bool) {
	t.Helper()
	in, inCut := sseEvents(stream)
	got, gotCut := sseEvents(out)
	if len(in) != len(got) || inCut != gotCut {
		t.Fatalf("%d events (cut off %v) in, %d (%v) out", len(in), inCut, len(got), gotCut)
	}
	var sh Shaper
	seen := false
	for k := range in {
		if seen {
			if !bytes.Equal(in[k], got[k]) {
				t.Fatalf("event %d after the response changed:\n%q\n%q", k, in[k], got[k])
			}
			continue
		}
		shaped, removed, err := sh.Shape(in[k], Tools, "1", keep, nil)
		_, ours, _ := sh.scan(in[k], Tools, "1", keep)
		seen = ours
		if !ours || err != nil || removed == 0 {
			if !bytes.Equal(in[k], got[k]) {
				t.Fatalf("event %d changed:\n%q\n%q", k, in[k], got[k])
			}
			continue
		}
		var a, b bytes.Buffer
		if json.Compact(&a, shaped) != nil || json.Compact(&b, got[k]) != nil || !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatalf("event %d:\nShape  %q\nstream %q", k, shaped, got[k])
		}
	}
}
