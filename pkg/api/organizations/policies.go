package organizations

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/policy"
	"github.com/rootaccess/emulator/pkg/store"
)

const (
	// maxPoliciesPerType is AWS's quota of policies of one type in an organization.
	maxPoliciesPerType = 1000
	// maxAttachmentsPerTarget is how many SCPs (or RCPs) one root, OU or
	// account may have attached, the AWS-managed one included.
	maxAttachmentsPerTarget = 5
)

var (
	// policyTypes is the model's PolicyType enum.
	policyTypes = []string{"SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY", "TAG_POLICY", "BACKUP_POLICY",
		"AISERVICES_OPT_OUT_POLICY", "CHATBOT_POLICY", "DECLARATIVE_POLICY_EC2", "SECURITYHUB_POLICY",
		"INSPECTOR_POLICY", "UPGRADE_ROLLOUT_POLICY", "BEDROCK_POLICY", "S3_POLICY", "NETWORK_SECURITY_DIRECTOR_POLICY"}
)

// policyType checks a PolicyType member.
func (v *input) policyType(member, s string) {
	if !slices.Contains(policyTypes, s) {
		v.fail("INVALID_ENUM_POLICY_TYPE", "You specified an invalid policy type string.", member)
	}
}

// supportedPolicyType reports whether the emulator implements a policy type:
// SCPs and RCPs, the two that authorize requests.
func supportedPolicyType(t string) bool {
	return t == store.ServiceControlPolicyType || t == store.ResourceControlPolicyType
}

// --- errors ---

func policyNotFound() *pipeline.Error {
	return orgError("PolicyNotFoundException", "We can't find a policy with the PolicyId that you specified.")
}

func policyTypeNotEnabled() *pipeline.Error {
	return orgError("PolicyTypeNotEnabledException",
		"The specified policy type isn't currently enabled in this root. You can't attach policies of the specified type to entities in a root until you enable that type in the root.")
}

func policyTypeNotAvailable() *pipeline.Error {
	return orgError("PolicyTypeNotAvailableForOrganizationException",
		"You can't use the specified policy type with the feature set currently enabled for this organization. For example, you can enable SCPs only after you enable all features in the organization.")
}

func targetNotFound() *pipeline.Error {
	return orgError("TargetNotFoundException", "We can't find a root, OU, account, or policy with the TargetId that you specified.")
}

// checkPolicyTypeAvailable refuses policy types the organization cannot use:
// all of them in an organization without all features, and (the emulator
// implementing only SCPs and RCPs) any other type.
func checkPolicyTypeAvailable(org store.Organization, t string) error {
	if org.FeatureSet != "ALL" || !supportedPolicyType(t) {
		return policyTypeNotAvailable()
	}
	return nil
}

// --- wire shapes ---

type policySummary struct {
	ID          string `json:"Id"`
	Arn         string
	Name        string
	Description string
	Type        string
	AwsManaged  bool
}

type policyShape struct {
	PolicySummary policySummary
	Content       string
}

type policyTargetSummary struct {
	TargetID string `json:"TargetId"`
	Arn      string
	Name     string
	Type     string
}

func policyTypesOf(org store.Organization) []policyTypeSummary {
	out := []policyTypeSummary{}
	for _, t := range org.PolicyTypes {
		out = append(out, policyTypeSummary{Type: t, Status: "ENABLED"})
	}
	return out
}

func rootOf(org store.Organization) root {
	return root{ID: org.RootID, Arn: rootARN(org), Name: rootName, PolicyTypes: policyTypesOf(org)}
}

func policyARN(org store.Organization, p store.OrganizationPolicy) string {
	return "arn:aws:organizations::" + org.ManagementAccountID + ":policy/" + org.ID + "/" + strings.ToLower(p.Type) + "/" + p.ID
}

func customerPolicyOf(org store.Organization, p store.OrganizationPolicy) policyShape {
	return policyShape{PolicySummary: policySummary{ID: p.ID, Arn: policyARN(org, p), Name: p.Name,
		Description: p.Description, Type: p.Type}, Content: p.Content}
}

