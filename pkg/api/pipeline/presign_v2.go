package pipeline

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rootaccess/emulator/pkg/store"
)

// Signature version 2 presigned S3 URLs (AWSAccessKeyId, Expires,
// Signature), which the AWS CLI v1's `aws s3 presign` still makes for
// us-east-1 unless told s3v4. S3 alone takes them, path-style.

// isPresignedV2 reports whether r is a SigV2 query-string request.
func isPresignedV2(r *http.Request) bool {
	if !strings.Contains(r.URL.RawQuery, "Signature") {
		return false
	}
	q := r.URL.Query()
	return q.Has("AWSAccessKeyId") && q.Has("Signature") && q.Has("Expires")
}

// s3SignedSubresources are the query parameters SigV2 signs as part of the
// resource.
var s3SignedSubresources = []string{"acl", "cors", "delete", "lifecycle", "location", "logging", "notification",
	"partNumber", "policy", "requestPayment", "response-cache-control", "response-content-disposition",
	"response-content-encoding", "response-content-language", "response-content-type", "response-expires",
	"tagging", "torrent", "uploadId", "uploads", "versionId", "versioning", "versions", "website"}

func (p *Pipeline) authenticatePresignedV2(r *http.Request, svcName string) (store.Credential, AuthFailure) {
	if svcName != "s3" {
		return store.Credential{}, AuthQueryMalformed
	}
	q := r.URL.Query()
	expires, err := strconv.ParseInt(q.Get("Expires"), 10, 64)
	if err != nil {
		return store.Credential{}, AuthQueryMalformed
	}
	cred, err := p.Store.Credential(r.Context(), q.Get("AWSAccessKeyId"))
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			p.Log.Error("credential lookup", "error", err)
		}
		return store.Credential{}, AuthUnknownKey
	}
	token := firstOf(q, r.Header, "x-amz-security-token")
	if cred.Status == "Inactive" || cred.Temporary() != (token != "") ||
		subtle.ConstantTimeCompare([]byte(token), []byte(cred.SessionToken)) != 1 {
		return store.Credential{}, AuthUnknownKey
	}
	m := hmac.New(sha1.New, []byte(cred.SecretAccessKey))
	m.Write([]byte(stringToSignV2(r, q)))
	want := base64.StdEncoding.EncodeToString(m.Sum(nil))
	if subtle.ConstantTimeCompare([]byte(want), []byte(q.Get("Signature"))) != 1 {
		return store.Credential{}, AuthBadSignature
	}
	if p.Clock.Wall().After(time.Unix(expires, 0)) {
		return store.Credential{}, AuthRequestExpired
	}
	if cred.Expired(p.Clock.Now()) {
		return store.Credential{}, AuthExpired
	}
	return cred, 0
}

// firstOf is a value from the query, else from the headers.
func firstOf(q url.Values, h http.Header, name string) string {
	for k, vs := range q {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return h.Get(name)
}

// stringToSignV2 is SigV2's: method, Content-MD5, Content-Type, Expires,
// the x-amz-* headers (which a presigned URL carries in its query) and the
// resource with its signed sub-resources.
func stringToSignV2(r *http.Request, q url.Values) string {
	amz := map[string][]string{}
	for k, vs := range r.Header {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-amz-") {
			amz[lk] = append(amz[lk], vs...)
		}
	}
	for k, vs := range q {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-amz-") {
			amz[lk] = append(amz[lk], vs...)
		}
	}
	var b strings.Builder
	b.WriteString(r.Method + "\n" + firstOf(q, r.Header, "content-md5") + "\n" + firstOf(q, r.Header, "content-type") + "\n" +
		q.Get("Expires") + "\n")
	names := make([]string, 0, len(amz))
	for k := range amz {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		b.WriteString(k + ":" + strings.Join(amz[k], ",") + "\n")
	}
	b.WriteString(r.URL.EscapedPath())
	sep := "?"
	for _, name := range s3SignedSubresources {
		if !q.Has(name) {
			continue
		}
		b.WriteString(sep + name)
		if v := q.Get(name); v != "" {
			b.WriteString("=" + v)
		}
		sep = "&"
	}
	return b.String()
}
