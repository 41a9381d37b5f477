package organizations_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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

// orgClient is an Organizations client signed with creds.
func orgClient(srv *apitest.Server, creds aws.Credentials, opts ...func(*organizations.Options)) *organizations.Client {
	return organizations.NewFromConfig(srv.Config(creds), opts...)
}

// orgNoClientValidation removes the SDK's required-member check so that
// the server's own validation is what a test sees.
func orgNoClientValidation(o *organizations.Options) {
	o.APIOptions = append(o.APIOptions, testkit.SkipInputValidation)
}

// orgRaw sends a signed Organizations JSON 1.1 request with a raw body and
// returns the status and decoded error body.
func orgRaw(t *testing.T, srv *apitest.Server, operation, body string) (int, map[string]string) {
	t.Helper()
	r := testkit.PostSigned(t, srv, srv.AdminCredentials(), "organizations", "/", testkit.Json11ContentType, testkit.OrgTargetPrefix+operation, body)
	out := map[string]string{}
	if r.Status != http.StatusOK {
		require.NoError(t, json.Unmarshal([]byte(r.Body), &out), r.Body)
	}
	return r.Status, out
}

// orgAccountIDs lists every account id with ListAccounts, following NextToken.
func orgAccountIDs(t *testing.T, client *organizations.Client, pageSize *int32) []string {
	t.Helper()
	var ids []string
	var token *string
	for range 100 {
		out, err := client.ListAccounts(context.Background(), &organizations.ListAccountsInput{NextToken: token, MaxResults: pageSize})
		require.NoError(t, err)
		if pageSize != nil {
			assert.LessOrEqual(t, len(out.Accounts), int(*pageSize))
		}
		for _, a := range out.Accounts {
			ids = append(ids, aws.ToString(a.Id))
		}
		if out.NextToken == nil {
			return ids
		}
		token = out.NextToken
	}
	t.Fatal("ListAccounts never stopped paginating")
	return nil
}

