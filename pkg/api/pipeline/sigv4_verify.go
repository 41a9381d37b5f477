package pipeline

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go/encoding/httpbinding"
)

// The fast SigV4 check: the canonical request built from exactly what the
// client signed, as the SigV4 specification (and aws-sdk-go-v2's signer,
// whose rules this follows step by step) builds it, hashed and signed with
// a signing key derived once per key, day, region and service.
//
// A match proves that the client holds the secret and signed this method,
// path, query, these headers and this payload hash: the request is
// authentic. A mismatch is not trusted as a verdict: the request is judged
// again by re-signing it with the SDK's signer (resign), so a corner of
// canonicalization this code might get wrong can never turn away a client
// the SDK would accept. With Config.ConfirmSignatures (tests) every match
// is checked against the SDK's signature as well, so that the whole test
// suite holds the two to the same answer.

// fastSignature returns the signature of r as the client must have
// computed it, and false when r is outside what this code canonicalizes
// exactly (then the SDK's signer judges alone).
func (p *Pipeline) fastSignature(r *http.Request, a AuthHeader, secret, payloadHash string, signingTime time.Time) (string, bool) {
	// The SDK sorts and de-duplicates the names it signs; a client list in
	// another shape is for the SDK to judge.
	previous := ""
	for name := range a.signedHeaderNames() {
		if name <= previous {
			return "", false
		}
		previous = name
	}
	if r.URL.Opaque != "" {
		return "", false
	}
	var b strings.Builder
	b.Grow(512)
	b.WriteString(r.Method)
	b.WriteByte('\n')
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	if a.Service != "s3" { // S3 signs its path as sent; the others escape it again
		path = httpbinding.EscapePath(path, false)
	}
	b.WriteString(path)
	b.WriteByte('\n')
	if r.URL.RawQuery != "" {
		writeCanonicalQuery(&b, r.URL.Query())
	}
	b.WriteByte('\n')
	for name := range a.signedHeaderNames() {
		b.WriteString(name)
		b.WriteByte(':')
		switch name {
		case "host":
			host := r.Host
			if host == "" { // a request handed to the handler in process (the console's), as the SDK reads it
				host = r.URL.Host
			}
			b.WriteString(stripExcessSpaces(host))
		case "content-length":
			if r.ContentLength <= 0 {
				return "", false // the SDK signs no content-length then
			}
			b.WriteString(strconv.FormatInt(r.ContentLength, 10))
		case "expect", "authorization", "user-agent", "x-amzn-trace-id", "transfer-encoding":
			return "", false // headers the SDK never signs
		default:
			values := r.Header.Values(name)
			if len(values) == 0 {
				return "", false // a signed header that did not arrive
			}
			for i, v := range values {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(strings.TrimSpace(stripExcessSpaces(v)))
			}
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(a.SignedHeaders)
	b.WriteByte('\n')
	b.WriteString(payloadHash)

	canonicalHash := sha256.Sum256([]byte(b.String()))
	scope := a.Date + "/" + a.Region + "/" + a.Service + "/aws4_request"
	toSign := sigV4Algorithm + "\n" + signingTime.UTC().Format(amzDateFormat) + "\n" + scope + "\n" + hex.EncodeToString(canonicalHash[:])
	return p.signingKeys.key(secret, a.Date, a.Region, a.Service).sign(toSign), true
}

// writeCanonicalQuery writes the query's pairs sorted by encoded key, then
// encoded value, each part percent-encoded outside RFC 3986's unreserved set.
func writeCanonicalQuery(b *strings.Builder, query url.Values) {
	type pair struct{ key, value string }
	pairs := make([]pair, 0, len(query))
	for k, vs := range query {
		ek := encodeQueryComponent(k)
		for _, v := range vs {
			pairs = append(pairs, pair{ek, encodeQueryComponent(v)})
		}
	}
	slices.SortFunc(pairs, func(x, y pair) int {
		if c := strings.Compare(x.key, y.key); c != 0 {
			return c
		}
		return strings.Compare(x.value, y.value)
	})
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
}

func encodeQueryComponent(s string) string {
	const hexUpper = "0123456789ABCDEF"
	unreserved := func(c byte) bool {
		return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	out := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		if c := s[i]; unreserved(c) {
			out = append(out, c)
		} else {
			out = append(out, '%', hexUpper[c>>4], hexUpper[c&15])
		}
	}
	return string(out)
}

// stripExcessSpaces trims leading and trailing spaces and folds runs of
// spaces into one, as the SDK's signer does to signed header values.
func stripExcessSpaces(s string) string {
	s = strings.Trim(s, " ")
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteByte(s[i])
	}
	return b.String()
}

// signingKeys caches SigV4 signing keys: the four-HMAC derivation from the
// secret runs once per secret, day, region and service instead of on every
// request. A key is a function of those four alone, so the cache can never
// be stale; it is bounded by starting afresh when full.
type signingKeys struct {
	mu   sync.RWMutex
	keys map[signingScope]*signingKey
}

// signingScope is what a signing key is derived from: a struct, so that a
// lookup builds no string.
type signingScope struct{ secret, date, region, service string }

// signingKey is a derived key and the HMACs keyed with it, reset between
// requests: keying one anew hashed two blocks and allocated four times.
type signingKey struct {
	key  []byte
	macs sync.Pool // of hash.Hash
}

// sign is the hex HMAC-SHA256 of toSign under the key, by one of its
// pooled HMACs.
func (k *signingKey) sign(toSign string) string {
	mac, ok := k.macs.Get().(hash.Hash)
	if ok {
		mac.Reset()
	} else {
		mac = hmac.New(sha256.New, k.key)
	}
	mac.Write([]byte(toSign))
	var sum [sha256.Size]byte
	signature := hex.EncodeToString(mac.Sum(sum[:0]))
	k.macs.Put(mac)
	return signature
}

const maxSigningKeys = 1 << 14

func (sk *signingKeys) key(secret, date, region, service string) *signingKey {
	id := signingScope{secret, date, region, service}
	sk.mu.RLock()
	k, ok := sk.keys[id]
	sk.mu.RUnlock()
	if ok {
		return k
	}
	k = &signingKey{key: deriveSigningKey(secret, date, region, service)}
	sk.mu.Lock()
	if sk.keys == nil || len(sk.keys) >= maxSigningKeys {
		sk.keys = make(map[signingScope]*signingKey)
	}
	sk.keys[id] = k
	sk.mu.Unlock()
	return k
}

func deriveSigningKey(secret, date, region, service string) []byte {
	h := func(key []byte, data string) []byte {
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(data))
		return mac.Sum(nil)
	}
	return h(h(h(h([]byte("AWS4"+secret), date), region), service), "aws4_request")
}
