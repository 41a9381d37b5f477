package iam_test

import (
	"context"
	"fmt"
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
	"github.com/rootaccess/emulator/pkg/policy"
)

const (
	allowListQueues = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:ListQueues","Resource":"*"}]}`
	denyListQueues  = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sqs:ListQueues","Resource":"*"}]}`
	allowNothing    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:GetQueueUrl","Resource":"arn:aws:sqs:*:*:none"}]}`
)

func createPolicy(t *testing.T, client *iam.Client, name, doc string) iamtypes.Policy {
	t.Helper()
	out, err := client.CreatePolicy(context.Background(), &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
	require.NoError(t, err)
	return *out.Policy
}

func TestIAMManaged_CreateGetDeletePolicy(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	acct := srv.ManagementAccountID()
	client := iam.NewFromConfig(srv.Config(srv.AdminCredentials()))

	out, err := client.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("Queues"), Path: aws.String("/team/"),
		PolicyDocument: aws.String(allowListQueues), Description: aws.String("lists queues"),
		Tags: []iamtypes.Tag{{Key: aws.String("env"), Value: aws.String("test")}}})
	require.NoError(t, err)
	p := out.Policy
	assert.Equal(t, "arn:aws:iam::"+acct+":policy/team/Queues", aws.ToString(p.Arn))
	assert.Regexp(t, `^ANPA[A-Z2-7]{17}$`, aws.ToString(p.PolicyId))
	assert.Equal(t, "v1", aws.ToString(p.DefaultVersionId))
	assert.Equal(t, "/team/", aws.ToString(p.Path))
	assert.True(t, p.IsAttachable)

	got, err := client.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: p.Arn})
	require.NoError(t, err)
	assert.Equal(t, "lists queues", aws.ToString(got.Policy.Description))
	require.Len(t, got.Policy.Tags, 1)
	assert.Equal(t, "env", aws.ToString(got.Policy.Tags[0].Key))
	assert.Equal(t, int32(0), aws.ToInt32(got.Policy.AttachmentCount))

	_, err = client.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("queues"), PolicyDocument: aws.String(allowListQueues)})
	var exists *iamtypes.EntityAlreadyExistsException
	require.ErrorAs(t, err, &exists, "names are unique whatever the case and path")
	_, err = client.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("Bad"), PolicyDocument: aws.String(`{"Statement":[]}`)})
	var malformed *iamtypes.MalformedPolicyDocumentException
	require.ErrorAs(t, err, &malformed)
	_, err = client.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("Huge"),
		PolicyDocument: aws.String(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::%0*d"}]}`, 6200, 0))})
	testkit.RequireAWSError(t, err, "LimitExceeded", 409)
	_, err = client.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("bad name"), PolicyDocument: aws.String(allowListQueues)})
	testkit.RequireAWSError(t, err, "ValidationError", 400)

	// Deleting: not while it has versions besides the default.
	_, err = client.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: p.Arn, PolicyDocument: aws.String(denyListQueues)})
	require.NoError(t, err)
	_, err = client.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: p.Arn})
	var conflict *iamtypes.DeleteConflictException
	require.ErrorAs(t, err, &conflict, "it has a second version")
	_, err = client.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: p.Arn, VersionId: aws.String("v2")})
	require.NoError(t, err)
	_, err = client.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: p.Arn})
	require.NoError(t, err)
	_, err = client.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: p.Arn})
	testkit.RequireAWSError(t, err, "NoSuchEntity", 404)
	_, err = client.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: p.Arn})
	testkit.RequireAWSError(t, err, "NoSuchEntity", 404)
	_, err = client.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(policy.AWSManagedARN("AdministratorAccess"))})
	testkit.RequireAWSError(t, err, "AccessDenied", 403)
}

