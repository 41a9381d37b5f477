package iam_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
)

func groupNames(groups []iamtypes.Group) []string {
	out := []string{}
	for _, g := range groups {
		out = append(out, aws.ToString(g.GroupName))
	}
	return out
}

func TestIAM_Groups(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	acct := srv.ManagementAccountID()
	client := iam.NewFromConfig(srv.Config(srv.AdminCredentials()))

	created, err := client.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("Developers"), Path: aws.String("/eng/")})
	require.NoError(t, err)
	g := created.Group
	assert.Equal(t, "arn:aws:iam::"+acct+":group/eng/Developers", aws.ToString(g.Arn))
	assert.Regexp(t, `^AGPA[A-Z2-7]{17}$`, aws.ToString(g.GroupId))
	_, err = client.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("developers")})
	var exists *iamtypes.EntityAlreadyExistsException
	require.ErrorAs(t, err, &exists, "group names are unique whatever the case")
	_, err = client.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("Ops")})
	require.NoError(t, err)

	list, err := client.ListGroups(ctx, &iam.ListGroupsInput{})
	require.NoError(t, err)
	assert.Equal(t, []string{"Developers", "Ops"}, groupNames(list.Groups))
	list, err = client.ListGroups(ctx, &iam.ListGroupsInput{PathPrefix: aws.String("/eng/")})
	require.NoError(t, err)
	assert.Equal(t, []string{"Developers"}, groupNames(list.Groups))
	list, err = client.ListGroups(ctx, &iam.ListGroupsInput{MaxItems: aws.Int32(1)})
	require.NoError(t, err)
	assert.True(t, list.IsTruncated)
	list, err = client.ListGroups(ctx, &iam.ListGroupsInput{MaxItems: aws.Int32(1), Marker: list.Marker})
	require.NoError(t, err)
	assert.Equal(t, []string{"Ops"}, groupNames(list.Groups))

	// Members.
	userCreds := testkit.CreateUser(t, srv, acct, "alice", "")
	testkit.CreateUser(t, srv, acct, "bob", "")
	for _, u := range []string{"alice", "bob", "alice"} {
		_, err = client.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("developers"), UserName: aws.String(u)})
		require.NoError(t, err, "adding a member again changes nothing")
	}
	_, err = client.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("Ops"), UserName: aws.String("alice")})
	require.NoError(t, err)
	got, err := client.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("Developers")})
	require.NoError(t, err)
	assert.Equal(t, "Developers", aws.ToString(got.Group.GroupName))
	require.Len(t, got.Users, 2)
	assert.Equal(t, "alice", aws.ToString(got.Users[0].UserName))
	assert.Equal(t, "bob", aws.ToString(got.Users[1].UserName))
	forUser, err := client.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	assert.Equal(t, []string{"Developers", "Ops"}, groupNames(forUser.Groups))

	// A group's inline policy applies to its members, from the next request on.
	queues := sqs.NewFromConfig(srv.Config(userCreds))
	_, err = queues.ListQueues(ctx, &sqs.ListQueuesInput{})
	assert.Equal(t, "AccessDenied", testkit.ErrorCode(err))
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:ListQueues","Resource":"*"}]}`
	_, err = client.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("Ops"), PolicyName: aws.String("queues"), PolicyDocument: aws.String(doc)})
	require.NoError(t, err)
	_, err = queues.ListQueues(ctx, &sqs.ListQueuesInput{})
	require.NoError(t, err)
	pol, err := client.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String("Ops"), PolicyName: aws.String("queues")})
	require.NoError(t, err)
	decoded, err := url.QueryUnescape(aws.ToString(pol.PolicyDocument))
	require.NoError(t, err)
	assert.JSONEq(t, doc, decoded)
	names, err := client.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: aws.String("Ops")})
	require.NoError(t, err)
	assert.Equal(t, []string{"queues"}, names.PolicyNames)
	_, err = client.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("Ops"), PolicyName: aws.String("bad"), PolicyDocument: aws.String(`{"Statement":[]}`)})
	var malformed *iamtypes.MalformedPolicyDocumentException
	require.ErrorAs(t, err, &malformed)

	// Leaving the group takes its permissions away.
	_, err = client.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("Ops"), UserName: aws.String("alice")})
	require.NoError(t, err)
	_, err = queues.ListQueues(ctx, &sqs.ListQueuesInput{})
	assert.Equal(t, "AccessDenied", testkit.ErrorCode(err))
	_, err = client.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("Ops"), UserName: aws.String("alice")})
	var noSuch *iamtypes.NoSuchEntityException
	require.ErrorAs(t, err, &noSuch, "not a member")

	// Deletion rules.
	_, err = client.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("Developers")})
	var conflict *iamtypes.DeleteConflictException
	require.ErrorAs(t, err, &conflict, "it has users")
	_, err = client.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("Ops")})
	require.ErrorAs(t, err, &conflict, "it has a policy")
	_, err = client.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")})
	require.ErrorAs(t, err, &conflict, "bob is in a group")
	_, err = client.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("Ops"), PolicyName: aws.String("queues")})
	require.NoError(t, err)
	_, err = client.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("Ops"), PolicyName: aws.String("queues")})
	require.ErrorAs(t, err, &noSuch)
	_, err = client.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("Ops")})
	require.NoError(t, err)
	_, err = client.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("Ops")})
	require.ErrorAs(t, err, &noSuch)
	_, err = client.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("Developers"), UserName: aws.String("nobody")})
	require.ErrorAs(t, err, &noSuch)
	_, err = client.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("nobody")})
	require.ErrorAs(t, err, &noSuch)

	// Ten groups a user at most.
	for i := range 9 {
		name := "g" + string(rune('a'+i))
		_, err = client.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(name)})
		require.NoError(t, err)
		_, err = client.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(name), UserName: aws.String("alice")})
		require.NoError(t, err)
	}
	_, err = client.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("eleventh")})
	require.NoError(t, err)
	_, err = client.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("eleventh"), UserName: aws.String("alice")})
	var limit *iamtypes.LimitExceededException
	require.ErrorAs(t, err, &limit)

	// Over the raw query protocol, the XML the CLI reads.
	r := testkit.PostQuery(t, srv, srv.AdminCredentials(), "iam", "Action=GetGroup&Version=2010-05-08&GroupName=Developers")
	require.Equal(t, 200, r.Status, r.Body)
	assert.Contains(t, r.Body, "<GetGroupResult><Group><Path>/eng/</Path><GroupName>Developers</GroupName>")
	assert.Contains(t, r.Body, "<Users><member><Path>/</Path><UserName>alice</UserName>")
}
