package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

func manifestOf(t *testing.T, img v1.Image) (raw []byte, ann map[string]string) {
	t.Helper()
	raw, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Annotations map[string]string `json:"annotations"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return raw, m.Annotations
}

// TestManifestAnnotations: the manifest names the version, revision and
// source, and nothing that depends on the time.
func TestManifestAnnotations(t *testing.T) {
	img, err := Build(fakeWasm, testMeta)
	if err != nil {
		t.Fatal(err)
	}
	raw, ann := manifestOf(t, img)
	want := map[string]string{
		"org.opencontainers.image.version":  testMeta.Version,
		"org.opencontainers.image.revision": testMeta.Revision,
		"org.opencontainers.image.source":   "https://github.com/audguard/audguard",
	}
	if !reflect.DeepEqual(ann, want) {
		t.Errorf("manifest annotations %v, want %v", ann, want)
	}
	if strings.Contains(string(raw), "created") {
		t.Errorf("manifest names a time: %s", raw)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Created.Time.Equal(epoch) {
		t.Errorf("config created %v, want the fixed epoch", cfg.Created)
	}

	// Empty values are left out.
	_, ann = manifestOf(t, mustBuild(t, fakeWasm, Meta{Source: DefaultSource}))
	if len(ann) != 1 || ann["org.opencontainers.image.source"] != DefaultSource {
		t.Errorf("annotations with only a source: %v", ann)
	}
	if _, ann = manifestOf(t, mustBuild(t, fakeWasm, Meta{})); len(ann) != 0 {
		t.Errorf("annotations without meta: %v", ann)
	}
}

// TestAnnotationsReproducible: the same module and meta give the same digest
// on every run; another version, revision or source gives another.
func TestAnnotationsReproducible(t *testing.T) {
	digest := func(m Meta) v1.Hash {
		d, err := mustBuild(t, fakeWasm, m).Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	base := digest(testMeta)
	if again := digest(testMeta); again != base {
		t.Fatalf("same input, digests %s and %s", base, again)
	}
	for _, m := range []Meta{
		{Version: "v1.2.4", Revision: testMeta.Revision, Source: testMeta.Source},
		{Version: testMeta.Version, Revision: "0000000000000000000000000000000000000000", Source: testMeta.Source},
		{Version: testMeta.Version, Revision: testMeta.Revision, Source: "https://github.com/fork/audguard"},
	} {
		if digest(m) == base {
			t.Errorf("%+v: digest unchanged", m)
		}
	}
}

// TestRunWritesAnnotations: what `make oci` runs writes a layout whose image
// carries the annotations, with the digest Build gives.
func TestRunWritesAnnotations(t *testing.T) {
	dir := t.TempDir()
	wasm := filepath.Join(dir, "m.wasm")
	if err := os.WriteFile(wasm, fakeWasm, 0o644); err != nil {
		t.Fatal(err)
	}
	lay := filepath.Join(dir, "oci")
	if err := run(wasm, lay, filepath.Join(dir, "m.tar"), "audguard:test", testMeta, false); err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(lay)
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
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	if _, ann := manifestOf(t, img); ann["org.opencontainers.image.version"] != testMeta.Version ||
		ann["org.opencontainers.image.revision"] != testMeta.Revision || ann["org.opencontainers.image.source"] != testMeta.Source {
		t.Errorf("layout image annotations %v", ann)
	}
	want, _ := mustBuild(t, fakeWasm, testMeta).Digest()
	if im.Manifests[0].Digest != want {
		t.Errorf("layout digest %s, Build digest %s", im.Manifests[0].Digest, want)
	}
}

// TestMakePassesMeta: `make oci` and `make oci-digest` pass the same version
// and revision, so the digest oci-digest prints is the pushed image's.
func TestMakePassesMeta(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	for _, target := range []string{"oci", "oci-digest"} {
		cmd := exec.Command("make", "-n", "-s", "-C", filepath.Join("..", ".."), target,
			"VERSION=v9.9.9-test", "REVISION=feedface", "OCI_SOURCE=https://example.com/fork")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make -n %s: %v\n%s", target, err, out)
		}
		var line string
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, "./cmd/wasm-oci") {
				line = l
			}
		}
		for _, want := range []string{"-version 'v9.9.9-test'", "-revision 'feedface'", "-source 'https://example.com/fork'"} {
			if !strings.Contains(line, want) {
				t.Errorf("make %s runs %q, which lacks %s", target, line, want)
			}
		}
	}
}

func mustBuild(t *testing.T, wasm []byte, m Meta) v1.Image {
	t.Helper()
	img, err := Build(wasm, m)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
