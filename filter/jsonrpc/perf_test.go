package jsonrpc

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// toolsCall is a tools/call body of about size bytes (at least a few
// hundred): its arguments hold records of short strings, numbers and
// nested arrays, a few escaped strings, and a long plain text.
func toolsCall(size int) []byte {
	var b strings.Builder
	b.WriteString(`{"jsonrpc":"2.0","id":42,"method":"tools\/call","params":{"_meta":{"progressToken":"p-1"},"name":"search_documents","arguments":{"query":"quarterly report \"Q3\" \u2014 revenue","records":[`)
	for i := 0; b.Len() < size*3/4; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"title":"Document number %d","path":"/srv/docs/%d/report.pdf","score":%d.25e-1,"tags":["finance","2024","draft"],"owner":{"name":"Ana Lima","email":"ana@example.com"},"public":%v}`,
			i, i, i, i, i%2 == 0)
	}
	b.WriteString(`],"notes":"`)
	for b.Len() < size-len(`"}}}`) {
		b.WriteString("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ")
	}
	s := b.String()[:size-len(`"}}}`)]
	return []byte(s + `"}}}`)
}

// tenBatch is a batch of ten messages of every kind.
func tenBatch() []byte {
	msgs := []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_forecast","arguments":{"city":"Oslo"}}}`,
		`{"jsonrpc":"2.0","id":"b","method":"resources/read","params":{"uri":"file:\/\/\/srv\/a.txt"}}`,
		`{"jsonrpc":"2.0","id":3,"method":"prompts/get","params":{"name":"gr\u00e9et","arguments":{"who":"x"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":5,"result":{"content":[{"type":"text","text":"ok"}]}}`,
		`{"jsonrpc":"2.0","id":6,"error":{"code":-32000,"message":"no"}}`,
		`{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"cursor":"abc"}}`,
		`{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"del\u0065te","arguments":{"path":"\/tmp\/x","recursive":true}}}`,
		`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":0.5}}`,
		`{"jsonrpc":"2.0","id":10,"method":"ping"}`,
	}
	return []byte("[" + strings.Join(msgs, ",\n") + "]")
}

// TestNoAllocs: after warm-up, Parse allocates nothing.
func TestNoAllocs(t *testing.T) {
	for _, tc := range []struct {
		name string
		body []byte
		n    int
	}{
		{"1 KiB tools/call", toolsCall(1 << 10), 1},
		{"10-message batch", tenBatch(), 10},
		{"40 KiB tools/call", toolsCall(40 << 10), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p Parser
			b, err := p.Parse(tc.body) // warm-up
			if err != nil || len(b.Messages) != tc.n {
				t.Fatalf("Parse: %d messages, %v", len(b.Messages), err)
			}
			if a := testing.AllocsPerRun(100, func() {
				if _, err := p.Parse(tc.body); err != nil {
					t.Fatal(err)
				}
			}); a != 0 {
				t.Errorf("%v allocations per Parse", a)
			}
		})
	}
}

var benchSizes = []struct {
	name string
	size int
}{{"1KiB", 1 << 10}, {"40KiB", 40 << 10}, {"1MiB", 1 << 20}}

// BenchmarkParse and BenchmarkJSONValid: Parse against encoding/json.Valid
// (a validation only, the least a reader of the body does) on tools/call
// bodies of 1 KiB, 40 KiB and 1 MiB.
func BenchmarkParse(b *testing.B) {
	for _, s := range benchSizes {
		body := toolsCall(s.size)
		b.Run(s.name, func(b *testing.B) {
			var p Parser
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Parse(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkJSONValid(b *testing.B) {
	for _, s := range benchSizes {
		body := toolsCall(s.size)
		b.Run(s.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if !json.Valid(body) {
					b.Fatal("invalid")
				}
			}
		})
	}
}

// TestBenchBodies: the benchmark bodies are what they claim.
func TestBenchBodies(t *testing.T) {
	var p Parser
	for _, s := range benchSizes {
		body := toolsCall(s.size)
		if len(body) != s.size {
			t.Errorf("%s: %d bytes", s.name, len(body))
		}
		b, err := p.Parse(body)
		if err != nil || len(b.Messages) != 1 || b.Messages[0].Target != "search_documents" || b.Messages[0].Method != "tools/call" {
			t.Errorf("%s: %+v, %v", s.name, b, err)
		}
		checkAgreement(t, &p, body)
	}
	checkAgreement(t, &p, tenBatch())
}
