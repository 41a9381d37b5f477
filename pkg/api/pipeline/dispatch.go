package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/rootaccess/emulator/pkg/store"
)

// Deps are what every service is built from: the world, the clock and the
// logger. The caller's identity and the authorizer reach handlers through
// their Call.
type Deps struct {
	Store *store.Store
	Clock *Clock
	Log   *slog.Logger
	// Stopping is closed when the server begins to shut down, so that
	// requests that wait (SQS long polls) answer at once instead of
	// holding the shutdown up. Nil never closes.
	Stopping <-chan struct{}
	// Audit records every call in CloudTrail; nil records nothing.
	Audit *Recorder
}

// Config holds the pipeline's limits.
type Config struct {
	// SkewLimit is how far a request's X-Amz-Date may be from wall time
	// (AWS allows 15 minutes); 0 switches the check off.
	SkewLimit time.Duration
	// BodyLimit is the largest body of a service without its own BodyLimit.
	BodyLimit int64
	// BodyIdleTimeout is how long a request body may pause before the
	// request fails with RequestTimeout.
	BodyIdleTimeout time.Duration
	// ConfirmSignatures makes every request that passes the fast SigV4
	// check be re-signed with the SDK's signer too, and refused (with an
	// error logged) when the two disagree: tests run with it, so that the
	// SDK judges the fast check on every request of the suite.
	ConfirmSignatures bool
	// BodyMinRate is the slowest average a body may arrive at, in bytes
	// per second, once BodyIdleTimeout has passed since its first byte was
	// asked for: a client trickling a byte at a time is cut off with
	// RequestTimeout. 0 switches the check off.
	BodyMinRate int64
}

// Pipeline serves AWS requests: it finds the service and operation of a
// request, authenticates it, and runs the operation from the table.
type Pipeline struct {
	Deps
	cfg      Config
	authz    *Authorizer
	ops      map[OpKey]*Operation
	services []*Service
	// fallback is the rest-xml service (S3) that answers requests naming no other.
	fallback *Service
	// formBody is the largest BodyLimit of the services that take forms
	// (query protocol): what is read of a form whose service only its
	// body names.
	formBody         int64
	signer, s3Signer *v4.Signer
	signingKeys      signingKeys
}

// New builds a pipeline over the operations of every service.
func New(d Deps, cfg Config, ops []Operation) *Pipeline {
	p := &Pipeline{Deps: d, cfg: cfg, authz: NewAuthorizer(d), ops: Table(ops), formBody: cfg.BodyLimit}
	for _, o := range ops {
		if !slices.Contains(p.services, o.Service) {
			p.services = append(p.services, o.Service)
			if o.Service.RestXML {
				p.fallback = o.Service
			} else if o.Service.Version != "" {
				p.formBody = max(p.formBody, o.Service.BodyLimit)
			}
		}
	}
	p.signer, p.s3Signer = newSigners()
	return p
}

// Services lists the services of the table with their number of operations.
func (p *Pipeline) Services() map[string]int {
	counts := map[string]int{}
	for k := range p.ops {
		counts[k.Service]++
	}
	return counts
}

// Call is one AWS request on its way through the pipeline.
type Call struct {
	W         http.ResponseWriter
	R         *http.Request
	Svc       *Service
	Proto     Protocol
	Action    string // wire operation name, e.g. AssumeRoot
	RequestID string
	Body      []byte
	Form      url.Values // query protocol parameters (body form and URL query)
	ID        Identity
	Region    string
	authz     *Authorizer
	// errCode is the AWS error code the call was answered with, and
	// internal says it was the emulator's failure, not the client's: both
	// for the request's log line.
	errCode  string
	internal bool

	// Streamed says that Body is nil and R.Body is the payload, for the
	// operation to read and check against its signed hash (stream.go).
	Streamed bool

	// What the call's CloudTrail record is made of (audit.go).
	pipeline    *Pipeline
	op          *Operation
	auditIn     any
	auditOut    any
	auditParams map[string]any
	target      *Resource // what the operation was authorized on
	recorded    bool      // the record was committed with the call's write
}

// Authorize decides whether the caller may perform action on res (see
// Authorizer.Authorize); a refusal is AccessDenied in the call's protocol.
func (c *Call) Authorize(ctx context.Context, action string, res Resource) error {
	if c.target == nil {
		t := res
		if t.Account == "" {
			t.Account = c.ID.AccountID
		}
		c.target = &t
	}
	return c.authz.Authorize(ctx, c, action, res)
}

