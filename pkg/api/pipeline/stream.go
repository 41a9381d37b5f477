package pipeline

import (
	"errors"
	"io"
	"net/http"
	"time"
)

// Streamed bodies. A service may take some requests' bodies as a stream
// (S3's PutObject and UploadPart, up to 5 GiB) instead of having the
// pipeline read them into memory first (Service.StreamBody). Such a
// request is authenticated before its body is read: the signature covers
// the X-Amz-Content-Sha256 header, not the bytes, so the service must check
// the bytes against that header (or against aws-chunked chunk signatures)
// while it reads them, and refuse before it commits anything (see S3's
// payload reader).

// streamBody wraps a streamed request body so that it fails after idle
// without a byte or below minRate, as readBody does, and clears the read
// deadline once the body has been read to its end.
func streamBody(w http.ResponseWriter, r *http.Request, idle time.Duration, minRate int64) io.ReadCloser {
	rc := http.NewResponseController(w)
	return &streamedBody{deadlineReader: deadlineReader{r: r.Body, rc: rc, idle: idle, minRate: minRate}, closer: r.Body}
}

type streamedBody struct {
	deadlineReader
	closer io.Closer
}

func (b *streamedBody) Read(p []byte) (int, error) {
	n, err := b.deadlineReader.Read(p)
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
