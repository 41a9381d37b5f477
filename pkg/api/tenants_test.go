package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api"
	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
	"github.com/rootaccess/emulator/pkg/store"
)

// tenantControl sends a control request with token (none if empty) and
// decodes the JSON answer, if any.
func tenantControl(t *testing.T, srv *apitest.Server, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out := map[string]any{}
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func createTenant(t *testing.T, srv *apitest.Server, token, body string) api.TenantInfo {
	t.Helper()
	status, out := tenantControl(t, srv, http.MethodPost, "/_emulator/tenants", token, body)
	require.Equal(t, http.StatusCreated, status, "create tenant: %v", out)
	data, _ := json.Marshal(out)
	var info api.TenantInfo
	require.NoError(t, json.Unmarshal(data, &info))
	return info
}

// TestTenants_Isolation: two tenants and the default world, each driven by
// the SDK with its own key, see nothing of each other.
func TestTenants_Isolation(t *testing.T) {
	ctx := context.Background()
	srv := apitest.New(t, apitest.WithServerOptions(api.WithControlToken("operator-token")))
	a := createTenant(t, srv, "operator-token", `{"id":"alice"}`)
	b := createTenant(t, srv, "operator-token", `{"id":"bob","management_account_id":"222222222222"}`)
	assert.NotEqual(t, a.AccessKeyID, b.AccessKeyID)
	assert.Len(t, a.ManagementAccountID, 12)
	assert.Equal(t, "222222222222", b.ManagementAccountID)
	assert.NotEmpty(t, a.OrganizationID, "a tenant has an organization unless asked otherwise")
	assert.NotEmpty(t, a.ControlToken)
	aCfg, bCfg := srv.Config(apitest.TenantCredentials(a)), srv.Config(apitest.TenantCredentials(b))

	t.Run("Identity", func(t *testing.T) {
		who, err := sts.NewFromConfig(aCfg).GetCallerIdentity(ctx, nil)
		require.NoError(t, err)
		assert.Equal(t, a.ManagementAccountID, aws.ToString(who.Account))
		who, err = sts.NewFromConfig(bCfg).GetCallerIdentity(ctx, nil)
		require.NoError(t, err)
		assert.Equal(t, "arn:aws:iam::222222222222:user/admin", aws.ToString(who.Arn))
	})

	t.Run("Buckets", func(t *testing.T) {
		aS3, bS3 := testkit.S3Client(srv, apitest.TenantCredentials(a)), testkit.S3Client(srv, apitest.TenantCredentials(b))
		_, err := aS3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("same-name")})
		require.NoError(t, err)
		_, err = bS3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("same-name")})
		require.NoError(t, err, "bucket names are unique within a tenant")
		_, err = aS3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("same-name"), Key: aws.String("k"), Body: strings.NewReader("alice")})
		require.NoError(t, err)
		_, err = bS3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("same-name"), Key: aws.String("k")})
		testkit.RequireAWSError(t, err, "NoSuchKey", http.StatusNotFound)
		buckets, err := testkit.S3Client(srv, srv.AdminCredentials()).ListBuckets(ctx, &s3.ListBucketsInput{})
		require.NoError(t, err)
		assert.Empty(t, buckets.Buckets, "the default world has no bucket")
	})

	t.Run("Events", func(t *testing.T) {
		// Each tenant's CloudTrail holds its own calls only: both made a
		// CreateBucket above; each sees one, its own.
		require.NoError(t, srv.API.FlushRecords(ctx))
		for _, tn := range []struct {
			cfg     aws.Config
			account string
		}{{aCfg, a.ManagementAccountID}, {bCfg, b.ManagementAccountID}} {
			out, err := cloudtrail.NewFromConfig(tn.cfg).LookupEvents(ctx, &cloudtrail.LookupEventsInput{
				LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("CreateBucket")}}})
			require.NoError(t, err)
			require.Len(t, out.Events, 1)
			assert.Contains(t, aws.ToString(out.Events[0].CloudTrailEvent), `"recipientAccountId":"`+tn.account+`"`)
		}
	})

	t.Run("Queues", func(t *testing.T) {
		_, err := sqs.NewFromConfig(aCfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("alice-queue")})
		require.NoError(t, err)
		_, err = sqs.NewFromConfig(bCfg).GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("alice-queue"),
			QueueOwnerAWSAccountId: aws.String(a.ManagementAccountID)})
		testkit.RequireAWSError(t, err, "AWS.SimpleQueueService.NonExistentQueue", http.StatusBadRequest)
		list, err := sqs.NewFromConfig(bCfg).ListQueues(ctx, &sqs.ListQueuesInput{})
		require.NoError(t, err)
		assert.Empty(t, list.QueueUrls)
	})

	t.Run("Accounts", func(t *testing.T) {
		srv.MemberAccount(t, "default-member")
		accounts, err := organizations.NewFromConfig(aCfg).ListAccounts(ctx, nil)
		require.NoError(t, err)
		require.Len(t, accounts.Accounts, 1, "only the tenant's own management account")
		assert.Equal(t, a.ManagementAccountID, aws.ToString(accounts.Accounts[0].Id))
	})

	t.Run("KeysAndSessions", func(t *testing.T) {
		// A role in alice's world, and a session of it.
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + a.ManagementAccountID + `:root"},"Action":"sts:AssumeRole"}]}`
		_, err := iam.NewFromConfig(aCfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ops"), AssumeRolePolicyDocument: aws.String(trust)})
		require.NoError(t, err)
		roleARN := "arn:aws:iam::" + a.ManagementAccountID + ":role/ops"
		out, err := sts.NewFromConfig(aCfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("trainee")})
		require.NoError(t, err)
		session := apitest.SessionCredentials(out.Credentials)
		who, err := sts.NewFromConfig(srv.Config(session)).GetCallerIdentity(ctx, nil)
		require.NoError(t, err)
		assert.Equal(t, a.ManagementAccountID, aws.ToString(who.Account))
		// Bob cannot reach alice's role, and has no such user either.
		_, err = sts.NewFromConfig(bCfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("trainee")})
		require.Error(t, err)
		_, err = iam.NewFromConfig(bCfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("ops")})
		testkit.RequireAWSError(t, err, "NoSuchEntity", http.StatusNotFound)
		// A key made in bob's world works there only.
		key, err := iam.NewFromConfig(bCfg).CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
		require.NoError(t, err)
		creds := aws.Credentials{AccessKeyID: aws.ToString(key.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(key.AccessKey.SecretAccessKey)}
		who, err = sts.NewFromConfig(srv.Config(creds)).GetCallerIdentity(ctx, nil)
		require.NoError(t, err)
		assert.Equal(t, "222222222222", aws.ToString(who.Account))
		// Nothing of the tenants is in the default world's store.
		_, err = srv.Store.Credential(ctx, creds.AccessKeyID)
		assert.ErrorIs(t, err, store.ErrNotFound)

		t.Run("Clock", func(t *testing.T) {
			status, _ := tenantControl(t, srv, http.MethodPost, "/_emulator/tenants/alice/clock", b.ControlToken, `{"advance":"16m"}`)
			assert.Equal(t, http.StatusUnauthorized, status, "bob's token does not move alice's clock")
			status, clock := tenantControl(t, srv, http.MethodPost, "/_emulator/tenants/alice/clock", a.ControlToken, `{"advance":"2h"}`)
			require.Equal(t, http.StatusOK, status, "%v", clock)
			assert.InDelta(t, 7200, clock["offset_seconds"], 1)
			_, err := sts.NewFromConfig(srv.Config(session)).GetCallerIdentity(ctx, nil)
			testkit.RequireAWSError(t, err, "ExpiredToken", http.StatusForbidden)
			assert.Zero(t, srv.Clock.Offset(), "the default world's clock did not move")
			status, clock = tenantControl(t, srv, http.MethodGet, "/_emulator/tenants/bob/clock", b.ControlToken, "")
			require.Equal(t, http.StatusOK, status)
			assert.InDelta(t, 0, clock["offset_seconds"], 1, "nor bob's")
		})
	})

	t.Run("Reset", func(t *testing.T) {
		_, err := sqs.NewFromConfig(bCfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bob-queue")})
		require.NoError(t, err)
		status, _ := tenantControl(t, srv, http.MethodPost, "/_emulator/tenants/alice/reset", a.ControlToken, "")
		require.Equal(t, http.StatusOK, status)
		list, err := sqs.NewFromConfig(aCfg).ListQueues(ctx, &sqs.ListQueuesInput{})
		require.NoError(t, err, "alice's administrator key is seeded again")
		assert.Empty(t, list.QueueUrls, "alice's world is empty again")
		list, err = sqs.NewFromConfig(bCfg).ListQueues(ctx, &sqs.ListQueuesInput{})
		require.NoError(t, err)
		assert.Len(t, list.QueueUrls, 1, "bob's world is untouched")
	})

	t.Run("Control", func(t *testing.T) {
		status, _ := tenantControl(t, srv, http.MethodGet, "/_emulator/tenants", "", "")
		assert.Equal(t, http.StatusUnauthorized, status, "listing tenants needs the operator's token")
		status, _ = tenantControl(t, srv, http.MethodGet, "/_emulator/tenants", a.ControlToken, "")
		assert.Equal(t, http.StatusUnauthorized, status, "a tenant's token is not the operator's")
		status, out := tenantControl(t, srv, http.MethodGet, "/_emulator/tenants", "operator-token", "")
		require.Equal(t, http.StatusOK, status)
		ids := []string{}
		for _, tn := range out["tenants"].([]any) {
			ids = append(ids, tn.(map[string]any)["id"].(string))
		}
		assert.Equal(t, []string{"default", "alice", "bob"}, ids)
		status, _ = tenantControl(t, srv, http.MethodGet, "/_emulator/tenants/bob/info", "operator-token", "")
		assert.Equal(t, http.StatusOK, status, "the operator's token opens every tenant")
		status, _ = tenantControl(t, srv, http.MethodGet, "/_emulator/tenants/nobody/info", "operator-token", "")
		assert.Equal(t, http.StatusNotFound, status)
		status, out = tenantControl(t, srv, http.MethodPost, "/_emulator/tenants", "operator-token", `{"access_key_id":"test"}`)
		assert.Equal(t, http.StatusConflict, status, "the default world's key cannot be reused: %v", out)
		status, _ = tenantControl(t, srv, http.MethodPost, "/_emulator/tenants", "operator-token", `{"id":"alice"}`)
		assert.Equal(t, http.StatusConflict, status)
		status, _ = tenantControl(t, srv, http.MethodPost, "/_emulator/tenants", "operator-token", `{"id":"Not Valid"}`)
		assert.Equal(t, http.StatusBadRequest, status)
		status, _ = tenantControl(t, srv, http.MethodPost, "/_emulator/tenants", "operator-token", `{"unknown":1}`)
		assert.Equal(t, http.StatusBadRequest, status)
		status, _ = tenantControl(t, srv, http.MethodDelete, "/_emulator/tenants/default", "operator-token", "")
		assert.Equal(t, http.StatusBadRequest, status)
	})

	t.Run("Delete", func(t *testing.T) {
		status, _ := tenantControl(t, srv, http.MethodDelete, "/_emulator/tenants/alice", "operator-token", "")
		require.Equal(t, http.StatusNoContent, status)
		_, err := sts.NewFromConfig(aCfg).GetCallerIdentity(ctx, nil)
		testkit.RequireAWSError(t, err, "InvalidClientTokenId", http.StatusForbidden)
		_, err = sts.NewFromConfig(bCfg).GetCallerIdentity(ctx, nil)
		require.NoError(t, err)
	})
}

