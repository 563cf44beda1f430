package bench

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
)

// moduleSize is a Wasm module's code broken down by Go package: the size of
// each function body (code section, WebAssembly Core §5.5.13) summed by the
// package its name (name section, §7.4) belongs to, plus the data section.
type moduleSize struct {
	file, code, data int
	byPackage        map[string]int
	// names is the custom "name" section (function names; -ldflags=-s
	// drops it), other every other section but code and data, with their
	// headers: types, imports, exports, the function and element sections,
	// go:buildid and producers.
	names, other int
	// codeSection and dataSection are those sections whole, headers and
	// length prefixes included.
	codeSection, dataSection int
	// dataParts is the data section (§5.5.14) by what the Go linker put
	// there, from the runtime's own description of the module
	// (runtime.firstmoduledata and the pclntab header, which the data
	// section holds); nil when that description was not found.
	dataParts map[string]int
	segments  []dataSegment
}

// dataSegment is one active data segment: its bytes are copied to linear
// memory at off when the module is instantiated.
type dataSegment struct {
	off    int
	header int // bytes of the segment's own encoding before its data
	data   []byte
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
		start := r.i
		id := r.byte()
		sec := wasmReader{b: r.bytes(r.uint())}
		whole := r.i - start
		switch id {
		case 10:
			ms.codeSection = whole
		case 11:
			ms.dataSection = whole
		case 0:
			if name := (&wasmReader{b: sec.b}).name(); name == "name" {
				ms.names += whole
			} else {
				ms.other += whole
			}
		default:
			ms.other += whole
		}
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
			ms.segments = readSegments(&sec)
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
	ms.dataParts = splitData(ms.data, ms.segments)
	return ms, nil
}

// readSegments reads the data section's active segments (memory 0, offset an
// i32.const), the only kind the Go linker writes.
func readSegments(sec *wasmReader) []dataSegment {
	var segs []dataSegment
	for n := sec.uint(); n > 0 && sec.err == nil; n-- {
		start := sec.i
		if sec.uint() != 0 || sec.byte() != 0x41 { // memory 0, i32.const
			sec.fail()
			break
		}
		off := sec.sint()
		if sec.byte() != 0x0b { // end
			sec.fail()
			break
		}
		size := sec.uint()
		header := sec.i - start
		segs = append(segs, dataSegment{off: off, header: header, data: sec.bytes(size)})
	}
	return segs
}

// The parts of the data section, in the order they are printed.
const (
	dataRodata    = "rodata: type descriptors, string literals, read-only tables"
	dataFuncNames = "pclntab: function names"
	dataPCTab     = "pclntab: pc-value tables (stack size, file:line, inlining)"
	dataFuncTab   = "pclntab: function table (one _func a function)"
	dataFileTab   = "pclntab: file and compilation-unit tables"
	dataFuncData  = "pclntab: funcdata (stack maps, inline trees, argument info)"
	dataLinks     = "typelinks, itablinks, module data"
	dataNoPtr     = "noptrdata: initialised variables without pointers"
	dataPtr       = "data: initialised variables with pointers"
	dataHeaders   = "segment headers (one per run of non-zero bytes)"
	dataOther     = "other"
)

var dataOrder = []string{dataRodata, dataFuncNames, dataPCTab, dataFuncTab, dataFileTab, dataFuncData,
	dataLinks, dataNoPtr, dataPtr, dataHeaders, dataOther}

