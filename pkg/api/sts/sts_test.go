package sts_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api"
	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
	"github.com/rootaccess/emulator/pkg/policy"
	"github.com/rootaccess/emulator/pkg/store"
)

// stsStandaloneAccount creates an account that belongs to no organization.
func stsStandaloneAccount(t testing.TB, srv *apitest.Server, id string) {
	t.Helper()
	err := srv.Store.Update(context.Background(), func(tx *store.Tx) error {
		return tx.PutAccount(store.Account{ID: id, Name: "standalone", Email: id + "@example.com", CreatedAt: tx.Now()})
	})
	require.NoError(t, err)
}

// stsTaskPolicyNames are the names of the five root-task policies.
var stsTaskPolicyNames = []string{policy.AuditRootUserCredentials, policy.CreateRootUserPassword,
	policy.DeleteRootUserCredentials, policy.S3UnlockBucketPolicy, policy.SQSUnlockQueuePolicy}

// --- GetCallerIdentity ---

func TestSTS_GetCallerIdentity_Admin(t *testing.T) {
	srv := apitest.New(t)
	out, err := sts.NewFromConfig(srv.Config(srv.AdminCredentials())).GetCallerIdentity(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, "111111111111", aws.ToString(out.Account))
	assert.Equal(t, "arn:aws:iam::111111111111:user/admin", aws.ToString(out.Arn))
	assert.Regexp(t, `^AIDA[A-Z2-7]{17}$`, aws.ToString(out.UserId))
}

func TestSTS_AssumeRoot_RootSessionIdentity(t *testing.T) {
	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	srv.EnableRootAccess(t)
	ctx := context.Background()
	out, err := sts.NewFromConfig(srv.Config(srv.AdminCredentials())).AssumeRoot(ctx, &sts.AssumeRootInput{
		TargetPrincipal: aws.String(member),
		TaskPolicyArn:   testkit.TaskPolicy(policy.AuditRootUserCredentials),
	})
	require.NoError(t, err)
	assert.Regexp(t, `^ASIA[A-Z2-7]{16}$`, aws.ToString(out.Credentials.AccessKeyId))
	assert.Nil(t, out.SourceIdentity)
	root := sts.NewFromConfig(srv.Config(apitest.SessionCredentials(out.Credentials)))
	who, err := root.GetCallerIdentity(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, member, aws.ToString(who.Account))
	assert.Equal(t, member, aws.ToString(who.UserId))
	assert.Equal(t, "arn:aws:iam::"+member+":root", aws.ToString(who.Arn))
}

func TestSTS_GetCallerIdentity_RoleSession(t *testing.T) {
	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	ctx := context.Background()
	out, err := sts.NewFromConfig(srv.Config(srv.AdminCredentials())).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(testkit.AccessRoleARN(member)), RoleSessionName: aws.String("audit-session")})
	require.NoError(t, err)
	who, err := sts.NewFromConfig(srv.Config(apitest.SessionCredentials(out.Credentials))).GetCallerIdentity(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, member, aws.ToString(who.Account))
	assert.Equal(t, "arn:aws:sts::"+member+":assumed-role/OrganizationAccountAccessRole/audit-session", aws.ToString(who.Arn))
	assert.Regexp(t, `^AROA[A-Z2-7]{17}:audit-session$`, aws.ToString(who.UserId))
}

// --- AssumeRoot: the happy paths ---

func TestSTS_AssumeRoot_EveryTaskPolicyAndTargetForm(t *testing.T) {
	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	srv.EnableRootAccess(t)
	ctx := context.Background()
	admin := sts.NewFromConfig(srv.Config(srv.AdminCredentials()))
	for _, task := range stsTaskPolicyNames {
		for _, target := range []string{member, "arn:aws:iam::" + member + ":root"} {
			t.Run(task+"/"+target, func(t *testing.T) {
				before := srv.Clock.Now().Truncate(time.Second)
				out, err := admin.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(target), TaskPolicyArn: testkit.TaskPolicy(task)})
				require.NoError(t, err)
				after := srv.Clock.Now()
				exp := aws.ToTime(out.Credentials.Expiration)
				// Default duration: 900 s from the (second-granular) issue time.
				assert.False(t, exp.Before(before.Add(900*time.Second)), "expiration %v before %v+900s", exp, before)
				assert.False(t, exp.After(after.Add(900*time.Second)), "expiration %v after %v+900s", exp, after)
				who, err := sts.NewFromConfig(srv.Config(apitest.SessionCredentials(out.Credentials))).GetCallerIdentity(ctx, nil)
				require.NoError(t, err)
				assert.Equal(t, "arn:aws:iam::"+member+":root", aws.ToString(who.Arn))
			})
		}
	}
}

