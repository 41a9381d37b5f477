package iam_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
	"github.com/rootaccess/emulator/pkg/policy"
	"github.com/rootaccess/emulator/pkg/store"
)

// --- helpers ---

// ieIAM is an IAM client of srv signed with creds.
func ieIAM(srv *apitest.Server, creds aws.Credentials) *iam.Client {
	return iam.NewFromConfig(srv.Config(creds))
}

// ieSTS is an STS client of srv signed with creds.
func ieSTS(srv *apitest.Server, creds aws.Credentials) *sts.Client {
	return sts.NewFromConfig(srv.Config(creds))
}

// ieMessage is an AWS error's message.
func ieMessage(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae)
	return ae.ErrorMessage()
}

// ieAllowAssumeRootFor is an identity policy that allows sts:AssumeRoot
// only with the named task policy.
func ieAllowAssumeRootFor(task string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"RootTask","Effect":"Allow","Action":"sts:AssumeRoot","Resource":"*",` +
		`"Condition":{"StringEquals":{"sts:TaskPolicyArn":"` + policy.ARN(task) + `"}}}]}`
}

// ieTrust is a trust policy that lets the principal ARN assume a role.
func ieTrust(principalARN string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + principalARN + `"},"Action":"sts:AssumeRole"}]}`
}

// ieAllowAll allows everything on everything.
const ieAllowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// ieUserWithKey creates a user (through the API, signed by client) with
// one inline policy when doc is not empty, and an access key, and returns the key.
func ieUserWithKey(t *testing.T, client *iam.Client, name, path, doc string) aws.Credentials {
	t.Helper()
	ctx := context.Background()
	in := &iam.CreateUserInput{UserName: aws.String(name)}
	if path != "" {
		in.Path = aws.String(path)
	}
	_, err := client.CreateUser(ctx, in)
	require.NoError(t, err)
	if doc != "" {
		_, err = client.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name),
			PolicyName: aws.String("inline"), PolicyDocument: aws.String(doc)})
		require.NoError(t, err)
	}
	key, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	require.NoError(t, err)
	return aws.Credentials{AccessKeyID: aws.ToString(key.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(key.AccessKey.SecretAccessKey)}
}

// ieDocOfSize is an identity policy of exactly n characters that are not
// white space, followed by pad spaces (which IAM does not count).
func ieDocOfSize(t *testing.T, n, pad int) string {
	t.Helper()
	head := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/`
	tail := `"}]}`
	fill := n - len(head) - len(tail)
	require.Positive(t, fill)
	return head + strings.Repeat("k", fill) + tail + strings.Repeat(" ", pad)
}

// --- Users ---

// TestIAMEntities_UserLifecycle creates a user on a path with tags, reads it
// by name (any letter case), refuses duplicates, and deletes it only once
// its access keys and inline policies are gone.
func TestIAMEntities_UserLifecycle(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := ieIAM(srv, srv.AdminCredentials())
	mgmt := srv.ManagementAccountID()
	arn := "arn:aws:iam::" + mgmt + ":user/security/auditors/alice"

	created, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/security/auditors/"),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("security")}, {Key: aws.String("cost-center"), Value: aws.String("")}}})
	require.NoError(t, err)
	u := created.User
	assert.Equal(t, "alice", aws.ToString(u.UserName))
	assert.Equal(t, "/security/auditors/", aws.ToString(u.Path))
	assert.Equal(t, arn, aws.ToString(u.Arn))
	assert.Regexp(t, `^AIDA[A-Z2-7]{17}$`, aws.ToString(u.UserId))
	assert.WithinDuration(t, srv.Clock.Now(), aws.ToTime(u.CreateDate), 2e9)
	require.Len(t, u.Tags, 2)
	assert.Equal(t, "cost-center", aws.ToString(u.Tags[0].Key))
	assert.Equal(t, "security", aws.ToString(u.Tags[1].Value))

	for _, name := range []string{"alice", "ALICE"} {
		got, err := admin.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
		require.NoError(t, err, name)
		assert.Equal(t, arn, aws.ToString(got.User.Arn), "IAM names are case-insensitive")
		assert.Equal(t, "alice", aws.ToString(got.User.UserName))
		assert.Len(t, got.User.Tags, 2)
	}

	// Names are unique per account whatever the path and the case.
	for _, in := range []*iam.CreateUserInput{
		{UserName: aws.String("alice")},
		{UserName: aws.String("Alice"), Path: aws.String("/elsewhere/")},
	} {
		_, err = admin.CreateUser(ctx, in)
		testkit.RequireAWSError(t, err, "EntityAlreadyExists", http.StatusConflict)
		assert.Equal(t, "User with name "+aws.ToString(in.UserName)+" already exists.", ieMessage(t, err))
	}
	var exists *iamtypes.EntityAlreadyExistsException
	assert.ErrorAs(t, err, &exists)
	// A role may share a user's name.
	_, err = admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("alice"),
		AssumeRolePolicyDocument: aws.String(ieTrust("arn:aws:iam::" + mgmt + ":root"))})
	require.NoError(t, err)

	summary := rcSummary(t, admin)
	assert.EqualValues(t, 2, summary["Users"], "admin and alice")
	assert.EqualValues(t, 1, summary["Roles"])

	// Keys and inline policies of a user on a path.
	key, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	_, err = admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"),
		PolicyName: aws.String("self"), PolicyDocument: aws.String(ieAllowAll)})
	require.NoError(t, err)
	alice := aws.Credentials{AccessKeyID: aws.ToString(key.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(key.AccessKey.SecretAccessKey)}
	who, err := ieSTS(srv, alice).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, arn, aws.ToString(who.Arn), "the caller's ARN carries the path")
	assert.Equal(t, aws.ToString(u.UserId), aws.ToString(who.UserId))
	keys, err := ieIAM(srv, alice).ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	require.NoError(t, err)
	require.Len(t, keys.AccessKeyMetadata, 1)
	assert.Equal(t, "alice", aws.ToString(keys.AccessKeyMetadata[0].UserName))

	// DeleteConflict while anything is attached, keys first.
	_, err = admin.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	testkit.RequireAWSError(t, err, "DeleteConflict", http.StatusConflict)
	assert.Equal(t, "Cannot delete entity, must delete access keys first.", ieMessage(t, err))
	var conflict *iamtypes.DeleteConflictException
	assert.ErrorAs(t, err, &conflict)
	_, err = admin.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: key.AccessKey.AccessKeyId})
	require.NoError(t, err)
	_, err = admin.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	testkit.RequireAWSError(t, err, "DeleteConflict", http.StatusConflict)
	assert.Equal(t, "Cannot delete entity, must delete policies first.", ieMessage(t, err))
	_, err = admin.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("self")})
	require.NoError(t, err)
	_, err = admin.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("ALICE")})
	require.NoError(t, err)

	_, err = admin.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)
	_, err = admin.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)
	assert.Equal(t, "The user with name alice cannot be found.", ieMessage(t, err))
	var missing *iamtypes.NoSuchEntityException
	assert.ErrorAs(t, err, &missing)
	assert.EqualValues(t, 1, rcSummary(t, admin)["Users"])

	// The name is free again, on any path.
	again, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	assert.Equal(t, "/", aws.ToString(again.User.Path))
	assert.NotEqual(t, aws.ToString(u.UserId), aws.ToString(again.User.UserId), "a new user has a new unique id")
}