// splitData attributes each byte of the data section to the part of the
// Go module's memory image it initialises. The boundaries come from
// runtime.firstmoduledata (runtime/symtab.go, Go 1.26 layout), found as the
// word that points at the pclntab header (magic 0xfffffff1) and is followed
// by the pointer to its function-name table; any inconsistency returns nil
// rather than a guess. Zero runs are not in the section (the linker leaves
// them out), so they cost nothing but a segment header.
func splitData(size int, segs []dataSegment) map[string]int {
	if len(segs) == 0 {
		return nil
	}
	// The memory image the segments initialise, zero runs included (the
	// linker writes .rodata, .typelink, .itablink, the module data,
	// .gopclntab, .noptrdata and .data in that order, which is not their
	// order in memory, and a segment may start inside a word).
	base, end := segs[0].off, 0
	for _, sg := range segs {
		base, end = min(base, sg.off), max(end, sg.off+len(sg.data))
	}
	if base < 0 || end-base > 1<<30 {
		return nil
	}
	base &^= 7
	mem := make([]byte, end-base+8)
	for _, sg := range segs {
		copy(mem[sg.off-base:], sg.data)
	}
	word := func(addr int) (int, bool) {
		if addr < base || addr+8 > end {
			return 0, false
		}
		v := binary.LittleEndian.Uint64(mem[addr-base:])
		return int(v), v < 1<<40
	}
	header := -1
	for a := base; a+8 <= end; a += 8 {
		b := mem[a-base:]
		if binary.LittleEndian.Uint32(b) == 0xfffffff1 && b[4] == 0 && b[5] == 0 && b[7] == 8 {
			if header >= 0 {
				return nil // two candidates
			}
			header = a
		}
	}
	if header < 0 {
		return nil
	}
	var off [5]int // funcnameOffset, cuOffset, filetabOffset, pctabOffset, pclnOffset
	for i := range off {
		v, ok := word(header + 32 + 8*i)
		if !ok {
			return nil
		}
		off[i] = v
	}
	md := -1
	for a := base; a+16 <= end && md < 0; a += 8 {
		if p, _ := word(a); p == header {
			if q, _ := word(a + 8); q == header+off[0] {
				md = a
			}
		}
	}
	if md < 0 {
		return nil
	}
	// Words of runtime.moduledata (Go 1.26): slices are (ptr, len, cap).
	const (
		mdFuncnametab = 1
		mdCutab       = 4
		mdFiletab     = 7
		mdPctab       = 10
		mdPclntable   = 13
		mdNoptrdata   = 24
		mdEnoptrdata  = 25
		mdData        = 26
		mdEdata       = 27
		mdTypes       = 37
		mdEtypes      = 38
		mdGofunc      = 40
		mdEpclntab    = 41
	)
	var w [42]int
	for i := range w {
		v, ok := word(md + 8*i)
		if !ok {
			return nil
		}
		w[i] = v
	}
	type span struct {
		lo, hi int
		part   string
	}
	spans := []span{
		{w[mdTypes], w[mdEtypes], dataRodata},
		{header, w[mdFuncnametab], dataFuncTab}, // the pclntab header itself
		{w[mdFuncnametab], w[mdFuncnametab] + w[mdFuncnametab+1], dataFuncNames},
		{w[mdCutab], w[mdCutab] + 4*w[mdCutab+1], dataFileTab},
		{w[mdFiletab], w[mdFiletab] + w[mdFiletab+1], dataFileTab},
		{w[mdPctab], w[mdPctab] + w[mdPctab+1], dataPCTab},
		{w[mdPclntable], w[mdGofunc], dataFuncTab},
		{w[mdGofunc], w[mdEpclntab], dataFuncData},
		{w[mdEpclntab], w[mdNoptrdata], dataLinks},
		{w[mdNoptrdata], w[mdEnoptrdata], dataNoPtr},
		{w[mdData], w[mdEdata], dataPtr},
	}
	if w[mdFuncnametab] != header+off[0] || w[mdCutab] != header+off[1] || w[mdFiletab] != header+off[2] ||
		w[mdPctab] != header+off[3] || w[mdPclntable] != header+off[4] {
		return nil
	}
	for i, sp := range spans {
		if sp.lo > sp.hi || i > 0 && sp.lo < spans[i-1].lo {
			return nil
		}
	}
	parts := map[string]int{dataHeaders: size} // less the segments' data below: headers and the segment count
	for _, sg := range segs {
		parts[dataHeaders] -= len(sg.data)
		parts[dataOther] += len(sg.data)
		for _, sp := range spans {
			if lo, hi := max(sp.lo, sg.off), min(sp.hi, sg.off+len(sg.data)); lo < hi {
				parts[sp.part] += hi - lo
				parts[dataOther] -= hi - lo
			}
		}
	}
	return parts
}

