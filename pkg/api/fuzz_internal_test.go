package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/rootaccess/emulator/pkg/store"
)

// fuzzServer is a seeded server with a member account and root access on,
// so that fuzzed requests reach deep into the handlers.
func fuzzServer(f *testing.F) *Server {
	f.Helper()
	s := seededServer(f, WithSkewLimit(0))
	sc, err := ParseScenario([]byte(`{"features": {"trusted_access": ["iam.amazonaws.com"], "root_credentials_management": true, "root_sessions": true},
		"accounts": [{"id": "222233334444", "name": "fuzz", "root": {"password": true, "access_keys": [{}], "signing_certificates": [{}], "mfa_devices": [{}]}}]}`))
	if err != nil {
		f.Fatal(err)
	}
	if _, err := s.ApplyScenario(context.Background(), sc); err != nil {
		f.Fatal(err)
	}
	return s
}

// seededServer is a server over a fresh data file with the default seed,
// for this package's internal tests (which cannot use apitest: it imports api).
func seededServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	clock := NewClock()
	st, err := store.Open(filepath.Join(tb.TempDir(), "emulator.db"), store.WithNow(clock.Now))
	if err != nil {
		tb.Fatal(err)
	}
	s := NewServer(st, append([]Option{WithClock(clock)}, opts...)...)
	tb.Cleanup(func() {
		s.Close()
		st.Close()
	})
	if _, err := s.Initialize(context.Background(), DefaultSeed()); err != nil {
		tb.Fatal(err)
	}
	return s
}

// fuzzServe signs a request as the administrator and serves it in process;
// whatever the input, the answer must be a well-formed status below 500.
func fuzzServe(t *testing.T, s *Server, service, contentType, target, body string) {
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4580/", strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	sum := sha256.Sum256([]byte(body))
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"},
		req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now())
	if err != nil {
		t.Skip("unsignable input")
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s %q %q: status %d: %s", service, target, body, rec.Code, rec.Body)
	}
	if rec.Body.Len() == 0 && rec.Code != http.StatusOK {
		t.Fatalf("%s %q %q: status %d with no body", service, target, body, rec.Code)
	}
}

// FuzzQueryProtocol fuzzes STS and IAM form bodies through the whole pipeline.
func FuzzQueryProtocol(f *testing.F) {
	s := fuzzServer(f)
	for _, seed := range []string{
		"Action=GetCallerIdentity&Version=2011-06-15",
		"Action=AssumeRoot&Version=2011-06-15&TargetPrincipal=222233334444&TaskPolicyArn.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2Froot-task%2FIAMAuditRootUserCredentials&DurationSeconds=900",
		"Action=AssumeRoot&Version=2011-06-15&TargetPrincipal=arn:aws:iam::222233334444:root&TaskPolicyArn.arn=x&DurationSeconds=-1",
		"Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::222233334444:role/OrganizationAccountAccessRole&RoleSessionName=s",
		"Action=ListOrganizationsFeatures&Version=2010-05-08",
		"Action=GetPolicyVersion&Version=2010-05-08&PolicyArn=arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy&VersionId=v1",
		"Action=ListPolicies&Version=2010-05-08&Scope=AWS&MaxItems=2&Marker=zz",
		"Action=GetUser&Version=2010-05-08&UserName=admin",
		"Action=ListAccessKeys&Version=2010-05-08&MaxItems=0",
		"Action=%ZZ&Version=2010-05-08",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		service := "iam"
		if strings.Contains(body, "2011-06-15") {
			service = "sts"
		}
		fuzzServe(t, s, service, "application/x-www-form-urlencoded; charset=utf-8", "", body)
	})
}

// FuzzJSONProtocol fuzzes Organizations' JSON 1.1 requests through the whole pipeline.
func FuzzJSONProtocol(f *testing.F) {
	s := fuzzServer(f)
	seeds := [][2]string{
		{"DescribeOrganization", `{}`},
		{"CreateAccount", `{"Email":"a@example.com","AccountName":"a"}`},
		{"ListAccounts", `{"MaxResults":1,"NextToken":"x"}`},
		{"DescribeAccount", `{"AccountId":"222233334444"}`},
		{"RegisterDelegatedAdministrator", `{"AccountId":"222233334444","ServicePrincipal":"iam.amazonaws.com"}`},
		{"ListCreateAccountStatus", `{"States":["IN_PROGRESS"]}`},
		{"EnableAWSServiceAccess", `{"ServicePrincipal":7}`},
		{"Nope", `[`},
	}
	for _, seed := range seeds {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, operation, body string) {
		fuzzServe(t, s, "organizations", "application/x-amz-json-1.1", "AWSOrganizationsV20161128."+operation, body)
	})
}
