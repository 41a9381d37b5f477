package pipeline

import (
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
	"github.com/rootaccess/emulator/pkg/store"
)

// BenchmarkSigV4Verify measures authenticate alone: parse the Authorization
// header, look the key up in bbolt, re-sign a reduced copy with the SDK's
// signer and compare in constant time.
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
