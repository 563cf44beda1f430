package policy

import (
	"hash/maphash"
	"strings"

	"github.com/audguard/audguard/filter/config"
	"github.com/audguard/audguard/filter/mcp"
	"github.com/audguard/audguard/jwtlite"
)

// cacheEntry is one verified token: its signature and type checked against
// issuer's keys. Everything that depends on the resource or on the time is
// checked again on every hit (issuer accepted, audience, required claims,
// scopes, exp/nbf/iat), from what the entry worked out when it was cached:
// the time claims as numbers (jwtlite parses them at load), the first
// missing required claim, the last resource whose audience rule passed, the
// last scope need its scopes covered, and the rendered claim headers.
type cacheEntry struct {
	key       uint64 // maphash of the token under the cache's seed
	token     string // the exact token, compared in full on every hit
	issuer    *config.Issuer
	keySet    *jwtlite.KeySet          // the issuer's keys when the signature verified
	claims    jwtlite.Claims           // owns its bytes
	expiresAt float64                  // exp + skew, Unix seconds: never served at or after
	rendered  map[string]renderedClaim // claim header values, rendered on first use
	// missingClaim is the index in issuer.RequiredClaims of the first claim
	// the token lacks, or -1 (the claims and the list are both fixed).
	missingClaim int
	// audienceOK is the last resource the audience check passed for (nil:
	// none yet); the check depends only on the claims and the resource.
	audienceOK *config.Resource
	// scopesOK is the last compiled scope need the token's scopes covered
	// (nil: none yet); a Need is immutable, the claims are fixed.
	scopesOK   *mcp.Need
	prev, next *cacheEntry // LRU list; head is most recent
}

// maxCachedToken bounds the tokens the cache keeps (it holds them whole):
// a larger one is verified every time, so max_token_bytes can never make
// the cache hold 1,024 × 64 KiB.
const maxCachedToken = 8192

// tokenCache is a bounded LRU of verified tokens. The map key is the token's
// maphash under a seed drawn when the cache is made (a keyed hash: a client
// cannot aim collisions at it), and the entry holds the token itself, which
// a hit compares in full: a hash collision is a miss, never a false hit.
// Envoy's jwt_authn cache keys by the token the same way; see RATIONALE.md
// for why not SHA-256 (it was half the cost of a hit in the .wasm).
type tokenCache struct {
	max        int
	seed       maphash.Seed
	entries    map[uint64]*cacheEntry
	head, tail *cacheEntry
}

func newTokenCache(max int) *tokenCache {
	if max <= 0 {
		return nil
	}
	return &tokenCache{max: max, seed: maphash.MakeSeed(), entries: make(map[uint64]*cacheEntry, max)}
}

// get returns the live entry for token, evicting it if it has expired at now.
func (c *tokenCache) get(token string, now float64) *cacheEntry {
	if c == nil {
		return nil
	}
	e := c.entries[maphash.String(c.seed, token)]
	if e == nil || e.token != token {
		return nil
	}
	if now >= e.expiresAt {
		c.remove(e)
		return nil
	}
	c.moveToFront(e)
	return e
}

// holds reports whether the cache holds exactly token (live or expired).
func (c *tokenCache) holds(token string) bool {
	if c == nil {
		return false
	}
	e := c.entries[maphash.String(c.seed, token)]
	return e != nil && e.token == token
}

// put caches a verified token until expiresAt.
func (c *tokenCache) put(token string, issuer *config.Issuer, keySet *jwtlite.KeySet, claims *jwtlite.Claims, expiresAt, now float64) {
	if c == nil || now >= expiresAt || len(token) > maxCachedToken {
		return
	}
	key := maphash.String(c.seed, token)
	if e := c.entries[key]; e != nil {
		c.remove(e)
	}
	var e *cacheEntry
	if len(c.entries) >= c.max {
		e = c.tail // reuse the least recently used entry
		c.remove(e)
	} else {
		e = new(cacheEntry)
	}
	*e = cacheEntry{key: key, token: strings.Clone(token), issuer: issuer, keySet: keySet, claims: claims.Clone(), expiresAt: expiresAt,
		missingClaim: missingClaim(issuer, claims)}
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