func TestOrganizations_CreateAccountHappyPath(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := orgClient(srv, srv.AdminCredentials())
	mgmt := srv.ManagementAccountID()

	org, err := admin.DescribeOrganization(ctx, nil)
	require.NoError(t, err)
	o := org.Organization
	assert.Regexp(t, `^o-[a-z0-9]{10,32}$`, aws.ToString(o.Id))
	assert.Equal(t, "arn:aws:organizations::"+mgmt+":organization/"+aws.ToString(o.Id), aws.ToString(o.Arn))
	assert.Equal(t, types.OrganizationFeatureSetAll, o.FeatureSet)
	assert.Equal(t, mgmt, aws.ToString(o.MasterAccountId))
	assert.Equal(t, "arn:aws:organizations::"+mgmt+":account/"+aws.ToString(o.Id)+"/"+mgmt, aws.ToString(o.MasterAccountArn))
	assert.Equal(t, "management@example.com", aws.ToString(o.MasterAccountEmail))

	roots, err := admin.ListRoots(ctx, &organizations.ListRootsInput{})
	require.NoError(t, err)
	require.Len(t, roots.Roots, 1)
	root := roots.Roots[0]
	assert.Regexp(t, `^r-[0-9a-z]{4,32}$`, aws.ToString(root.Id))
	assert.Equal(t, "arn:aws:organizations::"+mgmt+":root/"+aws.ToString(o.Id)+"/"+aws.ToString(root.Id), aws.ToString(root.Arn))
	assert.Equal(t, "Root", aws.ToString(root.Name))

	created, err := admin.CreateAccount(ctx, &organizations.CreateAccountInput{
		Email: aws.String("workload@example.com"), AccountName: aws.String("workload")})
	require.NoError(t, err)
	st := created.CreateAccountStatus
	assert.Equal(t, types.CreateAccountStateInProgress, st.State)
	assert.Regexp(t, `^car-[a-z0-9]{8,32}$`, aws.ToString(st.Id))
	assert.Equal(t, "workload", aws.ToString(st.AccountName))
	assert.NotNil(t, st.RequestedTimestamp)
	assert.Nil(t, st.AccountId, "no account id while in progress")
	assert.Nil(t, st.CompletedTimestamp)

	desc, err := admin.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: st.Id})
	require.NoError(t, err)
	assert.Equal(t, types.CreateAccountStateInProgress, desc.CreateAccountStatus.State)
	assert.Equal(t, []string{mgmt}, orgAccountIDs(t, admin, nil), "an account being created is not listed yet")

	srv.Clock.Advance(2 * time.Second)
	desc, err = admin.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: st.Id})
	require.NoError(t, err)
	done := desc.CreateAccountStatus
	assert.Equal(t, types.CreateAccountStateSucceeded, done.State)
	id := aws.ToString(done.AccountId)
	assert.Regexp(t, `^[1-9]\d{11}$`, id)
	require.NotNil(t, done.CompletedTimestamp)
	assert.False(t, done.CompletedTimestamp.Before(*done.RequestedTimestamp))
	assert.Empty(t, done.FailureReason)

	assert.ElementsMatch(t, []string{mgmt, id}, orgAccountIDs(t, admin, nil))
	acct, err := admin.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(id)})
	require.NoError(t, err)
	a := acct.Account
	assert.Equal(t, id, aws.ToString(a.Id))
	assert.Equal(t, "arn:aws:organizations::"+mgmt+":account/"+aws.ToString(o.Id)+"/"+id, aws.ToString(a.Arn))
	assert.Equal(t, "workload@example.com", aws.ToString(a.Email))
	assert.Equal(t, "workload", aws.ToString(a.Name))
	assert.Equal(t, types.AccountStatusActive, a.Status)
	assert.Equal(t, types.AccountStateActive, a.State)
	assert.Equal(t, types.AccountJoinedMethodCreated, a.JoinedMethod)
	require.NotNil(t, a.JoinedTimestamp)
	assert.WithinDuration(t, *done.CompletedTimestamp, *a.JoinedTimestamp, time.Millisecond)

	children, err := admin.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: root.Id})
	require.NoError(t, err)
	assert.Len(t, children.Accounts, 2)

	succeeded, err := admin.ListCreateAccountStatus(ctx, &organizations.ListCreateAccountStatusInput{
		States: []types.CreateAccountState{types.CreateAccountStateSucceeded}})
	require.NoError(t, err)
	require.Len(t, succeeded.CreateAccountStatuses, 1)
	assert.Equal(t, id, aws.ToString(succeeded.CreateAccountStatuses[0].AccountId))
	inProgress, err := admin.ListCreateAccountStatus(ctx, &organizations.ListCreateAccountStatusInput{
		States: []types.CreateAccountState{types.CreateAccountStateInProgress}})
	require.NoError(t, err)
	assert.Empty(t, inProgress.CreateAccountStatuses)

	// The management account's administrator reaches into the new account.
	role, err := sts.NewFromConfig(srv.Config(srv.AdminCredentials())).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(testkit.AccessRoleARN(id)), RoleSessionName: aws.String("org-test")})
	require.NoError(t, err)
	arn := aws.ToString(role.AssumedRoleUser.Arn)
	assert.Equal(t, "arn:aws:sts::"+id+":assumed-role/OrganizationAccountAccessRole/org-test", arn)
	who, err := sts.NewFromConfig(srv.Config(apitest.SessionCredentials(role.Credentials))).GetCallerIdentity(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, id, aws.ToString(who.Account))
	assert.Equal(t, arn, aws.ToString(who.Arn))
}

func TestOrganizations_CreateAccountCustomRoleName(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := orgClient(srv, srv.AdminCredentials())
	created, err := admin.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("ops@example.com"),
		AccountName: aws.String("ops"), RoleName: aws.String("OrgAdmin"), IamUserAccessToBilling: types.IAMUserAccessToBillingDeny,
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("platform")}}})
	require.NoError(t, err)
	srv.Clock.Advance(2 * time.Second)
	desc, err := admin.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: created.CreateAccountStatus.Id})
	require.NoError(t, err)
	id := aws.ToString(desc.CreateAccountStatus.AccountId)
	_, err = sts.NewFromConfig(srv.Config(srv.AdminCredentials())).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + id + ":role/OrgAdmin"), RoleSessionName: aws.String("check")})
	require.NoError(t, err)
}

