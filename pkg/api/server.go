// Package api is the emulator's HTTP edge: it speaks the AWS wire protocols
// of STS, IAM, Organizations, S3 and SQS, authenticates every request with
// SigV4, authorizes it with IAM policy evaluation and turns store errors
// into each service's own AWS errors.
package api

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/go-chi/chi/v5"

	"github.com/rootaccess/emulator/pkg/store"
)

// Version is the emulator's version, reported by the health endpoint.
var Version = "0.1.0"

// Server serves the emulated AWS APIs over one store.
type Server struct {
	store     *store.Store
	clock     *Clock
	log       *slog.Logger
	ops       map[opKey]operation
	signer    *v4.Signer
	s3Signer  *v4.Signer
	skewLimit time.Duration
	// createAccountDelay is how long a CreateAccount request stays IN_PROGRESS.
	createAccountDelay time.Duration
	controlToken       string
	bodyLimit          int64
	objectLimit        int64
	// bodyIdleTimeout is how long a request body may pause before the
	// request fails with RequestTimeout.
	bodyIdleTimeout time.Duration
	// seed and startScenario make the world of a fresh data file, and again on Reset.
	seed          Seed
	startScenario *Scenario
}

// Option configures a Server.
type Option func(*Server)

// WithClock makes the server use clk (shared with the store) instead of a new wall clock.
func WithClock(clk *Clock) Option { return func(s *Server) { s.clock = clk } }

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithSkewLimit sets how far a request's X-Amz-Date may be from wall time
// (AWS allows 15 minutes); 0 switches the check off.
func WithSkewLimit(d time.Duration) Option { return func(s *Server) { s.skewLimit = d } }

// WithCreateAccountDelay sets how long CreateAccount stays IN_PROGRESS in emulated time.
func WithCreateAccountDelay(d time.Duration) Option {
	return func(s *Server) { s.createAccountDelay = d }
}

// WithControlToken requires the token (as "Authorization: Bearer <token>" or
// X-Emulator-Token) on the control endpoints that change the world.
func WithControlToken(token string) Option { return func(s *Server) { s.controlToken = token } }

// WithBodyIdleTimeout sets how long a request body may pause before the
// request fails with RequestTimeout (default 20 s, as S3).
func WithBodyIdleTimeout(d time.Duration) Option { return func(s *Server) { s.bodyIdleTimeout = d } }

// WithScenario applies sc after seeding a fresh data file, and after every Reset.
func WithScenario(sc Scenario) Option { return func(s *Server) { s.startScenario = &sc } }

// NewServer returns a server over st. The store should have been opened
// with the same clock's Now (store.WithNow(clk.Now)).
func NewServer(st *store.Store, opts ...Option) *Server {
	s := &Server{
		store:              st,
		clock:              NewClock(),
		log:                slog.New(slog.DiscardHandler),
		skewLimit:          15 * time.Minute,
		createAccountDelay: time.Second,
		bodyLimit:          1 << 20,
		objectLimit:        16 << 20,
		bodyIdleTimeout:    20 * time.Second,
	}
	for _, o := range opts {
		o(s)
	}
	s.signer, s.s3Signer = newSigners()
	s.ops = s.operations()
	return s
}

// Clock is the server's clock.
func (s *Server) Clock() *Clock { return s.clock }

// Store is the server's store.
func (s *Server) Store() *store.Store { return s.store }

// Handler returns the HTTP handler: control endpoints under /_emulator/ and
// every AWS service on all other paths.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(s.recoverPanic)
	r.Route("/_emulator", s.controlRoutes)
	// AWS requests are not routed by path: which service and operation a
	// request is for comes from its signature scope, X-Amz-Target or Action.
	r.HandleFunc("/*", s.serveAWS)
	r.HandleFunc("/", s.serveAWS)
	return r
}

// recoverPanic turns a panic into a 500 instead of a dropped connection.
func (s *Server) recoverPanic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "path", r.URL.Path, "panic", fmt.Sprint(v))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// newRequestID returns a random UUID-shaped request id.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Seeded reports whether the world has been initialized.
func (s *Server) Seeded(ctx context.Context) (bool, error) {
	ok := false
	err := s.store.View(ctx, func(tx *store.Tx) error { ok = tx.Initialized(); return nil })
	return ok, err
}
