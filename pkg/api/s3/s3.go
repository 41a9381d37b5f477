package s3

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
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
var subresources = []string{"accelerate", "acl", "analytics", "attributes", "cors", "delete", "encryption",
	"intelligent-tiering", "inventory", "legal-hold", "lifecycle", "location", "logging", "metadataTable",
	"metrics", "notification", "object-lock", "ownershipControls", "policyStatus", "publicAccessBlock",
	"replication", "requestPayment", "restore", "retention", "select", "session", "tagging", "torrent",
	"uploadId", "uploads", "versioning", "versions", "website"}

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
	// body is the payload with any aws-chunked framing removed.
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
		res := pipeline.Anywhere
		if target != nil {
			res = target(c, req)
		}
		if err := c.Authorize(ctx, action, res); err != nil {
			return err
		}
		if want := c.R.Header.Get("X-Amz-Expected-Bucket-Owner"); want != "" && req.bucketRec != nil && want != req.bucketRec.Owner {
			return pipeline.NewError(http.StatusForbidden, "AccessDenied", "Access Denied")
		}
		return c.RunRecorded(ctx, func(ctx context.Context) error { return h(s, ctx, c, req) })
	}}
}

// checkBucketRegion refuses a request for an existing bucket signed for
// another region than the bucket's, as S3 does before it authorizes:
// AuthorizationHeaderMalformed naming the region expected, in <Region> and
// in x-amz-bucket-region (a HEAD's answer has no body). CreateBucket is
// left to its own rules (its LocationConstraint, BucketAlreadyExists).
func checkBucketRegion(c *pipeline.Call, op string, req *s3Request) error {
	if req.bucketRec == nil || op == "CreateBucket" || req.bucketRec.Region == c.Region {
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
	body, trailers, err := s.s3Payload(ctx, c)
	if err != nil {
		return nil, err
	}
	req.body = body
	if req.checksums, err = verifyChecksums(c.R.Header, trailers, body); err != nil {
		return nil, err
	}
	if bucket != "" {
		err := s.store.View(ctx, func(tx *store.Tx) error {
			b, err := tx.Bucket(bucket)
			if err == nil {
				req.bucketRec = &b
			}
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return req, nil
}

// --- Authorization targets ---

func bucketARN(bucket string) string { return "arn:aws:s3:::" + bucket }

// resource is arn owned by the bucket's owner under its bucket policy; a
// bucket that does not exist is the caller's, so that authorization still
// comes before NoSuchBucket.
func (req *s3Request) resource(arn string) pipeline.Resource {
	res := pipeline.Resource{ARN: arn, Context: map[string][]string{
		"s3:signatureversion": {"AWS4-HMAC-SHA256"},
		"s3:authType":         {"REST-HEADER"},
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
func newBucketTarget(_ *pipeline.Call, req *s3Request) pipeline.Resource {
	res := req.resource(bucketARN(req.bucket))
	res.Account, res.Policies = "", nil
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
}

var (
	bucketNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	ipAddressPattern  = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)
)

// ValidBucketName applies S3's naming rules for general purpose buckets.
func ValidBucketName(name string) bool {
	if !bucketNamePattern.MatchString(name) || strings.Contains(name, "..") || ipAddressPattern.MatchString(name) {
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
	var conf createBucketConfiguration
	if len(bytes.TrimSpace(req.body)) > 0 {
		if err := xml.Unmarshal(req.body, &conf); err != nil {
			return pipeline.NewError(http.StatusBadRequest, "MalformedXML",
				"The XML you provided was not well-formed or did not validate against our published schema")
		}
	}
	region, err := bucketRegion(conf.LocationConstraint, c.Region)
	if err != nil {
		return err
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
		_, err := tx.CreateBucket(store.Bucket{Name: req.bucket, Owner: c.ID.AccountID, Region: region})
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
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		b, err := tx.Bucket(bucket)
		if err != nil {
			return err
		}
		b.Policy = doc
		return tx.PutBucket(b)
	})
	if errors.Is(err, store.ErrNotFound) {
		return noSuchBucket(bucket)
	}
	if err != nil {
		return err
	}
	return writeNoContent(c.W)
}

func malformedPolicy(msg string) *pipeline.Error {
	return pipeline.NewError(http.StatusBadRequest, "MalformedPolicy", "%s", msg)
}

// statementSuffix is the " (statement N)" the policy parser appends to its details.
var statementSuffix = regexp.MustCompile(` \(statement \d+\)$`)

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

// --- Objects ---

// storedHeaders are the representation headers PutObject keeps and reads replay.
var storedHeaders = []string{"Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires"}

func (s *Service) putObject(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	if req.bucketRec == nil {
		return noSuchBucket(req.bucket)
	}
	h := c.R.Header
	sum := md5.Sum(req.body)
	o := store.Object{ObjectInfo: store.ObjectInfo{Bucket: req.bucket, Key: req.key,
		ETag: `"` + hex.EncodeToString(sum[:]) + `"`, ContentType: h.Get("Content-Type"),
		Headers: map[string]string{}, Metadata: map[string]string{}, Checksums: req.checksums},
		Data: req.body}
	if o.ContentType == "" {
		o.ContentType = "binary/octet-stream"
	}
	for _, name := range storedHeaders {
		v := h.Get(name)
		if name == "Content-Encoding" {
			v = withoutAWSChunked(v)
		}
		if v != "" {
			o.Headers[name] = v
		}
	}
	for name, vs := range h {
		if meta, ok := strings.CutPrefix(strings.ToLower(name), "x-amz-meta-"); ok && meta != "" {
			o.Metadata[meta] = strings.Join(vs, ",")
		}
	}
	ifNoneMatch := h.Get("If-None-Match")
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		if ifNoneMatch == "*" {
			if _, err := tx.Object(req.bucket, req.key); err == nil {
				e := pipeline.NewError(http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
				e.Extra = map[string]string{"Condition": "If-None-Match"}
				return e
			}
		}
		var err error
		o, err = tx.PutObject(o)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return noSuchBucket(req.bucket)
	}
	if err != nil {
		return err
	}
	w := c.W.Header()
	w.Set("ETag", o.ETag)
	w.Set("X-Amz-Server-Side-Encryption", "AES256")
	setChecksumHeaders(w, o.Checksums)
	c.W.WriteHeader(http.StatusOK)
	return nil
}

// withoutAWSChunked drops the aws-chunked transfer coding from a
// Content-Encoding list: it describes the request, not the object.
func withoutAWSChunked(v string) string {
	var keep []string
	for part := range strings.SplitSeq(v, ",") {
		if p := strings.TrimSpace(part); p != "" && !strings.EqualFold(p, "aws-chunked") {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, ",")
}

// readObject loads the object a GetObject or HeadObject asks for. A
// missing key is NoSuchKey only for callers who may list the bucket;
// others get AccessDenied, so that keys cannot be probed (as in S3).
func (s *Service) readObject(ctx context.Context, c *pipeline.Call, req *s3Request) (store.Object, error) {
	if req.bucketRec == nil {
		return store.Object{}, noSuchBucket(req.bucket)
	}
	var o store.Object
	err := s.store.View(ctx, func(tx *store.Tx) error {
		var err error
		o, err = tx.Object(req.bucket, req.key)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		if err := c.Authorize(ctx, "s3:ListBucket", bucketTarget(c, req)); err != nil {
			return store.Object{}, err
		}
		e := pipeline.NewError(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		e.Extra = map[string]string{"Key": req.key}
		return store.Object{}, e
	}
	return o, err
}

// writeObjectHeaders sets the headers GetObject and HeadObject share.
func writeObjectHeaders(c *pipeline.Call, o store.Object) {
	w := c.W.Header()
	w.Set("Content-Type", o.ContentType)
	w.Set("ETag", o.ETag)
	w.Set("Last-Modified", o.LastModified.UTC().Format(http.TimeFormat))
	w.Set("Accept-Ranges", "bytes")
	w.Set("X-Amz-Server-Side-Encryption", "AES256")
	for name, v := range o.Headers {
		w.Set(name, v)
	}
	for name, v := range o.Metadata {
		w.Set("X-Amz-Meta-"+name, v)
	}
	if strings.EqualFold(c.R.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		setChecksumHeaders(w, o.Checksums)
	}
}

// setChecksumHeaders sends an object's checksums (of the whole object).
func setChecksumHeaders(w http.Header, checksums map[string]string) {
	for algo, v := range checksums {
		w.Set("X-Amz-Checksum-"+algo, v)
		w.Set("X-Amz-Checksum-Type", "FULL_OBJECT")
	}
}

func (s *Service) getObject(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	o, err := s.readObject(ctx, c, req)
	if err != nil {
		return err
	}
	data, status := o.Data, http.StatusOK
	if start, end, ok, err := parseRange(c.R.Header.Get("Range"), int64(len(o.Data))); err != nil {
		return err
	} else if ok {
		data, status = o.Data[start:end+1], http.StatusPartialContent
		c.W.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, len(o.Data)))
		o.Checksums = nil // they are of the whole object
	}
	writeObjectHeaders(c, o)
	c.W.Header().Set("Content-Length", strconv.Itoa(len(data)))
	c.W.WriteHeader(status)
	_, err = c.W.Write(data)
	return err
}

// parseRange reads a single "bytes=first-last", "bytes=first-" or
// "bytes=-suffix" range. Like S3 it ignores a header it cannot parse (and
// multiple ranges), and refuses a range that starts past the end.
func parseRange(h string, size int64) (start, end int64, ok bool, err error) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, nil
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false, nil
	}
	notSatisfiable := func() error {
		e := pipeline.NewError(http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "The requested range is not satisfiable")
		e.Extra = map[string]string{"RangeRequested": h, "ActualObjectSize": strconv.FormatInt(size, 10)}
		return e
	}
	if first == "" {
		n, perr := strconv.ParseInt(last, 10, 64)
		if perr != nil || n < 0 {
			return 0, 0, false, nil
		}
		if n == 0 || size == 0 {
			return 0, 0, false, notSatisfiable()
		}
		return max(size-n, 0), size - 1, true, nil
	}
	start, perr := strconv.ParseInt(first, 10, 64)
	if perr != nil || start < 0 {
		return 0, 0, false, nil
	}
	end = size - 1
	if last != "" {
		if end, perr = strconv.ParseInt(last, 10, 64); perr != nil || end < start {
			return 0, 0, false, nil
		}
		end = min(end, size-1)
	}
	if start >= size {
		return 0, 0, false, notSatisfiable()
	}
	return start, end, true, nil
}

func (s *Service) headObject(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	o, err := s.readObject(ctx, c, req)
	if err != nil {
		return err
	}
	writeObjectHeaders(c, o)
	c.W.Header().Set("Content-Length", strconv.Itoa(len(o.Data)))
	c.W.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) deleteObject(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	if req.bucketRec == nil {
		return noSuchBucket(req.bucket)
	}
	if err := s.store.Update(ctx, func(tx *store.Tx) error { return tx.DeleteObject(req.bucket, req.key) }); err != nil {
		return err
	}
	return writeNoContent(c.W)
}

// --- ListObjectsV2 ---

type listObjectsV2Result struct {
	XMLName               xml.Name `xml:"ListBucketResult"`
	Xmlns                 string   `xml:"xmlns,attr"`
	Name                  string
	Prefix                string
	Delimiter             string `xml:",omitempty"`
	MaxKeys               int
	KeyCount              int
	IsTruncated           bool
	Contents              []objectEntry
	CommonPrefixes        []commonPrefix
	ContinuationToken     string `xml:",omitempty"`
	NextContinuationToken string `xml:",omitempty"`
	StartAfter            string `xml:",omitempty"`
	EncodingType          string `xml:",omitempty"`
}

type objectEntry struct {
	Key               string
	LastModified      string
	ETag              string
	ChecksumAlgorithm []string `xml:",omitempty"`
	ChecksumType      string   `xml:",omitempty"`
	Size              int64
	StorageClass      string
	Owner             *ownerShape `xml:",omitempty"`
}

type commonPrefix struct {
	Prefix string
}

// Continuation tokens are opaque to clients; they carry where the last
// page ended: after a key ("k") or after every key under a common prefix ("p").
func encodeListToken(kind byte, marker string) string {
	return base64.RawURLEncoding.EncodeToString(append([]byte{kind}, marker...))
}

func decodeListToken(token string) (kind byte, marker string, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) == 0 || (raw[0] != 'k' && raw[0] != 'p') || !utf8.Valid(raw[1:]) {
		return 0, "", false
	}
	return raw[0], string(raw[1:]), true
}

func (s *Service) listObjectsV2(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	if req.bucketRec == nil {
		return noSuchBucket(req.bucket)
	}
	q := req.query
	prefix, delimiter, startAfter := q.Get("prefix"), q.Get("delimiter"), q.Get("start-after")
	encoding := q.Get("encoding-type")
	if encoding != "" && encoding != "url" {
		return invalidArgument("Invalid Encoding Method specified in Request", "encoding-type", encoding)
	}
	maxKeys := 1000
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return invalidArgument("Provided max-keys not an integer or within integer range", "max-keys", v)
		}
		maxKeys = min(n, 1000)
	}
	after, skipPrefix := startAfter, ""
	token := q.Get("continuation-token")
	if q.Has("continuation-token") {
		kind, marker, ok := decodeListToken(token)
		if !ok {
			return invalidArgument("The continuation token provided is incorrect", "continuation-token", token)
		}
		after = marker
		if kind == 'p' {
			skipPrefix = marker
		}
	}
	out := listObjectsV2Result{Xmlns: Info.XMLNamespace, Name: req.bucket, Prefix: prefix, Delimiter: delimiter,
		MaxKeys: maxKeys, ContinuationToken: token, StartAfter: startAfter, EncodingType: encoding}
	var owner *ownerShape
	if q.Get("fetch-owner") == "true" {
		owner = &ownerShape{ID: canonicalUserID(req.bucketRec.Owner)}
	}
	lastPrefix := skipPrefix
	var next string
	if maxKeys > 0 {
		err := s.store.View(ctx, func(tx *store.Tx) error {
			return tx.EachObject(req.bucket, prefix, after, func(o store.ObjectInfo) bool {
				common := ""
				if delimiter != "" {
					if i := strings.Index(o.Key[len(prefix):], delimiter); i >= 0 {
						common = o.Key[:len(prefix)+i+len(delimiter)]
					}
				}
				if common != "" && common == lastPrefix {
					return true // rolled up into a prefix already listed
				}
				if out.KeyCount == maxKeys {
					out.IsTruncated = true
					return false
				}
				out.KeyCount++
				if common != "" {
					lastPrefix = common
					next = encodeListToken('p', common)
					out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{Prefix: common})
					return true
				}
				next = encodeListToken('k', o.Key)
				e := objectEntry{Key: o.Key, LastModified: s3Time(o.LastModified), ETag: o.ETag, Size: o.Size,
					StorageClass: "STANDARD", Owner: owner}
				for algo := range o.Checksums {
					e.ChecksumAlgorithm, e.ChecksumType = append(e.ChecksumAlgorithm, algo), "FULL_OBJECT"
				}
				out.Contents = append(out.Contents, e)
				return true
			})
		})
		if err != nil {
			return err
		}
	}
	if out.IsTruncated {
		out.NextContinuationToken = next
	}
	if encoding == "url" {
		out.Prefix, out.Delimiter, out.StartAfter = uRLEncode(out.Prefix), uRLEncode(out.Delimiter), uRLEncode(out.StartAfter)
		for i := range out.Contents {
			out.Contents[i].Key = uRLEncode(out.Contents[i].Key)
		}
		for i := range out.CommonPrefixes {
			out.CommonPrefixes[i].Prefix = uRLEncode(out.CommonPrefixes[i].Prefix)
		}
	}
	return writeS3XML(c.W, out)
}

// uRLEncode is encoding-type=url: everything but unreserved characters
// and "/" percent-encoded, so that any decoder (including ones that read
// "+" as a space) gets the key back.
func uRLEncode(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		ch := v[i]
		if ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' ||
			ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == '/' {
			b.WriteByte(ch)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", ch)
	}
	return b.String()
}

// --- Payloads: aws-chunked decoding and chunk signatures ---

// Values of X-Amz-Content-Sha256 that announce an aws-chunked body.
const (
	streamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	streamingSigned          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
)

// s3Payload returns the request's payload and any trailing headers. Bodies
// sent with Content-Encoding aws-chunked or a STREAMING-* payload hash are
// decoded; signed chunks (and a signed trailer) are verified against the
// seed signature, so that a body altered in flight is refused.
func (s *Service) s3Payload(ctx context.Context, c *pipeline.Call) ([]byte, map[string]string, error) {
	mode := c.R.Header.Get("X-Amz-Content-Sha256")
	chunked := strings.HasPrefix(mode, "STREAMING-") ||
		strings.Contains(strings.ToLower(c.R.Header.Get("Content-Encoding")), "aws-chunked")
	if !chunked {
		return c.Body, nil, nil
	}
	var verifier *chunkVerifier
	switch mode {
	case streamingSigned, streamingSignedTrailer:
		v, err := s.newChunkVerifier(ctx, c)
		if err != nil {
			return nil, nil, err
		}
		verifier = v
	case streamingUnsignedTrailer, pipeline.UnsignedPayload:
	default:
		if strings.HasPrefix(mode, "STREAMING-") {
			return nil, nil, pipeline.NewError(http.StatusNotImplemented, "NotImplemented",
				"The x-amz-content-sha256 value %s is not implemented; use %s, %s or %s.",
				mode, streamingSigned, streamingSignedTrailer, streamingUnsignedTrailer)
		}
	}
	body, trailers, err := decodeAWSChunked(c.Body, verifier)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case mode == streamingSigned && len(trailers) > 0:
		// Unsigned trailers after signed chunks could be added in flight.
		return nil, nil, incompleteBody("The aws-chunked body has trailers, but x-amz-content-sha256 announces none.")
	case mode == streamingSignedTrailer && len(trailers) > 0:
		if err := verifier.verifyTrailer(trailers); err != nil {
			return nil, nil, err
		}
	}
	if v := c.R.Header.Get("X-Amz-Decoded-Content-Length"); v != "" {
		if n, perr := strconv.Atoi(v); perr != nil || n != len(body) {
			return nil, nil, incompleteBody(fmt.Sprintf(
				"The decoded payload has %d bytes but x-amz-decoded-content-length says %s.", len(body), v))
		}
	}
	m := make(map[string]string, len(trailers))
	for _, t := range trailers {
		if t.name != "x-amz-trailer-signature" {
			m[t.name] = t.value
		}
	}
	return body, m, nil
}

