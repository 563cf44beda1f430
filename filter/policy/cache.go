package policy

import (
	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/jwtlite"
)

// cacheEntry is one verified token: its signature and type checked against
// issuer's keys. Everything that depends on the resource or on the time is
// checked again on every hit (issuer accepted, audience, required claims,
// scopes, exp/nbf/iat).
type cacheEntry struct {
	key        [32]byte // SHA-256 of the exact token bytes
	issuer     *config.Issuer
	keySet     *jwtlite.KeySet // the issuer's keys when the signature verified
	claims     jwtlite.Claims  // owns its bytes
	expiresAt  float64         // exp + skew, Unix seconds: never served at or after
	prev, next *cacheEntry     // LRU list; head is most recent
}

// tokenCache is a bounded LRU of verified tokens, keyed by the full 32-byte
// SHA-256 of the token (a cryptographic hash: collisions cannot be crafted,
// and the whole digest is compared as the map key).
type tokenCache struct {
	max        int
	entries    map[[32]byte]*cacheEntry
	head, tail *cacheEntry
}

func newTokenCache(max int) *tokenCache {
	if max <= 0 {
		return nil
	}
	return &tokenCache{max: max, entries: make(map[[32]byte]*cacheEntry, max)}
}

// get returns the live entry for key, evicting it if it has expired at now.
func (c *tokenCache) get(key *[32]byte, now float64) *cacheEntry {
	if c == nil {
		return nil
	}
	e := c.entries[*key]
	if e == nil {
		return nil
	}
	if now >= e.expiresAt {
		c.remove(e)
		return nil
	}
	c.moveToFront(e)
	return e
}

// put remembers a verified token. Tokens without a usable exp are not cached.
func (c *tokenCache) put(key *[32]byte, issuer *config.Issuer, keySet *jwtlite.KeySet, claims *jwtlite.Claims, expiresAt, now float64) {
	if c == nil || now >= expiresAt {
		return
	}
	if e := c.entries[*key]; e != nil {
		c.remove(e)
	}
	var e *cacheEntry
	if len(c.entries) >= c.max {
		e = c.tail // reuse the least recently used entry
		c.remove(e)
	} else {
		e = new(cacheEntry)
	}
	*e = cacheEntry{key: *key, issuer: issuer, keySet: keySet, claims: claims.Clone(), expiresAt: expiresAt}
	c.entries[e.key] = e
	c.pushFront(e)
}

func (c *tokenCache) len() int {
	if c == nil {
		return 0
	}
	return len(c.entries)
}

func (c *tokenCache) remove(e *cacheEntry) {
	delete(c.entries, e.key)
	c.unlink(e)
}

// unlink takes e out of the LRU list and leaves the map alone.
func (c *tokenCache) unlink(e *cacheEntry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		c.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		c.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (c *tokenCache) pushFront(e *cacheEntry) {
	e.prev, e.next = nil, c.head
	if c.head != nil {
		c.head.prev = e
	}
	c.head = e
	if c.tail == nil {
		c.tail = e
	}
}

func (c *tokenCache) moveToFront(e *cacheEntry) {
	if c.head == e {
		return
	}
	c.unlink(e) // the map entry stays: no delete and re-insert on every hit
	c.pushFront(e)
}

// DefaultCacheSize is the number of verified tokens a VM remembers unless
// the configuration's cache_size says otherwise.
const DefaultCacheSize = config.DefaultCacheSize
