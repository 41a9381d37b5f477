// Command emulator serves a local emulation of AWS centralized root access
// management (Organizations, IAM, STS, S3 and SQS) on one HTTP port, with
// its world kept in a bbolt file.
//
// The main flags can also be set in the environment (EMULATOR_ADDR,
// EMULATOR_DATA, EMULATOR_SCENARIO, EMULATOR_CONTROL_TOKEN,
// EMULATOR_PUBLIC_URL, EMULATOR_TENANT_DIR, EMULATOR_TENANTS,
// EMULATOR_NO_ORGANIZATION); a flag wins. `emulator -h` lists them,
// `emulator -version` prints the version and the commit it was built from.
// -scenario takes a shipped scenario's name (embedded; -h lists them) or a
// scenario file's path: a value with a slash or ending in .json is a path.
//
// Start-up binds the listen address first, then opens (or creates and
// seeds) the data file, so a start that cannot listen leaves no file
// behind. Every start-up failure is one line on stderr that names the
// path or address and the flag that changes it, and the exit status is 1
// (2 for bad flags). Once serving, it prints a banner on stdout: the
// endpoint, the data file, the world's management account, what it did
// with -scenario, whether a control token is set, how many tenants it
// holds, and `export` lines for a shell. Request logs go to stderr. On SIGINT or SIGTERM it stops
// accepting, lets requests in flight finish (10 s at most), closes the
// data file and logs each step; a second signal exits at once.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/rootaccess/emulator/pkg/api"
	"github.com/rootaccess/emulator/pkg/store"
)

// Defaults, documented in the README.
const (
	DefaultAddr = "127.0.0.1:4580"
	DefaultData = "emulator.db"
)

// shutdownTimeout is how long Close lets requests in flight finish.
const shutdownTimeout = 10 * time.Second

// buildCommit, when set with -ldflags "-X main.buildCommit=…" (the
// container build does, having no .git), is the commit -version reports
// if the Go toolchain did not stamp one.
var buildCommit string

func main() {
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	m := NewMain(os.Stdout)
	if err := m.ParseFlags(os.Args[1:], os.Getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "emulator:", err)
		os.Exit(2)
	}
	if m.Config.ShowVersion {
		fmt.Println(versionLine(debug.ReadBuildInfo()))
		os.Exit(0)
	}
	if m.Config.Healthcheck != "" {
		os.Exit(healthcheck(m.Config.Healthcheck))
	}
	stopProfile := func() {}
	if m.Config.CPUProfile != "" {
		var err error
		if stopProfile, err = startCPUProfile(m.Config.CPUProfile); err != nil {
			fmt.Fprintln(os.Stderr, "emulator:", err)
			os.Exit(2)
		}
	}
	if err := m.Run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "emulator:", err)
		os.Exit(1)
	}
	sig := <-signals
	m.log.Info("signal received: shutting down", "signal", sig.String())
	go func() {
		<-signals
		m.log.Warn("second signal: exiting without waiting for requests in flight")
		os.Exit(1)
	}()
	stopProfile()
	if err := m.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "emulator:", err)
		os.Exit(1)
	}
}

// Config is the emulator's configuration from flags and environment.
type Config struct {
	Addr               string
	Data               string
	Seed               api.Seed
	LogLevel           slog.Level
	ControlToken       string
	CreateAccountDelay time.Duration
	SkewLimit          time.Duration
	// TrailDeliveryInterval is how often logging CloudTrail trails get their log files.
	TrailDeliveryInterval time.Duration
	// EventHistoryLimit caps each account's CloudTrail event history.
	EventHistoryLimit int
	// NoRecording switches CloudTrail recording off (cmd/loadtest measures its cost).
	NoRecording bool
	// Scenario is a scenario file applied to a fresh data file and on reset.
	Scenario string
	// PublicURL, when set, is the endpoint the banner tells clients to use:
	// behind a port mapping (a container) the listen address is not it.
	PublicURL string
	// TenantDir holds the tenants' data files; empty means Data + ".tenants".
	TenantDir string
	// Tenants is a tenants file (docs/sandboxes.md) whose missing tenants
	// are created at start.
	Tenants string
	// Healthcheck, when set, makes the program GET this URL and exit 0 on
	// 200 instead of serving: the container image has no curl.
	Healthcheck string
	// ShowVersion makes the program print its version and exit.
	ShowVersion bool
	// CPUProfile, when set, is a file that gets a CPU profile of the run,
	// written when the emulator stops (for the load harness, cmd/loadtest).
	CPUProfile string
}

