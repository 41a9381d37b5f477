package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rootaccess/emulator/pkg/api/pipeline"

	"github.com/rootaccess/emulator/pkg/policy"
	"github.com/rootaccess/emulator/pkg/store"
)

// --- Addressing and operation names ---

// s3Action names the S3 operation a REST request is for, from its method,
// path and sub-resource query. Requests for S3 features the emulator does
// not have get "" (or the operation's name when it is not in the table),
// which dispatch answers with NotImplemented.
func s3Action(r *http.Request) string {
	bucket, key := s3Address(r)
	q := r.URL.Query()
	if a := s3SubresourceAction(r.Method, bucket, key, q, r.Header); a != "" {
		return a
	}
	if unsupportedSubresource(q) {
		return ""
	}
	switch {
	case bucket == "" && key == "":
		if r.Method == http.MethodGet {
			return "ListBuckets"
		}
	case q.Has("policy"):
		if key != "" {
			return ""
		}
		switch r.Method {
		case http.MethodGet:
			return "GetBucketPolicy"
		case http.MethodPut:
			return "PutBucketPolicy"
		case http.MethodDelete:
			return "DeleteBucketPolicy"
		}
	case key == "":
		switch r.Method {
		case http.MethodGet:
			if q.Get("list-type") == "2" {
				return "ListObjectsV2"
			}
			return "ListObjects"
		case http.MethodPut:
			return "CreateBucket"
		case http.MethodHead:
			return "HeadBucket"
		case http.MethodDelete:
			return "DeleteBucket"
		}
	default:
		switch r.Method {
		case http.MethodGet:
			return "GetObject"
		case http.MethodHead:
			return "HeadObject"
		case http.MethodPut:
			if r.Header.Get("X-Amz-Copy-Source") != "" {
				return "CopyObject"
			}
			return "PutObject"
		case http.MethodDelete:
			return "DeleteObject"
		}
	}
	return ""
}

// s3SubresourceAction names the operations selected by a sub-resource
// query parameter (multipart uploads…); "" for the others.
func s3SubresourceAction(method, bucket, key string, q url.Values, h http.Header) string {
	switch {
	case key != "" && q.Has("uploads"):
		if method == http.MethodPost {
			return "CreateMultipartUpload"
		}
	case key != "" && q.Has("uploadId"):
		switch method {
		case http.MethodPut:
			if h.Get("X-Amz-Copy-Source") != "" {
				return "UploadPartCopy"
			}
			return "UploadPart"
		case http.MethodPost:
			return "CompleteMultipartUpload"
		case http.MethodDelete:
			return "AbortMultipartUpload"
		case http.MethodGet:
			return "ListParts"
		}
	case bucket != "" && key == "" && q.Has("uploads"):
		if method == http.MethodGet {
			return "ListMultipartUploads"
		}
	case q.Has("tagging"):
		kind := "Bucket"
		if key != "" {
			kind = "Object"
		}
		switch method {
		case http.MethodGet:
			return "Get" + kind + "Tagging"
		case http.MethodPut:
			return "Put" + kind + "Tagging"
		case http.MethodDelete:
			return "Delete" + kind + "Tagging"
		}
	case bucket != "" && key == "" && bucketConfigAction(method, q) != "":
		return bucketConfigAction(method, q)
	case bucket != "" && key == "" && q.Has("delete"):
		if method == http.MethodPost {
			return "DeleteObjects"
		}
	case bucket != "" && key == "" && q.Has("location"):
		if method == http.MethodGet {
			return "GetBucketLocation"
		}
	case bucket != "" && key == "" && q.Has("versions"):
		if method == http.MethodGet {
			return "ListObjectVersions"
		}
	}
	return ""
}

