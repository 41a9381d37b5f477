package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api"
	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
	"github.com/rootaccess/emulator/pkg/policy"
)

// Authentication answers from a credential cache (store/credcache.go);
// these tests warm it with a successful call and then check that each way
// a key stops working is seen by the very next request.

func callerIdentity(srv *apitest.Server, creds aws.Credentials) error {
	_, err := sts.NewFromConfig(srv.Config(creds)).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	return err
}

// warmKey makes two successful calls, so that the key is in memory.
func warmKey(t *testing.T, srv *apitest.Server, creds aws.Credentials) {
	t.Helper()
	require.NoError(t, callerIdentity(srv, creds))
	require.NoError(t, callerIdentity(srv, creds))
}

func TestCredentialCache_DeletedKeyStopsAtOnce(t *testing.T) {
	srv := apitest.New(t)
	user := testkit.CreateUser(t, srv, srv.ManagementAccountID(), "leaver", "")
	warmKey(t, srv, user)
	_, err := iam.NewFromConfig(srv.Config(srv.AdminCredentials())).DeleteAccessKey(context.Background(),
		&iam.DeleteAccessKeyInput{UserName: aws.String("leaver"), AccessKeyId: aws.String(user.AccessKeyID)})
	require.NoError(t, err)
	testkit.RequireAWSError(t, callerIdentity(srv, user), "InvalidClientTokenId", http.StatusForbidden)
}

func TestCredentialCache_DeactivatedKeyStopsAtOnceAndComesBack(t *testing.T) {
	srv := apitest.New(t)
	user := testkit.CreateUser(t, srv, srv.ManagementAccountID(), "paused", "")
	warmKey(t, srv, user)
	admin := iam.NewFromConfig(srv.Config(srv.AdminCredentials()))
	setStatus := func(status iamtypes.StatusType) {
		_, err := admin.UpdateAccessKey(context.Background(), &iam.UpdateAccessKeyInput{UserName: aws.String("paused"),
			AccessKeyId: aws.String(user.AccessKeyID), Status: status})
		require.NoError(t, err)
	}
	setStatus(iamtypes.StatusTypeInactive)
	testkit.RequireAWSError(t, callerIdentity(srv, user), "InvalidClientTokenId", http.StatusForbidden)
	setStatus(iamtypes.StatusTypeActive)
	require.NoError(t, callerIdentity(srv, user))
}

func TestCredentialCache_SessionExpiresByTheClock(t *testing.T) {
	srv := apitest.New(t)
	member := srv.MemberAccount(t, "expiring")
	srv.EnableRootAccess(t)
	root := srv.RootSession(t, member, policy.AuditRootUserCredentials)
	warmKey(t, srv, root)
	srv.Clock.Advance(15*time.Minute + time.Second)
	testkit.RequireAWSError(t, callerIdentity(srv, root), "ExpiredToken", http.StatusForbidden)
}

func TestCredentialCache_ResetForgetsEveryKey(t *testing.T) {
	srv := apitest.New(t)
	user := testkit.CreateUser(t, srv, srv.ManagementAccountID(), "before-reset", "")
	warmKey(t, srv, user)
	warmKey(t, srv, srv.AdminCredentials())
	require.NoError(t, srv.API.Reset(context.Background()))
	testkit.RequireAWSError(t, callerIdentity(srv, user), "InvalidClientTokenId", http.StatusForbidden)
	require.NoError(t, callerIdentity(srv, srv.AdminCredentials()), "the seeded administrator key is seeded again")
}

func TestCredentialCache_DeletedTenantsKeysStopAtOnce(t *testing.T) {
	srv := apitest.New(t)
	tenant := srv.NewTenant(t, api.TenantSpec{})
	creds := apitest.TenantCredentials(tenant)
	warmKey(t, srv, creds)
	require.NoError(t, srv.API.DeleteTenant(tenant.ID))
	testkit.RequireAWSError(t, callerIdentity(srv, creds), "InvalidClientTokenId", http.StatusForbidden)
}
