package iam

// Inline policies of users, roles and groups: Put, Get, Delete and List
// …Policy/…Policies, one implementation each over the entity kind (see
// entitykinds.go). Inline policies live in the entity's Policies map,
// which authorization reads on every request, so a change applies from the
// next request on.

import (
	"context"
	"maps"
	"net/http"
	"slices"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/policy"
	"github.com/rootaccess/emulator/pkg/store"
)

// policyName checks a required PolicyName member (policyNameType).
func policyName(v *pipeline.Validator, name string) {
	entityName(v, "PolicyName", name, 128)
}

func noSuchInlinePolicy(kind entityKind, name string) *pipeline.Error {
	return noSuchEntity("The %s policy with name %s cannot be found.", kind, name)
}

type putEntityPolicyInput[E entitySpec] struct {
	UserName       string `query:"UserName"`
	RoleName       string `query:"RoleName"`
	GroupName      string `query:"GroupName"`
	PolicyName     string `query:"PolicyName"`
	PolicyDocument string `query:"PolicyDocument"`
}

func (in *putEntityPolicyInput[E]) entity() (entityInfo, string) {
	info := infoOf[E]()
	return info, entityNames{in.UserName, in.RoleName, in.GroupName}.of(info.kind)
}

func (in *putEntityPolicyInput[E]) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	requireEntityName(v, in)
	policyName(v, in.PolicyName)
	policyDocument(v, "PolicyDocument", in.PolicyDocument)
	return v.Err()
}

// putEntityPolicy parses the document as an identity policy
// (MalformedPolicyDocument otherwise) and stores it as the entity's inline
// policy of that name, replacing one of the name, unless the entity's
// inline policies would then pass its quota (LimitExceeded).
func putEntityPolicy[E entitySpec](s *Service, ctx context.Context, c *pipeline.Call, in *putEntityPolicyInput[E]) (*pipeline.NoOutput, error) {
	info := infoOf[E]()
	return s.changeEntity(ctx, c, in, func(_ *store.Tx, p *store.Principal) error {
		if _, err := policy.ParseAs([]byte(in.PolicyDocument), policy.IdentityPolicy); err != nil {
			return MalformedPolicyDocument(err)
		}
		total := policySize(in.PolicyDocument)
		for n, other := range p.Policies {
			if n != in.PolicyName {
				total += policySize(other)
			}
		}
		if total > info.inlineQuota {
			return pipeline.NewError(http.StatusConflict, "LimitExceeded", "Maximum policy size of %d bytes exceeded for %s %s", info.inlineQuota, info.kind, p.Name)
		}
		p.Policies = maps.Clone(p.Policies)
		if p.Policies == nil {
			p.Policies = map[string]string{}
		}
		p.Policies[in.PolicyName] = in.PolicyDocument
		return nil
	})
}

// entityPolicyInput is the input of Get…Policy and Delete…Policy.
type entityPolicyInput[E entitySpec] struct {
	UserName   string `query:"UserName"`
	RoleName   string `query:"RoleName"`
	GroupName  string `query:"GroupName"`
	PolicyName string `query:"PolicyName"`
}

func (in *entityPolicyInput[E]) entity() (entityInfo, string) {
	info := infoOf[E]()
	return info, entityNames{in.UserName, in.RoleName, in.GroupName}.of(info.kind)
}

func (in *entityPolicyInput[E]) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	requireEntityName(v, in)
	policyName(v, in.PolicyName)
	return v.Err()
}

// getEntityPolicyResult is Get{User,Role,Group}PolicyResult: the entity's
// stored name under its own member, and the document URL-encoded, as IAM
// returns it.
type getEntityPolicyResult struct {
	UserName       string `xml:",omitempty"`
	RoleName       string `xml:",omitempty"`
	GroupName      string `xml:",omitempty"`
	PolicyName     string
	PolicyDocument string
}

func getEntityPolicy[E entitySpec](s *Service, ctx context.Context, c *pipeline.Call, in *entityPolicyInput[E]) (*getEntityPolicyResult, error) {
	p, err := s.readEntity(ctx, c, in)
	if err != nil {
		return nil, err
	}
	doc, ok := p.Policies[in.PolicyName]
	if !ok {
		return nil, noSuchInlinePolicy(p.Kind, in.PolicyName)
	}
	out := &getEntityPolicyResult{PolicyName: in.PolicyName, PolicyDocument: rfc3986Escape(doc)}
	switch p.Kind {
	case store.PrincipalUser:
		out.UserName = p.Name
	case store.PrincipalRole:
		out.RoleName = p.Name
	default:
		out.GroupName = p.Name
	}
	return out, nil
}

func deleteEntityPolicy[E entitySpec](s *Service, ctx context.Context, c *pipeline.Call, in *entityPolicyInput[E]) (*pipeline.NoOutput, error) {
	return s.changeEntity(ctx, c, in, func(_ *store.Tx, p *store.Principal) error {
		if _, ok := p.Policies[in.PolicyName]; !ok {
			return noSuchInlinePolicy(infoOf[E]().kind, in.PolicyName)
		}
		p.Policies = maps.Clone(p.Policies)
		delete(p.Policies, in.PolicyName)
		return nil
	})
}

type listEntityPoliciesInput[E entitySpec] struct {
	UserName  string `query:"UserName"`
	RoleName  string `query:"RoleName"`
	GroupName string `query:"GroupName"`
	Marker    string `query:"Marker"`
	MaxItems  *int32 `query:"MaxItems"`
}

func (in *listEntityPoliciesInput[E]) entity() (entityInfo, string) {
	info := infoOf[E]()
	return info, entityNames{in.UserName, in.RoleName, in.GroupName}.of(info.kind)
}

func (in *listEntityPoliciesInput[E]) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	requireEntityName(v, in)
	pageParams(v, in.Marker, in.MaxItems)
	return v.Err()
}

type listInlinePoliciesResult struct {
	PolicyNames iamMembers[string]
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

// listEntityPolicies returns one IAM page of the entity's inline policy names, in order.
func listEntityPolicies[E entitySpec](s *Service, ctx context.Context, c *pipeline.Call, in *listEntityPoliciesInput[E]) (*listInlinePoliciesResult, error) {
	p, err := s.readEntity(ctx, c, in)
	if err != nil {
		return nil, err
	}
	page, next, err := iamPage(slices.Sorted(maps.Keys(p.Policies)), p.ARN, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &listInlinePoliciesResult{PolicyNames: iamMembers[string]{page}, IsTruncated: next != "", Marker: next}, nil
}
