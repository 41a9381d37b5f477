package policy_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/policy"
)

// decisionFile is testdata/policy/decisions.json.
type decisionFile struct {
	Documents map[string]json.RawMessage `json:"documents"`
	Cases     []decisionCase             `json:"cases"`
}

type decisionCase struct {
	Name      string `json:"name"`
	Issue     string `json:"issue"`
	Action    string `json:"action"`
	Resource  string `json:"resource"`
	Principal struct {
		ARN     string   `json:"arn"`
		Account string   `json:"account"`
		Aliases []string `json:"aliases"`
		Service string   `json:"service"`
	} `json:"principal"`
	Context          map[string][]string `json:"context"`
	Identity         []string            `json:"identity"`
	RootIdentity     bool                `json:"rootIdentity"`
	Session          []string            `json:"session"`
	ResourcePolicies []string            `json:"resourcePolicies"`
	CrossAccount     bool                `json:"crossAccount"`
	ResourceRequired bool                `json:"resourceRequired"`
	SCP              [][]string          `json:"scp"`
	RCP              [][]string          `json:"rcp"`
	Want             string              `json:"want"`
	DeniedBy         string              `json:"deniedBy"`
	Reason           string              `json:"reason"`
	Sid              string              `json:"sid"`
}

func TestDecisionTable(t *testing.T) {
	data, err := os.ReadFile("../../testdata/policy/decisions.json")
	require.NoError(t, err)
	var file decisionFile
	require.NoError(t, json.Unmarshal(data, &file))
	require.NotEmpty(t, file.Cases)

	// doc resolves a name in the role it plays, parsing documents with the
	// rules of that kind so the table cannot hold a policy AWS would refuse.
	doc := func(t *testing.T, name string, kind policy.Kind) *policy.Document {
		t.Helper()
		if raw, ok := file.Documents[name]; ok {
			d, err := policy.ParseAs(raw, kind)
			require.NoError(t, err, "document %s as %s", name, kind)
			return d
		}
		if kind == policy.ServiceControlPolicy && name == policy.FullAWSAccess.Name {
			return policy.FullAWSAccess.Document()
		}
		if kind == policy.ResourceControlPolicy && name == policy.RCPFullAWSAccess.Name {
			return policy.RCPFullAWSAccess.Document()
		}
		if task, ok := policy.TaskPolicy(policy.ARN(name)); ok && kind == policy.IdentityPolicy {
			return task.Document
		}
		t.Fatalf("unknown document %q for %s", name, kind)
		return nil
	}
	docs := func(t *testing.T, names []string, kind policy.Kind) []*policy.Document {
		var out []*policy.Document
		for _, n := range names {
			out = append(out, doc(t, n, kind))
		}
		return out
	}
	levels := func(t *testing.T, lv [][]string, kind policy.Kind) [][]*policy.Document {
		var out [][]*policy.Document
		for _, names := range lv {
			level := docs(t, names, kind)
			if level == nil {
				level = []*policy.Document{}
			}
			out = append(out, level)
		}
		return out
	}
	phrases := map[string]policy.PolicyType{}
	for _, pt := range []policy.PolicyType{policy.IdentityBased, policy.SessionPolicy, policy.ResourceBased, policy.ServiceControl, policy.ResourceControl} {
		phrases[pt.String()] = pt
	}

	seen := map[string]bool{}
	for _, tc := range file.Cases {
		require.False(t, seen[tc.Name], "duplicate case name %q", tc.Name)
		seen[tc.Name] = true
		t.Run(tc.Name, func(t *testing.T) {
			req := policy.Request{
				Action:   tc.Action,
				Resource: tc.Resource,
				Principal: policy.Principal{
					ARN: tc.Principal.ARN, Account: tc.Principal.Account,
					Aliases: tc.Principal.Aliases, Service: tc.Principal.Service,
				},
				Context: tc.Context,
			}
			p := policy.Policies{
				Identity:         docs(t, tc.Identity, policy.IdentityPolicy),
				RootIdentity:     tc.RootIdentity,
				Session:          docs(t, tc.Session, policy.IdentityPolicy),
				Resource:         docs(t, tc.ResourcePolicies, policy.ResourcePolicy),
				CrossAccount:     tc.CrossAccount,
				ResourceRequired: tc.ResourceRequired,
				SCP:              levels(t, tc.SCP, policy.ServiceControlPolicy),
				RCP:              levels(t, tc.RCP, policy.ResourceControlPolicy),
			}
			res := policy.Decide(req, p)
			assert.Equal(t, tc.Want, res.Decision.String())
			if tc.Want == "Allow" {
				assert.Empty(t, res.Reason(tc.Action))
				return
			}
			want, ok := phrases[tc.DeniedBy]
			require.True(t, ok, "deniedBy %q is not a policy type phrase", tc.DeniedBy)
			assert.Equal(t, want, res.DeniedBy)
			assert.Equal(t, tc.Reason, res.Reason(tc.Action))
			if tc.Sid != "" {
				assert.Equal(t, tc.Sid, res.Statement)
			}
		})
	}
}
