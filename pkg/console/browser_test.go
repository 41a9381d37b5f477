package console_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api"
	"github.com/rootaccess/emulator/pkg/api/apitest"
)

// The console in a real browser: headless Chromium (Debian's chromium
// package) driven by chromedp. Set CONSOLE_SCREENSHOTS=DIR to keep a
// screenshot of each page (docs/console/ holds the committed ones).

func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium on this machine (apt-get install chromium)")
	return ""
}

// newBrowser starts a browser of its own (its own profile, so its own cookies).
func newBrowser(t *testing.T) context.Context {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	return ctx
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("CONSOLE_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
}

func signIn(t *testing.T, ctx context.Context, url, keyID, secret string) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#access_key_id`)),
		chromedp.SendKeys(chromedp.CSS(`#access_key_id`), keyID),
		chromedp.SendKeys(chromedp.CSS(`#secret_access_key`), secret),
	))
	screenshot(t, ctx, "signin")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#signin`)), chromedp.WaitVisible(chromedp.CSS(`header nav`))))
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		return "" // the page is changing; callers that poll ask again
	}
	return s
}

func count(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(sel)+`).length`))
	if err != nil {
		return -1 // the page is changing; callers that poll ask again
	}
	return n
}

func jsString(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// A legacy account that joined with root credentials, and nothing switched on.
const legacyWorld = `{"accounts":[{"name":"legacy-payments","root":{"password":true,"access_keys":[{}],"signing_certificates":[{}],"mfa_devices":[{}]}}]}`

func TestConsole_Browser(t *testing.T) {
	srv := apitest.New(t)
	sc, err := api.ParseScenario([]byte(legacyWorld))
	require.NoError(t, err)
	world, err := srv.API.ApplyScenario(context.Background(), sc)
	require.NoError(t, err)
	legacy := world.Accounts[0].ID
	ctx := newBrowser(t)
	admin := srv.AdminCredentials()
	signIn(t, ctx, srv.URL, admin.AccessKeyID, admin.SecretAccessKey)

	t.Run("EnableTheFeatures", func(t *testing.T) {
		for _, f := range []string{"trusted-access", "credentials-management", "root-sessions"} {
			require.NoError(t, chromedp.Do(ctx,
				chromedp.Click(chromedp.CSS(`tr[data-feature="`+f+`"] button`)),
				chromedp.WaitVisible(chromedp.CSS(`tr[data-feature="`+f+`"] td.on`))), f)
		}
	})

	row := `tr[data-account="` + legacy + `"]`
	t.Run("CentralViewFindsTheLegacyAccount", func(t *testing.T) {
		require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(row+`.has-credentials`))))
		assert.Contains(t, text(t, ctx, `#with-credentials`), "1 member account(s) still have root user credentials")
		screenshot(t, ctx, "root-access")
	})

	t.Run("DeleteTheRootCredentialsAndWatchTheViewTurnClean", func(t *testing.T) {
		require.NoError(t, chromedp.Do(ctx,
			chromedp.SetValue(chromedp.CSS(row+` select`), "IAMDeleteRootUserCredentials"),
			chromedp.Click(chromedp.CSS(row+` button`)),
			chromedp.WaitVisible(chromedp.CSS(`#root-credentials`))))
		assert.Contains(t, text(t, ctx, `#export`), "export AWS_SESSION_TOKEN=")
		screenshot(t, ctx, "privileged-action")
		for i := 0; count(t, ctx, `button.danger`) > 0; i++ {
			require.Less(t, i, 10, "every credential is deleted in a few clicks")
			before := count(t, ctx, `button.danger`)
			require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button.danger`))))
			require.Eventually(t, func() bool {
				return count(t, ctx, `button.danger`) == before-1 && count(t, ctx, `#message`) == 1
			}, 10*time.Second, 100*time.Millisecond, "a credential is gone after its button")
			assert.Zero(t, count(t, ctx, `#error`), "no refusal: %s", strings.TrimSpace(text(t, ctx, `main`)))
		}
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/_console/root-access"), chromedp.WaitVisible(chromedp.CSS(row+`.clean`))))
		assert.Contains(t, text(t, ctx, `#with-credentials`), "0 member account(s)")
	})

	t.Run("UnlockALockedBucket", func(t *testing.T) {
		locked := srv.LoadScenario(t, "../../testdata/scenarios/locked-bucket.json")
		account, bucket := locked.Accounts[0].ID, locked.Accounts[0].Buckets[0]
		badge := `li[data-bucket="` + bucket + `"] .locked`
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/_console/resources"), chromedp.WaitVisible(chromedp.CSS(badge))))
		screenshot(t, ctx, "resources")
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(srv.URL+"/_console/root-access"),
			chromedp.SetValue(chromedp.CSS(`tr[data-account="`+account+`"] select`), "S3UnlockBucketPolicy"),
			chromedp.Click(chromedp.CSS(`tr[data-account="`+account+`"] button`)),
			chromedp.WaitVisible(chromedp.CSS(`#bucket`)),
			chromedp.SendKeys(chromedp.CSS(`#bucket`), bucket),
			chromedp.Click(chromedp.CSS(`#unlock-bucket`)),
			chromedp.WaitVisible(chromedp.CSS(`#message`)),
			chromedp.Navigate(srv.URL+"/_console/resources"),
			chromedp.WaitVisible(chromedp.CSS(`li[data-bucket="`+bucket+`"]`))))
		assert.Zero(t, count(t, ctx, badge), "the badge is gone")
	})

	t.Run("OrganizationAndSessions", func(t *testing.T) {
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/_console/organization"), chromedp.WaitVisible(chromedp.CSS(`li[data-id="`+legacy+`"]`))))
		screenshot(t, ctx, "organization")
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/_console/sessions"), chromedp.WaitVisible(chromedp.CSS(`#sessions`))))
		assert.GreaterOrEqual(t, count(t, ctx, `#sessions tr[data-key]`), 2, "the console's own root sessions are listed")
		screenshot(t, ctx, "sessions")
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/_console/audit"), chromedp.WaitVisible(chromedp.CSS(`main`))))
		screenshot(t, ctx, "audit")
	})

	t.Run("CountdownReachesExpiry", func(t *testing.T) {
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(srv.URL+"/_console/root-access"),
			chromedp.SetValue(chromedp.CSS(row+` select`), "IAMAuditRootUserCredentials"),
			chromedp.Click(chromedp.CSS(row+` button`)),
			chromedp.WaitVisible(chromedp.CSS(`#countdown`))))
		require.Eventually(t, func() bool { return strings.Contains(text(t, ctx, `#countdown`), "m ") }, 10*time.Second, 200*time.Millisecond)
		assert.NotContains(t, text(t, ctx, `#countdown`), "expired")
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/_emulator/clock", strings.NewReader(`{"advance":"16m"}`))
		require.NoError(t, err)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Eventually(t, func() bool { return text(t, ctx, `#countdown`) == "expired" }, 15*time.Second, 250*time.Millisecond,
			"the page follows emulated time")
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/_console/clock"), chromedp.WaitVisible(chromedp.CSS(`#move-clock`))))
		screenshot(t, ctx, "clock")
	})

	t.Run("ASecondTenantSeesNoneOfIt", func(t *testing.T) {
		other := srv.NewTenant(t, api.TenantSpec{ID: "trainee-2"})
		tenantCtx := newBrowser(t)
		signIn(t, tenantCtx, srv.URL, other.AccessKeyID, other.SecretAccessKey)
		assert.Contains(t, text(t, tenantCtx, `#who`), other.ManagementAccountID)
		assert.NotContains(t, text(t, tenantCtx, `main`), legacy)
		require.NoError(t, chromedp.Do(tenantCtx, chromedp.Navigate(srv.URL+"/_console/resources"), chromedp.WaitVisible(chromedp.CSS(`main`))))
		assert.Zero(t, count(t, tenantCtx, `li[data-bucket]`), "no bucket of the other world")
		require.NoError(t, chromedp.Do(tenantCtx, chromedp.Navigate(srv.URL+"/_console/sessions"), chromedp.WaitVisible(chromedp.CSS(`#sessions`))))
		assert.Zero(t, count(t, tenantCtx, `#sessions tr[data-key]`))
	})
}