// Main is the running program: wiring that tests can run on ":0".
type Main struct {
	Config   Config
	Store    *store.Store
	Server   *api.Server
	listener net.Listener
	http     *http.Server
	out      io.Writer
	// logOut receives the log (stderr); tests capture it.
	logOut io.Writer
	log    *slog.Logger
	done   chan struct{}
	// purged is closed when the expired-session purge has stopped.
	purged chan struct{}
	// seeded, scenarioLabel and scenarioNote are what Run did, for the banner.
	seeded         bool
	scenarioLabel  string
	scenarioNote   string
	tenantsCreated int
}

// NewMain returns a Main with the default configuration that prints its
// banner (and -h) to out and logs to stderr.
func NewMain(out io.Writer) *Main {
	return &Main{out: out, logOut: os.Stderr, log: slog.New(slog.DiscardHandler),
		Config: Config{Addr: DefaultAddr, Data: DefaultData, Seed: api.DefaultSeed(),
			LogLevel: slog.LevelInfo, CreateAccountDelay: time.Second, SkewLimit: 15 * time.Minute,
			TrailDeliveryInterval: 5 * time.Second, EventHistoryLimit: 100_000}}
}

// usageIntro is what -h says before the flags.
const usageIntro = `emulator serves a local emulation of AWS centralized root access management:
Organizations, IAM, STS (AssumeRoot and its five task policies), S3 and SQS on
one HTTP port, every request SigV4-verified and authorized by IAM policy, the
world kept in a bbolt data file across restarts. Point the AWS CLI or an SDK at
it with --endpoint-url (or AWS_ENDPOINT_URL) and the key the banner prints.

Docs: README.md (walkthrough, configuration, control endpoints) and docs/ in
the source of module github.com/rootaccess/emulator; for Go tests,
go doc github.com/rootaccess/emulator/pkg/api/apitest

Usage: emulator [flags]

Flags (a flag wins over its environment variable):
`

