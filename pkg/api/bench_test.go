package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
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
	recordingModes(b, benchHandlerGetCallerIdentity)
}

func benchHandlerGetCallerIdentity(b *testing.B, opts ...apitest.Option) {
	srv := apitest.New(b, opts...)
	handler := srv.API.Handler()
	signed := testkit.NewPost(b, srv, "/", testkit.FormContentType, "", testkit.CallerIdentityBody)
	testkit.SignRequest(b, signed, srv.AdminCredentials(), "sts", testkit.CallerIdentityBody, time.Now())
	b.ReportAllocs()
	defer reportCPU(b, srv)()
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

// recordingModes runs a benchmark with CloudTrail recording on (the
// default) and off: recording must not cost more than a quarter.
func recordingModes(b *testing.B, run func(b *testing.B, opts ...apitest.Option)) {
	// What the emulator runs: no SDK confirmation of each signature.
	b.Run("recording=on", func(b *testing.B) { run(b, apitest.WithServerOptions(api.WithSignatureConfirmation(false))) })
	b.Run("recording=off", func(b *testing.B) {
		run(b, apitest.WithServerOptions(api.WithSignatureConfirmation(false), api.WithRecording(false)))
	})
}

// reportCPU starts counting the process's CPU time (user and system, every
// goroutine's: the batched CloudTrail commits included) and returns the
// function that reports it per operation as cpu-ns/op, once the batched
// records are committed. CPU time holds up on a shared machine where wall
// time does not.
func reportCPU(b *testing.B, srv *apitest.Server) func() {
	start := processCPU(b)
	return func() {
		b.StopTimer()
		if err := srv.API.FlushRecords(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(processCPU(b)-start)/float64(b.N), "cpu-ns/op")
	}
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGetCallerIdentity is a full HTTP round trip through the SDK
// client, with CloudTrail recording on and off.
func BenchmarkGetCallerIdentity(b *testing.B) { recordingModes(b, benchGetCallerIdentity) }

func benchGetCallerIdentity(b *testing.B, opts ...apitest.Option) {
	srv := apitest.New(b, opts...)
	client := sts.NewFromConfig(srv.Config(srv.AdminCredentials()))
	ctx := context.Background()
	b.ReportAllocs()
	defer reportCPU(b, srv)()
	for b.Loop() {
		if _, err := client.GetCallerIdentity(ctx, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAssumeRoot is a full round trip that authorizes the caller and
// commits a new root session to disk (with its CloudTrail record, in the
// same transaction, when recording is on).
func BenchmarkAssumeRoot(b *testing.B) { recordingModes(b, benchAssumeRoot) }

func benchAssumeRoot(b *testing.B, opts ...apitest.Option) {
	srv := apitest.New(b, opts...)
	member := srv.MemberAccount(b, "workload")
	srv.EnableRootAccess(b)
	client := sts.NewFromConfig(srv.Config(srv.AdminCredentials()))
	in := &sts.AssumeRootInput{TargetPrincipal: aws.String(member), TaskPolicyArn: testkit.TaskPolicy(policy.AuditRootUserCredentials)}
	ctx := context.Background()
	b.ReportAllocs()
	defer reportCPU(b, srv)()
	for b.Loop() {
		if _, err := client.AssumeRoot(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetCallerIdentityParallel is the same round trip from many
// goroutines at once: throughput when reads share the two cores.
func BenchmarkGetCallerIdentityParallel(b *testing.B) {
	recordingModes(b, benchGetCallerIdentityParallel)
}

func benchGetCallerIdentityParallel(b *testing.B, opts ...apitest.Option) {
	srv := apitest.New(b, opts...)
	client := sts.NewFromConfig(srv.Config(srv.AdminCredentials()))
	b.ReportAllocs()
	defer reportCPU(b, srv)()
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
func BenchmarkAssumeRootParallel(b *testing.B) { recordingModes(b, benchAssumeRootParallel) }

func benchAssumeRootParallel(b *testing.B, opts ...apitest.Option) {
	srv := apitest.New(b, opts...)
	member := srv.MemberAccount(b, "workload")
	srv.EnableRootAccess(b)
	client := sts.NewFromConfig(srv.Config(srv.AdminCredentials()))
	in := &sts.AssumeRootInput{TargetPrincipal: aws.String(member), TaskPolicyArn: testkit.TaskPolicy(policy.AuditRootUserCredentials)}
	b.ReportAllocs()
	defer reportCPU(b, srv)()
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