// --- Roles ---

// TestIAMEntities_RoleLifecycle creates a role with every optional member,
// reads it back (the trust policy URL-encoded, as IAM returns it), and
// deletes it only once its inline policies are gone.
func TestIAMEntities_RoleLifecycle(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := ieIAM(srv, srv.AdminCredentials())
	mgmt := srv.ManagementAccountID()
	trust := ieTrust("arn:aws:iam::" + mgmt + ":user/admin")

	created, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("root-auditor"), Path: aws.String("/security/"),
		AssumeRolePolicyDocument: aws.String(trust), Description: aws.String("Audits member root users"),
		MaxSessionDuration: aws.Int32(7200), Tags: []iamtypes.Tag{{Key: aws.String("purpose"), Value: aws.String("audit")}}})
	require.NoError(t, err)
	r := created.Role
	assert.Equal(t, "arn:aws:iam::"+mgmt+":role/security/root-auditor", aws.ToString(r.Arn))
	assert.Equal(t, "/security/", aws.ToString(r.Path))
	assert.Regexp(t, `^AROA[A-Z2-7]{17}$`, aws.ToString(r.RoleId))
	assert.Equal(t, "Audits member root users", aws.ToString(r.Description))
	assert.EqualValues(t, 7200, aws.ToInt32(r.MaxSessionDuration))
	decoded, err := url.QueryUnescape(aws.ToString(r.AssumeRolePolicyDocument))
	require.NoError(t, err)
	assert.Equal(t, trust, decoded)
	assert.NotEqual(t, trust, aws.ToString(r.AssumeRolePolicyDocument), "returned URL-encoded")
	require.Len(t, r.Tags, 1)

	got, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("ROOT-AUDITOR")})
	require.NoError(t, err)
	assert.Equal(t, aws.ToString(r.Arn), aws.ToString(got.Role.Arn))
	assert.Equal(t, aws.ToString(r.AssumeRolePolicyDocument), aws.ToString(got.Role.AssumeRolePolicyDocument))
	assert.NotNil(t, got.Role.RoleLastUsed)
	assert.Len(t, got.Role.Tags, 1)

	plain, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("plain"), AssumeRolePolicyDocument: aws.String(trust)})
	require.NoError(t, err)
	assert.EqualValues(t, 3600, aws.ToInt32(plain.Role.MaxSessionDuration), "the default")
	assert.Equal(t, "/", aws.ToString(plain.Role.Path))

	_, err = admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Root-Auditor"), AssumeRolePolicyDocument: aws.String(trust)})
	testkit.RequireAWSError(t, err, "EntityAlreadyExists", http.StatusConflict)
	assert.Equal(t, "Role with name Root-Auditor already exists.", ieMessage(t, err))

	// A role session keeps working with a path role; its ARN has no path.
	out, err := ieSTS(srv, srv.AdminCredentials()).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r.Arn,
		RoleSessionName: aws.String("audit"), DurationSeconds: aws.Int32(7200)})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:sts::"+mgmt+":assumed-role/root-auditor/audit", aws.ToString(out.AssumedRoleUser.Arn))
	who, err := ieSTS(srv, apitest.SessionCredentials(out.Credentials)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, aws.ToString(out.AssumedRoleUser.Arn), aws.ToString(who.Arn))
	assert.Equal(t, aws.ToString(r.RoleId)+":audit", aws.ToString(who.UserId))

	_, err = admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("root-auditor"),
		PolicyName: aws.String("assume-root"), PolicyDocument: aws.String(ieAllowAssumeRootFor(policy.AuditRootUserCredentials))})
	require.NoError(t, err)
	_, err = admin.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("root-auditor")})
	testkit.RequireAWSError(t, err, "DeleteConflict", http.StatusConflict)
	assert.Equal(t, "Cannot delete entity, must delete policies first.", ieMessage(t, err))
	_, err = admin.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("root-auditor"), PolicyName: aws.String("assume-root")})
	require.NoError(t, err)
	_, err = admin.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("root-auditor")})
	require.NoError(t, err)
	_, err = admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("root-auditor")})
	testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)
	assert.Equal(t, "The role with name root-auditor cannot be found.", ieMessage(t, err))
	_, err = admin.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("root-auditor")})
	testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)
	_, err = admin.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("root-auditor"), PolicyDocument: aws.String(trust)})
	testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)
}

// TestIAMEntities_TrustPolicy: a role trusting the admin user's ARN can be
// assumed by it; once UpdateAssumeRolePolicy trusts someone else, the admin
// cannot and the other user can.
func TestIAMEntities_TrustPolicy(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := ieIAM(srv, srv.AdminCredentials())
	mgmt := srv.ManagementAccountID()
	adminARN := "arn:aws:iam::" + mgmt + ":user/admin"

	role, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ops"), Path: aws.String("/team/"),
		AssumeRolePolicyDocument: aws.String(ieTrust(adminARN))})
	require.NoError(t, err)
	assume := func(creds aws.Credentials) error {
		_, err := ieSTS(srv, creds).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("s1")})
		return err
	}
	require.NoError(t, assume(srv.AdminCredentials()))

	// A user with no policy at all: the trust policy alone lets it in, as
	// within one account a resource policy naming the caller suffices.
	other := ieUserWithKey(t, admin, "other", "/team/", "")
	otherARN := "arn:aws:iam::" + mgmt + ":user/team/other"
	err = assume(other)
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)

	_, err = admin.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("ops"),
		PolicyDocument: aws.String(ieTrust(otherARN))})
	require.NoError(t, err)
	err = assume(srv.AdminCredentials())
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	assert.Contains(t, ieMessage(t, err), "is not authorized to perform: sts:AssumeRole on resource: "+aws.ToString(role.Role.Arn))
	require.NoError(t, assume(other))

	got, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("ops")})
	require.NoError(t, err)
	decoded, err := url.QueryUnescape(aws.ToString(got.Role.AssumeRolePolicyDocument))
	require.NoError(t, err)
	assert.Equal(t, ieTrust(otherARN), decoded)

	// AssumeRole honours the role's MaxSessionDuration (3600 by default).
	_, err = ieSTS(srv, other).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("s1"),
		DurationSeconds: aws.Int32(7200)})
	testkit.RequireAWSError(t, err, "ValidationError", http.StatusBadRequest)
}

