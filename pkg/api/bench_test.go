package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rootaccess/emulator/pkg/api"
	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
	"github.com/rootaccess/emulator/pkg/policy"
)

// BenchmarkHandlerGetCallerIdentity measures a signed GetCallerIdentity
// request through the server's handler in process (no network): reading the
// body, authenticating (BenchmarkSigV4Verify alone), and the XML answer.
func BenchmarkHandlerGetCallerIdentity(b *testing.B) {
	srv := apitest.New(b, apitest.WithServerOptions(api.WithSignatureConfirmation(false)))
	handler := srv.API.Handler()
	signed := testkit.NewPost(b, srv, "/", testkit.FormContentType, "", testkit.CallerIdentityBody)
	testkit.SignRequest(b, signed, srv.AdminCredentials(), "sts", testkit.CallerIdentityBody, time.Now())
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(testkit.CallerIdentityBody))
		req.Header = signed.Header.Clone()
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkGetCallerIdentity is a full HTTP round trip through the SDK client.
func BenchmarkGetCallerIdentity(b *testing.B) {
	srv := apitest.New(b, apitest.WithServerOptions(api.WithSignatureConfirmation(false)))
	client := sts.NewFromConfig(srv.Config(srv.AdminCredentials()))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := client.GetCallerIdentity(ctx, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAssumeRoot is a full round trip that authorizes the caller and
// commits a new root session to disk.
func BenchmarkAssumeRoot(b *testing.B) {
	srv := apitest.New(b, apitest.WithServerOptions(api.WithSignatureConfirmation(false)))
	member := srv.MemberAccount(b, "workload")
	srv.EnableRootAccess(b)
	client := sts.NewFromConfig(srv.Config(srv.AdminCredentials()))
	in := &sts.AssumeRootInput{TargetPrincipal: aws.String(member), TaskPolicyArn: testkit.TaskPolicy(policy.AuditRootUserCredentials)}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := client.AssumeRoot(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetCallerIdentityParallel is the same round trip from many
// goroutines at once: throughput when reads share the two cores.
func BenchmarkGetCallerIdentityParallel(b *testing.B) {
	srv := apitest.New(b, apitest.WithServerOptions(api.WithSignatureConfirmation(false)))
	client := sts.NewFromConfig(srv.Config(srv.AdminCredentials()))
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := client.GetCallerIdentity(context.Background(), nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkAssumeRootParallel mints root sessions from many goroutines:
// every one is an fsync'd bbolt commit, and bbolt has one writer.
func BenchmarkAssumeRootParallel(b *testing.B) {
	srv := apitest.New(b, apitest.WithServerOptions(api.WithSignatureConfirmation(false)))
	member := srv.MemberAccount(b, "workload")
	srv.EnableRootAccess(b)
	client := sts.NewFromConfig(srv.Config(srv.AdminCredentials()))
	in := &sts.AssumeRootInput{TargetPrincipal: aws.String(member), TaskPolicyArn: testkit.TaskPolicy(policy.AuditRootUserCredentials)}
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := client.AssumeRoot(context.Background(), in); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
