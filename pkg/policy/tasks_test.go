package policy_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/policy"
)

// taskCase is one row of testdata/policy/cases.json.
type taskCase struct {
	Task             string `json:"task"`
	Action           string `json:"action"`
	Resource         string `json:"resource"`
	PrincipalArn     string `json:"principalArn"`
	PrincipalAccount string `json:"principalAccount"`
	ResourceAccount  string `json:"resourceAccount"`
	Want             string `json:"want"`
	Sid              string `json:"sid"`
	Note             string `json:"note"`
	// Organizations rows (issue 8): SCP and RCP levels of document names,
	// extra condition keys, and the policy type that denies when it is not
	// the task policy.
	SCP      [][]string          `json:"scp"`
	RCP      [][]string          `json:"rcp"`
	Context  map[string][]string `json:"context"`
	DeniedBy string              `json:"deniedBy"`
}

type taskCaseFile struct {
	Documents map[string]json.RawMessage `json:"documents"`
	Cases     []taskCase                 `json:"cases"`
}

func loadTaskCaseFile(t *testing.T) taskCaseFile {
	t.Helper()
	data, err := os.ReadFile("../../testdata/policy/cases.json")
	require.NoError(t, err)
	var file taskCaseFile
	require.NoError(t, json.Unmarshal(data, &file))
	require.NotEmpty(t, file.Cases)
	return file
}

func loadTaskCases(t *testing.T) []taskCase {
	t.Helper()
	return loadTaskCaseFile(t).Cases
}

// orgLevels resolves the SCP or RCP levels of a task case.
func orgLevels(t *testing.T, docs map[string]json.RawMessage, names [][]string, kind policy.Kind) [][]*policy.Document {
	t.Helper()
	var levels [][]*policy.Document
	for _, level := range names {
		docsAtLevel := []*policy.Document{}
		for _, name := range level {
			switch {
			case kind == policy.ServiceControlPolicy && name == policy.FullAWSAccess.Name:
				docsAtLevel = append(docsAtLevel, policy.FullAWSAccess.Document())
			case kind == policy.ResourceControlPolicy && name == policy.RCPFullAWSAccess.Name:
				docsAtLevel = append(docsAtLevel, policy.RCPFullAWSAccess.Document())
			default:
				raw, ok := docs[name]
				require.True(t, ok, "unknown document %q", name)
				d, err := policy.ParseAs(raw, kind)
				require.NoError(t, err, "document %s as %s", name, kind)
				docsAtLevel = append(docsAtLevel, d)
			}
		}
		levels = append(levels, docsAtLevel)
	}
	return levels
}

func TestTaskPolicyDecisionTable(t *testing.T) {
	file := loadTaskCaseFile(t)
	for i, tc := range file.Cases {
		name := tc.Task + "/" + tc.Action + "/" + tc.Resource + "/" + tc.PrincipalArn + "/" + tc.ResourceAccount
		if tc.SCP != nil || tc.RCP != nil {
			name = fmt.Sprintf("%s/org-%d", name, i)
		}
		t.Run(name, func(t *testing.T) {
			task, ok := policy.TaskPolicy(policy.ARN(tc.Task))
			require.True(t, ok, "unknown task %s", tc.Task)

			ctx := map[string][]string{
				"aws:PrincipalArn":     {tc.PrincipalArn},
				"aws:PrincipalAccount": {tc.PrincipalAccount},
				"aws:AssumedRoot":      {"true"},
				"sts:TaskPolicyArn":    {task.ARN},
			}
			if tc.ResourceAccount != "" {
				ctx["aws:ResourceAccount"] = []string{tc.ResourceAccount}
			}
			for k, v := range tc.Context {
				ctx[k] = v
			}
			req := policy.Request{
				Action:    tc.Action,
				Resource:  tc.Resource,
				Principal: policy.Principal{ARN: tc.PrincipalArn, Account: tc.PrincipalAccount},
				Context:   ctx,
			}
			res := policy.Decide(req, policy.Policies{
				RootIdentity: true, Session: []*policy.Document{task.Document},
				SCP: orgLevels(t, file.Documents, tc.SCP, policy.ServiceControlPolicy),
				RCP: orgLevels(t, file.Documents, tc.RCP, policy.ResourceControlPolicy),
			})
			assert.Equal(t, tc.Want, res.Decision.String(), tc.Note)
			if tc.Sid != "" {
				assert.Equal(t, tc.Sid, res.Statement)
			}
			if tc.DeniedBy != "" {
				require.NotEqual(t, policy.Allow, res.Decision)
				assert.Equal(t, tc.DeniedBy, res.DeniedBy.String(), tc.Note)
				return
			}
			if tc.SCP != nil || tc.RCP != nil {
				return // the single-document comparison below is about the task policy alone
			}
			if res.Decision == policy.ExplicitDeny {
				assert.Equal(t, policy.SessionPolicy, res.DeniedBy)
				assert.Equal(t, "with an explicit deny in a session policy", res.Reason(tc.Action))
			}
			// Evaluating the single document agrees with Decide for a
			// Deny-only policy: Allow under Decide is ImplicitDeny here.
			single := task.Document.Evaluate(req)
			if res.Decision == policy.ExplicitDeny {
				assert.Equal(t, policy.ExplicitDeny, single)
			} else {
				assert.Equal(t, policy.ImplicitDeny, single)
			}
		})
	}
}