// ServeHTTP is the pipeline every AWS request goes through: read the body,
// find the service and operation, authenticate, then run the operation.
func (p *Pipeline) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now() // request duration for the log line only, not logic
	sw := &StatusWriter{ResponseWriter: w}
	c := &Call{W: sw, R: r, RequestID: NewRequestID(), authz: p.authz, pipeline: p}
	p.handle(c)
	// A client's mistake is not the emulator's error, whatever its status
	// (S3's NotImplemented is a 501): only internal failures log as errors.
	level := slog.LevelInfo
	if c.internal {
		level = slog.LevelError
	}
	if !p.Log.Enabled(r.Context(), level) {
		return // the line's attributes cost more than the check
	}
	svcName := "unknown"
	if c.Svc != nil {
		svcName = c.Svc.Name
	}
	attrs := []slog.Attr{slog.String("request_id", c.RequestID), slog.String("service", svcName),
		slog.String("action", c.Action), slog.String("principal", c.ID.ARN),
		slog.Int("status", sw.Status), slog.Int64("duration_us", time.Since(start).Microseconds())}
	if c.errCode != "" {
		attrs = append(attrs, slog.String("error", c.errCode))
	}
	if a, ok := ParseAuthorization(r.Header.Get("Authorization")); ok && c.ID.ARN == "" {
		// The key of a request that has no principal (it failed to
		// authenticate, or failed before): a key id is not a secret.
		attrs = append(attrs, slog.String("access_key", a.AccessKeyID))
	}
	p.Log.LogAttrs(r.Context(), level, "request", attrs...)
}

func (p *Pipeline) handle(c *Call) {
	r := c.R
	c.W.Header().Set("x-amzn-RequestId", c.RequestID)
	// Who the request is for comes from its headers first (credential
	// scope, X-Amz-Target, Content-Type): an unsigned request is refused
	// before its body is read, and a signed one is read up to the limit of
	// the service it names, never more.
	c.Svc, c.Proto = p.resolveService(r, nil)
	formVersionInBody := p.versionInBody(r)
	if formVersionInBody {
		// A form naming its service only in its body (Version): the query
		// envelope, without a service namespace, until the body is read.
		c.Svc, c.Proto = unresolved, ProtoQuery
	}
	if c.Svc.RestXML {
		c.W.Header().Set("x-amz-request-id", c.RequestID)
		c.W.Header().Set("x-amz-id-2", c.RequestID)
	}
	if failure := authPrecheck(r); failure != 0 {
		p.refuseUnread(c, AuthError(c.Proto, c.Svc.Name, failure))
		return
	}
	if !formVersionInBody && signingServiceOf(r) != c.Svc.Name {
		// Signed for another service than the headers name (ec2 sent to
		// S3's endpoint): no body can make that signature good.
		p.refuseUnread(c, AuthError(c.Proto, c.Svc.Name, AuthWrongService))
		return
	}
	presigned := isPresignedAny(r)
	if c.Svc.RestXML && !presigned && r.Header.Get("X-Amz-Content-Sha256") == "" {
		// S3 requires it of every SigV4 request; with it, the signature is
		// verified before the body, which may be large, is read.
		p.refuseUnread(c, NewError(http.StatusBadRequest, "InvalidRequest",
			"Missing required header for this request: x-amz-content-sha256"))
		return
	}
	// A request that declares its payload's hash (every S3 client does) is
	// authenticated before its body is read: its signature covers the
	// declared hash, which the body is checked against once read. So is a
	// presigned S3 URL, which never signs its body.
	early := !formVersionInBody &&
		(r.Header.Get("X-Amz-Content-Sha256") != "" || (presigned && c.Svc.RestXML))
	// An operation that takes its body as a stream (S3's PutObject,
	// UploadPart: up to 5 GiB) reads and checks it itself (stream.go).
	c.Streamed = early && c.Svc.StreamBody != nil && c.Svc.StreamBody(r)
	limit := p.bodyLimit(c.Svc)
	if formVersionInBody {
		limit = p.formBody
	}
	if !c.Streamed && r.ContentLength > limit {
		p.refuseUnread(c, BodyTooLarge(c.Proto, limit))
		return
	}
	var cred store.Credential
	if early {
		var failure AuthFailure
		if cred, failure = p.verifySignature(r, nil, c.Svc); failure != 0 {
			p.refuseUnread(c, p.authError(c, failure))
			return
		}
	}
	var body []byte
	var tooLarge bool
	var err error
	if c.Streamed {
		r.Body = streamBody(c.W, r, p.cfg.BodyIdleTimeout, p.cfg.BodyMinRate)
	} else {
		body, tooLarge, err = readBody(c.W, r, limit, p.cfg.BodyIdleTimeout, p.cfg.BodyMinRate)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		p.fail(c, RequestTimeout(c.Proto))
		return
	}
	if err != nil {
		p.fail(c, NewError(http.StatusBadRequest, "IncompleteBody", "The request body could not be read."))
		return
	}
	if tooLarge {
		p.refuseUnread(c, BodyTooLarge(c.Proto, limit))
		return
	}
	if formVersionInBody {
		c.Svc, c.Proto = p.resolveService(r, body)
		if limit = p.bodyLimit(c.Svc); int64(len(body)) > limit {
			p.fail(c, BodyTooLarge(c.Proto, limit))
			return
		}
	}
	c.Body = body
	if err := p.resolveAction(c); err != nil {
		p.fail(c, err)
		return
	}
	if !early {
		var failure AuthFailure
		if cred, failure = p.verifySignature(r, body, c.Svc); failure != 0 {
			p.fail(c, p.authError(c, failure))
			return
		}
	}
	if !c.Streamed && !contentMatches(r, body) {
		p.fail(c, p.authError(c, AuthContentSHAMismatch))
		return
	}
	c.ID = IdentityOf(cred)
	c.Region = regionOf(r)
	p.noteKeyUse(r.Context(), cred, c.Svc.Name, c.Region)
	op, ok := p.ops[OpKey{c.Svc.Name, c.Action}]
	if !ok {
		p.fail(c, UnknownOperation(c.Proto, c.Action))
		return
	}
	c.op = op
	err = op.Invoke(c, *op)
	// Requests that failed authentication never get here: CloudTrail
	// records calls of known principals, refused or not.
	p.recordCall(c, err)
	if err != nil {
		p.fail(c, err)
	}
}

