package main

// Typed validation: the proxy configuration around the filter decoded with
// the proxies' own API types, as the proxies decode it. An Envoy bootstrap
// (or the typed_configs of any other Envoy YAML) is decoded as
// go-control-plane's messages, every google.protobuf.Any resolved, and
// checked with their protoc-gen-validate rules; an Istio WasmPlugin or
// EnvoyFilter spec as istio.io/api's, with the Kubernetes API's field names,
// and each EnvoyFilter patch value as the Envoy message its applyTo names
// (typed_envoy.go, typed_istio.go).
//
// Decoding is strict protojson (DiscardUnknown false) over JSON rendered
// from the YAML node by node, so every finding has its line and column: the
// rendering walks the YAML along the message descriptors and reports, and
// leaves out, what protojson would stop at first (an unknown field, an
// enum value the type lacks, an @type no registered message has, an object
// where a list belongs…), so that one run lists them all; whatever protojson
// still refuses is placed through its offset in the rendered JSON, left
// out, and the decoding repeated. The decoded message is then checked with
// ValidateAll at its root and at every Any below it (protoc-gen-validate
// does not look inside an Any; Envoy validates each typed_config when it
// builds the extension), each violation mapped back along the field path.

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
	"gopkg.in/yaml.v3"
)

// typedProblems: what the proxy's own API types refuse in the document that
// holds s (Envoy YAML, Istio WasmPlugin or EnvoyFilter). A document with
// several filters reports each problem once, with the filter whose YAML
// path shares the longest prefix with the problem's (the first filter on a
// tie): a problem in a listener goes to the filter of that listener.
func typedProblems(s *source) []problem {
	root := s.env.doc
	if root == nil {
		return nil
	}
	prefix := docPrefix(s.Label)
	var probs []problem
	switch s.Kind {
	case kindEnvoy:
		probs = envoyTypedProblems(root, prefix)
	case kindEnvoyFilter:
		probs = envoyFilterTypedProblems(root, prefix)
	case kindWasmPlugin:
		probs = wasmPluginTypedProblems(root, prefix)
	default:
		return nil
	}
	if len(probs) == 0 {
		return nil
	}
	peers := ours(searchDoc(root, prefix))
	sort.SliceStable(peers, func(i, j int) bool { return peers[i].Line < peers[j].Line })
	var out []problem
	for _, p := range probs {
		owner, best := -1, -1
		for i, peer := range peers {
			if n := commonPrefixLen(p.Path, peer.Label); n > best {
				owner, best = i, n
			}
		}
		if owner < 0 || peers[owner].Label == s.Label {
			out = append(out, p)
		}
	}
	return out
}

