package config

import (
	"github.com/audguard/audguard/canonical"
	"github.com/audguard/audguard/filter/mcp"
	"github.com/audguard/audguard/internal/textblock"
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
	// gc_percent (docs/configuration.md#gc_percent): Go's GOGC for the VM.
	DefaultGCPercent = 100
	MinGCPercent     = 25
	MaxGCPercent     = 1000

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

	// Blocks the resources' audience matchers, authorities lists, texts
	// (metadata URL, derived name) and rules are carved from (see resources
	// and readAuthorities).
	audiences []canonical.AudienceMatcher
	strs      []string
	text      textblock.Block
	rules     mcp.RulesBlock
}

//go:noinline
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
