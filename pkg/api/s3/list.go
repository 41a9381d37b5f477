package s3

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

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

// walkKeys calls emit, in key order, for the keys of bucket under prefix
// that sort after after, and for the common prefixes delimiter rolls them
// up into (o nil), until max entries were emitted: truncated says that
// more follow. An after that is a common prefix (it ends with the
// delimiter) skips every key under it, so that a page that ended on a
// common prefix does not list it again.
func (s *Service) walkKeys(ctx context.Context, bucket, prefix, delimiter, after string, limit int,
	emit func(o *store.ObjectInfo, common string)) (truncated bool, err error) {
	if limit == 0 {
		return false, nil
	}
	lastPrefix := ""
	if delimiter != "" && strings.HasSuffix(after, delimiter) && strings.HasPrefix(after, prefix) {
		lastPrefix = after
	}
	count := 0
	err = s.store.View(ctx, func(tx *store.Tx) error {
		return tx.EachObject(bucket, prefix, after, func(o store.ObjectInfo) bool {
			common := ""
			if delimiter != "" {
				if i := strings.Index(o.Key[len(prefix):], delimiter); i >= 0 {
					common = o.Key[:len(prefix)+i+len(delimiter)]
				}
			}
			if lastPrefix != "" && strings.HasPrefix(o.Key, lastPrefix) {
				return true
			}
			if count == limit {
				truncated = true
				return false
			}
			count++
			if common != "" {
				lastPrefix = common
				emit(nil, common)
				return true
			}
			emit(&o, "")
			return true
		})
	})
	return truncated, err
}

// listParams reads the parameters ListObjects and ListObjectVersions share.
func listParams(req *s3Request) (encoding string, maxKeys int, err error) {
	encoding = req.query.Get("encoding-type")
	if encoding != "" && encoding != "url" {
		return "", 0, invalidArgument("Invalid Encoding Method specified in Request", "encoding-type", encoding)
	}
	maxKeys, err = intParam(req, "max-keys", 1000, 1000)
	return encoding, maxKeys, err
}

// --- ListObjects (v1) ---

type listObjectsResult struct {
	XMLName        xml.Name `xml:"ListBucketResult"`
	Xmlns          string   `xml:"xmlns,attr"`
	Name           string
	Prefix         string
	Marker         string
	NextMarker     string `xml:",omitempty"`
	MaxKeys        int
	Delimiter      string `xml:",omitempty"`
	IsTruncated    bool
	Contents       []objectEntry
	CommonPrefixes []commonPrefix
	EncodingType   string `xml:",omitempty"`
}

func (s *Service) listObjects(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	if req.bucketRec == nil {
		return noSuchBucket(req.bucket)
	}
	encoding, maxKeys, err := listParams(req)
	if err != nil {
		return err
	}
	q := req.query
	out := listObjectsResult{Xmlns: Info.XMLNamespace, Name: req.bucket, Prefix: q.Get("prefix"), Marker: q.Get("marker"),
		MaxKeys: maxKeys, Delimiter: q.Get("delimiter"), EncodingType: encoding}
	owner := &ownerShape{ID: canonicalUserID(req.bucketRec.Owner)}
	last := ""
	out.IsTruncated, err = s.walkKeys(ctx, req.bucket, out.Prefix, out.Delimiter, out.Marker, maxKeys, func(o *store.ObjectInfo, common string) {
		if o == nil {
			out.CommonPrefixes, last = append(out.CommonPrefixes, commonPrefix{Prefix: common}), common
			return
		}
		out.Contents, last = append(out.Contents, objectEntry{Key: o.Key, LastModified: s3Time(o.LastModified), ETag: o.ETag,
			Size: o.Size, StorageClass: "STANDARD", Owner: owner}), o.Key
	})
	if err != nil {
		return err
	}
	if out.IsTruncated && out.Delimiter != "" {
		out.NextMarker = last // S3 sends NextMarker only with a delimiter; clients use the last key otherwise
	}
	if encoding == "url" {
		out.Prefix, out.Delimiter, out.Marker, out.NextMarker = uRLEncode(out.Prefix), uRLEncode(out.Delimiter), uRLEncode(out.Marker), uRLEncode(out.NextMarker)
		for i := range out.Contents {
			out.Contents[i].Key = uRLEncode(out.Contents[i].Key)
		}
		for i := range out.CommonPrefixes {
			out.CommonPrefixes[i].Prefix = uRLEncode(out.CommonPrefixes[i].Prefix)
		}
	}
	return writeS3XML(c.W, out)
}

