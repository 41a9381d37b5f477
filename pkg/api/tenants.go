package api

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/go-chi/chi/v5"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// Tenants are isolated worlds in one emulator, for training sandboxes: each
// has its own data file, clock, control token, management account,
// organization and administrator key. An AWS request belongs to the tenant
// of the access key that signed it, so nothing of one tenant is visible or
// reachable from another: a tenant's pipeline reads only its own store. The
// world the emulator starts with is the default tenant.
//
// A tenant is two files in the tenant directory: <id>.db (its bbolt world)
// and <id>.json (its seed, scenario and control token), written when it is
// created and read at start.

// DefaultTenantID names the world the emulator starts with.
const DefaultTenantID = "default"

// TenantSpec asks for a tenant; every member may be left out.
type TenantSpec struct {
	// ID names the tenant (1–63 lower-case letters, digits and hyphens);
	// generated when empty.
	ID string `json:"id,omitempty"`
	// ManagementAccountID is a fresh 12-digit id when empty.
	ManagementAccountID string `json:"management_account_id,omitempty"`
	// Organization creates an ALL-features organization (default true).
	Organization *bool `json:"organization,omitempty"`
	// AccessKeyID and SecretAccessKey are the administrator's key, generated
	// when empty. A key id must not exist in another tenant.
	AccessKeyID     string `json:"access_key_id,omitempty"`
	SecretAccessKey string `json:"secret_access_key,omitempty"`
	// ControlToken guards the tenant's own control endpoints; generated when empty.
	ControlToken string `json:"control_token,omitempty"`
	// Scenario is applied after seeding and after every reset of the tenant:
	// a scenario object (docs/scenarios.md), or a shipped scenario's name as
	// a JSON string ("locked-bucket"), whose content the tenant then keeps.
	Scenario json.RawMessage `json:"scenario,omitempty"`
}

// TenantInfo describes a tenant: what a trainer hands its trainee.
type TenantInfo struct {
	ID                  string          `json:"id"`
	ManagementAccountID string          `json:"management_account_id"`
	OrganizationID      string          `json:"organization_id,omitempty"`
	AccessKeyID         string          `json:"access_key_id"`
	SecretAccessKey     string          `json:"secret_access_key"`
	ControlToken        string          `json:"control_token,omitempty"`
	Scenario            *ScenarioResult `json:"scenario,omitempty"`
}

// tenantRecord is a tenant's <id>.json.
type tenantRecord struct {
	ID           string          `json:"id"`
	Seed         Seed            `json:"seed"`
	ControlToken string          `json:"control_token"`
	Scenario     json.RawMessage `json:"scenario,omitempty"`
}

type tenant struct {
	id     string
	record tenantRecord
	srv    *Server
	store  *store.Store
}

// tenantSet is the default world's registry of the other tenants.
type tenantSet struct {
	dir string
	mu  sync.RWMutex
	// byID holds every tenant but the default one.
	byID map[string]*tenant
	// byKey caches which tenant an access key belongs to (nil: the default
	// world). It is a routing hint, not a grant: the tenant's own pipeline
	// still authenticates the request against its own store.
	byKey map[string]*tenant
}

// WithTenantDir keeps tenants' data files in dir (created when the first
// tenant is). Without it the tenant endpoints answer 404.
func WithTenantDir(dir string) Option {
	return func(s *Server) {
		s.tenants = &tenantSet{dir: dir, byID: map[string]*tenant{}, byKey: map[string]*tenant{}}
		s.guardKeys = s.guardTenantKeys
	}
}

// guardTenantKeys refuses key ids that a world other than self's holds, and
// keeps the tenant set locked until release, so that two scenarios cannot
// both take one id.
func (s *Server) guardTenantKeys(ctx context.Context, self string, keyIDs []string) (func(), error) {
	s.tenants.mu.Lock()
	for _, key := range keyIDs {
		if owner := s.keyOwnerLocked(ctx, key); owner != "" && owner != self {
			s.tenants.mu.Unlock()
			return nil, tenantKeyTaken(key, owner)
		}
	}
	return s.tenants.mu.Unlock, nil
}

