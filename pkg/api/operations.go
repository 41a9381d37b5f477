package api

// operations is the API: every wire operation the emulator serves,
// registered once with the IAM action it is authorized as. Routing
// (dispatch.go), authorization (operation.go) and the model-coverage test
// all read this table. Handlers live in one file per service
// (sts.go, iam.go, organizations.go, s3.go, sqs.go).
func (s *Server) operations() map[opKey]operation {
	return table(
		// --- STS (query protocol) ---
		public(op(svcSTS, "GetCallerIdentity", "sts:GetCallerIdentity", nil, (*Server).stsGetCallerIdentity)),
		op(svcSTS, "AssumeRoot", "sts:AssumeRoot", assumeRootTarget, (*Server).stsAssumeRoot),
		op(svcSTS, "AssumeRole", "sts:AssumeRole", assumeRoleTarget, (*Server).stsAssumeRole),

		// --- Organizations (JSON 1.1) ---
		op(svcOrg, "CreateOrganization", "organizations:CreateOrganization", nil, (*Server).orgCreateOrganization),
		op(svcOrg, "DescribeOrganization", "organizations:DescribeOrganization", nil, (*Server).orgDescribeOrganization),
		op(svcOrg, "ListRoots", "organizations:ListRoots", nil, (*Server).orgListRoots),
		op(svcOrg, "CreateAccount", "organizations:CreateAccount", nil, (*Server).orgCreateAccount),
		op(svcOrg, "DescribeCreateAccountStatus", "organizations:DescribeCreateAccountStatus", nil, (*Server).orgDescribeCreateAccountStatus),
		op(svcOrg, "ListCreateAccountStatus", "organizations:ListCreateAccountStatus", nil, (*Server).orgListCreateAccountStatus),
		op(svcOrg, "ListAccounts", "organizations:ListAccounts", nil, (*Server).orgListAccounts),
		op(svcOrg, "ListAccountsForParent", "organizations:ListAccountsForParent", nil, (*Server).orgListAccountsForParent),
		op(svcOrg, "DescribeAccount", "organizations:DescribeAccount", nil, (*Server).orgDescribeAccount),
		op(svcOrg, "EnableAWSServiceAccess", "organizations:EnableAWSServiceAccess", nil, (*Server).orgEnableAWSServiceAccess),
		op(svcOrg, "DisableAWSServiceAccess", "organizations:DisableAWSServiceAccess", nil, (*Server).orgDisableAWSServiceAccess),
		op(svcOrg, "ListAWSServiceAccessForOrganization", "organizations:ListAWSServiceAccessForOrganization", nil, (*Server).orgListAWSServiceAccessForOrganization),
		op(svcOrg, "RegisterDelegatedAdministrator", "organizations:RegisterDelegatedAdministrator", nil, (*Server).orgRegisterDelegatedAdministrator),
		op(svcOrg, "DeregisterDelegatedAdministrator", "organizations:DeregisterDelegatedAdministrator", nil, (*Server).orgDeregisterDelegatedAdministrator),
		op(svcOrg, "ListDelegatedAdministrators", "organizations:ListDelegatedAdministrators", nil, (*Server).orgListDelegatedAdministrators),

		// --- IAM organization features (query protocol) ---
		op(svcIAM, "EnableOrganizationsRootCredentialsManagement", "iam:EnableOrganizationsRootCredentialsManagement", nil, (*Server).iamEnableOrganizationsRootCredentialsManagement),
		op(svcIAM, "EnableOrganizationsRootSessions", "iam:EnableOrganizationsRootSessions", nil, (*Server).iamEnableOrganizationsRootSessions),
		op(svcIAM, "DisableOrganizationsRootCredentialsManagement", "iam:DisableOrganizationsRootCredentialsManagement", nil, (*Server).iamDisableOrganizationsRootCredentialsManagement),
		op(svcIAM, "DisableOrganizationsRootSessions", "iam:DisableOrganizationsRootSessions", nil, (*Server).iamDisableOrganizationsRootSessions),
		op(svcIAM, "ListOrganizationsFeatures", "iam:ListOrganizationsFeatures", nil, (*Server).iamListOrganizationsFeatures),

		// --- IAM root user credentials (query protocol) ---
		op(svcIAM, "GetUser", "iam:GetUser", credSubjectTarget[getUserInput], (*Server).iamGetUser),
		op(svcIAM, "GetAccountSummary", "iam:GetAccountSummary", nil, (*Server).iamGetAccountSummary),
		op(svcIAM, "GetLoginProfile", "iam:GetLoginProfile", rootSessionSubjectTarget[loginProfileInput], (*Server).iamGetLoginProfile),
		op(svcIAM, "CreateLoginProfile", "iam:CreateLoginProfile", createLoginProfileTarget, (*Server).iamCreateLoginProfile),
		op(svcIAM, "DeleteLoginProfile", "iam:DeleteLoginProfile", rootSessionSubjectTarget[loginProfileInput], (*Server).iamDeleteLoginProfile),
		op(svcIAM, "ListAccessKeys", "iam:ListAccessKeys", credSubjectTarget[listAccessKeysInput], (*Server).iamListAccessKeys),
		op(svcIAM, "CreateAccessKey", "iam:CreateAccessKey", credSubjectTarget[createAccessKeyInput], (*Server).iamCreateAccessKey),
		op(svcIAM, "UpdateAccessKey", "iam:UpdateAccessKey", credSubjectTarget[updateAccessKeyInput], (*Server).iamUpdateAccessKey),
		op(svcIAM, "DeleteAccessKey", "iam:DeleteAccessKey", credSubjectTarget[accessKeyInput], (*Server).iamDeleteAccessKey),
		op(svcIAM, "GetAccessKeyLastUsed", "iam:GetAccessKeyLastUsed", getAccessKeyLastUsedTarget, (*Server).iamGetAccessKeyLastUsed),
		op(svcIAM, "ListSigningCertificates", "iam:ListSigningCertificates", credSubjectTarget[listSigningCertificatesInput], (*Server).iamListSigningCertificates),
		op(svcIAM, "DeleteSigningCertificate", "iam:DeleteSigningCertificate", credSubjectTarget[deleteSigningCertificateInput], (*Server).iamDeleteSigningCertificate),
		op(svcIAM, "ListMFADevices", "iam:ListMFADevices", credSubjectTarget[listMFADevicesInput], (*Server).iamListMFADevices),
		op(svcIAM, "DeactivateMFADevice", "iam:DeactivateMFADevice", rootSessionSubjectTarget[deactivateMFADeviceInput], (*Server).iamDeactivateMFADevice),
		op(svcIAM, "DeleteVirtualMFADevice", "iam:DeleteVirtualMFADevice", deleteVirtualMFADeviceTarget, (*Server).iamDeleteVirtualMFADevice),

		// --- IAM managed policies (query protocol) ---
		op(svcIAM, "GetPolicy", "iam:GetPolicy", getPolicyTarget, (*Server).iamGetPolicy),
		op(svcIAM, "GetPolicyVersion", "iam:GetPolicyVersion", getPolicyVersionTarget, (*Server).iamGetPolicyVersion),
		op(svcIAM, "ListPolicies", "iam:ListPolicies", nil, (*Server).iamListPolicies),

		// --- IAM users, roles and inline policies (query protocol) ---
		op(svcIAM, "CreateUser", "iam:CreateUser", createUserTarget, (*Server).iamCreateUser),
		op(svcIAM, "DeleteUser", "iam:DeleteUser", userTarget[userNameInput], (*Server).iamDeleteUser),
		op(svcIAM, "ListUsers", "iam:ListUsers", nil, (*Server).iamListUsers),
		op(svcIAM, "CreateRole", "iam:CreateRole", createRoleTarget, (*Server).iamCreateRole),
		op(svcIAM, "GetRole", "iam:GetRole", roleTarget[roleNameInput], (*Server).iamGetRole),
		op(svcIAM, "DeleteRole", "iam:DeleteRole", roleTarget[roleNameInput], (*Server).iamDeleteRole),
		op(svcIAM, "ListRoles", "iam:ListRoles", nil, (*Server).iamListRoles),
		op(svcIAM, "UpdateAssumeRolePolicy", "iam:UpdateAssumeRolePolicy", roleTarget[updateAssumeRolePolicyInput], (*Server).iamUpdateAssumeRolePolicy),
		op(svcIAM, "PutUserPolicy", "iam:PutUserPolicy", userTarget[putUserPolicyInput], (*Server).iamPutUserPolicy),
		op(svcIAM, "GetUserPolicy", "iam:GetUserPolicy", userTarget[userPolicyInput], (*Server).iamGetUserPolicy),
		op(svcIAM, "DeleteUserPolicy", "iam:DeleteUserPolicy", userTarget[userPolicyInput], (*Server).iamDeleteUserPolicy),
		op(svcIAM, "ListUserPolicies", "iam:ListUserPolicies", userTarget[listUserPoliciesInput], (*Server).iamListUserPolicies),
		op(svcIAM, "PutRolePolicy", "iam:PutRolePolicy", roleTarget[putRolePolicyInput], (*Server).iamPutRolePolicy),
		op(svcIAM, "GetRolePolicy", "iam:GetRolePolicy", roleTarget[rolePolicyInput], (*Server).iamGetRolePolicy),
		op(svcIAM, "DeleteRolePolicy", "iam:DeleteRolePolicy", roleTarget[rolePolicyInput], (*Server).iamDeleteRolePolicy),
		op(svcIAM, "ListRolePolicies", "iam:ListRolePolicies", roleTarget[listRolePoliciesInput], (*Server).iamListRolePolicies),

		// --- S3 (rest-xml) ---
		s3op("ListBuckets", "s3:ListAllMyBuckets", nil, (*Server).s3ListBuckets),
		s3op("CreateBucket", "s3:CreateBucket", s3NewBucketTarget, (*Server).s3CreateBucket),
		s3op("HeadBucket", "s3:ListBucket", s3BucketTarget, (*Server).s3HeadBucket),
		s3op("DeleteBucket", "s3:DeleteBucket", s3BucketTarget, (*Server).s3DeleteBucket),
		s3op("GetBucketPolicy", "s3:GetBucketPolicy", s3PolicyTarget, (*Server).s3GetBucketPolicy),
		s3op("PutBucketPolicy", "s3:PutBucketPolicy", s3PolicyTarget, (*Server).s3PutBucketPolicy),
		s3op("DeleteBucketPolicy", "s3:DeleteBucketPolicy", s3PolicyTarget, (*Server).s3DeleteBucketPolicy),
		s3op("ListObjectsV2", "s3:ListBucket", s3ListTarget, (*Server).s3ListObjectsV2),
		s3op("PutObject", "s3:PutObject", s3ObjectTarget, (*Server).s3PutObject),
		s3op("GetObject", "s3:GetObject", s3ObjectTarget, (*Server).s3GetObject),
		s3op("HeadObject", "s3:GetObject", s3ObjectTarget, (*Server).s3HeadObject),
		s3op("DeleteObject", "s3:DeleteObject", s3ObjectTarget, (*Server).s3DeleteObject),

		// --- SQS (JSON 1.0 and query) ---
		op(svcSQS, "CreateQueue", "sqs:CreateQueue", createQueueTarget, (*Server).sqsCreateQueue),
		op(svcSQS, "GetQueueUrl", "sqs:GetQueueUrl", getQueueUrlTarget, (*Server).sqsGetQueueUrl),
		op(svcSQS, "ListQueues", "sqs:ListQueues", nil, (*Server).sqsListQueues),
		op(svcSQS, "DeleteQueue", "sqs:DeleteQueue", queueTarget[deleteQueueInput], (*Server).sqsDeleteQueue),
		op(svcSQS, "GetQueueAttributes", "sqs:GetQueueAttributes", queuePolicyTarget[getQueueAttributesInput], (*Server).sqsGetQueueAttributes),
		op(svcSQS, "SetQueueAttributes", "sqs:SetQueueAttributes", queuePolicyTarget[setQueueAttributesInput], (*Server).sqsSetQueueAttributes),
		op(svcSQS, "SendMessage", "sqs:SendMessage", queueTarget[sendMessageInput], (*Server).sqsSendMessage),
		op(svcSQS, "ReceiveMessage", "sqs:ReceiveMessage", queueTarget[receiveMessageInput], (*Server).sqsReceiveMessage),
		op(svcSQS, "DeleteMessage", "sqs:DeleteMessage", queueTarget[deleteMessageInput], (*Server).sqsDeleteMessage),
	)
}