// TestTenants_ScenariosAndRestart: tenants made from the shipped scenarios
// come back after a restart; a scenario whose fixed key ids another tenant
// holds is refused, saying which.
func TestTenants_ScenariosAndRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	start := func() (*api.Server, *store.Store, *httptest.Server) {
		clock := api.NewClock()
		st, err := store.Open(filepath.Join(dir, "emulator.db"), store.WithNow(clock.Now))
		require.NoError(t, err)
		s := api.NewServer(st, api.WithClock(clock), api.WithTenantDir(filepath.Join(dir, "tenants")))
		_, err = s.Initialize(ctx, api.DefaultSeed())
		require.NoError(t, err)
		return s, st, httptest.NewServer(s.Handler())
	}
	readScenario := func(name string) json.RawMessage {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "scenarios", name))
		require.NoError(t, err)
		return data
	}
	srv, st, hs := start()
	locked, err := srv.CreateTenant(ctx, api.TenantSpec{ID: "trainee-1", Scenario: readScenario("locked-bucket.json")})
	require.NoError(t, err)
	require.NotNil(t, locked.Scenario)
	require.Len(t, locked.Scenario.Accounts, 1)
	_, err = srv.CreateTenant(ctx, api.TenantSpec{ID: "fleet-1", Scenario: readScenario("legacy-fleet.json")})
	require.NoError(t, err)
	_, err = srv.CreateTenant(ctx, api.TenantSpec{ID: "fleet-2", Scenario: readScenario("legacy-fleet.json")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "already exists in tenant fleet-1")
	sc, err := api.ParseScenario(readScenario("legacy-fleet.json"))
	require.NoError(t, err)
	_, err = srv.ApplyScenario(ctx, sc)
	require.Error(t, err, "nor can the default world take a tenant's key ids")
	assert.Contains(t, err.Error(), "already exists in tenant fleet-1")
	hs.Close()
	require.NoError(t, srv.Close())
	require.NoError(t, st.Close())

	srv, st, hs = start()
	defer func() { hs.Close(); srv.Close(); st.Close() }()
	tenants, err := srv.Tenants(ctx)
	require.NoError(t, err)
	require.Len(t, tenants, 3, "default, fleet-1 and trainee-1 came back")
	assert.Equal(t, []string{"default", "fleet-1", "trainee-1"}, []string{tenants[0].ID, tenants[1].ID, tenants[2].ID})
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(hs.URL), Retryer: func() aws.Retryer { return aws.NopRetryer{} },
		Credentials: credentials.NewStaticCredentialsProvider(locked.AccessKeyID, locked.SecretAccessKey, "")}
	accounts, err := organizations.NewFromConfig(cfg).ListAccounts(ctx, nil)
	require.NoError(t, err)
	assert.Len(t, accounts.Accounts, 2, "the management account and the scenario's analytics account")
}

