package textblock

import (
	"strings"
	"testing"
)

// TestStringsNeverChange hands out enough strings to fill several blocks,
// one larger than a block among them, and checks that every string still
// reads as it was made once all of them exist.
func TestStringsNeverChange(t *testing.T) {
	var b Block
	var got, want []string
	for i := 0; i < 5000; i++ {
		part := strings.Repeat(string(rune('a'+i%26)), i%17)
		if i%2 == 0 {
			got, want = append(got, b.Join("<", part, ">")), append(want, "<"+part+">")
		} else {
			buf := []byte("[" + part + "]")
			got, want = append(got, b.Bytes(buf)), append(want, "["+part+"]")
			buf[0] = 'X' // the caller's bytes change; the string must not
		}
		if i == 2500 {
			big := strings.Repeat("z", blockSize+1)
			got, want = append(got, b.Join(big)), append(want, big)
		}
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("string %d = %.40q, want %.40q", i, got[i], want[i])
		}
	}
	if s := b.Join(); s != "" {
		t.Errorf("Join() = %q, want empty", s)
	}
	if s := b.Bytes(nil); s != "" {
		t.Errorf("Bytes(nil) = %q, want empty", s)
	}
}

// TestOneAllocationPerBlock: strings carved from a block allocate nothing
// until the block is full.
func TestOneAllocationPerBlock(t *testing.T) {
	var b Block
	b.Join("warm") // the first block
	allocs := testing.AllocsPerRun(100, func() { b.Join("https://", "a.example.com", "/mcp") })
	if allocs != 0 {
		t.Errorf("Join allocated %.1f times per string inside a block, want 0", allocs)
	}
}