func managedPolicyOf(m policy.OrganizationManagedPolicy) policyShape {
	return policyShape{PolicySummary: policySummary{ID: m.ID, Arn: m.ARN, Name: m.Name, Description: m.Description,
		Type: m.Type, AwsManaged: true}, Content: m.Content}
}

// orgPolicy finds a policy by id: an AWS-managed one or one of org's.
func orgPolicy(tx *store.Tx, org store.Organization, id string) (policyShape, error) {
	if m, ok := policy.OrganizationManagedPolicyByID(id); ok {
		return managedPolicyOf(m), nil
	}
	p, err := tx.OrganizationPolicy(org.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return policyShape{}, policyNotFound()
	} else if err != nil {
		return policyShape{}, err
	}
	return customerPolicyOf(org, p), nil
}

// validatePolicyContent checks a document the way Organizations does for
// its type: MalformedPolicyDocumentException, or ConstraintViolationException
// POLICY_CONTENT_LIMIT_EXCEEDED for one over 5,120 characters.
func validatePolicyContent(policyType, content string) error {
	kind := policy.ServiceControlPolicy
	if policyType == store.ResourceControlPolicyType {
		kind = policy.ResourceControlPolicy
	}
	_, err := policy.ParseAs([]byte(content), kind)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, policy.ErrPolicyTooLarge):
		return constraint("POLICY_CONTENT_LIMIT_EXCEEDED", "You attempted to create a policy that is larger than the maximum size.")
	}
	return orgError("MalformedPolicyDocumentException", policy.MalformedOrganizationPolicyMessage)
}

// duplicatePolicyName reports whether another policy of the type in org has the name.
func duplicatePolicyName(tx *store.Tx, org store.Organization, policyType, name, except string) (bool, error) {
	all, err := tx.OrganizationPolicies(org.ID, policyType)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(all, func(p store.OrganizationPolicy) bool { return p.Name == name && p.ID != except }), nil
}

func duplicatePolicy() *pipeline.Error {
	return orgError("DuplicatePolicyException", "A policy with the same name already exists.")
}

// --- EnablePolicyType / DisablePolicyType ---

type policyTypeInput struct {
	RootID     string `json:"RootId"`
	PolicyType string
}

func (in *policyTypeInput) Validate() error {
	v := &input{}
	if v.required("RootId", in.RootID != "") {
		v.text("RootId", in.RootID, 1, 34, isRootID)
	}
	if v.required("PolicyType", in.PolicyType != "") {
		v.policyType("PolicyType", in.PolicyType)
	}
	return v.result()
}

type rootResult struct {
	Root root
}

func rootNotFound() *pipeline.Error {
	return orgError("RootNotFoundException", "We can't find a root with the RootId that you specified.")
}

// enablePolicyType enables SCPs or RCPs in the root and attaches their
// AWS-managed policy to the root, every OU and every account. The change is
// immediate: the root never reads PENDING_ENABLE.
func (s *Service) enablePolicyType(ctx context.Context, c *pipeline.Call, in *policyTypeInput) (*rootResult, error) {
	return call(ctx, s.store.Update, c, manager, func(tx *store.Tx, org store.Organization, out *rootResult) error {
		if in.RootID != org.RootID {
			return rootNotFound()
		}
		if err := checkPolicyTypeAvailable(org, in.PolicyType); err != nil {
			return err
		}
		if org.PolicyTypeEnabled(in.PolicyType) {
			return orgError("PolicyTypeAlreadyEnabledException", "The specified policy type is already enabled.")
		}
		if err := tx.EnablePolicyType(&org, in.PolicyType); err != nil {
			return err
		}
		out.Root = rootOf(org)
		return tx.PutOrganization(org)
	})
}

