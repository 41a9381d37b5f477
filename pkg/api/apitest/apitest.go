// Package apitest runs the emulator in-process for tests, here and in other
// projects: a real server over a bbolt file in t.TempDir(), with
// aws-sdk-go-v2 configurations pointed at it.
//
//	go get github.com/rootaccess/emulator@latest
//
//	srv := apitest.New(t)
//	out, err := sts.NewFromConfig(srv.Config(srv.AdminCredentials())).GetCallerIdentity(ctx, nil)
//	member := srv.MemberAccount(t, "workload")
//	srv.EnableRootAccess(t)
//	root := srv.RootSession(t, member, policy.S3UnlockBucketPolicy)
//	srv.Clock.Advance(16 * time.Minute) // sessions expire without waiting
//	ou := srv.CreateOU(t, srv.RootID(t), "workloads")
//	srv.MoveAccount(t, member, ou)
//	srv.EnablePolicyType(t, orgtypes.PolicyTypeServiceControlPolicy)
//	srv.AttachNewPolicy(t, orgtypes.PolicyTypeServiceControlPolicy, "deny-x", scp, ou)
//
// Ready-made worlds: LockedBucket, LockedQueue and LegacyAccount, and every
// shipped scenario by name (LoadScenario(t, "legacy-fleet"); api.ScenarioNames
// lists them).
//
// The server's log is discarded by default. To see it (one line per request:
// service, action, principal, status, AWS error code) in the output of a
// test, which go test prints when the test fails or with -v:
//
//	srv := apitest.New(t, apitest.WithLogger(t.Output()))
package apitest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/rootaccess/emulator/pkg/api"
	"github.com/rootaccess/emulator/pkg/policy"
	"github.com/rootaccess/emulator/pkg/store"
)

// TB is what the helpers need of a test: *testing.T, *testing.B and
// *testing.F (any testing.TB) all are one.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
	TempDir() string
}

// Server is an emulator serving on a local httptest server.
type Server struct {
	*httptest.Server
	API   *api.Server
	Store *store.Store
	Clock *api.Clock
	Seed  api.Seed
}

type config struct {
	seed     api.Seed
	options  []api.Option
	maxConns int
	log      io.Writer
}

// Option configures New.
type Option func(*config)

// WithSeed starts the world from seed instead of api.DefaultSeed().
func WithSeed(seed api.Seed) Option { return func(c *config) { c.seed = seed } }

// WithoutOrganization starts with a management account that has no organization yet.
func WithoutOrganization() Option { return func(c *config) { c.seed.Organization = false } }

// WithLogger writes the server's log to w, at debug level (every request
// and control call), as text; by default it is discarded. In a test, give
// it t.Output() so that the log shows when the test fails (or with -v).
func WithLogger(w io.Writer) Option { return func(c *config) { c.log = w } }

// WithServerOptions passes options to api.NewServer (a later
// api.WithLogger wins over WithLogger).
func WithServerOptions(opts ...api.Option) Option {
	return func(c *config) { c.options = append(c.options, opts...) }
}

// WithMaxConnections sets how many connections the server keeps open
// before it sheds idle ones (see api.ConfigureHTTPServer).
func WithMaxConnections(n int) Option { return func(c *config) { c.maxConns = n } }

