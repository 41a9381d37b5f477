package s3_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
)

// httpStatus is the status of an SDK error (HEAD errors have no body).
func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func TestS3_CopyObject(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	c := testkit.S3Client(srv, srv.AdminCredentials())
	createBucket(t, c, "copies")
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("copies"), Key: aws.String("src"), Body: strings.NewReader("payload"),
		ContentType: aws.String("text/plain"), Metadata: map[string]string{"a": "1"}, Tagging: aws.String("t=1")})
	require.NoError(t, err)

	out, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("copies"), Key: aws.String("copy"), CopySource: aws.String("copies/src")})
	require.NoError(t, err)
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("copies"), Key: aws.String("copy")})
	require.NoError(t, err)
	assert.Equal(t, aws.ToString(head.ETag), aws.ToString(out.CopyObjectResult.ETag))
	assert.Equal(t, "text/plain", aws.ToString(head.ContentType), "COPY keeps the metadata")
	assert.Equal(t, "1", head.Metadata["a"])
	assert.Equal(t, int32(1), aws.ToInt32(head.TagCount))
	body, err := getObject(t, c, "copies", "copy")
	require.NoError(t, err)
	assert.Equal(t, "payload", body)

	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("copies"), Key: aws.String("copy"), CopySource: aws.String("copies/src"),
		MetadataDirective: s3types.MetadataDirectiveReplace, ContentType: aws.String("application/json"), Metadata: map[string]string{"b": "2"}})
	require.NoError(t, err)
	head, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("copies"), Key: aws.String("copy")})
	require.NoError(t, err)
	assert.Equal(t, "application/json", aws.ToString(head.ContentType))
	assert.Equal(t, map[string]string{"b": "2"}, head.Metadata)

	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("copies"), Key: aws.String("src"), CopySource: aws.String("copies/src")})
	testkit.RequireAWSError(t, err, "InvalidRequest", http.StatusBadRequest)
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("copies"), Key: aws.String("x"), CopySource: aws.String("copies/nope")})
	testkit.RequireAWSError(t, err, "NoSuchKey", http.StatusNotFound)
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("copies"), Key: aws.String("x"), CopySource: aws.String("nobucket/src")})
	testkit.RequireAWSError(t, err, "NoSuchBucket", http.StatusNotFound)
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("copies"), Key: aws.String("x"), CopySource: aws.String("copies/src"),
		CopySourceIfMatch: aws.String(`"nope"`)})
	testkit.RequireAWSError(t, err, "PreconditionFailed", http.StatusPreconditionFailed)
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("copies"), Key: aws.String("x"), CopySource: aws.String("copies/src"),
		MetadataDirective: "MERGE"})
	testkit.RequireAWSError(t, err, "InvalidArgument", http.StatusBadRequest)
}

func TestS3_DeleteObjects(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	c := testkit.S3Client(srv, srv.AdminCredentials())
	createBucket(t, c, "batch")
	for _, k := range []string{"a", "b", "keep"} {
		putObject(t, c, "batch", k, k)
	}
	ids := func(keys ...string) []s3types.ObjectIdentifier {
		var out []s3types.ObjectIdentifier
		for _, k := range keys {
			out = append(out, s3types.ObjectIdentifier{Key: aws.String(k)})
		}
		return out
	}
	out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("batch"), Delete: &s3types.Delete{Objects: ids("a", "missing")}})
	require.NoError(t, err)
	require.Len(t, out.Deleted, 2, "a missing key is deleted too, as S3 answers")
	assert.Empty(t, out.Errors)
	out, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("batch"), Delete: &s3types.Delete{Objects: ids("b"), Quiet: aws.Bool(true)}})
	require.NoError(t, err)
	assert.Empty(t, out.Deleted, "quiet mode lists only errors")
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("batch")})
	require.NoError(t, err)
	assert.Equal(t, []string{"keep"}, objectKeys(list.Contents))

	// Per-key refusals: a bucket policy that denies deleting one key.
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("batch"), Policy: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::batch/keep"}]}`)})
	require.NoError(t, err)
	putObject(t, c, "batch", "c", "c")
	out, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("batch"), Delete: &s3types.Delete{Objects: ids("keep", "c")}})
	require.NoError(t, err)
	require.Len(t, out.Errors, 1)
	assert.Equal(t, "keep", aws.ToString(out.Errors[0].Key))
	assert.Equal(t, "AccessDenied", aws.ToString(out.Errors[0].Code))
	require.Len(t, out.Deleted, 1)
	assert.Equal(t, "c", aws.ToString(out.Deleted[0].Key))

	_, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("nobucket"), Delete: &s3types.Delete{Objects: ids("a")}})
	testkit.RequireAWSError(t, err, "NoSuchBucket", http.StatusNotFound)
	var many []string
	for range 1001 {
		many = append(many, "k")
	}
	_, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("batch"), Delete: &s3types.Delete{Objects: ids(many...)}})
	testkit.RequireAWSError(t, err, "MalformedXML", http.StatusBadRequest)
}

