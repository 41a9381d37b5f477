package iam_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

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

// rcIAM is an IAM client signed with creds whose required-member checks
// are off, so that the server's own validation is what a test sees.
func rcIAM(srv *apitest.Server, creds aws.Credentials) *iam.Client {
	return iam.NewFromConfig(srv.Config(creds), func(o *iam.Options) {
		o.APIOptions = append(o.APIOptions, testkit.SkipInputValidation)
	})
}

// rcLegacyMember creates a member account whose root user still has the
// credentials of spec (set up through the store, as a scenario loader does).
func rcLegacyMember(t *testing.T, srv *apitest.Server, spec store.RootCredentialsSpec) (string, store.RootCredentials) {
	t.Helper()
	member := srv.MemberAccount(t, "legacy")
	var created store.RootCredentials
	require.NoError(t, srv.Store.Update(context.Background(), func(tx *store.Tx) error {
		var err error
		created, err = tx.AddRootCredentials(member, spec)
		return err
	}))
	return member, created
}

// rcFullLegacySpec is a root user with a password, two access keys, a
// signing certificate and a virtual MFA device.
func rcFullLegacySpec() store.RootCredentialsSpec {
	return store.RootCredentialsSpec{
		Password:            true,
		AccessKeys:          []store.AccessKeySpec{{}, {}},
		SigningCertificates: []store.SigningCertificateSpec{{}},
		MFADevices:          []store.MFADeviceSpec{{}},
	}
}

// rcRequireDenied checks an explicit session-policy deny with AWS's message.
func rcRequireDenied(t *testing.T, err error, member, action, resource string) {
	t.Helper()
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "User: arn:aws:iam::"+member+":root is not authorized to perform: "+action+
		" on resource: "+resource+" with an explicit deny in a session policy", ae.ErrorMessage())
}

// rcSummary reads GetAccountSummary's map.
func rcSummary(t *testing.T, client *iam.Client) map[string]int32 {
	t.Helper()
	out, err := client.GetAccountSummary(context.Background(), &iam.GetAccountSummaryInput{})
	require.NoError(t, err)
	return out.SummaryMap
}

