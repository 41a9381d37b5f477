package s3

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// --- CopyObject and the copy source of UploadPartCopy ---

// copySourceObject is the object an x-amz-copy-source names, once the
// caller was allowed to read it.
type copySourceObject struct {
	bucket, key string
	object      store.ObjectInfo
}

// copySource reads x-amz-copy-source ("bucket/key", URL-encoded, with an
// optional leading "/" and "?versionId="), authorizes s3:GetObject on it
// (under its own bucket's policy) and applies the
// x-amz-copy-source-if-* conditions.
func (s *Service) copySource(ctx context.Context, c *pipeline.Call) (copySourceObject, error) {
	raw := c.R.Header.Get("X-Amz-Copy-Source")
	path, version, _ := strings.Cut(raw, "?")
	decoded, err := url.PathUnescape(path)
	bucket, key, ok := strings.Cut(strings.TrimPrefix(decoded, "/"), "/")
	if err != nil || !ok || bucket == "" || key == "" {
		return copySourceObject{}, invalidArgument("Invalid copy source object key", "x-amz-copy-source", raw)
	}
	if v, found := strings.CutPrefix(version, "versionId="); found && v != "null" {
		return copySourceObject{}, invalidArgument("Invalid version id specified", "x-amz-copy-source", raw)
	}
	src := &s3Request{bucket: bucket, key: key}
	var o store.ObjectInfo
	err = s.store.View(ctx, func(tx *store.Tx) error {
		b, err := tx.Bucket(bucket)
		if err == nil {
			src.bucketRec = &b
			o, err = tx.Object(bucket, key)
		}
		return err
	})
	if err := c.Authorize(ctx, "s3:GetObject", objectTarget(c, src)); err != nil {
		return copySourceObject{}, err
	}
	switch {
	case errors.Is(err, store.ErrNotFound) && src.bucketRec == nil:
		return copySourceObject{}, noSuchBucket(bucket)
	case errors.Is(err, store.ErrNotFound):
		return copySourceObject{}, noSuchKey(key)
	case err != nil:
		return copySourceObject{}, err
	}
	if err := copySourceConditions(c.R.Header, o); err != nil {
		return copySourceObject{}, err
	}
	return copySourceObject{bucket: bucket, key: key, object: o}, nil
}

// copySourceConditions are the x-amz-copy-source-if-* headers, all
// answered 412 when they fail.
func copySourceConditions(h http.Header, o store.ObjectInfo) error {
	modified := o.LastModified.Truncate(time.Second)
	if v := h.Get("X-Amz-Copy-Source-If-Match"); v != "" && !etagMatches(v, o.ETag) {
		return preconditionFailed("x-amz-copy-source-If-Match")
	}
	if v := h.Get("X-Amz-Copy-Source-If-None-Match"); v != "" && etagMatches(v, o.ETag) {
		return preconditionFailed("x-amz-copy-source-If-None-Match")
	}
	if t, err := http.ParseTime(h.Get("X-Amz-Copy-Source-If-Unmodified-Since")); err == nil && modified.After(t) &&
		h.Get("X-Amz-Copy-Source-If-Match") == "" {
		return preconditionFailed("x-amz-copy-source-If-Unmodified-Since")
	}
	if t, err := http.ParseTime(h.Get("X-Amz-Copy-Source-If-Modified-Since")); err == nil && !modified.After(t) &&
		h.Get("X-Amz-Copy-Source-If-None-Match") == "" {
		return preconditionFailed("x-amz-copy-source-If-Modified-Since")
	}
	return nil
}

type copyObjectResult struct {
	XMLName      xml.Name `xml:"CopyObjectResult"`
	Xmlns        string   `xml:"xmlns,attr"`
	ETag         string
	LastModified string
	checksumFields
	ChecksumType string `xml:",omitempty"`
}

// directive reads a COPY/REPLACE directive header (COPY when absent).
func directive(h http.Header, name string) (string, error) {
	v := h.Get(name)
	switch v {
	case "", "COPY":
		return "COPY", nil
	case "REPLACE":
		return v, nil
	}
	return "", invalidArgument("Unknown "+strings.TrimPrefix(strings.ToLower(name), "x-amz-")+" value.", name, v)
}

func (s *Service) copyObject(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	if req.bucketRec == nil {
		return noSuchBucket(req.bucket)
	}
	h := c.R.Header
	metaDirective, err := directive(h, "X-Amz-Metadata-Directive")
	if err != nil {
		return err
	}
	tagDirective, err := directive(h, "X-Amz-Tagging-Directive")
	if err != nil {
		return err
	}
	src, err := s.copySource(ctx, c)
	if err != nil {
		return err
	}
	if src.bucket == req.bucket && src.key == req.key && metaDirective == "COPY" {
		return pipeline.NewError(http.StatusBadRequest, "InvalidRequest",
			"This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	if src.object.Size > maxObjectSize {
		return pipeline.NewError(http.StatusBadRequest, "InvalidRequest",
			"The specified copy source is larger than the maximum allowable size for a copy source: 5368709120")
	}
	info := src.object
	info.Bucket, info.Key, info.PartsCount, info.Segments, info.InlineData = req.bucket, req.key, 0, nil, nil
	if metaDirective == "REPLACE" {
		fresh := objectFromHeaders(req.bucket, req.key, h)
		info.ContentType, info.Headers, info.Metadata = fresh.ContentType, fresh.Headers, fresh.Metadata
	}
	if tagDirective == "REPLACE" {
		if info.Tags, err = parseTaggingHeader(h.Get("X-Amz-Tagging")); err != nil {
			return err
		}
	}
	if info.ChecksumType != "FULL_OBJECT" {
		info.Checksums, info.ChecksumType = nil, "" // a composite checksum is of the source's parts
	}
	w, etag, err := s.copyData(ctx, src.object, 0, src.object.Size)
	if err != nil {
		return err
	}
	info.ETag = etag
	info, err = s.commitObject(ctx, h, req, w, info)
	if err != nil {
		return err
	}
	c.W.Header().Set("X-Amz-Server-Side-Encryption", "AES256")
	return writeS3XML(c.W, copyObjectResult{Xmlns: Info.XMLNamespace, ETag: info.ETag, LastModified: s3Time(info.LastModified),
		checksumFields: checksumFieldsOf(info.Checksums), ChecksumType: info.ChecksumType})
}
