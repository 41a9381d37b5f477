package iam_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
	"github.com/rootaccess/emulator/pkg/policy"
)

func TestIAMPolicies_GetPolicy(t *testing.T) {
	srv := apitest.New(t)
	client := iam.NewFromConfig(srv.Config(srv.AdminCredentials()))
	ctx := context.Background()
	for _, p := range policy.TaskPolicies() {
		out, err := client.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(p.ARN)})
		require.NoError(t, err, p.Name)
		got := out.Policy
		assert.Equal(t, p.Name, aws.ToString(got.PolicyName))
		assert.Equal(t, p.ARN, aws.ToString(got.Arn))
		assert.Equal(t, p.PolicyID, aws.ToString(got.PolicyId))
		assert.Equal(t, "/root-task/", aws.ToString(got.Path))
		assert.Equal(t, "v1", aws.ToString(got.DefaultVersionId))
		assert.Equal(t, int32(0), aws.ToInt32(got.AttachmentCount))
		assert.Equal(t, int32(0), aws.ToInt32(got.PermissionsBoundaryUsageCount))
		assert.True(t, got.IsAttachable)
		assert.True(t, p.CreateDate.Equal(aws.ToTime(got.CreateDate)))
		assert.True(t, p.UpdateDate.Equal(aws.ToTime(got.UpdateDate)))
	}
	out, err := client.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials")})
	require.NoError(t, err)
	assert.Equal(t, "ANPAZKAPJZG4BDSCREYVS", aws.ToString(out.Policy.PolicyId))
	assert.Equal(t, time.Date(2024, 11, 6, 22, 27, 58, 0, time.UTC), aws.ToTime(out.Policy.CreateDate))
}

func TestIAMPolicies_GetPolicyVersion(t *testing.T) {
	srv := apitest.New(t)
	client := iam.NewFromConfig(srv.Config(srv.AdminCredentials()))
	ctx := context.Background()
	for _, p := range policy.TaskPolicies() {
		out, err := client.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(p.ARN), VersionId: aws.String("v1")})
		require.NoError(t, err, p.Name)
		v := out.PolicyVersion
		assert.Equal(t, "v1", aws.ToString(v.VersionId))
		assert.True(t, v.IsDefaultVersion)
		assert.True(t, p.CreateDate.Equal(aws.ToTime(v.CreateDate)))
		doc := aws.ToString(v.Document)
		// RFC 3986: only unreserved characters stay as they are.
		assert.Regexp(t, `^([A-Za-z0-9._~-]|%[0-9A-F]{2})+$`, doc)
		decoded, err := url.PathUnescape(doc)
		require.NoError(t, err)
		assert.Equal(t, p.Raw, decoded)
		// The decoded text is the very policy AssumeRoot sessions are scoped by.
		parsed, err := policy.Parse([]byte(decoded))
		require.NoError(t, err)
		assert.Equal(t, len(p.Document.Statements), len(parsed.Statements))
	}
	_, err := client.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{
		PolicyArn: aws.String(policy.ARN(policy.S3UnlockBucketPolicy)), VersionId: aws.String("v2")})
	testkit.RequireAWSError(t, err, "NoSuchEntity", 404)
	_, err = client.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{
		PolicyArn: aws.String(policy.ARN(policy.S3UnlockBucketPolicy)), VersionId: aws.String("1")})
	testkit.RequireAWSError(t, err, "ValidationError", 400)
}

func TestIAMPolicies_UnknownAndMalformedARNs(t *testing.T) {
	srv := apitest.New(t)
	client := iam.NewFromConfig(srv.Config(srv.AdminCredentials()))
	ctx := context.Background()
	for _, arn := range []string{
		"arn:aws:iam::aws:policy/root-task/IAMDeleteEverything",
		"arn:aws:iam::aws:policy/ReadOnlyAccess",
		"arn:aws:iam::111111111111:policy/Custom",
		"arn:aws:iam::aws:policy/root-task/iamauditrootusercredentials",
	} {
		_, err := client.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
		testkit.RequireAWSError(t, err, "NoSuchEntity", 404)
		var typed *iamtypes.NoSuchEntityException
		assert.ErrorAs(t, err, &typed)
		_, err = client.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v1")})
		testkit.RequireAWSError(t, err, "NoSuchEntity", 404)
	}
	for _, arn := range []string{
		"not-an-arn-but-long-enough",
		"arn:aws:iam::aws:role/root-task/IAMAuditRootUserCredentials",
		"arn:aws:s3:::bucket/policy/IAMAuditRootUserCredentials",
		"arn:aws:iam::12345:policy/root-task/IAMAuditRootUserCredentials",
	} {
		_, err := client.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
		testkit.RequireAWSError(t, err, "InvalidInput", 400)
		var typed *iamtypes.InvalidInputException
		assert.ErrorAs(t, err, &typed)
	}
	_, err := client.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam")})
	testkit.RequireAWSError(t, err, "ValidationError", 400)

	// Required members, which the SDK would refuse to send.
	status, e := testkit.PostQueryError(t, srv, srv.AdminCredentials(), "iam", "Action=GetPolicy&Version=2010-05-08")
	assert.Equal(t, 400, status)
	assert.Equal(t, "ValidationError", e.Error.Code)
	status, e = testkit.PostQueryError(t, srv, srv.AdminCredentials(), "iam",
		"Action=GetPolicyVersion&Version=2010-05-08&PolicyArn="+url.QueryEscape(policy.ARN(policy.S3UnlockBucketPolicy)))
	assert.Equal(t, 400, status)
	assert.Equal(t, "ValidationError", e.Error.Code)
}

