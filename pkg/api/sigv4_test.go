package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/policy"
)

// --- hand-built requests, for what an SDK client will not send ---

// sigResponse is a response read in full.
type sigResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// sigQueryErrorBody is the query protocol's error envelope.
type sigQueryErrorBody struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Error   struct {
		Type    string
		Code    string
		Message string
	}
	RequestID string `xml:"RequestId"`
}

// sigJSONErrorBody is the awsJson 1.1 error body.
type sigJSONErrorBody struct {
	Type    string `json:"__type"`
	Message string `json:"Message"`
}

// Content types and targets of the hand-built requests.
const (
	sigFormContentType = "application/x-www-form-urlencoded; charset=utf-8"
	sigJSON11          = "application/x-amz-json-1.1"
	sigOrgTarget       = "AWSOrganizationsV20161128."
)

// newRequest builds a POST to srv with the given content type (and
// X-Amz-Target when target is not empty).
func sigNewRequest(t testing.TB, srv *apitest.Server, contentType, target, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	return req
}

// sign signs req for service in us-east-1 at the given time over body.
func sigSign(t testing.TB, req *http.Request, creds aws.Credentials, service, body string, at time.Time) {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", at))
}

// send sends req and reads the whole response.
func sigSend(t testing.TB, srv *apitest.Server, req *http.Request) sigResponse {
	t.Helper()
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.NotEmpty(t, resp.Header.Get("x-amzn-RequestId"), "every response carries a request id")
	return sigResponse{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// queryError decodes a query-protocol error body and checks its envelope.
func sigQueryError(t testing.TB, r sigResponse) sigQueryErrorBody {
	t.Helper()
	var e sigQueryErrorBody
	require.NoError(t, xml.Unmarshal(r.Body, &e), "query error body: %s", r.Body)
	assert.Equal(t, r.Header.Get("x-amzn-RequestId"), e.RequestID, "envelope RequestId")
	assert.Equal(t, "Sender", e.Error.Type)
	assert.NotEmpty(t, e.Error.Message)
	assert.Equal(t, "text/xml", r.Header.Get("Content-Type"))
	return e
}

// jsonError decodes an awsJson 1.1 error body.
func sigJSONError(t testing.TB, r sigResponse) sigJSONErrorBody {
	t.Helper()
	var e sigJSONErrorBody
	require.NoError(t, json.Unmarshal(r.Body, &e), "json error body: %s", r.Body)
	assert.Equal(t, sigJSON11, r.Header.Get("Content-Type"))
	assert.NotEmpty(t, e.Message)
	return e
}

// sigPostQuery sends a signed query-protocol request for service and decodes
// the error it answers with.
func sigPostQuery(t testing.TB, srv *apitest.Server, creds aws.Credentials, service, body string) (int, sigQueryErrorBody) {
	t.Helper()
	req := sigNewRequest(t, srv, sigFormContentType, "", body)
	sigSign(t, req, creds, service, body, time.Now())
	r := sigSend(t, srv, req)
	if r.Status == http.StatusOK {
		return r.Status, sigQueryErrorBody{}
	}
	return r.Status, sigQueryError(t, r)
}

const sigCallerIdentityBody = "Action=GetCallerIdentity&Version=2011-06-15"

// --- signature and key failures through the SDKs ---

func TestSigV4_WrongSecret(t *testing.T) {
	srv := apitest.New(t)
	creds := srv.AdminCredentials()
	creds.SecretAccessKey = "not-the-secret"
	ctx := context.Background()
	_, err := sts.NewFromConfig(srv.Config(creds)).GetCallerIdentity(ctx, nil)
	stsRequireError(t, err, "SignatureDoesNotMatch", 403)
	_, err = iam.NewFromConfig(srv.Config(creds)).ListOrganizationsFeatures(ctx, nil)
	stsRequireError(t, err, "SignatureDoesNotMatch", 403)
	_, err = organizations.NewFromConfig(srv.Config(creds)).DescribeOrganization(ctx, nil)
	stsRequireError(t, err, "InvalidSignatureException", 400)
}

func TestSigV4_UnknownKey(t *testing.T) {
	srv := apitest.New(t)
	creds := aws.Credentials{AccessKeyID: "AKIANOSUCHKEY0000000", SecretAccessKey: "whatever"}
	ctx := context.Background()
	_, err := sts.NewFromConfig(srv.Config(creds)).GetCallerIdentity(ctx, nil)
	stsRequireError(t, err, "InvalidClientTokenId", 403)
	_, err = iam.NewFromConfig(srv.Config(creds)).GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(policy.ARN(policy.AuditRootUserCredentials))})
	stsRequireError(t, err, "InvalidClientTokenId", 403)
	_, err = organizations.NewFromConfig(srv.Config(creds)).DescribeOrganization(ctx, nil)
	stsRequireError(t, err, "UnrecognizedClientException", 400)
}

