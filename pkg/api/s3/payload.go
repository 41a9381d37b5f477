package s3

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
)

// --- Payloads: a request body read as a stream, checked as it goes ---

// Values of X-Amz-Content-Sha256 that announce an aws-chunked body.
const (
	streamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	streamingSigned          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
)

// payload reads an S3 request's body (the pipeline's buffered Body, or the
// connection itself for a streamed upload) with any aws-chunked framing
// removed and every chunk signature verified as its chunk ends, while it
// hashes what it passes on: MD5 (the ETag, Content-MD5), SHA-256 when the
// signed X-Amz-Content-Sha256 of a streamed body must be checked, and the
// x-amz-checksum-* algorithm the request names in a header or announces as
// a trailer. Nothing it read is trusted until finish returns nil: callers
// write into uncommitted storage and commit only then.
type payload struct {
	src     io.Reader
	chunked *chunkedReader // nil for a plain body
	md5     hash.Hash
	sha256  hash.Hash // nil unless a streamed body's hash is to be checked
	wantSHA string
	sums    map[string]hash.Hash // by algorithm
	header  http.Header
	n       int64
	limit   int64
	err     error
}

// newPayload starts reading c's body; more than limit bytes is
// EntityTooLarge.
func (s *Service) newPayload(ctx context.Context, c *pipeline.Call, limit int64) (*payload, error) {
	h := c.R.Header
	p := &payload{md5: md5.New(), header: h, limit: limit, sums: map[string]hash.Hash{}}
	var raw io.Reader = bytes.NewReader(c.Body)
	if c.Streamed {
		raw = c.R.Body
	}
	mode := h.Get("X-Amz-Content-Sha256")
	chunked := strings.HasPrefix(mode, "STREAMING-") || strings.Contains(strings.ToLower(h.Get("Content-Encoding")), "aws-chunked")
	p.src = raw
	if chunked {
		var verifier *chunkVerifier
		switch mode {
		case streamingSigned, streamingSignedTrailer:
			v, err := s.newChunkVerifier(ctx, c)
			if err != nil {
				return nil, err
			}
			verifier = v
		case streamingUnsignedTrailer, pipeline.UnsignedPayload:
		default:
			if strings.HasPrefix(mode, "STREAMING-") {
				return nil, pipeline.NewError(http.StatusNotImplemented, "NotImplemented",
					"The x-amz-content-sha256 value %s is not implemented; use %s, %s or %s.",
					mode, streamingSigned, streamingSignedTrailer, streamingUnsignedTrailer)
			}
		}
		p.chunked = &chunkedReader{r: bufio.NewReaderSize(raw, 64<<10), v: verifier, mode: mode}
		p.src = p.chunked
	} else if c.Streamed && mode != pipeline.UnsignedPayload && mode != "" {
		// "" is a presigned upload's: its signature never covers the body.
		p.sha256, p.wantSHA = sha256.New(), mode
	}
	if v := h.Get("X-Amz-Decoded-Content-Length"); v != "" && chunked {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > limit {
			return nil, entityTooLarge(n, limit)
		}
	} else if c.R.ContentLength > limit && !chunked {
		return nil, entityTooLarge(c.R.ContentLength, limit)
	}
	names, err := announcedChecksums(h)
	if err != nil {
		return nil, err
	}
	for _, algo := range names {
		p.sums[algo] = checksumAlgorithms[algo]()
	}
	return p, nil
}

