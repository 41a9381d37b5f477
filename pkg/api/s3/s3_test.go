package s3_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api"
	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
	"github.com/rootaccess/emulator/pkg/policy"
	"github.com/rootaccess/emulator/pkg/store"
)

func createBucket(t *testing.T, c *s3.Client, name string) {
	t.Helper()
	_, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)})
	require.NoError(t, err)
}

func putObject(t *testing.T, c *s3.Client, bucket, key, body string) {
	t.Helper()
	_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: strings.NewReader(body)})
	require.NoError(t, err)
}

func getObject(t *testing.T, c *s3.Client, bucket, key string) (string, error) {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	require.NoError(t, err)
	return string(data), nil
}

func TestS3_BucketLifecycle(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	c := testkit.S3Client(srv, srv.AdminCredentials())

	createBucket(t, c, "alpha")
	createBucket(t, c, "beta.with.dots")
	head, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("alpha")})
	require.NoError(t, err)
	assert.Equal(t, "us-east-1", aws.ToString(head.BucketRegion))

	list, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	require.NoError(t, err)
	require.Len(t, list.Buckets, 2)
	assert.Equal(t, "alpha", aws.ToString(list.Buckets[0].Name))
	assert.Equal(t, "beta.with.dots", aws.ToString(list.Buckets[1].Name))
	assert.WithinDuration(t, srv.Clock.Now(), aws.ToTime(list.Buckets[0].CreationDate), time.Minute)
	assert.Regexp(t, `^[0-9a-f]{64}$`, aws.ToString(list.Owner.ID))

	page, err := c.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(1)})
	require.NoError(t, err)
	require.Len(t, page.Buckets, 1)
	require.NotEmpty(t, aws.ToString(page.ContinuationToken))
	page, err = c.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(1), ContinuationToken: page.ContinuationToken})
	require.NoError(t, err)
	require.Len(t, page.Buckets, 1)
	assert.Equal(t, "beta.with.dots", aws.ToString(page.Buckets[0].Name))
	assert.Empty(t, aws.ToString(page.ContinuationToken))

	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("alpha")})
	var owned *s3types.BucketAlreadyOwnedByYou
	require.ErrorAs(t, err, &owned)
	testkit.RequireAWSError(t, err, "BucketAlreadyOwnedByYou", http.StatusConflict)

	// Another account cannot take the name.
	member := srv.MemberAccount(t, "m")
	role := testkit.S3Client(srv, srv.AssumeAccessRole(t, member))
	_, err = role.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("alpha")})
	var exists *s3types.BucketAlreadyExists
	require.ErrorAs(t, err, &exists)
	testkit.RequireAWSError(t, err, "BucketAlreadyExists", http.StatusConflict)
	roleList, err := role.ListBuckets(ctx, &s3.ListBucketsInput{})
	require.NoError(t, err)
	assert.Empty(t, roleList.Buckets, "buckets are listed only to their owner's account")

	putObject(t, c, "alpha", "k", "v")
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("alpha")})
	testkit.RequireAWSError(t, err, "BucketNotEmpty", http.StatusConflict)
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("alpha"), Key: aws.String("k")})
	require.NoError(t, err)
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("alpha")})
	require.NoError(t, err)

	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("alpha")})
	var notFound *s3types.NotFound
	require.ErrorAs(t, err, &notFound)
	testkit.RequireAWSError(t, err, "NotFound", http.StatusNotFound)
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("alpha")})
	testkit.RequireAWSError(t, err, "NoSuchBucket", http.StatusNotFound)

	// Deleted names are free again.
	createBucket(t, role, "alpha")
}

func TestS3_CreateBucket_InvalidNames(t *testing.T) {
	srv := apitest.New(t)
	c := testkit.S3Client(srv, srv.AdminCredentials())
	for _, name := range []string{"ab", strings.Repeat("a", 64), "UpperCase", "under_score", "-leading", "trailing-",
		"two..dots", "192.168.5.4", "xn--punycode", "sthree-x", "name-s3alias", "name--ol-s3", "bad.mrap"} {
		_, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)})
		testkit.RequireAWSError(t, err, "InvalidBucketName", http.StatusBadRequest)
	}
	r := testkit.RawS3(t, srv, srv.AdminCredentials(), http.MethodPut, "/Bad_Name", nil, nil)
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Contains(t, r.Body, "<Code>InvalidBucketName</Code>")
	assert.Contains(t, r.Body, "<BucketName>Bad_Name</BucketName>")
	list, err := c.ListBuckets(context.Background(), &s3.ListBucketsInput{})
	require.NoError(t, err)
	assert.Empty(t, list.Buckets)
}

func TestS3_CreateBucket_LocationConstraint(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	c := testkit.S3Client(srv, srv.AdminCredentials())
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("wrong-region"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintEuWest1}})
	testkit.RequireAWSError(t, err, "IllegalLocationConstraintException", http.StatusBadRequest)

	eu := testkit.S3Client(srv, srv.AdminCredentials(), func(o *s3.Options) { o.Region = "eu-west-1" })
	_, err = eu.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("in-ireland"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintEuWest1}})
	require.NoError(t, err)
	head, err := eu.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("in-ireland")})
	require.NoError(t, err)
	assert.Equal(t, "eu-west-1", aws.ToString(head.BucketRegion))
	_, err = eu.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("no-constraint")})
	testkit.RequireAWSError(t, err, "IllegalLocationConstraintException", http.StatusBadRequest)

	r := testkit.RawS3(t, srv, srv.AdminCredentials(), http.MethodPut, "/bad-xml", []byte("<CreateBucketConfiguration>"), nil)
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Contains(t, r.Body, "<Code>MalformedXML</Code>")
}

