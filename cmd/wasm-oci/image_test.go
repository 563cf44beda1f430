package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// fakeWasm is a minimal valid module header (magic + version 1) plus bytes
// that would be mangled by any text or line-ending conversion.
var fakeWasm = []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00, '\r', '\n', 0xff, 0x00, 0x1f, 0x8b}

// testMeta is what make oci passes (VERSION, REVISION) and the default source.
var testMeta = Meta{Version: "v1.2.3-4-gabcdef0-dirty", Revision: "abcdef0123456789abcdef0123456789abcdef01", Source: DefaultSource}

func TestBuildRejects(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrNotWasm},
		{"text", []byte("hello"), ErrNotWasm},
		{"gzip", []byte{0x1f, 0x8b, 0x08, 0x00}, ErrNotWasm},
		{"truncated magic", []byte{0x00, 'a', 's'}, ErrNotWasm},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Build(tc.in, Meta{}); !errors.Is(err, tc.want) {
				t.Fatalf("Build(%q) error = %v, want %v", tc.in, err, tc.want)
			}
		})
	}
}

// TestLayoutRoundTrip writes the image to an OCI layout in a temp dir, reads
// it back, and checks the compat-variant shape Istio expects.
func TestLayoutRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "oci")
	img, err := Build(fakeWasm, testMeta)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteLayout(dir, img, "audguard:test"); err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 {
		t.Fatalf("index has %d manifests, want 1", len(im.Manifests))
	}
	desc := im.Manifests[0]
	if desc.MediaType != types.OCIManifestSchema1 {
		t.Errorf("index entry media type %q, want %q", desc.MediaType, types.OCIManifestSchema1)
	}
	if got := desc.Annotations[refNameAnnotation]; got != "audguard:test" {
		t.Errorf("ref name %q", got)
	}
	got, err := idx.Image(desc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	checkImage(t, got)

	want, _ := img.Digest()
	if desc.Digest != want {
		t.Errorf("layout digest %s != built digest %s", desc.Digest, want)
	}
}

func checkImage(t *testing.T, img v1.Image) {
	t.Helper()
	raw, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		SchemaVersion int    `json:"schemaVersion"`
		MediaType     string `json:"mediaType"`
		Config        struct {
			MediaType string `json:"mediaType"`
		} `json:"config"`
		Layers []struct {
			MediaType string `json:"mediaType"`
			Digest    string `json:"digest"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.SchemaVersion != 2 || m.MediaType != "application/vnd.oci.image.manifest.v1+json" {
		t.Errorf("manifest schemaVersion %d mediaType %q", m.SchemaVersion, m.MediaType)
	}
	if m.Config.MediaType != "application/vnd.oci.image.config.v1+json" {
		t.Errorf("config media type %q", m.Config.MediaType)
	}
	if len(m.Layers) != 1 {
		t.Fatalf("%d layers, want exactly 1", len(m.Layers))
	}
	if m.Layers[0].MediaType != "application/vnd.oci.image.layer.v1.tar+gzip" {
		t.Errorf("layer media type %q", m.Layers[0].MediaType)
	}

	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layers[0].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	gz, err := gzip.NewReader(rc)
	if err != nil {
		t.Fatalf("layer is not gzip: %v", err)
	}
	tr := tar.NewReader(gz)
	hdr, err := tr.Next()
	if err != nil {
		t.Fatal(err)
	}
	if hdr.Name != "plugin.wasm" || hdr.Typeflag != tar.TypeReg {
		t.Errorf("layer entry %q type %c, want regular file plugin.wasm", hdr.Name, hdr.Typeflag)
	}
	body, err := io.ReadAll(tr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, fakeWasm) {
		t.Errorf("plugin.wasm bytes differ from the input")
	}
	if _, err := tr.Next(); err != io.EOF {
		t.Errorf("layer has more than one entry (next: %v)", err)
	}
}

// TestReproducible: same bytes, same digest (the digest is what WasmPlugin pins);
// different bytes, different digest.
func TestReproducible(t *testing.T) {
	a, _ := Build(fakeWasm, testMeta)
	b, _ := Build(append([]byte(nil), fakeWasm...), testMeta)
	c, _ := Build(append(append([]byte(nil), fakeWasm...), 0), testMeta)
	da, _ := a.Digest()
	db, _ := b.Digest()
	dc, _ := c.Digest()
	if da != db {
		t.Errorf("digests differ for equal input: %s %s", da, db)
	}
	if da == dc {
		t.Errorf("digest did not change with the module bytes")
	}
}

func TestArchive(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "oci")
	img, _ := Build(fakeWasm, testMeta)
	if err := WriteLayout(dir, img, "audguard:test"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteArchive(&buf, dir); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	tr := tar.NewReader(&buf)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names[hdr.Name] = true
	}
	d, _ := img.Digest()
	for _, want := range []string{"oci-layout", "index.json", "blobs/sha256/" + d.Hex} {
		if !names[want] {
			t.Errorf("archive lacks %s", want)
		}
	}
}

func TestWriteLayoutRefusesForeignDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "precious.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	img, _ := Build(fakeWasm, testMeta)
	if err := WriteLayout(dir, img, "x"); !errors.Is(err, ErrNotLayout) {
		t.Fatalf("err = %v, want ErrNotLayout", err)
	}
	// An existing layout is replaced.
	ldir := filepath.Join(t.TempDir(), "oci")
	if err := WriteLayout(ldir, img, "x"); err != nil {
		t.Fatal(err)
	}
	if err := WriteLayout(ldir, img, "y"); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(ldir, "index.json"))
	if strings.Count(string(raw), refNameAnnotation) != 1 || !strings.Contains(string(raw), `"y"`) {
		t.Errorf("index.json after rewrite: %s", raw)
	}
}