// ParseFlags reads the environment (EMULATOR_*), then flags, which win.
// With -h it prints the usage to the Main's output and returns flag.ErrHelp.
func (m *Main) ParseFlags(args []string, getenv func(string) string) error {
	c := &m.Config
	if v := getenv("EMULATOR_ADDR"); v != "" {
		c.Addr = v
	}
	if v := getenv("EMULATOR_DATA"); v != "" {
		c.Data = v
	}
	if v := getenv("EMULATOR_SCENARIO"); v != "" {
		c.Scenario = v
	}
	if v := getenv("EMULATOR_PUBLIC_URL"); v != "" {
		c.PublicURL = v
	}
	if v := getenv("EMULATOR_TENANT_DIR"); v != "" {
		c.TenantDir = v
	}
	if v := getenv("EMULATOR_TENANTS"); v != "" {
		c.Tenants = v
	}
	if v := getenv("EMULATOR_NO_ORGANIZATION"); v == "1" || v == "true" {
		c.Seed.Organization = false
	}
	fs := flag.NewFlagSet("emulator", flag.ContinueOnError)
	// The flag package would print the whole usage after every mistake:
	// a mistake gets one line (see the error below), -h the usage.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen `host:port`; 0.0.0.0:PORT listens on all interfaces (env EMULATOR_ADDR)")
	fs.StringVar(&c.Data, "data", c.Data, "bbolt data `file`; created and seeded if new or empty (env EMULATOR_DATA)")
	fs.StringVar(&c.Seed.ManagementAccountID, "account-id", c.Seed.ManagementAccountID, "management account `id` of a fresh data file")
	fs.StringVar(&c.Seed.AccessKeyID, "access-key", c.Seed.AccessKeyID, "access key `id` of the administrator user of a fresh data file")
	fs.StringVar(&c.Seed.SecretAccessKey, "secret-key", c.Seed.SecretAccessKey, "secret access `key` of the administrator user of a fresh data file")
	noOrg := fs.Bool("no-organization", !c.Seed.Organization, "start a fresh data file with no organization, for CreateOrganization (env EMULATOR_NO_ORGANIZATION=1)")
	// Its environment variable is read after parsing, so that -h never shows the token as a default.
	fs.StringVar(&c.ControlToken, "control-token", c.ControlToken, "`token` that every /_emulator endpoint but health then requires (env EMULATOR_CONTROL_TOKEN)")
	fs.DurationVar(&c.CreateAccountDelay, "create-account-delay", c.CreateAccountDelay, "how long CreateAccount stays IN_PROGRESS")
	fs.DurationVar(&c.SkewLimit, "skew-limit", c.SkewLimit, "allowed difference between a request's X-Amz-Date and the wall clock; 0 disables the check")
	fs.DurationVar(&c.TrailDeliveryInterval, "trail-delivery-interval", c.TrailDeliveryInterval, "how often logging CloudTrail trails get their log files (also on shutdown); 0: only on shutdown")
	fs.BoolVar(&c.NoRecording, "no-cloudtrail", c.NoRecording, "record no CloudTrail events (for measuring what recording costs; event history and trails stay empty)")
	fs.IntVar(&c.EventHistoryLimit, "event-history-limit", c.EventHistoryLimit, "CloudTrail events each account keeps (oldest dropped first; 90 days at most)")
	fs.StringVar(&c.Scenario, "scenario", c.Scenario, "scenario applied to a fresh data file and on every reset, by `name-or-file`: a shipped one's name ("+
		strings.Join(api.ScenarioNames(), ", ")+"), or a scenario JSON file's path (a path has a / or ends in .json: ./NAME for a file NAME here; docs/scenarios.md; env EMULATOR_SCENARIO)")
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "the endpoint `URL` the banner gives clients, when it is not the listen address (a container's published port; env EMULATOR_PUBLIC_URL)")
	fs.StringVar(&c.TenantDir, "tenant-dir", c.TenantDir, "`directory` of the tenants' data files (default: the data file's name + .tenants; env EMULATOR_TENANT_DIR)")
	fs.StringVar(&c.Tenants, "tenants", c.Tenants, "tenants `file` whose missing tenants are created at start (docs/sandboxes.md; env EMULATOR_TENANTS)")
	fs.StringVar(&c.Healthcheck, "healthcheck", "", "GET this health `URL`, exit 0 if it answers 200, and do not serve (for container health checks)")
	fs.BoolVar(&c.ShowVersion, "version", false, "print the version and the commit it was built from, and exit")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write a CPU profile of the run to this `file` when the emulator stops (for cmd/loadtest)")
	logLevel := fs.String("log-level", "info", "log `level`: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(m.out, usageIntro)
			fs.SetOutput(m.out)
			fs.PrintDefaults()
			return err
		}
		return fmt.Errorf("%w (emulator -h lists the flags)", err)
	}
	tokenFlag := false
	fs.Visit(func(f *flag.Flag) { tokenFlag = tokenFlag || f.Name == "control-token" })
	if v := getenv("EMULATOR_CONTROL_TOKEN"); v != "" && !tokenFlag {
		c.ControlToken = v
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s (emulator -h lists the flags)", strings.Join(fs.Args(), " "))
	}
	c.Seed.Organization = !*noOrg
	if err := c.LogLevel.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level %q: use debug, info, warn or error", *logLevel)
	}
	if len(c.Seed.ManagementAccountID) != 12 || strings.Trim(c.Seed.ManagementAccountID, "0123456789") != "" {
		return fmt.Errorf("-account-id must be 12 digits, got %q", c.Seed.ManagementAccountID)
	}
	if c.Seed.AccessKeyID == "" || c.Seed.SecretAccessKey == "" {
		return errors.New("-access-key and -secret-key must not be empty")
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("listen address %q is not host:port (e.g. 127.0.0.1:4580): set it with -addr or EMULATOR_ADDR", c.Addr)
	}
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		return fmt.Errorf("-public-url %q must start with http:// or https://", c.PublicURL)
	}
	return nil
}

