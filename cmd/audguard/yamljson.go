package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"gopkg.in/yaml.v3"
)

// ErrYAML is wrapped when a YAML value cannot become the JSON the proxy would
// hand the plugin.
var ErrYAML = errors.New("yaml value cannot be converted to JSON")

// maxJSONBytes bounds the JSON built from one YAML value (alias expansion
// cannot blow up memory).
const maxJSONBytes = 4 << 20

// yamlToJSON renders a YAML node as JSON, keeping mapping order and repeated
// keys so that config.Load sees (and refuses) duplicates exactly as it would
// in the JSON the control plane sends. Scalars follow their resolved YAML 1.2
// tag: !!int, !!float, !!bool, !!null become JSON numbers, booleans, null;
// everything else becomes a string. With yaml11, plain y/n/yes/no/on/off
// keys and values are booleans, as YAML 1.1 parsers (kubectl, istioctl) read
// them, so a Kubernetes manifest is judged as the cluster would see it.
func yamlToJSON(n *yaml.Node, yaml11 bool) ([]byte, error) {
	var buf bytes.Buffer
	if err := writeJSON(&buf, n, yaml11, 0); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeJSON(buf *bytes.Buffer, n *yaml.Node, yaml11 bool, depth int) error {
	if depth > 64 {
		return fmt.Errorf("%w: line %d: nested too deeply", ErrYAML, n.Line)
	}
	if buf.Len() > maxJSONBytes {
		return fmt.Errorf("%w: value larger than %d bytes", ErrYAML, maxJSONBytes)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return fmt.Errorf("%w: empty document", ErrYAML)
		}
		return writeJSON(buf, n.Content[0], yaml11, depth+1)
	case yaml.AliasNode:
		return writeJSON(buf, n.Alias, yaml11, depth+1)
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
				return fmt.Errorf("%w: line %d: only plain scalar keys are supported (no merge keys)", ErrYAML, k.Line)
			}
			if i > 0 {
				buf.WriteByte(',')
			}
			if yaml11 && k.Style == 0 && yaml11Bools[k.Value] {
				writeString(buf, yaml11Word(k.Value))
			} else {
				writeString(buf, k.Value)
			}
			buf.WriteByte(':')
			if err := writeJSON(buf, n.Content[i+1], yaml11, depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, e := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeJSON(buf, e, yaml11, depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case yaml.ScalarNode:
		if yaml11 && n.Style == 0 && yaml11Bools[n.Value] {
			buf.WriteString(yaml11Word(n.Value))
			return nil
		}
		return writeScalar(buf, n)
	default:
		return fmt.Errorf("%w: line %d: unsupported node", ErrYAML, n.Line)
	}
	return nil
}

func writeScalar(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!null":
		buf.WriteString("null")
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return fmt.Errorf("%w: line %d: bad boolean", ErrYAML, n.Line)
		}
		buf.WriteString(strconv.FormatBool(b))
	case "!!int":
		var i int64
		if err := n.Decode(&i); err != nil {
			return fmt.Errorf("%w: line %d: integer out of range", ErrYAML, n.Line)
		}
		buf.WriteString(strconv.FormatInt(i, 10))
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return fmt.Errorf("%w: line %d: not a finite number", ErrYAML, n.Line)
		}
		buf.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
	default:
		writeString(buf, n.Value)
	}
	return nil
}

func writeString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s) // strings always marshal
	buf.Write(b)
}

// yaml11Bools are the plain scalars YAML 1.1 reads as booleans (kubectl and
// istioctl parse manifests with a YAML 1.1 library: an unquoted `n:` or `y:`
// key of an RSA or EC JWK becomes "false"/"true").
var yaml11Bools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true,
	"n": true, "N": true, "no": true, "No": true, "NO": true,
	"on": true, "On": true, "ON": true, "off": true, "Off": true, "OFF": true,
}

// yaml11Hazards lists unquoted keys and values under n that a YAML 1.1 parser
// reads as booleans (and YAML 1.2 as strings), with their YAML paths.
func yaml11Hazards(n *yaml.Node, at string, depth int) []problem {
	if n == nil || depth > 64 {
		return nil
	}
	var out []problem
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := at + "." + k.Value
			if k.Style == 0 && yaml11Bools[k.Value] {
				out = append(out, problem{Severity: sevWarning, Path: p, Line: k.Line, Column: k.Column,
					Message: fmt.Sprintf("unquoted key %q is a boolean in YAML 1.1 (kubectl, istioctl): the plugin receives the key %q", k.Value, yaml11Word(k.Value)),
					Fix:     "quote it"})
			}
			if v.Kind == yaml.ScalarNode && v.Style == 0 && yaml11Bools[v.Value] {
				out = append(out, problem{Severity: sevWarning, Path: p, Line: v.Line, Column: v.Column,
					Message: fmt.Sprintf("unquoted value %q is the boolean %s in YAML 1.1 (kubectl, istioctl)", v.Value, yaml11Word(v.Value)),
					Fix:     fmt.Sprintf("write %s or quote it", yaml11Word(v.Value))})
			}
			out = append(out, yaml11Hazards(v, p, depth+1)...)
		}
	case yaml.SequenceNode:
		for i, e := range n.Content {
			out = append(out, yaml11Hazards(e, fmt.Sprintf("%s[%d]", at, i), depth+1)...)
		}
	}
	return out
}

func yaml11Word(s string) string {
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "on", "On", "ON":
		return "true"
	}
	return "false"
}
