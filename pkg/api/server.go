// Package api assembles the emulator: it builds the request pipeline
// (package pipeline) from the services (sts, iam, organizations, s3, sqs:
// one package each), serves the control endpoints under /_emulator, and
// builds worlds (seed, scenarios, reset) through pkg/store and the
// services' exported validators.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/rootaccess/emulator/pkg/api/cloudtrail"
	"github.com/rootaccess/emulator/pkg/api/iam"
	"github.com/rootaccess/emulator/pkg/api/organizations"
	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/api/s3"
	"github.com/rootaccess/emulator/pkg/api/sqs"
	"github.com/rootaccess/emulator/pkg/api/sts"
	"github.com/rootaccess/emulator/pkg/console"
	"github.com/rootaccess/emulator/pkg/store"
)

// Version is the emulator's version, reported by the health endpoint.
var Version = "0.1.0"

// Server serves the emulated AWS APIs over one store: the pipeline with
// every service's operations, and the emulator's control endpoints.
type Server struct {
	store     *store.Store
	clock     *Clock
	log       *slog.Logger
	pipeline  *pipeline.Pipeline
	skewLimit time.Duration
	// confirmSignatures: see WithSignatureConfirmation.
	confirmSignatures bool
	// createAccountDelay is how long a CreateAccount request stays IN_PROGRESS.
	createAccountDelay time.Duration
	controlToken       string
	// bodyIdleTimeout is how long a request body may pause before the
	// request fails with RequestTimeout.
	bodyIdleTimeout time.Duration
	// bodyMinRate is the slowest average rate (bytes/s) a body may arrive at.
	bodyMinRate int64
	// seed and startScenario make the world of a fresh data file, and again on Reset.
	seed          Seed
	startScenario *Scenario

	// CloudTrail: whether calls are recorded, how much event history an
	// account keeps, and how often logging trails get their log files.
	recording        bool
	eventHistoryCap  int
	deliveryInterval time.Duration
	audit            *pipeline.Recorder
	trails           *cloudtrail.Service
	stopDelivery     chan struct{}
	deliveryDone     chan struct{}
	closeOnce        sync.Once
	// lastScenario is what the start scenario created when it last ran.
	lastScenario *ScenarioResult
	// tenants are the other isolated worlds (WithTenantDir); nil keeps none.
	tenants *tenantSet
	// operatorToken is the emulator's control token, which a tenant's
	// control endpoints accept as well as the tenant's own.
	operatorToken string
	// tenantID names this server's world among the tenants, and guardKeys
	// (set when there are tenants) refuses access key ids that another
	// tenant's world holds; it holds the tenant set until release is called.
	tenantID    string
	guardKeys   func(ctx context.Context, self string, keyIDs []string) (release func(), err error)
	controlOnce sync.Once
	control     http.Handler
	// stopping is closed by BeginShutdown; tenants share their emulator's.
	stopping     chan struct{}
	stoppingOnce *sync.Once
}

// Clock is the emulator's only source of "now" (see pipeline.Clock).
type Clock = pipeline.Clock

// NewClock returns a clock that follows the wall clock until moved.
func NewClock() *Clock { return pipeline.NewClock() }

// OperationInfo describes one row of the API table.
type OperationInfo = pipeline.OperationInfo

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

// WithBodyMinRate sets the slowest average rate, in bytes per second, a
// request body may arrive at once the body idle timeout has passed
// (default 4 KiB/s); 0 switches the check off.
func WithBodyMinRate(bytesPerSecond int64) Option {
	return func(s *Server) { s.bodyMinRate = bytesPerSecond }
}

// WithScenario applies sc after seeding a fresh data file, and after every Reset.
func WithScenario(sc Scenario) Option { return func(s *Server) { s.startScenario = &sc } }

// WithSignatureConfirmation sets whether every request that passes the
// fast SigV4 check is confirmed by re-signing it with the SDK's signer (see
// pipeline.Config.ConfirmSignatures). On by default in test binaries only;
// benchmarks switch it off to measure what the emulator runs.
func WithSignatureConfirmation(on bool) Option { return func(s *Server) { s.confirmSignatures = on } }

// WithRecording switches CloudTrail recording on (the default) or off.
func WithRecording(on bool) Option { return func(s *Server) { s.recording = on } }

// WithEventHistoryLimit caps the events an account's event history keeps
// (oldest dropped first; default 100 000); history also ends 90 days back.
func WithEventHistoryLimit(n int) Option { return func(s *Server) { s.eventHistoryCap = n } }

// WithTrailDeliveryInterval sets how often logging trails get their log
// files (default 5 s); 0 delivers only on Close and DeliverTrailLogs.
func WithTrailDeliveryInterval(d time.Duration) Option {
	return func(s *Server) { s.deliveryInterval = d }
}

// NewServer returns a server over st. The store should have been opened
// with the same clock's Now (store.WithNow(clk.Now)).
func NewServer(st *store.Store, opts ...Option) *Server {
	s := &Server{
		store:              st,
		clock:              NewClock(),
		log:                slog.New(slog.DiscardHandler),
		skewLimit:          15 * time.Minute,
		createAccountDelay: time.Second,
		bodyIdleTimeout:    20 * time.Second,
		confirmSignatures:  testing.Testing(),
		bodyMinRate:        4 << 10,
		recording:          true,
		eventHistoryCap:    100_000,
		deliveryInterval:   5 * time.Second,
	}
	for _, o := range opts {
		o(s)
	}
	if s.tenantID == "" {
		s.tenantID = DefaultTenantID
	}
	if s.stopping == nil {
		s.stopping, s.stoppingOnce = make(chan struct{}), new(sync.Once)
	}
	d := pipeline.Deps{Store: s.store, Clock: s.clock, Log: s.log, Stopping: s.stopping}
	if s.recording {
		s.audit = pipeline.NewRecorder(s.store, s.log, pipeline.RecorderConfig{
			Limits: store.EventLimits{MaxPerAccount: s.eventHistoryCap, Retention: cloudtrail.HistoryRetention}})
		d.Audit = s.audit
	}
	s.trails = cloudtrail.New(d)
	s.pipeline = pipeline.New(d, pipeline.Config{SkewLimit: s.skewLimit, BodyLimit: 1 << 20, BodyIdleTimeout: s.bodyIdleTimeout,
		ConfirmSignatures: s.confirmSignatures, BodyMinRate: s.bodyMinRate},
		operations(d, s.createAccountDelay, s.trails))
	s.stopDelivery, s.deliveryDone = make(chan struct{}), make(chan struct{})
	go s.deliverTrailLogs()
	return s
}

// deliverTrailLogs writes logging trails' log files every delivery interval until Close.
func (s *Server) deliverTrailLogs() {
	defer close(s.deliveryDone)
	if s.deliveryInterval <= 0 {
		<-s.stopDelivery
		return
	}
	tick := time.NewTicker(s.deliveryInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.stopDelivery:
			return
		case <-tick.C:
			if _, err := s.DeliverTrailLogs(context.Background()); err != nil {
				s.log.Warn("deliver CloudTrail log files", "error", err)
			}
		}
	}
}

// DeliverTrailLogs commits the batched CloudTrail records and writes every
// logging trail's waiting records into its bucket now; it returns how many
// log files it wrote.
func (s *Server) DeliverTrailLogs(ctx context.Context) (int, error) {
	return s.trails.DeliverLogs(ctx)
}

// FlushRecords commits the batched CloudTrail records (reads' and refused
// calls'), which are otherwise committed within a second.
func (s *Server) FlushRecords(ctx context.Context) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.Flush(ctx)
}

// closeCloudTrail stops trail delivery, then commits the batched records
// and delivers what trails have waiting, before the store closes.
func (s *Server) closeCloudTrail() error {
	var err error
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		close(s.stopDelivery)
		<-s.deliveryDone
		_, err = s.DeliverTrailLogs(ctx)
		if s.audit != nil {
			err = errors.Join(err, s.audit.Close(ctx))
		}
	})
	return err
}

// operations is the API: every service's rows of the one operation table
// that routing, authorization, health and the model-coverage test read.
// Each service lists its rows in its own operations (service.go).
func operations(d pipeline.Deps, createAccountDelay time.Duration, trails *cloudtrail.Service) []pipeline.Operation {
	return slices.Concat(
		sts.New(d).Operations(),
		iam.New(d).Operations(),
		organizations.New(d, createAccountDelay).Operations(),
		s3.New(d).Operations(),
		sqs.New(d).Operations(),
		trails.Operations(),
	)
}

// Operations lists the API table, ordered by service and name: what the
// emulator serves, for the model-coverage test and the docs.
func (s *Server) Operations() []OperationInfo { return s.pipeline.Operations() }

// Clock is the server's clock.
func (s *Server) Clock() *Clock { return s.clock }

// Store is the server's store.
func (s *Server) Store() *store.Store { return s.store }

// controlNamespace is the emulator's own namespace. No S3 request is lost
// to it: a bucket name starts with a letter or a digit, never "_".
const controlNamespace = controlPrefix + "/"

// Handler returns the HTTP handler: the control endpoints under
// /_emulator/, the web console under /_console, and every AWS service on
// all other paths, whatever the method: an unknown method, or /_emulator
// without its slash, is an AWS request, answered in the envelope of the
// service it is for (S3's <Error> when it names none).
func (s *Server) Handler() http.Handler {
	control := chi.NewRouter()
	control.Route(controlPrefix, func(r chi.Router) {
		s.controlRoutes(r)
		r.Route("/tenants", s.tenantRoutes)
	})
	// The web console lives under /_console (no S3 bucket name starts with
	// "_"); a browser that opens the root page is sent there. It is built
	// (its templates parsed) on its first request: most runs never open it,
	// and parsing them was about a third of the start-up work after the
	// package inits.
	con := sync.OnceValue(s.newConsole)
	// AWS requests are not routed by path: which service and operation a
	// request is for comes from its signature scope, X-Amz-Target or Action.
	return s.recoverPanic(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch path := r.URL.Path; {
		case strings.HasPrefix(path, controlNamespace):
			control.ServeHTTP(w, r)
		case path == console.Prefix || strings.HasPrefix(path, console.Prefix+"/"):
			con().ServeHTTP(w, r)
		case path == "/" && isBrowserVisit(r):
			http.Redirect(w, r, console.Prefix+"/", http.StatusSeeOther)
		default:
			s.serveAWS(w, r)
		}
	}))
}

// serveAWS hands an AWS request to the pipeline of the world it belongs to:
// the tenant of the key that signed it.
func (s *Server) serveAWS(w http.ResponseWriter, r *http.Request) {
	s.tenantOf(r).pipeline.ServeHTTP(w, r)
}

// BeginShutdown makes requests that wait (SQS long polls), in every
// tenant, answer at once: call it before http.Server.Shutdown, which waits
// for requests in flight (http.Server.RegisterOnShutdown does).
func (s *Server) BeginShutdown() { s.stoppingOnce.Do(func() { close(s.stopping) }) }

// withStoppingOf makes a tenant's server stop waiting when parent does.
func withStoppingOf(parent *Server) Option {
	return func(s *Server) { s.stopping, s.stoppingOnce = parent.stopping, parent.stoppingOnce }
}

// Close closes the tenants' data files; the caller closes the default
// world's store, which it opened.
func (s *Server) Close() error { return errors.Join(s.closeCloudTrail(), s.closeTenants()) }

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

// Seeded reports whether the world has been initialized.
func (s *Server) Seeded(ctx context.Context) (bool, error) {
	ok := false
	err := s.store.View(ctx, func(tx *store.Tx) error { ok = tx.Initialized(); return nil })
	return ok, err
}