// refuseUnread answers a request whose body is left unread and closes
// its connection: net/http would otherwise read up to 256 KiB of the body
// to keep the connection alive, waiting on a client that may never send it.
func (p *Pipeline) refuseUnread(c *Call, err error) {
	if c.R.ContentLength != 0 {
		c.W.Header().Set("Connection", "close")
	}
	p.fail(c, err)
}

// verifySignature authenticates r for svc over the body's payload hash
// (nil body: the declared one), and checks that a global service's
// request is signed for its region.
func (p *Pipeline) verifySignature(r *http.Request, body []byte, svc *Service) (store.Credential, AuthFailure) {
	cred, failure := p.authenticate(r, payloadHash(r, body), svc.Name)
	if failure == 0 && svc.SigningRegion != "" && regionOf(r) != svc.SigningRegion {
		failure = AuthWrongRegion
	}
	return cred, failure
}

// authError is failure in the call's protocol.
func (p *Pipeline) authError(c *Call, failure AuthFailure) *Error {
	e := AuthError(c.Proto, c.Svc.Name, failure)
	if failure == AuthWrongRegion {
		e.Message = fmt.Sprintf("Credential should be scoped to a valid region, not '%s'.", regionOf(c.R))
	}
	return e
}

// unresolved stands for the service of a form request while its body,
// which names the service, is not read yet.
var unresolved = &Service{Name: "unknown"}

// bodyLimit is the largest body svc takes.
func (p *Pipeline) bodyLimit(svc *Service) int64 {
	if svc.BodyLimit > 0 {
		return svc.BodyLimit
	}
	return p.cfg.BodyLimit
}

// versionInBody reports whether only a form body's Version can name the
// request's service: no credential scope of a known service, no
// X-Amz-Target, no Version in the URL.
func (p *Pipeline) versionInBody(r *http.Request) bool {
	if !isForm(r) || r.Header.Get("X-Amz-Target") != "" || r.URL.Query().Has("Version") {
		return false
	}
	name := signingServiceOf(r)
	return !slices.ContainsFunc(p.services, func(s *Service) bool { return s.Name == name })
}

