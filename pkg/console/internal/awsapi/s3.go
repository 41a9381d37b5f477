package awsapi

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
)

// ListBuckets lists the names of the caller's account's buckets (the
// first page, which without max-buckets holds them all).
func (c *Client) ListBuckets(ctx context.Context) ([]string, error) {
	body, err := c.rest(ctx, http.MethodGet, "/", "")
	if err != nil {
		return nil, err
	}
	var out struct {
		Buckets []struct{ Name string } `xml:"Buckets>Bucket"`
	}
	if err := xml.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("s3 ListBuckets: read the answer: %w", err)
	}
	names := make([]string, 0, len(out.Buckets))
	for _, b := range out.Buckets {
		names = append(names, b.Name)
	}
	return names, nil
}

// GetBucketPolicy returns the bucket's policy document.
func (c *Client) GetBucketPolicy(ctx context.Context, bucket string) (string, error) {
	path, err := bucketPath(bucket)
	if err != nil {
		return "", err
	}
	body, err := c.rest(ctx, http.MethodGet, path, "policy")
	return string(body), err
}

// DeleteBucketPolicy removes the bucket's policy.
func (c *Client) DeleteBucketPolicy(ctx context.Context, bucket string) error {
	path, err := bucketPath(bucket)
	if err != nil {
		return err
	}
	_, err = c.rest(ctx, http.MethodDelete, path, "policy")
	return err
}