// TestIAMEntities_DeletedRoleSessions: a session of a deleted role is
// allowed nothing (not a server error), even after a role of the same name
// is created again, since that is another role (another unique id).
func TestIAMEntities_DeletedRoleSessions(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := ieIAM(srv, srv.AdminCredentials())
	trust := ieTrust("arn:aws:iam::" + srv.ManagementAccountID() + ":user/admin")
	create := func() *iamtypes.Role {
		out, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("temp"), AssumeRolePolicyDocument: aws.String(trust)})
		require.NoError(t, err)
		_, err = admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("temp"), PolicyName: aws.String("all"),
			PolicyDocument: aws.String(ieAllowAll)})
		require.NoError(t, err)
		return out.Role
	}
	role := create()
	out, err := ieSTS(srv, srv.AdminCredentials()).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s1")})
	require.NoError(t, err)
	session := ieIAM(srv, apitest.SessionCredentials(out.Credentials))
	_, err = session.ListRoles(ctx, &iam.ListRolesInput{})
	require.NoError(t, err)

	_, err = admin.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("temp"), PolicyName: aws.String("all")})
	require.NoError(t, err)
	_, err = session.ListRoles(ctx, &iam.ListRolesInput{})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = admin.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("temp")})
	require.NoError(t, err)
	_, err = session.ListRoles(ctx, &iam.ListRolesInput{})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = ieSTS(srv, apitest.SessionCredentials(out.Credentials)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err, "GetCallerIdentity needs no permission")

	create()
	_, err = session.ListRoles(ctx, &iam.ListRolesInput{})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
}

// --- Inline policies ---

// TestIAMEntities_InlinePolicies puts, reads, lists, replaces and deletes
// inline policies of a user and of a role.
func TestIAMEntities_InlinePolicies(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := ieIAM(srv, srv.AdminCredentials())
	_, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")})
	require.NoError(t, err)
	_, err = admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"),
		AssumeRolePolicyDocument: aws.String(ieTrust("arn:aws:iam::" + srv.ManagementAccountID() + ":root"))})
	require.NoError(t, err)
	readOnly := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:Get*\", \"Resource\": \"*\"}]\n}"

	t.Run("user", func(t *testing.T) {
		_, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("read-only"),
			PolicyDocument: aws.String(readOnly)})
		require.NoError(t, err)
		_, err = admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("all"),
			PolicyDocument: aws.String(ieAllowAll)})
		require.NoError(t, err)
		got, err := admin.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("BOB"), PolicyName: aws.String("read-only")})
		require.NoError(t, err)
		assert.Equal(t, "bob", aws.ToString(got.UserName))
		assert.Equal(t, "read-only", aws.ToString(got.PolicyName))
		decoded, err := url.QueryUnescape(aws.ToString(got.PolicyDocument))
		require.NoError(t, err)
		assert.Equal(t, readOnly, decoded, "the document as it was put, URL-encoded")
		list, err := admin.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("bob")})
		require.NoError(t, err)
		assert.Equal(t, []string{"all", "read-only"}, list.PolicyNames)
		assert.False(t, list.IsTruncated)

		// Replacing keeps one policy of that name.
		_, err = admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("all"),
			PolicyDocument: aws.String(readOnly)})
		require.NoError(t, err)
		list, err = admin.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("bob")})
		require.NoError(t, err)
		assert.Equal(t, []string{"all", "read-only"}, list.PolicyNames)

		_, err = admin.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("all")})
		require.NoError(t, err)
		_, err = admin.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("all")})
		testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)
		assert.Equal(t, "The user policy with name all cannot be found.", ieMessage(t, err))
		_, err = admin.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("all")})
		testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)

		for name, call := range map[string]func() error{
			"PutUserPolicy": func() error {
				_, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("ghost"), PolicyName: aws.String("p"),
					PolicyDocument: aws.String(readOnly)})
				return err
			},
			"GetUserPolicy": func() error {
				_, err := admin.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("ghost"), PolicyName: aws.String("p")})
				return err
			},
			"DeleteUserPolicy": func() error {
				_, err := admin.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("ghost"), PolicyName: aws.String("p")})
				return err
			},
			"ListUserPolicies": func() error {
				_, err := admin.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("ghost")})
				return err
			},
		} {
			err := call()
			testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)
			assert.Equal(t, "The user with name ghost cannot be found.", ieMessage(t, err), name)
		}
	})

	t.Run("role", func(t *testing.T) {
		_, err := admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("read-only"),
			PolicyDocument: aws.String(readOnly)})
		require.NoError(t, err)
		got, err := admin.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("read-only")})
		require.NoError(t, err)
		assert.Equal(t, "r", aws.ToString(got.RoleName))
		decoded, err := url.QueryUnescape(aws.ToString(got.PolicyDocument))
		require.NoError(t, err)
		assert.Equal(t, readOnly, decoded)
		list, err := admin.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("r")})
		require.NoError(t, err)
		assert.Equal(t, []string{"read-only"}, list.PolicyNames)
		_, err = admin.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("read-only")})
		require.NoError(t, err)
		_, err = admin.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("read-only")})
		testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)
		assert.Equal(t, "The role policy with name read-only cannot be found.", ieMessage(t, err))
		list, err = admin.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("r")})
		require.NoError(t, err)
		assert.Empty(t, list.PolicyNames)
		_, err = admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ghost"), PolicyName: aws.String("p"),
			PolicyDocument: aws.String(readOnly)})
		testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)
		assert.Equal(t, "The role with name ghost cannot be found.", ieMessage(t, err))
		_, err = admin.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("ghost")})
		testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)
	})
}

