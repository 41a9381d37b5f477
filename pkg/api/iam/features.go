package iam

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/rootaccess/emulator/pkg/api/pipeline"

	"github.com/rootaccess/emulator/pkg/policy"
	"github.com/rootaccess/emulator/pkg/store"
)

// IAM's two organization features, in the order EnabledFeatures lists them.
const (
	featureRootCredentialsManagement = "RootCredentialsManagement"
	featureRootSessions              = "RootSessions"
)

// --- Organization features: Enable/Disable*/ListOrganizationsFeatures ---

// organizationsFeaturesInput is the (empty) input of the five feature operations.
type organizationsFeaturesInput struct{}

// organizationsFeaturesResult is the output of the five feature operations:
// the organization and every feature enabled after the call.
type organizationsFeaturesResult struct {
	OrganizationID  string `xml:"OrganizationId"`
	EnabledFeatures iamMembers[string]
}

// iamMembers is a query-protocol list: <Name><member>…</member></Name>. As a
// struct it is written even when empty (<Name></Name>), so that clients
// read an empty list rather than a missing member.
type iamMembers[T any] struct {
	Members []T `xml:"member"`
}

// defaultMaxItems is IAM's default MaxItems.
const defaultMaxItems = 100

// iamPage is one IAM page of a listing (scope as in paginateScoped):
// Marker/MaxItems in, the page and the next Marker (IsTruncated when not
// empty) out.
func iamPage[T any, N int | int32](items []T, scope, marker string, maxItems *N) ([]T, string, error) {
	max := defaultMaxItems
	if maxItems != nil {
		max = int(*maxItems)
	}
	page, next, err := pipeline.PaginateScoped(items, scope, marker, max)
	return page, next, iamMarkerError(err)
}

// iamCursorPage is iamPage for a listing the store pages with a cursor
// (pipeline.PageByCursor).
func iamCursorPage[T any, N int | int32](scope, marker string, maxItems *N, page func(after string, limit int) ([]T, string, error)) ([]T, string, error) {
	max := defaultMaxItems
	if maxItems != nil {
		max = int(*maxItems)
	}
	items, next, err := pipeline.PageByCursor(scope, marker, max, page)
	return items, next, iamMarkerError(err)
}

// iamMarkerError maps a bad Marker to IAM's error.
func iamMarkerError(err error) error {
	if errors.Is(err, pipeline.ErrInvalidToken) {
		return pipeline.NewError(http.StatusBadRequest, "ValidationError", "Invalid Marker.")
	}
	return err
}

// The feature operations' errors have no error trait in the IAM model, so
// their wire code is the shape name with its Exception suffix (the form the
// SDKs match); messages are the model's documentation sentences.
func featureError(code, msg string) *pipeline.Error {
	return pipeline.NewError(http.StatusBadRequest, code, "%s", msg)
}

var (
	errOrganizationNotFound = featureError("OrganizationNotFoundException",
		"The request was rejected because no organization is associated with your account.")
	errOrganizationNotAllFeatures = featureError("OrganizationNotInAllFeaturesModeException",
		"The request was rejected because your organization does not have All features enabled.")
	errCallerNotManagement = featureError("CallerIsNotManagementAccountException",
		"The request was rejected because the account making the request is not the management account for the organization.")
	errNotManagementOrDelegatedAdmin = featureError("AccountNotManagementOrDelegatedAdministratorException",
		"The request was rejected because the account making the request is not the management account or delegated administrator account for centralized root access.")
	errIAMServiceAccessNotEnabled = featureError("ServiceAccessNotEnabledException",
		"The request was rejected because trusted access is not enabled for IAM in Organizations.")
)

// featureCall says who may make a feature call and what it changes.
type featureCall struct {
	// managementOnly: Enable* (CallerIsNotManagementAccount); otherwise the
	// IAM delegated administrator may call too.
	managementOnly bool
	// change sets the features; nil for ListOrganizationsFeatures.
	change func(*store.Organization)
}

