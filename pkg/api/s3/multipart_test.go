package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
)

const mib = 1 << 20

// randomBytes is n reproducible pseudo-random bytes.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// multipartETag is S3's ETag of an object uploaded in parts.
func multipartETag(parts ...[]byte) string {
	all := md5.New()
	for _, p := range parts {
		sum := md5.Sum(p)
		all.Write(sum[:])
	}
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(all.Sum(nil)), len(parts))
}

// TestS3_TransferManager moves a 21 MiB object up and down with the SDK's
// transfer manager: five parts, ranged GETs, and S3's multipart ETag.
func TestS3_TransferManager(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	c := testkit.S3Client(srv, srv.AdminCredentials())
	createBucket(t, c, "big")
	data := randomBytes(21*mib, 1)

	up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = 5 * mib; u.Concurrency = 2 })
	res, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String("big"), Key: aws.String("dir/blob.bin"),
		Body: bytes.NewReader(data), ContentType: aws.String("application/x-blob"), Metadata: map[string]string{"kind": "test"}})
	require.NoError(t, err)
	want := multipartETag(data[:5*mib], data[5*mib:10*mib], data[10*mib:15*mib], data[15*mib:20*mib], data[20*mib:])
	assert.Equal(t, want, aws.ToString(res.ETag))
	assert.NotEmpty(t, res.UploadID)

	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("big"), Key: aws.String("dir/blob.bin")})
	require.NoError(t, err)
	assert.Equal(t, int64(len(data)), aws.ToInt64(head.ContentLength))
	assert.Equal(t, want, aws.ToString(head.ETag))
	assert.Equal(t, "application/x-blob", aws.ToString(head.ContentType))
	assert.Equal(t, "test", head.Metadata["kind"])

	down := manager.NewDownloader(c, func(d *manager.Downloader) { d.PartSize = 4 * mib; d.Concurrency = 2 })
	buf := manager.NewWriteAtBuffer(nil)
	n, err := down.Download(ctx, buf, &s3.GetObjectInput{Bucket: aws.String("big"), Key: aws.String("dir/blob.bin")})
	require.NoError(t, err)
	assert.Equal(t, int64(len(data)), n)
	assert.True(t, bytes.Equal(data, buf.Bytes()), "the object comes back byte for byte")

	// partNumber reads one part, and says how many there are.
	part, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("big"), Key: aws.String("dir/blob.bin"), PartNumber: aws.Int32(5)})
	require.NoError(t, err)
	got, err := io.ReadAll(part.Body)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data[20*mib:], got))
	assert.Equal(t, int32(5), aws.ToInt32(part.PartsCount))
	assert.Equal(t, fmt.Sprintf("bytes %d-%d/%d", 20*mib, len(data)-1, len(data)), aws.ToString(part.ContentRange))

	// Nothing is left in progress.
	uploads, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("big")})
	require.NoError(t, err)
	assert.Empty(t, uploads.Uploads)

	// The whole object replaced by a small one: its data goes with it.
	putObject(t, c, "big", "dir/blob.bin", "small now")
	body, err := getObject(t, c, "big", "dir/blob.bin")
	require.NoError(t, err)
	assert.Equal(t, "small now", body)
}

func uploadPart(t *testing.T, c *s3.Client, bucket, key, id string, n int32, data []byte) string {
	t.Helper()
	out, err := c.UploadPart(context.Background(), &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key),
		UploadId: aws.String(id), PartNumber: aws.Int32(n), Body: bytes.NewReader(data)})
	require.NoError(t, err)
	return aws.ToString(out.ETag)
}

