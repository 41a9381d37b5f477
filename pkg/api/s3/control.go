package s3

import (
	"context"
	"encoding/xml"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// S3 Control (API version 2018-08-20) is served here, not by a service of
// its own: it is signed for "s3", its IAM actions are s3:*, and the tags it
// reads and writes are the buckets' own (GetBucketTagging's). Clients send
// it to {AccountId}.<endpoint host> with the version in the path, so the
// path tells it from S3 before the Host is looked at.

// controlPathPrefix starts every S3 Control path.
const controlPathPrefix = "/v20180820/"

// controlNamespace is the XML namespace of S3 Control's documents.
const controlNamespace = "http://awss3control.amazonaws.com/doc/2018-08-20/"

// isControlRequest reports whether r is for S3 Control.
func isControlRequest(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, controlPathPrefix)
}

// controlAction names the S3 Control operation of r: the tagging
// operations on /v20180820/tags/{ResourceArn}; "" for the others, which
// are NotImplemented.
func controlAction(r *http.Request) string {
	arn, ok := strings.CutPrefix(r.URL.Path, controlPathPrefix+"tags/")
	if !ok || arn == "" {
		return ""
	}
	switch r.Method {
	case http.MethodGet:
		return "ListTagsForResource"
	case http.MethodPost:
		return "TagResource"
	case http.MethodDelete:
		return "UntagResource"
	}
	return ""
}

func (s *Service) controlOperations() []pipeline.Operation {
	return []pipeline.Operation{
		s.controlOp("ListTagsForResource", "s3:ListTagsForResource", (*Service).listTagsForResource),
		s.controlOp("TagResource", "s3:TagResource", (*Service).tagResource),
		s.controlOp("UntagResource", "s3:UntagResource", (*Service).untagResource),
	}
}

// controlRequest is an S3 Control tagging request after the adapter read it.
type controlRequest struct {
	accountID string // x-amz-account-id
	arn       string // the resource, from the path
	// bucket is the bucket the ARN names ("" for any other resource), and
	// bucketRec that bucket as the request found it (nil: none).
	bucket    string
	bucketRec *store.Bucket
	body      []byte
}

type controlHandler func(s *Service, ctx context.Context, c *pipeline.Call, req *controlRequest) error

// controlOp builds a table row for an S3 Control operation: it reads the
// account id and the resource ARN, authorizes the action on the resource
// (the bucket's policy applies, as for S3's own calls), and refuses an
// account id that is neither the caller's nor the resource owner's.
func (s *Service) controlOp(name, action string, h controlHandler) pipeline.Operation {
	return pipeline.Operation{Service: Info, Name: name, Action: action, Invoke: func(c *pipeline.Call, _ pipeline.Operation) error {
		ctx := c.R.Context()
		req, err := s.controlParse(ctx, c)
		if err != nil {
			return err
		}
		c.RecordParameters(map[string]any{"Host": c.R.Host, "resourceArn": req.arn, "accountId": req.accountID})
		res := pipeline.Resource{ARN: req.arn}
		if req.bucket != "" {
			s3req := &s3Request{bucket: req.bucket, query: c.R.URL.Query(), bucketRec: req.bucketRec}
			res = s3req.resource(req.arn)
		}
		if err := c.Authorize(ctx, action, res); err != nil {
			return err
		}
		owner := c.ID.AccountID
		if req.bucketRec != nil {
			owner = req.bucketRec.Owner
		}
		if req.accountID != c.ID.AccountID && req.accountID != owner {
			return pipeline.NewError(http.StatusForbidden, "AccessDenied", "Access Denied")
		}
		return c.RunRecorded(ctx, func(ctx context.Context) error { return h(s, ctx, c, req) })
	}}
}

// bucketARNPattern is a general purpose bucket's ARN: the only resource
// with tags that the emulator has.
var bucketARNPattern = pipeline.NewPattern(`^arn:aws:s3:::([^/:]+)$`)

