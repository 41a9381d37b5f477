package policy

import (
	"embed"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// AWS managed policies that IAM users, roles and groups can be attached to:
// a small set of the ones Terraform stacks and tests commonly attach (see
// managed/SOURCES.md). The root-task policies (tasks.go) are AWS managed
// too, but only AssumeRoot uses them.

// AWSManagedARN returns the ARN of the AWS managed policy name on path "/".
func AWSManagedARN(name string) string { return "arn:aws:iam::aws:policy/" + name }

//go:embed managed/*.json
var managedFiles embed.FS

// managedMeta is each policy's ListPolicies metadata.
var managedMeta = []struct {
	name, policyID, version, created, updated string
}{
	{"AdministratorAccess", "ANPAIWMBCKSKIEE64ZLYK", "v1", "2015-02-06T18:39:46Z", "2015-02-06T18:39:46Z"},
	{"PowerUserAccess", "ANPAJYRXTHIB4FOVS3ZXS", "v12", "2015-02-06T18:39:47Z", "2026-02-12T17:59:14Z"},
	{"IAMFullAccess", "ANPAI7XKCFMBPM3QQRRVQ", "v2", "2015-02-06T18:40:38Z", "2019-06-21T19:40:00Z"},
	{"AmazonS3FullAccess", "ANPAIFIR6V6BVTRAHWINE", "v2", "2015-02-06T18:40:58Z", "2021-09-27T20:16:37Z"},
	{"AmazonS3ReadOnlyAccess", "ANPAIZTJ4DXE7G6AGAE6M", "v3", "2015-02-06T18:40:59Z", "2023-08-10T21:31:39Z"},
	{"AmazonSQSFullAccess", "ANPAI65L554VRJ33ECQS6", "v1", "2015-02-06T18:41:07Z", "2015-02-06T18:41:07Z"},
}

// awsManaged is the policies keyed by ARN, and ordered by name. They are
// parsed on first use, not at init: a start that never needs them (most
// do not) is spared parsing some 30 KiB of JSON.
var awsManaged = sync.OnceValues(loadAWSManaged)

func loadAWSManaged() (map[string]ManagedPolicy, []ManagedPolicy) {
	byARN := make(map[string]ManagedPolicy, len(managedMeta))
	var sorted []ManagedPolicy
	for _, m := range managedMeta {
		data, err := managedFiles.ReadFile("managed/" + m.name + ".json")
		if err != nil {
			panic(fmt.Sprintf("policy: missing embedded managed policy %s: %v", m.name, err))
		}
		doc, err := ParseAs(data, IdentityPolicy)
		if err != nil {
			panic(fmt.Sprintf("policy: embedded managed policy %s does not parse: %v", m.name, err))
		}
		created, err1 := time.Parse(time.RFC3339, m.created)
		updated, err2 := time.Parse(time.RFC3339, m.updated)
		if err1 != nil || err2 != nil {
			panic(fmt.Sprintf("policy: bad dates for %s", m.name))
		}
		p := ManagedPolicy{Name: m.name, ARN: AWSManagedARN(m.name), PolicyID: m.policyID, Path: "/",
			DefaultVersionID: m.version, CreateDate: created, UpdateDate: updated, Document: doc,
			Raw: strings.TrimRight(string(data), "\n")}
		byARN[p.ARN] = p
		sorted = append(sorted, p)
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	return byARN, sorted
}

// AWSManagedPolicy returns the attachable AWS managed policy with exactly
// this ARN (the root-task policies are not among them).
func AWSManagedPolicy(arn string) (ManagedPolicy, bool) {
	byARN, _ := awsManaged()
	p, ok := byARN[arn]
	return p, ok
}

// AWSManagedPolicies returns the attachable AWS managed policies sorted by
// name. The slice is shared: treat it as read-only.
func AWSManagedPolicies() []ManagedPolicy {
	_, sorted := awsManaged()
	return sorted
}