func TestS3_ObjectLifecycle(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	c := testkit.S3Client(srv, srv.AdminCredentials())
	createBucket(t, c, "objects")

	body := "hello, objects"
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("objects"), Key: aws.String("dir/file name+1.txt"),
		Body: strings.NewReader(body), ContentType: aws.String("text/plain"), CacheControl: aws.String("max-age=60"),
		Metadata: map[string]string{"Colour": "blue"}})
	require.NoError(t, err)
	sum := md5.Sum([]byte(body))
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	assert.Equal(t, etag, aws.ToString(put.ETag))
	assert.NotEmpty(t, aws.ToString(put.ChecksumCRC32), "the SDK's default CRC32 is echoed")

	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("objects"), Key: aws.String("dir/file name+1.txt")})
	require.NoError(t, err)
	data, err := io.ReadAll(get.Body)
	require.NoError(t, err)
	get.Body.Close()
	assert.Equal(t, body, string(data))
	assert.Equal(t, "text/plain", aws.ToString(get.ContentType))
	assert.Equal(t, "max-age=60", aws.ToString(get.CacheControl))
	assert.Equal(t, etag, aws.ToString(get.ETag))
	assert.Equal(t, int64(len(body)), aws.ToInt64(get.ContentLength))
	assert.Equal(t, map[string]string{"colour": "blue"}, get.Metadata)
	assert.WithinDuration(t, srv.Clock.Now(), aws.ToTime(get.LastModified), 2*time.Second)
	assert.Equal(t, aws.ToString(put.ChecksumCRC32), aws.ToString(get.ChecksumCRC32), "checksum mode returns the stored checksum")

	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("objects"), Key: aws.String("dir/file name+1.txt")})
	require.NoError(t, err)
	assert.Equal(t, int64(len(body)), aws.ToInt64(head.ContentLength))
	assert.Equal(t, etag, aws.ToString(head.ETag))
	assert.Equal(t, "text/plain", aws.ToString(head.ContentType))

	ranged, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("objects"), Key: aws.String("dir/file name+1.txt"),
		Range: aws.String("bytes=7-13")})
	require.NoError(t, err)
	data, _ = io.ReadAll(ranged.Body)
	ranged.Body.Close()
	assert.Equal(t, "objects", string(data))
	assert.Equal(t, "bytes 7-13/14", aws.ToString(ranged.ContentRange))
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("objects"), Key: aws.String("dir/file name+1.txt"),
		Range: aws.String("bytes=100-")})
	testkit.RequireAWSError(t, err, "InvalidRange", http.StatusRequestedRangeNotSatisfiable)

	// Overwrite, then an object with no Content-Type gets S3's default.
	putObject(t, c, "objects", "dir/file name+1.txt", "v2")
	got, err := getObject(t, c, "objects", "dir/file name+1.txt")
	require.NoError(t, err)
	assert.Equal(t, "v2", got)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("objects"), Key: aws.String("empty"), Body: bytes.NewReader(nil)})
	require.NoError(t, err)
	head, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("objects"), Key: aws.String("empty")})
	require.NoError(t, err)
	assert.Equal(t, int64(0), aws.ToInt64(head.ContentLength))
	assert.Equal(t, `"d41d8cd98f00b204e9800998ecf8427e"`, aws.ToString(head.ETag))

	// Conditional create.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("objects"), Key: aws.String("empty"),
		Body: strings.NewReader("x"), IfNoneMatch: aws.String("*")})
	testkit.RequireAWSError(t, err, "PreconditionFailed", http.StatusPreconditionFailed)

	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("objects"), Key: aws.String("dir/file name+1.txt")})
	require.NoError(t, err)
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("objects"), Key: aws.String("dir/file name+1.txt")})
	require.NoError(t, err, "deleting an absent key succeeds")

	_, err = getObject(t, c, "objects", "dir/file name+1.txt")
	var noKey *s3types.NoSuchKey
	require.ErrorAs(t, err, &noKey)
	testkit.RequireAWSError(t, err, "NoSuchKey", http.StatusNotFound)
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("objects"), Key: aws.String("nope")})
	testkit.RequireAWSError(t, err, "NotFound", http.StatusNotFound)

	for name, call := range map[string]func() error{
		"GetObject": func() error { _, err := getObject(t, c, "missing", "k"); return err },
		"HeadObject": func() error {
			_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("missing"), Key: aws.String("k")})
			return err
		},
		"DeleteObject": func() error {
			_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("missing"), Key: aws.String("k")})
			return err
		},
		"ListObjectsV2": func() error {
			_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("missing")})
			return err
		},
		"PutObject": func() error {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("missing"), Key: aws.String("k"), Body: strings.NewReader("x")})
			return err
		},
	} {
		err := call()
		if name == "HeadObject" {
			testkit.RequireAWSError(t, err, "NotFound", http.StatusNotFound)
			continue
		}
		testkit.RequireAWSError(t, err, "NoSuchBucket", http.StatusNotFound)
	}
	r := testkit.RawS3(t, srv, srv.AdminCredentials(), http.MethodGet, "/missing/k", nil, nil)
	assert.Equal(t, http.StatusNotFound, r.Status)
	assert.Contains(t, r.Body, "<Code>NoSuchBucket</Code>")
	assert.Contains(t, r.Body, "<BucketName>missing</BucketName>")
	assert.Regexp(t, `<RequestId>[^<]+</RequestId><HostId>[^<]+</HostId></Error>$`, r.Body)
	assert.Equal(t, "application/xml", r.Header.Get("Content-Type"))
	assert.NotEmpty(t, r.Header.Get("X-Amz-Request-Id"))
	r = testkit.RawS3(t, srv, srv.AdminCredentials(), http.MethodGet, "/objects/nope", nil, nil)
	assert.Equal(t, http.StatusNotFound, r.Status)
	assert.Contains(t, r.Body, "<Key>nope</Key>")
}

