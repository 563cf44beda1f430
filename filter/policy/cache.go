package policy

import (
	"encoding/binary"
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
	scopesOK *mcp.Need
	// cnf is the token's "cnf" claim (dpop.Cnf), read on first use: every
	// request's DPoP step reads it, and scanning the claims for it was the
	// largest part of a Bearer hit's DPoP cost (BENCHMARKS.md).
	cnf        []byte
	cnfRead    bool
	prev, next *cacheEntry // LRU list; head is most recent
}

// maxCachedToken bounds the tokens the cache keeps (it holds them whole):
// a larger one is verified every time, so max_token_bytes can never make
// the cache hold 1,024 × 64 KiB.
const maxCachedToken = 8192

// tokenCache is a bounded LRU of verified tokens. The map key is a maphash
// of the token's length and tail under a seed drawn when the cache is made
// (keyOf: a keyed hash, so a client cannot aim collisions at it), and the
// entry holds the token itself, which a hit compares in full: a hash
// collision is a miss, never a false hit.
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

// keyOf is token's map key: the seeded maphash of its length and its last
// keyTail bytes (the signature's end, where tokens of one issuer differ;
// their first bytes are the same encoded header). Hashing the whole token
// cost a cache hit in the .wasm more than a microsecond. The key need not
// be collision-free: the entry holds the whole token, compared on every
// lookup, so a collision is a miss, never a false hit, and the seed keeps
// collisions out of a client's reach.
func (c *tokenCache) keyOf(token string) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(token)))
	h.Write(n[:])
	h.WriteString(token[len(token)-min(len(token), keyTail):])
	return h.Sum64()
}

// keyTail is how many trailing bytes of a token keyOf hashes.
const keyTail = 48

// lookup returns the entry holding exactly token (live or expired), or nil.
func (c *tokenCache) lookup(token string) *cacheEntry {
	if c == nil {
		return nil
	}
	e := c.entries[c.keyOf(token)]
	if e == nil || !sameToken(e.token, token) {
		return nil
	}
	return e
}

// use returns e if it is live at now, moving it to the front of the LRU
// list; an expired e is evicted and nil returned.
func (c *tokenCache) use(e *cacheEntry, now float64) *cacheEntry {
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

// get returns the live entry for token, evicting it if it has expired at now.
func (c *tokenCache) get(token string, now float64) *cacheEntry {
	return c.use(c.lookup(token), now)
}

// put caches a verified token until expiresAt.
func (c *tokenCache) put(token string, issuer *config.Issuer, keySet *jwtlite.KeySet, claims *jwtlite.Claims, expiresAt, now float64) {
	if c == nil || now >= expiresAt || len(token) > maxCachedToken {
		return
	}
	key := c.keyOf(token)
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
