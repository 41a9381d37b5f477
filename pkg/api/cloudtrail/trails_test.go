package cloudtrail_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
)

// trailBucketPolicy is the bucket policy AWS documents for trail delivery,
// for each log directory ("AWSLogs/<account>" or "AWSLogs/<org id>").
func trailBucketPolicy(bucket string, dirs ...string) string {
	var resources []string
	for _, d := range dirs {
		resources = append(resources, `"arn:aws:s3:::`+bucket+`/`+d+`/*"`)
	}
	return `{"Version":"2012-10-17","Statement":[
 {"Sid":"AWSCloudTrailAclCheck","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::` + bucket + `"},
 {"Sid":"AWSCloudTrailWrite","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject",
  "Resource":[` + strings.Join(resources, ",") + `],"Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]}`
}

func trailBucket(t *testing.T, s3c *s3.Client, bucket, policy string) {
	t.Helper()
	ctx := context.Background()
	_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	require.NoError(t, err)
	if policy != "" {
		_, err = s3c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policy)})
		require.NoError(t, err)
	}
}

// logRecords reads every log file under prefix back through the S3 API,
// checks its key, gunzips and parses it, and returns its records.
func logRecords(t *testing.T, s3c *s3.Client, bucket, prefix, account string) []map[string]any {
	t.Helper()
	ctx := context.Background()
	list, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	require.NoError(t, err)
	keyPattern := regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + `CloudTrail/us-east-1/\d{4}/\d\d/\d\d/` + account +
		`_CloudTrail_us-east-1_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$`)
	var records []map[string]any
	for _, o := range list.Contents {
		assert.Regexp(t, keyPattern, aws.ToString(o.Key))
		obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key})
		require.NoError(t, err)
		body, err := io.ReadAll(obj.Body)
		require.NoError(t, err)
		zr, err := gzip.NewReader(bytes.NewReader(body))
		require.NoError(t, err)
		var doc struct{ Records []map[string]any }
		require.NoError(t, json.NewDecoder(zr).Decode(&doc))
		records = append(records, doc.Records...)
	}
	return records
}

func names(records []map[string]any) []string {
	var out []string
	for _, r := range records {
		out = append(out, r["eventName"].(string))
	}
	return out
}