func createUpload(t *testing.T, c *s3.Client, bucket, key string) string {
	t.Helper()
	out, err := c.CreateMultipartUpload(context.Background(), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	require.NoError(t, err)
	assert.Equal(t, bucket, aws.ToString(out.Bucket))
	assert.Equal(t, key, aws.ToString(out.Key))
	return aws.ToString(out.UploadId)
}

func complete(c *s3.Client, bucket, key, id string, parts ...s3types.CompletedPart) (*s3.CompleteMultipartUploadOutput, error) {
	return c.CompleteMultipartUpload(context.Background(), &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket),
		Key: aws.String(key), UploadId: aws.String(id), MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
}

func completed(n int32, etag string) s3types.CompletedPart {
	return s3types.CompletedPart{PartNumber: aws.Int32(n), ETag: aws.String(etag)}
}

// TestS3_MultipartRules checks every rule CompleteMultipartUpload and
// UploadPart enforce, with S3's error codes.
func TestS3_MultipartRules(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	c := testkit.S3Client(srv, srv.AdminCredentials())
	createBucket(t, c, "mpu")
	id := createUpload(t, c, "mpu", "k")

	for _, n := range []int32{0, 10001} {
		_, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("k"), UploadId: aws.String(id),
			PartNumber: aws.Int32(n), Body: strings.NewReader("x")})
		testkit.RequireAWSError(t, err, "InvalidArgument", http.StatusBadRequest)
	}
	_, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("k"), UploadId: aws.String("nope"),
		PartNumber: aws.Int32(1), Body: strings.NewReader("x")})
	testkit.RequireAWSError(t, err, "NoSuchUpload", http.StatusNotFound)
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("other"), UploadId: aws.String(id),
		PartNumber: aws.Int32(1), Body: strings.NewReader("x")})
	testkit.RequireAWSError(t, err, "NoSuchUpload", http.StatusNotFound)

	small := []byte("a small part")
	big := randomBytes(5*mib, 2)
	e1 := uploadPart(t, c, "mpu", "k", id, 1, small)
	e2 := uploadPart(t, c, "mpu", "k", id, 2, small)
	_, err = complete(c, "mpu", "k", id, completed(1, e1), completed(2, e2))
	testkit.RequireAWSError(t, err, "EntityTooSmall", http.StatusBadRequest)
	_, err = complete(c, "mpu", "k", id, completed(2, e2), completed(1, e1))
	testkit.RequireAWSError(t, err, "InvalidPartOrder", http.StatusBadRequest)
	_, err = complete(c, "mpu", "k", id, completed(1, e1), completed(3, e2))
	testkit.RequireAWSError(t, err, "InvalidPart", http.StatusBadRequest)
	_, err = complete(c, "mpu", "k", id, completed(1, `"0123456789abcdef0123456789abcdef"`))
	testkit.RequireAWSError(t, err, "InvalidPart", http.StatusBadRequest)
	_, err = complete(c, "mpu", "k", id)
	testkit.RequireAWSError(t, err, "MalformedXML", http.StatusBadRequest)
	_, err = complete(c, "mpu", "k", "nope", completed(1, e1))
	testkit.RequireAWSError(t, err, "NoSuchUpload", http.StatusNotFound)

	// Uploading part 1 again replaces it; the last part may be small; a
	// part left out of the list is dropped.
	e1 = uploadPart(t, c, "mpu", "k", id, 1, big)
	parts, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("mpu"), Key: aws.String("k"), UploadId: aws.String(id), MaxParts: aws.Int32(1)})
	require.NoError(t, err)
	require.Len(t, parts.Parts, 1)
	assert.Equal(t, int64(5*mib), aws.ToInt64(parts.Parts[0].Size))
	assert.Equal(t, e1, aws.ToString(parts.Parts[0].ETag))
	assert.True(t, aws.ToBool(parts.IsTruncated))
	assert.Equal(t, "1", aws.ToString(parts.NextPartNumberMarker))
	assert.Equal(t, "arn:aws:iam::111111111111:user/admin", aws.ToString(parts.Initiator.ID))
	parts, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("mpu"), Key: aws.String("k"), UploadId: aws.String(id),
		PartNumberMarker: parts.NextPartNumberMarker})
	require.NoError(t, err)
	require.Len(t, parts.Parts, 1)
	assert.Equal(t, int32(2), aws.ToInt32(parts.Parts[0].PartNumber))
	assert.False(t, aws.ToBool(parts.IsTruncated))
	e3 := uploadPart(t, c, "mpu", "k", id, 3, small)

	out, err := complete(c, "mpu", "k", id, completed(1, e1), completed(3, e3))
	require.NoError(t, err)
	assert.Equal(t, multipartETag(big, small), aws.ToString(out.ETag))
	got, err := getObject(t, c, "mpu", "k")
	require.NoError(t, err)
	assert.True(t, string(big)+string(small) == got, "parts 1 and 3, in order")

	_, err = complete(c, "mpu", "k", id, completed(1, e1), completed(3, e3))
	testkit.RequireAWSError(t, err, "NoSuchUpload", http.StatusNotFound)
	_, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("mpu"), Key: aws.String("k"), UploadId: aws.String(id)})
	testkit.RequireAWSError(t, err, "NoSuchUpload", http.StatusNotFound)

	// Abort.
	id = createUpload(t, c, "mpu", "aborted")
	uploadPart(t, c, "mpu", "aborted", id, 1, small)
	_, err = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("aborted"), UploadId: aws.String(id)})
	require.NoError(t, err)
	_, err = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("aborted"), UploadId: aws.String(id)})
	testkit.RequireAWSError(t, err, "NoSuchUpload", http.StatusNotFound)
	_, err = getObject(t, c, "mpu", "aborted")
	testkit.RequireAWSError(t, err, "NoSuchKey", http.StatusNotFound)

	_, err = c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("missing"), Key: aws.String("k")})
	testkit.RequireAWSError(t, err, "NoSuchBucket", http.StatusNotFound)
}