func TestSigV4_TemporaryCredentialsNeedTheirToken(t *testing.T) {
	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	srv.EnableRootAccess(t)
	root := stsAssumeRootSession(t, srv, srv.AdminCredentials(), member, policy.AuditRootUserCredentials)
	ctx := context.Background()

	noToken := root
	noToken.SessionToken = ""
	_, err := sts.NewFromConfig(srv.Config(noToken)).GetCallerIdentity(ctx, nil)
	stsRequireError(t, err, "InvalidClientTokenId", 403)

	wrongToken := root
	wrongToken.SessionToken = root.SessionToken[:len(root.SessionToken)-4] + "AAAA"
	_, err = sts.NewFromConfig(srv.Config(wrongToken)).GetCallerIdentity(ctx, nil)
	stsRequireError(t, err, "InvalidClientTokenId", 403)

	// A long-term key does not take a session token.
	withToken := srv.AdminCredentials()
	withToken.SessionToken = root.SessionToken
	_, err = sts.NewFromConfig(srv.Config(withToken)).GetCallerIdentity(ctx, nil)
	stsRequireError(t, err, "InvalidClientTokenId", 403)

	_, err = sts.NewFromConfig(srv.Config(root)).GetCallerIdentity(ctx, nil)
	require.NoError(t, err)
}

func TestSigV4_ExpiredSession(t *testing.T) {
	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	srv.EnableRootAccess(t)
	root := stsAssumeRootSession(t, srv, srv.AdminCredentials(), member, policy.AuditRootUserCredentials)
	role := stsAssumeMemberAdmin(t, srv, member, "ops")
	ctx := context.Background()
	_, err := sts.NewFromConfig(srv.Config(root)).GetCallerIdentity(ctx, nil)
	require.NoError(t, err)

	srv.Clock.Advance(16 * time.Minute)
	_, err = sts.NewFromConfig(srv.Config(root)).GetCallerIdentity(ctx, nil)
	stsRequireError(t, err, "ExpiredToken", 403)
	_, err = iam.NewFromConfig(srv.Config(root)).ListPolicies(ctx, nil)
	stsRequireError(t, err, "ExpiredToken", 403)
	_, err = organizations.NewFromConfig(srv.Config(root)).DescribeOrganization(ctx, nil)
	stsRequireError(t, err, "ExpiredTokenException", 400)

	// The role session's hour is not over yet.
	_, err = sts.NewFromConfig(srv.Config(role)).GetCallerIdentity(ctx, nil)
	require.NoError(t, err)
	srv.Clock.Advance(45 * time.Minute)
	_, err = sts.NewFromConfig(srv.Config(role)).GetCallerIdentity(ctx, nil)
	stsRequireError(t, err, "ExpiredToken", 403)
}

// --- failures only hand-built requests can produce ---

func TestSigV4_MissingAuthentication(t *testing.T) {
	srv := apitest.New(t)
	r := sigSend(t, srv, sigNewRequest(t, srv, sigFormContentType, "", sigCallerIdentityBody))
	assert.Equal(t, 403, r.Status)
	assert.Equal(t, "MissingAuthenticationToken", sigQueryError(t, r).Error.Code)

	r = sigSend(t, srv, sigNewRequest(t, srv, sigJSON11, sigOrgTarget+"DescribeOrganization", "{}"))
	assert.Equal(t, 403, r.Status)
	assert.Equal(t, "MissingAuthenticationTokenException", sigJSONError(t, r).Type)
}

func TestSigV4_MalformedAuthorization(t *testing.T) {
	srv := apitest.New(t)
	req := sigNewRequest(t, srv, sigFormContentType, "", sigCallerIdentityBody)
	sigSign(t, req, srv.AdminCredentials(), "sts", sigCallerIdentityBody, time.Now())
	req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"), "Signature=", "Sig=", 1))
	r := sigSend(t, srv, req)
	assert.Equal(t, 400, r.Status)
	assert.Equal(t, "IncompleteSignature", sigQueryError(t, r).Error.Code)
}

func TestSigV4_TamperedBody(t *testing.T) {
	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	srv.EnableRootAccess(t)
	signed := "Action=AssumeRoot&Version=2011-06-15&TargetPrincipal=" + member +
		"&TaskPolicyArn.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2Froot-task%2FIAMAuditRootUserCredentials&DurationSeconds=60"
	sent := strings.Replace(signed, "DurationSeconds=60", "DurationSeconds=90", 1)
	req := sigNewRequest(t, srv, sigFormContentType, "", sent)
	sigSign(t, req, srv.AdminCredentials(), "sts", signed, time.Now())
	r := sigSend(t, srv, req)
	assert.Equal(t, 403, r.Status)
	assert.Equal(t, "SignatureDoesNotMatch", sigQueryError(t, r).Error.Code)

	// The same request untampered goes through.
	req = sigNewRequest(t, srv, sigFormContentType, "", signed)
	sigSign(t, req, srv.AdminCredentials(), "sts", signed, time.Now())
	assert.Equal(t, 200, sigSend(t, srv, req).Status)
}

