package pipeline

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/policy"
)

func TestParsedPolicies_OncePerTextAndKind(t *testing.T) {
	const allow = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	a, err := parsedAnyPolicy(allow)
	require.NoError(t, err)
	b, err := parsedAnyPolicy(allow)
	require.NoError(t, err)
	assert.Same(t, a, b, "the same text is parsed once")

	scp, err := parsedPolicy(allow, policy.ServiceControlPolicy)
	require.NoError(t, err)
	assert.NotSame(t, a, scp, "each kind has its own entry: kinds check different rules")

	other, err := parsedAnyPolicy(allow[:len(allow)-2] + `,{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`)
	require.NoError(t, err)
	assert.NotSame(t, a, other)
	assert.Len(t, other.Statements, 2, "a changed policy is another text, parsed afresh")

	// A resource policy's rules refuse a statement without a principal,
	// each time: failures are not kept.
	for range 2 {
		_, err = parsedPolicy(allow, policy.ResourcePolicy)
		assert.Error(t, err)
	}
}