// TestS3_ListMultipartUploads pages through uploads by key and upload id,
// rolling keys up under a delimiter.
func TestS3_ListMultipartUploads(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	c := testkit.S3Client(srv, srv.AdminCredentials())
	createBucket(t, c, "ups")
	a1 := createUpload(t, c, "ups", "a")
	a2 := createUpload(t, c, "ups", "a")
	createUpload(t, c, "ups", "dir/x")
	createUpload(t, c, "ups", "dir/y")
	z := createUpload(t, c, "ups", "z")

	all, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("ups")})
	require.NoError(t, err)
	var keys []string
	for _, u := range all.Uploads {
		keys = append(keys, aws.ToString(u.Key))
	}
	assert.Equal(t, []string{"a", "a", "dir/x", "dir/y", "z"}, keys)
	assert.Equal(t, a1, aws.ToString(all.Uploads[0].UploadId), "same key: in the order they were initiated")
	assert.Equal(t, a2, aws.ToString(all.Uploads[1].UploadId))

	page, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("ups"), MaxUploads: aws.Int32(1)})
	require.NoError(t, err)
	require.Len(t, page.Uploads, 1)
	assert.True(t, aws.ToBool(page.IsTruncated))
	page, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("ups"), MaxUploads: aws.Int32(2),
		KeyMarker: page.NextKeyMarker, UploadIdMarker: page.NextUploadIdMarker, Delimiter: aws.String("/")})
	require.NoError(t, err)
	require.Len(t, page.Uploads, 1)
	assert.Equal(t, a2, aws.ToString(page.Uploads[0].UploadId))
	require.Len(t, page.CommonPrefixes, 1)
	assert.Equal(t, "dir/", aws.ToString(page.CommonPrefixes[0].Prefix))
	assert.True(t, aws.ToBool(page.IsTruncated))
	page, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("ups"),
		KeyMarker: page.NextKeyMarker, UploadIdMarker: page.NextUploadIdMarker, Delimiter: aws.String("/")})
	require.NoError(t, err)
	require.Len(t, page.Uploads, 1, "the keys under dir/ are not listed again")
	assert.Equal(t, z, aws.ToString(page.Uploads[0].UploadId))
	assert.False(t, aws.ToBool(page.IsTruncated))

	pre, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("ups"), Prefix: aws.String("dir/")})
	require.NoError(t, err)
	assert.Len(t, pre.Uploads, 2)

	// Deleting the bucket discards its uploads.
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("ups")})
	require.NoError(t, err)
	createBucket(t, c, "ups")
	all, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("ups")})
	require.NoError(t, err)
	assert.Empty(t, all.Uploads)
}