// TestIAMEntities_MalformedPolicyDocument: documents that are not identity
// policies (or, for trust policies, not trust policies) are refused with
// MalformedPolicyDocument and a message saying what is wrong, and nothing
// is stored.
func TestIAMEntities_MalformedPolicyDocument(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := ieIAM(srv, srv.AdminCredentials())
	mgmt := srv.ManagementAccountID()
	_, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol")})
	require.NoError(t, err)
	goodTrust := ieTrust("arn:aws:iam::" + mgmt + ":root")
	_, err = admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(goodTrust)})
	require.NoError(t, err)

	identity := map[string]struct{ doc, message string }{
		"not JSON":          {`{"Version":"2012-10-17",`, ""},
		"a JSON list":       {`[]`, "policy document must be a JSON object"},
		"no Statement":      {`{"Version":"2012-10-17"}`, "Missing required field Statement"},
		"empty Statement":   {`{"Version":"2012-10-17","Statement":[]}`, "at least one statement"},
		"unknown Version":   {`{"Version":"2020-01-01","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, "Version"},
		"bad Effect":        {`{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`, "Invalid effect: Maybe"},
		"a Principal":       {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, "Has prohibited field Principal"},
		"no Resource":       {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}`, "Policy statement must contain resources."},
		"no Action":         {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}`, "Policy statement must contain actions."},
		"bad action":        {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"getobject","Resource":"*"}]}`, "getobject"},
		"duplicate Sid":     {`{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"a","Effect":"Deny","Action":"*","Resource":"*"}]}`, "unique"},
		"unknown condition": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"x"}}}]}`, "StringEqualz"},
	}
	for name, tc := range identity {
		t.Run("identity/"+name, func(t *testing.T) {
			_, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("carol"), PolicyName: aws.String("p"),
				PolicyDocument: aws.String(tc.doc)})
			testkit.RequireAWSError(t, err, "MalformedPolicyDocument", http.StatusBadRequest)
			var malformed *iamtypes.MalformedPolicyDocumentException
			assert.ErrorAs(t, err, &malformed)
			msg := ieMessage(t, err)
			assert.NotEmpty(t, msg)
			assert.NotContains(t, msg, "malformed policy document:", "the parser's prefix is not repeated")
			assert.Contains(t, msg, tc.message)
			_, err = admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("p"),
				PolicyDocument: aws.String(tc.doc)})
			testkit.RequireAWSError(t, err, "MalformedPolicyDocument", http.StatusBadRequest)
		})
	}
	users, err := admin.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("carol")})
	require.NoError(t, err)
	assert.Empty(t, users.PolicyNames, "nothing stored")
	roles, err := admin.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("r")})
	require.NoError(t, err)
	assert.Empty(t, roles.PolicyNames, "nothing stored")

	trust := map[string]struct{ doc, message string }{
		"no Principal":      {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`, "Missing required field Principal"},
		"a Resource":        {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + mgmt + `"},"Action":"sts:AssumeRole","Resource":"*"}]}`, "Has prohibited field Resource"},
		"not an STS action": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + mgmt + `"},"Action":"s3:GetObject"}]}`, "AssumeRole policy may only specify STS AssumeRole actions."},
		"a missing user":    {ieTrust("arn:aws:iam::" + mgmt + ":user/nobody"), `Invalid principal in policy: "AWS":"arn:aws:iam::` + mgmt + `:user/nobody"`},
		"a missing role":    {ieTrust("arn:aws:iam::" + mgmt + ":role/team/nobody"), "Invalid principal in policy"},
		"a bad principal":   {ieTrust("nobody"), "Invalid principal in policy"},
		"an identity doc":   {ieAllowAll, "Missing required field Principal"},
	}
	for name, tc := range trust {
		t.Run("trust/"+name, func(t *testing.T) {
			_, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("never"), AssumeRolePolicyDocument: aws.String(tc.doc)})
			testkit.RequireAWSError(t, err, "MalformedPolicyDocument", http.StatusBadRequest)
			assert.Contains(t, ieMessage(t, err), tc.message)
			_, err = admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("never")})
			testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)

			_, err = admin.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("r"), PolicyDocument: aws.String(tc.doc)})
			testkit.RequireAWSError(t, err, "MalformedPolicyDocument", http.StatusBadRequest)
			got, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")})
			require.NoError(t, err)
			decoded, err := url.QueryUnescape(aws.ToString(got.Role.AssumeRolePolicyDocument))
			require.NoError(t, err)
			assert.Equal(t, goodTrust, decoded, "the trust policy is unchanged")
		})
	}

	// Principals that need not be IAM entities of the emulator are accepted.
	for _, p := range []string{"*", mgmt, "arn:aws:iam::123456789012:root", "arn:aws:iam::" + mgmt + ":user/admin"} {
		_, err := admin.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("r"), PolicyDocument: aws.String(ieTrust(p))})
		assert.NoError(t, err, p)
	}
	_, err = admin.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("r"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`)})
	assert.NoError(t, err)
}

// TestIAMEntities_PolicySizeLimits: a user's inline policies together may
// have 2048 characters that are not white space, a role's 10240, a trust
// policy 2048; past that, LimitExceeded and nothing stored.
func TestIAMEntities_PolicySizeLimits(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := ieIAM(srv, srv.AdminCredentials())
	_, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dave")})
	require.NoError(t, err)
	trustRoot := ieTrust("arn:aws:iam::" + srv.ManagementAccountID() + ":root")
	_, err = admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustRoot)})
	require.NoError(t, err)
	putUser := func(name, doc string) error {
		_, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("dave"), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
		return err
	}
	putRole := func(name, doc string) error {
		_, err := admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
		return err
	}

	require.NoError(t, putUser("big", ieDocOfSize(t, 2048, 500)), "white space is not counted")
	err = putUser("bigger", ieDocOfSize(t, 120, 0))
	testkit.RequireAWSError(t, err, "LimitExceeded", http.StatusConflict)
	assert.Equal(t, "Maximum policy size of 2048 bytes exceeded for user dave", ieMessage(t, err))
	var limit *iamtypes.LimitExceededException
	assert.ErrorAs(t, err, &limit)
	require.NoError(t, putUser("big", ieDocOfSize(t, 1000, 0)), "a replaced policy no longer counts")
	require.NoError(t, putUser("second", ieDocOfSize(t, 1048, 0)))
	err = putUser("third", ieDocOfSize(t, 120, 0))
	testkit.RequireAWSError(t, err, "LimitExceeded", http.StatusConflict)
	list, err := admin.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("dave")})
	require.NoError(t, err)
	assert.Equal(t, []string{"big", "second"}, list.PolicyNames)

	require.NoError(t, putRole("a", ieDocOfSize(t, 5120, 0)))
	require.NoError(t, putRole("b", ieDocOfSize(t, 5120, 0)))
	err = putRole("c", ieDocOfSize(t, 120, 0))
	testkit.RequireAWSError(t, err, "LimitExceeded", http.StatusConflict)
	assert.Equal(t, "Maximum policy size of 10240 bytes exceeded for role r", ieMessage(t, err))

	// A trust policy of more than 2048 characters.
	many := make([]string, 0, 60)
	for i := range 60 {
		many = append(many, fmt.Sprintf(`"arn:aws:iam::1234567890%02d:root"`, i))
	}
	bigTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[` + strings.Join(many, ",") + `]},"Action":"sts:AssumeRole"}]}`
	require.Greater(t, len(bigTrust), 2048)
	_, err = admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("wide"), AssumeRolePolicyDocument: aws.String(bigTrust)})
	testkit.RequireAWSError(t, err, "LimitExceeded", http.StatusConflict)
	assert.Equal(t, "Cannot exceed quota for ACLSizePerRole: 2048", ieMessage(t, err))
	_, err = admin.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("r"), PolicyDocument: aws.String(bigTrust)})
	testkit.RequireAWSError(t, err, "LimitExceeded", http.StatusConflict)
}

