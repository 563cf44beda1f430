// Command demo is `make demo`, the README's "try it": it runs the compiled
// filter in-process (wazero, proxy-wasm host emulator) with a configuration
// and prints how it answers a script of requests. See package internal/demo.
//
//	go run ./cmd/audguard/demo --wasm build/audguard.wasm --config envoy/demo-config.json --keys e2e/keys
//
// It is a separate command so the audguard CLI does not link wazero.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/audguard/audguard/internal/demo"
)

func main() {
	var o demo.Options
	flag.StringVar(&o.WasmPath, "wasm", "build/audguard.wasm", "compiled filter (make build)")
	flag.StringVar(&o.ConfigPath, "config", "envoy/demo-config.json", "plugin configuration JSON")
	flag.StringVar(&o.KeysDir, "keys", "e2e/keys", "directory with the TEST-ONLY signing keys")
	flag.Parse()
	rows, err := demo.Run(os.Stdout, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for _, r := range rows {
		if !r.Expected {
			os.Exit(1)
		}
	}
}
