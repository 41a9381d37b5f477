package iam_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
	"github.com/rootaccess/emulator/pkg/policy"
	"github.com/rootaccess/emulator/pkg/store"
)

// iamFeatureCalls runs each of the five feature operations and returns what it
// says is enabled afterwards.
var iamFeatureCalls = map[string]func(context.Context, *iam.Client) (string, []iamtypes.FeatureType, error){
	"EnableOrganizationsRootCredentialsManagement": func(ctx context.Context, c *iam.Client) (string, []iamtypes.FeatureType, error) {
		out, err := c.EnableOrganizationsRootCredentialsManagement(ctx, nil)
		if err != nil {
			return "", nil, err
		}
		return aws.ToString(out.OrganizationId), out.EnabledFeatures, nil
	},
	"EnableOrganizationsRootSessions": func(ctx context.Context, c *iam.Client) (string, []iamtypes.FeatureType, error) {
		out, err := c.EnableOrganizationsRootSessions(ctx, nil)
		if err != nil {
			return "", nil, err
		}
		return aws.ToString(out.OrganizationId), out.EnabledFeatures, nil
	},
	"DisableOrganizationsRootCredentialsManagement": func(ctx context.Context, c *iam.Client) (string, []iamtypes.FeatureType, error) {
		out, err := c.DisableOrganizationsRootCredentialsManagement(ctx, nil)
		if err != nil {
			return "", nil, err
		}
		return aws.ToString(out.OrganizationId), out.EnabledFeatures, nil
	},
	"DisableOrganizationsRootSessions": func(ctx context.Context, c *iam.Client) (string, []iamtypes.FeatureType, error) {
		out, err := c.DisableOrganizationsRootSessions(ctx, nil)
		if err != nil {
			return "", nil, err
		}
		return aws.ToString(out.OrganizationId), out.EnabledFeatures, nil
	},
	"ListOrganizationsFeatures": func(ctx context.Context, c *iam.Client) (string, []iamtypes.FeatureType, error) {
		out, err := c.ListOrganizationsFeatures(ctx, nil)
		if err != nil {
			return "", nil, err
		}
		return aws.ToString(out.OrganizationId), out.EnabledFeatures, nil
	},
}

// iamEnableServiceAccess turns on trusted access for IAM, in the store.
func iamEnableServiceAccess(t testing.TB, srv *apitest.Server) {
	t.Helper()
	testkit.UpdateOrganization(t, srv, func(org *store.Organization, now time.Time) {
		org.EnableServiceAccess("iam.amazonaws.com", now)
	})
}

// organizationID is the id of the management account's organization.
func iamOrganizationID(t testing.TB, srv *apitest.Server) string {
	t.Helper()
	var id string
	err := srv.Store.View(context.Background(), func(tx *store.Tx) error {
		org, err := tx.OrganizationOf(srv.ManagementAccountID())
		id = org.ID
		return err
	})
	require.NoError(t, err)
	return id
}

// iamStoredFeatures reads the two feature flags from the store.
func iamStoredFeatures(t testing.TB, srv *apitest.Server) (rootCredentials, rootSessions bool) {
	t.Helper()
	err := srv.Store.View(context.Background(), func(tx *store.Tx) error {
		org, err := tx.OrganizationOf(srv.ManagementAccountID())
		rootCredentials, rootSessions = org.RootCredentialsManagement, org.RootSessions
		return err
	})
	require.NoError(t, err)
	return rootCredentials, rootSessions
}

// iamRequireFeatureErrors runs every feature operation as caller and checks
// the code of its typed SDK error; want maps operations to codes, and
// operations missing from want must succeed.
func iamRequireFeatureErrors(t *testing.T, srv *apitest.Server, caller aws.Credentials, want map[string]string) {
	t.Helper()
	client := iam.NewFromConfig(srv.Config(caller))
	for name, call := range iamFeatureCalls {
		_, _, err := call(context.Background(), client)
		code, refused := want[name]
		if !refused {
			assert.NoError(t, err, name)
			continue
		}
		testkit.RequireAWSError(t, err, code, 400)
	}
}