// TestS3_UploadPartCopy builds an object from ranges of another one.
func TestS3_UploadPartCopy(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	c := testkit.S3Client(srv, srv.AdminCredentials())
	createBucket(t, c, "src")
	createBucket(t, c, "dst")
	data := randomBytes(6*mib, 3)
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String("a b"), Body: bytes.NewReader(data)})
	require.NoError(t, err)

	id := createUpload(t, c, "dst", "joined")
	p1, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("dst"), Key: aws.String("joined"), UploadId: aws.String(id),
		PartNumber: aws.Int32(1), CopySource: aws.String("src/a%20b"), CopySourceRange: aws.String(fmt.Sprintf("bytes=0-%d", 5*mib-1))})
	require.NoError(t, err)
	p2, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("dst"), Key: aws.String("joined"), UploadId: aws.String(id),
		PartNumber: aws.Int32(2), CopySource: aws.String("/src/a%20b")})
	require.NoError(t, err)
	_, err = c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("dst"), Key: aws.String("joined"), UploadId: aws.String(id),
		PartNumber: aws.Int32(3), CopySource: aws.String("src/a%20b"), CopySourceRange: aws.String(fmt.Sprintf("bytes=0-%d", len(data)))})
	testkit.RequireAWSError(t, err, "InvalidArgument", http.StatusBadRequest)
	_, err = c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("dst"), Key: aws.String("joined"), UploadId: aws.String(id),
		PartNumber: aws.Int32(3), CopySource: aws.String("src/missing")})
	testkit.RequireAWSError(t, err, "NoSuchKey", http.StatusNotFound)

	_, err = complete(c, "dst", "joined", id, completed(1, aws.ToString(p1.CopyPartResult.ETag)), completed(2, aws.ToString(p2.CopyPartResult.ETag)))
	require.NoError(t, err)
	got, err := getObject(t, c, "dst", "joined")
	require.NoError(t, err)
	assert.True(t, string(data[:5*mib])+string(data) == got)
}

// TestS3_MultipartAuthorization: parts are s3:PutObject, ListParts and
// AbortMultipartUpload their own actions, and the copy source needs
// s3:GetObject, all under the bucket policy.
func TestS3_MultipartAuthorization(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := testkit.S3Client(srv, srv.AdminCredentials())
	createBucket(t, admin, "guarded")
	putObject(t, admin, "guarded", "secret", "s")
	id := createUpload(t, admin, "guarded", "k")
	_, err := admin.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("guarded"), Policy: aws.String(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Deny","Principal":"*","Action":["s3:PutObject","s3:ListMultipartUploadParts","s3:AbortMultipartUpload","s3:ListBucketMultipartUploads"],"Resource":["arn:aws:s3:::guarded","arn:aws:s3:::guarded/*"]},
		{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::guarded/secret"}]}`)})
	require.NoError(t, err)
	_, err = admin.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("guarded"), Key: aws.String("k2")})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = admin.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("guarded"), Key: aws.String("k"), UploadId: aws.String(id),
		PartNumber: aws.Int32(1), Body: strings.NewReader("x")})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = admin.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("guarded"), Key: aws.String("k"), UploadId: aws.String(id)})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = admin.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("guarded"), Key: aws.String("k"), UploadId: aws.String(id)})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = admin.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("guarded")})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)

	createBucket(t, admin, "open")
	openID := createUpload(t, admin, "open", "k")
	_, err = admin.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("open"), Key: aws.String("k"), UploadId: aws.String(openID),
		PartNumber: aws.Int32(1), CopySource: aws.String("guarded/secret")})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = admin.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("open"), Key: aws.String("copy"), CopySource: aws.String("guarded/secret")})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
}
