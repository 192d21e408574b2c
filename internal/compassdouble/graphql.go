package compassdouble

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"
)

// obj is a resolved GraphQL object: its concrete type (for __typename, fragments on
// unions and interfaces) and its fields. A field value is a scalar, nil, []any, *obj,
// or a resolver that needs the field's arguments.
type obj struct {
	typ    string
	fields map[string]any
}

// resolver computes a field from its coerced arguments.
type resolver func(args map[string]any) (any, error)

// gqlRequest is the body of a GraphQL POST.
type gqlRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
}

// gqlResponse is what every GraphQL request gets.
type gqlResponse struct {
	Data   any           `json:"data,omitempty"`
	Errors gqlerror.List `json:"errors,omitempty"`
}

// prepared is a parsed, validated operation with coerced variables.
type prepared struct {
	doc  *ast.QueryDocument
	op   *ast.OperationDefinition
	vars map[string]any
}

// rootFields are the names (not aliases) of the operation's root fields, for the
// request log and the call counters.
func (p *prepared) rootFields() []string {
	var names []string
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, s := range set {
			switch s := s.(type) {
			case *ast.Field:
				if s.Name != "__typename" && !slices.Contains(names, s.Name) {
					names = append(names, s.Name)
				}
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				if f := p.doc.Fragments.ForName(s.Name); f != nil {
					walk(f.SelectionSet)
				}
			}
		}
	}
	walk(p.op.SelectionSet)
	return names
}

// prepare parses the query, validates it against the schema, picks the operation and
// coerces the variables. Any error is the GraphQL error list to answer.
func prepare(schema *ast.Schema, req gqlRequest) (*prepared, gqlerror.List) {
	doc, errs := gqlparser.LoadQueryWithRules(schema, req.Query, nil)
	if len(errs) > 0 {
		return nil, errs
	}
	var op *ast.OperationDefinition
	switch {
	case req.OperationName != "":
		op = doc.Operations.ForName(req.OperationName)
		if op == nil {
			return nil, gqlerror.List{gqlerror.Errorf("operation %q not found in the document", req.OperationName)}
		}
	case len(doc.Operations) == 1:
		op = doc.Operations[0]
	default:
		return nil, gqlerror.List{gqlerror.Errorf("the document has several operations: operationName is required")}
	}
	vars, err := validator.VariableValues(schema, op, req.Variables)
	if err != nil {
		return nil, gqlerror.List{gqlerror.WrapIfUnwrapped(err)}
	}
	return &prepared{doc: doc, op: op, vars: vars}, nil
}

// executor projects resolved objects through the operation's selection sets, with
// GraphQL's null propagation for non-null fields.
type executor struct {
	schema *ast.Schema
	p      *prepared
	errs   gqlerror.List
}

func (e *executor) run(root *obj) gqlResponse {
	var rootType *ast.Definition
	switch e.p.op.Operation {
	case ast.Query:
		rootType = e.schema.Query
	case ast.Mutation:
		rootType = e.schema.Mutation
	default:
		return gqlResponse{Errors: gqlerror.List{gqlerror.Errorf("%s operations are not served", e.p.op.Operation)}}
	}
	data, ok := e.selectionSet(rootType, e.p.op.SelectionSet, root, nil)
	resp := gqlResponse{Errors: e.errs}
	if ok {
		resp.Data = data
	} else {
		resp.Data = json.RawMessage("null")
	}
	return resp
}

// orderedMap keeps the response keys in the order of the query, as GraphQL requires.
type orderedMap struct {
	keys []string
	vals map[string]any
}

func (m *orderedMap) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range m.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(m.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// collect groups the fields of set that apply to the object type typ by response key
// (fields of the same key merge their sub-selections), honouring @skip and @include.
func (e *executor) collect(typ *ast.Definition, set ast.SelectionSet, keys *[]string, byKey map[string][]*ast.Field) {
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			if !e.included(s.Directives) {
				continue
			}
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			if _, seen := byKey[key]; !seen {
				*keys = append(*keys, key)
			}
			byKey[key] = append(byKey[key], s)
		case *ast.InlineFragment:
			if e.included(s.Directives) && e.applies(s.TypeCondition, typ) {
				e.collect(typ, s.SelectionSet, keys, byKey)
			}
		case *ast.FragmentSpread:
			f := e.p.doc.Fragments.ForName(s.Name)
			if f != nil && e.included(s.Directives) && e.applies(f.TypeCondition, typ) {
				e.collect(typ, f.SelectionSet, keys, byKey)
			}
		}
	}
}