func TestS3_Checksums(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	c := testkit.S3Client(srv, srv.AdminCredentials())
	createBucket(t, c, "sums")
	body := "checksummed body"

	for _, algo := range []s3types.ChecksumAlgorithm{s3types.ChecksumAlgorithmCrc32, s3types.ChecksumAlgorithmCrc32c,
		s3types.ChecksumAlgorithmSha1, s3types.ChecksumAlgorithmSha256, s3types.ChecksumAlgorithmCrc64nvme} {
		key := "k-" + string(algo)
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sums"), Key: aws.String(key),
			Body: strings.NewReader(body), ChecksumAlgorithm: algo})
		require.NoError(t, err, algo)
		// With ChecksumMode the SDK validates the returned checksum itself.
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("sums"), Key: aws.String(key),
			ChecksumMode: s3types.ChecksumModeEnabled})
		require.NoError(t, err, algo)
		data, err := io.ReadAll(out.Body)
		require.NoError(t, err, algo)
		out.Body.Close()
		assert.Equal(t, body, string(data))
	}

	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("sums"), Prefix: aws.String("k-CRC32C")})
	require.NoError(t, err)
	require.Len(t, list.Contents, 1)
	assert.Equal(t, []s3types.ChecksumAlgorithm{s3types.ChecksumAlgorithmCrc32c}, list.Contents[0].ChecksumAlgorithm)

	wrongCRC := base64.StdEncoding.EncodeToString([]byte{1, 2, 3, 4})
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sums"), Key: aws.String("bad"),
		Body: strings.NewReader(body), ChecksumCRC32: aws.String(wrongCRC)})
	testkit.RequireAWSError(t, err, "BadDigest", http.StatusBadRequest)
	wrongSHA := base64.StdEncoding.EncodeToString(make([]byte, 32))
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sums"), Key: aws.String("bad"),
		Body: strings.NewReader(body), ChecksumSHA256: aws.String(wrongSHA)})
	testkit.RequireAWSError(t, err, "BadDigest", http.StatusBadRequest)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sums"), Key: aws.String("bad"),
		Body: strings.NewReader(body), ChecksumCRC32: aws.String("not base64!")})
	testkit.RequireAWSError(t, err, "InvalidRequest", http.StatusBadRequest)

	r := testkit.RawS3(t, srv, srv.AdminCredentials(), http.MethodPut, "/sums/bad", []byte(body), http.Header{
		"Content-Md5": {base64.StdEncoding.EncodeToString(make([]byte, 16))}})
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Contains(t, r.Body, "<Code>BadDigest</Code>")
	r = testkit.RawS3(t, srv, srv.AdminCredentials(), http.MethodPut, "/sums/bad", []byte(body), http.Header{
		"Content-Md5": {"short"}})
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Contains(t, r.Body, "<Code>InvalidDigest</Code>")
	goodMD5 := md5.Sum([]byte(body))
	r = testkit.RawS3(t, srv, srv.AdminCredentials(), http.MethodPut, "/sums/md5", []byte(body), http.Header{
		"Content-Md5": {base64.StdEncoding.EncodeToString(goodMD5[:])}})
	assert.Equal(t, http.StatusOK, r.Status)
	r = testkit.RawS3(t, srv, srv.AdminCredentials(), http.MethodPut, "/sums/two", []byte(body), http.Header{
		"X-Amz-Checksum-Crc32":  {crc32b64([]byte(body))},
		"X-Amz-Checksum-Sha256": {base64.StdEncoding.EncodeToString(sha256Sum([]byte(body)))}})
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Contains(t, r.Body, "<Code>InvalidRequest</Code>")

	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("sums"), Key: aws.String("bad")})
	testkit.RequireAWSError(t, err, "NotFound", http.StatusNotFound)
}

func sha256Sum(data []byte) []byte {
	sum := sha256.Sum256(data)
	return sum[:]
}

// crc32b64 is a CRC32 as x-amz-checksum-crc32 carries it: big-endian, base64.
func crc32b64(data []byte) string {
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(data)))
}

func TestS3_ListObjectsV2(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	c := testkit.S3Client(srv, srv.AdminCredentials())
	createBucket(t, c, "listing")
	keys := []string{"a.txt", "b/1", "b/2", "b/3", "c/x/1", "c/y", "d", "e+f g", "z/last"}
	for _, k := range keys {
		putObject(t, c, "listing", k, "data-"+k)
	}

	all, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("listing")})
	require.NoError(t, err)
	assert.Equal(t, keys, objectKeys(all.Contents))
	assert.Equal(t, int32(len(keys)), aws.ToInt32(all.KeyCount))
	assert.False(t, aws.ToBool(all.IsTruncated))
	assert.Equal(t, int32(1000), aws.ToInt32(all.MaxKeys))
	assert.Equal(t, "listing", aws.ToString(all.Name))
	assert.Equal(t, int64(len("data-a.txt")), aws.ToInt64(all.Contents[0].Size))
	assert.Equal(t, s3types.ObjectStorageClassStandard, all.Contents[0].StorageClass)

	prefixed, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("listing"), Prefix: aws.String("b/")})
	require.NoError(t, err)
	assert.Equal(t, []string{"b/1", "b/2", "b/3"}, objectKeys(prefixed.Contents))

	delimited, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("listing"), Delimiter: aws.String("/")})
	require.NoError(t, err)
	assert.Equal(t, []string{"a.txt", "d", "e+f g"}, objectKeys(delimited.Contents))
	assert.Equal(t, []string{"b/", "c/", "z/"}, commonPrefixes(delimited.CommonPrefixes))
	assert.Equal(t, int32(6), aws.ToInt32(delimited.KeyCount))

	nested, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("listing"), Prefix: aws.String("c/"), Delimiter: aws.String("/")})
	require.NoError(t, err)
	assert.Equal(t, []string{"c/y"}, objectKeys(nested.Contents))
	assert.Equal(t, []string{"c/x/"}, commonPrefixes(nested.CommonPrefixes))

	after, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("listing"), StartAfter: aws.String("c/y")})
	require.NoError(t, err)
	assert.Equal(t, []string{"d", "e+f g", "z/last"}, objectKeys(after.Contents))
	assert.Equal(t, "c/y", aws.ToString(after.StartAfter))

	// Paging: two entries a page, with and without a delimiter.
	for _, delimiter := range []string{"", "/"} {
		var gotKeys, gotPrefixes []string
		pages := 0
		p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("listing"), MaxKeys: aws.Int32(2),
			Delimiter: aws.String(delimiter)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			require.NoError(t, err)
			pages++
			assert.LessOrEqual(t, aws.ToInt32(page.KeyCount), int32(2))
			assert.Equal(t, p.HasMorePages(), aws.ToBool(page.IsTruncated))
			gotKeys = append(gotKeys, objectKeys(page.Contents)...)
			gotPrefixes = append(gotPrefixes, commonPrefixes(page.CommonPrefixes)...)
		}
		if delimiter == "" {
			assert.Equal(t, keys, gotKeys)
			assert.Equal(t, 5, pages)
		} else {
			assert.Equal(t, []string{"a.txt", "d", "e+f g"}, gotKeys)
			assert.Equal(t, []string{"b/", "c/", "z/"}, gotPrefixes)
			assert.Equal(t, 3, pages)
		}
	}

	zero, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("listing"), MaxKeys: aws.Int32(0)})
	require.NoError(t, err)
	assert.Empty(t, zero.Contents)
	assert.False(t, aws.ToBool(zero.IsTruncated))

	owner, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("listing"), FetchOwner: aws.Bool(true), MaxKeys: aws.Int32(1)})
	require.NoError(t, err)
	require.Len(t, owner.Contents, 1)
	require.NotNil(t, owner.Contents[0].Owner)
	assert.Regexp(t, `^[0-9a-f]{64}$`, aws.ToString(owner.Contents[0].Owner.ID))

	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("listing"), ContinuationToken: aws.String("not a token")})
	testkit.RequireAWSError(t, err, "InvalidArgument", http.StatusBadRequest)
	r := testkit.RawS3(t, srv, srv.AdminCredentials(), http.MethodGet, "/listing?list-type=2&max-keys=-1", nil, nil)
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Contains(t, r.Body, "<ArgumentName>max-keys</ArgumentName>")

	// encoding-type=url escapes keys (the AWS CLI asks for it and decodes).
	r = testkit.RawS3(t, srv, srv.AdminCredentials(), http.MethodGet, "/listing?list-type=2&encoding-type=url&prefix=e", nil, nil)
	assert.Equal(t, http.StatusOK, r.Status)
	assert.Contains(t, r.Body, "<Key>e%2Bf%20g</Key>")
	assert.Contains(t, r.Body, "<EncodingType>url</EncodingType>")
}

