package jwtlite

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// Wycheproof JOSE vectors (testdata/wycheproof, Apache-2.0, see NOTICE and LICENSE there).
//
// Mapping onto our API:
//   - json_web_signature_test.json: each group carries one JWK ("public", or "private" when the
//     group has no public form, as for oct keys; private members are ignored by design). The JWK
//     becomes a one-key JWK Set passed to ParseKeySet with algorithms = nil, or, for an oct key,
//     algorithms = [its "alg"] (HS* must be explicitly allowed, docs/configuration.md#keys). The case's "jws"
//     then goes through the JWS layer of Parse (the same code as Parse, but the payload is left
//     opaque, because Wycheproof payloads such as "foo" are not JWT claims sets; the claims rules
//     have their own tests), KeySet.Select and Key.Verify. "valid" means all of that succeeded.
//   - json_web_key_test.json: each group carries a JWK Set, used the same way: ParseKeySet with
//     algorithms = nil, or the distinct HS* "alg" values of its oct keys when it has any.
//
// Every case must give its expected verdict ("acceptable" counts as either) unless it is listed
// in testdata/wycheproof/deviations.json: either with the documented rule that makes us stricter
// (we refuse a case the vector calls valid), or as a defective vector whose jws is
// byte-identical to another case with the opposite verdict (see wjDeviation). A listed case
// that no longer deviates fails the test (stale list). Cases whose group key has a key type
// we do not verify at all would count as skipped-unsupported (the current files have none).

type wjFile struct {
	NumberOfTests int       `json:"numberOfTests"`
	TestGroups    []wjGroup `json:"testGroups"`
}

type wjGroup struct {
	Comment string          `json:"comment"`
	Public  json.RawMessage `json:"public"`
	Private json.RawMessage `json:"private"`
	Tests   []wjTest        `json:"tests"`
}

type wjTest struct {
	TcID    int      `json:"tcId"`
	Comment string   `json:"comment"`
	JWS     string   `json:"jws"`
	Result  string   `json:"result"`
	Flags   []string `json:"flags"`
}

// wjDeviation is one entry of deviations.json. Kind "stricter": we refuse a case the vector
// calls valid, because of the documented rule named in Rule. Kind "defective-vector": the case's
// jws is byte-identical to case SameAs of the same file and group key but expects the opposite
// verdict; we must give SameAs's verdict (checked mechanically, so a listing cannot hide a bug).
type wjDeviation struct {
	File   string `json:"file"`
	TcID   int    `json:"tcId"`
	Kind   string `json:"kind"`
	SameAs int    `json:"sameAs"`
	Rule   string `json:"rule"`
}

