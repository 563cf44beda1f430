package config

import (
	"errors"
	"strconv"
	"strings"
)

// ErrInvalid is wrapped by every error Load returns: the configuration is
// refused and the plugin must not start (docs/configuration.md: "Nothing ever starts in
// an allow-all state").
var ErrInvalid = errors.New("config: invalid configuration")

// Error is one refusal of the configuration (docs/configuration.md): the JSON path of
// the offending value (`resources[1].public_paths[0]`, `issuers[0].jwks`, or
// `$` for the document itself), what is wrong, and how to fix it.
//
// errors.Is(err, ErrInvalid) holds for every *Error; an error passed through
// from package jwtlite (docs/configuration.md#keys) is also reachable with errors.Is.
type Error struct {
	_    [0]func() // not comparable: no generated equality function in the module
	Path string
	Msg  string
	Fix  string

	cause error // underlying error (jwtlite, canonical), if any
}

// Error returns the refusal as ONE line: `config: <path>: <msg>; fix: <fix>`.
func (e *Error) Error() string {
	s := "config: " + oneLine(e.Path) + ": " + oneLine(e.Msg)
	if e.Fix != "" {
		s += "; fix: " + oneLine(e.Fix)
	}
	return s
}

// Unwrap exposes ErrInvalid and the underlying cause for errors.Is / errors.As.
func (e *Error) Unwrap() []error {
	if e.cause != nil {
		return []error{ErrInvalid, e.cause}
	}
	return []error{ErrInvalid}
}

// oneLine replaces line breaks so a refusal is always logged as a single line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	// As strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ") would, without
	// its machinery in the module.
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			b = append(b, ' ')
		case '\n':
			b = append(b, ' ')
		default:
			b = append(b, s[i])
		}
	}
	return string(b)
}

// refuse builds an *Error. Not inlined: it has some 80 callers, and a
// copy of its allocation and stores in each costs the module more than a call.
//
//go:noinline
func refuse(path, msg, fix string) error {
	return &Error{Path: path, Msg: msg, Fix: fix}
}

// refuseCause builds an *Error that wraps cause.
//
//go:noinline
func refuseCause(path, msg, fix string, cause error) error {
	return &Error{Path: path, Msg: msg, Fix: fix, cause: cause}
}

// quote is strconv.Quote and itoa strconv.Itoa, called rather than inlined
// at each of the refusals that use them (smaller module, same text). The
// package's other go:noinline helpers are so for the same reason: each has
// several callers, a configuration is read once per start, and a copy of a
// helper at each call site costs the module more than the calls cost Load.
//
//go:noinline
func quote(s string) string { return strconv.Quote(s) }

//go:noinline
func itoa(i int) string { return strconv.Itoa(i) }
