package pipeline_test

import (
	"bytes"
	"encoding/xml"
	"math/rand/v2"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/randfill"
	"github.com/rootaccess/emulator/pkg/api/pipeline"
)

// xmlStrings take every path of the text escaping: plain, empty, each
// character encoding/xml escapes, characters XML cannot carry, and broken
// UTF-8.
var xmlStrings = []string{"", "plain", "arn:aws:iam::111111111111:user/admin", `a<b>&c"d'e`, "tab\tnl\ncr\r",
	"ctl\x01\x1f\x7f", "é ✓ 雪 😀", "bad\xffutf8", "\uFFFD real", "\uFFFE\uD7FF\uE000", "/path/to/", "2026-12-02T15:04:05Z"}

// xmlFiller fills results with xmlStrings; results hold no interfaces.
var xmlFiller = randfill.Filler{Strings: xmlStrings, Values: []any{nil}}

// encodingXMLResult is WriteQueryResult's answer as encoding/xml writes it.
func encodingXMLResult(t *testing.T, svc *pipeline.Service, op, requestID string, result any) string {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString("<" + op + `Response xmlns="` + svc.XMLNamespace + `">`)
	enc := xml.NewEncoder(&b)
	require.NoError(t, enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: op + "Result"}}))
	require.NoError(t, enc.Flush())
	b.WriteString("<ResponseMetadata><RequestId>" + requestID + "</RequestId></ResponseMetadata></" + op + "Response>")
	return b.String()
}

// TestQueryXMLMatchesEncodingXML writes random results of every query
// operation in the API table through WriteQueryResult and checks each
// against encoding/xml, byte for byte; and that the compiled encoder, not
// encoding/xml, writes every IAM and STS result.
func TestQueryXMLMatchesEncodingXML(t *testing.T) {
	srv := apitest.New(t)
	r := rand.New(rand.NewPCG(3, 5))
	svc := &pipeline.Service{Name: "test", XMLNamespace: "https://example.com/doc/2010-05-08/"}
	checked := 0
	for _, op := range srv.API.Operations() {
		if !op.Query || op.Output == nil || op.Output == reflect.TypeFor[pipeline.NoOutput]() {
			continue
		}
		// IAM's and STS's results are all plain shapes; SQS's maps write
		// themselves (MarshalXML), so encoding/xml writes those results.
		if op.Service == "iam" || op.Service == "sts" {
			require.True(t, pipeline.QueryXMLCompiled(reflect.PointerTo(op.Output)),
				"%s %s: encoding/xml writes its result %v; cover its shape in query_xml.go", op.Service, op.Name, op.Output)
		}
		for i := range 200 {
			out := reflect.New(op.Output)
			if i > 0 { // the first is the zero result
				xmlFiller.Fill(r, out.Elem())
			}
			w := httptest.NewRecorder()
			require.NoError(t, pipeline.WriteQueryResult(w, svc, op.Name, "req-1", out.Interface()))
			require.Equal(t, encodingXMLResult(t, svc, op.Name, "req-1", out.Interface()), w.Body.String(),
				"%s %s, result %d: %+v", op.Service, op.Name, i, out.Elem().Interface())
		}
		checked++
	}
	require.Greater(t, checked, 50, "the query operations' results")
}

// TestQueryXMLFallsBack: shapes the compiled encoder does not cover are
// written by encoding/xml, as before.
func TestQueryXMLFallsBack(t *testing.T) {
	type withAttr struct {
		ID string `xml:"id,attr"`
	}
	type withPath struct {
		Items []string `xml:"Items>member"`
	}
	type withName struct {
		XMLName xml.Name `xml:"Named"`
		Value   string
	}
	type withFloat struct{ Ratio float64 }
	type embedded struct{ withFloat }
	type withBytes struct{ Data []byte }
	svc := &pipeline.Service{Name: "test", XMLNamespace: "ns"}
	for _, v := range []any{&withAttr{ID: "a<"}, &withPath{Items: []string{"x", "y"}}, &withName{Value: "v"},
		&withFloat{Ratio: 0.5}, &embedded{withFloat{1.5}}, &withBytes{Data: []byte("hi")}} {
		require.False(t, pipeline.QueryXMLCompiled(reflect.TypeOf(v)), "%T", v)
		w := httptest.NewRecorder()
		require.NoError(t, pipeline.WriteQueryResult(w, svc, "Op", "r", v))
		require.Equal(t, encodingXMLResult(t, svc, "Op", "r", v), w.Body.String(), "%T", v)
	}
}