func commonPrefixLen(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// docPrefix is the YAML path of the document a label lies in: "$", or
// "$[doc N]" in a multi-document file.
func docPrefix(label string) string {
	if strings.HasPrefix(label, "$[doc ") {
		if i := strings.IndexByte(label, ']'); i > 0 {
			return label[:i+1]
		}
	}
	return "$"
}

// region is a YAML subtree decoded as one message type.
type region struct {
	node *yaml.Node
	desc protoreflect.MessageDescriptor
	path string // YAML path of node

	// jsonNames: field names are the JSON (lowerCamel) names only, and
	// enum values names only — the Kubernetes API's OpenAPI schema of a
	// custom resource.
	jsonNames bool
	// yaml11: plain y/n/yes/no/on/off are booleans (kubectl, istioctl).
	yaml11 bool
	// strictScalars: a string field takes a YAML string and a bool field
	// an unquoted boolean (the YAML reaches the decoder as JSON through
	// the Kubernetes API: a number stays a number).
	strictScalars bool
	// validate: check the protoc-gen-validate rules (ValidateAll).
	validate bool
	// refuses says who refuses what the decoding refuses.
	refuses string
	// dropsUnknown, when set, says what becomes of an unknown field or
	// enum value name: a warning, not an error (Istio decodes EnvoyFilter
	// patch values leniently).
	dropsUnknown string
	// pgvRefuses says who refuses a protoc-gen-validate violation.
	pgvRefuses string
}

const (
	maxTypedDepth  = 200
	maxTypedPasses = 50
)

// decodeRegion decodes r and lists what the decoding and the validation
// rules refuse, with the TypedStruct values found in it decoded in turn.
func decodeRegion(r region) []problem {
	if r.node == nil || r.desc == nil {
		return nil
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(r.desc.FullName())
	if err != nil {
		return nil
	}
	var out []problem
	seen := map[string]bool{}
	add := func(ps ...problem) {
		for _, p := range ps {
			k := fmt.Sprint(p.Line, ":", p.Column, " ", p.Path, " ", p.Message)
			if !seen[k] {
				seen[k] = true
				out = append(out, p)
			}
		}
	}
	drop := map[*yaml.Node]bool{}
	var d *decoder
	var msg protoreflect.Message
	for pass := 0; ; pass++ {
		d = &decoder{r: &r, drop: drop, elems: map[*yaml.Node][]int{}}
		ok := d.message(r.node, r.desc, r.path, 0)
		add(d.probs...)
		if !ok || d.tooBig {
			return out
		}
		m := mt.New()
		err := protojson.UnmarshalOptions{DiscardUnknown: false}.Unmarshal(d.buf.Bytes(), m.Interface())
		if err == nil {
			msg = m
			break
		}
		n, path, what := d.locate(err)
		add(d.problem(sevError, n, path, what+": "+r.refuses, ""))
		if n == nil || n == r.node || drop[n] || pass >= maxTypedPasses {
			return out
		}
		drop[n] = true
	}
	if r.validate {
		add(d.validateValue(msg, r.node, r.path, 0)...)
	}
	for _, sub := range d.subs {
		add(decodeRegion(sub)...)
	}
	return out
}

// decoder renders one region's YAML as the JSON protojson decodes.
type decoder struct {
	r      *region
	buf    bytes.Buffer
	drop   map[*yaml.Node]bool // left out: refused, or what protojson refused
	spans  []span              // the JSON of each rendered value
	elems  map[*yaml.Node][]int
	probs  []problem
	subs   []region // TypedStruct values
	tooBig bool
}

// span is the JSON rendered for one YAML value.
type span struct {
	start, end int
	node       *yaml.Node
	path       string
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNullNode(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func (d *decoder) problem(sev string, n *yaml.Node, path, msg, fix string) problem {
	p := problem{Severity: sev, Path: path, Message: msg, Fix: fix}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	return p
}

func (d *decoder) refuse(n *yaml.Node, path, msg, fix string) {
	d.probs = append(d.probs, d.problem(sevError, n, path, msg+": "+d.r.refuses, fix))
	d.drop[n] = true
}

// unknown reports an unknown field or enum value name: an error, or a
// warning where the decoder drops it (dropsUnknown).
func (d *decoder) unknown(n *yaml.Node, path, msg, fix string) {
	sev, tail := sevError, d.r.refuses
	if d.r.dropsUnknown != "" {
		sev, tail = sevWarning, d.r.dropsUnknown
	}
	d.probs = append(d.probs, d.problem(sev, n, path, msg+": "+tail, fix))
	d.drop[n] = true
}

func (d *decoder) stop(depth int) bool {
	if depth > maxTypedDepth || d.buf.Len() > maxJSONBytes {
		d.tooBig = true
	}
	return d.tooBig
}

func (d *decoder) span(start int, n *yaml.Node, path string) {
	d.spans = append(d.spans, span{start: start, end: d.buf.Len(), node: n, path: path})
}

func (d *decoder) emit(n *yaml.Node, path, s string) bool {
	start := d.buf.Len()
	d.buf.WriteString(s)
	d.span(start, n, path)
	return true
}

func (d *decoder) emitString(n *yaml.Node, path, s string) bool {
	start := d.buf.Len()
	writeString(&d.buf, s)
	d.span(start, n, path)
	return true
}

// shape refuses a value of the wrong YAML kind.
func (d *decoder) shape(n *yaml.Node, path, want string) bool {
	d.refuse(n, path, "must be "+want+", not "+yamlKindText(n), "")
	return false
}

func yamlKindText(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "an object"
	case yaml.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}

// wellKnownJSON: a message with its own JSON form (protojson): in an Any it
// sits under "value".
func wellKnownJSON(md protoreflect.MessageDescriptor) bool {
	switch md.FullName() {
	case "google.protobuf.Any", "google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue",
		"google.protobuf.Duration", "google.protobuf.Timestamp", "google.protobuf.FieldMask",
		"google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.Int64Value",
		"google.protobuf.UInt64Value", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
		"google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.BytesValue":
		return true
	}
	return false
}

// message renders n as a message of type md.
func (d *decoder) message(n *yaml.Node, md protoreflect.MessageDescriptor, path string, depth int) bool {
	n = deref(n)
	if n == nil || d.stop(depth) {
		return false
	}
	if isNullNode(n) && md.FullName() != "google.protobuf.Value" {
		return d.emit(n, path, "null") // not set
	}
	switch md.FullName() {
	case "google.protobuf.Any":
		return d.anyValue(n, path, depth)
	case "google.protobuf.Struct":
		if n.Kind != yaml.MappingNode {
			return d.shape(n, path, "an object")
		}
		return d.raw(n, path, depth)
	case "google.protobuf.ListValue":
		if n.Kind != yaml.SequenceNode {
			return d.shape(n, path, "a list")
		}
		return d.raw(n, path, depth)
	case "google.protobuf.Value":
		return d.raw(n, path, depth)
	case "google.protobuf.Duration":
		return d.duration(n, path)
	case "google.protobuf.Timestamp":
		return d.timestamp(n, path)
	case "google.protobuf.FieldMask":
		if n.Kind != yaml.ScalarNode {
			return d.shape(n, path, "a string")
		}
		return d.emitString(n, path, n.Value)
	}
	if wellKnownJSON(md) { // a wrapper: its value, as is
		return d.scalar(n, md.Fields().ByName("value"), path)
	}
	if n.Kind != yaml.MappingNode {
		return d.shape(n, path, "an object ("+string(md.FullName())+")")
	}
	start := d.buf.Len()
	d.buf.WriteByte('{')
	first := true
	d.members(n, md, path, depth, nil, &first)
	d.buf.WriteByte('}')
	d.span(start, n, path)
	return true
}

// keyName is a mapping key as the decoder reads it (YAML 1.1: an unquoted
// y/n/on/off… key is "true"/"false").
func (d *decoder) keyName(k *yaml.Node) string {
	if d.r.yaml11 && k.Style == 0 && yaml11Bools[k.Value] {
		return yaml11Word(k.Value)
	}
	return k.Value
}

// field finds a field of md by a key's name.
func (d *decoder) field(md protoreflect.MessageDescriptor, name string) protoreflect.FieldDescriptor {
	if fd := md.Fields().ByJSONName(name); fd != nil {
		return fd
	}
	if !d.r.jsonNames {
		return md.Fields().ByName(protoreflect.Name(name))
	}
	return nil
}

// members renders the members of mapping n as fields of md (the last of a
// repeated key wins, as for mapGet), skipping the keys in skip.
func (d *decoder) members(n *yaml.Node, md protoreflect.MessageDescriptor, path string, depth int, skip map[string]bool, first *bool) {
	type member struct {
		k, v *yaml.Node
		fd   protoreflect.FieldDescriptor
	}
	var ms []member
	at := map[protoreflect.FieldDescriptor]int{}
	for _, kv := range d.pairs(n, 0) {
		k, v := kv[0], kv[1]
		name := d.keyName(k)
		if skip[name] {
			continue
		}
		fd := d.field(md, name)
		if fd == nil {
			d.unknown(k, path+"."+k.Value, fmt.Sprintf("unknown field %q of %s", name, md.FullName()), d.fieldFix(md, name))
			d.drop[v] = true
			continue
		}
		if d.drop[v] {
			continue
		}
		if isNullNode(deref(v)) && (fd.Message() == nil || fd.Message().FullName() != "google.protobuf.Value") {
			continue // null: the field is not set
		}
		if j, ok := at[fd]; ok {
			ms[j] = member{k, v, fd}
			continue
		}
		at[fd] = len(ms)
		ms = append(ms, member{k, v, fd})
	}
	oneofs := map[protoreflect.OneofDescriptor]*yaml.Node{}
	for _, m := range ms {
		p := path + "." + m.k.Value
		if od := m.fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
			if prev := oneofs[od]; prev != nil {
				d.refuse(m.k, p, fmt.Sprintf("is set together with %s (line %d): both belong to oneof %s of %s, which takes one", prev.Value, prev.Line, od.Name(), md.FullName()),
					"keep one of "+strings.Join(oneofFieldNames(od, d.r.jsonNames), ", "))
				d.drop[m.v] = true
				continue
			}
			oneofs[od] = m.k
		}
		mark := d.buf.Len()
		if !*first {
			d.buf.WriteByte(',')
		}
		writeString(&d.buf, m.k.Value)
		d.buf.WriteByte(':')
		if d.value(m.v, m.fd, p, depth+1) {
			*first = false
		} else {
			d.buf.Truncate(mark)
			d.drop[m.v] = true
		}
	}
}

func oneofFieldNames(od protoreflect.OneofDescriptor, jsonNames bool) []string {
	var names []string
	for i := 0; i < od.Fields().Len(); i++ {
		names = append(names, fieldName(od.Fields().Get(i), jsonNames))
	}
	return names
}

func fieldName(fd protoreflect.FieldDescriptor, jsonNames bool) string {
	if jsonNames {
		return fd.JSONName()
	}
	return string(fd.Name())
}

// value renders one field's value (a list, a map, or one value).
func (d *decoder) value(v *yaml.Node, fd protoreflect.FieldDescriptor, path string, depth int) bool {
	v = deref(v)
	if v == nil || d.stop(depth) {
		return false
	}
	switch {
	case fd.IsMap():
		if isNullNode(v) {
			return d.emit(v, path, "null")
		}
		if v.Kind != yaml.MappingNode {
			return d.shape(v, path, "an object (a map)")
		}
		start := d.buf.Len()
		d.buf.WriteByte('{')
		first := true
		ps := d.pairs(v, 0)
		last := map[string]int{}
		for i, kv := range ps {
			last[d.keyName(kv[0])] = i
		}
		for i, kv := range ps {
			k, e := kv[0], kv[1]
			name := d.keyName(k)
			if last[name] != i || d.drop[e] {
				continue
			}
			mark := d.buf.Len()
			if !first {
				d.buf.WriteByte(',')
			}
			writeString(&d.buf, name)
			d.buf.WriteByte(':')
			if d.single(e, fd.MapValue(), path+"."+k.Value, depth+1) {
				first = false
			} else {
				d.buf.Truncate(mark)
				d.drop[e] = true
			}
		}
		d.buf.WriteByte('}')
		d.span(start, v, path)
		return true
	case fd.IsList():
		if isNullNode(v) {
			return d.emit(v, path, "null")
		}
		if v.Kind != yaml.SequenceNode {
			return d.shape(v, path, "a list")
		}
		start := d.buf.Len()
		d.buf.WriteByte('[')
		var kept []int
		for i, e := range v.Content {
			if d.drop[e] {
				continue
			}
			mark := d.buf.Len()
			if len(kept) > 0 {
				d.buf.WriteByte(',')
			}
			if d.single(e, fd, fmt.Sprintf("%s[%d]", path, i), depth+1) {
				kept = append(kept, i)
			} else {
				d.buf.Truncate(mark)
				d.drop[e] = true
			}
		}
		d.elems[v] = kept
		d.buf.WriteByte(']')
		d.span(start, v, path)
		return true
	}
	return d.single(v, fd, path, depth)
}

// single renders one value of a field (not a list or map).
func (d *decoder) single(v *yaml.Node, fd protoreflect.FieldDescriptor, path string, depth int) bool {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return d.message(v, fd.Message(), path, depth)
	case protoreflect.EnumKind:
		return d.enum(deref(v), fd.Enum(), path)
	}
	return d.scalar(deref(v), fd, path)
}

// enum renders an enum value: its name (or, for Envoy, its number).
func (d *decoder) enum(v *yaml.Node, ed protoreflect.EnumDescriptor, path string) bool {
	if v == nil {
		return false
	}
	if ed.FullName() == "google.protobuf.NullValue" || isNullNode(v) {
		return d.emit(v, path, "null")
	}
	if v.Kind != yaml.ScalarNode {
		return d.shape(v, path, "a value of "+string(ed.FullName()))
	}
	if v.ShortTag() == "!!int" && !d.r.jsonNames {
		if i, err := strconv.ParseInt(v.Value, 10, 32); err == nil {
			return d.emit(v, path, strconv.FormatInt(i, 10))
		}
	}
	if ed.Values().ByName(protoreflect.Name(v.Value)) != nil {
		return d.emitString(v, path, v.Value)
	}
	d.unknown(v, path, fmt.Sprintf("%q is not a value of %s", v.Value, ed.FullName()), enumFix(ed, v.Value))
	return false
}

// scalarTag is a scalar's resolved YAML tag (YAML 1.1 booleans included).
func (d *decoder) scalarTag(v *yaml.Node) string {
	if d.r.yaml11 && v.Style == 0 && yaml11Bools[v.Value] {
		return "!!bool"
	}
	return v.ShortTag()
}

var yamlTagText = map[string]string{"!!int": "integer", "!!float": "number", "!!bool": "boolean", "!!null": "null"}

// scalar renders a scalar field: a number where the YAML has one (else the
// string, which protojson reads or refuses), a boolean, or a string.
func (d *decoder) scalar(v *yaml.Node, fd protoreflect.FieldDescriptor, path string) bool {
	if v == nil {
		return false
	}
	if v.Kind != yaml.ScalarNode {
		return d.shape(v, path, "a "+fd.Kind().String())
	}
	if isNullNode(v) {
		return d.emit(v, path, "null")
	}
	tag := d.scalarTag(v)
	switch fd.Kind() {
	case protoreflect.BoolKind:
		if v.Style == 0 && yamlBoolWords[v.Value] != "" {
			return d.emit(v, path, yamlBoolWords[v.Value])
		}
		if v.Style != 0 && !d.r.strictScalars && (v.Value == "true" || v.Value == "false") {
			return d.emit(v, path, v.Value)
		}
		return d.emitString(v, path, v.Value)
	case protoreflect.StringKind:
		if d.r.strictScalars && tag != "!!str" && tag != "!!binary" && tag != "!!timestamp" {
			d.refuse(v, path, fmt.Sprintf("is the YAML %s %s, not a string", yamlTagText[tag], v.Value), "quote it: "+strconv.Quote(v.Value))
			return false
		}
		return d.emitString(v, path, v.Value)
	case protoreflect.BytesKind:
		return d.emitString(v, path, v.Value)
	case protoreflect.FloatKind, protoreflect.DoubleKind,
		protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind,
		protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		var num bytes.Buffer
		if (tag == "!!int" || tag == "!!float") && writeScalar(&num, v) == nil {
			return d.emit(v, path, num.String())
		}
		return d.emitString(v, path, v.Value)
	}
	return d.emitString(v, path, v.Value)
}

// yamlBoolWords are the unquoted booleans of yaml-cpp (Envoy) and of YAML
// 1.1 (kubectl).
var yamlBoolWords = map[string]string{
	"true": "true", "True": "true", "TRUE": "true", "false": "false", "False": "false", "FALSE": "false",
	"y": "true", "Y": "true", "yes": "true", "Yes": "true", "YES": "true", "on": "true", "On": "true", "ON": "true",
	"n": "false", "N": "false", "no": "false", "No": "false", "NO": "false", "off": "false", "Off": "false", "OFF": "false",
}

// protoDuration is protojson's (and Envoy's) google.protobuf.Duration form.
var protoDuration = regexp.MustCompile(`^-?[0-9]+(\.[0-9]{0,9})?s$`)

func (d *decoder) duration(n *yaml.Node, path string) bool {
	if isNullNode(n) {
		return d.emit(n, path, "null")
	}
	if n.Kind != yaml.ScalarNode {
		return d.shape(n, path, "a duration")
	}
	if !protoDuration.MatchString(n.Value) {
		d.refuse(n, path, fmt.Sprintf("%q is not a duration", n.Value), `write seconds with an "s": 5s, 0.25s, 0s`)
		return false
	}
	return d.emitString(n, path, n.Value)
}

func (d *decoder) timestamp(n *yaml.Node, path string) bool {
	if isNullNode(n) {
		return d.emit(n, path, "null")
	}
	if n.Kind != yaml.ScalarNode {
		return d.shape(n, path, "a timestamp")
	}
	if _, err := time.Parse(time.RFC3339Nano, n.Value); err != nil {
		d.refuse(n, path, fmt.Sprintf("%q is not an RFC 3339 timestamp", n.Value), "write it as 2006-01-02T15:04:05Z")
		return false
	}
	return d.emitString(n, path, n.Value)
}

// raw renders any YAML value as JSON (a Struct, Value or ListValue): the
// last of a repeated key wins, merge keys are not read.
func (d *decoder) raw(n *yaml.Node, path string, depth int) bool {
	start := d.buf.Len()
	if !d.rawValue(n, depth) {
		d.buf.Truncate(start)
		return false
	}
	d.span(start, n, path)
	return true
}

func (d *decoder) rawValue(n *yaml.Node, depth int) bool {
	n = deref(n)
	if n == nil || d.stop(depth) {
		return false
	}
	switch n.Kind {
	case yaml.MappingNode:
		ps := d.pairs(n, 0)
		last := map[string]int{}
		for i, kv := range ps {
			last[d.keyName(kv[0])] = i
		}
		d.buf.WriteByte('{')
		first := true
		for i, kv := range ps {
			k := kv[0]
			name := d.keyName(k)
			if last[name] != i {
				continue
			}
			if !first {
				d.buf.WriteByte(',')
			}
			first = false
			writeString(&d.buf, name)
			d.buf.WriteByte(':')
			if !d.rawValue(kv[1], depth+1) {
				return false
			}
		}
		d.buf.WriteByte('}')
	case yaml.SequenceNode:
		d.buf.WriteByte('[')
		for i, e := range n.Content {
			if i > 0 {
				d.buf.WriteByte(',')
			}
			if !d.rawValue(e, depth+1) {
				return false
			}
		}
		d.buf.WriteByte(']')
	case yaml.ScalarNode:
		if d.r.yaml11 && n.Style == 0 && yaml11Bools[n.Value] {
			d.buf.WriteString(yaml11Word(n.Value))
		} else if writeScalar(&d.buf, n) != nil {
			writeString(&d.buf, n.Value)
		}
	default:
		return false
	}
	return true
}

// anyValue renders a google.protobuf.Any: its @type, resolved among the
// registered messages, and the message's fields beside it (a message with
// its own JSON form under "value").
func (d *decoder) anyValue(n *yaml.Node, path string, depth int) bool {
	if isNullNode(n) {
		return d.emit(n, path, "null")
	}
	if n.Kind != yaml.MappingNode {
		return d.shape(n, path, "an object with an @type")
	}
	tk, tv := d.get(n, "@type")
	if tv == nil {
		if len(d.pairs(n, 0)) == 0 {
			return d.emit(n, path, "{}")
		}
		d.refuse(n, path, "has no @type: the message it holds cannot be read", `add "@type": type.googleapis.com/<the message's full name>`)
		return false
	}
	tv = deref(tv)
	url := scalar(tv)
	mt, err := protoregistry.GlobalTypes.FindMessageByURL(url)
	if err != nil {
		d.refuse(tv, path+"."+tk.Value, fmt.Sprintf("%q names no message type of Envoy's v3 API", url), typeFix(url))
		return false
	}
	md := mt.Descriptor()
	start := d.buf.Len()
	d.buf.WriteString(`{"@type":`)
	writeString(&d.buf, url)
	if wellKnownJSON(md) {
		for _, kv := range d.pairs(n, 0) {
			if k := kv[0]; k.Value != "@type" && k.Value != "value" {
				d.unknown(k, path+"."+k.Value, fmt.Sprintf("unknown field %q of an Any holding a %s", k.Value, md.FullName()), `a `+string(md.FullName())+` in an Any has "@type" and "value" only`)
			}
		}
		if vk, vv := d.get(n, "value"); vv != nil && !d.drop[vv] {
			mark := d.buf.Len()
			d.buf.WriteString(`,"value":`)
			if !d.message(vv, md, path+"."+vk.Value, depth+1) {
				d.buf.Truncate(mark)
				d.drop[vv] = true
			}
		}
	} else {
		first := false
		d.members(n, md, path, depth, map[string]bool{"@type": true}, &first)
		d.typedStruct(n, md, path)
	}
	d.buf.WriteByte('}')
	d.span(start, n, path)
	return true
}

// typedStruct: a TypedStruct's value is decoded as its type_url's message
// (Envoy converts it so, as strictly), after this region.
func (d *decoder) typedStruct(n *yaml.Node, md protoreflect.MessageDescriptor, path string) {
	if md.FullName() != "xds.type.v3.TypedStruct" && md.FullName() != "udpa.type.v1.TypedStruct" {
		return
	}
	uk, uv := d.member(n, md.Fields().ByName("type_url"))
	vk, vv := d.member(n, md.Fields().ByName("value"))
	uv = deref(uv)
	if uv == nil || uv.Kind != yaml.ScalarNode {
		return
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByURL(uv.Value)
	if err != nil {
		d.refuse(uv, path+"."+uk.Value, fmt.Sprintf("%q names no message type of Envoy's v3 API", uv.Value), typeFix(uv.Value))
		return
	}
	if vv = deref(vv); vv == nil || vv.Kind != yaml.MappingNode || wellKnownJSON(mt.Descriptor()) {
		return
	}
	sub := *d.r
	sub.node, sub.desc, sub.path = vv, mt.Descriptor(), path+"."+vk.Value
	d.subs = append(d.subs, sub)
}

// member is the key and value of fd in mapping n (the last, not left out).
func (d *decoder) member(n *yaml.Node, fd protoreflect.FieldDescriptor) (*yaml.Node, *yaml.Node) {
	n = deref(n)
	if n == nil || fd == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	var k, v *yaml.Node
	for _, kv := range d.pairs(n, 0) {
		name := d.keyName(kv[0])
		if name == fd.JSONName() || !d.r.jsonNames && name == string(fd.Name()) {
			k, v = kv[0], kv[1]
		}
	}
	return k, v
}

// get is the key and value of key in mapping n (the last).
func (d *decoder) get(n *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	var k, v *yaml.Node
	for _, kv := range d.pairs(deref(n), 0) {
		if d.keyName(kv[0]) == key {
			k, v = kv[0], kv[1]
		}
	}
	return k, v
}

// pairs are the members of mapping n as its reader sees them: merge keys
// (<<) expanded, the merged members first so that the mapping's own win
// (and of several merged mappings the first: YAML's merge), Envoy's
// !ignore keys (an anchor's home) and non-scalar keys left out.
func (d *decoder) pairs(n *yaml.Node, depth int) [][2]*yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode || depth > 16 {
		return nil
	}
	var merged, own [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode || k.Tag == "!ignore":
		case k.Tag == "!!merge":
			v = deref(v)
			if v != nil && v.Kind == yaml.SequenceNode {
				for j := len(v.Content) - 1; j >= 0; j-- {
					merged = append(merged, d.pairs(deref(v.Content[j]), depth+1)...)
				}
			} else {
				merged = append(merged, d.pairs(v, depth+1)...)
			}
		default:
			own = append(own, [2]*yaml.Node{k, v})
		}
	}
	return append(merged, own...)
}

// protojsonAt is the position in protojson's errors: "(line 1:57): ".
var protojsonAt = regexp.MustCompile(`\(line ([0-9]+):([0-9]+)\):\s*`)

// locate places a protojson error: the innermost value rendered at its
// offset, and the error's text without its "proto:" prefix and position.
func (d *decoder) locate(err error) (*yaml.Node, string, string) {
	msg := err.Error()
	m := protojsonAt.FindStringSubmatchIndex(msg)
	if m == nil {
		return d.r.node, d.r.path, cleanProtoError(msg)
	}
	what := msg[m[1]:]
	line, _ := strconv.Atoi(msg[m[2]:m[3]])
	col, _ := strconv.Atoi(msg[m[4]:m[5]])
	off := runeOffset(d.buf.Bytes(), line, col)
	best := -1
	for i, s := range d.spans {
		if s.start <= off && off < s.end && (best < 0 || s.end-s.start <= d.spans[best].end-d.spans[best].start) {
			best = i
		}
	}
	if best < 0 {
		return d.r.node, d.r.path, what
	}
	return d.spans[best].node, d.spans[best].path, what
}

func cleanProtoError(msg string) string {
	msg = strings.TrimPrefix(msg, "proto:")
	return strings.TrimLeft(msg, " \u00a0")
}

// runeOffset is the byte offset of a 1-based line and rune column.
func runeOffset(b []byte, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(b[off:], '\n')
		if i < 0 {
			return len(b)
		}
		off += i + 1
	}
	for c := 1; c < col && off < len(b); c++ {
		_, size := utf8.DecodeRune(b[off:])
		off += size
	}
	return off
}

