package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"sigs.k8s.io/yaml"
)

// Format is a serialisation of documents.
type Format int

const (
	// FormatAuto detects JSON (the first non-blank character is '{') or else YAML.
	// Only decoders accept it; encoders treat it as FormatJSON.
	FormatAuto Format = iota
	// FormatJSON is JSON.
	FormatJSON
	// FormatYAML is YAML (a superset of JSON).
	FormatYAML
)

func (f Format) String() string {
	switch f {
	case FormatJSON:
		return "json"
	case FormatYAML:
		return "yaml"
	}
	return "auto"
}

// ParseFormat reads "json" or "yaml" (as in kubectl's -o flag).
func ParseFormat(s string) (Format, error) {
	switch s {
	case "json":
		return FormatJSON, nil
	case "yaml", "yml":
		return FormatYAML, nil
	}
	return FormatAuto, fmt.Errorf("unknown output format %s: use json or yaml", quoteName(s))
}

// Marshal writes v (one of this package's document types) as JSON (indented, with a
// trailing newline) or YAML.
func Marshal(v any, f Format) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode document: %w", err)
	}
	if f != FormatYAML {
		return append(b, '\n'), nil
	}
	y, err := yaml.JSONToYAML(b)
	if err != nil {
		return nil, fmt.Errorf("encode document as yaml: %w", err)
	}
	return y, nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func detect(data []byte) Format {
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, utf8BOM), " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return FormatJSON
	}
	return FormatYAML
}

// parse turns one document into generic JSON values (map[string]any, []any, string,
// bool, json.Number, nil). It returns nil, nil for an empty YAML document.
func parse(data []byte, f Format) (any, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	if f == FormatAuto {
		f = detect(data)
	}
	if f == FormatJSON {
		return parseJSON(data)
	}
	// Strict conversion rejects duplicate keys, which YAML forbids and which would
	// otherwise make one of two values win silently.
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, &Error{Document: -1, Reason: "malformed YAML: " + trimYAMLError(err)}
	}
	return parseJSON(j)
}

func parseJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{Document: -1, Reason: "document is empty"}
		}
		return nil, &Error{Document: -1, Reason: "malformed JSON: " + err.Error()}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &Error{Document: -1, Reason: "malformed JSON: unexpected data after the document"}
	}
	return v, nil
}

// trimYAMLError drops the "error converting YAML to JSON: " noise of sigs.k8s.io/yaml.
func trimYAMLError(err error) string {
	msg := err.Error()
	const noise = "error converting YAML to JSON: "
	if i := bytes.Index([]byte(msg), []byte(noise)); i >= 0 {
		msg = msg[i+len(noise):]
	}
	return msg
}

// splitYAML cuts a YAML stream at lines that start with "---" followed only by blanks
// or a comment, as Kubernetes' YAML reader does (an indented "-----BEGIN
// CERTIFICATE-----" inside a block scalar is not a separator).
func splitYAML(data []byte) ([][]byte, error) {
	var docs [][]byte
	start := 0
	line := 1
	for pos := 0; pos <= len(data); {
		end := bytes.IndexByte(data[pos:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += pos
		}
		l := data[pos:end]
		if bytes.HasPrefix(l, []byte("---")) {
			rest := bytes.TrimSpace(l[3:])
			if len(rest) > 0 && rest[0] != '#' {
				// "--- {a: b}" (content on the separator line) is valid YAML but
				// kubectl rejects it too; a clear error beats a silent misparse.
				return nil, fmt.Errorf("line %d: content after the document separator \"---\" is not supported; start the document on the next line", line)
			}
			docs = append(docs, data[start:pos])
			start = end + 1
		}
		pos = end + 1
		line++
	}
	if start < len(data) {
		docs = append(docs, data[start:])
	}
	return docs, nil
}

// blank reports whether a YAML document holds nothing but blanks and comments.
func blank(doc []byte) bool {
	for _, l := range bytes.Split(doc, []byte("\n")) {
		l = bytes.TrimSpace(l)
		if len(l) > 0 && l[0] != '#' {
			return false
		}
	}
	return true
}
