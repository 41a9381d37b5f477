package pipeline

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"
	"unicode"
)

// secretMembers are the members CloudTrail never shows (lower-cased): a
// record carries no secret access key, session token or password.
var secretMembers = map[string]bool{
	"secretaccesskey": true, "sessiontoken": true, "password": true, "newpassword": true,
	"oldpassword": true, "privatekey": true, "secretkey": true,
}

// requestParameters is the call's requestParameters: the decoded input's
// members under CloudTrail's lower-camel names (query protocol), the JSON
// body's members likewise (JSON protocols), or what the service set (S3).
func (c *Call) requestParameters() any {
	var v any
	switch {
	case c.auditParams != nil:
		v = c.auditParams
	case c.auditIn == nil:
		return nil
	case c.Proto == ProtoQuery:
		v = queryParameters(reflect.ValueOf(c.auditIn))
	case c.Proto == ProtoJSON10 || c.Proto == ProtoJSON11:
		var body any
		if json.Unmarshal(c.Body, &body) != nil {
			return nil
		}
		v = camelKeys(body)
	}
	v = scrub(v)
	if m, ok := v.(map[string]any); ok && len(m) == 0 {
		return nil
	}
	return v
}

// queryParameters turns a query input struct into nested members: a tag
// "TaskPolicyArn.arn" is {"taskPolicyArn":{"arn":…}}, a list or map tag
// names its member list.
func queryParameters(v reflect.Value) map[string]any {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	out := map[string]any{}
	if v.Kind() != reflect.Struct {
		return out
	}
	t := v.Type()
	for i := range t.NumField() {
		tag, ok := t.Field(i).Tag.Lookup("query")
		if !ok || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		name = strings.TrimSuffix(name, ".member")
		f := v.Field(i)
		var val any
		switch f.Kind() {
		case reflect.Pointer:
			if f.IsNil() {
				continue
			}
			val = f.Elem().Interface()
		case reflect.String:
			if f.String() == "" {
				continue
			}
			val = f.String()
		case reflect.Slice:
			if f.Len() == 0 {
				continue
			}
			val = f.Interface()
		case reflect.Map:
			if f.Len() == 0 {
				continue
			}
			keyName, valueName := "key", "value"
			if _, spec, ok := strings.Cut(opts, "map="); ok {
				keyName, valueName, _ = strings.Cut(spec, "/")
			}
			var entries []any
			iter := f.MapRange()
			for iter.Next() {
				entries = append(entries, map[string]any{lowerCamel(keyName): iter.Key().Interface(), lowerCamel(valueName): iter.Value().Interface()})
			}
			val = entries
		default:
			if f.IsZero() {
				continue
			}
			val = f.Interface()
		}
		m := out
		parts := strings.Split(name, ".")
		for _, p := range parts[:len(parts)-1] {
			next, ok := m[lowerCamel(p)].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[lowerCamel(p)] = next
			}
			m = next
		}
		m[lowerCamel(parts[len(parts)-1])] = val
	}
	return out
}

// camelKeys lower-camels every object key of a decoded JSON value.
func camelKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[lowerCamel(k)] = camelKeys(e)
		}
		return out
	case []any:
		for i := range x {
			x[i] = camelKeys(x[i])
		}
	}
	return v
}

// scrub removes secret members at any depth.
func scrub(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if secretMembers[strings.ToLower(k)] {
				delete(x, k)
				continue
			}
			x[k] = scrub(e)
		}
	case []any:
		for i := range x {
			x[i] = scrub(x[i])
		}
	}
	return v
}

// lowerCamel is CloudTrail's member naming: AccessKeyId → accessKeyId,
// ARN → arn, QueueURL → queueURL… with a leading capital run lowered.
func lowerCamel(s string) string {
	r := []rune(s)
	n := 0
	for n < len(r) && unicode.IsUpper(r[n]) {
		n++
	}
	switch {
	case n == 0:
		return s
	case n == 1 || n == len(r):
		n = min(n, len(r))
	default:
		n-- // the last capital of the run starts the next word
	}
	for i := range n {
		r[i] = unicode.ToLower(r[i])
	}
	return string(r)
}

