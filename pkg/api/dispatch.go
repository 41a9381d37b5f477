package api

import (
	"context"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/rootaccess/emulator/pkg/store"
)

// call is one AWS request on its way through the pipeline.
type call struct {
	w         http.ResponseWriter
	r         *http.Request
	svc       *service
	proto     protocol
	action    string // wire operation name, e.g. AssumeRoot
	requestID string
	body      []byte
	form      url.Values // query protocol parameters (body form and URL query)
	id        Identity
	region    string
	// errCode is the AWS error code the call was answered with, and
	// internal says it was the emulator's failure, not the client's: both
	// for the request's log line.
	errCode  string
	internal bool
}

// serveAWS is the pipeline every AWS request goes through: read the body,
// find the service and operation, authenticate, then run the operation.
func (s *Server) serveAWS(w http.ResponseWriter, r *http.Request) {
	start := time.Now() // request duration for the log line only, not logic
	c := &call{w: w, r: r, requestID: newRequestID()}
	sw := &statusWriter{ResponseWriter: w}
	c.w = sw
	s.handle(c)
	// A client's mistake is not the emulator's error, whatever its status
	// (S3's NotImplemented is a 501): only internal failures log as errors.
	level := slog.LevelInfo
	if c.internal {
		level = slog.LevelError
	}
	svcName := "unknown"
	if c.svc != nil {
		svcName = c.svc.Name
	}
	attrs := []slog.Attr{slog.String("request_id", c.requestID), slog.String("service", svcName),
		slog.String("action", c.action), slog.String("principal", c.id.ARN),
		slog.Int("status", sw.status), slog.Int64("duration_us", time.Since(start).Microseconds())}
	if c.errCode != "" {
		attrs = append(attrs, slog.String("error", c.errCode))
	}
	if a, ok := parseAuthorization(r.Header.Get("Authorization")); ok && c.id.ARN == "" {
		// The key of a request that has no principal (it failed to
		// authenticate, or failed before): a key id is not a secret.
		attrs = append(attrs, slog.String("access_key", a.AccessKeyID))
	}
	s.log.LogAttrs(r.Context(), level, "request", attrs...)
}

func (s *Server) handle(c *call) {
	r := c.r
	c.w.Header().Set("x-amzn-RequestId", c.requestID)
	// The body is read once, up to the largest limit (S3 objects), because
	// both the service resolution and the signature need it.
	body, tooLarge, err := readBody(c.w, r, s.objectLimit, s.bodyIdleTimeout)
	c.svc, c.proto = resolveService(r, body)
	if c.svc == svcS3 {
		c.w.Header().Set("x-amz-request-id", c.requestID)
		c.w.Header().Set("x-amz-id-2", c.requestID)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		s.fail(c, requestTimeout(c.proto))
		return
	}
	if err != nil {
		s.fail(c, newError(http.StatusBadRequest, "IncompleteBody", "The request body could not be read."))
		return
	}
	limit := s.bodyLimit
	if c.svc == svcS3 {
		limit = s.objectLimit
	}
	if tooLarge || int64(len(body)) > limit {
		s.fail(c, bodyTooLarge(c.proto, limit))
		return
	}
	c.body = body
	if err := s.resolveAction(c); err != nil {
		s.fail(c, err)
		return
	}
	cred, failure := s.authenticate(r, body, c.svc.Name)
	if failure != 0 {
		s.fail(c, authError(c.proto, c.svc.Name, failure))
		return
	}
	c.id = identityOf(cred)
	c.region = regionOf(r)
	s.noteKeyUse(r.Context(), cred, c.svc.Name, c.region)
	op, ok := s.ops[opKey{c.svc.Name, c.action}]
	if !ok {
		s.fail(c, unknownOperation(c.proto, c.action))
		return
	}
	if err := op.invoke(s, c, op); err != nil {
		s.fail(c, err)
	}
}