// chunkVerifier checks the chain of chunk signatures of a signed
// aws-chunked body: each signs its data and the previous signature,
// starting from the request's (seed) signature.
type chunkVerifier struct {
	key           []byte
	amzDate       string
	scope         string
	prevSignature string
}

func (s *Service) newChunkVerifier(ctx context.Context, c *pipeline.Call) (*chunkVerifier, error) {
	a, ok := pipeline.ParseAuthorization(c.R.Header.Get("Authorization"))
	if !ok {
		return nil, pipeline.AuthError(pipeline.ProtoRestXML, "s3", pipeline.AuthIncomplete)
	}
	cred, err := s.store.Credential(ctx, c.ID.AccessKeyID)
	if err != nil {
		return nil, err
	}
	return &chunkVerifier{
		key:           signingKey(cred.SecretAccessKey, a.Date, a.Region, a.Service),
		amzDate:       c.R.Header.Get("X-Amz-Date"),
		scope:         a.Date + "/" + a.Region + "/" + a.Service + "/aws4_request",
		prevSignature: a.Signature,
	}, nil
}

// signingKey derives the SigV4 signing key.
func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "aws4_request")
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

var emptySHA256 = hex.EncodeToString(sha256.New().Sum(nil))

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// verifyChunk checks one chunk's signature and moves the chain on.
func (v *chunkVerifier) verifyChunk(data []byte, signature string) error {
	return v.verify("AWS4-HMAC-SHA256-PAYLOAD\n"+v.amzDate+"\n"+v.scope+"\n"+v.prevSignature+"\n"+
		emptySHA256+"\n"+sha256Hex(data), signature)
}