func TestTenants_File(t *testing.T) {
	specs, err := api.ParseTenantsFile([]byte(`{"tenants":[{"id":"lead"}],"group":{"count":20,"prefix":"trainee-","scenario":{"accounts":[{"name":"w"}]}}}`))
	require.NoError(t, err)
	require.Len(t, specs, 21)
	assert.Equal(t, "lead", specs[0].ID)
	assert.Equal(t, "trainee-01", specs[1].ID)
	assert.Equal(t, "trainee-20", specs[20].ID)
	for _, bad := range []string{`{"tenants":[{}]}`, `{"group":{"count":0,"prefix":"t-"}}`, `{"group":{"count":2,"prefix":"t-","access_key_id":"AKIA1"}}`, `{"nope":1}`, `[]`} {
		_, err := api.ParseTenantsFile([]byte(bad))
		assert.Error(t, err, bad)
	}
	srv := apitest.New(t)
	n, err := srv.API.EnsureTenants(context.Background(), specs)
	require.NoError(t, err)
	assert.Equal(t, 21, n)
	n, err = srv.API.EnsureTenants(context.Background(), specs)
	require.NoError(t, err)
	assert.Zero(t, n, "a second start creates nothing")
	tenants, err := srv.API.Tenants(context.Background())
	require.NoError(t, err)
	assert.Len(t, tenants, 22)
}

