package main

import (
	"strconv"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"gopkg.in/yaml.v3"
)

const envoyRefuses = "Envoy refuses the configuration"

// envoyRegion is how Envoy reads its YAML (yaml-cpp, then the protobuf JSON
// parser): proto or JSON field names, enum names or numbers, unknown fields
// refused, protoc-gen-validate rules checked.
func envoyRegion(n *yaml.Node, md protoreflect.MessageDescriptor, path string) region {
	return region{node: n, desc: md, path: path, validate: true, refuses: envoyRefuses, pgvRefuses: envoyRefuses}
}

var (
	bootstrapDesc = (&bootstrapv3.Bootstrap{}).ProtoReflect().Descriptor()
	anyDesc       = (&anypb.Any{}).ProtoReflect().Descriptor()
)

// envoyTypedProblems decodes an Envoy YAML document: as a Bootstrap when it
// is one (static_resources, dynamic_resources, admin or node at the top),
// else each outermost object with an @type (a typed_config, an xDS
// resource) as the message it names.
func envoyTypedProblems(root *yaml.Node, prefix string) []problem {
	if isBootstrap(root) {
		return decodeRegion(envoyRegion(root, bootstrapDesc, prefix))
	}
	var out []problem
	for _, t := range outermostTyped(root, prefix, nil, 0) {
		out = append(out, decodeRegion(envoyRegion(t.node, anyDesc, t.path))...)
	}
	return out
}

func isBootstrap(root *yaml.Node) bool {
	for _, k := range []string{"static_resources", "staticResources", "dynamic_resources", "dynamicResources", "admin", "node"} {
		if mapGet(root, k) != nil {
			return mapGet(root, "@type") == nil
		}
	}
	return false
}

type typedAt struct {
	node *yaml.Node
	path string
}

// outermostTyped lists the mappings with an @type under n that no other
// such mapping holds.
func outermostTyped(n *yaml.Node, at string, out []typedAt, depth int) []typedAt {
	if n == nil || depth > maxTypedDepth {
		return out
	}
	switch n.Kind {
	case yaml.MappingNode:
		if mapGet(n, "@type") != nil {
			return append(out, typedAt{n, at})
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			out = outermostTyped(n.Content[i+1], at+"."+n.Content[i].Value, out, depth+1)
		}
	case yaml.SequenceNode:
		for i, e := range n.Content {
			out = outermostTyped(e, at+"["+strconv.Itoa(i)+"]", out, depth+1)
		}
	}
	return out
}

// envoyPatchTypes is the Envoy message an EnvoyFilter patch value is, by
// applyTo (istio/istio pkg/config/xds BuildXDSObjectFromStruct).
var envoyPatchTypes = map[string]protoreflect.MessageDescriptor{
	"CLUSTER":             (&clusterv3.Cluster{}).ProtoReflect().Descriptor(),
	"LISTENER":            (&listenerv3.Listener{}).ProtoReflect().Descriptor(),
	"ROUTE_CONFIGURATION": (&routev3.RouteConfiguration{}).ProtoReflect().Descriptor(),
	"FILTER_CHAIN":        (&listenerv3.FilterChain{}).ProtoReflect().Descriptor(),
	"HTTP_FILTER":         (&hcmv3.HttpFilter{}).ProtoReflect().Descriptor(),
	"NETWORK_FILTER":      (&listenerv3.Filter{}).ProtoReflect().Descriptor(),
	"VIRTUAL_HOST":        (&routev3.VirtualHost{}).ProtoReflect().Descriptor(),
	"HTTP_ROUTE":          (&routev3.Route{}).ProtoReflect().Descriptor(),
	"EXTENSION_CONFIG":    (&corev3.TypedExtensionConfig{}).ProtoReflect().Descriptor(),
	"BOOTSTRAP":           bootstrapDesc,
	"LISTENER_FILTER":     (&listenerv3.ListenerFilter{}).ProtoReflect().Descriptor(),
}