func TestTrail_DeliversLogFilesIntoItsBucket(t *testing.T) {
	ctx := context.Background()
	srv := apitest.New(t)
	admin := srv.AdminCredentials()
	acct := srv.ManagementAccountID()
	s3c := testkit.S3Client(srv, admin)
	ct := ctClient(srv, admin)

	// The bucket must exist and let CloudTrail write.
	_, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String("no-such-bucket")})
	testkit.RequireAWSError(t, err, "S3BucketDoesNotExistException", http.StatusBadRequest)
	trailBucket(t, s3c, "closed-bucket", "")
	_, err = ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String("closed-bucket")})
	testkit.RequireAWSError(t, err, "InsufficientS3BucketPolicyException", http.StatusBadRequest)
	trailBucket(t, s3c, "wrong-dir-bucket", trailBucketPolicy("wrong-dir-bucket", "AWSLogs/999999999999"))
	_, err = ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String("wrong-dir-bucket")})
	testkit.RequireAWSError(t, err, "InsufficientS3BucketPolicyException", http.StatusBadRequest)

	trailBucket(t, s3c, "trail-bucket", trailBucketPolicy("trail-bucket", "AWSLogs/"+acct, "audit/AWSLogs/"+acct))
	created, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String("trail-bucket")})
	require.NoError(t, err)
	arn := "arn:aws:cloudtrail:us-east-1:" + acct + ":trail/main"
	assert.Equal(t, arn, aws.ToString(created.TrailARN))
	assert.True(t, aws.ToBool(created.IncludeGlobalServiceEvents))
	assert.False(t, aws.ToBool(created.IsMultiRegionTrail))
	_, err = ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String("trail-bucket")})
	testkit.RequireAWSError(t, err, "TrailAlreadyExistsException", http.StatusBadRequest)

	got, err := ct.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String(arn)})
	require.NoError(t, err)
	assert.Equal(t, "us-east-1", aws.ToString(got.Trail.HomeRegion))
	assert.Equal(t, "trail-bucket", aws.ToString(got.Trail.S3BucketName))
	described, err := ct.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	require.NoError(t, err)
	require.Len(t, described.TrailList, 1)
	assert.Equal(t, arn, aws.ToString(described.TrailList[0].TrailARN))

	// A new trail does not log until started.
	status, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("main")})
	require.NoError(t, err)
	assert.False(t, aws.ToBool(status.IsLogging))
	_, err = ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")})
	require.NoError(t, err)
	_, err = sts.NewFromConfig(srv.Config(admin)).GetCallerIdentity(ctx, nil)
	require.NoError(t, err)
	_, err = s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String("data.txt"), Body: strings.NewReader("x")})
	require.NoError(t, err)
	n, err := srv.API.DeliverTrailLogs(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)

	records := logRecords(t, s3c, "trail-bucket", "AWSLogs/"+acct+"/", acct)
	assert.Contains(t, names(records), "GetCallerIdentity")
	assert.Contains(t, names(records), "StartLogging")
	// PutObject is a data event: not selected by the default selectors.
	assert.NotContains(t, names(records), "PutObject")
	status, err = ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("main")})
	require.NoError(t, err)
	assert.True(t, aws.ToBool(status.IsLogging))
	assert.NotNil(t, status.LatestDeliveryTime)
	assert.NotNil(t, status.StartLoggingTime)

	// S3 data events when the selectors ask for them, under a key prefix.
	_, err = ct.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("main"), S3KeyPrefix: aws.String("audit")})
	require.NoError(t, err)
	sel, err := ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String("main"),
		EventSelectors: []cttypes.EventSelector{{ReadWriteType: cttypes.ReadWriteTypeWriteOnly, IncludeManagementEvents: aws.Bool(false),
			DataResources: []cttypes.DataResource{{Type: aws.String("AWS::S3::Object"), Values: []string{"arn:aws:s3:::trail-bucket/data"}}}}}})
	require.NoError(t, err)
	assert.Equal(t, arn, aws.ToString(sel.TrailARN))
	gotSel, err := ct.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String("main")})
	require.NoError(t, err)
	require.Len(t, gotSel.EventSelectors, 1)
	assert.Equal(t, cttypes.ReadWriteTypeWriteOnly, gotSel.EventSelectors[0].ReadWriteType)
	_, err = s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String("data/2.txt"), Body: strings.NewReader("y")})
	require.NoError(t, err)
	_, err = s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String("data/2.txt")})
	require.NoError(t, err)
	_, err = s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String("other.txt"), Body: strings.NewReader("z")})
	require.NoError(t, err)
	_, err = srv.API.DeliverTrailLogs(ctx)
	require.NoError(t, err)
	data := logRecords(t, s3c, "trail-bucket", "audit/AWSLogs/"+acct+"/", acct)
	// Only the selected write (UpdateTrail's own record may be there too, or
	// not: trails select records as they reach history, within half a second).
	var put map[string]any
	for _, r := range data {
		assert.Contains(t, []string{"UpdateTrail", "PutObject"}, r["eventName"])
		if r["eventName"] == "PutObject" {
			require.Nil(t, put, "one PutObject selected")
			put = r
		}
	}
	require.NotNil(t, put)
	assert.Equal(t, "Data", put["eventCategory"])
	assert.Equal(t, false, put["managementEvent"])
	assert.Equal(t, "data/2.txt", path(put, "requestParameters", "key"))
	assert.Contains(t, put["resources"], map[string]any{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::trail-bucket/data/2.txt", "accountId": acct})
	// Data events never reach event history.
	assert.Empty(t, lookup(t, ct, cttypes.LookupAttributeKeyEventName, "PutObject"))

	// Stopped, the trail delivers nothing more.
	_, err = ct.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("main")})
	require.NoError(t, err)
	_, err = s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String("data/3.txt"), Body: strings.NewReader("y")})
	require.NoError(t, err)
	n, err = srv.API.DeliverTrailLogs(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)

	_, err = ct.DeleteTrail(ctx, &cloudtrail.DeleteTrailInput{Name: aws.String("main")})
	require.NoError(t, err)
	_, err = ct.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String("main")})
	testkit.RequireAWSError(t, err, "TrailNotFoundException", http.StatusBadRequest)
}

