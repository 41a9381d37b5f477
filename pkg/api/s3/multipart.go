package s3

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// --- Multipart uploads ---

const (
	// maxParts is the highest part number.
	maxParts = 10000
	// minPartSize is the least size of every part but the last (5 MiB).
	minPartSize = 5 << 20
)

type initiateMultipartUploadResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	Xmlns    string   `xml:"xmlns,attr"`
	Bucket   string
	Key      string
	UploadID string `xml:"UploadId"`
}

func noSuchUpload(uploadID string) *pipeline.Error {
	e := pipeline.NewError(http.StatusNotFound, "NoSuchUpload",
		"The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
	e.Extra = map[string]string{"UploadId": uploadID}
	return e
}

func malformedXML() *pipeline.Error {
	return pipeline.NewError(http.StatusBadRequest, "MalformedXML",
		"The XML you provided was not well-formed or did not validate against our published schema")
}

// checksumAlgorithmOf reads the x-amz-checksum-algorithm a multipart
// upload declares (or x-amz-sdk-checksum-algorithm); "" for none.
func checksumAlgorithmOf(h http.Header) (string, error) {
	v := strings.ToUpper(h.Get("X-Amz-Checksum-Algorithm"))
	if v == "" {
		return "", nil
	}
	if _, ok := checksumAlgorithms[v]; !ok {
		return "", invalidArgument("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
			"x-amz-checksum-algorithm", v)
	}
	return v, nil
}

func (s *Service) createMultipartUpload(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	if req.bucketRec == nil {
		return noSuchBucket(req.bucket)
	}
	h := c.R.Header
	info := objectFromHeaders(req.bucket, req.key, h)
	tags, err := parseTaggingHeader(h.Get("X-Amz-Tagging"))
	if err != nil {
		return err
	}
	algo, err := checksumAlgorithmOf(h)
	if err != nil {
		return err
	}
	u := store.Upload{Bucket: req.bucket, Key: req.key, Initiator: c.ID.ARN, Owner: c.ID.AccountID,
		ContentType: info.ContentType, Headers: info.Headers, Metadata: info.Metadata, Tags: tags, ChecksumAlgorithm: algo}
	err = s.store.Update(ctx, func(tx *store.Tx) error {
		var err error
		u, err = tx.CreateUpload(u)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return noSuchBucket(req.bucket)
	}
	if err != nil {
		return err
	}
	c.W.Header().Set("X-Amz-Server-Side-Encryption", "AES256")
	if algo != "" {
		c.W.Header().Set("X-Amz-Checksum-Algorithm", algo)
		c.W.Header().Set("X-Amz-Checksum-Type", "COMPOSITE")
	}
	return writeS3XML(c.W, initiateMultipartUploadResult{Xmlns: Info.XMLNamespace, Bucket: req.bucket, Key: req.key, UploadID: u.UploadID})
}

// partNumberOf reads a part number query parameter.
func partNumberOf(req *s3Request) (int, error) {
	v := req.query.Get("partNumber")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxParts {
		return 0, invalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", v)
	}
	return n, nil
}

// upload loads the upload a part request names.
func (s *Service) upload(ctx context.Context, req *s3Request) (store.Upload, error) {
	if req.bucketRec == nil {
		return store.Upload{}, noSuchBucket(req.bucket)
	}
	id := req.query.Get("uploadId")
	var u store.Upload
	err := s.store.View(ctx, func(tx *store.Tx) error {
		var err error
		u, err = tx.Upload(req.bucket, req.key, id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.Upload{}, noSuchUpload(id)
	}
	return u, err
}

// putPart records a received part, unless its upload went meanwhile.
func (s *Service) putPart(ctx context.Context, u store.Upload, n int, w *store.DataWriter, etag string, sums map[string]string) (store.Part, error) {
	var p store.Part
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		seg, err := w.Commit(tx)
		if err != nil {
			return err
		}
		p, err = tx.PutPart(u.Bucket, u.Key, store.Part{UploadID: u.UploadID, PartNumber: n, ETag: etag, Checksums: sums, Data: seg})
		return err
	})
	if err != nil {
		s.abort(w)
		if errors.Is(err, store.ErrNotFound) {
			return store.Part{}, noSuchUpload(u.UploadID)
		}
		return store.Part{}, err
	}
	return p, nil
}

func (s *Service) uploadPart(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	n, err := partNumberOf(req)
	if err != nil {
		return err
	}
	u, err := s.upload(ctx, req)
	if err != nil {
		return err
	}
	w, p, sums, err := s.receive(ctx, c, maxObjectSize)
	if err != nil {
		return err
	}
	part, err := s.putPart(ctx, u, n, w, p.etag(), sums)
	if err != nil {
		return err
	}
	c.W.Header().Set("ETag", part.ETag)
	c.W.Header().Set("X-Amz-Server-Side-Encryption", "AES256")
	setChecksumHeaders(c.W.Header(), part.Checksums, "")
	c.W.WriteHeader(http.StatusOK)
	return nil
}

type copyPartResult struct {
	XMLName      xml.Name `xml:"CopyPartResult"`
	Xmlns        string   `xml:"xmlns,attr"`
	ETag         string
	LastModified string
	checksumFields
}

func (s *Service) uploadPartCopy(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	n, err := partNumberOf(req)
	if err != nil {
		return err
	}
	src, err := s.copySource(ctx, c)
	if err != nil {
		return err
	}
	u, err := s.upload(ctx, req)
	if err != nil {
		return err
	}
	start, length := int64(0), src.object.Size
	if v := c.R.Header.Get("X-Amz-Copy-Source-Range"); v != "" {
		first, last, ok := parseCopyRange(v)
		if !ok || last >= src.object.Size {
			return invalidArgument(fmt.Sprintf("Range specified is not valid for source object of size: %d", src.object.Size),
				"x-amz-copy-source-range", v)
		}
		start, length = first, last-first+1
	}
	if length > maxObjectSize {
		return entityTooLarge(length, maxObjectSize)
	}
	w, etag, err := s.copyData(ctx, src.object, start, length)
	if err != nil {
		return err
	}
	part, err := s.putPart(ctx, u, n, w, etag, nil)
	if err != nil {
		return err
	}
	c.W.Header().Set("X-Amz-Server-Side-Encryption", "AES256")
	return writeS3XML(c.W, copyPartResult{Xmlns: Info.XMLNamespace, ETag: part.ETag, LastModified: s3Time(part.LastModified)})
}

// parseCopyRange reads x-amz-copy-source-range: "bytes=first-last", both given.
func parseCopyRange(v string) (first, last int64, ok bool) {
	spec, found := strings.CutPrefix(v, "bytes=")
	a, b, found2 := strings.Cut(spec, "-")
	if !found || !found2 {
		return 0, 0, false
	}
	first, err1 := strconv.ParseInt(a, 10, 64)
	last, err2 := strconv.ParseInt(b, 10, 64)
	return first, last, err1 == nil && err2 == nil && first >= 0 && last >= first
}

// copyData copies length bytes of o from start into a new segment and
// returns its writer (to commit) and the copy's ETag.
func (s *Service) copyData(ctx context.Context, o store.ObjectInfo, start, length int64) (*store.DataWriter, string, error) {
	w := s.store.NewDataWriter(ctx)
	sum := md5.New()
	if _, err := w.ReadFrom(teeReader{s.objectData(ctx, o, start, length), sum}); err != nil {
		s.abort(w)
		if errors.Is(err, store.ErrNotFound) {
			return nil, "", noSuchKey(o.Key) // the source went while it was copied
		}
		return nil, "", err
	}
	return w, `"` + hex.EncodeToString(sum.Sum(nil)) + `"`, nil
}

// teeReader is io.TeeReader without its hiding of the writer's errors
// (hashes never fail).
type teeReader struct {
	r interface{ Read([]byte) (int, error) }
	w interface{ Write([]byte) (int, error) }
}

func (t teeReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.w.Write(p[:n])
	return n, err
}

// completeMultipartUpload is the request body of CompleteMultipartUpload.
type completeMultipartUpload struct {
	XMLName xml.Name        `xml:"CompleteMultipartUpload"`
	Parts   []completedPart `xml:"Part"`
}

type completedPart struct {
	PartNumber int
	ETag       string
	checksumFields
}

type completeMultipartUploadResult struct {
	XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
	Xmlns    string   `xml:"xmlns,attr"`
	Location string
	Bucket   string
	Key      string
	ETag     string
	checksumFields
	ChecksumType string `xml:",omitempty"`
}

// checksumFields are the Checksum* members of S3's part and object shapes.
type checksumFields struct {
	ChecksumCRC32     string `xml:",omitempty"`
	ChecksumCRC32C    string `xml:",omitempty"`
	ChecksumCRC64NVME string `xml:",omitempty"`
	ChecksumSHA1      string `xml:",omitempty"`
	ChecksumSHA256    string `xml:",omitempty"`
	ChecksumSHA512    string `xml:",omitempty"`
	ChecksumMD5       string `xml:",omitempty"`
}

func checksumFieldsOf(sums map[string]string) checksumFields {
	return checksumFields{ChecksumCRC32: sums["CRC32"], ChecksumCRC32C: sums["CRC32C"], ChecksumCRC64NVME: sums["CRC64NVME"],
		ChecksumSHA1: sums["SHA1"], ChecksumSHA256: sums["SHA256"], ChecksumSHA512: sums["SHA512"], ChecksumMD5: sums["MD5"]}
}

func (f checksumFields) byAlgorithm() map[string]string {
	m := map[string]string{}
	for algo, v := range map[string]string{"CRC32": f.ChecksumCRC32, "CRC32C": f.ChecksumCRC32C, "CRC64NVME": f.ChecksumCRC64NVME,
		"SHA1": f.ChecksumSHA1, "SHA256": f.ChecksumSHA256, "SHA512": f.ChecksumSHA512, "MD5": f.ChecksumMD5} {
		if v != "" {
			m[algo] = v
		}
	}
	return m
}

func invalidPart(uploadID string, n int, etag string) *pipeline.Error {
	e := pipeline.NewError(http.StatusBadRequest, "InvalidPart",
		"One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
	e.Extra = map[string]string{"UploadId": uploadID, "PartNumber": strconv.Itoa(n), "ETag": etag}
	return e
}

// unquoted is an ETag without its quotes: clients send either.
func unquoted(etag string) string { return strings.Trim(strings.TrimSpace(etag), `"`) }

func (s *Service) completeMultipartUpload(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	if req.bucketRec == nil {
		return noSuchBucket(req.bucket)
	}
	var body completeMultipartUpload
	if err := xml.Unmarshal(req.body, &body); err != nil || len(body.Parts) == 0 {
		return malformedXML()
	}
	uploadID := req.query.Get("uploadId")
	var info store.ObjectInfo
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		u, err := tx.Upload(req.bucket, req.key, uploadID)
		if errors.Is(err, store.ErrNotFound) {
			return noSuchUpload(uploadID)
		}
		if err != nil {
			return err
		}
		o, err := assembleParts(tx, u, body.Parts)
		if err != nil {
			return err
		}
		if err := checkWriteConditions(tx, c.R.Header, req.bucket, req.key); err != nil {
			return err
		}
		if info, err = tx.PutObject(store.Object{ObjectInfo: o}); err != nil {
			return err
		}
		keep := map[int]bool{}
		for _, p := range body.Parts {
			keep[p.PartNumber] = true
		}
		return tx.DeleteUpload(u, keep)
	})
	if errors.Is(err, store.ErrNotFound) {
		return noSuchBucket(req.bucket)
	}
	if err != nil {
		return err
	}
	c.W.Header().Set("X-Amz-Server-Side-Encryption", "AES256")
	return writeS3XML(c.W, completeMultipartUploadResult{Xmlns: Info.XMLNamespace,
		Location: "/" + req.bucket + "/" + req.key, Bucket: req.bucket, Key: req.key, ETag: info.ETag,
		checksumFields: checksumFieldsOf(info.Checksums), ChecksumType: info.ChecksumType})
}

// assembleParts checks a CompleteMultipartUpload's list against the
// uploaded parts, as S3 does (ascending numbers, known parts with their
// ETags, every part but the last at least 5 MiB), and returns the object:
// the parts' data in order, and S3's multipart ETag, the MD5 of the parts'
// binary MD5s followed by "-" and the number of parts.
func assembleParts(tx *store.Tx, u store.Upload, list []completedPart) (store.ObjectInfo, error) {
	o := store.ObjectInfo{Bucket: u.Bucket, Key: u.Key, ContentType: u.ContentType, Headers: u.Headers,
		Metadata: u.Metadata, Tags: u.Tags, PartsCount: len(list)}
	etags := md5.New()
	composite := checksumAlgorithms[u.ChecksumAlgorithm]
	var sums []byte
	// First the list (order, parts and their ETags), then the sizes: a
	// list naming a missing part is InvalidPart whatever its sizes.
	prev := 0
	parts := make([]store.Part, len(list))
	for i, cp := range list {
		if cp.PartNumber <= prev {
			return o, pipeline.NewError(http.StatusBadRequest, "InvalidPartOrder",
				"The list of parts was not in ascending order. The parts list must be specified in order by part number.")
		}
		prev = cp.PartNumber
		p, err := tx.Part(u.UploadID, cp.PartNumber)
		if errors.Is(err, store.ErrNotFound) || (err == nil && unquoted(p.ETag) != unquoted(cp.ETag)) {
			return o, invalidPart(u.UploadID, cp.PartNumber, cp.ETag)
		}
		if err != nil {
			return o, err
		}
		for algo, v := range cp.byAlgorithm() {
			if p.Checksums[algo] != v {
				return o, invalidPart(u.UploadID, cp.PartNumber, cp.ETag)
			}
		}
		parts[i] = p
	}
	for i, p := range parts {
		if i < len(parts)-1 && p.Data.Size < minPartSize {
			e := pipeline.NewError(http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.")
			e.Extra = map[string]string{"ProposedSize": strconv.FormatInt(p.Data.Size, 10), "MinSizeAllowed": strconv.Itoa(minPartSize),
				"PartNumber": strconv.Itoa(p.PartNumber), "ETag": p.ETag}
			return o, e
		}
		raw, _ := hex.DecodeString(unquoted(p.ETag))
		etags.Write(raw)
		if composite != nil {
			if v, err := base64.StdEncoding.DecodeString(p.Checksums[u.ChecksumAlgorithm]); err == nil && len(v) > 0 {
				sums = append(sums, v...)
			} else {
				composite = nil // a part without the checksum: the object gets none
			}
		}
		o.Segments = append(o.Segments, p.Data)
	}
	o.ETag = fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(etags.Sum(nil)), len(list))
	if composite != nil {
		h := composite()
		h.Write(sums)
		o.Checksums = map[string]string{u.ChecksumAlgorithm: fmt.Sprintf("%s-%d", base64.StdEncoding.EncodeToString(h.Sum(nil)), len(list))}
		o.ChecksumType = "COMPOSITE"
	}
	return o, nil
}

func (s *Service) abortMultipartUpload(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	if req.bucketRec == nil {
		return noSuchBucket(req.bucket)
	}
	id := req.query.Get("uploadId")
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		u, err := tx.Upload(req.bucket, req.key, id)
		if err != nil {
			return err
		}
		return tx.DeleteUpload(u, nil)
	})
	if errors.Is(err, store.ErrNotFound) {
		return noSuchUpload(id)
	}
	if err != nil {
		return err
	}
	return writeNoContent(c.W)
}

