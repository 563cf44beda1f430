package listshape

import (
	"encoding/json"
	"testing"
)

// TestNoAllocs: after warm-up, neither Shape (dst reused) nor a stream
// allocates, with a plain function or a closure as keep.
func TestNoAllocs(t *testing.T) {
	body := toolsList(100)
	allowed := map[string]bool{"tool_000": true, "tool_042": true, "tool_099": true}
	var s Shaper
	dst, removed, err := s.Shape(body, Tools, "1", keepEven, nil) // warm-up
	if err != nil || removed != 50 {
		t.Fatalf("removed %d, %v", removed, err)
	}
	for _, tc := range []struct {
		name string
		run  func()
	}{
		{"Shape, function", func() { dst, removed, err = s.Shape(body, Tools, "1", keepEven, dst[:0]) }},
		{"Shape, closure", func() {
			dst, removed, err = s.Shape(body, Tools, "1", func(t string) bool { return allowed[t] }, dst[:0])
		}},
		{"Shape, nothing removed", func() { _, removed, err = s.Shape(body, Tools, "1", keepAll, dst[:0]) }},
		{"Shape, other id", func() { _, removed, err = s.Shape(body, Tools, "2", keepAll, dst[:0]) }},
	} {
		if a := testing.AllocsPerRun(100, tc.run); a != 0 {
			t.Errorf("%s: %v allocations", tc.name, a)
		}
	}

	stream := []byte(": hi\n\ndata: " + note + "\n\ndata: " + string(body) + "\r\n\r\n")
	var ss StreamShaper
	run := func() {
		ss.Reset(Tools, "1", keepEven, 1<<20)
		for i := 0; i < len(stream); i += 1000 {
			ss.Feed(stream[i:min(i+1000, len(stream))])
		}
		ss.Flush()
	}
	run()
	if removed, err := ss.Result(); removed != 50 || err != nil {
		t.Fatalf("stream: removed %d, %v", removed, err)
	}
	if a := testing.AllocsPerRun(100, run); a != 0 {
		t.Errorf("stream: %v allocations", a)
	}
}

// TestBenchBody: the benchmark body is a 100-tool list of about 40 KiB.
func TestBenchBody(t *testing.T) {
	body := toolsList(100)
	if n := len(body); n < 38<<10 || n > 42<<10 {
		t.Errorf("%d bytes", n)
	}
	var v struct {
		Result struct {
			Tools []struct {
				Name        string
				InputSchema map[string]any
			}
		}
	}
	if err := json.Unmarshal(body, &v); err != nil || len(v.Result.Tools) != 100 || v.Result.Tools[99].InputSchema["type"] != "object" {
		t.Errorf("%v, %d tools", err, len(v.Result.Tools))
	}
}

// BenchmarkShape shapes the 100-tool list (about 40 KiB), removing every
// other tool or none; BenchmarkJSONValid is encoding/json.Valid over the
// same bytes, the least any reader of the body does. BenchmarkStream
// shapes the same list sent as one SSE event in 4 KiB chunks.
func BenchmarkShape(b *testing.B) {
	body := toolsList(100)
	for _, bc := range []struct {
		name string
		keep func(string) bool
	}{{"half", keepEven}, {"none", keepAll}} {
		b.Run(bc.name, func(b *testing.B) {
			var s Shaper
			var dst []byte
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if dst, _, err = s.Shape(body, Tools, "1", bc.keep, dst[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkJSONValid(b *testing.B) {
	body := toolsList(100)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if !json.Valid(body) {
			b.Fatal("invalid")
		}
	}
}

func BenchmarkStream(b *testing.B) {
	body := toolsList(100)
	stream := []byte("data: " + string(body) + "\n\n")
	var s StreamShaper
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		s.Reset(Tools, "1", keepEven, 1<<20)
		for i := 0; i < len(stream); i += 4096 {
			s.Feed(stream[i:min(i+4096, len(stream))])
		}
		s.Flush()
	}
}