// TestIAMRoot_DeleteLegacyRootCredentials is story (c): a legacy member
// account's root credentials are audited, deleted and audited again, then
// password recovery is allowed, each step in its own root-task session.
func TestIAMRoot_DeleteLegacyRootCredentials(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	member, created := rcLegacyMember(t, srv, rcFullLegacySpec())
	srv.EnableRootAccess(t)
	rootARN := "arn:aws:iam::" + member + ":root"
	require.Len(t, created.AccessKeys, 2)
	require.Len(t, created.SigningCertificates, 1)
	require.Len(t, created.MFADevices, 1)
	oldKey := created.AccessKeys[0]
	mfaSerial := "arn:aws:iam::" + member + ":mfa/root-account-mfa-device"
	assert.Equal(t, mfaSerial, created.MFADevices[0].SerialNumber)
	assert.GreaterOrEqual(t, len(created.SigningCertificates[0].ID), 24)
	assert.Contains(t, created.SigningCertificates[0].Body, "-----BEGIN CERTIFICATE-----")

	// The old root key signs as the root user.
	who, err := sts.NewFromConfig(srv.Config(testkit.KeyCredentials(oldKey))).GetCallerIdentity(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, rootARN, aws.ToString(who.Arn))
	usedAt := srv.Clock.Now()

	// --- Audit: sees everything, may delete nothing ---
	audit := rcIAM(srv, srv.RootSession(t, member, policy.AuditRootUserCredentials))
	summary := rcSummary(t, audit)
	for _, k := range []string{"AccountMFAEnabled", "AccountAccessKeysPresent", "AccountPasswordPresent", "AccountSigningCertificatesPresent"} {
		assert.EqualValues(t, 1, summary[k], k)
	}
	assert.EqualValues(t, 2, summary["AccessKeysPerUserQuota"])
	assert.EqualValues(t, 1, summary["Roles"], "OrganizationAccountAccessRole")
	assert.EqualValues(t, 0, summary["Users"])
	assert.Contains(t, summary, "PoliciesQuota")

	lp, err := audit.GetLoginProfile(ctx, &iam.GetLoginProfileInput{})
	require.NoError(t, err)
	assert.False(t, lp.LoginProfile.CreateDate.IsZero())

	keys, err := audit.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	require.NoError(t, err)
	require.Len(t, keys.AccessKeyMetadata, 2)
	var listed []string
	for _, k := range keys.AccessKeyMetadata {
		listed = append(listed, aws.ToString(k.AccessKeyId))
		assert.Equal(t, iamtypes.StatusTypeActive, k.Status)
		assert.Nil(t, k.UserName, "root keys carry no user name")
	}
	assert.ElementsMatch(t, []string{created.AccessKeys[0].AccessKeyID, created.AccessKeys[1].AccessKeyID}, listed)
	assert.False(t, keys.IsTruncated)

	certs, err := audit.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{})
	require.NoError(t, err)
	require.Len(t, certs.Certificates, 1)
	assert.Equal(t, created.SigningCertificates[0].ID, aws.ToString(certs.Certificates[0].CertificateId))

	mfa, err := audit.ListMFADevices(ctx, &iam.ListMFADevicesInput{})
	require.NoError(t, err)
	require.Len(t, mfa.MFADevices, 1)
	assert.Equal(t, mfaSerial, aws.ToString(mfa.MFADevices[0].SerialNumber))

	user, err := audit.GetUser(ctx, &iam.GetUserInput{})
	require.NoError(t, err)
	assert.Equal(t, member, aws.ToString(user.User.UserId))
	assert.Equal(t, rootARN, aws.ToString(user.User.Arn))
	assert.Nil(t, user.User.UserName, "the root user has no user name")
	assert.Nil(t, user.User.Path)

	last, err := audit.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(oldKey.AccessKeyID)})
	require.NoError(t, err)
	assert.Equal(t, "sts", aws.ToString(last.AccessKeyLastUsed.ServiceName))
	assert.Equal(t, "us-east-1", aws.ToString(last.AccessKeyLastUsed.Region))
	assert.WithinDuration(t, usedAt, aws.ToTime(last.AccessKeyLastUsed.LastUsedDate), 2*time.Second)
	neverUsed, err := audit.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(created.AccessKeys[1].AccessKeyID)})
	require.NoError(t, err)
	assert.Equal(t, "N/A", aws.ToString(neverUsed.AccessKeyLastUsed.ServiceName))
	assert.Equal(t, "N/A", aws.ToString(neverUsed.AccessKeyLastUsed.Region))
	assert.Nil(t, neverUsed.AccessKeyLastUsed.LastUsedDate)

	_, err = audit.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{})
	rcRequireDenied(t, err, member, "iam:DeleteLoginProfile", rootARN)
	_, err = audit.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(oldKey.AccessKeyID)})
	rcRequireDenied(t, err, member, "iam:DeleteAccessKey", rootARN)
	_, err = audit.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{CertificateId: aws.String(created.SigningCertificates[0].ID)})
	rcRequireDenied(t, err, member, "iam:DeleteSigningCertificate", rootARN)
	_, err = audit.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{SerialNumber: aws.String(mfaSerial)})
	rcRequireDenied(t, err, member, "iam:DeactivateMFADevice", rootARN)
	_, err = audit.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(mfaSerial)})
	rcRequireDenied(t, err, member, "iam:DeleteVirtualMFADevice", mfaSerial)
	_, err = audit.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{})
	rcRequireDenied(t, err, member, "iam:CreateLoginProfile", rootARN)

	// --- Delete: removes every credential, but no summary and no MFA device deletion ---
	del := rcIAM(srv, srv.RootSession(t, member, policy.DeleteRootUserCredentials))
	_, err = del.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	rcRequireDenied(t, err, member, "iam:GetAccountSummary", "*")
	_, err = del.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{})
	require.NoError(t, err)
	for _, k := range created.AccessKeys {
		_, err = del.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(k.AccessKeyID)})
		require.NoError(t, err)
	}
	_, err = del.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{CertificateId: aws.String(created.SigningCertificates[0].ID)})
	require.NoError(t, err)
	_, err = del.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{SerialNumber: aws.String(mfaSerial)})
	require.NoError(t, err)
	_, err = del.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(mfaSerial)})
	rcRequireDenied(t, err, member, "iam:DeleteVirtualMFADevice", mfaSerial)
	_, err = del.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{})
	rcRequireDenied(t, err, member, "iam:CreateLoginProfile", rootARN)
	left, err := del.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	require.NoError(t, err)
	assert.Empty(t, left.AccessKeyMetadata)

	// The deleted root key is refused from now on.
	_, err = sts.NewFromConfig(srv.Config(testkit.KeyCredentials(oldKey))).GetCallerIdentity(ctx, nil)
	testkit.RequireAWSError(t, err, "InvalidClientTokenId", http.StatusForbidden)

	// --- Audit again: nothing left ---
	audit = rcIAM(srv, srv.RootSession(t, member, policy.AuditRootUserCredentials))
	summary = rcSummary(t, audit)
	for _, k := range []string{"AccountMFAEnabled", "AccountAccessKeysPresent", "AccountPasswordPresent", "AccountSigningCertificatesPresent"} {
		assert.EqualValues(t, 0, summary[k], k)
	}
	assert.EqualValues(t, 1, summary["MFADevices"], "the deactivated virtual device still exists")
	assert.EqualValues(t, 0, summary["MFADevicesInUse"])
	_, err = audit.GetLoginProfile(ctx, &iam.GetLoginProfileInput{})
	var nse *iamtypes.NoSuchEntityException
	require.ErrorAs(t, err, &nse)
	testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)
	keys, err = audit.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	require.NoError(t, err)
	assert.Empty(t, keys.AccessKeyMetadata)
	certs, err = audit.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{})
	require.NoError(t, err)
	assert.Empty(t, certs.Certificates)
	mfa, err = audit.ListMFADevices(ctx, &iam.ListMFADevicesInput{})
	require.NoError(t, err)
	assert.Empty(t, mfa.MFADevices)

	// --- Allow password recovery ---
	pw := rcIAM(srv, srv.RootSession(t, member, policy.CreateRootUserPassword))
	made, err := pw.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{})
	require.NoError(t, err)
	assert.Equal(t, srv.Clock.Now().Truncate(time.Second), aws.ToTime(made.LoginProfile.CreateDate))
	got, err := pw.GetLoginProfile(ctx, &iam.GetLoginProfileInput{})
	require.NoError(t, err)
	assert.Equal(t, aws.ToTime(made.LoginProfile.CreateDate), aws.ToTime(got.LoginProfile.CreateDate))
	_, err = pw.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	rcRequireDenied(t, err, member, "iam:ListAccessKeys", rootARN)
	_, err = pw.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{})
	rcRequireDenied(t, err, member, "iam:DeleteLoginProfile", rootARN)
	_, err = pw.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	rcRequireDenied(t, err, member, "iam:GetAccountSummary", "*")
	_, err = pw.GetUser(ctx, &iam.GetUserInput{})
	rcRequireDenied(t, err, member, "iam:GetUser", rootARN)

	summary = rcSummary(t, rcIAM(srv, srv.RootSession(t, member, policy.AuditRootUserCredentials)))
	assert.EqualValues(t, 1, summary["AccountPasswordPresent"])
}