// --- ListParts / ListMultipartUploads ---

type initiatorShape struct {
	ID          string
	DisplayName string
}

type listPartsResult struct {
	XMLName              xml.Name `xml:"ListPartsResult"`
	Xmlns                string   `xml:"xmlns,attr"`
	Bucket               string
	Key                  string
	UploadID             string `xml:"UploadId"`
	PartNumberMarker     int
	NextPartNumberMarker int
	MaxParts             int
	IsTruncated          bool
	Parts                []partEntry `xml:"Part"`
	Initiator            initiatorShape
	Owner                initiatorShape
	StorageClass         string
	ChecksumAlgorithm    string `xml:",omitempty"`
	ChecksumType         string `xml:",omitempty"`
}

type partEntry struct {
	PartNumber   int
	LastModified string
	ETag         string
	Size         int64
	checksumFields
}

// initiator is how S3 names who started an upload: an IAM principal by
// its ARN, a root by the account's canonical id.
func initiator(u store.Upload) initiatorShape {
	if strings.HasSuffix(u.Initiator, ":root") || u.Initiator == "" {
		return initiatorShape{ID: canonicalUserID(u.Owner), DisplayName: u.Owner}
	}
	name := u.Initiator[strings.LastIndex(u.Initiator, "/")+1:]
	return initiatorShape{ID: u.Initiator, DisplayName: name}
}