// Every task × every action of the reference §3.4 matrix must be in the table.
func TestTaskPolicyDecisionTableCoversMatrix(t *testing.T) {
	matrixActions := []string{
		"iam:ListAccessKeys", "iam:ListSigningCertificates", "iam:GetLoginProfile", "iam:ListMFADevices",
		"iam:GetUser", "iam:GetAccessKeyLastUsed", "iam:GetAccountSummary", "iam:CreateLoginProfile",
		"iam:DeleteAccessKey", "iam:DeleteSigningCertificate", "iam:DeleteLoginProfile",
		"iam:DeactivateMFADevice", "iam:DeleteVirtualMFADevice",
		"s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:ListAllMyBuckets",
		"sqs:GetQueueUrl", "sqs:ListQueues", "sqs:SetQueueAttributes", "sqs:GetQueueAttributes",
	}
	seen := map[string]bool{}
	for _, tc := range loadTaskCases(t) {
		seen[tc.Task+" "+tc.Action] = true
	}
	for _, p := range policy.TaskPolicies() {
		for _, a := range matrixActions {
			assert.True(t, seen[p.Name+" "+a], "missing case %s × %s", p.Name, a)
		}
	}
}

func TestTaskPolicyMetadata(t *testing.T) {
	tests := []struct {
		name, policyID, date string
		sids                 []string
	}{
		{policy.AuditRootUserCredentials, "ANPAZKAPJZG4BDSCREYVS", "2024-11-06T22:27:58Z",
			[]string{"DenyAllOtherActionsOnAnyResource", "DenyAuditingCredentialsOnNonRootUserResource"}},
		{policy.CreateRootUserPassword, "ANPAZKAPJZG4OEGTN7YT5", "2024-11-06T22:32:59Z",
			[]string{"DenyAllOtherActionsOnAnyResource", "DenyCreatingPasswordOnNonRootUserResource"}},
		{policy.DeleteRootUserCredentials, "ANPAZKAPJZG4CX73XKORQ", "2024-11-06T22:47:58Z",
			[]string{"DenyAllOtherActionsOnAnyResource", "DenyDeletingRootUserCredentialsOnNonRootUserResource"}},
		{policy.S3UnlockBucketPolicy, "ANPAZKAPJZG4OALTIPZOF", "2024-11-06T21:55:56Z",
			[]string{"DenyAllOtherActionsOnAnyResource", "DenyManagingBucketPolicyForNonRootCallers"}},
		{policy.SQSUnlockQueuePolicy, "ANPAZKAPJZG4HPZI4FDUV", "2024-11-06T21:51:02Z",
			[]string{"DenyAllOtherActionsOnAnyResource", "DenyGettingQueueAttributesOnNonOwnQueue", "DenyActionsForNonRootUser"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arn := "arn:aws:iam::aws:policy/root-task/" + tt.name
			assert.Equal(t, arn, policy.ARN(tt.name))
			p, ok := policy.TaskPolicy(arn)
			require.True(t, ok)
			assert.Equal(t, tt.name, p.Name)
			assert.Equal(t, arn, p.ARN)
			assert.Equal(t, tt.policyID, p.PolicyID)
			assert.Equal(t, "/root-task/", p.Path)
			assert.Equal(t, "v1", p.DefaultVersionID)
			want, err := time.Parse(time.RFC3339, tt.date)
			require.NoError(t, err)
			assert.True(t, want.Equal(p.CreateDate))
			assert.True(t, want.Equal(p.UpdateDate))
			require.NotNil(t, p.Document)
			assert.Equal(t, "2012-10-17", p.Document.Version)

			var sids []string
			for _, s := range p.Document.Statements {
				assert.Equal(t, policy.EffectDeny, s.Effect, "task policies are Deny-only")
				sids = append(sids, s.Sid)
			}
			assert.Equal(t, tt.sids, sids)

			// Raw is valid JSON that re-parses to the same document.
			assert.True(t, json.Valid([]byte(p.Raw)))
			again, err := policy.Parse([]byte(p.Raw))
			require.NoError(t, err)
			assert.Equal(t, p.Document, again)
		})
	}
}

func TestTaskPolicyRawMatchesLiveV1(t *testing.T) {
	del, ok := policy.TaskPolicy(policy.ARN(policy.DeleteRootUserCredentials))
	require.True(t, ok)
	// Live v1 still lists DeleteVirtualMFADevice (reference §3.3).
	assert.Equal(t, 2, strings.Count(del.Raw, `"iam:DeleteVirtualMFADevice"`))

	s3, ok := policy.TaskPolicy(policy.ARN(policy.S3UnlockBucketPolicy))
	require.True(t, ok)
	assert.Contains(t, s3.Raw, `"StringNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}`)
	assert.NotContains(t, s3.Raw, "ArnNotLike")

	sqs, ok := policy.TaskPolicy(policy.ARN(policy.SQSUnlockQueuePolicy))
	require.True(t, ok)
	assert.Contains(t, sqs.Raw, `"StringNotEqualsIfExists":{"aws:ResourceAccount":["${aws:PrincipalAccount}"]}`)
}

func TestTaskPolicyLookup(t *testing.T) {
	all := policy.TaskPolicies()
	require.Len(t, all, 5)
	names := make([]string, 0, len(all))
	for _, p := range all {
		names = append(names, p.Name)
	}
	assert.Equal(t, []string{
		"IAMAuditRootUserCredentials", "IAMCreateRootUserPassword", "IAMDeleteRootUserCredentials",
		"S3UnlockBucketPolicy", "SQSUnlockQueuePolicy",
	}, names)

	for _, arn := range []string{
		"",
		"IAMAuditRootUserCredentials",
		"arn:aws:iam::aws:policy/root-task/iamauditrootusercredentials",
		"arn:aws:iam::aws:policy/root-task/*",
		"arn:aws:iam::aws:policy/IAMAuditRootUserCredentials",
		"arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials ",
		"arn:aws:iam::aws:policy/AdministratorAccess",
	} {
		_, ok := policy.TaskPolicy(arn)
		assert.False(t, ok, arn)
	}
}
