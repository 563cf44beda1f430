// Package jwtlite is a small, strict, allocation-conscious verifier for JWT access tokens in
// JWS compact serialization (RFC 7515 §7.1, RFC 7519, RFC 9068), written for audguard's
// proxy-wasm filter.
//
// It implements only what audguard needs (docs/configuration.md#keys,
// docs/request-flow.md#11-verification): asymmetric JWS algorithms from RFC 7518 §3 (RS*, PS*, ES*), EdDSA/Ed25519 (RFC 8037,
// RFC 9864), and HS* when explicitly allowed. Every key is bound to exactly one algorithm
// (RFC 8725 §3.1). Parsing is strict: three parts, strict base64url (RFC 7515 §2), UTF-8 JSON
// objects without duplicate members (compared after unescaping), "alg" never "none", "crit"
// refused. Header members that point at other keys ("jku", "x5u", "jwk", "x5c") are never used.
//
// Only standard-library cryptography is used. Error messages never contain token bytes,
// signatures or key material.
package jwtlite
