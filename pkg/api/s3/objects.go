package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// --- Objects ---

// storedHeaders are the representation headers PutObject keeps and reads replay.
var storedHeaders = []string{"Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires"}

// objectFromHeaders is the record an upload's headers describe: content
// type, representation headers and user metadata.
func objectFromHeaders(bucket, key string, h http.Header) store.ObjectInfo {
	o := store.ObjectInfo{Bucket: bucket, Key: key, ContentType: h.Get("Content-Type"),
		Headers: map[string]string{}, Metadata: map[string]string{}}
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
	return o
}

// receive reads a payload into a new segment and checks it; on failure
// nothing of it remains.
func (s *Service) receive(ctx context.Context, c *pipeline.Call, limit int64) (*store.DataWriter, *payload, map[string]string, error) {
	p, err := s.newPayload(ctx, c, limit)
	if err != nil {
		return nil, nil, nil, err
	}
	w := s.store.NewDataWriter(ctx)
	_, err = w.ReadFrom(p)
	var sums map[string]string
	if err == nil {
		sums, err = p.finish()
	}
	if err != nil {
		if aerr := w.Abort(); aerr != nil {
			s.log.Warn("discard a failed upload", "error", aerr)
		}
		return nil, nil, nil, err
	}
	return w, p, sums, nil
}

// commitObject writes the object record info adopting w's segment, in one
// transaction with the write conditions' check; on failure the segment is
// discarded.
func (s *Service) commitObject(ctx context.Context, h http.Header, req *s3Request, w *store.DataWriter, info store.ObjectInfo) (store.ObjectInfo, error) {
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		if err := checkWriteConditions(tx, h, req.bucket, req.key); err != nil {
			return err
		}
		seg, err := w.Commit(tx)
		if err != nil {
			return err
		}
		o := store.Object{ObjectInfo: info}
		o.Segments = []store.DataSegment{seg}
		info, err = tx.PutObject(o)
		return err
	})
	if err != nil {
		s.abort(w)
		if errors.Is(err, store.ErrNotFound) {
			return store.ObjectInfo{}, noSuchBucket(req.bucket)
		}
		return store.ObjectInfo{}, err
	}
	return info, nil
}

// abort discards a received segment whose commit failed.
func (s *Service) abort(w *store.DataWriter) {
	if err := w.Abort(); err != nil {
		s.log.Warn("discard a failed upload", "error", err)
	}
}

func (s *Service) putObject(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	if req.bucketRec == nil {
		return noSuchBucket(req.bucket)
	}
	h := c.R.Header
	info := objectFromHeaders(req.bucket, req.key, h)
	tags, err := parseTaggingHeader(h.Get("X-Amz-Tagging"))
	if err != nil {
		return err
	}
	info.Tags = tags
	w, p, sums, err := s.receive(ctx, c, maxObjectSize)
	if err != nil {
		return err
	}
	info.ETag, info.Checksums = p.etag(), sums
	if len(sums) > 0 {
		info.ChecksumType = "FULL_OBJECT"
	}
	info, err = s.commitObject(ctx, h, req, w, info)
	if err != nil {
		return err
	}
	hdr := c.W.Header()
	hdr.Set("ETag", info.ETag)
	hdr.Set("X-Amz-Server-Side-Encryption", "AES256")
	setChecksumHeaders(hdr, info.Checksums, info.ChecksumType)
	c.W.WriteHeader(http.StatusOK)
	return nil
}

// checkWriteConditions applies S3's conditional writes: If-None-Match: *
// fails on an existing key, If-Match on another ETag (or a missing key).
func checkWriteConditions(tx *store.Tx, h http.Header, bucket, key string) error {
	ifNoneMatch, ifMatch := h.Get("If-None-Match"), h.Get("If-Match")
	if ifNoneMatch == "" && ifMatch == "" {
		return nil
	}
	o, err := tx.Object(bucket, key)
	exists := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if ifNoneMatch == "*" && exists {
		return preconditionFailed("If-None-Match")
	}
	if ifMatch != "" {
		if !exists {
			return noSuchKey(key)
		}
		if !etagMatches(ifMatch, o.ETag) {
			return preconditionFailed("If-Match")
		}
	}
	return nil
}

