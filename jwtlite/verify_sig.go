package jwtlite

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
)

// pssOptions: RFC 7518 §3.5 — the salt is as long as the hash output.
var pssOptions = rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}

// Verify checks the JWS signature sig over signingInput (RFC 7515 §5.2 step 8) with algorithm alg.
// alg must be the key's bound algorithm (EdDSA and Ed25519 are interchangeable, RFC 9864 §2.2),
// else ErrUnknownKey. Any wrong signature, including an ES* signature that is not exactly
// 2×(field size) bytes (RFC 7518 §3.4), gives ErrBadSignature.
func (k *Key) Verify(alg Algorithm, signingInput, sig []byte) error {
	if k == nil || !sameAlgorithm(alg, k.Alg) {
		return ErrUnknownKey
	}
	var ok bool
	switch {
	case k.Alg.isEdDSA():
		ok = len(k.ed) == ed25519.PublicKeySize && len(sig) == ed25519.SignatureSize &&
			ed25519.Verify(k.ed, signingInput, sig)
	case k.Alg.IsHMAC():
		ok = k.verifyHMAC(signingInput, sig)
	default:
		var buf [sha512.Size]byte
		h := k.Alg.hash()
		digest := sum(h, signingInput, buf[:0])
		switch {
		case k.rsa != nil && k.Alg.isRSA():
			if k.Alg[0] == 'P' {
				ok = rsa.VerifyPSS(k.rsa, h, digest, sig, &pssOptions) == nil
			} else {
				ok = rsa.VerifyPKCS1v15(k.rsa, h, digest, sig) == nil
			}
		case k.ec != nil && k.Alg.ecCurve() != "":
			ok = verifyECDSA(k.ec, digest, sig)
		}
	}
	if !ok {
		return ErrBadSignature
	}
	return nil
}

// sum appends the hash h of msg to dst.
func sum(h crypto.Hash, msg, dst []byte) []byte {
	switch h {
	case crypto.SHA256:
		s := sha256.Sum256(msg)
		return append(dst, s[:]...)
	case crypto.SHA384:
		s := sha512.Sum384(msg)
		return append(dst, s[:]...)
	default:
		s := sha512.Sum512(msg)
		return append(dst, s[:]...)
	}
}

// verifyHMAC recomputes the MAC (RFC 7518 §3.2) and compares it in constant time.
func (k *Key) verifyHMAC(signingInput, sig []byte) bool {
	var mac hmacHash
	switch k.Alg {
	case HS256:
		mac = sha256.New
	case HS384:
		mac = sha512.New384
	case HS512:
		mac = sha512.New
	default:
		return false
	}
	m := hmac.New(mac, k.secret)
	m.Write(signingInput)
	var buf [sha512.Size]byte
	return hmac.Equal(sig, m.Sum(buf[:0]))
}

// verifyECDSA checks a JWS ECDSA signature: R||S, each exactly the curve's byte length
// (RFC 7518 §3.4). Other lengths are refused; r or s of 0 or ≥ N make ecdsa.Verify fail.
func verifyECDSA(pub *ecdsa.PublicKey, digest, sig []byte) bool {
	n := (pub.Curve.Params().BitSize + 7) / 8
	if len(sig) != 2*n {
		return false
	}
	// RFC 7518 §3.4: R||S, each n octets. Re-encode as the ASN.1 SEQUENCE of two INTEGERs that
	// ecdsa.VerifyASN1 takes, on the stack: no big.Int round trip (ecdsa.Verify builds the same
	// DER from big.Ints). Zero or out-of-range values are refused by VerifyASN1.
	var ints [2*(66+3) + 3]byte
	body := appendDERInt(appendDERInt(ints[:0], sig[:n]), sig[n:])
	var buf [len(ints) + 3]byte
	der := append(buf[:0], 0x30)
	if len(body) >= 0x80 {
		der = append(der, 0x81) // long form: P-521 signatures need up to 139 octets
	}
	der = append(der, byte(len(body)))
	der = append(der, body...)
	return ecdsa.VerifyASN1(pub, digest, der)
}

// appendDERInt appends the DER INTEGER (X.690 §8.3) of the unsigned big-endian integer b:
// leading zero octets dropped, one 0x00 kept before a set high bit.
func appendDERInt(dst, b []byte) []byte {
	for len(b) > 1 && b[0] == 0 {
		b = b[1:]
	}
	if len(b) == 0 || b[0]&0x80 != 0 {
		dst = append(dst, 0x02, byte(len(b)+1), 0x00)
	} else {
		dst = append(dst, 0x02, byte(len(b)))
	}
	return append(dst, b...)
}
