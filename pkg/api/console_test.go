package api_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
)

// browser is a cookie-keeping HTTP client of the console that does not
// follow redirects, so that tests see them.
type browser struct {
	t    *testing.T
	srv  *apitest.Server
	http *http.Client
}

func newBrowser(t *testing.T, srv *apitest.Server) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, srv: srv, http: &http.Client{Jar: jar, Transport: srv.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(path string) (int, http.Header, string) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.srv.URL+path, nil)
	require.NoError(b.t, err)
	req.Header.Set("Accept", "text/html")
	resp, err := b.http.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

func (b *browser) post(path string, form url.Values) (int, http.Header, string) {
	b.t.Helper()
	resp, err := b.http.PostForm(b.srv.URL+path, form)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) signIn(creds aws.Credentials) string {
	b.t.Helper()
	status, h, body := b.post("/_console/signin", url.Values{"access_key_id": {creds.AccessKeyID}, "secret_access_key": {creds.SecretAccessKey}})
	require.Equal(b.t, http.StatusSeeOther, status, body)
	assert.Equal(b.t, "/_console/root-access", h.Get("Location"))
	_, _, page := b.get("/_console/root-access")
	m := csrfField.FindStringSubmatch(page)
	require.NotNil(b.t, m, "the page carries a CSRF token")
	return m[1]
}

func TestConsole_SignInCSRFAndCentralView(t *testing.T) {
	srv := apitest.New(t)
	b := newBrowser(t, srv)

	status, h, _ := b.get("/")
	assert.Equal(t, http.StatusSeeOther, status, "a browser at / is sent to the console")
	assert.Equal(t, "/_console/", h.Get("Location"))
	status, h, _ = b.get("/_console/root-access")
	assert.Equal(t, http.StatusSeeOther, status, "signed out: to sign-in")
	assert.Equal(t, "/_console/signin", h.Get("Location"))
	status, h, body := b.get("/_console/signin")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, h.Get("Content-Security-Policy"), "script-src 'self'")
	assert.Contains(t, body, "Secret access key")

	status, _, body = b.post("/_console/signin", url.Values{"access_key_id": {"test"}, "secret_access_key": {"wrong"}})
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Contains(t, body, "SignatureDoesNotMatch", "the pipeline's refusal in AWS's words")

	csrf := b.signIn(srv.AdminCredentials())
	for _, c := range b.http.Jar.Cookies(mustURL(t, srv.URL+"/_console/")) {
		assert.NotContains(t, c.Value, "test", "the cookie holds no key")
	}
	// Forms refuse a missing or wrong CSRF token.
	status, _, _ = b.post("/_console/root-access/features", url.Values{"change": {"enable-trusted-access"}})
	assert.Equal(t, http.StatusForbidden, status)
	status, _, _ = b.post("/_console/root-access/features", url.Values{"change": {"enable-trusted-access"}, "csrf": {"forged"}})
	assert.Equal(t, http.StatusForbidden, status)

	// Enable the three settings, in AWS's order.
	for _, change := range []string{"enable-trusted-access", "enable-credentials-management", "enable-root-sessions"} {
		status, h, _ = b.post("/_console/root-access/features", url.Values{"change": {change}, "csrf": {csrf}})
		require.Equal(t, http.StatusSeeOther, status)
		require.NotContains(t, h.Get("Location"), "error", change)
	}
	legacy := srv.LoadScenario(t, "../../testdata/scenarios/legacy-fleet.json")
	_, _, body = b.get("/_console/root-access")
	assert.Contains(t, body, legacy.Accounts[0].ID)
	assert.Regexp(t, `<strong>[1-9]\d*</strong> member account\(s\) still have root user credentials`, body)

	// A principal without permissions sees AWS's refusal, not data.
	weak := testkit.CreateUser(t, srv, srv.ManagementAccountID(), "intern", "")
	w := newBrowser(t, srv)
	w.signIn(weak)
	_, _, body = w.get("/_console/root-access")
	assert.Contains(t, body, "AccessDenied")
	assert.NotContains(t, body, legacy.Accounts[0].ID)

	// Signing out ends the session.
	status, _, _ = b.post("/_console/signout", url.Values{"csrf": {csrf}})
	assert.Equal(t, http.StatusSeeOther, status)
	status, _, _ = b.get("/_console/root-access")
	assert.Equal(t, http.StatusSeeOther, status)
}