// New starts an emulator for the test and stops it when the test ends. Its
// world is the default seed: management account 111111111111 in an
// organization with all features, and the administrator user admin with
// the key test/test (AdminCredentials). Its log is discarded unless
// WithLogger says where to write it.
func New(tb TB, opts ...Option) *Server {
	tb.Helper()
	cfg := config{seed: api.DefaultSeed()}
	for _, o := range opts {
		o(&cfg)
	}
	clock := api.NewClock()
	dir := tb.TempDir()
	st, err := store.Open(filepath.Join(dir, "emulator.db"), store.WithNow(clock.Now))
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	serverOpts := []api.Option{api.WithClock(clock), api.WithTenantDir(filepath.Join(dir, "tenants"))}
	if cfg.log != nil {
		serverOpts = append(serverOpts, api.WithLogger(slog.New(slog.NewTextHandler(cfg.log, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	}
	srv := api.NewServer(st, append(serverOpts, cfg.options...)...)
	if _, err := srv.Initialize(context.Background(), cfg.seed); err != nil {
		st.Close()
		tb.Fatalf("seed: %v", err)
	}
	// The connection settings of cmd/emulator's server, so that tests see
	// what clients of the binary see.
	hs := httptest.NewUnstartedServer(srv.Handler())
	api.ConfigureHTTPServer(hs.Config, cfg.maxConns)
	hs.Listener = api.Listener(hs.Listener)
	hs.Start()
	tb.Cleanup(func() {
		srv.BeginShutdown() // long polls answer, so that hs.Close need not wait for them
		hs.Close()
		srv.Close()
		st.Close()
	})
	return &Server{Server: hs, API: srv, Store: st, Clock: clock, Seed: cfg.seed}
}

// ManagementAccountID is the seeded management account.
func (s *Server) ManagementAccountID() string { return s.Seed.ManagementAccountID }

// AdminCredentials are the seeded administrator user's keys.
func (s *Server) AdminCredentials() aws.Credentials {
	return aws.Credentials{AccessKeyID: s.Seed.AccessKeyID, SecretAccessKey: s.Seed.SecretAccessKey}
}

// Config is an aws.Config for any service client, signed with creds, that
// talks to this server in us-east-1 and retries nothing but a connection
// Go's HTTP client lost under a response (aws/aws-sdk-go-v2#2737, which the
// SDK's own retryer retries too), at once: every AWS error shows at once.
func (s *Server) Config(creds aws.Credentials) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.URL),
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey,
			creds.SessionToken),
		Retryer:    lostConnectionRetryer,
		HTTPClient: s.Client(),
		// What config.LoadDefaultConfig sets: S3 uploads carry CRC32
		// checksums, as a real program's do.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}
}

// MemberAccount creates a member account directly in the store (joined
// already, with its OrganizationAccountAccessRole) for tests whose subject is
// not account creation itself. It returns the account id.
func (s *Server) MemberAccount(tb TB, name string) string {
	tb.Helper()
	var id string
	err := s.Store.Update(context.Background(), func(tx *store.Tx) error {
		org, err := tx.OrganizationOf(s.ManagementAccountID())
		if err != nil {
			return err
		}
		a, err := tx.CreateMemberAccount(org, name, name+"@example.com", "OrganizationAccountAccessRole",
			api.OrganizationAccessRoleTrust(org.ManagementAccountID), tx.Now().Add(-time.Second))
		id = a.ID
		return err
	})
	if err != nil {
		tb.Fatalf("create member account: %v", err)
	}
	return id
}

// EnableRootAccess turns on what centralized root access needs, directly in
// the store: trusted access for IAM and both IAM organization features.
func (s *Server) EnableRootAccess(tb TB) {
	tb.Helper()
	err := s.Store.Update(context.Background(), func(tx *store.Tx) error {
		org, err := tx.OrganizationOf(s.ManagementAccountID())
		if err != nil {
			return err
		}
		if org.ServiceAccess == nil {
			org.ServiceAccess = map[string]time.Time{}
		}
		org.ServiceAccess["iam.amazonaws.com"] = tx.Now()
		org.RootCredentialsManagement, org.RootSessions = true, true
		return tx.PutOrganization(org)
	})
	if err != nil {
		tb.Fatalf("enable root access: %v", err)
	}
}

// RootSession opens a root session on the member account accountID as the
// seeded administrator, as sts:AssumeRoot does, scoped by the root-task
// policy named taskName (policy.AuditRootUserCredentials,
// policy.S3UnlockBucketPolicy, …), and returns its credentials. Root
// sessions must be enabled first (EnableRootAccess).
func (s *Server) RootSession(tb TB, accountID, taskName string) aws.Credentials {
	tb.Helper()
	out, err := sts.NewFromConfig(s.Config(s.AdminCredentials())).AssumeRoot(context.Background(), &sts.AssumeRootInput{
		TargetPrincipal: aws.String(accountID),
		TaskPolicyArn:   &ststypes.PolicyDescriptorType{Arn: aws.String(policy.ARN(taskName))},
	})
	if err != nil {
		tb.Fatalf("AssumeRoot %s on %s: %v", taskName, accountID, err)
	}
	return SessionCredentials(out.Credentials)
}

// AssumeAccessRole returns the credentials of a session (named "apitest")
// of the member account's OrganizationAccountAccessRole, assumed by the
// seeded administrator: how an organization's administrator works inside a
// member account, with full rights there.
func (s *Server) AssumeAccessRole(tb TB, accountID string) aws.Credentials {
	tb.Helper()
	return s.AssumeRole(tb, "arn:aws:iam::"+accountID+":role/OrganizationAccountAccessRole")
}

// AssumeRole returns the credentials of a session (named "apitest") of the
// role, assumed by the seeded administrator; the role must trust it.
func (s *Server) AssumeRole(tb TB, roleARN string) aws.Credentials {
	tb.Helper()
	out, err := sts.NewFromConfig(s.Config(s.AdminCredentials())).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn:         aws.String(roleARN),
		RoleSessionName: aws.String("apitest"),
	})
	if err != nil {
		tb.Fatalf("assume %s: %v", roleARN, err)
	}
	return SessionCredentials(out.Credentials)
}