func TestS3_ListObjectsV1AndVersions(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	c := testkit.S3Client(srv, srv.AdminCredentials())
	createBucket(t, c, "v1list")
	for _, k := range []string{"a", "dir/1", "dir/2", "dir/sub/3", "z"} {
		putObject(t, c, "v1list", k, k)
	}
	out, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("v1list"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(2)})
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, objectKeys(out.Contents))
	assert.Equal(t, []string{"dir/"}, commonPrefixes(out.CommonPrefixes))
	assert.True(t, aws.ToBool(out.IsTruncated))
	assert.Equal(t, "dir/", aws.ToString(out.NextMarker))
	out, err = c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("v1list"), Delimiter: aws.String("/"), Marker: out.NextMarker})
	require.NoError(t, err)
	assert.Equal(t, []string{"z"}, objectKeys(out.Contents), "nothing under dir/ again")
	assert.False(t, aws.ToBool(out.IsTruncated))
	out, err = c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("v1list"), Prefix: aws.String("dir/"), Marker: aws.String("dir/1")})
	require.NoError(t, err)
	assert.Equal(t, []string{"dir/2", "dir/sub/3"}, objectKeys(out.Contents))
	require.NotNil(t, out.Contents[0].Owner)

	vs, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("v1list"), MaxKeys: aws.Int32(4)})
	require.NoError(t, err)
	require.Len(t, vs.Versions, 4)
	for _, v := range vs.Versions {
		assert.Equal(t, "null", aws.ToString(v.VersionId))
		assert.True(t, aws.ToBool(v.IsLatest))
	}
	assert.True(t, aws.ToBool(vs.IsTruncated))
	assert.Equal(t, "dir/sub/3", aws.ToString(vs.NextKeyMarker))
	vs, err = c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("v1list"), KeyMarker: vs.NextKeyMarker,
		VersionIdMarker: vs.NextVersionIdMarker})
	require.NoError(t, err)
	require.Len(t, vs.Versions, 1)
	assert.Equal(t, "z", aws.ToString(vs.Versions[0].Key))
	assert.Empty(t, vs.DeleteMarkers)

	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("v1list")})
	require.NoError(t, err)
	assert.Equal(t, s3types.BucketLocationConstraint(""), loc.LocationConstraint, "us-east-1 is the empty constraint")
	west := testkit.S3Client(srv, srv.AdminCredentials(), func(o *s3.Options) { o.Region = "eu-west-1" })
	_, err = west.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("west-bucket"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintEuWest1}})
	require.NoError(t, err)
	loc, err = c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("west-bucket")})
	require.NoError(t, err)
	assert.Equal(t, s3types.BucketLocationConstraintEuWest1, loc.LocationConstraint)
	_, err = c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("nobucket")})
	testkit.RequireAWSError(t, err, "NoSuchBucket", http.StatusNotFound)
}

func TestS3_Tagging(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	c := testkit.S3Client(srv, srv.AdminCredentials())
	createBucket(t, c, "tagged")
	_, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("tagged")})
	testkit.RequireAWSError(t, err, "NoSuchTagSet", http.StatusNotFound)
	tags := []s3types.Tag{{Key: aws.String("env"), Value: aws.String("test")}, {Key: aws.String("app"), Value: aws.String("x")}}
	_, err = c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String("tagged"), Tagging: &s3types.Tagging{TagSet: tags}})
	require.NoError(t, err)
	got, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("tagged")})
	require.NoError(t, err)
	require.Len(t, got.TagSet, 2)
	assert.Equal(t, "app", aws.ToString(got.TagSet[0].Key))
	_, err = c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String("tagged"), Tagging: &s3types.Tagging{TagSet: append(tags, tags[0])}})
	testkit.RequireAWSError(t, err, "InvalidTag", http.StatusBadRequest)
	_, err = c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String("tagged"), Tagging: &s3types.Tagging{TagSet: []s3types.Tag{
		{Key: aws.String("aws:reserved"), Value: aws.String("x")}}}})
	testkit.RequireAWSError(t, err, "InvalidTag", http.StatusBadRequest)
	_, err = c.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: aws.String("tagged")})
	require.NoError(t, err)
	_, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("tagged")})
	testkit.RequireAWSError(t, err, "NoSuchTagSet", http.StatusNotFound)

	putObject(t, c, "tagged", "obj", "x")
	_, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("tagged"), Key: aws.String("obj"), Tagging: &s3types.Tagging{TagSet: tags}})
	require.NoError(t, err)
	ot, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("tagged"), Key: aws.String("obj")})
	require.NoError(t, err)
	assert.Len(t, ot.TagSet, 2)
	body, err := getObject(t, c, "tagged", "obj")
	require.NoError(t, err)
	assert.Equal(t, "x", body, "tagging leaves the data alone")
	_, err = c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: aws.String("tagged"), Key: aws.String("obj")})
	require.NoError(t, err)
	ot, err = c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("tagged"), Key: aws.String("obj")})
	require.NoError(t, err)
	assert.Empty(t, ot.TagSet)
	_, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("tagged"), Key: aws.String("none"), Tagging: &s3types.Tagging{TagSet: tags}})
	testkit.RequireAWSError(t, err, "NoSuchKey", http.StatusNotFound)
}

