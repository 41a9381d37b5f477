package api_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	controltypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
	"github.com/rootaccess/emulator/pkg/policy"
	"github.com/rootaccess/emulator/pkg/store"
)

// The decision matrix: testdata/decision-matrix.json says, for each
// operation, whether an AssumeRoot session of each of the five tasks may
// call it (derived from the task policy documents, not from the emulator).
// TestMatrix makes every call with the real SDK clients in a fresh member
// account where the call has a real target; TestMatrixCoversOperations keeps
// the file in step with the API table.

// matrixFile is the matrix, relative to this package.
var matrixFile = filepath.Join("..", "..", "testdata", "decision-matrix.json")

// Decisions in the matrix.
const (
	matrixAllow = "allow"
	matrixDeny  = "deny"
)

// matrixDeniedByCaller marks rows refused because a root calls them, not
// by the task policy; their denial message is not checked.
const matrixDeniedByCaller = "caller"

// matrixRow is one operation's row of the matrix.
type matrixRow struct {
	// Operation is "<service>:<Operation>" as in the API table.
	Operation string `json:"operation"`
	// Variant names a second row of an operation, for a request of another
	// shape: "cross-account" (a resource of another account whose policy
	// grants the session's account) or "tags" (tags given at creation).
	Variant string `json:"variant"`
	// Action is the IAM action the operation is authorized as.
	Action            string `json:"action"`
	Audit             string `json:"IAMAuditRootUserCredentials"`
	CreatePassword    string `json:"IAMCreateRootUserPassword"`
	DeleteCredentials string `json:"IAMDeleteRootUserCredentials"`
	S3Unlock          string `json:"S3UnlockBucketPolicy"`
	SQSUnlock         string `json:"SQSUnlockQueuePolicy"`
	DeniedBy          string `json:"denied_by"`
	Note              string `json:"note"`
}

// key is the row's operation, with its variant if any: how matrixCalls
// names its call.
func (r matrixRow) key() string {
	if r.Variant != "" {
		return r.Operation + "/" + r.Variant
	}
	return r.Operation
}

// expect is the row's decision for a task.
func (r matrixRow) expect(task string) string {
	switch task {
	case policy.AuditRootUserCredentials:
		return r.Audit
	case policy.CreateRootUserPassword:
		return r.CreatePassword
	case policy.DeleteRootUserCredentials:
		return r.DeleteCredentials
	case policy.S3UnlockBucketPolicy:
		return r.S3Unlock
	case policy.SQSUnlockQueuePolicy:
		return r.SQSUnlock
	}
	return ""
}

// matrixLoad reads and checks the matrix file: known fields only, one row
// per operation, a decision for every task.
func matrixLoad(t *testing.T) []matrixRow {
	t.Helper()
	data, err := os.ReadFile(matrixFile)
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var file struct {
		Description string      `json:"description"`
		Rows        []matrixRow `json:"rows"`
	}
	require.NoError(t, dec.Decode(&file), "decode %s", matrixFile)
	require.NotEmpty(t, file.Rows)
	seen := map[string]bool{}
	for _, r := range file.Rows {
		require.NotEmpty(t, r.Operation, "a row without operation")
		require.False(t, seen[r.key()], "two rows for %s", r.key())
		seen[r.key()] = true
		require.NotEmpty(t, r.Action, "%s: no action", r.Operation)
		for _, task := range testkit.TaskNames {
			require.Contains(t, []string{matrixAllow, matrixDeny}, r.expect(task), "%s: decision for %s", r.Operation, task)
		}
		require.Contains(t, []string{"", matrixDeniedByCaller}, r.DeniedBy, "%s: denied_by", r.Operation)
	}
	return file.Rows
}

// matrixTarget is what a call in one cell of the matrix acts on: a fresh
// member account with legacy root credentials, an IAM user with an inline
// policy, a locked bucket and a locked queue.
type matrixTarget struct {
	account       string
	userName      string
	accessKeyID   string
	certificateID string
	mfaSerial     string
	bucket        string
	key           string
	queueName     string
	queueURL      string
}

// matrixSeq numbers member accounts, so that their names differ.
var matrixSeq atomic.Int64

// matrixRegion is the region the clients sign for (apitest's) and the
// bucket and queue live in.
const matrixRegion = "us-east-1"