// verifyTrailer checks the x-amz-trailer-signature over the other trailers.
func (v *chunkVerifier) verifyTrailer(trailers []chunkTrailer) error {
	var canonical strings.Builder
	signature := ""
	for _, t := range trailers {
		if t.name == "x-amz-trailer-signature" {
			signature = t.value
			continue
		}
		canonical.WriteString(t.name + ":" + t.value + "\n")
	}
	return v.verify("AWS4-HMAC-SHA256-TRAILER\n"+v.amzDate+"\n"+v.scope+"\n"+v.prevSignature+"\n"+
		sha256Hex([]byte(canonical.String())), signature)
}

func (v *chunkVerifier) verify(stringToSign, signature string) error {
	want := hex.EncodeToString(hmacSHA256(v.key, stringToSign))
	if !hmac.Equal([]byte(want), []byte(signature)) {
		return pipeline.AuthError(pipeline.ProtoRestXML, "s3", pipeline.AuthBadSignature)
	}
	v.prevSignature = signature
	return nil
}

// chunkTrailer is one trailing header of an aws-chunked body, in order.
type chunkTrailer struct{ name, value string }

// maxChunkLine bounds a chunk header or trailer line.
const maxChunkLine = 4096

var crlf = []byte("\r\n")

// decodeAWSChunked removes aws-chunked framing:
//
//	hex-size[;chunk-signature=sig]\r\n data \r\n … 0[;chunk-signature=sig]\r\n [name:value\r\n …] \r\n
//
// verifying chunk signatures when v is not nil. Any framing error is a
// client error; nothing here may panic on hostile input.
func decodeAWSChunked(body []byte, v *chunkVerifier) ([]byte, []chunkTrailer, error) {
	out := make([]byte, 0, len(body))
	rest := body
	for {
		line, after, ok := bytes.Cut(rest, crlf)
		if !ok || len(line) > maxChunkLine {
			return nil, nil, incompleteBody("The aws-chunked body ended inside a chunk header.")
		}
		rest = after
		sizeHex, ext, _ := strings.Cut(string(line), ";")
		size, err := strconv.ParseUint(strings.TrimSpace(sizeHex), 16, 63)
		if err != nil || size > uint64(len(rest)) {
			return nil, nil, incompleteBody("The aws-chunked body has a malformed or truncated chunk.")
		}
		data := rest[:size]
		rest = rest[size:]
		if v != nil {
			sig, found := strings.CutPrefix(strings.TrimSpace(ext), "chunk-signature=")
			if !found {
				return nil, nil, pipeline.AuthError(pipeline.ProtoRestXML, "s3", pipeline.AuthBadSignature)
			}
			if err := v.verifyChunk(data, sig); err != nil {
				return nil, nil, err
			}
		}
		if size == 0 {
			break
		}
		if !bytes.HasPrefix(rest, crlf) {
			return nil, nil, incompleteBody("The aws-chunked body has a chunk without its closing CRLF.")
		}
		rest = rest[len(crlf):]
		out = append(out, data...)
	}
	var trailers []chunkTrailer
	for len(rest) > 0 {
		line, after, ok := bytes.Cut(rest, crlf)
		if !ok {
			line, after = rest, nil // tolerate a missing final CRLF
		}
		rest = after
		if len(line) == 0 {
			break
		}
		name, value, found := strings.Cut(string(line), ":")
		if !found || len(line) > maxChunkLine {
			return nil, nil, incompleteBody("The aws-chunked body has a malformed trailer.")
		}
		trailers = append(trailers, chunkTrailer{strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)})
	}
	if len(rest) > 0 {
		return nil, nil, incompleteBody("The aws-chunked body has data after its final chunk.")
	}
	return out, trailers, nil
}

