package policy

import (
	"slices"
	"strings"
	"sync"
)

// Organizations policy types, as the Organizations API names them.
const (
	// TypeServiceControlPolicy is the PolicyType of SCPs.
	TypeServiceControlPolicy = "SERVICE_CONTROL_POLICY"
	// TypeResourceControlPolicy is the PolicyType of RCPs.
	TypeResourceControlPolicy = "RESOURCE_CONTROL_POLICY"
)

// OrganizationManagedPolicy is an AWS-managed Organizations policy as
// DescribePolicy and ListPolicies show it. AWS attaches it to the root, every
// OU and every account when its policy type is enabled.
type OrganizationManagedPolicy struct {
	// ID is the policy id, e.g. "p-FullAWSAccess".
	ID string
	// ARN is arn:aws:organizations::aws:policy/<type>/<ID>.
	ARN string
	// Name is the policy name, e.g. "FullAWSAccess".
	Name string
	// Description is the description Organizations returns.
	Description string
	// Type is TypeServiceControlPolicy or TypeResourceControlPolicy.
	Type string
	// Content is the document exactly as DescribePolicy returns it.
	Content string
	// parsed is Content parsed, on first use: parsing both managed
	// policies at init cost every start about 0.6 ms, for documents most
	// runs never evaluate.
	parsed func() *Document
}

// Document is Content parsed. It is shared: treat it as read-only.
func (p OrganizationManagedPolicy) Document() *Document { return p.parsed() }

// FullAWSAccess is the AWS-managed SCP that allows every action. Content is
// the text DescribePolicy returns for p-FullAWSAccess (two-space indented).
var FullAWSAccess = mustManaged(OrganizationManagedPolicy{
	ID:          "p-FullAWSAccess",
	ARN:         "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
	Name:        "FullAWSAccess",
	Description: "Allows access to every operation",
	Type:        TypeServiceControlPolicy,
	Content: `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "*",
      "Resource": "*"
    }
  ]
}`,
})

// RCPFullAWSAccess is the AWS-managed RCP that lets every request through
// RCP evaluation; it cannot be detached. Its statement is the only Allow an
// RCP may hold. The description follows AWS's list of managed policies
// ("Allows access to every resource").
var RCPFullAWSAccess = mustManaged(OrganizationManagedPolicy{
	ID:          "p-RCPFullAWSAccess",
	ARN:         "arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess",
	Name:        "RCPFullAWSAccess",
	Description: "Allows access to every resource",
	Type:        TypeResourceControlPolicy,
	Content: `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": "*",
      "Action": "*",
      "Resource": "*"
    }
  ]
}`,
})

// OrganizationManagedPolicyByID returns the AWS-managed Organizations policy
// with the given id ("p-FullAWSAccess" or "p-RCPFullAWSAccess").
func OrganizationManagedPolicyByID(id string) (OrganizationManagedPolicy, bool) {
	switch id {
	case FullAWSAccess.ID:
		return FullAWSAccess, true
	case RCPFullAWSAccess.ID:
		return RCPFullAWSAccess, true
	}
	return OrganizationManagedPolicy{}, false
}

func mustManaged(p OrganizationManagedPolicy) OrganizationManagedPolicy {
	// The managed RCP holds the one Allow customers may not write, so it is
	// parsed with the structural rules of a resource policy instead.
	kind := ServiceControlPolicy
	if p.Type == TypeResourceControlPolicy {
		kind = ResourcePolicy
	}
	p.parsed = sync.OnceValue(func() *Document {
		doc, err := ParseAs([]byte(p.Content), kind)
		if err != nil { // a constant document: TestOrganizationManagedPolicies parses both
			panic("policy: managed organization policy " + p.Name + ": " + err.Error())
		}
		return doc
	})
	return p
}

// OrganizationPath formats an entity's path in its organization as the
// aws:PrincipalOrgPaths and aws:ResourceOrgPaths condition keys carry it:
// the organization id, the root id and each OU id from the root down, each
// followed by "/", e.g. "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/". The
// account itself is not part of its path. Both keys are multivalued: pass
// the result as a one-element list.
func OrganizationPath(orgID, rootID string, ouIDs ...string) string {
	var b strings.Builder
	for _, id := range append([]string{orgID, rootID}, ouIDs...) {
		b.WriteString(id)
		b.WriteByte('/')
	}
	return b.String()
}

