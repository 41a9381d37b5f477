package policy_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/rootaccess/emulator/pkg/policy"
)

// resourceDoc allows everything on one Resource pattern.
func resourceDoc(t *testing.T, version, resource string) *policy.Document {
	t.Helper()
	v := ""
	if version != "" {
		v = fmt.Sprintf(`"Version":%q,`, version)
	}
	return mustParse(t, fmt.Sprintf(`{%s"Statement":{"Effect":"Allow","Action":"*","Resource":%q}}`, v, resource))
}

func TestResourceGlob(t *testing.T) {
	tests := []struct {
		pattern, resource string
		want              bool
	}{
		{"*", "arn:aws:s3:::anything", true},
		{"*", "*", true},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c.txt", true},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/", true},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", false},
		{"arn:aws:s3:::bucket*", "arn:aws:s3:::bucket-2/key", true},
		{"arn:aws:iam::*:root", "arn:aws:iam::222222222222:root", true},
		{"arn:aws:iam::*:root", "arn:aws:iam::222222222222:user/root", false},
		{"arn:aws:iam::*:root", "*", false},
		{"arn:aws:sqs:*:*:*", "arn:aws:sqs:us-east-1:222222222222:q", true},
		{"arn:aws:sqs:*:*:*", "arn:aws:s3:::b", false},
		// '?' is exactly one character.
		{"arn:aws:s3:::b?", "arn:aws:s3:::b1", true},
		{"arn:aws:s3:::b?", "arn:aws:s3:::b", false},
		{"arn:aws:s3:::b?", "arn:aws:s3:::b12", false},
		{"arn:aws:s3:::b?", "arn:aws:s3:::bé", true},
		// Dots and regex metacharacters are literal.
		{"arn:aws:s3:::my.bucket", "arn:aws:s3:::myXbucket", false},
		{"arn:aws:s3:::my.bucket", "arn:aws:s3:::my.bucket", true},
		{"arn:aws:s3:::a+b", "arn:aws:s3:::aab", false},
		{"arn:aws:s3:::a+b", "arn:aws:s3:::a+b", true},
		{"arn:aws:s3:::[ab]", "arn:aws:s3:::a", false},
		{"arn:aws:s3:::[ab]", "arn:aws:s3:::[ab]", true},
		{"arn:aws:s3:::(x|y)", "arn:aws:s3:::x", false},
		{"arn:aws:s3:::^x$", "arn:aws:s3:::^x$", true},
		{"arn:aws:s3:::x\\d", "arn:aws:s3:::x1", false},
		// Resource matching is case-sensitive.
		{"arn:aws:s3:::Bucket", "arn:aws:s3:::bucket", false},
		// Backtracking over several stars.
		{"arn:aws:s3:::*a*b*c", "arn:aws:s3:::xxaxxbxxbxxc", true},
		{"arn:aws:s3:::*a*b*c", "arn:aws:s3:::xxaxxbxxbxxd", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" vs "+tt.resource, func(t *testing.T) {
			got := resourceDoc(t, "2012-10-17", tt.pattern).Evaluate(policy.Request{Action: "s3:GetObject", Resource: tt.resource})
			assert.Equal(t, tt.want, got == policy.Allow)
		})
	}
}

