package organizations_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
)

// TestOrganizations_ResourceARNs (issue 11, item 4): DescribeAccount and
// (De)RegisterDelegatedAdministrator authorize on the account's ARN,
// ListAccountsForParent on the root's (or OU's), as the Service
// Authorization Reference lists them: a policy scoped to one account or to
// the root grants exactly that.
func TestOrganizations_ResourceARNs(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	allowed := srv.MemberAccount(t, "allowed")
	other := srv.MemberAccount(t, "other")
	admin := orgClient(srv, srv.AdminCredentials())
	org, err := admin.DescribeOrganization(ctx, nil)
	require.NoError(t, err)
	roots, err := admin.ListRoots(ctx, nil)
	require.NoError(t, err)
	orgID, rootID, mgmt := aws.ToString(org.Organization.Id), aws.ToString(roots.Roots[0].Id), srv.ManagementAccountID()
	accountARN := "arn:aws:organizations::" + mgmt + ":account/" + orgID + "/" + allowed
	rootARN := "arn:aws:organizations::" + mgmt + ":root/" + orgID + "/" + rootID

	scoped := orgClient(srv, testkit.CreateUser(t, srv, mgmt, "scoped", `{"Version":"2012-10-17","Statement":[`+
		`{"Effect":"Allow","Action":["organizations:DescribeAccount","organizations:RegisterDelegatedAdministrator","organizations:DeregisterDelegatedAdministrator"],"Resource":"`+accountARN+`"},`+
		`{"Effect":"Allow","Action":"organizations:ListAccountsForParent","Resource":"`+rootARN+`"}]}`))
	_, err = scoped.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(allowed)})
	require.NoError(t, err)
	_, err = scoped.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(other)})
	var denied *types.AccessDeniedException
	require.ErrorAs(t, err, &denied)
	assert.Contains(t, denied.ErrorMessage(), "on resource: arn:aws:organizations::"+mgmt+":account/"+orgID+"/"+other)

	_, err = scoped.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String(rootID)})
	require.NoError(t, err)
	ou := "ou-" + strings.TrimPrefix(rootID, "r-") + "-abcdefgh"
	_, err = scoped.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String(ou)})
	require.ErrorAs(t, err, &denied)
	assert.Contains(t, denied.ErrorMessage(), "on resource: arn:aws:organizations::"+mgmt+":ou/"+orgID+"/"+ou)

	// Registration is authorized on the account before anything is
	// checked: the other account is denied, the allowed one gets the
	// service's own answer (trusted access is not enabled for it).
	_, err = scoped.RegisterDelegatedAdministrator(ctx, &organizations.RegisterDelegatedAdministratorInput{
		AccountId: aws.String(other), ServicePrincipal: aws.String("example.amazonaws.com")})
	require.ErrorAs(t, err, &denied)
	_, err = scoped.RegisterDelegatedAdministrator(ctx, &organizations.RegisterDelegatedAdministratorInput{
		AccountId: aws.String(allowed), ServicePrincipal: aws.String("example.amazonaws.com")})
	var constraint *types.ConstraintViolationException
	require.ErrorAs(t, err, &constraint)
	_, err = scoped.DeregisterDelegatedAdministrator(ctx, &organizations.DeregisterDelegatedAdministratorInput{
		AccountId: aws.String(other), ServicePrincipal: aws.String("example.amazonaws.com")})
	require.ErrorAs(t, err, &denied)
}
