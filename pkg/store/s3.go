package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Bucket is an S3 bucket. Bucket names are global, as in AWS: one name
// belongs to at most one account.
type Bucket struct {
	Name string `json:"name"`
	// Owner is the account id of the account that created the bucket; its
	// root may always manage the bucket policy.
	Owner  string `json:"owner"`
	Region string `json:"region"`
	// Policy is the bucket policy as put (raw JSON); empty when none.
	Policy    string    `json:"policy,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// Tags are the bucket's tags (PutBucketTagging).
	Tags map[string]string `json:"tags,omitempty"`
	// Configs are the configuration documents put on the bucket (CORS,
	// encryption, lifecycle…), by sub-resource, as sent.
	Configs map[string]string `json:"configs,omitempty"`
}

// ObjectInfo is an S3 object's record: everything but its bytes, and
// where they are.
type ObjectInfo struct {
	Bucket      string `json:"bucket"`
	Key         string `json:"key"`
	Size        int64  `json:"size"`
	ETag        string `json:"etag"` // quoted MD5 hex (or the multipart "md5-N"), as S3 sends it
	ContentType string `json:"content_type,omitempty"`
	// Headers are the other representation headers given at upload
	// (Cache-Control, Content-Disposition, Content-Encoding, …), replayed on reads.
	Headers map[string]string `json:"headers,omitempty"`
	// Metadata is the user metadata (x-amz-meta-*), keyed without the prefix.
	Metadata map[string]string `json:"metadata,omitempty"`
	// Checksums maps an algorithm (CRC32, SHA256, …) to the base64 checksum
	// the client sent, returned on reads that ask for checksums.
	Checksums map[string]string `json:"checksums,omitempty"`
	// ChecksumType is FULL_OBJECT or COMPOSITE (a multipart checksum of
	// the parts' checksums); empty when there are no checksums.
	ChecksumType string    `json:"checksum_type,omitempty"`
	LastModified time.Time `json:"last_modified"`
	// Segments hold the bytes, in order (s3data.go).
	Segments []DataSegment `json:"segments,omitempty"`
	// PartsCount is the number of parts of a multipart object, whose
	// Segments are its parts in order; 0 for a PUT.
	PartsCount int `json:"parts_count,omitempty"`
	// InlineData is the bytes of an object written before data was
	// chunked (data files of earlier emulators), served as they are.
	InlineData []byte `json:"data,omitempty"`
	// Tags are the object's tags.
	Tags map[string]string `json:"tags,omitempty"`
}

// Object is an object record with, for small objects written in one
// transaction (scenarios, tests), its bytes.
type Object struct {
	ObjectInfo
	Data []byte `json:"-"`
}

// objectKey is where an object lives in the objects bucket: bucket names
// have no "/", so "bucket/" prefixes exactly one bucket's objects, in key order.
func objectKey(bucket, key string) string { return bucket + "/" + key }

// Bucket returns the bucket with name.
func (tx *Tx) Bucket(name string) (Bucket, error) {
	var b Bucket
	if err := tx.get(bucketsBucket, name, &b); err != nil {
		return Bucket{}, fmt.Errorf("bucket %s: %w", name, err)
	}
	return b, nil
}

// CreateBucket creates b, stamped with the transaction's time;
// ErrConflict when the name is taken (by any account).
func (tx *Tx) CreateBucket(b Bucket) (Bucket, error) {
	if tx.exists(bucketsBucket, b.Name) {
		return Bucket{}, fmt.Errorf("bucket %s: %w", b.Name, ErrConflict)
	}
	b.CreatedAt = tx.now
	return b, putIndexed(tx, bucketsBucket, b.Name, b, bucketIndexEntries)
}

// PutBucket replaces an existing bucket's record (its policy).
func (tx *Tx) PutBucket(b Bucket) error {
	if !tx.exists(bucketsBucket, b.Name) {
		return fmt.Errorf("bucket %s: %w", b.Name, ErrNotFound)
	}
	return putIndexed(tx, bucketsBucket, b.Name, b, bucketIndexEntries)
}

// DeleteBucket deletes an empty bucket: ErrNotFound when it does not
// exist, ErrConflict when it still has objects.
func (tx *Tx) DeleteBucket(name string) error {
	if !tx.exists(bucketsBucket, name) {
		return fmt.Errorf("bucket %s: %w", name, ErrNotFound)
	}
	prefix := []byte(objectKey(name, ""))
	if k, _ := tx.btx.Bucket(objectsBucket).Cursor().Seek(prefix); k != nil && hasPrefix(k, prefix) {
		return fmt.Errorf("bucket %s is not empty: %w", name, ErrConflict)
	}
	if err := tx.deleteUploads(name); err != nil {
		return err
	}
	return deleteIndexed(tx, bucketsBucket, name, bucketIndexEntries)
}

// Buckets lists the buckets owned by an account, ordered by name.
func (tx *Tx) Buckets(owner string) ([]Bucket, error) {
	out, _, err := tx.BucketsPage(owner, "", "", "", 0)
	if len(out) == 0 {
		out = nil // as before paging: no buckets is a nil list
	}
	return out, err
}

// BucketsPage is one page of an owner's buckets, ordered by name: those
// whose name starts with prefix and, unless region is "", that are in
// region; at most limit (limit <= 0: all) from where the cursor after (""
// for the start) left off, and the cursor of the next page ("" on the last
// page). ErrInvalidCursor for a cursor it did not hand out.
func (tx *Tx) BucketsPage(owner, prefix, region, after string, limit int) ([]Bucket, string, error) {
	return pageIndex(tx, bucketsByOwner, owner+"\x00", prefix, after, limit,
		func(rest []byte) (Bucket, bool, bool, error) {
			name := string(rest)
			if !strings.HasPrefix(name, prefix) {
				return Bucket{}, false, name > prefix, nil // past the prefix: nothing further matches
			}
			b, err := tx.Bucket(name)
			return b, err == nil && (region == "" || b.Region == region), false, err
		})
}

// Object returns the record of the object at key in bucket.
func (tx *Tx) Object(bucket, key string) (ObjectInfo, error) {
	var o ObjectInfo
	if err := tx.get(objectsBucket, objectKey(bucket, key), &o); err != nil {
		return ObjectInfo{}, fmt.Errorf("object %s/%s: %w", bucket, key, err)
	}
	return o, nil
}

// PutObject creates or replaces an object, stamped with the transaction's
// time; ErrNotFound when its bucket does not exist. Its bytes are o.Data,
// written here, or else the segments o.Segments names (written by a
// DataWriter), which the record adopts. The replaced object's data is
// deleted.
func (tx *Tx) PutObject(o Object) (ObjectInfo, error) {
	if !tx.exists(bucketsBucket, o.Bucket) {
		return ObjectInfo{}, fmt.Errorf("bucket %s: %w", o.Bucket, ErrNotFound)
	}
	info := o.ObjectInfo
	info.InlineData = nil
	if len(o.Data) > 0 {
		seg, err := tx.WriteData(o.Data)
		if err != nil {
			return ObjectInfo{}, err
		}
		info.Segments = []DataSegment{seg}
	}
	info.Size = 0
	for _, s := range info.Segments {
		info.Size += s.Size
	}
	info.LastModified = tx.now
	if err := tx.adoptData(info.Segments); err != nil {
		return ObjectInfo{}, err
	}
	if old, err := tx.Object(o.Bucket, o.Key); err == nil {
		if err := tx.deleteSegments(old.Segments); err != nil {
			return ObjectInfo{}, err
		}
	}
	return info, tx.put(objectsBucket, objectKey(o.Bucket, o.Key), info)
}

// PutObjectInfo replaces an existing object's record but not its data
// (its tags); ErrNotFound when it does not exist.
func (tx *Tx) PutObjectInfo(o ObjectInfo) error {
	old, err := tx.Object(o.Bucket, o.Key)
	if err != nil {
		return err
	}
	o.Segments, o.InlineData, o.Size = old.Segments, old.InlineData, old.Size
	return tx.put(objectsBucket, objectKey(o.Bucket, o.Key), o)
}

// DeleteObject deletes an object and its data; deleting one that does not
// exist is not an error.
func (tx *Tx) DeleteObject(bucket, key string) error {
	if old, err := tx.Object(bucket, key); err == nil {
		if err := tx.deleteSegments(old.Segments); err != nil {
			return err
		}
	}
	return tx.delete(objectsBucket, objectKey(bucket, key))
}

// EachObject calls fn, in key order, for the objects of bucket whose key
// starts with prefix and sorts after after ("" for from the start), until
// fn returns false.
func (tx *Tx) EachObject(bucket, prefix, after string, fn func(ObjectInfo) bool) error {
	start := prefix
	if after > start {
		start = after
	}
	c := tx.btx.Bucket(objectsBucket).Cursor()
	full := []byte(objectKey(bucket, prefix))
	for k, data := c.Seek([]byte(objectKey(bucket, start))); k != nil && hasPrefix(k, full); k, data = c.Next() {
		if string(k) == objectKey(bucket, after) {
			continue
		}
		var o ObjectInfo
		if err := json.Unmarshal(data, &o); err != nil {
			return fmt.Errorf("decode %s/%s: %w", objectsBucket, k, err)
		}
		if !fn(o) {
			return nil
		}
	}
	return nil
}
