package s3_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
)

// fetch sends a presigned request as a browser or curl would.
func fetch(t *testing.T, p *v4.PresignedHTTPRequest, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(p.Method, p.URL, body)
	require.NoError(t, err)
	for k, vs := range p.SignedHeader {
		if !strings.EqualFold(k, "host") {
			req.Header[k] = vs
		}
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(data)
}

// signedAt presigns as if at t (for URLs that have expired).
func signedAt(t time.Time) func(*s3.PresignOptions) {
	return func(o *s3.PresignOptions) {
		o.Presigner = presignerAt{v4.NewSigner(func(so *v4.SignerOptions) { so.DisableURIPathEscaping = true }), t}
	}
}

type presignerAt struct {
	s *v4.Signer
	t time.Time
}

func (p presignerAt) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string,
	_ time.Time, opts ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return p.s.PresignHTTP(ctx, creds, r, payloadHash, service, region, p.t, opts...)
}

func TestS3_PresignedURLs(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	c := testkit.S3Client(srv, srv.AdminCredentials())
	createBucket(t, c, "links")
	putObject(t, c, "links", "report.txt", "the numbers")
	presign := s3.NewPresignClient(c)

	get, err := presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("links"), Key: aws.String("report.txt")},
		s3.WithPresignExpires(time.Hour))
	require.NoError(t, err)
	status, body := fetch(t, get, nil)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "the numbers", body)

	put, err := presign.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("links"), Key: aws.String("upload.txt")})
	require.NoError(t, err)
	status, body = fetch(t, put, strings.NewReader("uploaded through a link"))
	require.Equal(t, http.StatusOK, status, body)
	got, err := getObject(t, c, "links", "upload.txt")
	require.NoError(t, err)
	assert.Equal(t, "uploaded through a link", got)

	// A tampered signature, and a URL whose key was changed.
	u, err := url.Parse(get.URL)
	require.NoError(t, err)
	q := u.Query()
	q.Set("X-Amz-Signature", strings.Repeat("0", 64))
	u.RawQuery = q.Encode()
	status, body = fetch(t, &v4.PresignedHTTPRequest{URL: u.String(), Method: http.MethodGet}, nil)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, body, "<Code>SignatureDoesNotMatch</Code>")
	status, body = fetch(t, &v4.PresignedHTTPRequest{URL: strings.Replace(get.URL, "report.txt", "upload.txt", 1), Method: http.MethodGet}, nil)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, body, "<Code>SignatureDoesNotMatch</Code>")

	// Expired: signed two hours ago for one hour.
	old, err := presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("links"), Key: aws.String("report.txt")},
		s3.WithPresignExpires(time.Hour), signedAt(time.Now().Add(-2*time.Hour)))
	require.NoError(t, err)
	status, body = fetch(t, old, nil)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, body, "<Code>AccessDenied</Code><Message>Request has expired</Message>")

	// Over seven days.
	u, err = url.Parse(get.URL)
	require.NoError(t, err)
	q = u.Query()
	q.Set("X-Amz-Expires", "604801")
	u.RawQuery = q.Encode()
	status, body = fetch(t, &v4.PresignedHTTPRequest{URL: u.String(), Method: http.MethodGet}, nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body, "<Code>AuthorizationQueryParametersError</Code>")

	// A session's link dies with the session, on the emulated clock.
	member := srv.MemberAccount(t, "m")
	role := testkit.S3Client(srv, srv.AssumeAccessRole(t, member))
	createBucket(t, role, "member-links")
	putObject(t, role, "member-links", "k", "v")
	link, err := s3.NewPresignClient(role).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("member-links"), Key: aws.String("k")},
		s3.WithPresignExpires(7*24*time.Hour))
	require.NoError(t, err)
	assert.Contains(t, link.URL, "X-Amz-Security-Token=")
	status, body = fetch(t, link, nil)
	assert.Equal(t, http.StatusOK, status, body)
	srv.Clock.Advance(2 * time.Hour)
	status, body = fetch(t, link, nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body, "<Code>ExpiredToken</Code>")
}

// TestS3_PresignedURLsV2 are the signature-version-2 links the AWS CLI v1's
// `aws s3 presign` makes for us-east-1.
func TestS3_PresignedURLsV2(t *testing.T) {
	srv := apitest.New(t)
	c := testkit.S3Client(srv, srv.AdminCredentials())
	createBucket(t, c, "v2links")
	putObject(t, c, "v2links", "a b.txt", "old style")
	creds := srv.AdminCredentials()
	link := func(expires int64) string {
		m := hmac.New(sha1.New, []byte(creds.SecretAccessKey))
		fmt.Fprintf(m, "GET\n\n\n%d\n/v2links/a%%20b.txt", expires)
		return fmt.Sprintf("%s/v2links/a%%20b.txt?AWSAccessKeyId=%s&Expires=%d&Signature=%s", srv.URL, creds.AccessKeyID, expires,
			url.QueryEscape(base64.StdEncoding.EncodeToString(m.Sum(nil))))
	}
	status, body := fetch(t, &v4.PresignedHTTPRequest{URL: link(time.Now().Add(time.Hour).Unix()), Method: http.MethodGet}, nil)
	assert.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "old style", body)
	status, body = fetch(t, &v4.PresignedHTTPRequest{URL: link(time.Now().Add(-time.Minute).Unix()), Method: http.MethodGet}, nil)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, body, "Request has expired")
	status, body = fetch(t, &v4.PresignedHTTPRequest{URL: strings.Replace(link(time.Now().Add(time.Hour).Unix()), "Expires=", "Expires=1", 1),
		Method: http.MethodGet}, nil)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, body, "<Code>SignatureDoesNotMatch</Code>")
}