// --- Validation ---

// TestIAMEntities_Validation: the model's constraints, in Coral's form,
// before anything else; nothing is created.
func TestIAMEntities_Validation(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := rcIAM(srv, srv.AdminCredentials())
	trust := aws.String(ieTrust("arn:aws:iam::" + srv.ManagementAccountID() + ":root"))
	long := strings.Repeat("a", 65)
	cases := map[string]struct {
		call    func() error
		code    string
		message string
	}{
		"CreateUser without UserName": {func() error { _, err := admin.CreateUser(ctx, &iam.CreateUserInput{}); return err },
			"ValidationError", "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"},
		"CreateUser name too long": {func() error {
			_, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(long)})
			return err
		}, "ValidationError", "Member must have length less than or equal to 64"},
		"CreateUser bad characters": {func() error {
			_, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bad name!")})
			return err
		}, "ValidationError", "at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		"CreateUser path without slashes": {func() error {
			_, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u"), Path: aws.String("team")})
			return err
		}, "ValidationError", "at 'path'"},
		"CreateUser path without trailing slash": {func() error {
			_, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u"), Path: aws.String("/team")})
			return err
		}, "ValidationError", "at 'path'"},
		"CreateUser reserved tag": {func() error {
			_, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u"),
				Tags: []iamtypes.Tag{{Key: aws.String("aws:owner"), Value: aws.String("x")}}})
			return err
		}, "InvalidInput", "reserved"},
		"CreateUser duplicate tag keys": {func() error {
			_, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u"),
				Tags: []iamtypes.Tag{{Key: aws.String("Env"), Value: aws.String("a")}, {Key: aws.String("env"), Value: aws.String("b")}}})
			return err
		}, "InvalidInput", "Duplicate tag keys found"},
		"CreateUser bad tag key": {func() error {
			_, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u"),
				Tags: []iamtypes.Tag{{Key: aws.String("bad*key"), Value: aws.String("a")}}})
			return err
		}, "ValidationError", "at 'tags.1.member.key'"},
		"CreateUser permissions boundary": {func() error {
			_, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u"),
				PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/PowerUserAccess")})
			return err
		}, "InvalidInput", "does not support permissions boundaries"},
		"DeleteUser without UserName": {func() error { _, err := admin.DeleteUser(ctx, &iam.DeleteUserInput{}); return err },
			"ValidationError", "at 'userName' failed to satisfy constraint: Member must not be null"},
		"ListUsers bad PathPrefix": {func() error {
			_, err := admin.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("team")})
			return err
		}, "ValidationError", "at 'pathPrefix'"},
		"ListUsers MaxItems 0": {func() error {
			_, err := admin.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(0)})
			return err
		}, "ValidationError", "Member must have value greater than or equal to 1"},
		"ListRoles MaxItems 1001": {func() error {
			_, err := admin.ListRoles(ctx, &iam.ListRolesInput{MaxItems: aws.Int32(1001)})
			return err
		}, "ValidationError", "Member must have value less than or equal to 1000"},
		"ListUsers bad Marker": {func() error {
			_, err := admin.ListUsers(ctx, &iam.ListUsersInput{Marker: aws.String("not-a-marker")})
			return err
		}, "ValidationError", "Invalid Marker."},
		"CreateRole without trust policy": {func() error {
			_, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r")})
			return err
		}, "ValidationError", "Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null"},
		"CreateRole MaxSessionDuration too short": {func() error {
			_, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: trust, MaxSessionDuration: aws.Int32(3599)})
			return err
		}, "ValidationError", "Value '3599' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600"},
		"CreateRole MaxSessionDuration too long": {func() error {
			_, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: trust, MaxSessionDuration: aws.Int32(43201)})
			return err
		}, "ValidationError", "Member must have value less than or equal to 43200"},
		"CreateRole description too long": {func() error {
			_, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: trust,
				Description: aws.String(strings.Repeat("d", 1001))})
			return err
		}, "ValidationError", "at 'description'"},
		"CreateRole name too long": {func() error {
			_, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(long), AssumeRolePolicyDocument: trust})
			return err
		}, "ValidationError", "at 'roleName'"},
		"CreateRole two problems": {func() error {
			_, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bad name"), MaxSessionDuration: aws.Int32(60)})
			return err
		}, "ValidationError", "3 validation errors detected"},
		"GetRole without RoleName": {func() error { _, err := admin.GetRole(ctx, &iam.GetRoleInput{}); return err },
			"ValidationError", "at 'roleName' failed to satisfy constraint: Member must not be null"},
		"UpdateAssumeRolePolicy without document": {func() error {
			_, err := admin.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("r")})
			return err
		}, "ValidationError", "at 'policyDocument'"},
		"PutUserPolicy name too long": {func() error {
			_, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("admin"),
				PolicyName: aws.String(strings.Repeat("p", 129)), PolicyDocument: aws.String(ieAllowAll)})
			return err
		}, "ValidationError", "at 'policyName' failed to satisfy constraint: Member must have length less than or equal to 128"},
		"PutUserPolicy bad policy name": {func() error {
			_, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("admin"),
				PolicyName: aws.String("no spaces"), PolicyDocument: aws.String(ieAllowAll)})
			return err
		}, "ValidationError", "at 'policyName'"},
		"PutUserPolicy document with characters past U+00FF": {func() error {
			_, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("admin"),
				PolicyName: aws.String("p"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"☃","Effect":"Allow","Action":"*","Resource":"*"}]}`)})
			return err
		}, "ValidationError", "at 'policyDocument'"},
		"PutRolePolicy without document": {func() error {
			_, err := admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("p")})
			return err
		}, "ValidationError", "Value null at 'policyDocument'"},
		"GetRolePolicy without PolicyName": {func() error {
			_, err := admin.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("r")})
			return err
		}, "ValidationError", "Value null at 'policyName'"},
		"ListUserPolicies without UserName": {func() error {
			_, err := admin.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{})
			return err
		}, "ValidationError", "Value null at 'userName'"},
		"ListRolePolicies MaxItems 0": {func() error {
			_, err := admin.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("r"), MaxItems: aws.Int32(0)})
			return err
		}, "ValidationError", "at 'maxItems'"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := tc.call()
			testkit.RequireAWSError(t, err, tc.code, http.StatusBadRequest)
			assert.Contains(t, ieMessage(t, err), tc.message)
		})
	}
	users, err := admin.ListUsers(ctx, &iam.ListUsersInput{})
	require.NoError(t, err)
	require.Len(t, users.Users, 1, "only the seeded admin")
	roles, err := admin.ListRoles(ctx, &iam.ListRolesInput{})
	require.NoError(t, err)
	assert.Empty(t, roles.Roles)
}

// --- Listings ---

// TestIAMEntities_Pagination pages through users, roles and inline policies
// with Marker/MaxItems, filtered by PathPrefix, in name order.
func TestIAMEntities_Pagination(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := ieIAM(srv, srv.AdminCredentials())
	trust := aws.String(ieTrust("arn:aws:iam::" + srv.ManagementAccountID() + ":root"))
	for _, u := range []struct{ name, path string }{
		{"eve", "/eng/"}, {"Dan", "/eng/"}, {"carl", "/eng/backend/"}, {"bea", "/ops/"}, {"ann", "/"},
	} {
		_, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u.name), Path: aws.String(u.path)})
		require.NoError(t, err)
		_, err = admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("role-" + u.name), Path: aws.String(u.path),
			AssumeRolePolicyDocument: trust})
		require.NoError(t, err)
	}

	listUsers := func(prefix string, max int32) ([]string, int) {
		var names []string
		pages := 0
		in := &iam.ListUsersInput{MaxItems: aws.Int32(max)}
		if prefix != "" {
			in.PathPrefix = aws.String(prefix)
		}
		for {
			out, err := admin.ListUsers(ctx, in)
			require.NoError(t, err)
			pages++
			for _, u := range out.Users {
				names = append(names, aws.ToString(u.UserName))
				assert.Empty(t, u.Tags, "ListUsers returns no tags")
			}
			if !out.IsTruncated {
				assert.Nil(t, out.Marker)
				return names, pages
			}
			assert.Len(t, out.Users, int(max))
			in.Marker = out.Marker
		}
	}
	names, pages := listUsers("", 2)
	assert.Equal(t, []string{"admin", "ann", "bea", "carl", "Dan", "eve"}, names, "ordered by name, ignoring case")
	assert.Equal(t, 3, pages)
	names, _ = listUsers("/eng/", 1)
	assert.Equal(t, []string{"carl", "Dan", "eve"}, names)
	names, _ = listUsers("/eng/b", 10)
	assert.Equal(t, []string{"carl"}, names)
	names, _ = listUsers("/nobody/", 10)
	assert.Empty(t, names)

	// The SDK's paginator walks roles the same way.
	var roles []string
	p := iam.NewListRolesPaginator(admin, &iam.ListRolesInput{PathPrefix: aws.String("/eng/"), MaxItems: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		for _, r := range out.Roles {
			roles = append(roles, aws.ToString(r.RoleName))
			decoded, err := url.QueryUnescape(aws.ToString(r.AssumeRolePolicyDocument))
			require.NoError(t, err)
			assert.Equal(t, aws.ToString(trust), decoded)
			assert.EqualValues(t, 3600, aws.ToInt32(r.MaxSessionDuration))
		}
	}
	assert.Equal(t, []string{"role-carl", "role-Dan", "role-eve"}, roles)

	// A marker belongs to its listing: another prefix or kind refuses it.
	first, err := admin.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(1)})
	require.NoError(t, err)
	require.True(t, first.IsTruncated)
	_, err = admin.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(1), PathPrefix: aws.String("/eng/"), Marker: first.Marker})
	testkit.RequireAWSError(t, err, "ValidationError", http.StatusBadRequest)
	_, err = admin.ListRoles(ctx, &iam.ListRolesInput{Marker: first.Marker})
	testkit.RequireAWSError(t, err, "ValidationError", http.StatusBadRequest)

	// Inline policy names.
	for _, name := range []string{"c", "a", "b"} {
		_, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("ann"), PolicyName: aws.String(name),
			PolicyDocument: aws.String(ieAllowAll)})
		require.NoError(t, err)
	}
	var policies []string
	pp := iam.NewListUserPoliciesPaginator(admin, &iam.ListUserPoliciesInput{UserName: aws.String("ann"), MaxItems: aws.Int32(2)})
	for pp.HasMorePages() {
		out, err := pp.NextPage(ctx)
		require.NoError(t, err)
		policies = append(policies, out.PolicyNames...)
	}
	assert.Equal(t, []string{"a", "b", "c"}, policies)
	page, err := admin.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("ann"), MaxItems: aws.Int32(2)})
	require.NoError(t, err)
	_, err = admin.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("bea"), Marker: page.Marker})
	testkit.RequireAWSError(t, err, "ValidationError", http.StatusBadRequest)
}

// --- Least privilege with centralized root access ---

// TestIAMEntities_RootAuditorUser is the security engineer's story: a user
// of the management account allowed only sts:AssumeRoot for the audit task
// can open an audit root session and no other; once its policy is deleted
// it can open none, from the very next request.
func TestIAMEntities_RootAuditorUser(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	member := srv.MemberAccount(t, "workload")
	srv.EnableRootAccess(t)
	admin := ieIAM(srv, srv.AdminCredentials())
	auditor := ieUserWithKey(t, admin, "root-auditor", "/security/", ieAllowAssumeRootFor(policy.AuditRootUserCredentials))
	auditorARN := "arn:aws:iam::" + srv.ManagementAccountID() + ":user/security/root-auditor"
	assumeRoot := func(task string) (*sts.AssumeRootOutput, error) {
		return ieSTS(srv, auditor).AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(member), TaskPolicyArn: testkit.TaskPolicy(task)})
	}

	out, err := assumeRoot(policy.AuditRootUserCredentials)
	require.NoError(t, err)
	root := ieIAM(srv, apitest.SessionCredentials(out.Credentials))
	_, err = root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	require.NoError(t, err, "the audit session audits")

	_, err = assumeRoot(policy.S3UnlockBucketPolicy)
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	assert.Equal(t, "User: "+auditorARN+" is not authorized to perform: sts:AssumeRoot on resource: arn:aws:iam::"+member+
		":root because no identity-based policy allows the sts:AssumeRoot action", ieMessage(t, err))

	// The auditor may do nothing else either.
	_, err = ieIAM(srv, auditor).ListUsers(ctx, &iam.ListUsersInput{})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)

	_, err = admin.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("root-auditor"), PolicyName: aws.String("inline")})
	require.NoError(t, err)
	for _, task := range []string{policy.AuditRootUserCredentials, policy.S3UnlockBucketPolicy} {
		_, err = assumeRoot(task)
		testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
		assert.Contains(t, ieMessage(t, err), "because no identity-based policy allows the sts:AssumeRoot action", task)
	}

	// Put back, it applies from the next request on.
	_, err = admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("root-auditor"), PolicyName: aws.String("inline"),
		PolicyDocument: aws.String(ieAllowAssumeRootFor(policy.AuditRootUserCredentials))})
	require.NoError(t, err)
	_, err = assumeRoot(policy.AuditRootUserCredentials)
	require.NoError(t, err)
}

// TestIAMEntities_RootAuditorRole: the same least privilege as a role that
// the admin assumes, then opens root sessions from.
func TestIAMEntities_RootAuditorRole(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	member := srv.MemberAccount(t, "workload")
	srv.EnableRootAccess(t)
	admin := ieIAM(srv, srv.AdminCredentials())
	mgmt := srv.ManagementAccountID()

	role, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("root-auditor"),
		AssumeRolePolicyDocument: aws.String(ieTrust("arn:aws:iam::" + mgmt + ":user/admin"))})
	require.NoError(t, err)
	_, err = admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("root-auditor"), PolicyName: aws.String("assume-root"),
		PolicyDocument: aws.String(ieAllowAssumeRootFor(policy.AuditRootUserCredentials))})
	require.NoError(t, err)
	session, err := ieSTS(srv, srv.AdminCredentials()).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("alice")})
	require.NoError(t, err)
	auditor := ieSTS(srv, apitest.SessionCredentials(session.Credentials))

	_, err = auditor.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(member), TaskPolicyArn: testkit.TaskPolicy(policy.AuditRootUserCredentials)})
	require.NoError(t, err)
	_, err = auditor.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(member), TaskPolicyArn: testkit.TaskPolicy(policy.DeleteRootUserCredentials)})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	assert.Equal(t, "User: arn:aws:sts::"+mgmt+":assumed-role/root-auditor/alice is not authorized to perform: sts:AssumeRoot on resource: arn:aws:iam::"+
		member+":root because no identity-based policy allows the sts:AssumeRoot action", ieMessage(t, err))

	_, err = admin.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("root-auditor"), PolicyName: aws.String("assume-root")})
	require.NoError(t, err)
	_, err = auditor.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(member), TaskPolicyArn: testkit.TaskPolicy(policy.AuditRootUserCredentials)})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
}

// TestIAMEntities_DelegatedAdministratorUser: IAM's delegated administrator
// account builds its own least-privilege user through its access role, and
// that user opens root sessions on another member.
func TestIAMEntities_DelegatedAdministratorUser(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	delegated := srv.MemberAccount(t, "security")
	target := srv.MemberAccount(t, "workload")
	srv.EnableRootAccess(t)
	testkit.RegisterIAMDelegatedAdmin(t, srv, delegated)

	inside := ieIAM(srv, srv.AssumeAccessRole(t, delegated))
	user := ieUserWithKey(t, inside, "password-recovery", "", ieAllowAssumeRootFor(policy.CreateRootUserPassword))
	who, err := ieSTS(srv, user).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::"+delegated+":user/password-recovery", aws.ToString(who.Arn))
	assert.Equal(t, delegated, aws.ToString(who.Account))

	out, err := ieSTS(srv, user).AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(target),
		TaskPolicyArn: testkit.TaskPolicy(policy.CreateRootUserPassword)})
	require.NoError(t, err)
	_, err = ieIAM(srv, apitest.SessionCredentials(out.Credentials)).CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{})
	require.NoError(t, err)
	_, err = ieSTS(srv, user).AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(target),
		TaskPolicyArn: testkit.TaskPolicy(policy.AuditRootUserCredentials)})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)

	// The management account sees none of the delegated account's users.
	users, err := ieIAM(srv, srv.AdminCredentials()).ListUsers(ctx, &iam.ListUsersInput{})
	require.NoError(t, err)
	require.Len(t, users.Users, 1)
	assert.Equal(t, "admin", aws.ToString(users.Users[0].UserName))
}

// TestIAMEntities_ResourceARNsCarryPaths: the calls are authorized on the
// entity's ARN with its path, so a policy scoped to a path grants exactly it.
func TestIAMEntities_ResourceARNsCarryPaths(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := ieIAM(srv, srv.AdminCredentials())
	mgmt := srv.ManagementAccountID()
	trust := aws.String(ieTrust("arn:aws:iam::" + mgmt + ":root"))
	for _, r := range []struct{ name, path string }{{"web", "/ops/"}, {"db", "/data/"}} {
		_, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(r.name), Path: aws.String(r.path), AssumeRolePolicyDocument: trust})
		require.NoError(t, err)
	}
	scoped := ieIAM(srv, ieUserWithKey(t, admin, "ops-reader", "", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",`+
		`"Action":["iam:GetRole","iam:PutRolePolicy","iam:CreateRole"],"Resource":"arn:aws:iam::`+mgmt+`:role/ops/*"}]}`))

	_, err := scoped.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("web")})
	require.NoError(t, err)
	_, err = scoped.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("db")})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	assert.Equal(t, "User: arn:aws:iam::"+mgmt+":user/ops-reader is not authorized to perform: iam:GetRole on resource: arn:aws:iam::"+
		mgmt+":role/data/db because no identity-based policy allows the iam:GetRole action", ieMessage(t, err))
	_, err = scoped.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("web"), PolicyName: aws.String("p"), PolicyDocument: aws.String(ieAllowAll)})
	require.NoError(t, err)
	// A role that does not exist is authorized on path "/": denied, not NoSuchEntity.
	_, err = scoped.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("ghost")})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	assert.Contains(t, ieMessage(t, err), "on resource: arn:aws:iam::"+mgmt+":role/ghost ")
	_, err = scoped.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("cache"), Path: aws.String("/ops/"), AssumeRolePolicyDocument: trust})
	require.NoError(t, err)
	_, err = scoped.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("cache2"), AssumeRolePolicyDocument: trust})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	assert.Contains(t, ieMessage(t, err), "on resource: arn:aws:iam::"+mgmt+":role/cache2 ")
}

