// Package testkit holds what the emulator's own contract tests share: SDK
// error assertions, hand-signed raw requests for what an SDK will not send,
// and principals set up directly in the store. Other projects use apitest.
package testkit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/policy"
	"github.com/rootaccess/emulator/pkg/store"
)

// --- SDK errors ---

// RequireAWSError asserts that err is the AWS error code, answered with the
// HTTP status and a request id.
func RequireAWSError(t testing.TB, err error, code string, status int) {
	t.Helper()
	require.Error(t, err)
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr, "not an AWS API error")
	assert.Equal(t, code, apiErr.ErrorCode(), "error: %v", err)
	var respErr *awshttp.ResponseError
	require.ErrorAs(t, err, &respErr, "no HTTP response")
	assert.Equal(t, status, respErr.HTTPStatusCode(), "status of %v", err)
	assert.NotEmpty(t, respErr.ServiceRequestID(), "request id of %v", err)
}

// ErrorCode is err's AWS error code (the legacy query code for SQS): "" for
// nil, and a description that matches no code for an error that is not an
// AWS API error.
func ErrorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	if err != nil {
		return "not an API error: " + err.Error()
	}
	return ""
}

// --- principals and the organization, set up directly ---

// TaskPolicy is AssumeRoot's TaskPolicyArn member for a root-task policy name.
func TaskPolicy(name string) *ststypes.PolicyDescriptorType {
	return &ststypes.PolicyDescriptorType{Arn: aws.String(policy.ARN(name))}
}

// AccessRoleARN is the OrganizationAccountAccessRole of a member account.
func AccessRoleARN(accountID string) string {
	return "arn:aws:iam::" + accountID + ":role/OrganizationAccountAccessRole"
}

// KeyCredentials are the credentials of a long-term access key.
func KeyCredentials(k store.Credential) aws.Credentials {
	return aws.Credentials{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey}
}

// CreateUser creates an IAM user with one inline policy (none if policyDoc
// is empty) and an access key, in the store, and returns the key.
func CreateUser(t testing.TB, srv *apitest.Server, account, name, policyDoc string) aws.Credentials {
	t.Helper()
	var key store.Credential
	err := srv.Store.Update(context.Background(), func(tx *store.Tx) error {
		policies := map[string]string{}
		if policyDoc != "" {
			policies["inline"] = policyDoc
		}
		user, err := tx.CreateUser(account, name, policies)
		if err != nil {
			return err
		}
		key, err = tx.CreateAccessKey(store.KindUser, account, user.ARN, user.ID, "", "")
		return err
	})
	require.NoError(t, err)
	return KeyCredentials(key)
}

// UpdateOrganization changes the management account's organization in the store.
func UpdateOrganization(t testing.TB, srv *apitest.Server, change func(*store.Organization, time.Time)) {
	t.Helper()
	err := srv.Store.Update(context.Background(), func(tx *store.Tx) error {
		org, err := tx.OrganizationOf(srv.ManagementAccountID())
		if err != nil {
			return err
		}
		change(&org, tx.Now())
		return tx.PutOrganization(org)
	})
	require.NoError(t, err)
}

// RegisterIAMDelegatedAdmin makes account IAM's delegated administrator, in the store.
func RegisterIAMDelegatedAdmin(t testing.TB, srv *apitest.Server, account string) {
	t.Helper()
	UpdateOrganization(t, srv, func(org *store.Organization, now time.Time) {
		org.AddDelegatedAdministrator("iam.amazonaws.com", account, now)
	})
}

// --- SDK clients ---

// S3Client is a path-style S3 client of srv signed with creds.
func S3Client(srv *apitest.Server, creds aws.Credentials, opts ...func(*s3.Options)) *s3.Client {
	return s3.NewFromConfig(srv.Config(creds), append([]func(*s3.Options){func(o *s3.Options) { o.UsePathStyle = true }}, opts...)...)
}

// SkipInputValidation, added to a client's APIOptions, removes the SDK's
// required-member check, so that the server's own validation is what a
// test sees.
func SkipInputValidation(st *middleware.Stack) error {
	// Operations without required members have no such step.
	st.Initialize.Remove("OperationInputValidation")
	return nil
}

// --- hand-built requests, for what an SDK client will not send ---

// Content types, a target prefix and a body of hand-built requests.
const (
	FormContentType    = "application/x-www-form-urlencoded; charset=utf-8"
	Json11ContentType  = "application/x-amz-json-1.1"
	OrgTargetPrefix    = "AWSOrganizationsV20161128."
	CallerIdentityBody = "Action=GetCallerIdentity&Version=2011-06-15"
)