func TestActionMatching(t *testing.T) {
	tests := []struct {
		policyAction, action string
		want                 bool
	}{
		{"iam:GetUser", "iam:GetUser", true},
		{"iam:GetUser", "IAM:getuser", true},
		{"IAM:GETUSER", "iam:GetUser", true},
		{"iam:Get*", "iam:GetAccountSummary", true},
		{"iam:get*", "iam:GetAccountSummary", true},
		{"iam:*", "iam:DeleteAccessKey", true},
		{"iam:*", "s3:GetObject", false},
		{"iam:Get?ser", "iam:GetUser", true},
		{"iam:GetUser", "iam:GetUsers", false},
		{"iam:GetUser", "iam:GetUse", false},
		{"s3:*Object", "s3:GetObject", true},
		{"s3:*Object", "s3:GetObjectAcl", false},
		{"*", "organizations:ListAccounts", true},
		{"iam:*", "iamx:GetUser", false},
	}
	for _, tt := range tests {
		t.Run(tt.policyAction+" vs "+tt.action, func(t *testing.T) {
			d := mustParse(t, fmt.Sprintf(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":%q,"Resource":"*"}}`, tt.policyAction))
			assert.Equal(t, tt.want, d.Evaluate(policy.Request{Action: tt.action, Resource: "*"}) == policy.Allow)
		})
	}
}

func TestPolicyVariablesInResource(t *testing.T) {
	ctx := map[string][]string{
		"aws:username":         {"alice"},
		"aws:PrincipalAccount": {"111122223333"},
		"aws:TagKeys":          {"a", "b"},
		// Multivalued by definition, even when the request holds one path.
		"aws:PrincipalOrgPaths": {"o-a/r-b/"},
	}
	tests := []struct {
		name, version, pattern, resource string
		want                             bool
	}{
		{"username", "2012-10-17", "arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/alice/f", true},
		{"username other user", "2012-10-17", "arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/bob/f", false},
		{"key lookup is case-insensitive", "2012-10-17", "arn:aws:s3:::home/${AWS:UserName}/*", "arn:aws:s3:::home/alice/f", true},
		// Variables are substituted only after the fifth colon (issue 11 item 2).
		{"account part is not substituted", "2012-10-17", "arn:aws:sqs:*:${aws:PrincipalAccount}:*", "arn:aws:sqs:us-east-1:111122223333:q", false},
		{"account part exact ARN", "2012-10-17", "arn:aws:sqs:us-east-1:${aws:PrincipalAccount}:q", "arn:aws:sqs:us-east-1:111122223333:q", false},
		{"account part is literal text", "2012-10-17", "arn:aws:sqs:us-east-1:${aws:PrincipalAccount}:q", "arn:aws:sqs:us-east-1:${aws:PrincipalAccount}:q", true},
		{"service part is not substituted", "2012-10-17", "arn:aws:${aws:username}:::b", "arn:aws:alice:::b", false},
		{"region part is not substituted", "2012-10-17", "arn:aws:sqs:${aws:username}:111122223333:q", "arn:aws:sqs:alice:111122223333:q", false},
		{"resource part after account is substituted", "2012-10-17", "arn:aws:sqs:us-east-1:111122223333:${aws:username}-q", "arn:aws:sqs:us-east-1:111122223333:alice-q", true},
		{"colon inside a resource-part variable name", "2012-10-17", "arn:aws:iam::111122223333:user/${aws:username}", "arn:aws:iam::111122223333:user/alice", true},
		{"resource part may itself contain colons", "2012-10-17", "arn:aws:logs:us-east-1:111122223333:log-group:${aws:username}:*", "arn:aws:logs:us-east-1:111122223333:log-group:alice:x", true},
		{"single-valued use of a multivalued key", "2012-10-17", "arn:aws:s3:::t/${aws:PrincipalOrgPaths}", "arn:aws:s3:::t/o-a/r-b/", false},
		{"missing key never matches", "2012-10-17", "arn:aws:s3:::home/${aws:userid}/*", "arn:aws:s3:::home/${aws:userid}/x", false},
		{"missing key with default", "2012-10-17", "arn:aws:s3:::home/${aws:userid, 'shared'}/*", "arn:aws:s3:::home/shared/x", true},
		{"present key ignores default", "2012-10-17", "arn:aws:s3:::home/${aws:username, 'shared'}/*", "arn:aws:s3:::home/alice/x", true},
		{"multivalued key is not a variable", "2012-10-17", "arn:aws:s3:::t/${aws:TagKeys}", "arn:aws:s3:::t/a", false},
		{"escape star is literal", "2012-10-17", "arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*", true},
		{"escape star does not glob", "2012-10-17", "arn:aws:s3:::b/${*}", "arn:aws:s3:::b/x", false},
		{"escape question", "2012-10-17", "arn:aws:s3:::b/${?}", "arn:aws:s3:::b/?", true},
		{"escape question does not glob", "2012-10-17", "arn:aws:s3:::b/${?}", "arn:aws:s3:::b/x", false},
		{"escape dollar", "2012-10-17", "arn:aws:s3:::b/${$}x", "arn:aws:s3:::b/$x", true},
		{"unterminated is literal", "2012-10-17", "arn:aws:s3:::b/${aws:username", "arn:aws:s3:::b/${aws:username", true},
		{"2008 version: literal", "2008-10-17", "arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/alice/f", false},
		{"2008 version: literal text matches", "2008-10-17", "arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/${aws:username}/f", true},
		{"no version: literal", "", "arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/alice/f", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := resourceDoc(t, tt.version, tt.pattern)
			got := d.Evaluate(policy.Request{Action: "s3:GetObject", Resource: tt.resource, Context: ctx})
			assert.Equal(t, tt.want, got == policy.Allow)
		})
	}
}

func TestNotResourceWithMissingVariable(t *testing.T) {
	// AWS: "the resource that includes a policy variable with no value will
	// not match any resource". For NotResource the element then matches no
	// request, so the statement does not apply — neither an Allow (which
	// would otherwise grant every other resource, issue 11 item 3) nor a
	// Deny.
	allow := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::b/home/${aws:username}/*"}}`)
	deny := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","NotResource":"arn:aws:s3:::home/${aws:username}/*"}}`)
	roleSession := policy.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/other/x"}
	assert.Equal(t, policy.ImplicitDeny, allow.Evaluate(roleSession), "Allow NotResource with unresolved variable must not grant")
	assert.Equal(t, policy.ImplicitDeny, deny.Evaluate(policy.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::other/x"}))

	user := func(res string) policy.Request {
		return policy.Request{Action: "s3:GetObject", Resource: res, Context: map[string][]string{"aws:username": {"alice"}}}
	}
	assert.Equal(t, policy.Allow, allow.Evaluate(user("arn:aws:s3:::b/other/x")), "resolved: applies outside the excluded path")
	assert.Equal(t, policy.ImplicitDeny, allow.Evaluate(user("arn:aws:s3:::b/home/alice/x")), "resolved: excluded path")
	assert.Equal(t, policy.ExplicitDeny, deny.Evaluate(user("arn:aws:s3:::other/x")))
	assert.Equal(t, policy.ImplicitDeny, deny.Evaluate(user("arn:aws:s3:::home/alice/x")))

	// A default makes the variable resolvable again.
	withDefault := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::b/home/${aws:username, 'nobody'}/*"}}`)
	assert.Equal(t, policy.Allow, withDefault.Evaluate(roleSession))

	// In a Resource list, the unresolvable entry matches nothing but the
	// other entries still count.
	list := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::b/home/${aws:username}/*","arn:aws:s3:::b/public/*"]}}`)
	assert.Equal(t, policy.Allow, list.Evaluate(policy.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/public/x"}))
	assert.Equal(t, policy.ImplicitDeny, list.Evaluate(policy.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/home/x/y"}))
}

// Match is the Resource glob without policy variables (S3 bucket-policy
// validation matches bucket names with it).
func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"my-bucket", "my-bucket", true},
		{"my-*", "my-bucket", true},
		{"my-*", "your-bucket", false},
		{"b?", "b1", true},
		{"b?", "b", false},
		{"b?", "b12", false},
		{"*-logs-??", "app-logs-01", true},
		{"My-Bucket", "my-bucket", false},   // case-sensitive
		{"${aws:username}", "alice", false}, // no policy variables
		{"a.b", "axb", false},               // '.' is literal
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, policy.Match(tt.pattern, tt.s), "Match(%q, %q)", tt.pattern, tt.s)
	}
}
