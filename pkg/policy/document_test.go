package policy_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/policy"
)

func mustParse(t *testing.T, doc string) *policy.Document {
	t.Helper()
	d, err := policy.Parse([]byte(doc))
	require.NoError(t, err, doc)
	return d
}

func TestParseShapes(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want policy.Document
	}{
		{
			name: "single statement object, string action and resource",
			doc:  `{"Version":"2012-10-17","Id":"p1","Statement":{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`,
			want: policy.Document{Version: "2012-10-17", ID: "p1", Statements: []policy.Statement{{
				Sid: "A", Effect: policy.EffectAllow, Action: []string{"s3:GetObject"}, Resource: []string{"arn:aws:s3:::b/*"},
			}}},
		},
		{
			name: "statement array, action arrays, NotAction, NotResource",
			doc: `{"Version":"2012-10-17","Statement":[
				{"Effect":"Deny","NotAction":["iam:GetUser","iam:ListUsers"],"Resource":["*"]},
				{"Effect":"Allow","Action":["sqs:*"],"NotResource":"arn:aws:sqs:*:*:secret"}]}`,
			want: policy.Document{Version: "2012-10-17", Statements: []policy.Statement{
				{Effect: policy.EffectDeny, NotAction: []string{"iam:GetUser", "iam:ListUsers"}, Resource: []string{"*"}},
				{Effect: policy.EffectAllow, Action: []string{"sqs:*"}, NotResource: []string{"arn:aws:sqs:*:*:secret"}},
			}},
		},
		{
			name: "absent version, legacy version",
			doc:  `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
			want: policy.Document{Statements: []policy.Statement{{Effect: policy.EffectAllow, Action: []string{"*"}, Resource: []string{"*"}}}},
		},
		{
			name: "resource policy with principal map and no Resource (trust policy)",
			doc:  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","444455556666"],"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
			want: policy.Document{Version: "2012-10-17", Statements: []policy.Statement{{
				Effect:    policy.EffectAllow,
				Principal: &policy.PrincipalSet{AWS: []string{"arn:aws:iam::111122223333:root", "444455556666"}, Service: []string{"ec2.amazonaws.com"}},
				Action:    []string{"sts:AssumeRole"},
			}}},
		},
		{
			name: "wildcard principal and NotPrincipal",
			doc: `{"Version":"2012-10-17","Statement":[
				{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
				{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/a"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}`,
			want: policy.Document{Version: "2012-10-17", Statements: []policy.Statement{
				{Effect: policy.EffectAllow, Principal: &policy.PrincipalSet{Wildcard: true}, Action: []string{"s3:GetObject"}, Resource: []string{"arn:aws:s3:::b/*"}},
				{Effect: policy.EffectDeny, NotPrincipal: &policy.PrincipalSet{AWS: []string{"arn:aws:iam::111122223333:user/a"}}, Action: []string{"s3:*"}, Resource: []string{"arn:aws:s3:::b/*"}},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.doc)
			assert.Equal(t, tt.want, *got)
		})
	}
}

func TestParseConditionValues(t *testing.T) {
	d := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*",
		"Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"s3:max-keys":[10, 2.5]},"StringEquals":{"aws:username":"bob"}}}]}`)
	conds := d.Statements[0].Conditions
	require.Len(t, conds, 3)
	got := map[string][]string{}
	for _, c := range conds {
		got[c.Operator+" "+c.Key] = c.Values
	}
	assert.Equal(t, map[string][]string{
		"Bool aws:SecureTransport":    {"false"},
		"NumericLessThan s3:max-keys": {"10", "2.5"},
		"StringEquals aws:username":   {"bob"},
	}, got)
}

func TestParseMalformed(t *testing.T) {
	tests := map[string]string{
		"empty input":                     ``,
		"not JSON":                        `not json`,
		"truncated":                       `{"Statement":[{"Effect":"Allow"`,
		"trailing data":                   `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}} {}`,
		"top-level array":                 `[{"Effect":"Allow","Action":"*","Resource":"*"}]`,
		"top-level string":                `"policy"`,
		"null":                            `null`,
		"missing Statement":               `{"Version":"2012-10-17"}`,
		"empty Statement list":            `{"Version":"2012-10-17","Statement":[]}`,
		"Statement is a string":           `{"Statement":"x"}`,
		"statement not an object":         `{"Statement":["x"]}`,
		"bad Version":                     `{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
		"numeric Version":                 `{"Version":2012,"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
		"unknown top-level key":           `{"Version":"2012-10-17","Foo":1,"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
		"lower-case key":                  `{"version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
		"unknown statement key":           `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Actions":"*"}}`,
		"bad Effect":                      `{"Statement":{"Effect":"Permit","Action":"*","Resource":"*"}}`,
		"lower-case Effect":               `{"Statement":{"Effect":"allow","Action":"*","Resource":"*"}}`,
		"missing Effect":                  `{"Statement":{"Action":"*","Resource":"*"}}`,
		"both Action and NotAction":       `{"Statement":{"Effect":"Allow","Action":"s3:*","NotAction":"iam:*","Resource":"*"}}`,
		"neither Action":                  `{"Statement":{"Effect":"Allow","Resource":"*"}}`,
		"empty Action list":               `{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}`,
		"action without vendor":           `{"Statement":{"Effect":"Allow","Action":"GetUser","Resource":"*"}}`,
		"action empty name":               `{"Statement":{"Effect":"Allow","Action":"iam:","Resource":"*"}}`,
		"action with space":               `{"Statement":{"Effect":"Allow","Action":"iam:Get User","Resource":"*"}}`,
		"non-string action":               `{"Statement":{"Effect":"Allow","Action":[1],"Resource":"*"}}`,
		"both Resource and NotResource":   `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}}`,
		"resource not an ARN":             `{"Statement":{"Effect":"Allow","Action":"*","Resource":"bucket"}}`,
		"identity without Resource":       `{"Statement":{"Effect":"Allow","Action":"*"}}`,
		"both Principal and NotPrincipal": `{"Statement":{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"*","Resource":"*"}}`,
		"principal bad string":            `{"Statement":{"Effect":"Allow","Principal":"arn:aws:iam::111122223333:root","Action":"*","Resource":"*"}}`,
		"principal unknown type":          `{"Statement":{"Effect":"Allow","Principal":{"User":"x"},"Action":"*","Resource":"*"}}`,
		"principal AWS not an ARN":        `{"Statement":{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"*","Resource":"*"}}`,
		"principal AWS short ARN":         `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1"},"Action":"*","Resource":"*"}}`,
		"principal empty map":             `{"Statement":{"Effect":"Allow","Principal":{},"Action":"*","Resource":"*"}}`,
		"unknown operator":                `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"k":"v"}}}}`,
		"operator wrong case":             `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"stringequals":{"k":"v"}}}}`,
		"NullIfExists":                    `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"k":"true"}}}}`,
		"ForAnyValue:Null":                `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAnyValue:Null":{"k":"true"}}}}`,
		"bad qualifier":                   `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"k":"v"}}}}`,
		"condition not object":            `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":"x"}}`,
		"condition value object":          `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"k":{"a":"b"}}}}}`,
		"condition value null":            `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"k":null}}}}`,
		"duplicate key":                   `{"Statement":{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}}`,
		"duplicate Sid":                   `{"Statement":[{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"*","Resource":"*"}]}`,
		"numeric Sid":                     `{"Statement":{"Sid":1,"Effect":"Allow","Action":"*","Resource":"*"}}`,
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			d, err := policy.Parse([]byte(doc))
			require.Error(t, err)
			assert.ErrorIs(t, err, policy.ErrMalformed)
			assert.Nil(t, d)
		})
	}
}

func TestParseAsKind(t *testing.T) {
	identity := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`
	bucket := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"arn:aws:s3:::b"}}`
	trust := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`
	mixed := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"},{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`

	tests := []struct {
		name    string
		doc     string
		kind    policy.Kind
		wantErr bool
	}{
		{"identity as identity", identity, policy.IdentityPolicy, false},
		{"identity as resource", identity, policy.ResourcePolicy, true},
		{"bucket as resource", bucket, policy.ResourcePolicy, false},
		{"bucket as identity", bucket, policy.IdentityPolicy, true},
		{"trust as resource", trust, policy.ResourcePolicy, false},
		{"trust as identity", trust, policy.IdentityPolicy, true},
		{"mixed as resource", mixed, policy.ResourcePolicy, true},
		{"mixed as identity", mixed, policy.IdentityPolicy, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := policy.ParseAs([]byte(tt.doc), tt.kind)
			if tt.wantErr {
				assert.ErrorIs(t, err, policy.ErrMalformed)
			} else {
				assert.NoError(t, err)
			}
		})
	}

	// Parse accepts whatever satisfies one of the kinds.
	for _, doc := range []string{identity, bucket, trust} {
		_, err := policy.Parse([]byte(doc))
		assert.NoError(t, err)
	}
	_, err := policy.Parse([]byte(mixed))
	assert.ErrorIs(t, err, policy.ErrMalformed)
	assert.ErrorContains(t, err, "Principal")
}

func TestParseNeverPanicsOnDeepNesting(t *testing.T) {
	deep := ""
	for range 10000 {
		deep += "["
	}
	_, err := policy.Parse([]byte(`{"Statement":` + deep))
	assert.ErrorIs(t, err, policy.ErrMalformed)
}

func TestParseAWSPrincipalForms(t *testing.T) {
	for _, p := range []string{"*", "111122223333", "arn:aws:iam::111122223333:root", "arn:aws:sts::111122223333:assumed-role/R/s", "AIDACKCEVSQ6C2EXAMPLE"} {
		_, err := policy.ParseAs([]byte(`{"Statement":{"Effect":"Allow","Principal":{"AWS":"`+p+`"},"Action":"s3:*","Resource":"*"}}`), policy.ResourcePolicy)
		assert.NoError(t, err, p)
	}
}