var isoTime = NewPattern(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`)

// cloudTrailTime is how CloudTrail renders timestamps inside
// responseElements: "Oct 25, 2024, 9:07:11 PM".
func cloudTrailTime(t time.Time) string { return t.UTC().Format("Jan 2, 2006, 3:04:05 PM") }

// auditValue turns an output wire struct into responseElements: members
// under their wire names lower-cameled, timestamps in CloudTrail's format,
// empty members left out, secrets removed.
func auditValue(out any, p Protocol) any {
	v := outputValue(reflect.ValueOf(out), p)
	v = scrub(v)
	if m, ok := v.(map[string]any); ok && len(m) == 0 {
		return nil
	}
	return v
}

var timeType = reflect.TypeFor[time.Time]()
var epochType = reflect.TypeFor[EpochTime]()

func outputValue(v reflect.Value, p Protocol) any {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch v.Type() {
	case timeType:
		return cloudTrailTime(v.Interface().(time.Time))
	case epochType:
		return cloudTrailTime(time.Time(v.Interface().(EpochTime)))
	}
	switch v.Kind() {
	case reflect.Struct:
		out := map[string]any{}
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Name == "XMLName" {
				continue
			}
			name := f.Name
			tagName := "json"
			if p == ProtoQuery || p == ProtoRestXML {
				tagName = "xml"
			}
			if tag, ok := f.Tag.Lookup(tagName); ok {
				n, opts, _ := strings.Cut(tag, ",")
				if n == "-" || strings.Contains(opts, "attr") || strings.Contains(opts, "chardata") {
					continue
				}
				n, _, _ = strings.Cut(n, ">") // a list's wrapper element names it
				if n != "" {
					name = n
				}
			}
			fv := f.Type
			if f.Anonymous && fv.Kind() == reflect.Struct {
				if m, ok := outputValue(v.Field(i), p).(map[string]any); ok {
					for k, e := range m {
						out[k] = e
					}
				}
				continue
			}
			e := outputValue(v.Field(i), p)
			if e == nil || reflect.ValueOf(e).IsZero() {
				continue
			}
			out[lowerCamel(name)] = e
		}
		return out
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // raw bytes (object data) are never recorded
		}
		out := make([]any, 0, v.Len())
		for i := range v.Len() {
			out = append(out, outputValue(v.Index(i), p))
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case reflect.Map:
		out := map[string]any{}
		iter := v.MapRange()
		for iter.Next() {
			out[iter.Key().String()] = outputValue(iter.Value(), p)
		}
		return out
	case reflect.String:
		if s := v.String(); isoTime.MatchString(s) {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return cloudTrailTime(t)
			}
		}
		return v.String()
	}
	return v.Interface()
}

// auditResource is a resource a call acts on, as CloudTrail names it.
type auditResource struct {
	Type, Name, ARN, owner string
}

func (r auditResource) Account() string { return r.owner }

// resourcesOf derives the resources CloudTrail lists from the ARN an
// operation was authorized on ("*": none).
func resourcesOf(arn, owner string) []auditResource {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return nil
	}
	service, resource := parts[2], parts[5]
	switch service {
	case "s3":
		bucket, key, isObject := strings.Cut(resource, "/")
		b := auditResource{Type: "AWS::S3::Bucket", Name: bucket, ARN: "arn:aws:s3:::" + bucket, owner: owner}
		if isObject && key != "" && key != "*" {
			return []auditResource{{Type: "AWS::S3::Object", Name: arn, ARN: arn, owner: owner}, b}
		}
		return []auditResource{b}
	case "iam":
		kind, _, _ := strings.Cut(resource, "/")
		switch kind {
		case "root":
			return []auditResource{{Type: "AWS::IAM::Root", Name: parts[4], ARN: arn, owner: parts[4]}}
		case "user":
			return []auditResource{{Type: "AWS::IAM::User", Name: lastSegment(arn), ARN: arn, owner: parts[4]}}
		case "role":
			return []auditResource{{Type: "AWS::IAM::Role", Name: lastSegment(arn), ARN: arn, owner: parts[4]}}
		}
	case "sqs":
		return []auditResource{{Type: "AWS::SQS::Queue", Name: resource, ARN: arn, owner: parts[4]}}
	case "organizations":
		kind, _, _ := strings.Cut(resource, "/")
		types := map[string]string{"account": "AWS::Organizations::Account", "organization": "AWS::Organizations::Organization",
			"root": "AWS::Organizations::Root", "ou": "AWS::Organizations::OrganizationalUnit", "policy": "AWS::Organizations::Policy"}
		if t, ok := types[kind]; ok {
			return []auditResource{{Type: t, Name: lastSegment(arn), ARN: arn}}
		}
	case "cloudtrail":
		if strings.HasPrefix(resource, "trail/") {
			return []auditResource{{Type: "AWS::CloudTrail::Trail", Name: arn, ARN: arn, owner: parts[4]}}
		}
	}
	return nil
}
