package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rootaccess/emulator/pkg/api/pipeline"
)

// controlPrefix is where the control endpoints live.
const controlPrefix = "/_emulator"

// controlEndpoint is one of the emulator's own endpoints; guarded ones need
// the control token when one is configured.
type controlEndpoint struct {
	method, path string
	guarded      bool
	handle       func(*Server, http.ResponseWriter, *http.Request)
}

// controlEndpoints is the one list the router and the not-found answer read.
var controlEndpoints = []controlEndpoint{
	{http.MethodGet, "/health", false, (*Server).controlHealth},
	// Every endpoint but health, reading ones too: a sandbox's trainees
	// should not learn the administrator's key from /info, nor its time.
	{http.MethodGet, "/clock", true, (*Server).controlClock},
	{http.MethodPost, "/clock", true, (*Server).controlMoveClock},
	{http.MethodPost, "/scenario", true, (*Server).controlScenario},
	{http.MethodPost, "/reset", true, (*Server).controlReset},
	{http.MethodGet, "/info", true, (*Server).controlInfo},
}

// controlEndpointList names every control endpoint, for the not-found
// answer; the operator's server also has the tenants' (tenants.go).
func (s *Server) controlEndpointList() string {
	names := make([]string, 0, len(controlEndpoints)+3)
	for _, e := range controlEndpoints {
		names = append(names, e.method+" "+controlPrefix+e.path)
	}
	if s.tenantID == "" {
		names = append(names, "GET and POST "+controlPrefix+"/tenants", "DELETE "+controlPrefix+"/tenants/ID",
			"and a tenant's own under "+controlPrefix+"/tenants/ID/")
	}
	return strings.Join(names, ", ")
}

// controlRoutes are the emulator's own endpoints (not AWS APIs), unsigned.
func (s *Server) controlRoutes(r chi.Router) {
	r.Use(s.logControlRequest)
	// JSON like every other control answer, not chi's plain-text defaults.
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		controlError(w, http.StatusNotFound, "no such control endpoint: "+r.URL.Path+"; the control endpoints are "+s.controlEndpointList())
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		controlError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path+"; the control endpoints are "+s.controlEndpointList())
	})
	for _, e := range controlEndpoints {
		handle := func(w http.ResponseWriter, r *http.Request) { e.handle(s, w, r) }
		if e.guarded {
			r.With(s.requireControlToken).MethodFunc(e.method, e.path, handle)
		} else {
			r.MethodFunc(e.method, e.path, handle)
		}
	}
}

// controlLoggedKey marks, in a control request's context, that an inner
// router logged it.
type controlLoggedKey struct{}

// logControlRequest logs every control request, so that a sandbox's
// trainer can tell who reset it or moved its clock: endpoint, method,
// status and remote address, never a token. The health check and clock
// reads, which probes poll, log at debug; refused tokens at warn.
func (s *Server) logControlRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A tenant's control request passes through the operator's router
		// and then the tenant's: only the innermost logs it, with the
		// tenant's logger.
		if logged, ok := r.Context().Value(controlLoggedKey{}).(*bool); ok {
			*logged = true
		}
		logged := false
		r = r.WithContext(context.WithValue(r.Context(), controlLoggedKey{}, &logged))
		// Not chi's middleware: importing it links net/http/pprof and expvar,
		// whose inits cost every start.
		ww := &pipeline.StatusWriter{ResponseWriter: w}
		next.ServeHTTP(ww, r)
		if logged {
			return
		}
		status := ww.Status
		if status == 0 {
			status = http.StatusOK
		}
		level := slog.LevelInfo
		switch {
		case status == http.StatusUnauthorized:
			level = slog.LevelWarn
		case status >= http.StatusInternalServerError:
			level = slog.LevelError
		case r.Method == http.MethodGet && (r.URL.Path == controlPrefix+"/health" || r.URL.Path == controlPrefix+"/clock"):
			level = slog.LevelDebug
		}
		msg := "control request"
		if status == http.StatusUnauthorized {
			msg = "control request refused: missing or wrong control token"
		}
		s.log.Log(r.Context(), level, msg, "endpoint", r.URL.Path, "method", r.Method, "status", status, "remote", r.RemoteAddr)
	})
}

func writeControlJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func controlError(w http.ResponseWriter, status int, msg string) {
	writeControlJSON(w, status, map[string]string{"error": msg})
}

