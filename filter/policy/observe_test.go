package policy

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// applyTags runs Envoy's tag extraction rule on a stat name: for each
// (tag, regex), when the regex matches, the second capture group is the
// tag's value and the first is cut from the name.
func applyTags(t *testing.T, stat string) (string, map[string]string) {
	t.Helper()
	tags := map[string]string{}
	name := stat
	for _, tr := range StatsTags {
		re := regexp.MustCompile(tr[1])
		m := re.FindStringSubmatchIndex(stat)
		if m == nil {
			continue
		}
		if len(m) < 6 {
			t.Fatalf("regex %s has fewer than two groups", tr[1])
		}
		tags[tr[0]] = stat[m[4]:m[5]]
		name = strings.Replace(name, stat[m[2]:m[3]], "", 1)
	}
	return name, tags
}

// The documented stats_tags turn the real counter names into a few stat
// names with "resource" and "reason" labels (docs/metrics.md).
func TestStatsTagsOnRealCounterNames(t *testing.T) {
	e := New(loadConfig(t, func(m map[string]any) {
		m["resources"].([]any)[0].(map[string]any)["name"] = "weather"
	}), Options{})
	r := e.Config().Resources[0]
	perResource := func(o Outcome, reason Reason) string {
		d := Decision{Outcome: o, Reason: reason, Resource: r}
		return d.ResourceCounterName()
	}
	tests := []struct {
		stat, name string
		tags       map[string]string
	}{
		{"wasmcustom." + CounterAllowed, "wasmcustom.audguard.allowed", map[string]string{}},
		{"wasmcustom." + DeniedCounter(ReasonWrongAudience), "wasmcustom.audguard.denied", map[string]string{"reason": "wrong_audience"}},
		{"wasmcustom." + WouldDenyCounter(ReasonUnmatchedResource), "wasmcustom.audguard.would_deny", map[string]string{"reason": "unmatched_resource"}},
		{"wasmcustom." + perResource(OutcomeAllowed, ReasonNone), "wasmcustom.audguard.resource.allowed", map[string]string{"resource": "weather"}},
		{"wasmcustom." + perResource(OutcomeDenied, ReasonInsufficientScope), "wasmcustom.audguard.resource.denied",
			map[string]string{"resource": "weather", "reason": "insufficient_scope"}},
		{"wasmcustom." + perResource(OutcomeWouldDeny, ReasonExpired), "wasmcustom.audguard.resource.would_deny",
			map[string]string{"resource": "weather", "reason": "expired"}},
		{"wasmcustom." + CounterCacheHit, "wasmcustom.audguard.cache.hit", map[string]string{}},
	}
	for _, tt := range tests {
		name, tags := applyTags(t, tt.stat)
		if name != tt.name || len(tags) != len(tt.tags) {
			t.Errorf("%s → %s %v, want %s %v", tt.stat, name, tags, tt.name, tt.tags)
			continue
		}
		for k, v := range tt.tags {
			if tags[k] != v {
				t.Errorf("%s: tag %s = %q, want %q", tt.stat, k, tags[k], v)
			}
		}
	}
	// Every reason name is caught by the reason regex.
	for _, reason := range Reasons() {
		if _, tags := applyTags(t, "wasmcustom."+DeniedCounter(reason)); tags["reason"] != reason.String() {
			t.Errorf("reason %s not extracted: %v", reason, tags)
		}
	}
}

// Denials log at info at most once per (resource, reason) per 10 s, with the
// number held back; the others at debug. Each line names the token by its
// fingerprint only.
func TestDenialLogRateLimit(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	e := New(loadConfig(t, nil), Options{Now: c.now})
	tok := token(t, c.t, resB, nil) // wrong audience at A
	fp := ""
	level := func() (LogLevel, string) {
		d := e.Decide(request(authA, tok))
		if d.Reason != ReasonWrongAudience {
			t.Fatalf("reason %v", d.Reason)
		}
		return d.Log()
	}
	l, line := level()
	if l != LogInfo || !strings.Contains(line, "deny reason=wrong_audience resource=a_example_com_mcp") || strings.Contains(line, "more like it") {
		t.Fatalf("first: %v %q", l, line)
	}
	if i := strings.Index(line, " token="); i < 0 || len(line[i+7:]) != 12 {
		t.Fatalf("no 12-digit fingerprint in %q", line)
	} else {
		fp = line[i+7:]
	}
	if strings.Contains(line, tok[:20]) {
		t.Fatalf("token bytes in the log line")
	}
	for i := 0; i < 3; i++ {
		c.t = c.t.Add(time.Second)
		if l, _ := level(); l != LogDebug {
			t.Fatalf("repeat %d at %v", i, l)
		}
	}
	// Another reason is its own pair.
	if d := e.Decide(request(authA, "not.a.token")); func() LogLevel { l, _ := d.Log(); return l }() != LogInfo {
		t.Fatalf("another reason was held back")
	}
	c.t = c.t.Add(10 * time.Second)
	l, line = level()
	if l != LogInfo || !strings.Contains(line, "(3 more like it not logged in the last 10s)") || !strings.HasSuffix(strings.Split(line, " (")[0], fp) {
		t.Fatalf("after 10 s: %v %q", l, line)
	}
}

