package manifest

import (
	"bytes"
	"fmt"

	yaml2 "go.yaml.in/yaml/v2"
)

// aliasSlack is how much larger than twice its source a YAML document may become once
// its aliases are expanded. A document without aliases never gets there, nor does one
// that reuses a label map or a value a few times.
const aliasSlack = 1 << 20

// checkAliasExpansion refuses a YAML document whose aliases would expand it to more
// than twice its size plus aliasSlack. The YAML parser's own guard ("excessive
// aliasing") counts nodes, not bytes: a 1 MiB body can alias one 500 kB scalar 100,000
// times, which converting to JSON would write out in full, 50 GB. The document is
// parsed with the same parser as the conversion (go.yaml.in/yaml/v2), which shares an
// aliased scalar's string instead of copying it, so this measure costs one pass over
// the parsed nodes. Syntax errors are left to the conversion, which reports them.
func checkAliasExpansion(data []byte) error {
	if bytes.IndexByte(data, '*') < 0 {
		return nil // no alias, nothing to expand
	}
	var v any
	if err := yaml2.Unmarshal(data, &v); err != nil {
		return nil
	}
	limit := 2*len(data) + aliasSlack
	if expandedSize(v, limit) > limit {
		return &Error{Document: -1, Reason: fmt.Sprintf("malformed YAML: aliases expand the document to more than %d bytes", limit)}
	}
	return nil
}

// expandedSize adds up the lengths of v's strings, plus one per node for the rest, and
// stops as soon as the sum exceeds budget.
func expandedSize(v any, budget int) int {
	n := 0
	var walk func(v any)
	walk = func(v any) {
		if n > budget {
			return
		}
		switch t := v.(type) {
		case string:
			n += len(t) + 1
		case []any:
			n++
			for _, item := range t {
				walk(item)
			}
		case map[any]any:
			n++
			for k, item := range t {
				walk(k)
				walk(item)
			}
		default:
			n++
		}
	}
	walk(v)
	return n
}