func TestSTS_AssumeRoot_DurationSeconds(t *testing.T) {
	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	srv.EnableRootAccess(t)
	ctx := context.Background()
	admin := sts.NewFromConfig(srv.Config(srv.AdminCredentials()))
	for _, tc := range []struct {
		seconds int32
		want    time.Duration // 0: refused with ValidationError
	}{{0, 900 * time.Second}, {1, time.Second}, {900, 900 * time.Second}, {901, 0}, {-1, 0}} {
		out, err := admin.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(member),
			TaskPolicyArn: testkit.TaskPolicy(policy.AuditRootUserCredentials), DurationSeconds: aws.Int32(tc.seconds)})
		if tc.want == 0 {
			testkit.RequireAWSError(t, err, "ValidationError", 400)
			var apiErr smithy.APIError
			require.True(t, errors.As(err, &apiErr))
			assert.Contains(t, apiErr.ErrorMessage(), "durationSeconds")
			continue
		}
		require.NoError(t, err, "DurationSeconds=%d", tc.seconds)
		exp := aws.ToTime(out.Credentials.Expiration)
		assert.WithinDuration(t, srv.Clock.Now().Add(tc.want), exp, 2*time.Second, "DurationSeconds=%d", tc.seconds)
	}
}

// --- AssumeRoot: refusals ---

func TestSTS_AssumeRoot_InvalidInput(t *testing.T) {
	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	srv.EnableRootAccess(t)
	ctx := context.Background()
	admin := sts.NewFromConfig(srv.Config(srv.AdminCredentials()))
	for _, arn := range []string{
		"arn:aws:iam::aws:policy/AdministratorAccess",                   // a sixth, real managed policy
		"arn:aws:iam::aws:policy/root-task/IAMDeleteEverything",         // not a task policy
		"arn:aws:iam::aws:policy/root-task/iamauditrootusercredentials", // case matters
	} {
		_, err := admin.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(member),
			TaskPolicyArn: &ststypes.PolicyDescriptorType{Arn: aws.String(arn)}})
		testkit.RequireAWSError(t, err, "ValidationError", 400)
	}
	for _, target := range []string{"12345678901x", "1234567890123", "arn:aws:iam::12345678901:root",
		"arn:aws:iam::" + member + ":user/admin", "arn:aws:sts::" + member + ":root", "short"} {
		_, err := admin.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(target),
			TaskPolicyArn: testkit.TaskPolicy(policy.AuditRootUserCredentials)})
		testkit.RequireAWSError(t, err, "ValidationError", 400)
	}
	// The SDK checks required members itself, so these go out by hand.
	for _, body := range []string{
		"Action=AssumeRoot&Version=2011-06-15",
		"Action=AssumeRoot&Version=2011-06-15&TargetPrincipal=" + member,
		"Action=AssumeRoot&Version=2011-06-15&TaskPolicyArn.arn=" + policy.ARN(policy.AuditRootUserCredentials),
		"Action=AssumeRoot&Version=2011-06-15&TargetPrincipal=" + member + "&TaskPolicyArn.arn=",
	} {
		status, e := testkit.PostQueryError(t, srv, srv.AdminCredentials(), "sts", body)
		assert.Equal(t, 400, status, body)
		assert.Equal(t, "ValidationError", e.Error.Code, body)
		assert.Contains(t, e.Error.Message, "Member must not be null", body)
	}
	status, e := testkit.PostQueryError(t, srv, srv.AdminCredentials(), "sts", "Action=AssumeRoot&Version=2011-06-15&TargetPrincipal="+member+
		"&TaskPolicyArn.arn="+policy.ARN(policy.AuditRootUserCredentials)+"&DurationSeconds=ten")
	assert.Equal(t, 400, status)
	assert.Equal(t, "ValidationError", e.Error.Code)
}

func TestSTS_AssumeRoot_RefusedBeforeRootSessionsEnabled(t *testing.T) {
	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	admin := sts.NewFromConfig(srv.Config(srv.AdminCredentials()))
	in := &sts.AssumeRootInput{TargetPrincipal: aws.String(member), TaskPolicyArn: testkit.TaskPolicy(policy.AuditRootUserCredentials)}
	_, err := admin.AssumeRoot(context.Background(), in)
	testkit.RequireAWSError(t, err, "AccessDenied", 403)

	// Root credentials management alone is not enough either.
	testkit.UpdateOrganization(t, srv, func(org *store.Organization, now time.Time) {
		org.EnableServiceAccess("iam.amazonaws.com", now)
		org.RootCredentialsManagement = true
	})
	_, err = admin.AssumeRoot(context.Background(), in)
	testkit.RequireAWSError(t, err, "AccessDenied", 403)

	testkit.UpdateOrganization(t, srv, func(org *store.Organization, _ time.Time) { org.RootSessions = true })
	_, err = admin.AssumeRoot(context.Background(), in)
	require.NoError(t, err)
}

