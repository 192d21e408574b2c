package manifest

import (
	"bytes"
	"encoding/json"
)

// checkDuplicateKeys reports the first key that appears twice in one object of data,
// one or more concatenated JSON values that have already decoded: encoding/json keeps
// the last value and drops the other without a word. stream says whether the error
// names the value's index (as Decode does) or leaves that to the caller (-1). It walks
// tokens with an explicit stack, so nesting costs no recursion.
func checkDuplicateKeys(data []byte, stream bool) error {
	type frame struct {
		object  bool
		path    string
		keys    map[string]struct{}
		key     string // the key whose value comes next
		wantKey bool
		items   int
	}
	var stack []*frame
	doc := 0
	// afterValue records that the value of the top frame (or a whole document) ended.
	afterValue := func() {
		if len(stack) == 0 {
			doc++
			return
		}
		if top := stack[len(stack)-1]; top.object {
			top.wantKey = true
		} else {
			top.items++
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF, or a syntax error the decoder has reported already
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.wantKey {
			if tok == json.Delim('}') {
				stack = stack[:len(stack)-1]
				afterValue()
				continue
			}
			k, _ := tok.(string)
			if _, dup := top.keys[k]; dup {
				e := fieldErr(keyPath(top.path, k), "duplicate key")
				if stream {
					e.Document = doc
				}
				return e
			}
			top.keys[k] = struct{}{}
			top.key, top.wantKey = k, false
			continue
		}
		path := ""
		switch {
		case top != nil && top.object:
			path = keyPath(top.path, top.key)
		case top != nil:
			path = indexPath(top.path, top.items)
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, path: path, keys: map[string]struct{}{}, wantKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{path: path})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			afterValue()
		default:
			afterValue()
		}
	}
}