func TestSigV4_RequestTimeSkew(t *testing.T) {
	srv := apitest.New(t)
	for _, skew := range []time.Duration{-20 * time.Minute, 20 * time.Minute} {
		req := sigNewRequest(t, srv, sigFormContentType, "", sigCallerIdentityBody)
		sigSign(t, req, srv.AdminCredentials(), "sts", sigCallerIdentityBody, time.Now().Add(skew))
		r := sigSend(t, srv, req)
		assert.Equal(t, 403, r.Status, "skew %v", skew)
		assert.Equal(t, "SignatureDoesNotMatch", sigQueryError(t, r).Error.Code, "skew %v", skew)
	}
	// Emulated time does not count: clients sign with their own clocks.
	srv.Clock.Advance(2 * time.Hour)
	req := sigNewRequest(t, srv, sigFormContentType, "", sigCallerIdentityBody)
	sigSign(t, req, srv.AdminCredentials(), "sts", sigCallerIdentityBody, time.Now())
	assert.Equal(t, 200, sigSend(t, srv, req).Status)
}

func TestSigV4_UnknownAction(t *testing.T) {
	srv := apitest.New(t)
	for _, svc := range []struct{ name, version string }{{"sts", "2011-06-15"}, {"iam", "2010-05-08"}} {
		status, e := sigPostQuery(t, srv, srv.AdminCredentials(), svc.name, "Action=Frobnicate&Version="+svc.version)
		assert.Equal(t, 400, status)
		assert.Equal(t, "InvalidAction", e.Error.Code)
	}
	status, e := sigPostQuery(t, srv, srv.AdminCredentials(), "sts", "Version=2011-06-15")
	assert.Equal(t, 400, status)
	assert.Equal(t, "MissingAction", e.Error.Code)

	req := sigNewRequest(t, srv, sigJSON11, sigOrgTarget+"Frobnicate", "{}")
	sigSign(t, req, srv.AdminCredentials(), "organizations", "{}", time.Now())
	r := sigSend(t, srv, req)
	assert.Equal(t, 400, r.Status)
	assert.Equal(t, "UnknownOperationException", sigJSONError(t, r).Type)
}

func TestSigV4_MalformedBodies(t *testing.T) {
	srv := apitest.New(t)
	body := sigCallerIdentityBody + "&bad=%zz"
	status, e := sigPostQuery(t, srv, srv.AdminCredentials(), "sts", body)
	assert.Equal(t, 400, status)
	assert.Equal(t, "MalformedQueryString", e.Error.Code)

	for _, body := range []string{"{", `{"MaxResults":"ten"}`, "[]"} {
		req := sigNewRequest(t, srv, sigJSON11, sigOrgTarget+"ListAccounts", body)
		sigSign(t, req, srv.AdminCredentials(), "organizations", body, time.Now())
		r := sigSend(t, srv, req)
		assert.Equal(t, 400, r.Status, body)
		assert.Equal(t, "SerializationException", sigJSONError(t, r).Type, body)
	}
}

func TestSigV4_OversizedBody(t *testing.T) {
	srv := apitest.New(t)
	big := sigCallerIdentityBody + "&Pad=" + strings.Repeat("x", 1<<20)
	status, e := sigPostQuery(t, srv, srv.AdminCredentials(), "sts", big)
	assert.Equal(t, 413, status)
	assert.Equal(t, "RequestEntityTooLarge", e.Error.Code)

	bigJSON := `{"NextToken":"` + strings.Repeat("x", 1<<20) + `"}`
	req := sigNewRequest(t, srv, sigJSON11, sigOrgTarget+"ListAccounts", bigJSON)
	sigSign(t, req, srv.AdminCredentials(), "organizations", bigJSON, time.Now())
	r := sigSend(t, srv, req)
	assert.Equal(t, 413, r.Status)
	assert.Equal(t, "RequestEntityTooLargeException", sigJSONError(t, r).Type)
}

// TestSigV4_RequestIDs checks that successes carry the request id the SDKs read.
func TestSigV4_RequestIDs(t *testing.T) {
	srv := apitest.New(t)
	out, err := sts.NewFromConfig(srv.Config(srv.AdminCredentials())).GetCallerIdentity(context.Background(), nil)
	require.NoError(t, err)
	id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	require.True(t, ok)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, id)

	req := sigNewRequest(t, srv, sigFormContentType, "", sigCallerIdentityBody)
	sigSign(t, req, srv.AdminCredentials(), "sts", sigCallerIdentityBody, time.Now())
	r := sigSend(t, srv, req)
	require.Equal(t, 200, r.Status)
	assert.Contains(t, string(r.Body), "<RequestId>"+r.Header.Get("x-amzn-RequestId")+"</RequestId>")
}
