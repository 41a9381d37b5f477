package pipeline

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"iter"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/rootaccess/emulator/pkg/store"
)

const (
	sigV4Algorithm = "AWS4-HMAC-SHA256"
	amzDateFormat  = "20060102T150405Z"
	// UnsignedPayload and the streaming modes are X-Amz-Content-Sha256
	// values S3 clients send instead of the body's hash.
	UnsignedPayload = "UNSIGNED-PAYLOAD"
)

// authHeader is a parsed SigV4 Authorization header.
type AuthHeader struct {
	AccessKeyID   string
	Date          string // yyyymmdd of the credential scope
	Region        string
	Service       string
	SignedHeaders string // as sent: names joined by ";"
	Signature     string
}

// signedHeaderNames iterates the names in SignedHeaders.
func (a AuthHeader) signedHeaderNames() iter.Seq[string] {
	return strings.SplitSeq(a.SignedHeaders, ";")
}

// signs reports whether the request signed the header name.
func (a AuthHeader) signs(name string) bool {
	for n := range a.signedHeaderNames() {
		if n == name {
			return true
		}
	}
	return false
}

// parseAuthorization parses "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sts/aws4_request, SignedHeaders=a;b, Signature=hex".
func ParseAuthorization(h string) (AuthHeader, bool) {
	algo, rest, ok := strings.Cut(h, " ")
	if !ok || algo != sigV4Algorithm {
		return AuthHeader{}, false
	}
	// Parsed without allocating: a request's header is read several times
	// on its way through the pipeline.
	var a AuthHeader
	for more := true; more; {
		var part string
		part, rest, more = strings.Cut(rest, ",")
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return AuthHeader{}, false
		}
		switch k {
		case "Credential":
			// key/date/region/service/aws4_request
			var scope [5]string
			rest, n := v, 0
			for ; n < 4; n++ {
				var found bool
				if scope[n], rest, found = strings.Cut(rest, "/"); !found {
					break
				}
			}
			if n != 4 || rest != "aws4_request" || scope[0] == "" {
				return AuthHeader{}, false
			}
			a.AccessKeyID, a.Date, a.Region, a.Service = scope[0], scope[1], scope[2], scope[3]
		case "SignedHeaders":
			a.SignedHeaders = v
		case "Signature":
			a.Signature = v
		}
	}
	if a.AccessKeyID == "" || a.SignedHeaders == "" || a.Signature == "" || !a.signs("host") {
		return AuthHeader{}, false
	}
	return a, true
}

// signingServiceOf returns the service named in a request's credential scope, if any.
func signingServiceOf(r *http.Request) string {
	a, ok := ParseAuthorization(r.Header.Get("Authorization"))
	if !ok {
		a, ok = presignedCredential(r)
	}
	if !ok {
		return ""
	}
	return a.Service
}

// authFailure says why a request could not be authenticated; the caller
// renders it in the service's own protocol (see authError).
type AuthFailure int

const (
	AuthMissing AuthFailure = iota + 1
	AuthIncomplete
	AuthUnknownKey
	AuthBadSignature
	AuthExpired
	AuthSkewed
	AuthContentSHAMismatch
	// AuthQueryMalformed: a presigned request's X-Amz-* parameters are
	// missing or malformed; AuthExpiresTooLong: X-Amz-Expires over seven
	// days; AuthRequestExpired: the presigned URL's lifetime is over.
	AuthQueryMalformed
	AuthExpiresTooLong
	AuthRequestExpired
	// authWrongService: the credential scope names another service than
	// the one the request is for (a request signed for ec2 sent as STS).
	AuthWrongService
	// AuthWrongRegion: a global service (IAM, Organizations) signed for
	// another region than its signing region, us-east-1.
	AuthWrongRegion
	// AuthDuplicate: more than one Authorization header.
	AuthDuplicate
)

// authPrecheck refuses, from the headers alone, a request that cannot be
// authenticated whatever its body: presigned, without an Authorization
// header, with two, or with one that is not SigV4. A presigned request
// (SigV4 or S3's SigV2 in the query) is judged by its signature.
func authPrecheck(r *http.Request) AuthFailure {
	if isPresigned(r) {
		if _, ok := presignedCredential(r); !ok {
			return AuthQueryMalformed // no credential scope to tell its service by
		}
		return 0 // its other parameters are checked with its signature
	}
	if isPresignedAny(r) {
		return 0
	}
	switch hs := r.Header.Values("Authorization"); {
	case len(hs) == 0 || hs[0] == "":
		return AuthMissing
	case len(hs) > 1:
		return AuthDuplicate
	}
	if _, ok := ParseAuthorization(r.Header.Get("Authorization")); !ok {
		return AuthIncomplete
	}
	return 0
}

