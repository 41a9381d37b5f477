package pipeline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"time"
)

// protocol is one of the AWS wire protocols the emulator speaks.
type Protocol int

const (
	ProtoQuery   Protocol = iota + 1 // form POST in, XML out (IAM, STS, legacy SQS)
	ProtoJSON10                      // awsJson1_0 (SQS)
	ProtoJSON11                      // awsJson1_1 (Organizations)
	ProtoRestXML                     // rest-xml (S3)
)

func (p Protocol) String() string {
	switch p {
	case ProtoQuery:
		return "query"
	case ProtoJSON10:
		return "json1.0"
	case ProtoJSON11:
		return "json1.1"
	case ProtoRestXML:
		return "rest-xml"
	}
	return "unknown"
}

// Service describes one AWS service's wire identity, from its service
// model, and the few hooks the pipeline needs from it. Each service package
// declares its own.
type Service struct {
	Name         string // signing name and table key: sts, iam, organizations, s3, sqs
	Version      string // query-protocol API version
	XMLNamespace string // query-protocol response namespace
	TargetPrefix string // JSON protocol X-Amz-Target prefix
	// TargetAliases are other prefixes clients send: the Smithy SDKs name
	// CloudTrail's operations CloudTrail_20131101.<Op>, botocore with the
	// model's full prefix.
	TargetAliases []string
	JSONProtocol  Protocol
	// RestXML marks the rest-xml service (S3) that also answers every
	// request that names no other service, as AWS's S3 endpoint does.
	RestXML bool
	// BodyLimit is the largest request body the service takes (0: the
	// pipeline's default for RPC services).
	BodyLimit int64
	// SigningRegion is the one region a global service's requests must be
	// signed for (IAM, Organizations: us-east-1); "" for regional services.
	SigningRegion string
	// ResolveAction names the operation of a rest-xml request from its
	// method, path and query; "" with a nil error means none matched.
	ResolveAction func(r *http.Request) (string, error)
	// StreamBody reports whether the service reads this request's body
	// itself, as a stream, after authentication (stream.go).
	StreamBody func(r *http.Request) bool
	// StoreError maps a store sentinel that a handler did not map itself to
	// the service's own code for it (nil: the generic mapping).
	StoreError func(err error) error
	// WrappedErrors reports whether a rest-xml request's errors take the
	// <ErrorResponse><Error>…</Error><RequestId/></ErrorResponse> envelope
	// (S3 Control's, which S3 serves under /v20180820/) instead of S3's
	// bare <Error>; nil: never.
	WrappedErrors func(r *http.Request) bool
}

// hasTargetPrefix reports whether prefix is the service's X-Amz-Target prefix or an alias of it.
func (s *Service) hasTargetPrefix(prefix string) bool {
	return prefix != "" && (prefix == s.TargetPrefix || slices.Contains(s.TargetAliases, prefix))
}

// xmlTime formats a timestamp the way query and rest-xml responses carry it.
func XMLTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// epochTime is a timestamp that awsJson protocols carry as epoch seconds.
type EpochTime time.Time

// MarshalJSON writes seconds since the epoch with millisecond precision.
func (t EpochTime) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', -1, 64), nil
}

// queryBuffer is a query answer's buffer and the bufio.Writer into it that
// xml.NewEncoder uses as is (it would allocate a 4 KiB one per answer).
type queryBuffer struct {
	buf bytes.Buffer
	bw  *bufio.Writer
}

var queryBuffers = sync.Pool{New: func() any {
	qb := &queryBuffer{}
	qb.bw = bufio.NewWriter(&qb.buf)
	return qb
}}

// release returns qb to the pool, unless a large answer grew it.
func (qb *queryBuffer) release() {
	if qb.buf.Cap() > 64<<10 {
		return
	}
	qb.buf.Reset()
	qb.bw.Reset(&qb.buf)
	queryBuffers.Put(qb)
}

// writeQueryResult writes <OpResponse xmlns=…><OpResult>…</OpResult><ResponseMetadata>.
// A nil result (operations with no output) writes no Result element.
func WriteQueryResult(w http.ResponseWriter, svc *Service, op, requestID string, result any) error {
	qb := queryBuffers.Get().(*queryBuffer)
	defer qb.release()
	buf := &qb.buf
	buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	buf.WriteString("<" + op + `Response xmlns="` + svc.XMLNamespace + `">`)
	if result != nil {
		if node := queryXMLNode(reflect.TypeOf(result)); node != nil {
			buf.Write(node.appendElement(buf.AvailableBuffer(), op+"Result", false, reflect.ValueOf(result)))
		} else {
			enc := xml.NewEncoder(qb.bw) // takes qb.bw as is: no buffer of its own
			if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: op + "Result"}}); err != nil {
				return err
			}
			if err := enc.Flush(); err != nil {
				return err
			}
		}
	}
	buf.WriteString("<ResponseMetadata><RequestId>" + requestID + "</RequestId></ResponseMetadata>")
	buf.WriteString("</" + op + "Response>")
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(buf.Bytes())
	return err
}

