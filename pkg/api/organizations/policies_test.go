package organizations_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/policy"
)

const denyS3DeleteBucketPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteBucketPolicy","Resource":"*"}]}`

const denyOutsideOrgRCP = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*",
  "Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-placeholder"}}}]}`

func policyIDs(ps []types.PolicySummary) []string {
	var out []string
	for _, p := range ps {
		out = append(out, aws.ToString(p.Id))
	}
	return out
}

func TestOrganizations_PolicyTypes(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := orgClient(srv, srv.AdminCredentials())
	rootID := srv.RootID(t)
	ou := srv.CreateOU(t, rootID, "before")
	member := srv.MemberAccount(t, "member")

	roots, err := admin.ListRoots(ctx, &organizations.ListRootsInput{})
	require.NoError(t, err)
	assert.Empty(t, roots.Roots[0].PolicyTypes)

	_, err = admin.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String(policy.FullAWSAccess.ID), TargetId: aws.String(ou)})
	requireOrgError(t, err, "PolicyTypeNotEnabledException")

	enabled, err := admin.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: aws.String(rootID), PolicyType: types.PolicyTypeServiceControlPolicy})
	require.NoError(t, err)
	assert.Equal(t, []types.PolicyTypeSummary{{Type: types.PolicyTypeServiceControlPolicy, Status: types.PolicyTypeStatusEnabled}}, enabled.Root.PolicyTypes)
	_, err = admin.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: aws.String(rootID), PolicyType: types.PolicyTypeServiceControlPolicy})
	requireOrgError(t, err, "PolicyTypeAlreadyEnabledException")
	_, err = admin.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: aws.String("r-zzzz"), PolicyType: types.PolicyTypeResourceControlPolicy})
	requireOrgError(t, err, "RootNotFoundException")
	_, err = admin.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: aws.String(rootID), PolicyType: types.PolicyTypeTagPolicy})
	requireOrgError(t, err, "PolicyTypeNotAvailableForOrganizationException")
	_, err = orgClient(srv, srv.AdminCredentials(), orgNoClientValidation).EnablePolicyType(ctx,
		&organizations.EnablePolicyTypeInput{RootId: aws.String(rootID), PolicyType: "NOT_A_TYPE"})
	requireInvalidInput(t, err, types.InvalidInputExceptionReasonInvalidEnumPolicyType)

	// FullAWSAccess sits on the root, the OU made before, the accounts, and an OU made after.
	after := srv.CreateOU(t, rootID, "after")
	for _, target := range []string{rootID, ou, after, member, srv.ManagementAccountID()} {
		out, err := admin.ListPoliciesForTarget(ctx, &organizations.ListPoliciesForTargetInput{TargetId: aws.String(target), Filter: types.PolicyTypeServiceControlPolicy})
		require.NoError(t, err)
		assert.Equal(t, []string{"p-FullAWSAccess"}, policyIDs(out.Policies), "on %s", target)
	}
	targets, err := admin.ListTargetsForPolicy(ctx, &organizations.ListTargetsForPolicyInput{PolicyId: aws.String("p-FullAWSAccess")})
	require.NoError(t, err)
	assert.Len(t, targets.Targets, 5)

	desc, err := admin.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: aws.String("p-FullAWSAccess")})
	require.NoError(t, err)
	s := desc.Policy.PolicySummary
	assert.True(t, s.AwsManaged)
	assert.Equal(t, "FullAWSAccess", aws.ToString(s.Name))
	assert.Equal(t, "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess", aws.ToString(s.Arn))
	assert.JSONEq(t, policy.FullAWSAccess.Content, aws.ToString(desc.Policy.Content))

	// The last SCP of a target cannot go.
	_, err = admin.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: aws.String("p-FullAWSAccess"), TargetId: aws.String(ou)})
	requireConstraint(t, err, types.ConstraintViolationExceptionReasonMinPolicyTypeAttachmentLimitExceeded)

	// RCPs: RCPFullAWSAccess everywhere, never detachable.
	srv.EnablePolicyType(t, types.PolicyTypeResourceControlPolicy)
	rcps, err := admin.ListPoliciesForTarget(ctx, &organizations.ListPoliciesForTargetInput{TargetId: aws.String(member), Filter: types.PolicyTypeResourceControlPolicy})
	require.NoError(t, err)
	assert.Equal(t, []string{"p-RCPFullAWSAccess"}, policyIDs(rcps.Policies))
	_, err = admin.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: aws.String("p-RCPFullAWSAccess"), TargetId: aws.String(member)})
	requireInvalidInput(t, err, types.InvalidInputExceptionReasonNonDetachablePolicy)

	org, err := admin.DescribeOrganization(ctx, nil)
	require.NoError(t, err)
	assert.Len(t, org.Organization.AvailablePolicyTypes, 2)

	// Disabling detaches every policy of the type; the policies remain.
	deny := srv.AttachNewPolicy(t, types.PolicyTypeServiceControlPolicy, "deny", denyS3DeleteBucketPolicy, ou)
	disabled, err := admin.DisablePolicyType(ctx, &organizations.DisablePolicyTypeInput{RootId: aws.String(rootID), PolicyType: types.PolicyTypeServiceControlPolicy})
	require.NoError(t, err)
	assert.Equal(t, []types.PolicyTypeSummary{{Type: types.PolicyTypeResourceControlPolicy, Status: types.PolicyTypeStatusEnabled}}, disabled.Root.PolicyTypes)
	targets, err = admin.ListTargetsForPolicy(ctx, &organizations.ListTargetsForPolicyInput{PolicyId: aws.String(deny)})
	require.NoError(t, err)
	assert.Empty(t, targets.Targets)
	_, err = admin.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: aws.String(deny)})
	require.NoError(t, err)
	_, err = admin.DisablePolicyType(ctx, &organizations.DisablePolicyTypeInput{RootId: aws.String(rootID), PolicyType: types.PolicyTypeServiceControlPolicy})
	requireOrgError(t, err, "PolicyTypeNotEnabledException")
}

func TestOrganizations_Policies(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := orgClient(srv, srv.AdminCredentials())
	org, err := admin.DescribeOrganization(ctx, nil)
	require.NoError(t, err)
	orgID, mgmt := aws.ToString(org.Organization.Id), srv.ManagementAccountID()
	rootID := srv.RootID(t)
	ou := srv.CreateOU(t, rootID, "ou")

	created, err := admin.CreatePolicy(ctx, &organizations.CreatePolicyInput{Type: types.PolicyTypeServiceControlPolicy,
		Name: aws.String("deny-unlock"), Description: aws.String("no bucket policy deletion"), Content: aws.String(denyS3DeleteBucketPolicy),
		Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	require.NoError(t, err, "a policy type need not be enabled to create a policy")
	s := created.Policy.PolicySummary
	id := aws.ToString(s.Id)
	assert.Regexp(t, `^p-[0-9a-z]{8}$`, id)
	assert.Equal(t, "arn:aws:organizations::"+mgmt+":policy/"+orgID+"/service_control_policy/"+id, aws.ToString(s.Arn))
	assert.False(t, s.AwsManaged)
	assert.Equal(t, denyS3DeleteBucketPolicy, aws.ToString(created.Policy.Content))

	_, err = admin.CreatePolicy(ctx, &organizations.CreatePolicyInput{Type: types.PolicyTypeServiceControlPolicy,
		Name: aws.String("deny-unlock"), Description: aws.String(""), Content: aws.String(denyS3DeleteBucketPolicy)})
	requireOrgError(t, err, "DuplicatePolicyException")

	malformed := map[string]struct {
		typ     types.PolicyType
		content string
	}{
		"not JSON":                 {types.PolicyTypeServiceControlPolicy, `{"Version":`},
		"SCP with a Principal":     {types.PolicyTypeServiceControlPolicy, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}`},
		"SCP without Resource":     {types.PolicyTypeServiceControlPolicy, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*"}]}`},
		"RCP that allows":          {types.PolicyTypeResourceControlPolicy, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`},
		"RCP without Principal":    {types.PolicyTypeResourceControlPolicy, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`},
		"RCP for IAM":              {types.PolicyTypeResourceControlPolicy, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"iam:*","Resource":"*"}]}`},
		"SCP with an old Version":  {types.PolicyTypeServiceControlPolicy, `{"Version":"2008-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`},
		"RCP with Action wildcard": {types.PolicyTypeResourceControlPolicy, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`},
	}
	for name, c := range malformed {
		_, err := admin.CreatePolicy(ctx, &organizations.CreatePolicyInput{Type: c.typ, Name: aws.String(name),
			Description: aws.String(""), Content: aws.String(c.content)})
		requireOrgError(t, err, "MalformedPolicyDocumentException")
	}
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*","Sid":"` + strings.Repeat("a", 5200) + `"}]}`
	_, err = admin.CreatePolicy(ctx, &organizations.CreatePolicyInput{Type: types.PolicyTypeServiceControlPolicy, Name: aws.String("big"),
		Description: aws.String(""), Content: aws.String(big)})
	requireConstraint(t, err, types.ConstraintViolationExceptionReasonPolicyContentLimitExceeded)
	_, err = orgClient(srv, srv.AdminCredentials(), orgNoClientValidation).CreatePolicy(ctx, &organizations.CreatePolicyInput{
		Type: types.PolicyTypeServiceControlPolicy, Name: aws.String("no-description"), Content: aws.String(denyS3DeleteBucketPolicy)})
	requireInvalidInput(t, err, types.InvalidInputExceptionReasonInputRequired)

	// Update: name, description, content, each checked.
	updated, err := admin.UpdatePolicy(ctx, &organizations.UpdatePolicyInput{PolicyId: aws.String(id), Name: aws.String("renamed"),
		Description: aws.String("new words")})
	require.NoError(t, err)
	assert.Equal(t, "renamed", aws.ToString(updated.Policy.PolicySummary.Name))
	assert.Equal(t, "new words", aws.ToString(updated.Policy.PolicySummary.Description))
	assert.Equal(t, denyS3DeleteBucketPolicy, aws.ToString(updated.Policy.Content))
	_, err = admin.UpdatePolicy(ctx, &organizations.UpdatePolicyInput{PolicyId: aws.String(id), Content: aws.String(`{"Statement":[]`)})
	requireOrgError(t, err, "MalformedPolicyDocumentException")
	_, err = admin.UpdatePolicy(ctx, &organizations.UpdatePolicyInput{PolicyId: aws.String("p-FullAWSAccess"), Name: aws.String("mine")})
	requireInvalidInput(t, err, types.InvalidInputExceptionReasonImmutablePolicy)
	_, err = admin.UpdatePolicy(ctx, &organizations.UpdatePolicyInput{PolicyId: aws.String("p-abcdefgh"), Name: aws.String("x")})
	requireOrgError(t, err, "PolicyNotFoundException")
	_, err = admin.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: aws.String("p-abcdefgh")})
	requireOrgError(t, err, "PolicyNotFoundException")
	_, err = admin.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: aws.String("policy-1")})
	requireInvalidInput(t, err, types.InvalidInputExceptionReasonInvalidSyntaxPolicy)

	// Attach and detach.
	srv.EnablePolicyType(t, types.PolicyTypeServiceControlPolicy)
	_, err = admin.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String(id), TargetId: aws.String(ou)})
	require.NoError(t, err)
	_, err = admin.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String(id), TargetId: aws.String(ou)})
	requireOrgError(t, err, "DuplicatePolicyAttachmentException")
	_, err = admin.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String(id), TargetId: aws.String("ou-abcd-12345678")})
	requireOrgError(t, err, "TargetNotFoundException")
	_, err = admin.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String("p-abcdefgh"), TargetId: aws.String(ou)})
	requireOrgError(t, err, "PolicyNotFoundException")
	_, err = admin.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String(id), TargetId: aws.String("nope")})
	requireInvalidInput(t, err, types.InvalidInputExceptionReasonInvalidPatternTargetId)

	onOU, err := admin.ListPoliciesForTarget(ctx, &organizations.ListPoliciesForTargetInput{TargetId: aws.String(ou), Filter: types.PolicyTypeServiceControlPolicy})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"p-FullAWSAccess", id}, policyIDs(onOU.Policies))
	targets, err := admin.ListTargetsForPolicy(ctx, &organizations.ListTargetsForPolicyInput{PolicyId: aws.String(id)})
	require.NoError(t, err)
	assert.Equal(t, []types.PolicyTargetSummary{{TargetId: aws.String(ou), Name: aws.String("ou"), Type: types.TargetTypeOrganizationalUnit,
		Arn: aws.String("arn:aws:organizations::" + mgmt + ":ou/" + orgID + "/" + ou)}}, targets.Targets)

	_, err = admin.DeletePolicy(ctx, &organizations.DeletePolicyInput{PolicyId: aws.String(id)})
	requireOrgError(t, err, "PolicyInUseException")
	// With two SCPs on the OU, FullAWSAccess may go (an allow list).
	_, err = admin.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: aws.String("p-FullAWSAccess"), TargetId: aws.String(ou)})
	require.NoError(t, err)
	_, err = admin.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: aws.String("p-FullAWSAccess"), TargetId: aws.String(ou)})
	requireOrgError(t, err, "PolicyNotAttachedException")
	_, err = admin.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String("p-FullAWSAccess"), TargetId: aws.String(ou)})
	require.NoError(t, err)
	_, err = admin.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: aws.String(id), TargetId: aws.String(ou)})
	require.NoError(t, err)
	_, err = admin.DeletePolicy(ctx, &organizations.DeletePolicyInput{PolicyId: aws.String(id)})
	require.NoError(t, err)
	_, err = admin.DeletePolicy(ctx, &organizations.DeletePolicyInput{PolicyId: aws.String(id)})
	requireOrgError(t, err, "PolicyNotFoundException")
	_, err = admin.DeletePolicy(ctx, &organizations.DeletePolicyInput{PolicyId: aws.String("p-FullAWSAccess")})
	requireInvalidInput(t, err, types.InvalidInputExceptionReasonImmutablePolicy)

	// At most five SCPs on one target.
	for i := range 4 {
		srv.AttachNewPolicy(t, types.PolicyTypeServiceControlPolicy, fmt.Sprintf("p%d", i), denyS3DeleteBucketPolicy, ou)
	}
	sixth := srv.AttachNewPolicy(t, types.PolicyTypeServiceControlPolicy, "sixth", denyS3DeleteBucketPolicy)
	_, err = admin.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String(sixth), TargetId: aws.String(ou)})
	requireConstraint(t, err, types.ConstraintViolationExceptionReasonMaxPolicyTypeAttachmentLimitExceeded)
}