func TestOrganizations_CreateAccountDuplicateEmailFails(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := orgClient(srv, srv.AdminCredentials())
	srv.MemberAccount(t, "taken") // taken@example.com
	before := orgAccountIDs(t, admin, nil)

	created, err := admin.CreateAccount(ctx, &organizations.CreateAccountInput{
		Email: aws.String("TAKEN@example.com"), AccountName: aws.String("again")})
	require.NoError(t, err, "the failure is reported asynchronously")
	assert.Equal(t, types.CreateAccountStateInProgress, created.CreateAccountStatus.State)

	srv.Clock.Advance(2 * time.Second)
	desc, err := admin.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: created.CreateAccountStatus.Id})
	require.NoError(t, err)
	st := desc.CreateAccountStatus
	assert.Equal(t, types.CreateAccountStateFailed, st.State)
	assert.Equal(t, types.CreateAccountFailureReasonEmailAlreadyExists, st.FailureReason)
	assert.Nil(t, st.AccountId)
	assert.Equal(t, before, orgAccountIDs(t, admin, nil), "no account was created")

	failed, err := admin.ListCreateAccountStatus(ctx, &organizations.ListCreateAccountStatusInput{
		States: []types.CreateAccountState{types.CreateAccountStateFailed}})
	require.NoError(t, err)
	assert.Len(t, failed.CreateAccountStatuses, 1)
}

func TestOrganizations_ListAccountsPagination(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := orgClient(srv, srv.AdminCredentials())
	want := []string{srv.ManagementAccountID()}
	for i := range 22 {
		want = append(want, srv.MemberAccount(t, fmt.Sprintf("member%02d", i)))
	}

	first, err := admin.ListAccounts(ctx, &organizations.ListAccountsInput{})
	require.NoError(t, err)
	assert.Len(t, first.Accounts, 20, "20 accounts a page by default")
	require.NotNil(t, first.NextToken)

	all := orgAccountIDs(t, admin, nil)
	assert.ElementsMatch(t, want, all)
	assert.Equal(t, all, orgAccountIDs(t, admin, aws.Int32(5)), "the same order whatever the page size")

	paginator := organizations.NewListAccountsPaginator(admin, &organizations.ListAccountsInput{MaxResults: aws.Int32(7)})
	n := 0
	for paginator.HasMorePages() {
		page, err := paginator.NextPage(ctx)
		require.NoError(t, err)
		n += len(page.Accounts)
	}
	assert.Equal(t, 23, n)

	for _, bad := range []string{"garbage", "AAAA", "x" + *first.NextToken} {
		_, err = admin.ListAccounts(ctx, &organizations.ListAccountsInput{NextToken: aws.String(bad)})
		var invalid *types.InvalidInputException
		require.ErrorAsf(t, err, &invalid, "token %q", bad)
		assert.Equal(t, types.InvalidInputExceptionReasonInvalidPaginationToken, invalid.Reason)
	}

	// A token of one listing is not accepted by another.
	_, err = admin.ListCreateAccountStatus(ctx, &organizations.ListCreateAccountStatusInput{NextToken: first.NextToken})
	var invalid *types.InvalidInputException
	require.ErrorAs(t, err, &invalid)

	for _, max := range []int32{0, 21} {
		_, err = admin.ListAccounts(ctx, &organizations.ListAccountsInput{MaxResults: aws.Int32(max)})
		require.ErrorAs(t, err, &invalid, "MaxResults %d", max)
	}
	assert.Equal(t, types.InvalidInputExceptionReasonMaxValueExceeded, invalid.Reason)
}

