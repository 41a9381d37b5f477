package policy_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/policy"
)

const (
	acctA = "111122223333"
	acctB = "444455556666"
)

var (
	userAlice = policy.Principal{ARN: "arn:aws:iam::" + acctA + ":user/alice", Account: acctA}
	session   = policy.Principal{
		ARN:     "arn:aws:sts::" + acctA + ":assumed-role/Admin/sess",
		Account: acctA,
		Aliases: []string{"arn:aws:iam::" + acctA + ":role/Admin"},
	}
	rootA  = policy.Principal{ARN: "arn:aws:iam::" + acctA + ":root", Account: acctA}
	userB  = policy.Principal{ARN: "arn:aws:iam::" + acctB + ":user/bob", Account: acctB}
	sqsSvc = policy.Principal{Service: "sqs.amazonaws.com"}
	anon   = policy.Principal{}
)

func TestPrincipalMatching(t *testing.T) {
	tests := []struct {
		name      string
		principal string // JSON of the Principal element
		caller    policy.Principal
		want      bool
	}{
		{"star string", `"*"`, userAlice, true},
		{"star string anonymous", `"*"`, anon, true},
		{"AWS star", `{"AWS":"*"}`, userB, true},
		{"AWS star service", `{"AWS":"*"}`, sqsSvc, true},
		{"account id matches user of account", `{"AWS":"` + acctA + `"}`, userAlice, true},
		{"account id matches session of account", `{"AWS":"` + acctA + `"}`, session, true},
		{"account id other account", `{"AWS":"` + acctA + `"}`, userB, false},
		{"root ARN matches any principal of account", `{"AWS":"arn:aws:iam::` + acctA + `:root"}`, userAlice, true},
		{"root ARN matches root", `{"AWS":"arn:aws:iam::` + acctA + `:root"}`, rootA, true},
		{"root ARN other account", `{"AWS":"arn:aws:iam::` + acctA + `:root"}`, userB, false},
		{"exact user ARN", `{"AWS":"arn:aws:iam::` + acctA + `:user/alice"}`, userAlice, true},
		{"other user ARN", `{"AWS":"arn:aws:iam::` + acctA + `:user/mallory"}`, userAlice, false},
		{"wildcard in ARN is literal", `{"AWS":"arn:aws:iam::` + acctA + `:user/*"}`, userAlice, false},
		{"role ARN matches its session via alias", `{"AWS":"arn:aws:iam::` + acctA + `:role/Admin"}`, session, true},
		{"session ARN", `{"AWS":"arn:aws:sts::` + acctA + `:assumed-role/Admin/sess"}`, session, true},
		{"list OR", `{"AWS":["arn:aws:iam::` + acctB + `:user/bob","arn:aws:iam::` + acctA + `:user/alice"]}`, userAlice, true},
		{"service", `{"Service":"sqs.amazonaws.com"}`, sqsSvc, true},
		{"service other", `{"Service":"sns.amazonaws.com"}`, sqsSvc, false},
		{"service does not match AWS user", `{"Service":"sqs.amazonaws.com"}`, userAlice, false},
		{"account does not match service", `{"AWS":"` + acctA + `"}`, policy.Principal{Service: "sqs.amazonaws.com", Account: acctA}, false},
		{"anonymous vs account", `{"AWS":"` + acctA + `"}`, anon, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := policy.ParseAs([]byte(fmt.Sprintf(
				`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":%s,"Action":"sqs:SendMessage","Resource":"*"}}`, tt.principal)), policy.ResourcePolicy)
			require.NoError(t, err)
			got := d.Evaluate(policy.Request{Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:" + acctA + ":q", Principal: tt.caller})
			assert.Equal(t, tt.want, got == policy.Allow)

			// NotPrincipal is the complement.
			nd, err := policy.ParseAs([]byte(fmt.Sprintf(
				`{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":%s,"Action":"sqs:SendMessage","Resource":"*"}}`, tt.principal)), policy.ResourcePolicy)
			require.NoError(t, err)
			got = nd.Evaluate(policy.Request{Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:" + acctA + ":q", Principal: tt.caller})
			assert.Equal(t, !tt.want, got == policy.ExplicitDeny, "NotPrincipal")
		})
	}
}

func TestDocumentEvaluate(t *testing.T) {
	d := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"AllowS3","Effect":"Allow","Action":"s3:*","Resource":"*"},
		{"Sid":"DenySecret","Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::secret/*"}]}`)
	tests := []struct {
		action, resource string
		want             policy.Decision
		sid              string
	}{
		{"s3:GetObject", "arn:aws:s3:::public/x", policy.Allow, "AllowS3"},
		{"s3:GetObject", "arn:aws:s3:::secret/x", policy.ExplicitDeny, "DenySecret"},
		{"s3:PutObject", "arn:aws:s3:::secret/x", policy.Allow, "AllowS3"},
		{"iam:GetUser", "*", policy.ImplicitDeny, ""},
	}
	for _, tt := range tests {
		req := policy.Request{Action: tt.action, Resource: tt.resource}
		got, sid := d.Explain(req)
		assert.Equal(t, tt.want, got, tt.action+" "+tt.resource)
		assert.Equal(t, tt.sid, sid)
		assert.Equal(t, tt.want, d.Evaluate(req))
	}

	var nilDoc *policy.Document
	assert.Equal(t, policy.ImplicitDeny, nilDoc.Evaluate(policy.Request{Action: "s3:GetObject"}))
}

func TestDecisionAndPolicyTypeStrings(t *testing.T) {
	assert.Equal(t, "ImplicitDeny", policy.ImplicitDeny.String())
	assert.Equal(t, "Allow", policy.Allow.String())
	assert.Equal(t, "ExplicitDeny", policy.ExplicitDeny.String())
	assert.Equal(t, "identity-based policy", policy.IdentityBased.String())
	assert.Equal(t, "session policy", policy.SessionPolicy.String())
	assert.Equal(t, "resource-based policy", policy.ResourceBased.String())
}

func TestDecide(t *testing.T) {
	bucket := "arn:aws:s3:::demo/key"
	allowS3 := mustParse(t, `{"Version":"2012-10-17","Statement":{"Sid":"AllowS3","Effect":"Allow","Action":"s3:*","Resource":"*"}}`)
	allowGet := mustParse(t, `{"Version":"2012-10-17","Statement":{"Sid":"AllowGet","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`)
	denyGet := mustParse(t, `{"Version":"2012-10-17","Statement":{"Sid":"DenyGet","Effect":"Deny","Action":"s3:GetObject","Resource":"*"}}`)
	resPolicy := func(principal string, effect string) *policy.Document {
		d, err := policy.ParseAs([]byte(fmt.Sprintf(
			`{"Version":"2012-10-17","Statement":{"Sid":"Res%s","Effect":%q,"Principal":{"AWS":%q},"Action":"s3:GetObject","Resource":"arn:aws:s3:::demo/*"}}`,
			effect, effect, principal)), policy.ResourcePolicy)
		require.NoError(t, err)
		return d
	}
	task, ok := policy.TaskPolicy(policy.ARN(policy.S3UnlockBucketPolicy))
	require.True(t, ok)

	tests := []struct {
		name      string
		caller    policy.Principal
		action    string
		policies  policy.Policies
		want      policy.Decision
		deniedBy  policy.PolicyType
		statement string
		reason    string
	}{
		{
			name: "nothing applies", caller: userAlice, action: "s3:GetObject",
			want: policy.ImplicitDeny, deniedBy: policy.IdentityBased,
			reason: "because no identity-based policy allows the s3:GetObject action",
		},
		{
			name: "identity allow", caller: userAlice, action: "s3:GetObject",
			policies: policy.Policies{Identity: []*policy.Document{allowS3}},
			want:     policy.Allow, statement: "AllowS3",
		},
		{
			name: "deny beats allow in same document set", caller: userAlice, action: "s3:GetObject",
			policies: policy.Policies{Identity: []*policy.Document{allowS3, denyGet}},
			want:     policy.ExplicitDeny, deniedBy: policy.IdentityBased, statement: "DenyGet",
			reason: "with an explicit deny in an identity-based policy",
		},
		{
			name: "resource deny beats identity allow", caller: userAlice, action: "s3:GetObject",
			policies: policy.Policies{Identity: []*policy.Document{allowS3}, Resource: []*policy.Document{resPolicy("*", "Deny")}},
			want:     policy.ExplicitDeny, deniedBy: policy.ResourceBased, statement: "ResDeny",
			reason: "with an explicit deny in a resource-based policy",
		},
		{
			name: "resource deny applies to root too", caller: rootA, action: "s3:GetObject",
			policies: policy.Policies{RootIdentity: true, Resource: []*policy.Document{resPolicy("*", "Deny")}},
			want:     policy.ExplicitDeny, deniedBy: policy.ResourceBased, statement: "ResDeny",
		},
		{
			name: "session intersection: both allow", caller: session, action: "s3:GetObject",
			policies: policy.Policies{Identity: []*policy.Document{allowS3}, Session: []*policy.Document{allowGet}},
			want:     policy.Allow, statement: "AllowS3",
		},
		{
			name: "session intersection: session lacks allow", caller: session, action: "s3:PutObject",
			policies: policy.Policies{Identity: []*policy.Document{allowS3}, Session: []*policy.Document{allowGet}},
			want:     policy.ImplicitDeny, deniedBy: policy.SessionPolicy,
			reason: "because no session policy allows the s3:PutObject action",
		},
		{
			name: "session intersection: identity lacks allow", caller: session, action: "s3:GetObject",
			policies: policy.Policies{Session: []*policy.Document{allowS3}},
			want:     policy.ImplicitDeny, deniedBy: policy.IdentityBased,
		},
		{
			name: "session deny", caller: session, action: "s3:GetObject",
			policies: policy.Policies{Identity: []*policy.Document{allowS3}, Session: []*policy.Document{denyGet}},
			want:     policy.ExplicitDeny, deniedBy: policy.SessionPolicy, statement: "DenyGet",
			reason: "with an explicit deny in a session policy",
		},
		{
			name: "root: deny-only session policy acts as a filter (allowed action)", caller: rootA, action: "s3:PutBucketPolicy",
			policies: policy.Policies{RootIdentity: true, Session: []*policy.Document{task.Document}},
			want:     policy.Allow,
		},
		{
			name: "root: deny-only session policy acts as a filter (other action)", caller: rootA, action: "s3:GetObject",
			policies: policy.Policies{RootIdentity: true, Session: []*policy.Document{task.Document}},
			want:     policy.ExplicitDeny, deniedBy: policy.SessionPolicy, statement: "DenyAllOtherActionsOnAnyResource",
		},
		{
			name: "non-root with the same Deny-only session policy gets nothing", caller: userAlice, action: "s3:PutBucketPolicy",
			policies: policy.Policies{Identity: []*policy.Document{allowS3}, Session: []*policy.Document{task.Document}},
			want:     policy.ExplicitDeny, deniedBy: policy.SessionPolicy, statement: "DenyManagingBucketPolicyForNonRootCallers",
		},
		{
			name: "root without policies", caller: rootA, action: "s3:GetObject",
			policies: policy.Policies{RootIdentity: true},
			want:     policy.Allow,
		},
		{
			name: "same account: resource-only allow naming the user", caller: userAlice, action: "s3:GetObject",
			policies: policy.Policies{Resource: []*policy.Document{resPolicy(userAlice.ARN, "Allow")}},
			want:     policy.Allow, statement: "ResAllow",
		},
		{
			name: "same account: resource-only allow to everyone", caller: userAlice, action: "s3:GetObject",
			policies: policy.Policies{Resource: []*policy.Document{resPolicy("*", "Allow")}},
			want:     policy.Allow, statement: "ResAllow",
		},
		{
			name: "same account: resource allow naming only the account delegates to identity", caller: userAlice, action: "s3:GetObject",
			policies: policy.Policies{Resource: []*policy.Document{resPolicy(acctA, "Allow")}},
			want:     policy.ImplicitDeny, deniedBy: policy.IdentityBased,
		},
		{
			name: "same account: resource allow naming the role of a session", caller: session, action: "s3:GetObject",
			policies: policy.Policies{Resource: []*policy.Document{resPolicy("arn:aws:iam::"+acctA+":role/Admin", "Allow")}},
			want:     policy.Allow, statement: "ResAllow",
		},
		{
			name: "same account: role-ARN grant is limited by the session policy", caller: session, action: "s3:GetObject",
			policies: policy.Policies{
				Session:  []*policy.Document{mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sqs:*","Resource":"*"}}`)},
				Resource: []*policy.Document{resPolicy("arn:aws:iam::"+acctA+":role/Admin", "Allow")},
			},
			want: policy.ImplicitDeny, deniedBy: policy.SessionPolicy,
		},
		{
			name: "same account: session-ARN grant is not limited by the session policy", caller: session, action: "s3:GetObject",
			policies: policy.Policies{
				Session:  []*policy.Document{mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sqs:*","Resource":"*"}}`)},
				Resource: []*policy.Document{resPolicy(session.ARN, "Allow")},
			},
			want: policy.Allow, statement: "ResAllow",
		},
		{
			name: "cross account: both allow", caller: userB, action: "s3:GetObject",
			policies: policy.Policies{CrossAccount: true, Identity: []*policy.Document{allowS3}, Resource: []*policy.Document{resPolicy(acctB, "Allow")}},
			want:     policy.Allow, statement: "AllowS3",
		},
		{
			name: "cross account: resource allow only", caller: userB, action: "s3:GetObject",
			policies: policy.Policies{CrossAccount: true, Resource: []*policy.Document{resPolicy(userB.ARN, "Allow")}},
			want:     policy.ImplicitDeny, deniedBy: policy.IdentityBased,
			reason: "because no identity-based policy allows the s3:GetObject action",
		},
		{
			name: "cross account: identity allow only", caller: userB, action: "s3:GetObject",
			policies: policy.Policies{CrossAccount: true, Identity: []*policy.Document{allowS3}},
			want:     policy.ImplicitDeny, deniedBy: policy.ResourceBased,
			reason: "because no resource-based policy allows the s3:GetObject action",
		},
		{
			name: "cross account: resource names a different account", caller: userB, action: "s3:GetObject",
			policies: policy.Policies{CrossAccount: true, Identity: []*policy.Document{allowS3}, Resource: []*policy.Document{resPolicy(acctA, "Allow")}},
			want:     policy.ImplicitDeny, deniedBy: policy.ResourceBased,
		},
		{
			name: "cross account: root still needs the resource policy", caller: policy.Principal{ARN: "arn:aws:iam::" + acctB + ":root", Account: acctB}, action: "s3:GetObject",
			policies: policy.Policies{CrossAccount: true, RootIdentity: true},
			want:     policy.ImplicitDeny, deniedBy: policy.ResourceBased,
		},
		{
			name: "resource required (trust policy): identity allow alone is not enough", caller: userAlice, action: "s3:GetObject",
			policies: policy.Policies{ResourceRequired: true, Identity: []*policy.Document{allowS3}},
			want:     policy.ImplicitDeny, deniedBy: policy.ResourceBased,
		},
		{
			name: "resource required: account principal plus identity allow", caller: userAlice, action: "s3:GetObject",
			policies: policy.Policies{ResourceRequired: true, Identity: []*policy.Document{allowS3}, Resource: []*policy.Document{resPolicy(acctA, "Allow")}},
			want:     policy.Allow, statement: "AllowS3",
		},
		{
			name: "resource required: direct principal alone", caller: userAlice, action: "s3:GetObject",
			policies: policy.Policies{ResourceRequired: true, Resource: []*policy.Document{resPolicy(userAlice.ARN, "Allow")}},
			want:     policy.Allow, statement: "ResAllow",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := policy.Request{Action: tt.action, Resource: bucket, Principal: tt.caller}
			res := policy.Decide(req, tt.policies)
			assert.Equal(t, tt.want, res.Decision)
			if tt.want == policy.Allow {
				assert.Equal(t, policy.NoPolicy, res.DeniedBy)
				assert.Empty(t, res.Reason(tt.action))
			} else {
				assert.Equal(t, tt.deniedBy, res.DeniedBy)
			}
			assert.Equal(t, tt.statement, res.Statement)
			if tt.reason != "" {
				assert.Equal(t, tt.reason, res.Reason(tt.action))
			}
		})
	}
}

func TestReasonDefaults(t *testing.T) {
	assert.Equal(t, "because no identity-based policy allows the iam:GetUser action",
		policy.Result{Decision: policy.ImplicitDeny}.Reason("iam:GetUser"))
	assert.Equal(t, "with an explicit deny in an identity-based policy",
		policy.Result{Decision: policy.ExplicitDeny}.Reason("iam:GetUser"))
	assert.Equal(t, "", policy.Result{Decision: policy.Allow}.Reason("iam:GetUser"))
}
