package policy

import (
	"embed"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Names of the five AWS-managed root-task policies accepted by
// sts:AssumeRoot as TaskPolicyArn.
const (
	AuditRootUserCredentials  = "IAMAuditRootUserCredentials"
	CreateRootUserPassword    = "IAMCreateRootUserPassword"
	DeleteRootUserCredentials = "IAMDeleteRootUserCredentials"
	S3UnlockBucketPolicy      = "S3UnlockBucketPolicy"
	SQSUnlockQueuePolicy      = "SQSUnlockQueuePolicy"
)

// taskPolicyPath is the IAM path of the root-task policies.
const taskPolicyPath = "/root-task/"

// ARN returns the ARN of the root-task policy with the given name,
// "arn:aws:iam::aws:policy/root-task/" + name.
func ARN(name string) string {
	return "arn:aws:iam::aws:policy" + taskPolicyPath + name
}

// ManagedPolicy is an AWS-managed policy as IAM GetPolicy/GetPolicyVersion
// describe it.
type ManagedPolicy struct {
	// Name is the PolicyName, e.g. "IAMAuditRootUserCredentials".
	Name string
	// ARN is "arn:aws:iam::aws:policy/<Path without its leading slash><Name>".
	ARN string
	// PolicyID is the ANPA… id IAM reports.
	PolicyID string
	// Path is "/root-task/" for the task policies, "/" for the others.
	Path string
	// DefaultVersionID is the served version ("v1" for the task policies).
	DefaultVersionID string
	// CreateDate and UpdateDate come from IAM ListPolicies.
	CreateDate time.Time
	UpdateDate time.Time
	// Document is the parsed default version. It is shared: treat it as
	// read-only.
	Document *Document
	// Raw is the JSON text of the default version as served by
	// GetPolicyVersion (before URL-encoding).
	Raw string
}

// The documents are the v1 texts from IAM GetPolicyVersion, as mirrored by
// zoph-io/IAMTrail and zoph-io/MAMIP; see tasks/SOURCES.md.
//
//go:embed tasks/*.json
var taskFiles embed.FS

// taskMeta is the ListPolicies metadata of each task policy (reference §3.1).
var taskMeta = []struct {
	name, policyID, date string
}{
	{AuditRootUserCredentials, "ANPAZKAPJZG4BDSCREYVS", "2024-11-06T22:27:58Z"},
	{CreateRootUserPassword, "ANPAZKAPJZG4OEGTN7YT5", "2024-11-06T22:32:59Z"},
	{DeleteRootUserCredentials, "ANPAZKAPJZG4CX73XKORQ", "2024-11-06T22:47:58Z"},
	{S3UnlockBucketPolicy, "ANPAZKAPJZG4OALTIPZOF", "2024-11-06T21:55:56Z"},
	{SQSUnlockQueuePolicy, "ANPAZKAPJZG4HPZI4FDUV", "2024-11-06T21:51:02Z"},
}

// taskPolicies is keyed by ARN; built on first use (as awsManaged is).
var taskPolicies = sync.OnceValue(loadTaskPolicies)

// loadTaskPolicies parses the embedded documents. Any failure is a
// programmer error (bad embedded file), hence the panic.
func loadTaskPolicies() map[string]ManagedPolicy {
	out := make(map[string]ManagedPolicy, len(taskMeta))
	for _, m := range taskMeta {
		data, err := taskFiles.ReadFile("tasks/" + m.name + ".json")
		if err != nil {
			panic(fmt.Sprintf("policy: missing embedded task policy %s: %v", m.name, err))
		}
		// Session policies follow identity-policy rules.
		doc, err := ParseAs(data, IdentityPolicy)
		if err != nil {
			panic(fmt.Sprintf("policy: embedded task policy %s does not parse: %v", m.name, err))
		}
		date, err := time.Parse(time.RFC3339, m.date)
		if err != nil {
			panic(fmt.Sprintf("policy: bad date for %s: %v", m.name, err))
		}
		arn := ARN(m.name)
		out[arn] = ManagedPolicy{
			Name:             m.name,
			ARN:              arn,
			PolicyID:         m.policyID,
			Path:             taskPolicyPath,
			DefaultVersionID: "v1",
			CreateDate:       date,
			UpdateDate:       date,
			Document:         doc,
			Raw:              strings.TrimRight(string(data), "\n"),
		}
	}
	return out
}

// TaskPolicy returns the root-task policy with exactly this ARN. Matching is
// exact (case-sensitive, no wildcards), as for AssumeRoot's TaskPolicyArn.
func TaskPolicy(arn string) (ManagedPolicy, bool) {
	p, ok := taskPolicies()[arn]
	return p, ok
}

// TaskPolicies returns all five root-task policies sorted by name.
func TaskPolicies() []ManagedPolicy {
	out := make([]ManagedPolicy, 0, len(taskMeta))
	for _, p := range taskPolicies() {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
