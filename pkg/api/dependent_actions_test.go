package api_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
	"github.com/rootaccess/emulator/pkg/store"
)

// The actions AWS documents as needed beside an operation's own when the
// request carries tags, a permissions boundary or a source identity: each
// is checked with the same policies, and a denial names it.

// allowActions is an identity policy allowing actions on every resource.
func allowActions(actions ...string) string {
	list := `"` + actions[0] + `"`
	for _, a := range actions[1:] {
		list += `,"` + a + `"`
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[` + list + `],"Resource":"*"}]}`
}

// requireDeniedAction checks that err is AccessDenied naming action.
func requireDeniedAction(t *testing.T, err error, code, action string) {
	t.Helper()
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, code, apiErr.ErrorCode(), "%v", err)
	assert.Contains(t, apiErr.ErrorMessage(), "perform: "+action+" on resource")
}

func TestDependentActions_IAMTagsAndBoundaries(t *testing.T) {
	srv := apitest.New(t)
	acct := srv.MemberAccount(t, "tags")
	ctx := context.Background()
	tags := []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}
	boundary := aws.String("arn:aws:iam::aws:policy/PowerUserAccess")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + acct + `"},"Action":"sts:AssumeRole"}]}`

	creator := iam.NewFromConfig(srv.Config(testkit.CreateUser(t, srv, acct, "creator", allowActions("iam:CreateUser", "iam:CreateRole"))))
	_, err := creator.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u1"), Tags: tags})
	requireDeniedAction(t, err, "AccessDenied", "iam:TagUser")
	_, err = creator.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r1"), AssumeRolePolicyDocument: aws.String(trust), Tags: tags})
	requireDeniedAction(t, err, "AccessDenied", "iam:TagRole")
	_, err = creator.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u1"), PermissionsBoundary: boundary})
	requireDeniedAction(t, err, "AccessDenied", "iam:PutUserPermissionsBoundary")
	_, err = creator.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r1"), AssumeRolePolicyDocument: aws.String(trust), PermissionsBoundary: boundary})
	requireDeniedAction(t, err, "AccessDenied", "iam:PutRolePermissionsBoundary")
	// Nothing was created by the refused calls; without tags it goes through.
	_, err = creator.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u1")})
	require.NoError(t, err)

	// The tag action may be limited by the tags' condition keys.
	onlyBlue := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:CreateUser","iam:CreateRole"],"Resource":"*"},` +
		`{"Effect":"Allow","Action":["iam:TagUser","iam:TagRole","iam:PutUserPermissionsBoundary"],"Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"blue"}}}]}`
	tagger := iam.NewFromConfig(srv.Config(testkit.CreateUser(t, srv, acct, "tagger", onlyBlue)))
	out, err := tagger.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u2"), Tags: tags})
	require.NoError(t, err)
	assert.Equal(t, "blue", aws.ToString(out.User.Tags[0].Value))
	_, err = tagger.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r2"), AssumeRolePolicyDocument: aws.String(trust),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}})
	requireDeniedAction(t, err, "AccessDenied", "iam:TagRole")
	// Allowed to set a boundary, the request meets the emulator's own limit.
	_, err = tagger.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u3"), Tags: tags, PermissionsBoundary: boundary})
	testkit.RequireAWSError(t, err, "InvalidInput", 400)
}

func TestDependentActions_SQSTagQueue(t *testing.T) {
	srv := apitest.New(t)
	acct := srv.MemberAccount(t, "queues")
	ctx := context.Background()
	creator := sqs.NewFromConfig(srv.Config(testkit.CreateUser(t, srv, acct, "creator", allowActions("sqs:CreateQueue"))))
	_, err := creator.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("tagged"), Tags: map[string]string{"team": "blue"}})
	requireDeniedAction(t, err, "AccessDenied", "sqs:TagQueue")
	_, err = creator.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("plain")})
	require.NoError(t, err)

	tagger := sqs.NewFromConfig(srv.Config(testkit.CreateUser(t, srv, acct, "tagger", allowActions("sqs:CreateQueue", "sqs:TagQueue"))))
	_, err = tagger.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("tagged"), Tags: map[string]string{"team": "blue"}})
	require.NoError(t, err)
}

// TestDependentActions_AssumeRoleSourceIdentityAndTags: a source identity
// needs sts:SetSourceIdentity and session tags sts:TagSession, in the
// role's trust policy as well as (across accounts) the caller's policies.
func TestDependentActions_AssumeRoleSourceIdentityAndTags(t *testing.T) {
	srv := apitest.New(t)
	acct := srv.MemberAccount(t, "roles")
	ctx := context.Background()
	role := func(name string, trustActions ...string) string {
		list := `"sts:AssumeRole"`
		for _, a := range trustActions {
			list += `,"` + a + `"`
		}
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":[` + list + `]}]}`
		var arn string
		err := srv.Store.Update(ctx, func(tx *store.Tx) error {
			p, err := tx.AddPrincipal(store.Principal{AccountID: acct, Kind: store.PrincipalRole, Name: name, Path: "/",
				TrustPolicy: trust, MaxSessionDuration: 3600,
				Policies: map[string]string{"chain": allowActions("sts:AssumeRole", "sts:SetSourceIdentity"),
					"tagged": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:ListQueues","Resource":"*",` +
						`"Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}]}`}})
			arn = p.ARN
			return err
		})
		require.NoError(t, err)
		return arn
	}
	plain := role("plain")
	trusting := role("trusting", "sts:SetSourceIdentity", "sts:TagSession")
	caller := sts.NewFromConfig(srv.Config(testkit.CreateUser(t, srv, acct, "caller",
		allowActions("sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"))))

	_, err := caller.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(plain), RoleSessionName: aws.String("session"),
		SourceIdentity: aws.String("alice")})
	requireDeniedAction(t, err, "AccessDenied", "sts:SetSourceIdentity")
	_, err = caller.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(plain), RoleSessionName: aws.String("session"),
		Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})
	requireDeniedAction(t, err, "AccessDenied", "sts:TagSession")
	untagged, err := caller.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(plain), RoleSessionName: aws.String("session")})
	require.NoError(t, err)
	_, err = sqs.NewFromConfig(srv.Config(apitest.SessionCredentials(untagged.Credentials))).ListQueues(ctx, &sqs.ListQueuesInput{})
	requireDeniedAction(t, err, "AccessDenied", "sqs:ListQueues")

	out, err := caller.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(trusting), RoleSessionName: aws.String("session"),
		SourceIdentity: aws.String("alice"), Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}},
		TransitiveTagKeys: []string{"team"}})
	require.NoError(t, err)
	assert.Equal(t, "alice", aws.ToString(out.SourceIdentity))
	// Session tags are the session's aws:PrincipalTag keys.
	_, err = sqs.NewFromConfig(srv.Config(apitest.SessionCredentials(out.Credentials))).ListQueues(ctx, &sqs.ListQueuesInput{})
	require.NoError(t, err)

	// The session's source identity persists along the chain: assuming a
	// role whose trust policy does not allow setting it is refused.
	session := sts.NewFromConfig(srv.Config(apitest.SessionCredentials(out.Credentials)))
	_, err = session.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(plain), RoleSessionName: aws.String("chained")})
	requireDeniedAction(t, err, "AccessDenied", "sts:SetSourceIdentity")

	// A transitive key must be one of the session's tags.
	_, err = caller.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(trusting), RoleSessionName: aws.String("session"),
		Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}, TransitiveTagKeys: []string{"cost"}})
	testkit.RequireAWSError(t, err, "InvalidParameterValue", 400)
}
