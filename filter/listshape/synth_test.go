package listshape

import "testing"

// TestSynth: the fuzz generators build what they claim: lists Shape
// shapes, and streams whose response is shaped over several data lines.
func TestSynth(t *testing.T) {
	var sh Shaper
	b := []byte("\x00\x01\x02\x03\x24\x45\x66\x87\xa8\xc9\xea\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f")
	for k := Tools; k <= ResourceTemplates; k++ {
		body := synth(b, k)
		out, removed, err := sh.Shape(body, k, "1", fuzzKeep(3), nil)
		if err != nil || removed == 0 {
			t.Fatalf("%v: removed %d, %v\n%s", k, removed, err, body)
		}
		if err := checkShaped(body, k, fuzzKeep(3), out, removed); err != nil {
			t.Fatal(err)
		}
	}
	var s StreamShaper
	multi := 0
	for _, c := range []byte{0x05, 0x0d, 0x15, 0x25, 0x2e, 0xe6, 0xff, 0x7f} {
		stream := append([]byte{0x00, 0x01, 0x04, c}, b...)
		synth := sseSynth(stream)
		checkStream(t, &s, synth, fuzzKeep(3), 7, 1<<20)
		if removed, err := s.Result(); err != nil || removed == 0 {
			t.Errorf("byte %#x: removed %d, %v\n%q", c, removed, err, synth)
		}
		if ev, _ := sseEvents(synth); len(ev) < 2 {
			t.Errorf("byte %#x: %d events", c, len(ev))
		}
		if n := countData(synth); n > 3 {
			multi++
		}
	}
	if multi == 0 {
		t.Error("no response over several data lines")
	}
}

func countData(b []byte) int {
	n := 0
	for i := 0; i+5 <= len(b); i++ {
		if string(b[i:i+5]) == "data:" {
			n++
		}
	}
	return n
}
