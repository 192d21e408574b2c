package manifest

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// assign stores the generic JSON value src into dst, following dst's json tags
// exactly (case-sensitive, unlike encoding/json) and rejecting fields dst does not
// have. A null leaves dst at its zero value, as the API server treats null as absent.
// The first error, in sorted key order so that it is stable, names its path.
func assign(path string, src any, dst reflect.Value) error {
	if src == nil {
		return nil
	}
	switch dst.Kind() {
	case reflect.Interface:
		// Raw values (list items) are checked by whoever interprets them.
		dst.Set(reflect.ValueOf(src))
	case reflect.Pointer:
		v := reflect.New(dst.Type().Elem())
		if err := assign(path, src, v.Elem()); err != nil {
			return err
		}
		dst.Set(v)
	case reflect.String:
		s, ok := src.(string)
		if !ok {
			return typeError(path, "a string", src)
		}
		dst.SetString(s)
	case reflect.Bool:
		b, ok := src.(bool)
		if !ok {
			return typeError(path, "a boolean (true or false)", src)
		}
		dst.SetBool(b)
	case reflect.Slice:
		arr, ok := src.([]any)
		if !ok {
			return typeError(path, "an array", src)
		}
		out := reflect.MakeSlice(dst.Type(), len(arr), len(arr))
		for i, item := range arr {
			if err := assign(indexPath(path, i), item, out.Index(i)); err != nil {
				return err
			}
		}
		dst.Set(out)
	case reflect.Map:
		m, ok := src.(map[string]any)
		if !ok {
			return typeError(path, "an object", src)
		}
		out := reflect.MakeMapWithSize(dst.Type(), len(m))
		for _, k := range sortedKeys(m) {
			elem := reflect.New(dst.Type().Elem()).Elem()
			if err := assign(keyPath(path, k), m[k], elem); err != nil {
				return err
			}
			out.SetMapIndex(reflect.ValueOf(k).Convert(dst.Type().Key()), elem)
		}
		dst.Set(out)
	case reflect.Struct:
		m, ok := src.(map[string]any)
		if !ok {
			return typeError(path, "an object", src)
		}
		fields := jsonFields(dst.Type())
		for _, k := range sortedKeys(m) {
			idx, ok := fields[k]
			if !ok {
				return unknownField(path, k, fields)
			}
			if err := assign(joinPath(path, k), m[k], dst.Field(idx)); err != nil {
				return err
			}
		}
	default:
		// Only reachable if a domain type gains a field kind this decoder does not know;
		// the fuzz and unit tests cover every field of the current types.
		return fieldErr(path, "cannot decode into a %s", dst.Type())
	}
	return nil
}

// assignValue is assign into the variable ptr points to.
func assignValue(path string, src any, ptr any) error {
	return assign(path, src, reflect.ValueOf(ptr).Elem())
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func unknownField(path, name string, known map[string]int) error {
	field := keyPath(path, name)
	if guess := closest(name, known); guess != "" {
		return fieldErr(field, "unknown field; did you mean %q?", guess)
	}
	return fieldErr(field, "unknown field")
}

// closest returns the known name that name most likely misspells: one that differs
// only in case (targetURL for targetUrl, the typo this decoder exists to catch), or else
// one within two edits, or "".
func closest(name string, known map[string]int) string {
	if len(name) > maxQuotedName {
		return ""
	}
	best, bestDist := "", 3
	for _, k := range slices.Sorted(maps.Keys(known)) {
		if strings.EqualFold(k, name) {
			return k
		}
		if len(k) < 4 {
			continue
		}
		if d := editDistance(name, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func typeError(path, want string, got any) error {
	hint := ""
	if want == "a string" {
		switch got.(type) {
		case bool, json.Number:
			// YAML 1.1 reads unquoted yes, no, on, off, true, 123 as booleans and numbers.
			hint = "; quote the value in YAML"
		}
	}
	return fieldErr(path, "must be %s, got %s%s", want, kindOf(got), hint)
}

func kindOf(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

var fieldCache sync.Map // reflect.Type -> map[string]int

// jsonFields maps the JSON names of t's exported fields to their indices.
func jsonFields(t reflect.Type) map[string]int {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]int)
	}
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = i
	}
	fieldCache.Store(t, m)
	return m
}