// requireControlToken guards every control endpoint but health when a
// control token is configured, so that a sandbox's trainees can neither
// reset the world nor read its keys.
func (s *Server) requireControlToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.controlToken != "" {
			got := r.Header.Get("X-Emulator-Token")
			if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
				got = bearer
			}
			if !constantTimeEqual(got, s.controlToken) && (s.operatorToken == "" || !constantTimeEqual(got, s.operatorToken)) {
				controlError(w, http.StatusUnauthorized, "this endpoint needs the emulator's control token (Authorization: Bearer <token>)")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// healthState is the health endpoint's answer: services lists each service
// of the API table with its number of operations.
type healthState struct {
	Status   string         `json:"status"`
	Version  string         `json:"version"`
	Services map[string]int `json:"services"`
}

func (s *Server) controlHealth(w http.ResponseWriter, r *http.Request) {
	writeControlJSON(w, http.StatusOK, healthState{Status: "ok", Version: Version, Services: s.pipeline.Services()})
}

type clockState struct {
	Now           string  `json:"now"`
	OffsetSeconds float64 `json:"offset_seconds"`
}

func (s *Server) clockState() clockState {
	return clockState{Now: s.clock.Now().Format(time.RFC3339Nano), OffsetSeconds: s.clock.Offset().Seconds()}
}

func (s *Server) controlClock(w http.ResponseWriter, r *http.Request) {
	writeControlJSON(w, http.StatusOK, s.clockState())
}

// controlMoveClock moves emulated time: {"advance": "16m"} or
// {"advance_seconds": 960} or {"set": "2030-01-01T00:00:00Z"}. Time only
// moves forward.
func (s *Server) controlMoveClock(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Advance        string  `json:"advance"`
		AdvanceSeconds float64 `json:"advance_seconds"`
		Set            string  `json:"set"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
		controlError(w, http.StatusBadRequest, "body must be JSON: {\"advance\":\"16m\"}, {\"advance_seconds\":960} or {\"set\":\"<RFC 3339 time>\"}")
		return
	}
	switch {
	case req.Set != "":
		t, err := time.Parse(time.RFC3339Nano, req.Set)
		if err != nil {
			controlError(w, http.StatusBadRequest, "set must be an RFC 3339 time")
			return
		}
		if !s.clock.Set(t) {
			controlError(w, http.StatusConflict, "emulated time only moves forward; "+req.Set+" is in its past")
			return
		}
	case req.Advance != "":
		d, err := time.ParseDuration(req.Advance)
		if err != nil || d < 0 {
			controlError(w, http.StatusBadRequest, "advance must be a non-negative Go duration such as 90s or 16m")
			return
		}
		s.clock.Advance(d)
	case req.AdvanceSeconds > 0:
		s.clock.Advance(time.Duration(req.AdvanceSeconds * float64(time.Second)))
	default:
		controlError(w, http.StatusBadRequest, "give one of advance, advance_seconds or set")
		return
	}
	if err := s.store.SetClockOffset(r.Context(), s.clock.Offset()); err != nil {
		s.log.Error("save clock offset", "error", err)
		controlError(w, http.StatusInternalServerError, "the clock moved but its offset could not be saved")
		return
	}
	writeControlJSON(w, http.StatusOK, s.clockState())
}

func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// controlScenario applies the scenario in the body (see docs/scenarios.md),
// or with ?name=NAME the shipped scenario of that name, and answers what it
// created: account ids, root keys, bucket and queue names.
func (s *Server) controlScenario(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<20))
	if err != nil {
		controlError(w, http.StatusRequestEntityTooLarge, "a scenario may be at most 4 MiB")
		return
	}
	var sc Scenario
	if name := r.URL.Query().Get("name"); name != "" {
		if len(strings.TrimSpace(string(body))) > 0 {
			controlError(w, http.StatusBadRequest, "give a scenario in the body or a shipped one with ?name=, not both")
			return
		}
		if sc, err = ScenarioNamed(name); err != nil {
			controlError(w, http.StatusNotFound, err.Error())
			return
		}
	} else if sc, err = ParseScenario(body); err != nil {
		controlError(w, http.StatusBadRequest, errorMessage(err))
		return
	}
	result, err := s.ApplyScenario(r.Context(), sc)
	// A scenario is one transaction over what may be thousands of
	// accounts: give the memory it took back to the system now rather
	// than leave the process that large (forced GCs, milliseconds, on a
	// rare control call). Twice: most of it is bbolt's buffers of the
	// transaction's dirty pages (4 KiB each, 38 MiB for 10,000 accounts),
	// kept in a sync.Pool, which a first GC only moves to its victim
	// cache and a second frees.
	defer freeOSMemory()
	if err != nil {
		if e := pipeline.AsError(err); e != nil {
			controlError(w, e.Status, e.Message)
			return
		}
		s.log.Error("apply scenario", "error", err)
		controlError(w, http.StatusInternalServerError, "the scenario could not be applied")
		return
	}
	if result.AlreadyApplied {
		s.log.Info("scenario already applied: nothing changed", "scenario", result.Name)
	} else {
		s.log.Info("scenario applied", "scenario", result.Name, "accounts", len(result.Accounts))
	}
	writeControlJSON(w, http.StatusOK, result)
}

// controlReset empties the world and seeds it again.
func (s *Server) controlReset(w http.ResponseWriter, r *http.Request) {
	if err := s.Reset(r.Context()); err != nil {
		s.log.Error("reset", "error", err)
		controlError(w, http.StatusInternalServerError, "the world could not be reset")
		return
	}
	s.controlInfo(w, r)
}

// controlInfo tells the management account, its organization and the
// administrator's credentials.
func (s *Server) controlInfo(w http.ResponseWriter, r *http.Request) {
	info, err := s.Describe(r.Context())
	if err != nil {
		s.log.Error("describe world", "error", err)
		controlError(w, http.StatusInternalServerError, "the world could not be read")
		return
	}
	writeControlJSON(w, http.StatusOK, info)
}

// freeOSMemory returns to the system what a large transaction left: two
// forced GCs, the second for what sync.Pools kept through the first.
func freeOSMemory() {
	debug.FreeOSMemory()
	debug.FreeOSMemory()
}
