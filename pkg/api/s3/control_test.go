package s3_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	controltypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
)

// controlClient is an S3 Control client configured as Terraform's provider
// configures it: the emulator as its endpoint, so that the SDK sends each
// request to {AccountId}.<endpoint host>, a name that resolves nowhere; the
// transport's proxy sends every request to the emulator's listener, in
// absolute form with its Host and signature unchanged (what HTTP_PROXY
// pointing at the emulator does for Terraform).
func controlClient(t *testing.T, srv *apitest.Server, endpoint string, creds aws.Credentials) *s3control.Client {
	t.Helper()
	listener, err := url.Parse(srv.URL)
	require.NoError(t, err)
	var hosts []string
	transport := &http.Transport{Proxy: func(r *http.Request) (*url.URL, error) {
		hosts = append(hosts, r.URL.Host)
		return listener, nil
	}}
	t.Cleanup(func() {
		transport.CloseIdleConnections()
		assert.NotEmpty(t, hosts, "the requests went through the proxy")
		for _, h := range hosts {
			assert.Regexp(t, `^\d{12}\.`, h, "the SDK addresses S3 Control at {AccountId}.<endpoint host>")
		}
	})
	cfg := srv.Config(creds)
	cfg.BaseEndpoint = aws.String(endpoint)
	cfg.HTTPClient = &http.Client{Transport: transport}
	return s3control.NewFromConfig(cfg)
}

// TestS3Control_BucketTags drives S3 Control's tagging of a bucket through
// the SDK, at both endpoint forms Terraform users write (127.0.0.1, where
// the account id prefix could pass for nothing, and localhost, where it
// could pass for a virtual-hosted bucket): the tags are the bucket's own,
// as S3's GetBucketTagging and PutBucketTagging see them.
func TestS3Control_BucketTags(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	for _, host := range []string{"127.0.0.1", "localhost"} {
		t.Run(host, func(t *testing.T) {
			c := testkit.S3Client(srv, srv.AdminCredentials())
			bucket := "tagged-" + strings.ReplaceAll(host, ".", "-")
			createBucket(t, c, bucket)
			control := controlClient(t, srv, "http://"+host+":"+port, srv.AdminCredentials())
			account := aws.String(srv.ManagementAccountID())
			arn := aws.String("arn:aws:s3:::" + bucket)

			out, err := control.ListTagsForResource(ctx, &s3control.ListTagsForResourceInput{AccountId: account, ResourceArn: arn})
			require.NoError(t, err, "a bucket without tags lists none")
			assert.Empty(t, out.Tags)

			_, err = control.TagResource(ctx, &s3control.TagResourceInput{AccountId: account, ResourceArn: arn,
				Tags: []controltypes.Tag{{Key: aws.String("team"), Value: aws.String("platform")}, {Key: aws.String("env"), Value: aws.String("dev")}}})
			require.NoError(t, err)
			out, err = control.ListTagsForResource(ctx, &s3control.ListTagsForResourceInput{AccountId: account, ResourceArn: arn})
			require.NoError(t, err)
			assert.Equal(t, map[string]string{"team": "platform", "env": "dev"}, controlTags(out.Tags))

			got, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
			require.NoError(t, err, "S3 sees the tags S3 Control set")
			assert.Len(t, got.TagSet, 2)

			// TagResource adds and replaces; it keeps the keys it does not name.
			_, err = control.TagResource(ctx, &s3control.TagResourceInput{AccountId: account, ResourceArn: arn,
				Tags: []controltypes.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}})
			require.NoError(t, err)
			_, err = control.UntagResource(ctx, &s3control.UntagResourceInput{AccountId: account, ResourceArn: arn,
				TagKeys: []string{"team", "absent"}})
			require.NoError(t, err, "untagging a key the bucket lacks is no error")
			out, err = control.ListTagsForResource(ctx, &s3control.ListTagsForResourceInput{AccountId: account, ResourceArn: arn})
			require.NoError(t, err)
			assert.Equal(t, map[string]string{"env": "prod"}, controlTags(out.Tags))

			_, err = c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(bucket),
				Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("owner"), Value: aws.String("s3")}}}})
			require.NoError(t, err)
			out, err = control.ListTagsForResource(ctx, &s3control.ListTagsForResourceInput{AccountId: account, ResourceArn: arn})
			require.NoError(t, err)
			assert.Equal(t, map[string]string{"owner": "s3"}, controlTags(out.Tags), "S3 Control sees the tags S3 set")
		})
	}
}

