package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	yaml3 "go.yaml.in/yaml/v3"
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
	switch f {
	case FormatJSON:
		return parseJSON(data)
	case FormatYAML:
		return parseYAML(data)
	}
	if detect(data) == FormatJSON {
		v, err := parseJSON(data)
		if err == nil {
			return v, nil
		}
		// "{kind: Secret}" is a YAML flow mapping, not JSON.
		y, yerr := parseYAML(data)
		if yerr == nil {
			return y, nil
		}
		if looksLikeJSON(data) {
			return nil, err
		}
		return nil, yerr
	}
	return parseYAML(data)
}

func parseYAML(data []byte) (any, error) {
	docs, err := splitYAML(data)
	if err != nil {
		return nil, &Error{Document: -1, Reason: "malformed YAML: " + err.Error()}
	}
	n := 0
	for _, d := range docs {
		if !blank(d) {
			n++
		}
	}
	if n > 1 {
		// The YAML parser would silently read the first document only.
		return nil, &Error{Document: -1, Reason: fmt.Sprintf("expected one document, got %d; apply a stream with appctl apply -f", n)}
	}
	if err := checkFlowEnd(data); err != nil {
		return nil, err
	}
	if err := checkAliasExpansion(data); err != nil {
		return nil, err
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
	if err := checkDuplicateKeys(data, false); err != nil {
		return nil, err
	}
	return v, nil
}

// checkFlowEnd rejects content after a top-level flow node ("{a: 1}\nb: 2"), which
// the YAML 1.1 parser behind sigs.k8s.io/yaml silently drops. Only documents that start
// with '{' or '[' can end early, so only those pay for the second (YAML 1.2) parse.
func checkFlowEnd(data []byte) error {
	if c := firstContent(data); c != '{' && c != '[' {
		return nil
	}
	dec := yaml3.NewDecoder(bytes.NewReader(data))
	var n yaml3.Node
	if err := dec.Decode(&n); err != nil {
		return nil // the main parser reports syntax errors
	}
	if err := dec.Decode(&n); !errors.Is(err, io.EOF) {
		return &Error{Document: -1, Reason: "malformed YAML: unexpected content after the end of the document"}
	}
	return nil
}

// looksLikeJSON reports whether data starts like a JSON object ({"key" or {}), so
// that a syntax error is reported in JSON terms rather than YAML ones.
func looksLikeJSON(data []byte) bool {
	rest := bytes.TrimLeft(bytes.TrimPrefix(data, utf8BOM), " \t\r\n")
	if len(rest) == 0 || rest[0] != '{' {
		return false
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	return len(rest) == 0 || rest[0] == '"' || rest[0] == '}'
}

// firstContent returns the first character that is not blank or in a comment, or 0.
func firstContent(data []byte) byte {
	for _, l := range bytes.Split(data, []byte("\n")) {
		l = bytes.TrimSpace(l)
		if len(l) > 0 && l[0] != '#' {
			return l[0]
		}
	}
	return 0
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