func TestS3_RangesAndConditions(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	c := testkit.S3Client(srv, srv.AdminCredentials())
	createBucket(t, c, "conds")
	putObject(t, c, "conds", "k", "0123456789")
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("conds"), Key: aws.String("k")})
	require.NoError(t, err)
	etag, modified := aws.ToString(head.ETag), aws.ToTime(head.LastModified)

	get := func(in *s3.GetObjectInput) (string, *s3.GetObjectOutput, error) {
		in.Bucket, in.Key = aws.String("conds"), aws.String("k")
		out, err := c.GetObject(ctx, in)
		if err != nil {
			return "", nil, err
		}
		defer out.Body.Close()
		b, err := io.ReadAll(out.Body)
		return string(b), out, err
	}
	body, out, err := get(&s3.GetObjectInput{Range: aws.String("bytes=2-4")})
	require.NoError(t, err)
	assert.Equal(t, "234", body)
	assert.Equal(t, "bytes 2-4/10", aws.ToString(out.ContentRange))
	body, _, err = get(&s3.GetObjectInput{Range: aws.String("bytes=-3")})
	require.NoError(t, err)
	assert.Equal(t, "789", body)
	body, _, err = get(&s3.GetObjectInput{Range: aws.String("bytes=8-")})
	require.NoError(t, err)
	assert.Equal(t, "89", body)
	_, _, err = get(&s3.GetObjectInput{Range: aws.String("bytes=10-")})
	testkit.RequireAWSError(t, err, "InvalidRange", http.StatusRequestedRangeNotSatisfiable)

	_, _, err = get(&s3.GetObjectInput{IfMatch: aws.String(etag)})
	require.NoError(t, err)
	_, _, err = get(&s3.GetObjectInput{IfMatch: aws.String(`"other"`)})
	testkit.RequireAWSError(t, err, "PreconditionFailed", http.StatusPreconditionFailed)
	_, _, err = get(&s3.GetObjectInput{IfNoneMatch: aws.String(etag)})
	assert.Equal(t, http.StatusNotModified, httpStatus(err))
	_, _, err = get(&s3.GetObjectInput{IfModifiedSince: aws.Time(modified.Add(time.Hour))})
	assert.Equal(t, http.StatusNotModified, httpStatus(err))
	_, _, err = get(&s3.GetObjectInput{IfModifiedSince: aws.Time(modified.Add(-time.Hour))})
	require.NoError(t, err)
	_, _, err = get(&s3.GetObjectInput{IfUnmodifiedSince: aws.Time(modified.Add(-time.Hour))})
	testkit.RequireAWSError(t, err, "PreconditionFailed", http.StatusPreconditionFailed)
	_, _, err = get(&s3.GetObjectInput{IfMatch: aws.String(etag), IfUnmodifiedSince: aws.Time(modified.Add(-time.Hour))})
	require.NoError(t, err, "If-Match true wins over If-Unmodified-Since false, as S3 documents")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("conds"), Key: aws.String("k"), IfNoneMatch: aws.String("*")})
	assert.Equal(t, http.StatusNotModified, httpStatus(err))

	// Conditional writes.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("conds"), Key: aws.String("k"), Body: strings.NewReader("new"),
		IfMatch: aws.String(`"other"`)})
	testkit.RequireAWSError(t, err, "PreconditionFailed", http.StatusPreconditionFailed)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("conds"), Key: aws.String("k"), Body: strings.NewReader("new"),
		IfMatch: aws.String(etag)})
	require.NoError(t, err)
	body, _, err = get(&s3.GetObjectInput{})
	require.NoError(t, err)
	assert.Equal(t, "new", body)
}

// TestS3_StreamedBodyIsCheckedBeforeCommit: an upload streams past the
// pipeline after its signature (over X-Amz-Content-Sha256) is checked; a
// body that does not match that hash is refused and nothing is stored.
func TestS3_StreamedBodyIsCheckedBeforeCommit(t *testing.T) {
	srv := apitest.New(t)
	c := testkit.S3Client(srv, srv.AdminCredentials())
	createBucket(t, c, "streamed")
	body := []byte(strings.Repeat("streamed data ", 200000)) // 2.8 MB: three chunks
	r := testkit.RawS3(t, srv, srv.AdminCredentials(), http.MethodPut, "/streamed/k", body,
		http.Header{"X-Amz-Content-Sha256": {testkit.SHA256Hex([]byte("something else"))}})
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Contains(t, r.Body, "<Code>XAmzContentSHA256Mismatch</Code>")
	_, err := getObject(t, c, "streamed", "k")
	testkit.RequireAWSError(t, err, "NoSuchKey", http.StatusNotFound)

	r = testkit.RawS3(t, srv, srv.AdminCredentials(), http.MethodPut, "/streamed/k", body, nil)
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	got, err := getObject(t, c, "streamed", "k")
	require.NoError(t, err)
	assert.Equal(t, string(body), got)
}
