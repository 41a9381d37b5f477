package awsapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api"
	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/console/internal/awsapi"
	"github.com/rootaccess/emulator/pkg/policy"
)

// The client is judged against aws-sdk-go-v2's own clients: each call is
// made both ways, on the same world, and must read the same.

func client(srv *apitest.Server, creds aws.Credentials) *awsapi.Client {
	return awsapi.New(srv.API.Handler(), creds)
}

// requireSameError checks that err is an *awsapi.Error with code, and that
// the SDK, making the same call, read the same code and message.
func requireSameError(t *testing.T, err, sdkErr error, code string, status int) {
	t.Helper()
	var got *awsapi.Error
	require.True(t, errors.As(err, &got), "an AWS error, not %v", err)
	var want smithy.APIError
	require.True(t, errors.As(sdkErr, &want), "the SDK reads an AWS error too, not %v", sdkErr)
	assert.Equal(t, code, got.Code)
	assert.Equal(t, want.ErrorCode(), got.Code, "the SDK's code")
	assert.Equal(t, want.ErrorMessage(), got.Message, "the SDK's message")
	assert.NotEmpty(t, got.Message)
	assert.Equal(t, status, got.StatusCode)
	assert.Equal(t, got.Code+": "+got.Message, got.Error())
}

func TestClient_ErrorsOfEachProtocol(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := srv.AdminCredentials()
	cfg := srv.Config(admin)
	c := client(srv, admin)

	t.Run("QuerySTS", func(t *testing.T) {
		wrong := aws.Credentials{AccessKeyID: admin.AccessKeyID, SecretAccessKey: "wrong"}
		_, err := client(srv, wrong).GetCallerIdentity(ctx)
		_, sdkErr := sts.NewFromConfig(srv.Config(wrong)).GetCallerIdentity(ctx, nil)
		requireSameError(t, err, sdkErr, "SignatureDoesNotMatch", http.StatusForbidden)
		// The same key id with its right secret signs right: no signing key
		// derived from the wrong one is reused.
		who, err := c.GetCallerIdentity(ctx)
		require.NoError(t, err)
		assert.Equal(t, srv.ManagementAccountID(), who.Account)
	})
	t.Run("QueryIAM", func(t *testing.T) {
		err := c.GetLoginProfile(ctx)
		_, sdkErr := iam.NewFromConfig(cfg).GetLoginProfile(ctx, &iam.GetLoginProfileInput{})
		requireSameError(t, err, sdkErr, "NoSuchEntity", http.StatusNotFound)
	})
	t.Run("JSON11Organizations", func(t *testing.T) {
		alone := apitest.New(t, apitest.WithoutOrganization())
		_, err := client(alone, alone.AdminCredentials()).DescribeOrganization(ctx)
		_, sdkErr := organizations.NewFromConfig(alone.Config(alone.AdminCredentials())).DescribeOrganization(ctx, nil)
		requireSameError(t, err, sdkErr, "AWSOrganizationsNotInUseException", http.StatusBadRequest)
	})
	t.Run("JSON11CloudTrail", func(t *testing.T) {
		_, err := c.LookupEvents(ctx, 50, awsapi.LookupAttribute{AttributeKey: "Colour", AttributeValue: "blue"})
		_, sdkErr := cloudtrail.NewFromConfig(cfg).LookupEvents(ctx, &cloudtrail.LookupEventsInput{
			LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: "Colour", AttributeValue: aws.String("blue")}}})
		requireSameError(t, err, sdkErr, "InvalidLookupAttributesException", http.StatusBadRequest)
	})
	t.Run("JSON10SQS", func(t *testing.T) {
		// SQS's query-compatible code (x-amzn-query-error) is the one read.
		missing := srv.URL + "/" + srv.ManagementAccountID() + "/no-such-queue"
		_, err := c.GetQueueAttributes(ctx, missing, "Policy")
		_, sdkErr := sqs.NewFromConfig(cfg).GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(missing),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy}})
		requireSameError(t, err, sdkErr, "AWS.SimpleQueueService.NonExistentQueue", http.StatusBadRequest)
	})
	t.Run("RestXMLS3", func(t *testing.T) {
		_, err := c.GetBucketPolicy(ctx, "no-such-bucket-here")
		_, sdkErr := s3Client(srv, admin).GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("no-such-bucket-here")})
		requireSameError(t, err, sdkErr, "NoSuchBucket", http.StatusNotFound)
		// An empty name is refused before any request, as the SDK refuses it.
		err = c.DeleteBucketPolicy(ctx, "")
		require.Error(t, err)
		assert.False(t, errors.As(err, new(*awsapi.Error)), "not an answer of the emulator")
	})
}