func TestOrganizations_NotFoundErrors(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := orgClient(srv, srv.AdminCredentials())

	_, err := admin.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String("999999999999")})
	var notFound *types.AccountNotFoundException
	require.ErrorAs(t, err, &notFound)

	_, err = admin.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{
		CreateAccountRequestId: aws.String("car-0123456789abcdef")})
	var statusNotFound *types.CreateAccountStatusNotFoundException
	require.ErrorAs(t, err, &statusNotFound)

	_, err = admin.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String("r-zzzz")})
	var parentNotFound *types.ParentNotFoundException
	require.ErrorAs(t, err, &parentNotFound)
	_, err = admin.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String("ou-abcd-12345678")})
	require.ErrorAs(t, err, &parentNotFound)

	_, err = admin.CreateOrganization(ctx, &organizations.CreateOrganizationInput{})
	var already *types.AlreadyInOrganizationException
	require.ErrorAs(t, err, &already)
}

func TestOrganizations_CreateOrganizationOnWorldWithout(t *testing.T) {
	srv := apitest.New(t, apitest.WithoutOrganization())
	ctx := context.Background()
	admin := orgClient(srv, srv.AdminCredentials())

	_, err := admin.DescribeOrganization(ctx, nil)
	var notInUse *types.AWSOrganizationsNotInUseException
	require.ErrorAs(t, err, &notInUse)
	assert.Equal(t, "Your account is not a member of an organization.", notInUse.ErrorMessage())
	_, err = admin.ListAccounts(ctx, &organizations.ListAccountsInput{})
	require.ErrorAs(t, err, &notInUse)
	_, err = admin.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("a@example.com"), AccountName: aws.String("a")})
	require.ErrorAs(t, err, &notInUse)

	created, err := admin.CreateOrganization(ctx, &organizations.CreateOrganizationInput{})
	require.NoError(t, err)
	o := created.Organization
	assert.Equal(t, types.OrganizationFeatureSetAll, o.FeatureSet, "ALL is the default")
	assert.Equal(t, srv.ManagementAccountID(), aws.ToString(o.MasterAccountId))
	assert.Regexp(t, `^arn:aws:organizations::`+srv.ManagementAccountID()+`:organization/o-[a-z0-9]{10,32}$`, aws.ToString(o.Arn))

	desc, err := admin.DescribeOrganization(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, aws.ToString(o.Id), aws.ToString(desc.Organization.Id))
	assert.Equal(t, []string{srv.ManagementAccountID()}, orgAccountIDs(t, admin, nil))

	_, err = admin.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: types.OrganizationFeatureSetConsolidatedBilling})
	var already *types.AlreadyInOrganizationException
	require.ErrorAs(t, err, &already)
}

func TestOrganizations_ConsolidatedBillingHasNoTrustedAccess(t *testing.T) {
	srv := apitest.New(t, apitest.WithoutOrganization())
	ctx := context.Background()
	admin := orgClient(srv, srv.AdminCredentials())
	created, err := admin.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: types.OrganizationFeatureSetConsolidatedBilling})
	require.NoError(t, err)
	assert.Equal(t, types.OrganizationFeatureSetConsolidatedBilling, created.Organization.FeatureSet)

	_, err = admin.EnableAWSServiceAccess(ctx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String("iam.amazonaws.com")})
	var cv *types.ConstraintViolationException
	require.ErrorAs(t, err, &cv)
	assert.Equal(t, types.ConstraintViolationExceptionReasonOrganizationNotInAllFeaturesMode, cv.Reason)
}