// TestTenants_ScenarioByName: a tenant's scenario may be a shipped
// scenario's name, as -scenario and ?name= take it; the tenant keeps the
// content, and an unknown name is a 400 that lists the shipped ones.
func TestTenants_ScenarioByName(t *testing.T) {
	srv := apitest.New(t)
	post := func(body string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post(srv.URL+"/_emulator/tenants", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return resp.StatusCode, out
	}
	status, out := post(`{"id":"trainee-1","scenario":"locked-bucket"}`)
	require.Equal(t, http.StatusCreated, status, out)
	scenario, _ := out["scenario"].(map[string]any)
	assert.Equal(t, "locked-bucket", scenario["name"])
	tenants, err := srv.API.Tenants(context.Background())
	require.NoError(t, err)
	require.Len(t, tenants, 2)
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/_emulator/tenants/trainee-1/info", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+out["control_token"].(string))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var world api.WorldInfo
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&world))
	resp.Body.Close()
	assert.Equal(t, []string{"locked-bucket"}, world.Scenarios)
	assert.Len(t, world.Accounts, 2, "the management account and the scenario's analytics")

	status, out = post(`{"id":"trainee-2","scenario":"locked-buckets"}`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, out["error"], `no shipped scenario is called "locked-buckets"`)
	assert.Contains(t, out["error"], "locked-bucket, locked-queue")
	tenants, err = srv.API.Tenants(context.Background())
	require.NoError(t, err)
	assert.Len(t, tenants, 2, "nothing created")
}
