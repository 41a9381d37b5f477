package api

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rootaccess/emulator/pkg/api/pipeline"
)

// controlRoutes are the emulator's own endpoints (not AWS APIs), unsigned.
func (s *Server) controlRoutes(r chi.Router) {
	// JSON like every other control answer, not chi's plain-text defaults.
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		controlError(w, http.StatusNotFound, "no such control endpoint: "+r.URL.Path)
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		controlError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path)
	})
	r.Get("/health", s.controlHealth)
	r.Get("/clock", s.controlClock)
	r.Group(func(r chi.Router) {
		r.Use(s.requireControlToken)
		r.Post("/clock", s.controlMoveClock)
		r.Post("/scenario", s.controlScenario)
		r.Post("/reset", s.controlReset)
		r.Get("/info", s.controlInfo)
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

// requireControlToken guards the endpoints that change the world when a
// control token is configured, so that a sandbox's trainees cannot reset it.
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

// controlScenario applies the scenario in the body (see docs/scenarios.md)
// and answers what it created: account ids, root keys, bucket and queue names.
func (s *Server) controlScenario(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<20))
	if err != nil {
		controlError(w, http.StatusRequestEntityTooLarge, "a scenario may be at most 4 MiB")
		return
	}
	sc, err := ParseScenario(body)
	if err != nil {
		controlError(w, http.StatusBadRequest, errorMessage(err))
		return
	}
	result, err := s.ApplyScenario(r.Context(), sc)
	if err != nil {
		if e := pipeline.AsError(err); e != nil {
			controlError(w, e.Status, e.Message)
			return
		}
		s.log.Error("apply scenario", "error", err)
		controlError(w, http.StatusInternalServerError, "the scenario could not be applied")
		return
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
