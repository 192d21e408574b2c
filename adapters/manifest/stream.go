package manifest

import (
	"fmt"
	"io"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
)

// Object is one Application or Secret read from a stream. Exactly one of Application
// and Secret is set.
type Object struct {
	// Document is the 0-based index of the document the object came from; objects of
	// one List share it.
	Document    int
	Application *application.Application
	Secret      *credential.Secret
}

// Kind returns KindApplication or KindSecret.
func (o Object) Kind() string {
	if o.Application != nil {
		return KindApplication
	}
	return KindSecret
}

// Name returns metadata.name of the object.
func (o Object) Name() string {
	if o.Application != nil {
		return o.Application.Name
	}
	return o.Secret.Name
}

// maxStreamSize bounds what DecodeStream reads, far above any real manifest.
const maxStreamSize = 64 << 20

// DecodeStream reads every document of r: a JSON object (or several, concatenated) or a
// YAML stream of documents separated by "---" lines, as kubectl reads them. Each
// document is an Application, a Secret, or a List, ApplicationList or SecretList of
// them; apiVersion and kind are required. Blank documents are skipped (they do not
// count as an index). Nothing is returned unless every document decodes, so a caller
// never applies half a file by accident.
func DecodeStream(r io.Reader) ([]Object, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxStreamSize+1))
	if err != nil {
		return nil, fmt.Errorf("read documents: %w", err)
	}
	if len(data) > maxStreamSize {
		return nil, &Error{Document: -1, Reason: fmt.Sprintf("input is larger than %d bytes", maxStreamSize)}
	}
	return Decode(data)
}

// Decode is DecodeStream over bytes.
func Decode(data []byte) ([]Object, error) {
	docs, err := documents(data)
	if err != nil {
		return nil, err
	}
	var out []Object
	for i, v := range docs {
		objs, err := objectsFrom(v, i)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

// documents splits data and parses every non-blank document into generic values.
func documents(data []byte) ([]any, error) {
	if detect(data) == FormatJSON {
		docs, err := jsonDocuments(data)
		if err == nil {
			return docs, nil
		}
		// A YAML flow mapping also starts with '{'; see parse.
		y, yerr := yamlDocuments(data)
		if yerr == nil {
			return y, nil
		}
		if looksLikeJSON(data) {
			return nil, err
		}
		return nil, yerr
	}
	return yamlDocuments(data)
}

func yamlDocuments(data []byte) ([]any, error) {
	raw, err := splitYAML(data)
	if err != nil {
		return nil, &Error{Document: -1, Reason: "malformed YAML stream: " + err.Error()}
	}
	var out []any
	for _, doc := range raw {
		if blank(doc) {
			continue
		}
		v, err := parseYAML(doc)
		if err != nil {
			return nil, inDocument(err, len(out), "")
		}
		if v == nil {
			// A document of only "~" or "null"; kubectl skips those too.
			continue
		}
		out = append(out, v)
	}
	return out, nil
}

func objectsFrom(v any, doc int) ([]Object, error) {
	m, err := asObject(v)
	if err != nil {
		return nil, inDocument(err, doc, "")
	}
	apiVersion, kind, err := header(m)
	if err != nil {
		return nil, inDocument(err, doc, "")
	}
	switch kind {
	case KindApplication, KindSecret:
		o, err := objectFrom(m, kind, doc, false)
		if err != nil {
			return nil, inDocument(err, doc, "")
		}
		return []Object{o}, nil
	case KindList, KindApplicationList, KindSecretList:
		return listFrom(m, apiVersion, kind, doc)
	case "":
		return nil, &Error{Document: doc, Field: "kind", Reason: "must be set (Application, Secret, List, ApplicationList or SecretList)"}
	default:
		return nil, &Error{Document: doc, Field: "kind", Reason: fmt.Sprintf("%s is not supported: use Application, Secret, List, ApplicationList or SecretList", quoteName(kind))}
	}
}

// objectFrom decodes one object; lenient lets apiVersion and kind be absent.
func objectFrom(m map[string]any, kind string, doc int, lenient bool) (Object, error) {
	if kind == KindApplication {
		app, err := applicationFrom(m, lenient)
		if err != nil {
			return Object{}, err
		}
		return Object{Document: doc, Application: &app}, nil
	}
	s, err := secretFrom(m, lenient)
	if err != nil {
		return Object{}, err
	}
	return Object{Document: doc, Secret: &s}, nil
}

func listFrom(m map[string]any, apiVersion, kind string, doc int) ([]Object, error) {
	wantVersion, itemKind := APIVersionV1, ""
	switch kind {
	case KindApplicationList:
		wantVersion, itemKind = APIVersionApplication, KindApplication
	case KindSecretList:
		itemKind = KindSecret
	}
	if apiVersion != wantVersion {
		return nil, &Error{Document: doc, Field: "apiVersion", Reason: fmt.Sprintf("must be %s for kind %s", wantVersion, kind)}
	}
	for k := range m {
		switch k {
		case "apiVersion", "kind", "metadata", "items":
		default:
			return nil, inDocument(unknownField("", k, topLevelList), doc, "")
		}
	}
	var items []any
	if err := assignValue("items", m["items"], &items); err != nil {
		return nil, inDocument(err, doc, "")
	}
	out := make([]Object, 0, len(items))
	for i, item := range items {
		prefix := indexPath("items", i)
		im, err := asObject(item)
		if err != nil {
			return nil, inDocument(err, doc, prefix)
		}
		_, k, err := header(im)
		if err != nil {
			return nil, inDocument(err, doc, prefix)
		}
		lenient := false
		switch {
		case k == "" && itemKind != "":
			// API list responses carry kind on the list only.
			k, lenient = itemKind, true
		case itemKind != "" && k != itemKind:
			return nil, inDocument(fieldErr("kind", "must be %s in %s", itemKind, kind), doc, prefix)
		case k != KindApplication && k != KindSecret:
			return nil, inDocument(fieldErr("kind", "must be Application or Secret in a List"), doc, prefix)
		}
		o, err := objectFrom(im, k, doc, lenient)
		if err != nil {
			return nil, inDocument(err, doc, prefix)
		}
		out = append(out, o)
	}
	return out, nil
}

var topLevelList = map[string]int{"apiVersion": 0, "kind": 0, "metadata": 0, "items": 0}