// validateValue checks a decoded message with protoc-gen-validate: at the
// region's root and at each Any, whose content the rules of the message
// holding it do not reach.
func (d *decoder) validateValue(m protoreflect.Message, n *yaml.Node, path string, depth int) []problem {
	if depth > maxTypedDepth {
		return nil
	}
	if a, ok := m.Interface().(*anypb.Any); ok {
		inner, err := a.UnmarshalNew()
		if err != nil {
			return nil
		}
		return d.validateTree(inner.ProtoReflect(), n, path, true, depth)
	}
	return d.validateTree(m, n, path, depth == 0, depth)
}

func (d *decoder) validateTree(m protoreflect.Message, n *yaml.Node, path string, root bool, depth int) []problem {
	md := m.Descriptor()
	n = deref(n)
	if strings.HasPrefix(string(md.FullName()), "google.protobuf.") || md.FullName() == "xds.type.v3.TypedStruct" || md.FullName() == "udpa.type.v1.TypedStruct" {
		return nil
	}
	var out []problem
	if v, ok := m.Interface().(interface{ ValidateAll() error }); ok && root {
		if err := v.ValidateAll(); err != nil {
			var leaves []pgvLeaf
			flattenPGV(err, nil, &leaves, 0)
			for _, l := range leaves {
				if p, ok := d.pgvProblem(md, n, path, l); ok {
					out = append(out, p)
				}
			}
		}
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		k, c := d.member(n, fd)
		c = deref(c)
		key := fieldName(fd, d.r.jsonNames)
		if k != nil {
			key = k.Value
		}
		switch {
		case fd.IsMap():
			if fd.MapValue().Message() == nil {
				return true
			}
			v.Map().Range(func(mk protoreflect.MapKey, mv protoreflect.Value) bool {
				_, e := d.get(c, mk.String())
				out = append(out, d.validateValue(mv.Message(), e, path+"."+key+"."+mk.String(), depth+1)...)
				return true
			})
		case fd.IsList():
			if fd.Message() == nil {
				return true
			}
			kept := d.elems[c]
			for i := 0; i < v.List().Len(); i++ {
				var e *yaml.Node
				p := fmt.Sprintf("%s.%s[%d]", path, key, i)
				if i < len(kept) && c != nil {
					e = c.Content[kept[i]]
					p = fmt.Sprintf("%s.%s[%d]", path, key, kept[i])
				}
				out = append(out, d.validateValue(v.List().Get(i).Message(), e, p, depth+1)...)
			}
		case fd.Message() != nil:
			out = append(out, d.validateValue(v.Message(), c, path+"."+key, depth+1)...)
		}
		return true
	})
	return out
}