func TestIAMPolicies_ListPolicies(t *testing.T) {
	srv := apitest.New(t)
	client := iam.NewFromConfig(srv.Config(srv.AdminCredentials()))
	ctx := context.Background()
	names := func(ps []iamtypes.Policy) []string {
		out := []string{}
		for _, p := range ps {
			out = append(out, aws.ToString(p.PolicyName))
		}
		return out
	}
	// The AWS managed policies, by name: the attachable ones and the root-task ones.
	all := []string{"AdministratorAccess", "AmazonS3FullAccess", "AmazonS3ReadOnlyAccess", "AmazonSQSFullAccess",
		"IAMAuditRootUserCredentials", "IAMCreateRootUserPassword", "IAMDeleteRootUserCredentials", "IAMFullAccess",
		"PowerUserAccess", "S3UnlockBucketPolicy", "SQSUnlockQueuePolicy"}
	tasks := []string{"IAMAuditRootUserCredentials", "IAMCreateRootUserPassword", "IAMDeleteRootUserCredentials",
		"S3UnlockBucketPolicy", "SQSUnlockQueuePolicy"}

	for _, in := range []*iam.ListPoliciesInput{
		nil,
		{Scope: iamtypes.PolicyScopeTypeAws},
		{PathPrefix: aws.String("/")},
		{PolicyUsageFilter: iamtypes.PolicyUsageTypePermissionsPolicy},
	} {
		out, err := client.ListPolicies(ctx, in)
		require.NoError(t, err)
		assert.Equal(t, all, names(out.Policies), "%+v", in)
		assert.False(t, out.IsTruncated)
		assert.Nil(t, out.Marker)
	}
	out, err := client.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeAll, PathPrefix: aws.String("/root-task/")})
	require.NoError(t, err)
	assert.Equal(t, tasks, names(out.Policies))
	for _, in := range []*iam.ListPoliciesInput{
		{Scope: iamtypes.PolicyScopeTypeLocal},
		{OnlyAttached: true},
		{PathPrefix: aws.String("/service-role/")},
	} {
		out, err := client.ListPolicies(ctx, in)
		require.NoError(t, err)
		assert.Empty(t, out.Policies, "%+v", in)
		assert.False(t, out.IsTruncated)
	}

	// Paging two at a time.
	var got []string
	var marker *string
	for pages := 0; ; pages++ {
		require.Less(t, pages, 6)
		out, err := client.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeAws, MaxItems: aws.Int32(2), Marker: marker})
		require.NoError(t, err)
		assert.LessOrEqual(t, len(out.Policies), 2)
		got = append(got, names(out.Policies)...)
		if !out.IsTruncated {
			assert.Nil(t, out.Marker)
			break
		}
		require.NotNil(t, out.Marker)
		marker = out.Marker
	}
	assert.Equal(t, all, got)
	// The SDK's paginator follows the same markers.
	p := iam.NewListPoliciesPaginator(client, &iam.ListPoliciesInput{MaxItems: aws.Int32(3)})
	got = nil
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		got = append(got, names(out.Policies)...)
	}
	assert.Equal(t, all, got)

	// A marker from another listing, or none we issued, is refused.
	first, err := client.ListPolicies(ctx, &iam.ListPoliciesInput{MaxItems: aws.Int32(1)})
	require.NoError(t, err)
	_, err = client.ListPolicies(ctx, &iam.ListPoliciesInput{MaxItems: aws.Int32(1), Scope: iamtypes.PolicyScopeTypeAws, Marker: first.Marker})
	testkit.RequireAWSError(t, err, "ValidationError", 400)
	_, err = client.ListPolicies(ctx, &iam.ListPoliciesInput{Marker: aws.String("garbage")})
	testkit.RequireAWSError(t, err, "ValidationError", 400)

	for _, in := range []*iam.ListPoliciesInput{
		{MaxItems: aws.Int32(0)},
		{MaxItems: aws.Int32(1001)},
		{Scope: "Everything"},
		{PathPrefix: aws.String("root-task")},
		{PolicyUsageFilter: "Sometimes"},
	} {
		_, err := client.ListPolicies(ctx, in)
		testkit.RequireAWSError(t, err, "ValidationError", 400)
	}
}

// TestIAMPolicies_RootSessionCannotRead: no task policy lets a root session read policies.
func TestIAMPolicies_RootSessionCannotRead(t *testing.T) {
	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	srv.EnableRootAccess(t)
	root := srv.RootSession(t, member, policy.AuditRootUserCredentials)
	_, err := iam.NewFromConfig(srv.Config(root)).GetPolicy(context.Background(),
		&iam.GetPolicyInput{PolicyArn: aws.String(policy.ARN(policy.AuditRootUserCredentials))})
	testkit.RequireAWSError(t, err, "AccessDenied", 403)
}