func TestOrganizations_MemberAccountCaller(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := orgClient(srv, srv.AdminCredentials())
	member := srv.MemberAccount(t, "workload")
	client := orgClient(srv, srv.AssumeAccessRole(t, member))

	desc, err := client.DescribeOrganization(ctx, nil)
	require.NoError(t, err, "any member account may describe its organization")
	assert.Equal(t, srv.ManagementAccountID(), aws.ToString(desc.Organization.MasterAccountId))

	var denied *types.AccessDeniedException
	_, err = client.ListAccounts(ctx, &organizations.ListAccountsInput{})
	require.ErrorAs(t, err, &denied)
	assert.Equal(t, "You don't have permissions to access this resource.", denied.ErrorMessage())
	_, err = client.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(member)})
	require.ErrorAs(t, err, &denied)
	_, err = client.ListRoots(ctx, &organizations.ListRootsInput{})
	require.ErrorAs(t, err, &denied)
	_, err = client.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("x@example.com"), AccountName: aws.String("x")})
	require.ErrorAs(t, err, &denied)
	_, err = client.EnableAWSServiceAccess(ctx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String("iam.amazonaws.com")})
	require.ErrorAs(t, err, &denied)
	_, err = client.CreateOrganization(ctx, &organizations.CreateOrganizationInput{})
	var already *types.AlreadyInOrganizationException
	require.ErrorAs(t, err, &already)

	// As a delegated administrator (for any service) it may read, not write.
	_, err = admin.EnableAWSServiceAccess(ctx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String("securityhub.amazonaws.com")})
	require.NoError(t, err)
	_, err = admin.RegisterDelegatedAdministrator(ctx, &organizations.RegisterDelegatedAdministratorInput{
		AccountId: aws.String(member), ServicePrincipal: aws.String("securityhub.amazonaws.com")})
	require.NoError(t, err)
	assert.Len(t, orgAccountIDs(t, client, nil), 2)
	_, err = client.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(srv.ManagementAccountID())})
	require.NoError(t, err)
	_, err = client.ListDelegatedAdministrators(ctx, &organizations.ListDelegatedAdministratorsInput{})
	require.NoError(t, err)
	_, err = client.ListAWSServiceAccessForOrganization(ctx, &organizations.ListAWSServiceAccessForOrganizationInput{})
	require.NoError(t, err)
	_, err = client.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("x@example.com"), AccountName: aws.String("x")})
	require.ErrorAs(t, err, &denied)
	_, err = client.RegisterDelegatedAdministrator(ctx, &organizations.RegisterDelegatedAdministratorInput{
		AccountId: aws.String(member), ServicePrincipal: aws.String("iam.amazonaws.com")})
	require.ErrorAs(t, err, &denied)
}

func TestOrganizations_IdentityPoliciesAuthorizeFirst(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	client := orgClient(srv, testkit.CreateUser(t, srv, srv.ManagementAccountID(), "nobody", ""))
	_, err := client.DescribeOrganization(ctx, nil)
	var denied *types.AccessDeniedException
	require.ErrorAs(t, err, &denied)
	assert.Contains(t, denied.ErrorMessage(), "organizations:DescribeOrganization")

	// A root session's task policy allows no Organizations action.
	member := srv.MemberAccount(t, "workload")
	srv.EnableRootAccess(t)
	root := orgClient(srv, srv.RootSession(t, member, policy.AuditRootUserCredentials))
	_, err = root.DescribeOrganization(ctx, nil)
	require.ErrorAs(t, err, &denied)
}

