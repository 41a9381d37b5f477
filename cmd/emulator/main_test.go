package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api"
	"github.com/rootaccess/emulator/pkg/policy"
)

// MustRunMain runs the real program wiring on a free port with data in path.
func MustRunMain(tb testing.TB, path string, args ...string) (*Main, *bytes.Buffer) {
	tb.Helper()
	var out bytes.Buffer
	m := NewMain(&out)
	require.NoError(tb, m.ParseFlags(append([]string{"-addr", "127.0.0.1:0", "-data", path, "-log-level", "error"}, args...), noEnv))
	require.NoError(tb, m.Run(context.Background()))
	return m, &out
}

func noEnv(string) string { return "" }

func stsClient(m *Main, creds aws.Credentials) *sts.Client {
	return sts.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(m.URL()),
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} }})
}

func TestParseFlags(t *testing.T) {
	t.Run("Defaults", func(t *testing.T) {
		m := NewMain(&bytes.Buffer{})
		require.NoError(t, m.ParseFlags(nil, noEnv))
		assert.Equal(t, DefaultAddr, m.Config.Addr)
		assert.Equal(t, DefaultData, m.Config.Data)
		assert.True(t, m.Config.Seed.Organization)
		assert.Equal(t, "test", m.Config.Seed.AccessKeyID)
	})
	t.Run("EnvironmentThenFlags", func(t *testing.T) {
		env := map[string]string{"EMULATOR_ADDR": "127.0.0.1:1", "EMULATOR_DATA": "/env.db", "EMULATOR_NO_ORGANIZATION": "1"}
		m := NewMain(&bytes.Buffer{})
		require.NoError(t, m.ParseFlags([]string{"-data", "/flag.db"}, func(k string) string { return env[k] }))
		assert.Equal(t, "127.0.0.1:1", m.Config.Addr)
		assert.Equal(t, "/flag.db", m.Config.Data, "a flag wins over the environment")
		assert.False(t, m.Config.Seed.Organization)
	})
	t.Run("ControlToken", func(t *testing.T) {
		env := map[string]string{"EMULATOR_CONTROL_TOKEN": "from-env"}
		m := NewMain(&bytes.Buffer{})
		require.NoError(t, m.ParseFlags(nil, func(k string) string { return env[k] }))
		assert.Equal(t, "from-env", m.Config.ControlToken)
		m = NewMain(&bytes.Buffer{})
		require.NoError(t, m.ParseFlags([]string{"-control-token", "from-flag"}, func(k string) string { return env[k] }))
		assert.Equal(t, "from-flag", m.Config.ControlToken, "a flag wins over the environment")
	})
	t.Run("BadInput", func(t *testing.T) {
		for _, args := range [][]string{{"-account-id", "12"}, {"-access-key", ""}, {"-log-level", "loud"}, {"stray"}} {
			assert.Error(t, NewMain(&bytes.Buffer{}).ParseFlags(args, noEnv), "%v", args)
		}
	})
}

func TestMain_BannerHealthAndRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "emulator.db")
	m, out := MustRunMain(t, path)
	for _, want := range []string{m.URL(), path, "111111111111", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test"} {
		assert.Contains(t, out.String(), want)
	}
	resp, err := http.Get(m.URL() + "/_emulator/health")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	// Open a root session, then restart on the same file: it must survive.
	ctx := context.Background()
	admin := aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}
	resp, err = http.Post(m.URL()+"/_emulator/scenario", "application/json", strings.NewReader(
		`{"features": {"trusted_access": ["iam.amazonaws.com"], "root_sessions": true}, "accounts": [{"name": "workload"}]}`))
	require.NoError(t, err)
	var created api.ScenarioResult
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&created))
	resp.Body.Close()
	require.Len(t, created.Accounts, 1)
	member := created.Accounts[0].ID
	root, err := stsClient(m, admin).AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(member),
		TaskPolicyArn: &ststypes.PolicyDescriptorType{Arn: aws.String(policy.ARN(policy.SQSUnlockQueuePolicy))}})
	require.NoError(t, err)
	require.NoError(t, m.Close())

	m2, out2 := MustRunMain(t, path, "-access-key", "ignored-on-existing-file")
	defer m2.Close()
	assert.Contains(t, out2.String(), "AWS_ACCESS_KEY_ID=test", "the banner shows the world's credentials, not the flags")
	c := root.Credentials
	who, err := stsClient(m2, aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey,
		SessionToken: *c.SessionToken}).GetCallerIdentity(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::"+member+":root", aws.ToString(who.Arn))
	assert.WithinDuration(t, time.Now().Add(15*time.Minute), aws.ToTime(c.Expiration), time.Minute)
}

func TestHealthcheck(t *testing.T) {
	m, _ := MustRunMain(t, filepath.Join(t.TempDir(), "emulator.db"))
	defer m.Close()
	assert.Equal(t, 0, healthcheck(m.URL()+"/_emulator/health"))
	assert.Equal(t, 1, healthcheck(m.URL()+"/_emulator/nothing-here"))
	assert.Equal(t, 1, healthcheck("http://127.0.0.1:1/_emulator/health"))
}

func TestMain_ClockSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "emulator.db")
	m, _ := MustRunMain(t, path)
	req, err := http.NewRequest(http.MethodPost, m.URL()+"/_emulator/clock", bytes.NewBufferString(`{"advance":"2h"}`))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, m.Close())

	m2, _ := MustRunMain(t, path)
	defer m2.Close()
	assert.WithinDuration(t, time.Now().Add(2*time.Hour), m2.Server.Clock().Now(), time.Minute)
}