// intParam reads an optional non-negative integer query parameter, capped.
func intParam(req *s3Request, name string, def, limit int) (int, error) {
	v := req.query.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, invalidArgument(fmt.Sprintf("Provided %s not an integer or within integer range", name), name, v)
	}
	return min(n, limit), nil
}

func (s *Service) listParts(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	u, err := s.upload(ctx, req)
	if err != nil {
		return err
	}
	maxPartsParam, err := intParam(req, "max-parts", 1000, 1000)
	if err != nil {
		return err
	}
	marker, err := intParam(req, "part-number-marker", 0, maxParts)
	if err != nil {
		return err
	}
	out := listPartsResult{Xmlns: Info.XMLNamespace, Bucket: u.Bucket, Key: u.Key, UploadID: u.UploadID,
		PartNumberMarker: marker, MaxParts: maxPartsParam, Initiator: initiator(u),
		Owner: initiatorShape{ID: canonicalUserID(u.Owner), DisplayName: u.Owner}, StorageClass: "STANDARD",
		ChecksumAlgorithm: u.ChecksumAlgorithm}
	if u.ChecksumAlgorithm != "" {
		out.ChecksumType = "COMPOSITE"
	}
	err = s.store.View(ctx, func(tx *store.Tx) error {
		return tx.EachPart(u.UploadID, marker, func(p store.Part) bool {
			if len(out.Parts) == maxPartsParam {
				out.IsTruncated = true
				return false
			}
			out.Parts = append(out.Parts, partEntry{PartNumber: p.PartNumber, LastModified: s3Time(p.LastModified),
				ETag: p.ETag, Size: p.Data.Size, checksumFields: checksumFieldsOf(p.Checksums)})
			out.NextPartNumberMarker = p.PartNumber
			return true
		})
	})
	if err != nil {
		return err
	}
	return writeS3XML(c.W, out)
}