func entityTooLarge(size, limit int64) *pipeline.Error {
	e := pipeline.NewError(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
	e.Extra = map[string]string{"ProposedSize": strconv.FormatInt(size, 10), "MaxSizeAllowed": strconv.FormatInt(limit, 10)}
	return e
}

// announcedChecksums are the algorithms of the request's x-amz-checksum-*
// headers and of the checksum trailers its x-amz-trailer announces.
func announcedChecksums(h http.Header) ([]string, error) {
	var names []string
	for algo := range checksumAlgorithms {
		if h.Get("x-amz-checksum-"+strings.ToLower(algo)) != "" {
			names = append(names, algo)
		}
	}
	for t := range strings.SplitSeq(h.Get("X-Amz-Trailer"), ",") {
		if algo, ok := strings.CutPrefix(strings.ToLower(strings.TrimSpace(t)), "x-amz-checksum-"); ok {
			if _, known := checksumAlgorithms[strings.ToUpper(algo)]; known {
				names = append(names, strings.ToUpper(algo))
			}
		}
	}
	if len(names) > 1 {
		return nil, pipeline.NewError(http.StatusBadRequest, "InvalidRequest",
			"Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
	}
	return names, nil
}

func (p *payload) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.src.Read(b)
	if n > 0 {
		data := b[:n]
		p.md5.Write(data)
		if p.sha256 != nil {
			p.sha256.Write(data)
		}
		for _, h := range p.sums {
			h.Write(data)
		}
		p.n += int64(n)
		if p.n > p.limit {
			p.err = entityTooLarge(p.n, p.limit)
			return 0, p.err
		}
	}
	if err != nil && !errors.Is(err, io.EOF) {
		p.err = bodyReadError(err)
		return n, p.err
	}
	return n, err
}

// bodyReadError is how a failed read of the body reaches the client: the
// payload's own errors as they are, a body that stopped arriving as
// RequestTimeout, anything else (a connection cut short) as IncompleteBody.
func bodyReadError(err error) error {
	switch {
	case pipeline.AsError(err) != nil:
		return err
	case pipeline.IsTimeout(err):
		return pipeline.RequestTimeout(pipeline.ProtoRestXML)
	default:
		return incompleteBody("The request body ended before its declared length: " + err.Error())
	}
}

// readAll reads the whole (small, buffered) payload and finishes it.
func (p *payload) readAll() ([]byte, map[string]string, error) {
	data, err := io.ReadAll(p)
	if err != nil {
		return nil, nil, err
	}
	sums, err := p.finish()
	return data, sums, err
}

// etag is the quoted MD5 hex of what was read, as S3's ETag.
func (p *payload) etag() string { return `"` + hex.EncodeToString(p.md5.Sum(nil)) + `"` }

// finish checks, once the body has been read to its end, everything that
// could only be checked at the end: the decoded length, the signed
// payload hash, Content-MD5 and the checksum (header or trailer). It
// returns the verified checksums by algorithm.
func (p *payload) finish() (map[string]string, error) {
	h := p.header
	var trailers map[string]string
	if p.chunked != nil {
		if !p.chunked.done {
			return nil, incompleteBody("The aws-chunked body ended before its final chunk.")
		}
		trailers = p.chunked.trailerMap()
		if v := h.Get("X-Amz-Decoded-Content-Length"); v != "" {
			if n, err := strconv.ParseInt(v, 10, 64); err != nil || n != p.n {
				return nil, incompleteBody(fmt.Sprintf(
					"The decoded payload has %d bytes but x-amz-decoded-content-length says %s.", p.n, v))
			}
		}
	}
	if p.sha256 != nil && hex.EncodeToString(p.sha256.Sum(nil)) != strings.ToLower(p.wantSHA) {
		e := pipeline.AuthError(pipeline.ProtoRestXML, "s3", pipeline.AuthContentSHAMismatch)
		e.Extra = map[string]string{"ClientComputedContentSHA256": p.wantSHA,
			"S3ComputedContentSHA256": hex.EncodeToString(p.sha256.Sum(nil))}
		return nil, e
	}
	if v := h.Get("Content-MD5"); v != "" {
		want, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(want) != md5.Size {
			return nil, pipeline.NewError(http.StatusBadRequest, "InvalidDigest", "The Content-MD5 you specified was not valid.")
		}
		if got := p.md5.Sum(nil); !bytes.Equal(got, want) {
			e := pipeline.NewError(http.StatusBadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received.")
			e.Extra = map[string]string{"ExpectedDigest": v, "CalculatedDigest": base64.StdEncoding.EncodeToString(got)}
			return nil, e
		}
	}
	found := map[string]string{}
	for algo := range checksumAlgorithms {
		name := "x-amz-checksum-" + strings.ToLower(algo)
		if v, ok := trailers[name]; ok {
			found[algo] = v
		} else if v := h.Get(name); v != "" {
			found[algo] = v
		}
	}
	if len(found) > 1 {
		return nil, pipeline.NewError(http.StatusBadRequest, "InvalidRequest",
			"Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
	}
	for algo, v := range found {
		sum, ok := p.sums[algo]
		if !ok {
			return nil, pipeline.NewError(http.StatusBadRequest, "InvalidRequest",
				"The trailer x-amz-checksum-%s was not announced in x-amz-trailer.", strings.ToLower(algo))
		}
		want, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(want) != sum.Size() {
			return nil, pipeline.NewError(http.StatusBadRequest, "InvalidRequest",
				"Value for x-amz-checksum-%s header is invalid.", strings.ToLower(algo))
		}
		if !bytes.Equal(sum.Sum(nil), want) {
			return nil, pipeline.NewError(http.StatusBadRequest, "BadDigest", "The %s you specified did not match the calculated checksum.", algo)
		}
	}
	if len(found) == 0 {
		return nil, nil
	}
	return found, nil
}

// --- aws-chunked decoding and chunk signatures ---

// chunkVerifier checks the chain of chunk signatures of a signed
// aws-chunked body: each signs its data and the previous signature,
// starting from the request's (seed) signature.
type chunkVerifier struct {
	key           []byte
	amzDate       string
	scope         string
	prevSignature string
}

func (s *Service) newChunkVerifier(ctx context.Context, c *pipeline.Call) (*chunkVerifier, error) {
	a, ok := pipeline.ParseAuthorization(c.R.Header.Get("Authorization"))
	if !ok {
		return nil, pipeline.AuthError(pipeline.ProtoRestXML, "s3", pipeline.AuthIncomplete)
	}
	cred, err := s.store.Credential(ctx, c.ID.AccessKeyID)
	if err != nil {
		return nil, err
	}
	return &chunkVerifier{
		key:           signingKey(cred.SecretAccessKey, a.Date, a.Region, a.Service),
		amzDate:       c.R.Header.Get("X-Amz-Date"),
		scope:         a.Date + "/" + a.Region + "/" + a.Service + "/aws4_request",
		prevSignature: a.Signature,
	}, nil
}

// signingKey derives the SigV4 signing key.
func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "aws4_request")
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

var emptySHA256 = hex.EncodeToString(sha256.New().Sum(nil))

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// verifyChunk checks one chunk's signature (given the hex SHA-256 of its
// data) and moves the chain on.
func (v *chunkVerifier) verifyChunk(dataSHA256, signature string) error {
	return v.verify("AWS4-HMAC-SHA256-PAYLOAD\n"+v.amzDate+"\n"+v.scope+"\n"+v.prevSignature+"\n"+
		emptySHA256+"\n"+dataSHA256, signature)
}

// verifyTrailer checks the x-amz-trailer-signature over the other trailers.
func (v *chunkVerifier) verifyTrailer(trailers []chunkTrailer) error {
	var canonical strings.Builder
	signature := ""
	for _, t := range trailers {
		if t.name == "x-amz-trailer-signature" {
			signature = t.value
			continue
		}
		canonical.WriteString(t.name + ":" + t.value + "\n")
	}
	return v.verify("AWS4-HMAC-SHA256-TRAILER\n"+v.amzDate+"\n"+v.scope+"\n"+v.prevSignature+"\n"+
		sha256Hex([]byte(canonical.String())), signature)
}

func (v *chunkVerifier) verify(stringToSign, signature string) error {
	want := hex.EncodeToString(hmacSHA256(v.key, stringToSign))
	if !hmac.Equal([]byte(want), []byte(signature)) {
		return pipeline.AuthError(pipeline.ProtoRestXML, "s3", pipeline.AuthBadSignature)
	}
	v.prevSignature = signature
	return nil
}

// chunkTrailer is one trailing header of an aws-chunked body, in order.
type chunkTrailer struct{ name, value string }

// maxChunkLine bounds a chunk header or trailer line.
const maxChunkLine = 4096

// chunkedReader removes aws-chunked framing as it reads:
//
//	hex-size[;chunk-signature=sig]\r\n data \r\n … 0[;chunk-signature=sig]\r\n [name:value\r\n …] \r\n
//
// verifying each chunk's signature when v is not nil as soon as the chunk
// has been read (its data has then been passed on, but not committed).
// Any framing error is a client error; nothing here may panic on hostile
// input.
type chunkedReader struct {
	r        *bufio.Reader
	v        *chunkVerifier
	mode     string
	left     uint64    // bytes of the current chunk still to read
	sig      string    // the current chunk's signature
	sum      hash.Hash // SHA-256 of the current chunk, when signed
	inChunk  bool
	done     bool
	trailers []chunkTrailer
}

func (c *chunkedReader) Read(b []byte) (int, error) {
	for {
		if c.done {
			return 0, io.EOF
		}
		if !c.inChunk {
			if err := c.startChunk(); err != nil {
				return 0, err
			}
			continue
		}
		if c.left == 0 {
			if err := c.endChunk(); err != nil {
				return 0, err
			}
			continue
		}
		n, err := c.r.Read(b[:min(uint64(len(b)), c.left)])
		if n > 0 {
			c.left -= uint64(n)
			if c.sum != nil {
				c.sum.Write(b[:n])
			}
			return n, nil
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return 0, incompleteBody("The aws-chunked body has a malformed or truncated chunk.")
			}
			return 0, err
		}
	}
}

// readLine reads one CRLF-terminated line of at most maxChunkLine bytes.
func (c *chunkedReader) readLine() ([]byte, error) {
	line, err := c.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) || len(line) > maxChunkLine {
		return nil, incompleteBody("The aws-chunked body has a chunk header or trailer that is too long.")
	}
	if err != nil {
		return line, err
	}
	if !bytes.HasSuffix(line, []byte("\r\n")) {
		return nil, incompleteBody("The aws-chunked body has a line without its CRLF.")
	}
	return line[:len(line)-2], nil
}

