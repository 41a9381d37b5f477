package organizations_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
)

// requireOrgError asserts an Organizations error code (HTTP 400).
func requireOrgError(t *testing.T, err error, code string) {
	t.Helper()
	testkit.RequireAWSError(t, err, code, http.StatusBadRequest)
}

// requireConstraint asserts a ConstraintViolationException with reason.
func requireConstraint(t *testing.T, err error, reason types.ConstraintViolationExceptionReason) {
	t.Helper()
	var cv *types.ConstraintViolationException
	require.ErrorAs(t, err, &cv, "%v", err)
	assert.Equal(t, reason, cv.Reason)
}

// requireInvalidInput asserts an InvalidInputException with reason.
func requireInvalidInput(t *testing.T, err error, reason types.InvalidInputExceptionReason) {
	t.Helper()
	var ii *types.InvalidInputException
	require.ErrorAs(t, err, &ii, "%v", err)
	assert.Equal(t, reason, ii.Reason)
}

func parentOf(t *testing.T, admin *organizations.Client, child string) types.Parent {
	t.Helper()
	out, err := admin.ListParents(context.Background(), &organizations.ListParentsInput{ChildId: aws.String(child)})
	require.NoError(t, err)
	require.Len(t, out.Parents, 1)
	return out.Parents[0]
}

func TestOrganizations_OrganizationalUnits(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := orgClient(srv, srv.AdminCredentials())
	org, err := admin.DescribeOrganization(ctx, nil)
	require.NoError(t, err)
	orgID, mgmt := aws.ToString(org.Organization.Id), srv.ManagementAccountID()
	rootID := srv.RootID(t)

	created, err := admin.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{
		ParentId: aws.String(rootID), Name: aws.String("Workloads"),
		Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("platform")}}})
	require.NoError(t, err)
	ou := created.OrganizationalUnit
	ouID := aws.ToString(ou.Id)
	assert.Regexp(t, `^ou-`+rootID[2:]+`-[a-z0-9]{8}$`, ouID)
	assert.Equal(t, "arn:aws:organizations::"+mgmt+":ou/"+orgID+"/"+ouID, aws.ToString(ou.Arn))
	assert.Equal(t, "Workloads", aws.ToString(ou.Name))
	assert.Equal(t, orgID+"/"+rootID+"/"+ouID+"/", aws.ToString(ou.Path))

	tags, err := admin.ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: aws.String(ouID)})
	require.NoError(t, err)
	assert.Equal(t, []types.Tag{{Key: aws.String("owner"), Value: aws.String("platform")}}, tags.Tags)

	_, err = admin.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(rootID), Name: aws.String("Workloads")})
	requireOrgError(t, err, "DuplicateOrganizationalUnitException")
	sandbox := srv.CreateOU(t, rootID, "Sandbox")
	same := srv.CreateOU(t, sandbox, "Workloads") // the same name under another parent is fine

	desc, err := admin.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(same)})
	require.NoError(t, err)
	assert.Equal(t, orgID+"/"+rootID+"/"+sandbox+"/"+same+"/", aws.ToString(desc.OrganizationalUnit.Path))

	renamed, err := admin.UpdateOrganizationalUnit(ctx, &organizations.UpdateOrganizationalUnitInput{
		OrganizationalUnitId: aws.String(ouID), Name: aws.String("Production")})
	require.NoError(t, err)
	assert.Equal(t, "Production", aws.ToString(renamed.OrganizationalUnit.Name))
	_, err = admin.UpdateOrganizationalUnit(ctx, &organizations.UpdateOrganizationalUnitInput{
		OrganizationalUnitId: aws.String(ouID), Name: aws.String("Sandbox")})
	requireOrgError(t, err, "DuplicateOrganizationalUnitException")
	_, err = admin.UpdateOrganizationalUnit(ctx, &organizations.UpdateOrganizationalUnitInput{
		OrganizationalUnitId: aws.String(ouID), Name: aws.String("Production")})
	require.NoError(t, err, "keeping its own name is no duplicate")
	// The old name is free again.
	srv.CreateOU(t, rootID, "Workloads")

	_, err = admin.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String("ou-abcd-12345678")})
	requireOrgError(t, err, "OrganizationalUnitNotFoundException")
	_, err = admin.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String("ou-abcd-12345678"), Name: aws.String("x")})
	requireOrgError(t, err, "ParentNotFoundException")
	_, err = admin.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String("r-zzzz"), Name: aws.String("x")})
	requireOrgError(t, err, "ParentNotFoundException")
	_, err = admin.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String("not-an-ou")})
	requireInvalidInput(t, err, types.InvalidInputExceptionReasonInvalidPattern)
}

