package bench

import (
	"io"
	"log"
	"os"
	"testing"
)

// TestMain silences the host emulator's log echo (it prints every guest log
// line, which would be timed with the request) and removes the temporary
// build directory.
func TestMain(m *testing.M) {
	log.SetOutput(io.Discard)
	code := m.Run()
	if tmpDir != "" {
		_ = os.RemoveAll(tmpDir)
	}
	os.Exit(code)
}