// SessionCredentials turns the temporary credentials STS returns
// (AssumeRoot, AssumeRole) into what a client signs with.
func SessionCredentials(c *ststypes.Credentials) aws.Credentials {
	return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken: aws.ToString(c.SessionToken)}
}

// LoadScenario applies a scenario (see docs/scenarios.md) and returns what
// it created: a shipped scenario by name ("locked-bucket", "locked-queue",
// "legacy-fleet", "root-auditor": api.ScenarioNames), embedded so that it
// loads from any module, or a scenario file by its path (anything with a
// slash or ending in .json). A named scenario is applied once: loading it
// again changes nothing and returns the first result, with AlreadyApplied.
func (s *Server) LoadScenario(tb TB, nameOrPath string) api.ScenarioResult {
	tb.Helper()
	var sc api.Scenario
	var err error
	if api.IsScenarioPath(nameOrPath) {
		var data []byte
		if data, err = os.ReadFile(nameOrPath); err != nil {
			tb.Fatalf("read scenario: %v", err)
		}
		sc, err = api.ParseScenario(data)
	} else {
		sc, err = api.ScenarioNamed(nameOrPath)
	}
	if err != nil {
		tb.Fatalf("scenario %s: %v", nameOrPath, err)
	}
	return s.ApplyScenario(tb, sc)
}

// ApplyScenario applies sc and returns what it created.
func (s *Server) ApplyScenario(tb TB, sc api.Scenario) api.ScenarioResult {
	tb.Helper()
	result, err := s.API.ApplyScenario(context.Background(), sc)
	if err != nil {
		tb.Fatalf("apply scenario %s: %v", sc.Name, err)
	}
	return result
}

// --- the organization's tree and policies, through the Organizations API ---

// Organizations is an Organizations client signed as the seeded administrator.
func (s *Server) Organizations() *organizations.Client {
	return organizations.NewFromConfig(s.Config(s.AdminCredentials()))
}

// RootID is the organization's root id.
func (s *Server) RootID(tb TB) string {
	tb.Helper()
	out, err := s.Organizations().ListRoots(context.Background(), &organizations.ListRootsInput{})
	if err != nil || len(out.Roots) == 0 {
		tb.Fatalf("list roots: %v", err)
	}
	return aws.ToString(out.Roots[0].Id)
}

// CreateOU creates an OU named name under parentID (the root or an OU) and
// returns its id.
func (s *Server) CreateOU(tb TB, parentID, name string) string {
	tb.Helper()
	out, err := s.Organizations().CreateOrganizationalUnit(context.Background(), &organizations.CreateOrganizationalUnitInput{
		ParentId: aws.String(parentID), Name: aws.String(name)})
	if err != nil {
		tb.Fatalf("create OU %s: %v", name, err)
	}
	return aws.ToString(out.OrganizationalUnit.Id)
}