func controlTags(tags []controltypes.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// TestS3Control_Errors: each refusal in S3 Control's envelope, as the SDK
// reads it, and nothing changed by it.
func TestS3Control_Errors(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	c := testkit.S3Client(srv, srv.AdminCredentials())
	createBucket(t, c, "guarded")
	control := controlClient(t, srv, srv.URL, srv.AdminCredentials())
	account := aws.String(srv.ManagementAccountID())
	arn := aws.String("arn:aws:s3:::guarded")
	tag := func(k, v string) []controltypes.Tag {
		return []controltypes.Tag{{Key: aws.String(k), Value: aws.String(v)}}
	}

	_, err := control.ListTagsForResource(ctx, &s3control.ListTagsForResourceInput{AccountId: account,
		ResourceArn: aws.String("arn:aws:s3:::no-such-bucket")})
	testkit.RequireAWSError(t, err, "NoSuchResource", http.StatusNotFound)
	_, err = control.TagResource(ctx, &s3control.TagResourceInput{AccountId: account,
		ResourceArn: aws.String("arn:aws:s3:us-east-1:" + *account + ":accesspoint/none"), Tags: tag("a", "b")})
	testkit.RequireAWSError(t, err, "NoSuchResource", http.StatusNotFound)

	_, err = control.ListTagsForResource(ctx, &s3control.ListTagsForResourceInput{AccountId: aws.String("999999999999"), ResourceArn: arn})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = control.TagResource(ctx, &s3control.TagResourceInput{AccountId: aws.String("999999999999"), ResourceArn: arn, Tags: tag("a", "b")})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)

	_, err = control.TagResource(ctx, &s3control.TagResourceInput{AccountId: account, ResourceArn: arn, Tags: tag("aws:cloudformation:stack-name", "x")})
	testkit.RequireAWSError(t, err, "InvalidTag", http.StatusBadRequest)
	_, err = control.TagResource(ctx, &s3control.TagResourceInput{AccountId: account, ResourceArn: arn,
		Tags: append(tag("dup", "1"), tag("dup", "2")...)})
	testkit.RequireAWSError(t, err, "InvalidTag", http.StatusBadRequest)
	many := []controltypes.Tag{}
	for i := range 51 {
		many = append(many, tag("k"+strings.Repeat("x", i), "v")...)
	}
	_, err = control.TagResource(ctx, &s3control.TagResourceInput{AccountId: account, ResourceArn: arn, Tags: many})
	testkit.RequireAWSError(t, err, "InvalidTag", http.StatusBadRequest)

	// The bucket policy decides, as it does for S3's own calls.
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("guarded"), Policy: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:TagResource","Resource":"arn:aws:s3:::guarded"}]}`)})
	require.NoError(t, err)
	_, err = control.TagResource(ctx, &s3control.TagResourceInput{AccountId: account, ResourceArn: arn, Tags: tag("a", "b")})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)

	out, err := control.ListTagsForResource(ctx, &s3control.ListTagsForResourceInput{AccountId: account, ResourceArn: arn})
	require.NoError(t, err)
	assert.Empty(t, out.Tags, "no refused call changed the bucket's tags")
}

// TestS3Control_UnknownOperation: an S3 Control operation the emulator does
// not have is NotImplemented in S3 Control's envelope, not taken for S3.
func TestS3Control_UnknownOperation(t *testing.T) {
	srv := apitest.New(t)
	control := controlClient(t, srv, srv.URL, srv.AdminCredentials())
	_, err := control.GetPublicAccessBlock(context.Background(), &s3control.GetPublicAccessBlockInput{AccountId: aws.String(srv.ManagementAccountID())})
	testkit.RequireAWSError(t, err, "NotImplemented", http.StatusNotImplemented)
}

// TestS3_CreateBucketWithTags: the tags of CreateBucketConfiguration (what
// Terraform's provider sends) are the new bucket's, read back through S3
// Control; creating with tags takes s3:TagResource, as S3 documents.
func TestS3_CreateBucketWithTags(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	c := testkit.S3Client(srv, srv.AdminCredentials())
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("born-tagged"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{Tags: []s3types.Tag{
			{Key: aws.String("team"), Value: aws.String("platform")}}}})
	require.NoError(t, err)
	control := controlClient(t, srv, srv.URL, srv.AdminCredentials())
	out, err := control.ListTagsForResource(ctx, &s3control.ListTagsForResourceInput{
		AccountId: aws.String(srv.ManagementAccountID()), ResourceArn: aws.String("arn:aws:s3:::born-tagged")})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"team": "platform"}, controlTags(out.Tags))

	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bad-tags"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{Tags: []s3types.Tag{
			{Key: aws.String("aws:reserved"), Value: aws.String("x")}}}})
	testkit.RequireAWSError(t, err, "InvalidTag", http.StatusBadRequest)

	creator := testkit.CreateUser(t, srv, srv.ManagementAccountID(), "creator",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:CreateBucket","Resource":"*"}]}`)
	cc := testkit.S3Client(srv, creator)
	_, err = cc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("tags-refused"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{Tags: []s3types.Tag{
			{Key: aws.String("team"), Value: aws.String("platform")}}}})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	createBucket(t, cc, "untagged-allowed")
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("tags-refused")})
	require.Error(t, err, "the refused create made no bucket")
}