func s3Client(srv *apitest.Server, creds aws.Credentials) *s3.Client {
	return s3.NewFromConfig(srv.Config(creds), func(o *s3.Options) { o.UsePathStyle = true })
}

// The listings the pages walk through follow NextToken over several pages
// and see what the SDK's paginators see, each item once.
func TestClient_ListingsFollowNextToken(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	const members, ous = 45, 23 // Organizations' pages hold 20
	sc := api.Scenario{}
	for i := range members {
		sc.Accounts = append(sc.Accounts, api.ScenarioAccount{Name: fmt.Sprintf("member-%02d", i)})
	}
	srv.ApplyScenario(t, sc)
	root := srv.RootID(t)
	for i := range ous {
		srv.CreateOU(t, root, fmt.Sprintf("ou-%02d", i))
	}
	c := client(srv, srv.AdminCredentials())
	orgs := srv.Organizations()

	var want []string
	p := organizations.NewListAccountsPaginator(orgs, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		for _, a := range out.Accounts {
			want = append(want, aws.ToString(a.Id)+" "+aws.ToString(a.Name)+" "+aws.ToString(a.Email)+" "+string(a.State))
		}
	}
	require.Len(t, want, members+1, "the management account and the members")

	accounts, err := c.ListAccounts(ctx)
	require.NoError(t, err)
	var got []string
	for _, a := range accounts {
		got = append(got, a.ID+" "+a.Name+" "+a.Email+" "+a.State)
	}
	assert.Equal(t, want, got)

	first, next, err := c.ListAccountsPage(ctx, "")
	require.NoError(t, err)
	assert.Len(t, first, 20)
	assert.NotEmpty(t, next, "a token for the next page")

	underRoot, err := c.ListAccountsForParent(ctx, root)
	require.NoError(t, err)
	assert.Len(t, underRoot, members+1)

	units, err := c.ListOrganizationalUnitsForParent(ctx, root)
	require.NoError(t, err)
	names := map[string]bool{}
	for _, ou := range units {
		names[ou.Name] = true
		assert.NotEmpty(t, ou.ID)
	}
	assert.Len(t, units, ous)
	assert.Len(t, names, ous, "each OU once")

	_, err = c.ListAccountsForParent(ctx, "ou-none-00000000")
	var apiErr *awsapi.Error
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.NotEmpty(t, apiErr.Code)
}

