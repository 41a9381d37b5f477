package policy_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/policy"
)

func TestAWSManagedPolicies_Decide(t *testing.T) {
	names := []string{}
	for _, p := range policy.AWSManagedPolicies() {
		names = append(names, p.Name)
		assert.Equal(t, policy.AWSManagedARN(p.Name), p.ARN)
		assert.Equal(t, "/", p.Path)
		assert.Regexp(t, `^ANPA[A-Z0-9]{17}$`, p.PolicyID)
		got, ok := policy.AWSManagedPolicy(p.ARN)
		require.True(t, ok)
		assert.Equal(t, p.Name, got.Name)
	}
	assert.Equal(t, []string{"AdministratorAccess", "AmazonS3FullAccess", "AmazonS3ReadOnlyAccess", "AmazonSQSFullAccess",
		"IAMFullAccess", "PowerUserAccess"}, names)
	_, ok := policy.AWSManagedPolicy(policy.ARN(policy.S3UnlockBucketPolicy))
	assert.False(t, ok, "the task policies are not attachable")

	decide := func(name, action string) policy.Decision {
		p, ok := policy.AWSManagedPolicy(policy.AWSManagedARN(name))
		require.True(t, ok, name)
		return policy.Decide(policy.Request{Action: action, Resource: "*", Context: map[string][]string{}},
			policy.Policies{Identity: []*policy.Document{p.Document}}).Decision
	}
	for _, c := range []struct {
		policy, action string
		allow          bool
	}{
		{"AdministratorAccess", "iam:CreateUser", true},
		{"PowerUserAccess", "s3:PutObject", true},
		{"PowerUserAccess", "iam:CreateUser", false},
		{"PowerUserAccess", "iam:ListRoles", true},
		{"PowerUserAccess", "organizations:DescribeOrganization", true},
		{"IAMFullAccess", "iam:AttachUserPolicy", true},
		{"IAMFullAccess", "s3:GetObject", false},
		{"AmazonS3FullAccess", "s3:DeleteBucket", true},
		{"AmazonS3ReadOnlyAccess", "s3:GetObject", true},
		{"AmazonS3ReadOnlyAccess", "s3:PutObject", false},
		{"AmazonSQSFullAccess", "sqs:SendMessage", true},
		{"AmazonSQSFullAccess", "s3:GetObject", false},
	} {
		assert.Equal(t, c.allow, decide(c.policy, c.action) == policy.Allow, "%s %s", c.policy, c.action)
	}
}
