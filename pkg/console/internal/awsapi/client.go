// Package awsapi is the web console's own AWS client: the few operations
// its pages call, signed with SigV4 and sent to the emulator's AWS handler
// in process, their answers decoded into small structs that hold only what
// the pages show.
//
// It exists instead of aws-sdk-go-v2's service clients because those are
// costly to link: their package initialisation (schemas, endpoint rules,
// regular expressions) was almost half of the emulator's start-up CPU, for
// a console most runs never open. The SigV4 signer it uses is the SDK's
// own, which the pipeline links anyway.
//
// Each operation speaks its service's protocol as its model
// (aws-models/<service>/…/service-2.json) defines it: query for STS and IAM,
// JSON 1.1 for Organizations and CloudTrail, JSON 1.0 for SQS, rest-xml for
// S3. Every refusal comes back as an *Error with AWS's code and message.
package awsapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// region is the one region the console signs for, as it always has.
const region = "us-east-1"

// endpoint is the base URL of the requests: they never leave the process,
// so the host only has to be one the signature covers.
const endpoint = "http://console.internal"

// userAgent names the console in the caller's CloudTrail records.
const userAgent = "emulator-console"

// Client calls the emulator's AWS APIs as one principal.
type Client struct {
	handler http.Handler
	creds   aws.Credentials
	// signer is the client's own: the SDK's signer caches the signing key
	// it derived by access key id alone, so a signer shared with another
	// secret for the same id (a sign-in with a wrong one) would sign with
	// that secret's key.
	signer *v4.Signer
	// now is the signing time: wall time, as any client's, because the
	// pipeline judges a request's X-Amz-Date against wall time, not
	// against the world's emulated clock.
	now func() time.Time
}

// New returns a client that signs with creds and sends every request to
// handler, the emulator's AWS endpoint, without a network hop.
func New(handler http.Handler, creds aws.Credentials) *Client {
	return &Client{handler: handler, creds: creds, signer: v4.NewSigner(), now: time.Now}
}

