package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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
	"github.com/rootaccess/emulator/pkg/policy"
)

var scenariosDir = filepath.Join("..", "..", "testdata", "scenarios")

// scenarioControl posts body to a control endpoint and decodes the JSON answer.
func scenarioControl(t *testing.T, srv *apitest.Server, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(data, &out), string(data))
	return resp.StatusCode, out
}

func TestScenario_LockedBucket(t *testing.T) {
	srv := apitest.New(t)
	result := srv.LoadScenario(t, filepath.Join(scenariosDir, "locked-bucket.json"))
	require.Len(t, result.Accounts, 1)
	acct := result.Accounts[0]
	require.Len(t, acct.Buckets, 1)
	bucket := acct.Buckets[0]
	assert.Equal(t, "analytics-reports-"+acct.ID, bucket)
	ctx := context.Background()

	role := testkit.S3Client(srv, srv.AssumeAccessRole(t, acct.ID))
	_, err := role.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("2026/q3/summary.csv")})
	require.Equal(t, "AccessDenied", testkit.ErrorCode(err), "the bucket is locked: %v", err)

	root := testkit.S3Client(srv, srv.RootSession(t, acct.ID, policy.S3UnlockBucketPolicy))
	_, err = root.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: &bucket})
	require.NoError(t, err)

	obj, err := role.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("2026/q3/summary.csv")})
	require.NoError(t, err)
	body, _ := io.ReadAll(obj.Body)
	assert.Equal(t, "quarter,revenue\nQ3,1250000\n", string(body))
}

func TestScenario_LockedQueue(t *testing.T) {
	srv := apitest.New(t)
	result := srv.LoadScenario(t, filepath.Join(scenariosDir, "locked-queue.json"))
	acct := result.Accounts[0]
	require.Len(t, acct.Queues, 1)
	url := srv.URL + acct.Queues[0].Path
	ctx := context.Background()

	role := sqs.NewFromConfig(srv.Config(srv.AssumeAccessRole(t, acct.ID)))
	_, err := role.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url})
	require.Equal(t, "AccessDenied", testkit.ErrorCode(err), "the queue is locked: %v", err)

	root := sqs.NewFromConfig(srv.Config(srv.RootSession(t, acct.ID, policy.SQSUnlockQueuePolicy)))
	_, err = root.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"Policy": ""}})
	require.NoError(t, err)

	msgs, err := role.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url})
	require.NoError(t, err)
	require.Len(t, msgs.Messages, 1)
	assert.JSONEq(t, `{"order":1042,"status":"paid"}`, aws.ToString(msgs.Messages[0].Body))
}

func TestScenario_LegacyFleet(t *testing.T) {
	srv := apitest.New(t)
	result := srv.LoadScenario(t, filepath.Join(scenariosDir, "legacy-fleet.json"))
	require.Len(t, result.Accounts, 5)
	ctx := context.Background()

	accounts, err := organizations.NewFromConfig(srv.Config(srv.AdminCredentials())).ListAccounts(ctx, &organizations.ListAccountsInput{})
	require.NoError(t, err)
	assert.Len(t, accounts.Accounts, 6, "the management account and five legacy members")

	payments := result.Accounts[0]
	require.Equal(t, "legacy-payments", payments.Name)
	require.Len(t, payments.RootAccessKeys, 2)
	assert.Equal(t, "AKIALEGACYPAYMENTS01", payments.RootAccessKeys[0].AccessKeyID)
	assert.Equal(t, "Inactive", payments.RootAccessKeys[1].Status)

	// The legacy root key signs as the account's root.
	key := payments.RootAccessKeys[0]
	who, err := sts.NewFromConfig(srv.Config(aws.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey})).
		GetCallerIdentity(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::"+payments.ID+":root", aws.ToString(who.Arn))

	// The audit task sees every kind of legacy credential.
	audit := iam.NewFromConfig(srv.Config(srv.RootSession(t, payments.ID, policy.AuditRootUserCredentials)))
	summary, err := audit.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	require.NoError(t, err)
	for _, flag := range []string{"AccountPasswordPresent", "AccountAccessKeysPresent", "AccountSigningCertificatesPresent", "AccountMFAEnabled"} {
		assert.EqualValues(t, 1, summary.SummaryMap[flag], flag)
	}
	archive := result.Accounts[4]
	clean := iam.NewFromConfig(srv.Config(srv.RootSession(t, archive.ID, policy.AuditRootUserCredentials)))
	summary, err = clean.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	require.NoError(t, err)
	assert.EqualValues(t, 0, summary.SummaryMap["AccountPasswordPresent"])
	assert.EqualValues(t, 0, summary.SummaryMap["AccountAccessKeysPresent"])
}