// pgvLeaf is one protoc-gen-validate violation: the Go field names from the
// validated message down, and the rule's reason.
type pgvLeaf struct {
	segs   []string
	reason string
}

type pgvError interface {
	Field() string
	Reason() string
	Key() bool
	Cause() error
}

type pgvMulti interface{ AllErrors() []error }

func flattenPGV(err error, segs []string, out *[]pgvLeaf, depth int) {
	if depth > maxTypedDepth {
		return
	}
	if m, ok := err.(pgvMulti); ok {
		for _, e := range m.AllErrors() {
			flattenPGV(e, segs, out, depth+1)
		}
		return
	}
	v, ok := err.(pgvError)
	if !ok {
		*out = append(*out, pgvLeaf{segs: segs, reason: err.Error()})
		return
	}
	s := append(append([]string(nil), segs...), v.Field())
	if c := v.Cause(); c != nil {
		_, multi := c.(pgvMulti)
		_, single := c.(pgvError)
		if multi || single {
			flattenPGV(c, s, out, depth+1)
			return
		}
		*out = append(*out, pgvLeaf{segs: s, reason: v.Reason() + ": " + c.Error()})
		return
	}
	*out = append(*out, pgvLeaf{segs: s, reason: v.Reason()})
}

// pgvProblem places a violation: it follows the Go field names (Listeners[0],
// TypedPerFilterConfig[key]) down the YAML; a field the YAML lacks is
// placed at the object that lacks it. A violation on a value the decoding
// left out (already reported) is dropped.
func (d *decoder) pgvProblem(md protoreflect.MessageDescriptor, n *yaml.Node, path string, l pgvLeaf) (problem, bool) {
	at, cur := n, n
	what := string(md.FullName())
	for i, seg := range l.segs {
		name, sub, hasSub := strings.Cut(seg, "[")
		sub = strings.TrimSuffix(sub, "]")
		fd := goField(md, name)
		if fd == nil {
			if od := goOneof(md, name); od != nil {
				for j := 0; j < od.Fields().Len(); j++ {
					if _, v := d.member(cur, od.Fields().Get(j)); v != nil && d.drop[v] {
						return problem{}, false // set, but left out: reported
					}
				}
				return d.problem(sevError, at, path+"."+string(od.Name()),
					fmt.Sprintf("needs one of %s (oneof %s of %s): %s", strings.Join(oneofFieldNames(od, d.r.jsonNames), ", "), od.Name(), md.FullName(), d.r.pgvRefuses),
					"set one of them"), true
			}
			break
		}
		what = string(md.FullName()) + "." + string(fd.Name())
		k, v := d.member(cur, fd)
		if v == nil {
			path += "." + fieldName(fd, d.r.jsonNames)
			if i < len(l.segs)-1 {
				return problem{}, false
			}
			break
		}
		if d.drop[v] {
			return problem{}, false
		}
		path += "." + k.Value
		at, cur = k, deref(v)
		if hasSub && cur != nil {
			switch {
			case fd.IsList():
				idx, err := strconv.Atoi(sub)
				kept := d.elems[cur]
				if err != nil || idx < 0 || idx >= len(kept) {
					return problem{}, false
				}
				path += fmt.Sprintf("[%d]", kept[idx])
				at = cur.Content[kept[idx]]
				cur = deref(at)
			case fd.IsMap():
				ek, ev := d.get(cur, sub)
				if ev == nil {
					return problem{}, false
				}
				path += "." + ek.Value
				at, cur = ek, deref(ev)
			}
		}
		switch {
		case fd.IsMap() && fd.MapValue().Message() != nil:
			md = fd.MapValue().Message()
		case fd.Message() != nil:
			md = fd.Message()
		}
	}
	return d.problem(sevError, at, path, fmt.Sprintf("%s (%s): %s", l.reason, what, d.r.pgvRefuses), ""), true
}

