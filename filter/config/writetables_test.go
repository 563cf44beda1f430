package config

import (
	"slices"
	"testing"
)

// TestWriteTablesMatchFields: Plugin.JSON's writers (write.go) name the
// members of the field tables, in the same order, one each.
func TestWriteTablesMatchFields(t *testing.T) {
	check := func(what string, read, written []string) {
		if !slices.Equal(read, written) {
			t.Errorf("%s: the loader reads %q, JSON writes %q", what, read, written)
		}
	}
	check("top", fieldNames(topFields), writeNames(topWrites()))
	check("issuers[]", fieldNames(issuerFields), writeNames(issuerWrites()))
	check("resources[]", fieldNames(resourceFields), writeNames(resourceWrites()))
}

func writeNames[T any](ws []fieldWrite[T]) []string {
	var names []string
	for _, w := range ws {
		names = append(names, w.name)
	}
	return names
}
