// Package errs finds an error of one type in an error tree as errors.As
// does, without reflection: errors.As is the module's only use of
// internal/reflectlite's assignability code (some 30 KB of module code).
package errs

// As is errors.As(err, &t) for a variable t of type T: it visits err's tree
// in errors.As's order (each error, then what its Unwrap() error or
// Unwrap() []error returns, depth first) and returns the first error whose
// type is T, or for which an As(any) bool method reports true given &t.
// T must be a concrete type (in practice a pointer type such as
// *config.Error); for such T a type assertion holds exactly when
// errors.As's assignability test does.
func As[T error](err error) (T, bool) {
	var t T
	if err == nil {
		return t, false
	}
	for {
		if e, ok := err.(T); ok {
			return e, true
		}
		if x, ok := err.(interface{ As(any) bool }); ok && x.As(&t) {
			return t, true
		}
		switch x := err.(type) {
		case interface{ Unwrap() error }:
			if err = x.Unwrap(); err == nil {
				return t, false
			}
		case interface{ Unwrap() []error }:
			for _, err := range x.Unwrap() {
				if err == nil {
					continue
				}
				if e, ok := As[T](err); ok {
					return e, true
				}
			}
			return t, false
		default:
			return t, false
		}
	}
}