// matrixSetup makes a member account in the store: its root user has a
// password, one access key, one signing certificate and one enabled virtual
// MFA device; it has an IAM user with one inline policy (matrixUserPolicy)
// besides its OrganizationAccountAccessRole; it owns a bucket holding one object under a deny-all bucket
// policy, and a queue holding one message under a deny-all queue policy.
func matrixSetup(t *testing.T, srv *apitest.Server) matrixTarget {
	t.Helper()
	acct := srv.MemberAccount(t, fmt.Sprintf("matrix-%d", matrixSeq.Add(1)))
	tg := matrixTarget{account: acct, userName: "matrix-user", bucket: "matrix-" + acct, key: "k", queueName: "matrix"}
	tg.queueURL = srv.URL + "/" + acct + "/" + tg.queueName
	ref := store.QueueRef{AccountID: acct, Region: matrixRegion, Name: tg.queueName}
	err := srv.Store.Update(context.Background(), func(tx *store.Tx) error {
		creds, err := tx.AddRootCredentials(acct, store.RootCredentialsSpec{
			Password:            true,
			AccessKeys:          []store.AccessKeySpec{{}},
			SigningCertificates: []store.SigningCertificateSpec{{}},
			MFADevices:          []store.MFADeviceSpec{{}},
		})
		if err != nil {
			return err
		}
		tg.accessKeyID = creds.AccessKeys[0].AccessKeyID
		tg.certificateID = creds.SigningCertificates[0].ID
		tg.mfaSerial = creds.MFADevices[0].SerialNumber

		if _, err := tx.CreateUser(acct, tg.userName, map[string]string{matrixUserPolicy: matrixReadOnlyPolicy}); err != nil {
			return err
		}

		if _, err := tx.CreateBucket(store.Bucket{Name: tg.bucket, Owner: acct, Region: matrixRegion,
			Policy: matrixBucketDenyAll(tg.bucket)}); err != nil {
			return err
		}
		data := []byte("precious")
		sum := md5.Sum(data)
		if _, err := tx.PutObject(store.Object{ObjectInfo: store.ObjectInfo{Bucket: tg.bucket, Key: tg.key,
			ETag: `"` + hex.EncodeToString(sum[:]) + `"`, ContentType: "text/plain"}, Data: data}); err != nil {
			return err
		}

		// The attributes sqsCreateQueue gives a new standard queue, plus the policy.
		attrs := map[string]string{"SqsManagedSseEnabled": "true", "DelaySeconds": "0",
			"MaximumMessageSize": "1048576", "MessageRetentionPeriod": "345600",
			"ReceiveMessageWaitTimeSeconds": "0", "VisibilityTimeout": "30",
			"Policy": matrixQueueDenyAll(matrixQueueARN(ref))}
		if err := tx.PutQueue(store.Queue{QueueRef: ref, Attributes: attrs, CreatedAt: tx.Now(), ModifiedAt: tx.Now()}); err != nil {
			return err
		}
		_, err = tx.SendMessage(ref, store.Message{ID: fmt.Sprintf("00000000-0000-4000-8000-%s", acct),
			Body: "hello", SenderID: acct, SentAt: tx.Now(), VisibleAt: tx.Now()})
		return err
	})
	require.NoError(t, err, "set up member %s", acct)
	return tg
}

// matrixUserPolicy names the IAM user's inline policy, matrixReadOnlyPolicy.
const (
	matrixUserPolicy     = "read-only"
	matrixReadOnlyPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}`
)

// matrixTrustManagement is a trust policy that lets the management account assume a role.
func matrixTrustManagement(e *matrixEnv) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` +
		e.srv.ManagementAccountID() + `:root"},"Action":"sts:AssumeRole"}]}`
}

func matrixQueueARN(ref store.QueueRef) string {
	return "arn:aws:sqs:" + ref.Region + ":" + ref.AccountID + ":" + ref.Name
}

// matrixBucketDenyAll locks everyone out of a bucket and its objects.
func matrixBucketDenyAll(bucket string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"DenyEveryone","Effect":"Deny","Principal":"*","Action":"s3:*",` +
		`"Resource":["arn:aws:s3:::` + bucket + `","arn:aws:s3:::` + bucket + `/*"]}]}`
}

// matrixQueueDenyAll locks everyone out of a queue.
func matrixQueueDenyAll(queueARN string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"DenyEveryone","Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"` + queueARN + `"}]}`
}

// matrixOwnerPolicy is the fixed policy an unlock puts in place of the
// deny-all one: the owning account may use the resource.
func matrixOwnerPolicy(account, action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"OwnerOnly","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` +
		account + `:root"},"Action":"` + action + `","Resource":"` + resource + `"}]}`
}

// matrixEnv is one cell's root session and its target.
type matrixEnv struct {
	matrixTarget
	t     *testing.T
	srv   *apitest.Server
	task  string
	creds aws.Credentials
}

func (e *matrixEnv) iam() *iam.Client { return iam.NewFromConfig(e.srv.Config(e.creds)) }
func (e *matrixEnv) sts() *sts.Client { return sts.NewFromConfig(e.srv.Config(e.creds)) }
func (e *matrixEnv) sqs() *sqs.Client { return sqs.NewFromConfig(e.srv.Config(e.creds)) }
func (e *matrixEnv) org() *organizations.Client {
	return organizations.NewFromConfig(e.srv.Config(e.creds))
}
func (e *matrixEnv) s3() *s3.Client { return testkit.S3Client(e.srv, e.creds) }

// s3control sends S3 Control's requests, addressed to {AccountId}.<host>,
// to the emulator through a proxy, as Terraform's HTTP_PROXY does.
func (e *matrixEnv) s3control() *s3control.Client {
	listener, err := url.Parse(e.srv.URL)
	require.NoError(e.t, err)
	cfg := e.srv.Config(e.creds)
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(listener)}}
	return s3control.NewFromConfig(cfg)
}