func TestSTS_AssumeRoot_RefusedTargets(t *testing.T) {
	srv := apitest.New(t)
	srv.MemberAccount(t, "workload")
	srv.EnableRootAccess(t)
	stsStandaloneAccount(t, srv, "333333333333")
	admin := sts.NewFromConfig(srv.Config(srv.AdminCredentials()))
	for name, target := range map[string]string{
		"management account":       srv.ManagementAccountID(),
		"management account ARN":   "arn:aws:iam::" + srv.ManagementAccountID() + ":root",
		"account outside the org":  "333333333333",
		"account that isn't there": "444444444444",
	} {
		_, err := admin.AssumeRoot(context.Background(), &sts.AssumeRootInput{TargetPrincipal: aws.String(target),
			TaskPolicyArn: testkit.TaskPolicy(policy.AuditRootUserCredentials)})
		t.Run(name, func(t *testing.T) { testkit.RequireAWSError(t, err, "AccessDenied", 403) })
	}
}

func TestSTS_AssumeRoot_CallerWithoutOrganization(t *testing.T) {
	srv := apitest.New(t, apitest.WithoutOrganization())
	_, err := sts.NewFromConfig(srv.Config(srv.AdminCredentials())).AssumeRoot(context.Background(), &sts.AssumeRootInput{
		TargetPrincipal: aws.String("222222222222"), TaskPolicyArn: testkit.TaskPolicy(policy.AuditRootUserCredentials)})
	testkit.RequireAWSError(t, err, "AccessDenied", 403)
}

func TestSTS_AssumeRoot_RefusedCallers(t *testing.T) {
	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	other := srv.MemberAccount(t, "other")
	srv.EnableRootAccess(t)
	in := &sts.AssumeRootInput{TargetPrincipal: aws.String(member), TaskPolicyArn: testkit.TaskPolicy(policy.AuditRootUserCredentials)}
	ctx := context.Background()

	t.Run("root session", func(t *testing.T) {
		root := srv.RootSession(t, member, policy.AuditRootUserCredentials)
		_, err := sts.NewFromConfig(srv.Config(root)).AssumeRoot(ctx, in)
		testkit.RequireAWSError(t, err, "AccessDenied", 403)
	})
	t.Run("no identity policy allows sts:AssumeRoot", func(t *testing.T) {
		reader := testkit.CreateUser(t, srv, srv.ManagementAccountID(), "reader",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}`)
		_, err := sts.NewFromConfig(srv.Config(reader)).AssumeRoot(ctx, in)
		testkit.RequireAWSError(t, err, "AccessDenied", 403)
		var apiErr smithy.APIError
		require.True(t, errors.As(err, &apiErr))
		assert.Contains(t, apiErr.ErrorMessage(), "sts:AssumeRoot")
	})
	t.Run("policy allows only another task", func(t *testing.T) {
		scoped := testkit.CreateUser(t, srv, srv.ManagementAccountID(), "s3-unlocker",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRoot","Resource":"*",
			  "Condition":{"ArnEquals":{"sts:TaskPolicyArn":"`+policy.ARN(policy.S3UnlockBucketPolicy)+`"}}}]}`)
		_, err := sts.NewFromConfig(srv.Config(scoped)).AssumeRoot(ctx, in)
		testkit.RequireAWSError(t, err, "AccessDenied", 403)
		_, err = sts.NewFromConfig(srv.Config(scoped)).AssumeRoot(ctx, &sts.AssumeRootInput{
			TargetPrincipal: aws.String(member), TaskPolicyArn: testkit.TaskPolicy(policy.S3UnlockBucketPolicy)})
		require.NoError(t, err)
	})
	t.Run("member account that is not a delegated administrator", func(t *testing.T) {
		role := srv.AssumeAccessRole(t, other)
		_, err := sts.NewFromConfig(srv.Config(role)).AssumeRoot(ctx, in)
		testkit.RequireAWSError(t, err, "AccessDenied", 403)
	})
}