// wjKeys returns the JWK Set and algorithm allowlist a group maps to.
func wjKeys(g *wjGroup, isSet bool) ([]byte, []Algorithm, error) {
	raw := g.Public
	if len(raw) == 0 {
		raw = g.Private
	}
	if len(raw) == 0 {
		return nil, nil, fmt.Errorf("group %q has no key", g.Comment)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if isSet {
		if err := json.Unmarshal(raw, &set); err != nil {
			return nil, nil, err
		}
	} else {
		set.Keys = []json.RawMessage{raw}
	}
	var algs []Algorithm
	for _, k := range set.Keys {
		var m struct{ Kty, Alg string }
		if err := json.Unmarshal(k, &m); err != nil {
			return nil, nil, err
		}
		if a, ok := ParseAlgorithm(m.Alg); ok && a.IsHMAC() && m.Kty == "oct" && !listed(a, algs) {
			algs = append(algs, a)
		}
	}
	if isSet {
		return raw, algs, nil
	}
	return append(append([]byte(`{"keys":[`), raw...), "]}"...), algs, nil
}

// wjSupported reports whether any key of the set has a key type we verify.
func wjSupported(jwks []byte) bool {
	var set struct {
		Keys []struct{ Kty string } `json:"keys"`
	}
	if json.Unmarshal(jwks, &set) != nil {
		return true // let ParseKeySet judge it
	}
	for _, k := range set.Keys {
		switch k.Kty {
		case "RSA", "EC", "OKP", "oct":
			return true
		}
	}
	return false
}

// wjVerdict runs one case through ParseKeySet, the JWS layer of Parse, Select and Verify.
func wjVerdict(jwks []byte, algs []Algorithm, jws string) (bool, string) {
	ks, _, err := ParseKeySet(jwks, algs)
	if err != nil {
		return false, "ParseKeySet: " + err.Error()
	}
	var p Parser
	var tok Token
	if err := p.parse(jws, &tok, false); err != nil {
		return false, "Parse: " + err.Error()
	}
	k, err := ks.Select(&tok.Header)
	if err != nil {
		return false, "Select: " + err.Error()
	}
	if err := k.Verify(tok.Header.Alg, tok.SigningInput, tok.Signature); err != nil {
		return false, "Verify: " + err.Error()
	}
	return true, "ok"
}

func TestWycheproofJSON(t *testing.T) {
	devRaw, err := os.ReadFile(filepath.Join("testdata", "wycheproof", "deviations.json"))
	if err != nil {
		t.Fatal(err)
	}
	var devList []wjDeviation
	if err := json.Unmarshal(devRaw, &devList); err != nil {
		t.Fatal(err)
	}
	deviations := map[string]wjDeviation{}
	for _, d := range devList {
		if d.Rule == "" {
			t.Errorf("deviation %s #%d has no rule", d.File, d.TcID)
		}
		deviations[fmt.Sprintf("%s#%d", d.File, d.TcID)] = d
	}
	used := map[string]bool{}
	for _, file := range []struct {
		name  string
		isSet bool
	}{
		{"json_web_signature_test.json", false},
		{"json_web_key_test.json", true},
	} {
		raw, err := os.ReadFile(filepath.Join("testdata", "wycheproof", file.name))
		if err != nil {
			t.Fatal(err)
		}
		var f wjFile
		if err := json.Unmarshal(raw, &f); err != nil {
			t.Fatal(err)
		}
		passed, deviated, skipped, total := 0, 0, 0, 0
		byID := map[int]*wjTest{}
		for gi := range f.TestGroups {
			for ti := range f.TestGroups[gi].Tests {
				tc := &f.TestGroups[gi].Tests[ti]
				byID[tc.TcID] = tc
			}
		}
		for gi := range f.TestGroups {
			g := &f.TestGroups[gi]
			jwks, algs, err := wjKeys(g, file.isSet)
			if err != nil {
				t.Fatalf("%s group %d: %v", file.name, gi, err)
			}
			for _, tc := range g.Tests {
				total++
				if !wjSupported(jwks) {
					skipped++
					continue
				}
				got, why := wjVerdict(jwks, algs, tc.JWS)
				want := tc.Result == "valid"
				key := fmt.Sprintf("%s#%d", file.name, tc.TcID)
				d, isDev := deviations[key]
				if isDev {
					used[key] = true
				}
				switch {
				case tc.Result == "acceptable":
					passed++
				case isDev && d.Kind == "defective-vector":
					twin := byID[d.SameAs]
					switch {
					case twin == nil || twin.JWS != tc.JWS || twin.Result == tc.Result:
						t.Errorf("%s tcId %d: listed as a defective vector twin of tcId %d, but it is not (stale list)", file.name, tc.TcID, d.SameAs)
					case got != (twin.Result == "valid"):
						t.Errorf("%s tcId %d: gives valid=%v, its byte-identical twin tcId %d expects %s (%s)", file.name, tc.TcID, got, d.SameAs, twin.Result, why)
					default:
						deviated++
						t.Logf("%s tcId %d (%s/%s): defective vector, verdict of tcId %d (%s)", file.name, tc.TcID, g.Comment, tc.Comment, d.SameAs, twin.Result)
					}
				case got == want && isDev:
					t.Errorf("%s tcId %d (%s/%s): listed as a deviation (%s) but now gives the expected verdict; remove it", file.name, tc.TcID, g.Comment, tc.Comment, d.Rule)
				case got == want:
					passed++
				case isDev && d.Kind == "stricter" && !got && want:
					deviated++
					t.Logf("%s tcId %d (%s/%s): deviation, refused (%s): %s", file.name, tc.TcID, g.Comment, tc.Comment, d.Rule, why)
				default:
					t.Errorf("%s tcId %d (%s/%s) flags %v: got valid=%v want %s (%s)", file.name, tc.TcID, g.Comment, tc.Comment, tc.Flags, got, tc.Result, why)
				}
			}
		}
		if total != f.NumberOfTests {
			t.Errorf("%s: ran %d cases, file declares %d", file.name, total, f.NumberOfTests)
		}
		t.Log(fmt.Sprintf("%s: passed %d / deviations %d / skipped-unsupported %d", file.name, passed, deviated, skipped))
	}
	var stale []string
	for k := range deviations {
		if !used[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(stale)
	for _, k := range stale {
		t.Errorf("deviation %s matches no case", k)
	}
}