// organizationFeatures checks the preconditions of a feature call in the
// order: organization exists, ALL features, caller's account, trusted
// access for IAM; then applies the change, all in one transaction. Enabling
// an enabled feature (or disabling a disabled one) succeeds and changes nothing.
func (s *Service) organizationFeatures(ctx context.Context, c *pipeline.Call, fc featureCall) (*organizationsFeaturesResult, error) {
	var out *organizationsFeaturesResult
	run := s.store.View
	if fc.change != nil {
		run = s.store.Update
	}
	err := run(ctx, func(tx *store.Tx) error {
		org, err := tx.OrganizationOf(c.ID.AccountID)
		if errors.Is(err, store.ErrNotFound) {
			return errOrganizationNotFound
		} else if err != nil {
			return err
		}
		if org.FeatureSet != "ALL" {
			return errOrganizationNotAllFeatures
		}
		isManagement := org.ManagementAccountID == c.ID.AccountID
		switch {
		case fc.managementOnly && !isManagement:
			return errCallerNotManagement
		case !isManagement && !org.IsDelegatedAdministrator(store.IAMServicePrincipal, c.ID.AccountID):
			return errNotManagementOrDelegatedAdmin
		}
		if _, ok := org.ServiceAccess[store.IAMServicePrincipal]; !ok {
			return errIAMServiceAccessNotEnabled
		}
		if fc.change != nil {
			before := org
			fc.change(&org)
			if org.RootCredentialsManagement != before.RootCredentialsManagement || org.RootSessions != before.RootSessions {
				if err := tx.PutOrganization(org); err != nil {
					return err
				}
			}
		}
		out = &organizationsFeaturesResult{OrganizationID: org.ID, EnabledFeatures: iamMembers[string]{enabledFeatures(org)}}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// enabledFeatures lists an organization's IAM features in a stable order.
func enabledFeatures(org store.Organization) []string {
	out := []string{}
	if org.RootCredentialsManagement {
		out = append(out, featureRootCredentialsManagement)
	}
	if org.RootSessions {
		out = append(out, featureRootSessions)
	}
	return out
}

func (s *Service) enableOrganizationsRootCredentialsManagement(ctx context.Context, c *pipeline.Call, _ *organizationsFeaturesInput) (*organizationsFeaturesResult, error) {
	return s.organizationFeatures(ctx, c, featureCall{managementOnly: true,
		change: func(o *store.Organization) { o.RootCredentialsManagement = true }})
}

func (s *Service) enableOrganizationsRootSessions(ctx context.Context, c *pipeline.Call, _ *organizationsFeaturesInput) (*organizationsFeaturesResult, error) {
	return s.organizationFeatures(ctx, c, featureCall{managementOnly: true,
		change: func(o *store.Organization) { o.RootSessions = true }})
}

func (s *Service) disableOrganizationsRootCredentialsManagement(ctx context.Context, c *pipeline.Call, _ *organizationsFeaturesInput) (*organizationsFeaturesResult, error) {
	return s.organizationFeatures(ctx, c, featureCall{
		change: func(o *store.Organization) { o.RootCredentialsManagement = false }})
}

func (s *Service) disableOrganizationsRootSessions(ctx context.Context, c *pipeline.Call, _ *organizationsFeaturesInput) (*organizationsFeaturesResult, error) {
	return s.organizationFeatures(ctx, c, featureCall{
		change: func(o *store.Organization) { o.RootSessions = false }})
}

func (s *Service) listOrganizationsFeatures(ctx context.Context, c *pipeline.Call, _ *organizationsFeaturesInput) (*organizationsFeaturesResult, error) {
	return s.organizationFeatures(ctx, c, featureCall{})
}

// --- Managed policies: GetPolicy, GetPolicyVersion, ListPolicies ---
//
// The emulator's only managed policies are the five AWS-managed root-task
// policies (pkg/policy); there are no customer managed policies.

// managedPolicyARNPattern is a well-formed managed policy ARN: an AWS
// managed (account "aws") or customer managed (12-digit account) policy.
var managedPolicyARNPattern = regexp.MustCompile(`^arn:aws:iam::(?:aws|\d{12}):policy/(?:[!-~]+/)*[\w+=,.@-]+$`)

// The model's patterns, anchored because Coral matches the whole value.
var (
	policyVersionIDPattern = regexp.MustCompile(`^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$`)
	policyPathPattern      = regexp.MustCompile(`^((/[A-Za-z0-9\.,\+@=_-]+)*)/$`)
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
	CreateDate                    string
	UpdateDate                    string
}

// policyOf describes a task policy. It is attached to nothing: AWS lets
// only AssumeRoot use it, so both counts stay 0.
func policyOf(p policy.ManagedPolicy) iamPolicy {
	return iamPolicy{PolicyName: p.Name, PolicyID: p.PolicyID, Arn: p.ARN, Path: p.Path,
		DefaultVersionID: p.DefaultVersionID, IsAttachable: true,
		CreateDate: pipeline.XMLTime(p.CreateDate), UpdateDate: pipeline.XMLTime(p.UpdateDate)}
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

// managedPolicy finds the managed policy with the ARN.
func managedPolicy(arn string) (policy.ManagedPolicy, error) {
	p, ok := policy.TaskPolicy(arn)
	if !ok {
		return policy.ManagedPolicy{}, pipeline.NewError(http.StatusNotFound, "NoSuchEntity",
			"Policy %s does not exist or is not attachable.", arn)
	}
	return p, nil
}

// getPolicyTarget and getPolicyVersionTarget authorize a policy read on the
// policy's ARN in the caller's own account: AWS managed policies are
// readable from every account.
func getPolicyTarget(_ *Service, _ context.Context, _ *pipeline.Call, in *getPolicyInput) (pipeline.Resource, error) {
	return pipeline.Resource{ARN: in.PolicyArn}, nil
}

func getPolicyVersionTarget(_ *Service, _ context.Context, _ *pipeline.Call, in *getPolicyVersionInput) (pipeline.Resource, error) {
	return pipeline.Resource{ARN: in.PolicyArn}, nil
}

type getPolicyInput struct {
	PolicyArn string `query:"PolicyArn"`
}

func (in *getPolicyInput) Validate() error {
	return validatePolicyARN(pipeline.NewValidator("ValidationError"), in.PolicyArn)
}

type getPolicyResult struct {
	Policy iamPolicy
}

func (s *Service) getPolicy(_ context.Context, _ *pipeline.Call, in *getPolicyInput) (*getPolicyResult, error) {
	p, err := managedPolicy(in.PolicyArn)
	if err != nil {
		return nil, err
	}
	return &getPolicyResult{Policy: policyOf(p)}, nil
}

type getPolicyVersionInput struct {
	PolicyArn string `query:"PolicyArn"`
	VersionID string `query:"VersionId"`
}

func (in *getPolicyVersionInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	if v.Required("VersionId", in.VersionID != "") {
		v.Pattern("VersionId", in.VersionID, policyVersionIDPattern)
	}
	return validatePolicyARN(v, in.PolicyArn)
}

type getPolicyVersionResult struct {
	PolicyVersion struct {
		Document         string
		VersionID        string `xml:"VersionId"`
		IsDefaultVersion bool
		CreateDate       string
	}
}

func (s *Service) getPolicyVersion(_ context.Context, _ *pipeline.Call, in *getPolicyVersionInput) (*getPolicyVersionResult, error) {
	p, err := managedPolicy(in.PolicyArn)
	if err != nil {
		return nil, err
	}
	// Each task policy has one version, v1, created with the policy.
	if in.VersionID != p.DefaultVersionID {
		return nil, pipeline.NewError(http.StatusNotFound, "NoSuchEntity",
			"Policy %s version %s does not exist or is not attachable.", in.PolicyArn, in.VersionID)
	}
	out := &getPolicyVersionResult{}
	pv := &out.PolicyVersion
	pv.Document, pv.VersionID, pv.IsDefaultVersion, pv.CreateDate = rfc3986Escape(p.Raw), p.DefaultVersionID, true, pipeline.XMLTime(p.CreateDate)
	return out, nil
}

// rfc3986Escape percent-encodes every byte except RFC 3986's unreserved
// characters, as IAM encodes policy documents.
func rfc3986Escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) * 2)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case 'A' <= ch && ch <= 'Z', 'a' <= ch && ch <= 'z', '0' <= ch && ch <= '9',
			ch == '-', ch == '.', ch == '_', ch == '~':
			b.WriteByte(ch)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[ch>>4])
			b.WriteByte(hex[ch&0xf])
		}
	}
	return b.String()
}