func TestIAMManaged_Versions(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	client := iam.NewFromConfig(srv.Config(srv.AdminCredentials()))
	p := createPolicy(t, client, "Versioned", allowListQueues)

	for i := 2; i <= 5; i++ {
		v, err := client.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: p.Arn, PolicyDocument: aws.String(allowNothing), SetAsDefault: i == 3})
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("v%d", i), aws.ToString(v.PolicyVersion.VersionId))
		assert.Equal(t, i == 3, v.PolicyVersion.IsDefaultVersion)
	}
	_, err := client.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: p.Arn, PolicyDocument: aws.String(allowNothing)})
	testkit.RequireAWSError(t, err, "LimitExceeded", 409)
	_, err = client.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: p.Arn, PolicyDocument: aws.String(`{"Version":"2012-10-17"}`)})
	var malformed *iamtypes.MalformedPolicyDocumentException
	require.ErrorAs(t, err, &malformed)

	list, err := client.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: p.Arn})
	require.NoError(t, err)
	var ids []string
	for _, v := range list.Versions {
		ids = append(ids, aws.ToString(v.VersionId))
		assert.Nil(t, v.Document, "listings carry no document")
		assert.Equal(t, aws.ToString(v.VersionId) == "v3", v.IsDefaultVersion)
	}
	assert.Equal(t, []string{"v5", "v4", "v3", "v2", "v1"}, ids, "newest first")
	page, err := client.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: p.Arn, MaxItems: aws.Int32(2)})
	require.NoError(t, err)
	assert.True(t, page.IsTruncated)
	require.Len(t, page.Versions, 2)

	got, err := client.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: p.Arn, VersionId: aws.String("v1")})
	require.NoError(t, err)
	assert.Regexp(t, `^([A-Za-z0-9._~-]|%[0-9A-F]{2})+$`, aws.ToString(got.PolicyVersion.Document), "URL-encoded")
	doc, err := url.QueryUnescape(aws.ToString(got.PolicyVersion.Document))
	require.NoError(t, err)
	assert.JSONEq(t, allowListQueues, doc)
	assert.False(t, got.PolicyVersion.IsDefaultVersion)
	_, err = client.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: p.Arn, VersionId: aws.String("v9")})
	testkit.RequireAWSError(t, err, "NoSuchEntity", 404)

	_, err = client.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: p.Arn, VersionId: aws.String("v3")})
	var conflict *iamtypes.DeleteConflictException
	require.ErrorAs(t, err, &conflict, "the default version")
	_, err = client.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: p.Arn, VersionId: aws.String("v1")})
	require.NoError(t, err)
	_, err = client.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: p.Arn, VersionId: aws.String("v8")})
	testkit.RequireAWSError(t, err, "NoSuchEntity", 404)
	for _, v := range []string{"v2", "v3", "v4", "v5"} {
		_, err = client.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: p.Arn, VersionId: aws.String(v)})
		require.NoError(t, err)
	}
	v, err := client.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: p.Arn, PolicyDocument: aws.String(allowNothing)})
	require.NoError(t, err)
	assert.Equal(t, "v6", aws.ToString(v.PolicyVersion.VersionId), "version numbers are not reused")
	_, err = client.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: p.Arn, VersionId: aws.String("v2")})
	testkit.RequireAWSError(t, err, "NoSuchEntity", 404)

	// An AWS managed policy serves its default version only.
	admin := aws.String(policy.AWSManagedARN("AdministratorAccess"))
	got, err = client.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: admin, VersionId: aws.String("v1")})
	require.NoError(t, err)
	doc, err = url.QueryUnescape(aws.ToString(got.PolicyVersion.Document))
	require.NoError(t, err)
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, doc)
	_, err = client.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: admin, PolicyDocument: aws.String(allowNothing)})
	testkit.RequireAWSError(t, err, "AccessDenied", 403)
}

