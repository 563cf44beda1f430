package listshape

import "bytes"

// StreamShaper shapes a list response that arrives as a server-sent event
// stream (text/event-stream; MCP 2026-07-28, basic/transports/
// streamable-http, "Sending Messages to the Server": the server MAY send
// requests and notifications before the JSON-RPC response, then SHOULD end
// the stream). It is fed the body's chunks as they arrive and returns, for
// each, what may be sent on.
//
// The stream is read as the HTML standard's event stream interpretation
// reads it (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
// lines end with CRLF, LF or CR (a CRLF split across chunks included); a
// leading BOM is skipped; a line starting with ':' is a comment; "data"
// lines append their value (after the colon and one optional space) and a
// LF to the event's data; an empty line ends the event, whose data is
// the joined values without the last LF; other fields (event, id, retry,
// unknown) do not touch the data. Nothing is ever rewritten but JSON bytes
// of the response's data.
//
// Whether an event carries the response can only be told from its complete
// data, so each event is held from its first data line to the empty line
// that ends it; bytes outside such spans (comments, fields before the first
// data line, the empty lines between events) pass on as they come. An
// event that is not the response is passed on unchanged when it ends. The
// event whose data is the JSON-RPC response to the id (valid JSON, one
// response object, one id equal to the request's as JSON text) is shaped
// as Shaper.Shape would shape its data, and emitted; from then on Feed
// passes every chunk through (done). The cuts are made in the event's own
// bytes: every line, field, comment and line end stays; when data spans
// several lines, the line breaks inside a removed entry stay as white space
// of the JSON (a JSON line break is only ever white space), so the data is
// Shape's output with those breaks kept. An event held beyond maxHeld
// bytes is passed on unchanged from then to its end, unshaped.
//
// When the response cannot be shaped (Shape's errors) its event is passed
// on unchanged. Result says what happened. The zero value passes
// everything on; call Reset before each stream. After warm-up nothing
// allocates. Not safe for concurrent use.
type StreamShaper struct {
	sh   Shaper
	kind Kind
	id   string
	keep func(string) bool
	max  int

	mode   streamMode
	first  bool // the current line is the stream's first (a BOM may open it)
	skipLF bool // the last line ended with CR: a LF next belongs to its end

	// pass: the current line's first bytes while its field is unknown.
	class   lineClass
	pre     [8]byte
	npre    int
	nonEmpt bool // overflow: the current line has bytes

	// hold: the event from its first data line.
	held      []byte
	lineStart int   // the current line's offset in held
	bom       bool  // held starts with the stream's BOM
	vals      []cut // data line values in held

	seen       bool // the response's event was seen
	overflowed bool // an event went beyond max
	removed    int
	err        error

	out, joined []byte
}

type streamMode uint8

const (
	modePass     streamMode = iota // no event data held
	modeHold                       // holding an event from its first data line
	modeOverflow                   // passing the rest of an event that went beyond max
	modeDone                       // the response was seen, or the stream ended
)

type lineClass uint8

const (
	lineUnknown lineClass = iota
	lineOther
	lineData
	lineBlank
)

const bom = "\xEF\xBB\xBF"

// Reset starts a new stream: the response to the list request of this kind
// with this id (as Shaper.Shape takes them) is shaped with keep, and an
// event is held up to maxHeld bytes (counted from its first data line to
// its end; at most 0 holds nothing, so nothing is shaped).
func (s *StreamShaper) Reset(kind Kind, id string, keep func(target string) bool, maxHeld int) {
	s.kind, s.id, s.keep, s.max = kind, id, keep, maxHeld
	s.mode, s.first, s.skipLF = modePass, true, false
	s.class, s.npre, s.nonEmpt = lineUnknown, 0, false
	s.held, s.lineStart, s.bom, s.vals = s.held[:0], 0, false, s.vals[:0]
	s.seen, s.overflowed, s.removed, s.err = false, false, 0, nil
}

