package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/assert"

	"github.com/rootaccess/emulator/pkg/store"
)

// BenchmarkSigV4Verify measures authenticate alone: parse the Authorization
// header, look the key up (from the credential cache), compute the
// signature with the cached signing key and compare in constant time.
func BenchmarkSigV4Verify(b *testing.B) {
	clock := NewClock()
	st, err := store.Open(filepath.Join(b.TempDir(), "emulator.db"), store.WithNow(clock.Now))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	err = st.Update(context.Background(), func(tx *store.Tx) error {
		_, err := tx.CreateAccessKey(store.KindUser, "111111111111", "arn:aws:iam::111111111111:user/admin", "AIDAADMIN", "test", "test")
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	s := New(Deps{Store: st, Clock: clock, Log: slog.New(slog.DiscardHandler)}, Config{SkewLimit: 15 * time.Minute}, nil)
	const body = "Action=GetCallerIdentity&Version=2011-06-15"
	req, err2 := http.NewRequest(http.MethodPost, "http://127.0.0.1:4580/", strings.NewReader(body))
	if err2 != nil {
		b.Fatal(err2)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"},
		req, hex.EncodeToString(sum[:]), "sts", "us-east-1", time.Now())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, failure := s.authenticate(req, payloadHash(req, []byte(body)), "sts"); failure != 0 {
			b.Fatalf("authentication failed: %v", failure)
		}
	}
}

// The fast check must compute exactly the SDK signer's signature for what
// clients send: paths and queries that need escaping, S3's unescaped
// paths, header values with runs of spaces and several values, session
// tokens, bodies and unsigned payloads.
func TestFastSignature_AgreesWithTheSDKSigner(t *testing.T) {
	p := New(Deps{Log: slog.New(slog.DiscardHandler)}, Config{}, nil)
	creds := aws.Credentials{AccessKeyID: "AKIAFAST", SecretAccessKey: "secret/with+chars"}
	session := aws.Credentials{AccessKeyID: "ASIAFAST", SecretAccessKey: "s", SessionToken: "token=="}
	at := time.Date(2026, 12, 1, 21, 0, 0, 0, time.UTC)
	cases := []struct {
		name, method, url, service, body string
		header                           http.Header
		creds                            aws.Credentials
		payloadHash                      string
	}{
		{name: "query form", method: "POST", url: "http://127.0.0.1:4580/", service: "sts", body: "Action=GetCallerIdentity&Version=2011-06-15",
			header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}, creds: creds},
		{name: "session token", method: "POST", url: "http://127.0.0.1:4580/", service: "iam", body: "Action=ListUsers",
			header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, creds: session},
		{name: "json target", method: "POST", url: "http://localhost:4580/", service: "organizations", body: "{}",
			header: http.Header{"X-Amz-Target": {"AWSOrganizationsV20161128.ListAccounts"}, "Content-Type": {"application/x-amz-json-1.1"}}, creds: creds},
		{name: "query string to escape", method: "GET", url: "http://127.0.0.1:4580/?prefix=a%20b&max-buckets=5&z=%2F&a=~x&a=-y&empty=", service: "s3",
			creds: creds, payloadHash: UnsignedPayload},
		{name: "s3 key with characters", method: "PUT", url: "http://127.0.0.1:4580/bucket/dir/a%20b%2Bc%3D%E2%82%AC.txt", service: "s3", body: "hello",
			header: http.Header{"Content-Type": {"text/plain"}, "X-Amz-Meta-Note": {"  two   spaces  "}}, creds: creds},
		{name: "escaped path outside s3", method: "POST", url: "http://127.0.0.1:4580/queue/a%20b", service: "sqs", body: "Action=SendMessage",
			header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, creds: creds},
		{name: "several values", method: "GET", url: "http://127.0.0.1:4580/bucket?list-type=2", service: "s3",
			header: http.Header{"X-Amz-Meta-Multi": {"one", "two  three"}}, creds: creds, payloadHash: UnsignedPayload},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, tc.url, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, vs := range tc.header {
				req.Header[k] = vs
			}
			hash := tc.payloadHash
			if hash == "" {
				sum := sha256.Sum256([]byte(tc.body))
				hash = hex.EncodeToString(sum[:])
			}
			req.Header.Set("X-Amz-Content-Sha256", hash)
			signer := v4.NewSigner()
			if tc.service == "s3" {
				signer = v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
			}
			if err := signer.SignHTTP(context.Background(), tc.creds, req, hash, tc.service, "us-east-1", at); err != nil {
				t.Fatal(err)
			}
			a, ok := ParseAuthorization(req.Header.Get("Authorization"))
			if !ok {
				t.Fatal("unparsable Authorization")
			}
			// As the server sees it: Host from the URL, the request URI parsed again.
			server, err := http.ReadRequest(bufioReaderOf(t, req))
			if err != nil {
				t.Fatal(err)
			}
			got, judged := p.fastSignature(server, a, tc.creds.SecretAccessKey, hash, at)
			if !judged || got != a.Signature {
				t.Fatalf("fast signature %q (judged %v), the SDK's %q", got, judged, a.Signature)
			}
			// And once more from the cached signing key.
			if again, _ := p.fastSignature(server, a, tc.creds.SecretAccessKey, hash, at); again != a.Signature {
				t.Fatalf("with the cached key: %q", again)
			}
			if wrong, _ := p.fastSignature(server, a, "another secret", hash, at); wrong == a.Signature {
				t.Fatal("another secret gives the same signature")
			}
		})
	}
}