// Run binds the listen address, opens the data file, seeds it if new, and
// starts serving in the background. The listener comes first so that a
// start that cannot listen neither creates nor seeds a data file.
func (m *Main) Run(ctx context.Context) error {
	c := m.Config
	m.log = slog.New(slog.NewTextHandler(m.logOut, &slog.HandlerOptions{Level: c.LogLevel}))
	opts := []api.Option{api.WithLogger(m.log), api.WithSkewLimit(c.SkewLimit),
		api.WithCreateAccountDelay(c.CreateAccountDelay), api.WithControlToken(c.ControlToken),
		api.WithTrailDeliveryInterval(c.TrailDeliveryInterval), api.WithEventHistoryLimit(c.EventHistoryLimit),
		api.WithRecording(!c.NoRecording)}
	var scenario *api.Scenario
	if c.Scenario != "" {
		sc, err := readStartScenario(c.Scenario)
		if err != nil {
			return err
		}
		scenario = &sc
		opts = append(opts, api.WithScenario(sc))
	}
	tenantDir := c.TenantDir
	if tenantDir == "" {
		tenantDir = c.Data + ".tenants"
	}
	opts = append(opts, api.WithTenantDir(tenantDir))
	var tenants []api.TenantSpec
	if c.Tenants != "" {
		var err error
		if tenants, err = readTenantsFile(c.Tenants); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return listenError(c.Addr, err)
	}
	clock := api.NewClock()
	st, err := store.Open(c.Data, store.WithNow(clock.Now))
	if err != nil {
		ln.Close()
		return dataFileError(c.Data, err)
	}
	m.Store = st
	fail := func(err error) error {
		ln.Close()
		st.Close()
		return err
	}
	// Emulated time never runs backwards, not even across a restart.
	offset, err := st.ClockOffset(ctx)
	if err != nil {
		return fail(fmt.Errorf("data file %s: %w", c.Data, err))
	}
	clock.Advance(offset)
	m.Server = api.NewServer(st, append(opts, api.WithClock(clock))...)
	m.seeded, err = m.Server.Initialize(ctx, c.Seed)
	if err != nil {
		return fail(fmt.Errorf("seed %s: %w", c.Data, err))
	}
	if len(tenants) > 0 {
		if m.tenantsCreated, err = m.Server.EnsureTenants(ctx, tenants); err != nil {
			return fail(fmt.Errorf("tenants file %s: %w", c.Tenants, err))
		}
	}
	info, err := m.Server.Describe(ctx)
	if err != nil {
		return fail(fmt.Errorf("data file %s: %w", c.Data, err))
	}
	if scenario != nil {
		m.scenarioLabel = scenarioLabel(c.Scenario, *scenario)
		if m.scenarioNote, err = m.startScenarioNote(ctx, *scenario, info); err != nil {
			return fail(fmt.Errorf("data file %s: %w", c.Data, err))
		}
	}
	m.listener = ln
	m.http = &http.Server{Handler: m.Server.Handler(), ErrorLog: slog.NewLogLogger(m.log.Handler(), slog.LevelWarn)}
	api.ConfigureHTTPServer(m.http, 0)
	m.http.RegisterOnShutdown(m.Server.BeginShutdown) // long polls answer rather than hold Shutdown up
	m.done = make(chan struct{})
	go func() {
		defer close(m.done)
		if err := m.http.Serve(api.Listener(ln)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Error("serve", "error", err)
		}
	}()
	m.purged = make(chan struct{})
	go func() { defer close(m.purged); m.purgeExpiredSessions(clock) }()
	m.printBanner(info)
	return nil
}

// readStartScenario reads -scenario: a shipped scenario's name, or a
// scenario file's path (api.IsScenarioPath tells which).
func readStartScenario(value string) (api.Scenario, error) {
	if !api.IsScenarioPath(value) {
		sc, err := api.ScenarioNamed(value)
		if err == nil {
			return sc, nil
		}
		hint := ""
		if _, statErr := os.Stat(value); statErr == nil {
			hint = fmt.Sprintf("; for the file %s here, write -scenario ./%s", value, value)
		}
		return api.Scenario{}, fmt.Errorf("-scenario %s: no shipped scenario has that name: give one of %s, or a scenario file's path (with a / or ending in .json)%s",
			value, strings.Join(api.ScenarioNames(), ", "), hint)
	}
	data, err := os.ReadFile(value)
	if err != nil {
		return api.Scenario{}, fmt.Errorf("cannot read scenario file %s: %v: give a scenario file's path, or a shipped scenario's name (%s), with -scenario or EMULATOR_SCENARIO",
			value, reason(err), strings.Join(api.ScenarioNames(), ", "))
	}
	sc, err := api.ParseScenario(data)
	if err != nil {
		return api.Scenario{}, fmt.Errorf("scenario file %s: %w (docs/scenarios.md describes the format)", value, err)
	}
	return sc, nil
}