// goCamel is protoc-gen-go's Go name of a field or oneof (GoCamelCase),
// the names protoc-gen-validate's errors use.
func goCamel(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && i+1 < len(s) && isLowerASCII(s[i+1]):
		case c == '.':
			b = append(b, '_')
		case c == '_' && (i == 0 || s[i-1] == '.'):
			b = append(b, 'X')
		case c == '_' && i+1 < len(s) && isLowerASCII(s[i+1]):
		case c >= '0' && c <= '9':
			b = append(b, c)
		default:
			if isLowerASCII(c) {
				c -= 'a' - 'A'
			}
			b = append(b, c)
			for ; i+1 < len(s) && isLowerASCII(s[i+1]); i++ {
				b = append(b, s[i+1])
			}
		}
	}
	return string(b)
}

func isLowerASCII(c byte) bool { return c >= 'a' && c <= 'z' }

func goField(md protoreflect.MessageDescriptor, goName string) protoreflect.FieldDescriptor {
	for i := 0; i < md.Fields().Len(); i++ {
		if fd := md.Fields().Get(i); goCamel(string(fd.Name())) == goName {
			return fd
		}
	}
	return nil
}

func goOneof(md protoreflect.MessageDescriptor, goName string) protoreflect.OneofDescriptor {
	for i := 0; i < md.Oneofs().Len(); i++ {
		if od := md.Oneofs().Get(i); goCamel(string(od.Name())) == goName {
			return od
		}
	}
	return nil
}