// bufioReaderOf is req as bytes on the wire, for http.ReadRequest.
func bufioReaderOf(t *testing.T, req *http.Request) *bufio.Reader {
	t.Helper()
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return bufio.NewReader(&buf)
}

// A request handed to the handler in process (the console's SDK clients do)
// has no Host of its own: the SDK signed the URL's host, and so must the
// fast check read it.
func TestFastSignature_InProcessRequestWithoutHost(t *testing.T) {
	p := New(Deps{Log: slog.New(slog.DiscardHandler)}, Config{}, nil)
	creds := aws.Credentials{AccessKeyID: "AKIAFAST", SecretAccessKey: "secret"}
	at := time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)
	const body = "Action=GetCallerIdentity&Version=2011-06-15"
	req, err := http.NewRequest(http.MethodPost, "http://console.internal/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "" // as the SDK's requests reach a handler in process
	sum := sha256.Sum256([]byte(body))
	hash := hex.EncodeToString(sum[:])
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "sts", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	a, _ := ParseAuthorization(req.Header.Get("Authorization"))
	if got, judged := p.fastSignature(req, a, creds.SecretAccessKey, hash, at); !judged || got != a.Signature {
		t.Fatalf("fast signature %q (judged %v), the SDK's %q", got, judged, a.Signature)
	}
}

// TestParseAmzDate_AgreesWithTimeParse: the hand-read X-Amz-Date takes and
// refuses exactly what time.Parse does, with the same time and scope check.
func TestParseAmzDate_AgreesWithTimeParse(t *testing.T) {
	viaTimeParse := func(v, scope string) (time.Time, bool) {
		t, err := time.Parse(amzDateFormat, v)
		return t, err == nil && t.Format("20060102") == scope
	}
	values := []string{
		"20240229T235959Z", "20230229T120000Z", "20241231T000000Z", "20240101T240000Z", "20240101T126000Z",
		"20240101T120060Z", "20241301T120000Z", "20240001T120000Z", "20240100T120000Z", "20240431T120000Z",
		"00000101T000000Z", "20240101T120000", "20240101 120000Z", "2024010IT120000Z", "20240101T120000.5Z",
		"20240101T12000Z", "", "20240101t120000z", "+2024101T120000Z", "20240101T1200009",
	}
	at := time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 2000 { // 2,000 hours from 1999's first (a common year's February among them), and some seconds
		values = append(values, at.Add(time.Duration(i)*(time.Hour+7*time.Second)).Format(amzDateFormat))
	}
	for _, v := range values {
		for _, scope := range []string{"20240229", "20240101", v[:min(8, len(v))]} {
			got, ok := parseAmzDate(v, scope)
			want, wantOK := viaTimeParse(v, scope)
			if assert.Equal(t, wantOK, ok, "%q for %s", v, scope) && ok {
				assert.True(t, want.Equal(got), "%q: %s, want %s", v, got, want)
			}
		}
	}
}