func TestOrganizations_DelegatedAdministrators(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := orgClient(srv, srv.AdminCredentials())
	a := srv.MemberAccount(t, "alpha")
	b := srv.MemberAccount(t, "bravo")
	register := func(account, service string) error {
		_, err := admin.RegisterDelegatedAdministrator(ctx, &organizations.RegisterDelegatedAdministratorInput{
			AccountId: aws.String(account), ServicePrincipal: aws.String(service)})
		return err
	}
	deregister := func(client *organizations.Client, account, service string) error {
		_, err := client.DeregisterDelegatedAdministrator(ctx, &organizations.DeregisterDelegatedAdministratorInput{
			AccountId: aws.String(account), ServicePrincipal: aws.String(service)})
		return err
	}
	listed := func(service string) []string {
		in := &organizations.ListDelegatedAdministratorsInput{}
		if service != "" {
			in.ServicePrincipal = aws.String(service)
		}
		out, err := admin.ListDelegatedAdministrators(ctx, in)
		require.NoError(t, err)
		ids := []string{}
		for _, d := range out.DelegatedAdministrators {
			ids = append(ids, aws.ToString(d.Id))
			assert.NotNil(t, d.DelegationEnabledDate)
			assert.Equal(t, types.AccountStateActive, d.State)
		}
		return ids
	}
	var cv *types.ConstraintViolationException

	require.ErrorAs(t, register(a, "iam.amazonaws.com"), &cv)
	assert.Equal(t, types.ConstraintViolationExceptionReasonServiceAccessNotEnabled, cv.Reason)

	for _, sp := range []string{"iam.amazonaws.com", "access-analyzer.amazonaws.com"} {
		_, err := admin.EnableAWSServiceAccess(ctx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String(sp)})
		require.NoError(t, err)
	}

	require.ErrorAs(t, register(srv.ManagementAccountID(), "iam.amazonaws.com"), &cv)
	assert.Equal(t, types.ConstraintViolationExceptionReasonCannotRegisterMasterAsDelegatedAdministrator, cv.Reason)
	var notFound *types.AccountNotFoundException
	require.ErrorAs(t, register("999999999999", "iam.amazonaws.com"), &notFound)

	require.NoError(t, register(a, "iam.amazonaws.com"))
	var already *types.AccountAlreadyRegisteredException
	require.ErrorAs(t, register(a, "iam.amazonaws.com"), &already)
	require.ErrorAs(t, register(b, "iam.amazonaws.com"), &cv, "IAM has one delegated administrator at most")
	assert.Equal(t, types.ConstraintViolationExceptionReasonDelegatedAdministratorExistsForThisService, cv.Reason)
	require.NoError(t, register(b, "access-analyzer.amazonaws.com"))
	require.NoError(t, register(a, "access-analyzer.amazonaws.com"), "other services allow several")

	assert.Equal(t, []string{a, b}, listed(""), "each account once")
	assert.Equal(t, []string{a}, listed("iam.amazonaws.com"))
	assert.Equal(t, []string{b, a}, listed("access-analyzer.amazonaws.com"))
	assert.Empty(t, listed("guardduty.amazonaws.com"))

	var notRegistered *types.AccountNotRegisteredException
	require.ErrorAs(t, deregister(admin, b, "iam.amazonaws.com"), &notRegistered)
	require.ErrorAs(t, deregister(admin, "999999999999", "iam.amazonaws.com"), &notFound)

	// Only the management account, or IAM's delegated administrator for itself.
	bCreds := srv.AssumeAccessRole(t, b)
	var denied *types.AccessDeniedException
	require.ErrorAs(t, deregister(orgClient(srv, bCreds), a, "iam.amazonaws.com"), &denied)
	require.ErrorAs(t, deregister(orgClient(srv, bCreds), b, "access-analyzer.amazonaws.com"), &denied)
	aCreds := srv.AssumeAccessRole(t, a)
	require.NoError(t, deregister(orgClient(srv, aCreds), a, "iam.amazonaws.com"))
	assert.Empty(t, listed("iam.amazonaws.com"))

	require.NoError(t, register(b, "iam.amazonaws.com"), "the IAM slot is free again")
	require.NoError(t, deregister(admin, b, "iam.amazonaws.com"))
	assert.Equal(t, []string{b, a}, listed("access-analyzer.amazonaws.com"))

	page, err := admin.ListDelegatedAdministrators(ctx, &organizations.ListDelegatedAdministratorsInput{MaxResults: aws.Int32(1)})
	require.NoError(t, err)
	require.Len(t, page.DelegatedAdministrators, 1)
	require.NotNil(t, page.NextToken)
	page, err = admin.ListDelegatedAdministrators(ctx, &organizations.ListDelegatedAdministratorsInput{MaxResults: aws.Int32(1), NextToken: page.NextToken})
	require.NoError(t, err)
	require.Len(t, page.DelegatedAdministrators, 1)
	assert.Nil(t, page.NextToken)
}