func TestOrganizations_OUDepthLimit(t *testing.T) {
	srv := apitest.New(t)
	admin := orgClient(srv, srv.AdminCredentials())
	parent := srv.RootID(t)
	for level := 1; level <= 5; level++ {
		parent = srv.CreateOU(t, parent, fmt.Sprintf("level-%d", level))
	}
	_, err := admin.CreateOrganizationalUnit(context.Background(), &organizations.CreateOrganizationalUnitInput{
		ParentId: aws.String(parent), Name: aws.String("level-6")})
	requireConstraint(t, err, types.ConstraintViolationExceptionReasonOuDepthLimitExceeded)

	member := srv.MemberAccount(t, "deep")
	srv.MoveAccount(t, member, parent)
	acct, err := admin.DescribeAccount(context.Background(), &organizations.DescribeAccountInput{AccountId: aws.String(member)})
	require.NoError(t, err)
	require.Len(t, acct.Account.Paths, 1)
	assert.Regexp(t, `^o-[a-z0-9]+/r-[a-z0-9]+/(ou-[a-z0-9-]+/){5}`+member+`/$`, acct.Account.Paths[0])
}

func TestOrganizations_ChildrenParentsAndMoves(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := orgClient(srv, srv.AdminCredentials())
	rootID, mgmt := srv.RootID(t), srv.ManagementAccountID()
	prod := srv.CreateOU(t, rootID, "prod")
	dev := srv.CreateOU(t, rootID, "dev")
	team := srv.CreateOU(t, prod, "team")
	a := srv.MemberAccount(t, "a")
	b := srv.MemberAccount(t, "b")

	assert.Equal(t, types.Parent{Id: aws.String(rootID), Type: types.ParentTypeRoot}, parentOf(t, admin, a))
	assert.Equal(t, types.Parent{Id: aws.String(prod), Type: types.ParentTypeOrganizationalUnit}, parentOf(t, admin, team))

	_, err := admin.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(a),
		SourceParentId: aws.String(rootID), DestinationParentId: aws.String(team)})
	require.NoError(t, err)
	assert.Equal(t, types.Parent{Id: aws.String(team), Type: types.ParentTypeOrganizationalUnit}, parentOf(t, admin, a))

	moveErr := func(src, dst string) error {
		_, err := admin.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(a),
			SourceParentId: aws.String(src), DestinationParentId: aws.String(dst)})
		return err
	}
	requireOrgError(t, moveErr(team, team), "DuplicateAccountException")
	requireOrgError(t, moveErr("ou-abcd-12345678", dev), "SourceParentNotFoundException")
	requireOrgError(t, moveErr(team, "ou-abcd-12345678"), "DestinationParentNotFoundException")
	requireOrgError(t, moveErr(rootID, dev), "AccountNotFoundException") // not under that source
	_, err = admin.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String("123456789012"),
		SourceParentId: aws.String(rootID), DestinationParentId: aws.String(dev)})
	requireOrgError(t, err, "AccountNotFoundException")
	// The management account can live in an OU too.
	srv.MoveAccount(t, mgmt, dev)

	kids, err := admin.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: aws.String(rootID), ChildType: types.ChildTypeAccount})
	require.NoError(t, err)
	assert.Equal(t, []types.Child{{Id: aws.String(b), Type: types.ChildTypeAccount}}, kids.Children)
	ous, err := admin.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: aws.String(rootID), ChildType: types.ChildTypeOrganizationalUnit})
	require.NoError(t, err)
	var ouIDs []string
	for _, c := range ous.Children {
		ouIDs = append(ouIDs, aws.ToString(c.Id))
	}
	assert.ElementsMatch(t, []string{prod, dev}, ouIDs)
	_, err = admin.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: aws.String("ou-abcd-12345678"), ChildType: types.ChildTypeAccount})
	requireOrgError(t, err, "ParentNotFoundException")
	_, err = orgClient(srv, srv.AdminCredentials(), orgNoClientValidation).ListChildren(ctx,
		&organizations.ListChildrenInput{ParentId: aws.String(rootID), ChildType: "GROUP"})
	requireInvalidInput(t, err, types.InvalidInputExceptionReasonInvalidEnum)

	inTeam, err := admin.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String(team)})
	require.NoError(t, err)
	require.Len(t, inTeam.Accounts, 1)
	assert.Equal(t, a, aws.ToString(inTeam.Accounts[0].Id))
	_, err = admin.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String("ou-abcd-12345678")})
	requireOrgError(t, err, "ParentNotFoundException")

	_, err = admin.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String("123456789012")})
	requireOrgError(t, err, "ChildNotFoundException")
	_, err = admin.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String("ou-abcd-12345678")})
	requireOrgError(t, err, "ChildNotFoundException")

	// Deleting: only empty OUs.
	_, err = admin.DeleteOrganizationalUnit(ctx, &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String(prod)})
	requireOrgError(t, err, "OrganizationalUnitNotEmptyException") // holds an OU
	_, err = admin.DeleteOrganizationalUnit(ctx, &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String(team)})
	requireOrgError(t, err, "OrganizationalUnitNotEmptyException") // holds an account
	srv.MoveAccount(t, a, rootID)
	_, err = admin.DeleteOrganizationalUnit(ctx, &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String(team)})
	require.NoError(t, err)
	_, err = admin.DeleteOrganizationalUnit(ctx, &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String(team)})
	requireOrgError(t, err, "OrganizationalUnitNotFoundException")
	_, err = admin.DeleteOrganizationalUnit(ctx, &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String(prod)})
	require.NoError(t, err)
	srv.CreateOU(t, rootID, "prod") // its name is free again
}