func (c *chunkedReader) startChunk() error {
	line, err := c.readLine()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return incompleteBody("The aws-chunked body ended inside a chunk header.")
		}
		return err
	}
	sizeHex, ext, _ := strings.Cut(string(line), ";")
	size, perr := strconv.ParseUint(strings.TrimSpace(sizeHex), 16, 63)
	if perr != nil {
		return incompleteBody("The aws-chunked body has a malformed or truncated chunk.")
	}
	if c.v != nil {
		sig, found := strings.CutPrefix(strings.TrimSpace(ext), "chunk-signature=")
		if !found {
			return pipeline.AuthError(pipeline.ProtoRestXML, "s3", pipeline.AuthBadSignature)
		}
		c.sig, c.sum = sig, sha256.New()
	}
	c.left, c.inChunk = size, true
	if size == 0 {
		return c.finalChunk()
	}
	return nil
}

func (c *chunkedReader) endChunk() error {
	if c.v != nil {
		if err := c.v.verifyChunk(hex.EncodeToString(c.sum.Sum(nil)), c.sig); err != nil {
			return err
		}
	}
	var end [2]byte
	if _, err := io.ReadFull(c.r, end[:]); err != nil || end != [2]byte{'\r', '\n'} {
		return incompleteBody("The aws-chunked body has a chunk without its closing CRLF.")
	}
	c.inChunk = false
	return nil
}