// writeJSONResult writes an awsJson response body.
func WriteJSONResult(w http.ResponseWriter, p Protocol, result any) error {
	if result == nil {
		result = struct{}{}
	}
	body, err := json.Marshal(result)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", jsonContentType(p))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err
}

func jsonContentType(p Protocol) string {
	if p == ProtoJSON10 {
		return "application/x-amz-json-1.0"
	}
	return "application/x-amz-json-1.1"
}

// writeError renders e, the answer to r, in the envelope of protocol p.
func writeError(w http.ResponseWriter, r *http.Request, p Protocol, svc *Service, requestID string, e *Error) {
	switch p {
	case ProtoJSON10, ProtoJSON11:
		writeJSONError(w, p, e)
	case ProtoRestXML:
		writeRestXMLError(w, requestID, e, svc != nil && svc.WrappedErrors != nil && svc.WrappedErrors(r))
	default:
		writeQueryError(w, svc, requestID, e)
	}
}

type queryErrorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr,omitempty"`
	Error     queryErrorBody
	RequestID string `xml:"RequestId"`
}

type queryErrorBody struct {
	Type    string
	Code    string
	Message string
}

func writeQueryError(w http.ResponseWriter, svc *Service, requestID string, e *Error) {
	code := e.Code
	if e.QueryCode != "" {
		code = e.QueryCode
	}
	ns := ""
	if svc != nil {
		ns = svc.XMLNamespace
	}
	body, _ := xml.Marshal(queryErrorResponse{Xmlns: ns, RequestID: requestID,
		Error: queryErrorBody{Type: e.Fault(), Code: code, Message: e.Message}})
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.Status)
	w.Write(append([]byte(xml.Header), body...))
}

func writeJSONError(w http.ResponseWriter, p Protocol, e *Error) {
	body := map[string]string{"__type": e.Code}
	if p == ProtoJSON11 {
		body["Message"] = e.Message // Organizations' error shapes name the member Message
	} else {
		body["message"] = e.Message
	}
	if e.Reason != "" {
		body["Reason"] = e.Reason
	}
	data, _ := json.Marshal(body)
	w.Header().Set("Content-Type", jsonContentType(p))
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	if e.QueryCode != "" {
		// SQS's awsQueryCompatible trait: SDKs take the legacy code from here.
		w.Header().Set("x-amzn-query-error", e.QueryCode+";"+e.Fault())
	}
	w.WriteHeader(e.Status)
	w.Write(data)
}

func writeRestXMLError(w http.ResponseWriter, requestID string, e *Error, wrapped bool) {
	var buf bytes.Buffer
	if wrapped {
		writeWrappedErrorBody(&buf, requestID, e)
	} else {
		WriteRestXMLErrorBody(&buf, requestID, e)
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(e.Status)
	w.Write(buf.Bytes())
}

// WriteRestXMLErrorBody writes e as S3's <Error> document, for answers
// written outside a handler (net/http's refusals of unparsable requests).
func WriteRestXMLErrorBody(buf *bytes.Buffer, requestID string, e *Error) {
	buf.WriteString(xml.Header + "<Error>")
	writeErrorFields(buf, e)
	buf.WriteString("<RequestId>" + requestID + "</RequestId><HostId>" + requestID + "</HostId></Error>")
}

// writeWrappedErrorBody writes e as S3 Control's document: code, message
// and details inside <Error>, the request's ids beside it.
func writeWrappedErrorBody(buf *bytes.Buffer, requestID string, e *Error) {
	buf.WriteString(xml.Header + "<ErrorResponse><Error>")
	writeErrorFields(buf, e)
	buf.WriteString("</Error><RequestId>" + requestID + "</RequestId><HostId>" + requestID + "</HostId></ErrorResponse>")
}

// writeErrorFields writes a rest-xml error's code, message and details.
func writeErrorFields(buf *bytes.Buffer, e *Error) {
	buf.WriteString("<Code>")
	xml.EscapeText(buf, []byte(e.Code))
	buf.WriteString("</Code><Message>")
	xml.EscapeText(buf, []byte(e.Message))
	buf.WriteString("</Message>")
	for _, k := range slices.Sorted(maps.Keys(e.Extra)) {
		buf.WriteString("<" + k + ">")
		xml.EscapeText(buf, []byte(e.Extra[k]))
		buf.WriteString("</" + k + ">")
	}
}
