// Package strsort sorts strings in increasing order, as slices.Sort does,
// with one small heapsort: the module's few sorts (header names, scopes,
// algorithms) do not need pattern-defeating quicksort, whose string
// instantiation is some 20 KB of module code. Equal strings are
// indistinguishable, so the result is the same as slices.Sort's.
package strsort

// Sort sorts s in increasing order (O(n log n), in place, no allocation).
func Sort[S ~string](s []S) {
	n := len(s)
	for i := n/2 - 1; i >= 0; i-- {
		siftDown(s, i, n)
	}
	for end := n - 1; end > 0; end-- {
		s[0], s[end] = s[end], s[0]
		siftDown(s, 0, end)
	}
}

// siftDown restores the max-heap order of s[:n] below root.
func siftDown[S ~string](s []S, root, n int) {
	for {
		child := 2*root + 1
		if child >= n {
			return
		}
		if child+1 < n && s[child] < s[child+1] {
			child++
		}
		if !(s[root] < s[child]) {
			return
		}
		s[root], s[child] = s[child], s[root]
		root = child
	}
}
