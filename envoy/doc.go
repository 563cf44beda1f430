// Package envoy holds the deployment manifests shipped with audguard: an
// Envoy bootstrap (envoy.yaml), a demo plugin configuration
// (demo-config.json), Istio manifests (istio/) and a Kong example (kong/).
// It has no code; its tests parse every manifest with Envoy's own protobuf
// schema (go-control-plane) and the plugin's config loader, so a misspelt
// field or a configuration the plugin would refuse fails `make test` rather
// than a proxy at start.
package envoy
