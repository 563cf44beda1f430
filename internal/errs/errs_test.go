package errs

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

type target struct{ n int }

func (e *target) Error() string { return fmt.Sprint("target ", e.n) }

type other struct{}

func (other) Error() string { return "other" }

// hook reports true from As for *target, setting it, as a custom As method may.
type hook struct{ n int }

func (h hook) Error() string { return "hook" }
func (h hook) As(v any) bool {
	if p, ok := v.(**target); ok && h.n > 0 {
		*p = &target{n: h.n}
		return true
	}
	return false
}

type multi []error

func (m multi) Error() string   { return "multi" }
func (m multi) Unwrap() []error { return m }

type single struct{ err error }

func (s single) Error() string { return "single" }
func (s single) Unwrap() error { return s.err }

// TestAsEqualsErrorsAs: the same answer and the same error as errors.As
// over trees of wrapping, joining, nil branches, As hooks and misses.
func TestAsEqualsErrorsAs(t *testing.T) {
	t1, t2 := &target{1}, &target{2}
	cases := []error{
		nil, io.EOF, t1, other{}, hook{}, hook{7},
		fmt.Errorf("w: %w", t1), fmt.Errorf("w: %w", fmt.Errorf("v: %w", t2)),
		fmt.Errorf("%w and %w", io.EOF, t2), fmt.Errorf("%w and %w", t1, t2),
		errors.Join(nil, io.EOF, nil, t2), errors.Join(other{}, errors.Join(hook{}, hook{3}), t1),
		multi{nil, single{nil}, single{t1}}, multi{}, single{}, single{other{}}, single{multi{hook{5}, t2}},
		fmt.Errorf("no wrap %v", t1),
	}
	for i, err := range cases {
		var want *target
		wantOK := errors.As(err, &want)
		got, ok := As[*target](err)
		if ok != wantOK || got != want && (got == nil || want == nil || *got != *want) {
			t.Errorf("case %d (%v): As = %v, %v; errors.As = %v, %v", i, err, got, ok, want, wantOK)
		}
	}
}
