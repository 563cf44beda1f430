package main

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// ErrNotLayout: the output directory exists, is not empty and is not an OCI
// image layout, so it is not ours to replace.
var ErrNotLayout = errors.New("wasm-oci: output directory exists and is not an OCI image layout")

// refNameAnnotation names the image inside an OCI image layout (OCI image spec, annotations.md).
const refNameAnnotation = "org.opencontainers.image.ref.name"

// WriteLayout writes img as the only image of a fresh OCI image layout in dir
// (OCI image-layout spec: oci-layout, index.json, blobs/sha256/…), tagged ref.
// An existing layout in dir is replaced; any other non-empty dir is refused.
func WriteLayout(dir string, img v1.Image, ref string) error {
	if err := clearLayout(dir); err != nil {
		return err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("wasm-oci: layout: %w", err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{refNameAnnotation: ref})); err != nil {
		return fmt.Errorf("wasm-oci: layout: %w", err)
	}
	return nil
}

func clearLayout(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("wasm-oci: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
		return ErrNotLayout
	}
	return os.RemoveAll(dir)
}

// WriteArchive writes the OCI image layout in dir as a tar archive ("oci-archive",
// as read by skopeo, podman and containerd), with entries sorted and
// timestamps zeroed so equal layouts give equal archives.
func WriteArchive(w io.Writer, dir string) error {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != dir {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("wasm-oci: archive: %w", err)
	}
	sort.Strings(files)
	tw := tar.NewWriter(w)
	for _, path := range files {
		if err := addFile(tw, dir, path); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("wasm-oci: archive: %w", err)
	}
	return nil
}

func addFile(tw *tar.Writer, dir, path string) error {
	info, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("wasm-oci: archive: %w", err)
	}
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		return fmt.Errorf("wasm-oci: archive: %w", err)
	}
	hdr := &tar.Header{Name: filepath.ToSlash(rel), ModTime: epoch, Format: tar.FormatPAX}
	switch {
	case info.IsDir():
		hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, hdr.Name+"/", 0o755
		return tw.WriteHeader(hdr)
	case info.Mode().IsRegular():
		hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, 0o644, info.Size()
	default:
		return fmt.Errorf("wasm-oci: archive: %s is not a regular file", rel)
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("wasm-oci: archive: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("wasm-oci: archive: %w", err)
	}
	defer f.Close()
	if _, err := io.Copy(tw, f); err != nil {
		return fmt.Errorf("wasm-oci: archive: %w", err)
	}
	return nil
}
