package main

import (
	"fmt"

	"google.golang.org/protobuf/reflect/protoreflect"
	"gopkg.in/yaml.v3"
	extensionsv1alpha1 "istio.io/api/extensions/v1alpha1"
	networkingv1alpha3 "istio.io/api/networking/v1alpha3"
)

const (
	// kubeRefuses: a custom resource's spec is checked against the CRD's
	// OpenAPI schema (generated from istio.io/api): kubectl apply's strict
	// field validation (the default since Kubernetes 1.27) refuses an
	// unknown field, an enum value the schema lacks, a wrong type.
	kubeRefuses = "the Kubernetes API refuses the resource (kubectl apply)"
	// istioRefuses: istiod's validation of a patch value (and the
	// proxy's decoding of it) fails.
	istioRefuses = "Istio refuses the EnvoyFilter"
	// istioDrops: istiod decodes patch values leniently (unknown fields
	// and enum names dropped), its validation only warns.
	istioDrops = "Istio accepts the EnvoyFilter with a warning and drops it, so it has no effect"
	// patchRefuses: a complete object the patch adds fails Envoy's
	// validation rules, so the proxy rejects the configuration it gets.
	patchRefuses = "Envoy rejects the configuration this patch produces"
)

var (
	wasmPluginDesc  = (&extensionsv1alpha1.WasmPlugin{}).ProtoReflect().Descriptor()
	envoyFilterDesc = (&networkingv1alpha3.EnvoyFilter{}).ProtoReflect().Descriptor()
)

// wasmPluginTypedProblems decodes an Istio WasmPlugin's spec as
// istio.extensions.v1alpha1.WasmPlugin (pluginConfig, a Struct, is the
// plugin's: the filter's loader judges it).
func wasmPluginTypedProblems(root *yaml.Node, prefix string) []problem {
	return istioResource(root, prefix, wasmPluginDesc)
}

// envoyFilterTypedProblems decodes an Istio EnvoyFilter's spec as
// istio.networking.v1alpha3.EnvoyFilter, then each patch value as the Envoy
// message its applyTo names, as istiod does; a complete object (any
// operation but MERGE) is checked with Envoy's validation rules too.
func envoyFilterTypedProblems(root *yaml.Node, prefix string) []problem {
	out := istioResource(root, prefix, envoyFilterDesc)
	cps := mapGet(mapGet(root, "spec"), "configPatches")
	if cps == nil || cps.Kind != yaml.SequenceNode {
		return out
	}
	for i, cp := range cps.Content {
		md := envoyPatchTypes[scalar(mapGet(cp, "applyTo"))]
		patch := mapGet(cp, "patch")
		k, v := mapGetKV(patch, "value")
		if md == nil || v == nil || v.Kind != yaml.MappingNode {
			continue
		}
		op := scalar(mapGet(patch, "operation"))
		out = append(out, decodeRegion(region{
			node: v, desc: md, path: fmt.Sprintf("%s.spec.configPatches[%d].patch.%s", prefix, i, k.Value),
			yaml11: true, strictScalars: true,
			validate: op != "MERGE" && op != "MERGE_AND_REPLACE_LIST" && op != "REMOVE",
			refuses:  istioRefuses, dropsUnknown: istioDrops, pgvRefuses: patchRefuses,
		})...)
	}
	return out
}

// istioResource checks a custom resource's top-level fields and decodes
// its spec with the Kubernetes API's rules.
func istioResource(root *yaml.Node, prefix string, spec protoreflect.MessageDescriptor) []problem {
	if root == nil || root.Kind != yaml.MappingNode {
		return nil
	}
	var out []problem
	top := []string{"apiVersion", "kind", "metadata", "spec", "status"}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		known := false
		for _, t := range top {
			known = known || k.Value == t
		}
		if !known {
			fix := "remove it (a custom resource has apiVersion, kind, metadata and spec)"
			if best, ok := closestName(k.Value, top); ok {
				fix = "did you mean " + best + "?"
			}
			out = append(out, problem{Severity: sevError, Path: prefix + "." + k.Value, Line: k.Line, Column: k.Column,
				Message: fmt.Sprintf("unknown field %q of a %s: %s", k.Value, scalar(mapGet(root, "kind")), kubeRefuses), Fix: fix})
		}
	}
	if _, sn := mapGetKV(root, "spec"); sn != nil {
		out = append(out, decodeRegion(region{node: sn, desc: spec, path: prefix + ".spec",
			jsonNames: true, yaml11: true, strictScalars: true, refuses: kubeRefuses})...)
	}
	return out
}
