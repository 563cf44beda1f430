package main

import (
	"bytes"
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/audguard/audguard/filter/config"
)

// loadResult is the filter loader's verdict on one configuration.
type loadResult struct {
	plugin   *config.Plugin  // non-nil when the configuration loads
	refusals []*config.Error // every refusal loadAll found, paths in the checked configuration
	warnings []string        // the loader's warnings ("path: message")
}

// maxRefusals bounds the refusals loadAll collects for one configuration.
const maxRefusals = 50

// loadAll runs the filter's own loader (config.Load) on data. config.Load
// stops at the first refusal; so that one run of `audguard check` reports
// every problem, loadAll then repairs a copy of the configuration where the
// refusal points (drops the offending optional member or top-level member,
// replaces an issuer's bad name, issuer or jwks with a placeholder, or leaves
// out the offending resource) and loads it again, until it loads or cannot
// be repaired. Refusals that only the repair caused are not reported. The
// verdict on data itself is always config.Load's: plugin is nil as soon as
// there is one refusal.
func loadAll(data []byte) loadResult {
	p, err := config.Load(data)
	if err == nil {
		return loadResult{plugin: p, warnings: p.Warnings}
	}
	first := asConfigError(err)
	res := loadResult{refusals: []*config.Error{first}}
	root, perr := parseJSON(data)
	if perr != nil || root.kind != '{' {
		return res
	}
	r := &repairer{root: root, stubbed: map[int]bool{}}
	if rs := root.member("resources"); rs != nil && rs.kind == '[' {
		for i := range rs.elems {
			r.orig = append(r.orig, i)
		}
	}
	seen := map[string]bool{first.Path + "\x00" + first.Msg: true}
	path, hint, whole := first.Path, first.Fix, false
	// Every fix removes a member or a resource, or replaces an issuer once:
	// the loop ends; the bound only guards against a mistake here.
	for iter := 0; iter < 4*maxRefusals && len(res.refusals) < maxRefusals; iter++ {
		if !r.fix(path, hint, whole) {
			break
		}
		var buf bytes.Buffer
		root.encode(&buf)
		p, err := config.Load(buf.Bytes())
		if err == nil {
			res.warnings = r.keepWarnings(p.Warnings)
			break
		}
		ce := asConfigError(err)
		orig := r.translate(ce)
		if r.artifact(orig.Path) || seen[orig.Path+"\x00"+orig.Msg] {
			// Caused by the repair, or not repaired: leave out the whole entity.
			path, hint, whole = ce.Path, "", true
			continue
		}
		if r.followOn(orig.Path, orig.Msg) {
			// Caused by a member an earlier refusal removed (jwks_cluster "is
			// set without jwks_uri" once jwks_uri was refused): not a problem of
			// its own. Repair it the same way, and report nothing.
			path, hint, whole = ce.Path, "", false
			continue
		}
		seen[orig.Path+"\x00"+orig.Msg] = true
		res.refusals = append(res.refusals, orig)
		path, hint, whole = ce.Path, ce.Fix, false
	}
	return res
}

func asConfigError(err error) *config.Error {
	var ce *config.Error
	if errors.As(err, &ce) {
		return ce
	}
	return &config.Error{Path: "$", Msg: err.Error()}
}

// repairer edits a refused configuration (see loadAll).
type repairer struct {
	root    *jnode
	orig    []int        // current index in resources → index in the checked configuration
	edited  []string     // paths (checked configuration) of members removed or replaced
	removed []string     // the members of edited that were removed
	stubbed map[int]bool // issuers replaced whole
}

var resourceIndex = regexp.MustCompile(`resources\[(\d+)\]`)

// origText rewrites every resources[k] in s into the checked configuration's index.
func (r *repairer) origText(s string) string {
	return resourceIndex.ReplaceAllStringFunc(s, func(m string) string {
		k, err := strconv.Atoi(m[len("resources[") : len(m)-1])
		if err != nil || k >= len(r.orig) {
			return m
		}
		return "resources[" + strconv.Itoa(r.orig[k]) + "]"
	})
}