// Feed takes the next chunk of the stream and returns what to send on now:
// chunk itself, or a buffer of the StreamShaper valid until the next Feed
// or Flush. done reports that the response has passed: every later chunk
// is returned as it is, and the caller may stop feeding.
func (s *StreamShaper) Feed(chunk []byte) (out []byte, done bool) {
	if s.mode == modeDone {
		return chunk, true
	}
	s.out = s.out[:0]
	i := 0
	// The next CR and LF at or after i, each found once (a search per line
	// from i to the next LF would be quadratic in a run of CR line ends).
	cr, lf := -1, -1
	for i < len(chunk) {
		if s.skipLF {
			s.skipLF = false
			if chunk[i] == '\n' {
				s.lineEndByte(chunk[i : i+1])
				i++
				continue
			}
		}
		if cr < i {
			cr = next(chunk, i, '\r')
		}
		if lf < i {
			lf = next(chunk, i, '\n')
		}
		e := min(cr, lf)
		if e > i {
			s.content(chunk[i:e])
		}
		i = e
		if i == len(chunk) {
			break
		}
		c := chunk[i]
		i++
		s.terminate(chunk[i-1 : i])
		s.first, s.skipLF = false, c == '\r'
		if s.mode == modeDone {
			if len(s.out) == 0 {
				return chunk[i:], true
			}
			s.out = append(s.out, chunk[i:]...)
			return s.out, true
		}
	}
	return s.out, false
}

// Flush ends the stream and returns what is still held, to send on. An
// event cut off by the end of the stream is not dispatched by a client
// that follows the HTML standard, but one that dispatches it anyway gets
// it shaped: if its data is the response, it is shaped as if it had ended.
func (s *StreamShaper) Flush() []byte {
	s.out = s.out[:0]
	switch s.mode {
	case modePass:
		s.out = append(s.out, s.pre[:s.npre]...)
	case modeHold:
		s.dataValue()
		s.dispatch()
	}
	s.mode, s.npre, s.class = modeDone, 0, lineUnknown
	return s.out
}

// Result is the outcome so far: the number of entries removed from the
// response, and nil once it was shaped (or seen with nothing to remove);
// else the Shape error of the response's event, or ErrTooLarge when an
// event went beyond the limit and no response was seen, or ErrNoResponse.
func (s *StreamShaper) Result() (removed int, err error) {
	switch {
	case s.seen:
		return s.removed, s.err
	case s.overflowed:
		return 0, ErrTooLarge
	}
	return 0, ErrNoResponse
}

// next is the index of the first c in b at or after i, or len(b).
func next(b []byte, i int, c byte) int {
	if n := bytes.IndexByte(b[i:], c); n >= 0 {
		return i + n
	}
	return len(b)
}

// lineEndByte takes the LF of a CRLF split from its CR: it belongs to the
// line already ended.
func (s *StreamShaper) lineEndByte(lf []byte) {
	switch s.mode {
	case modeHold:
		if s.hold(lf) {
			s.lineStart = len(s.held)
		} else {
			s.nonEmpt = false // the LF ends a line: the next is empty so far
		}
	default:
		s.out = append(s.out, lf...)
	}
}

// content takes bytes of the current line, without its end.
func (s *StreamShaper) content(b []byte) {
	switch s.mode {
	case modeHold:
		s.hold(b)
	case modeOverflow:
		s.out = append(s.out, b...)
		s.nonEmpt = true
	case modePass:
		for len(b) > 0 && s.class == lineUnknown {
			s.pre[s.npre] = b[0]
			s.npre++
			b = b[1:]
			s.class = s.classify(false)
		}
		switch s.class {
		case lineOther:
			if s.npre > 0 {
				s.out = append(s.out, s.pre[:s.npre]...)
				s.npre = 0
			}
			s.out = append(s.out, b...)
		case lineData:
			s.startHold()
			s.content(b)
		}
	}
}

// classify is the class of the current line (pass mode) from its first
// bytes, pre; ended: the line ends there.
func (s *StreamShaper) classify(ended bool) lineClass {
	p := s.pre[:s.npre]
	if s.first {
		if len(p) < len(bom) && string(p) == bom[:len(p)] {
			if !ended {
				return lineUnknown
			}
			if len(p) == 0 {
				return lineBlank
			}
			return lineOther
		}
		if len(p) >= len(bom) && string(p[:len(bom)]) == bom {
			p = p[len(bom):]
		}
	}
	const field = "data:"
	switch {
	case len(p) >= len(field):
		if string(p[:len(field)]) == field {
			return lineData
		}
		return lineOther
	case ended && len(p) == 0:
		return lineBlank
	case ended && string(p) == "data":
		return lineData
	case !ended && string(p) == field[:len(p)]:
		return lineUnknown
	}
	return lineOther
}