// resolveService finds the service a request is for, in LocalStack's order:
// the SigV4 credential scope, then X-Amz-Target, then a query-protocol
// Version, and S3 for anything else.
func resolveService(r *http.Request, body []byte) (*service, protocol) {
	target := r.Header.Get("X-Amz-Target")
	var svc *service
	if name := signingServiceOf(r); name != "" {
		for _, candidate := range services {
			if candidate.Name == name {
				svc = candidate
			}
		}
	}
	if svc == nil && target != "" {
		prefix, _, _ := strings.Cut(target, ".")
		for _, candidate := range services {
			if candidate.TargetPrefix != "" && candidate.TargetPrefix == prefix {
				svc = candidate
			}
		}
	}
	if svc == nil && isForm(r) {
		version := r.URL.Query().Get("Version")
		if version == "" {
			values, _ := url.ParseQuery(string(body))
			version = values.Get("Version")
		}
		for _, candidate := range services {
			if candidate.Version != "" && candidate.Version == version {
				svc = candidate
			}
		}
	}
	if svc == nil {
		svc = svcS3
	}
	switch {
	case svc == svcS3:
		return svc, protoRestXML
	case svc.JSONProtocol != 0 && (target != "" || isJSON(r)):
		return svc, svc.JSONProtocol
	case svc.JSONProtocol != 0 && svc.Version == "":
		return svc, svc.JSONProtocol
	default:
		return svc, protoQuery
	}
}

func isForm(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/x-www-form-urlencoded" || (r.Method == http.MethodGet && r.URL.Query().Has("Action"))
}

func isJSON(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json")
}

// resolveAction finds the operation name (and decodes query parameters).
func (s *Server) resolveAction(c *call) error {
	switch c.proto {
	case protoJSON10, protoJSON11:
		target := c.r.Header.Get("X-Amz-Target")
		prefix, action, ok := strings.Cut(target, ".")
		if !ok || prefix != c.svc.TargetPrefix || action == "" {
			return unknownOperation(c.proto, target)
		}
		c.action = action
	case protoQuery:
		values, err := url.ParseQuery(string(c.body))
		if err != nil {
			return newError(http.StatusBadRequest, "MalformedQueryString", "The request body is not a valid form.")
		}
		for k, vs := range c.r.URL.Query() {
			if !values.Has(k) {
				values[k] = vs
			}
		}
		c.form = values
		c.action = values.Get("Action")
		if c.action == "" {
			return newError(http.StatusBadRequest, "MissingAction", "Could not find operation to perform: the request has no Action parameter.")
		}
	case protoRestXML:
		c.action = s3Action(c.r)
		if c.action == "" {
			if e := s3MethodError(c.r); e != nil {
				return e
			}
		}
	}
	return nil
}

// regionOf is the region of the request's credential scope.
func regionOf(r *http.Request) string {
	a, ok := parseAuthorization(r.Header.Get("Authorization"))
	if !ok {
		return "us-east-1"
	}
	return a.Region
}

// noteKeyUse records when a long-term access key was last used (AWS's
// GetAccessKeyLastUsed). To keep requests off the disk's fsync, it writes
// only when the recorded use is older than a minute, or older than a second
// and of another service or region: a client that moves between services
// (the walkthrough does at every step) would otherwise make every
// authenticated read a write. AWS itself reports last use hours late.
func (s *Server) noteKeyUse(ctx context.Context, cred store.Credential, service, region string) {
	if cred.Temporary() {
		return
	}
	age := s.clock.Now().Sub(cred.LastUsedAt)
	same := cred.LastUsedService == service && cred.LastUsedRegion == region
	if age < time.Second || (same && age < time.Minute) {
		return
	}
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.Credential(cred.AccessKeyID)
		if err != nil {
			return err
		}
		c.LastUsedAt, c.LastUsedService, c.LastUsedRegion = tx.Now(), service, region
		return tx.PutCredential(c)
	})
	if err != nil {
		s.log.Warn("record key use", "error", err)
	}
}

// fail writes err in the call's protocol. Only errors that are not AWS
// errors (bugs, disk failures) are logged, as 500s.
func (s *Server) fail(c *call, err error) {
	e := asError(storeError(c, err))
	if e == nil {
		s.log.Error("internal error", "request_id", c.requestID, "service", c.svc.Name, "action", c.action, "error", err)
		e = internalError(c.proto)
		c.internal = true
	}
	// The code as the client's SDK names it: SQS's legacy code over query,
	// a JSON __type without its namespace.
	c.errCode = e.Code
	if c.proto == protoQuery && e.QueryCode != "" {
		c.errCode = e.QueryCode
	}
	if _, name, ok := strings.Cut(c.errCode, "#"); ok {
		c.errCode = name
	}
	writeError(c.w, c.proto, c.svc, c.requestID, e)
}

// statusWriter remembers the status code for the log line.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (read deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}