// disablePolicyType disables a policy type and detaches every policy of it;
// the policies themselves remain.
func (s *Service) disablePolicyType(ctx context.Context, c *pipeline.Call, in *policyTypeInput) (*rootResult, error) {
	return call(ctx, s.store.Update, c, manager, func(tx *store.Tx, org store.Organization, out *rootResult) error {
		if in.RootID != org.RootID {
			return rootNotFound()
		}
		if !org.PolicyTypeEnabled(in.PolicyType) {
			return policyTypeNotEnabled()
		}
		if err := tx.DisablePolicyType(&org, in.PolicyType); err != nil {
			return err
		}
		out.Root = rootOf(org)
		return tx.PutOrganization(org)
	})
}

// --- CreatePolicy ---

type createPolicyInput struct {
	Content     string
	Description *string
	Name        string
	Type        string
	Tags        []tag
}

func (in *createPolicyInput) Validate() error {
	v := &input{}
	if v.required("Content", in.Content != "") {
		v.text("Content", in.Content, 1, 0, anyText)
	}
	if v.required("Description", in.Description != nil) {
		v.text("Description", *in.Description, 0, 512, anyText)
	}
	if v.required("Name", in.Name != "") {
		v.text("Name", in.Name, 1, 128, anyText)
	}
	if v.required("Type", in.Type != "") {
		v.policyType("Type", in.Type)
	}
	v.tags(in.Tags)
	return v.result()
}

type policyResult struct {
	Policy policyShape
}

// createPolicy creates a customer-managed SCP or RCP. The policy type need
// not be enabled to create one, only to attach it.
func (s *Service) createPolicy(ctx context.Context, c *pipeline.Call, in *createPolicyInput) (*policyResult, error) {
	if err := s.authorizeTagging(ctx, c, in.Tags); err != nil {
		return nil, err
	}
	return call(ctx, s.store.Update, c, manager, func(tx *store.Tx, org store.Organization, out *policyResult) error {
		if err := checkPolicyTypeAvailable(org, in.Type); err != nil {
			return err
		}
		if err := validatePolicyContent(in.Type, in.Content); err != nil {
			return err
		}
		existing, err := tx.OrganizationPolicies(org.ID, in.Type)
		if err != nil {
			return err
		}
		if len(existing) >= maxPoliciesPerType {
			return constraint("POLICY_NUMBER_LIMIT_EXCEEDED", "You attempted to exceed the number of policies that you can have in an organization.")
		}
		if dup, err := duplicatePolicyName(tx, org, in.Type, in.Name, ""); err != nil {
			return err
		} else if dup {
			return duplicatePolicy()
		}
		p := store.OrganizationPolicy{ID: tx.NewPolicyID(org.ID), OrganizationID: org.ID, Type: in.Type, Name: in.Name,
			Description: *in.Description, Content: in.Content, CreatedAt: tx.Now(), Tags: tagMap(in.Tags)}
		if err := tx.PutOrganizationPolicy(p); err != nil {
			return err
		}
		out.Policy = customerPolicyOf(org, p)
		return nil
	})
}

// --- DescribePolicy ---

type policyIDInput struct {
	PolicyID string `json:"PolicyId"`
}

func (in *policyIDInput) Validate() error {
	v := &input{}
	if v.required("PolicyId", in.PolicyID != "") {
		v.id("PolicyId", in.PolicyID, 130, isPolicyID, "INVALID_SYNTAX_POLICY_ID")
	}
	return v.result()
}

func (s *Service) describePolicy(ctx context.Context, c *pipeline.Call, in *policyIDInput) (*policyResult, error) {
	return call(ctx, s.store.View, c, reader, func(tx *store.Tx, org store.Organization, out *policyResult) error {
		p, err := orgPolicy(tx, org, in.PolicyID)
		out.Policy = p
		return err
	})
}

// --- UpdatePolicy ---

type updatePolicyInput struct {
	PolicyID    string `json:"PolicyId"`
	Name        *string
	Description *string
	Content     *string
}

func (in *updatePolicyInput) Validate() error {
	v := &input{}
	if v.required("PolicyId", in.PolicyID != "") {
		v.id("PolicyId", in.PolicyID, 130, isPolicyID, "INVALID_SYNTAX_POLICY_ID")
	}
	if in.Name != nil {
		v.text("Name", *in.Name, 1, 128, anyText)
	}
	if in.Description != nil {
		v.text("Description", *in.Description, 0, 512, anyText)
	}
	if in.Content != nil {
		v.text("Content", *in.Content, 1, 0, anyText)
	}
	return v.result()
}