// scenarioLabel names the start scenario in the banner: what -scenario
// said, and the scenario's own name when a file gives it one.
func scenarioLabel(value string, sc api.Scenario) string {
	switch {
	case !api.IsScenarioPath(value):
		return value + " (shipped, embedded in the program)"
	case sc.Name != "":
		return fmt.Sprintf("%s (named %s)", value, sc.Name)
	}
	return value
}

// readTenantsFile reads a tenants file; a tenant's "scenario" may be a
// scenario object, a shipped scenario's name, or a scenario file's path
// (api.IsScenarioPath tells which), relative to the tenants file's
// directory.
func readTenantsFile(path string) ([]api.TenantSpec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read tenants file %s: %v: give a tenants file with -tenants or EMULATOR_TENANTS (docs/sandboxes.md)", path, reason(err))
	}
	specs, err := api.ParseTenantsFile(data)
	if err != nil {
		return nil, fmt.Errorf("tenants file %s: %w", path, err)
	}
	for i, spec := range specs {
		var name string
		if json.Unmarshal(spec.Scenario, &name) != nil || !api.IsScenarioPath(name) {
			continue // an object, none, or a shipped scenario's name, which the server resolves
		}
		if !filepath.IsAbs(name) {
			name = filepath.Join(filepath.Dir(path), name)
		}
		sc, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("tenants file %s: tenant %s: cannot read scenario file %s: %v", path, spec.ID, name, reason(err))
		}
		specs[i].Scenario = sc
	}
	return specs, nil
}

// reason is an error without the path an *fs.PathError repeats.
func reason(err error) error {
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return pathErr.Err
	}
	return err
}

// listenError says why addr cannot be bound and how to choose another.
func listenError(addr string, err error) error {
	const fix = "choose another address with -addr host:port or EMULATOR_ADDR"
	var why error = err
	var sysErr *os.SyscallError
	var opErr *net.OpError
	if errors.As(err, &sysErr) {
		why = sysErr.Err
	} else if errors.As(err, &opErr) {
		why = opErr.Err
	}
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("cannot listen on %s: the address is already in use (another emulator?): %s", addr, fix)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("cannot listen on %s: permission denied (ports below 1024 need privileges): %s", addr, fix)
	}
	return fmt.Errorf("cannot listen on %s: %v: %s", addr, why, fix)
}

// dataFileError turns a store.Open failure into one line that names the
// file once and says what to do.
func dataFileError(path string, err error) error {
	const elsewhere = "-data PATH or EMULATOR_DATA"
	dir := filepath.Dir(path)
	_, statErr := os.Stat(path)
	exists := statErr == nil
	switch {
	case errors.Is(err, store.ErrBadDataFile):
		return fmt.Errorf("%v. It was left untouched: move it away (mv %s %s.bad) to start fresh, or choose another file with %s",
			err, path, path, elsewhere)
	case errors.Is(err, store.ErrDataFileLocked):
		return fmt.Errorf("%v: stop the other emulator, or choose another file with %s", err, elsewhere)
	case errors.Is(err, syscall.EISDIR):
		return fmt.Errorf("data file %s is a directory: give a file path with %s", path, elsewhere)
	case (errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)) && exists:
		return fmt.Errorf("data file %s is not writable (%v): make it writable, or choose another file with %s",
			path, reason(err), elsewhere)
	case errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS):
		return fmt.Errorf("cannot create data file %s: directory %s is not writable (%v): choose a writable place with %s",
			path, dir, reason(err), elsewhere)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("cannot create data file %s: directory %s does not exist: create it, or choose another place with %s",
			path, dir, elsewhere)
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return fmt.Errorf("data file %s: %v: choose another file with %s", path, pathErr.Err, elsewhere)
	}
	if !strings.Contains(err.Error(), path) {
		return fmt.Errorf("data file %s: %w", path, err)
	}
	return err
}

