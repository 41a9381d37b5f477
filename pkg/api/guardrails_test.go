package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
	"github.com/rootaccess/emulator/pkg/policy"
	"github.com/rootaccess/emulator/pkg/store"
)

// denyRootUnlessAssumedRoot is AWS's sample SCP that stops member accounts'
// root users unless they come through a root session (aws-samples, "Prevent
// root credentials management in member accounts"): the root's own keys are
// refused, AssumeRoot sessions are not.
const denyRootUnlessAssumedRoot = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "DenyRootUserUnlessAssumedRoot",
    "Effect": "Deny",
    "Action": "*",
    "Resource": "*",
    "Condition": {
      "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"},
      "Null": {"aws:AssumedRoot": "true"}
    }
  }]
}`

const denyDeleteBucketPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteBucketPolicy","Resource":"*"}]}`

// lockedBucket creates a bucket of account, in the store, under a policy
// that denies everyone everything.
func lockedBucket(t *testing.T, srv *apitest.Server, account, name string) {
	t.Helper()
	err := srv.Store.Update(context.Background(), func(tx *store.Tx) error {
		_, err := tx.CreateBucket(store.Bucket{Name: name, Owner: account, Region: "us-east-1",
			Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*",` +
				`"Resource":["arn:aws:s3:::` + name + `","arn:aws:s3:::` + name + `/*"]}]}`})
		return err
	})
	require.NoError(t, err)
}

func deleteBucketPolicy(srv *apitest.Server, creds aws.Credentials, bucket string) error {
	_, err := testkit.S3Client(srv, creds).DeleteBucketPolicy(context.Background(), &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)})
	return err
}

// requireDeniedBy asserts an AccessDenied whose message has AWS's words
// for the policy type that refused.
func requireDeniedBy(t *testing.T, err error, words string) {
	t.Helper()
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr, "%v", err)
	assert.Contains(t, []string{"AccessDenied", "AccessDeniedException"}, apiErr.ErrorCode(), "%v", err)
	assert.Contains(t, apiErr.ErrorMessage(), words)
}

const explicitSCPDeny = "with an explicit deny in a service control policy"

// TestGuardrails_RootDenySCPLetsRootSessionsThrough: AWS's sample SCP on an
// OU lets an S3UnlockBucketPolicy root session unlock a bucket there, while
// the account's legacy root key is refused.
func TestGuardrails_RootDenySCPLetsRootSessionsThrough(t *testing.T) {
	srv := apitest.New(t)
	srv.EnableRootAccess(t)
	member := srv.MemberAccount(t, "guarded")
	ou := srv.CreateOU(t, srv.RootID(t), "guarded")
	srv.MoveAccount(t, member, ou)
	srv.EnablePolicyType(t, orgtypes.PolicyTypeServiceControlPolicy)
	srv.AttachNewPolicy(t, orgtypes.PolicyTypeServiceControlPolicy, "deny-root", denyRootUnlessAssumedRoot, ou)
	lockedBucket(t, srv, member, "locked-a")
	lockedBucket(t, srv, member, "locked-b")

	legacy := rootKey(t, srv, member)
	err := deleteBucketPolicy(srv, legacy, "locked-a")
	requireDeniedBy(t, err, explicitSCPDeny)
	_, err = sts.NewFromConfig(srv.Config(legacy)).GetCallerIdentity(context.Background(), nil)
	require.NoError(t, err, "GetCallerIdentity needs no permission")
	_, err = iam.NewFromConfig(srv.Config(legacy)).GetAccountSummary(context.Background(), nil)
	requireDeniedBy(t, err, explicitSCPDeny)

	session := srv.RootSession(t, member, policy.S3UnlockBucketPolicy)
	require.NoError(t, deleteBucketPolicy(srv, session, "locked-a"))

	// Back under the root, the legacy key works again: the SCP sits on the OU only.
	srv.MoveAccount(t, member, srv.RootID(t))
	require.NoError(t, deleteBucketPolicy(srv, legacy, "locked-b"))
}