// --- Checksums ---

var (
	crc32cTable    = crc32.MakeTable(crc32.Castagnoli)
	crc64NVMETable = crc64.MakeTable(0x9a6c9329ac4bc9b5) // the NVMe polynomial, bit-reversed
)

// checksumAlgorithms are the x-amz-checksum-* algorithms the emulator
// verifies (S3's names). Others (the xxhash family) are neither verified
// nor kept.
var checksumAlgorithms = map[string]func() hash.Hash{
	"CRC32":     func() hash.Hash { return crc32.NewIEEE() },
	"CRC32C":    func() hash.Hash { return crc32.New(crc32cTable) },
	"CRC64NVME": func() hash.Hash { return crc64.New(crc64NVMETable) },
	"SHA1":      sha1.New,
	"SHA256":    sha256.New,
	"SHA512":    sha512.New,
	"MD5":       md5.New,
}

// verifyChecksums checks Content-MD5 and the x-amz-checksum-* value (a
// header or an aws-chunked trailer) against the payload, and returns the
// verified checksum by algorithm.
func verifyChecksums(h http.Header, trailers map[string]string, body []byte) (map[string]string, error) {
	if v := h.Get("Content-MD5"); v != "" {
		want, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(want) != md5.Size {
			return nil, pipeline.NewError(http.StatusBadRequest, "InvalidDigest", "The Content-MD5 you specified was not valid.")
		}
		if got := md5.Sum(body); !bytes.Equal(got[:], want) {
			e := pipeline.NewError(http.StatusBadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received.")
			e.Extra = map[string]string{"ExpectedDigest": v, "CalculatedDigest": base64.StdEncoding.EncodeToString(got[:])}
			return nil, e
		}
	}
	found := map[string]string{}
	for algo := range checksumAlgorithms {
		name := "x-amz-checksum-" + strings.ToLower(algo)
		if v, ok := trailers[name]; ok {
			found[algo] = v
		} else if v := h.Get(name); v != "" {
			found[algo] = v
		}
	}
	if len(found) > 1 {
		return nil, pipeline.NewError(http.StatusBadRequest, "InvalidRequest",
			"Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
	}
	for algo, v := range found {
		sum := checksumAlgorithms[algo]()
		want, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(want) != sum.Size() {
			return nil, pipeline.NewError(http.StatusBadRequest, "InvalidRequest",
				"Value for x-amz-checksum-%s header is invalid.", strings.ToLower(algo))
		}
		sum.Write(body)
		if !bytes.Equal(sum.Sum(nil), want) {
			return nil, pipeline.NewError(http.StatusBadRequest, "BadDigest", "The %s you specified did not match the calculated checksum.", algo)
		}
	}
	if len(found) == 0 {
		return nil, nil
	}
	return found, nil
}