func iamAllFeatureErrors(code string) map[string]string {
	m := map[string]string{}
	for name := range iamFeatureCalls {
		m[name] = code
	}
	return m
}

func TestIAMFeatures_NoOrganization(t *testing.T) {
	srv := apitest.New(t, apitest.WithoutOrganization())
	iamRequireFeatureErrors(t, srv, srv.AdminCredentials(), iamAllFeatureErrors("OrganizationNotFoundException"))
	_, err := iam.NewFromConfig(srv.Config(srv.AdminCredentials())).ListOrganizationsFeatures(context.Background(), nil)
	var typed *iamtypes.OrganizationNotFoundException
	assert.True(t, errors.As(err, &typed), "typed SDK error, got %T", err)
}

func TestIAMFeatures_ConsolidatedBillingOrganization(t *testing.T) {
	srv := apitest.New(t)
	iamEnableServiceAccess(t, srv)
	testkit.UpdateOrganization(t, srv, func(org *store.Organization, _ time.Time) { org.FeatureSet = "CONSOLIDATED_BILLING" })
	iamRequireFeatureErrors(t, srv, srv.AdminCredentials(), iamAllFeatureErrors("OrganizationNotInAllFeaturesModeException"))
	_, err := iam.NewFromConfig(srv.Config(srv.AdminCredentials())).EnableOrganizationsRootSessions(context.Background(), nil)
	var typed *iamtypes.OrganizationNotInAllFeaturesModeException
	assert.True(t, errors.As(err, &typed), "typed SDK error, got %T", err)
}

func TestIAMFeatures_ServiceAccessNotEnabled(t *testing.T) {
	srv := apitest.New(t)
	iamRequireFeatureErrors(t, srv, srv.AdminCredentials(), iamAllFeatureErrors("ServiceAccessNotEnabledException"))
	rc, rs := iamStoredFeatures(t, srv)
	assert.False(t, rc || rs, "a refused enable changes nothing")
}

func TestIAMFeatures_MemberAccountCaller(t *testing.T) {
	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	role := srv.AssumeAccessRole(t, member)
	// The caller check comes before trusted access: access is still off here.
	iamRequireFeatureErrors(t, srv, role, map[string]string{
		"EnableOrganizationsRootCredentialsManagement":  "CallerIsNotManagementAccountException",
		"EnableOrganizationsRootSessions":               "CallerIsNotManagementAccountException",
		"DisableOrganizationsRootCredentialsManagement": "AccountNotManagementOrDelegatedAdministratorException",
		"DisableOrganizationsRootSessions":              "AccountNotManagementOrDelegatedAdministratorException",
		"ListOrganizationsFeatures":                     "AccountNotManagementOrDelegatedAdministratorException",
	})
	_, err := iam.NewFromConfig(srv.Config(role)).ListOrganizationsFeatures(context.Background(), nil)
	var typed *iamtypes.AccountNotManagementOrDelegatedAdministratorException
	assert.True(t, errors.As(err, &typed), "typed SDK error, got %T", err)
	_, err = iam.NewFromConfig(srv.Config(role)).EnableOrganizationsRootSessions(context.Background(), nil)
	var notMgmt *iamtypes.CallerIsNotManagementAccountException
	assert.True(t, errors.As(err, &notMgmt), "typed SDK error, got %T", err)
}

