package policy_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/rootaccess/emulator/pkg/policy"
)

// condCase evaluates an Allow statement whose only condition is
// {op: {key: values}} against a context. want is whether the condition holds.
type condCase struct {
	name   string
	op     string
	key    string
	values string // JSON value (string, number, bool or list)
	ctx    map[string][]string
	want   bool
}

func runCondCases(t *testing.T, cases []condCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{%q:{%q:%s}}}}`,
				tc.op, tc.key, tc.values)
			d := mustParse(t, doc)
			got := d.Evaluate(policy.Request{Action: "s3:GetObject", Resource: "*", Context: tc.ctx})
			assert.Equal(t, tc.want, got == policy.Allow, doc)
		})
	}
}

func ctx(kv ...string) map[string][]string {
	m := map[string][]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = append(m[kv[i]], kv[i+1])
	}
	return m
}

func TestStringOperators(t *testing.T) {
	runCondCases(t, []condCase{
		{"equals", "StringEquals", "aws:username", `"alice"`, ctx("aws:username", "alice"), true},
		{"equals is case-sensitive", "StringEquals", "aws:username", `"Alice"`, ctx("aws:username", "alice"), false},
		{"equals values OR", "StringEquals", "aws:username", `["bob","alice"]`, ctx("aws:username", "alice"), true},
		{"equals star is literal", "StringEquals", "aws:username", `"*"`, ctx("aws:username", "alice"), false},
		{"equals missing key", "StringEquals", "aws:username", `"alice"`, nil, false},
		{"key lookup case-insensitive", "StringEquals", "AWS:USERNAME", `"alice"`, ctx("aws:username", "alice"), true},
		{"not equals", "StringNotEquals", "aws:username", `"bob"`, ctx("aws:username", "alice"), true},
		{"not equals none of", "StringNotEquals", "aws:username", `["bob","alice"]`, ctx("aws:username", "alice"), false},
		{"not equals missing key is true", "StringNotEquals", "aws:username", `"bob"`, nil, true},
		{"ignore case", "StringEqualsIgnoreCase", "aws:username", `"ALICE"`, ctx("aws:username", "alice"), true},
		{"not equals ignore case", "StringNotEqualsIgnoreCase", "aws:username", `"ALICE"`, ctx("aws:username", "alice"), false},
		{"like", "StringLike", "s3:prefix", `"home/*"`, ctx("s3:prefix", "home/alice/"), true},
		{"like question", "StringLike", "s3:prefix", `"a?c"`, ctx("s3:prefix", "abc"), true},
		{"like dot literal", "StringLike", "s3:prefix", `"a.c"`, ctx("s3:prefix", "abc"), false},
		{"like case-sensitive", "StringLike", "s3:prefix", `"HOME/*"`, ctx("s3:prefix", "home/x"), false},
		{"not like", "StringNotLike", "aws:PrincipalArn", `"arn:aws:iam::*:root"`, ctx("aws:PrincipalArn", "arn:aws:iam::1:user/x"), true},
		{"not like matches", "StringNotLike", "aws:PrincipalArn", `"arn:aws:iam::*:root"`, ctx("aws:PrincipalArn", "arn:aws:iam::1:root"), false},
		{"not like missing key is true", "StringNotLike", "aws:PrincipalArn", `"arn:aws:iam::*:root"`, nil, true},
		{"like with variable", "StringLike", "s3:prefix", `"home/${aws:username}/*"`, ctx("s3:prefix", "home/alice/x", "aws:username", "alice"), true},
		{"equals with variable", "StringEquals", "aws:ResourceAccount", `"${aws:PrincipalAccount}"`, ctx("aws:ResourceAccount", "1", "aws:PrincipalAccount", "1"), true},
		{"equals with missing variable", "StringEquals", "aws:ResourceAccount", `"${aws:PrincipalAccount}"`, ctx("aws:ResourceAccount", "1"), false},
		{"not equals with missing variable", "StringNotEquals", "aws:ResourceAccount", `"${aws:PrincipalAccount}"`, ctx("aws:ResourceAccount", "1"), true},
		{"empty value list counts as missing", "StringEquals", "k", `"v"`, map[string][]string{"k": {}}, false},
	})
}

func TestIfExistsAndNull(t *testing.T) {
	runCondCases(t, []condCase{
		{"IfExists missing key → true", "StringEqualsIfExists", "ec2:InstanceType", `"t3.micro"`, nil, true},
		{"IfExists present, match", "StringEqualsIfExists", "ec2:InstanceType", `"t3.micro"`, ctx("ec2:InstanceType", "t3.micro"), true},
		{"IfExists present, no match", "StringEqualsIfExists", "ec2:InstanceType", `"t3.micro"`, ctx("ec2:InstanceType", "m5.large"), false},
		{"negated IfExists missing key → true", "StringNotEqualsIfExists", "aws:ResourceAccount", `["${aws:PrincipalAccount}"]`, ctx("aws:PrincipalAccount", "1"), true},
		{"negated IfExists same account", "StringNotEqualsIfExists", "aws:ResourceAccount", `["${aws:PrincipalAccount}"]`, ctx("aws:PrincipalAccount", "1", "aws:ResourceAccount", "1"), false},
		{"negated IfExists other account", "StringNotEqualsIfExists", "aws:ResourceAccount", `["${aws:PrincipalAccount}"]`, ctx("aws:PrincipalAccount", "1", "aws:ResourceAccount", "2"), true},
		{"NumericLessThanIfExists missing", "NumericLessThanIfExists", "s3:max-keys", `10`, nil, true},
		{"BoolIfExists present false", "BoolIfExists", "aws:MultiFactorAuthPresent", `true`, ctx("aws:MultiFactorAuthPresent", "false"), false},
		{"Null true, key absent", "Null", "aws:AssumedRoot", `"true"`, nil, true},
		{"Null true, key present", "Null", "aws:AssumedRoot", `"true"`, ctx("aws:AssumedRoot", "true"), false},
		{"Null false, key present", "Null", "aws:AssumedRoot", `false`, ctx("aws:AssumedRoot", "true"), true},
		{"Null false, key absent", "Null", "aws:AssumedRoot", `false`, nil, false},
		{"Null true, empty value list", "Null", "aws:TagKeys", `true`, map[string][]string{"aws:TagKeys": {}}, true},
		{"Null both values", "Null", "k", `["true","false"]`, nil, true},
		{"Null garbage value", "Null", "k", `"maybe"`, nil, false},
	})
}

func TestNumericOperators(t *testing.T) {
	runCondCases(t, []condCase{
		{"equals", "NumericEquals", "s3:max-keys", `10`, ctx("s3:max-keys", "10"), true},
		{"equals float forms", "NumericEquals", "s3:max-keys", `"10.0"`, ctx("s3:max-keys", "10"), true},
		{"not equals", "NumericNotEquals", "s3:max-keys", `10`, ctx("s3:max-keys", "11"), true},
		{"not equals same", "NumericNotEquals", "s3:max-keys", `10`, ctx("s3:max-keys", "10"), false},
		{"not equals missing", "NumericNotEquals", "s3:max-keys", `10`, nil, true},
		{"less than", "NumericLessThan", "s3:max-keys", `10`, ctx("s3:max-keys", "9"), true},
		{"less than equal boundary", "NumericLessThan", "s3:max-keys", `10`, ctx("s3:max-keys", "10"), false},
		{"less than equals", "NumericLessThanEquals", "s3:max-keys", `10`, ctx("s3:max-keys", "10"), true},
		{"greater than", "NumericGreaterThan", "s3:max-keys", `10`, ctx("s3:max-keys", "11"), true},
		{"greater than equals", "NumericGreaterThanEquals", "s3:max-keys", `10`, ctx("s3:max-keys", "9"), false},
		{"missing key", "NumericLessThan", "s3:max-keys", `10`, nil, false},
		{"unparsable request", "NumericLessThan", "s3:max-keys", `10`, ctx("s3:max-keys", "ten"), false},
		{"unparsable policy", "NumericEquals", "s3:max-keys", `"ten"`, ctx("s3:max-keys", "10"), false},
	})
}

func TestDateOperators(t *testing.T) {
	now := ctx("aws:CurrentTime", "2026-03-12T10:00:00Z", "aws:EpochTime", "1773309600")
	runCondCases(t, []condCase{
		{"less than", "DateLessThan", "aws:CurrentTime", `"2026-12-31T23:59:59Z"`, now, true},
		{"less than past", "DateLessThan", "aws:CurrentTime", `"2020-01-01T00:00:00Z"`, now, false},
		{"greater than", "DateGreaterThan", "aws:CurrentTime", `"2020-01-01T00:00:00Z"`, now, true},
		{"equals other zone", "DateEquals", "aws:CurrentTime", `"2026-03-12T11:00:00+01:00"`, now, true},
		{"not equals", "DateNotEquals", "aws:CurrentTime", `"2026-03-12T10:00:01Z"`, now, true},
		{"less than equals boundary", "DateLessThanEquals", "aws:CurrentTime", `"2026-03-12T10:00:00Z"`, now, true},
		{"greater than equals boundary", "DateGreaterThanEquals", "aws:CurrentTime", `"2026-03-12T10:00:00Z"`, now, true},
		{"date only", "DateGreaterThan", "aws:CurrentTime", `"2026-03-12"`, now, true},
		{"epoch policy value", "DateEquals", "aws:CurrentTime", `1773309600`, now, true},
		{"epoch request value", "DateLessThan", "aws:EpochTime", `"2026-03-12T10:00:01Z"`, now, true},
		{"fractional seconds", "DateLessThan", "aws:CurrentTime", `"2026-03-12T10:00:00.5Z"`, now, true},
		{"missing key (no implicit now)", "DateLessThan", "aws:CurrentTime", `"2099-01-01T00:00:00Z"`, nil, false},
		{"missing key negated", "DateNotEquals", "aws:CurrentTime", `"2099-01-01T00:00:00Z"`, nil, true},
		{"bad policy date", "DateLessThan", "aws:CurrentTime", `"tomorrow"`, now, false},
	})
}

func TestBoolBinaryIPOperators(t *testing.T) {
	runCondCases(t, []condCase{
		{"bool true", "Bool", "aws:SecureTransport", `true`, ctx("aws:SecureTransport", "true"), true},
		{"bool string", "Bool", "aws:SecureTransport", `"false"`, ctx("aws:SecureTransport", "false"), true},
		{"bool mismatch", "Bool", "aws:SecureTransport", `"false"`, ctx("aws:SecureTransport", "true"), false},
		{"bool case-insensitive", "Bool", "aws:SecureTransport", `"TRUE"`, ctx("aws:SecureTransport", "true"), true},
		{"bool missing", "Bool", "aws:SecureTransport", `"false"`, nil, false},
		{"binary equals", "BinaryEquals", "k", `"QmluYXJ5VmFsdWU="`, ctx("k", "QmluYXJ5VmFsdWU="), true},
		{"binary differs", "BinaryEquals", "k", `"QmluYXJ5VmFsdWU="`, ctx("k", "T3RoZXI="), false},
		{"ip in cidr", "IpAddress", "aws:SourceIp", `"203.0.113.0/24"`, ctx("aws:SourceIp", "203.0.113.7"), true},
		{"ip outside cidr", "IpAddress", "aws:SourceIp", `"203.0.113.0/24"`, ctx("aws:SourceIp", "203.0.114.7"), false},
		{"ip bare address", "IpAddress", "aws:SourceIp", `"203.0.113.7"`, ctx("aws:SourceIp", "203.0.113.7"), true},
		{"ip list OR", "IpAddress", "aws:SourceIp", `["10.0.0.0/8","203.0.113.0/24"]`, ctx("aws:SourceIp", "10.1.2.3"), true},
		{"ipv6", "IpAddress", "aws:SourceIp", `"2001:db8::/32"`, ctx("aws:SourceIp", "2001:db8::1"), true},
		{"ipv4-mapped request", "IpAddress", "aws:SourceIp", `"203.0.113.0/24"`, ctx("aws:SourceIp", "::ffff:203.0.113.7"), true},
		{"not ip", "NotIpAddress", "aws:SourceIp", `"203.0.113.0/24"`, ctx("aws:SourceIp", "198.51.100.1"), true},
		{"not ip inside", "NotIpAddress", "aws:SourceIp", `"203.0.113.0/24"`, ctx("aws:SourceIp", "203.0.113.1"), false},
		{"not ip missing", "NotIpAddress", "aws:SourceIp", `"203.0.113.0/24"`, nil, true},
		{"ip missing", "IpAddress", "aws:SourceIp", `"203.0.113.0/24"`, nil, false},
		{"bad cidr never matches", "IpAddress", "aws:SourceIp", `"300.0.0.0/8"`, ctx("aws:SourceIp", "10.0.0.1"), false},
	})
}

func TestArnOperators(t *testing.T) {
	root := ctx("aws:PrincipalArn", "arn:aws:iam::222222222222:root")
	user := ctx("aws:PrincipalArn", "arn:aws:iam::222222222222:user/root")
	runCondCases(t, []condCase{
		{"like root", "ArnLike", "aws:PrincipalArn", `"arn:aws:iam::*:root"`, root, true},
		{"like root vs user named root", "ArnLike", "aws:PrincipalArn", `"arn:aws:iam::*:root"`, user, false},
		{"equals behaves like ArnLike", "ArnEquals", "aws:PrincipalArn", `"arn:aws:iam::*:root"`, root, true},
		{"not like", "ArnNotLike", "aws:PrincipalArn", `"arn:aws:iam::*:root"`, user, true},
		{"not like root", "ArnNotLike", "aws:PrincipalArn", `"arn:aws:iam::*:root"`, root, false},
		{"not equals missing", "ArnNotEquals", "aws:PrincipalArn", `"arn:aws:iam::*:root"`, nil, true},
		{"like missing", "ArnLike", "aws:PrincipalArn", `"arn:aws:iam::*:root"`, nil, false},
		// '*' stays inside one ARN component.
		{"star does not cross colon", "ArnLike", "aws:SourceArn", `"arn:aws:sqs:*:q"`, ctx("aws:SourceArn", "arn:aws:sqs:us-east-1:1:q"), false},
		{"resource part may contain colons", "ArnLike", "aws:SourceArn", `"arn:aws:logs:*:*:log-group:*"`, ctx("aws:SourceArn", "arn:aws:logs:us-east-1:1:log-group:g:stream"), true},
		{"request not an ARN", "ArnLike", "aws:SourceArn", `"arn:aws:s3:::*"`, ctx("aws:SourceArn", "bucket"), false},
		{"bare star", "ArnLike", "aws:SourceArn", `"*"`, ctx("aws:SourceArn", "arn:aws:s3:::b"), true},
		{"variable with colons", "ArnEquals", "aws:SourceArn", `"${aws:PrincipalArn}"`, ctx("aws:SourceArn", "arn:aws:iam::1:root", "aws:PrincipalArn", "arn:aws:iam::1:root"), true},
	})
}

func TestSetQualifiers(t *testing.T) {
	tags := map[string][]string{"aws:TagKeys": {"env", "team"}}
	runCondCases(t, []condCase{
		{"ForAllValues subset", "ForAllValues:StringEquals", "aws:TagKeys", `["env","team","cost"]`, tags, true},
		{"ForAllValues not subset", "ForAllValues:StringEquals", "aws:TagKeys", `["env"]`, tags, false},
		{"ForAllValues missing key → true", "ForAllValues:StringEquals", "aws:TagKeys", `["env"]`, nil, true},
		{"ForAllValues empty key → true", "ForAllValues:StringEquals", "aws:TagKeys", `["env"]`, map[string][]string{"aws:TagKeys": {}}, true},
		{"ForAnyValue overlap", "ForAnyValue:StringEquals", "aws:TagKeys", `["team"]`, tags, true},
		{"ForAnyValue no overlap", "ForAnyValue:StringEquals", "aws:TagKeys", `["cost"]`, tags, false},
		{"ForAnyValue missing key → false", "ForAnyValue:StringEquals", "aws:TagKeys", `["env"]`, nil, false},
		{"ForAnyValue IfExists missing key → true", "ForAnyValue:StringEqualsIfExists", "aws:TagKeys", `["env"]`, nil, true},
		{"ForAnyValue like", "ForAnyValue:StringLike", "aws:TagKeys", `"te*"`, tags, true},
		// AWS example: ForAllValues:StringNotLike key1* — every request value must avoid the pattern.
		{"ForAllValues negated, all avoid", "ForAllValues:StringNotLike", "aws:TagKeys", `"key1*"`, ctx("aws:TagKeys", "key2:audit"), true},
		{"ForAllValues negated, one hits", "ForAllValues:StringNotLike", "aws:TagKeys", `"key1*"`, ctx("aws:TagKeys", "key1:legal"), false},
		{"ForAllValues negated, mixed", "ForAllValues:StringNotLike", "aws:TagKeys", `"key1*"`, ctx("aws:TagKeys", "key1:hr", "aws:TagKeys", "key2:x"), false},
		{"ForAllValues negated, missing", "ForAllValues:StringNotLike", "aws:TagKeys", `"key1*"`, nil, true},
		{"ForAnyValue negated, one avoids", "ForAnyValue:StringNotEquals", "aws:TagKeys", `"env"`, tags, true},
		{"ForAnyValue negated, none avoid", "ForAnyValue:StringNotEquals", "aws:TagKeys", `["env","team"]`, tags, false},
		{"ForAnyValue negated, missing", "ForAnyValue:StringNotEquals", "aws:TagKeys", `"env"`, nil, false},
		{"ForAnyValue numeric", "ForAnyValue:NumericGreaterThan", "k", `5`, ctx("k", "1", "k", "9"), true},
		{"ForAllValues numeric", "ForAllValues:NumericGreaterThan", "k", `5`, ctx("k", "1", "k", "9"), false},
		{"unqualified, multivalued: any", "StringEquals", "aws:TagKeys", `"team"`, tags, true},
		{"unqualified negated, multivalued: none", "StringNotEquals", "aws:TagKeys", `"team"`, tags, false},
	})
}

func TestConditionBlockLogic(t *testing.T) {
	// Operators AND, keys within an operator AND, values OR.
	d := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
		"StringEquals":{"aws:username":["alice","bob"],"aws:PrincipalAccount":"111122223333"},
		"Bool":{"aws:SecureTransport":"true"}}}}`)
	base := func() map[string][]string {
		return ctx("aws:username", "bob", "aws:PrincipalAccount", "111122223333", "aws:SecureTransport", "true")
	}
	eval := func(c map[string][]string) policy.Decision {
		return d.Evaluate(policy.Request{Action: "s3:GetObject", Resource: "*", Context: c})
	}
	assert.Equal(t, policy.Allow, eval(base()))

	c := base()
	c["aws:username"] = []string{"carol"}
	assert.Equal(t, policy.ImplicitDeny, eval(c), "value not in OR list")

	c = base()
	c["aws:PrincipalAccount"] = []string{"444455556666"}
	assert.Equal(t, policy.ImplicitDeny, eval(c), "second key of same operator fails")

	c = base()
	c["aws:SecureTransport"] = []string{"false"}
	assert.Equal(t, policy.ImplicitDeny, eval(c), "second operator fails")
}

func TestPrincipalDerivedContextKeys(t *testing.T) {
	// aws:PrincipalArn / aws:PrincipalAccount default to the request principal.
	d := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*",
		"Condition":{"StringNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}}}`)
	rootReq := policy.Request{Action: "s3:ListAllMyBuckets", Resource: "*",
		Principal: policy.Principal{ARN: "arn:aws:iam::222222222222:root", Account: "222222222222"}}
	assert.Equal(t, policy.ImplicitDeny, d.Evaluate(rootReq))

	// An explicit context value wins over the derived one.
	rootReq.Context = ctx("aws:PrincipalArn", "arn:aws:iam::222222222222:user/x")
	assert.Equal(t, policy.ExplicitDeny, d.Evaluate(rootReq))

	// No principal and no context: the key is missing, StringNotLike is true.
	assert.Equal(t, policy.ExplicitDeny, d.Evaluate(policy.Request{Action: "s3:ListAllMyBuckets", Resource: "*"}))
}
