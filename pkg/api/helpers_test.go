package api_test

import (
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

// Helpers shared by this package's tests. Those that other projects' tests
// want too (root sessions, the access role, session credentials) are
// methods and functions of apitest.

// --- SDK errors ---

// requireAWSError asserts that err is the AWS error code, answered with the
// HTTP status and a request id.
func requireAWSError(t testing.TB, err error, code string, status int) {
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

// errorCode is err's AWS error code (the legacy query code for SQS): "" for
// nil, and a description that matches no code for an error that is not an
// AWS API error.
func errorCode(err error) string {
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

// taskPolicy is AssumeRoot's TaskPolicyArn member for a root-task policy name.
func taskPolicy(name string) *ststypes.PolicyDescriptorType {
	return &ststypes.PolicyDescriptorType{Arn: aws.String(policy.ARN(name))}
}

// accessRoleARN is the OrganizationAccountAccessRole of a member account.
func accessRoleARN(accountID string) string {
	return "arn:aws:iam::" + accountID + ":role/OrganizationAccountAccessRole"
}

// keyCredentials are the credentials of a long-term access key.
func keyCredentials(k store.Credential) aws.Credentials {
	return aws.Credentials{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey}
}

// createUser creates an IAM user with one inline policy (none if policyDoc
// is empty) and an access key, in the store, and returns the key.
func createUser(t testing.TB, srv *apitest.Server, account, name, policyDoc string) aws.Credentials {
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
	return keyCredentials(key)
}

// updateOrganization changes the management account's organization in the store.
func updateOrganization(t testing.TB, srv *apitest.Server, change func(*store.Organization, time.Time)) {
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

// registerIAMDelegatedAdmin makes account IAM's delegated administrator, in the store.
func registerIAMDelegatedAdmin(t testing.TB, srv *apitest.Server, account string) {
	t.Helper()
	updateOrganization(t, srv, func(org *store.Organization, now time.Time) {
		org.AddDelegatedAdministrator("iam.amazonaws.com", account, now)
	})
}

// --- SDK clients ---

// s3Client is a path-style S3 client of srv signed with creds.
func s3Client(srv *apitest.Server, creds aws.Credentials, opts ...func(*s3.Options)) *s3.Client {
	return s3.NewFromConfig(srv.Config(creds), append([]func(*s3.Options){func(o *s3.Options) { o.UsePathStyle = true }}, opts...)...)
}

// skipInputValidation, added to a client's APIOptions, removes the SDK's
// required-member check, so that the server's own validation is what a
// test sees.
func skipInputValidation(st *middleware.Stack) error {
	// Operations without required members have no such step.
	st.Initialize.Remove("OperationInputValidation")
	return nil
}

// --- hand-built requests, for what an SDK client will not send ---

// Content types, a target prefix and a body of hand-built requests.
const (
	formContentType    = "application/x-www-form-urlencoded; charset=utf-8"
	json11ContentType  = "application/x-amz-json-1.1"
	orgTargetPrefix    = "AWSOrganizationsV20161128."
	callerIdentityBody = "Action=GetCallerIdentity&Version=2011-06-15"
)

// rawResponse is a response read in full.
type rawResponse struct {
	Status int
	Header http.Header
	Body   string
}

// queryErrorBody is the query protocol's error envelope.
type queryErrorBody struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Error   struct {
		Type    string
		Code    string
		Message string
	}
	RequestID string `xml:"RequestId"`
}

// sha256Hex is the hex SHA-256 of data, as SigV4 hashes payloads.
func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// newPost builds a POST of body to path on srv with the given content type
// (and X-Amz-Target when target is not empty).
func newPost(t testing.TB, srv *apitest.Server, path, contentType, target, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	return req
}

// signV4 signs req with the SDK's SigV4 signer as a client of service in
// us-east-1 at the given time, over the payload hash (sha256Hex of the
// body, or one of S3's STREAMING-* and UNSIGNED-PAYLOAD values). S3 alone
// signs the path as it is, without escaping it again.
func signV4(req *http.Request, creds aws.Credentials, service, payloadHash string, at time.Time) error {
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" })
	return signer.SignHTTP(context.Background(), creds, req, payloadHash, service, "us-east-1", at)
}

// signRequest signs req for service at the given time over body.
func signRequest(t testing.TB, req *http.Request, creds aws.Credentials, service, body string, at time.Time) {
	t.Helper()
	require.NoError(t, signV4(req, creds, service, sha256Hex([]byte(body)), at))
}

// sendRequest sends req to srv and reads the whole response.
func sendRequest(t testing.TB, srv *apitest.Server, req *http.Request) rawResponse {
	t.Helper()
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.NotEmpty(t, resp.Header.Get("x-amzn-RequestId"), "every response carries a request id")
	return rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
}

// postSigned posts body to path, signed now with creds for service, and
// reads the response.
func postSigned(t testing.TB, srv *apitest.Server, creds aws.Credentials, service, path, contentType, target, body string) rawResponse {
	t.Helper()
	req := newPost(t, srv, path, contentType, target, body)
	signRequest(t, req, creds, service, body, time.Now())
	return sendRequest(t, srv, req)
}

// postQuery posts a signed query-protocol request (a form body) for service.
func postQuery(t testing.TB, srv *apitest.Server, creds aws.Credentials, service, body string) rawResponse {
	t.Helper()
	return postSigned(t, srv, creds, service, "/", formContentType, "", body)
}

// postQueryError posts a signed query-protocol request for service and
// decodes the error it answers with (none for 200).
func postQueryError(t testing.TB, srv *apitest.Server, creds aws.Credentials, service, body string) (int, queryErrorBody) {
	t.Helper()
	r := postQuery(t, srv, creds, service, body)
	if r.Status == http.StatusOK {
		return r.Status, queryErrorBody{}
	}
	return r.Status, queryError(t, r)
}

// queryError decodes a query-protocol error body and checks its envelope.
func queryError(t testing.TB, r rawResponse) queryErrorBody {
	t.Helper()
	var e queryErrorBody
	require.NoError(t, xml.Unmarshal([]byte(r.Body), &e), "query error body: %s", r.Body)
	assert.Equal(t, r.Header.Get("x-amzn-RequestId"), e.RequestID, "envelope RequestId")
	assert.Equal(t, "Sender", e.Error.Type)
	assert.NotEmpty(t, e.Error.Message)
	assert.Equal(t, "text/xml", r.Header.Get("Content-Type"))
	return e
}