func tenantKeyTaken(key, owner string) *pipeline.Error {
	return tenantError(http.StatusConflict, fmt.Sprintf(
		"access key %s already exists in tenant %s: every key names one tenant, so tenants cannot share key ids (leave the id out to have one generated)", key, owner))
}

// Tenant ids and access key ids are checked by hand: as regexps, their
// bounded repetitions cost a fraction of a millisecond of every start.
var (
	tenantIDStart    = pipeline.NewCharClass("a-z0-9")
	tenantIDChars    = pipeline.NewCharClass("a-z0-9-")
	accessKeyIDChars = pipeline.NewCharClass("A-Za-z0-9_")
)

// isTenantID is ^[a-z0-9][a-z0-9-]{0,62}$.
func isTenantID(id string) bool {
	return id != "" && tenantIDStart.Has(id[0]) && tenantIDChars.Match(id[1:], 0, 62)
}

// isAccessKeyIDFormat is ^\w{1,128}$.
func isAccessKeyIDFormat(id string) bool { return accessKeyIDChars.Match(id, 1, 128) }

// openTenants opens every tenant recorded in the tenant directory.
func (s *Server) openTenants(ctx context.Context) error {
	if s.tenants == nil {
		return nil
	}
	paths, err := filepath.Glob(filepath.Join(s.tenants.dir, "*.json"))
	if err != nil {
		return err
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("tenant %s: %w", p, err)
		}
		var rec tenantRecord
		if err := json.Unmarshal(data, &rec); err != nil || !isTenantID(rec.ID) {
			return fmt.Errorf("tenant file %s is not a tenant record (move it away to start without it)", p)
		}
		t, _, err := s.startTenant(ctx, rec)
		if err != nil {
			return fmt.Errorf("tenant %s: %w", rec.ID, err)
		}
		s.tenants.byID[rec.ID] = t
	}
	return nil
}

// startTenant opens (or creates and seeds) a tenant's data file and builds
// its server with the default world's settings.
func (s *Server) startTenant(ctx context.Context, rec tenantRecord) (*tenant, *ScenarioResult, error) {
	clock := NewClock()
	st, err := store.Open(filepath.Join(s.tenants.dir, rec.ID+".db"), store.WithNow(clock.Now))
	if err != nil {
		return nil, nil, err
	}
	offset, err := st.ClockOffset(ctx)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	clock.Advance(offset)
	opts := []Option{WithClock(clock), WithLogger(s.log.With("tenant", rec.ID)), WithSkewLimit(s.skewLimit),
		WithCreateAccountDelay(s.createAccountDelay), WithBodyIdleTimeout(s.bodyIdleTimeout),
		WithControlToken(rec.ControlToken), withStoppingOf(s), WithRecording(s.recording), WithEventHistoryLimit(s.eventHistoryCap),
		WithTrailDeliveryInterval(s.deliveryInterval)}
	if len(rec.Scenario) > 0 {
		sc, err := ParseScenario(rec.Scenario)
		if err != nil {
			st.Close()
			return nil, nil, err
		}
		opts = append(opts, WithScenario(sc))
	}
	srv := NewServer(st, opts...)
	srv.operatorToken, srv.tenantID, srv.guardKeys = s.controlToken, rec.ID, s.guardKeys
	if _, err := srv.Initialize(ctx, rec.Seed); err != nil {
		srv.closeCloudTrail()
		st.Close()
		return nil, nil, err
	}
	return &tenant{id: rec.ID, record: rec, srv: srv, store: st}, srv.lastScenario, nil
}