// matrixCall is how the test makes one row's call.
type matrixCall struct {
	run func(ctx context.Context, e *matrixEnv) error
	// allowErrors are the error codes an allowed call may answer in the
	// scenario (anything else from an allowed call is a failure too: a bad
	// argument would hide the authorization decision).
	allowErrors []string
	// head marks S3 HEAD requests: their errors have no body, so a denial
	// is only visible as HTTP 403.
	head bool
}

// matrixCalls is the call of every row, with arguments that name the
// cell's real resources.
func matrixCalls() map[string]matrixCall {
	ignore := func(_ any, err error) error { return err }
	return map[string]matrixCall{
		// --- IAM: root user credentials ---
		"iam:GetUser": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().GetUser(ctx, &iam.GetUserInput{}))
		}},
		"iam:GetAccountSummary": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}))
		}},
		"iam:GetLoginProfile": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().GetLoginProfile(ctx, &iam.GetLoginProfileInput{}))
		}},
		"iam:CreateLoginProfile": {allowErrors: []string{"EntityAlreadyExists"}, run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{}))
		}},
		"iam:DeleteLoginProfile": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{}))
		}},
		"iam:ListAccessKeys": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().ListAccessKeys(ctx, &iam.ListAccessKeysInput{}))
		}},
		"iam:CreateAccessKey": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().CreateAccessKey(ctx, &iam.CreateAccessKeyInput{}))
		}},
		"iam:UpdateAccessKey": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{
				AccessKeyId: aws.String(e.accessKeyID), Status: iamtypes.StatusTypeInactive}))
		}},
		"iam:DeleteAccessKey": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(e.accessKeyID)}))
		}},
		"iam:GetAccessKeyLastUsed": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(e.accessKeyID)}))
		}},
		"iam:ListSigningCertificates": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{}))
		}},
		"iam:DeleteSigningCertificate": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{
				CertificateId: aws.String(e.certificateID)}))
		}},
		"iam:ListMFADevices": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().ListMFADevices(ctx, &iam.ListMFADevicesInput{}))
		}},
		"iam:DeactivateMFADevice": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{SerialNumber: aws.String(e.mfaSerial)}))
		}},
		// The device is still enabled: an allowed call would be DeleteConflict.
		"iam:DeleteVirtualMFADevice": {allowErrors: []string{"DeleteConflict"}, run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(e.mfaSerial)}))
		}},

		// --- IAM: organization features and managed policies ---
		"iam:EnableOrganizationsRootCredentialsManagement": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().EnableOrganizationsRootCredentialsManagement(ctx, &iam.EnableOrganizationsRootCredentialsManagementInput{}))
		}},
		"iam:EnableOrganizationsRootSessions": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().EnableOrganizationsRootSessions(ctx, &iam.EnableOrganizationsRootSessionsInput{}))
		}},
		"iam:DisableOrganizationsRootCredentialsManagement": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().DisableOrganizationsRootCredentialsManagement(ctx, &iam.DisableOrganizationsRootCredentialsManagementInput{}))
		}},
		"iam:DisableOrganizationsRootSessions": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().DisableOrganizationsRootSessions(ctx, &iam.DisableOrganizationsRootSessionsInput{}))
		}},
		"iam:ListOrganizationsFeatures": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().ListOrganizationsFeatures(ctx, &iam.ListOrganizationsFeaturesInput{}))
		}},
		"iam:GetPolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(policy.ARN(e.task))}))
		}},
		"iam:GetPolicyVersion": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{
				PolicyArn: aws.String(policy.ARN(e.task)), VersionId: aws.String("v1")}))
		}},
		"iam:ListPolicies": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().ListPolicies(ctx, &iam.ListPoliciesInput{}))
		}},

		// --- IAM: users, roles and inline policies ---
		"iam:CreateUser": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("matrix-new-user")}))
		}},
		// The user has an inline policy: an allowed call would be DeleteConflict.
		"iam:DeleteUser": {allowErrors: []string{"DeleteConflict"}, run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(e.userName)}))
		}},
		"iam:ListUsers": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().ListUsers(ctx, &iam.ListUsersInput{}))
		}},
		"iam:CreateRole": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("matrix-new-role"),
				AssumeRolePolicyDocument: aws.String(matrixTrustManagement(e))}))
		}},
		"iam:GetRole": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("OrganizationAccountAccessRole")}))
		}},
		// The role has an inline policy: an allowed call would be DeleteConflict.
		"iam:DeleteRole": {allowErrors: []string{"DeleteConflict"}, run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("OrganizationAccountAccessRole")}))
		}},
		"iam:ListRoles": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().ListRoles(ctx, &iam.ListRolesInput{}))
		}},
		"iam:UpdateAssumeRolePolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
				RoleName: aws.String("OrganizationAccountAccessRole"), PolicyDocument: aws.String(matrixTrustManagement(e))}))
		}},
		"iam:PutUserPolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(e.userName),
				PolicyName: aws.String("escalate"), PolicyDocument: aws.String(store.AdministratorAccess)}))
		}},
		"iam:GetUserPolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String(e.userName),
				PolicyName: aws.String(matrixUserPolicy)}))
		}},
		"iam:DeleteUserPolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(e.userName),
				PolicyName: aws.String(matrixUserPolicy)}))
		}},
		"iam:ListUserPolicies": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String(e.userName)}))
		}},
		"iam:PutRolePolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("OrganizationAccountAccessRole"),
				PolicyName: aws.String("read-only"), PolicyDocument: aws.String(matrixReadOnlyPolicy)}))
		}},
		"iam:GetRolePolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("OrganizationAccountAccessRole"),
				PolicyName: aws.String("AdministratorAccess")}))
		}},
		"iam:DeleteRolePolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("OrganizationAccountAccessRole"),
				PolicyName: aws.String("AdministratorAccess")}))
		}},
		"iam:ListRolePolicies": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("OrganizationAccountAccessRole")}))
		}},
		"iam:CreateGroup": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("matrix")}))
		}},
		"iam:GetGroup": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("matrix")}))
		}},
		"iam:DeleteGroup": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("matrix")}))
		}},
		"iam:ListGroups": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().ListGroups(ctx, &iam.ListGroupsInput{}))
		}},
		"iam:AddUserToGroup": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("matrix"), UserName: aws.String("matrix")}))
		}},
		"iam:RemoveUserFromGroup": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("matrix"), UserName: aws.String("matrix")}))
		}},
		"iam:ListGroupsForUser": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("matrix")}))
		}},
		"iam:PutGroupPolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("matrix"), PolicyName: aws.String("p"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)}))
		}},
		"iam:GetGroupPolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String("matrix"), PolicyName: aws.String("p")}))
		}},
		"iam:DeleteGroupPolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("matrix"), PolicyName: aws.String("p")}))
		}},
		"iam:ListGroupPolicies": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: aws.String("matrix")}))
		}},

		"iam:CreatePolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("matrix"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)}))
		}},
		"iam:DeletePolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String("arn:aws:iam::" + e.account + ":policy/matrix")}))
		}},
		"iam:CreatePolicyVersion": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String("arn:aws:iam::" + e.account + ":policy/matrix"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)}))
		}},
		"iam:ListPolicyVersions": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}))
		}},
		"iam:DeletePolicyVersion": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String("arn:aws:iam::" + e.account + ":policy/matrix"), VersionId: aws.String("v2")}))
		}},
		"iam:SetDefaultPolicyVersion": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String("arn:aws:iam::" + e.account + ":policy/matrix"), VersionId: aws.String("v1")}))
		}},
		"iam:TagPolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String("arn:aws:iam::" + e.account + ":policy/matrix"), Tags: []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))
		}},
		"iam:UntagPolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: aws.String("arn:aws:iam::" + e.account + ":policy/matrix"), TagKeys: []string{"k"}}))
		}},
		"iam:ListPolicyTags": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String("arn:aws:iam::" + e.account + ":policy/matrix")}))
		}},
		"iam:ListEntitiesForPolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}))
		}},
		"iam:AttachUserPolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("matrix"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}))
		}},
		"iam:DetachUserPolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("matrix"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}))
		}},
		"iam:ListAttachedUserPolicies": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("matrix")}))
		}},
		"iam:TagUser": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().TagUser(ctx, &iam.TagUserInput{UserName: aws.String("matrix"), Tags: []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))
		}},
		"iam:UntagUser": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("matrix"), TagKeys: []string{"k"}}))
		}},
		"iam:ListUserTags": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("matrix")}))
		}},
		"iam:AttachRolePolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("OrganizationAccountAccessRole"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}))
		}},
		"iam:DetachRolePolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("OrganizationAccountAccessRole"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}))
		}},
		"iam:ListAttachedRolePolicies": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("OrganizationAccountAccessRole")}))
		}},
		"iam:TagRole": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("OrganizationAccountAccessRole"), Tags: []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))
		}},
		"iam:UntagRole": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("OrganizationAccountAccessRole"), TagKeys: []string{"k"}}))
		}},
		"iam:ListRoleTags": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("OrganizationAccountAccessRole")}))
		}},
		"iam:AttachGroupPolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("matrix"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}))
		}},
		"iam:DetachGroupPolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("matrix"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}))
		}},
		"iam:ListAttachedGroupPolicies": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("matrix")}))
		}},

		// --- S3 ---
		"s3:ListBuckets": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().ListBuckets(ctx, &s3.ListBucketsInput{}))
		}},
		"s3:CreateBucket": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("matrix-new-" + e.account)}))
		}},
		"s3:HeadBucket": {head: true, run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(e.bucket)}))
		}},
		// The bucket holds an object: an allowed call would be BucketNotEmpty.
		"s3:DeleteBucket": {allowErrors: []string{"BucketNotEmpty"}, run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:GetBucketPolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:PutBucketPolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(e.bucket),
				Policy: aws.String(matrixOwnerPolicy(e.account, "s3:GetObject", "arn:aws:s3:::"+e.bucket+"/*"))}))
		}},
		"s3:DeleteBucketPolicy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:PutObject": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("new"),
				Body: strings.NewReader("new data")}))
		}},
		"s3:GetObject": {run: func(ctx context.Context, e *matrixEnv) error {
			out, err := e.s3().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(e.key)})
			if err != nil {
				return err
			}
			defer out.Body.Close()
			_, err = io.Copy(io.Discard, out.Body)
			return err
		}},
		"s3:HeadObject": {head: true, run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(e.key)}))
		}},
		"s3:DeleteObject": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(e.key)}))
		}},
		"s3:ListObjectsV2": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(e.bucket)}))
		}},
		"s3:CopyObject": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("copy"),
				CopySource: aws.String(e.bucket + "/" + e.key)}))
		}},
		"s3:CreateMultipartUpload": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(e.bucket), Key: aws.String("mp")}))
		}},
		"s3:UploadPart": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(e.bucket), Key: aws.String("mp"),
				UploadId: aws.String("matrix"), PartNumber: aws.Int32(1), Body: strings.NewReader("part")}))
		}},
		"s3:UploadPartCopy": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(e.bucket), Key: aws.String("mp"),
				UploadId: aws.String("matrix"), PartNumber: aws.Int32(1), CopySource: aws.String(e.bucket + "/" + e.key)}))
		}},
		"s3:CompleteMultipartUpload": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(e.bucket), Key: aws.String("mp"),
				UploadId: aws.String("matrix"), MultipartUpload: &s3types.CompletedMultipartUpload{Parts: []s3types.CompletedPart{
					{PartNumber: aws.Int32(1), ETag: aws.String(`"0123456789abcdef0123456789abcdef"`)}}}}))
		}},
		"s3:AbortMultipartUpload": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(e.bucket), Key: aws.String("mp"),
				UploadId: aws.String("matrix")}))
		}},
		"s3:ListParts": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(e.bucket), Key: aws.String("mp"), UploadId: aws.String("matrix")}))
		}},
		"s3:ListMultipartUploads": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:ListObjects": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:ListObjectVersions": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:GetBucketLocation": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:GetBucketTagging": {allowErrors: []string{"NoSuchTagSet"}, run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:PutBucketTagging": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(e.bucket),
				Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}}))
		}},
		"s3:DeleteBucketTagging": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:GetObjectTagging": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(e.bucket), Key: aws.String(e.key)}))
		}},
		"s3:PutObjectTagging": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(e.bucket), Key: aws.String(e.key),
				Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}}))
		}},
		"s3:DeleteObjectTagging": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: aws.String(e.bucket), Key: aws.String(e.key)}))
		}},
		"s3:GetBucketCors": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:PutBucketCors": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(e.bucket), CORSConfiguration: &s3types.CORSConfiguration{CORSRules: []s3types.CORSRule{{AllowedMethods: []string{"GET"}, AllowedOrigins: []string{"*"}}}}}))
		}},
		"s3:DeleteBucketCors": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:GetBucketWebsite": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().GetBucketWebsite(ctx, &s3.GetBucketWebsiteInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:PutBucketWebsite": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().PutBucketWebsite(ctx, &s3.PutBucketWebsiteInput{Bucket: aws.String(e.bucket), WebsiteConfiguration: &s3types.WebsiteConfiguration{IndexDocument: &s3types.IndexDocument{Suffix: aws.String("index.html")}}}))
		}},
		"s3:DeleteBucketWebsite": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().DeleteBucketWebsite(ctx, &s3.DeleteBucketWebsiteInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:GetBucketLifecycleConfiguration": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:PutBucketLifecycleConfiguration": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(e.bucket), LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: []s3types.LifecycleRule{{Status: s3types.ExpirationStatusEnabled, Filter: &s3types.LifecycleRuleFilter{Prefix: aws.String("")}, Expiration: &s3types.LifecycleExpiration{Days: aws.Int32(1)}}}}}))
		}},
		"s3:DeleteBucketLifecycle": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:GetBucketReplication": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:PutBucketReplication": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().PutBucketReplication(ctx, &s3.PutBucketReplicationInput{Bucket: aws.String(e.bucket), ReplicationConfiguration: &s3types.ReplicationConfiguration{Role: aws.String("arn:aws:iam::" + e.account + ":role/r"), Rules: []s3types.ReplicationRule{{Status: s3types.ReplicationRuleStatusEnabled, Destination: &s3types.Destination{Bucket: aws.String("arn:aws:s3:::elsewhere")}}}}}))
		}},
		"s3:DeleteBucketReplication": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().DeleteBucketReplication(ctx, &s3.DeleteBucketReplicationInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:GetObjectLockConfiguration": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:GetBucketEncryption": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:PutBucketEncryption": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(e.bucket), ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256}}}}}))
		}},
		"s3:DeleteBucketEncryption": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().DeleteBucketEncryption(ctx, &s3.DeleteBucketEncryptionInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:GetBucketOwnershipControls": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:PutBucketOwnershipControls": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(e.bucket), OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnershipBucketOwnerEnforced}}}}))
		}},
		"s3:DeleteBucketOwnershipControls": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().DeleteBucketOwnershipControls(ctx, &s3.DeleteBucketOwnershipControlsInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:GetPublicAccessBlock": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:PutPublicAccessBlock": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String(e.bucket), PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true)}}))
		}},
		"s3:DeletePublicAccessBlock": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:GetBucketVersioning": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:GetBucketAccelerateConfiguration": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().GetBucketAccelerateConfiguration(ctx, &s3.GetBucketAccelerateConfigurationInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:GetBucketRequestPayment": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().GetBucketRequestPayment(ctx, &s3.GetBucketRequestPaymentInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:GetBucketLogging": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: aws.String(e.bucket)}))
		}},
		"s3:PutBucketLogging": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().PutBucketLogging(ctx, &s3.PutBucketLoggingInput{Bucket: aws.String(e.bucket), BucketLoggingStatus: &s3types.BucketLoggingStatus{}}))
		}},
		"s3:PutBucketAccelerateConfiguration": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().PutBucketAccelerateConfiguration(ctx, &s3.PutBucketAccelerateConfigurationInput{Bucket: aws.String(e.bucket),
				AccelerateConfiguration: &s3types.AccelerateConfiguration{Status: s3types.BucketAccelerateStatusSuspended}}))
		}},
		"s3:PutBucketRequestPayment": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().PutBucketRequestPayment(ctx, &s3.PutBucketRequestPaymentInput{Bucket: aws.String(e.bucket),
				RequestPaymentConfiguration: &s3types.RequestPaymentConfiguration{Payer: s3types.PayerBucketOwner}}))
		}},
		"s3:ListTagsForResource": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3control().ListTagsForResource(ctx, &s3control.ListTagsForResourceInput{AccountId: aws.String(e.account),
				ResourceArn: aws.String("arn:aws:s3:::" + e.bucket)}))
		}},
		"s3:TagResource": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3control().TagResource(ctx, &s3control.TagResourceInput{AccountId: aws.String(e.account),
				ResourceArn: aws.String("arn:aws:s3:::" + e.bucket), Tags: []controltypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))
		}},
		"s3:UntagResource": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3control().UntagResource(ctx, &s3control.UntagResourceInput{AccountId: aws.String(e.account),
				ResourceArn: aws.String("arn:aws:s3:::" + e.bucket), TagKeys: []string{"k"}}))
		}},
		"s3:GetBucketAcl": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.s3().GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(e.bucket)}))
		}},
		// A per-key refusal is the request's error here.
		"s3:DeleteObjects": {run: func(ctx context.Context, e *matrixEnv) error {
			out, err := e.s3().DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(e.bucket),
				Delete: &s3types.Delete{Objects: []s3types.ObjectIdentifier{{Key: aws.String(e.key)}}}})
			if err != nil {
				return err
			}
			if len(out.Errors) > 0 {
				return &smithy.GenericAPIError{Code: aws.ToString(out.Errors[0].Code), Message: aws.ToString(out.Errors[0].Message)}
			}
			return nil
		}},

		// --- SQS ---
		"sqs:CreateQueue": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.sqs().CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("matrix-new")}))
		}},
		"sqs:GetQueueUrl": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.sqs().GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(e.queueName)}))
		}},
		"sqs:ListQueues": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.sqs().ListQueues(ctx, &sqs.ListQueuesInput{}))
		}},
		"sqs:DeleteQueue": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.sqs().DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(e.queueURL)}))
		}},
		"sqs:GetQueueAttributes": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.sqs().GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(e.queueURL),
				AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy}}))
		}},
		"sqs:SetQueueAttributes": {run: func(ctx context.Context, e *matrixEnv) error {
			arn := matrixQueueARN(store.QueueRef{AccountID: e.account, Region: matrixRegion, Name: e.queueName})
			return ignore(e.sqs().SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(e.queueURL),
				Attributes: map[string]string{"Policy": matrixOwnerPolicy(e.account, "sqs:SendMessage", arn)}}))
		}},
		"sqs:SendMessage": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.sqs().SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(e.queueURL),
				MessageBody: aws.String("from the root session")}))
		}},
		"sqs:ReceiveMessage": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.sqs().ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(e.queueURL)}))
		}},
		// No receipt handle can be had (receiving is denied to everyone),
		// so the handle is made up: an allowed call would be ReceiptHandleIsInvalid.
		"sqs:DeleteMessage": {allowErrors: []string{"ReceiptHandleIsInvalid"}, run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.sqs().DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(e.queueURL),
				ReceiptHandle: aws.String("matrix-receipt-handle")}))
		}},

		"sqs:SendMessageBatch": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.sqs().SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(e.queueURL),
				Entries: []sqstypes.SendMessageBatchRequestEntry{{Id: aws.String("m"), MessageBody: aws.String("from the root session")}}}))
		}},
		"sqs:DeleteMessageBatch": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.sqs().DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(e.queueURL),
				Entries: []sqstypes.DeleteMessageBatchRequestEntry{{Id: aws.String("m"), ReceiptHandle: aws.String("matrix-receipt-handle")}}}))
		}},
		"sqs:ChangeMessageVisibility": {allowErrors: []string{"ReceiptHandleIsInvalid"}, run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.sqs().ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(e.queueURL),
				ReceiptHandle: aws.String("matrix-receipt-handle"), VisibilityTimeout: 10}))
		}},
		"sqs:ChangeMessageVisibilityBatch": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.sqs().ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(e.queueURL),
				Entries: []sqstypes.ChangeMessageVisibilityBatchRequestEntry{{Id: aws.String("m"), ReceiptHandle: aws.String("matrix-receipt-handle"), VisibilityTimeout: 10}}}))
		}},
		"sqs:PurgeQueue": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.sqs().PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(e.queueURL)}))
		}},
		"sqs:TagQueue": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.sqs().TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: aws.String(e.queueURL), Tags: map[string]string{"k": "v"}}))
		}},
		"sqs:UntagQueue": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.sqs().UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: aws.String(e.queueURL), TagKeys: []string{"k"}}))
		}},
		"sqs:ListQueueTags": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.sqs().ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: aws.String(e.queueURL)}))
		}},
		"sqs:ListDeadLetterSourceQueues": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.sqs().ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(e.queueURL)}))
		}},

		// --- STS ---
		"sts:GetCallerIdentity": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.sts().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
		}},
		"sts:AssumeRole": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.sts().AssumeRole(ctx, &sts.AssumeRoleInput{
				RoleArn:         aws.String(testkit.AccessRoleARN(e.account)),
				RoleSessionName: aws.String("matrix")}))
		}},
		"sts:GetSessionToken": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.sts().GetSessionToken(ctx, &sts.GetSessionTokenInput{}))
		}},
		"sts:GetAccessKeyInfo": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.sts().GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("ASIAQNZGKIQY56JQ7WML")}))
		}},
		"sts:AssumeRoot": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.sts().AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(e.account),
				TaskPolicyArn: testkit.TaskPolicy(e.task)}))
		}},

		// --- Requests of another shape (issue 11, items 1 and 5) ---
		// A bucket of another account that grants the session's account:
		// authorized as for any root (the task policy decides), then S3's
		// own rule that only the owner manages a bucket policy answers.
		"s3:GetBucketPolicy/cross-account": {allowErrors: []string{"MethodNotAllowed"}, run: func(ctx context.Context, e *matrixEnv) error {
			bucket := matrixForeignBucket(ctx, e)
			return ignore(e.s3().GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)}))
		}},
		"s3:GetObject/cross-account": {run: func(ctx context.Context, e *matrixEnv) error {
			bucket := matrixForeignBucket(ctx, e)
			out, err := e.s3().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(e.key)})
			if err != nil {
				return err
			}
			defer out.Body.Close()
			_, err = io.Copy(io.Discard, out.Body)
			return err
		}},
		"sqs:GetQueueAttributes/cross-account": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.sqs().GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(matrixForeignQueue(ctx, e)),
				AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy}}))
		}},
		"sqs:GetQueueUrl/cross-account": {run: func(ctx context.Context, e *matrixEnv) error {
			url := matrixForeignQueue(ctx, e)
			owner := strings.Split(strings.TrimPrefix(url, e.srv.URL+"/"), "/")[0]
			return ignore(e.sqs().GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("foreign"),
				QueueOwnerAWSAccountId: aws.String(owner)}))
		}},
		"iam:CreateUser/tags": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.iam().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("matrix-tagged-user"),
				Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}))
		}},
		"sqs:CreateQueue/tags": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.sqs().CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("matrix-tagged"),
				Tags: map[string]string{"team": "blue"}}))
		}},

		// --- Organizations ---
		"organizations:DescribeOrganization": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.org().DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{}))
		}},
		"organizations:ListAccounts": {run: func(ctx context.Context, e *matrixEnv) error {
			return ignore(e.org().ListAccounts(ctx, &organizations.ListAccountsInput{}))
		}},
	}
}