// Each answer the pages read holds what the SDK reads from it.
func TestClient_ReadsWhatTheSDKReads(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := srv.AdminCredentials()
	cfg := srv.Config(admin)
	c := client(srv, admin)
	legacy := srv.LegacyAccount(t, "legacy")
	bucket := srv.LockedBucket(t)
	queue := srv.LockedQueue(t)

	t.Run("Features", func(t *testing.T) {
		principals, err := c.ListAWSServiceAccessForOrganization(ctx)
		require.NoError(t, err)
		assert.Contains(t, principals, "iam.amazonaws.com")
		features, err := c.ListOrganizationsFeatures(ctx)
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{awsapi.FeatureRootCredentialsManagement, awsapi.FeatureRootSessions}, features)
		require.NoError(t, c.DisableOrganizationsRootSessions(ctx))
		features, err = c.ListOrganizationsFeatures(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{awsapi.FeatureRootCredentialsManagement}, features)
		require.NoError(t, c.EnableOrganizationsRootSessions(ctx))
	})

	t.Run("AssumeRootAndTheRootUsersCredentials", func(t *testing.T) {
		creds, err := c.AssumeRoot(ctx, legacy.AccountID, policy.ARN(policy.AuditRootUserCredentials))
		require.NoError(t, err)
		now := srv.Clock.Now()
		assert.True(t, creds.Expires.After(now) && !creds.Expires.After(now.Add(900*time.Second)), "a root session lasts at most 900 s: %s", creds.Expires)
		root := client(srv, creds)
		who, err := root.GetCallerIdentity(ctx)
		require.NoError(t, err)
		assert.Equal(t, "arn:aws:iam::"+legacy.AccountID+":root", who.Arn)

		sdkRoot := iam.NewFromConfig(srv.Config(creds))
		summary, err := root.GetAccountSummary(ctx)
		require.NoError(t, err)
		sdkSummary, err := sdkRoot.GetAccountSummary(ctx, nil)
		require.NoError(t, err)
		want := map[string]int{}
		for k, v := range sdkSummary.SummaryMap {
			want[k] = int(v)
		}
		assert.Equal(t, want, summary)
		assert.Equal(t, 1, summary["AccountPasswordPresent"])

		require.NoError(t, root.GetLoginProfile(ctx))
		keys, err := root.ListAccessKeys(ctx)
		require.NoError(t, err)
		sdkKeys, err := sdkRoot.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
		require.NoError(t, err)
		require.Len(t, keys, 1)
		assert.Equal(t, aws.ToString(sdkKeys.AccessKeyMetadata[0].AccessKeyId), keys[0].AccessKeyID)
		assert.Equal(t, string(sdkKeys.AccessKeyMetadata[0].Status), keys[0].Status)
		certs, err := root.ListSigningCertificates(ctx)
		require.NoError(t, err)
		sdkCerts, err := sdkRoot.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{})
		require.NoError(t, err)
		require.Len(t, certs, 1)
		assert.Equal(t, aws.ToString(sdkCerts.Certificates[0].CertificateId), certs[0].CertificateID)
		assert.Equal(t, string(sdkCerts.Certificates[0].Status), certs[0].Status)
		mfa, err := root.ListMFADevices(ctx)
		require.NoError(t, err)
		sdkMFA, err := sdkRoot.ListMFADevices(ctx, &iam.ListMFADevicesInput{})
		require.NoError(t, err)
		require.Len(t, mfa, 1)
		assert.Equal(t, aws.ToString(sdkMFA.MFADevices[0].SerialNumber), mfa[0].SerialNumber)
	})

	t.Run("Organization", func(t *testing.T) {
		org, err := c.DescribeOrganization(ctx)
		require.NoError(t, err)
		sdkOrg, err := srv.Organizations().DescribeOrganization(ctx, nil)
		require.NoError(t, err)
		assert.Equal(t, aws.ToString(sdkOrg.Organization.Id), org.ID)
		assert.Equal(t, srv.ManagementAccountID(), org.MasterAccountID)
		roots, err := c.ListRoots(ctx)
		require.NoError(t, err)
		require.Len(t, roots, 1)
		assert.Equal(t, srv.RootID(t), roots[0].ID)
		assert.Equal(t, "Root", roots[0].Name)
	})

	t.Run("BucketsAndQueuesThroughTheAccessRole", func(t *testing.T) {
		role, err := c.AssumeRole(ctx, "arn:aws:iam::"+bucket.AccountID+":role/OrganizationAccountAccessRole", "console")
		require.NoError(t, err)
		member := client(srv, role)
		buckets, err := member.ListBuckets(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{bucket.Bucket}, buckets)
		_, err = member.GetBucketPolicy(ctx, bucket.Bucket)
		_, sdkErr := s3Client(srv, role).GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket.Bucket)})
		requireSameError(t, err, sdkErr, "AccessDenied", http.StatusForbidden)

		unlock, err := c.AssumeRoot(ctx, bucket.AccountID, policy.ARN(policy.S3UnlockBucketPolicy))
		require.NoError(t, err)
		doc, err := client(srv, unlock).GetBucketPolicy(ctx, bucket.Bucket)
		require.NoError(t, err)
		sdkDoc, err := s3Client(srv, unlock).GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket.Bucket)})
		require.NoError(t, err)
		assert.Equal(t, aws.ToString(sdkDoc.Policy), doc)
		require.NoError(t, client(srv, unlock).DeleteBucketPolicy(ctx, bucket.Bucket))
		_, err = member.GetBucketPolicy(ctx, bucket.Bucket)
		_, sdkErr = s3Client(srv, role).GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket.Bucket)})
		requireSameError(t, err, sdkErr, "NoSuchBucketPolicy", http.StatusNotFound)

		queueRole, err := c.AssumeRole(ctx, "arn:aws:iam::"+queue.AccountID+":role/OrganizationAccountAccessRole", "console")
		require.NoError(t, err)
		queues, err := client(srv, queueRole).ListQueues(ctx)
		require.NoError(t, err)
		require.Len(t, queues, 1)
		_, err = client(srv, queueRole).GetQueueAttributes(ctx, queues[0], "Policy")
		_, sdkErr = sqs.NewFromConfig(srv.Config(queueRole)).GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl: aws.String(queues[0]), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy}})
		requireSameError(t, err, sdkErr, "AccessDenied", http.StatusForbidden)

		unlockQueue, err := c.AssumeRoot(ctx, queue.AccountID, policy.ARN(policy.SQSUnlockQueuePolicy))
		require.NoError(t, err)
		attrs, err := client(srv, unlockQueue).GetQueueAttributes(ctx, queues[0], "Policy")
		require.NoError(t, err)
		assert.Contains(t, attrs["Policy"], `"Deny"`)
		require.NoError(t, client(srv, unlockQueue).SetQueueAttributes(ctx, queues[0], map[string]string{"Policy": ""}))
		attrs, err = client(srv, queueRole).GetQueueAttributes(ctx, queues[0], "Policy")
		require.NoError(t, err, "the access role reads the queue again")
		assert.Empty(t, attrs["Policy"])
	})

	t.Run("LookupEvents", func(t *testing.T) {
		require.NoError(t, srv.API.FlushRecords(ctx))
		filter := awsapi.LookupAttribute{AttributeKey: "EventName", AttributeValue: "AssumeRoot"}
		events, err := c.LookupEvents(ctx, 50, filter)
		require.NoError(t, err)
		sdkOut, err := cloudtrail.NewFromConfig(cfg).LookupEvents(ctx, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(50),
			LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("AssumeRoot")}}})
		require.NoError(t, err)
		require.NotEmpty(t, events)
		require.Len(t, events, len(sdkOut.Events))
		for i, e := range sdkOut.Events {
			assert.Equal(t, aws.ToString(e.EventId), events[i].EventID)
			assert.Equal(t, "AssumeRoot", events[i].EventName)
			assert.True(t, aws.ToTime(e.EventTime).Equal(events[i].EventTime), "%s, the SDK %s", events[i].EventTime, aws.ToTime(e.EventTime))
			assert.Equal(t, aws.ToString(e.EventSource), events[i].EventSource)
			assert.Equal(t, aws.ToString(e.Username), events[i].Username)
			assert.Equal(t, aws.ToString(e.AccessKeyId), events[i].AccessKeyID)
			assert.JSONEq(t, aws.ToString(e.CloudTrailEvent), events[i].CloudTrailEvent)
		}
	})
}