func (s *Service) controlParse(ctx context.Context, c *pipeline.Call) (*controlRequest, error) {
	req := &controlRequest{accountID: c.R.Header.Get("X-Amz-Account-Id")}
	req.arn, _ = strings.CutPrefix(c.R.URL.Path, controlPathPrefix+"tags/")
	switch {
	case req.accountID == "":
		return nil, pipeline.NewError(http.StatusBadRequest, "InvalidRequest", "Missing required header for this request: x-amz-account-id")
	case !pipeline.AccountIDPattern.MatchString(req.accountID): // the model's pattern for x-amz-account-id
		return nil, pipeline.NewError(http.StatusBadRequest, "InvalidRequest", "Account ID must be a 12-digit number.")
	case !strings.HasPrefix(req.arn, "arn:") || len(req.arn) > 1011:
		return nil, pipeline.NewError(http.StatusBadRequest, "InvalidRequest", "The resource ARN is not valid.")
	}
	p, err := s.newPayload(ctx, c, Info.BodyLimit)
	if err != nil {
		return nil, err
	}
	if req.body, _, err = p.readAll(); err != nil {
		return nil, err
	}
	if m := bucketARNPattern.FindStringSubmatch(req.arn); m != nil {
		req.bucket = m[1]
		if req.bucketRec, err = s.bucketRecord(ctx, req.bucket); err != nil {
			return nil, err
		}
	}
	return req, nil
}

// noSuchResource answers for an ARN that names nothing that exists: no
// bucket of that name, or a resource kind (access point, Storage Lens
// group, Access Grants) the emulator does not have.
func noSuchResource() *pipeline.Error {
	return pipeline.NewError(http.StatusNotFound, "NoSuchResource", "The specified resource doesn't exist.")
}

type controlTag struct {
	Key   string
	Value string
}

type listTagsForResourceResult struct {
	XMLName xml.Name     `xml:"ListTagsForResourceResult"`
	Xmlns   string       `xml:"xmlns,attr"`
	Tags    []controlTag `xml:"Tags>Tag"`
}

type tagResourceRequest struct {
	XMLName xml.Name      `xml:"TagResourceRequest"`
	Tags    *[]controlTag `xml:"Tags>Tag"`
}

func (s *Service) listTagsForResource(_ context.Context, c *pipeline.Call, req *controlRequest) error {
	if req.bucketRec == nil {
		return noSuchResource()
	}
	out := listTagsForResourceResult{Xmlns: controlNamespace, Tags: []controlTag{}}
	for _, k := range slices.Sorted(maps.Keys(req.bucketRec.Tags)) {
		out.Tags = append(out.Tags, controlTag{Key: k, Value: req.bucketRec.Tags[k]})
	}
	return writeS3XML(c.W, out)
}

// tagResource adds the request's tags to the bucket's, replacing the
// values of keys it has already.
func (s *Service) tagResource(ctx context.Context, c *pipeline.Call, req *controlRequest) error {
	var in tagResourceRequest
	if err := xml.Unmarshal(req.body, &in); err != nil || in.Tags == nil {
		return malformedXML()
	}
	add := map[string]string{}
	for _, t := range *in.Tags {
		if _, dup := add[t.Key]; dup {
			return invalidTag("There are duplicate tag keys in your request. Remove the duplicate tag keys and try again.")
		}
		add[t.Key] = t.Value
	}
	if err := checkTags(add, maxBucketTags); err != nil {
		return err
	}
	return s.updateBucketTags(ctx, c, req, func(tags map[string]string) { maps.Copy(tags, add) })
}

// untagResource removes the keys of tagKeys from the bucket's tags; a key
// it does not have is no error.
func (s *Service) untagResource(ctx context.Context, c *pipeline.Call, req *controlRequest) error {
	keys := c.R.URL.Query()["tagKeys"]
	if len(keys) == 0 {
		return pipeline.NewError(http.StatusBadRequest, "InvalidRequest", "Missing required parameter: tagKeys")
	}
	return s.updateBucketTags(ctx, c, req, func(tags map[string]string) {
		for _, k := range keys {
			delete(tags, k)
		}
	})
}

// updateBucketTags changes the bucket's tags with change, in one
// transaction, checks S3's limit of 50, and answers 204.
func (s *Service) updateBucketTags(ctx context.Context, c *pipeline.Call, req *controlRequest, change func(map[string]string)) error {
	if req.bucketRec == nil {
		return noSuchResource()
	}
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		b, err := tx.Bucket(req.bucket)
		if err != nil {
			return err
		}
		tags := maps.Clone(b.Tags)
		if tags == nil {
			tags = map[string]string{}
		}
		change(tags)
		if err := checkTags(tags, maxBucketTags); err != nil {
			return err
		}
		if len(tags) == 0 {
			tags = nil
		}
		b.Tags = tags
		return tx.PutBucket(b)
	})
	if errors.Is(err, store.ErrNotFound) {
		return noSuchResource()
	}
	if err != nil {
		return err
	}
	return writeNoContent(c.W)
}
