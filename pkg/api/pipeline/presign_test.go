package pipeline_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
)

func fetchPresigned(t *testing.T, p *v4.PresignedHTTPRequest, extra http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(p.Method, p.URL, nil)
	require.NoError(t, err)
	for k, vs := range p.SignedHeader {
		if !strings.EqualFold(k, "host") {
			req.Header[k] = vs
		}
	}
	for k, vs := range extra {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(data)
}

// TestPresignedGetCallerIdentity is what EKS's and Vault's IAM
// authentication send: a presigned GetCallerIdentity, here with the signed
// x-k8s-aws-id header and X-Amz-Expires of aws-iam-authenticator, and as
// the SDK's presigner makes it (no X-Amz-Expires: 15 minutes).
func TestPresignedGetCallerIdentity(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	client := sts.NewFromConfig(srv.Config(srv.AdminCredentials()))
	p := sts.NewPresignClient(client)
	req, err := p.PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	status, body := fetchPresigned(t, req, nil)
	assert.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, "<Arn>arn:aws:iam::111111111111:user/admin</Arn>")

	// A signature for another query is refused in STS's own words.
	u, err := url.Parse(req.URL)
	require.NoError(t, err)
	q := u.Query()
	q.Set("Action", "GetSessionToken")
	u.RawQuery = q.Encode()
	status, body = fetchPresigned(t, &v4.PresignedHTTPRequest{URL: u.String(), Method: req.Method, SignedHeader: req.SignedHeader}, nil)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, body, "<Code>SignatureDoesNotMatch</Code>")

	// Expired.
	signer := v4.NewSigner()
	old, err := http.NewRequest(http.MethodGet, srv.URL+"/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=60", nil)
	require.NoError(t, err)
	old.Header.Set("x-k8s-aws-id", "my-cluster")
	creds, err := srv.Config(srv.AdminCredentials()).Credentials.Retrieve(ctx)
	require.NoError(t, err)
	signed, hdr, err := signer.PresignHTTP(ctx, creds, old, emptyHash, "sts", "us-east-1", time.Now().Add(-time.Hour))
	require.NoError(t, err)
	status, body = fetchPresigned(t, &v4.PresignedHTTPRequest{URL: signed, Method: http.MethodGet, SignedHeader: hdr}, nil)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, body, "Request has expired")
	signed, hdr, err = signer.PresignHTTP(ctx, creds, old, emptyHash, "sts", "us-east-1", time.Now())
	require.NoError(t, err)
	assert.Contains(t, hdr.Get("x-k8s-aws-id"), "my-cluster")
	status, body = fetchPresigned(t, &v4.PresignedHTTPRequest{URL: signed, Method: http.MethodGet, SignedHeader: hdr}, nil)
	assert.Equal(t, http.StatusOK, status, body)
	status, _ = fetchPresigned(t, &v4.PresignedHTTPRequest{URL: signed, Method: http.MethodGet, SignedHeader: hdr},
		http.Header{"X-K8s-Aws-Id": {"another-cluster"}})
	assert.Equal(t, http.StatusForbidden, status, "the signed header is checked")
}

const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