// TestIAMManaged_AttachedPoliciesDecide: a user is allowed what a managed
// policy attached to it or to its group allows, from the next request on;
// detaching takes it away, a new default version changes the decision, and
// a managed policy's Deny beats an inline Allow.
func TestIAMManaged_AttachedPoliciesDecide(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	acct := srv.ManagementAccountID()
	client := iam.NewFromConfig(srv.Config(srv.AdminCredentials()))
	queues := sqs.NewFromConfig(srv.Config(testkit.CreateUser(t, srv, acct, "alice", "")))
	allowed := func() bool {
		_, err := queues.ListQueues(ctx, &sqs.ListQueuesInput{})
		if err != nil {
			require.Equal(t, "AccessDenied", testkit.ErrorCode(err))
		}
		return err == nil
	}
	p := createPolicy(t, client, "Queues", allowListQueues)
	require.False(t, allowed())

	_, err := client.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: p.Arn})
	require.NoError(t, err)
	_, err = client.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: p.Arn})
	require.NoError(t, err, "attaching again changes nothing")
	assert.True(t, allowed(), "attached to the user")
	got, err := client.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: p.Arn})
	require.NoError(t, err)
	assert.Equal(t, int32(1), aws.ToInt32(got.Policy.AttachmentCount))

	// A new default version decides from the next request on.
	_, err = client.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: p.Arn, PolicyDocument: aws.String(allowNothing)})
	require.NoError(t, err)
	assert.True(t, allowed(), "a version that is not the default changes nothing")
	_, err = client.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: p.Arn, VersionId: aws.String("v2")})
	require.NoError(t, err)
	assert.False(t, allowed(), "the new default allows nothing")
	_, err = client.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: p.Arn, VersionId: aws.String("v1")})
	require.NoError(t, err)
	assert.True(t, allowed())

	_, err = client.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: p.Arn})
	require.NoError(t, err)
	assert.False(t, allowed(), "detached")
	_, err = client.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: p.Arn})
	testkit.RequireAWSError(t, err, "NoSuchEntity", 404)

	// Through a group.
	_, err = client.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("ops")})
	require.NoError(t, err)
	_, err = client.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("ops"), UserName: aws.String("alice")})
	require.NoError(t, err)
	_, err = client.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("ops"), PolicyArn: aws.String(policy.AWSManagedARN("AmazonSQSFullAccess"))})
	require.NoError(t, err)
	assert.True(t, allowed(), "an AWS managed policy attached to the user's group")

	// A managed policy's Deny beats an inline Allow.
	_, err = client.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("inline"), PolicyDocument: aws.String(allowListQueues)})
	require.NoError(t, err)
	deny := createPolicy(t, client, "DenyQueues", denyListQueues)
	_, err = client.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: deny.Arn})
	require.NoError(t, err)
	assert.False(t, allowed(), "the managed Deny wins")

	// Deleting what is attached, or what has attachments, is refused.
	var conflict *iamtypes.DeleteConflictException
	_, err = client.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: deny.Arn})
	require.ErrorAs(t, err, &conflict, "attached to alice")
	_, err = client.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("ops")})
	require.ErrorAs(t, err, &conflict)
	_, err = client.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("ops"), UserName: aws.String("alice")})
	require.NoError(t, err)
	_, err = client.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("ops")})
	require.ErrorAs(t, err, &conflict, "the group has an attached policy")
	assert.Contains(t, err.Error(), "must detach all policies first")
	_, err = client.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("inline")})
	require.NoError(t, err)
}

