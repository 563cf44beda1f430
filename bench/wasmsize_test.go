package bench

import (
	"encoding/binary"
	"errors"
	"os"
	"sort"
	"strings"
	"testing"
)

// moduleSize is a Wasm module's code broken down by Go package: the size of
// each function body (code section, WebAssembly Core §5.5.13) summed by the
// package its name (name section, §7.4) belongs to, plus the data section.
type moduleSize struct {
	file, code, data int
	byPackage        map[string]int
}

// sizeOfModule reads bin's sections. Function names are Go symbols with the
// package path's "/" and "." written as "_" (github.com_x_y.Func), so the
// package is what precedes the first "." after the path's last component.
func sizeOfModule(bin []byte) (moduleSize, error) {
	ms := moduleSize{file: len(bin), byPackage: map[string]int{}}
	if len(bin) < 8 || string(bin[:4]) != "\x00asm" {
		return ms, errors.New("not a Wasm module")
	}
	var imports int
	var bodies []int
	names := map[int]string{}
	r := wasmReader{b: bin, i: 8}
	for r.more() {
		id := r.byte()
		sec := wasmReader{b: r.bytes(r.uint())}
		switch id {
		case 2: // imports: count the imported functions, which come first in the index space
			for n := sec.uint(); n > 0 && sec.err == nil; n-- {
				sec.bytes(sec.uint())
				sec.bytes(sec.uint())
				switch sec.byte() {
				case 0:
					sec.uint()
					imports++
				case 1:
					sec.byte()
					sec.limits()
				case 2:
					sec.limits()
				case 3:
					sec.byte()
					sec.byte()
				}
			}
		case 10: // code
			for n := sec.uint(); n > 0 && sec.err == nil; n-- {
				size := sec.uint()
				sec.bytes(size)
				bodies = append(bodies, size)
			}
		case 11: // data
			ms.data = len(sec.b)
		case 0: // custom: the "name" section's function names
			if string(sec.bytes(sec.uint())) != "name" {
				continue
			}
			for sec.more() && sec.err == nil {
				sub := sec.byte()
				body := wasmReader{b: sec.bytes(sec.uint())}
				if sub != 1 {
					continue
				}
				for n := body.uint(); n > 0 && body.err == nil; n-- {
					idx := body.uint()
					names[idx] = string(body.bytes(body.uint()))
				}
			}
		}
		if sec.err != nil {
			return ms, sec.err
		}
	}
	if r.err != nil {
		return ms, r.err
	}
	for i, size := range bodies {
		ms.byPackage[goPackage(names[imports+i])] += size
		ms.code += size
	}
	return ms, nil
}

// goPackage returns the package part of a Go function symbol as the Wasm
// name section spells it.
func goPackage(sym string) string {
	if sym == "" {
		return "(unnamed)"
	}
	start := 0
	if strings.HasPrefix(sym, "github.com") || strings.HasPrefix(sym, "golang.org") {
		start = len("github.com")
	}
	if i := strings.LastIndexByte(sym, '/'); i >= start {
		start = i + 1
	}
	if i := strings.IndexByte(sym[start:], '.'); i >= 0 {
		return sym[:start+i]
	}
	return sym
}

// top returns the n largest packages, largest first.
func (ms moduleSize) top(n int) []string {
	var pkgs []string
	for p := range ms.byPackage {
		pkgs = append(pkgs, p)
	}
	sort.Slice(pkgs, func(i, j int) bool {
		if ms.byPackage[pkgs[i]] != ms.byPackage[pkgs[j]] {
			return ms.byPackage[pkgs[i]] > ms.byPackage[pkgs[j]]
		}
		return pkgs[i] < pkgs[j]
	})
	return pkgs[:min(n, len(pkgs))]
}

type wasmReader struct {
	b   []byte
	i   int
	err error
}

func (r *wasmReader) more() bool { return r.err == nil && r.i < len(r.b) }

func (r *wasmReader) byte() byte {
	if r.err != nil || r.i >= len(r.b) {
		r.fail()
		return 0
	}
	r.i++
	return r.b[r.i-1]
}

func (r *wasmReader) uint() int {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.i:])
	if n <= 0 || v > uint64(len(r.b)) && v > 1<<32 {
		r.fail()
		return 0
	}
	r.i += n
	return int(v)
}

func (r *wasmReader) bytes(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b)-r.i {
		r.fail()
		return nil
	}
	r.i += n
	return r.b[r.i-n : r.i]
}

func (r *wasmReader) limits() {
	if r.byte()&1 != 0 {
		r.uint()
	}
	r.uint()
}

func (r *wasmReader) fail() {
	if r.err == nil {
		r.err = errors.New("truncated Wasm module")
	}
}

// TestModuleSizeByPackage reads the do-nothing plugin's module: its code
// sums to the code section, the Go runtime and the SDK are among its
// packages, and a truncated module is an error rather than a guess.
func TestModuleSizeByPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Wasm module; skipped with -short")
	}
	path, err := buildWasm("./bench/testdata/noop", false)
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := sizeOfModule(bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, v := range ms.byPackage {
		sum += v
	}
	if sum != ms.code || ms.code == 0 || ms.data == 0 || ms.code+ms.data > ms.file {
		t.Fatalf("file %d, code %d (packages sum to %d), data %d", ms.file, ms.code, sum, ms.data)
	}
	for _, want := range []string{"runtime", "github.com_proxy_wasm_proxy_wasm_go_sdk_proxywasm_internal"} {
		if ms.byPackage[want] == 0 {
			t.Errorf("package %s not found among %v", want, ms.top(10))
		}
	}
	if _, err := sizeOfModule(bin[:len(bin)/2]); err == nil {
		t.Error("a truncated module was read without an error")
	}
}

func TestGoPackage(t *testing.T) {
	for sym, want := range map[string]string{
		"runtime.mallocgc":                                            "runtime",
		"encoding_json.(*decodeState).object":                         "encoding_json",
		"github.com_audguard_audguard_filter_policy.(*Engine).Decide": "github.com_audguard_audguard_filter_policy",
		"crypto_internal_fips140_rsa.VerifyPKCS1v15":                  "crypto_internal_fips140_rsa",
		"type:.eq.main.x":                                             "type:",
		"":                                                            "(unnamed)",
	} {
		if got := goPackage(sym); got != want {
			t.Errorf("goPackage(%q) = %q, want %q", sym, got, want)
		}
	}
}