func preconditionFailed(condition string) *pipeline.Error {
	e := pipeline.NewError(http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
	e.Extra = map[string]string{"Condition": condition}
	return e
}

func noSuchKey(key string) *pipeline.Error {
	e := pipeline.NewError(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
	e.Extra = map[string]string{"Key": key}
	return e
}

// etagMatches reports whether an If-Match/If-None-Match list (or "*")
// names etag; quotes and the weak prefix are ignored, as S3 does.
func etagMatches(list, etag string) bool {
	want := strings.Trim(etag, `"`)
	for v := range strings.SplitSeq(list, ",") {
		v = strings.Trim(strings.TrimPrefix(strings.TrimSpace(v), "W/"), `"`)
		if v == "*" || v == want {
			return true
		}
	}
	return false
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

// readObject loads the record of the object a GetObject or HeadObject asks
// for. A missing key is NoSuchKey only for callers who may list the
// bucket; others get AccessDenied, so that keys cannot be probed (as in S3).
func (s *Service) readObject(ctx context.Context, c *pipeline.Call, req *s3Request) (store.ObjectInfo, error) {
	if req.bucketRec == nil {
		return store.ObjectInfo{}, noSuchBucket(req.bucket)
	}
	var o store.ObjectInfo
	err := s.store.View(ctx, func(tx *store.Tx) error {
		var err error
		o, err = tx.Object(req.bucket, req.key)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		if err := c.Authorize(ctx, "s3:ListBucket", bucketTarget(c, req)); err != nil {
			return store.ObjectInfo{}, err
		}
		return store.ObjectInfo{}, noSuchKey(req.key)
	}
	return o, err
}

// objectData reads length bytes of o from off.
func (s *Service) objectData(ctx context.Context, o store.ObjectInfo, off, length int64) io.Reader {
	if len(o.Segments) == 0 {
		end := min(int64(len(o.InlineData)), off+length)
		return bytes.NewReader(o.InlineData[min(off, end):end])
	}
	return s.store.OpenData(ctx, o.Segments, off, length)
}

// writeObjectHeaders sets the headers GetObject and HeadObject share.
func writeObjectHeaders(c *pipeline.Call, o store.ObjectInfo) {
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
	if len(o.Tags) > 0 {
		w.Set("X-Amz-Tagging-Count", strconv.Itoa(len(o.Tags)))
	}
	if strings.EqualFold(c.R.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		setChecksumHeaders(w, o.Checksums, o.ChecksumType)
	}
}

// setChecksumHeaders sends an object's (or a part's) checksums.
func setChecksumHeaders(w http.Header, checksums map[string]string, checksumType string) {
	for algo, v := range checksums {
		w.Set("X-Amz-Checksum-"+algo, v)
		if checksumType != "" {
			w.Set("X-Amz-Checksum-Type", checksumType)
		}
	}
}

// readConditions evaluates a read's If-* headers as S3 documents: a
// failed If-Match (or, without If-Match, If-Unmodified-Since) is 412; a
// matched If-None-Match (or, without If-None-Match, a failed
// If-Modified-Since) is 304.
func readConditions(h http.Header, o store.ObjectInfo) (notModified bool, err error) {
	modified := o.LastModified.Truncate(time.Second)
	if v := h.Get("If-Match"); v != "" {
		if !etagMatches(v, o.ETag) {
			return false, preconditionFailed("If-Match")
		}
	} else if t, perr := http.ParseTime(h.Get("If-Unmodified-Since")); perr == nil && modified.After(t) {
		return false, preconditionFailed("If-Unmodified-Since")
	}
	if v := h.Get("If-None-Match"); v != "" {
		return etagMatches(v, o.ETag), nil
	}
	if t, perr := http.ParseTime(h.Get("If-Modified-Since")); perr == nil && !modified.After(t) {
		return true, nil
	}
	return false, nil
}

// notModified answers 304 with the validators.
func notModified(c *pipeline.Call, o store.ObjectInfo) error {
	w := c.W.Header()
	w.Set("ETag", o.ETag)
	w.Set("Last-Modified", o.LastModified.UTC().Format(http.TimeFormat))
	c.W.WriteHeader(http.StatusNotModified)
	return nil
}

// selection is the bytes of an object a read answers with.
type selection struct {
	start, length int64
	partial       bool // 206 with Content-Range
}

// selectBytes reads the Range header or the partNumber query of a read.
func selectBytes(c *pipeline.Call, req *s3Request, o store.ObjectInfo) (selection, error) {
	sel := selection{length: o.Size}
	if v := req.query.Get("partNumber"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxParts {
			return sel, invalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", v)
		}
		if c.R.Header.Get("Range") != "" {
			return sel, invalidArgument("Cannot specify both Range header and partNumber query parameter", "partNumber", v)
		}
		count := max(o.PartsCount, 1)
		if n > count {
			return sel, pipeline.NewError(http.StatusRequestedRangeNotSatisfiable, "InvalidPartNumber", "The requested partnumber is not satisfiable")
		}
		c.W.Header().Set("X-Amz-Mp-Parts-Count", strconv.Itoa(o.PartsCount))
		if o.PartsCount == 0 {
			return sel, nil
		}
		for _, seg := range o.Segments[:n-1] {
			sel.start += seg.Size
		}
		sel.length, sel.partial = o.Segments[n-1].Size, true
		return sel, nil
	}
	start, end, ok, err := parseRange(c.R.Header.Get("Range"), o.Size)
	if err != nil || !ok {
		return sel, err
	}
	return selection{start: start, length: end - start + 1, partial: true}, nil
}

func (s *Service) getObject(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	return s.answerObject(ctx, c, req, true)
}

func (s *Service) headObject(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	return s.answerObject(ctx, c, req, false)
}

// answerObject answers GetObject (withBody) and HeadObject alike: the
// conditions, the range or part, the headers; then GetObject's bytes.
func (s *Service) answerObject(ctx context.Context, c *pipeline.Call, req *s3Request, withBody bool) error {
	o, err := s.readObject(ctx, c, req)
	if err != nil {
		return err
	}
	if nm, err := readConditions(c.R.Header, o); err != nil {
		return err
	} else if nm {
		return notModified(c, o)
	}
	sel, err := selectBytes(c, req, o)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if sel.partial {
		status = http.StatusPartialContent
		c.W.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", sel.start, sel.start+sel.length-1, o.Size))
		o.Checksums = nil // they are of the whole object
	}
	writeObjectHeaders(c, o)
	writeResponseOverrides(c, req)
	c.W.Header().Set("Content-Length", strconv.FormatInt(sel.length, 10))
	c.W.WriteHeader(status)
	if !withBody {
		return nil
	}
	if _, err := io.Copy(c.W, s.objectData(ctx, o, sel.start, sel.length)); err != nil {
		// The status is sent: the short body (against Content-Length) is
		// how the client learns that the object went away or the
		// connection failed.
		s.log.Warn("object read cut short", "bucket", req.bucket, "key", req.key, "error", err)
	}
	return nil
}

// writeResponseOverrides applies GetObject's and HeadObject's response-* query parameters
// (what presigned download links use to name the file).
func writeResponseOverrides(c *pipeline.Call, req *s3Request) {
	for param, header := range map[string]string{"response-content-type": "Content-Type",
		"response-content-language": "Content-Language", "response-expires": "Expires",
		"response-cache-control": "Cache-Control", "response-content-disposition": "Content-Disposition",
		"response-content-encoding": "Content-Encoding"} {
		if v := req.query.Get(param); v != "" {
			c.W.Header().Set(header, v)
		}
	}
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

func (s *Service) deleteObject(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	if req.bucketRec == nil {
		return noSuchBucket(req.bucket)
	}
	if err := s.store.Update(ctx, func(tx *store.Tx) error { return tx.DeleteObject(req.bucket, req.key) }); err != nil {
		return err
	}
	return writeNoContent(c.W)
}
