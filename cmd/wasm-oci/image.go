package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// PluginFile is the name the Wasm image "compat" variant requires for the
// module inside the layer (solo-io/wasm spec-compat.md, as implemented by
// Istio's image fetcher: it extracts the file plugin.wasm from the layer).
const PluginFile = "plugin.wasm"

// wasmMagic is the Wasm binary module preamble ("\0asm", WebAssembly Core §5.5.16).
var wasmMagic = []byte{0x00, 'a', 's', 'm'}

// Sentinel errors, usable with errors.Is.
var (
	// ErrNotWasm: the input does not start with the Wasm binary magic.
	ErrNotWasm = errors.New("wasm-oci: input is not a WebAssembly binary module")
	// ErrTooLarge: the input is larger than MaxWasmBytes.
	ErrTooLarge = errors.New("wasm-oci: input is larger than the allowed maximum")
)

// MaxWasmBytes bounds the module size accepted (Istio's default fetch limit is 256 MiB;
// a proxy-wasm filter is a few MiB).
const MaxWasmBytes = 256 << 20

// epoch is the fixed timestamp used everywhere so the image digest depends
// only on the module bytes (reproducible builds; the digest is what Istio's
// WasmPlugin.spec.sha256 pins).
var epoch = time.Unix(0, 0).UTC()

// DefaultSource is the default org.opencontainers.image.source: the
// repository of the module path github.com/audguard/audguard. A fork
// publishing its own image sets -source (make oci OCI_SOURCE=...).
const DefaultSource = "https://github.com/audguard/audguard"

// Meta is what the image manifest's annotations say about the module (OCI
// image spec, annotations.md). Empty fields are left out. There is
// deliberately no org.opencontainers.image.created: the digest depends only
// on the module bytes and these values.
type Meta struct {
	Version  string // org.opencontainers.image.version: `git describe --tags --always --dirty`
	Revision string // org.opencontainers.image.revision: the commit
	Source   string // org.opencontainers.image.source: the repository URL
}

// OCI pre-defined annotation keys (image spec, annotations.md).
const (
	versionAnnotation  = "org.opencontainers.image.version"
	revisionAnnotation = "org.opencontainers.image.revision"
	sourceAnnotation   = "org.opencontainers.image.source"
)

func (m Meta) annotations() map[string]string {
	ann := map[string]string{}
	for k, v := range map[string]string{versionAnnotation: m.Version, revisionAnnotation: m.Revision, sourceAnnotation: m.Source} {
		if v != "" {
			ann[k] = v
		}
	}
	return ann
}

// Build returns an OCI image in the Wasm image spec "compat" variant: an OCI
// manifest (application/vnd.oci.image.manifest.v1+json) with an OCI config
// and exactly one layer of media type application/vnd.oci.image.layer.v1.tar+gzip
// whose only entry is plugin.wasm at the root, holding wasm byte for byte.
// Istio (oci:// URLs in WasmPlugin) and Envoy Gateway accept this variant.
// The manifest carries meta's annotations.
func Build(wasm []byte, meta Meta) (v1.Image, error) {
	if len(wasm) > MaxWasmBytes {
		return nil, ErrTooLarge
	}
	if !bytes.HasPrefix(wasm, wasmMagic) {
		return nil, ErrNotWasm
	}
	layerBytes, err := layerTarGz(wasm)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerBytes)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("wasm-oci: layer: %w", err)
	}

	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:       layer,
		Annotations: map[string]string{"org.opencontainers.image.title": PluginFile},
		History:     v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "audguard wasm-oci", Comment: "proxy-wasm module"},
	})
	if err != nil {
		return nil, fmt.Errorf("wasm-oci: append layer: %w", err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("wasm-oci: config: %w", err)
	}
	cfg = cfg.DeepCopy()
	cfg.Created = v1.Time{Time: epoch}
	cfg.Architecture = "wasm"
	cfg.OS = "wasip1"
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, fmt.Errorf("wasm-oci: config: %w", err)
	}
	if ann := meta.annotations(); len(ann) != 0 {
		img = mutate.Annotations(img, ann).(v1.Image)
	}
	return img, nil
}

// layerTarGz returns a deterministic gzip-compressed tar holding one regular
// file, plugin.wasm, mode 0644, owned by 0:0, mtime zero.
func layerTarGz(wasm []byte) ([]byte, error) {
	var buf bytes.Buffer
	gz, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(gz)
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     PluginFile,
		Mode:     0o644,
		Size:     int64(len(wasm)),
		ModTime:  epoch,
		Format:   tar.FormatUSTAR,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, fmt.Errorf("wasm-oci: tar header: %w", err)
	}
	if _, err := tw.Write(wasm); err != nil {
		return nil, fmt.Errorf("wasm-oci: tar body: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("wasm-oci: tar close: %w", err)
	}
	if err := gz.Close(); err != nil {
		return nil, fmt.Errorf("wasm-oci: gzip close: %w", err)
	}
	return buf.Bytes(), nil
}
