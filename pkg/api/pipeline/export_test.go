package pipeline

import "reflect"

// QueryXMLCompiled reports whether the compiled encoder writes t's results
// (false: encoding/xml does).
func QueryXMLCompiled(t reflect.Type) bool { return queryXMLNode(t) != nil }