// matrixForeignBucket makes a bucket of a new account, holding the
// cell's object key, whose policy grants the cell's account everything.
func matrixForeignBucket(ctx context.Context, e *matrixEnv) string {
	owner := e.srv.MemberAccount(e.t, fmt.Sprintf("foreign-%d", matrixSeq.Add(1)))
	bucket := "foreign-" + owner
	err := e.srv.Store.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.CreateBucket(store.Bucket{Name: bucket, Owner: owner, Region: matrixRegion,
			Policy: matrixGrantAccount(e.account, "s3:*", "arn:aws:s3:::"+bucket+"/*", "arn:aws:s3:::"+bucket)}); err != nil {
			return err
		}
		_, err := tx.PutObject(store.Object{ObjectInfo: store.ObjectInfo{Bucket: bucket, Key: e.key, ETag: `"x"`}, Data: []byte("foreign")})
		return err
	})
	require.NoError(e.t, err)
	return bucket
}

// matrixForeignQueue makes a queue of a new account whose policy grants
// the cell's account everything, and returns its URL.
func matrixForeignQueue(ctx context.Context, e *matrixEnv) string {
	owner := e.srv.MemberAccount(e.t, fmt.Sprintf("foreign-%d", matrixSeq.Add(1)))
	ref := store.QueueRef{AccountID: owner, Region: matrixRegion, Name: "foreign"}
	attrs := map[string]string{"SqsManagedSseEnabled": "true", "DelaySeconds": "0",
		"MaximumMessageSize": "1048576", "MessageRetentionPeriod": "345600",
		"ReceiveMessageWaitTimeSeconds": "0", "VisibilityTimeout": "30",
		"Policy": matrixGrantAccount(e.account, "sqs:*", matrixQueueARN(ref))}
	err := e.srv.Store.Update(ctx, func(tx *store.Tx) error {
		return tx.PutQueue(store.Queue{QueueRef: ref, Attributes: attrs, CreatedAt: tx.Now(), ModifiedAt: tx.Now()})
	})
	require.NoError(e.t, err)
	return e.srv.URL + "/" + owner + "/" + ref.Name
}