// CreateTenant makes a new isolated world from spec.
func (s *Server) CreateTenant(ctx context.Context, spec TenantSpec) (TenantInfo, error) {
	if s.tenants == nil {
		return TenantInfo{}, tenantError(http.StatusNotFound, "this emulator keeps no tenants (it has no tenant directory)")
	}
	rec, err := s.tenantRecord(spec)
	if err != nil {
		return TenantInfo{}, err
	}
	var fixedKeys []string
	if len(rec.Scenario) > 0 {
		sc, err := ParseScenario(rec.Scenario)
		if err != nil {
			return TenantInfo{}, err
		}
		fixedKeys = sc.fixedAccessKeyIDs()
	}
	ts := s.tenants
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if _, taken := ts.byID[rec.ID]; taken || rec.ID == DefaultTenantID {
		return TenantInfo{}, tenantError(http.StatusConflict, "tenant "+rec.ID+" already exists")
	}
	for _, key := range append([]string{rec.Seed.AccessKeyID}, fixedKeys...) {
		if owner := s.keyOwnerLocked(ctx, key); owner != "" {
			return TenantInfo{}, tenantKeyTaken(key, owner)
		}
	}
	if err := os.MkdirAll(ts.dir, 0o700); err != nil {
		return TenantInfo{}, err
	}
	t, result, err := s.startTenant(ctx, rec)
	if err != nil {
		os.Remove(filepath.Join(ts.dir, rec.ID+".db"))
		if e := pipeline.AsError(err); e != nil {
			return TenantInfo{}, e
		}
		return TenantInfo{}, err
	}
	if err := writeTenantRecord(ts.dir, rec); err != nil {
		t.srv.closeCloudTrail()
		t.store.Close()
		os.Remove(filepath.Join(ts.dir, rec.ID+".db"))
		return TenantInfo{}, err
	}
	ts.byID[rec.ID] = t
	info, err := t.info(ctx)
	info.Scenario = result
	return info, err
}

// tenantRecord completes spec with generated values and checks it.
func (s *Server) tenantRecord(spec TenantSpec) (tenantRecord, error) {
	rec := tenantRecord{ID: spec.ID, ControlToken: spec.ControlToken, Scenario: spec.Scenario,
		Seed: Seed{ManagementAccountID: spec.ManagementAccountID, Organization: spec.Organization == nil || *spec.Organization,
			UserName: "admin", AccessKeyID: spec.AccessKeyID, SecretAccessKey: spec.SecretAccessKey}}
	if rec.ID == "" {
		rec.ID = "t-" + strings.ToLower(randomDigitsAndLetters(10))
	}
	if rec.Seed.ManagementAccountID == "" {
		rec.Seed.ManagementAccountID = randomAccountID()
	}
	if rec.Seed.AccessKeyID == "" {
		rec.Seed.AccessKeyID = "AKIA" + randomDigitsAndLetters(16)
	}
	if rec.Seed.SecretAccessKey == "" {
		rec.Seed.SecretAccessKey = store.NewSecretAccessKey()
	}
	if rec.ControlToken == "" {
		rec.ControlToken = randomDigitsAndLetters(32)
	}
	var name string
	if json.Unmarshal(spec.Scenario, &name) == nil {
		// Kept as content, not as a name: the tenant's world does not
		// change when another build ships another version of it.
		sc, err := ScenarioNamed(name)
		if err != nil {
			return rec, scenarioError("scenario: %v", err)
		}
		if rec.Scenario, err = json.Marshal(sc); err != nil {
			return rec, err
		}
	}
	switch {
	case !isTenantID(rec.ID):
		return rec, tenantError(http.StatusBadRequest, "id must be 1 to 63 lower-case letters, digits and hyphens, starting with a letter or digit")
	case !pipeline.AccountIDPattern.MatchString(rec.Seed.ManagementAccountID):
		return rec, tenantError(http.StatusBadRequest, "management_account_id must be 12 digits")
	case !isAccessKeyIDFormat(rec.Seed.AccessKeyID):
		return rec, tenantError(http.StatusBadRequest, "access_key_id must be 1 to 128 letters, digits or underscores")
	case len(rec.Seed.SecretAccessKey) < 8 || len(rec.Seed.SecretAccessKey) > 128:
		return rec, tenantError(http.StatusBadRequest, "secret_access_key must be 8 to 128 characters")
	case len(rec.ControlToken) < 8:
		return rec, tenantError(http.StatusBadRequest, "control_token must be at least 8 characters")
	}
	return rec, nil
}