// TestIAMRoot_AuthorizationBeforeExistence: a call the task allows reaches
// the missing target (NoSuchEntity); one it does not is denied whatever the target.
func TestIAMRoot_AuthorizationBeforeExistence(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	member := srv.MemberAccount(t, "m")
	srv.EnableRootAccess(t)
	rootARN := "arn:aws:iam::" + member + ":root"
	missing := aws.String("AKIAIOSFODNN7EXAMPLE")

	del := rcIAM(srv, srv.RootSession(t, member, policy.DeleteRootUserCredentials))
	_, err := del.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: missing})
	testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)
	_, err = del.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{})
	testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)
	_, err = del.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{CertificateId: aws.String(strings.Repeat("A", 32))})
	testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)
	_, err = del.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{SerialNumber: aws.String("arn:aws:iam::" + member + ":mfa/root-account-mfa-device")})
	testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)

	audit := rcIAM(srv, srv.RootSession(t, member, policy.AuditRootUserCredentials))
	_, err = audit.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: missing})
	rcRequireDenied(t, err, member, "iam:DeleteAccessKey", rootARN)
	_, err = audit.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: missing})
	testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)

	// A member account created by Organizations has no root credentials at all.
	summary := rcSummary(t, audit)
	for _, k := range []string{"AccountMFAEnabled", "AccountAccessKeysPresent", "AccountPasswordPresent", "AccountSigningCertificatesPresent"} {
		assert.EqualValues(t, 0, summary[k], k)
	}

	// Naming an IAM user takes the call off the root user: every task denies it.
	_, err = audit.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("nobody")})
	rcRequireDenied(t, err, member, "iam:ListAccessKeys", "arn:aws:iam::"+member+":user/nobody")
}