// matrixGrantAccount is a resource policy granting account action on resources.
func matrixGrantAccount(account, action string, resources ...string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + account +
		`"},"Action":"` + action + `","Resource":["` + strings.Join(resources, `","`) + `"]}]}`
}

// matrixClassify turns a call's outcome into the matrix's decision:
// AccessDenied (AccessDeniedException in JSON protocols; a bare 403 for
// S3 HEAD requests) is a denial, success or any other error an allowance.
func matrixClassify(err error, head bool) string {
	if err == nil {
		return matrixAllow
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && (apiErr.ErrorCode() == "AccessDenied" || apiErr.ErrorCode() == "AccessDeniedException") {
		return matrixDeny
	}
	var respErr *smithyhttp.ResponseError
	if head && errors.As(err, &respErr) && respErr.HTTPStatusCode() == http.StatusForbidden {
		return matrixDeny
	}
	return matrixAllow
}

// matrixOutcome describes a call's outcome for failure messages.
func matrixOutcome(err error) string {
	if err == nil {
		return "success"
	}
	return err.Error()
}

// TestMatrix makes every call of the matrix in a root session of every
// task and compares the outcome with the expected decision.
func TestMatrix(t *testing.T) {
	rows := matrixLoad(t)
	calls := matrixCalls()
	srv := apitest.New(t)
	srv.EnableRootAccess(t)
	for _, task := range testkit.TaskNames {
		for _, row := range rows {
			call, ok := calls[row.key()]
			require.True(t, ok, "no call for %s in matrixCalls", row.key())
			t.Run(task+"/"+row.key(), func(t *testing.T) {
				t.Parallel()
				tg := matrixSetup(t, srv)
				e := &matrixEnv{matrixTarget: tg, t: t, srv: srv, task: task, creds: srv.RootSession(t, tg.account, task)}
				err := call.run(context.Background(), e)

				var respErr *smithyhttp.ResponseError
				if errors.As(err, &respErr) {
					require.Less(t, respErr.HTTPStatusCode(), http.StatusInternalServerError, "server error: %v", err)
				}
				want, got := row.expect(task), matrixClassify(err, call.head)
				require.Equal(t, want, got, "%s in a %s session: the matrix says %s, the emulator answered %v (why %s: %s)",
					row.Operation, task, want, matrixOutcome(err), want, row.Note)

				switch {
				case got == matrixAllow && err != nil:
					require.Contains(t, call.allowErrors, testkit.ErrorCode(err),
						"%s in a %s session is allowed but failed unexpectedly: %v", row.Operation, task, err)
				case got == matrixDeny && row.DeniedBy == "" && !call.head:
					// The task policy, not something else, must be what denies, and
					// the action must be the one the matrix derived its row from.
					var apiErr smithy.APIError
					require.ErrorAs(t, err, &apiErr)
					assert.Contains(t, apiErr.ErrorMessage(), "perform: "+row.Action+" on resource")
					assert.Contains(t, apiErr.ErrorMessage(), "with an explicit deny in a session policy")
				}
			})
		}
	}
}

// TestMatrixCoversOperations keeps the matrix and the API table in step:
// every IAM, S3, SQS and STS operation has a row (a new operation cannot be
// added without deciding its row), every row is a served operation with the
// action the table authorizes it as, and every row has a call in TestMatrix.
func TestMatrixCoversOperations(t *testing.T) {
	rows := matrixLoad(t)
	byOp := map[string]matrixRow{}
	for _, r := range rows {
		byOp[r.key()] = r
	}
	srv := apitest.New(t)
	served := map[string]string{}
	for _, o := range srv.API.Operations() {
		name := o.Service + ":" + o.Name
		served[name] = o.Action
		if !slices.Contains([]string{"iam", "s3", "sqs", "sts"}, o.Service) {
			continue
		}
		r, ok := byOp[name]
		if !assert.True(t, ok, "%s (%s) has no row in %s: decide it for the five tasks", name, o.Action, matrixFile) {
			continue
		}
		if o.Public && r.DeniedBy == "" { // a public operation may still refuse some callers (GetSessionToken)
			for _, task := range testkit.TaskNames {
				assert.Equal(t, matrixAllow, r.expect(task), "%s needs no permission, so %s allows it", name, task)
			}
		}
	}
	calls := matrixCalls()
	for _, r := range rows {
		action, ok := served[r.Operation]
		if assert.True(t, ok, "row %s is not an operation of the API table", r.Operation) {
			assert.Equal(t, action, r.Action, "action of %s", r.Operation)
		}
		_, ok = calls[r.key()]
		assert.True(t, ok, "row %s has no call in matrixCalls", r.key())
	}
	for name := range calls {
		_, ok := byOp[name]
		assert.True(t, ok, "matrixCalls has a call for %s, which has no row", name)
	}

	var names []string
	for _, p := range policy.TaskPolicies() {
		names = append(names, p.Name)
	}
	assert.ElementsMatch(t, testkit.TaskNames, names, "the matrix has a column per task policy")
}
