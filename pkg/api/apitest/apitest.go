// Package apitest runs the emulator in-process for tests, here and in other
// projects: a real server over a bbolt file in t.TempDir(), with
// aws-sdk-go-v2 configurations pointed at it.
//
//	srv := apitest.New(t)
//	out, err := sts.NewFromConfig(srv.Config(srv.AdminCredentials())).GetCallerIdentity(ctx, nil)
//	member := srv.MemberAccount(t, "workload")
//	srv.EnableRootAccess(t)
//	root := srv.RootSession(t, member, policy.S3UnlockBucketPolicy)
//	srv.Clock.Advance(16 * time.Minute) // sessions expire without waiting
package apitest

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/rootaccess/emulator/pkg/api"
	"github.com/rootaccess/emulator/pkg/policy"
	"github.com/rootaccess/emulator/pkg/store"
)

// Server is an emulator serving on a local httptest server.
type Server struct {
	*httptest.Server
	API   *api.Server
	Store *store.Store
	Clock *api.Clock
	Seed  api.Seed
}

type config struct {
	seed    api.Seed
	options []api.Option
}

// Option configures New.
type Option func(*config)

// WithSeed starts the world from seed instead of api.DefaultSeed().
func WithSeed(seed api.Seed) Option { return func(c *config) { c.seed = seed } }

// WithoutOrganization starts with a management account that has no organization yet.
func WithoutOrganization() Option { return func(c *config) { c.seed.Organization = false } }

// WithServerOptions passes options to api.NewServer.
func WithServerOptions(opts ...api.Option) Option {
	return func(c *config) { c.options = append(c.options, opts...) }
}

// New starts an emulator for the test and stops it when the test ends.
func New(tb testing.TB, opts ...Option) *Server {
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
	srv := api.NewServer(st, append([]api.Option{api.WithClock(clock), api.WithTenantDir(filepath.Join(dir, "tenants"))}, cfg.options...)...)
	if _, err := srv.Initialize(context.Background(), cfg.seed); err != nil {
		st.Close()
		tb.Fatalf("seed: %v", err)
	}
	hs := httptest.NewServer(srv.Handler())
	tb.Cleanup(func() {
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
// talks to this server in us-east-1 and never retries (errors show at once).
func (s *Server) Config(creds aws.Credentials) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.URL),
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey,
			creds.SessionToken),
		Retryer:    func() aws.Retryer { return aws.NopRetryer{} },
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
func (s *Server) MemberAccount(tb testing.TB, name string) string {
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
func (s *Server) EnableRootAccess(tb testing.TB) {
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
func (s *Server) RootSession(tb testing.TB, accountID, taskName string) aws.Credentials {
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
func (s *Server) AssumeAccessRole(tb testing.TB, accountID string) aws.Credentials {
	tb.Helper()
	return s.AssumeRole(tb, "arn:aws:iam::"+accountID+":role/OrganizationAccountAccessRole")
}

// AssumeRole returns the credentials of a session (named "apitest") of the
// role, assumed by the seeded administrator; the role must trust it.
func (s *Server) AssumeRole(tb testing.TB, roleARN string) aws.Credentials {
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

// LoadScenario applies the scenario file at path (see docs/scenarios.md)
// and returns what it created.
func (s *Server) LoadScenario(tb testing.TB, path string) api.ScenarioResult {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("read scenario: %v", err)
	}
	sc, err := api.ParseScenario(data)
	if err != nil {
		tb.Fatalf("parse scenario %s: %v", path, err)
	}
	result, err := s.API.ApplyScenario(context.Background(), sc)
	if err != nil {
		tb.Fatalf("apply scenario %s: %v", path, err)
	}
	return result
}

// Events returns the CloudTrail event history of an account, newest first,
// each record decoded from its JSON (eventName, userIdentity, errorCode…).
// It commits the batched records of reads and refused calls first, so that
// every call answered so far is there.
func (s *Server) Events(tb testing.TB, account string) []map[string]any {
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
func (s *Server) NewTenant(tb testing.TB, spec api.TenantSpec) api.TenantInfo {
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