func TestOrganizations_ListPoliciesPaginators(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := orgClient(srv, srv.AdminCredentials())
	srv.EnablePolicyType(t, types.PolicyTypeServiceControlPolicy)
	ou := srv.CreateOU(t, srv.RootID(t), "ou")
	want := []string{"p-FullAWSAccess"}
	for i := range 4 {
		want = append(want, srv.AttachNewPolicy(t, types.PolicyTypeServiceControlPolicy, fmt.Sprintf("p%d", i), denyS3DeleteBucketPolicy, ou))
	}
	two := int32(2)
	var got []string
	for p := organizations.NewListPoliciesPaginator(admin, &organizations.ListPoliciesInput{Filter: types.PolicyTypeServiceControlPolicy, MaxResults: &two}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		assert.LessOrEqual(t, len(out.Policies), 2)
		got = append(got, policyIDs(out.Policies)...)
	}
	assert.ElementsMatch(t, want, got)
	rcps, err := admin.ListPolicies(ctx, &organizations.ListPoliciesInput{Filter: types.PolicyTypeResourceControlPolicy})
	require.NoError(t, err)
	assert.Equal(t, []string{"p-RCPFullAWSAccess"}, policyIDs(rcps.Policies))

	got = nil
	for p := organizations.NewListPoliciesForTargetPaginator(admin, &organizations.ListPoliciesForTargetInput{TargetId: aws.String(ou),
		Filter: types.PolicyTypeServiceControlPolicy, MaxResults: &two}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		got = append(got, policyIDs(out.Policies)...)
	}
	assert.ElementsMatch(t, want, got)

	var targets []string
	for p := organizations.NewListTargetsForPolicyPaginator(admin, &organizations.ListTargetsForPolicyInput{PolicyId: aws.String("p-FullAWSAccess"),
		MaxResults: aws.Int32(1)}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		for _, tg := range out.Targets {
			targets = append(targets, aws.ToString(tg.TargetId))
		}
	}
	assert.ElementsMatch(t, []string{srv.RootID(t), ou, srv.ManagementAccountID()}, targets)
}

func TestOrganizations_PoliciesNeedAllFeatures(t *testing.T) {
	srv := apitest.New(t, apitest.WithoutOrganization())
	ctx := context.Background()
	admin := orgClient(srv, srv.AdminCredentials())
	_, err := admin.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: types.OrganizationFeatureSetConsolidatedBilling})
	require.NoError(t, err)
	_, err = admin.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: aws.String(srv.RootID(t)), PolicyType: types.PolicyTypeServiceControlPolicy})
	requireOrgError(t, err, "PolicyTypeNotAvailableForOrganizationException")
	_, err = admin.CreatePolicy(ctx, &organizations.CreatePolicyInput{Type: types.PolicyTypeServiceControlPolicy,
		Name: aws.String("x"), Description: aws.String(""), Content: aws.String(denyS3DeleteBucketPolicy)})
	requireOrgError(t, err, "PolicyTypeNotAvailableForOrganizationException")
}
