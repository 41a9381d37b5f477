package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// BenchmarkSigV4Verify measures authenticate alone: parse the Authorization
// header, look the key up in bbolt, re-sign a reduced copy with the SDK's
// signer and compare in constant time.
func BenchmarkSigV4Verify(b *testing.B) {
	s := seededServer(b)
	const body = "Action=GetCallerIdentity&Version=2011-06-15"
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:4580/", strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
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
		if _, failure := s.authenticate(req, []byte(body), "sts"); failure != 0 {
			b.Fatalf("authentication failed: %v", failure)
		}
	}
}
