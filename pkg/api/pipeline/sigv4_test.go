package pipeline_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api"
	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
	"github.com/rootaccess/emulator/pkg/policy"
)

// jsonErrorBody is the awsJson 1.1 error body.
type jsonErrorBody struct {
	Type    string `json:"__type"`
	Message string `json:"Message"`
}

// jsonError decodes an awsJson 1.1 error body.
func jsonError(t testing.TB, r testkit.RawResponse) jsonErrorBody {
	t.Helper()
	var e jsonErrorBody
	require.NoError(t, json.Unmarshal([]byte(r.Body), &e), "json error body: %s", r.Body)
	assert.Equal(t, testkit.Json11ContentType, r.Header.Get("Content-Type"))
	assert.NotEmpty(t, e.Message)
	return e
}

// --- signature and key failures through the SDKs ---

func TestSigV4_WrongSecret(t *testing.T) {
	srv := apitest.New(t)
	creds := srv.AdminCredentials()
	creds.SecretAccessKey = "not-the-secret"
	ctx := context.Background()
	_, err := sts.NewFromConfig(srv.Config(creds)).GetCallerIdentity(ctx, nil)
	testkit.RequireAWSError(t, err, "SignatureDoesNotMatch", 403)
	_, err = iam.NewFromConfig(srv.Config(creds)).ListOrganizationsFeatures(ctx, nil)
	testkit.RequireAWSError(t, err, "SignatureDoesNotMatch", 403)
	_, err = organizations.NewFromConfig(srv.Config(creds)).DescribeOrganization(ctx, nil)
	testkit.RequireAWSError(t, err, "InvalidSignatureException", 400)
}

func TestSigV4_UnknownKey(t *testing.T) {
	srv := apitest.New(t)
	creds := aws.Credentials{AccessKeyID: "AKIANOSUCHKEY0000000", SecretAccessKey: "whatever"}
	ctx := context.Background()
	_, err := sts.NewFromConfig(srv.Config(creds)).GetCallerIdentity(ctx, nil)
	testkit.RequireAWSError(t, err, "InvalidClientTokenId", 403)
	_, err = iam.NewFromConfig(srv.Config(creds)).GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(policy.ARN(policy.AuditRootUserCredentials))})
	testkit.RequireAWSError(t, err, "InvalidClientTokenId", 403)
	_, err = organizations.NewFromConfig(srv.Config(creds)).DescribeOrganization(ctx, nil)
	testkit.RequireAWSError(t, err, "UnrecognizedClientException", 400)
}

func TestSigV4_TemporaryCredentialsNeedTheirToken(t *testing.T) {
	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	srv.EnableRootAccess(t)
	root := srv.RootSession(t, member, policy.AuditRootUserCredentials)
	ctx := context.Background()

	noToken := root
	noToken.SessionToken = ""
	_, err := sts.NewFromConfig(srv.Config(noToken)).GetCallerIdentity(ctx, nil)
	testkit.RequireAWSError(t, err, "InvalidClientTokenId", 403)

	wrongToken := root
	wrongToken.SessionToken = root.SessionToken[:len(root.SessionToken)-4] + "AAAA"
	_, err = sts.NewFromConfig(srv.Config(wrongToken)).GetCallerIdentity(ctx, nil)
	testkit.RequireAWSError(t, err, "InvalidClientTokenId", 403)

	// A long-term key does not take a session token.
	withToken := srv.AdminCredentials()
	withToken.SessionToken = root.SessionToken
	_, err = sts.NewFromConfig(srv.Config(withToken)).GetCallerIdentity(ctx, nil)
	testkit.RequireAWSError(t, err, "InvalidClientTokenId", 403)

	_, err = sts.NewFromConfig(srv.Config(root)).GetCallerIdentity(ctx, nil)
	require.NoError(t, err)
}

