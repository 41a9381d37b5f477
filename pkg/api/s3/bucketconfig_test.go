package s3_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
)

// TestS3_BucketConfigurationDefaults reads every configuration Terraform's
// provider reads on a refresh, of a bucket with nothing set, and gets what
// S3 answers for one.
func TestS3_BucketConfigurationDefaults(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	c := testkit.S3Client(srv, srv.AdminCredentials())
	createBucket(t, c, "plain")
	b := aws.String("plain")

	acl, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: b})
	require.NoError(t, err)
	require.Len(t, acl.Grants, 1)
	assert.Equal(t, s3types.PermissionFullControl, acl.Grants[0].Permission)
	assert.Equal(t, aws.ToString(acl.Owner.ID), aws.ToString(acl.Grants[0].Grantee.ID))
	assert.Equal(t, s3types.TypeCanonicalUser, acl.Grants[0].Grantee.Type)

	_, err = c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: b})
	testkit.RequireAWSError(t, err, "NoSuchCORSConfiguration", http.StatusNotFound)
	_, err = c.GetBucketWebsite(ctx, &s3.GetBucketWebsiteInput{Bucket: b})
	testkit.RequireAWSError(t, err, "NoSuchWebsiteConfiguration", http.StatusNotFound)
	_, err = c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	testkit.RequireAWSError(t, err, "NoSuchLifecycleConfiguration", http.StatusNotFound)
	_, err = c.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: b})
	testkit.RequireAWSError(t, err, "ReplicationConfigurationNotFoundError", http.StatusNotFound)
	_, err = c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: b})
	testkit.RequireAWSError(t, err, "ObjectLockConfigurationNotFoundError", http.StatusNotFound)

	v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b})
	require.NoError(t, err)
	assert.Empty(t, v.Status)
	a, err := c.GetBucketAccelerateConfiguration(ctx, &s3.GetBucketAccelerateConfigurationInput{Bucket: b})
	require.NoError(t, err)
	assert.Empty(t, a.Status)
	rp, err := c.GetBucketRequestPayment(ctx, &s3.GetBucketRequestPaymentInput{Bucket: b})
	require.NoError(t, err)
	assert.Equal(t, s3types.PayerBucketOwner, rp.Payer)
	lg, err := c.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: b})
	require.NoError(t, err)
	assert.Nil(t, lg.LoggingEnabled)
	enc, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: b})
	require.NoError(t, err)
	require.Len(t, enc.ServerSideEncryptionConfiguration.Rules, 1)
	assert.Equal(t, s3types.ServerSideEncryptionAes256, enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm)
	own, err := c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: b})
	require.NoError(t, err)
	assert.Equal(t, s3types.ObjectOwnershipBucketOwnerEnforced, own.OwnershipControls.Rules[0].ObjectOwnership)
	pab, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: b})
	require.NoError(t, err)
	assert.True(t, aws.ToBool(pab.PublicAccessBlockConfiguration.BlockPublicPolicy))

	_, err = c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("nobucket")})
	testkit.RequireAWSError(t, err, "NoSuchBucket", http.StatusNotFound)
}

