// Command wasm-oci packages a proxy-wasm module as an OCI image that Istio's
// WasmPlugin can pull with an oci:// URL, without Docker.
//
// The image follows the Wasm image spec "compat" variant (solo-io/wasm
// spec-compat.md, the variant Istio's image fetcher documents first): an OCI
// manifest whose single layer, application/vnd.oci.image.layer.v1.tar+gzip,
// holds plugin.wasm at its root. It is written as an OCI image layout
// directory and as a tar of that layout (oci-archive). The manifest digest,
// printed on stdout, is the value for WasmPlugin.spec.sha256: for oci:// URLs
// Istio compares it with the pulled image's manifest digest.
//
// The manifest carries the annotations org.opencontainers.image.version,
// .revision and .source from -version, -revision and -source (make oci passes
// VERSION and REVISION; -source defaults to DefaultSource, the module's
// repository). Nothing depends on the time: the same module and flags always
// give the same digest.
//
// Usage:
//
//	wasm-oci -wasm build/audguard.wasm -layout build/oci -archive build/audguard-oci.tar -ref audguard:dev \
//	         -version v1.2.3 -revision 0123abcd...
//	wasm-oci -wasm build/audguard.wasm -digest -version v1.2.3 -revision 0123abcd...   # print the digest only, write nothing
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	wasmPath := flag.String("wasm", "build/audguard.wasm", "the compiled proxy-wasm module")
	layoutDir := flag.String("layout", "build/oci", "OCI image layout directory to (re)write")
	archive := flag.String("archive", "build/audguard-oci.tar", "tar of the OCI image layout; empty to skip")
	ref := flag.String("ref", "audguard:dev", "org.opencontainers.image.ref.name of the image in the layout")
	digestOnly := flag.Bool("digest", false, "print the manifest digest (hex, as WasmPlugin.spec.sha256 wants it) and write nothing")
	var meta Meta
	flag.StringVar(&meta.Version, "version", "", "org.opencontainers.image.version annotation (make oci: git describe --tags --always --dirty); empty to omit")
	flag.StringVar(&meta.Revision, "revision", "", "org.opencontainers.image.revision annotation (make oci: the commit); empty to omit")
	flag.StringVar(&meta.Source, "source", DefaultSource, "org.opencontainers.image.source annotation, the source repository URL; empty to omit")
	flag.Parse()
	if err := run(*wasmPath, *layoutDir, *archive, *ref, meta, *digestOnly); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(wasmPath, layoutDir, archive, ref string, meta Meta, digestOnly bool) error {
	st, err := os.Stat(wasmPath)
	if err != nil {
		return fmt.Errorf("wasm-oci: %w (run `make build` first)", err)
	}
	if st.Size() > MaxWasmBytes {
		return ErrTooLarge
	}
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		return fmt.Errorf("wasm-oci: %w", err)
	}
	img, err := Build(wasm, meta)
	if err != nil {
		return err
	}
	d, err := img.Digest()
	if err != nil {
		return fmt.Errorf("wasm-oci: digest: %w", err)
	}
	if digestOnly {
		fmt.Println(d.Hex)
		return nil
	}
	if err := WriteLayout(layoutDir, img, ref); err != nil {
		return err
	}
	if archive != "" {
		if err := writeArchiveFile(archive, layoutDir); err != nil {
			return err
		}
	}
	fmt.Printf("wasm-oci: wrote %s (OCI layout, ref %s)", layoutDir, ref)
	if archive != "" {
		fmt.Printf(" and %s (oci-archive)", archive)
	}
	fmt.Printf("\nwasm-oci: manifest digest %s\nwasm-oci: WasmPlugin spec.sha256: %s\n", d, d.Hex)
	return nil
}

func writeArchiveFile(path, layoutDir string) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("wasm-oci: %w", err)
	}
	if err := WriteArchive(f, layoutDir); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("wasm-oci: %w", err)
	}
	return os.Rename(tmp, path)
}