// s3MethodError is S3's answer to a request that no S3 operation has the
// method of: 405 MethodNotAllowed naming the method and the resource for a
// method S3 never serves (PATCH, TRACE…) and for POST on the service or on
// an object without a sub-resource; the CORS refusals for a preflight,
// since no bucket here has a CORS configuration. Nil leaves the request to
// NotImplemented: an S3 feature the emulator does not have.
func s3MethodError(r *http.Request) *pipeline.Error {
	bucket, key := s3Address(r)
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete:
		return nil
	case http.MethodOptions:
		if r.Header.Get("Origin") == "" {
			return pipeline.NewError(http.StatusBadRequest, "BadRequest", "Insufficient information. Origin request header needed.")
		}
		return pipeline.NewError(http.StatusForbidden, "CORSResponse", "CORS is not enabled for this bucket.")
	case http.MethodPost:
		// POST /bucket is the browser form upload, and POST with
		// ?uploads, ?delete, ?restore… are operations: not emulated.
		if (bucket != "" && key == "") || len(r.URL.Query()) > 0 {
			return nil
		}
	}
	resourceType := "OBJECT"
	switch {
	case bucket == "":
		resourceType = "SERVICE"
	case key == "":
		resourceType = "BUCKET"
	}
	e := pipeline.NewError(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
	e.Extra = map[string]string{"Method": r.Method, "ResourceType": resourceType}
	return e
}

// subresources are query parameters that select another S3 API than the
// ones the emulator serves (ACLs, multipart uploads, tagging…).
var subresources = []string{"accelerate", "acl", "analytics", "attributes", "cors", "encryption",
	"intelligent-tiering", "inventory", "legal-hold", "lifecycle", "logging", "metadataTable",
	"metrics", "notification", "object-lock", "ownershipControls", "policyStatus", "publicAccessBlock",
	"replication", "requestPayment", "restore", "retention", "select", "session", "torrent",
	"versioning", "website"}

func unsupportedSubresource(q url.Values) bool {
	for _, name := range subresources {
		if q.Has(name) {
			return true
		}
	}
	return false
}

// s3Address finds the bucket and key of a request. Virtual-hosted style
// names the bucket in the Host (bucket.localhost:PORT,
// bucket.s3.amazonaws.com, bucket.s3.<region>.amazonaws.com); otherwise
// the path is /bucket/key (path style, also with a trailing slash:
// /bucket/?policy).
func s3Address(r *http.Request) (bucket, key string) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	if b := hostBucket(r.Host); b != "" {
		return b, path
	}
	bucket, key, _ = strings.Cut(path, "/")
	return bucket, key
}

// hostBucket returns the bucket named by a virtual-hosted-style Host, or "".
func hostBucket(hostport string) string {
	host := strings.ToLower(hostport)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if b, ok := strings.CutSuffix(host, ".localhost"); ok {
		return b
	}
	rest, ok := strings.CutSuffix(host, ".amazonaws.com")
	if !ok {
		return ""
	}
	if b, ok := strings.CutSuffix(rest, ".s3"); ok {
		return b
	}
	// bucket.s3.<region>, bucket.s3-<region>, bucket.s3.dualstack.<region>:
	// the last ".s3." or ".s3-" ends the bucket, which may contain dots.
	if i := max(strings.LastIndex(rest, ".s3."), strings.LastIndex(rest, ".s3-")); i > 0 {
		return rest[:i]
	}
	return ""
}

// --- The S3 adapter: one row of the API table per S3 operation ---

// s3Request is an S3 REST request after the adapter parsed, decoded and
// checked it.
type s3Request struct {
	bucket, key string
	query       url.Values
	// bucketRec is the bucket as it was when the request arrived; nil when
	// it does not exist. Handlers that write re-read it in their transaction.
	bucketRec *store.Bucket
	// body is the payload with any aws-chunked framing removed, except for
	// the payloadOperations, which read it themselves as a stream.
	body []byte
	// checksums are the client's x-amz-checksum-* values (by algorithm)
	// that matched the payload.
	checksums map[string]string
}

// s3Target computes the resource an S3 request acts on; it cannot fail.
type s3Target func(c *pipeline.Call, req *s3Request) pipeline.Resource

// s3Handler runs an S3 operation and writes its response.
type s3Handler func(s *Service, ctx context.Context, c *pipeline.Call, req *s3Request) error

// op builds a table row for an S3 operation. REST-XML requests do not fit
// op's decode-handle-encode shape (the input is spread over path, query,
// headers and a raw body; outputs are headers, raw bytes or XML), so the
// adapter parses the bucket and key, decodes aws-chunked payloads and
// checks their signatures and checksums, authorizes the IAM action on the
// target (nil: "*" in the caller's account), and lets the handler answer.
func (s *Service) op(name, action string, target s3Target, h s3Handler) pipeline.Operation {
	return s.operation(name, action, target, false, h)
}

