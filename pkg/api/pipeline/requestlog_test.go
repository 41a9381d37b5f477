package pipeline_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api"
	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
)

// logBuffer collects log output written from the server's goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// line returns the log line that contains request id, once it is written
// (the server logs after the client has its answer).
func (b *logBuffer) line(t *testing.T, requestID string) string {
	t.Helper()
	var found string
	require.Eventually(t, func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		for l := range strings.SplitSeq(b.buf.String(), "\n") {
			if strings.Contains(l, "request_id="+requestID) {
				found = l
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond, "no log line for request %s", requestID)
	return found
}

// TestRequestLog: one line per request that says what failed and why: the
// error code, the key that did not authenticate; and a client's mistake (even
// a 5xx such as S3's NotImplemented) is not logged as the emulator's error.
func TestRequestLog(t *testing.T) {
	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := apitest.New(t, apitest.WithServerOptions(api.WithLogger(logger)))
	admin := srv.AdminCredentials()

	_, err := sts.NewFromConfig(srv.Config(admin)).GetCallerIdentity(context.Background(), nil)
	require.NoError(t, err)
	r := testkit.PostQuery(t, srv, admin, "sts", testkit.CallerIdentityBody)
	require.Equal(t, http.StatusOK, r.Status)
	line := logs.line(t, r.Header.Get("x-amzn-RequestId"))
	assert.Contains(t, line, "level=INFO")
	assert.Contains(t, line, "action=GetCallerIdentity principal=arn:aws:iam::111111111111:user/admin status=200")
	assert.NotContains(t, line, "error=")

	wrong := admin
	wrong.SecretAccessKey = "wrong"
	r = testkit.PostQuery(t, srv, wrong, "sts", testkit.CallerIdentityBody)
	require.Equal(t, http.StatusForbidden, r.Status)
	line = logs.line(t, r.Header.Get("x-amzn-RequestId"))
	assert.Contains(t, line, "level=INFO")
	assert.Contains(t, line, `principal="" status=403`)
	assert.Contains(t, line, "error=SignatureDoesNotMatch access_key="+admin.AccessKeyID)

	r = testkit.RawS3(t, srv, admin, http.MethodGet, "/?acl", nil, nil)
	require.Equal(t, http.StatusNotImplemented, r.Status)
	line = logs.line(t, r.Header.Get("x-amz-request-id"))
	assert.Contains(t, line, "level=INFO")
	assert.Contains(t, line, "status=501")
	assert.Contains(t, line, "error=NotImplemented")
}