// startHold starts holding an event at the current line, whose first bytes
// are in pre.
func (s *StreamShaper) startHold() {
	s.mode = modeHold
	s.held, s.vals, s.lineStart = s.held[:0], s.vals[:0], 0
	s.bom = s.first && s.npre >= len(bom) && string(s.pre[:len(bom)]) == bom
	n := s.npre
	s.npre, s.class = 0, lineUnknown
	s.hold(s.pre[:n])
}

// hold appends b to the held event, reporting false when that took it
// beyond the limit: then the event so far is sent on unchanged and the rest
// of it passes.
func (s *StreamShaper) hold(b []byte) bool {
	if len(s.held)+len(b) <= s.max {
		s.held = append(s.held, b...)
		return true
	}
	s.nonEmpt = len(s.held) > s.lineStart || len(b) > 0
	s.out = append(s.out, s.held...)
	s.out = append(s.out, b...)
	s.held, s.vals = s.held[:0], s.vals[:0]
	s.mode, s.overflowed = modeOverflow, true
	return false
}

// terminate takes the end of the current line (one byte, CR or LF); the
// caller then clears first.
func (s *StreamShaper) terminate(end []byte) {
	switch s.mode {
	case modePass:
		cl := s.class
		if cl == lineUnknown {
			cl = s.classify(true)
		}
		if cl != lineData {
			s.out = append(s.out, s.pre[:s.npre]...)
			s.out = append(s.out, end...)
			s.npre, s.class = 0, lineUnknown
			return
		}
		s.startHold()
		if s.mode != modeHold {
			// The line's start went beyond the limit.
			s.terminate(end)
			return
		}
		fallthrough
	case modeHold:
		blank := len(s.held) == s.lineStart
		s.dataValue()
		if !s.hold(end) {
			if blank {
				s.mode = modePass
			}
			s.nonEmpt = false
			return
		}
		s.lineStart = len(s.held)
		if blank {
			s.dispatch()
		}
	case modeOverflow:
		s.out = append(s.out, end...)
		if !s.nonEmpt {
			s.mode = modePass
		}
		s.nonEmpt = false
	}
}

// dataValue records the value of the current held line when it is a data
// line.
func (s *StreamShaper) dataValue() {
	line := s.held[s.lineStart:]
	off := 0
	if s.lineStart == 0 && s.bom {
		off = len(bom)
	}
	l := line[off:]
	if len(l) < 4 || string(l[:4]) != "data" || len(l) > 4 && l[4] != ':' {
		return
	}
	v := 4
	if len(l) > 4 {
		v = 5
		if len(l) > 5 && l[5] == ' ' {
			v = 6
		}
	}
	s.vals = append(s.vals, cut{s.lineStart + off + v, len(s.held)})
}

// dispatch ends the held event: it is shaped when it is the response, and
// sent on.
func (s *StreamShaper) dispatch() {
	var data []byte
	switch len(s.vals) {
	case 0:
	case 1:
		data = s.held[s.vals[0].start:s.vals[0].end]
	default:
		s.joined = s.joined[:0]
		for k, v := range s.vals {
			if k > 0 {
				s.joined = append(s.joined, '\n')
			}
			s.joined = append(s.joined, s.held[v.start:v.end]...)
		}
		data = s.joined
	}
	removed, ours, err := s.sh.scan(data, s.kind, s.id, s.keep)
	s.mode = modePass
	if ours {
		s.mode, s.seen, s.err = modeDone, true, err
		if err == nil {
			s.removed = removed
		}
	}
	if !ours || err != nil || removed == 0 {
		s.out = append(s.out, s.held...)
	} else {
		s.emitShaped()
	}
	s.held, s.vals, s.lineStart = s.held[:0], s.vals[:0], 0
}

// emitShaped sends on the held event without the bytes of the cuts, which
// are offsets in the joined data.
func (s *StreamShaper) emitShaped() {
	from, k, js := 0, 0, 0 // js: where line k's value starts in the data
	for _, c := range s.sh.cuts {
		for k < len(s.vals) {
			v := s.vals[k]
			je := js + v.end - v.start
			lo, hi := max(c.start, js), min(c.end, je)
			if lo < hi {
				s.out = append(s.out, s.held[from:v.start+lo-js]...)
				from = v.start + hi - js
			}
			if je >= c.end {
				break
			}
			k++
			js = je + 1
		}
	}
	s.out = append(s.out, s.held[from:]...)
}