// keyOwnerLocked names the tenant whose world holds the access key id, ""
// for none. The caller holds the set's lock.
func (s *Server) keyOwnerLocked(ctx context.Context, keyID string) string {
	if hasKey(ctx, s.store, keyID) {
		return DefaultTenantID
	}
	for id, t := range s.tenants.byID {
		if hasKey(ctx, t.store, keyID) {
			return id
		}
	}
	return ""
}

func hasKey(ctx context.Context, st *store.Store, keyID string) bool {
	_, err := st.Credential(ctx, keyID)
	return err == nil
}

// DeleteTenant stops a tenant and deletes its files.
func (s *Server) DeleteTenant(id string) error {
	if s.tenants == nil {
		return tenantError(http.StatusNotFound, "this emulator keeps no tenants")
	}
	if id == DefaultTenantID {
		return tenantError(http.StatusBadRequest, "the default tenant cannot be deleted; reset it with POST /_emulator/reset")
	}
	ts := s.tenants
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t, ok := ts.byID[id]
	if !ok {
		return tenantError(http.StatusNotFound, "no tenant "+id)
	}
	delete(ts.byID, id)
	for key, owner := range ts.byKey {
		if owner == t {
			delete(ts.byKey, key)
		}
	}
	return errors.Join(t.srv.closeCloudTrail(), t.store.Close(), os.Remove(filepath.Join(ts.dir, id+".json")), os.Remove(filepath.Join(ts.dir, id+".db")))
}

