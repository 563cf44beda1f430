package config

import (
	"errors"
	"strings"

	"github.com/audguard/audguard/filter/keys"
	"github.com/audguard/audguard/jwtlite"
)

func (l *loader) issuers(n *node) error {
	if n.kind != kindArray {
		return wrongType(n, "an array of issuers")
	}
	if len(n.elems) == 0 {
		return refuse(n.path(), "no issuer is configured", "add at least one issuer with its JWK Set")
	}
	l.byName = make(map[string]*Issuer, len(n.elems))
	issPath := make(map[string]string, len(n.elems))
	for _, e := range n.elems {
		is, err := l.issuer(e)
		if err != nil {
			return err
		}
		if prev, ok := l.byName[is.Name]; ok {
			return refuse(e.member("name").path(), "issuer name "+quote(is.Name)+" is already used by "+issPath[prev.Issuer],
				"give every issuer a unique name")
		}
		if prev, ok := issPath[is.Issuer]; ok {
			return refuse(e.member("issuer").path(), "issuer "+quote(is.Issuer)+" is already configured by "+prev,
				"configure each issuer once, with all its keys in one JWK Set")
		}
		l.byName[is.Name] = is
		issPath[is.Issuer] = e.path()
		is.Index = len(l.p.Issuers)
		l.p.Issuers = append(l.p.Issuers, is)
	}
	return nil
}

// issuer reads one issuers[] entry through issuerFields (docs/configuration.md, docs/configuration.md#keys).
func (l *loader) issuer(n *node) (*Issuer, error) {
	is := &Issuer{}
	if err := readFields(l, n, issuerFields, issuerNames, is); err != nil {
		return nil, err
	}
	return is, nil
}

// readIssuerJWKS reads the issuer's JWK Set and binds its keys
// (docs/configuration.md#keys) against the explicit "algorithms" read before it; without one, the
// allowlist is every algorithm the keys are bound to.
func readIssuerJWKS(l *loader, n, v *node, is *Issuer) error {
	explicit := is.Algorithms
	is.ExplicitAlgorithms = explicit
	if is.Remote != nil {
		for _, a := range explicit {
			if a.IsHMAC() {
				return refuse(n.path()+".algorithms", string(a)+` is listed with "jwks_uri": a published JWK Set never carries a shared secret`,
					`configure HMAC keys in "jwks" of an issuer without "jwks_uri", or list asymmetric algorithms`)
			}
		}
	}
	if v == nil {
		if is.Remote != nil {
			// Keys come from jwks_uri only. The allowlist is the explicit one,
			// else every asymmetric algorithm a fetched key may be bound to.
			if explicit == nil {
				is.Algorithms = keys.AsymmetricAlgorithms()
			}
			return nil
		}
		return refuse(n.path(), `missing required member "jwks" (or "jwks_uri")`, `add "jwks" with the issuer's keys, or "jwks_uri" and "jwks_cluster" to fetch them`)
	}
	var err error
	if is.JWKS, err = readJWKS(v); err != nil {
		return err
	}
	ks, warns, err := jwtlite.ParseKeySet(is.JWKS, explicit)
	if err != nil && is.Remote != nil && errors.Is(err, jwtlite.ErrNoUsableKey) {
		err = nil // the fetched set may bring the usable keys
	}
	if err != nil {
		fix := "correct or remove the key named in the message; keys follow RFC 7517/7518 and docs/configuration.md#keys"
		switch {
		case errors.Is(err, jwtlite.ErrNoUsableKey):
			fix = "add a signature verification key (see the warnings about skipped keys)"
		case errors.Is(err, jwtlite.ErrPrivateKey) && strings.Contains(err.Error(), `"k" is a shared secret`):
			fix = `remove the "oct" key, or list its HS algorithm in "algorithms" if this issuer signs with that secret (never next to "jwks_uri")`
		case errors.Is(err, jwtlite.ErrPrivateKey):
			fix = "publish only the public half: remove d, p, q, dp, dq, qi (and oth) from the key named in the message"
		case errors.Is(err, jwtlite.ErrRSAParameters):
			fix = `use an RSA key of 2048 to 8192 bits with public exponent 65537 ("e": "AQAB"), or remove the key named in the message`
		}
		return refuseCause(v.path(), strings.TrimPrefix(err.Error(), "jwtlite: "), fix, err)
	}
	for _, w := range warns {
		l.warn(v.path(), strings.TrimPrefix(w, "jwtlite: "))
	}
	is.Keys = ks
	if explicit == nil {
		is.Algorithms = ks.Algorithms()
	}
	return nil
}

// readAlgorithms reads an explicit JWA allowlist (docs/configuration.md#keys): known,
// implemented algorithms only, never "none", no repeats, not empty.
func readAlgorithms(n *node) ([]jwtlite.Algorithm, error) {
	names, elems, err := readStrings(n)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, refuse(n.path(), "must not be empty", `list the accepted algorithms, or omit "algorithms" for the keys' own algorithms`)
	}
	out := make([]jwtlite.Algorithm, len(names))
	for i, s := range names {
		a, ok := jwtlite.ParseAlgorithm(s)
		if !ok {
			return nil, refuse(elems[i].path(), quote(s)+" is not a supported JWS algorithm",
				"use RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519, HS256, HS384 or HS512")
		}
		out[i] = a
	}
	return out, nil
}

// readJWKS reads issuers[].jwks, a JWK Set (RFC 7517 §5) given as a JSON
// object or as a string holding one, and returns it as compact JSON. Private
// key members are not removed: jwtlite refuses a key that has any
// (docs/configuration.md#keys), so a loaded configuration holds none.
func readJWKS(n *node) ([]byte, error) {
	set := n
	switch n.kind {
	case kindObject:
	case kindString:
		var err error
		if set, err = parseTree([]byte(n.str), n.path()); err != nil {
			return nil, err
		}
		if set.kind != kindObject {
			return nil, refuse(n.path(), "the string must hold a JWK Set object, not "+set.kind.String(), `write {"keys": [...]}`)
		}
	default:
		return nil, wrongType(n, "a JWK Set object or a string holding one")
	}
	return set.encode(nil, nil, nil), nil
}