func TestOrganizations_ServiceAccess(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := orgClient(srv, srv.AdminCredentials())
	member := srv.MemberAccount(t, "alpha")
	enable := func(sp string) {
		_, err := admin.EnableAWSServiceAccess(ctx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String(sp)})
		require.NoError(t, err)
	}
	enabled := func() map[string]time.Time {
		out, err := admin.ListAWSServiceAccessForOrganization(ctx, &organizations.ListAWSServiceAccessForOrganizationInput{})
		require.NoError(t, err)
		m := map[string]time.Time{}
		for _, e := range out.EnabledServicePrincipals {
			m[aws.ToString(e.ServicePrincipal)] = aws.ToTime(e.DateEnabled)
		}
		return m
	}
	assert.Empty(t, enabled())

	enable("iam.amazonaws.com")
	enable("my-custom.service+x=1,y@z")
	first := enabled()
	assert.Len(t, first, 2)
	srv.Clock.Advance(time.Minute)
	enable("iam.amazonaws.com")
	assert.Equal(t, first, enabled(), "enabling again keeps the date")

	_, err := admin.EnableAWSServiceAccess(ctx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String("not a principal!")})
	var invalid *types.InvalidInputException
	require.ErrorAs(t, err, &invalid)
	assert.Equal(t, types.InvalidInputExceptionReasonInvalidPattern, invalid.Reason)

	// Disabling IAM's trusted access ends centralized root access and its delegation.
	_, err = admin.RegisterDelegatedAdministrator(ctx, &organizations.RegisterDelegatedAdministratorInput{
		AccountId: aws.String(member), ServicePrincipal: aws.String("iam.amazonaws.com")})
	require.NoError(t, err)
	srv.EnableRootAccess(t)
	_, err = admin.DisableAWSServiceAccess(ctx, &organizations.DisableAWSServiceAccessInput{ServicePrincipal: aws.String("iam.amazonaws.com")})
	require.NoError(t, err)
	assert.Equal(t, []string{"my-custom.service+x=1,y@z"}, keys(enabled()))
	require.NoError(t, srv.Store.View(ctx, func(tx *store.Tx) error {
		org, err := tx.OrganizationOf(srv.ManagementAccountID())
		require.NoError(t, err)
		assert.False(t, org.RootSessions)
		assert.False(t, org.RootCredentialsManagement)
		assert.False(t, org.IsDelegatedAdministrator("iam.amazonaws.com", member))
		return nil
	}))
	_, err = sts.NewFromConfig(srv.Config(srv.AdminCredentials())).AssumeRoot(ctx, &sts.AssumeRootInput{
		TargetPrincipal: aws.String(member),
		TaskPolicyArn:   testkit.TaskPolicy(policy.AuditRootUserCredentials),
	})
	require.Error(t, err, "AssumeRoot stops with trusted access")

	// Disabling what is not enabled changes nothing.
	_, err = admin.DisableAWSServiceAccess(ctx, &organizations.DisableAWSServiceAccessInput{ServicePrincipal: aws.String("iam.amazonaws.com")})
	require.NoError(t, err)
}

