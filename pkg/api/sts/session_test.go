package sts_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
	"github.com/rootaccess/emulator/pkg/policy"
	"github.com/rootaccess/emulator/pkg/store"
)

// rootKey gives the root user of account a long-term access key and, if
// mfa, an enabled virtual MFA device; it returns the key and the device.
func rootKey(t *testing.T, srv *apitest.Server, account string, mfa bool) (aws.Credentials, string) {
	t.Helper()
	var key store.Credential
	var serial string
	err := srv.Store.Update(context.Background(), func(tx *store.Tx) error {
		var err error
		key, err = tx.CreateAccessKey(store.KindRoot, account, store.RootUserARN(account), "", "", "")
		if err != nil || !mfa {
			return err
		}
		d, err := tx.AddRootMFADevice(account, store.MFADeviceSpec{})
		serial = d.SerialNumber
		return err
	})
	require.NoError(t, err)
	return testkit.KeyCredentials(key), serial
}

func TestSTS_GetSessionToken(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	acct := srv.ManagementAccountID()
	userCreds := testkit.CreateUser(t, srv, acct, "dev",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:ListQueues","Resource":"*"}]}`)
	client := sts.NewFromConfig(srv.Config(userCreds))

	out, err := client.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	require.NoError(t, err)
	c := out.Credentials
	assert.Regexp(t, `^ASIA`, aws.ToString(c.AccessKeyId))
	assert.NotEmpty(t, aws.ToString(c.SessionToken))
	assert.WithinDuration(t, srv.Clock.Now().Add(12*time.Hour), aws.ToTime(c.Expiration), 5*time.Second, "12 hours by default")
	session := aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)}

	// The session is the user, with the user's permissions.
	who, err := sts.NewFromConfig(srv.Config(session)).GetCallerIdentity(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::"+acct+":user/dev", aws.ToString(who.Arn))
	_, err = sqs.NewFromConfig(srv.Config(session)).ListQueues(ctx, &sqs.ListQueuesInput{})
	require.NoError(t, err)
	_, err = sqs.NewFromConfig(srv.Config(session)).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("nope")})
	assert.Equal(t, "AccessDenied", testkit.ErrorCode(err))

	// Not with session credentials: its own, a role's, a root session's.
	_, err = sts.NewFromConfig(srv.Config(session)).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	testkit.RequireAWSError(t, err, "AccessDenied", 403)
	member := srv.MemberAccount(t, "member")
	_, err = sts.NewFromConfig(srv.Config(srv.AssumeAccessRole(t, member))).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	testkit.RequireAWSError(t, err, "AccessDenied", 403)
	srv.EnableRootAccess(t)
	_, err = sts.NewFromConfig(srv.Config(srv.RootSession(t, member, policy.AuditRootUserCredentials))).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	testkit.RequireAWSError(t, err, "AccessDenied", 403)

	// Durations: 900 to 129600 seconds.
	out, err = client.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(129600)})
	require.NoError(t, err)
	assert.WithinDuration(t, srv.Clock.Now().Add(36*time.Hour), aws.ToTime(out.Credentials.Expiration), 5*time.Second)
	_, err = client.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(899)})
	testkit.RequireAWSError(t, err, "ValidationError", 400)
	_, err = client.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(129601)})
	testkit.RequireAWSError(t, err, "ValidationError", 400)

	// MFA: an IAM user here has no device.
	_, err = client.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String("arn:aws:iam::" + acct + ":mfa/dev"), TokenCode: aws.String("123456")})
	testkit.RequireAWSError(t, err, "AccessDenied", 403)
	_, err = client.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String("arn:aws:iam::" + acct + ":mfa/dev")})
	testkit.RequireAWSError(t, err, "ValidationError", 400)
	_, err = client.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String("arn:aws:iam::" + acct + ":mfa/dev"), TokenCode: aws.String("12345")})
	testkit.RequireAWSError(t, err, "ValidationError", 400)

	// Session expiry follows the emulated clock.
	srv.Clock.Advance(12*time.Hour + time.Second)
	_, err = sts.NewFromConfig(srv.Config(session)).GetCallerIdentity(ctx, nil)
	assert.Equal(t, "ExpiredToken", testkit.ErrorCode(err))
}

func TestSTS_GetSessionToken_Root(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	member := srv.MemberAccount(t, "member")
	creds, serial := rootKey(t, srv, member, true)
	client := sts.NewFromConfig(srv.Config(creds))

	// A root user's session lasts an hour at most, whatever was asked.
	out, err := client.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(7200)})
	require.NoError(t, err)
	assert.WithinDuration(t, srv.Clock.Now().Add(time.Hour), aws.ToTime(out.Credentials.Expiration), 5*time.Second)
	session := aws.Credentials{AccessKeyID: aws.ToString(out.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
		SessionToken: aws.ToString(out.Credentials.SessionToken)}
	who, err := sts.NewFromConfig(srv.Config(session)).GetCallerIdentity(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::"+member+":root", aws.ToString(who.Arn))

	// The root's enabled MFA device with a code; another device is refused.
	_, err = client.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String("123456")})
	require.NoError(t, err)
	_, err = client.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String("arn:aws:iam::" + member + ":mfa/other"), TokenCode: aws.String("123456")})
	testkit.RequireAWSError(t, err, "AccessDenied", 403)
}

func TestSTS_GetAccessKeyInfo(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	client := sts.NewFromConfig(srv.Config(srv.AdminCredentials()))
	member := srv.MemberAccount(t, "member")
	memberKey, _ := rootKey(t, srv, member, false)

	out, err := client.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(memberKey.AccessKeyID)})
	require.NoError(t, err)
	assert.Equal(t, member, aws.ToString(out.Account), "a key the emulator issued: its account")
	userKey := testkit.CreateUser(t, srv, srv.ManagementAccountID(), "keyholder", "")
	out, err = client.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(userKey.AccessKeyID)})
	require.NoError(t, err)
	assert.Equal(t, srv.ManagementAccountID(), aws.ToString(out.Account))

	// A key it does not know: the account AWS encodes in its key ids
	// (examples published with the decoding).
	for key, account := range map[string]string{
		"ASIAQNZGKIQY56JQ7WML": "029608264753",
		"AKIASP2TPHJSQH3FJRUX": "171436882533",
	} {
		out, err = client.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(key)})
		require.NoError(t, err)
		assert.Equal(t, account, aws.ToString(out.Account), key)
	}
	_, err = client.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("AKIA0000000000000000")})
	testkit.RequireAWSError(t, err, "InvalidParameterValue", 400)
	_, err = client.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("short")})
	testkit.RequireAWSError(t, err, "ValidationError", 400)

	// It needs sts:GetAccessKeyInfo.
	none := testkit.CreateUser(t, srv, srv.ManagementAccountID(), "nobody", "")
	_, err = sts.NewFromConfig(srv.Config(none)).GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(memberKey.AccessKeyID)})
	testkit.RequireAWSError(t, err, "AccessDenied", 403)
}