func objectKeys(objs []s3types.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, aws.ToString(o.Key))
	}
	return out
}

func commonPrefixes(ps []s3types.CommonPrefix) []string {
	var out []string
	for _, p := range ps {
		out = append(out, aws.ToString(p.Prefix))
	}
	return out
}

func TestS3_BucketPolicy(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	c := testkit.S3Client(srv, srv.AdminCredentials())
	createBucket(t, c, "pol")

	_, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("pol")})
	testkit.RequireAWSError(t, err, "NoSuchBucketPolicy", http.StatusNotFound)
	r := testkit.RawS3(t, srv, srv.AdminCredentials(), http.MethodGet, "/pol?policy", nil, nil)
	assert.Equal(t, http.StatusNotFound, r.Status)
	assert.Contains(t, r.Body, "<Code>NoSuchBucketPolicy</Code><Message>The bucket policy does not exist</Message><BucketName>pol</BucketName>")

	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"ReadOnly","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":["s3:GetObject"],"Resource":"arn:aws:s3:::pol/*"}]}`
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("pol"), Policy: aws.String(doc)})
	require.NoError(t, err)
	got, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("pol")})
	require.NoError(t, err)
	assert.Equal(t, doc, aws.ToString(got.Policy))

	for _, tt := range []struct{ policy, message string }{
		{`not json`, "Policies must be valid JSON and the first byte must be '{'"},
		{`{"Version":"2012-10-17",`, "This policy contains invalid Json"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/*"}]}`, "Missing required field Principal"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}`, "Missing required field Resource"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}`, "Policy has invalid resource"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"arn:aws:s3:::pol"}]}`, "Policy has invalid action"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"nobody"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::pol"}]}`, "Invalid principal in policy"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol","Bogus":1}]}`, "Unknown field Bogus"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::pol","Pad":"` + strings.Repeat("x", 21000) + `"}]}`, "Policy exceeds the maximum allowed document size."},
	} {
		_, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("pol"), Policy: aws.String(tt.policy)})
		testkit.RequireAWSError(t, err, "MalformedPolicy", http.StatusBadRequest)
		var apiErr smithy.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, tt.message, apiErr.ErrorMessage(), tt.policy)
	}
	got, err = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("pol")})
	require.NoError(t, err)
	assert.Equal(t, doc, aws.ToString(got.Policy), "a rejected policy changes nothing")

	// Content-MD5 is honoured.
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("pol"), Policy: aws.String(doc),
		ContentMD5: aws.String(base64.StdEncoding.EncodeToString(make([]byte, 16)))})
	testkit.RequireAWSError(t, err, "BadDigest", http.StatusBadRequest)
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("pol"), Policy: aws.String(doc),
		ContentMD5: aws.String("!!")})
	testkit.RequireAWSError(t, err, "InvalidDigest", http.StatusBadRequest)
	sum := md5.Sum([]byte(doc))
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("pol"), Policy: aws.String(doc),
		ContentMD5: aws.String(base64.StdEncoding.EncodeToString(sum[:]))})
	require.NoError(t, err)

	_, err = c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("pol")})
	require.NoError(t, err)
	_, err = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("pol")})
	testkit.RequireAWSError(t, err, "NoSuchBucketPolicy", http.StatusNotFound)
	_, err = c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("pol")})
	require.NoError(t, err, "deleting an absent policy succeeds")

	_, err = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("missing")})
	testkit.RequireAWSError(t, err, "NoSuchBucket", http.StatusNotFound)
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("missing"), Policy: aws.String(doc)})
	testkit.RequireAWSError(t, err, "NoSuchBucket", http.StatusNotFound)
	_, err = c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("missing")})
	testkit.RequireAWSError(t, err, "NoSuchBucket", http.StatusNotFound)
}

// TestS3_RootUnlocksBucket is the S3UnlockBucketPolicy story: a member
// account locks itself out of a bucket with a deny-all policy and the
// management account unlocks it with a root session.
func TestS3_RootUnlocksBucket(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	member := srv.MemberAccount(t, "m")
	role := testkit.S3Client(srv, srv.AssumeAccessRole(t, member))

	createBucket(t, role, "locked")
	putObject(t, role, "locked", "k", "precious")
	denyAll := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::locked","arn:aws:s3:::locked/*"]}]}`
	_, err := role.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("locked"), Policy: aws.String(denyAll)})
	require.NoError(t, err)

	_, err = getObject(t, role, "locked", "k")
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = role.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("locked")})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = role.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("locked")})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = role.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("locked")})
	testkit.RequireAWSError(t, err, "Forbidden", http.StatusForbidden)

	srv.EnableRootAccess(t)
	root := testkit.S3Client(srv, srv.RootSession(t, member, policy.S3UnlockBucketPolicy))
	got, err := root.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("locked")})
	require.NoError(t, err, "the owner's root passes the bucket policy")
	assert.Equal(t, denyAll, aws.ToString(got.Policy))
	list, err := root.ListBuckets(ctx, &s3.ListBucketsInput{})
	require.NoError(t, err)
	require.Len(t, list.Buckets, 1)
	assert.Equal(t, "locked", aws.ToString(list.Buckets[0].Name))
	_, err = getObject(t, root, "locked", "k")
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = root.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("locked"), Key: aws.String("k2"), Body: strings.NewReader("x")})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = root.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("locked")})
	require.NoError(t, err)

	got2, err := getObject(t, role, "locked", "k")
	require.NoError(t, err, "the role reads its object again")
	assert.Equal(t, "precious", got2)

	// A root session with another task cannot manage the bucket policy.
	_, err = role.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("locked"), Policy: aws.String(denyAll)})
	require.NoError(t, err)
	audit := testkit.S3Client(srv, srv.RootSession(t, member, policy.AuditRootUserCredentials))
	_, err = audit.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("locked")})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = audit.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("locked")})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = role.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("locked")})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
}