func TestScenario_InvalidChangesNothing(t *testing.T) {
	srv := apitest.New(t)
	before := srv.MemberAccount(t, "existing")
	cases := map[string]string{
		"not JSON":       `{"accounts": [`,
		"unknown field":  `{"acounts": []}`,
		"no name":        `{"accounts": [{"email": "x@example.com"}]}`,
		"bad policy":     `{"accounts": [{"name": "a"}, {"name": "b", "buckets": [{"name": "bucket-b-{{account_id}}", "policy": {"Statement": "nope"}}]}]}`,
		"bad bucket":     `{"accounts": [{"name": "a", "buckets": [{"name": "UPPER"}]}]}`,
		"bad queue attr": `{"accounts": [{"name": "a", "queues": [{"name": "q", "attributes": {"VisibilityTimeout": "-1"}}]}]}`,
		"three keys":     `{"accounts": [{"name": "a", "root": {"access_keys": [{}, {}, {}]}}]}`,
		"bad key id":     `{"accounts": [{"name": "a", "root": {"access_keys": [{"id": "test"}]}}]}`,
		"taken email":    `{"accounts": [{"name": "a", "email": "existing@example.com"}]}`,
		"taken id":       `{"accounts": [{"name": "a", "id": "` + before + `"}]}`,
		"bad joined":     `{"accounts": [{"name": "a", "joined_method": "MAGIC"}]}`,
		"bad principal":  `{"features": {"trusted_access": ["not a principal"]}, "accounts": []}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			status, out := scenarioControl(t, srv, http.MethodPost, "/_emulator/scenario", "", body)
			assert.Equal(t, http.StatusBadRequest, status, "%v", out)
			assert.NotEmpty(t, out["error"])
			_, info := scenarioControl(t, srv, http.MethodGet, "/_emulator/info", "", "")
			assert.Len(t, info["accounts"], 2, "nothing was added")
		})
	}
}

func TestControl_ResetAndToken(t *testing.T) {
	sc, err := api.ParseScenario([]byte(`{"accounts": [{"name": "from-start-scenario"}]}`))
	require.NoError(t, err)
	srv := apitest.New(t, apitest.WithServerOptions(api.WithControlToken("s3cret"), api.WithScenario(sc)))

	status, _ := scenarioControl(t, srv, http.MethodPost, "/_emulator/reset", "", "")
	assert.Equal(t, http.StatusUnauthorized, status)
	status, _ = scenarioControl(t, srv, http.MethodPost, "/_emulator/reset", "wrong", "")
	assert.Equal(t, http.StatusUnauthorized, status)
	status, _ = scenarioControl(t, srv, http.MethodPost, "/_emulator/scenario", "", `{"accounts":[]}`)
	assert.Equal(t, http.StatusUnauthorized, status)

	status, info := scenarioControl(t, srv, http.MethodGet, "/_emulator/info", "s3cret", "")
	require.Equal(t, http.StatusOK, status)
	require.Len(t, info["accounts"], 2, "management account and the start scenario's account")
	srv.MemberAccount(t, "added-later")

	status, info = scenarioControl(t, srv, http.MethodPost, "/_emulator/reset", "s3cret", "")
	require.Equal(t, http.StatusOK, status)
	assert.Len(t, info["accounts"], 2, "reset brings back the seed and the start scenario only")
	// The seeded administrator works again after the reset.
	_, err = sts.NewFromConfig(srv.Config(srv.AdminCredentials())).GetCallerIdentity(context.Background(), nil)
	require.NoError(t, err)
	// Health needs no token.
	resp, err := srv.Client().Get(srv.URL + "/_emulator/health")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestControl_Clock(t *testing.T) {
	srv := apitest.New(t)
	status, out := scenarioControl(t, srv, http.MethodPost, "/_emulator/clock", "", `{"advance":"16m"}`)
	require.Equal(t, http.StatusOK, status)
	assert.InDelta(t, 960, out["offset_seconds"], 1)
	status, _ = scenarioControl(t, srv, http.MethodPost, "/_emulator/clock", "", `{"advance_seconds":60}`)
	require.Equal(t, http.StatusOK, status)
	assert.InDelta(t, 1020, srv.Clock.Offset().Seconds(), 1)
	status, _ = scenarioControl(t, srv, http.MethodPost, "/_emulator/clock", "", `{"set":"2001-01-01T00:00:00Z"}`)
	assert.Equal(t, http.StatusConflict, status, "time never runs backwards")
	for _, bad := range []string{`nope`, `{}`, `{"advance":"-5m"}`, `{"advance":"soon"}`, `{"set":"yesterday"}`} {
		status, _ = scenarioControl(t, srv, http.MethodPost, "/_emulator/clock", "", bad)
		assert.Equal(t, http.StatusBadRequest, status, bad)
	}
	future := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	status, out = scenarioControl(t, srv, http.MethodPost, "/_emulator/clock", "", `{"set":"`+future+`"}`)
	require.Equal(t, http.StatusOK, status)
	assert.InDelta(t, 48*3600, out["offset_seconds"], 5)
	status, out = scenarioControl(t, srv, http.MethodGet, "/_emulator/clock", "", "")
	require.Equal(t, http.StatusOK, status)
	assert.NotEmpty(t, out["now"])
}

// TestControl_UnknownEndpoints: a mistyped control path or method answers
// JSON like every control endpoint (scenarioControl decodes it).
func TestControl_UnknownEndpoints(t *testing.T) {
	srv := apitest.New(t)
	status, out := scenarioControl(t, srv, http.MethodGet, "/_emulator/nope", "", "")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, out["error"], "/_emulator/nope")
	assert.Contains(t, out["error"], "the control endpoints are GET /_emulator/health, GET /_emulator/clock, POST /_emulator/clock, POST /_emulator/scenario, POST /_emulator/reset, GET /_emulator/info")
	status, out = scenarioControl(t, srv, http.MethodGet, "/_emulator/reset", "", "")
	assert.Equal(t, http.StatusMethodNotAllowed, status)
	assert.Contains(t, out["error"], "GET")
}

func TestScenario_RootAuditor(t *testing.T) {
	srv := apitest.New(t)
	result := srv.LoadScenario(t, filepath.Join(scenariosDir, "root-auditor.json"))
	require.Len(t, result.Accounts, 2)
	mgmt, legacy := result.Accounts[0], result.Accounts[1]
	require.Len(t, mgmt.Users, 1)
	require.Len(t, mgmt.Roles, 1)
	key := mgmt.Users[0].AccessKeys[0]
	auditor := aws.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey}
	ctx := context.Background()

	for name, creds := range map[string]aws.Credentials{"user": auditor, "role": srv.AssumeRole(t, mgmt.Roles[0].ARN)} {
		t.Run(name, func(t *testing.T) {
			client := sts.NewFromConfig(srv.Config(creds))
			_, err := client.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(legacy.ID),
				TaskPolicyArn: testkit.TaskPolicy(policy.AuditRootUserCredentials)})
			require.NoError(t, err)
			_, err = client.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(legacy.ID),
				TaskPolicyArn: testkit.TaskPolicy(policy.DeleteRootUserCredentials)})
			testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)
			assert.Contains(t, err.Error(), "because no identity-based policy allows the sts:AssumeRoot action")
		})
	}
	// The user may list accounts, and nothing else in Organizations.
	orgs := organizations.NewFromConfig(srv.Config(auditor))
	_, err := orgs.ListAccounts(ctx, &organizations.ListAccountsInput{})
	require.NoError(t, err)
	_, err = orgs.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("x@example.com"), AccountName: aws.String("x")})
	assert.Equal(t, "AccessDeniedException", testkit.ErrorCode(err))
}

func TestScenario_BadUsersAndRoles(t *testing.T) {
	srv := apitest.New(t)
	for name, body := range map[string]string{
		"bad user name":      `{"accounts": [{"management": true, "users": [{"name": "no spaces"}]}]}`,
		"bad user policy":    `{"accounts": [{"management": true, "users": [{"name": "u", "policies": {"p": {"Statement": []}}}]}]}`,
		"duplicate user":     `{"accounts": [{"management": true, "users": [{"name": "admin"}]}]}`,
		"role without trust": `{"accounts": [{"management": true, "roles": [{"name": "r"}]}]}`,
		"unknown principal":  `{"accounts": [{"management": true, "roles": [{"name": "r", "trust_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::{{management_account_id}}:user/ghost"}, "Action": "sts:AssumeRole"}]}}]}]}`,
		"short max session":  `{"accounts": [{"management": true, "roles": [{"name": "r", "max_session_duration": 60, "trust_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "{{management_account_id}}"}, "Action": "sts:AssumeRole"}]}}]}]}`,
		"three user keys":    `{"accounts": [{"management": true, "users": [{"name": "u", "access_keys": [{}, {}, {}]}]}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			status, out := scenarioControl(t, srv, http.MethodPost, "/_emulator/scenario", "", body)
			assert.Equal(t, http.StatusBadRequest, status, "%v", out)
			_, err := iam.NewFromConfig(srv.Config(srv.AdminCredentials())).GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String("u")})
			assert.Equal(t, "NoSuchEntity", testkit.ErrorCode(err), "nothing was created")
		})
	}
}

// TestScenario_AppliedTwice: a named scenario applies once, and again
// after a reset; the same name with other content, and an unnamed scenario
// applied twice, fail with a message that says why and change nothing.
func TestScenario_AppliedTwice(t *testing.T) {
	srv := apitest.New(t)
	first := srv.LoadScenario(t, "locked-bucket")
	require.Equal(t, "locked-bucket", first.Name)
	require.False(t, first.AlreadyApplied)

	again := srv.LoadScenario(t, filepath.Join(scenariosDir, "locked-bucket.json"))
	assert.True(t, again.AlreadyApplied, "the file holds the same scenario as the embedded one")
	assert.Equal(t, first.Accounts, again.Accounts, "the answer is the first one's")

	body, err := os.ReadFile(filepath.Join(scenariosDir, "locked-bucket.json"))
	require.NoError(t, err)
	status, out := scenarioControl(t, srv, http.MethodPost, "/_emulator/scenario", "", string(body))
	require.Equal(t, http.StatusOK, status, "%v", out)
	assert.Equal(t, true, out["already_applied"])
	_, info := scenarioControl(t, srv, http.MethodGet, "/_emulator/info", "", "")
	assert.Len(t, info["accounts"], 2, "nothing was added")
	assert.Equal(t, []any{"locked-bucket"}, info["scenarios"])
	status, out = scenarioControl(t, srv, http.MethodPost, "/_emulator/scenario?name=locked-bucket", "", "")
	require.Equal(t, http.StatusOK, status, "%v", out)
	assert.Equal(t, true, out["already_applied"], "?name= loads the shipped scenario, the same one")
	status, out = scenarioControl(t, srv, http.MethodPost, "/_emulator/scenario?name=nope", "", "")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, out["error"], "the shipped ones are guardrails, legacy-fleet, locked-bucket")
	status, _ = scenarioControl(t, srv, http.MethodPost, "/_emulator/scenario?name=locked-queue", "", `{"accounts": []}`)
	assert.Equal(t, http.StatusBadRequest, status, "a body and a name")

	status, out = scenarioControl(t, srv, http.MethodPost, "/_emulator/scenario", "",
		`{"name": "locked-bucket", "accounts": [{"name": "other"}]}`)
	assert.Equal(t, http.StatusConflict, status)
	assert.Contains(t, out["error"], `a different scenario called "locked-bucket" was applied`)

	unnamed := `{"accounts": [{"name": "twice", "email": "twice@example.com"}]}`
	status, _ = scenarioControl(t, srv, http.MethodPost, "/_emulator/scenario", "", unnamed)
	require.Equal(t, http.StatusOK, status)
	status, out = scenarioControl(t, srv, http.MethodPost, "/_emulator/scenario", "", unnamed)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, out["error"], "twice@example.com is already used by another account (applied twice?")
	_, info = scenarioControl(t, srv, http.MethodGet, "/_emulator/info", "", "")
	assert.Len(t, info["accounts"], 3)

	require.NoError(t, srv.API.Reset(context.Background()))
	applied, err := srv.API.ScenarioApplied(context.Background(), "locked-bucket")
	require.NoError(t, err)
	assert.False(t, applied, "reset forgets applied scenarios with the rest of the world")
	after := srv.LoadScenario(t, "locked-bucket")
	assert.False(t, after.AlreadyApplied)
	assert.NotEqual(t, first.Accounts[0].ID, after.Accounts[0].ID)
}

// TestScenario_StartScenarioNamed: a named start scenario is recorded as
// applied on a fresh world and after a reset.
func TestScenario_StartScenarioNamed(t *testing.T) {
	sc, err := api.ScenarioNamed("locked-queue")
	require.NoError(t, err)
	srv := apitest.New(t, apitest.WithServerOptions(api.WithScenario(sc)))
	applied, err := srv.API.ScenarioApplied(context.Background(), "locked-queue")
	require.NoError(t, err)
	assert.True(t, applied)
	again := srv.LoadScenario(t, "locked-queue")
	assert.True(t, again.AlreadyApplied)
	require.NoError(t, srv.API.Reset(context.Background()))
	applied, err = srv.API.ScenarioApplied(context.Background(), "locked-queue")
	require.NoError(t, err)
	assert.True(t, applied, "reset applies the start scenario again")
}

func TestScenarioNamed(t *testing.T) {
	names := api.ScenarioNames()
	assert.Equal(t, []string{"guardrails", "legacy-fleet", "locked-bucket", "locked-queue", "root-auditor"}, names)
	for _, name := range names {
		sc, err := api.ScenarioNamed(name)
		require.NoError(t, err, name)
		assert.Equal(t, name, sc.Name, "a shipped scenario is named after its file")
		srv := apitest.New(t)
		result := srv.LoadScenario(t, name)
		assert.NotEmpty(t, result.Accounts, name)
	}
	for _, bad := range []string{"nope", "", "../go.mod", "locked-bucket.json", "scenarios/locked-bucket"} {
		_, err := api.ScenarioNamed(bad)
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "the shipped ones are guardrails, legacy-fleet, locked-bucket, locked-queue, root-auditor", bad)
	}
	_, err := api.ParseScenario([]byte(`{"name": "has space", "accounts": []}`))
	assert.Error(t, err)
}

// TestControl_Logged: every control request is logged with its endpoint,
// method, status and remote address; a refused token at warn, and never
// the token itself.
func TestControl_Logged(t *testing.T) {
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := apitest.New(t, apitest.WithServerOptions(api.WithControlToken("s3cret-token"), api.WithLogger(logger)))

	scenarioControl(t, srv, http.MethodPost, "/_emulator/reset", "wrong-guess", "")
	scenarioControl(t, srv, http.MethodPost, "/_emulator/reset", "s3cret-token", "")
	scenarioControl(t, srv, http.MethodGet, "/_emulator/nope", "", "")
	scenarioControl(t, srv, http.MethodGet, "/_emulator/health", "", "")
	tenant := srv.NewTenant(t, api.TenantSpec{ID: "alice"})
	scenarioControl(t, srv, http.MethodPost, "/_emulator/tenants/alice/reset", tenant.ControlToken, "")

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	find := func(want ...string) string {
		for _, l := range lines {
			ok := true
			for _, w := range want {
				ok = ok && strings.Contains(l, w)
			}
			if ok {
				return l
			}
		}
		t.Errorf("no log line with %q in:\n%s", want, logs.String())
		return ""
	}
	refused := find("level=WARN", "endpoint=/_emulator/reset", "method=POST", "status=401", "remote=127.0.0.1:")
	assert.Contains(t, refused, "control token")
	find("level=INFO", "control request", "endpoint=/_emulator/reset", "method=POST", "status=200", "remote=127.0.0.1:")
	find("level=INFO", "endpoint=/_emulator/nope", "status=404")
	find("level=DEBUG", "endpoint=/_emulator/health", "status=200")
	find("level=INFO", "endpoint=/_emulator/reset", "tenant=alice", "status=200")
	assert.Equal(t, 1, strings.Count(logs.String(), "/_emulator/tenants/alice/reset")+strings.Count(logs.String(), "tenant=alice endpoint=/_emulator/reset"),
		"a tenant's control request is logged once, by the tenant's server")
	assert.NotContains(t, logs.String(), "s3cret-token")
	assert.NotContains(t, logs.String(), tenant.ControlToken)
	assert.NotContains(t, logs.String(), "wrong-guess")
}

// syncBuffer is a bytes.Buffer that the server's goroutines may write to
// while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestScenario_Guardrails(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	result := srv.LoadScenario(t, filepath.Join(scenariosDir, "guardrails.json"))
	require.Len(t, result.Accounts, 2)
	payments, experiments := result.Accounts[0], result.Accounts[1]
	require.NotNil(t, result.Organization)
	ous := map[string]string{}
	for _, ou := range result.Organization.OrganizationalUnits {
		ous[ou.Name] = ou.ID
	}
	require.Len(t, ous, 3)
	require.Len(t, result.Organization.Policies, 3)

	orgs := srv.Organizations()
	parents, err := orgs.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(payments.ID)})
	require.NoError(t, err)
	assert.Equal(t, ous["workloads/prod"], aws.ToString(parents.Parents[0].Id))
	tags, err := orgs.ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: aws.String(ous["workloads"])})
	require.NoError(t, err)
	assert.Len(t, tags.Tags, 1)

	ledger := "payments-ledger-" + payments.ID
	legacy := aws.Credentials{AccessKeyID: payments.RootAccessKeys[0].AccessKeyID, SecretAccessKey: payments.RootAccessKeys[0].SecretAccessKey}
	_, err = testkit.S3Client(srv, legacy).DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: &ledger})
	require.Equal(t, "AccessDenied", testkit.ErrorCode(err))
	assert.Contains(t, err.Error(), "with an explicit deny in a service control policy")
	_, err = testkit.S3Client(srv, srv.RootSession(t, payments.ID, policy.S3UnlockBucketPolicy)).DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: &ledger})
	require.NoError(t, err, "root sessions pass the root-deny SCP")

	data := "experiments-data-" + experiments.ID
	_, err = testkit.S3Client(srv, srv.RootSession(t, experiments.ID, policy.S3UnlockBucketPolicy)).DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: &data})
	require.Equal(t, "AccessDenied", testkit.ErrorCode(err), "the sandbox forbids unlocking")

	// A bad policy in a scenario changes nothing.
	code, out := scenarioControl(t, srv, http.MethodPost, "/_emulator/scenario", "", `{"organization":{"policy_types":["SERVICE_CONTROL_POLICY"],
		"organizational_units":[{"name":"new"}],
		"policies":[{"name":"bad","type":"SERVICE_CONTROL_POLICY","content":{"Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]},"targets":["ou:new"]}]},"accounts":[]}`)
	assert.Equal(t, http.StatusBadRequest, code, out)
	root := srv.RootID(t)
	list, err := orgs.ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(root)})
	require.NoError(t, err)
	assert.Len(t, list.OrganizationalUnits, 1, "the OU of the refused scenario was not kept")
}

func TestIsScenarioPath(t *testing.T) {
	for value, isPath := range map[string]bool{
		"locked-bucket": false, "legacy-fleet": false, "my.world": false,
		"./legacy-fleet": true, "testdata/scenarios/locked-bucket.json": true, "world.json": true,
		`C:\scenarios\world`: true, "/abs/path": true,
	} {
		assert.Equal(t, isPath, api.IsScenarioPath(value), value)
	}
}
