package envoy

import (
	"fmt"
	"os"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/anypb"
	"sigs.k8s.io/yaml"

	// Every extension a shipped manifest names in a typed_config must be
	// registered, or protojson cannot resolve the Any and the test fails.
	_ "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/wasm/v3"
)

// strictJSON refuses unknown fields (a misspelt key fails) and resolves
// typed_config Anys through the global registry filled by the imports above.
var strictJSON = protojson.UnmarshalOptions{DiscardUnknown: false}

// yamlToProto parses YAML (Envoy's own YAML→JSON→proto path) into m.
func yamlToProto(data []byte, m proto.Message) error {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return fmt.Errorf("yaml: %w", err)
	}
	return strictJSON.Unmarshal(js, m)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type validator interface{ ValidateAll() error }

// walk visits m and every message below it, unpacking each google.protobuf.Any
// into its concrete type (an unregistered type is an error) and visiting that
// too. visit sees every message; Anys are reported as their unpacked content.
func walk(m protoreflect.Message, visit func(protoreflect.Message) error) error {
	if m.Descriptor().FullName() == "google.protobuf.Any" {
		inner, err := anypb.UnmarshalNew(m.Interface().(*anypb.Any), proto.UnmarshalOptions{})
		if err != nil {
			return fmt.Errorf("typed_config %s: %w", m.Interface().(*anypb.Any).GetTypeUrl(), err)
		}
		return walk(inner.ProtoReflect(), visit)
	}
	if err := visit(m); err != nil {
		return err
	}
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				err = walk(mv.Message(), visit)
				return err == nil
			})
		case fd.IsList() && fd.Message() != nil:
			for i := 0; i < v.List().Len() && err == nil; i++ {
				err = walk(v.List().Get(i).Message(), visit)
			}
		case !fd.IsMap() && !fd.IsList() && fd.Message() != nil:
			err = walk(v.Message(), visit)
		}
		return err == nil
	})
	return err
}

// validateTree runs the protoc-gen-validate rules (ValidateAll) on m and on the
// content of every Any inside it (PGV does not look inside Anys), and refuses
// any field marked deprecated in Envoy's API (e.g. wasm fail_open).
func validateTree(m proto.Message) error {
	return walk(m.ProtoReflect(), func(msg protoreflect.Message) error {
		var derr error
		msg.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
			if opts, ok := fd.Options().(*descriptorpb.FieldOptions); ok && opts.GetDeprecated() {
				derr = fmt.Errorf("%s: deprecated field %s is set", msg.Descriptor().FullName(), fd.Name())
			}
			return derr == nil
		})
		if derr != nil {
			return derr
		}
		// ValidateAll recurses into ordinary sub-messages itself; calling it on
		// each one again is cheap here and keeps walk simple.
		if v, ok := msg.Interface().(validator); ok {
			if err := v.ValidateAll(); err != nil {
				return fmt.Errorf("%s: %w", msg.Descriptor().FullName(), err)
			}
		}
		return nil
	})
}

// collect returns every message of type T found in m, Anys unpacked.
func collect[T proto.Message](t *testing.T, m proto.Message) []T {
	t.Helper()
	var out []T
	err := walk(m.ProtoReflect(), func(msg protoreflect.Message) error {
		if v, ok := msg.Interface().(T); ok {
			out = append(out, v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
