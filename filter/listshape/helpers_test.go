package listshape

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// allow keeps exactly the targets named.
func allow(targets ...string) func(string) bool {
	return func(t string) bool {
		for _, a := range targets {
			if a == t {
				return true
			}
		}
		return false
	}
}

func keepAll(string) bool { return true }

// toolEntry is a realistic tools/list entry of about 410 bytes: a title, a
// description, an input schema with typed and described properties, an
// enum, a default, required members, and annotations.
func toolEntry(i int) string {
	return fmt.Sprintf(`{"name":"tool_%03d","title":"Search docs %d","description":"Finds reports matching a query, newest first.","inputSchema":{"type":"object","properties":{"query":{"type":"string","description":"Query text"},"limit":{"type":"integer","minimum":1,"maximum":100,"default":10},"order":{"enum":["newest","relevance"]},"score":{"type":"number","minimum":0.5e-1}},"required":["query"]},"annotations":{"readOnlyHint":true}}`, i, i)
}

// toolsList is a tools/list response to id 1 with n tools, a nextCursor
// and _meta.
func toolsList(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"jsonrpc":"2.0","id":1,"result":{"tools":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(toolEntry(i))
	}
	b.WriteString(`],"nextCursor":"eyJwYWdlIjoyfQ==","_meta":{"trace":"a\u00e9b"}}}`)
	return []byte(b.String())
}

// keepEven keeps the tools of toolsList with an even number.
func keepEven(t string) bool {
	return len(t) > 0 && (t[len(t)-1]-'0')%2 == 0
}

// oracle is an independent reading of a list response with encoding/json:
// the byte ranges of the entries of result.<member> and whether each is
// kept (judgeable and keep accepts it). ok is false when encoding/json
// cannot find the list (then no shaped output may exist).
func oracle(body []byte, kind Kind, keep func(string) bool) (spans [][2]int, kept []bool, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, false
		}
		if tok != "result" {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return nil, nil, false
			}
			continue
		}
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return nil, nil, false
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil, nil, false
			}
			if tok != kind.Member() {
				var skip json.RawMessage
				if dec.Decode(&skip) != nil {
					return nil, nil, false
				}
				continue
			}
			if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
				return nil, nil, false
			}
			for dec.More() {
				off := int(dec.InputOffset())
				var raw json.RawMessage
				if dec.Decode(&raw) != nil {
					return nil, nil, false
				}
				end := int(dec.InputOffset())
				start := off
				for body[start] == ' ' || body[start] == '\t' || body[start] == '\n' || body[start] == '\r' || body[start] == ',' {
					start++
				}
				if !bytes.Equal(body[start:end], raw) {
					panic(fmt.Sprintf("oracle: span %d..%d is %q, raw %q", start, end, body[start:end], raw))
				}
				spans = append(spans, [2]int{start, end})
				target, judged := judge(raw, kind.Key())
				kept = append(kept, judged && keep(target))
			}
			return spans, kept, true
		}
		return nil, nil, false
	}
	return nil, nil, false
}

// judge reads an entry with encoding/json: its target, and whether it can
// be judged (an object with exactly one member key, a non-empty string,
// and no member that folds to key).
func judge(raw []byte, key string) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", false
	}
	var target string
	n, str, variant := 0, false, false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		name := tok.(string)
		var v json.RawMessage
		if dec.Decode(&v) != nil {
			return "", false
		}
		switch {
		case name == key:
			n++
			if n == 1 && v[0] == '"' {
				str = json.Unmarshal(v, &target) == nil
			}
		case foldOracle(name) == strings.ToLower(key):
			variant = true
		}
	}
	return target, n == 1 && str && !variant && target != ""
}

// foldOracle maps name to lower-case ASCII the way decoders that match
// member names case-insensitively may: ASCII case, simple folding of ſ and
// K (strings.EqualFold), and the case mappings of ı and İ.
func foldOracle(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == 'ſ':
			r = 's'
		case r == '\u212A':
			r = 'k'
		case r == 'ı' || r == 'İ':
			r = 'i'
		case 'A' <= r && r <= 'Z':
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// expected is body with the cut rule applied to the oracle's entries: a
// removed entry takes the comma before it when an entry before it is kept,
// else the comma after it.
func expected(body []byte, spans [][2]int, kept []bool) ([]byte, int) {
	var out []byte
	from, removed, anyKept, takeNext := 0, 0, false, false
	commaAfter := func(i int) int { // the comma after entry i
		j := spans[i][1]
		for body[j] != ',' {
			j++
		}
		return j
	}
	for i, sp := range spans {
		if kept[i] {
			anyKept = true
			takeNext = false
			continue
		}
		removed++
		if anyKept {
			c := commaAfter(i - 1)
			out = append(out, body[from:c]...)
			out = append(out, body[c+1:sp[0]]...)
			from = sp[1]
			continue
		}
		out = append(out, body[from:sp[0]]...)
		from = sp[1]
		takeNext = i+1 < len(spans)
		if takeNext {
			c := commaAfter(i)
			out = append(out, body[from:c]...)
			from = c + 1
		}
	}
	return append(out, body[from:]...), removed
}

// checkShaped checks a successful Shape against the oracle: the output is
// valid JSON, is body with exactly the entries the oracle removes (and one
// comma each) cut, and holds the kept entries in order.
func checkShaped(body []byte, kind Kind, keep func(string) bool, out []byte, removed int) error {
	if !json.Valid(out) {
		return fmt.Errorf("output is not valid JSON: %q", out)
	}
	spans, kept, ok := oracle(body, kind, keep)
	if !ok {
		return errors.New("encoding/json finds no list in a body Shape shaped")
	}
	want, n := expected(body, spans, kept)
	if removed != n {
		return fmt.Errorf("removed %d, oracle %d", removed, n)
	}
	if n == 0 {
		want = body
	}
	if !bytes.Equal(out, want) {
		return fmt.Errorf("output\n%q\nwant\n%q", out, want)
	}
	// The kept entries, in order, as encoding/json reads the output.
	outSpans, _, ok := oracle(out, kind, keepAll)
	if !ok {
		return errors.New("encoding/json finds no list in the output")
	}
	var k int
	for i, sp := range spans {
		if !kept[i] {
			continue
		}
		if k >= len(outSpans) || !bytes.Equal(out[outSpans[k][0]:outSpans[k][1]], body[sp[0]:sp[1]]) {
			return fmt.Errorf("kept entry %d is not entry %d of the output", i, k)
		}
		k++
	}
	if k != len(outSpans) {
		return fmt.Errorf("the output has %d entries, %d kept", len(outSpans), k)
	}
	return nil
}