type listPoliciesInput struct {
	Scope             string `query:"Scope"`
	OnlyAttached      bool   `query:"OnlyAttached"`
	PathPrefix        string `query:"PathPrefix"`
	PolicyUsageFilter string `query:"PolicyUsageFilter"`
	Marker            string `query:"Marker"`
	MaxItems          *int   `query:"MaxItems"`
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
	if in.Marker != "" {
		v.Length("Marker", in.Marker, 1, 320)
	}
	if in.MaxItems != nil {
		v.Between("MaxItems", int64(*in.MaxItems), 1, 1000)
	}
	return v.Err()
}

type listPoliciesResult struct {
	Policies    iamMembers[iamPolicy]
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

// listPolicies lists the task policies, ordered by name. Scope=Local and
// OnlyAttached=true list nothing: there are no customer managed policies and
// the task policies are attached to no entity. PolicyUsageFilter only
// narrows attached policies, so it changes nothing here.
func (s *Service) listPolicies(_ context.Context, _ *pipeline.Call, in *listPoliciesInput) (*listPoliciesResult, error) {
	prefix := in.PathPrefix
	if prefix == "" {
		prefix = "/"
	}
	all := []iamPolicy{}
	if in.Scope != "Local" && !in.OnlyAttached {
		for _, p := range policy.TaskPolicies() {
			if strings.HasPrefix(p.Path, prefix) {
				all = append(all, policyOf(p))
			}
		}
	}
	// A marker is valid only for the listing (filter) it came from.
	scope := strings.Join([]string{in.Scope, prefix, in.PolicyUsageFilter}, "|")
	page, next, err := iamPage(all, scope, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &listPoliciesResult{Policies: iamMembers[iamPolicy]{page}, IsTruncated: next != "", Marker: next}, nil
}
