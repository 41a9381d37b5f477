// Package iam serves AWS Identity and Access Management (query protocol):
// the organization features of centralized root access, the root user's
// credentials, users, roles and groups with their inline and managed
// policies and tags, customer managed policies and a few AWS managed ones
// (the root-task policies among them).
package iam

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// Info is IAM's wire identity, from its service model.
var Info = &pipeline.Service{Name: "iam", SigningRegion: "us-east-1", Version: "2010-05-08", XMLNamespace: "https://iam.amazonaws.com/doc/2010-05-08/",
	StoreError: storeError}

// Service holds what the handlers use.
type Service struct {
	store *store.Store
	clock *pipeline.Clock
	log   *slog.Logger
}

// New returns the service over the world in d.
func New(d pipeline.Deps) *Service { return &Service{store: d.Store, clock: d.Clock, log: d.Log} }

// Operations are the service's rows of the API table.
func (s *Service) Operations() []pipeline.Operation {
	return []pipeline.Operation{
		pipeline.Op(Info, s, "EnableOrganizationsRootCredentialsManagement", "iam:EnableOrganizationsRootCredentialsManagement", nil, (*Service).enableOrganizationsRootCredentialsManagement),
		pipeline.Op(Info, s, "EnableOrganizationsRootSessions", "iam:EnableOrganizationsRootSessions", nil, (*Service).enableOrganizationsRootSessions),
		pipeline.Op(Info, s, "DisableOrganizationsRootCredentialsManagement", "iam:DisableOrganizationsRootCredentialsManagement", nil, (*Service).disableOrganizationsRootCredentialsManagement),
		pipeline.Op(Info, s, "DisableOrganizationsRootSessions", "iam:DisableOrganizationsRootSessions", nil, (*Service).disableOrganizationsRootSessions),
		pipeline.Op(Info, s, "ListOrganizationsFeatures", "iam:ListOrganizationsFeatures", nil, (*Service).listOrganizationsFeatures),
		pipeline.Op(Info, s, "GetUser", "iam:GetUser", credSubjectTarget[getUserInput], (*Service).getUser),
		pipeline.Op(Info, s, "GetAccountSummary", "iam:GetAccountSummary", nil, (*Service).getAccountSummary),
		pipeline.Op(Info, s, "GetLoginProfile", "iam:GetLoginProfile", rootSessionSubjectTarget[loginProfileInput], (*Service).getLoginProfile),
		pipeline.Op(Info, s, "CreateLoginProfile", "iam:CreateLoginProfile", createLoginProfileTarget, (*Service).createLoginProfile),
		pipeline.Op(Info, s, "DeleteLoginProfile", "iam:DeleteLoginProfile", rootSessionSubjectTarget[loginProfileInput], (*Service).deleteLoginProfile),
		pipeline.Op(Info, s, "ListAccessKeys", "iam:ListAccessKeys", credSubjectTarget[listAccessKeysInput], (*Service).listAccessKeys),
		pipeline.Op(Info, s, "CreateAccessKey", "iam:CreateAccessKey", credSubjectTarget[createAccessKeyInput], (*Service).createAccessKey),
		pipeline.Op(Info, s, "UpdateAccessKey", "iam:UpdateAccessKey", credSubjectTarget[updateAccessKeyInput], (*Service).updateAccessKey),
		pipeline.Op(Info, s, "DeleteAccessKey", "iam:DeleteAccessKey", credSubjectTarget[accessKeyInput], (*Service).deleteAccessKey),
		pipeline.Op(Info, s, "GetAccessKeyLastUsed", "iam:GetAccessKeyLastUsed", getAccessKeyLastUsedTarget, (*Service).getAccessKeyLastUsed),
		pipeline.Op(Info, s, "ListSigningCertificates", "iam:ListSigningCertificates", credSubjectTarget[listSigningCertificatesInput], (*Service).listSigningCertificates),
		pipeline.Op(Info, s, "DeleteSigningCertificate", "iam:DeleteSigningCertificate", credSubjectTarget[deleteSigningCertificateInput], (*Service).deleteSigningCertificate),
		pipeline.Op(Info, s, "ListMFADevices", "iam:ListMFADevices", credSubjectTarget[listMFADevicesInput], (*Service).listMFADevices),
		pipeline.Op(Info, s, "DeactivateMFADevice", "iam:DeactivateMFADevice", rootSessionSubjectTarget[deactivateMFADeviceInput], (*Service).deactivateMFADevice),
		pipeline.Op(Info, s, "DeleteVirtualMFADevice", "iam:DeleteVirtualMFADevice", deleteVirtualMFADeviceTarget, (*Service).deleteVirtualMFADevice),
		pipeline.Op(Info, s, "CreatePolicy", "iam:CreatePolicy", createPolicyTarget, (*Service).createPolicy),
		pipeline.Op(Info, s, "GetPolicy", "iam:GetPolicy", policyTarget[policyARNInput], (*Service).getPolicy),
		pipeline.Op(Info, s, "DeletePolicy", "iam:DeletePolicy", policyTarget[policyARNInput], (*Service).deletePolicy),
		pipeline.Op(Info, s, "ListPolicies", "iam:ListPolicies", nil, (*Service).listPolicies),
		pipeline.Op(Info, s, "CreatePolicyVersion", "iam:CreatePolicyVersion", policyTarget[createPolicyVersionInput], (*Service).createPolicyVersion),
		pipeline.Op(Info, s, "GetPolicyVersion", "iam:GetPolicyVersion", policyTarget[policyVersionInput], (*Service).getPolicyVersion),
		pipeline.Op(Info, s, "ListPolicyVersions", "iam:ListPolicyVersions", policyTarget[listPolicyVersionsInput], (*Service).listPolicyVersions),
		pipeline.Op(Info, s, "DeletePolicyVersion", "iam:DeletePolicyVersion", policyTarget[policyVersionInput], (*Service).deletePolicyVersion),
		pipeline.Op(Info, s, "SetDefaultPolicyVersion", "iam:SetDefaultPolicyVersion", policyTarget[policyVersionInput], (*Service).setDefaultPolicyVersion),
		pipeline.Op(Info, s, "TagPolicy", "iam:TagPolicy", tagPolicyTarget, (*Service).tagPolicy),
		pipeline.Op(Info, s, "UntagPolicy", "iam:UntagPolicy", untagPolicyTarget, (*Service).untagPolicy),
		pipeline.Op(Info, s, "ListPolicyTags", "iam:ListPolicyTags", policyTarget[listPolicyTagsInput], (*Service).listPolicyTags),
		pipeline.Op(Info, s, "ListEntitiesForPolicy", "iam:ListEntitiesForPolicy", policyTarget[listEntitiesForPolicyInput], (*Service).listEntitiesForPolicy),
		pipeline.Op(Info, s, "AttachUserPolicy", "iam:AttachUserPolicy", attachTarget[userEntity], attachPolicy[userEntity]),
		pipeline.Op(Info, s, "DetachUserPolicy", "iam:DetachUserPolicy", attachTarget[userEntity], detachPolicy[userEntity]),
		pipeline.Op(Info, s, "ListAttachedUserPolicies", "iam:ListAttachedUserPolicies", entityTarget[listAttachedPoliciesInput[userEntity]], listAttachedPolicies[userEntity]),
		pipeline.Op(Info, s, "AttachRolePolicy", "iam:AttachRolePolicy", attachTarget[roleEntity], attachPolicy[roleEntity]),
		pipeline.Op(Info, s, "DetachRolePolicy", "iam:DetachRolePolicy", attachTarget[roleEntity], detachPolicy[roleEntity]),
		pipeline.Op(Info, s, "ListAttachedRolePolicies", "iam:ListAttachedRolePolicies", entityTarget[listAttachedPoliciesInput[roleEntity]], listAttachedPolicies[roleEntity]),
		pipeline.Op(Info, s, "AttachGroupPolicy", "iam:AttachGroupPolicy", attachTarget[groupEntity], attachPolicy[groupEntity]),
		pipeline.Op(Info, s, "DetachGroupPolicy", "iam:DetachGroupPolicy", attachTarget[groupEntity], detachPolicy[groupEntity]),
		pipeline.Op(Info, s, "ListAttachedGroupPolicies", "iam:ListAttachedGroupPolicies", entityTarget[listAttachedPoliciesInput[groupEntity]], listAttachedPolicies[groupEntity]),
		pipeline.Op(Info, s, "TagUser", "iam:TagUser", tagEntityTarget[userEntity], tagEntity[userEntity]),
		pipeline.Op(Info, s, "UntagUser", "iam:UntagUser", untagEntityTarget[userEntity], untagEntity[userEntity]),
		pipeline.Op(Info, s, "ListUserTags", "iam:ListUserTags", entityTarget[listEntityTagsInput[userEntity]], listEntityTags[userEntity]),
		pipeline.Op(Info, s, "TagRole", "iam:TagRole", tagEntityTarget[roleEntity], tagEntity[roleEntity]),
		pipeline.Op(Info, s, "UntagRole", "iam:UntagRole", untagEntityTarget[roleEntity], untagEntity[roleEntity]),
		pipeline.Op(Info, s, "ListRoleTags", "iam:ListRoleTags", entityTarget[listEntityTagsInput[roleEntity]], listEntityTags[roleEntity]),
		pipeline.Op(Info, s, "CreateUser", "iam:CreateUser", createUserTarget, (*Service).createUser),
		pipeline.Op(Info, s, "DeleteUser", "iam:DeleteUser", userTarget[userNameInput], (*Service).deleteUser),
		pipeline.Op(Info, s, "ListUsers", "iam:ListUsers", nil, (*Service).listUsers),
		pipeline.Op(Info, s, "CreateRole", "iam:CreateRole", createRoleTarget, (*Service).createRole),
		pipeline.Op(Info, s, "GetRole", "iam:GetRole", roleTarget[roleNameInput], (*Service).getRole),
		pipeline.Op(Info, s, "DeleteRole", "iam:DeleteRole", roleTarget[roleNameInput], (*Service).deleteRole),
		pipeline.Op(Info, s, "ListRoles", "iam:ListRoles", nil, (*Service).listRoles),
		pipeline.Op(Info, s, "UpdateAssumeRolePolicy", "iam:UpdateAssumeRolePolicy", roleTarget[updateAssumeRolePolicyInput], (*Service).updateAssumeRolePolicy),
		pipeline.Op(Info, s, "PutUserPolicy", "iam:PutUserPolicy", entityTarget[putEntityPolicyInput[userEntity]], putEntityPolicy[userEntity]),
		pipeline.Op(Info, s, "GetUserPolicy", "iam:GetUserPolicy", entityTarget[entityPolicyInput[userEntity]], getEntityPolicy[userEntity]),
		pipeline.Op(Info, s, "DeleteUserPolicy", "iam:DeleteUserPolicy", entityTarget[entityPolicyInput[userEntity]], deleteEntityPolicy[userEntity]),
		pipeline.Op(Info, s, "ListUserPolicies", "iam:ListUserPolicies", entityTarget[listEntityPoliciesInput[userEntity]], listEntityPolicies[userEntity]),
		pipeline.Op(Info, s, "PutRolePolicy", "iam:PutRolePolicy", entityTarget[putEntityPolicyInput[roleEntity]], putEntityPolicy[roleEntity]),
		pipeline.Op(Info, s, "GetRolePolicy", "iam:GetRolePolicy", entityTarget[entityPolicyInput[roleEntity]], getEntityPolicy[roleEntity]),
		pipeline.Op(Info, s, "DeleteRolePolicy", "iam:DeleteRolePolicy", entityTarget[entityPolicyInput[roleEntity]], deleteEntityPolicy[roleEntity]),
		pipeline.Op(Info, s, "ListRolePolicies", "iam:ListRolePolicies", entityTarget[listEntityPoliciesInput[roleEntity]], listEntityPolicies[roleEntity]),
		pipeline.Op(Info, s, "CreateGroup", "iam:CreateGroup", createGroupTarget, (*Service).createGroup),
		pipeline.Op(Info, s, "GetGroup", "iam:GetGroup", groupTarget[getGroupInput], (*Service).getGroup),
		pipeline.Op(Info, s, "DeleteGroup", "iam:DeleteGroup", groupTarget[groupNameInput], (*Service).deleteGroup),
		pipeline.Op(Info, s, "ListGroups", "iam:ListGroups", nil, (*Service).listGroups),
		pipeline.Op(Info, s, "AddUserToGroup", "iam:AddUserToGroup", groupTarget[groupMembershipInput], (*Service).addUserToGroup),
		pipeline.Op(Info, s, "RemoveUserFromGroup", "iam:RemoveUserFromGroup", groupTarget[groupMembershipInput], (*Service).removeUserFromGroup),
		pipeline.Op(Info, s, "ListGroupsForUser", "iam:ListGroupsForUser", userTarget[listGroupsForUserInput], (*Service).listGroupsForUser),
		pipeline.Op(Info, s, "PutGroupPolicy", "iam:PutGroupPolicy", entityTarget[putEntityPolicyInput[groupEntity]], putEntityPolicy[groupEntity]),
		pipeline.Op(Info, s, "GetGroupPolicy", "iam:GetGroupPolicy", entityTarget[entityPolicyInput[groupEntity]], getEntityPolicy[groupEntity]),
		pipeline.Op(Info, s, "DeleteGroupPolicy", "iam:DeleteGroupPolicy", entityTarget[entityPolicyInput[groupEntity]], deleteEntityPolicy[groupEntity]),
		pipeline.Op(Info, s, "ListGroupPolicies", "iam:ListGroupPolicies", entityTarget[listEntityPoliciesInput[groupEntity]], listEntityPolicies[groupEntity]),
	}
}

// storeError maps the store's sentinels to IAM's codes.
func storeError(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return pipeline.NewError(http.StatusNotFound, "NoSuchEntity", "%s", err.Error())
	case errors.Is(err, store.ErrConflict):
		return pipeline.NewError(http.StatusConflict, "EntityAlreadyExists", "%s", err.Error())
	}
	return err
}