// rcpServices are the service prefixes whose actions RCPs apply to
// (Organizations User Guide, "List of AWS services that support RCPs").
var rcpServices = []string{
	"aoss", "appconfig", "appstream", "autoscaling", "autoscaling-plans", "budgets",
	"cloudfront", "clouddirectory", "cloudsearch", "cloudtrail-data", "codeartifact",
	"codebuild", "codecommit", "codepipeline", "cognito-identity", "cognito-idp",
	"comprehend", "comprehendmedical", "compute-optimizer", "cost-optimization-hub",
	"dax", "dsql", "dynamodb", "ecr", "ecr-public", "events", "firehose", "fis", "fms",
	"gamelift", "health", "inspector-scan", "kendra", "kinesisvideo", "kms", "logs",
	"memorydb", "networkmonitor", "notifications", "opensearch", "pca-connector-ad",
	"personalize", "polly", "pricing", "resource-groups", "rolesanywhere", "s3",
	"secretsmanager", "servicediscovery", "signin", "sqs", "sts", "support", "swf",
	"textract", "timestream-influxdb", "transcribe", "transfer", "translate", "wafv2",
	"workspaces", "xray",
}

// RCPSupportsService reports whether RCPs apply to actions of the service
// with the given prefix ("s3", "sqs", "sts", "kms", …), case-insensitively.
func RCPSupportsService(prefix string) bool {
	return slices.Contains(rcpServices, strings.ToLower(prefix))
}

// checkOrgVersion enforces the Version rule common to SCPs and RCPs: "Every
// SCP must include a Version element with the value 2012-10-17". A missing
// Version is accepted (see docs/behaviour.md); the legacy 2008 language is
// not.
func (d *Document) checkOrgVersion(kind Kind) error {
	if d.Version != "" && d.Version != Version2012 {
		return malformed("The Version of a %s must be %q", kind, Version2012)
	}
	return nil
}

func (d *Document) checkSCP() error {
	if err := d.checkOrgVersion(ServiceControlPolicy); err != nil {
		return err
	}
	for i, s := range d.Statements {
		switch {
		case s.Principal != nil:
			return malformed("SCPs don't support the Principal element (statement %d)", i)
		case s.NotPrincipal != nil:
			return malformed("SCPs don't support the NotPrincipal element (statement %d)", i)
		case s.Resource == nil && s.NotResource == nil:
			return malformed("Policy statement must contain resources. (statement %d)", i)
		}
	}
	return nil
}

func (d *Document) checkRCP() error {
	if err := d.checkOrgVersion(ResourceControlPolicy); err != nil {
		return err
	}
	for i, s := range d.Statements {
		switch {
		case s.Effect != EffectDeny:
			return malformed("The effect of Allow is only supported for the RCPFullAWSAccess policy; an RCP statement's Effect must be Deny (statement %d)", i)
		case s.NotPrincipal != nil:
			return malformed("RCPs don't support the NotPrincipal element (statement %d)", i)
		case s.NotAction != nil:
			return malformed("RCPs don't support the NotAction element (statement %d)", i)
		case s.Principal == nil:
			return malformed("Each RCP statement must contain the Principal element (statement %d)", i)
		case !s.Principal.Wildcard:
			return malformed("You can only specify \"*\" in the Principal element of an RCP; use the Condition element to restrict specific principals (statement %d)", i)
		case s.Resource == nil && s.NotResource == nil:
			return malformed("Policy statement must contain resources. (statement %d)", i)
		}
		for _, a := range s.Action {
			if a == "*" {
				return malformed("You cannot use \"*\" in the Action element of an RCP; specify the service prefix (statement %d)", i)
			}
			if vendor, _, _ := strings.Cut(a, ":"); !RCPSupportsService(vendor) {
				return malformed("RCPs don't support actions of service %q (%q, statement %d)", vendor, a, i)
			}
		}
	}
	return nil
}
