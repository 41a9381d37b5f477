package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
	"github.com/rootaccess/emulator/pkg/policy"
)

// TestCloudTrail_NoRecordHoldsASecret runs the whole walkthrough with an
// organization trail logging every management and S3 data event, plus the
// calls whose inputs or outputs carry secrets (access keys, passwords,
// sessions), then scans every record of every account, in event history and
// in the delivered log files, for any secret the emulator handed out or took.
func TestCloudTrail_NoRecordHoldsASecret(t *testing.T) {
	ctx := context.Background()
	srv := apitest.New(t)
	admin := srv.AdminCredentials()
	acct := srv.ManagementAccountID()
	// The seeded administrator's secret is "test", as its key id is: too
	// short to look for. Every secret the emulator mints is scanned for.
	var secrets []string

	// An organization trail over everything, before anything happens.
	orgs := organizations.NewFromConfig(srv.Config(admin))
	org, err := orgs.DescribeOrganization(ctx, nil)
	require.NoError(t, err)
	orgID := aws.ToString(org.Organization.Id)
	_, err = orgs.EnableAWSServiceAccess(ctx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String("cloudtrail.amazonaws.com")})
	require.NoError(t, err)
	s3c := testkit.S3Client(srv, admin)
	_, err = s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("audit-logs")})
	require.NoError(t, err)
	_, err = s3c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("audit-logs"), Policy: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::audit-logs/AWSLogs/*"}]}`)})
	require.NoError(t, err)
	ct := cloudtrail.NewFromConfig(srv.Config(admin))
	_, err = ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("everything"), S3BucketName: aws.String("audit-logs"),
		IsOrganizationTrail: aws.Bool(true), IsMultiRegionTrail: aws.Bool(true)})
	require.NoError(t, err)
	_, err = ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String("everything"),
		EventSelectors: []cttypes.EventSelector{{ReadWriteType: cttypes.ReadWriteTypeAll, IncludeManagementEvents: aws.Bool(true), DataResources: []cttypes.DataResource{{Type: aws.String("AWS::S3::Object"), Values: []string{"arn:aws:s3"}}}}}})
	require.NoError(t, err)
	_, err = ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("everything")})
	require.NoError(t, err)

	member, _ := walkthrough(t, srv)

	// Calls that carry secrets in or out.
	iamc := iam.NewFromConfig(srv.Config(admin))
	_, err = iamc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol")})
	require.NoError(t, err)
	key, err := iamc.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("carol")})
	require.NoError(t, err)
	password := "Correct-Horse-Battery-9"
	_, err = iamc.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("carol"), Password: aws.String(password)})
	require.NoError(t, err)
	secrets = append(secrets, aws.ToString(key.AccessKey.SecretAccessKey), password)
	role, err := sts.NewFromConfig(srv.Config(admin)).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(testkit.AccessRoleARN(member)), RoleSessionName: aws.String("scan")})
	require.NoError(t, err)
	secrets = append(secrets, aws.ToString(role.Credentials.SecretAccessKey), aws.ToString(role.Credentials.SessionToken))
	unlock, err := sts.NewFromConfig(srv.Config(admin)).AssumeRoot(ctx, &sts.AssumeRootInput{
		TargetPrincipal: aws.String(member), TaskPolicyArn: testkit.TaskPolicy(policy.S3UnlockBucketPolicy)})
	require.NoError(t, err)
	secrets = append(secrets, aws.ToString(unlock.Credentials.SecretAccessKey), aws.ToString(unlock.Credentials.SessionToken))
	root := apitest.SessionCredentials(unlock.Credentials)
	ms3 := testkit.S3Client(srv, apitest.SessionCredentials(role.Credentials))
	_, err = ms3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("member-data")})
	require.NoError(t, err)
	_, err = ms3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("member-data"), Key: aws.String("k"), Body: strings.NewReader("v")})
	require.NoError(t, err)
	_, err = testkit.S3Client(srv, root).DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("member-data")})
	require.NoError(t, err)
	_, err = testkit.S3Client(srv, root).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("refused")})
	require.Error(t, err) // refused: recorded too

	_, err = srv.API.DeliverTrailLogs(ctx)
	require.NoError(t, err)

	var records []string
	for _, account := range []string{acct, member} {
		for _, rec := range srv.Events(t, account) {
			b, err := json.Marshal(rec)
			require.NoError(t, err)
			records = append(records, string(b))
		}
	}
	list, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("audit-logs"), Prefix: aws.String("AWSLogs/" + orgID + "/")})
	require.NoError(t, err)
	require.NotEmpty(t, list.Contents)
	delivered := 0
	for _, o := range list.Contents {
		obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("audit-logs"), Key: o.Key})
		require.NoError(t, err)
		body, err := io.ReadAll(obj.Body)
		require.NoError(t, err)
		zr, err := gzip.NewReader(bytes.NewReader(body))
		require.NoError(t, err)
		var doc struct{ Records []json.RawMessage }
		require.NoError(t, json.NewDecoder(zr).Decode(&doc))
		for _, r := range doc.Records {
			records = append(records, string(r))
			delivered++
		}
	}
	require.Greater(t, len(records), 40, "the walkthrough leaves many records")
	require.Greater(t, delivered, 20)
	for _, secret := range secrets {
		require.NotEmpty(t, secret)
		for _, r := range records {
			if !assert.NotContains(t, r, secret, "a record holds a secret") {
				return
			}
		}
	}
	// And no member name that means a secret, at any depth.
	for _, r := range records {
		lower := strings.ToLower(r)
		for _, member := range []string{`"secretaccesskey"`, `"sessiontoken"`, `"password"`} {
			assert.NotContains(t, lower, member)
		}
	}
}