// TestGuardrails_SCPOnOneOU: an SCP denying s3:DeleteBucketPolicy on one OU
// blocks the root session of an account under it (through nested OUs) but
// not one in a sibling OU; the management account is never restricted.
func TestGuardrails_SCPOnOneOU(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	srv.EnableRootAccess(t)
	rootID := srv.RootID(t)
	restricted := srv.CreateOU(t, rootID, "restricted")
	nested := srv.CreateOU(t, restricted, "nested")
	sibling := srv.CreateOU(t, rootID, "sibling")
	blocked := srv.MemberAccount(t, "blocked")
	free := srv.MemberAccount(t, "free")
	srv.MoveAccount(t, blocked, nested)
	srv.MoveAccount(t, free, sibling)
	srv.EnablePolicyType(t, orgtypes.PolicyTypeServiceControlPolicy)
	srv.AttachNewPolicy(t, orgtypes.PolicyTypeServiceControlPolicy, "no-unlock", denyDeleteBucketPolicy, restricted)
	lockedBucket(t, srv, blocked, "bucket-blocked")
	lockedBucket(t, srv, free, "bucket-free")

	err := deleteBucketPolicy(srv, srv.RootSession(t, blocked, policy.S3UnlockBucketPolicy), "bucket-blocked")
	requireDeniedBy(t, err, explicitSCPDeny)
	assert.Contains(t, err.Error(), "arn:aws:iam::"+blocked+":root")
	require.NoError(t, deleteBucketPolicy(srv, srv.RootSession(t, free, policy.S3UnlockBucketPolicy), "bucket-free"))

	// Other principals of the blocked account: its OrganizationAccountAccessRole too.
	role := srv.AssumeAccessRole(t, blocked)
	_, err = testkit.S3Client(srv, role).PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("bucket-blocked"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + blocked + `:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-blocked/*"}]}`)})
	require.Error(t, err, "the deny-all bucket policy still holds")
	err = deleteBucketPolicy(srv, role, "bucket-blocked")
	requireDeniedBy(t, err, explicitSCPDeny)

	// The same SCP on the root binds every member, but not the management account.
	srv.AttachNewPolicy(t, orgtypes.PolicyTypeServiceControlPolicy, "no-unlock-anywhere", denyDeleteBucketPolicy, rootID)
	lockedBucket(t, srv, free, "bucket-free-2")
	err = deleteBucketPolicy(srv, srv.RootSession(t, free, policy.S3UnlockBucketPolicy), "bucket-free-2")
	requireDeniedBy(t, err, explicitSCPDeny)
	mgmt := srv.ManagementAccountID()
	_, err = testkit.S3Client(srv, srv.AdminCredentials()).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("mgmt-bucket")})
	require.NoError(t, err)
	_, err = testkit.S3Client(srv, srv.AdminCredentials()).PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("mgmt-bucket"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + mgmt + `:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::mgmt-bucket/*"}]}`)})
	require.NoError(t, err)
	require.NoError(t, deleteBucketPolicy(srv, srv.AdminCredentials(), "mgmt-bucket"), "SCPs never apply to the management account")
	srv.AttachNewPolicy(t, orgtypes.PolicyTypeServiceControlPolicy, "deny-root-mgmt", denyRootUnlessAssumedRoot, rootID)
	_, err = iam.NewFromConfig(srv.Config(rootKey(t, srv, mgmt))).GetAccountSummary(ctx, nil)
	require.NoError(t, err, "not even the management account's root user")
}

// TestGuardrails_AllowListSCP: with FullAWSAccess replaced by an SCP that
// allows only S3, everything else is refused because no SCP allows it.
func TestGuardrails_AllowListSCP(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	member := srv.MemberAccount(t, "allow-list")
	srv.EnablePolicyType(t, orgtypes.PolicyTypeServiceControlPolicy)
	srv.AttachNewPolicy(t, orgtypes.PolicyTypeServiceControlPolicy, "s3-only",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, member)
	_, err := srv.Organizations().DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: aws.String("p-FullAWSAccess"), TargetId: aws.String(member)})
	require.NoError(t, err)

	role := srv.AssumeAccessRole(t, member)
	_, err = testkit.S3Client(srv, role).ListBuckets(ctx, &s3.ListBucketsInput{})
	require.NoError(t, err)
	_, err = iam.NewFromConfig(srv.Config(role)).ListUsers(ctx, &iam.ListUsersInput{})
	requireDeniedBy(t, err, "because no service control policy allows the iam:ListUsers action")
}