// Error is an AWS error as the service's protocol carried it.
type Error struct {
	Code    string
	Message string
	// StatusCode is the HTTP status of the answer.
	StatusCode int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// response is an answer of the handler.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r *response) failed() bool { return r.status < 200 || r.status > 299 }

// send signs req for service with the client's credentials and serves it in
// process. The payload hash is the body's own, as the SDK's signer computes
// it; S3 also carries it in X-Amz-Content-Sha256, which S3 requires.
func (c *Client) send(req *http.Request, service string, body []byte) (*response, error) {
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	var opts []func(*v4.SignerOptions)
	if service == "s3" {
		// S3's paths are signed as they are, as S3's clients sign them.
		opts = append(opts, func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
		req.Header.Set("X-Amz-Content-Sha256", hash)
	}
	req.Header.Set("User-Agent", userAgent)
	if err := c.signer.SignHTTP(req.Context(), c.creds, req, hash, service, region, c.now(), opts...); err != nil {
		return nil, fmt.Errorf("sign %s request: %w", service, err)
	}
	rec := newRecorder()
	c.handler.ServeHTTP(rec, req)
	return &response{status: rec.statusCode(), header: rec.header, body: rec.body.Bytes()}, nil
}

// newRequest is a request to the in-process endpoint.
func newRequest(ctx context.Context, method, pathAndQuery string, body []byte) (*http.Request, error) {
	var rd io.Reader = http.NoBody
	if len(body) > 0 {
		rd = bytes.NewReader(body)
	}
	return http.NewRequestWithContext(ctx, method, endpoint+pathAndQuery, rd)
}

// --- query protocol (STS, IAM) ---

// query calls action of a query-protocol service with params and decodes
// the <ActionResult> element of its answer into out (nil: nothing to read).
func (c *Client) query(ctx context.Context, service, version, action string, params url.Values, out any) error {
	form := url.Values{"Action": {action}, "Version": {version}}
	for k, vs := range params {
		form[k] = vs
	}
	body := []byte(form.Encode())
	req, err := newRequest(ctx, http.MethodPost, "/", body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	resp, err := c.send(req, service, body)
	if err != nil {
		return err
	}
	if resp.failed() {
		return xmlError(resp)
	}
	if out == nil {
		return nil
	}
	if err := decodeElement(resp.body, action+"Result", out); err != nil {
		return fmt.Errorf("%s %s: read the answer: %w", service, action, err)
	}
	return nil
}

// decodeElement decodes the first element called name in an XML document.
func decodeElement(doc []byte, name string, out any) error {
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return fmt.Errorf("no <%s> element", name)
		}
		if err != nil {
			return err
		}
		if start, ok := tok.(xml.StartElement); ok && start.Name.Local == name {
			return d.DecodeElement(out, &start)
		}
	}
}

// xmlError reads a query error (<ErrorResponse><Error><Code>) or an S3
// error (<Error><Code>): the same two elements, one level apart.
func xmlError(resp *response) error {
	var e struct {
		Code    string
		Message string
		Error   struct {
			Code    string
			Message string
		}
	}
	if xml.Unmarshal(resp.body, &e) == nil {
		if e.Error.Code != "" {
			return &Error{Code: e.Error.Code, Message: e.Error.Message, StatusCode: resp.status}
		}
		if e.Code != "" {
			return &Error{Code: e.Code, Message: e.Message, StatusCode: resp.status}
		}
	}
	return unknownError(resp)
}

// unknownError is an answer that failed without an error envelope, in the
// SDK's words for it.
func unknownError(resp *response) error {
	return &Error{Code: "UnknownError", Message: http.StatusText(resp.status), StatusCode: resp.status}
}

// --- JSON protocols (Organizations, CloudTrail: 1.1; SQS: 1.0) ---

// jsonService is the wire identity of a JSON-protocol service.
type jsonService struct {
	signingName  string
	targetPrefix string
	contentType  string
}

var (
	organizationsService = jsonService{"organizations", "AWSOrganizationsV20161128", "application/x-amz-json-1.1"}
	cloudTrailService    = jsonService{"cloudtrail", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101", "application/x-amz-json-1.1"}
	sqsService           = jsonService{"sqs", "AmazonSQS", "application/x-amz-json-1.0"}
)

// call sends in (nil: {}) to operation op of svc and decodes the answer into
// out (nil: nothing to read).
func (c *Client) call(ctx context.Context, svc jsonService, op string, in, out any) error {
	body := []byte("{}")
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	req, err := newRequest(ctx, http.MethodPost, "/", body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", svc.contentType)
	req.Header.Set("X-Amz-Target", svc.targetPrefix+"."+op)
	resp, err := c.send(req, svc.signingName, body)
	if err != nil {
		return err
	}
	if resp.failed() {
		return jsonError(resp)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp.body, out); err != nil {
		return fmt.Errorf("%s %s: read the answer: %w", svc.signingName, op, err)
	}
	return nil
}

// jsonError reads a JSON protocol's error: the code from X-Amzn-ErrorType or
// the body's __type (or code), the message from message or Message. SQS,
// which keeps its query protocol's codes (awsQueryCompatible), sends those
// in x-amzn-query-error ("Code;Sender"), and they win, as in the SDK.
func jsonError(resp *response) error {
	var body struct {
		Type         string `json:"__type"`
		Code         string `json:"code"`
		Message      string `json:"message"`
		MessageUpper string `json:"Message"`
	}
	_ = json.Unmarshal(resp.body, &body) // a body that is no JSON leaves the header's code, if any
	code := resp.header.Get("X-Amzn-ErrorType")
	if code == "" {
		code = body.Type
	}
	if code == "" {
		code = body.Code
	}
	code = sanitizeCode(code)
	if qc, _, _ := strings.Cut(resp.header.Get("x-amzn-query-error"), ";"); qc != "" {
		code = qc
	}
	if code == "" {
		return unknownError(resp)
	}
	msg := body.Message
	if msg == "" {
		msg = body.MessageUpper
	}
	return &Error{Code: code, Message: msg, StatusCode: resp.status}
}

// sanitizeCode drops a code's namespace ("aws.protocols#Code") and any
// ":http://…" suffix, as the SDKs do.
func sanitizeCode(code string) string {
	if i := strings.IndexByte(code, ':'); i >= 0 {
		code = code[:i]
	}
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	return code
}

// epochSeconds is a JSON protocol timestamp: seconds since the epoch, with
// a fraction.
type epochSeconds time.Time

func (t *epochSeconds) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return err
	}
	// Milliseconds are all the protocols carry; rounding keeps them exact
	// despite the float.
	*t = epochSeconds(time.UnixMilli(int64(math.Round(secs * 1000))).UTC())
	return nil
}

// --- rest-xml (S3, path-style) ---

// rest sends a bodyless S3 request for path (already escaped) and the raw
// query, and returns the answer's body.
func (c *Client) rest(ctx context.Context, method, path, rawQuery string) ([]byte, error) {
	target := path
	if rawQuery != "" {
		target += "?" + rawQuery
	}
	req, err := newRequest(ctx, method, target, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(req, "s3", nil)
	if err != nil {
		return nil, err
	}
	if resp.failed() {
		return nil, xmlError(resp)
	}
	return resp.body, nil
}

// bucketPath is a bucket's path-style address.
func bucketPath(bucket string) (string, error) {
	if bucket == "" {
		return "", errors.New("input member Bucket must not be empty")
	}
	return "/" + url.PathEscape(bucket), nil
}
