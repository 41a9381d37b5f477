// Command s3bench measures S3 object throughput against a running
// emulator: for each size it PUTs one object from a file (a single PUT, or
// with -part-size a multipart upload by the SDK's transfer manager), GETs it
// back and checks its MD5, and prints MB/s. Run by
// scripts/bench-s3.sh, which also starts the emulator and reads its peak
// memory; it is a measurement, not a test, and asserts no timing.
//
//	s3bench -endpoint http://127.0.0.1:4566 -sizes 1MiB,64MiB,1GiB
//	s3bench -endpoint http://127.0.0.1:4566 -sizes 5GiB -part-size 64MiB
package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:4566", "the emulator's URL")
	sizes := flag.String("sizes", "1MiB,64MiB,1GiB", "object sizes (KiB, MiB, GiB suffixes)")
	dir := flag.String("dir", os.TempDir(), "where the source files are written")
	key := flag.String("key", "test", "access key id")
	secret := flag.String("secret", "test", "secret access key")
	partSize := flag.String("part-size", "", "upload in parts of this size with the transfer manager (default: a single PUT)")
	flag.Parse()
	var part int64
	if *partSize != "" {
		var err error
		if part, err = parseSize(*partSize); err != nil {
			log.Fatal(err)
		}
	}

	ctx := context.Background()
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: endpoint, UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(*key, *secret, "")})
	bucket := fmt.Sprintf("s3bench-%d", time.Now().UnixNano())
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%-8s %12s %12s\n", "size", "put MB/s", "get MB/s")
	for _, s := range strings.Split(*sizes, ",") {
		n, err := parseSize(s)
		if err != nil {
			log.Fatal(err)
		}
		path, sum, err := writeSource(*dir, n)
		if err != nil {
			log.Fatal(err)
		}
		put, get, err := roundTrip(ctx, c, bucket, path, n, sum, part)
		os.Remove(path)
		if err != nil {
			log.Fatal(err)
		}
		mb := float64(n) / 1e6
		fmt.Printf("%-8s %12.1f %12.1f\n", s, mb/put.Seconds(), mb/get.Seconds())
	}
}

func parseSize(s string) (int64, error) {
	for suffix, unit := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if v, ok := strings.CutSuffix(s, suffix); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			return n * unit, err
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

// writeSource writes n pseudo-random bytes to a file (the SDK hashes a
// seekable body before sending it) and returns its path and MD5.
func writeSource(dir string, n int64) (string, []byte, error) {
	f, err := os.CreateTemp(dir, "s3bench-*")
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	r := rand.New(rand.NewPCG(uint64(n), 1))
	buf := make([]byte, 1<<20)
	h := md5.New()
	for left := n; left > 0; left -= int64(len(buf)) {
		for i := range buf {
			buf[i] = byte(r.Uint32())
		}
		chunk := buf[:min(left, int64(len(buf)))]
		h.Write(chunk)
		if _, err := f.Write(chunk); err != nil {
			return "", nil, err
		}
	}
	return filepath.Clean(f.Name()), h.Sum(nil), nil
}

// roundTrip uploads the file (in parts of part bytes, when part > 0), reads
// it back, checks its MD5 and deletes it.
func roundTrip(ctx context.Context, c *s3.Client, bucket, path string, n int64, sum []byte, part int64) (put, get time.Duration, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	key := filepath.Base(path)
	start := time.Now()
	if part > 0 {
		up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = part })
		if _, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: f}); err != nil {
			return 0, 0, fmt.Errorf("multipart upload of %d bytes: %w", n, err)
		}
	} else if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: f,
		ContentLength: aws.Int64(n)}); err != nil {
		return 0, 0, fmt.Errorf("put %d bytes: %w", n, err)
	}
	put = time.Since(start)
	start = time.Now()
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return 0, 0, fmt.Errorf("get %d bytes: %w", n, err)
	}
	h := md5.New()
	got, err := io.Copy(h, out.Body)
	out.Body.Close()
	get = time.Since(start)
	if err != nil || got != n || !bytes.Equal(h.Sum(nil), sum) {
		return 0, 0, fmt.Errorf("get %d bytes: read %d, err %v, md5 match %v", n, got, err, bytes.Equal(h.Sum(nil), sum))
	}
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	return put, get, err
}
