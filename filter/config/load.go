package config

import (
	"fmt"
	"time"
)

// Defaults and limits of contract §2.
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

var topMembers = []string{"mode", "authority_from", "clock_skew_seconds", "max_token_bytes", "cache_size", "shared_cache_slots", "issuers", "resources"}

// Load parses, validates and compiles the plugin configuration JSON (contract
// §2). Everything a request needs is precomputed: lookup maps, metadata
// table, strip-header list, audience matchers, key sets. Any refusal is an
// *Error (wrapping ErrInvalid) naming the JSON path and the fix; there is no
// partial result.
func Load(data []byte) (*Plugin, error) {
	root, err := parseTree(data, "$")
	if err != nil {
		return nil, err
	}
	l := &loader{p: &Plugin{}}
	if err := l.top(root); err != nil {
		return nil, err
	}
	return l.p, nil
}

// loader accumulates the Plugin while reading the tree.
type loader struct {
	p      *Plugin
	byName map[string]*Issuer
}

func (l *loader) warn(path, msg string) {
	l.p.Warnings = append(l.p.Warnings, path+": "+msg)
}

func (l *loader) top(root *node) error {
	if err := object(root, topMembers...); err != nil {
		return err
	}
	p := l.p

	p.Mode = ModeEnforce
	if n := root.member("mode"); n != nil {
		w, err := readWord(n, "enforce", "report")
		if err != nil {
			return err
		}
		if w == "report" {
			p.Mode = ModeReport
			l.warn(n.path, "report mode never blocks a request: denials are only logged and counted")
		}
	}

	if n := root.member("authority_from"); n != nil {
		w, err := readWord(n, "auto", "authority", "host")
		if err != nil {
			return err
		}
		switch w {
		case "authority":
			p.AuthorityFrom = AuthorityExact
		case "host":
			p.AuthorityFrom = AuthorityHost
		}
	}

	skew := int64(DefaultClockSkewSeconds)
	if n := root.member("clock_skew_seconds"); n != nil {
		v, err := readInt(n, 0, MaxClockSkewSeconds)
		if err != nil {
			return err
		}
		skew = v
		if v > warnClockSkewSeconds {
			l.warn(n.path, fmt.Sprintf("a leeway of %d s accepts expired tokens for over %d minutes", v, warnClockSkewSeconds/60))
		}
	}
	p.ClockSkew = time.Duration(skew) * time.Second

	p.MaxTokenBytes = DefaultMaxTokenBytes
	if n := root.member("max_token_bytes"); n != nil {
		v, err := readInt(n, MinMaxTokenBytes, MaxMaxTokenBytes)
		if err != nil {
			return err
		}
		p.MaxTokenBytes = int(v)
	}

	p.CacheSize = DefaultCacheSize
	if n := root.member("cache_size"); n != nil {
		v, err := readInt(n, 0, MaxCacheSize)
		if err != nil {
			return err
		}
		p.CacheSize = int(v)
		if v == 0 {
			l.warn(n.path, "the verified-token cache is off: every request verifies a signature")
		}
	}
	if n := root.member("shared_cache_slots"); n != nil {
		v, err := readInt(n, 0, MaxSharedCacheSlots)
		if err != nil {
			return err
		}
		p.SharedCacheSlots = int(v)
		if v > 0 {
			l.warn(n.path, "verified tokens are shared through proxy-wasm shared data: give this plugin a vm_id no other module uses")
		}
	}

	issuers, err := required(root, "issuers")
	if err != nil {
		return err
	}
	if err := l.issuers(issuers); err != nil {
		return err
	}
	resources, err := required(root, "resources")
	if err != nil {
		return err
	}
	if err := l.resources(resources); err != nil {
		return err
	}
	return l.tables()
}
