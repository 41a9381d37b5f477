package api

import (
	"bytes"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
)

// The emulator's connection settings, applied to the http.Server that
// serves Handler (cmd/emulator's, apitest's) by ConfigureHTTPServer, and to
// its listener by Listener. Request bodies have their own idle timeout and
// minimum rate in the pipeline (WithBodyIdleTimeout, WithBodyMinRate).
const (
	// readHeaderTimeout bounds how long a client may take to send a
	// request's headers (a slowloris sends them a byte at a time).
	readHeaderTimeout = 10 * time.Second
	// readTimeout bounds the whole request read of the control endpoints;
	// the pipeline moves the deadline itself while it reads a body.
	readTimeout = time.Minute
	// idleTimeout closes a keep-alive connection that sends no new request.
	idleTimeout = 60 * time.Second
	// maxHeaderBytes is AWS's own limit on a request's headers (8 KiB on
	// S3) with room to spare for long presigned-looking queries.
	maxHeaderBytes = 64 << 10
	// descriptorReserve is what connection shedding leaves of the file
	// descriptor limit to everything else.
	descriptorReserve = 64
	// fallbackMaxConnections is the connection limit where the descriptor
	// limit is unknown.
	fallbackMaxConnections = 4096
)

// ConfigureHTTPServer gives hs the emulator's connection settings: header,
// read and idle timeouts, a header size limit, and connection shedding:
// beyond maxConns open connections (0: derived from the process's file
// descriptor limit), the connection idle longest, or waiting longest for
// its first request, is closed, so that a crowd of idle clients cannot
// keep a new one from being served. A ConnState hook already set on hs is
// kept.
func ConfigureHTTPServer(hs *http.Server, maxConns int) {
	hs.ReadHeaderTimeout = readHeaderTimeout
	hs.ReadTimeout = readTimeout
	hs.IdleTimeout = idleTimeout
	hs.MaxHeaderBytes = maxHeaderBytes
	if maxConns <= 0 {
		maxConns = defaultMaxConnections()
	}
	shed := &connShedder{max: maxConns, conns: map[net.Conn]*connEntry{}}
	next := hs.ConnState
	hs.ConnState = func(c net.Conn, st http.ConnState) {
		shed.track(c, st)
		if next != nil {
			next(c, st)
		}
	}
}

// connShedder counts open connections and closes the least useful one when
// there are too many.
type connShedder struct {
	max   int
	mu    sync.Mutex
	conns map[net.Conn]*connEntry
	seq   uint64 // orders state changes: the smallest is the oldest
}

type connEntry struct {
	state http.ConnState
	since uint64
}

// sheddableBefore says e should be closed before other: idle keep-alive
// connections before those yet to send a request, then the oldest.
func (e *connEntry) sheddableBefore(other *connEntry) bool {
	if idle := e.state == http.StateIdle; idle != (other.state == http.StateIdle) {
		return idle
	}
	return e.since < other.since
}

func (s *connShedder) track(c net.Conn, st http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	switch st {
	case http.StateClosed, http.StateHijacked:
		delete(s.conns, c)
		return
	case http.StateNew:
		s.conns[c] = &connEntry{state: st, since: s.seq}
	default:
		if e, ok := s.conns[c]; ok {
			e.state, e.since = st, s.seq
		}
	}
	if st != http.StateNew || len(s.conns) <= s.max {
		return
	}
	// One scan, only when over the limit: an idle keep-alive connection
	// first, else one that has not sent a request yet, oldest first. A
	// connection serving a request is never closed.
	var victim net.Conn
	var best *connEntry
	for conn, e := range s.conns {
		if conn != c && e.state != http.StateActive && (best == nil || e.sheddableBefore(best)) {
			victim, best = conn, e
		}
	}
	if victim != nil {
		delete(s.conns, victim)
		// Closed outside the lock's concerns: net/http sees its read fail
		// and reports StateClosed, which finds nothing left to delete.
		go victim.Close()
	}
}

// Listener wraps ln so that the answers net/http writes itself, for a
// request it cannot parse (an invalid escape in the path, a malformed
// header line), are S3's <Error> XML rather than plain text: such a
// request names no service, and S3 is the service that answers those.
func Listener(ln net.Listener) net.Listener { return s3EnvelopeListener{ln} }