// TestIAMEntities_RootSessionDenied: in a root session every one of these
// calls is denied by the task policy (each task; TestMatrix covers every
// operation, this pins the message for a few).
func TestIAMEntities_RootSessionDenied(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	member := srv.MemberAccount(t, "m")
	srv.EnableRootAccess(t)
	for _, task := range testkit.TaskNames {
		root := ieIAM(srv, srv.RootSession(t, member, task))
		_, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("backdoor")})
		rcRequireDenied(t, err, member, "iam:CreateUser", "arn:aws:iam::"+member+":user/backdoor")
		_, err = root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("OrganizationAccountAccessRole"),
			PolicyName: aws.String("p"), PolicyDocument: aws.String(ieAllowAll)})
		rcRequireDenied(t, err, member, "iam:PutRolePolicy", testkit.AccessRoleARN(member))
		_, err = root.ListRoles(ctx, &iam.ListRolesInput{})
		rcRequireDenied(t, err, member, "iam:ListRoles", "*")
	}
	// Nothing was created.
	roles, err := ieIAM(srv, srv.AssumeAccessRole(t, member)).ListRolePolicies(ctx, &iam.ListRolePoliciesInput{
		RoleName: aws.String("OrganizationAccountAccessRole")})
	require.NoError(t, err)
	assert.Equal(t, []string{"AdministratorAccess"}, roles.PolicyNames)
}