func TestS3_CrossAccount(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	member := srv.MemberAccount(t, "m")
	admin := testkit.S3Client(srv, srv.AdminCredentials())
	role := testkit.S3Client(srv, srv.AssumeAccessRole(t, member))
	createBucket(t, admin, "mgmt-bucket")
	putObject(t, admin, "mgmt-bucket", "k", "v")

	// Another account's administrator needs the bucket policy too.
	_, err := getObject(t, role, "mgmt-bucket", "k")
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = getObject(t, role, "mgmt-bucket", "missing")
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)

	allow := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":["s3:GetObject","s3:GetBucketPolicy"],"Resource":["arn:aws:s3:::mgmt-bucket","arn:aws:s3:::mgmt-bucket/*"]}]}`, member)
	_, err = admin.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("mgmt-bucket"), Policy: aws.String(allow)})
	require.NoError(t, err)
	got, err := getObject(t, role, "mgmt-bucket", "k")
	require.NoError(t, err)
	assert.Equal(t, "v", got)
	// Without s3:ListBucket a missing key is AccessDenied, not NoSuchKey.
	_, err = getObject(t, role, "mgmt-bucket", "missing")
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	// Only the owner's account manages the bucket policy.
	_, err = role.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("mgmt-bucket")})
	testkit.RequireAWSError(t, err, "MethodNotAllowed", http.StatusMethodNotAllowed)

	_, err = admin.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("mgmt-bucket"), ExpectedBucketOwner: aws.String(member)})
	testkit.RequireAWSError(t, err, "Forbidden", http.StatusForbidden)
	_, err = admin.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("mgmt-bucket"), ExpectedBucketOwner: aws.String(srv.ManagementAccountID())})
	require.NoError(t, err)
}

// recordingTransport dials the test server whatever the URL's host, and
// records the Host of every request.
type recordingTransport struct {
	mu    sync.Mutex
	hosts []string
	base  http.RoundTripper
}

func newRecordingTransport(addr string) *recordingTransport {
	return &recordingTransport{base: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}}
}

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.hosts = append(r.hosts, req.URL.Host)
	r.mu.Unlock()
	return r.base.RoundTrip(req)
}

func TestS3_VirtualHostedStyle(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	require.NoError(t, err)

	for _, tt := range []struct{ endpoint, host string }{
		{"http://localhost:" + port, "vhost-bucket.localhost:" + port},
		{"http://s3.amazonaws.com", "vhost-bucket.s3.amazonaws.com"},
		{"http://s3.us-east-1.amazonaws.com", "vhost-bucket.s3.us-east-1.amazonaws.com"},
	} {
		rt := newRecordingTransport(srv.Listener.Addr().String())
		cfg := srv.Config(srv.AdminCredentials())
		cfg.BaseEndpoint = aws.String(tt.endpoint)
		cfg.HTTPClient = &http.Client{Transport: rt}
		c := s3.NewFromConfig(cfg)

		createBucket(t, c, "vhost-bucket")
		putObject(t, c, "vhost-bucket", "dir/key.txt", "virtual")
		got, err := getObject(t, c, "vhost-bucket", "dir/key.txt")
		require.NoError(t, err)
		assert.Equal(t, "virtual", got)
		list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("vhost-bucket")})
		require.NoError(t, err)
		assert.Equal(t, []string{"dir/key.txt"}, objectKeys(list.Contents))
		// A key that starts with "/" makes the path start with "//", which
		// must not be read as a host when the signature is checked.
		putObject(t, c, "vhost-bucket", "/leading", "slash")
		got, err = getObject(t, c, "vhost-bucket", "/leading")
		require.NoError(t, err)
		assert.Equal(t, "slash", got)
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("vhost-bucket"), Key: aws.String("/leading")})
		require.NoError(t, err)
		_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("vhost-bucket"),
			Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::vhost-bucket/locked/*"}]}`)})
		require.NoError(t, err)
		_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("vhost-bucket"), Key: aws.String("locked/x"), Body: strings.NewReader("x")})
		testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
		_, err = c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("vhost-bucket")})
		require.NoError(t, err)
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("vhost-bucket"), Key: aws.String("dir/key.txt")})
		require.NoError(t, err)
		_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("vhost-bucket")})
		require.NoError(t, err)

		require.NotEmpty(t, rt.hosts)
		for _, h := range rt.hosts {
			assert.Equal(t, tt.host, h, "the SDK addresses the bucket in the Host")
		}
	}
}

func TestS3_TrailingSlashPath(t *testing.T) {
	srv := apitest.New(t)
	admin := srv.AdminCredentials()
	c := testkit.S3Client(srv, admin)
	createBucket(t, c, "slash")
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::slash"}]}`

	r := testkit.RawS3(t, srv, admin, http.MethodPut, "/slash/?policy", []byte(doc), nil)
	require.Equal(t, http.StatusNoContent, r.Status, r.Body)
	r = testkit.RawS3(t, srv, admin, http.MethodGet, "/slash/?policy", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	assert.Equal(t, doc, r.Body)
	r = testkit.RawS3(t, srv, admin, http.MethodGet, "/slash/?list-type=2", nil, nil)
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	assert.Contains(t, r.Body, "<Name>slash</Name>")
	r = testkit.RawS3(t, srv, admin, http.MethodHead, "/slash/", nil, nil)
	assert.Equal(t, http.StatusOK, r.Status)
	r = testkit.RawS3(t, srv, admin, http.MethodDelete, "/slash/?policy", nil, nil)
	assert.Equal(t, http.StatusNoContent, r.Status)

	// Sub-resources the emulator does not serve are NotImplemented.
	r = testkit.RawS3(t, srv, admin, http.MethodGet, "/slash?analytics", nil, nil)
	assert.Equal(t, http.StatusNotImplemented, r.Status)
	assert.Contains(t, r.Body, "<Code>NotImplemented</Code>")
	// Anonymous requests are refused.
	anon, err := srv.Client().Get(srv.URL + "/slash/k")
	require.NoError(t, err)
	anon.Body.Close()
	assert.Equal(t, http.StatusForbidden, anon.StatusCode)
}

// TestS3_MethodNotAllowed: a method no S3 operation has is the client's
// mistake, answered 405 as S3 does, not NotImplemented (a 5xx); a CORS
// preflight gets S3's refusals.
func TestS3_MethodNotAllowed(t *testing.T) {
	srv := apitest.New(t)
	admin := srv.AdminCredentials()
	createBucket(t, testkit.S3Client(srv, admin), "methods")
	for _, tc := range []struct{ method, target, resourceType string }{
		{http.MethodPatch, "/methods/k", "OBJECT"},
		{http.MethodPatch, "/methods", "BUCKET"},
		{"TRACE", "/", "SERVICE"},
		{http.MethodPost, "/", "SERVICE"},
		{http.MethodPost, "/methods/k", "OBJECT"},
	} {
		r := testkit.RawS3(t, srv, admin, tc.method, tc.target, nil, nil)
		assert.Equal(t, http.StatusMethodNotAllowed, r.Status, "%s %s", tc.method, tc.target)
		assert.Contains(t, r.Body, "<Code>MethodNotAllowed</Code>", "%s %s", tc.method, tc.target)
		assert.Contains(t, r.Body, "<Method>"+tc.method+"</Method>", "%s %s", tc.method, tc.target)
		assert.Contains(t, r.Body, "<ResourceType>"+tc.resourceType+"</ResourceType>", "%s %s", tc.method, tc.target)
	}

	r := testkit.RawS3(t, srv, admin, http.MethodOptions, "/methods/k", nil, nil)
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Contains(t, r.Body, "<Code>BadRequest</Code>")
	r = testkit.RawS3(t, srv, admin, http.MethodOptions, "/methods/k", nil, http.Header{"Origin": {"http://example.com"}})
	assert.Equal(t, http.StatusForbidden, r.Status)
	assert.Contains(t, r.Body, "<Code>CORSResponse</Code>")

	// S3 operations the emulator lacks stay NotImplemented.
	r = testkit.RawS3(t, srv, admin, http.MethodPost, "/methods/k?restore", nil, nil)
	assert.Equal(t, http.StatusNotImplemented, r.Status)
	r = testkit.RawS3(t, srv, admin, http.MethodPost, "/methods", nil, nil)
	assert.Equal(t, http.StatusNotImplemented, r.Status)
}

// TestS3_PlainHTTPUpload records what the SDK sends for PutObject over
// http://: the CRC32 as a header and the payload's SHA-256 in the signature.
func TestS3_PlainHTTPUpload(t *testing.T) {
	srv := apitest.New(t)
	var mu sync.Mutex
	var seen http.Header
	handler := srv.API.Handler()
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/k") {
			mu.Lock()
			seen = r.Header.Clone()
			mu.Unlock()
		}
		handler.ServeHTTP(w, r)
	}))
	defer plain.Close()
	cfg := srv.Config(srv.AdminCredentials())
	cfg.BaseEndpoint = aws.String(plain.URL)
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	createBucket(t, c, "plain")
	body := "over plain http"
	putObject(t, c, "plain", "k", body)
	mu.Lock()
	defer mu.Unlock()
	require.NotNil(t, seen)
	assert.Equal(t, testkit.SHA256Hex([]byte(body)), seen.Get("X-Amz-Content-Sha256"))
	assert.Equal(t, crc32b64([]byte(body)), seen.Get("X-Amz-Checksum-Crc32"))
	assert.Empty(t, seen.Get("Content-Encoding"))
	// An unseekable body over http:// is refused by the SDK itself.
	_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("plain"), Key: aws.String("k2"),
		Body: struct{ io.Reader }{strings.NewReader(body)}})
	require.ErrorContains(t, err, "unseekable stream is not supported without TLS")
}

// TestS3_StreamingUploads runs PutObject over TLS, where the SDK sends
// aws-chunked bodies with a trailing CRC32 (STREAMING-UNSIGNED-PAYLOAD-TRAILER),
// for seekable and unseekable bodies.
func TestS3_StreamingUploads(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	var mu sync.Mutex
	var seen []http.Header
	handler := srv.API.Handler()
	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			mu.Lock()
			seen = append(seen, r.Header.Clone())
			mu.Unlock()
		}
		handler.ServeHTTP(w, r)
	}))
	defer tls.Close()
	cfg := srv.Config(srv.AdminCredentials())
	cfg.BaseEndpoint = aws.String(tls.URL)
	cfg.HTTPClient = tls.Client()
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	createBucket(t, c, "stream")

	big := strings.Repeat("0123456789abcdef", 10000) // several 64 KiB chunks
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("stream"), Key: aws.String("seekable"),
		Body: strings.NewReader(big)})
	require.NoError(t, err)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("stream"), Key: aws.String("unseekable"),
		Body: struct{ io.Reader }{strings.NewReader(big)}})
	require.NoError(t, err)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("stream"), Key: aws.String("sha256"),
		Body: struct{ io.Reader }{strings.NewReader(big)}, ChecksumAlgorithm: s3types.ChecksumAlgorithmSha256})
	require.NoError(t, err)

	for _, key := range []string{"seekable", "unseekable", "sha256"} {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("stream"), Key: aws.String(key),
			ChecksumMode: s3types.ChecksumModeEnabled})
		require.NoError(t, err, key)
		data, err := io.ReadAll(out.Body)
		require.NoError(t, err)
		out.Body.Close()
		assert.Equal(t, big, string(data), key)
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, seen, 4) // CreateBucket and three PutObjects
	for _, h := range seen[1:] {
		assert.Equal(t, "STREAMING-UNSIGNED-PAYLOAD-TRAILER", h.Get("X-Amz-Content-Sha256"))
		assert.Contains(t, h.Get("Content-Encoding"), "aws-chunked")
		assert.Contains(t, h.Get("X-Amz-Trailer"), "x-amz-checksum-")
	}
}

// The signed aws-chunked example of the S3 documentation ("Signature
// Calculations for the Authorization Header: Transferring Payload in
// Multiple Chunks"): its seed and chunk signatures must verify.
const (
	docAccessKey = "AKIAIOSFODNN7EXAMPLE"
	docSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func docChunkedBody() []byte {
	return []byte("10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n" +
		strings.Repeat("a", 65536) + "\r\n" +
		"400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n" +
		strings.Repeat("a", 1024) + "\r\n" +
		"0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n")
}

func sendDocChunkedRequest(t *testing.T, srv *apitest.Server, body []byte) testkit.RawResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, srv.URL+"/examplebucket/chunkObject.txt", bytes.NewReader(body))
	require.NoError(t, err)
	req.Host = "s3.amazonaws.com"
	req.ContentLength = int64(len(body))
	req.Header.Set("X-Amz-Date", "20130524T000000Z")
	req.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
	req.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", "66560")
	return testkit.SendRequest(t, srv, req)
}

// docKeyServer is an emulator (without the clock-skew check, the example
// is from 2013) where the admin user also holds the documentation's key.
func docKeyServer(t *testing.T) (*apitest.Server, aws.Credentials) {
	srv := apitest.New(t, apitest.WithServerOptions(api.WithSkewLimit(0)))
	err := srv.Store.Update(context.Background(), func(tx *store.Tx) error {
		admin, err := tx.Credential(srv.AdminCredentials().AccessKeyID)
		if err != nil {
			return err
		}
		_, err = tx.CreateAccessKey(store.KindUser, admin.AccountID, admin.PrincipalARN, admin.PrincipalID, docAccessKey, docSecretKey)
		return err
	})
	require.NoError(t, err)
	return srv, aws.Credentials{AccessKeyID: docAccessKey, SecretAccessKey: docSecretKey}
}

func TestS3_SignedChunkedUpload_AWSExample(t *testing.T) {
	srv, creds := docKeyServer(t)
	c := testkit.S3Client(srv, creds)
	createBucket(t, c, "examplebucket")

	r := sendDocChunkedRequest(t, srv, docChunkedBody())
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	got, err := getObject(t, c, "examplebucket", "chunkObject.txt")
	require.NoError(t, err)
	assert.Equal(t, strings.Repeat("a", 66560), got)

	// One byte changed in the first chunk breaks its signature.
	tampered := docChunkedBody()
	tampered[200] = 'b'
	r = sendDocChunkedRequest(t, srv, tampered)
	assert.Equal(t, http.StatusForbidden, r.Status)
	assert.Contains(t, r.Body, "<Code>SignatureDoesNotMatch</Code>")
	got, err = getObject(t, c, "examplebucket", "chunkObject.txt")
	require.NoError(t, err)
	assert.Equal(t, strings.Repeat("a", 66560), got, "failed uploads change nothing")
}

// hmacHex is the test's own SigV4 HMAC, to sign chunks independently of the server.
func hmacHex(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// signedTrailerBody frames data as STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
// with a CRC32 trailer, signing from the request's seed signature.
func signedTrailerBody(secret, amzDate, seed string, data []byte, chunk int, crc string) []byte {
	date := amzDate[:8]
	key := hmacHex([]byte("AWS4"+secret), date)
	key = hmacHex(key, "us-east-1")
	key = hmacHex(key, "s3")
	key = hmacHex(key, "aws4_request")
	scope := date + "/us-east-1/s3/aws4_request"
	prev := seed
	var out bytes.Buffer
	sign := func(part []byte) {
		sig := hex.EncodeToString(hmacHex(key, "AWS4-HMAC-SHA256-PAYLOAD\n"+amzDate+"\n"+scope+"\n"+prev+"\n"+
			testkit.SHA256Hex(nil)+"\n"+testkit.SHA256Hex(part)))
		fmt.Fprintf(&out, "%x;chunk-signature=%s\r\n", len(part), sig)
		if len(part) > 0 {
			out.Write(part)
			out.WriteString("\r\n")
		}
		prev = sig
	}
	for len(data) > 0 {
		n := min(chunk, len(data))
		sign(data[:n])
		data = data[n:]
	}
	sign(nil)
	trailer := "x-amz-checksum-crc32:" + crc
	sig := hex.EncodeToString(hmacHex(key, "AWS4-HMAC-SHA256-TRAILER\n"+amzDate+"\n"+scope+"\n"+prev+"\n"+testkit.SHA256Hex([]byte(trailer+"\n"))))
	out.WriteString(trailer + "\r\n" + "x-amz-trailer-signature:" + sig + "\r\n\r\n")
	return out.Bytes()
}

func TestS3_SignedChunkedUpload_WithTrailer(t *testing.T) {
	srv := apitest.New(t)
	admin := srv.AdminCredentials()
	c := testkit.S3Client(srv, admin)
	createBucket(t, c, "trailers")
	data := []byte(strings.Repeat("signed trailer data ", 1000))

	send := func(crc string, mutate func([]byte) []byte) testkit.RawResponse {
		now := time.Now().UTC()
		amzDate := now.Format("20060102T150405Z")
		req, err := http.NewRequest(http.MethodPut, srv.URL+"/trailers/obj", nil)
		require.NoError(t, err)
		req.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
		req.Header.Set("Content-Encoding", "aws-chunked")
		req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(data)))
		req.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
		require.NoError(t, testkit.SignV4(req, admin, "s3", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", now))
		seed := req.Header.Get("Authorization")[strings.LastIndex(req.Header.Get("Authorization"), "=")+1:]
		body := signedTrailerBody(admin.SecretAccessKey, amzDate, seed, data, 8192, crc)
		if mutate != nil {
			body = mutate(body)
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		return testkit.SendRequest(t, srv, req)
	}

	r := send(crc32b64(data), nil)
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	assert.Equal(t, crc32b64(data), r.Header.Get("X-Amz-Checksum-Crc32"))
	got, err := getObject(t, c, "trailers", "obj")
	require.NoError(t, err)
	assert.Equal(t, string(data), got)

	r = send(crc32b64([]byte("other")), nil)
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Contains(t, r.Body, "<Code>BadDigest</Code>")
	r = send(crc32b64(data), func(b []byte) []byte { b[len(b)-5] ^= 1; return b })
	assert.Equal(t, http.StatusForbidden, r.Status, "the trailer signature is checked")
	assert.Contains(t, r.Body, "<Code>SignatureDoesNotMatch</Code>")
	r = send(crc32b64(data), func(b []byte) []byte { return b[:len(b)/2] })
	assert.Equal(t, http.StatusBadRequest, r.Status, "a truncated body is refused")
	assert.Contains(t, r.Body, "<Code>IncompleteBody</Code>")
	got, err = getObject(t, c, "trailers", "obj")
	require.NoError(t, err)
	assert.Equal(t, string(data), got, "failed uploads change nothing")

	// Unsigned chunks (what SDKs send over TLS) are decoded and their trailer checked.
	unsigned := func(trailerCRC, decodedLength string) testkit.RawResponse {
		chunked := []byte("5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:" + trailerCRC + "\r\n\r\n")
		return testkit.RawS3(t, srv, admin, http.MethodPut, "/trailers/unsigned", chunked, http.Header{
			"X-Amz-Content-Sha256":         {"STREAMING-UNSIGNED-PAYLOAD-TRAILER"},
			"Content-Encoding":             {"aws-chunked"},
			"X-Amz-Trailer":                {"x-amz-checksum-crc32"},
			"X-Amz-Decoded-Content-Length": {decodedLength}})
	}
	r = unsigned(crc32b64([]byte("hello world")), "11")
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	got, err = getObject(t, c, "trailers", "unsigned")
	require.NoError(t, err)
	assert.Equal(t, "hello world", got)
	r = unsigned(crc32b64([]byte("hello")), "11")
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Contains(t, r.Body, "<Code>BadDigest</Code>")
	r = unsigned(crc32b64([]byte("hello world")), "12")
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Contains(t, r.Body, "<Code>IncompleteBody</Code>")
}

// TestS3_AWSCLI checks what the AWS CLI v1 sends (a CRC32 header with a
// signed payload hash; encoding-type=url listings), when it is installed.
func TestS3_AWSCLI(t *testing.T) {
	aws1, err := exec.LookPath("aws")
	if err != nil || testing.Short() {
		t.Skip("the AWS CLI is not on PATH (or -short)")
	}
	srv := apitest.New(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "in.txt")
	require.NoError(t, os.WriteFile(src, []byte("from the cli\n"), 0o600))
	run := func(args ...string) string {
		cmd := exec.Command(aws1, append([]string{"--endpoint-url", srv.URL, "--region", "us-east-1", "--output", "json"}, args...)...)
		cmd.Env = []string{"AWS_ACCESS_KEY_ID=" + srv.AdminCredentials().AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + srv.AdminCredentials().SecretAccessKey,
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "HOME=" + dir, "PATH=" + os.Getenv("PATH")}
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, string(out))
		return string(out)
	}
	run("s3api", "create-bucket", "--bucket", "cli-bucket")
	out := run("s3api", "put-object", "--bucket", "cli-bucket", "--key", "dir/a b+c.txt", "--body", src)
	assert.Contains(t, out, "ChecksumCRC32")
	run("s3api", "get-object", "--bucket", "cli-bucket", "--key", "dir/a b+c.txt", filepath.Join(dir, "out.txt"))
	got, err := os.ReadFile(filepath.Join(dir, "out.txt"))
	require.NoError(t, err)
	assert.Equal(t, "from the cli\n", string(got))
	out = run("s3api", "list-objects-v2", "--bucket", "cli-bucket")
	assert.Contains(t, out, `"Key": "dir/a b+c.txt"`)
	run("s3api", "put-bucket-policy", "--bucket", "cli-bucket", "--policy",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::cli-bucket"}]}`)
	out = run("s3api", "get-bucket-policy", "--bucket", "cli-bucket")
	assert.Contains(t, out, "s3:DeleteBucket")
}

// FuzzS3Request throws arbitrary keys, payload modes and aws-chunked bodies
// at PutObject: whatever arrives, the server answers without a 5xx.
func FuzzS3Request(f *testing.F) {
	srv := apitest.New(f)
	admin := srv.AdminCredentials()
	_, err := testkit.S3Client(srv, admin).CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("fuzz")})
	require.NoError(f, err)
	handler := srv.API.Handler()
	f.Add("key", []byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"), uint8(0))
	f.Add("a/b/c", []byte("5;chunk-signature=00\r\nhello\r\n0;chunk-signature=00\r\n\r\n"), uint8(1))
	f.Add("", []byte("fffffffffffffffff\r\n"), uint8(2))
	f.Add("../..//x?y#z", []byte("0\r\n"), uint8(3))
	f.Add("%ff", []byte("3\r\nab"), uint8(0))
	f.Add(strings.Repeat("k", 1100), []byte("1\r\nx\r\n0\r\nbad trailer\r\n"), uint8(4))
	modes := []string{"STREAMING-UNSIGNED-PAYLOAD-TRAILER", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
		"STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", "UNSIGNED-PAYLOAD", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"}
	f.Fuzz(func(t *testing.T, key string, body []byte, mode uint8) {
		target := &url.URL{Path: "/fuzz/" + key}
		req := httptest.NewRequest(http.MethodPut, "http://127.0.0.1/", bytes.NewReader(body))
		req.URL = target
		req.RequestURI = target.RequestURI()
		req.Header.Set("Content-Encoding", "aws-chunked")
		req.Header.Set("X-Amz-Content-Sha256", modes[int(mode)%len(modes)])
		if mode%2 == 0 {
			req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(body)/2))
		}
		if err := testkit.SignV4(req, admin, "s3", req.Header.Get("X-Amz-Content-Sha256"), time.Now()); err != nil {
			t.Skip()
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, req)
		if w.Code >= 500 && w.Code != http.StatusNotImplemented {
			t.Fatalf("status %d for key %q body %q: %s", w.Code, key, body, w.Body.String())
		}
	})
}