// startScenarioNote says what Run did with the -scenario: applied it to a
// fresh data file, or found a world seeded before, which it keeps. A
// named scenario's record in the world tells whether an earlier start
// applied it (and which version); for an unnamed one, its member accounts
// being in the world do.
func (m *Main) startScenarioNote(ctx context.Context, sc api.Scenario, info api.WorldInfo) (string, error) {
	const reapply = "POST /_emulator/reset (or a new -data file) applies it"
	if m.seeded {
		return "applied now, to the fresh data file", nil
	}
	if sc.Name != "" {
		applied, same, err := m.Server.ScenarioAppliedContent(ctx, sc)
		switch {
		case err != nil:
			return "", err
		case applied && same:
			return "already applied on an earlier start (a named scenario applies once: nothing changed); POST /_emulator/reset applies it afresh", nil
		case applied:
			return fmt.Sprintf("not applied: another version of scenario %s was applied on an earlier start and is kept; %s", sc.Name, reapply), nil
		}
		return "not applied: the data file was seeded on an earlier start without it and is kept as it is; " + reapply, nil
	}
	present := map[string]bool{}
	for _, a := range info.Accounts {
		present[a.ID] = true
		present[strings.ToLower(a.Email)] = true
	}
	members, found := 0, 0
	for _, a := range sc.Accounts {
		if a.Management {
			continue
		}
		members++
		email := a.Email
		if email == "" {
			email = a.Name + "@example.com"
		}
		if (a.ID != "" && present[a.ID]) || (a.ID == "" && present[strings.ToLower(email)]) {
			found++
		}
	}
	if members > 0 && found == members {
		return "already applied on an earlier start (its accounts are in the data file); POST /_emulator/reset applies it afresh", nil
	}
	return "not applied: the data file was seeded on an earlier start and is kept as it is; " + reapply, nil
}

// sessionRetention is how long an expired session is kept so that its
// holder gets ExpiredToken rather than an unknown-key error.
const sessionRetention = 24 * time.Hour

// purgeExpiredSessions keeps the data file from growing with dead sessions:
// at start and then hourly it deletes those expired for over a day of
// emulated time. It stops when the server does.
func (m *Main) purgeExpiredSessions(clock *api.Clock) {
	ticker := time.NewTicker(time.Hour)
	defer ticker.Stop()
	for {
		n, err := m.Store.PurgeExpiredCredentials(context.Background(), clock.Now().Add(-sessionRetention))
		if err != nil {
			m.log.Warn("purge expired sessions", "error", err)
		} else if n > 0 {
			m.log.Info("purged expired sessions", "count", n)
		}
		select {
		case <-ticker.C:
		case <-m.done:
			return
		}
	}
}

// URL is the endpoint clients on this machine should use: the listen
// address, or loopback when it listens on all interfaces (a client cannot
// connect to 0.0.0.0 or [::] everywhere).
func (m *Main) URL() string { return localURL(m.Config.Addr, m.listener.Addr().String()) }

// localURL is the URL for a listener asked for addr and bound at bound.
// Go reports a listener on 0.0.0.0 as [::] (one dual-stack socket), so
// what was asked decides between 127.0.0.1 and localhost.
func localURL(addr, bound string) string {
	_, port, _ := net.SplitHostPort(bound)
	if allInterfaces(addr) {
		if host, _, _ := net.SplitHostPort(addr); strings.Contains(host, ":") {
			return "http://localhost:" + port
		}
		return "http://127.0.0.1:" + port
	}
	return "http://" + bound
}

// allInterfaces reports whether a listener asked for addr takes connections on every interface.
func allInterfaces(addr string) bool {
	host, _, _ := net.SplitHostPort(addr)
	ip := net.ParseIP(host)
	return host == "" || (ip != nil && ip.IsUnspecified())
}

// containerMarkers are the files Docker and Podman put in a container.
var containerMarkers = []string{"/.dockerenv", "/run/.containerenv"}

// inContainer reports whether the program runs in a container.
func inContainer() bool {
	for _, marker := range containerMarkers {
		if _, err := os.Stat(marker); err == nil {
			return true
		}
	}
	return false
}

