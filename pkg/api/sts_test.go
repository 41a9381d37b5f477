package api_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/policy"
)

func TestSTS_GetCallerIdentity_Admin(t *testing.T) {
	srv := apitest.New(t)
	out, err := sts.NewFromConfig(srv.Config(srv.AdminCredentials())).GetCallerIdentity(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, "111111111111", aws.ToString(out.Account))
	assert.Equal(t, "arn:aws:iam::111111111111:user/admin", aws.ToString(out.Arn))
}

func TestSTS_AssumeRoot_RootSessionIdentity(t *testing.T) {
	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	srv.EnableRootAccess(t)
	ctx := context.Background()
	out, err := sts.NewFromConfig(srv.Config(srv.AdminCredentials())).AssumeRoot(ctx, &sts.AssumeRootInput{
		TargetPrincipal: aws.String(member),
		TaskPolicyArn:   &ststypes.PolicyDescriptorType{Arn: aws.String(policy.ARN(policy.AuditRootUserCredentials))},
	})
	require.NoError(t, err)
	c := out.Credentials
	assert.Regexp(t, `^ASIA[A-Z2-7]{16}$`, aws.ToString(c.AccessKeyId))
	root := sts.NewFromConfig(srv.Config(aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken}))
	who, err := root.GetCallerIdentity(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, member, aws.ToString(who.Account))
	assert.Equal(t, member, aws.ToString(who.UserId))
	assert.Equal(t, "arn:aws:iam::"+member+":root", aws.ToString(who.Arn))
}