// Tenants lists every tenant, the default one first.
func (s *Server) Tenants(ctx context.Context) ([]TenantInfo, error) {
	def, err := s.Describe(ctx)
	if err != nil {
		return nil, err
	}
	out := []TenantInfo{{ID: DefaultTenantID, ManagementAccountID: def.ManagementAccountID, OrganizationID: def.OrganizationID,
		AccessKeyID: def.AccessKeyID, SecretAccessKey: def.SecretAccessKey}}
	if s.tenants == nil {
		return out, nil
	}
	s.tenants.mu.RLock()
	ids := slices.Sorted(func(yield func(string) bool) {
		for id := range s.tenants.byID {
			if !yield(id) {
				return
			}
		}
	})
	tenants := make([]*tenant, 0, len(ids))
	for _, id := range ids {
		tenants = append(tenants, s.tenants.byID[id])
	}
	s.tenants.mu.RUnlock()
	for _, t := range tenants {
		info, err := t.info(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

func (t *tenant) info(ctx context.Context) (TenantInfo, error) {
	w, err := t.srv.Describe(ctx)
	return TenantInfo{ID: t.id, ManagementAccountID: w.ManagementAccountID, OrganizationID: w.OrganizationID,
		AccessKeyID: w.AccessKeyID, SecretAccessKey: w.SecretAccessKey, ControlToken: t.record.ControlToken}, err
}

// tenantOf is the server an AWS request goes to: the tenant whose world
// holds the access key that signed it, else the default world (which then
// answers an unknown key as AWS does).
func (s *Server) tenantOf(r *http.Request) *Server {
	return s.worldOfKey(r.Context(), signingKeyID(r))
}

// worldOfKey is the server whose world holds the access key id, the
// default world when none does.
func (s *Server) worldOfKey(ctx context.Context, key string) *Server {
	ts := s.tenants
	if ts == nil || key == "" {
		return s
	}
	ts.mu.RLock()
	t, cached := ts.byKey[key]
	empty := len(ts.byID) == 0
	ts.mu.RUnlock()
	switch {
	case cached && t == nil, empty:
		return s
	case cached:
		return t.srv
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	// Keys are looked up once and remembered; a key in no world is not
	// remembered, so a key created later is found.
	if hasKey(ctx, s.store, key) {
		ts.byKey[key] = nil
		return s
	}
	for _, t := range ts.byID {
		if hasKey(ctx, t.store, key) {
			ts.byKey[key] = t
			return t.srv
		}
	}
	return s
}

// signingKeyID is the access key id a request is signed with (header or
// presigned query), "" for none.
func signingKeyID(r *http.Request) string {
	if a, ok := pipeline.ParseAuthorization(r.Header.Get("Authorization")); ok {
		return a.AccessKeyID
	}
	if cred := r.URL.Query().Get("X-Amz-Credential"); cred != "" {
		key, _, _ := strings.Cut(cred, "/")
		return key
	}
	return ""
}

// closeTenants closes every tenant's data file.
func (s *Server) closeTenants() error {
	if s.tenants == nil {
		return nil
	}
	s.tenants.mu.Lock()
	defer s.tenants.mu.Unlock()
	var errs []error
	for _, t := range s.tenants.byID {
		errs = append(errs, t.srv.closeCloudTrail(), t.store.Close())
	}
	return errors.Join(errs...)
}

// tenantRoutes are the control endpoints of tenants: the set (guarded by
// the emulator's control token) and each tenant's own world (guarded by its
// own token or the emulator's).
func (s *Server) tenantRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(s.requireControlToken)
		r.Get("/", s.controlListTenants)
		r.Post("/", s.controlCreateTenant)
		r.Delete("/{id}", s.controlDeleteTenant)
	})
	r.HandleFunc("/{id}/*", s.controlTenantWorld)
}

func (s *Server) controlListTenants(w http.ResponseWriter, r *http.Request) {
	tenants, err := s.Tenants(r.Context())
	if err != nil {
		s.log.Error("list tenants", "error", err)
		controlError(w, http.StatusInternalServerError, "the tenants could not be read")
		return
	}
	writeControlJSON(w, http.StatusOK, map[string]any{"tenants": tenants})
}

func (s *Server) controlCreateTenant(w http.ResponseWriter, r *http.Request) {
	var spec TenantSpec
	if r.ContentLength != 0 {
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&spec); err != nil {
			controlError(w, http.StatusBadRequest, "body must be a tenant: {\"id\":…,\"management_account_id\":…,\"organization\":true,\"access_key_id\":…,\"secret_access_key\":…,\"control_token\":…,\"scenario\":{…}}: "+err.Error())
			return
		}
	}
	info, err := s.CreateTenant(r.Context(), spec)
	if err != nil {
		if e := pipeline.AsError(err); e != nil {
			controlError(w, e.Status, e.Message)
			return
		}
		s.log.Error("create tenant", "error", err)
		controlError(w, http.StatusInternalServerError, "the tenant could not be created")
		return
	}
	s.log.Info("tenant created", "tenant", info.ID, "management_account", info.ManagementAccountID)
	writeControlJSON(w, http.StatusCreated, info)
}

func (s *Server) controlDeleteTenant(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	if err := s.DeleteTenant(id); err != nil {
		if e := pipeline.AsError(err); e != nil {
			controlError(w, e.Status, e.Message)
			return
		}
		s.log.Error("delete tenant", "tenant", id, "error", err)
		controlError(w, http.StatusInternalServerError, "the tenant could not be deleted")
		return
	}
	s.log.Info("tenant deleted", "tenant", id)
	w.WriteHeader(http.StatusNoContent)
}

// controlTenantWorld serves a tenant's own control endpoints (clock, reset,
// scenario, info) from its server, under /_emulator/tenants/{id}/.
func (s *Server) controlTenantWorld(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	target := s
	if id != DefaultTenantID {
		if s.tenants != nil {
			s.tenants.mu.RLock()
			t := s.tenants.byID[id]
			s.tenants.mu.RUnlock()
			if t != nil {
				target = t.srv
			}
		}
		if target == s {
			controlError(w, http.StatusNotFound, "no tenant "+id)
			return
		}
	}
	rest := "/" + chi.URLParam(r, "*")
	r2 := r.Clone(r.Context())
	r2.URL = &url.URL{Path: "/_emulator" + rest, RawQuery: r.URL.RawQuery}
	r2.RequestURI = ""
	r2 = r2.WithContext(context.WithValue(r2.Context(), chi.RouteCtxKey, chi.NewRouteContext()))
	target.controlRouter().ServeHTTP(w, r2)
}

