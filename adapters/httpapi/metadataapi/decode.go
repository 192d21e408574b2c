package metadataapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/appconnector/appconnector/app/metadata"
)

// decodeError is a body that cannot be used; its message is shown to the client.
type decodeError struct{ msg string }

func (e *decodeError) Error() string { return e.msg }

// decodeServiceDetails parses and validates a POST or PUT body. Errors are *decodeError
// with Kyma's messages: "Failed to unmarshal request body, ..." for malformed JSON and
// "Failed to validate request body, ..." for a document the registry cannot accept.
func decodeServiceDetails(body []byte) (metadata.ServiceDefinition, error) {
	var details ServiceDetails
	if err := json.Unmarshal(body, &details); err != nil {
		return metadata.ServiceDefinition{}, &decodeError{msg: "Failed to unmarshal request body, " + describeJSONError(err)}
	}
	def := details.toDefinition()
	if err := def.Validate(); err != nil {
		return metadata.ServiceDefinition{}, &decodeError{msg: "Failed to validate request body, " + err.Error()}
	}
	return def, nil
}

// describeJSONError names where the document is wrong without quoting its content.
func describeJSONError(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err.Error() == "unexpected end of JSON input":
		return "the body is empty or truncated"
	case errors.As(err, &syntax):
		return fmt.Sprintf("invalid JSON at byte %d: %s", syntax.Offset, syntax.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the document"
		}
		return fmt.Sprintf("%s must be %s, got a JSON %s", field, kindName(typ.Type), typ.Value)
	default:
		return err.Error()
	}
}

func kindName(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Bool:
		return "a boolean"
	case reflect.Pointer:
		return kindName(t.Elem())
	default:
		return "a " + t.Kind().String()
	}
}