// TestIAMRoot_LongTermRootKey: a long-term root key acts as the root user
// with full rights in its account, but cannot call AssumeRoot; once
// Inactive or deleted it is refused.
func TestIAMRoot_LongTermRootKey(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	member, created := rcLegacyMember(t, srv, store.RootCredentialsSpec{
		AccessKeys: []store.AccessKeySpec{{ID: "AKIALEGACYROOTKEY001", Secret: "legacy-root-secret"}},
		MFADevices: []store.MFADeviceSpec{{}},
	})
	srv.EnableRootAccess(t)
	rootCreds := testkit.KeyCredentials(created.AccessKeys[0])
	assert.Equal(t, "AKIALEGACYROOTKEY001", rootCreds.AccessKeyID)
	root := rcIAM(srv, rootCreds)

	_, err := sts.NewFromConfig(srv.Config(rootCreds)).AssumeRoot(ctx, &sts.AssumeRootInput{
		TargetPrincipal: aws.String(member),
		TaskPolicyArn:   testkit.TaskPolicy(policy.AuditRootUserCredentials),
	})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)

	user, err := root.GetUser(ctx, &iam.GetUserInput{})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::"+member+":root", aws.ToString(user.User.Arn))
	summary := rcSummary(t, root)
	assert.EqualValues(t, 1, summary["AccountAccessKeysPresent"])

	// A second root key is allowed; a third is over the quota.
	second, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	require.NoError(t, err)
	assert.Regexp(t, `^AKIA[A-Z2-7]{16}$`, aws.ToString(second.AccessKey.AccessKeyId))
	assert.NotEmpty(t, aws.ToString(second.AccessKey.SecretAccessKey))
	_, err = root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	testkit.RequireAWSError(t, err, "LimitExceeded", http.StatusConflict)
	var le *iamtypes.LimitExceededException
	assert.ErrorAs(t, err, &le)
	keys, err := root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	require.NoError(t, err)
	assert.Len(t, keys.AccessKeyMetadata, 2)
	// The store refuses a third key too.
	err = srv.Store.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.AddRootCredentials(member, store.RootCredentialsSpec{AccessKeys: []store.AccessKeySpec{{}}})
		return err
	})
	assert.ErrorIs(t, err, store.ErrLimitExceeded)

	// Login profiles and MFA deactivation need an AssumeRoot session to omit UserName.
	_, err = root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{})
	testkit.RequireAWSError(t, err, "ValidationError", http.StatusBadRequest)
	_, err = root.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{SerialNumber: aws.String(created.MFADevices[0].SerialNumber)})
	testkit.RequireAWSError(t, err, "ValidationError", http.StatusBadRequest)

	// An enabled virtual MFA device cannot be deleted; once deactivated it can.
	serial := aws.String(created.MFADevices[0].SerialNumber)
	_, err = root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: serial})
	testkit.RequireAWSError(t, err, "DeleteConflict", http.StatusConflict)
	del := rcIAM(srv, srv.RootSession(t, member, policy.DeleteRootUserCredentials))
	_, err = del.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{SerialNumber: serial})
	require.NoError(t, err)
	_, err = root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: serial})
	require.NoError(t, err)
	_, err = root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: serial})
	testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)
	summary = rcSummary(t, root)
	assert.EqualValues(t, 0, summary["MFADevices"])

	// Inactive: refused until made Active again.
	secondCreds := aws.Credentials{AccessKeyID: *second.AccessKey.AccessKeyId, SecretAccessKey: *second.AccessKey.SecretAccessKey}
	_, err = root.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: second.AccessKey.AccessKeyId, Status: iamtypes.StatusTypeInactive})
	require.NoError(t, err)
	_, err = sts.NewFromConfig(srv.Config(secondCreds)).GetCallerIdentity(ctx, nil)
	testkit.RequireAWSError(t, err, "InvalidClientTokenId", http.StatusForbidden)
	_, err = root.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: second.AccessKey.AccessKeyId, Status: iamtypes.StatusTypeActive})
	require.NoError(t, err)
	_, err = sts.NewFromConfig(srv.Config(secondCreds)).GetCallerIdentity(ctx, nil)
	require.NoError(t, err)

	// A root key may delete itself; the next request it signs is refused.
	_, err = root.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(rootCreds.AccessKeyID)})
	require.NoError(t, err)
	_, err = root.GetUser(ctx, &iam.GetUserInput{})
	testkit.RequireAWSError(t, err, "InvalidClientTokenId", http.StatusForbidden)
}