func TestSTS_AssumeRoot_DelegatedAdministrator(t *testing.T) {
	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	da := srv.MemberAccount(t, "security")
	srv.EnableRootAccess(t)
	ctx := context.Background()
	in := &sts.AssumeRootInput{TargetPrincipal: aws.String(member), TaskPolicyArn: testkit.TaskPolicy(policy.DeleteRootUserCredentials)}

	role := sts.NewFromConfig(srv.Config(srv.AssumeAccessRole(t, da)))
	user := sts.NewFromConfig(srv.Config(testkit.CreateUser(t, srv, da, "secops", store.AdministratorAccess)))
	for _, c := range []*sts.Client{role, user} {
		_, err := c.AssumeRoot(ctx, in)
		testkit.RequireAWSError(t, err, "AccessDenied", 403)
	}

	testkit.RegisterIAMDelegatedAdmin(t, srv, da)
	for _, c := range []*sts.Client{role, user} {
		out, err := c.AssumeRoot(ctx, in)
		require.NoError(t, err)
		who, err := sts.NewFromConfig(srv.Config(apitest.SessionCredentials(out.Credentials))).GetCallerIdentity(ctx, nil)
		require.NoError(t, err)
		assert.Equal(t, member, aws.ToString(who.Account))
	}
	// A delegated administrator still cannot open a root session on the management account.
	_, err := user.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(srv.ManagementAccountID()),
		TaskPolicyArn: testkit.TaskPolicy(policy.AuditRootUserCredentials)})
	testkit.RequireAWSError(t, err, "AccessDenied", 403)
}

// --- AssumeRole ---

func TestSTS_AssumeRole_OrganizationAccountAccessRole(t *testing.T) {
	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	ctx := context.Background()
	admin := sts.NewFromConfig(srv.Config(srv.AdminCredentials()))
	out, err := admin.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(testkit.AccessRoleARN(member)),
		RoleSessionName: aws.String("ops")})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:sts::"+member+":assumed-role/OrganizationAccountAccessRole/ops", aws.ToString(out.AssumedRoleUser.Arn))
	assert.Regexp(t, `^AROA[A-Z2-7]{17}:ops$`, aws.ToString(out.AssumedRoleUser.AssumedRoleId))
	assert.Regexp(t, `^ASIA`, aws.ToString(out.Credentials.AccessKeyId))
	assert.WithinDuration(t, srv.Clock.Now().Add(time.Hour), aws.ToTime(out.Credentials.Expiration), 2*time.Second)

	t.Run("nonexistent role", func(t *testing.T) {
		_, err := admin.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + member + ":role/Nope"),
			RoleSessionName: aws.String("ops")})
		testkit.RequireAWSError(t, err, "AccessDenied", 403)
	})
	t.Run("longer than MaxSessionDuration", func(t *testing.T) {
		_, err := admin.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(testkit.AccessRoleARN(member)),
			RoleSessionName: aws.String("ops"), DurationSeconds: aws.Int32(7200)})
		testkit.RequireAWSError(t, err, "ValidationError", 400)
	})
	t.Run("root session", func(t *testing.T) {
		srv.EnableRootAccess(t)
		root := srv.RootSession(t, member, policy.AuditRootUserCredentials)
		_, err := sts.NewFromConfig(srv.Config(root)).AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String(testkit.AccessRoleARN(member)), RoleSessionName: aws.String("ops")})
		testkit.RequireAWSError(t, err, "AccessDenied", 403)
	})
}

// --- Persistence ---

// TestSTS_CredentialsSurviveRestart closes the server and opens a new one on
// the same data file: the root session minted before still works.
func TestSTS_CredentialsSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "emulator.db")
	ctx := context.Background()
	start := func() (*apitest.Server, func()) {
		clock := api.NewClock()
		st, err := store.Open(path, store.WithNow(clock.Now))
		require.NoError(t, err)
		srv := api.NewServer(st, api.WithClock(clock))
		_, err = srv.Initialize(ctx, api.DefaultSeed())
		require.NoError(t, err)
		hs := httptest.NewServer(srv.Handler())
		// Reuse apitest's client configuration and helpers over the hand-built server.
		return &apitest.Server{Server: hs, API: srv, Store: st, Clock: clock, Seed: api.DefaultSeed()}, func() {
			hs.Close()
			require.NoError(t, srv.Close())
			require.NoError(t, st.Close())
		}
	}

	first, stop := start()
	member := first.MemberAccount(t, "workload")
	first.EnableRootAccess(t)
	root := first.RootSession(t, member, policy.AuditRootUserCredentials)
	stop()

	second, stop := start()
	defer stop()
	who, err := sts.NewFromConfig(second.Config(root)).GetCallerIdentity(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::"+member+":root", aws.ToString(who.Arn))
	// The world was not seeded again: the organization and its settings are as they were.
	again := second.RootSession(t, member, policy.SQSUnlockQueuePolicy)
	assert.NotEqual(t, root.AccessKeyID, again.AccessKeyID)
}