// payloadHash is the payload hash a request's signature covers: the one
// its X-Amz-Content-Sha256 declares (S3's clients always send it), else the
// body's own.
func payloadHash(r *http.Request, body []byte) string {
	if declared := r.Header.Get("X-Amz-Content-Sha256"); declared != "" {
		return declared
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// contentMatches reports whether the body has the hash its
// X-Amz-Content-Sha256 declares, when it declares one (not for
// UNSIGNED-PAYLOAD or the streaming modes, whose chunks carry their own
// signatures).
func contentMatches(r *http.Request, body []byte) bool {
	declared := r.Header.Get("X-Amz-Content-Sha256")
	if declared == "" || declared == UnsignedPayload || strings.HasPrefix(declared, "STREAMING-") {
		return true
	}
	sum := sha256.Sum256(body)
	return declared == hex.EncodeToString(sum[:])
}

// authenticate verifies r's SigV4 signature, over payloadHash, against the
// stored secret and returns the credential that signed it. The signature is
// recomputed with aws-sdk-go-v2's own signer over exactly the headers the
// client signed. Whether the body has the declared hash is contentMatches'
// question.
func (p *Pipeline) authenticate(r *http.Request, payloadHash string, svcName string) (store.Credential, AuthFailure) {
	if isPresigned(r) {
		return p.authenticatePresigned(r, payloadHash, svcName)
	}
	if r.Header.Get("Authorization") == "" && isPresignedV2(r) {
		return p.authenticatePresignedV2(r, svcName)
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return store.Credential{}, AuthMissing
	}
	a, ok := ParseAuthorization(h)
	if !ok {
		return store.Credential{}, AuthIncomplete
	}
	if a.Service != svcName {
		return store.Credential{}, AuthWrongService
	}
	cred, err := p.Store.Credential(r.Context(), a.AccessKeyID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return store.Credential{}, AuthUnknownKey
		}
		p.Log.Error("credential lookup", "error", err)
		return store.Credential{}, AuthUnknownKey
	}
	if cred.Status == "Inactive" {
		return store.Credential{}, AuthUnknownKey
	}
	token := r.Header.Get("X-Amz-Security-Token")
	if cred.Temporary() != (token != "") ||
		subtle.ConstantTimeCompare([]byte(token), []byte(cred.SessionToken)) != 1 {
		return store.Credential{}, AuthUnknownKey
	}
	signingTime, ok := parseAmzDate(r.Header.Get("X-Amz-Date"), a.Date)
	if !ok {
		return store.Credential{}, AuthIncomplete
	}
	if p.cfg.SkewLimit > 0 {
		if d := p.Clock.Wall().Sub(signingTime); d > p.cfg.SkewLimit || d < -p.cfg.SkewLimit {
			return store.Credential{}, AuthSkewed
		}
	}
	if !p.signatureMatches(r, a, cred, payloadHash, signingTime) {
		return store.Credential{}, AuthBadSignature
	}
	if cred.Expired(p.Clock.Now()) {
		return store.Credential{}, AuthExpired
	}
	return cred, 0
}

// parseAmzDate parses an X-Amz-Date (amzDateFormat) whose day must be the
// credential scope's date. The SDKs' form is read by hand, a tenth of
// time.Parse's cost on every request; any other goes to time.Parse, which
// judges it as it always has.
func parseAmzDate(v, scopeDate string) (time.Time, bool) {
	if t, ok := parseCanonicalAmzDate(v); ok {
		return t, v[:8] == scopeDate
	}
	t, err := time.Parse(amzDateFormat, v)
	return t, err == nil && t.Format("20060102") == scopeDate
}

// parseCanonicalAmzDate parses v when it is 16 bytes of digits with T and
// Z where amzDateFormat has them; false otherwise, and for a field out of
// range (time.Date would normalize it; time.Parse refuses it).
func parseCanonicalAmzDate(v string) (time.Time, bool) {
	if len(v) != len(amzDateFormat) || v[8] != 'T' || v[15] != 'Z' {
		return time.Time{}, false
	}
	digits := func(from, to int) int { // -1: not all digits
		n := 0
		for i := from; i < to; i++ {
			if v[i] < '0' || v[i] > '9' {
				return -1
			}
			n = n*10 + int(v[i]-'0')
		}
		return n
	}
	year, month, day := digits(0, 4), digits(4, 6), digits(6, 8)
	hour, minute, sec := digits(9, 11), digits(11, 13), digits(13, 15)
	if min(year, month, day, hour, minute, sec) < 0 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if t.Year() != year || int(t.Month()) != month || t.Day() != day || t.Hour() != hour || t.Minute() != minute || t.Second() != sec {
		return time.Time{}, false
	}
	return t, true
}

// signatureMatches checks a.Signature: by the fast check (sigv4_verify.go),
// and by re-signing with the SDK's signer when the fast check does not
// match or cannot judge, and always with Config.ConfirmSignatures.
func (p *Pipeline) signatureMatches(r *http.Request, a AuthHeader, cred store.Credential, payloadHash string, signingTime time.Time) bool {
	fast, judged := p.fastSignature(r, a, cred.SecretAccessKey, payloadHash, signingTime)
	match := judged && subtle.ConstantTimeCompare([]byte(fast), []byte(a.Signature)) == 1
	if match && !p.cfg.ConfirmSignatures {
		return true
	}
	sdk, ok := p.resign(r, a, cred, payloadHash, signingTime)
	sdkMatch := ok && subtle.ConstantTimeCompare([]byte(sdk), []byte(a.Signature)) == 1
	if p.cfg.ConfirmSignatures && judged && match != sdkMatch {
		p.Log.Error("the fast SigV4 check disagrees with the SDK's signer", "fast", match, "sdk", sdkMatch,
			"method", r.Method, "path", r.URL.EscapedPath(), "signed_headers", a.SignedHeaders)
		return false // fails the test that sent it
	}
	return sdkMatch
}

// resign signs a copy of r reduced to the client's signed headers and
// returns the signature the SDK's signer computes for it.
func (p *Pipeline) resign(r *http.Request, a AuthHeader, cred store.Credential, payloadHash string, signingTime time.Time) (string, bool) {
	clone, err := http.NewRequestWithContext(r.Context(), r.Method, "/", http.NoBody)
	if err != nil {
		return "", false
	}
	// The URL is copied, not re-parsed from its string: a path that starts
	// with "//" (a virtual-hosted S3 key "/x") would read as a host.
	u := *r.URL
	clone.URL = &u
	clone.Host = r.Host
	clone.Header = http.Header{}
	sessionToken := ""
	for name := range a.signedHeaderNames() {
		switch name {
		case "host":
		case "content-length":
			clone.ContentLength = r.ContentLength
		case "x-amz-security-token":
			sessionToken = cred.SessionToken
		case "expect":
			// Go's server consumes Expect; clients that sign it send 100-continue.
			clone.Header.Set("Expect", "100-continue")
		default:
			if vs := r.Header.Values(name); len(vs) > 0 {
				clone.Header[http.CanonicalHeaderKey(name)] = vs
			} else {
				return "", false // a signed header that did not arrive
			}
		}
	}
	signer := p.signer
	if a.Service == "s3" {
		signer = p.s3Signer
	}
	creds := aws.Credentials{AccessKeyID: cred.AccessKeyID, SecretAccessKey: cred.SecretAccessKey, SessionToken: sessionToken}
	if err := signer.SignHTTP(r.Context(), creds, clone, payloadHash, a.Service, a.Region, signingTime); err != nil {
		return "", false
	}
	got, ok := ParseAuthorization(clone.Header.Get("Authorization"))
	if !ok || got.SignedHeaders != a.SignedHeaders {
		return "", false
	}
	return got.Signature, true
}

func newSigners() (*v4.Signer, *v4.Signer) {
	return v4.NewSigner(), v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
}

// readBody reads at most limit bytes of the body and reports whether it was
// larger. A client that stops sending before the end of its body (a
// Content-Length larger than what it sends) fails the read once idle passes
// without a byte, and one that sends too slowly (below minRate bytes per
// second on average, after a grace of idle) fails it too, instead of
// holding the request open for ever.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, idle time.Duration, minRate int64) ([]byte, bool, error) {
	if r.Body == nil {
		return nil, false, nil
	}
	rc := http.NewResponseController(w)
	data, err := io.ReadAll(io.LimitReader(&deadlineReader{r: r.Body, rc: rc, idle: idle, minRate: minRate}, limit+1))
	// On failure the deadline stays, so that net/http's attempt to discard
	// the unread rest before answering fails too and closes the connection.
	if err != nil {
		return nil, false, err
	}
	if int64(len(data)) > limit {
		return nil, true, nil
	}
	// Cleared once the whole body is in, so that it cannot fire while the
	// handler runs (net/http would cancel the request's context).
	rc.SetReadDeadline(time.Time{})
	r.Body = io.NopCloser(bytes.NewReader(data))
	return data, false, nil
}

// deadlineReader moves the connection's read deadline before every read:
// to idle from now, or earlier, to when the bytes read so far would fall
// below minRate on average after the grace of idle from the first read.
type deadlineReader struct {
	r       io.Reader
	rc      *http.ResponseController
	idle    time.Duration
	minRate int64
	start   time.Time
	read    int64
}

func (dr *deadlineReader) Read(p []byte) (int, error) {
	// Wall time on purpose: a network deadline, not emulated time. A writer
	// without deadlines (a test's recorder) answers ErrNotSupported, ignored.
	now := time.Now()
	if dr.start.IsZero() {
		dr.start = now
	}
	deadline := now.Add(dr.idle)
	if dr.minRate > 0 {
		earned := time.Duration(float64(dr.read) / float64(dr.minRate) * float64(time.Second))
		if byRate := dr.start.Add(dr.idle + earned); byRate.Before(deadline) {
			deadline = byRate
		}
	}
	dr.rc.SetReadDeadline(deadline)
	n, err := dr.r.Read(p)
	dr.read += int64(n)
	return n, err
}
