package policy_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/policy"
)

func TestParseServiceControlPolicy(t *testing.T) {
	tests := []struct {
		name, doc string
		wantErr   string // substring of the error; "" = valid
	}{
		{"FullAWSAccess", policy.FullAWSAccess.Content, ""},
		{"deny with condition", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"Null":{"aws:AssumedRoot":"true"}}}}`, ""},
		// Full IAM language since September 2025: these were refused before.
		{"allow with condition", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/r"}}}}`, ""},
		{"allow with NotAction", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`, ""},
		{"allow with resource ARN", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}}`, ""},
		{"allow with NotResource", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::b/*"}}`, ""},
		{"wildcard in the middle of an action", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*BucketPolicy","Resource":"*"}}`, ""},
		{"no Version", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, ""},
		{"Principal", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}}`, "Principal"},
		{"NotPrincipal", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"123456789012"},"Action":"*","Resource":"*"}}`, "NotPrincipal"},
		{"no Resource", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*"}}`, "must contain resources"},
		{"legacy Version", `{"Version":"2008-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`, "2012-10-17"},
		{"not JSON", `{"Version":`, "Syntax errors"},
		{"bad action", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"DeleteBucket","Resource":"*"}}`, "vendor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := policy.ParseAs([]byte(tt.doc), policy.ServiceControlPolicy)
			if tt.wantErr == "" {
				require.NoError(t, err)
				require.NotNil(t, d)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, policy.ErrMalformed)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestParseResourceControlPolicy(t *testing.T) {
	tests := []struct {
		name, doc string
		wantErr   string
	}{
		{"deny outside org", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":["s3:*","sqs:*","sts:*","kms:*","secretsmanager:*"],"Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-aa111bb222"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}}`, ""},
		{"NotResource", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","NotResource":"arn:aws:s3:::public/*"}}`, ""},
		{"wildcard anywhere in the action name", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"sqs:*Message*","Resource":"*"}}`, ""},
		{"service prefix is case-insensitive", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"S3:GetObject","Resource":"*"}}`, ""},
		{"Allow is reserved to RCPFullAWSAccess", policy.RCPFullAWSAccess.Content, "Effect must be Deny"},
		{"Principal AWS star", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"*"}}`, `only specify "*"`},
		{"Principal account", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":{"AWS":"123456789012"},"Action":"s3:*","Resource":"*"}}`, `only specify "*"`},
		{"no Principal", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*"}}`, "must contain the Principal"},
		{"NotPrincipal", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"123456789012"},"Action":"s3:*","Resource":"*"}}`, "NotPrincipal"},
		{"NotAction", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","NotAction":"s3:GetObject","Resource":"*"}}`, "NotAction"},
		{"bare star action", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}}`, `cannot use "*"`},
		{"unsupported service", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"ec2:RunInstances","Resource":"*"}}`, `"ec2"`},
		{"no Resource", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*"}}`, "must contain resources"},
		{"legacy Version", `{"Version":"2008-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}}`, "2012-10-17"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := policy.ParseAs([]byte(tt.doc), policy.ResourceControlPolicy)
			if tt.wantErr == "" {
				require.NoError(t, err)
				require.NotNil(t, d)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, policy.ErrMalformed)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestOrganizationPolicySizeLimit(t *testing.T) {
	// Pad the Sid so the document is exactly n characters long.
	docOfSize := func(n int, kind policy.Kind) string {
		head := `{"Version":"2012-10-17","Statement":{"Sid":"`
		tail := `","Effect":"Deny","Action":"s3:GetObject","Resource":"*"}}`
		if kind == policy.ResourceControlPolicy {
			tail = `","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*"}}`
		}
		return head + strings.Repeat("a", n-len(head)-len(tail)) + tail
	}
	for _, kind := range []policy.Kind{policy.ServiceControlPolicy, policy.ResourceControlPolicy} {
		t.Run(kind.String(), func(t *testing.T) {
			_, err := policy.ParseAs([]byte(docOfSize(policy.MaxOrganizationPolicySize, kind)), kind)
			require.NoError(t, err, "exactly the maximum is accepted")

			_, err = policy.ParseAs([]byte(docOfSize(policy.MaxOrganizationPolicySize+1, kind)), kind)
			require.Error(t, err)
			assert.ErrorIs(t, err, policy.ErrPolicyTooLarge)
			assert.False(t, errors.Is(err, policy.ErrMalformed), "too large is a ConstraintViolation, not a malformed document")

			// Whitespace counts; characters, not bytes, are counted.
			spaced := strings.Replace(docOfSize(policy.MaxOrganizationPolicySize-1, kind), `"Sid"`, ` "Sid"`, 1)
			_, err = policy.ParseAs([]byte(spaced), kind)
			require.NoError(t, err)
			_, err = policy.ParseAs([]byte(strings.Replace(spaced, ` "Sid"`, `  "Sid"`, 1)), kind)
			assert.ErrorIs(t, err, policy.ErrPolicyTooLarge)
			multiByte := strings.Replace(docOfSize(policy.MaxOrganizationPolicySize, kind), "aaa", "ééé", 1)
			_, err = policy.ParseAs([]byte(multiByte), kind)
			assert.NoError(t, err, "é is one character")
		})
	}
	// Identity policies are not subject to the Organizations limit.
	_, err := policy.ParseAs([]byte(docOfSize(policy.MaxOrganizationPolicySize+100, policy.ServiceControlPolicy)), policy.IdentityPolicy)
	assert.NoError(t, err)
}

func TestOrganizationManagedPolicies(t *testing.T) {
	scp := policy.FullAWSAccess
	assert.Equal(t, "p-FullAWSAccess", scp.ID)
	assert.Equal(t, "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess", scp.ARN)
	assert.Equal(t, "FullAWSAccess", scp.Name)
	assert.Equal(t, "Allows access to every operation", scp.Description)
	assert.Equal(t, policy.TypeServiceControlPolicy, scp.Type)
	assert.Equal(t, "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"*\",\n      \"Resource\": \"*\"\n    }\n  ]\n}", scp.Content)
	_, err := policy.ParseAs([]byte(scp.Content), policy.ServiceControlPolicy)
	assert.NoError(t, err, "FullAWSAccess is a valid SCP")

	rcp := policy.RCPFullAWSAccess
	assert.Equal(t, "p-RCPFullAWSAccess", rcp.ID)
	assert.Equal(t, "arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess", rcp.ARN)
	assert.Equal(t, "RCPFullAWSAccess", rcp.Name)
	assert.Equal(t, policy.TypeResourceControlPolicy, rcp.Type)
	assert.Contains(t, rcp.Content, `"Principal": "*"`)

	for _, p := range []policy.OrganizationManagedPolicy{scp, rcp} {
		got, ok := policy.OrganizationManagedPolicyByID(p.ID)
		require.True(t, ok)
		assert.Equal(t, p.ARN, got.ARN)
		require.NotNil(t, got.Document())
		req := policy.Request{Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:222222222222:q", Principal: userB}
		assert.Equal(t, policy.Allow, got.Document().Evaluate(req), "%s allows everything", p.Name)
	}
	assert.Equal(t, "o-aa111bb222/r-ab12/", policy.OrganizationPath("o-aa111bb222", "r-ab12"))
	assert.Equal(t, "o-aa111bb222/r-ab12/ou-ab12-11111111/ou-ab12-22222222/",
		policy.OrganizationPath("o-aa111bb222", "r-ab12", "ou-ab12-11111111", "ou-ab12-22222222"))

	_, ok := policy.OrganizationManagedPolicyByID("p-fullawsaccess")
	assert.False(t, ok, "ids are case-sensitive")

	assert.True(t, policy.RCPSupportsService("s3"))
	assert.True(t, policy.RCPSupportsService("STS"))
	assert.False(t, policy.RCPSupportsService("iam"))
	assert.False(t, policy.RCPSupportsService("organizations"))
}

const (
	member  = "222222222222"
	sibling = "333333333333"
	outside = "999999999999"
)

var (
	memberRoot        = policy.Principal{ARN: "arn:aws:iam::" + member + ":root", Account: member}
	memberUser        = policy.Principal{ARN: "arn:aws:iam::" + member + ":user/dev", Account: member}
	outsideUser       = policy.Principal{ARN: "arn:aws:iam::" + outside + ":user/eve", Account: outside}
	memberBucket      = "arn:aws:s3:::member-bucket"
	rootUserDenySCP   = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyRootUnlessAssumedRoot","Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":["arn:aws:iam::*:root"]},"Null":{"aws:AssumedRoot":"true"}}}]}`
	denyUnlockSCP     = `{"Version":"2012-10-17","Statement":{"Sid":"NoUnlock","Effect":"Deny","Action":"s3:DeleteBucketPolicy","Resource":"*"}}`
	s3OnlySCP         = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`
	denyOutsideOrgRCP = `{"Version":"2012-10-17","Statement":{"Sid":"EnforceOrgIdentities","Effect":"Deny","Principal":"*","Action":["s3:*","sqs:*"],"Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-aa111bb222"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}}`
)

func scpDoc(t *testing.T, text string) *policy.Document {
	t.Helper()
	d, err := policy.ParseAs([]byte(text), policy.ServiceControlPolicy)
	require.NoError(t, err)
	return d
}

func rcpDoc(t *testing.T, text string) *policy.Document {
	t.Helper()
	d, err := policy.ParseAs([]byte(text), policy.ResourceControlPolicy)
	require.NoError(t, err)
	return d
}

func TestDecideServiceControlPolicies(t *testing.T) {
	full := policy.FullAWSAccess.Document()
	allowAll := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)
	denyAllIdentity := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`)
	unlock, ok := policy.TaskPolicy(policy.ARN(policy.S3UnlockBucketPolicy))
	require.True(t, ok)

	rootSession := func(action string) policy.Request {
		return policy.Request{Action: action, Resource: memberBucket, Principal: memberRoot,
			Context: map[string][]string{"aws:AssumedRoot": {"true"}}}
	}
	legacyRoot := func(action string) policy.Request {
		return policy.Request{Action: action, Resource: memberBucket, Principal: memberRoot}
	}
	userReq := func(action string) policy.Request {
		return policy.Request{Action: action, Resource: memberBucket, Principal: memberUser}
	}
	levels := func(docs ...[]*policy.Document) [][]*policy.Document { return docs }
	one := func(d ...*policy.Document) []*policy.Document { return d }

	tests := []struct {
		name     string
		req      policy.Request
		p        policy.Policies
		want     policy.Decision
		deniedBy policy.PolicyType
		reason   string
		sid      string
	}{
		{"FullAWSAccess at every level lets identity allow through", userReq("s3:GetObject"),
			policy.Policies{Identity: one(allowAll), SCP: levels(one(full), one(full), one(full))},
			policy.Allow, policy.NoPolicy, "", ""},
		{"SCPs never grant", userReq("s3:GetObject"),
			policy.Policies{SCP: levels(one(full), one(full), one(full))},
			policy.ImplicitDeny, policy.IdentityBased, "because no identity-based policy allows the s3:GetObject action", ""},
		{"a level without any Allow denies", userReq("s3:GetObject"),
			policy.Policies{Identity: one(allowAll), SCP: levels(one(full), one(scpDoc(t, denyUnlockSCP)), one(full))},
			policy.ImplicitDeny, policy.ServiceControl, "because no service control policy allows the s3:GetObject action", ""},
		{"a level with no policies at all denies", userReq("s3:GetObject"),
			policy.Policies{Identity: one(allowAll), SCP: levels(one(full), nil, one(full))},
			policy.ImplicitDeny, policy.ServiceControl, "because no service control policy allows the s3:GetObject action", ""},
		{"allow list at the OU admits its actions", userReq("s3:GetObject"),
			policy.Policies{Identity: one(allowAll), SCP: levels(one(full), one(scpDoc(t, s3OnlySCP)), one(full))},
			policy.Allow, policy.NoPolicy, "", ""},
		{"allow list at the OU refuses other actions", userReq("iam:GetUser"),
			policy.Policies{Identity: one(allowAll), SCP: levels(one(full), one(scpDoc(t, s3OnlySCP)), one(full))},
			policy.ImplicitDeny, policy.ServiceControl, "because no service control policy allows the iam:GetUser action", ""},
		{"SCP's missing allow is reported before the identity side's", userReq("iam:GetUser"),
			policy.Policies{SCP: levels(one(full), one(scpDoc(t, s3OnlySCP)), one(full))},
			policy.ImplicitDeny, policy.ServiceControl, "because no service control policy allows the iam:GetUser action", ""},
		{"explicit deny at one level wins over FullAWSAccess", userReq("s3:DeleteBucketPolicy"),
			policy.Policies{Identity: one(allowAll), SCP: levels(one(full), one(full, scpDoc(t, denyUnlockSCP)), one(full))},
			policy.ExplicitDeny, policy.ServiceControl, "with an explicit deny in a service control policy", "NoUnlock"},
		{"SCP deny is reported before an identity deny", userReq("s3:DeleteBucketPolicy"),
			policy.Policies{Identity: one(denyAllIdentity), SCP: levels(one(full, scpDoc(t, denyUnlockSCP)), one(full))},
			policy.ExplicitDeny, policy.ServiceControl, "with an explicit deny in a service control policy", "NoUnlock"},
		{"explicit deny anywhere beats a level that lacks an allow", userReq("s3:DeleteBucketPolicy"),
			policy.Policies{Identity: one(allowAll), SCP: levels(one(full), nil, one(full, scpDoc(t, denyUnlockSCP)))},
			policy.ExplicitDeny, policy.ServiceControl, "with an explicit deny in a service control policy", "NoUnlock"},
		{"member root user is subject to SCPs", legacyRoot("s3:DeleteBucketPolicy"),
			policy.Policies{RootIdentity: true, SCP: levels(one(full), one(full, scpDoc(t, denyUnlockSCP)), one(full))},
			policy.ExplicitDeny, policy.ServiceControl, "with an explicit deny in a service control policy", "NoUnlock"},
		{"root session is subject to SCPs", rootSession("s3:DeleteBucketPolicy"),
			policy.Policies{RootIdentity: true, Session: one(unlock.Document), SCP: levels(one(full), one(full, scpDoc(t, denyUnlockSCP)), one(full))},
			policy.ExplicitDeny, policy.ServiceControl, "with an explicit deny in a service control policy", "NoUnlock"},
		{"root session in a sibling OU without the deny", rootSession("s3:DeleteBucketPolicy"),
			policy.Policies{RootIdentity: true, Session: one(unlock.Document), SCP: levels(one(full), one(full), one(full))},
			policy.Allow, policy.NoPolicy, "", ""},
		{"AWS sample SCP lets the AssumeRoot session unlock", rootSession("s3:DeleteBucketPolicy"),
			policy.Policies{RootIdentity: true, Session: one(unlock.Document), SCP: levels(one(full), one(full, scpDoc(t, rootUserDenySCP)), one(full))},
			policy.Allow, policy.NoPolicy, "", ""},
		{"AWS sample SCP refuses the legacy root key", legacyRoot("s3:DeleteBucketPolicy"),
			policy.Policies{RootIdentity: true, SCP: levels(one(full), one(full, scpDoc(t, rootUserDenySCP)), one(full))},
			policy.ExplicitDeny, policy.ServiceControl, "with an explicit deny in a service control policy", "DenyRootUnlessAssumedRoot"},
		{"AWS sample SCP does not restrict IAM users", userReq("s3:DeleteBucketPolicy"),
			policy.Policies{Identity: one(allowAll), SCP: levels(one(full), one(full, scpDoc(t, rootUserDenySCP)), one(full))},
			policy.Allow, policy.NoPolicy, "", ""},
		{"task policy still limits the root session under FullAWSAccess", rootSession("s3:GetObject"),
			policy.Policies{RootIdentity: true, Session: one(unlock.Document), SCP: levels(one(full), one(full))},
			policy.ExplicitDeny, policy.SessionPolicy, "with an explicit deny in a session policy", "DenyAllOtherActionsOnAnyResource"},
		{"no levels: SCPs do not apply (management account)", legacyRoot("s3:DeleteBucketPolicy"),
			policy.Policies{RootIdentity: true},
			policy.Allow, policy.NoPolicy, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := policy.Decide(tt.req, tt.p)
			assert.Equal(t, tt.want, res.Decision)
			assert.Equal(t, tt.deniedBy, res.DeniedBy)
			assert.Equal(t, tt.reason, res.Reason(tt.req.Action))
			if tt.sid != "" {
				assert.Equal(t, tt.sid, res.Statement)
			}
		})
	}
}

func TestDecideResourceControlPolicies(t *testing.T) {
	full := policy.RCPFullAWSAccess.Document()
	scpFull := policy.FullAWSAccess.Document()
	bucketGrantsOutside := mustParseResource(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+outside+`:user/eve"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::member-bucket/*"}}`)
	bucketGrantsSvc := mustParseResource(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::member-bucket/*"}}`)
	allowAll := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)
	denyTLS := rcpDoc(t, `{"Version":"2012-10-17","Statement":{"Sid":"TLSOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"BoolIfExists":{"aws:SecureTransport":"false"}}}}`)
	denyOutside := rcpDoc(t, denyOutsideOrgRCP)
	one := func(d ...*policy.Document) []*policy.Document { return d }
	levels := func(docs ...[]*policy.Document) [][]*policy.Document { return docs }
	object := memberBucket + "/k"

	outsideReq := policy.Request{Action: "s3:GetObject", Resource: object, Principal: outsideUser,
		Context: map[string][]string{"aws:PrincipalIsAWSService": {"false"}}}
	inOrgReq := policy.Request{Action: "s3:GetObject", Resource: object, Principal: memberUser,
		Context: map[string][]string{"aws:PrincipalOrgID": {"o-aa111bb222"}, "aws:PrincipalIsAWSService": {"false"}}}
	serviceReq := policy.Request{Action: "s3:PutObject", Resource: object, Principal: policy.Principal{Service: "logging.s3.amazonaws.com"},
		Context: map[string][]string{"aws:PrincipalIsAWSService": {"true"}}}

	tests := []struct {
		name     string
		req      policy.Request
		p        policy.Policies
		want     policy.Decision
		deniedBy policy.PolicyType
		reason   string
	}{
		{"RCPFullAWSAccess lets a cross-account grant through", outsideReq,
			policy.Policies{Identity: one(allowAll), Resource: one(bucketGrantsOutside), CrossAccount: true, RCP: levels(one(full), one(full))},
			policy.Allow, policy.NoPolicy, ""},
		{"RCPs never grant", outsideReq,
			policy.Policies{CrossAccount: true, RCP: levels(one(full), one(full))},
			policy.ImplicitDeny, policy.IdentityBased, "because no identity-based policy allows the s3:GetObject action"},
		{"deny-outside-org RCP blocks another organization's principal", outsideReq,
			policy.Policies{Identity: one(allowAll), Resource: one(bucketGrantsOutside), CrossAccount: true, RCP: levels(one(full, denyOutside), one(full))},
			policy.ExplicitDeny, policy.ResourceControl, "with an explicit deny in a resource control policy"},
		{"deny-outside-org RCP admits the organization's principal", inOrgReq,
			policy.Policies{Identity: one(allowAll), RCP: levels(one(full, denyOutside), one(full))},
			policy.Allow, policy.NoPolicy, ""},
		{"deny-outside-org RCP admits AWS service principals", serviceReq,
			policy.Policies{Resource: one(bucketGrantsSvc), CrossAccount: true, RCP: levels(one(full, denyOutside), one(full))},
			policy.ImplicitDeny, policy.IdentityBased, "because no identity-based policy allows the s3:PutObject action"},
		{"RCP applies to the owning account's root", policy.Request{Action: "s3:GetObject", Resource: object, Principal: memberRoot,
			Context: map[string][]string{"aws:SecureTransport": {"false"}}},
			policy.Policies{RootIdentity: true, RCP: levels(one(full), one(full, denyTLS))},
			policy.ExplicitDeny, policy.ResourceControl, "with an explicit deny in a resource control policy"},
		{"RCP deny is reported before an SCP deny", outsideReq,
			policy.Policies{Identity: one(allowAll), Resource: one(bucketGrantsOutside), CrossAccount: true,
				SCP: levels(one(scpFull, scpDoc(t, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*"}}`))),
				RCP: levels(one(full, denyOutside))},
			policy.ExplicitDeny, policy.ResourceControl, "with an explicit deny in a resource control policy"},
		{"a level without RCPFullAWSAccess denies implicitly", inOrgReq,
			policy.Policies{Identity: one(allowAll), RCP: levels(one(full), one(denyOutside))},
			policy.ImplicitDeny, policy.ResourceControl, "because no resource control policy allows the s3:GetObject action"},
		{"the RCP's missing allow is reported before the SCP's", inOrgReq,
			policy.Policies{Identity: one(allowAll), SCP: levels(nil), RCP: levels(nil)},
			policy.ImplicitDeny, policy.ResourceControl, "because no resource control policy allows the s3:GetObject action"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := policy.Decide(tt.req, tt.p)
			assert.Equal(t, tt.want, res.Decision)
			assert.Equal(t, tt.deniedBy, res.DeniedBy)
			assert.Equal(t, tt.reason, res.Reason(tt.req.Action))
		})
	}
}

func mustParseResource(t *testing.T, text string) *policy.Document {
	t.Helper()
	d, err := policy.ParseAs([]byte(text), policy.ResourcePolicy)
	require.NoError(t, err)
	return d
}

// The global condition keys organization policies use are plain context
// keys; these pin the operators they are used with.
func TestOrganizationConditionKeys(t *testing.T) {
	paths := func(p ...string) map[string][]string {
		m := map[string][]string{"aws:PrincipalOrgPaths": p}
		return m
	}
	runCondCases(t, []condCase{
		{"org paths ForAnyValue:StringLike under OU", "ForAnyValue:StringLike", "aws:PrincipalOrgPaths", `["o-aa111bb222/r-ab12/ou-ab12-11111111/*"]`,
			paths("o-aa111bb222/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"), true},
		{"org paths ForAnyValue:StringLike other OU", "ForAnyValue:StringLike", "aws:PrincipalOrgPaths", `["o-aa111bb222/r-ab12/ou-ab12-11111111/*"]`,
			paths("o-aa111bb222/r-ab12/ou-ab12-33333333/"), false},
		{"org paths ForAnyValue:StringLike one of several", "ForAnyValue:StringLike", "aws:PrincipalOrgPaths", `"o-aa111bb222/r-ab12/ou-ab12-11111111/*"`,
			paths("o-aa111bb222/r-ab12/ou-ab12-33333333/", "o-aa111bb222/r-ab12/ou-ab12-11111111/"), true},
		{"org paths ForAllValues:StringLike one outside", "ForAllValues:StringLike", "aws:PrincipalOrgPaths", `"o-aa111bb222/r-ab12/ou-ab12-11111111/*"`,
			paths("o-aa111bb222/r-ab12/ou-ab12-33333333/", "o-aa111bb222/r-ab12/ou-ab12-11111111/"), false},
		{"org paths ForAllValues missing key holds", "ForAllValues:StringLike", "aws:PrincipalOrgPaths", `"o-aa111bb222/*"`, ctx(), true},
		{"org paths ForAnyValue missing key fails", "ForAnyValue:StringLike", "aws:PrincipalOrgPaths", `"o-aa111bb222/*"`, ctx(), false},
		{"org paths ForAnyValue:StringNotLike", "ForAnyValue:StringNotLike", "aws:ResourceOrgPaths", `"o-aa111bb222/r-ab12/ou-ab12-11111111/*"`,
			ctx("aws:ResourceOrgPaths", "o-aa111bb222/r-ab12/ou-ab12-33333333/"), true},
		{"Null false on multivalued key present", "Null", "aws:PrincipalOrgPaths", `"false"`, paths("o-aa111bb222/r-ab12/"), true},
		{"Null true on multivalued key absent", "Null", "aws:PrincipalOrgPaths", `"true"`, ctx(), true},
		{"Null true on multivalued key present", "Null", "aws:PrincipalOrgPaths", `"true"`, paths("o-aa111bb222/r-ab12/"), false},
		{"principal org id", "StringEquals", "aws:PrincipalOrgID", `"o-aa111bb222"`, ctx("aws:PrincipalOrgID", "o-aa111bb222"), true},
		{"principal org id missing", "StringNotEquals", "aws:PrincipalOrgID", `"o-aa111bb222"`, ctx(), true},
		{"principal org id IfExists missing", "StringNotEqualsIfExists", "aws:PrincipalOrgID", `"o-aa111bb222"`, ctx(), true},
		{"resource org id", "StringEquals", "aws:ResourceOrgID", `"${aws:PrincipalOrgID}"`, ctx("aws:ResourceOrgID", "o-aa111bb222", "aws:PrincipalOrgID", "o-aa111bb222"), true},
		{"resource org id other org", "StringNotEquals", "aws:ResourceOrgID", `"${aws:PrincipalOrgID}"`, ctx("aws:ResourceOrgID", "o-aa111bb222", "aws:PrincipalOrgID", "o-zz999yy888"), true},
		{"assumed root Bool", "Bool", "aws:AssumedRoot", `"true"`, ctx("aws:AssumedRoot", "true"), true},
		{"assumed root Bool JSON true", "Bool", "aws:AssumedRoot", `true`, ctx("aws:AssumedRoot", "true"), true},
		{"assumed root Bool absent", "Bool", "aws:AssumedRoot", `"true"`, ctx(), false},
		{"assumed root BoolIfExists false absent", "BoolIfExists", "aws:AssumedRoot", `"false"`, ctx(), true},
		{"assumed root Null", "Null", "aws:AssumedRoot", `"true"`, ctx(), true},
		{"assumed root Null in a root session", "Null", "aws:AssumedRoot", `"true"`, ctx("aws:AssumedRoot", "true"), false},
		{"principal arn ArnLike root of any account", "ArnLike", "aws:PrincipalArn", `"arn:aws:iam::*:root"`, ctx("aws:PrincipalArn", "arn:aws:iam::222222222222:root"), true},
		{"principal arn ArnLike root vs user", "ArnLike", "aws:PrincipalArn", `"arn:aws:iam::*:root"`, ctx("aws:PrincipalArn", "arn:aws:iam::222222222222:user/root"), false},
		{"principal arn ArnNotLike role path", "ArnNotLike", "aws:PrincipalArn", `"arn:aws:iam::*:role/OrganizationAccountAccessRole"`,
			ctx("aws:PrincipalArn", "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"), false},
		{"principal arn ArnNotLike missing key holds", "ArnNotLike", "aws:PrincipalArn", `"arn:aws:iam::*:root"`, ctx(), true},
		{"account wildcard does not cross a colon", "ArnLike", "aws:PrincipalArn", `"arn:aws:iam::*"`, ctx("aws:PrincipalArn", "arn:aws:iam::222222222222:root"), false},
		{"resource account equals principal account", "StringEquals", "aws:ResourceAccount", `"${aws:PrincipalAccount}"`,
			ctx("aws:ResourceAccount", "222222222222", "aws:PrincipalAccount", "222222222222"), true},
	})
	// aws:PrincipalArn and aws:PrincipalAccount come from the Principal when
	// the caller did not set them.
	d := scpDoc(t, rootUserDenySCP)
	assert.Equal(t, policy.ExplicitDeny, d.Evaluate(policy.Request{Action: "iam:GetUser", Resource: "*", Principal: memberRoot}))
	assert.Equal(t, policy.ImplicitDeny, d.Evaluate(policy.Request{Action: "iam:GetUser", Resource: "*", Principal: memberUser}))
}

// AWS, "Policy variables with no value": condition operators like
// StringEquals or StringLike do not match a variable with no value;
// "inverted condition operators like StringNotEquals or StringNotLike do
// match against a null value". Its example: a Deny with StringNotEquals
// s3:ExistingObjectTag/Team vs ${aws:PrincipalTag/Team} denies when the
// principal has no Team tag.
func TestUnresolvedVariableInConditions(t *testing.T) {
	awsExample := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*",
		 "Condition":{"StringNotEquals":{"s3:ExistingObjectTag/Team":"${aws:PrincipalTag/Team}"}}}]}`)
	req := func(kv ...string) policy.Request {
		return policy.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::amzn-s3-demo-bucket/k", Context: ctx(kv...)}
	}
	assert.Equal(t, policy.ExplicitDeny, awsExample.Evaluate(req("s3:ExistingObjectTag/Team", "blue")), "no principal tag: denied")
	assert.Equal(t, policy.ImplicitDeny, awsExample.Evaluate(req("s3:ExistingObjectTag/Team", "blue", "aws:PrincipalTag/Team", "blue")), "same team")
	assert.Equal(t, policy.ExplicitDeny, awsExample.Evaluate(req("s3:ExistingObjectTag/Team", "blue", "aws:PrincipalTag/Team", "red")), "other team")

	runCondCases(t, []condCase{
		{"StringEquals unresolved", "StringEquals", "s3:prefix", `"home/${aws:username}"`, ctx("s3:prefix", "home/"), false},
		{"StringLike unresolved", "StringLike", "s3:prefix", `"home/${aws:username}/*"`, ctx("s3:prefix", "home/x/y"), false},
		{"StringNotLike unresolved", "StringNotLike", "s3:prefix", `"home/${aws:username}/*"`, ctx("s3:prefix", "home/x/y"), true},
		{"ArnEquals unresolved", "ArnEquals", "aws:SourceArn", `"arn:aws:iam::1:user/${aws:username}"`, ctx("aws:SourceArn", "arn:aws:iam::1:user/x"), false},
		{"ArnNotLike unresolved", "ArnNotLike", "aws:SourceArn", `"arn:aws:iam::1:user/${aws:username}"`, ctx("aws:SourceArn", "arn:aws:iam::1:user/x"), true},
		{"ForAllValues:StringEquals unresolved", "ForAllValues:StringEquals", "aws:TagKeys", `["${aws:PrincipalTag/k}"]`, ctx("aws:TagKeys", "a"), false},
		{"ForAllValues:StringNotEquals unresolved", "ForAllValues:StringNotEquals", "aws:TagKeys", `["${aws:PrincipalTag/k}"]`, ctx("aws:TagKeys", "a", "aws:TagKeys", "b"), true},
		{"ForAnyValue:StringEquals unresolved", "ForAnyValue:StringEquals", "aws:TagKeys", `["${aws:PrincipalTag/k}"]`, ctx("aws:TagKeys", "a"), false},
		{"unresolved with default", "StringEquals", "s3:prefix", `"home/${aws:username, 'shared'}"`, ctx("s3:prefix", "home/shared"), true},
		{"one resolvable alternative still matches", "StringEquals", "s3:prefix", `["home/${aws:username}","public"]`, ctx("s3:prefix", "public"), true},
		{"negated with a matching resolvable alternative", "StringNotEquals", "s3:prefix", `["home/${aws:username}","public"]`, ctx("s3:prefix", "public"), false},
	})
}