func TestIAMManaged_AttachmentsAndListings(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	acct := srv.ManagementAccountID()
	client := iam.NewFromConfig(srv.Config(srv.AdminCredentials()))
	testkit.CreateUser(t, srv, acct, "bob", "")
	_, err := client.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs"), Path: aws.String("/eng/")})
	require.NoError(t, err)
	role := "OrganizationAccountAccessRole"
	_, err = client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	require.NoError(t, err)
	role = "app"

	p := createPolicy(t, client, "Shared", allowListQueues)
	s3read := aws.String(policy.AWSManagedARN("AmazonS3ReadOnlyAccess"))
	for _, arn := range []*string{p.Arn, s3read} {
		_, err = client.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: arn})
		require.NoError(t, err)
		_, err = client.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: arn})
		require.NoError(t, err)
		_, err = client.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: arn})
		require.NoError(t, err)
	}
	user, err := client.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("bob")})
	require.NoError(t, err)
	require.Len(t, user.AttachedPolicies, 2)
	assert.Equal(t, "Shared", aws.ToString(user.AttachedPolicies[0].PolicyName))
	assert.Equal(t, "AmazonS3ReadOnlyAccess", aws.ToString(user.AttachedPolicies[1].PolicyName))
	roleList, err := client.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role), MaxItems: aws.Int32(1)})
	require.NoError(t, err)
	assert.True(t, roleList.IsTruncated)
	roleList, err = client.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role), MaxItems: aws.Int32(1), Marker: roleList.Marker})
	require.NoError(t, err)
	assert.Equal(t, "AmazonS3ReadOnlyAccess", aws.ToString(roleList.AttachedPolicies[0].PolicyName))
	group, err := client.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("devs"), PathPrefix: aws.String("/none/")})
	require.NoError(t, err)
	assert.Empty(t, group.AttachedPolicies)
	_, err = client.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("nobody")})
	testkit.RequireAWSError(t, err, "NoSuchEntity", 404)

	// The policy's side: ListEntitiesForPolicy reads the attachment index.
	ents, err := client.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: s3read})
	require.NoError(t, err)
	require.Len(t, ents.PolicyUsers, 1)
	assert.Equal(t, "bob", aws.ToString(ents.PolicyUsers[0].UserName))
	require.Len(t, ents.PolicyRoles, 1)
	assert.Equal(t, "app", aws.ToString(ents.PolicyRoles[0].RoleName))
	require.Len(t, ents.PolicyGroups, 1)
	assert.Equal(t, "devs", aws.ToString(ents.PolicyGroups[0].GroupName))
	ents, err = client.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: p.Arn, EntityFilter: iamtypes.EntityTypeRole})
	require.NoError(t, err)
	assert.Empty(t, ents.PolicyUsers)
	assert.Len(t, ents.PolicyRoles, 1)
	ents, err = client.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: p.Arn, PathPrefix: aws.String("/eng/")})
	require.NoError(t, err)
	assert.Len(t, ents.PolicyGroups, 1)
	assert.Empty(t, ents.PolicyUsers)
	var all []string
	paged := iam.NewListEntitiesForPolicyPaginator(client, &iam.ListEntitiesForPolicyInput{PolicyArn: p.Arn, MaxItems: aws.Int32(1)})
	for paged.HasMorePages() {
		page, err := paged.NextPage(ctx)
		require.NoError(t, err)
		for _, u := range page.PolicyUsers {
			all = append(all, aws.ToString(u.UserName))
		}
		for _, r := range page.PolicyRoles {
			all = append(all, aws.ToString(r.RoleName))
		}
		for _, g := range page.PolicyGroups {
			all = append(all, aws.ToString(g.GroupName))
		}
	}
	assert.ElementsMatch(t, []string{"bob", "app", "devs"}, all)
	_, err = client.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String("arn:aws:iam::" + acct + ":policy/Missing")})
	testkit.RequireAWSError(t, err, "NoSuchEntity", 404)

	// AttachmentCount is per account, also for AWS managed policies.
	got, err := client.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: s3read})
	require.NoError(t, err)
	assert.Equal(t, int32(3), aws.ToInt32(got.Policy.AttachmentCount))
	attached, err := client.ListPolicies(ctx, &iam.ListPoliciesInput{OnlyAttached: true})
	require.NoError(t, err)
	require.Len(t, attached.Policies, 2)
	assert.Equal(t, "AmazonS3ReadOnlyAccess", aws.ToString(attached.Policies[0].PolicyName))
	assert.Equal(t, "Shared", aws.ToString(attached.Policies[1].PolicyName))
	local, err := client.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal})
	require.NoError(t, err)
	require.Len(t, local.Policies, 1)
	assert.Equal(t, int32(3), aws.ToInt32(local.Policies[0].AttachmentCount))

	// Errors of attaching.
	_, err = client.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicy")})
	testkit.RequireAWSError(t, err, "NoSuchEntity", 404)
	_, err = client.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("nobody"), PolicyArn: p.Arn})
	testkit.RequireAWSError(t, err, "NoSuchEntity", 404)
	_, err = client.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(policy.ARN(policy.S3UnlockBucketPolicy))})
	testkit.RequireAWSError(t, err, "PolicyNotAttachable", 400)
	_, err = client.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: aws.String("not-a-policy-arn-at-all")})
	testkit.RequireAWSError(t, err, "InvalidInput", 400)
	for i := 3; i <= 10; i++ {
		extra := createPolicy(t, client, fmt.Sprintf("Extra%d", i), allowNothing)
		_, err = client.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: extra.Arn})
		require.NoError(t, err)
	}
	eleventh := createPolicy(t, client, "Extra11", allowNothing)
	_, err = client.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: eleventh.Arn})
	testkit.RequireAWSError(t, err, "LimitExceeded", 409)

	// A user or role with attached policies cannot be deleted.
	var conflict *iamtypes.DeleteConflictException
	_, err = client.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(role)})
	require.ErrorAs(t, err, &conflict)
	_, err = client.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")})
	require.ErrorAs(t, err, &conflict)
	for _, arn := range []*string{p.Arn, s3read} {
		_, err = client.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(role), PolicyArn: arn})
		require.NoError(t, err)
	}
	_, err = client.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(role)})
	require.NoError(t, err)
}