func managedPolicyImmutable() *pipeline.Error {
	return invalidInput("IMMUTABLE_POLICY", "You specified a policy that is managed by AWS and can't be modified.")
}

// updatePolicy changes a customer-managed policy's name, description or
// content; the change applies to every target at once.
func (s *Service) updatePolicy(ctx context.Context, c *pipeline.Call, in *updatePolicyInput) (*policyResult, error) {
	return call(ctx, s.store.Update, c, manager, func(tx *store.Tx, org store.Organization, out *policyResult) error {
		if _, ok := policy.OrganizationManagedPolicyByID(in.PolicyID); ok {
			return managedPolicyImmutable()
		}
		p, err := tx.OrganizationPolicy(org.ID, in.PolicyID)
		if errors.Is(err, store.ErrNotFound) {
			return policyNotFound()
		} else if err != nil {
			return err
		}
		if in.Content != nil {
			if err := validatePolicyContent(p.Type, *in.Content); err != nil {
				return err
			}
			p.Content = *in.Content
		}
		if in.Name != nil && *in.Name != p.Name {
			if dup, err := duplicatePolicyName(tx, org, p.Type, *in.Name, p.ID); err != nil {
				return err
			} else if dup {
				return duplicatePolicy()
			}
			p.Name = *in.Name
		}
		if in.Description != nil {
			p.Description = *in.Description
		}
		if err := tx.PutOrganizationPolicy(p); err != nil {
			return err
		}
		out.Policy = customerPolicyOf(org, p)
		return nil
	})
}

// --- DeletePolicy ---

func (s *Service) deletePolicy(ctx context.Context, c *pipeline.Call, in *policyIDInput) (*pipeline.NoOutput, error) {
	return call(ctx, s.store.Update, c, manager, func(tx *store.Tx, org store.Organization, _ *pipeline.NoOutput) error {
		if _, ok := policy.OrganizationManagedPolicyByID(in.PolicyID); ok {
			return managedPolicyImmutable()
		}
		if _, err := tx.OrganizationPolicy(org.ID, in.PolicyID); errors.Is(err, store.ErrNotFound) {
			return policyNotFound()
		} else if err != nil {
			return err
		}
		if tx.PolicyAttached(org.ID, in.PolicyID) {
			return orgError("PolicyInUseException",
				"The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts before performing this operation.")
		}
		return tx.DeleteOrganizationPolicy(org.ID, in.PolicyID)
	})
}

// --- ListPolicies ---

type listPoliciesInput struct {
	Filter     string
	NextToken  string
	MaxResults *int32
}

func (in *listPoliciesInput) Validate() error {
	v := &input{}
	if v.required("Filter", in.Filter != "") {
		v.policyType("Filter", in.Filter)
	}
	v.maxResults(in.MaxResults)
	return v.result()
}

type listPoliciesResult struct {
	Policies  []policySummary
	NextToken string `json:",omitempty"`
}

// managedPolicyOfType is the AWS-managed policy of a type, if it has one.
func managedPolicyOfType(t string) (policy.OrganizationManagedPolicy, bool) {
	return policy.OrganizationManagedPolicyByID(store.ManagedPolicyIDs[t])
}

// listPolicies lists the policies of a type: the AWS-managed one first,
// then the organization's by id.
func (s *Service) listPolicies(ctx context.Context, c *pipeline.Call, in *listPoliciesInput) (*listPoliciesResult, error) {
	return call(ctx, s.store.View, c, reader, func(tx *store.Tx, org store.Organization, out *listPoliciesResult) error {
		all := []policySummary{}
		if m, ok := managedPolicyOfType(in.Filter); ok {
			all = append(all, managedPolicyOf(m).PolicySummary)
		}
		ps, err := tx.OrganizationPolicies(org.ID, in.Filter)
		if err != nil {
			return err
		}
		for _, p := range ps {
			all = append(all, customerPolicyOf(org, p).PolicySummary)
		}
		out.Policies, out.NextToken, err = orgPage(all, in.Filter, in.NextToken, in.MaxResults)
		return err
	})
}