func TestTrail_Errors(t *testing.T) {
	ctx := context.Background()
	srv := apitest.New(t)
	admin := srv.AdminCredentials()
	acct := srv.ManagementAccountID()
	s3c := testkit.S3Client(srv, admin)
	ct := ctClient(srv, admin)
	trailBucket(t, s3c, "trail-bucket", trailBucketPolicy("trail-bucket", "AWSLogs/"+acct))
	bucket := aws.String("trail-bucket")

	for _, name := range []string{"a", "-start", "end-", "two..dots", "192.168.0.1", strings.Repeat("n", 129)} {
		_, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String(name), S3BucketName: bucket})
		testkit.RequireAWSError(t, err, "InvalidTrailNameException", http.StatusBadRequest)
	}
	_, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("kms"), S3BucketName: bucket, KmsKeyId: aws.String("alias/none")})
	testkit.RequireAWSError(t, err, "KmsKeyNotFoundException", http.StatusBadRequest)
	for i := range 5 {
		_, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("t" + string(rune('a'+i)) + "x"), S3BucketName: bucket})
		require.NoError(t, err)
	}
	_, err = ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("sixth"), S3BucketName: bucket})
	testkit.RequireAWSError(t, err, "MaximumNumberOfTrailsExceededException", http.StatusBadRequest)

	_, err = ct.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String("missing")})
	testkit.RequireAWSError(t, err, "TrailNotFoundException", http.StatusBadRequest)
	_, err = ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("arn:aws:cloudtrail:us-east-1:" + acct + ":nottrail/x")})
	testkit.RequireAWSError(t, err, "CloudTrailARNInvalidException", http.StatusBadRequest)
	_, err = ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("missing")})
	testkit.RequireAWSError(t, err, "TrailNotFoundException", http.StatusBadRequest)
	_, err = ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String("tax"),
		EventSelectors: []cttypes.EventSelector{{DataResources: []cttypes.DataResource{{Type: aws.String("AWS::S3::Object"), Values: []string{"bucket/*"}}}}}})
	testkit.RequireAWSError(t, err, "InvalidEventSelectorsException", http.StatusBadRequest)
	_, err = ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String("tax"), EventSelectors: []cttypes.EventSelector{}})
	testkit.RequireAWSError(t, err, "InvalidEventSelectorsException", http.StatusBadRequest)
	_, err = ct.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String("missing")})
	testkit.RequireAWSError(t, err, "TrailNotFoundException", http.StatusBadRequest)
	_, err = ct.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("tax"), S3BucketName: aws.String("no-such-bucket")})
	testkit.RequireAWSError(t, err, "S3BucketDoesNotExistException", http.StatusBadRequest)
	_, err = ct.DeleteTrail(ctx, &cloudtrail.DeleteTrailInput{Name: aws.String("missing")})
	testkit.RequireAWSError(t, err, "TrailNotFoundException", http.StatusBadRequest)
	// A trail changes only from its home region.
	west := cloudtrail.NewFromConfig(srv.Config(admin), func(o *cloudtrail.Options) { o.Region = "us-west-2" })
	_, err = west.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("arn:aws:cloudtrail:us-east-1:" + acct + ":trail/tax")})
	testkit.RequireAWSError(t, err, "InvalidHomeRegionException", http.StatusBadRequest)
	// Default selectors: every management event.
	sel, err := ct.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String("tax")})
	require.NoError(t, err)
	require.Len(t, sel.EventSelectors, 1)
	assert.Equal(t, cttypes.ReadWriteTypeAll, sel.EventSelectors[0].ReadWriteType)
	assert.True(t, aws.ToBool(sel.EventSelectors[0].IncludeManagementEvents))
	// Trail management needs permission like any other call.
	user := testkit.CreateUser(t, srv, acct, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:Get*","Resource":"*"}]}`)
	_, err = ctClient(srv, user).DeleteTrail(ctx, &cloudtrail.DeleteTrailInput{Name: aws.String("tax")})
	testkit.RequireAWSError(t, err, "AccessDeniedException", http.StatusBadRequest)
	_, err = ctClient(srv, user).GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String("tax")})
	require.NoError(t, err)
}

