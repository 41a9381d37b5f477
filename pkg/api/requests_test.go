package api_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api"
	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
	"github.com/rootaccess/emulator/pkg/store"
)

// Requests that must be refused or cut off, driven over raw connections
// where no SDK would send them.

// rawExchange writes raw to a new connection to srv and reads one response.
// The deadline is generous: it only keeps a broken server from hanging the
// test, it measures nothing.
func rawExchange(t *testing.T, srv *apitest.Server, raw string) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = io.WriteString(conn, raw)
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "no answer to %q", raw)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

// garbageAuthorization is an Authorization header that is not SigV4.
const garbageAuthorization = "AWS4-HMAC-SHA256 garbage"

// TestRequests_UnsignedBodyNotRead (issue 11, item 8): a request without a
// valid Authorization is refused from its headers, so a client announcing a
// 20 MB body and sending none of it is answered at once, and a well-formed
// but large request is refused over its service's limit before any of it
// is read.
func TestRequests_UnsignedBodyNotRead(t *testing.T) {
	srv := apitest.New(t)
	host := srv.Listener.Addr().String()
	for _, tc := range []struct {
		name, headers, code string
		status              int
	}{
		{"garbage authorization", "Authorization: " + garbageAuthorization + "\r\n", "<Code>AuthorizationHeaderMalformed</Code>", 400},
		{"no authorization", "", "<Code>AccessDenied</Code>", 403},
		{"presigned without its parameters", "", "<Code>AuthorizationQueryParametersError</Code>", 400},
		{"form with garbage authorization", "Authorization: " + garbageAuthorization + "\r\nContent-Type: " + testkit.FormContentType + "\r\n",
			"<Code>IncompleteSignature</Code>", 400},
		{"over the named service's limit", "Authorization: AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20240101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00\r\n" +
			"Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AmazonSQS.ListQueues\r\n", "RequestEntityTooLarge", 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := "/"
			if tc.name == "presigned without its parameters" {
				target = "/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256"
			}
			resp, body := rawExchange(t, srv, "POST "+target+" HTTP/1.1\r\nHost: "+host+"\r\n"+tc.headers+
				"Content-Length: 20000000\r\n\r\nonly-the-start")
			assert.Equal(t, tc.status, resp.StatusCode, body)
			assert.Contains(t, body, tc.code)
			assert.True(t, resp.Close, "the unread body's connection is closed, not drained")
		})
	}
}

// TestRequests_TwoAuthorizationHeaders (item 11): a signed request with a
// second, garbage Authorization header is refused, not served on the first.
func TestRequests_TwoAuthorizationHeaders(t *testing.T) {
	srv := apitest.New(t)
	req := testkit.NewPost(t, srv, "/", testkit.FormContentType, "", testkit.CallerIdentityBody)
	testkit.SignRequest(t, req, srv.AdminCredentials(), "sts", testkit.CallerIdentityBody, time.Now())
	assert.Equal(t, 200, testkit.SendRequest(t, srv, req.Clone(context.Background())).Status, "the request alone is good")
	req.Header.Add("Authorization", garbageAuthorization)
	r := testkit.SendRequest(t, srv, req)
	assert.Equal(t, 400, r.Status)
	assert.Equal(t, "IncompleteSignature", testkit.QueryError(t, r).Error.Code)

	s3req, err := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
	require.NoError(t, err)
	s3req.Header.Set("X-Amz-Content-Sha256", testkit.SHA256Hex(nil))
	require.NoError(t, testkit.SignV4(s3req, srv.AdminCredentials(), "s3", testkit.SHA256Hex(nil), time.Now()))
	s3req.Header.Add("Authorization", garbageAuthorization)
	r = testkit.SendRequest(t, srv, s3req)
	assert.Equal(t, 400, r.Status)
	assert.Contains(t, r.Body, "<Error><Code>InvalidArgument</Code><Message>Only one Authorization header may be sent.</Message>")
}

// TestRequests_WrongRegion (item 7): S3 refuses a request for a bucket
// signed for another region, naming the bucket's; IAM and Organizations,
// signed for us-east-1 only, refuse other regions; STS and SQS, regional
// services, take any.
func TestRequests_WrongRegion(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := srv.AdminCredentials()
	err := srv.Store.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.CreateBucket(store.Bucket{Name: "virginia", Owner: srv.ManagementAccountID(), Region: "us-east-1"})
		return err
	})
	require.NoError(t, err)
	inIreland := func(o *s3.Options) { o.Region = "eu-west-1" }

	_, err = testkit.S3Client(srv, admin).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("virginia")})
	require.NoError(t, err)
	_, err = testkit.S3Client(srv, admin, inIreland).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("virginia")})
	testkit.RequireAWSError(t, err, "AuthorizationHeaderMalformed", 400)
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "The authorization header is malformed; the region 'eu-west-1' is wrong; expecting 'us-east-1'", apiErr.ErrorMessage())
	raw := testkit.RawS3(t, srv, admin, http.MethodGet, "/virginia?list-type=2", nil, nil) // signed for us-east-1
	assert.Equal(t, 200, raw.Status)
	_, err = testkit.S3Client(srv, admin, inIreland).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("virginia")})
	require.Error(t, err, "HEAD: the status and x-amz-bucket-region say it")

	ireland := srv.Config(admin)
	ireland.Region = "eu-west-1"
	_, err = iam.NewFromConfig(ireland).ListUsers(ctx, &iam.ListUsersInput{})
	testkit.RequireAWSError(t, err, "SignatureDoesNotMatch", 403)
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Credential should be scoped to a valid region, not 'eu-west-1'.", apiErr.ErrorMessage())
	_, err = organizations.NewFromConfig(ireland).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	testkit.RequireAWSError(t, err, "InvalidSignatureException", 400)

	_, err = sts.NewFromConfig(ireland).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	_, err = sqs.NewFromConfig(ireland).ListQueues(ctx, &sqs.ListQueuesInput{})
	require.NoError(t, err)
}

// TestRequests_S3EnvelopeAfterAnAnswer: on a keep-alive connection, a
// request net/http refuses is answered by its own request line, not by the
// line of the request answered before it (the connection reuses one buffer).
func TestRequests_S3EnvelopeAfterAnAnswer(t *testing.T) {
	srv := apitest.New(t)
	host := srv.Listener.Addr().String()
	conn, err := net.Dial("tcp", host)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	r := bufio.NewReader(conn)
	_, err = io.WriteString(conn, "GET /_emulator/health?some-long-query-to-leave-bytes-behind HTTP/1.1\r\nHost: "+host+"\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(r, nil)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	_, err = io.WriteString(conn, "GET /b/%zz HTTP/1.1\r\nHost: "+host+"\r\n\r\n")
	require.NoError(t, err)
	resp, err = http.ReadResponse(r, nil)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, string(body), "<Error><Code>InvalidURI</Code>")
}

// TestRequests_S3Envelope (item 10): what no S3 operation has (an unknown
// method, a path Go cannot parse, /_emulator without its slash) is still
// answered with S3's <Error> XML; /_emulator/ paths are the control
// endpoints'.
func TestRequests_S3Envelope(t *testing.T) {
	srv := apitest.New(t)
	host := srv.Listener.Addr().String()
	for _, tc := range []struct{ request, code string }{
		{"FOO /bucket HTTP/1.1", "AccessDenied"},
		{"GET /b/%zz HTTP/1.1", "InvalidURI"},
		{"GET /b/\x01 HTTP/1.1", "InvalidURI"},
		{"PUT /_emulator HTTP/1.1", "AccessDenied"},
	} {
		resp, body := rawExchange(t, srv, tc.request+"\r\nHost: "+host+"\r\n\r\n")
		assert.Equal(t, "application/xml", resp.Header.Get("Content-Type"), tc.request)
		assert.Contains(t, body, "<Error><Code>"+tc.code+"</Code>", tc.request)
		assert.NotEmpty(t, resp.Header.Get("x-amz-request-id"), tc.request)
	}
	resp, body := rawExchange(t, srv, "GET /b HTTP/1.1\r\nHost: "+host+"\r\nBad Header\r\n\r\n")
	assert.Equal(t, 400, resp.StatusCode)
	assert.Contains(t, body, "<Error><Code>BadRequest</Code>")

	// Signed, an unknown method is S3's MethodNotAllowed.
	r := testkit.RawS3(t, srv, srv.AdminCredentials(), "FOO", "/bucket", nil, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, r.Status)
	assert.Contains(t, r.Body, "<Code>MethodNotAllowed</Code><Message>The specified method is not allowed against this resource.</Message><Method>FOO</Method>")
}

// TestRequests_ControlToken (item 6): with a control token, every control
// endpoint but health needs it, reading ones included.
func TestRequests_ControlToken(t *testing.T) {
	srv := apitest.New(t, apitest.WithServerOptions(api.WithControlToken("secret")))
	get := func(path, token string) int {
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, get("/_emulator/health", ""))
	for _, path := range []string{"/_emulator/clock", "/_emulator/info"} {
		assert.Equal(t, http.StatusUnauthorized, get(path, ""), path)
		assert.Equal(t, http.StatusUnauthorized, get(path, "wrong"), path)
		assert.Equal(t, http.StatusOK, get(path, "secret"), path)
	}
}

// TestRequests_SlowBody (item 9): a body trickling in below the minimum
// rate is cut off with RequestTimeout even though no pause reaches the idle
// timeout.
func TestRequests_SlowBody(t *testing.T) {
	srv := apitest.New(t, apitest.WithServerOptions(api.WithBodyIdleTimeout(300*time.Millisecond), api.WithBodyMinRate(1000)))
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = io.WriteString(conn, "POST / HTTP/1.1\r\nHost: "+srv.Listener.Addr().String()+
		"\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20240101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00"+
		"\r\nContent-Type: "+testkit.FormContentType+"\r\nContent-Length: 1000\r\n\r\n")
	require.NoError(t, err)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		// A byte every 50 ms: well within the idle timeout, far below 1000 B/s.
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				if _, err := conn.Write([]byte("A")); err != nil {
					return
				}
			}
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "a trickling body is never cut off")
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, 400, resp.StatusCode)
	assert.Contains(t, string(body), "<Code>RequestTimeout</Code>")
}

// TestRequests_IdleConnectionsShed (item 9): beyond the connection limit,
// the server closes the connection idle longest, so that a crowd of idle
// clients does not keep a new one from being served.
func TestRequests_IdleConnectionsShed(t *testing.T) {
	srv := apitest.New(t, apitest.WithMaxConnections(4))
	var idle []net.Conn
	for range 6 {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		require.NoError(t, err)
		defer c.Close()
		idle = append(idle, c)
	}
	// A new client is served...
	_, err := sts.NewFromConfig(srv.Config(srv.AdminCredentials())).GetCallerIdentity(context.Background(), nil)
	require.NoError(t, err)
	// ...and the first idle connections were closed by the server (their
	// read ends), rather than left to their header timeout.
	require.NoError(t, idle[0].SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = idle[0].Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF, "the oldest idle connection is shed")
	_, err = io.WriteString(idle[len(idle)-1], "GET /_emulator/health HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	require.NoError(t, idle[len(idle)-1].SetReadDeadline(time.Now().Add(5*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(idle[len(idle)-1]), nil)
	require.NoError(t, err, "the newest connection still works")
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"))
}
