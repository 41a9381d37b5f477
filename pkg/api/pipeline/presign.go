package pipeline

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rootaccess/emulator/pkg/store"
)

// Presigned requests: SigV4 in the query string (X-Amz-Algorithm,
// X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
// X-Amz-Signature, X-Amz-Security-Token), as `aws s3 presign`, the SDKs'
// presigners and EKS's presigned GetCallerIdentity send them.

// maxPresignExpiry is SigV4's limit on X-Amz-Expires: seven days.
const maxPresignExpiry = 7 * 24 * time.Hour

// defaultPresignExpiry is the lifetime of a presigned request to a service
// other than S3 that names none.
const defaultPresignExpiry = 15 * time.Minute

// presignedAuth is a parsed query-string signature.
type presignedAuth struct {
	AuthHeader
	signingTime time.Time
	expires     time.Duration
}

// isPresigned reports whether r carries a SigV4 signature in the query.
// The raw query is looked at first: every request asks, several times, and
// most have no query to parse.
func isPresigned(r *http.Request) bool {
	return strings.Contains(r.URL.RawQuery, "X-Amz-Algorithm") && r.URL.Query().Has("X-Amz-Algorithm")
}

// isPresignedAny reports whether r is authenticated by its query string:
// SigV4, or S3's SigV2 (AWSAccessKeyId, Signature, Expires) when there is no
// Authorization header.
func isPresignedAny(r *http.Request) bool {
	return isPresigned(r) || (r.Header.Get("Authorization") == "" && isPresignedV2(r))
}

// parsePresigned reads the query's SigV4 parameters.
func parsePresigned(q url.Values) (presignedAuth, AuthFailure) {
	var a presignedAuth
	if q.Get("X-Amz-Algorithm") != sigV4Algorithm {
		return a, AuthQueryMalformed
	}
	scope := strings.Split(q.Get("X-Amz-Credential"), "/")
	if len(scope) != 5 || scope[4] != "aws4_request" || scope[0] == "" {
		return a, AuthQueryMalformed
	}
	a.AccessKeyID, a.Date, a.Region, a.Service = scope[0], scope[1], scope[2], scope[3]
	a.SignedHeaders = q.Get("X-Amz-SignedHeaders")
	a.Signature = q.Get("X-Amz-Signature")
	t, ok := parseAmzDate(q.Get("X-Amz-Date"), a.Date)
	if !ok || a.Signature == "" || !a.signs("host") {
		return a, AuthQueryMalformed
	}
	a.signingTime = t
	// S3 requires X-Amz-Expires; the other services take 15 minutes
	// without it (the SDKs' STS presigner sends none).
	secs := int(defaultPresignExpiry / time.Second)
	if v := q.Get("X-Amz-Expires"); v != "" || a.Service == "s3" {
		var err error
		if secs, err = strconv.Atoi(v); err != nil || secs < 1 {
			return a, AuthQueryMalformed
		}
	}
	a.expires = time.Duration(secs) * time.Second
	if a.expires > maxPresignExpiry {
		return a, AuthExpiresTooLong
	}
	return a, 0
}

// presignedCredential returns the query's credential scope, for service
// and region resolution; ok is false for a request that is not presigned.
func presignedCredential(r *http.Request) (AuthHeader, bool) {
	if !isPresigned(r) {
		if r.Header.Get("Authorization") == "" && isPresignedV2(r) {
			return AuthHeader{AccessKeyID: r.URL.Query().Get("AWSAccessKeyId"), Region: "us-east-1", Service: "s3"}, true
		}
		return AuthHeader{}, false
	}
	scope := strings.Split(r.URL.Query().Get("X-Amz-Credential"), "/")
	if len(scope) != 5 {
		return AuthHeader{}, false
	}
	return AuthHeader{AccessKeyID: scope[0], Date: scope[1], Region: scope[2], Service: scope[3]}, true
}

// authenticatePresigned verifies a query-string signature with the SDK's
// own presigner over exactly the signed headers. The URL's lifetime counts
// from its X-Amz-Date in wall time, as the clients that signed it count
// (the skew check does the same); the session behind it expires on the
// emulated clock, as every session does.
func (p *Pipeline) authenticatePresigned(r *http.Request, payloadHash string, svcName string) (store.Credential, AuthFailure) {
	q := r.URL.Query()
	a, failure := parsePresigned(q)
	if failure != 0 {
		return store.Credential{}, failure
	}
	if a.Service != svcName {
		return store.Credential{}, AuthWrongService
	}
	cred, err := p.Store.Credential(r.Context(), a.AccessKeyID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			p.Log.Error("credential lookup", "error", err)
		}
		return store.Credential{}, AuthUnknownKey
	}
	token := q.Get("X-Amz-Security-Token")
	if cred.Status == "Inactive" || cred.Temporary() != (token != "") ||
		subtle.ConstantTimeCompare([]byte(token), []byte(cred.SessionToken)) != 1 {
		return store.Credential{}, AuthUnknownKey
	}
	if svcName == "s3" {
		payloadHash = UnsignedPayload // S3's presigned URLs never sign the body
	}
	want, ok := p.represign(r, a, cred, payloadHash)
	if !ok || subtle.ConstantTimeCompare([]byte(want), []byte(a.Signature)) != 1 {
		return store.Credential{}, AuthBadSignature
	}
	if p.Clock.Wall().After(a.signingTime.Add(a.expires)) {
		return store.Credential{}, AuthRequestExpired
	}
	if cred.Expired(p.Clock.Now()) {
		return store.Credential{}, AuthExpired
	}
	return cred, 0
}

// represign presigns a copy of r reduced to the client's signed headers and
// its query without the signature, and returns the signature the SDK
// computes for it.
func (p *Pipeline) represign(r *http.Request, a presignedAuth, cred store.Credential, payloadHash string) (string, bool) {
	clone, err := http.NewRequestWithContext(r.Context(), r.Method, "/", http.NoBody)
	if err != nil {
		return "", false
	}
	u := *r.URL
	q := u.Query()
	for _, name := range []string{"X-Amz-Signature", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
		"X-Amz-SignedHeaders", "X-Amz-Security-Token"} {
		q.Del(name)
	}
	u.RawQuery = q.Encode()
	clone.URL = &u
	clone.Host = r.Host
	clone.Header = http.Header{}
	for name := range a.signedHeaderNames() {
		switch name {
		case "host":
		case "content-length":
			clone.ContentLength = r.ContentLength
		default:
			if vs := r.Header.Values(name); len(vs) > 0 {
				clone.Header[http.CanonicalHeaderKey(name)] = vs
			} else {
				return "", false
			}
		}
	}
	signer := p.signer
	if a.Service == "s3" {
		signer = p.s3Signer
	}
	creds := aws.Credentials{AccessKeyID: cred.AccessKeyID, SecretAccessKey: cred.SecretAccessKey, SessionToken: cred.SessionToken}
	signed, _, err := signer.PresignHTTP(r.Context(), creds, clone, payloadHash, a.Service, a.Region, a.signingTime)
	if err != nil {
		return "", false
	}
	su, err := url.Parse(signed)
	if err != nil {
		return "", false
	}
	sq := su.Query()
	if sq.Get("X-Amz-SignedHeaders") != a.SignedHeaders {
		return "", false
	}
	return sq.Get("X-Amz-Signature"), true
}
