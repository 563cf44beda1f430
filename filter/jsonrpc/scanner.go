package jsonrpc

import "unicode/utf8"

// Scanner reads one JSON text piece by piece with the rules Parse applies to
// request bodies: UTF-8, RFC 8259 syntax, no control character in strings,
// no lone surrogate in \u escapes, nesting at most MaxDepth. It is for
// readers of other JSON-RPC messages that need positions in the text (the
// response shaper of filter/listshape cuts entries out of it), so that
// requests and responses are read by the same code.
//
// The caller walks the structure it cares about with Space, Peek, Skip,
// Name and Quoted, and validates everything else with Value. Errors are
// ErrUTF8, ErrSyntax or ErrDepth. The zero value is ready; after warm-up
// nothing allocates. Not safe for concurrent use.
type Scanner struct{ p Parser }

// Reset starts reading b from its first byte; it returns ErrUTF8 when b is
// not valid UTF-8 (then nothing else may be read).
func (s *Scanner) Reset(b []byte) error {
	s.p.b, s.p.i, s.p.scratch = b, 0, s.p.scratch[:0]
	if !utf8.Valid(b) {
		s.p.b = nil
		return ErrUTF8
	}
	return nil
}

// Release drops the Scanner's reference to the text (the unescape buffer is
// kept for reuse).
func (s *Scanner) Release() { s.p.b, s.p.i = nil, 0 }

// Pos is the offset of the next byte to read.
func (s *Scanner) Pos() int { return s.p.i }

// Space moves past JSON white space.
func (s *Scanner) Space() { s.p.space() }

// Peek is the next byte, or 0 at the end of the text.
func (s *Scanner) Peek() byte {
	if s.p.i < len(s.p.b) {
		return s.p.b[s.p.i]
	}
	return 0
}

// Skip moves past c when it is the next byte, reporting whether it was.
func (s *Scanner) Skip(c byte) bool {
	if s.p.peek(c) {
		s.p.i++
		return true
	}
	return false
}

// Name reads a member name at the current position (a '"'), the white space
// after it and its colon, and returns the unescaped name: it aliases the
// text or the Scanner's buffer, valid until the next Reset.
func (s *Scanner) Name() (string, error) { return s.p.name() }

// Quoted reads a string at the current position (a '"') and returns its
// unescaped contents, which alias the text or the Scanner's buffer, valid
// until the next Reset.
func (s *Scanner) Quoted() (string, error) {
	if !s.p.peek('"') {
		return "", ErrSyntax
	}
	sp, err := s.p.str()
	if err != nil {
		return "", err
	}
	return s.p.text(sp), nil
}

// Value validates one JSON value after optional white space and moves past
// it. depth is the nesting of the container that holds the value (0 for the
// top-level value, 1 for a member of the top-level object, …): an object or
// array at depth+1 > MaxDepth is ErrDepth.
func (s *Scanner) Value(depth int) error { return s.p.value(depth) }

// End reports ErrSyntax unless only white space is left.
func (s *Scanner) End() error { return s.p.end() }

// FoldEqual reports whether name equals lower, a lower-case ASCII word, but
// for the case of its letters, the way Parse recognises case variants of
// the members it reads: ASCII case, Unicode simple folding as encoding/json
// does (ſ U+017F, K U+212A) and the case mappings ı U+0131 and İ U+0130.
// It is also true when name equals lower; callers test exact equality
// first.
func FoldEqual(name, lower string) bool { return foldEqual(name, lower) }
