package awsapi

import (
	"bytes"
	"net/http"
)

// recorder collects the handler's answer to an in-process request.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// statusCode is the answer's status: 200 when the handler wrote none.
func (r *recorder) statusCode() int {
	r.WriteHeader(http.StatusOK)
	return r.status
}
