package api

import "net/http"

// s3Action names the S3 operation a REST request is for, from its method,
// path and sub-resource query.
func s3Action(r *http.Request) string {
	return ""
}