type s3EnvelopeListener struct{ net.Listener }

func (l s3EnvelopeListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &s3EnvelopeConn{Conn: c}, nil
}

// s3EnvelopeConn rewrites net/http's own refusals. net/http writes them
// straight to the connection in one Write, as a status line followed by
// exactly plainRefusalHeaders, which no handler's answer has (those carry
// a Date header).
type s3EnvelopeConn struct {
	net.Conn
	mu sync.Mutex
	// requestLine is the first line of what was read after the last
	// answer: the request line of the request being refused. It is
	// gathered across reads until its CRLF (lineRead): net/http's
	// background read takes a request's first byte alone.
	requestLine []byte
	lineRead    bool
	answered    bool
}

// maxRequestLine bounds what is kept of a request line.
const maxRequestLine = 8 << 10

const plainRefusalHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

func (c *s3EnvelopeConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	if n > 0 && c.answered { // a new request: its line goes into the last one's array
		c.requestLine, c.lineRead, c.answered = c.requestLine[:0], false, false
	}
	if n > 0 && !c.lineRead {
		line, _, found := bytes.Cut(p[:n], []byte("\r\n"))
		c.requestLine = append(c.requestLine, line[:min(len(line), maxRequestLine-len(c.requestLine))]...)
		c.lineRead = found || len(c.requestLine) == maxRequestLine
	}
	c.mu.Unlock()
	return n, err
}

func (c *s3EnvelopeConn) Write(p []byte) (int, error) {
	status, _, ok := bytes.Cut(p, []byte("\r\n"))
	refusal := ok && bytes.HasPrefix(status, []byte("HTTP/1.1 ")) && bytes.HasPrefix(p[len(status):], []byte(plainRefusalHeaders))
	c.mu.Lock()
	c.answered = true
	var line []byte
	if refusal { // a copy: the next Read reuses the array
		line = bytes.Clone(c.requestLine)
	}
	c.mu.Unlock()
	if !refusal {
		return c.Conn.Write(p)
	}
	code, err := strconv.Atoi(string(status[len("HTTP/1.1 "):min(len(status), len("HTTP/1.1 ")+3)]))
	if err != nil {
		return c.Conn.Write(p)
	}
	if _, err := c.Conn.Write(s3Refusal(code, line)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// s3Refusal is the S3 answer to a request net/http refused with code.
func s3Refusal(code int, requestLine []byte) []byte {
	e := pipeline.NewError(code, "BadRequest", "An error occurred when parsing the HTTP request.")
	switch {
	case code == http.StatusRequestHeaderFieldsTooLarge:
		e = pipeline.NewError(http.StatusBadRequest, "RequestHeaderSectionTooLarge", "Your request header section exceeds the maximum allowed size.")
	case code == http.StatusNotImplemented:
		e = pipeline.NewError(code, "NotImplemented", "A header you provided implies functionality that is not implemented.")
	case code == http.StatusBadRequest && invalidRequestURI(requestLine):
		e = pipeline.NewError(code, "InvalidURI", "Couldn't parse the specified URI.")
	}
	id := pipeline.NewRequestID()
	var body bytes.Buffer
	pipeline.WriteRestXMLErrorBody(&body, id, e)
	var out bytes.Buffer
	out.WriteString("HTTP/1.1 " + strconv.Itoa(e.Status) + " " + http.StatusText(e.Status) + "\r\n")
	out.WriteString("Content-Type: application/xml\r\nContent-Length: " + strconv.Itoa(body.Len()) + "\r\n")
	out.WriteString("x-amz-request-id: " + id + "\r\nx-amz-id-2: " + id + "\r\nx-amzn-RequestId: " + id + "\r\n")
	out.WriteString("Connection: close\r\n\r\n")
	out.Write(body.Bytes())
	return out.Bytes()
}

// invalidRequestURI reports whether the request line's target is one Go
// cannot parse (an invalid %-escape, a control character).
func invalidRequestURI(line []byte) bool {
	_, rest, ok := bytes.Cut(line, []byte(" "))
	if !ok {
		return false
	}
	target, _, ok := bytes.Cut(rest, []byte(" "))
	if !ok {
		return false
	}
	_, err := url.ParseRequestURI(string(target))
	return err != nil
}