// TestIAMEntities_WireFormat checks the XML IAM clients read.
func TestIAMEntities_WireFormat(t *testing.T) {
	srv := apitest.New(t)
	creds := srv.AdminCredentials()
	query := func(v url.Values) testkit.RawResponse {
		v.Set("Version", "2010-05-08")
		return testkit.PostQuery(t, srv, creds, "iam", v.Encode())
	}
	r := query(url.Values{"Action": {"ListRoles"}})
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	assert.Contains(t, r.Body, `<ListRolesResult><Roles></Roles><IsTruncated>false</IsTruncated></ListRolesResult>`)

	r = query(url.Values{"Action": {"CreateUser"}, "UserName": {"w"}, "Path": {"/p/"},
		"Tags.member.1.Key": {"k"}, "Tags.member.1.Value": {"v"}})
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	assert.Contains(t, r.Body, `<Path>/p/</Path><UserName>w</UserName>`)
	assert.Contains(t, r.Body, `<Tags><member><Key>k</Key><Value>v</Value></member></Tags>`)

	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/a b"}]}`
	r = query(url.Values{"Action": {"PutUserPolicy"}, "UserName": {"w"}, "PolicyName": {"p"}, "PolicyDocument": {doc}})
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	assert.Contains(t, r.Body, `<PutUserPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata>`)
	r = query(url.Values{"Action": {"GetUserPolicy"}, "UserName": {"w"}, "PolicyName": {"p"}})
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	assert.Contains(t, r.Body, `<PolicyDocument>%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22`)
	assert.Contains(t, r.Body, `b%2Fa%20b`)

	r = query(url.Values{"Action": {"CreateRole"}, "RoleName": {"r"},
		"AssumeRolePolicyDocument": {ieTrust("arn:aws:iam::" + srv.ManagementAccountID() + ":root")}})
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	r = query(url.Values{"Action": {"GetRole"}, "RoleName": {"r"}})
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	assert.Contains(t, r.Body, `<MaxSessionDuration>3600</MaxSessionDuration><RoleLastUsed></RoleLastUsed></Role>`)

	// Bad input is a Sender error in the query envelope.
	status, e := testkit.PostQueryError(t, srv, creds, "iam", url.Values{"Action": {"PutUserPolicy"}, "Version": {"2010-05-08"},
		"UserName": {"w"}, "PolicyName": {"q"}, "PolicyDocument": {"{"}}.Encode())
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "MalformedPolicyDocument", e.Error.Code)
	status, e = testkit.PostQueryError(t, srv, creds, "iam", url.Values{"Action": {"CreateRole"}, "Version": {"2010-05-08"},
		"RoleName": {"x"}, "AssumeRolePolicyDocument": {ieAllowAll}, "MaxSessionDuration": {"many"}}.Encode())
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "ValidationError", e.Error.Code)
}