func (e *executor) included(dirs ast.DirectiveList) bool {
	if d := dirs.ForName("skip"); d != nil && d.ArgumentMap(e.p.vars)["if"] == true {
		return false
	}
	if d := dirs.ForName("include"); d != nil && d.ArgumentMap(e.p.vars)["if"] == false {
		return false
	}
	return true
}

func (e *executor) applies(cond string, typ *ast.Definition) bool {
	if cond == "" || cond == typ.Name {
		return true
	}
	def := e.schema.Types[cond]
	if def == nil || !def.IsAbstractType() {
		return false
	}
	return slices.ContainsFunc(e.schema.GetPossibleTypes(def), func(d *ast.Definition) bool { return d.Name == typ.Name })
}

// selectionSet resolves set on o; false means a non-null field was null and the
// whole object is null.
func (e *executor) selectionSet(typ *ast.Definition, set ast.SelectionSet, o *obj, path ast.Path) (any, bool) {
	var keys []string
	byKey := map[string][]*ast.Field{}
	e.collect(typ, set, &keys, byKey)
	out := &orderedMap{keys: keys, vals: make(map[string]any, len(keys))}
	for _, key := range keys {
		fields := byKey[key]
		f := fields[0]
		fpath := append(slices.Clip(path), ast.PathName(key))
		if f.Name == "__typename" {
			out.vals[key] = typ.Name
			continue
		}
		// gqlparser adds __schema and __type to Query; the double has no resolvers for them.
		if strings.HasPrefix(f.Name, "__") {
			e.errs = append(e.errs, gqlerror.ErrorPathf(fpath, "introspection (%s) is not served by the Compass double", f.Name))
			return nil, false
		}
		def := typ.Fields.ForName(f.Name)
		if def == nil {
			e.errs = append(e.errs, gqlerror.ErrorPathf(fpath, "field %s.%s does not exist", typ.Name, f.Name))
			return nil, false
		}
		v := o.fields[f.Name]
		if r, ok := v.(resolver); ok {
			var err error
			v, err = r(f.ArgumentMap(e.p.vars))
			if err != nil {
				e.errs = append(e.errs, gqlerror.ErrorPathf(fpath, "%s", err.Error()))
				v = nil
				if def.Type.NonNull {
					return nil, false
				}
				out.vals[key] = nil
				continue
			}
		}
		var sub ast.SelectionSet
		for _, f := range fields {
			sub = append(sub, f.SelectionSet...)
		}
		val, ok := e.complete(def.Type, v, sub, fpath)
		if !ok {
			return nil, false
		}
		out.vals[key] = val
	}
	return out, true
}

// complete turns v into the response value of type t; false propagates null upwards.
func (e *executor) complete(t *ast.Type, v any, set ast.SelectionSet, path ast.Path) (any, bool) {
	if isNil(v) {
		if t.NonNull {
			e.errs = append(e.errs, gqlerror.ErrorPathf(path, "the double returned null for the non-null field (not served by the Compass double)"))
			return nil, false
		}
		return nil, true
	}
	nullable := func() (any, bool) {
		if t.NonNull {
			return nil, false
		}
		return nil, true
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			e.errs = append(e.errs, gqlerror.ErrorPathf(path, "internal error: %T is not a list", v))
			return nullable()
		}
		out := make([]any, len(list))
		for i, item := range list {
			val, ok := e.complete(t.Elem, item, set, append(slices.Clip(path), ast.PathIndex(i)))
			if !ok {
				return nullable()
			}
			out[i] = val
		}
		return out, true
	}
	def := e.schema.Types[t.NamedType]
	if def == nil || !def.IsCompositeType() {
		return v, true
	}
	o, ok := v.(*obj)
	if !ok {
		e.errs = append(e.errs, gqlerror.ErrorPathf(path, "internal error: %T is not an object", v))
		return nullable()
	}
	objType := e.schema.Types[o.typ]
	if objType == nil {
		e.errs = append(e.errs, gqlerror.ErrorPathf(path, "internal error: unknown type %s", o.typ))
		return nullable()
	}
	val, ok := e.selectionSet(objType, set, o, path)
	if !ok {
		return nullable()
	}
	return val, true
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// loadSchema parses one of the embedded schemas; it fails only if the embedded file is
// broken, which the tests catch.
func loadSchema(name, src string) (*ast.Schema, error) {
	s, err := gqlparser.LoadSchema(&ast.Source{Name: name, Input: src})
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	return s, nil
}