// goPackage returns the package part of a Go function symbol as the Wasm
// name section spells it.
func goPackage(sym string) string {
	switch {
	case sym == "":
		return "(unnamed)"
	case !strings.Contains(sym, "."):
		// Not a Go symbol: the module's exports written by //go:wasmexport
		// (proxy_on_*, proxy_abi_version_*) or the runtime's assembly
		// (wasm_pc_f_loop, gcWriteBarrier, memcmp, …).
		if strings.HasPrefix(sym, "proxy_") {
			return "(proxy-wasm exports)"
		}
		return "(runtime assembly)"
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

// The groups of code the size report prints, in order; audguard's own
// packages come between the SDK and the third-party code, one row each.
const (
	groupRuntime  = "Go runtime (runtime, internal/runtime, sync, syscall, os, internal/godebug, …)"
	groupTypeFn   = "compiler-generated type:.eq/.hash functions"
	groupSDK      = "proxy-wasm Go SDK (proxywasm, proxy_on_* exports)"
	groupCrypto   = "standard-library crypto, math/big, encoding/asn1, x/crypto"
	groupFmt      = "fmt, reflect, internal/fmtsort, internal/reflectlite"
	groupStd      = "other standard library (strconv, strings, unicode, slices, sort, time, net/netip, …)"
	groupThird    = "third-party (github.com/buger/jsonparser)"
	groupOwnMain  = "package main (the plugin itself)"
	ownPkgPrefix  = "github.com_audguard_audguard_"
	ownGroupLabel = "audguard "
)

// codeGroup is the group of the size report a package (as goPackage spells
// it) belongs to.
func codeGroup(pkg string) string {
	has := func(prefixes ...string) bool {
		for _, p := range prefixes {
			if pkg == p || strings.HasPrefix(pkg, p+"_") {
				return true
			}
		}
		return false
	}
	switch {
	case strings.HasPrefix(pkg, ownPkgPrefix):
		return ownGroupLabel + strings.ReplaceAll(strings.TrimPrefix(pkg, ownPkgPrefix), "_", "/")
	case pkg == "main":
		return groupOwnMain
	case strings.HasPrefix(pkg, "github.com_proxy_wasm_") || pkg == "(proxy-wasm exports)":
		return groupSDK
	case strings.HasPrefix(pkg, "github.com_") || strings.HasPrefix(pkg, "golang.org_"):
		return groupThird
	case pkg == "type:" || pkg == "type_":
		return groupTypeFn
	case has("crypto", "math_big", "math_rand", "encoding_asn1", "vendor_golang"):
		return groupCrypto
	case has("fmt", "reflect", "internal_fmtsort", "internal_reflectlite"):
		return groupFmt
	case has("runtime", "internal_runtime", "internal_abi", "internal_cpu", "internal_bytealg", "internal_chacha8rand",
		"internal_godebug", "internal_godebugs", "internal_bisect", "internal_sync", "internal_poll", "internal_syscall",
		"internal_stringslite", "internal_itoa", "internal_race", "internal_asan", "internal_msan", "internal_goarch",
		"internal_goos", "internal_byteorder", "internal_filepathlite", "internal_oserror", "internal_testlog",
		"sync", "syscall", "os", "io_fs", "(runtime assembly)"):
		return groupRuntime
	}
	return groupStd
}

// groups sums the module's code by codeGroup.
func (ms moduleSize) groups() map[string]int {
	g := map[string]int{}
	for pkg, n := range ms.byPackage {
		g[codeGroup(pkg)] += n
	}
	return g
}

// sizeRows returns the grouped table's rows for mods: the code groups
// (audguard's own packages one row each), then the data section's parts,
// the name section and the rest, so that each column sums to the file size.
func sizeRows(mods []moduleSize) (labels []string, values [][]int) {
	add := func(label string, get func(moduleSize) int) {
		row := make([]int, len(mods))
		for i, ms := range mods {
			row[i] = get(ms)
		}
		labels, values = append(labels, label), append(values, row)
	}
	seen := map[string]bool{}
	var own []string
	for _, ms := range mods {
		for g := range ms.groups() {
			if strings.HasPrefix(g, ownGroupLabel) && !seen[g] {
				seen[g] = true
				own = append(own, g)
			}
		}
	}
	sort.Strings(own)
	order := []string{groupRuntime, groupTypeFn, groupSDK, groupCrypto, groupFmt, groupStd, groupThird}
	order = append(append(order, own...), groupOwnMain)
	for _, g := range order {
		add("code: "+g, func(ms moduleSize) int { return ms.groups()[g] })
	}
	add("code section framing (each body's length)", func(ms moduleSize) int { return ms.codeSection - ms.code })
	for _, part := range dataOrder {
		add("data: "+part, func(ms moduleSize) int {
			if ms.dataParts == nil {
				if part == dataOther {
					return ms.data
				}
				return 0
			}
			return ms.dataParts[part]
		})
	}
	add("name section (function names; -ldflags=-s drops it)", func(ms moduleSize) int { return ms.names })
	add("other sections (types, imports, exports, functions, elements, build ID, producers) and headers", func(ms moduleSize) int {
		return ms.file - ms.codeSection - ms.data - ms.names // the rest: ms.other, the data section's header, the preamble
	})
	return labels, values
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

// sint reads a signed LEB128 number (an i32.const operand).
func (r *wasmReader) sint() int {
	var v int64
	var shift uint
	for {
		c := r.byte()
		if r.err != nil || shift > 35 {
			r.fail()
			return 0
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if c&0x40 != 0 {
				v |= -1 << shift
			}
			return int(v)
		}
	}
}

// name reads a length-prefixed name, such as a custom section's.
func (r *wasmReader) name() string { return string(r.bytes(r.uint())) }

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
	if ms.dataParts == nil {
		t.Fatal("the data section was not broken down: runtime.firstmoduledata or the pclntab header not found")
	}
	for _, part := range []string{dataRodata, dataFuncNames, dataPCTab, dataFuncTab, dataFuncData, dataNoPtr, dataPtr, dataHeaders} {
		if ms.dataParts[part] <= 0 {
			t.Errorf("data part %q is %d bytes", part, ms.dataParts[part])
		}
	}
	if ms.dataParts[dataOther] > ms.data/100 {
		t.Errorf("%d of %d data bytes are not attributed", ms.dataParts[dataOther], ms.data)
	}
	labels, values := sizeRows([]moduleSize{ms})
	sum = 0
	for i := range labels {
		sum += values[i][0]
	}
	if sum != ms.file {
		t.Errorf("the rows of the size table sum to %d, the file is %d bytes", sum, ms.file)
	}
	var out strings.Builder
	writeSizeTable(func(f string, a ...any) { out.WriteString(fmt.Sprintf(f, a...) + "\n") }, []string{"noop"}, []moduleSize{ms})
	t.Logf("noop:\n%s", out.String())
	if _, err := sizeOfModule(bin[:len(bin)/2]); err == nil {
		t.Error("a truncated module was read without an error")
	}
}

func TestCodeGroup(t *testing.T) {
	for pkg, want := range map[string]string{
		"runtime":               groupRuntime,
		"internal_runtime_maps": groupRuntime,
		"(runtime assembly)":    groupRuntime,
		"type_":                 groupTypeFn,
		"(proxy-wasm exports)":  groupSDK,
		"github.com_proxy_wasm_proxy_wasm_go_sdk_proxywasm": groupSDK,
		"crypto_internal_fips140_nistec_fiat":               groupCrypto,
		"math_big":                                          groupCrypto,
		"vendor_golang":                                     groupCrypto,
		"fmt":                                               groupFmt,
		"internal_reflectlite":                              groupFmt,
		"strconv":                                           groupStd,
		"net_netip":                                         groupStd,
		"github.com_buger_jsonparser":                       groupThird,
		"github.com_audguard_audguard_filter_config": "audguard filter/config",
		"main": groupOwnMain,
	} {
		if got := codeGroup(pkg); got != want {
			t.Errorf("codeGroup(%q) = %q, want %q", pkg, got, want)
		}
	}
}

func TestGoPackage(t *testing.T) {
	for sym, want := range map[string]string{
		"runtime.mallocgc":                                            "runtime",
		"encoding_json.(*decodeState).object":                         "encoding_json",
		"github.com_audguard_audguard_filter_policy.(*Engine).Decide": "github.com_audguard_audguard_filter_policy",
		"crypto_internal_fips140_rsa.VerifyPKCS1v15":                  "crypto_internal_fips140_rsa",
		"type:.eq.main.x":                                             "type:",
		"wasm_pc_f_loop":                                              "(runtime assembly)",
		"proxy_on_request_headers":                                    "(proxy-wasm exports)",
		"":                                                            "(unnamed)",
	} {
		if got := goPackage(sym); got != want {
			t.Errorf("goPackage(%q) = %q, want %q", sym, got, want)
		}
	}
}

// compileTime is how long wazero's optimizing compiler (the runtime the
// benchmarks run in) takes to compile bin, the fastest of rounds: the work a
// host that compiles ahead of time repeats for every VM it creates, one per
// worker thread in Envoy. Each round uses a fresh runtime, so nothing is
// cached between rounds.
func compileTime(bin []byte, rounds int) (time.Duration, error) {
	ctx := context.Background()
	var best time.Duration
	for range max(1, rounds) {
		rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
		start := time.Now()
		m, err := rt.CompileModule(ctx, bin)
		d := time.Since(start)
		if err == nil {
			err = m.Close(ctx)
		}
		if cerr := rt.Close(ctx); err == nil {
			err = cerr
		}
		if err != nil {
			return 0, err
		}
		if best == 0 || d < best {
			best = d
		}
	}
	return best, nil
}

// writeSizeTable prints the grouped table of mods (named names) with bytes
// and MB (10^6 bytes) per module, and the first module's difference from the
// second.
func writeSizeTable(p func(string, ...any), names []string, mods []moduleSize) {
	head, rule := "| part |", "|---|"
	for _, n := range names {
		head += " " + n + " | MB |"
		rule += "---|---|"
	}
	if len(names) > 1 {
		head += " " + names[0] + " − " + names[1] + " |"
		rule += "---|"
	}
	p("%s", head)
	p("%s", rule)
	labels, values := sizeRows(mods)
	row := func(label string, v []int) {
		line := "| " + label + " |"
		for _, n := range v {
			line += " " + strconv.Itoa(n) + " | " + strconv.FormatFloat(float64(n)/1e6, 'f', 3, 64) + " |"
		}
		if len(v) > 1 {
			line += " " + signed(v[0]-v[1]) + " |"
		}
		p("%s", line)
	}
	for i, label := range labels {
		zero := true
		for _, n := range values[i] {
			zero = zero && n == 0
		}
		if !zero {
			row(label, values[i])
		}
	}
	file := make([]int, len(mods))
	for i, ms := range mods {
		file[i] = ms.file
	}
	row("**file**", file)
}

func signed(n int) string {
	if n >= 0 {
		return "+" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
