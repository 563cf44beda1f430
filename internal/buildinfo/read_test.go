package buildinfo

import (
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

// same reports whether parse and debug.ParseBuildInfo agree on text: both
// fail, or both read the same main module version and vcs settings.
func same(t *testing.T, text string) {
	t.Helper()
	want, err := debug.ParseBuildInfo(text)
	got, ok := parse(text)
	if ok != (err == nil) {
		t.Fatalf("%q: parse ok %v, ParseBuildInfo error %v", text, ok, err)
	}
	if !ok {
		return
	}
	var ws []debug.BuildSetting
	for _, s := range want.Settings {
		if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
			ws = append(ws, s)
		}
	}
	if got.Main.Version != want.Main.Version || !slices.Equal(got.Settings, ws) {
		t.Fatalf("%q: parse read %q %q, ParseBuildInfo %q %q", text, got.Main.Version, got.Settings, want.Main.Version, ws)
	}
	for _, vr := range [][2]string{{"", ""}, {"v1", ""}, {"", "r"}} {
		gv, gr := Resolve(vr[0], vr[1], func() (*debug.BuildInfo, bool) { return got, true })
		wv, wr := Resolve(vr[0], vr[1], func() (*debug.BuildInfo, bool) { return want, true })
		if gv != wv || gr != wr {
			t.Fatalf("%q: Resolve %s (%s) with parse, %s (%s) with ParseBuildInfo", text, gv, gr, wv, wr)
		}
	}
}

// TestReadEqualsParseBuildInfo: the test binary's own build information,
// what BuildInfo.String writes for many settings (the go command's way of
// writing it), and random lines of every kind ParseBuildInfo knows, well
// and badly formed.
func TestReadEqualsParseBuildInfo(t *testing.T) {
	if bi, ok := debug.ReadBuildInfo(); ok {
		same(t, bi.String())
		got, gok := Read()
		if !gok {
			t.Fatal("Read found no build information; debug.ReadBuildInfo did")
		}
		gv, gr := Resolve("", "", func() (*debug.BuildInfo, bool) { return got, true })
		wv, wr := Resolve("", "", debug.ReadBuildInfo)
		if gv != wv || gr != wr {
			t.Errorf("Resolve: %s (%s) with Read, %s (%s) with debug.ReadBuildInfo", gv, gr, wv, wr)
		}
	}
	r := rand.New(rand.NewPCG(7, 24))
	words := []string{"", "a", "v1.2.3", "(devel)", "abc123", "true", "false", "x y", "a\tb", "a\nb", "a\rb",
		`q"uote`, "back`tick", "é", "\xff", "\u2028", "a=b", "=", `\`, `\x41`, "\x00", "\x7f", "k\\n"}
	keys := []string{"vcs.revision", "vcs.modified", "vcs", "-ldflags", "GOOS", "a b", "a=b", "\"q", ""}
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	for range 3000 {
		bi := &debug.BuildInfo{Path: pick(words), Main: debug.Module{Path: "m", Version: pick(words), Sum: pick(words)}}
		for range r.IntN(3) {
			d := &debug.Module{Path: "d", Version: "v1"}
			if r.IntN(2) == 0 {
				d.Replace = &debug.Module{Path: "r", Version: "v2", Sum: "h1:x"}
			}
			bi.Deps = append(bi.Deps, d)
		}
		for range r.IntN(5) {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: pick(keys), Value: pick(words)})
		}
		same(t, bi.String())
	}
	lines := []string{
		"path\tx", "mod\ta\tv1", "mod\ta\tv2\th1:s", "mod\ta", "mod\ta\tb\tc\td", "mod\t", "dep\td\tv1", "dep\td",
		"dep\td\tv\ts\tx", "=>\tr\tv\ts", "=>\tr\tv", "=>\tr\tv\ts\tx", "other", "", "build", "build\t", "build\t=x",
		"build\tvcs.revision=abc", "build\tvcs.modified=true", "build\tvcs.modified=false", "build\tk", "build\tk=v",
		"build\tk=v w", "build\tk=\"v w\"", "build\tk=`v w`", "build\tk=\"v", "build\tk=\"v\"x", "build\t\"k\"=v",
		"build\t\"k\"v", "build\t\"k", "build\t\"k\"", "build\t`k`=v", "build\t`k", "build\t`vcs.revision`=x",
		"build\t\"vcs.revision\"=\"r\\x41\\101\\u00e9\\U0001F600\\a\\b\\f\\n\\r\\t\\v\\\\\\\"\"",
		"build\tvcs.revision=\"\\'\"", "build\tvcs.revision=\"\\400\"", "build\tvcs.revision=\"\\18\"", "build\tvcs.revision=\"\\xg0\"",
		"build\tvcs.revision=\"\\ud800\"", "build\tvcs.revision=\"\\U00110000\"", "build\tvcs.revision=\"\\q\"",
		"build\tvcs.revision=\"\xff\\n\"", "build\tvcs.revision=\"\xff\"", "build\tvcs.revision=\"a\\\"", "build\tvcs.revision=\"\\x4\"",
		"build\tvcs.revision=`a\rb`", "build\tvcs.revision=`a`b", "build\tvcs.revision=a\"b", "build\tk\"=v", "build\tk`=v",
		"build\tk =v", "build\tvcs.revision=\"\"", "build\tvcs.revision=", "build\tvcs.revision==",
	}
	for range 20000 {
		var b strings.Builder
		for range r.IntN(5) {
			b.WriteString(pick(lines))
			b.WriteByte('\n')
		}
		if r.IntN(4) == 0 {
			b.WriteString(pick(lines))
		}
		same(t, b.String())
	}
	for _, l := range lines {
		same(t, l+"\n")
		same(t, "mod\tm\tv1\n"+l+"\n")
	}
}
