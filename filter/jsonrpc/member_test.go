package jsonrpc

import "testing"

// TestMessageMember: the six members by their exact names, their case
// variants (ASCII and the simple foldings FoldEqual takes) as variants of the
// same member, and any other name as neither.
func TestMessageMember(t *testing.T) {
	for _, tc := range []struct {
		name         string
		bit, variant int
	}{
		{"jsonrpc", MemberJSONRPC, 0}, {"id", MemberID, 0}, {"method", MemberMethod, 0},
		{"params", MemberParams, 0}, {"result", MemberResult, 0}, {"error", MemberError, 0},
		{"JSONRPC", 0, MemberJSONRPC}, {"Id", 0, MemberID}, {"METHOD", 0, MemberMethod},
		{"paramſ", 0, MemberParams}, // U+017F folds to s
		{"ıd", 0, MemberID},         // dotless ı, refused as a variant
		{"resulT", 0, MemberResult}, {"Error", 0, MemberError},
		{"", 0, 0}, {"ids", 0, 0}, {"method ", 0, 0}, {"name", 0, 0}, {"jsonrp", 0, 0},
	} {
		bit, variant := MessageMember(tc.name)
		if bit != tc.bit || variant != tc.variant {
			t.Errorf("MessageMember(%q) = %d, %d; want %d, %d", tc.name, bit, variant, tc.bit, tc.variant)
		}
	}
}