// MoveAccount moves a member account from wherever it is to destinationID.
func (s *Server) MoveAccount(tb TB, accountID, destinationID string) {
	tb.Helper()
	ctx := context.Background()
	parents, err := s.Organizations().ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(accountID)})
	if err != nil || len(parents.Parents) != 1 {
		tb.Fatalf("parent of %s: %v", accountID, err)
	}
	if _, err := s.Organizations().MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(accountID),
		SourceParentId: parents.Parents[0].Id, DestinationParentId: aws.String(destinationID)}); err != nil {
		tb.Fatalf("move %s to %s: %v", accountID, destinationID, err)
	}
}

// EnablePolicyType enables a policy type in the root (orgtypes.PolicyTypeServiceControlPolicy
// or orgtypes.PolicyTypeResourceControlPolicy); FullAWSAccess or
// RCPFullAWSAccess is then attached everywhere.
func (s *Server) EnablePolicyType(tb TB, policyType orgtypes.PolicyType) {
	tb.Helper()
	if _, err := s.Organizations().EnablePolicyType(context.Background(), &organizations.EnablePolicyTypeInput{
		RootId: aws.String(s.RootID(tb)), PolicyType: policyType}); err != nil {
		tb.Fatalf("enable %s: %v", policyType, err)
	}
}

// AttachNewPolicy creates a policy of policyType with content and attaches
// it to each target (root, OU or account ids); it returns the policy id.
func (s *Server) AttachNewPolicy(tb TB, policyType orgtypes.PolicyType, name, content string, targets ...string) string {
	tb.Helper()
	ctx := context.Background()
	out, err := s.Organizations().CreatePolicy(ctx, &organizations.CreatePolicyInput{Type: policyType,
		Name: aws.String(name), Description: aws.String(name), Content: aws.String(content)})
	if err != nil {
		tb.Fatalf("create policy %s: %v", name, err)
	}
	id := out.Policy.PolicySummary.Id
	for _, target := range targets {
		if _, err := s.Organizations().AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: id, TargetId: aws.String(target)}); err != nil {
			tb.Fatalf("attach %s to %s: %v", name, target, err)
		}
	}
	return aws.ToString(id)
}

// LockedBucket is a member account's bucket whose policy denies everyone
// everything: its OrganizationAccountAccessRole is locked out, and only a
// root session with policy.S3UnlockBucketPolicy can delete the policy.
type LockedBucket struct {
	AccountID string
	Bucket    string
	// Key names the object in it; Body is what the object holds.
	Key, Body string
}

// LockedBucket applies the shipped scenario "locked-bucket": member account
// "analytics" with a bucket locked by a deny-all policy and one object, and
// centralized root access switched on. Calling it again returns the same bucket.
func (s *Server) LockedBucket(tb TB) LockedBucket {
	tb.Helper()
	acct := s.onlyAccount(tb, s.LoadScenario(tb, "locked-bucket"))
	if len(acct.Buckets) != 1 {
		tb.Fatalf("scenario locked-bucket made %d buckets, want 1", len(acct.Buckets))
	}
	return LockedBucket{AccountID: acct.ID, Bucket: acct.Buckets[0], Key: "2026/q3/summary.csv", Body: "quarter,revenue\nQ3,1250000\n"}
}

// LockedQueue is a member account's queue whose policy denies everyone
// everything; only a root session with policy.SQSUnlockQueuePolicy can
// remove the policy (SetQueueAttributes with an empty Policy).
type LockedQueue struct {
	AccountID string
	Name, ARN string
	// URL is the queue's URL on this server.
	URL string
	// Message is the body of the message waiting in it.
	Message string
}

// LockedQueue applies the shipped scenario "locked-queue": member account
// "orders" with queue "order-events", one message and a deny-all policy, and
// centralized root access switched on. Calling it again returns the same queue.
func (s *Server) LockedQueue(tb TB) LockedQueue {
	tb.Helper()
	acct := s.onlyAccount(tb, s.LoadScenario(tb, "locked-queue"))
	if len(acct.Queues) != 1 {
		tb.Fatalf("scenario locked-queue made %d queues, want 1", len(acct.Queues))
	}
	q := acct.Queues[0]
	return LockedQueue{AccountID: acct.ID, Name: q.Name, ARN: q.ARN, URL: s.URL + q.Path, Message: `{"order":1042,"status":"paid"}`}
}