func TestSigV4_ExpiredSession(t *testing.T) {
	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	srv.EnableRootAccess(t)
	root := srv.RootSession(t, member, policy.AuditRootUserCredentials)
	role := srv.AssumeAccessRole(t, member)
	ctx := context.Background()
	_, err := sts.NewFromConfig(srv.Config(root)).GetCallerIdentity(ctx, nil)
	require.NoError(t, err)

	srv.Clock.Advance(16 * time.Minute)
	_, err = sts.NewFromConfig(srv.Config(root)).GetCallerIdentity(ctx, nil)
	testkit.RequireAWSError(t, err, "ExpiredToken", 403)
	_, err = iam.NewFromConfig(srv.Config(root)).ListPolicies(ctx, nil)
	testkit.RequireAWSError(t, err, "ExpiredToken", 403)
	_, err = organizations.NewFromConfig(srv.Config(root)).DescribeOrganization(ctx, nil)
	testkit.RequireAWSError(t, err, "ExpiredTokenException", 400)

	// The role session's hour is not over yet.
	_, err = sts.NewFromConfig(srv.Config(role)).GetCallerIdentity(ctx, nil)
	require.NoError(t, err)
	srv.Clock.Advance(45 * time.Minute)
	_, err = sts.NewFromConfig(srv.Config(role)).GetCallerIdentity(ctx, nil)
	testkit.RequireAWSError(t, err, "ExpiredToken", 403)
}

// --- failures only hand-built requests can produce ---

func TestSigV4_MissingAuthentication(t *testing.T) {
	srv := apitest.New(t)
	r := testkit.SendRequest(t, srv, testkit.NewPost(t, srv, "/", testkit.FormContentType, "", testkit.CallerIdentityBody))
	assert.Equal(t, 403, r.Status)
	assert.Equal(t, "MissingAuthenticationToken", testkit.QueryError(t, r).Error.Code)

	r = testkit.SendRequest(t, srv, testkit.NewPost(t, srv, "/", testkit.Json11ContentType, testkit.OrgTargetPrefix+"DescribeOrganization", "{}"))
	assert.Equal(t, 403, r.Status)
	assert.Equal(t, "MissingAuthenticationTokenException", jsonError(t, r).Type)
}

func TestSigV4_MalformedAuthorization(t *testing.T) {
	srv := apitest.New(t)
	req := testkit.NewPost(t, srv, "/", testkit.FormContentType, "", testkit.CallerIdentityBody)
	testkit.SignRequest(t, req, srv.AdminCredentials(), "sts", testkit.CallerIdentityBody, time.Now())
	req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"), "Signature=", "Sig=", 1))
	r := testkit.SendRequest(t, srv, req)
	assert.Equal(t, 400, r.Status)
	assert.Equal(t, "IncompleteSignature", testkit.QueryError(t, r).Error.Code)
}

// TestSigV4_ScopeNamesAnotherService: a signature is only good for the
// service its credential scope names, as AWS checks ("Credential should be
// scoped to correct service").
func TestSigV4_ScopeNamesAnotherService(t *testing.T) {
	srv := apitest.New(t)
	req := testkit.NewPost(t, srv, "/", testkit.FormContentType, "", testkit.CallerIdentityBody)
	testkit.SignRequest(t, req, srv.AdminCredentials(), "ec2", testkit.CallerIdentityBody, time.Now())
	r := testkit.SendRequest(t, srv, req)
	assert.Equal(t, 403, r.Status)
	e := testkit.QueryError(t, r)
	assert.Equal(t, "SignatureDoesNotMatch", e.Error.Code)
	assert.Equal(t, "Credential should be scoped to correct service: 'sts'.", e.Error.Message)

	req = testkit.NewPost(t, srv, "/", testkit.Json11ContentType, testkit.OrgTargetPrefix+"DescribeOrganization", "{}")
	testkit.SignRequest(t, req, srv.AdminCredentials(), "ec2", "{}", time.Now())
	r = testkit.SendRequest(t, srv, req)
	assert.Equal(t, 400, r.Status)
	assert.Equal(t, "InvalidSignatureException", jsonError(t, r).Type)

	req, err := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
	require.NoError(t, err)
	testkit.SignRequest(t, req, srv.AdminCredentials(), "ec2", "", time.Now())
	r = testkit.SendRequest(t, srv, req)
	assert.Equal(t, 400, r.Status)
	assert.Contains(t, r.Body, "<Code>AuthorizationHeaderMalformed</Code>")
}

func TestSigV4_TamperedBody(t *testing.T) {
	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	srv.EnableRootAccess(t)
	signed := "Action=AssumeRoot&Version=2011-06-15&TargetPrincipal=" + member +
		"&TaskPolicyArn.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2Froot-task%2FIAMAuditRootUserCredentials&DurationSeconds=60"
	sent := strings.Replace(signed, "DurationSeconds=60", "DurationSeconds=90", 1)
	req := testkit.NewPost(t, srv, "/", testkit.FormContentType, "", sent)
	testkit.SignRequest(t, req, srv.AdminCredentials(), "sts", signed, time.Now())
	r := testkit.SendRequest(t, srv, req)
	assert.Equal(t, 403, r.Status)
	assert.Equal(t, "SignatureDoesNotMatch", testkit.QueryError(t, r).Error.Code)

	// The same request untampered goes through.
	req = testkit.NewPost(t, srv, "/", testkit.FormContentType, "", signed)
	testkit.SignRequest(t, req, srv.AdminCredentials(), "sts", signed, time.Now())
	assert.Equal(t, 200, testkit.SendRequest(t, srv, req).Status)
}

func TestSigV4_RequestTimeSkew(t *testing.T) {
	srv := apitest.New(t)
	for _, skew := range []time.Duration{-20 * time.Minute, 20 * time.Minute} {
		req := testkit.NewPost(t, srv, "/", testkit.FormContentType, "", testkit.CallerIdentityBody)
		testkit.SignRequest(t, req, srv.AdminCredentials(), "sts", testkit.CallerIdentityBody, time.Now().Add(skew))
		r := testkit.SendRequest(t, srv, req)
		assert.Equal(t, 403, r.Status, "skew %v", skew)
		assert.Equal(t, "SignatureDoesNotMatch", testkit.QueryError(t, r).Error.Code, "skew %v", skew)
	}
	// Emulated time does not count: clients sign with their own clocks.
	srv.Clock.Advance(2 * time.Hour)
	req := testkit.NewPost(t, srv, "/", testkit.FormContentType, "", testkit.CallerIdentityBody)
	testkit.SignRequest(t, req, srv.AdminCredentials(), "sts", testkit.CallerIdentityBody, time.Now())
	assert.Equal(t, 200, testkit.SendRequest(t, srv, req).Status)
}

func TestSigV4_UnknownAction(t *testing.T) {
	srv := apitest.New(t)
	for _, svc := range []struct{ name, version string }{{"sts", "2011-06-15"}, {"iam", "2010-05-08"}} {
		status, e := testkit.PostQueryError(t, srv, srv.AdminCredentials(), svc.name, "Action=Frobnicate&Version="+svc.version)
		assert.Equal(t, 400, status)
		assert.Equal(t, "InvalidAction", e.Error.Code)
	}
	status, e := testkit.PostQueryError(t, srv, srv.AdminCredentials(), "sts", "Version=2011-06-15")
	assert.Equal(t, 400, status)
	assert.Equal(t, "MissingAction", e.Error.Code)

	req := testkit.NewPost(t, srv, "/", testkit.Json11ContentType, testkit.OrgTargetPrefix+"Frobnicate", "{}")
	testkit.SignRequest(t, req, srv.AdminCredentials(), "organizations", "{}", time.Now())
	r := testkit.SendRequest(t, srv, req)
	assert.Equal(t, 400, r.Status)
	assert.Equal(t, "UnknownOperationException", jsonError(t, r).Type)
}

func TestSigV4_MalformedBodies(t *testing.T) {
	srv := apitest.New(t)
	body := testkit.CallerIdentityBody + "&bad=%zz"
	status, e := testkit.PostQueryError(t, srv, srv.AdminCredentials(), "sts", body)
	assert.Equal(t, 400, status)
	assert.Equal(t, "MalformedQueryString", e.Error.Code)

	for _, body := range []string{"{", `{"MaxResults":"ten"}`, "[]"} {
		req := testkit.NewPost(t, srv, "/", testkit.Json11ContentType, testkit.OrgTargetPrefix+"ListAccounts", body)
		testkit.SignRequest(t, req, srv.AdminCredentials(), "organizations", body, time.Now())
		r := testkit.SendRequest(t, srv, req)
		assert.Equal(t, 400, r.Status, body)
		assert.Equal(t, "SerializationException", jsonError(t, r).Type, body)
	}
}