// fieldFix suggests the known field closest to an unknown one.
func (d *decoder) fieldFix(md protoreflect.MessageDescriptor, name string) string {
	if name == "@type" {
		return "remove it: this object is a " + string(md.FullName()) + ", not a google.protobuf.Any"
	}
	var names []string
	for i := 0; i < md.Fields().Len(); i++ {
		fd := md.Fields().Get(i)
		if d.r.jsonNames {
			if string(fd.Name()) == name {
				return "the Kubernetes API takes the JSON name: " + fd.JSONName()
			}
			names = append(names, fd.JSONName())
		} else {
			names = append(names, string(fd.Name()), fd.JSONName())
		}
	}
	if best, ok := closestName(name, names); ok {
		return "did you mean " + best + "?"
	}
	return "remove it (" + string(md.FullName()) + " has no such field)"
}

// enumFix lists an enum's values, the closest first when one is close.
func enumFix(ed protoreflect.EnumDescriptor, name string) string {
	var names []string
	for i := 0; i < ed.Values().Len(); i++ {
		names = append(names, string(ed.Values().Get(i).Name()))
	}
	valid := "valid: " + strings.Join(names, ", ")
	if best, ok := closestName(name, names); ok {
		return "did you mean " + best + "? " + valid
	}
	return "use one of " + strings.Join(names, ", ")
}