// TestGuardrails_RCPBlocksOtherOrganizations: an RCP that denies access
// from outside the organization blocks another organization's principal
// (here a standalone account's user) even where the bucket policy grants
// it, while the organization's own principals keep their access.
func TestGuardrails_RCPBlocksOtherOrganizations(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	org, err := srv.Organizations().DescribeOrganization(ctx, nil)
	require.NoError(t, err)
	orgID := aws.ToString(org.Organization.Id)
	owner := srv.MemberAccount(t, "data")
	colleague := srv.MemberAccount(t, "colleague")
	const outsider = "999988887777"
	require.NoError(t, srv.Store.Update(ctx, func(tx *store.Tx) error {
		return tx.PutAccount(store.Account{ID: outsider, Name: "outsider", Email: "outsider@example.net", CreatedAt: tx.Now()})
	}))
	readAll := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	outsiderUser := testkit.CreateUser(t, srv, outsider, "reader", readAll)
	colleagueUser := testkit.CreateUser(t, srv, colleague, "reader", readAll)

	ownerRole := srv.AssumeAccessRole(t, owner)
	s3c := testkit.S3Client(srv, ownerRole)
	_, err = s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("shared-data")})
	require.NoError(t, err)
	_, err = s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("shared-data"), Key: aws.String("k"), Body: strings.NewReader("v")})
	require.NoError(t, err)
	_, err = s3c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("shared-data"), Policy: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::` + outsider + `:root","arn:aws:iam::` + colleague +
			`:root"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared-data/*"}]}`)})
	require.NoError(t, err)
	get := func(creds aws.Credentials) error {
		_, err := testkit.S3Client(srv, creds).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("shared-data"), Key: aws.String("k")})
		return err
	}
	require.NoError(t, get(outsiderUser), "the bucket policy grants the outsider")
	require.NoError(t, get(colleagueUser))

	srv.EnablePolicyType(t, orgtypes.PolicyTypeResourceControlPolicy)
	require.NoError(t, get(outsiderUser), "RCPFullAWSAccess alone changes nothing")
	srv.AttachNewPolicy(t, orgtypes.PolicyTypeResourceControlPolicy, "org-only", `{"Version":"2012-10-17","Statement":[{
		"Sid":"EnforceOrgIdentities","Effect":"Deny","Principal":"*","Action":["s3:*","sqs:*","sts:AssumeRole"],"Resource":"*",
		"Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"`+orgID+`"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}]}`,
		srv.RootID(t))

	requireDeniedBy(t, get(outsiderUser), "with an explicit deny in a resource control policy")
	require.NoError(t, get(colleagueUser), "principals of the organization pass")
	require.NoError(t, get(ownerRole))
	// The management account's resources are never under RCPs.
	_, err = testkit.S3Client(srv, srv.AdminCredentials()).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("mgmt-data")})
	require.NoError(t, err)
	_, err = testkit.S3Client(srv, srv.AdminCredentials()).PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("mgmt-data"), Policy: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + outsider + `:root"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::mgmt-data"}]}`)})
	require.NoError(t, err)
	outsiderList := testkit.CreateUser(t, srv, outsider, "lister", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`)
	_, err = testkit.S3Client(srv, outsiderList).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("mgmt-data")})
	require.NoError(t, err)
}

// TestGuardrails_OrganizationConditionKeys: bucket policies and identity
// policies can name the organization, its paths and the accounts through
// the global condition keys every request carries.
func TestGuardrails_OrganizationConditionKeys(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	org, err := srv.Organizations().DescribeOrganization(ctx, nil)
	require.NoError(t, err)
	orgID := aws.ToString(org.Organization.Id)
	rootID := srv.RootID(t)
	team := srv.CreateOU(t, rootID, "team")
	owner := srv.MemberAccount(t, "owner")
	inTeam := srv.MemberAccount(t, "in-team")
	elsewhere := srv.MemberAccount(t, "elsewhere")
	srv.MoveAccount(t, inTeam, team)
	srv.MoveAccount(t, owner, team)

	ownerRole := srv.AssumeAccessRole(t, owner)
	_, err = testkit.S3Client(srv, ownerRole).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("team-bucket")})
	require.NoError(t, err)
	_, err = testkit.S3Client(srv, ownerRole).PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("team-bucket"), Policy: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::team-bucket",
		  "Condition":{"StringEquals":{"aws:PrincipalOrgID":"` + orgID + `"},"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":["` + orgID + `/` + rootID + `/` + team + `/*"]}}}]}`)})
	require.NoError(t, err)
	// Identity policies that only allow reaching into the organization's resources.
	inOrgOnly := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*",
	  "Condition":{"StringEquals":{"aws:ResourceOrgID":"` + orgID + `","aws:ResourceAccount":"` + owner + `"},
	  "ForAnyValue:StringEquals":{"aws:ResourceOrgPaths":["` + orgID + `/` + rootID + `/` + team + `/"]}}}]}`
	list := func(creds aws.Credentials) error {
		_, err := testkit.S3Client(srv, creds).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("team-bucket")})
		return err
	}
	require.NoError(t, list(testkit.CreateUser(t, srv, inTeam, "u", inOrgOnly)))
	require.Error(t, list(testkit.CreateUser(t, srv, elsewhere, "u", inOrgOnly)), "not under the team OU")

	// Moving the bucket's owner out of the OU changes aws:ResourceOrgPaths at once.
	srv.MoveAccount(t, owner, rootID)
	require.Error(t, list(testkit.CreateUser(t, srv, inTeam, "v", inOrgOnly)))
}