// Access-log properties name the outcome, reason and resource.
func TestDecisionProperties(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	e := New(loadConfig(t, nil), Options{Now: c.now})
	d := e.Decide(request(authA, token(t, c.t, resA, nil)))
	if got := d.Properties(); got != [3][2]string{{PropertyOutcome, "allowed"}, {PropertyReason, "-"}, {PropertyResource, "a_example_com_mcp"}} {
		t.Errorf("allowed: %q", got)
	}
	d = e.Decide(request("nowhere.example", ""))
	if got := d.Properties(); got != [3][2]string{{PropertyOutcome, "denied"}, {PropertyReason, "unmatched_resource"}, {PropertyResource, "-"}} {
		t.Errorf("unmatched: %q", got)
	}
}

// The README's stats_tags block is StatsTags, so the tested regexes are the
// documented ones.
func TestReadmeStatsTags(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var found [][2]string
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if name, ok := strings.CutPrefix(strings.TrimSpace(l), "- tag_name: "); ok && i+1 < len(lines) {
			re, _ := strings.CutPrefix(strings.TrimSpace(lines[i+1]), "regex: ")
			found = append(found, [2]string{name, strings.Trim(re, "'")})
		}
	}
	if len(found) != len(StatsTags) {
		t.Fatalf("README stats_tags %q, want %q", found, StatsTags)
	}
	for i := range found {
		if found[i] != StatsTags[i] {
			t.Errorf("README stats_tags[%d] = %q, want %q", i, found[i], StatsTags[i])
		}
	}
}

// TestCounterIDs: every counter's ID is its index in CounterNames, and each
// decision moves the counters docs/metrics.md names for its outcome, reason
// and cache use.
func TestCounterIDs(t *testing.T) {
	names := CounterNames()
	if len(names) != numCounters {
		t.Fatalf("%d names, numCounters %d", len(names), numCounters)
	}
	for i, n := range names {
		if id := CounterID(n); id != i {
			t.Errorf("CounterID(%q) = %d, want %d", n, id, i)
		}
	}
	if id := CounterID("audguard.nothing"); id != -1 {
		t.Errorf("unknown name: %d", id)
	}
	for o := Outcome(0); o < 16; o++ {
		for r := ReasonNone; r < numReasons; r++ {
			d := &Decision{Outcome: o, Reason: r}
			want := ""
			switch o {
			case OutcomeAllowed:
				want = "audguard.allowed"
			case OutcomeDenied:
				if r != ReasonNone {
					want = "audguard.denied." + r.String()
				}
			case OutcomeWouldDeny:
				if r != ReasonNone {
					want = "audguard.would_deny." + r.String()
				}
			case OutcomeMetadata:
				want = "audguard.metadata"
			case OutcomePublic:
				want = "audguard.public"
			case OutcomePreflight:
				want = "audguard.preflight"
			case OutcomeHostError:
				want = "audguard.host_error"
			}
			if got := d.Counter(); got != want {
				t.Errorf("outcome %v reason %v: counter %q, want %q", o, r, got, want)
			}
			if id := d.CounterID(); (id < 0) != (want == "") || id >= 0 && names[id] != want {
				t.Errorf("outcome %v reason %v: CounterID %d, want the ID of %q", o, r, id, want)
			}
		}
	}
	for c, want := range map[CacheUse]string{CacheNotUsed: "", CacheHit: "audguard.cache.hit", CacheMiss: "audguard.cache.miss",
		CacheShared: "audguard.cache.shared", CacheShared + 1: ""} {
		d := &Decision{Cache: c}
		if got := d.CacheCounter(); got != want {
			t.Errorf("cache %v: counter %q, want %q", c, got, want)
		}
		if id := d.CacheCounterID(); (id < 0) != (want == "") || id >= 0 && names[id] != want {
			t.Errorf("cache %v: CacheCounterID %d, want the ID of %q", c, id, want)
		}
	}
}