// finalChunk verifies the empty final chunk and reads the trailers.
func (c *chunkedReader) finalChunk() error {
	if c.v != nil {
		if err := c.v.verifyChunk(emptySHA256, c.sig); err != nil {
			return err
		}
	}
	for {
		line, err := c.readLine()
		if errors.Is(err, io.EOF) {
			if len(line) == 0 {
				break // tolerate a missing final CRLF
			}
			line = bytes.TrimRight(line, "\r")
		} else if err != nil {
			return err
		}
		if len(line) == 0 {
			break
		}
		name, value, found := strings.Cut(string(line), ":")
		if !found {
			return incompleteBody("The aws-chunked body has a malformed trailer.")
		}
		c.trailers = append(c.trailers, chunkTrailer{strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)})
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if _, err := c.r.ReadByte(); err == nil {
		return incompleteBody("The aws-chunked body has data after its final chunk.")
	}
	switch {
	case c.mode == streamingSigned && len(c.trailers) > 0:
		// Unsigned trailers after signed chunks could be added in flight.
		return incompleteBody("The aws-chunked body has trailers, but x-amz-content-sha256 announces none.")
	case c.mode == streamingSignedTrailer && len(c.trailers) > 0:
		if err := c.v.verifyTrailer(c.trailers); err != nil {
			return err
		}
	}
	c.done = true
	return nil
}

func (c *chunkedReader) trailerMap() map[string]string {
	m := make(map[string]string, len(c.trailers))
	for _, t := range c.trailers {
		if t.name != "x-amz-trailer-signature" {
			m[t.name] = t.value
		}
	}
	return m
}

// --- Checksums ---

// The CRC tables are built on first use: building them at init cost
// every start a fraction of a millisecond, for requests few runs send.
var (
	crc32cTable    = sync.OnceValue(func() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) })
	crc64NVMETable = sync.OnceValue(func() *crc64.Table { return crc64.MakeTable(0x9a6c9329ac4bc9b5) }) // the NVMe polynomial, bit-reversed
)

// checksumAlgorithms are the x-amz-checksum-* algorithms the emulator
// verifies (S3's names). Others (the xxhash family) are neither verified
// nor kept.
var checksumAlgorithms = map[string]func() hash.Hash{
	"CRC32":     func() hash.Hash { return crc32.NewIEEE() },
	"CRC32C":    func() hash.Hash { return crc32.New(crc32cTable()) },
	"CRC64NVME": func() hash.Hash { return crc64.New(crc64NVMETable()) },
	"SHA1":      sha1.New,
	"SHA256":    sha256.New,
	"SHA512":    sha512.New,
	"MD5":       md5.New,
}
