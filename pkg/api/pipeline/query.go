package pipeline

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
)

// decodeQuery fills the struct pointed to by dst from AWS query parameters.
//
// Fields name their parameter with a `query:"Name"` tag (a dotted name such
// as "TaskPolicyArn.arn" addresses a nested member). Supported kinds:
// string, *string, bool, *bool, int/int32/int64 and their pointers;
// []string as "Name.member.N" (or "Name.N" with the `flat` option);
// map[string]string as "Name.N.<key>"/"Name.N.<value>" with the option
// `map=<key>/<value>` (e.g. `query:"Attribute,flat,map=Name/Value"`);
// a slice of structs as "Name.member.N.<Field>" (or "Name.N.<Field>" with
// `flat`), each element decoded by its own query tags, N counting from 1
// without gaps (SQS's SendMessageBatchRequestEntry.N.Id).
// A malformed number or boolean is a client error in the query envelope.
func DecodeQuery(values url.Values, dst any) error {
	v := reflect.ValueOf(dst).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("query")
		if !ok || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if err := decodeQueryField(values, name, opts, v.Field(i)); err != nil {
			return err
		}
	}
	return nil
}

func decodeQueryField(values url.Values, name, opts string, field reflect.Value) error {
	flat := strings.Contains(opts, "flat")
	switch field.Kind() {
	case reflect.Slice:
		prefix := name + ".member."
		if flat {
			prefix = name + "."
		}
		if field.Type().Elem().Kind() == reflect.Struct {
			return decodeQueryStructs(values, prefix, field)
		}
		for n := 1; ; n++ {
			key := prefix + strconv.Itoa(n)
			if !values.Has(key) {
				break
			}
			field.Set(reflect.Append(field, reflect.ValueOf(values.Get(key))))
		}
		return nil
	case reflect.Map:
		keyName, valueName := "key", "value"
		if _, spec, ok := strings.Cut(opts, "map="); ok {
			keyName, valueName, _ = strings.Cut(spec, "/")
		}
		prefix := name + ".entry."
		if flat {
			prefix = name + "."
		}
		m := reflect.MakeMap(field.Type())
		for n := 1; ; n++ {
			k := prefix + strconv.Itoa(n) + "." + keyName
			if !values.Has(k) {
				break
			}
			m.SetMapIndex(reflect.ValueOf(values.Get(k)),
				reflect.ValueOf(values.Get(prefix+strconv.Itoa(n)+"."+valueName)))
		}
		if m.Len() > 0 {
			field.Set(m)
		}
		return nil
	}
	if !values.Has(name) {
		return nil
	}
	raw := values.Get(name)
	target := field
	if field.Kind() == reflect.Pointer {
		target = reflect.New(field.Type().Elem()).Elem()
	}
	switch target.Kind() {
	case reflect.String:
		target.SetString(raw)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return MalformedQueryValue(name, raw, "boolean")
		}
		target.SetBool(b)
	case reflect.Int, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(raw, 10, target.Type().Bits())
		if err != nil {
			return MalformedQueryValue(name, raw, "integer")
		}
		target.SetInt(n)
	default:
		return fmt.Errorf("decodeQuery: unsupported field kind %s for %s", target.Kind(), name)
	}
	if field.Kind() == reflect.Pointer {
		field.Set(target.Addr())
	}
	return nil
}

// decodeQueryStructs appends to field (a slice of structs) one element for
// each "<prefix>N." group of parameters, N = 1, 2, … until one is missing.
func decodeQueryStructs(values url.Values, prefix string, field reflect.Value) error {
	for n := 1; ; n++ {
		elemPrefix := prefix + strconv.Itoa(n) + "."
		sub := url.Values{}
		for k, vs := range values {
			if rest, ok := strings.CutPrefix(k, elemPrefix); ok {
				sub[rest] = vs
			}
		}
		if len(sub) == 0 {
			return nil
		}
		elem := reflect.New(field.Type().Elem())
		if err := DecodeQuery(sub, elem.Interface()); err != nil {
			return err
		}
		field.Set(reflect.Append(field, elem.Elem()))
	}
}

func MalformedQueryValue(name, raw, kind string) *Error {
	return NewError(http.StatusBadRequest, "ValidationError",
		"Invalid value %q for parameter %s: expected %s", raw, name, kind)
}