func keys(m map[string]time.Time) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestOrganizations_BadInputChangesNothing(t *testing.T) {
	srv := apitest.New(t, apitest.WithoutOrganization())
	ctx := context.Background()
	admin := orgClient(srv, srv.AdminCredentials())
	raw := orgClient(srv, srv.AdminCredentials(), orgNoClientValidation)
	var invalid *types.InvalidInputException

	status, body := orgRaw(t, srv, "CreateOrganization", `{"FeatureSet":`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "SerializationException", body["__type"])
	status, body = orgRaw(t, srv, "CreateOrganization", `{"FeatureSet":42}`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "SerializationException", body["__type"])
	status, body = orgRaw(t, srv, "CreateOrganization", `{"FeatureSet":"EVERYTHING"}`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "InvalidInputException", body["__type"])
	assert.Equal(t, "INVALID_ENUM", body["Reason"])
	_, err := admin.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: "EVERYTHING"})
	require.ErrorAs(t, err, &invalid)
	assert.Equal(t, types.InvalidInputExceptionReasonInvalidEnum, invalid.Reason)

	var notInUse *types.AWSOrganizationsNotInUseException
	_, err = admin.DescribeOrganization(ctx, nil)
	require.ErrorAs(t, err, &notInUse, "no organization was created by bad requests")

	_, err = admin.CreateOrganization(ctx, &organizations.CreateOrganizationInput{})
	require.NoError(t, err)

	cases := []struct {
		name   string
		call   func() error
		reason types.InvalidInputExceptionReason
	}{
		{"missing Email", func() error {
			_, err := raw.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("x")})
			return err
		}, types.InvalidInputExceptionReasonInputRequired},
		{"missing AccountName", func() error {
			_, err := raw.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("x@example.com")})
			return err
		}, types.InvalidInputExceptionReasonInputRequired},
		{"bad Email", func() error {
			_, err := admin.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("not-an-email"), AccountName: aws.String("x")})
			return err
		}, types.InvalidInputExceptionReasonInvalidPattern},
		{"long AccountName", func() error {
			_, err := admin.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("x@example.com"),
				AccountName: aws.String(string(bytes.Repeat([]byte("n"), 51)))})
			return err
		}, types.InvalidInputExceptionReasonMaxLengthExceeded},
		{"bad RoleName", func() error {
			_, err := admin.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("x@example.com"),
				AccountName: aws.String("x"), RoleName: aws.String("no spaces allowed")})
			return err
		}, types.InvalidInputExceptionReasonInvalidPattern},
		{"reserved RoleName", func() error {
			_, err := admin.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("x@example.com"),
				AccountName: aws.String("x"), RoleName: aws.String("AWSServiceRoleForX")})
			return err
		}, types.InvalidInputExceptionReasonInvalidRoleName},
		{"bad IamUserAccessToBilling", func() error {
			_, err := admin.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("x@example.com"),
				AccountName: aws.String("x"), IamUserAccessToBilling: "MAYBE"})
			return err
		}, types.InvalidInputExceptionReasonInvalidEnum},
		{"missing AccountId", func() error {
			_, err := raw.DescribeAccount(ctx, &organizations.DescribeAccountInput{})
			return err
		}, types.InvalidInputExceptionReasonInputRequired},
		{"bad AccountId", func() error {
			_, err := admin.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String("12345")})
			return err
		}, types.InvalidInputExceptionReasonInvalidPattern},
		{"bad CreateAccountRequestId", func() error {
			_, err := admin.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: aws.String("req-1")})
			return err
		}, types.InvalidInputExceptionReasonInvalidPattern},
		{"bad States", func() error {
			_, err := admin.ListCreateAccountStatus(ctx, &organizations.ListCreateAccountStatusInput{States: []types.CreateAccountState{"DONE"}})
			return err
		}, types.InvalidInputExceptionReasonInvalidEnum},
		{"missing ParentId", func() error {
			_, err := raw.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{})
			return err
		}, types.InvalidInputExceptionReasonInputRequired},
		{"missing ServicePrincipal", func() error {
			_, err := raw.EnableAWSServiceAccess(ctx, &organizations.EnableAWSServiceAccessInput{})
			return err
		}, types.InvalidInputExceptionReasonInputRequired},
		{"long ServicePrincipal", func() error {
			_, err := admin.EnableAWSServiceAccess(ctx, &organizations.EnableAWSServiceAccessInput{
				ServicePrincipal: aws.String(string(bytes.Repeat([]byte("s"), 129)))})
			return err
		}, types.InvalidInputExceptionReasonMaxLengthExceeded},
		{"missing AccountId to register", func() error {
			_, err := raw.RegisterDelegatedAdministrator(ctx, &organizations.RegisterDelegatedAdministratorInput{ServicePrincipal: aws.String("iam.amazonaws.com")})
			return err
		}, types.InvalidInputExceptionReasonInputRequired},
	}
	for _, tc := range cases {
		err := tc.call()
		if assert.Truef(t, errors.As(err, &invalid), "%s: got %v", tc.name, err) {
			assert.Equalf(t, tc.reason, invalid.Reason, "%s: %s", tc.name, invalid.ErrorMessage())
		}
	}

	statuses, err := admin.ListCreateAccountStatus(ctx, &organizations.ListCreateAccountStatusInput{})
	require.NoError(t, err)
	assert.Empty(t, statuses.CreateAccountStatuses, "no bad CreateAccount was recorded")
	assert.Equal(t, []string{srv.ManagementAccountID()}, orgAccountIDs(t, admin, nil))
	services, err := admin.ListAWSServiceAccessForOrganization(ctx, &organizations.ListAWSServiceAccessForOrganizationInput{})
	require.NoError(t, err)
	assert.Empty(t, services.EnabledServicePrincipals)
}