// selfAuthorizedOp builds a row whose handler authorizes the action
// itself, per object (DeleteObjects: each key is its own decision).
func (s *Service) selfAuthorizedOp(name, action string, h s3Handler) pipeline.Operation {
	return s.operation(name, action, nil, true, h)
}

func (s *Service) operation(name, action string, target s3Target, selfAuthorized bool, h s3Handler) pipeline.Operation {
	return pipeline.Operation{Service: Info, Name: name, Action: action, Invoke: func(c *pipeline.Call, _ pipeline.Operation) error {
		ctx := c.R.Context()
		req, err := s.s3Parse(ctx, c)
		if err != nil {
			return err
		}
		if err := checkBucketRegion(c, name, req); err != nil {
			return err
		}
		c.RecordParameters(req.auditParameters(c.R))
		if !selfAuthorized {
			res := pipeline.Anywhere
			if target != nil {
				res = target(c, req)
			}
			if err := c.Authorize(ctx, action, res); err != nil {
				return err
			}
		}
		if want := c.R.Header.Get("X-Amz-Expected-Bucket-Owner"); want != "" && req.bucketRec != nil && want != req.bucketRec.Owner {
			return pipeline.NewError(http.StatusForbidden, "AccessDenied", "Access Denied")
		}
		return c.RunRecorded(ctx, func(ctx context.Context) error { return h(s, ctx, c, req) })
	}}
}

// payloadOperations read their (possibly streamed, up to 5 GiB) payload
// themselves, through newPayload.
var payloadOperations = map[string]bool{"PutObject": true, "UploadPart": true}

// streamBody tells the pipeline which requests' bodies S3 takes as a
// stream: the uploads of object data.
func streamBody(r *http.Request) bool {
	return !isControlRequest(r) && payloadOperations[s3Action(r)]
}

// checkBucketRegion refuses a request for an existing bucket signed for
// another region than the bucket's, as S3 does before it authorizes:
// AuthorizationHeaderMalformed naming the region expected, in <Region> and
// in x-amz-bucket-region (a HEAD's answer has no body). CreateBucket is
// left to its own rules (its LocationConstraint, BucketAlreadyExists).
func checkBucketRegion(c *pipeline.Call, op string, req *s3Request) error {
	// GetBucketLocation is how a client finds the region: S3 answers it
	// whatever region it was signed for.
	if req.bucketRec == nil || op == "CreateBucket" || op == "GetBucketLocation" || req.bucketRec.Region == c.Region {
		return nil
	}
	want := req.bucketRec.Region
	c.W.Header().Set("X-Amz-Bucket-Region", want)
	e := pipeline.NewError(http.StatusBadRequest, "AuthorizationHeaderMalformed",
		"The authorization header is malformed; the region '%s' is wrong; expecting '%s'", c.Region, want)
	e.Extra = map[string]string{"Region": want}
	return e
}

// auditParameters are the request's CloudTrail requestParameters: the
// bucket, the Host header, the key, and each query parameter (an empty
// sub-resource such as "policy" as "").
func (req *s3Request) auditParameters(r *http.Request) map[string]any {
	params := map[string]any{"Host": r.Host}
	if req.bucket != "" {
		params["bucketName"] = req.bucket
	}
	if req.key != "" {
		params["key"] = req.key
	}
	for name := range req.query {
		if !strings.HasPrefix(strings.ToLower(name), "x-amz-") {
			params[name] = req.query.Get(name)
		}
	}
	return params
}

// s3Parse reads what every S3 operation needs from the request.
func (s *Service) s3Parse(ctx context.Context, c *pipeline.Call) (*s3Request, error) {
	bucket, key := s3Address(c.R)
	req := &s3Request{bucket: bucket, key: key, query: c.R.URL.Query()}
	if bucket == "" && key != "" {
		return nil, invalidBucketName(bucket)
	}
	if !utf8.ValidString(key) {
		return nil, pipeline.NewError(http.StatusBadRequest, "InvalidURI", "Couldn't parse the specified URI.")
	}
	if len(key) > 1024 {
		e := pipeline.NewError(http.StatusBadRequest, "KeyTooLongError", "Your key is too long")
		e.Extra = map[string]string{"MaxSizeAllowed": "1024", "Size": strconv.Itoa(len(key))}
		return nil, e
	}
	if !payloadOperations[c.Action] {
		p, err := s.newPayload(ctx, c, Info.BodyLimit)
		if err != nil {
			return nil, err
		}
		if req.body, req.checksums, err = p.readAll(); err != nil {
			return nil, err
		}
	}
	if bucket != "" {
		rec, err := s.bucketRecord(ctx, bucket)
		if err != nil {
			return nil, err
		}
		req.bucketRec = rec
	}
	return req, nil
}

