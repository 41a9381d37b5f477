package iam

// Managed policies: customer managed policies (CreatePolicy, versions,
// tags), the AWS managed policies the emulator knows (pkg/policy: a few
// attachable ones, and the root-task policies only AssumeRoot uses), and
// their attachments to users, roles and groups. An attachment is on the
// entity's record (Principal.ManagedPolicies); the store's attachment
// index, written in the same transaction, lists a policy's entities. The
// authorizer evaluates the default version of each attached policy.

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/policy"
	"github.com/rootaccess/emulator/pkg/store"
)

// IAM's managed-policy quotas.
const (
	managedPolicySizeQuota    = 6144 // characters other than white space, per version
	maxPolicyVersions         = 5
	maxAttachedPoliciesPerKey = 10 // per user, role or group
)

// managedPolicyARNPattern is a well-formed managed policy ARN: an AWS
// managed (account "aws") or customer managed (12-digit account) policy.
var managedPolicyARNPattern = pipeline.NewPattern(`^arn:aws:iam::(aws|\d{12}):policy/(?:[!-~]+/)*[\w+=,.@-]+$`)

// The model's patterns, anchored because Coral matches the whole value.
var (
	policyVersionIDPattern = pipeline.NewPattern(`^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$`)
	policyPathPattern      = pipeline.NewPattern(`^((/[A-Za-z0-9\.,\+@=_-]+)*)/$`)
)

// iamPolicy is IAM's Policy shape.
type iamPolicy struct {
	PolicyName                    string
	PolicyID                      string `xml:"PolicyId"`
	Arn                           string
	Path                          string
	DefaultVersionID              string `xml:"DefaultVersionId"`
	AttachmentCount               int
	PermissionsBoundaryUsageCount int
	IsAttachable                  bool
	Description                   string `xml:",omitempty"`
	CreateDate                    string
	UpdateDate                    string
	Tags                          *iamMembers[tagShape] `xml:",omitempty"`
}

// managedPolicy is a managed policy of either origin, as the calls see it.
type managedPolicy struct {
	aws      *policy.ManagedPolicy // AWS managed; nil for a customer managed one
	taskOnly bool                  // a root-task policy: AssumeRoot's, attachable to no entity
	local    store.IAMPolicy
}

func (m managedPolicy) arn() string {
	if m.aws != nil {
		return m.aws.ARN
	}
	return m.local.ARN
}

// shape is the Policy of m with the caller's account's attachment count;
// details (Description, Tags) for GetPolicy and CreatePolicy only, as IAM.
func (m managedPolicy) shape(tx *store.Tx, account string, details bool) iamPolicy {
	count := tx.PolicyAttachmentCount(account, m.arn())
	if m.aws != nil {
		p := m.aws
		return iamPolicy{PolicyName: p.Name, PolicyID: p.PolicyID, Arn: p.ARN, Path: p.Path,
			DefaultVersionID: p.DefaultVersionID, AttachmentCount: count, IsAttachable: true,
			CreateDate: pipeline.XMLTime(p.CreateDate), UpdateDate: pipeline.XMLTime(p.UpdateDate)}
	}
	p := m.local
	out := iamPolicy{PolicyName: p.Name, PolicyID: p.ID, Arn: p.ARN, Path: p.Path, DefaultVersionID: p.DefaultVersion,
		AttachmentCount: count, IsAttachable: true,
		CreateDate: pipeline.XMLTime(p.CreatedAt), UpdateDate: pipeline.XMLTime(p.UpdatedAt)}
	if details {
		out.Description, out.Tags = p.Description, tagsOf(p.Tags)
	}
	return out
}

