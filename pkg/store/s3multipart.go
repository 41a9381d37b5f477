package store

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
)

var (
	// uploadsBucket keys multipart uploads by bucket/key\x00uploadId: the
	// order ListMultipartUploads answers in (by key, then by initiation,
	// since upload ids begin with a sequence number).
	uploadsBucket = []byte("s3_uploads")
	// partsBucket keys parts by uploadId/partNumber (five digits), in order.
	partsBucket = []byte("s3_parts")
)

// Upload is a multipart upload in progress, with what the object it
// completes into will carry.
type Upload struct {
	Bucket    string    `json:"bucket"`
	Key       string    `json:"key"`
	UploadID  string    `json:"upload_id"`
	Initiated time.Time `json:"initiated"`
	// Initiator is the ARN of the principal that created the upload;
	// Owner its account.
	Initiator         string            `json:"initiator"`
	Owner             string            `json:"owner"`
	ContentType       string            `json:"content_type,omitempty"`
	Headers           map[string]string `json:"headers,omitempty"`
	Metadata          map[string]string `json:"metadata,omitempty"`
	Tags              map[string]string `json:"tags,omitempty"`
	ChecksumAlgorithm string            `json:"checksum_algorithm,omitempty"`
}

// Part is an uploaded part of a multipart upload.
type Part struct {
	UploadID     string            `json:"upload_id"`
	PartNumber   int               `json:"part_number"`
	ETag         string            `json:"etag"`
	Checksums    map[string]string `json:"checksums,omitempty"`
	LastModified time.Time         `json:"last_modified"`
	Data         DataSegment       `json:"data"`
}

// uploadIDSize is the length of every upload id.
const uploadIDSize = 32

func uploadKey(bucket, key, uploadID string) string { return bucket + "/" + key + "\x00" + uploadID }

func partKey(uploadID string, n int) string { return fmt.Sprintf("%s/%05d", uploadID, n) }

// CreateUpload starts a multipart upload, stamped with the transaction's
// time and given a new id; ErrNotFound when the bucket does not exist.
func (tx *Tx) CreateUpload(u Upload) (Upload, error) {
	if !tx.exists(bucketsBucket, u.Bucket) {
		return Upload{}, fmt.Errorf("bucket %s: %w", u.Bucket, ErrNotFound)
	}
	seq, err := tx.btx.Bucket(uploadsBucket).NextSequence()
	if err != nil {
		return Upload{}, err
	}
	// A sequence (initiation order) then randomness (unguessable), in an
	// alphabet whose order is byte order.
	raw := make([]byte, 24)
	binary.BigEndian.PutUint64(raw, seq)
	rand.Read(raw[8:])
	u.UploadID = sortableBase64.EncodeToString(raw)
	u.Initiated = tx.now
	return u, tx.put(uploadsBucket, uploadKey(u.Bucket, u.Key, u.UploadID), u)
}

// sortableBase64 is base64 whose alphabet is in byte order and URL-safe.
var sortableBase64 = base64.NewEncoding("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz").WithPadding(base64.NoPadding)

// Upload returns the upload with id for bucket and key; ErrNotFound when
// there is none (never created, completed or aborted).
func (tx *Tx) Upload(bucket, key, uploadID string) (Upload, error) {
	var u Upload
	if len(uploadID) != uploadIDSize {
		return Upload{}, fmt.Errorf("upload %s: %w", uploadID, ErrNotFound)
	}
	if err := tx.get(uploadsBucket, uploadKey(bucket, key, uploadID), &u); err != nil {
		return Upload{}, fmt.Errorf("upload %s: %w", uploadID, err)
	}
	return u, nil
}