func (s *Server) onlyAccount(tb TB, result api.ScenarioResult) api.ScenarioAccountResult {
	tb.Helper()
	if len(result.Accounts) != 1 {
		tb.Fatalf("scenario %s made %d accounts, want 1", result.Name, len(result.Accounts))
	}
	return result.Accounts[0]
}

// LegacyAccount is a member account whose root user still has the
// credentials it had before it joined: a password, an MFA device, a signing
// certificate and an access key, which signs as the account's root.
type LegacyAccount struct {
	AccountID string
	// RootKey is the root user's access key.
	RootKey aws.Credentials
}

// LegacyAccount creates the member account name (which must be unused),
// invited into the organization with legacy root credentials, and switches
// on centralized root access, so that RootSession(t, id,
// policy.AuditRootUserCredentials) can audit them and
// policy.DeleteRootUserCredentials delete them.
func (s *Server) LegacyAccount(tb TB, name string) LegacyAccount {
	tb.Helper()
	quoted, _ := json.Marshal(name)
	scenario := fmt.Sprintf(`{"description": "a legacy account",
		"features": {"trusted_access": ["iam.amazonaws.com"], "root_credentials_management": true, "root_sessions": true},
		"accounts": [{"name": %s, "root": {"password": true, "access_keys": [{}], "signing_certificates": [{}], "mfa_devices": [{}]}}]}`, quoted)
	sc, err := api.ParseScenario([]byte(scenario))
	if err != nil {
		tb.Fatalf("legacy account %s: %v", name, err)
	}
	acct := s.onlyAccount(tb, s.ApplyScenario(tb, sc))
	key := acct.RootAccessKeys[0]
	return LegacyAccount{AccountID: acct.ID, RootKey: aws.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey}}
}

// Events returns the CloudTrail event history of an account, newest first,
// each record decoded from its JSON (eventName, userIdentity, errorCode…).
// It commits the batched records of reads and refused calls first, so that
// every call answered so far is there.
func (s *Server) Events(tb TB, account string) []map[string]any {
	tb.Helper()
	ctx := context.Background()
	if err := s.API.FlushRecords(ctx); err != nil {
		tb.Fatalf("flush CloudTrail records: %v", err)
	}
	var out []map[string]any
	q := store.EventQuery{Account: account, Max: 1000}
	for {
		events, next, err := s.Store.LookupEvents(ctx, q)
		if err != nil {
			tb.Fatalf("events of %s: %v", account, err)
		}
		for _, ev := range events {
			var rec map[string]any
			if err := json.Unmarshal(ev.Record, &rec); err != nil {
				tb.Fatalf("decode event %s: %v", ev.ID, err)
			}
			out = append(out, rec)
		}
		if next == "" {
			return out
		}
		q.Cursor = next
	}
}

// NewTenant creates an isolated world in the server (see api.TenantSpec;
// the zero spec generates everything) and returns what a trainee gets:
// its id, management account, administrator key and control token.
func (s *Server) NewTenant(tb TB, spec api.TenantSpec) api.TenantInfo {
	tb.Helper()
	info, err := s.API.CreateTenant(context.Background(), spec)
	if err != nil {
		tb.Fatalf("create tenant: %v", err)
	}
	return info
}

// TenantCredentials are a tenant administrator's keys, for Config.
func TenantCredentials(t api.TenantInfo) aws.Credentials {
	return aws.Credentials{AccessKeyID: t.AccessKeyID, SecretAccessKey: t.SecretAccessKey}
}

// lostConnectionRetryer retries a lost connection, twice at most and with
// no delay, and nothing else.
func lostConnectionRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 3
		o.Retryables = []retry.IsErrorRetryable{retry.RetryableConnectionError{}}
		o.Backoff = noDelay{}
		o.RateLimiter = ratelimit.None
	})
}

type noDelay struct{}

func (noDelay) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }
