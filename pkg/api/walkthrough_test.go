package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
	"github.com/rootaccess/emulator/pkg/policy"
)

// TestWalkthrough_CentralizedRootAccess follows AWS's "centralize root
// access for member accounts" walkthrough end to end, through SDK clients
// only: create a member account, enable trusted access and both IAM
// features, open a root session on the member, use it, see what is
// refused, and watch the session expire.
func TestWalkthrough_CentralizedRootAccess(t *testing.T) {
	walkthrough(t, apitest.New(t))
}

// walkthrough runs the walkthrough on srv and returns the member account and
// the root session's credentials.
func walkthrough(t *testing.T, srv *apitest.Server) (string, aws.Credentials) {
	ctx := context.Background()
	admin := srv.AdminCredentials()
	orgs := organizations.NewFromConfig(srv.Config(admin))
	iamc := iam.NewFromConfig(srv.Config(admin))
	stsc := sts.NewFromConfig(srv.Config(admin))

	// The seeded organization, with all features.
	org, err := orgs.DescribeOrganization(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, orgtypes.OrganizationFeatureSetAll, org.Organization.FeatureSet)
	orgID := aws.ToString(org.Organization.Id)

	// 1. Create a member account and wait for it.
	created, err := orgs.CreateAccount(ctx, &organizations.CreateAccountInput{
		AccountName: aws.String("workload"), Email: aws.String("workload@example.com")})
	require.NoError(t, err)
	status := created.CreateAccountStatus
	require.Equal(t, orgtypes.CreateAccountStateInProgress, status.State)
	for i := 0; status.State == orgtypes.CreateAccountStateInProgress; i++ {
		require.Less(t, i, 30, "account creation never finished")
		srv.Clock.Advance(time.Second)
		out, err := orgs.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{
			CreateAccountRequestId: status.Id})
		require.NoError(t, err)
		status = out.CreateAccountStatus
	}
	require.Equal(t, orgtypes.CreateAccountStateSucceeded, status.State)
	member := aws.ToString(status.AccountId)
	require.Regexp(t, `^\d{12}$`, member)

	// IAM's features need trusted access first.
	_, err = iamc.EnableOrganizationsRootCredentialsManagement(ctx, nil)
	testkit.RequireAWSError(t, err, "ServiceAccessNotEnabledException", 400)

	// 2. Trusted access for IAM.
	_, err = orgs.EnableAWSServiceAccess(ctx, &organizations.EnableAWSServiceAccessInput{
		ServicePrincipal: aws.String("iam.amazonaws.com")})
	require.NoError(t, err)

	// 3. Both IAM organization features.
	rcm, err := iamc.EnableOrganizationsRootCredentialsManagement(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, orgID, aws.ToString(rcm.OrganizationId))
	assert.Equal(t, []iamtypes.FeatureType{iamtypes.FeatureTypeRootCredentialsManagement}, rcm.EnabledFeatures)
	rs, err := iamc.EnableOrganizationsRootSessions(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, []iamtypes.FeatureType{iamtypes.FeatureTypeRootCredentialsManagement, iamtypes.FeatureTypeRootSessions}, rs.EnabledFeatures)
	list, err := iamc.ListOrganizationsFeatures(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, orgID, aws.ToString(list.OrganizationId))
	assert.Equal(t, rs.EnabledFeatures, list.EnabledFeatures)

	// 4. A privileged root session on the member account.
	audit := testkit.TaskPolicy(policy.AuditRootUserCredentials)
	issued := srv.Clock.Now()
	session, err := stsc.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(member), TaskPolicyArn: audit})
	require.NoError(t, err)
	assert.WithinDuration(t, issued.Add(15*time.Minute), aws.ToTime(session.Credentials.Expiration), 2*time.Second)
	root := apitest.SessionCredentials(session.Credentials)

	// 5. The session is the member account's root user...
	who, err := sts.NewFromConfig(srv.Config(root)).GetCallerIdentity(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, member, aws.ToString(who.Account))
	assert.Equal(t, "arn:aws:iam::"+member+":root", aws.ToString(who.Arn))
	assert.Equal(t, member, aws.ToString(who.UserId))
	// ...scoped by the audit task policy: it may audit, and nothing else.
	_, err = iam.NewFromConfig(srv.Config(root)).GetAccountSummary(ctx, nil)
	require.NoError(t, err)
	_, err = iam.NewFromConfig(srv.Config(root)).ListOrganizationsFeatures(ctx, nil)
	testkit.RequireAWSError(t, err, "AccessDenied", 403)

	// 6. What AssumeRoot refuses.
	_, err = stsc.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(member),
		TaskPolicyArn: &ststypes.PolicyDescriptorType{Arn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}})
	testkit.RequireAWSError(t, err, "ValidationError", 400)
	_, err = stsc.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(member), TaskPolicyArn: audit,
		DurationSeconds: aws.Int32(901)})
	testkit.RequireAWSError(t, err, "ValidationError", 400)
	_, err = stsc.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(srv.ManagementAccountID()), TaskPolicyArn: audit})
	testkit.RequireAWSError(t, err, "AccessDenied", 403)
	_, err = sts.NewFromConfig(srv.Config(root)).AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(member), TaskPolicyArn: audit})
	testkit.RequireAWSError(t, err, "AccessDenied", 403)

	// 7. Fifteen minutes later the session is over.
	srv.Clock.Advance(16 * time.Minute)
	_, err = sts.NewFromConfig(srv.Config(root)).GetCallerIdentity(ctx, nil)
	testkit.RequireAWSError(t, err, "ExpiredToken", 403)
	_, err = iam.NewFromConfig(srv.Config(root)).GetAccountSummary(ctx, nil)
	testkit.RequireAWSError(t, err, "ExpiredToken", 403)
	// The administrator's long-term key is unaffected.
	_, err = stsc.GetCallerIdentity(ctx, nil)
	require.NoError(t, err)
	return member, root
}