// bucketRecord is the named bucket's record, nil when there is none.
func (s *Service) bucketRecord(ctx context.Context, name string) (*store.Bucket, error) {
	var rec *store.Bucket
	err := s.store.View(ctx, func(tx *store.Tx) error {
		b, err := tx.Bucket(name)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		rec = &b
		return err
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// --- Authorization targets ---

func bucketARN(bucket string) string { return "arn:aws:s3:::" + bucket }

// resource is arn owned by the bucket's owner under its bucket policy; a
// bucket that does not exist is the caller's, so that authorization still
// comes before NoSuchBucket.
func (req *s3Request) resource(arn string) pipeline.Resource {
	authType := "REST-HEADER"
	if req.query.Has("X-Amz-Algorithm") {
		authType = "REST-QUERY-STRING"
	}
	res := pipeline.Resource{ARN: arn, Context: map[string][]string{
		"s3:signatureversion": {"AWS4-HMAC-SHA256"},
		"s3:authType":         {authType},
	}}
	if b := req.bucketRec; b != nil {
		res.Account = b.Owner
		if b.Policy != "" {
			res.Policies = []string{b.Policy}
		}
	}
	return res
}

// bucketTarget is the bucket.
func bucketTarget(_ *pipeline.Call, req *s3Request) pipeline.Resource {
	return req.resource(bucketARN(req.bucket))
}

// listTarget is the bucket, with ListBucket's condition keys.
func listTarget(c *pipeline.Call, req *s3Request) pipeline.Resource {
	res := bucketTarget(c, req)
	for _, name := range []string{"prefix", "delimiter", "max-keys"} {
		if req.query.Has(name) {
			res.Context["s3:"+name] = []string{req.query.Get(name)}
		}
	}
	return res
}

// policyTarget is the bucket for bucket-policy management, which the
// owning account's root may always do: S3 documents that the bucket
// owner's root can get, put and delete the policy even when it denies them.
func policyTarget(c *pipeline.Call, req *s3Request) pipeline.Resource {
	res := bucketTarget(c, req)
	res.OwnerRootBypass = true
	return res
}

// newBucketTarget is the bucket CreateBucket would create: the caller's,
// whoever owns the name now (a taken name is BucketAlreadyExists, not a
// question for the other owner's policy).
// Creating it with tags takes s3:TagResource too, as S3 requires.
func newBucketTarget(_ *pipeline.Call, req *s3Request) pipeline.Resource {
	res := req.resource(bucketARN(req.bucket))
	res.Account, res.Policies = "", nil
	if conf, err := readCreateBucketConfiguration(req.body); err == nil && len(conf.Tags) > 0 {
		res.Also = append(res.Also, "s3:TagResource")
	}
	return res
}

// objectTarget is the object.
func objectTarget(_ *pipeline.Call, req *s3Request) pipeline.Resource {
	return req.resource(bucketARN(req.bucket) + "/" + req.key)
}

// --- Errors ---

// bucketError is an S3 error about a bucket, which S3 names in <BucketName>.
func bucketError(status int, code, msg, bucket string) *pipeline.Error {
	e := pipeline.NewError(status, code, "%s", msg)
	e.Extra = map[string]string{"BucketName": bucket}
	return e
}

func noSuchBucket(bucket string) *pipeline.Error {
	return bucketError(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist", bucket)
}

func invalidBucketName(bucket string) *pipeline.Error {
	return bucketError(http.StatusBadRequest, "InvalidBucketName", "The specified bucket is not valid.", bucket)
}

func invalidArgument(msg, name, value string) *pipeline.Error {
	e := pipeline.NewError(http.StatusBadRequest, "InvalidArgument", "%s", msg)
	e.Extra = map[string]string{"ArgumentName": name, "ArgumentValue": value}
	return e
}

func incompleteBody(msg string) *pipeline.Error {
	return pipeline.NewError(http.StatusBadRequest, "IncompleteBody", "%s", msg)
}

// --- Response helpers ---

// s3Time is how S3 writes timestamps in XML: with milliseconds.
func s3Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// writeS3XML writes an S3 XML document (v carries its own root element
// and namespace) with status 200.
func writeS3XML(w http.ResponseWriter, v any) error {
	body, err := xml.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(append([]byte(xml.Header), body...))
	return err
}

func writeNoContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// canonicalUserID is the S3 canonical user id of an account: 64 hex
// characters, stable for the account.
func canonicalUserID(accountID string) string {
	sum := sha256.Sum256([]byte("s3-canonical-user:" + accountID))
	return hex.EncodeToString(sum[:])
}

type ownerShape struct {
	ID string
}

// --- ListBuckets ---

type listAllMyBucketsResult struct {
	XMLName           xml.Name      `xml:"ListAllMyBucketsResult"`
	Xmlns             string        `xml:"xmlns,attr"`
	Buckets           []bucketEntry `xml:"Buckets>Bucket"`
	Owner             ownerShape
	ContinuationToken string `xml:",omitempty"`
	Prefix            string `xml:",omitempty"`
}

type bucketEntry struct {
	Name         string
	CreationDate string
	BucketRegion string
}

func (s *Service) listBuckets(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	prefix := req.query.Get("prefix")
	limit := 10000
	if v := req.query.Get("max-buckets"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return invalidArgument("Argument max-buckets must be an integer between 1 and 10000", "max-buckets", v)
		}
		limit = n
	}
	token := req.query.Get("continuation-token")
	region := req.query.Get("bucket-region")
	var buckets []store.Bucket
	var next string
	err := s.store.View(ctx, func(tx *store.Tx) error {
		var err error
		// A token from a listing with another prefix or region still seeks
		// to its bucket name, as the name tokens before it did.
		buckets, next, err = pipeline.PageByCursor("", token, limit, func(after string, limit int) ([]store.Bucket, string, error) {
			return tx.BucketsPage(c.ID.AccountID, prefix, region, after, limit)
		})
		return err
	})
	if errors.Is(err, pipeline.ErrInvalidToken) {
		return invalidArgument("The continuation token provided is incorrect", "continuation-token", token)
	} else if err != nil {
		return err
	}
	out := listAllMyBucketsResult{Xmlns: Info.XMLNamespace, Owner: ownerShape{ID: canonicalUserID(c.ID.AccountID)},
		Buckets: []bucketEntry{}, Prefix: prefix, ContinuationToken: next}
	for _, b := range buckets {
		out.Buckets = append(out.Buckets, bucketEntry{Name: b.Name, CreationDate: s3Time(b.CreatedAt), BucketRegion: b.Region})
	}
	return writeS3XML(c.W, out)
}

// --- CreateBucket ---

type createBucketConfiguration struct {
	XMLName            xml.Name `xml:"CreateBucketConfiguration"`
	LocationConstraint string
	// Tags are the new bucket's (S3 Control's ABAC-era addition, which
	// Terraform's provider sends).
	Tags []tag `xml:"Tags>Tag"`
}

// readCreateBucketConfiguration decodes CreateBucket's optional body.
func readCreateBucketConfiguration(body []byte) (createBucketConfiguration, error) {
	var conf createBucketConfiguration
	if len(bytes.TrimSpace(body)) > 0 {
		if err := xml.Unmarshal(body, &conf); err != nil {
			return conf, pipeline.NewError(http.StatusBadRequest, "MalformedXML",
				"The XML you provided was not well-formed or did not validate against our published schema")
		}
	}
	return conf, nil
}

var (
	// bucketNameChars and bucketNameEnds make ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$
	// (checked by hand: as a regexp, its bounded repetition cost a
	// fraction of a millisecond of every start).
	bucketNameChars  = pipeline.NewCharClass("a-z0-9.-")
	bucketNameEnds   = pipeline.NewCharClass("a-z0-9")
	ipAddressPattern = pipeline.NewPattern(`^\d+\.\d+\.\d+\.\d+$`)
)

// isBucketNameShape is ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$.
func isBucketNameShape(name string) bool {
	n := len(name)
	return n >= 3 && bucketNameEnds.Has(name[0]) && bucketNameEnds.Has(name[n-1]) && bucketNameChars.Match(name[1:n-1], 1, 61)
}

// ValidBucketName applies S3's naming rules for general purpose buckets.
func ValidBucketName(name string) bool {
	if !isBucketNameShape(name) || strings.Contains(name, "..") || ipAddressPattern.MatchString(name) {
		return false
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return false
		}
	}
	return true
}

func (s *Service) createBucket(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	if !ValidBucketName(req.bucket) {
		return invalidBucketName(req.bucket)
	}
	conf, err := readCreateBucketConfiguration(req.body)
	if err != nil {
		return err
	}
	region, err := bucketRegion(conf.LocationConstraint, c.Region)
	if err != nil {
		return err
	}
	var tags map[string]string
	if len(conf.Tags) > 0 {
		if tags, err = (tagging{TagSet: conf.Tags}).byKey(maxBucketTags); err != nil {
			return err
		}
	}
	err = s.store.Update(ctx, func(tx *store.Tx) error {
		if existing, err := tx.Bucket(req.bucket); err == nil {
			if existing.Owner == c.ID.AccountID {
				return bucketError(http.StatusConflict, "BucketAlreadyOwnedByYou",
					"Your previous request to create the named bucket succeeded and you already own it.", req.bucket)
			}
			return bucketError(http.StatusConflict, "BucketAlreadyExists",
				"The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.", req.bucket)
		}
		_, err := tx.CreateBucket(store.Bucket{Name: req.bucket, Owner: c.ID.AccountID, Region: region, Tags: tags})
		return err
	})
	if err != nil {
		return err
	}
	c.W.Header().Set("Location", "/"+req.bucket)
	c.W.WriteHeader(http.StatusOK)
	return nil
}

// bucketRegion is the region a new bucket goes to: its LocationConstraint,
// which must agree with the region the request was signed for, as S3's
// regional endpoints require (us-east-1 takes no constraint).
func bucketRegion(constraint, requestRegion string) (string, error) {
	if constraint == "EU" {
		constraint = "eu-west-1"
	}
	switch {
	case constraint == "" && requestRegion == "us-east-1":
		return "us-east-1", nil
	case constraint == "":
		return "", pipeline.NewError(http.StatusBadRequest, "IllegalLocationConstraintException",
			"The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.")
	case constraint == "us-east-1":
		e := pipeline.NewError(http.StatusBadRequest, "InvalidLocationConstraint", "The specified location-constraint is not valid")
		e.Extra = map[string]string{"LocationConstraint": constraint}
		return "", e
	case constraint != requestRegion:
		return "", pipeline.NewError(http.StatusBadRequest, "IllegalLocationConstraintException",
			"The %s location constraint is incompatible for the region specific endpoint this request was sent to.", constraint)
	}
	return constraint, nil
}

// --- HeadBucket / DeleteBucket ---

func (s *Service) headBucket(_ context.Context, c *pipeline.Call, req *s3Request) error {
	if req.bucketRec == nil {
		return noSuchBucket(req.bucket)
	}
	c.W.Header().Set("X-Amz-Bucket-Region", req.bucketRec.Region)
	c.W.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) deleteBucket(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	err := s.store.Update(ctx, func(tx *store.Tx) error { return tx.DeleteBucket(req.bucket) })
	switch {
	case errors.Is(err, store.ErrNotFound):
		return noSuchBucket(req.bucket)
	case errors.Is(err, store.ErrConflict):
		return bucketError(http.StatusConflict, "BucketNotEmpty", "The bucket you tried to delete is not empty", req.bucket)
	case err != nil:
		return err
	}
	return writeNoContent(c.W)
}

// --- Bucket policy ---

// checkPolicyOwner enforces that only the bucket owner's account manages
// its policy: S3 answers 405 to an authorized identity of another account.
func checkPolicyOwner(c *pipeline.Call, req *s3Request) error {
	if req.bucketRec == nil {
		return noSuchBucket(req.bucket)
	}
	if req.bucketRec.Owner != c.ID.AccountID {
		e := pipeline.NewError(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
		e.Extra = map[string]string{"Method": c.R.Method, "ResourceType": "BUCKETPOLICY"}
		return e
	}
	return nil
}

func (s *Service) getBucketPolicy(_ context.Context, c *pipeline.Call, req *s3Request) error {
	if err := checkPolicyOwner(c, req); err != nil {
		return err
	}
	if req.bucketRec.Policy == "" {
		return bucketError(http.StatusNotFound, "NoSuchBucketPolicy", "The bucket policy does not exist", req.bucket)
	}
	c.W.Header().Set("Content-Type", "application/json")
	c.W.Header().Set("Content-Length", strconv.Itoa(len(req.bucketRec.Policy)))
	c.W.WriteHeader(http.StatusOK)
	_, err := io.WriteString(c.W, req.bucketRec.Policy)
	return err
}

// maxBucketPolicySize is S3's limit on a bucket policy (20 KB).
const maxBucketPolicySize = 20 * 1024

func (s *Service) putBucketPolicy(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	if err := checkPolicyOwner(c, req); err != nil {
		return err
	}
	if err := ValidateBucketPolicy(req.bucket, req.body); err != nil {
		return err
	}
	return s.setBucketPolicy(ctx, c, req.bucket, string(req.body))
}

// setBucketPolicy replaces a bucket's policy ("": none) and answers 204.
func (s *Service) setBucketPolicy(ctx context.Context, c *pipeline.Call, bucket, doc string) error {
	return s.changeBucket(ctx, c, bucket, http.StatusNoContent, func(b *store.Bucket) { b.Policy = doc })
}

// changeBucket applies change to a bucket's record in one transaction and
// answers status with no body; NoSuchBucket when there is none.
func (s *Service) changeBucket(ctx context.Context, c *pipeline.Call, bucket string, status int, change func(*store.Bucket)) error {
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		b, err := tx.Bucket(bucket)
		if err != nil {
			return err
		}
		change(&b)
		return tx.PutBucket(b)
	})
	if errors.Is(err, store.ErrNotFound) {
		return noSuchBucket(bucket)
	}
	if err != nil {
		return err
	}
	c.W.WriteHeader(status)
	return nil
}

func malformedPolicy(msg string) *pipeline.Error {
	return pipeline.NewError(http.StatusBadRequest, "MalformedPolicy", "%s", msg)
}

// statementSuffix is the " (statement N)" the policy parser appends to its details.
var statementSuffix = pipeline.NewPattern(` \(statement \d+\)$`)

// ValidateBucketPolicy checks a bucket policy as S3 does: a resource-based
// policy whose statements name s3 actions and resources of this bucket,
// with S3's MalformedPolicy messages.
func ValidateBucketPolicy(bucket string, body []byte) error {
	if len(body) > maxBucketPolicySize {
		return malformedPolicy("Policy exceeds the maximum allowed document size.")
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return malformedPolicy("Policies must be valid JSON and the first byte must be '{'")
	}
	if !json.Valid(trimmed) {
		return malformedPolicy("This policy contains invalid Json")
	}
	doc, err := policy.ParseAs(body, policy.ResourcePolicy)
	if err != nil {
		detail := strings.TrimPrefix(err.Error(), policy.ErrMalformed.Error()+": ")
		switch {
		case strings.HasPrefix(detail, "Syntax errors"):
			detail = "This policy contains invalid Json"
		case strings.HasPrefix(detail, "Invalid principal"):
			detail = "Invalid principal in policy"
		case strings.HasPrefix(detail, "Actions/Conditions must be prefaced"):
			detail = "Policy has invalid action"
		case strings.HasPrefix(detail, "Resource ") && strings.Contains(detail, "ARN format"):
			detail = "Policy has invalid resource"
		}
		return malformedPolicy(statementSuffix.ReplaceAllString(detail, ""))
	}
	for _, st := range doc.Statements {
		if st.Resource == nil && st.NotResource == nil {
			return malformedPolicy("Missing required field Resource")
		}
		for _, r := range st.Resource {
			if !bucketPolicyResource(bucket, r) {
				return malformedPolicy("Policy has invalid resource")
			}
		}
		for _, a := range append(append([]string{}, st.Action...), st.NotAction...) {
			if a != "*" && !strings.HasPrefix(strings.ToLower(a), "s3:") {
				return malformedPolicy("Policy has invalid action")
			}
		}
	}
	return nil
}

// bucketPolicyResource reports whether a policy Resource can name this
// bucket or its objects.
func bucketPolicyResource(bucket, r string) bool {
	if r == "*" {
		return true
	}
	rest, ok := strings.CutPrefix(r, "arn:aws:s3:::")
	if !ok {
		return false
	}
	bucketPart, _, _ := strings.Cut(rest, "/")
	return policy.Match(bucketPart, bucket)
}

func (s *Service) deleteBucketPolicy(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	if err := checkPolicyOwner(c, req); err != nil {
		return err
	}
	return s.setBucketPolicy(ctx, c, req.bucket, "")
}
