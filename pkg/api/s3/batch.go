package s3

import (
	"context"
	"encoding/xml"
	"errors"
	"maps"
	"net/http"
	"slices"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// --- DeleteObjects ---

// maxDeleteKeys is how many keys one DeleteObjects may name.
const maxDeleteKeys = 1000

type deleteRequest struct {
	XMLName xml.Name `xml:"Delete"`
	Quiet   bool
	Objects []struct {
		Key       string
		VersionID string `xml:"VersionId"`
	} `xml:"Object"`
}

type deleteResult struct {
	XMLName xml.Name       `xml:"DeleteResult"`
	Xmlns   string         `xml:"xmlns,attr"`
	Deleted []deletedEntry `xml:"Deleted"`
	Errors  []deleteError  `xml:"Error"`
}

type deletedEntry struct {
	Key       string
	VersionID string `xml:"VersionId,omitempty"`
}

type deleteError struct {
	Key       string
	VersionID string `xml:"VersionId,omitempty"`
	Code      string
	Message   string
}

// deleteObjects deletes up to 1000 keys. Each key is authorized as
// s3:DeleteObject on its own object, as S3 does, and a refusal is that
// key's error in the 200 answer, not the request's.
func (s *Service) deleteObjects(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	if req.bucketRec == nil {
		return noSuchBucket(req.bucket)
	}
	if c.R.Header.Get("Content-MD5") == "" && len(req.checksums) == 0 {
		return pipeline.NewError(http.StatusBadRequest, "InvalidRequest", "Missing required header for this request: Content-MD5")
	}
	var body deleteRequest
	if err := xml.Unmarshal(req.body, &body); err != nil || len(body.Objects) == 0 || len(body.Objects) > maxDeleteKeys {
		return malformedXML()
	}
	out := deleteResult{Xmlns: Info.XMLNamespace}
	var keys []string
	for _, o := range body.Objects {
		target := &s3Request{bucket: req.bucket, key: o.Key, bucketRec: req.bucketRec}
		var e *pipeline.Error
		switch {
		case o.Key == "":
			e = pipeline.NewError(http.StatusBadRequest, "InvalidArgument", "Invalid key: the key is empty.")
		case o.VersionID != "" && o.VersionID != "null":
			e = pipeline.NewError(http.StatusBadRequest, "NoSuchVersion", "The specified version does not exist.")
		default:
			if err := c.Authorize(ctx, "s3:DeleteObject", objectTarget(c, target)); err != nil {
				if e = pipeline.AsError(err); e == nil {
					return err
				}
			}
		}
		if e != nil {
			out.Errors = append(out.Errors, deleteError{Key: o.Key, VersionID: o.VersionID, Code: e.Code, Message: e.Message})
			continue
		}
		keys = append(keys, o.Key)
		if !body.Quiet {
			out.Deleted = append(out.Deleted, deletedEntry{Key: o.Key, VersionID: o.VersionID})
		}
	}
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		for _, k := range keys {
			if err := tx.DeleteObject(req.bucket, k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return writeS3XML(c.W, out)
}

// --- GetBucketLocation ---

type locationConstraint struct {
	XMLName xml.Name `xml:"LocationConstraint"`
	Xmlns   string   `xml:"xmlns,attr"`
	Region  string   `xml:",chardata"`
}

// getBucketLocation answers the bucket's region; us-east-1 is the empty
// constraint, as S3 answers it.
func (s *Service) getBucketLocation(_ context.Context, c *pipeline.Call, req *s3Request) error {
	if req.bucketRec == nil {
		return noSuchBucket(req.bucket)
	}
	region := req.bucketRec.Region
	if region == "us-east-1" {
		region = ""
	}
	return writeS3XML(c.W, locationConstraint{Xmlns: Info.XMLNamespace, Region: region})
}

// --- Bucket and object tagging ---

type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	TagSet  []tag    `xml:"TagSet>Tag"`
}

type tag struct {
	Key   string
	Value string
}

func (t tagging) byKey(limit int) (map[string]string, error) {
	m := map[string]string{}
	for _, tg := range t.TagSet {
		if _, dup := m[tg.Key]; dup {
			return nil, invalidTag("Cannot provide multiple Tags with the same key")
		}
		m[tg.Key] = tg.Value
	}
	return m, checkTags(m, limit)
}

func tagSet(tags map[string]string) tagging {
	t := tagging{Xmlns: Info.XMLNamespace, TagSet: []tag{}}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		t.TagSet = append(t.TagSet, tag{Key: k, Value: tags[k]})
	}
	return t
}

func parseTagging(body []byte, limit int) (map[string]string, error) {
	var t tagging
	if err := xml.Unmarshal(body, &t); err != nil {
		return nil, malformedXML()
	}
	return t.byKey(limit)
}

func (s *Service) getBucketTagging(_ context.Context, c *pipeline.Call, req *s3Request) error {
	if req.bucketRec == nil {
		return noSuchBucket(req.bucket)
	}
	if len(req.bucketRec.Tags) == 0 {
		return bucketError(http.StatusNotFound, "NoSuchTagSet", "The TagSet does not exist", req.bucket)
	}
	return writeS3XML(c.W, tagSet(req.bucketRec.Tags))
}

func (s *Service) putBucketTagging(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	if req.bucketRec == nil {
		return noSuchBucket(req.bucket)
	}
	tags, err := parseTagging(req.body, maxBucketTags)
	if err != nil {
		return err
	}
	return s.setBucketTags(ctx, c, req.bucket, tags)
}

func (s *Service) deleteBucketTagging(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	return s.setBucketTags(ctx, c, req.bucket, nil)
}

// setBucketTags replaces a bucket's tags and answers 204.
func (s *Service) setBucketTags(ctx context.Context, c *pipeline.Call, bucket string, tags map[string]string) error {
	return s.changeBucket(ctx, c, bucket, http.StatusNoContent, func(b *store.Bucket) { b.Tags = tags })
}

func (s *Service) getObjectTagging(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	o, err := s.readObject(ctx, c, req)
	if err != nil {
		return err
	}
	return writeS3XML(c.W, tagSet(o.Tags))
}

func (s *Service) putObjectTagging(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	tags, err := parseTagging(req.body, maxObjectTags)
	if err != nil {
		return err
	}
	return s.setObjectTags(ctx, c, req, tags, http.StatusOK)
}

func (s *Service) deleteObjectTagging(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	return s.setObjectTags(ctx, c, req, nil, http.StatusNoContent)
}

func (s *Service) setObjectTags(ctx context.Context, c *pipeline.Call, req *s3Request, tags map[string]string, status int) error {
	if req.bucketRec == nil {
		return noSuchBucket(req.bucket)
	}
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		o, err := tx.Object(req.bucket, req.key)
		if err != nil {
			return err
		}
		o.Tags = tags
		return tx.PutObjectInfo(o)
	})
	if errors.Is(err, store.ErrNotFound) {
		return noSuchKey(req.key)
	}
	if err != nil {
		return err
	}
	c.W.WriteHeader(status)
	return nil
}
