// A test of another module that uses the emulator as its README tells Go
// users to: go get, import apitest, load the shipped scenarios by name.
// external_module_test.go at the repository's root copies it into a
// throwaway module whose go.mod points at this checkout with a replace.
package consumer

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/rootaccess/emulator/pkg/api"
	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/policy"
)

func TestShippedScenariosByName(t *testing.T) {
	names := api.ScenarioNames()
	if len(names) == 0 {
		t.Fatal("no shipped scenarios are embedded")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			srv := apitest.New(t, apitest.WithLogger(t.Output()))
			if result := srv.LoadScenario(t, name); len(result.Accounts) == 0 {
				t.Fatalf("scenario %s created no account", name)
			}
			if again := srv.LoadScenario(t, name); !again.AlreadyApplied {
				t.Fatalf("scenario %s applied twice", name)
			}
		})
	}
}

func TestLockedBucketUnlockedByRootSession(t *testing.T) {
	ctx := context.Background()
	srv := apitest.New(t, apitest.WithLogger(t.Output()))
	locked := srv.LockedBucket(t)
	pathStyle := func(o *s3.Options) { o.UsePathStyle = true }
	role := s3.NewFromConfig(srv.Config(srv.AssumeAccessRole(t, locked.AccountID)), pathStyle)
	var ae smithy.APIError
	if _, err := role.GetObject(ctx, &s3.GetObjectInput{Bucket: &locked.Bucket, Key: &locked.Key}); !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Fatalf("the locked bucket answered %v, want AccessDenied", err)
	}
	root := s3.NewFromConfig(srv.Config(srv.RootSession(t, locked.AccountID, policy.S3UnlockBucketPolicy)), pathStyle)
	if _, err := root.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: &locked.Bucket}); err != nil {
		t.Fatal(err)
	}
	if _, err := role.GetObject(ctx, &s3.GetObjectInput{Bucket: &locked.Bucket, Key: &locked.Key}); err != nil {
		t.Fatalf("after the unlock: %v", err)
	}
}

func TestLegacyAccountRootKey(t *testing.T) {
	srv := apitest.New(t)
	legacy := srv.LegacyAccount(t, "legacy-billing")
	who, err := sts.NewFromConfig(srv.Config(legacy.RootKey)).GetCallerIdentity(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(who.Arn), "arn:aws:iam::"+legacy.AccountID+":root"; got != want {
		t.Fatalf("the legacy root key signs as %s, want %s", got, want)
	}
}