// TestIAMRoot_CreateLoginProfile: once per root user, never with a password
// in a root session, and always with one elsewhere.
func TestIAMRoot_CreateLoginProfile(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	member := srv.MemberAccount(t, "m")
	srv.EnableRootAccess(t)
	pw := rcIAM(srv, srv.RootSession(t, member, policy.CreateRootUserPassword))

	_, err := pw.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{Password: aws.String("Sup3r-secret!")})
	testkit.RequireAWSError(t, err, "ValidationError", http.StatusBadRequest)
	_, err = pw.GetLoginProfile(ctx, &iam.GetLoginProfileInput{})
	testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)

	_, err = pw.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{})
	require.NoError(t, err)
	_, err = pw.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{})
	testkit.RequireAWSError(t, err, "EntityAlreadyExists", http.StatusConflict)
	var exists *iamtypes.EntityAlreadyExistsException
	assert.ErrorAs(t, err, &exists)

	// Outside a root session the password is required.
	_, err = rcIAM(srv, srv.AdminCredentials()).CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("admin")})
	testkit.RequireAWSError(t, err, "ValidationError", http.StatusBadRequest)
}

// TestIAMRoot_BadInputChangesNothing: malformed requests are 4xx and leave
// the root user's credentials as they were.
func TestIAMRoot_BadInputChangesNothing(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	member, created := rcLegacyMember(t, srv, rcFullLegacySpec())
	srv.EnableRootAccess(t)
	del := rcIAM(srv, srv.RootSession(t, member, policy.DeleteRootUserCredentials))

	_, err := del.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{})
	testkit.RequireAWSError(t, err, "ValidationError", http.StatusBadRequest)
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "1 validation error detected: Value null at 'accessKeyId' failed to satisfy constraint: Member must not be null", ae.ErrorMessage())
	_, err = del.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String("AKIA-not-a-key-id!")})
	testkit.RequireAWSError(t, err, "ValidationError", http.StatusBadRequest)
	_, err = del.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{CertificateId: aws.String("short")})
	testkit.RequireAWSError(t, err, "ValidationError", http.StatusBadRequest)
	_, err = del.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{})
	testkit.RequireAWSError(t, err, "ValidationError", http.StatusBadRequest)
	_, err = del.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{})
	testkit.RequireAWSError(t, err, "ValidationError", http.StatusBadRequest)
	_, err = del.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{SerialNumber: aws.String("bad serial number")})
	testkit.RequireAWSError(t, err, "ValidationError", http.StatusBadRequest)
	_, err = del.ListAccessKeys(ctx, &iam.ListAccessKeysInput{MaxItems: aws.Int32(0)})
	testkit.RequireAWSError(t, err, "ValidationError", http.StatusBadRequest)
	_, err = del.ListAccessKeys(ctx, &iam.ListAccessKeysInput{Marker: aws.String("not-a-marker")})
	testkit.RequireAWSError(t, err, "ValidationError", http.StatusBadRequest)
	_, err = del.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("bad name!")})
	testkit.RequireAWSError(t, err, "ValidationError", http.StatusBadRequest)
	_, err = del.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{})
	testkit.RequireAWSError(t, err, "ValidationError", http.StatusBadRequest)
	// A malformed number in the query string.
	r := testkit.PostQuery(t, srv, srv.RootSession(t, member, policy.DeleteRootUserCredentials),
		"iam", url.Values{"Action": {"ListAccessKeys"}, "Version": {"2010-05-08"}, "MaxItems": {"many"}}.Encode())
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Equal(t, "ValidationError", testkit.QueryError(t, r).Error.Code)

	audit := rcIAM(srv, srv.RootSession(t, member, policy.AuditRootUserCredentials))
	summary := rcSummary(t, audit)
	for _, k := range []string{"AccountMFAEnabled", "AccountAccessKeysPresent", "AccountPasswordPresent", "AccountSigningCertificatesPresent"} {
		assert.EqualValues(t, 1, summary[k], k)
	}
	keys, err := audit.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	require.NoError(t, err)
	assert.Len(t, keys.AccessKeyMetadata, len(created.AccessKeys))
}