func TestIAMFeatures_DelegatedAdministrator(t *testing.T) {
	srv := apitest.New(t)
	da := srv.MemberAccount(t, "security")
	testkit.RegisterIAMDelegatedAdmin(t, srv, da)
	role := srv.AssumeAccessRole(t, da)
	notMgmt := map[string]string{
		"EnableOrganizationsRootCredentialsManagement": "CallerIsNotManagementAccountException",
		"EnableOrganizationsRootSessions":              "CallerIsNotManagementAccountException",
	}
	// Trusted access off: Disable*/List reach the last check.
	want := map[string]string{
		"DisableOrganizationsRootCredentialsManagement": "ServiceAccessNotEnabledException",
		"DisableOrganizationsRootSessions":              "ServiceAccessNotEnabledException",
		"ListOrganizationsFeatures":                     "ServiceAccessNotEnabledException",
	}
	for k, v := range notMgmt {
		want[k] = v
	}
	iamRequireFeatureErrors(t, srv, role, want)

	iamEnableServiceAccess(t, srv)
	ctx := context.Background()
	_, err := iam.NewFromConfig(srv.Config(srv.AdminCredentials())).EnableOrganizationsRootSessions(ctx, nil)
	require.NoError(t, err)
	_, err = iam.NewFromConfig(srv.Config(srv.AdminCredentials())).EnableOrganizationsRootCredentialsManagement(ctx, nil)
	require.NoError(t, err)

	daClient := iam.NewFromConfig(srv.Config(role))
	list, err := daClient.ListOrganizationsFeatures(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, iamOrganizationID(t, srv), aws.ToString(list.OrganizationId))
	assert.Equal(t, []iamtypes.FeatureType{"RootCredentialsManagement", "RootSessions"}, list.EnabledFeatures)
	_, err = daClient.EnableOrganizationsRootSessions(ctx, nil)
	testkit.RequireAWSError(t, err, "CallerIsNotManagementAccountException", 400)
	off, err := daClient.DisableOrganizationsRootSessions(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, []iamtypes.FeatureType{"RootCredentialsManagement"}, off.EnabledFeatures)

	// A user of the delegated administrator account may too, given the permission.
	user := iam.NewFromConfig(srv.Config(testkit.CreateUser(t, srv, da, "auditor",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListOrganizationsFeatures","Resource":"*"}]}`)))
	list, err = user.ListOrganizationsFeatures(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, []iamtypes.FeatureType{"RootCredentialsManagement"}, list.EnabledFeatures)
	_, err = user.DisableOrganizationsRootCredentialsManagement(ctx, nil)
	testkit.RequireAWSError(t, err, "AccessDenied", 403)
}

func TestIAMFeatures_EnableDisableList(t *testing.T) {
	srv := apitest.New(t)
	iamEnableServiceAccess(t, srv)
	orgID := iamOrganizationID(t, srv)
	ctx := context.Background()
	client := iam.NewFromConfig(srv.Config(srv.AdminCredentials()))
	features := func(names ...string) []iamtypes.FeatureType {
		out := []iamtypes.FeatureType{}
		for _, n := range names {
			out = append(out, iamtypes.FeatureType(n))
		}
		return out
	}
	steps := []struct {
		call string
		want []iamtypes.FeatureType
	}{
		{"ListOrganizationsFeatures", features()},
		{"EnableOrganizationsRootSessions", features("RootSessions")},
		{"EnableOrganizationsRootSessions", features("RootSessions")}, // idempotent
		{"EnableOrganizationsRootCredentialsManagement", features("RootCredentialsManagement", "RootSessions")},
		{"EnableOrganizationsRootCredentialsManagement", features("RootCredentialsManagement", "RootSessions")},
		{"ListOrganizationsFeatures", features("RootCredentialsManagement", "RootSessions")},
		{"DisableOrganizationsRootCredentialsManagement", features("RootSessions")},
		{"DisableOrganizationsRootCredentialsManagement", features("RootSessions")}, // idempotent
		{"DisableOrganizationsRootSessions", features()},
		{"DisableOrganizationsRootSessions", features()},
		{"EnableOrganizationsRootCredentialsManagement", features("RootCredentialsManagement")},
		{"ListOrganizationsFeatures", features("RootCredentialsManagement")},
	}
	for i, step := range steps {
		id, got, err := iamFeatureCalls[step.call](ctx, client)
		require.NoError(t, err, "step %d %s", i, step.call)
		assert.Equal(t, orgID, id, "step %d %s", i, step.call)
		if got == nil {
			got = features()
		}
		assert.Equal(t, step.want, got, "step %d %s", i, step.call)
		rc, rs := iamStoredFeatures(t, srv)
		assert.Equal(t, strings.Contains(iamJoinFeatures(step.want), "RootCredentialsManagement"), rc, "step %d stored", i)
		assert.Equal(t, strings.Contains(iamJoinFeatures(step.want), "RootSessions"), rs, "step %d stored", i)
	}
}

func iamJoinFeatures(fs []iamtypes.FeatureType) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(string(f) + ",")
	}
	return b.String()
}

// TestIAMFeatures_RootSessionsGateAssumeRoot: disabling RootSessions stops
// new root sessions at once.
func TestIAMFeatures_RootSessionsGateAssumeRoot(t *testing.T) {
	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	iamEnableServiceAccess(t, srv)
	ctx := context.Background()
	client := iam.NewFromConfig(srv.Config(srv.AdminCredentials()))
	_, err := client.EnableOrganizationsRootSessions(ctx, nil)
	require.NoError(t, err)
	_ = srv.RootSession(t, member, "IAMAuditRootUserCredentials")
	_, err = client.DisableOrganizationsRootSessions(ctx, nil)
	require.NoError(t, err)
	_, err = sts.NewFromConfig(srv.Config(srv.AdminCredentials())).AssumeRoot(ctx, &sts.AssumeRootInput{
		TargetPrincipal: aws.String(member), TaskPolicyArn: testkit.TaskPolicy(policy.AuditRootUserCredentials)})
	testkit.RequireAWSError(t, err, "AccessDenied", 403)
}

// TestIAMFeatures_NeedIAMPermission: an identity policy must allow the action.
func TestIAMFeatures_NeedIAMPermission(t *testing.T) {
	srv := apitest.New(t)
	iamEnableServiceAccess(t, srv)
	reader := testkit.CreateUser(t, srv, srv.ManagementAccountID(), "reader",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListOrganizationsFeatures","Resource":"*"}]}`)
	want := iamAllFeatureErrors("AccessDenied")
	delete(want, "ListOrganizationsFeatures")
	client := iam.NewFromConfig(srv.Config(reader))
	for name, call := range iamFeatureCalls {
		_, _, err := call(context.Background(), client)
		if code, ok := want[name]; ok {
			testkit.RequireAWSError(t, err, code, 403)
		} else {
			assert.NoError(t, err, name)
		}
	}
}

// TestIAMFeatures_WireFormat checks the raw XML: <member> list encoding and
// the error code with its Exception suffix.
func TestIAMFeatures_WireFormat(t *testing.T) {
	srv := apitest.New(t)
	srv.EnableRootAccess(t)
	r := testkit.PostQuery(t, srv, srv.AdminCredentials(), "iam", "Action=ListOrganizationsFeatures&Version=2010-05-08")
	require.Equal(t, 200, r.Status, r.Body)
	body := r.Body
	assert.Contains(t, body, `<ListOrganizationsFeaturesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">`)
	assert.Contains(t, body, "<ListOrganizationsFeaturesResult><OrganizationId>"+iamOrganizationID(t, srv)+"</OrganizationId>"+
		"<EnabledFeatures><member>RootCredentialsManagement</member><member>RootSessions</member></EnabledFeatures>"+
		"</ListOrganizationsFeaturesResult>")

	// No feature enabled: an empty list, not a missing member.
	testkit.UpdateOrganization(t, srv, func(org *store.Organization, _ time.Time) {
		org.RootCredentialsManagement, org.RootSessions = false, false
	})
	r = testkit.PostQuery(t, srv, srv.AdminCredentials(), "iam", "Action=ListOrganizationsFeatures&Version=2010-05-08")
	require.Equal(t, 200, r.Status, r.Body)
	assert.Contains(t, r.Body, "<EnabledFeatures></EnabledFeatures>")

	testkit.UpdateOrganization(t, srv, func(org *store.Organization, _ time.Time) { org.FeatureSet = "CONSOLIDATED_BILLING" })
	status, e := testkit.PostQueryError(t, srv, srv.AdminCredentials(), "iam", "Action=ListOrganizationsFeatures&Version=2010-05-08")
	assert.Equal(t, 400, status)
	assert.Equal(t, "OrganizationNotInAllFeaturesModeException", e.Error.Code)
}
