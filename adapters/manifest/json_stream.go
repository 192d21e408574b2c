package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// jsonDocuments reads concatenated JSON values, as `kubectl apply -f` accepts them.
func jsonDocuments(data []byte) ([]any, error) {
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, utf8BOM)))
	dec.UseNumber()
	var out []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			if err := checkDuplicateKeys(bytes.TrimPrefix(data, utf8BOM), true); err != nil {
				return nil, err
			}
			return out, nil
		}
		if err != nil {
			return nil, &Error{Document: len(out), Reason: "malformed JSON: " + err.Error()}
		}
		out = append(out, v)
	}
}