// --- AttachPolicy / DetachPolicy ---

type attachmentInput struct {
	PolicyID string `json:"PolicyId"`
	TargetID string `json:"TargetId"`
}

func (in *attachmentInput) Validate() error {
	v := &input{}
	if v.required("PolicyId", in.PolicyID != "") {
		v.id("PolicyId", in.PolicyID, 130, isPolicyID, "INVALID_SYNTAX_POLICY_ID")
	}
	if v.required("TargetId", in.TargetID != "") {
		v.id("TargetId", in.TargetID, 100, isTargetID, "INVALID_PATTERN_TARGET_ID")
	}
	return v.result()
}

// policyTarget describes a root, OU or member account of org by id;
// TargetNotFoundException when it is none of them.
func policyTarget(tx *store.Tx, org store.Organization, id string) (policyTargetSummary, error) {
	switch {
	case id == org.RootID:
		return policyTargetSummary{TargetID: id, Arn: rootARN(org), Name: rootName, Type: "ROOT"}, nil
	case strings.HasPrefix(id, "ou-"):
		ou, err := orgOU(tx, org, id)
		if err != nil {
			return policyTargetSummary{}, targetNotFound()
		}
		return policyTargetSummary{TargetID: id, Arn: ouARN(org, id), Name: ou.Name, Type: store.ChildOrganizationalUnit}, nil
	case pipeline.AccountIDPattern.MatchString(id):
		a, err := tx.Account(id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !a.MemberOf(org.ID, tx.Now())) {
			return policyTargetSummary{}, targetNotFound()
		} else if err != nil {
			return policyTargetSummary{}, err
		}
		return policyTargetSummary{TargetID: id, Arn: accountARN(org, id), Name: a.Name, Type: store.ChildAccount}, nil
	}
	return policyTargetSummary{}, targetNotFound()
}

// policyType checks that the attachment's policy and target exist in org
// and returns the policy's type.
func (in *attachmentInput) policyType(tx *store.Tx, org store.Organization) (string, error) {
	p, err := orgPolicy(tx, org, in.PolicyID)
	if err != nil {
		return "", err
	}
	if _, err := policyTarget(tx, org, in.TargetID); err != nil {
		return "", err
	}
	return p.PolicySummary.Type, nil
}

func (s *Service) attachPolicy(ctx context.Context, c *pipeline.Call, in *attachmentInput) (*pipeline.NoOutput, error) {
	return call(ctx, s.store.Update, c, manager, func(tx *store.Tx, org store.Organization, _ *pipeline.NoOutput) error {
		t, err := in.policyType(tx, org)
		if err != nil {
			return err
		}
		if !org.PolicyTypeEnabled(t) {
			return policyTypeNotEnabled()
		}
		attached := tx.AttachedPolicies(in.TargetID, t)
		if slices.Contains(attached, in.PolicyID) {
			return orgError("DuplicatePolicyAttachmentException", "The selected policy is already attached to the specified target.")
		}
		if len(attached) >= maxAttachmentsPerTarget {
			return constraint("MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
				"You attempted to exceed the number of policies of a certain type that can be attached to an entity at one time.")
		}
		return tx.AttachPolicy(org.ID, t, in.PolicyID, in.TargetID)
	})
}

