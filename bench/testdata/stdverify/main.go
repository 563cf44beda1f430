// Command stdverify is the reference proxy-wasm plugin of the audguard
// benchmarks that does nothing but check one JWS signature per request with
// the standard library: RS256 (RFC 7518 §3.3), ES256 (§3.4) or EdDSA
// (RFC 8037 §3.1), chosen by the request header x-alg. Its per-request cost
// is the floor for a cold verification inside the same Wasm host, and its
// size is the floor for the module size.
//
// The plugin configuration is one line per algorithm:
//
//	ALG SP KEY SP MESSAGE SP SIGNATURE
//
// each field base64url without padding; KEY is the RSA modulus (exponent
// 65537), the uncompressed P-256 point, or the Ed25519 public key. A
// signature that does not verify is answered with 403, so a benchmark can
// tell that the check really ran.
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"strings"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

func main() {}

func init() { proxywasm.SetVMContext(&vmContext{}) }

type vmContext struct{ types.DefaultVMContext }

func (*vmContext) NewPluginContext(uint32) types.PluginContext { return &pluginContext{} }

// check is one fixed signature to verify.
type check struct {
	rsa      *rsa.PublicKey
	ec       *ecdsa.PublicKey
	ed       ed25519.PublicKey
	msg, sig []byte
}

type pluginContext struct {
	types.DefaultPluginContext
	checks map[string]*check
}

func (p *pluginContext) OnPluginStart(int) types.OnPluginStartStatus {
	data, err := proxywasm.GetPluginConfiguration()
	if err != nil {
		return types.OnPluginStartStatusFailed
	}
	p.checks = map[string]*check{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Fields(line)
		if len(f) != 4 {
			return types.OnPluginStartStatusFailed
		}
		var raw [3][]byte
		for i := range raw {
			if raw[i], err = base64.RawURLEncoding.DecodeString(f[i+1]); err != nil {
				return types.OnPluginStartStatusFailed
			}
		}
		c := &check{msg: raw[1], sig: raw[2]}
		switch f[0] {
		case "RS256":
			c.rsa = &rsa.PublicKey{N: new(big.Int).SetBytes(raw[0]), E: 65537}
		case "ES256":
			if c.ec, err = ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw[0]); err != nil {
				return types.OnPluginStartStatusFailed
			}
		case "EdDSA":
			c.ed = ed25519.PublicKey(raw[0])
		default:
			return types.OnPluginStartStatusFailed
		}
		p.checks[f[0]] = c
	}
	return types.OnPluginStartStatusOK
}

func (p *pluginContext) NewHttpContext(uint32) types.HttpContext { return &httpContext{p: p} }

type httpContext struct {
	types.DefaultHttpContext
	p *pluginContext
}

func (h *httpContext) OnHttpRequestHeaders(int, bool) types.Action {
	alg, err := proxywasm.GetHttpRequestHeader("x-alg")
	if err != nil {
		return h.deny()
	}
	c := h.p.checks[alg]
	if c == nil || !c.verify() {
		return h.deny()
	}
	return types.ActionContinue
}

func (h *httpContext) deny() types.Action {
	_ = proxywasm.SendHttpResponse(403, nil, nil, -1)
	return types.ActionPause
}

// verify is the bare signature check: hash, then the standard library.
func (c *check) verify() bool {
	switch {
	case c.rsa != nil:
		d := sha256.Sum256(c.msg)
		return rsa.VerifyPKCS1v15(c.rsa, crypto.SHA256, d[:], c.sig) == nil
	case c.ec != nil:
		if len(c.sig) != 64 {
			return false
		}
		d := sha256.Sum256(c.msg)
		r := new(big.Int).SetBytes(c.sig[:32])
		s := new(big.Int).SetBytes(c.sig[32:])
		return ecdsa.Verify(c.ec, d[:], r, s)
	default:
		return ed25519.Verify(c.ed, c.msg, c.sig)
	}
}