// typeFix suggests the registered message closest to an unknown type URL.
func typeFix(url string) string {
	prefix, name := "", url
	if i := strings.LastIndexByte(url, '/'); i >= 0 {
		prefix, name = url[:i+1], url[i+1:]
	}
	var names []string
	protoregistry.GlobalTypes.RangeMessages(func(mt protoreflect.MessageType) bool {
		n := string(mt.Descriptor().FullName())
		if absInt(len(n)-len(name)) <= 8 {
			names = append(names, n)
		}
		return true
	})
	sort.Strings(names)
	if best, ok := closestName(name, names); ok {
		if prefix == "" {
			prefix = "type.googleapis.com/"
		}
		return "did you mean " + prefix + best + "?"
	}
	return "use type.googleapis.com/ and the full name of a message of the Envoy v3 API"
}

func absInt(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// closestName is the candidate nearest to name by edit distance (case and
// underscores ignored first: failStrategy for fail_strategy), when near
// enough to be a misspelling: at most 2 edits, or a quarter of the name.
func closestName(name string, candidates []string) (string, bool) {
	fold := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }
	for _, c := range candidates {
		if fold(c) == fold(name) && c != name {
			return c, true
		}
	}
	best, bestD := "", -1
	for _, c := range candidates {
		if c == name {
			continue
		}
		if dd := typedEditDistance(strings.ToLower(name), strings.ToLower(c)); bestD < 0 || dd < bestD {
			best, bestD = c, dd
		}
	}
	if bestD >= 0 && (bestD <= 2 || bestD <= len(name)/4) {
		return best, true
	}
	return "", false
}

// typedEditDistance is the Levenshtein distance of a and b (bytes).
func typedEditDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