// detachPolicy detaches a policy from a target. A target keeps at least one
// SCP while SCPs are enabled, and RCPFullAWSAccess cannot be detached.
func (s *Service) detachPolicy(ctx context.Context, c *pipeline.Call, in *attachmentInput) (*pipeline.NoOutput, error) {
	return call(ctx, s.store.Update, c, manager, func(tx *store.Tx, org store.Organization, _ *pipeline.NoOutput) error {
		t, err := in.policyType(tx, org)
		if err != nil {
			return err
		}
		attached := tx.AttachedPolicies(in.TargetID, t)
		if !slices.Contains(attached, in.PolicyID) {
			return orgError("PolicyNotAttachedException", "The policy isn't attached to the specified target in the specified root.")
		}
		minimum := func() error {
			return constraint("MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
				"You attempted to detach a policy from an entity that would cause the entity to have fewer than the minimum number of policies of a certain type required.")
		}
		if in.PolicyID == policy.RCPFullAWSAccess.ID {
			return invalidInput("NON_DETACHABLE_POLICY", "You can't detach this AWS Managed Policy.")
		}
		if t == store.ServiceControlPolicyType && len(attached) == 1 {
			return minimum()
		}
		return tx.DetachPolicy(org.ID, t, in.PolicyID, in.TargetID)
	})
}

// --- ListPoliciesForTarget ---

type listPoliciesForTargetInput struct {
	TargetID   string `json:"TargetId"`
	Filter     string
	NextToken  string
	MaxResults *int32
}

func (in *listPoliciesForTargetInput) Validate() error {
	v := &input{}
	if v.required("TargetId", in.TargetID != "") {
		v.id("TargetId", in.TargetID, 100, isTargetID, "INVALID_PATTERN_TARGET_ID")
	}
	if v.required("Filter", in.Filter != "") {
		v.policyType("Filter", in.Filter)
	}
	v.maxResults(in.MaxResults)
	return v.result()
}

// listPoliciesForTarget lists the policies of a type attached directly to
// a target (not those it inherits), by id.
func (s *Service) listPoliciesForTarget(ctx context.Context, c *pipeline.Call, in *listPoliciesForTargetInput) (*listPoliciesResult, error) {
	return call(ctx, s.store.View, c, reader, func(tx *store.Tx, org store.Organization, out *listPoliciesResult) error {
		if _, err := policyTarget(tx, org, in.TargetID); err != nil {
			return err
		}
		all := []policySummary{}
		for _, id := range tx.AttachedPolicies(in.TargetID, in.Filter) {
			p, err := orgPolicy(tx, org, id)
			if err != nil {
				return err
			}
			all = append(all, p.PolicySummary)
		}
		var err error
		out.Policies, out.NextToken, err = orgPage(all, in.TargetID+"/"+in.Filter, in.NextToken, in.MaxResults)
		return err
	})
}

// --- ListTargetsForPolicy ---

type listTargetsForPolicyInput struct {
	PolicyID   string `json:"PolicyId"`
	NextToken  string
	MaxResults *int32
}

func (in *listTargetsForPolicyInput) Validate() error {
	v := &input{}
	if v.required("PolicyId", in.PolicyID != "") {
		v.id("PolicyId", in.PolicyID, 130, isPolicyID, "INVALID_SYNTAX_POLICY_ID")
	}
	v.maxResults(in.MaxResults)
	return v.result()
}

type listTargetsResult struct {
	Targets   []policyTargetSummary
	NextToken string `json:",omitempty"`
}

// listTargetsForPolicy lists the roots, OUs and accounts a policy is
// attached to, by id; accounts still being created are left out.
func (s *Service) listTargetsForPolicy(ctx context.Context, c *pipeline.Call, in *listTargetsForPolicyInput) (*listTargetsResult, error) {
	return call(ctx, s.store.View, c, reader, func(tx *store.Tx, org store.Organization, out *listTargetsResult) error {
		if _, err := orgPolicy(tx, org, in.PolicyID); err != nil {
			return err
		}
		all := []policyTargetSummary{}
		for _, id := range tx.PolicyTargets(org.ID, in.PolicyID) {
			t, err := policyTarget(tx, org, id)
			var gone *pipeline.Error
			if errors.As(err, &gone) {
				continue // an account still being created
			} else if err != nil {
				return err
			}
			all = append(all, t)
		}
		var err error
		out.Targets, out.NextToken, err = orgPage(all, in.PolicyID, in.NextToken, in.MaxResults)
		return err
	})
}