func (r *repairer) translate(ce *config.Error) *config.Error {
	return &config.Error{Path: r.origText(ce.Path), Msg: r.origText(ce.Msg), Fix: r.origText(ce.Fix)}
}

// artifact: path (checked configuration) is a member the repair changed, one
// of its parents, or inside a placeholder issuer.
func (r *repairer) artifact(path string) bool {
	for _, e := range r.edited {
		if within(e, path) {
			return true
		}
	}
	for i := range r.stubbed {
		if within(path, "issuers["+strconv.Itoa(i)+"]") {
			return true
		}
	}
	return false
}

// followOn: a refusal or warning at path whose message names a member the
// repair removed from the same object: what it says follows from that
// removal, the earlier refusal being its cause.
func (r *repairer) followOn(path, msg string) bool {
	for _, e := range r.removed {
		if e != path && parentPath(e) == parentPath(path) && mentions(msg, lastKey(e)) {
			return true
		}
	}
	return false
}

// parentPath is the path of the object or array holding path's value
// ("" for a top-level member).
func parentPath(path string) string {
	if i := strings.LastIndexAny(path, ".["); i >= 0 {
		return path[:i]
	}
	return ""
}

// lastKey is the member name that ends path ("" when it ends with an index).
func lastKey(path string) string {
	if strings.HasSuffix(path, "]") {
		return ""
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// mentions: msg holds key as a word of its own (jwks_uri, not jwks_uri_x).
func mentions(msg, key string) bool {
	if key == "" {
		return false
	}
	word := func(c byte) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	for i := 0; ; {
		j := strings.Index(msg[i:], key)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(key)
		if (j == 0 || !word(msg[j-1])) && (end == len(msg) || !word(msg[end])) {
			return true
		}
		i = j + 1
	}
}

// within: path is at or below parent.
func within(path, parent string) bool {
	return path == parent || strings.HasPrefix(path, parent+".") || strings.HasPrefix(path, parent+"[")
}

// keepWarnings translates warnings of the repaired configuration, dropping
// those about what the repair changed.
func (r *repairer) keepWarnings(ws []string) []string {
	var out []string
	for _, w := range ws {
		w = r.origText(w)
		path, _, _ := strings.Cut(w, ": ")
		drop := false
		for _, e := range r.edited {
			drop = drop || within(path, e)
		}
		for i := range r.stubbed {
			drop = drop || within(path, "issuers["+strconv.Itoa(i)+"]")
		}
		_, msg, _ := strings.Cut(w, ": ")
		drop = drop || r.followOn(path, msg)
		if !drop {
			out = append(out, w)
		}
	}
	return out
}

// fix edits the configuration so that the refusal at path (current indices)
// goes away; with whole, the issuer is replaced or the resource left out
// entirely. A resource URI the refusal's fix spells out (`use "…"`) is
// replaced by that, so that the resource still takes part in the checks
// between resources. It reports false when it cannot.
func (r *repairer) fix(path, hint string, whole bool) bool {
	segs, ok := splitPath(path)
	if !ok || len(segs) == 0 || segs[0].index >= 0 {
		return false
	}
	top := segs[0].key
	if top != "issuers" && top != "resources" {
		if len(segs) != 1 || r.root.member(top) == nil {
			return false
		}
		r.root.del(top) // a top-level scalar: its default applies
		r.edited = append(r.edited, top)
		r.removed = append(r.removed, top)
		return true
	}
	list := r.root.member(top)
	if len(segs) < 2 || segs[1].index < 0 || list == nil || list.kind != '[' || segs[1].index >= len(list.elems) {
		return false
	}
	i := segs[1].index
	e := list.elems[i]
	var member string
	if len(segs) >= 3 && segs[2].index < 0 && e.kind == '{' && e.member(segs[2].key) != nil {
		member = segs[2].key
	}
	if top == "resources" {
		if use, ok := fixValue(hint); ok && !whole && member == "resource" && len(segs) == 3 {
			e.set(member, jstring(use))
			r.edited = append(r.edited, r.origText("resources["+strconv.Itoa(i)+"]")+"."+member)
			return true
		}
		if name := r.firstIssuerName(); !whole && member == "issuers" && name != "" {
			// Keep the resource checkable: accept the first issuer instead.
			e.set(member, &jnode{kind: '[', elems: []*jnode{jstring(name)}})
			r.edited = append(r.edited, r.origText("resources["+strconv.Itoa(i)+"]")+"."+member)
			return true
		}
		if !whole && member != "" && member != "resource" {
			e.del(member)
			at := r.origText("resources["+strconv.Itoa(i)+"]") + "." + member
			r.edited = append(r.edited, at)
			r.removed = append(r.removed, at)
			return true
		}
		if len(list.elems) == 1 {
			return false
		}
		list.elems = append(list.elems[:i], list.elems[i+1:]...)
		r.orig = append(r.orig[:i], r.orig[i+1:]...)
		return true
	}
	if !whole && member != "" {
		switch member {
		case "name":
			e.set("name", jstring(stubName(i)))
		case "issuer":
			e.set("issuer", jstring(stubIssuerURL(i)))
		case "jwks":
			e.set("jwks", stubJWKS(i))
			e.del("algorithms")
		default:
			e.del(member)
			r.removed = append(r.removed, "issuers["+strconv.Itoa(i)+"]."+member)
		}
		r.edited = append(r.edited, "issuers["+strconv.Itoa(i)+"]."+member)
		return true
	}
	if r.stubbed[i] {
		return false
	}
	r.stubbed[i] = true
	list.elems[i] = r.stubIssuer(list, i)
	return true
}

// firstIssuerName is the name of issuers[0], if it is a string.
func (r *repairer) firstIssuerName() string {
	is := r.root.member("issuers")
	if is == nil || is.kind != '[' || len(is.elems) == 0 {
		return ""
	}
	if n := is.elems[0].member("name"); n != nil && n.kind == '"' {
		return n.str
	}
	return ""
}

// stubIssuer is a valid issuer standing in for issuers[i]: it keeps the
// name and issuer when they are distinct strings, so that the resources
// naming it still resolve.
func (r *repairer) stubIssuer(list *jnode, i int) *jnode {
	old := list.elems[i]
	unique := func(key string) (string, bool) {
		v := old.member(key)
		if v == nil || v.kind != '"' || v.str == "" {
			return "", false
		}
		for j, o := range list.elems {
			if w := o.member(key); j != i && w != nil && w.kind == '"' && w.str == v.str {
				return "", false
			}
		}
		return v.str, true
	}
	name, ok := unique("name")
	if !ok {
		name = stubName(i)
	}
	iss, ok := unique("issuer")
	if !ok {
		iss = stubIssuerURL(i)
	}
	n := &jnode{kind: '{'}
	n.set("name", jstring(name))
	n.set("issuer", jstring(iss))
	n.set("jwks", stubJWKS(i))
	return n
}

// fixValue reads the value a fix of the form `use "…"` spells out.
func fixValue(fix string) (string, bool) {
	q, ok := strings.CutPrefix(fix, "use ")
	if !ok {
		return "", false
	}
	v, err := strconv.Unquote(q)
	return v, err == nil
}

func stubName(i int) string      { return "audguard-check-placeholder-" + strconv.Itoa(i) }
func stubIssuerURL(i int) string { return "https://audguard-check.invalid/" + strconv.Itoa(i) }

// stubJWKS is a JWK Set holding one P-256 public key (the TEST-ONLY e2e key).
func stubJWKS(i int) *jnode {
	n, _ := parseJSON([]byte(`{"keys":[{"kty":"EC","crv":"P-256","alg":"ES256","use":"sig","kid":"audguard-check-placeholder-` + strconv.Itoa(i) +
		`","x":"7xoF-xCaLw-N9si65uxuJ9UFeThaenGdJPpCVkq18ys","y":"OGvZkbg8C2faP9PWpnttaPt5bF9FrPaNB8cbG47Ztvk"}]}`))
	return n
}
