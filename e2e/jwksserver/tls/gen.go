//go:build ignore

// gen.go writes the TEST-ONLY TLS material of the e2e JWKS server (README.md):
// a CA certificate and a server certificate and key for auth.example.com
// signed by it. The CA's private key is not kept. Run from this directory:
//
//	go run gen.go
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"time"
)

func main() {
	notBefore := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	notAfter := notBefore.AddDate(100, 0, 0) // a test fixture: it must not expire under the e2e
	caKey := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "audguard e2e TEST-ONLY CA"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER := must(x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey))
	caCert := must(x509.ParseCertificate(caDER))

	key := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "auth.example.com"},
		DNSNames:     []string{"auth.example.com"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER := must(x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey))
	keyDER := must(x509.MarshalPKCS8PrivateKey(key))

	write("ca-test-only.crt", "CERTIFICATE", caDER)
	write("auth.example.com-test-only.crt", "CERTIFICATE", leafDER)
	write("auth.example.com-test-only.key", "PRIVATE KEY", keyDER)
}

func write(name, typ string, der []byte) {
	if err := os.WriteFile(name, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o644); err != nil {
		panic(err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
