package policy_test

import (
	"testing"

	"github.com/rootaccess/emulator/pkg/policy"
)

// FuzzParse checks that Parse never panics, and that whatever it accepts can
// be evaluated (with variables, conditions and principals in play) without
// panicking either.
func FuzzParse(f *testing.F) {
	for _, p := range policy.TaskPolicies() {
		f.Add([]byte(p.Raw))
	}
	seeds := []string{
		``,
		`{}`,
		`null`,
		`[]`,
		`{"Statement":[]}`,
		`{"Statement":{"Effect":"Permit","Action":"*","Resource":"*"}}`,
		`{"Statement":{"Effect":"Allow","Action":"s3:*","NotAction":"iam:*","Resource":"*"}}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:role/R"]},"Action":"sqs:*","Resource":"arn:aws:sqs:*:${aws:PrincipalAccount}:*"}}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":"*","Action":"*","Resource":"*","Condition":{"ForAllValues:StringNotLike":{"aws:TagKeys":"key1*"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"},"NumericGreaterThanEquals":{"n":[1,2.5]},"Null":{"aws:AssumedRoot":true},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"BinaryEquals":{"b":"QQ=="}}}}`,
		`{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${aws:username, 'x'}/${*}${?}${$}${"}}`,
		`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"k":"v"}}}}`,
		`{"Statement":{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}}`,
		`{"Statement":[[[[[[[[[[[[[[[[[[[[[[[[[[[[`,
	}
	seeds = append(seeds, policy.FullAWSAccess.Content, policy.RCPFullAWSAccess.Content,
		`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","NotResource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-aa111bb222"}}}}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:${aws:x}:${a:b}:${c:d}:${e:f}:${g}"}}`)
	for _, s := range seeds {
		f.Add([]byte(s))
	}

	requests := []policy.Request{
		{
			Action:   "s3:GetObject",
			Resource: "arn:aws:s3:::bucket/key",
			Principal: policy.Principal{
				ARN: "arn:aws:sts::111122223333:assumed-role/R/s", Account: "111122223333",
				Aliases: []string{"arn:aws:iam::111122223333:role/R"},
			},
			Context: map[string][]string{
				"aws:username": {"alice"}, "aws:TagKeys": {"key1:a", "key2:b"}, "aws:SourceIp": {"10.1.2.3"},
				"aws:CurrentTime": {"2025-06-01T00:00:00Z"}, "n": {"2"}, "b": {"QQ=="}, "aws:SecureTransport": {"true"},
			},
		},
		{Action: "iam:GetUser", Resource: "*", Principal: policy.Principal{Service: "sqs.amazonaws.com"}},
		{},
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := policy.Parse(data)
		if err != nil {
			if doc != nil {
				t.Fatalf("Parse returned both a document and an error: %v", err)
			}
			return
		}
		for _, req := range requests {
			_ = doc.Evaluate(req)
			_ = policy.Decide(req, policy.Policies{Identity: []*policy.Document{doc}, Session: []*policy.Document{doc}, Resource: []*policy.Document{doc}})
			_ = policy.Decide(req, policy.Policies{RootIdentity: true, CrossAccount: true, Resource: []*policy.Document{doc}})
			levels := [][]*policy.Document{{doc}, {policy.FullAWSAccess.Document(), doc}, nil}
			_ = policy.Decide(req, policy.Policies{Identity: []*policy.Document{doc}, SCP: levels, RCP: levels})
		}
		for _, kind := range []policy.Kind{policy.IdentityPolicy, policy.ResourcePolicy, policy.ServiceControlPolicy, policy.ResourceControlPolicy} {
			if d, err := policy.ParseAs(data, kind); (d == nil) == (err == nil) {
				t.Fatalf("ParseAs(%s) returned document %v and error %v", kind, d != nil, err)
			}
		}
	})
}