// --- ListObjectVersions ---

type listVersionsResult struct {
	XMLName             xml.Name `xml:"ListVersionsResult"`
	Xmlns               string   `xml:"xmlns,attr"`
	Name                string
	Prefix              string
	KeyMarker           string
	VersionIDMarker     string `xml:"VersionIdMarker"`
	NextKeyMarker       string `xml:",omitempty"`
	NextVersionIDMarker string `xml:"NextVersionIdMarker,omitempty"`
	MaxKeys             int
	Delimiter           string `xml:",omitempty"`
	IsTruncated         bool
	Versions            []versionEntry `xml:"Version"`
	CommonPrefixes      []commonPrefix
	EncodingType        string `xml:",omitempty"`
}

type versionEntry struct {
	Key          string
	VersionID    string `xml:"VersionId"`
	IsLatest     bool
	LastModified string
	ETag         string
	Size         int64
	StorageClass string
	Owner        ownerShape
}

// listObjectVersions lists the objects of a bucket that has never had
// versioning: each object is its one version, "null", and the latest.
func (s *Service) listObjectVersions(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	if req.bucketRec == nil {
		return noSuchBucket(req.bucket)
	}
	encoding, maxKeys, err := listParams(req)
	if err != nil {
		return err
	}
	q := req.query
	out := listVersionsResult{Xmlns: Info.XMLNamespace, Name: req.bucket, Prefix: q.Get("prefix"), KeyMarker: q.Get("key-marker"),
		VersionIDMarker: q.Get("version-id-marker"), MaxKeys: maxKeys, Delimiter: q.Get("delimiter"), EncodingType: encoding}
	owner := ownerShape{ID: canonicalUserID(req.bucketRec.Owner)}
	// After key-marker comes its next key: each key has one version here.
	out.IsTruncated, err = s.walkKeys(ctx, req.bucket, out.Prefix, out.Delimiter, out.KeyMarker, maxKeys, func(o *store.ObjectInfo, common string) {
		if o == nil {
			out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{Prefix: common})
			out.NextKeyMarker, out.NextVersionIDMarker = common, ""
			return
		}
		out.Versions = append(out.Versions, versionEntry{Key: o.Key, VersionID: "null", IsLatest: true, LastModified: s3Time(o.LastModified),
			ETag: o.ETag, Size: o.Size, StorageClass: "STANDARD", Owner: owner})
		out.NextKeyMarker, out.NextVersionIDMarker = o.Key, "null"
	})
	if err != nil {
		return err
	}
	if !out.IsTruncated {
		out.NextKeyMarker, out.NextVersionIDMarker = "", ""
	}
	if encoding == "url" {
		out.Prefix, out.Delimiter, out.KeyMarker, out.NextKeyMarker = uRLEncode(out.Prefix), uRLEncode(out.Delimiter), uRLEncode(out.KeyMarker), uRLEncode(out.NextKeyMarker)
		for i := range out.Versions {
			out.Versions[i].Key = uRLEncode(out.Versions[i].Key)
		}
		for i := range out.CommonPrefixes {
			out.CommonPrefixes[i].Prefix = uRLEncode(out.CommonPrefixes[i].Prefix)
		}
	}
	return writeS3XML(c.W, out)
}