func TestIAMManaged_Tags(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	acct := srv.ManagementAccountID()
	client := iam.NewFromConfig(srv.Config(srv.AdminCredentials()))
	testkit.CreateUser(t, srv, acct, "carol", "")
	p := createPolicy(t, client, "Tagged", allowListQueues)
	tag := func(k, v string) iamtypes.Tag { return iamtypes.Tag{Key: aws.String(k), Value: aws.String(v)} }
	keys := func(tags []iamtypes.Tag) []string {
		out := []string{}
		for _, t := range tags {
			out = append(out, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
		}
		return out
	}

	_, err := client.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("carol"), Tags: []iamtypes.Tag{tag("team", "a"), tag("env", "dev")}})
	require.NoError(t, err)
	_, err = client.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("carol"), Tags: []iamtypes.Tag{tag("Team", "b")}})
	require.NoError(t, err, "a key differing only in case replaces the tag")
	list, err := client.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("carol")})
	require.NoError(t, err)
	assert.Equal(t, []string{"Team=b", "env=dev"}, keys(list.Tags))
	user, err := client.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("carol")})
	require.NoError(t, err)
	assert.Equal(t, []string{"Team=b", "env=dev"}, keys(user.User.Tags))
	_, err = client.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("carol"), TagKeys: []string{"team", "absent"}})
	require.NoError(t, err)
	list, err = client.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("carol"), MaxItems: aws.Int32(1)})
	require.NoError(t, err)
	assert.Equal(t, []string{"env=dev"}, keys(list.Tags))
	assert.False(t, list.IsTruncated)

	// Limits and rules.
	var many []iamtypes.Tag
	for i := range 49 {
		many = append(many, tag(fmt.Sprintf("k%02d", i), "v"))
	}
	_, err = client.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("carol"), Tags: many})
	require.NoError(t, err, "50 in all")
	_, err = client.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("carol"), Tags: []iamtypes.Tag{tag("one-more", "v")}})
	testkit.RequireAWSError(t, err, "LimitExceeded", 409)
	_, err = client.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("carol"), Tags: []iamtypes.Tag{tag("env", "prod")}})
	require.NoError(t, err, "replacing a tag at the limit")
	_, err = client.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("carol"), Tags: []iamtypes.Tag{tag("aws:reserved", "v")}})
	testkit.RequireAWSError(t, err, "InvalidInput", 400)
	_, err = client.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("carol"), Tags: []iamtypes.Tag{tag("bad*key", "v")}})
	testkit.RequireAWSError(t, err, "ValidationError", 400)
	_, err = client.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("nobody"), Tags: []iamtypes.Tag{tag("k", "v")}})
	testkit.RequireAWSError(t, err, "NoSuchEntity", 404)

	// Roles.
	_, err = client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("tagged"), Tags: []iamtypes.Tag{tag("a", "1")},
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	require.NoError(t, err)
	_, err = client.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("tagged"), Tags: []iamtypes.Tag{tag("b", "2")}})
	require.NoError(t, err)
	_, err = client.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("tagged"), TagKeys: []string{"a"}})
	require.NoError(t, err)
	roleTags, err := client.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("tagged")})
	require.NoError(t, err)
	assert.Equal(t, []string{"b=2"}, keys(roleTags.Tags))
	role, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("tagged")})
	require.NoError(t, err)
	assert.Equal(t, []string{"b=2"}, keys(role.Role.Tags))

	// Policies.
	_, err = client.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: p.Arn, Tags: []iamtypes.Tag{tag("owner", "me")}})
	require.NoError(t, err)
	policyTags, err := client.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: p.Arn})
	require.NoError(t, err)
	assert.Equal(t, []string{"owner=me"}, keys(policyTags.Tags))
	_, err = client.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: p.Arn, TagKeys: []string{"owner"}})
	require.NoError(t, err)
	got, err := client.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: p.Arn})
	require.NoError(t, err)
	assert.Empty(t, got.Policy.Tags)
	policyTags, err = client.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(policy.AWSManagedARN("PowerUserAccess"))})
	require.NoError(t, err)
	assert.Empty(t, policyTags.Tags)
}

