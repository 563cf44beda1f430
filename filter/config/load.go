package config

import (
	"unsafe"

	"github.com/audguard/audguard/canonical"
	"github.com/audguard/audguard/filter/mcp"
)

// Defaults and limits of docs/configuration.md.
const (
	DefaultClockSkewSeconds = 60
	MaxClockSkewSeconds     = 300
	DefaultMaxTokenBytes    = 8192
	MinMaxTokenBytes        = 512
	MaxMaxTokenBytes        = 65536
	DefaultCacheSize        = 1024
	MaxCacheSize            = 1 << 20
	MaxSharedCacheSlots     = 1 << 16

	// warnClockSkewSeconds: a larger leeway is accepted but warned about.
	warnClockSkewSeconds = 120
)

// Load parses, validates and compiles the plugin configuration JSON
// (docs/configuration.md). Everything a request needs is precomputed: lookup maps, metadata
// table, strip-header list, audience matchers, key sets. Any refusal is an
// *Error (wrapping ErrInvalid) naming the JSON path and the fix; there is no
// partial result.
func Load(data []byte) (*Plugin, error) {
	doc := string(data) // the one copy the tree's strings point into
	root, err := parseTreeString(doc, "$")
	if err != nil {
		return nil, err
	}
	l := &loader{p: &Plugin{doc: doc}}
	if err := l.top(root); err != nil {
		return nil, err
	}
	return l.p, nil
}

// loader accumulates the Plugin while reading the tree.
type loader struct {
	p      *Plugin
	byName map[string]*Issuer

	// Lists shared by the resources that accept one issuer alone.
	single  [][]*Issuer // by Issuer.Index
	servers [][]string  // by Issuer.Index

	// Blocks the resources' audience matchers and authorities lists are
	// carved from (see resources and readAuthorities).
	audiences []canonical.AudienceMatcher
	strs      []string
	bytes     []byte // see text
	rules     mcp.RulesBlock
}

func (l *loader) warn(path, msg string) {
	l.p.Warnings = append(l.p.Warnings, path+": "+msg)
}

// top reads the plugin configuration object through topFields, then
// builds the lookup tables.
func (l *loader) top(root *node) error {
	if err := readFields(l, root, topFields, topNames, l.p); err != nil {
		return err
	}
	return l.tables()
}

// text returns parts joined as one string carved from l.bytes, an
// append-only block of many resources' strings (the metadata URL, a derived
// name): one allocation per 16 KiB instead of one per string. A byte of the
// block is written once, before the string holding it is made, and never
// again (appends only go past it; a full block is replaced, not reused), so
// the strings never change.
func (l *loader) text(parts ...string) string {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	start := l.reserve(n)
	for _, p := range parts {
		l.bytes = append(l.bytes, p...)
	}
	return l.carved(start)
}

// textOf is text for bytes b (which may be on the caller's stack).
func (l *loader) textOf(b []byte) string {
	start := l.reserve(len(b))
	l.bytes = append(l.bytes, b...)
	return l.carved(start)
}

// reserve makes room for n more bytes in l.bytes and returns where they
// will start.
func (l *loader) reserve(n int) int {
	if cap(l.bytes)-len(l.bytes) < n {
		l.bytes = make([]byte, 0, max(16<<10, n))
	}
	return len(l.bytes)
}

// carved is l.bytes[start:] as a string, the bytes appended since reserve.
func (l *loader) carved(start int) string {
	if start == len(l.bytes) {
		return ""
	}
	return unsafe.String(&l.bytes[start], len(l.bytes)-start)
}