func TestOrganizationTrail_SeesMemberCalls(t *testing.T) {
	ctx := context.Background()
	srv := apitest.New(t)
	admin := srv.AdminCredentials()
	acct := srv.ManagementAccountID()
	member := srv.MemberAccount(t, "workload")
	orgs := organizations.NewFromConfig(srv.Config(admin))
	org, err := orgs.DescribeOrganization(ctx, nil)
	require.NoError(t, err)
	orgID := aws.ToString(org.Organization.Id)
	s3c := testkit.S3Client(srv, admin)
	ct := ctClient(srv, admin)
	trailBucket(t, s3c, "org-trail-bucket", trailBucketPolicy("org-trail-bucket", "AWSLogs/"+acct, "AWSLogs/"+orgID))
	in := &cloudtrail.CreateTrailInput{Name: aws.String("org"), S3BucketName: aws.String("org-trail-bucket"),
		IsOrganizationTrail: aws.Bool(true), IsMultiRegionTrail: aws.Bool(true)}

	// A member cannot create one; the management account needs trusted access first.
	memberAdmin := srv.AssumeAccessRole(t, member)
	_, err = ctClient(srv, memberAdmin).CreateTrail(ctx, in)
	testkit.RequireAWSError(t, err, "NotOrganizationMasterAccountException", http.StatusBadRequest)
	_, err = ct.CreateTrail(ctx, in)
	testkit.RequireAWSError(t, err, "CloudTrailAccessNotEnabledException", http.StatusBadRequest)
	_, err = orgs.EnableAWSServiceAccess(ctx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String("cloudtrail.amazonaws.com")})
	require.NoError(t, err)
	created, err := ct.CreateTrail(ctx, in)
	require.NoError(t, err)
	assert.True(t, aws.ToBool(created.IsOrganizationTrail))
	_, err = ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("org")})
	require.NoError(t, err)

	// The member sees the trail and cannot stop it.
	mct := ctClient(srv, memberAdmin)
	described, err := mct.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	require.NoError(t, err)
	require.Len(t, described.TrailList, 1)
	assert.Equal(t, created.TrailARN, described.TrailList[0].TrailARN)
	_, err = mct.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: created.TrailARN})
	testkit.RequireAWSError(t, err, "NotOrganizationMasterAccountException", http.StatusBadRequest)

	// A member's call reaches the organization trail, under the organization id.
	ms3 := testkit.S3Client(srv, memberAdmin)
	_, err = ms3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("member-bucket")})
	require.NoError(t, err)
	_, err = srv.API.DeliverTrailLogs(ctx)
	require.NoError(t, err)
	records := logRecords(t, s3c, "org-trail-bucket", "AWSLogs/"+orgID+"/"+member+"/", member)
	assert.Contains(t, names(records), "CreateBucket")
	for _, r := range records {
		assert.Equal(t, member, r["recipientAccountId"])
	}
	mgmt := logRecords(t, s3c, "org-trail-bucket", "AWSLogs/"+orgID+"/"+acct+"/", acct)
	assert.Contains(t, names(mgmt), "StartLogging")
}
