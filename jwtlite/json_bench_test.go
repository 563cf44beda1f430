package jwtlite

import "testing"

// BenchmarkCheckObject is the strict JSON check (UTF-8, RFC 8259 syntax, depth, duplicate
// members) of a small header, a typical claims set, and each forged 48 KiB claims shape.
func BenchmarkCheckObject(b *testing.B) {
	cases := []struct {
		name string
		text []byte
	}{
		{"header", []byte(`{"alg":"RS256","typ":"at+jwt","kid":"k1"}`)},
		{"claims", []byte(`{"iss":"https://auth.example.com","sub":"user-1","client_id":"c1",` +
			`"aud":["https://mcp.example.com/mcp","https://other.example"],"exp":1700000600,` +
			`"iat":1699999990,"nbf":1699999990,"scope":"mcp:tools mcp:resources","jti":"abc"}`)},
	}
	for _, shape := range claimsShapes {
		cases = append(cases, struct {
			name string
			text []byte
		}{shape, claimsShape(shape, 48<<10)})
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var c jsonChecker
			if err := c.checkObject(tc.text); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(tc.text)))
			b.ReportAllocs()
			for b.Loop() {
				if err := c.checkObject(tc.text); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