// TestS3_BucketConfigurationPutGetDelete: what is put comes back as put;
// a delete restores S3's answer for a bucket with nothing set.
func TestS3_BucketConfigurationPutGetDelete(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	c := testkit.S3Client(srv, srv.AdminCredentials())
	createBucket(t, c, "configured")
	b := aws.String("configured")

	_, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: b, CORSConfiguration: &s3types.CORSConfiguration{
		CORSRules: []s3types.CORSRule{{AllowedMethods: []string{"GET", "PUT"}, AllowedOrigins: []string{"https://example.com"}, MaxAgeSeconds: aws.Int32(60)}}}})
	require.NoError(t, err)
	cors, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: b})
	require.NoError(t, err)
	require.Len(t, cors.CORSRules, 1)
	assert.Equal(t, []string{"GET", "PUT"}, cors.CORSRules[0].AllowedMethods)
	assert.Equal(t, int32(60), aws.ToInt32(cors.CORSRules[0].MaxAgeSeconds))
	_, err = c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: b})
	require.NoError(t, err)
	_, err = c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: b})
	testkit.RequireAWSError(t, err, "NoSuchCORSConfiguration", http.StatusNotFound)

	_, err = c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: b, ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
		Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{
			SSEAlgorithm: s3types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String("alias/k")}, BucketKeyEnabled: aws.Bool(true)}}}})
	require.NoError(t, err)
	enc, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: b})
	require.NoError(t, err)
	assert.Equal(t, "alias/k", aws.ToString(enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.KMSMasterKeyID))
	_, err = c.DeleteBucketEncryption(ctx, &s3.DeleteBucketEncryptionInput{Bucket: b})
	require.NoError(t, err)
	enc, err = c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: b})
	require.NoError(t, err)
	assert.Equal(t, s3types.ServerSideEncryptionAes256, enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm,
		"back to SSE-S3, S3's default")

	_, err = c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: b, PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
		BlockPublicAcls: aws.Bool(false), BlockPublicPolicy: aws.Bool(false)}})
	require.NoError(t, err)
	pab, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: b})
	require.NoError(t, err)
	assert.False(t, aws.ToBool(pab.PublicAccessBlockConfiguration.BlockPublicPolicy))

	// The settings Terraform's aws_s3_bucket_logging, _accelerate_configuration
	// and _request_payment_configuration write, read back as written.
	_, err = c.PutBucketLogging(ctx, &s3.PutBucketLoggingInput{Bucket: b, BucketLoggingStatus: &s3types.BucketLoggingStatus{
		LoggingEnabled: &s3types.LoggingEnabled{TargetBucket: aws.String("configured"), TargetPrefix: aws.String("logs/")}}})
	require.NoError(t, err)
	lg, err := c.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: b})
	require.NoError(t, err)
	require.NotNil(t, lg.LoggingEnabled)
	assert.Equal(t, "logs/", aws.ToString(lg.LoggingEnabled.TargetPrefix))
	_, err = c.PutBucketLogging(ctx, &s3.PutBucketLoggingInput{Bucket: b, BucketLoggingStatus: &s3types.BucketLoggingStatus{}})
	require.NoError(t, err)
	lg, err = c.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: b})
	require.NoError(t, err)
	assert.Nil(t, lg.LoggingEnabled, "an empty BucketLoggingStatus turns logging off")

	_, err = c.PutBucketAccelerateConfiguration(ctx, &s3.PutBucketAccelerateConfigurationInput{Bucket: b,
		AccelerateConfiguration: &s3types.AccelerateConfiguration{Status: s3types.BucketAccelerateStatusEnabled}})
	require.NoError(t, err)
	acc, err := c.GetBucketAccelerateConfiguration(ctx, &s3.GetBucketAccelerateConfigurationInput{Bucket: b})
	require.NoError(t, err)
	assert.Equal(t, s3types.BucketAccelerateStatusEnabled, acc.Status)

	_, err = c.PutBucketRequestPayment(ctx, &s3.PutBucketRequestPaymentInput{Bucket: b,
		RequestPaymentConfiguration: &s3types.RequestPaymentConfiguration{Payer: s3types.PayerRequester}})
	require.NoError(t, err)
	rp, err := c.GetBucketRequestPayment(ctx, &s3.GetBucketRequestPaymentInput{Bucket: b})
	require.NoError(t, err)
	assert.Equal(t, s3types.PayerRequester, rp.Payer)

	_, err = c.PutBucketLogging(ctx, &s3.PutBucketLoggingInput{Bucket: aws.String("nobucket"), BucketLoggingStatus: &s3types.BucketLoggingStatus{}})
	testkit.RequireAWSError(t, err, "NoSuchBucket", http.StatusNotFound)

	raw := testkit.RawS3(t, srv, srv.AdminCredentials(), http.MethodPut, "/configured?cors", []byte("<NotCORS/>"), nil)
	assert.Equal(t, http.StatusBadRequest, raw.Status)
	assert.Contains(t, raw.Body, "<Code>MalformedXML</Code>")
}
