// Package organizations serves AWS Organizations (JSON 1.1): the
// organization, its tree of OUs and accounts, account creation and closing,
// trusted access and delegated administrators, tags, and the SCPs and RCPs
// that the pipeline's authorizer enforces.
package organizations

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// Info is Organizations' wire identity, from its service model.
var Info = &pipeline.Service{Name: "organizations", SigningRegion: "us-east-1", TargetPrefix: "AWSOrganizationsV20161128", JSONProtocol: pipeline.ProtoJSON11,
	StoreError: storeError}

// Service holds what the handlers use.
type Service struct {
	store *store.Store
	clock *pipeline.Clock
	log   *slog.Logger
	// createAccountDelay is how long a CreateAccount request stays IN_PROGRESS.
	createAccountDelay time.Duration
}

// New returns the service over the world in d.
func New(d pipeline.Deps, createAccountDelay time.Duration) *Service {
	return &Service{store: d.Store, clock: d.Clock, log: d.Log, createAccountDelay: createAccountDelay}
}

// Operations are the service's rows of the API table.
func (s *Service) Operations() []pipeline.Operation {
	return []pipeline.Operation{
		pipeline.Op(Info, s, "CreateOrganization", "organizations:CreateOrganization", nil, (*Service).createOrganization),
		pipeline.Op(Info, s, "DescribeOrganization", "organizations:DescribeOrganization", nil, (*Service).describeOrganization),
		pipeline.Op(Info, s, "ListRoots", "organizations:ListRoots", nil, (*Service).listRoots),
		pipeline.Op(Info, s, "CreateAccount", "organizations:CreateAccount", nil, (*Service).createAccount),
		pipeline.Op(Info, s, "DescribeCreateAccountStatus", "organizations:DescribeCreateAccountStatus", nil, (*Service).describeCreateAccountStatus),
		pipeline.Op(Info, s, "ListCreateAccountStatus", "organizations:ListCreateAccountStatus", nil, (*Service).listCreateAccountStatus),
		pipeline.Op(Info, s, "ListAccounts", "organizations:ListAccounts", nil, (*Service).listAccounts),
		pipeline.Op(Info, s, "ListAccountsForParent", "organizations:ListAccountsForParent", parentTarget, (*Service).listAccountsForParent),
		pipeline.Op(Info, s, "DescribeAccount", "organizations:DescribeAccount", accountTarget[*describeAccountInput], (*Service).describeAccount),
		pipeline.Op(Info, s, "EnableAWSServiceAccess", "organizations:EnableAWSServiceAccess", nil, (*Service).enableAWSServiceAccess),
		pipeline.Op(Info, s, "DisableAWSServiceAccess", "organizations:DisableAWSServiceAccess", nil, (*Service).disableAWSServiceAccess),
		pipeline.Op(Info, s, "ListAWSServiceAccessForOrganization", "organizations:ListAWSServiceAccessForOrganization", nil, (*Service).listAWSServiceAccessForOrganization),
		pipeline.Op(Info, s, "RegisterDelegatedAdministrator", "organizations:RegisterDelegatedAdministrator", accountTarget[*delegatedAdministratorInput], (*Service).registerDelegatedAdministrator),
		pipeline.Op(Info, s, "DeregisterDelegatedAdministrator", "organizations:DeregisterDelegatedAdministrator", accountTarget[*delegatedAdministratorInput], (*Service).deregisterDelegatedAdministrator),
		pipeline.Op(Info, s, "ListDelegatedAdministrators", "organizations:ListDelegatedAdministrators", nil, (*Service).listDelegatedAdministrators),
		pipeline.Op(Info, s, "ListDelegatedServicesForAccount", "organizations:ListDelegatedServicesForAccount", nil, (*Service).listDelegatedServicesForAccount),
		// The tree: OUs, children and parents.
		pipeline.Op(Info, s, "CreateOrganizationalUnit", "organizations:CreateOrganizationalUnit", nil, (*Service).createOrganizationalUnit),
		pipeline.Op(Info, s, "DescribeOrganizationalUnit", "organizations:DescribeOrganizationalUnit", nil, (*Service).describeOrganizationalUnit),
		pipeline.Op(Info, s, "UpdateOrganizationalUnit", "organizations:UpdateOrganizationalUnit", nil, (*Service).updateOrganizationalUnit),
		pipeline.Op(Info, s, "DeleteOrganizationalUnit", "organizations:DeleteOrganizationalUnit", nil, (*Service).deleteOrganizationalUnit),
		pipeline.Op(Info, s, "ListOrganizationalUnitsForParent", "organizations:ListOrganizationalUnitsForParent", nil, (*Service).listOrganizationalUnitsForParent),
		pipeline.Op(Info, s, "ListChildren", "organizations:ListChildren", nil, (*Service).listChildren),
		pipeline.Op(Info, s, "ListParents", "organizations:ListParents", nil, (*Service).listParents),
		pipeline.Op(Info, s, "MoveAccount", "organizations:MoveAccount", nil, (*Service).moveAccount),
		// Policies and their attachments.
		pipeline.Op(Info, s, "EnablePolicyType", "organizations:EnablePolicyType", nil, (*Service).enablePolicyType),
		pipeline.Op(Info, s, "DisablePolicyType", "organizations:DisablePolicyType", nil, (*Service).disablePolicyType),
		pipeline.Op(Info, s, "CreatePolicy", "organizations:CreatePolicy", nil, (*Service).createPolicy),
		pipeline.Op(Info, s, "DescribePolicy", "organizations:DescribePolicy", nil, (*Service).describePolicy),
		pipeline.Op(Info, s, "UpdatePolicy", "organizations:UpdatePolicy", nil, (*Service).updatePolicy),
		pipeline.Op(Info, s, "DeletePolicy", "organizations:DeletePolicy", nil, (*Service).deletePolicy),
		pipeline.Op(Info, s, "ListPolicies", "organizations:ListPolicies", nil, (*Service).listPolicies),
		pipeline.Op(Info, s, "AttachPolicy", "organizations:AttachPolicy", nil, (*Service).attachPolicy),
		pipeline.Op(Info, s, "DetachPolicy", "organizations:DetachPolicy", nil, (*Service).detachPolicy),
		pipeline.Op(Info, s, "ListPoliciesForTarget", "organizations:ListPoliciesForTarget", nil, (*Service).listPoliciesForTarget),
		pipeline.Op(Info, s, "ListTargetsForPolicy", "organizations:ListTargetsForPolicy", nil, (*Service).listTargetsForPolicy),
		// Tags.
		pipeline.Op(Info, s, "TagResource", "organizations:TagResource", nil, (*Service).tagResource),
		pipeline.Op(Info, s, "UntagResource", "organizations:UntagResource", nil, (*Service).untagResource),
		pipeline.Op(Info, s, "ListTagsForResource", "organizations:ListTagsForResource", nil, (*Service).listTagsForResource),
		// Account lifecycle.
		pipeline.Op(Info, s, "CloseAccount", "organizations:CloseAccount", nil, (*Service).closeAccount),
		pipeline.Op(Info, s, "RemoveAccountFromOrganization", "organizations:RemoveAccountFromOrganization", nil, (*Service).removeAccountFromOrganization),
		pipeline.Op(Info, s, "DeleteOrganization", "organizations:DeleteOrganization", nil, (*Service).deleteOrganization),
	}
}

// storeError maps the store's sentinels to Organizations' codes.
func storeError(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return pipeline.NewError(http.StatusBadRequest, "TargetNotFoundException", "%s", err.Error())
	}
	return err
}