type listMultipartUploadsResult struct {
	XMLName            xml.Name `xml:"ListMultipartUploadsResult"`
	Xmlns              string   `xml:"xmlns,attr"`
	Bucket             string
	KeyMarker          string
	UploadIDMarker     string `xml:"UploadIdMarker"`
	NextKeyMarker      string
	NextUploadIDMarker string `xml:"NextUploadIdMarker"`
	Prefix             string
	Delimiter          string `xml:",omitempty"`
	MaxUploads         int
	IsTruncated        bool
	Uploads            []uploadEntry  `xml:"Upload"`
	CommonPrefixes     []commonPrefix `xml:"CommonPrefixes"`
	EncodingType       string         `xml:",omitempty"`
}

type uploadEntry struct {
	Key               string
	UploadID          string `xml:"UploadId"`
	Initiator         initiatorShape
	Owner             initiatorShape
	StorageClass      string
	Initiated         string
	ChecksumAlgorithm string `xml:",omitempty"`
}

func (s *Service) listMultipartUploads(ctx context.Context, c *pipeline.Call, req *s3Request) error {
	if req.bucketRec == nil {
		return noSuchBucket(req.bucket)
	}
	q := req.query
	prefix, delimiter, keyMarker, idMarker := q.Get("prefix"), q.Get("delimiter"), q.Get("key-marker"), q.Get("upload-id-marker")
	encoding := q.Get("encoding-type")
	if encoding != "" && encoding != "url" {
		return invalidArgument("Invalid Encoding Method specified in Request", "encoding-type", encoding)
	}
	maxUploads, err := intParam(req, "max-uploads", 1000, 1000)
	if err != nil {
		return err
	}
	if keyMarker == "" {
		idMarker = "" // S3 ignores an upload-id-marker without a key-marker
	}
	out := listMultipartUploadsResult{Xmlns: Info.XMLNamespace, Bucket: req.bucket, KeyMarker: keyMarker, UploadIDMarker: idMarker,
		Prefix: prefix, Delimiter: delimiter, MaxUploads: maxUploads, EncodingType: encoding}
	lastPrefix := ""
	count := 0
	err = s.store.View(ctx, func(tx *store.Tx) error {
		return tx.EachUpload(req.bucket, prefix, keyMarker, idMarker, func(u store.Upload) bool {
			if delimiter != "" && strings.HasSuffix(keyMarker, delimiter) && strings.HasPrefix(u.Key, keyMarker) {
				return true // under the common prefix the last page ended with
			}
			common := ""
			if delimiter != "" {
				if i := strings.Index(u.Key[len(prefix):], delimiter); i >= 0 {
					common = u.Key[:len(prefix)+i+len(delimiter)]
				}
			}
			if common != "" && common == lastPrefix {
				return true
			}
			if count == maxUploads {
				out.IsTruncated = true
				return false
			}
			count++
			if common != "" {
				lastPrefix = common
				out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{Prefix: common})
				out.NextKeyMarker, out.NextUploadIDMarker = common, ""
				return true
			}
			out.Uploads = append(out.Uploads, uploadEntry{Key: u.Key, UploadID: u.UploadID, Initiator: initiator(u),
				Owner: initiatorShape{ID: canonicalUserID(u.Owner), DisplayName: u.Owner}, StorageClass: "STANDARD",
				Initiated: s3Time(u.Initiated), ChecksumAlgorithm: u.ChecksumAlgorithm})
			out.NextKeyMarker, out.NextUploadIDMarker = u.Key, u.UploadID
			return true
		})
	})
	if err != nil {
		return err
	}
	if !out.IsTruncated {
		out.NextKeyMarker, out.NextUploadIDMarker = "", ""
	}
	if encoding == "url" {
		out.Prefix, out.Delimiter, out.KeyMarker, out.NextKeyMarker = uRLEncode(out.Prefix), uRLEncode(out.Delimiter),
			uRLEncode(out.KeyMarker), uRLEncode(out.NextKeyMarker)
		for i := range out.Uploads {
			out.Uploads[i].Key = uRLEncode(out.Uploads[i].Key)
		}
		for i := range out.CommonPrefixes {
			out.CommonPrefixes[i].Prefix = uRLEncode(out.CommonPrefixes[i].Prefix)
		}
	}
	return writeS3XML(c.W, out)
}