// PutPart records a part, adopting its data and deleting the data of the
// part it replaces; ErrNotFound when the upload does not exist.
func (tx *Tx) PutPart(bucket, key string, p Part) (Part, error) {
	if _, err := tx.Upload(bucket, key, p.UploadID); err != nil {
		return Part{}, err
	}
	p.LastModified = tx.now
	if old, err := tx.Part(p.UploadID, p.PartNumber); err == nil {
		if err := tx.deleteData(old.Data.ID); err != nil {
			return Part{}, err
		}
	}
	if err := tx.adoptData([]DataSegment{p.Data}); err != nil {
		return Part{}, err
	}
	return p, tx.put(partsBucket, partKey(p.UploadID, p.PartNumber), p)
}

// Part returns part n of an upload.
func (tx *Tx) Part(uploadID string, n int) (Part, error) {
	var p Part
	if err := tx.get(partsBucket, partKey(uploadID, n), &p); err != nil {
		return Part{}, fmt.Errorf("part %d of %s: %w", n, uploadID, err)
	}
	return p, nil
}

// EachPart calls fn for an upload's parts numbered above after, in order,
// until fn returns false.
func (tx *Tx) EachPart(uploadID string, after int, fn func(Part) bool) error {
	c := tx.btx.Bucket(partsBucket).Cursor()
	prefix := []byte(uploadID + "/")
	for k, data := c.Seek([]byte(partKey(uploadID, after+1))); k != nil && hasPrefix(k, prefix); k, data = c.Next() {
		var p Part
		if err := json.Unmarshal(data, &p); err != nil {
			return fmt.Errorf("decode %s/%s: %w", partsBucket, k, err)
		}
		if !fn(p) {
			return nil
		}
	}
	return nil
}

// EachUpload calls fn, in key then initiation order, for the uploads of
// bucket whose key starts with prefix and that come after (afterKey,
// afterID) (both "" for from the start; afterID "" for after every upload
// of afterKey), until fn returns false.
func (tx *Tx) EachUpload(bucket, prefix, afterKey, afterID string, fn func(Upload) bool) error {
	c := tx.btx.Bucket(uploadsBucket).Cursor()
	full := []byte(bucket + "/" + prefix)
	start := full
	if afterKey != "" {
		// "\x01" sorts after every "\x00"+id of afterKey.
		after := []byte(bucket + "/" + afterKey + "\x01")
		if afterID != "" {
			after = []byte(uploadKey(bucket, afterKey, afterID) + "\x00")
		}
		if bytes.Compare(after, start) > 0 {
			start = after
		}
	}
	for k, data := c.Seek(start); k != nil && hasPrefix(k, full); k, data = c.Next() {
		var u Upload
		if err := json.Unmarshal(data, &u); err != nil {
			return fmt.Errorf("decode %s/%s: %w", uploadsBucket, k, err)
		}
		if !fn(u) {
			return nil
		}
	}
	return nil
}

// DeleteUpload ends an upload: its record and its parts go, and the data
// of every part not in keep (the parts a completed object adopted).
func (tx *Tx) DeleteUpload(u Upload, keep map[int]bool) error {
	var parts []Part
	if err := tx.EachPart(u.UploadID, 0, func(p Part) bool { parts = append(parts, p); return true }); err != nil {
		return err
	}
	for _, p := range parts {
		if !keep[p.PartNumber] {
			if err := tx.deleteData(p.Data.ID); err != nil {
				return err
			}
		}
		if err := tx.delete(partsBucket, partKey(p.UploadID, p.PartNumber)); err != nil {
			return err
		}
	}
	return tx.delete(uploadsBucket, uploadKey(u.Bucket, u.Key, u.UploadID))
}

// deleteUploads aborts every upload of a bucket that is being deleted.
func (tx *Tx) deleteUploads(bucket string) error {
	var uploads []Upload
	if err := tx.EachUpload(bucket, "", "", "", func(u Upload) bool { uploads = append(uploads, u); return true }); err != nil {
		return err
	}
	for _, u := range uploads {
		if err := tx.DeleteUpload(u, nil); err != nil {
			return err
		}
	}
	return nil
}