func TestConsole_UnlockBucket(t *testing.T) {
	srv := apitest.New(t)
	result := srv.LoadScenario(t, "../../testdata/scenarios/locked-bucket.json")
	account, bucket := result.Accounts[0].ID, result.Accounts[0].Buckets[0]
	b := newBrowser(t, srv)
	csrf := b.signIn(srv.AdminCredentials())
	_, _, body := b.get("/_console/resources")
	assert.Regexp(t, regexp.QuoteMeta(bucket)+`\s*<span class="badge locked">locked</span>`, body)

	status, h, _ := b.post("/_console/root-access/session", url.Values{"csrf": {csrf}, "account": {account}, "task": {"S3UnlockBucketPolicy"}})
	require.Equal(t, http.StatusSeeOther, status)
	sessionPage := h.Get("Location")
	_, _, body = b.get(sessionPage)
	assert.Contains(t, body, "export AWS_SESSION_TOKEN=", "the credentials are shown once")
	_, _, again := b.get(sessionPage)
	assert.NotContains(t, again, "export AWS_SESSION_TOKEN=", "and only once")
	status, h, _ = b.post(sessionPage, url.Values{"csrf": {csrf}, "action": {"unlock-bucket"}, "bucket": {bucket}})
	require.Equal(t, http.StatusSeeOther, status)
	assert.NotContains(t, h.Get("Location"), "error")
	_, err := s3.NewFromConfig(srv.Config(srv.AssumeAccessRole(t, account)), func(o *s3.Options) { o.UsePathStyle = true }).
		GetBucketPolicy(context.Background(), &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	testkit.RequireAWSError(t, err, "NoSuchBucketPolicy", http.StatusNotFound)
	_, _, body = b.get("/_console/resources")
	assert.NotRegexp(t, regexp.QuoteMeta(bucket)+`\s*<span class="badge locked">`, body)
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

// The Resources page lists the organization a page of accounts at a time
// (each shown account costs an AssumeRole and its listings), every account
// on exactly one page.
func TestConsole_ResourcesPagesThroughEveryAccount(t *testing.T) {
	srv := apitest.New(t)
	var members []string
	for i := range 25 {
		members = append(members, srv.MemberAccount(t, fmt.Sprintf("member-%02d", i)))
	}
	b := newBrowser(t, srv)
	b.signIn(srv.AdminCredentials())
	seen := map[string]int{}
	next := regexp.MustCompile(`class="next-page" href="([^"]+)"`)
	account := regexp.MustCompile(`data-account="(\d{12})"`)
	path := "/_console/resources"
	pages := 0
	for path != "" {
		pages++
		require.LessOrEqual(t, pages, 5, "the pages end")
		status, _, body := b.get(path)
		require.Equal(t, http.StatusOK, status)
		for _, m := range account.FindAllStringSubmatch(body, -1) {
			seen[m[1]]++
		}
		path = ""
		if m := next.FindStringSubmatch(body); m != nil {
			path = html.UnescapeString(m[1])
			if pages == 1 {
				assert.NotContains(t, body, `class="first-page"`)
			}
		} else {
			assert.Contains(t, body, `class="first-page"`, "a later page leads back to the first")
		}
	}
	assert.Equal(t, 2, pages, "26 accounts in pages of 20")
	for _, id := range append(members, srv.ManagementAccountID()) {
		assert.Equal(t, 1, seen[id], "account %s is on exactly one page", id)
	}
	assert.Len(t, seen, 26)

	_, _, body := b.get("/_console/resources?page=forged")
	assert.Contains(t, body, "InvalidInputException", "a forged page token gets AWS's refusal")
}