// resolveService finds the service a request is for, in LocalStack's order:
// the SigV4 credential scope, then X-Amz-Target, then a query-protocol
// Version, and S3 for anything else.
func (p *Pipeline) resolveService(r *http.Request, body []byte) (*Service, Protocol) {
	target := r.Header.Get("X-Amz-Target")
	var svc *Service
	if name := signingServiceOf(r); name != "" {
		for _, candidate := range p.services {
			if candidate.Name == name {
				svc = candidate
			}
		}
	}
	if svc == nil && target != "" {
		prefix := targetPrefix(target)
		for _, candidate := range p.services {
			if candidate.hasTargetPrefix(prefix) {
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
		for _, candidate := range p.services {
			if candidate.Version != "" && candidate.Version == version {
				svc = candidate
			}
		}
	}
	if svc == nil {
		svc = p.fallback
	}
	switch {
	case svc.RestXML:
		return svc, ProtoRestXML
	case svc.JSONProtocol != 0 && (target != "" || isJSON(r)):
		return svc, svc.JSONProtocol
	case svc.JSONProtocol != 0 && svc.Version == "":
		return svc, svc.JSONProtocol
	default:
		return svc, ProtoQuery
	}
}

// targetPrefix is X-Amz-Target without its operation: everything before the
// last dot (CloudTrail's prefix has dots of its own).
func targetPrefix(target string) string {
	if i := strings.LastIndexByte(target, '.'); i >= 0 {
		return target[:i]
	}
	return target
}

func isForm(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	mt := formContentTypes[ct] // what the SDKs send, without parsing it on every request
	if mt == "" {
		mt, _, _ = mime.ParseMediaType(ct)
	}
	return mt == "application/x-www-form-urlencoded" || (r.Method == http.MethodGet && r.URL.Query().Has("Action"))
}

var formContentTypes = map[string]string{
	"application/x-www-form-urlencoded":                "application/x-www-form-urlencoded",
	"application/x-www-form-urlencoded; charset=utf-8": "application/x-www-form-urlencoded",
}

func isJSON(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json")
}

// resolveAction finds the operation name (and decodes query parameters).
func (p *Pipeline) resolveAction(c *Call) error {
	switch c.Proto {
	case ProtoJSON10, ProtoJSON11:
		target := c.R.Header.Get("X-Amz-Target")
		prefix := targetPrefix(target)
		action, ok := strings.CutPrefix(target, prefix+".")
		if !ok || !c.Svc.hasTargetPrefix(prefix) || action == "" {
			return UnknownOperation(c.Proto, target)
		}
		c.Action = action
	case ProtoQuery:
		values, err := url.ParseQuery(string(c.Body))
		if err != nil {
			return NewError(http.StatusBadRequest, "MalformedQueryString", "The request body is not a valid form.")
		}
		if c.R.URL.RawQuery != "" {
			for k, vs := range c.R.URL.Query() {
				if !values.Has(k) {
					values[k] = vs
				}
			}
		}
		c.Form = values
		c.Action = values.Get("Action")
		if c.Action == "" {
			return NewError(http.StatusBadRequest, "MissingAction", "Could not find operation to perform: the request has no Action parameter.")
		}
	case ProtoRestXML:
		action, err := c.Svc.ResolveAction(c.R)
		if err != nil {
			return err
		}
		c.Action = action
	}
	return nil
}

// regionOf is the region of the request's credential scope.
func regionOf(r *http.Request) string {
	a, ok := ParseAuthorization(r.Header.Get("Authorization"))
	if !ok {
		a, ok = presignedCredential(r)
	}
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
func (p *Pipeline) noteKeyUse(ctx context.Context, cred store.Credential, Service, region string) {
	if cred.Temporary() {
		return
	}
	age := p.Clock.Now().Sub(cred.LastUsedAt)
	same := cred.LastUsedService == Service && cred.LastUsedRegion == region
	if age < time.Second || (same && age < time.Minute) {
		return
	}
	p.writeKeyUse(ctx, cred.AccessKeyID, Service, region)
}

// writeKeyUse is noteKeyUse's write, apart so that its closure's captures
// are moved to the heap only when it runs, not on every request.
func (p *Pipeline) writeKeyUse(ctx context.Context, keyID, service, region string) {
	err := p.Store.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.Credential(keyID)
		if err != nil {
			return err
		}
		c.LastUsedAt, c.LastUsedService, c.LastUsedRegion = tx.Now(), service, region
		return tx.PutCredential(c)
	})
	if err != nil {
		p.Log.Warn("record key use", "error", err)
	}
}

// fail writes err in the call's protocol. Only errors that are not AWS
// errors (bugs, disk failures) are logged, as 500s.
func (p *Pipeline) fail(c *Call, err error) {
	e := AsError(storeError(c.Svc, err))
	if e == nil {
		p.Log.Error("internal error", "request_id", c.RequestID, "service", c.Svc.Name, "action", c.Action, "error", err)
		e = InternalError(c.Proto)
		c.internal = true
	}
	c.errCode = wireCode(c.Proto, e)
	writeError(c.W, c.R, c.Proto, c.Svc, c.RequestID, e)
}

// StatusWriter remembers the status a response was answered with, for
// its log line (the pipeline's and the control endpoints').
type StatusWriter struct {
	http.ResponseWriter
	Status int
}

func (w *StatusWriter) WriteHeader(code int) {
	if w.Status == 0 {
		w.Status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (read deadlines).
func (w *StatusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *StatusWriter) Write(b []byte) (int, error) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// NewRequestID returns a random UUID-shaped request id.
func NewRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b)
}

// formatUUID spells b as 8-4-4-4-12 hex digits, in one allocation.
func formatUUID(b [16]byte) string {
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}