// TestIAMManaged_TagConditions: aws:RequestTag, aws:TagKeys and
// aws:ResourceTag (iam:ResourceTag) are set for the tag calls and for
// calls on a tagged user.
func TestIAMManaged_TagConditions(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	acct := srv.ManagementAccountID()
	admin := iam.NewFromConfig(srv.Config(srv.AdminCredentials()))
	creds := testkit.CreateUser(t, srv, acct, "tagger", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["iam:TagUser","iam:UntagUser"],"Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}},
		{"Effect":"Allow","Action":"iam:ListUserTags","Resource":"*","Condition":{"StringEquals":{"iam:ResourceTag/team":"blue"}}},
		{"Effect":"Allow","Action":"iam:GetUser","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}}]}`)
	client := iam.NewFromConfig(srv.Config(creds))
	testkit.CreateUser(t, srv, acct, "target", "")
	_, err := client.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("target"), Tags: []iamtypes.Tag{{Key: aws.String("env"), Value: aws.String("x")}}})
	testkit.RequireAWSError(t, err, "AccessDenied", 403)
	_, err = client.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("target")})
	testkit.RequireAWSError(t, err, "AccessDenied", 403)
	_, err = client.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("target"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})
	require.NoError(t, err)
	_, err = client.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("target")})
	require.NoError(t, err, "the user now has team=blue")
	_, err = client.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("target")})
	require.NoError(t, err)
	_, err = client.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("target"), TagKeys: []string{"env"}})
	testkit.RequireAWSError(t, err, "AccessDenied", 403)
	_, err = client.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("target"), TagKeys: []string{"team"}})
	require.NoError(t, err)
	_, err = client.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("target")})
	testkit.RequireAWSError(t, err, "AccessDenied", 403)

	// CreatePolicy with tags also needs iam:TagPolicy.
	_, err = admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("x"), PolicyDocument: aws.String(allowNothing),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})
	require.NoError(t, err)
	creator := iam.NewFromConfig(srv.Config(testkit.CreateUser(t, srv, acct, "creator",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreatePolicy","Resource":"*"}]}`)))
	_, err = creator.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("y"), PolicyDocument: aws.String(allowNothing),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})
	testkit.RequireAWSError(t, err, "AccessDenied", 403)
	_, err = creator.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("y"), PolicyDocument: aws.String(allowNothing)})
	require.NoError(t, err)
}

func TestIAMManaged_AccountSummaryCounts(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	client := iam.NewFromConfig(srv.Config(srv.AdminCredentials()))
	summary := func() map[string]int32 {
		out, err := client.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
		require.NoError(t, err)
		return out.SummaryMap
	}
	before := summary()
	p := createPolicy(t, client, "Counted", allowNothing)
	_, err := client.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("counted")})
	require.NoError(t, err)
	_, err = client.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("counted"), PolicyArn: p.Arn})
	require.NoError(t, err)
	after := summary()
	assert.Equal(t, before["Policies"]+1, after["Policies"])
	assert.Equal(t, before["Groups"]+1, after["Groups"])
	assert.Equal(t, before["PolicyVersionsInUse"]+1, after["PolicyVersionsInUse"])
}

// TestIAMManaged_ListPoliciesPagesAcrossScopes: Scope=All pages through the
// AWS managed policies, then the account's own, whatever the page size.
func TestIAMManaged_ListPoliciesPagesAcrossScopes(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	client := iam.NewFromConfig(srv.Config(srv.AdminCredentials()))
	for _, name := range []string{"beta", "Alpha", "gamma"} {
		createPolicy(t, client, name, allowNothing)
	}
	awsCount := len(policy.AWSManagedPolicies()) + len(policy.TaskPolicies())
	for _, size := range []int32{1, 3, 4, int32(awsCount), int32(awsCount) + 1, 100} {
		var names []string
		p := iam.NewListPoliciesPaginator(client, &iam.ListPoliciesInput{MaxItems: aws.Int32(size)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			require.NoError(t, err)
			assert.LessOrEqual(t, len(page.Policies), int(size))
			for _, pol := range page.Policies {
				names = append(names, aws.ToString(pol.PolicyName))
			}
		}
		require.Len(t, names, awsCount+3, "page size %d", size)
		assert.Equal(t, []string{"Alpha", "beta", "gamma"}, names[awsCount:], "page size %d", size)
	}
	local, err := client.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal, MaxItems: aws.Int32(2)})
	require.NoError(t, err)
	assert.True(t, local.IsTruncated)
	require.Len(t, local.Policies, 2)
	assert.Equal(t, "Alpha", aws.ToString(local.Policies[0].PolicyName))
}