// RawResponse is a response read in full.
type RawResponse struct {
	Status int
	Header http.Header
	Body   string
}

// QueryErrorBody is the query protocol's error envelope.
type QueryErrorBody struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Error   struct {
		Type    string
		Code    string
		Message string
	}
	RequestID string `xml:"RequestId"`
}

// SHA256Hex is the hex SHA-256 of data, as SigV4 hashes payloads.
func SHA256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// NewPost builds a POST of body to path on srv with the given content type
// (and X-Amz-Target when target is not empty).
func NewPost(t testing.TB, srv *apitest.Server, path, contentType, target, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	return req
}

// SignV4 signs req with the SDK's SigV4 signer as a client of service in
// us-east-1 at the given time, over the payload hash (sha256Hex of the
// body, or one of S3's STREAMING-* and UNSIGNED-PAYLOAD values). S3 alone
// signs the path as it is, without escaping it again.
func SignV4(req *http.Request, creds aws.Credentials, service, payloadHash string, at time.Time) error {
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" })
	return signer.SignHTTP(context.Background(), creds, req, payloadHash, service, "us-east-1", at)
}

// SignRequest signs req for service at the given time over body.
func SignRequest(t testing.TB, req *http.Request, creds aws.Credentials, service, body string, at time.Time) {
	t.Helper()
	require.NoError(t, SignV4(req, creds, service, SHA256Hex([]byte(body)), at))
}

// SendRequest sends req to srv and reads the whole response.
func SendRequest(t testing.TB, srv *apitest.Server, req *http.Request) RawResponse {
	t.Helper()
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.NotEmpty(t, resp.Header.Get("x-amzn-RequestId"), "every response carries a request id")
	return RawResponse{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
}

// PostSigned posts body to path, signed now with creds for service, and
// reads the response.
func PostSigned(t testing.TB, srv *apitest.Server, creds aws.Credentials, service, path, contentType, target, body string) RawResponse {
	t.Helper()
	req := NewPost(t, srv, path, contentType, target, body)
	SignRequest(t, req, creds, service, body, time.Now())
	return SendRequest(t, srv, req)
}

// PostQuery posts a signed query-protocol request (a form body) for service.
func PostQuery(t testing.TB, srv *apitest.Server, creds aws.Credentials, service, body string) RawResponse {
	t.Helper()
	return PostSigned(t, srv, creds, service, "/", FormContentType, "", body)
}

// PostQueryError posts a signed query-protocol request for service and
// decodes the error it answers with (none for 200).
func PostQueryError(t testing.TB, srv *apitest.Server, creds aws.Credentials, service, body string) (int, QueryErrorBody) {
	t.Helper()
	r := PostQuery(t, srv, creds, service, body)
	if r.Status == http.StatusOK {
		return r.Status, QueryErrorBody{}
	}
	return r.Status, QueryError(t, r)
}

// QueryError decodes a query-protocol error body and checks its envelope.
func QueryError(t testing.TB, r RawResponse) QueryErrorBody {
	t.Helper()
	var e QueryErrorBody
	require.NoError(t, xml.Unmarshal([]byte(r.Body), &e), "query error body: %s", r.Body)
	assert.Equal(t, r.Header.Get("x-amzn-RequestId"), e.RequestID, "envelope RequestId")
	assert.Equal(t, "Sender", e.Error.Type)
	assert.NotEmpty(t, e.Error.Message)
	assert.Equal(t, "text/xml", r.Header.Get("Content-Type"))
	return e
}

// RawS3 sends a hand-built request signed like an S3 client signs (the
// payload hash in X-Amz-Content-Sha256 unless the caller set one) and
// reads the response.
func RawS3(t *testing.T, srv *apitest.Server, creds aws.Credentials, method, target string, body []byte, header http.Header) RawResponse {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+target, bytes.NewReader(body))
	require.NoError(t, err)
	for k, vs := range header {
		req.Header[k] = vs
	}
	hash := req.Header.Get("X-Amz-Content-Sha256")
	if hash == "" {
		hash = SHA256Hex(body)
		req.Header.Set("X-Amz-Content-Sha256", hash)
	}
	require.NoError(t, SignV4(req, creds, "s3", hash, time.Now()))
	return SendRequest(t, srv, req)
}

// TaskNames are the five task policies, in the decision matrix's column order.
var TaskNames = []string{
	policy.AuditRootUserCredentials,
	policy.CreateRootUserPassword,
	policy.DeleteRootUserCredentials,
	policy.S3UnlockBucketPolicy,
	policy.SQSUnlockQueuePolicy,
}