// awsPolicies are the AWS managed policies, ordered by name.
func awsPolicies() []policy.ManagedPolicy {
	out := slices.Concat(policy.AWSManagedPolicies(), policy.TaskPolicies())
	slices.SortFunc(out, func(a, b policy.ManagedPolicy) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

func noSuchPolicy(arn string) *pipeline.Error {
	return noSuchEntity("Policy %s does not exist or is not attachable.", arn)
}

// lookupPolicy finds the managed policy with the ARN that the caller's
// account can see: an AWS managed one or one of its own.
func lookupPolicy(tx *store.Tx, c *pipeline.Call, arn string) (managedPolicy, error) {
	if p, ok := policy.AWSManagedPolicy(arn); ok {
		return managedPolicy{aws: &p}, nil
	}
	if p, ok := policy.TaskPolicy(arn); ok {
		return managedPolicy{aws: &p, taskOnly: true}, nil
	}
	if policyAccount(arn) != c.ID.AccountID {
		return managedPolicy{}, noSuchPolicy(arn)
	}
	p, err := tx.IAMPolicy(arn)
	if errors.Is(err, store.ErrNotFound) {
		return managedPolicy{}, noSuchPolicy(arn)
	}
	return managedPolicy{local: p}, err
}

// customerPolicy is lookupPolicy for the calls that change a policy: an
// AWS managed policy is not the caller's to change.
func customerPolicy(tx *store.Tx, c *pipeline.Call, arn string) (store.IAMPolicy, error) {
	m, err := lookupPolicy(tx, c, arn)
	if err != nil {
		return store.IAMPolicy{}, err
	}
	if m.aws != nil {
		return store.IAMPolicy{}, pipeline.NewError(http.StatusForbidden, "AccessDenied",
			"Policy %s is an AWS managed policy: it cannot be changed from your account.", arn)
	}
	return m.local, nil
}

// policyAccount is the account field of a policy ARN ("aws" for AWS managed).
func policyAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// policyNameAndPath split a policy ARN's resource, policy/<path><name>.
func policyNameAndPath(arn string) (name, path string) {
	res := arn[strings.Index(arn, ":policy/")+len(":policy"):] // /<path><name>
	i := strings.LastIndexByte(res, '/')
	return res[i+1:], res[:i+1]
}

// validatePolicyARN checks a PolicyArn member: the model's constraints,
// then IAM's own InvalidInput for a value that is not a policy ARN.
func validatePolicyARN(v *pipeline.Validator, arn string) error {
	if v.Required("PolicyArn", arn != "") {
		v.Length("PolicyArn", arn, 20, 2048)
	}
	if err := v.Err(); err != nil {
		return err
	}
	if !managedPolicyARNPattern.MatchString(arn) {
		return pipeline.NewError(http.StatusBadRequest, "InvalidInput", "ARN %s is not valid.", arn)
	}
	return nil
}

func optionalVersionID(v *pipeline.Validator, id string, required bool) {
	if (!required || v.Required("VersionId", id != "")) && id != "" {
		v.Pattern("VersionId", id, policyVersionIDPattern)
	}
}

// checkManagedDocument parses a managed policy version as an identity
// policy and checks it against the size quota.
func checkManagedDocument(doc string) error {
	if _, err := policy.ParseAs([]byte(doc), policy.IdentityPolicy); err != nil {
		return MalformedPolicyDocument(err)
	}
	if policySize(doc) > managedPolicySizeQuota {
		return pipeline.NewError(http.StatusConflict, "LimitExceeded", "Cannot exceed quota for PolicySize: %d", managedPolicySizeQuota)
	}
	return nil
}

// policyTarget authorizes a call on the named policy's ARN, with a
// customer managed policy's tags as aws:ResourceTag and iam:ResourceTag.
func policyTarget[In any, P interface {
	*In
	policyNamed
}](s *Service, ctx context.Context, c *pipeline.Call, in P) (pipeline.Resource, error) {
	res := pipeline.Resource{ARN: in.policyARN()}
	if policyAccount(res.ARN) != c.ID.AccountID {
		return res, nil
	}
	err := s.store.View(ctx, func(tx *store.Tx) error {
		p, err := tx.IAMPolicy(res.ARN)
		if err == nil {
			res.Context = resourceTagContext(p.Tags)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return nil
	})
	return res, err
}

type policyNamed interface{ policyARN() string }

// --- CreatePolicy ---

type createPolicyInput struct {
	PolicyName     string            `query:"PolicyName"`
	Path           string            `query:"Path"`
	PolicyDocument string            `query:"PolicyDocument"`
	Description    string            `query:"Description"`
	Tags           map[string]string `query:"Tags.member,flat,map=Key/Value"`
}

func (in *createPolicyInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	policyName(v, in.PolicyName)
	if in.Path != "" {
		v.Length("Path", in.Path, 1, 512)
		v.Pattern("Path", in.Path, policyPathPattern)
	}
	policyDocument(v, "PolicyDocument", in.PolicyDocument)
	v.Length("Description", in.Description, 0, 1000)
	return tagList(v, in.Tags)
}

// createPolicyTarget authorizes on the ARN the new policy will have, with
// iam:TagPolicy for its tags.
func createPolicyTarget(_ *Service, _ context.Context, c *pipeline.Call, in *createPolicyInput) (pipeline.Resource, error) {
	res := pipeline.Resource{ARN: store.IAMPolicyARN(c.ID.AccountID, cmp.Or(in.Path, "/"), in.PolicyName)}
	if len(in.Tags) > 0 {
		res.Also, res.Context = []string{"iam:TagPolicy"}, pipeline.RequestTagContext(in.Tags)
	}
	return res, nil
}

type policyResult struct {
	Policy iamPolicy
}

func (s *Service) createPolicy(ctx context.Context, c *pipeline.Call, in *createPolicyInput) (*policyResult, error) {
	var out iamPolicy
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		if err := checkManagedDocument(in.PolicyDocument); err != nil {
			return err
		}
		p, err := tx.AddIAMPolicy(store.IAMPolicy{AccountID: c.ID.AccountID, Name: in.PolicyName, Path: in.Path,
			Description: in.Description, Tags: storeTags(in.Tags)}, in.PolicyDocument)
		if errors.Is(err, store.ErrConflict) {
			return pipeline.NewError(http.StatusConflict, "EntityAlreadyExists",
				"A policy called %s already exists. Duplicate names are not allowed.", in.PolicyName)
		} else if err != nil {
			return err
		}
		out = managedPolicy{local: p}.shape(tx, c.ID.AccountID, true)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &policyResult{Policy: out}, nil
}

// --- GetPolicy, DeletePolicy ---

type policyARNInput struct {
	PolicyArn string `query:"PolicyArn"`
}

func (in *policyARNInput) policyARN() string { return in.PolicyArn }

func (in *policyARNInput) Validate() error {
	return validatePolicyARN(pipeline.NewValidator("ValidationError"), in.PolicyArn)
}

func (s *Service) getPolicy(ctx context.Context, c *pipeline.Call, in *policyARNInput) (*policyResult, error) {
	var out iamPolicy
	err := s.store.View(ctx, func(tx *store.Tx) error {
		m, err := lookupPolicy(tx, c, in.PolicyArn)
		if err != nil {
			return err
		}
		out = m.shape(tx, c.ID.AccountID, true)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &policyResult{Policy: out}, nil
}

// deletePolicy deletes a customer managed policy attached to nothing and
// with no version but its default (DeleteConflict otherwise, as IAM).
func (s *Service) deletePolicy(ctx context.Context, c *pipeline.Call, in *policyARNInput) (*pipeline.NoOutput, error) {
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		p, err := customerPolicy(tx, c, in.PolicyArn)
		if err != nil {
			return err
		}
		if tx.PolicyAttachmentCount(c.ID.AccountID, p.ARN) > 0 {
			return pipeline.NewError(http.StatusConflict, "DeleteConflict", "Cannot delete a policy attached to entities.")
		}
		if len(p.Versions) > 1 {
			return pipeline.NewError(http.StatusConflict, "DeleteConflict",
				"This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
		}
		return tx.DeleteIAMPolicy(p.ARN)
	})
	if err != nil {
		return nil, err
	}
	return &pipeline.NoOutput{}, nil
}

// --- ListPolicies ---

type listPoliciesInput struct {
	Scope             string `query:"Scope"`
	OnlyAttached      bool   `query:"OnlyAttached"`
	PathPrefix        string `query:"PathPrefix"`
	PolicyUsageFilter string `query:"PolicyUsageFilter"`
	Marker            string `query:"Marker"`
	MaxItems          *int32 `query:"MaxItems"`
}

func (in *listPoliciesInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	if in.Scope != "" {
		v.OneOf("Scope", in.Scope, "All", "AWS", "Local")
	}
	if in.PathPrefix != "" {
		v.Length("PathPrefix", in.PathPrefix, 1, 512)
		v.Pattern("PathPrefix", in.PathPrefix, policyPathPattern)
	}
	if in.PolicyUsageFilter != "" {
		v.OneOf("PolicyUsageFilter", in.PolicyUsageFilter, "PermissionsPolicy", "PermissionsBoundary")
	}
	pageParams(v, in.Marker, in.MaxItems)
	return v.Err()
}

type listPoliciesResult struct {
	Policies    iamMembers[iamPolicy]
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

// listPolicies lists the AWS managed policies (by name), then the
// account's customer managed ones (by name), as Scope, PathPrefix and
// OnlyAttached filter them. The emulator has no permissions boundaries,
// so PolicyUsageFilter=PermissionsBoundary with OnlyAttached lists nothing.
func (s *Service) listPolicies(ctx context.Context, c *pipeline.Call, in *listPoliciesInput) (*listPoliciesResult, error) {
	prefix := cmp.Or(in.PathPrefix, "/")
	account := c.ID.AccountID
	var page []iamPolicy
	var next string
	err := s.store.View(ctx, func(tx *store.Tx) error {
		keep := func(arn, path string) bool {
			return strings.HasPrefix(path, prefix) && (!in.OnlyAttached ||
				(in.PolicyUsageFilter != "PermissionsBoundary" && tx.PolicyAttachmentCount(account, arn) > 0))
		}
		// A marker is valid only for the listing (filters) it came from.
		scope := strings.Join([]string{in.Scope, prefix, strconv.FormatBool(in.OnlyAttached), in.PolicyUsageFilter}, "|")
		var err error
		page, next, err = iamCursorPage(scope, in.Marker, in.MaxItems, func(after string, limit int) ([]iamPolicy, string, error) {
			return policiesPage(tx, account, in.Scope, keep, after, limit)
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &listPoliciesResult{Policies: iamMembers[iamPolicy]{page}, IsTruncated: next != "", Marker: next}, nil
}

// policiesPage is one page of ListPolicies. Its cursor is "a<i>" to go on
// at the i-th AWS managed policy, or "l<store cursor>" to go on among the
// customer managed ones ("l" alone: from their first).
func policiesPage(tx *store.Tx, account, scope string, keep func(arn, path string) bool, after string, limit int) ([]iamPolicy, string, error) {
	out := []iamPolicy{}
	local, inLocal := strings.CutPrefix(after, "l")
	if !inLocal {
		local = ""
	}
	if !inLocal && scope != "Local" {
		start := 0
		if after != "" {
			n, err := strconv.Atoi(strings.TrimPrefix(after, "a"))
			if err != nil || !strings.HasPrefix(after, "a") || n < 0 {
				return nil, "", store.ErrInvalidCursor
			}
			start = n
		}
		list := awsPolicies()
		for i := start; i < len(list); i++ {
			p := list[i]
			if !keep(p.ARN, p.Path) {
				continue
			}
			if len(out) == limit {
				return out, "a" + strconv.Itoa(i), nil
			}
			out = append(out, managedPolicy{aws: &p}.shape(tx, account, false))
		}
	}
	if scope == "AWS" {
		return out, "", nil
	}
	keepLocal := func(p store.IAMPolicy) bool { return keep(p.ARN, p.Path) }
	if len(out) == limit {
		more, _, err := tx.IAMPoliciesPage(account, "", 1, keepLocal)
		if err != nil || len(more) == 0 {
			return out, "", err
		}
		return out, "l", nil
	}
	rest, cursor, err := tx.IAMPoliciesPage(account, local, limit-len(out), keepLocal)
	if err != nil {
		return nil, "", err
	}
	for _, p := range rest {
		out = append(out, managedPolicy{local: p}.shape(tx, account, false))
	}
	if cursor != "" {
		cursor = "l" + cursor
	}
	return out, cursor, nil
}

// --- Versions: CreatePolicyVersion, GetPolicyVersion, ListPolicyVersions,
// DeletePolicyVersion, SetDefaultPolicyVersion ---

// policyVersionShape is IAM's PolicyVersion; Document is URL-encoded, as
// IAM returns every policy document, and only GetPolicyVersion has it.
type policyVersionShape struct {
	Document         string `xml:",omitempty"`
	VersionID        string `xml:"VersionId"`
	IsDefaultVersion bool
	CreateDate       string
}

func versionOf(p store.IAMPolicy, v store.PolicyVersion) policyVersionShape {
	return policyVersionShape{VersionID: v.ID, IsDefaultVersion: v.ID == p.DefaultVersion, CreateDate: pipeline.XMLTime(v.CreatedAt)}
}

type createPolicyVersionInput struct {
	PolicyArn      string `query:"PolicyArn"`
	PolicyDocument string `query:"PolicyDocument"`
	SetAsDefault   bool   `query:"SetAsDefault"`
}

func (in *createPolicyVersionInput) policyARN() string { return in.PolicyArn }

func (in *createPolicyVersionInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	policyDocument(v, "PolicyDocument", in.PolicyDocument)
	return validatePolicyARN(v, in.PolicyArn)
}

type policyVersionResult struct {
	PolicyVersion policyVersionShape
}

// createPolicyVersion adds a version (at most five: LimitExceeded), the
// default one when SetAsDefault, which authorization evaluates from the
// next request on.
func (s *Service) createPolicyVersion(ctx context.Context, c *pipeline.Call, in *createPolicyVersionInput) (*policyVersionResult, error) {
	var out policyVersionShape
	err := s.changePolicy(ctx, c, in.PolicyArn, func(tx *store.Tx, p *store.IAMPolicy) error {
		if err := checkManagedDocument(in.PolicyDocument); err != nil {
			return err
		}
		if len(p.Versions) >= maxPolicyVersions {
			return pipeline.NewError(http.StatusConflict, "LimitExceeded",
				"A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", maxPolicyVersions)
		}
		v := store.PolicyVersion{ID: "v" + strconv.Itoa(p.NextVersion), Document: in.PolicyDocument, CreatedAt: tx.Now()}
		p.Versions = append(slices.Clone(p.Versions), v)
		p.NextVersion++
		p.UpdatedAt = tx.Now()
		if in.SetAsDefault {
			p.DefaultVersion = v.ID
		}
		out = versionOf(*p, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &policyVersionResult{PolicyVersion: out}, nil
}

type policyVersionInput struct {
	PolicyArn string `query:"PolicyArn"`
	VersionID string `query:"VersionId"`
}

func (in *policyVersionInput) policyARN() string { return in.PolicyArn }

func (in *policyVersionInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	optionalVersionID(v, in.VersionID, true)
	return validatePolicyARN(v, in.PolicyArn)
}

func noSuchVersion(arn, id string) *pipeline.Error {
	return noSuchEntity("Policy %s version %s does not exist or is not attachable.", arn, id)
}

func (s *Service) getPolicyVersion(ctx context.Context, c *pipeline.Call, in *policyVersionInput) (*policyVersionResult, error) {
	var out policyVersionShape
	err := s.store.View(ctx, func(tx *store.Tx) error {
		m, err := lookupPolicy(tx, c, in.PolicyArn)
		if err != nil {
			return err
		}
		if m.aws != nil {
			// The emulator serves an AWS managed policy's default version only.
			if in.VersionID != m.aws.DefaultVersionID {
				return noSuchVersion(in.PolicyArn, in.VersionID)
			}
			out = policyVersionShape{Document: rfc3986Escape(m.aws.Raw), VersionID: m.aws.DefaultVersionID,
				IsDefaultVersion: true, CreateDate: pipeline.XMLTime(m.aws.UpdateDate)}
			return nil
		}
		v, ok := m.local.Version(in.VersionID)
		if !ok {
			return noSuchVersion(in.PolicyArn, in.VersionID)
		}
		out = versionOf(m.local, v)
		out.Document = rfc3986Escape(v.Document)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &policyVersionResult{PolicyVersion: out}, nil
}

type listPolicyVersionsInput struct {
	PolicyArn string `query:"PolicyArn"`
	Marker    string `query:"Marker"`
	MaxItems  *int32 `query:"MaxItems"`
}

func (in *listPolicyVersionsInput) policyARN() string { return in.PolicyArn }

func (in *listPolicyVersionsInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	pageParams(v, in.Marker, in.MaxItems)
	return validatePolicyARN(v, in.PolicyArn)
}

type listPolicyVersionsResult struct {
	Versions    iamMembers[policyVersionShape]
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

// listPolicyVersions lists the versions newest first, as IAM does.
func (s *Service) listPolicyVersions(ctx context.Context, c *pipeline.Call, in *listPolicyVersionsInput) (*listPolicyVersionsResult, error) {
	var all []policyVersionShape
	err := s.store.View(ctx, func(tx *store.Tx) error {
		m, err := lookupPolicy(tx, c, in.PolicyArn)
		if err != nil {
			return err
		}
		if m.aws != nil {
			all = []policyVersionShape{{VersionID: m.aws.DefaultVersionID, IsDefaultVersion: true, CreateDate: pipeline.XMLTime(m.aws.UpdateDate)}}
			return nil
		}
		for _, v := range slices.Backward(m.local.Versions) {
			all = append(all, versionOf(m.local, v))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	page, next, err := iamPage(all, in.PolicyArn+"|versions", in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &listPolicyVersionsResult{Versions: iamMembers[policyVersionShape]{page}, IsTruncated: next != "", Marker: next}, nil
}

// deletePolicyVersion deletes a version other than the default one
// (DeleteConflict for that: SetDefaultPolicyVersion first).
func (s *Service) deletePolicyVersion(ctx context.Context, c *pipeline.Call, in *policyVersionInput) (*pipeline.NoOutput, error) {
	return noOutput(s.changePolicy(ctx, c, in.PolicyArn, func(_ *store.Tx, p *store.IAMPolicy) error {
		if _, ok := p.Version(in.VersionID); !ok {
			return noSuchVersion(in.PolicyArn, in.VersionID)
		}
		if in.VersionID == p.DefaultVersion {
			return pipeline.NewError(http.StatusConflict, "DeleteConflict", "Cannot delete the default version of a policy.")
		}
		p.Versions = slices.DeleteFunc(slices.Clone(p.Versions), func(v store.PolicyVersion) bool { return v.ID == in.VersionID })
		return nil
	}))
}

// setDefaultPolicyVersion makes a version the one evaluated, from the next request on.
func (s *Service) setDefaultPolicyVersion(ctx context.Context, c *pipeline.Call, in *policyVersionInput) (*pipeline.NoOutput, error) {
	return noOutput(s.changePolicy(ctx, c, in.PolicyArn, func(_ *store.Tx, p *store.IAMPolicy) error {
		if _, ok := p.Version(in.VersionID); !ok {
			return noSuchVersion(in.PolicyArn, in.VersionID)
		}
		p.DefaultVersion = in.VersionID
		return nil
	}))
}

// noOutput is the answer of a call without output that ended with err.
func noOutput(err error) (*pipeline.NoOutput, error) {
	if err != nil {
		return nil, err
	}
	return &pipeline.NoOutput{}, nil
}

// --- Attachments: Attach/Detach{User,Role,Group}Policy,
// ListAttached{User,Role,Group}Policies, ListEntitiesForPolicy ---

type attachPolicyInput[E entitySpec] struct {
	UserName  string `query:"UserName"`
	RoleName  string `query:"RoleName"`
	GroupName string `query:"GroupName"`
	PolicyArn string `query:"PolicyArn"`
}

func (in *attachPolicyInput[E]) entity() (entityInfo, string) {
	info := infoOf[E]()
	return info, entityNames{in.UserName, in.RoleName, in.GroupName}.of(info.kind)
}

func (in *attachPolicyInput[E]) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	requireEntityName(v, in)
	return validatePolicyARN(v, in.PolicyArn)
}

// attachTarget authorizes on the entity, with iam:PolicyARN, the condition
// key IAM sets for the policy being attached or detached.
func attachTarget[E entitySpec](s *Service, ctx context.Context, c *pipeline.Call, in *attachPolicyInput[E]) (pipeline.Resource, error) {
	res, err := entityTarget(s, ctx, c, in)
	return withContext(res, map[string][]string{"iam:PolicyARN": {in.PolicyArn}}), err
}

// attachPolicy attaches a managed policy to the entity; attaching it again
// changes nothing. An entity has at most ten (LimitExceeded); a root-task
// policy is for AssumeRoot alone (PolicyNotAttachable).
func attachPolicy[E entitySpec](s *Service, ctx context.Context, c *pipeline.Call, in *attachPolicyInput[E]) (*pipeline.NoOutput, error) {
	info, _ := in.entity()
	return s.changeEntity(ctx, c, in, func(tx *store.Tx, e *store.Principal) error {
		m, err := lookupPolicy(tx, c, in.PolicyArn)
		if err != nil {
			return err
		}
		if m.taskOnly {
			return pipeline.NewError(http.StatusBadRequest, "PolicyNotAttachable",
				"Policy %s can be used only as the task policy of sts:AssumeRoot: it cannot be attached to a %s.", in.PolicyArn, info.kind)
		}
		if slices.Contains(e.ManagedPolicies, m.arn()) {
			return nil
		}
		if len(e.ManagedPolicies) >= maxAttachedPoliciesPerKey {
			return pipeline.NewError(http.StatusConflict, "LimitExceeded", "Cannot exceed quota for PoliciesPer%s: %d", info.quotaName, maxAttachedPoliciesPerKey)
		}
		e.ManagedPolicies = append(slices.Clone(e.ManagedPolicies), m.arn())
		return nil
	})
}

// detachPolicy detaches a managed policy; one not attached is NoSuchEntity.
func detachPolicy[E entitySpec](s *Service, ctx context.Context, c *pipeline.Call, in *attachPolicyInput[E]) (*pipeline.NoOutput, error) {
	return s.changeEntity(ctx, c, in, func(_ *store.Tx, e *store.Principal) error {
		i := slices.Index(e.ManagedPolicies, in.PolicyArn)
		if i < 0 {
			return noSuchEntity("Policy %s was not found.", in.PolicyArn)
		}
		e.ManagedPolicies = slices.Delete(slices.Clone(e.ManagedPolicies), i, i+1)
		return nil
	})
}

type listAttachedPoliciesInput[E entitySpec] struct {
	UserName   string `query:"UserName"`
	RoleName   string `query:"RoleName"`
	GroupName  string `query:"GroupName"`
	PathPrefix string `query:"PathPrefix"`
	Marker     string `query:"Marker"`
	MaxItems   *int32 `query:"MaxItems"`
}

func (in *listAttachedPoliciesInput[E]) entity() (entityInfo, string) {
	info := infoOf[E]()
	return info, entityNames{in.UserName, in.RoleName, in.GroupName}.of(info.kind)
}

func (in *listAttachedPoliciesInput[E]) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	requireEntityName(v, in)
	if in.PathPrefix != "" {
		v.Length("PathPrefix", in.PathPrefix, 1, 512)
		v.Pattern("PathPrefix", in.PathPrefix, policyPathPattern)
	}
	pageParams(v, in.Marker, in.MaxItems)
	return v.Err()
}

type attachedPolicyShape struct {
	PolicyName string
	PolicyArn  string
}

type listAttachedPoliciesResult struct {
	AttachedPolicies iamMembers[attachedPolicyShape]
	IsTruncated      bool
	Marker           string `xml:",omitempty"`
}

// listAttachedPolicies lists the entity's managed policies in the order
// they were attached, those on a path under PathPrefix.
func listAttachedPolicies[E entitySpec](s *Service, ctx context.Context, c *pipeline.Call, in *listAttachedPoliciesInput[E]) (*listAttachedPoliciesResult, error) {
	prefix := cmp.Or(in.PathPrefix, "/")
	e, err := s.readEntity(ctx, c, in)
	if err != nil {
		return nil, err
	}
	all := []attachedPolicyShape{}
	for _, arn := range e.ManagedPolicies {
		if n, path := policyNameAndPath(arn); strings.HasPrefix(path, prefix) {
			all = append(all, attachedPolicyShape{PolicyName: n, PolicyArn: arn})
		}
	}
	page, next, err := iamPage(all, e.ARN+"|attached|"+prefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &listAttachedPoliciesResult{AttachedPolicies: iamMembers[attachedPolicyShape]{page}, IsTruncated: next != "", Marker: next}, nil
}

type listEntitiesForPolicyInput struct {
	PolicyArn         string `query:"PolicyArn"`
	EntityFilter      string `query:"EntityFilter"`
	PathPrefix        string `query:"PathPrefix"`
	PolicyUsageFilter string `query:"PolicyUsageFilter"`
	Marker            string `query:"Marker"`
	MaxItems          *int32 `query:"MaxItems"`
}

func (in *listEntitiesForPolicyInput) policyARN() string { return in.PolicyArn }

func (in *listEntitiesForPolicyInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	if in.EntityFilter != "" {
		v.OneOf("EntityFilter", in.EntityFilter, "User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")
	}
	optionalPathPrefixType(v, in.PathPrefix)
	if in.PolicyUsageFilter != "" {
		v.OneOf("PolicyUsageFilter", in.PolicyUsageFilter, "PermissionsPolicy", "PermissionsBoundary")
	}
	pageParams(v, in.Marker, in.MaxItems)
	return validatePolicyARN(v, in.PolicyArn)
}

// optionalPathPrefixType checks ListEntitiesForPolicy's PathPrefix, a pathType.
func optionalPathPrefixType(v *pipeline.Validator, prefix string) {
	if prefix != "" {
		v.Length("PathPrefix", prefix, 1, 512)
		v.Pattern("PathPrefix", prefix, pathPattern)
	}
}

type policyEntityShape struct {
	UserName  string `xml:",omitempty"`
	UserID    string `xml:"UserId,omitempty"`
	RoleName  string `xml:",omitempty"`
	RoleID    string `xml:"RoleId,omitempty"`
	GroupName string `xml:",omitempty"`
	GroupID   string `xml:"GroupId,omitempty"`
}

type listEntitiesForPolicyResult struct {
	PolicyGroups iamMembers[policyEntityShape]
	PolicyUsers  iamMembers[policyEntityShape]
	PolicyRoles  iamMembers[policyEntityShape]
	IsTruncated  bool
	Marker       string `xml:",omitempty"`
}

// listEntitiesForPolicy lists the account's entities attached to the
// policy, from the attachment index, ordered by ARN. No entity is attached
// to a policy as its permissions boundary, and none of the EntityFilter
// values LocalManagedPolicy and AWSManagedPolicy (policies) is an entity a
// policy is attached to, so those filters list nothing.
func (s *Service) listEntitiesForPolicy(ctx context.Context, c *pipeline.Call, in *listEntitiesForPolicyInput) (*listEntitiesForPolicyResult, error) {
	account := c.ID.AccountID
	prefix := cmp.Or(in.PathPrefix, "/")
	kinds := map[string]entityKind{"User": store.PrincipalUser, "Role": store.PrincipalRole, "Group": store.PrincipalGroup}
	none := in.PolicyUsageFilter == "PermissionsBoundary" || in.EntityFilter == "LocalManagedPolicy" || in.EntityFilter == "AWSManagedPolicy"
	keep := func(p store.Principal) bool {
		return !none && strings.HasPrefix(p.Path, prefix) && (in.EntityFilter == "" || kinds[in.EntityFilter] == p.Kind)
	}
	var page []store.Principal
	var next string
	err := s.store.View(ctx, func(tx *store.Tx) error {
		m, err := lookupPolicy(tx, c, in.PolicyArn)
		if err != nil {
			return err
		}
		scope := strings.Join([]string{m.arn(), in.EntityFilter, prefix, in.PolicyUsageFilter}, "|")
		page, next, err = iamCursorPage(scope, in.Marker, in.MaxItems, func(after string, limit int) ([]store.Principal, string, error) {
			return tx.PolicyEntitiesPage(account, m.arn(), after, limit, keep)
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &listEntitiesForPolicyResult{IsTruncated: next != "", Marker: next}
	for _, p := range page {
		switch p.Kind {
		case store.PrincipalUser:
			out.PolicyUsers.Members = append(out.PolicyUsers.Members, policyEntityShape{UserName: p.Name, UserID: p.ID})
		case store.PrincipalRole:
			out.PolicyRoles.Members = append(out.PolicyRoles.Members, policyEntityShape{RoleName: p.Name, RoleID: p.ID})
		case store.PrincipalGroup:
			out.PolicyGroups.Members = append(out.PolicyGroups.Members, policyEntityShape{GroupName: p.Name, GroupID: p.ID})
		}
	}
	return out, nil
}