// TestIAMRoot_Pagination pages through the root user's keys one at a time.
func TestIAMRoot_Pagination(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	member, created := rcLegacyMember(t, srv, rcFullLegacySpec())
	srv.EnableRootAccess(t)
	audit := rcIAM(srv, srv.RootSession(t, member, policy.AuditRootUserCredentials))
	var ids []string
	p := iam.NewListAccessKeysPaginator(audit, &iam.ListAccessKeysInput{MaxItems: aws.Int32(1)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		pages++
		for _, k := range out.AccessKeyMetadata {
			ids = append(ids, aws.ToString(k.AccessKeyId))
		}
	}
	assert.Equal(t, 2, pages)
	assert.ElementsMatch(t, []string{created.AccessKeys[0].AccessKeyID, created.AccessKeys[1].AccessKeyID}, ids)
}

// TestIAMRoot_IAMUsersAndRoleSessions: with UserName the calls act on IAM
// users; without it an IAM user acts on itself and a role session must name one.
func TestIAMRoot_IAMUsersAndRoleSessions(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := rcIAM(srv, srv.AdminCredentials())
	mgmt := srv.ManagementAccountID()

	me, err := admin.GetUser(ctx, &iam.GetUserInput{})
	require.NoError(t, err)
	assert.Equal(t, "admin", aws.ToString(me.User.UserName))
	assert.Equal(t, "/", aws.ToString(me.User.Path))
	assert.Equal(t, "arn:aws:iam::"+mgmt+":user/admin", aws.ToString(me.User.Arn))
	assert.Regexp(t, `^AIDA`, aws.ToString(me.User.UserId))

	named, err := admin.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("admin")})
	require.NoError(t, err)
	assert.Equal(t, aws.ToString(me.User.UserId), aws.ToString(named.User.UserId))
	_, err = admin.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ghost")})
	testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)
	_, err = admin.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("ghost")})
	testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)

	keys, err := admin.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	require.NoError(t, err)
	require.Len(t, keys.AccessKeyMetadata, 1)
	assert.Equal(t, "admin", aws.ToString(keys.AccessKeyMetadata[0].UserName))
	assert.Equal(t, srv.AdminCredentials().AccessKeyID, aws.ToString(keys.AccessKeyMetadata[0].AccessKeyId))

	// A second key for the admin: used, looked up, then deleted by name.
	extra, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("admin")})
	require.NoError(t, err)
	assert.Equal(t, "admin", aws.ToString(extra.AccessKey.UserName))
	_, err = rcIAM(srv, aws.Credentials{AccessKeyID: *extra.AccessKey.AccessKeyId, SecretAccessKey: *extra.AccessKey.SecretAccessKey}).
		ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	require.NoError(t, err)
	last, err := admin.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: extra.AccessKey.AccessKeyId})
	require.NoError(t, err)
	assert.Equal(t, "admin", aws.ToString(last.UserName))
	assert.Equal(t, "iam", aws.ToString(last.AccessKeyLastUsed.ServiceName))
	_, err = admin.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("admin"), AccessKeyId: extra.AccessKey.AccessKeyId})
	require.NoError(t, err)
	_, err = admin.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("admin"), AccessKeyId: extra.AccessKey.AccessKeyId})
	testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)

	// A role session must name the user.
	member := srv.MemberAccount(t, "m")
	role := rcIAM(srv, srv.AssumeAccessRole(t, member))
	_, err = role.GetUser(ctx, &iam.GetUserInput{})
	testkit.RequireAWSError(t, err, "ValidationError", http.StatusBadRequest)
	require.ErrorAs(t, err, new(smithy.APIError))
	var ae smithy.APIError
	errors.As(err, &ae)
	assert.Equal(t, "Must specify userName when calling with non-User credentials", ae.ErrorMessage())
	_, err = role.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	testkit.RequireAWSError(t, err, "ValidationError", http.StatusBadRequest)
	// The member's summary through the admin role: no root credentials.
	summary := rcSummary(t, role)
	assert.EqualValues(t, 0, summary["AccountAccessKeysPresent"])
	assert.EqualValues(t, 1, summary["Roles"])
}

// TestIAMRoot_WireFormat checks the XML of GetAccountSummary's map and of
// an empty list.
func TestIAMRoot_WireFormat(t *testing.T) {
	srv := apitest.New(t)
	member := srv.MemberAccount(t, "m")
	srv.EnableRootAccess(t)
	creds := srv.RootSession(t, member, policy.AuditRootUserCredentials)
	r := testkit.PostQuery(t, srv, creds, "iam", url.Values{"Action": {"GetAccountSummary"}, "Version": {"2010-05-08"}}.Encode())
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	assert.Contains(t, r.Body, `<GetAccountSummaryResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetAccountSummaryResult><SummaryMap><entry><key>Users</key><value>0</value></entry>`)
	assert.Contains(t, r.Body, `<entry><key>AccountPasswordPresent</key><value>0</value></entry>`)
	r = testkit.PostQuery(t, srv, creds, "iam", url.Values{"Action": {"ListAccessKeys"}, "Version": {"2010-05-08"}}.Encode())
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	assert.Contains(t, r.Body, `<ListAccessKeysResult><AccessKeyMetadata></AccessKeyMetadata><IsTruncated>false</IsTruncated></ListAccessKeysResult>`)
}