func (m *Main) printBanner(info api.WorldInfo) {
	endpoint := m.URL()
	var where string
	switch {
	case m.Config.PublicURL != "":
		endpoint = strings.TrimSuffix(m.Config.PublicURL, "/")
		where = fmt.Sprintf(" (listening on %s)", m.listener.Addr())
	case allInterfaces(m.Config.Addr) && inContainer():
		_, port, _ := net.SplitHostPort(m.listener.Addr().String())
		where = fmt.Sprintf(" (inside this container)\n  from the host:       the host port published for container port %s (docker run -p HOSTPORT:%s,"+
			" compose's EMULATOR_PORT); set EMULATOR_PUBLIC_URL to print it here", port, port)
	case allInterfaces(m.Config.Addr):
		where = fmt.Sprintf(" (listening on all interfaces, %s)", m.listener.Addr())
	}
	data := m.Config.Data + " (existing world kept)"
	if m.seeded {
		data = m.Config.Data + " (new: seeded now)"
	}
	token := "none (the /_emulator endpoints are open to anyone who reaches the port)"
	if m.Config.ControlToken != "" {
		token = "set (every /_emulator endpoint but health requires it)"
	}
	scenario := "none"
	if m.Config.Scenario != "" {
		scenario = m.scenarioLabel + ": " + m.scenarioNote
	}
	tenants := "none besides the default world (POST /_emulator/tenants adds one: docs/sandboxes.md)"
	if list, err := m.Server.Tenants(context.Background()); err == nil && len(list) > 1 {
		tenants = fmt.Sprintf("%d besides the default world", len(list)-1)
		if m.tenantsCreated > 0 {
			tenants += fmt.Sprintf(", %d created now from %s", m.tenantsCreated, m.Config.Tenants)
		}
		tenants += " (GET /_emulator/tenants lists their keys and tokens)"
	}
	fmt.Fprintf(m.out, `AWS root access management emulator %s
  endpoint:            %s%s
  data file:           %s
  management account:  %s
  organization:        %s
  scenario:            %s
  control token:       %s
  tenants:             %s
  try:                 aws --endpoint-url %s sts get-caller-identity

In a shell (AWS CLI v1 ignores AWS_ENDPOINT_URL for sqs: give it --endpoint-url):
  export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  export AWS_ENDPOINT_URL=%s
  unset AWS_SESSION_TOKEN
`, api.Version, endpoint, where, data, info.ManagementAccountID, orNone(info.OrganizationID), scenario, token, tenants,
		endpoint, shellQuote(info.AccessKeyID), shellQuote(info.SecretAccessKey), endpoint)
}

// shellQuote quotes s for a POSIX shell when it needs it (a -secret-key may hold anything).
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=_-.") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// Close stops serving (letting requests in flight finish, for up to
// shutdownTimeout) and closes the data file, logging each step.
func (m *Main) Close() error {
	var errs []error
	if m.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := m.http.Shutdown(ctx); err != nil {
			m.log.Warn("requests still in flight were cut off", "after", shutdownTimeout)
			errs = append(errs, m.http.Close())
		} else {
			m.log.Info("stopped serving: requests in flight finished")
		}
		<-m.done
	}
	if m.purged != nil {
		<-m.purged // the purge uses the store: it ends before the store closes
	}
	if m.Server != nil {
		errs = append(errs, m.Server.Close()) // the tenants' data files, if any
	}
	if m.Store != nil {
		if err := m.Store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close data file %s: %w", m.Config.Data, err))
		} else {
			m.log.Info("data file closed", "path", m.Config.Data)
		}
	}
	return errors.Join(errs...)
}

// versionLine is what -version prints: the emulator's version, the commit
// the binary was built from (the Go toolchain's VCS stamp, or buildCommit)
// or "unknown", and the Go version.
func versionLine(info *debug.BuildInfo, ok bool) string {
	commit, modified, goVersion := "", false, "unknown Go"
	if ok {
		goVersion = info.GoVersion
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if commit == "" {
		commit = buildCommit
	}
	if commit == "" {
		commit = "unknown"
	} else if modified {
		commit += " (with uncommitted changes)"
	}
	line := fmt.Sprintf("emulator %s, commit %s, %s", api.Version, commit, goVersion)
	if ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		line += ", module " + info.Main.Path + "@" + info.Main.Version
	}
	return line
}

// healthcheck returns the exit code for a GET of url: 0 when it answers 200.
func healthcheck(url string) int {
	client := http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "emulator: healthcheck:", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "emulator: healthcheck: status", resp.Status)
		return 1
	}
	return 0
}
