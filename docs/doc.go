// Package docs holds the operator documentation (configuration, request
// flow, responses, metrics, troubleshooting, rollout, upgrading) and the
// JSON Schema of the plugin configuration, audguard.schema.json. It has no
// code; its tests keep the documents true to the code: the schema's keys
// are config.Keys(), the loader and the schema agree on a table of
// configurations, every shipped example validates, the responses table is
// generated from filter/policy's reason table (go test ./docs -update), every
// reason, counter and key is documented, and every relative link resolves.
package docs
