package iam

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/rootaccess/emulator/pkg/api/pipeline"

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
