package pipeline

import (
	"encoding"
	"encoding/xml"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// The query protocol's results (IAM, STS, SQS over query) are written by
// an encoder compiled once per result type, which appends exactly what
// encoding/xml's EncodeElement writes for it. encoding/xml inspected every
// value for marshaler interfaces and wrote through a printer on each call:
// a sixth of a GetCallerIdentity's handler CPU. A type the compiled encoder
// does not cover (attributes, embedded fields, XMLName, marshalers,
// floats, namespaces, parent>child paths) is written by encoding/xml, as
// before; TestQueryXMLMatchesEncodingXML checks every query result type of
// the API table against encoding/xml, and that no IAM or STS result falls
// back.

// xmlKind is what a compiled node does.
type xmlKind uint8

const (
	xmlPointer xmlKind = iota // dereference, then the element node
	xmlSlice                  // each item as an element of the same name
	xmlStruct                 // an element of child elements
	xmlString
	xmlBool
	xmlInt
	xmlUint
)

// xmlNode encodes values of one type as encoding/xml's marshalValue does.
type xmlNode struct {
	kind   xmlKind
	elem   *xmlNode   // xmlPointer, xmlSlice
	fields []xmlField // xmlStruct
}

// xmlField is an element of a struct: its field index, element name and
// omitempty flag.
type xmlField struct {
	index     int
	name      string
	omitEmpty bool
	node      *xmlNode
}

// queryXMLNodes caches each result type's node; a nil node means
// encoding/xml writes the type.
var queryXMLNodes sync.Map // reflect.Type → *xmlNode

// queryXMLNode is the compiled node of t, or nil when encoding/xml must write it.
func queryXMLNode(t reflect.Type) *xmlNode {
	if n, ok := queryXMLNodes.Load(t); ok {
		return n.(*xmlNode)
	}
	n, ok := compileXML(t, map[reflect.Type]bool{})
	if !ok {
		n = nil
	}
	queryXMLNodes.Store(t, n)
	return n
}

var (
	xmlMarshalerType  = reflect.TypeFor[xml.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// compileXML builds t's node; false when t has anything it does not cover.
// open holds the struct types being compiled (a recursive type is not covered).
func compileXML(t reflect.Type, open map[reflect.Type]bool) (*xmlNode, bool) {
	if t.Kind() == reflect.Pointer {
		elem, ok := compileXML(t.Elem(), open)
		return &xmlNode{kind: xmlPointer, elem: elem}, ok
	}
	// encoding/xml asks the value and its address for these, after dereferencing.
	for _, m := range []reflect.Type{xmlMarshalerType, textMarshalerType} {
		if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
			return nil, false
		}
	}
	switch t.Kind() {
	case reflect.String:
		return &xmlNode{kind: xmlString}, true
	case reflect.Bool:
		return &xmlNode{kind: xmlBool}, true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &xmlNode{kind: xmlInt}, true
	case reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &xmlNode{kind: xmlUint}, true
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 { // base64, in encoding/xml
			return nil, false
		}
		elem, ok := compileXML(t.Elem(), open)
		return &xmlNode{kind: xmlSlice, elem: elem}, ok
	case reflect.Struct:
		return compileXMLStruct(t, open)
	}
	return nil, false
}

func compileXMLStruct(t reflect.Type, open map[reflect.Type]bool) (*xmlNode, bool) {
	if open[t] {
		return nil, false
	}
	open[t] = true
	defer delete(open, t)
	n := &xmlNode{kind: xmlStruct}
	names := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous || f.Name == "XMLName" {
			return nil, false
		}
		tag := f.Tag.Get("xml")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.ContainsAny(name, " >") {
			return nil, false // a namespace or a parent>child path
		}
		field := xmlField{index: i, name: name}
		if field.name == "" {
			field.name = f.Name
		}
		for opt := range strings.SplitSeq(opts, ",") {
			switch opt {
			case "":
			case "omitempty":
				field.omitEmpty = true
			default:
				return nil, false // attr, chardata, innerxml, comment, any, cdata
			}
		}
		if names[field.name] {
			return nil, false // encoding/xml reports the conflict
		}
		names[field.name] = true
		node, ok := compileXML(f.Type, open)
		if !ok {
			return nil, false
		}
		field.node = node
		n.fields = append(n.fields, field)
	}
	return n, true
}

// appendElement appends v as the element name, as encoding/xml's
// marshalValue writes it; omitEmpty is the field's flag.
func (n *xmlNode) appendElement(b []byte, name string, omitEmpty bool, v reflect.Value) []byte {
	if omitEmpty && n.empty(v) {
		return b
	}
	for n.kind == xmlPointer {
		if v.IsNil() {
			return b
		}
		n, v = n.elem, v.Elem()
	}
	if n.kind == xmlSlice {
		for i := range v.Len() {
			b = n.elem.appendElement(b, name, omitEmpty, v.Index(i))
		}
		return b
	}
	b = append(append(append(b, '<'), name...), '>')
	switch n.kind {
	case xmlStruct:
		for i := range n.fields {
			f := &n.fields[i]
			b = f.node.appendElement(b, f.name, f.omitEmpty, v.Field(f.index))
		}
	case xmlString:
		b = appendXMLText(b, v.String())
	case xmlBool:
		b = strconv.AppendBool(b, v.Bool())
	case xmlInt:
		b = strconv.AppendInt(b, v.Int(), 10)
	case xmlUint:
		b = strconv.AppendUint(b, v.Uint(), 10)
	}
	return append(append(append(b, "</"...), name...), '>')
}

// empty is encoding/xml's isEmptyValue: a struct is never empty.
func (n *xmlNode) empty(v reflect.Value) bool {
	switch n.kind {
	case xmlStruct:
		return false
	case xmlSlice:
		return v.Len() == 0
	}
	return v.IsZero()
}

// appendXMLText appends s escaped as encoding/xml's EscapeString escapes
// text: the five markup characters, tab and line ends as character
// references, and what XML cannot carry as U+FFFD.
func appendXMLText(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\'' && c != '&' && c != '<' && c != '>' {
			i++
			continue
		}
		r, width := utf8.DecodeRuneInString(s[i:])
		var esc string
		switch r {
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\t':
			esc = "&#x9;"
		case '\n':
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default:
			if xmlCharacter(r) && (r != utf8.RuneError || width > 1) {
				i += width
				continue
			}
			esc = "\uFFFD"
		}
		b = append(append(b, s[last:i]...), esc...)
		i += width
		last = i
	}
	return append(b, s[last:]...)
}

// xmlCharacter reports whether r is in XML's Char production.
func xmlCharacter(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
