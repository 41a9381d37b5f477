package pipeline

import (
	"errors"
	"io"
	"net/http"
	"time"
)

// Streamed bodies. A service may take some requests' bodies as a stream
// (S3's PutObject and UploadPart, up to 5 GiB) instead of having the
// pipeline read them into memory first. Such a request is authenticated
// before its body is read: the signature covers the X-Amz-Content-Sha256
// header, not the bytes, so the service must check the bytes against that
// header (or against aws-chunked chunk signatures) while it reads them,
// and refuse before it commits anything (see S3's payload reader).

// streamingService is the service that takes r's body as a stream, or nil
// when the body is to be read whole. Only a request signed for that
// service with its payload hash in X-Amz-Content-Sha256 streams: without
// the header, the canonical request needs the body's hash up front.
func (p *Pipeline) streamingService(r *http.Request) *Service {
	if r.Header.Get("X-Amz-Content-Sha256") == "" {
		return nil
	}
	name := signingServiceOf(r)
	for _, svc := range p.services {
		if svc.Name == name && svc.StreamBody != nil && svc.StreamBody(r) {
			return svc
		}
	}
	return nil
}

// streamBody wraps a streamed request body so that it fails after idle
// without a byte, as readBody does, and clears the read deadline once the
// body has been read to its end.
func streamBody(w http.ResponseWriter, r *http.Request, idle time.Duration) io.ReadCloser {
	return &streamedBody{idleReader: idleReader{r.Body, http.NewResponseController(w), idle}, closer: r.Body}
}

type streamedBody struct {
	idleReader
	closer io.Closer
}

func (b *streamedBody) Read(p []byte) (int, error) {
	n, err := b.idleReader.Read(p)
	if errors.Is(err, io.EOF) {
		b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

func (b *streamedBody) Close() error { return b.closer.Close() }

// IsTimeout reports whether err is a streamed body's read that passed the
// idle timeout (RequestTimeout to the client).
func IsTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}