// TestIAMEntities_StoreSetUpUsersStillWork: users made through the store
// (as the test helpers and the seed do) are the same users the API sees.
func TestIAMEntities_StoreSetUpUsersStillWork(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	creds := testkit.CreateUser(t, srv, srv.ManagementAccountID(), "helper-made", ieAllowAll)
	admin := ieIAM(srv, srv.AdminCredentials())
	got, err := admin.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("helper-made"), PolicyName: aws.String("inline")})
	require.NoError(t, err)
	decoded, err := url.QueryUnescape(aws.ToString(got.PolicyDocument))
	require.NoError(t, err)
	assert.Equal(t, ieAllowAll, decoded)
	_, err = admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("HELPER-MADE")})
	testkit.RequireAWSError(t, err, "EntityAlreadyExists", http.StatusConflict)
	_, err = ieIAM(srv, creds).ListUsers(ctx, &iam.ListUsersInput{})
	require.NoError(t, err)
	var conflict error
	err = srv.Store.Update(ctx, func(tx *store.Tx) error {
		_, conflict = tx.CreateUser(srv.ManagementAccountID(), "Helper-Made", nil)
		return nil
	})
	require.NoError(t, err)
	assert.True(t, errors.Is(conflict, store.ErrConflict), "the store refuses a name that differs only in case")
}

// TestIAMEntities_UserLoginProfile: an IAM user's console password is kept
// as a fact (never the password), and blocks DeleteUser until removed.
func TestIAMEntities_UserLoginProfile(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	client := iam.NewFromConfig(srv.Config(srv.AdminCredentials()))
	_, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("console-user")})
	require.NoError(t, err)

	_, err = client.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("console-user")})
	testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)
	_, err = client.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("console-user")})
	testkit.RequireAWSError(t, err, "ValidationError", http.StatusBadRequest) // a user's profile needs a password

	created, err := client.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("console-user"),
		Password: aws.String("Correct-Horse-9"), PasswordResetRequired: true})
	require.NoError(t, err)
	assert.Equal(t, "console-user", aws.ToString(created.LoginProfile.UserName))
	assert.True(t, created.LoginProfile.PasswordResetRequired)
	_, err = client.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("console-user"), Password: aws.String("x-Other-1")})
	testkit.RequireAWSError(t, err, "EntityAlreadyExists", http.StatusConflict)
	got, err := client.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("console-user")})
	require.NoError(t, err)
	assert.True(t, got.LoginProfile.PasswordResetRequired)

	_, err = client.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("console-user")})
	testkit.RequireAWSError(t, err, "DeleteConflict", http.StatusConflict)
	_, err = client.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("console-user")})
	require.NoError(t, err)
	_, err = client.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("console-user")})
	testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)
	_, err = client.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("console-user")})
	require.NoError(t, err)
}