func TestOrganizations_TreePaginators(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := orgClient(srv, srv.AdminCredentials())
	rootID := srv.RootID(t)
	ou := srv.CreateOU(t, rootID, "many")
	var wantOUs, wantAccounts []string
	for i := range 5 {
		wantOUs = append(wantOUs, srv.CreateOU(t, ou, fmt.Sprintf("child-%d", i)))
		acct := srv.MemberAccount(t, fmt.Sprintf("acct-%d", i))
		srv.MoveAccount(t, acct, ou)
		wantAccounts = append(wantAccounts, acct)
	}
	two := int32(2)

	var gotOUs []string
	pages := 0
	for p := organizations.NewListOrganizationalUnitsForParentPaginator(admin,
		&organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(ou), MaxResults: &two}); p.HasMorePages(); pages++ {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		assert.LessOrEqual(t, len(out.OrganizationalUnits), 2)
		for _, u := range out.OrganizationalUnits {
			gotOUs = append(gotOUs, aws.ToString(u.Id))
		}
	}
	assert.ElementsMatch(t, wantOUs, gotOUs)
	assert.Equal(t, 3, pages)

	var gotChildren []string
	for p := organizations.NewListChildrenPaginator(admin, &organizations.ListChildrenInput{ParentId: aws.String(ou),
		ChildType: types.ChildTypeAccount, MaxResults: &two}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		for _, c := range out.Children {
			gotChildren = append(gotChildren, aws.ToString(c.Id))
		}
	}
	assert.ElementsMatch(t, wantAccounts, gotChildren)

	var gotAccounts []string
	for p := organizations.NewListAccountsForParentPaginator(admin, &organizations.ListAccountsForParentInput{ParentId: aws.String(ou),
		MaxResults: &two}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		for _, a := range out.Accounts {
			gotAccounts = append(gotAccounts, aws.ToString(a.Id))
		}
	}
	assert.ElementsMatch(t, wantAccounts, gotAccounts)

	parents := 0
	for p := organizations.NewListParentsPaginator(admin, &organizations.ListParentsInput{ChildId: aws.String(wantAccounts[0])}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		parents += len(out.Parents)
	}
	assert.Equal(t, 1, parents)

	// A token from one parent's listing is refused by another's.
	first, err := admin.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: aws.String(ou), ChildType: types.ChildTypeAccount, MaxResults: &two})
	require.NoError(t, err)
	_, err = admin.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: aws.String(rootID), ChildType: types.ChildTypeAccount, NextToken: first.NextToken})
	requireInvalidInput(t, err, types.InvalidInputExceptionReason("INVALID_NEXT_TOKEN"))
}

func TestOrganizations_TreeNeedsTheManagementAccount(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	member := srv.MemberAccount(t, "member")
	rootID := srv.RootID(t)
	client := orgClient(srv, srv.AssumeAccessRole(t, member))
	_, err := client.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(rootID), Name: aws.String("x")})
	requireOrgError(t, err, "AccessDeniedException")
	_, err = client.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(member)})
	requireOrgError(t, err, "AccessDeniedException")
	var ae *types.AccessDeniedException
	assert.True(t, errors.As(err, &ae))
}