// controlRouter is the server's own control endpoints alone, as tenants
// serve them under their prefix.
func (s *Server) controlRouter() http.Handler {
	s.controlOnce.Do(func() {
		r := chi.NewRouter()
		r.Route("/_emulator", s.controlRoutes)
		s.control = r
	})
	return s.control
}

func tenantError(status int, msg string) *pipeline.Error {
	return &pipeline.Error{Code: "InvalidTenant", Message: msg, Status: status}
}

const digitsAndCapitals = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randomDigitsAndLetters(n int) string {
	b := make([]byte, n)
	for i := range b {
		k, _ := rand.Int(rand.Reader, big.NewInt(int64(len(digitsAndCapitals))))
		b[i] = digitsAndCapitals[k.Int64()]
	}
	return string(b)
}

func randomAccountID() string {
	k, _ := rand.Int(rand.Reader, big.NewInt(9e11))
	return fmt.Sprintf("%012d", k.Int64()+1e11)
}

// writeTenantRecord writes <id>.json whole or not at all.
func writeTenantRecord(dir string, rec tenantRecord) error {
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, rec.ID+".json.tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, rec.ID+".json"))
}

// TenantsFile is what -tenants reads: tenants listed one by one, and/or a
// group of Count tenants named Prefix01, Prefix02, … made from one spec.
type TenantsFile struct {
	Tenants []TenantSpec `json:"tenants,omitempty"`
	Group   *struct {
		Count  int    `json:"count"`
		Prefix string `json:"prefix"`
		TenantSpec
	} `json:"group,omitempty"`
}

// ParseTenantsFile reads a tenants file; scenario members are scenario
// objects or shipped scenarios' names (the program reads scenario files
// before this: see IsScenarioPath).
func ParseTenantsFile(data []byte) ([]TenantSpec, error) {
	var f TenantsFile
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a tenants file ({\"tenants\":[…]} or {\"group\":{\"count\":20,\"prefix\":\"trainee-\",…}}): %w", err)
	}
	specs := f.Tenants
	if g := f.Group; g != nil {
		if g.Count < 1 || g.Count > 1000 || !isTenantID(g.Prefix+"1") {
			return nil, errors.New("group: count must be 1 to 1000 and prefix a valid tenant id start (lower-case letters, digits, hyphens)")
		}
		if g.ID != "" || g.AccessKeyID != "" || g.ManagementAccountID != "" {
			return nil, errors.New("group: id, access_key_id and management_account_id would be the same for every tenant; leave them out")
		}
		width := len(strconv.Itoa(g.Count))
		for i := 1; i <= g.Count; i++ {
			spec := g.TenantSpec
			spec.ID = fmt.Sprintf("%s%0*d", g.Prefix, max(width, 2), i)
			specs = append(specs, spec)
		}
	}
	for _, s := range specs {
		if s.ID == "" {
			return nil, errors.New("every tenant of a tenants file needs an id, so that a restart finds it again")
		}
	}
	return specs, nil
}

// EnsureTenants creates the tenants of specs that do not exist yet (by id),
// so that a tenants file can be given at every start.
func (s *Server) EnsureTenants(ctx context.Context, specs []TenantSpec) (created int, err error) {
	if s.tenants == nil {
		return 0, errors.New("tenants need a tenant directory")
	}
	for _, spec := range specs {
		s.tenants.mu.RLock()
		_, exists := s.tenants.byID[spec.ID]
		s.tenants.mu.RUnlock()
		if exists {
			continue
		}
		if _, err := s.CreateTenant(ctx, spec); err != nil {
			return created, fmt.Errorf("tenant %s: %w", spec.ID, err)
		}
		created++
	}
	return created, nil
}
