// Package textblock carves strings made once at start from shared
// append-only byte blocks: one allocation per 16 KiB of text instead of one
// per string. The configuration loader (metadata URLs, derived names) and
// the policy engine (challenges) make one string per resource; with 10,000
// resources that was tens of thousands of allocations at every start.
//
// A byte of a block is written once, before the string holding it is made,
// and never again: appends only go past it, and a full block is replaced,
// not reused. So the strings handed out never change, which is what makes
// the unsafe.String conversion sound.
package textblock

import "unsafe"

// blockSize is the least a new block holds.
const blockSize = 16 << 10

// Block is an append-only byte block. The zero value is ready to use. It is
// not safe for concurrent use.
type Block struct{ buf []byte }

// Join returns parts joined, as a string carved from the block.
func (b *Block) Join(parts ...string) string {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	start := b.reserve(n)
	for _, p := range parts {
		b.buf = append(b.buf, p...)
	}
	return b.carved(start)
}

// Bytes returns a string holding a copy of p (which may be on the caller's
// stack), carved from the block.
func (b *Block) Bytes(p []byte) string {
	start := b.reserve(len(p))
	b.buf = append(b.buf, p...)
	return b.carved(start)
}

// reserve makes room for n more bytes, so the appends that follow never
// move the block, and returns where they will start.
func (b *Block) reserve(n int) int {
	if cap(b.buf)-len(b.buf) < n {
		b.buf = make([]byte, 0, max(blockSize, n))
	}
	return len(b.buf)
}

// carved is the bytes appended since reserve returned start, as a string.
func (b *Block) carved(start int) string {
	if start == len(b.buf) {
		return ""
	}
	return unsafe.String(&b.buf[start], len(b.buf)-start)
}