func TestSigV4_OversizedBody(t *testing.T) {
	srv := apitest.New(t)
	big := testkit.CallerIdentityBody + "&Pad=" + strings.Repeat("x", 1<<20)
	status, e := testkit.PostQueryError(t, srv, srv.AdminCredentials(), "sts", big)
	assert.Equal(t, 413, status)
	assert.Equal(t, "RequestEntityTooLarge", e.Error.Code)

	bigJSON := `{"NextToken":"` + strings.Repeat("x", 1<<20) + `"}`
	req := testkit.NewPost(t, srv, "/", testkit.Json11ContentType, testkit.OrgTargetPrefix+"ListAccounts", bigJSON)
	testkit.SignRequest(t, req, srv.AdminCredentials(), "organizations", bigJSON, time.Now())
	r := testkit.SendRequest(t, srv, req)
	assert.Equal(t, 413, r.Status)
	assert.Equal(t, "RequestEntityTooLargeException", jsonError(t, r).Type)
}

// TestSigV4_KeyUseWrittenSparingly: a long-term key's last use is recorded
// at most once a second however its client moves between services, so that
// authenticated reads do not each become an fsync'd write.
func TestSigV4_KeyUseWrittenSparingly(t *testing.T) {
	srv := apitest.New(t)
	admin := srv.AdminCredentials()
	ctx := context.Background()
	lastUse := func() string {
		k, err := srv.Store.Credential(ctx, admin.AccessKeyID)
		require.NoError(t, err)
		return k.LastUsedService
	}
	_, err := sts.NewFromConfig(srv.Config(admin)).GetCallerIdentity(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, "sts", lastUse())

	_, err = iam.NewFromConfig(srv.Config(admin)).GetUser(ctx, &iam.GetUserInput{})
	require.NoError(t, err)
	assert.Equal(t, "sts", lastUse(), "another service within a second is not written")

	srv.Clock.Advance(2 * time.Second)
	_, err = iam.NewFromConfig(srv.Config(admin)).GetUser(ctx, &iam.GetUserInput{})
	require.NoError(t, err)
	assert.Equal(t, "iam", lastUse(), "a second later it is")
}

// wellFormedAuthorization is a SigV4 Authorization header that parses but
// signs nothing: what gets a request's body read.
const wellFormedAuthorization = "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20240101/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"

// TestSigV4_StalledBody: a client that sends less than its Content-Length
// gets RequestTimeout once the body pauses, rather than a request that
// never ends.
func TestSigV4_StalledBody(t *testing.T) {
	srv := apitest.New(t, apitest.WithServerOptions(api.WithBodyIdleTimeout(200*time.Millisecond)))
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = io.WriteString(conn, "POST / HTTP/1.1\r\nHost: "+srv.Listener.Addr().String()+
		"\r\nAuthorization: "+wellFormedAuthorization+
		"\r\nContent-Type: "+testkit.FormContentType+"\r\nContent-Length: 1000\r\n\r\n"+testkit.CallerIdentityBody)
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "no answer to a stalled body")
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, 400, resp.StatusCode)
	assert.Contains(t, string(body), "<Code>RequestTimeout</Code>")
}

// TestSigV4_RequestIDs checks that successes carry the request id the SDKs read.
func TestSigV4_RequestIDs(t *testing.T) {
	srv := apitest.New(t)
	out, err := sts.NewFromConfig(srv.Config(srv.AdminCredentials())).GetCallerIdentity(context.Background(), nil)
	require.NoError(t, err)
	id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	require.True(t, ok)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, id)

	req := testkit.NewPost(t, srv, "/", testkit.FormContentType, "", testkit.CallerIdentityBody)
	testkit.SignRequest(t, req, srv.AdminCredentials(), "sts", testkit.CallerIdentityBody, time.Now())
	r := testkit.SendRequest(t, srv, req)
	require.Equal(t, 200, r.Status)
	assert.Contains(t, r.Body, "<RequestId>"+r.Header.Get("x-amzn-RequestId")+"</RequestId>")
}
