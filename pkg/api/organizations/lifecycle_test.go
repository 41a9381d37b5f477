package organizations_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
	"github.com/rootaccess/emulator/pkg/policy"
	"github.com/rootaccess/emulator/pkg/store"
)

func TestOrganizations_Tags(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := orgClient(srv, srv.AdminCredentials())
	rootID := srv.RootID(t)
	ou := srv.CreateOU(t, rootID, "ou")
	member := srv.MemberAccount(t, "member")
	pol := srv.AttachNewPolicy(t, types.PolicyTypeServiceControlPolicy, "p", denyS3DeleteBucketPolicy)

	for _, id := range []string{rootID, ou, member, pol} {
		_, err := admin.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String(id), Tags: []types.Tag{
			{Key: aws.String("env"), Value: aws.String("prod")}, {Key: aws.String("team"), Value: aws.String("a")}}})
		require.NoError(t, err, id)
		_, err = admin.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String(id), Tags: []types.Tag{
			{Key: aws.String("team"), Value: aws.String("b")}}})
		require.NoError(t, err, id)
		out, err := admin.ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: aws.String(id)})
		require.NoError(t, err, id)
		assert.Equal(t, []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}, {Key: aws.String("team"), Value: aws.String("b")}}, out.Tags, id)
		_, err = admin.UntagResource(ctx, &organizations.UntagResourceInput{ResourceId: aws.String(id), TagKeys: []string{"env", "absent"}})
		require.NoError(t, err, id)
		out, err = admin.ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: aws.String(id)})
		require.NoError(t, err, id)
		assert.Equal(t, []types.Tag{{Key: aws.String("team"), Value: aws.String("b")}}, out.Tags, id)
	}

	for _, id := range []string{"ou-abcd-12345678", "123456789012", "p-abcdefgh", "p-FullAWSAccess", "r-zzzz"} {
		_, err := admin.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String(id), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
		requireOrgError(t, err, "TargetNotFoundException")
	}
	_, err := admin.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String(ou), Tags: []types.Tag{
		{Key: aws.String("k"), Value: aws.String("v")}, {Key: aws.String("k"), Value: aws.String("w")}}})
	requireInvalidInput(t, err, types.InvalidInputExceptionReasonDuplicateTagKey)

	// Fifty tags at most; ListTagsForResource pages them.
	var many []types.Tag
	for i := range 49 {
		many = append(many, types.Tag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String("v")})
	}
	_, err = admin.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String(ou), Tags: many})
	require.NoError(t, err)
	_, err = admin.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String(ou), Tags: []types.Tag{{Key: aws.String("one-more"), Value: aws.String("v")}}})
	requireConstraint(t, err, types.ConstraintViolationExceptionReasonMaxTagLimitExceeded)
	n := 0
	pages := 0
	for p := organizations.NewListTagsForResourcePaginator(admin, &organizations.ListTagsForResourceInput{ResourceId: aws.String(ou)}); p.HasMorePages(); pages++ {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		n += len(out.Tags)
	}
	assert.Equal(t, 50, n)
	assert.Greater(t, pages, 1)

	// Tags given at creation.
	created, err := admin.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("tagged@example.com"), AccountName: aws.String("tagged"),
		Tags: []types.Tag{{Key: aws.String("cost-center"), Value: aws.String("42")}}})
	require.NoError(t, err)
	srv.Clock.Advance(2 * time.Second)
	st, err := admin.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: created.CreateAccountStatus.Id})
	require.NoError(t, err)
	out, err := admin.ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: st.CreateAccountStatus.AccountId})
	require.NoError(t, err)
	assert.Equal(t, []types.Tag{{Key: aws.String("cost-center"), Value: aws.String("42")}}, out.Tags)
	cp, err := admin.CreatePolicy(ctx, &organizations.CreatePolicyInput{Type: types.PolicyTypeServiceControlPolicy, Name: aws.String("tagged"),
		Description: aws.String(""), Content: aws.String(denyS3DeleteBucketPolicy), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
	require.NoError(t, err)
	out, err = admin.ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: cp.Policy.PolicySummary.Id})
	require.NoError(t, err)
	assert.Len(t, out.Tags, 1)

	// Creating with tags also needs organizations:TagResource.
	noTag := testkit.CreateUser(t, srv, srv.ManagementAccountID(), "no-tag", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"organizations:*","Resource":"*"},{"Effect":"Deny","Action":"organizations:TagResource","Resource":"*"}]}`)
	_, err = orgClient(srv, noTag).CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(rootID),
		Name: aws.String("tagged"), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
	requireOrgError(t, err, "AccessDeniedException")
	_, err = orgClient(srv, noTag).CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(rootID), Name: aws.String("untagged")})
	require.NoError(t, err)
}

func accountState(t *testing.T, admin *organizations.Client, id string) (types.AccountState, types.AccountStatus) {
	t.Helper()
	out, err := admin.DescribeAccount(context.Background(), &organizations.DescribeAccountInput{AccountId: aws.String(id)})
	require.NoError(t, err)
	return out.Account.State, out.Account.Status
}

func assumeRootErr(srv *apitest.Server, account string) error {
	_, err := sts.NewFromConfig(srv.Config(srv.AdminCredentials())).AssumeRoot(context.Background(), &sts.AssumeRootInput{
		TargetPrincipal: aws.String(account), TaskPolicyArn: testkit.TaskPolicy(policy.AuditRootUserCredentials)})
	return err
}

func TestOrganizations_CloseAccount(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := orgClient(srv, srv.AdminCredentials())
	srv.EnableRootAccess(t)
	member := srv.MemberAccount(t, "closing")
	require.NoError(t, assumeRootErr(srv, member))

	_, err := admin.CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String(srv.ManagementAccountID())})
	requireConstraint(t, err, types.ConstraintViolationExceptionReasonCannotCloseManagementAccount)
	_, err = admin.CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String("123456789012")})
	requireOrgError(t, err, "AccountNotFoundException")

	_, err = admin.CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String(member)})
	require.NoError(t, err)
	state, status := accountState(t, admin, member)
	assert.Equal(t, types.AccountStatePendingClosure, state)
	assert.Equal(t, types.AccountStatusPendingClosure, status)
	_, err = admin.CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String(member)})
	requireOrgError(t, err, "ConflictException")
	testkit.RequireAWSError(t, assumeRootErr(srv, member), "AccessDenied", 403)

	srv.Clock.Advance(2 * time.Second)
	state, status = accountState(t, admin, member)
	assert.Equal(t, types.AccountStateSuspended, state)
	assert.Equal(t, types.AccountStatusSuspended, status)
	_, err = admin.CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String(member)})
	requireOrgError(t, err, "AccountAlreadyClosedException")
	testkit.RequireAWSError(t, assumeRootErr(srv, member), "AccessDenied", 403)
	assert.Contains(t, orgAccountIDs(t, admin, nil), member, "a suspended account stays in the organization")
	_, err = admin.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(member)})
	requireConstraint(t, err, types.ConstraintViolationExceptionReasonAccountCannotLeaveOrganization)
	_, err = admin.DeleteOrganization(ctx, nil)
	requireOrgError(t, err, "OrganizationNotEmptyException")

	// After the post-closure period the account is gone for good.
	srv.Clock.Advance(91 * 24 * time.Hour)
	assert.NotContains(t, orgAccountIDs(t, admin, nil), member)
	_, err = admin.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(member)})
	requireOrgError(t, err, "AccountNotFoundException")
	_, err = admin.DeleteOrganization(ctx, nil)
	require.NoError(t, err)
}

func TestOrganizations_CloseAccountQuota(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := orgClient(srv, srv.AdminCredentials())
	testkit.UpdateOrganization(t, srv, func(org *store.Organization, now time.Time) {
		for range 250 {
			org.AccountClosures = append(org.AccountClosures, now.Add(-time.Hour))
		}
	})
	member := srv.MemberAccount(t, "one-too-many")
	_, err := admin.CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String(member)})
	requireConstraint(t, err, types.ConstraintViolationExceptionReasonCloseAccountQuotaExceeded)
	srv.Clock.Advance(30 * 24 * time.Hour)
	_, err = admin.CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String(member)})
	require.NoError(t, err, "the window rolls")
}

func TestOrganizations_RemoveAccountAndDeleteOrganization(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := orgClient(srv, srv.AdminCredentials())
	srv.EnableRootAccess(t)
	srv.EnablePolicyType(t, types.PolicyTypeServiceControlPolicy)
	ou := srv.CreateOU(t, srv.RootID(t), "ou")
	member := srv.MemberAccount(t, "leaving")
	delegate := srv.MemberAccount(t, "delegate")
	srv.MoveAccount(t, member, ou)
	testkit.RegisterIAMDelegatedAdmin(t, srv, delegate)

	services, err := admin.ListDelegatedServicesForAccount(ctx, &organizations.ListDelegatedServicesForAccountInput{AccountId: aws.String(delegate)})
	require.NoError(t, err)
	require.Len(t, services.DelegatedServices, 1)
	assert.Equal(t, "iam.amazonaws.com", aws.ToString(services.DelegatedServices[0].ServicePrincipal))
	assert.NotNil(t, services.DelegatedServices[0].DelegationEnabledDate)
	pages := 0
	for p := organizations.NewListDelegatedServicesForAccountPaginator(admin, &organizations.ListDelegatedServicesForAccountInput{AccountId: aws.String(delegate)}); p.HasMorePages(); pages++ {
		_, err := p.NextPage(ctx)
		require.NoError(t, err)
	}
	assert.Equal(t, 1, pages)
	_, err = admin.ListDelegatedServicesForAccount(ctx, &organizations.ListDelegatedServicesForAccountInput{AccountId: aws.String(member)})
	requireOrgError(t, err, "AccountNotRegisteredException")
	_, err = admin.ListDelegatedServicesForAccount(ctx, &organizations.ListDelegatedServicesForAccountInput{AccountId: aws.String("123456789012")})
	requireOrgError(t, err, "AccountNotFoundException")

	_, err = admin.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(srv.ManagementAccountID())})
	requireOrgError(t, err, "MasterCannotLeaveOrganizationException")
	_, err = admin.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(delegate)})
	requireConstraint(t, err, types.ConstraintViolationExceptionReasonCannotRemoveDelegatedAdministratorFromOrg)
	_, err = orgClient(srv, srv.AssumeAccessRole(t, member)).RemoveAccountFromOrganization(ctx,
		&organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(member)})
	requireOrgError(t, err, "AccessDeniedException")

	require.NoError(t, assumeRootErr(srv, member))
	_, err = admin.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(member)})
	require.NoError(t, err)
	_, err = admin.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(member)})
	requireOrgError(t, err, "AccountNotFoundException")
	testkit.RequireAWSError(t, assumeRootErr(srv, member), "AccessDenied", 403)
	assert.NotContains(t, orgAccountIDs(t, admin, nil), member)
	targets, err := admin.ListTargetsForPolicy(ctx, &organizations.ListTargetsForPolicyInput{PolicyId: aws.String("p-FullAWSAccess")})
	require.NoError(t, err)
	for _, tg := range targets.Targets {
		assert.NotEqual(t, member, aws.ToString(tg.TargetId), "a removed account keeps no attachment")
	}
	// The removed account's own principals are outside any organization now.
	_, err = orgClient(srv, srv.AssumeAccessRole(t, member)).DescribeOrganization(ctx, nil)
	requireOrgError(t, err, "AWSOrganizationsNotInUseException")

	_, err = admin.DeleteOrganization(ctx, nil)
	requireOrgError(t, err, "OrganizationNotEmptyException")
	_, err = admin.DeregisterDelegatedAdministrator(ctx, &organizations.DeregisterDelegatedAdministratorInput{
		AccountId: aws.String(delegate), ServicePrincipal: aws.String("iam.amazonaws.com")})
	require.NoError(t, err)
	_, err = admin.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(delegate)})
	require.NoError(t, err)
	_, err = orgClient(srv, srv.AssumeAccessRole(t, member)).DeleteOrganization(ctx, nil)
	requireOrgError(t, err, "AWSOrganizationsNotInUseException")

	_, err = admin.DeleteOrganization(ctx, nil)
	require.NoError(t, err)
	_, err = admin.DescribeOrganization(ctx, nil)
	requireOrgError(t, err, "AWSOrganizationsNotInUseException")
	_, err = admin.DeleteOrganization(ctx, nil)
	requireOrgError(t, err, "AWSOrganizationsNotInUseException")

	// A new organization starts from a clean tree.
	created, err := admin.CreateOrganization(ctx, &organizations.CreateOrganizationInput{})
	require.NoError(t, err)
	roots, err := admin.ListRoots(ctx, &organizations.ListRootsInput{})
	require.NoError(t, err)
	assert.Empty(t, roots.Roots[0].PolicyTypes)
	ous, err := admin.ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: roots.Roots[0].Id})
	require.NoError(t, err)
	assert.Empty(t, ous.OrganizationalUnits)
	accts := orgAccountIDs(t, admin, nil)
	assert.Equal(t, []string{srv.ManagementAccountID()}, accts)
	assert.NotEmpty(t, created.Organization.Id)
}
