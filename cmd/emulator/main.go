// Command emulator serves a local emulation of AWS centralized root access
// management (Organizations, IAM, STS, S3 and SQS) on one HTTP port, with
// its world kept in a bbolt file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
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

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := NewMain(os.Stdout)
	if err := m.ParseFlags(os.Args[1:], os.Getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "emulator:", err)
		os.Exit(2)
	}
	if m.Config.Healthcheck != "" {
		os.Exit(healthcheck(m.Config.Healthcheck))
	}
	if err := m.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "emulator:", err)
		os.Exit(1)
	}
	<-ctx.Done()
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
	// Scenario is a scenario file applied to a fresh data file and on reset.
	Scenario string
	// Healthcheck, when set, makes the program GET this URL and exit 0 on
	// 200 instead of serving: the container image has no curl.
	Healthcheck string
}

// Main is the running program: wiring that tests can run on ":0".
type Main struct {
	Config   Config
	Store    *store.Store
	Server   *api.Server
	listener net.Listener
	http     *http.Server
	out      io.Writer
	done     chan struct{}
}

// NewMain returns a Main with the default configuration that prints its banner to out.
func NewMain(out io.Writer) *Main {
	return &Main{out: out, Config: Config{Addr: DefaultAddr, Data: DefaultData, Seed: api.DefaultSeed(),
		LogLevel: slog.LevelInfo, CreateAccountDelay: time.Second, SkewLimit: 15 * time.Minute,
		TrailDeliveryInterval: 5 * time.Second, EventHistoryLimit: 100_000}}
}

// ParseFlags reads the environment (EMULATOR_*), then flags, which win.
func (m *Main) ParseFlags(args []string, getenv func(string) string) error {
	c := &m.Config
	if v := getenv("EMULATOR_ADDR"); v != "" {
		c.Addr = v
	}
	if v := getenv("EMULATOR_DATA"); v != "" {
		c.Data = v
	}
	if v := getenv("EMULATOR_CONTROL_TOKEN"); v != "" {
		c.ControlToken = v
	}
	if v := getenv("EMULATOR_SCENARIO"); v != "" {
		c.Scenario = v
	}
	if v := getenv("EMULATOR_NO_ORGANIZATION"); v == "1" || v == "true" {
		c.Seed.Organization = false
	}
	fs := flag.NewFlagSet("emulator", flag.ContinueOnError)
	fs.SetOutput(m.out)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address host:port (env EMULATOR_ADDR)")
	fs.StringVar(&c.Data, "data", c.Data, "bbolt data file; created and seeded if new (env EMULATOR_DATA)")
	fs.StringVar(&c.Seed.ManagementAccountID, "account-id", c.Seed.ManagementAccountID, "management account id of a fresh data file")
	fs.StringVar(&c.Seed.AccessKeyID, "access-key", c.Seed.AccessKeyID, "access key id of the administrator user of a fresh data file")
	fs.StringVar(&c.Seed.SecretAccessKey, "secret-key", c.Seed.SecretAccessKey, "secret access key of the administrator user of a fresh data file")
	noOrg := fs.Bool("no-organization", !c.Seed.Organization, "start a fresh data file with no organization, for CreateOrganization (env EMULATOR_NO_ORGANIZATION=1)")
	fs.StringVar(&c.ControlToken, "control-token", c.ControlToken, "token that every /_emulator endpoint but health then requires (env EMULATOR_CONTROL_TOKEN)")
	fs.DurationVar(&c.CreateAccountDelay, "create-account-delay", c.CreateAccountDelay, "how long CreateAccount stays IN_PROGRESS")
	fs.DurationVar(&c.SkewLimit, "skew-limit", c.SkewLimit, "allowed difference between a request's X-Amz-Date and the wall clock; 0 disables the check")
	fs.DurationVar(&c.TrailDeliveryInterval, "trail-delivery-interval", c.TrailDeliveryInterval, "how often logging CloudTrail trails get their log files (also on shutdown); 0: only on shutdown")
	fs.IntVar(&c.EventHistoryLimit, "event-history-limit", c.EventHistoryLimit, "CloudTrail events each account keeps (oldest dropped first; 90 days at most)")
	fs.StringVar(&c.Scenario, "scenario", c.Scenario, "scenario JSON file applied to a fresh data file and on every reset (env EMULATOR_SCENARIO)")
	fs.StringVar(&c.Healthcheck, "healthcheck", "", "GET this health URL, exit 0 if it answers 200, and do not serve (for container health checks)")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	c.Seed.Organization = !*noOrg
	if err := c.LogLevel.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	if len(c.Seed.ManagementAccountID) != 12 || strings.Trim(c.Seed.ManagementAccountID, "0123456789") != "" {
		return fmt.Errorf("-account-id must be 12 digits, got %q", c.Seed.ManagementAccountID)
	}
	if c.Seed.AccessKeyID == "" || c.Seed.SecretAccessKey == "" {
		return errors.New("-access-key and -secret-key must not be empty")
	}
	return nil
}

// Run opens the data file, seeds it if new, and starts serving in the background.
func (m *Main) Run(ctx context.Context) error {
	c := m.Config
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: c.LogLevel}))
	opts := []api.Option{api.WithLogger(logger), api.WithSkewLimit(c.SkewLimit),
		api.WithCreateAccountDelay(c.CreateAccountDelay), api.WithControlToken(c.ControlToken),
		api.WithTrailDeliveryInterval(c.TrailDeliveryInterval), api.WithEventHistoryLimit(c.EventHistoryLimit)}
	if c.Scenario != "" {
		data, err := os.ReadFile(c.Scenario)
		if err != nil {
			return fmt.Errorf("-scenario: %w", err)
		}
		sc, err := api.ParseScenario(data)
		if err != nil {
			return fmt.Errorf("-scenario %s: %w", c.Scenario, err)
		}
		opts = append(opts, api.WithScenario(sc))
	}
	clock := api.NewClock()
	st, err := store.Open(c.Data, store.WithNow(clock.Now))
	if err != nil {
		return err
	}
	m.Store = st
	// Emulated time never runs backwards, not even across a restart.
	offset, err := st.ClockOffset(ctx)
	if err != nil {
		st.Close()
		return err
	}
	clock.Advance(offset)
	m.Server = api.NewServer(st, append(opts, api.WithClock(clock))...)
	seeded, err := m.Server.Initialize(ctx, c.Seed)
	if err != nil {
		st.Close()
		return fmt.Errorf("seed %s: %w", c.Data, err)
	}
	if !seeded && c.Scenario != "" {
		logger.Info("data file was seeded before: the scenario applies on the next reset", "scenario", c.Scenario)
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		st.Close()
		return err
	}
	m.listener = ln
	m.http = &http.Server{Handler: m.Server.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	m.done = make(chan struct{})
	go func() {
		defer close(m.done)
		if err := m.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("serve", "error", err)
		}
	}()
	go m.purgeExpiredSessions(logger, clock)
	m.printBanner()
	return nil
}

// sessionRetention is how long an expired session is kept so that its
// holder gets ExpiredToken rather than an unknown-key error.
const sessionRetention = 24 * time.Hour

// purgeExpiredSessions keeps the data file from growing with dead sessions:
// at start and then hourly it deletes those expired for over a day of
// emulated time. It stops when the server does.
func (m *Main) purgeExpiredSessions(logger *slog.Logger, clock *api.Clock) {
	ticker := time.NewTicker(time.Hour)
	defer ticker.Stop()
	for {
		n, err := m.Store.PurgeExpiredCredentials(context.Background(), clock.Now().Add(-sessionRetention))
		if err != nil {
			logger.Warn("purge expired sessions", "error", err)
		} else if n > 0 {
			logger.Info("purged expired sessions", "count", n)
		}
		select {
		case <-ticker.C:
		case <-m.done:
			return
		}
	}
}

// URL is the endpoint clients should use.
func (m *Main) URL() string { return "http://" + m.listener.Addr().String() }

func (m *Main) printBanner() {
	info, err := m.Server.Describe(context.Background())
	if err != nil {
		info = api.WorldInfo{}
	}
	fmt.Fprintf(m.out, `AWS root access management emulator %s
  endpoint:            %s
  data file:           %s
  management account:  %s
  organization:        %s
  credentials:         AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  try:                 aws --endpoint-url %s sts get-caller-identity
`, api.Version, m.URL(), m.Config.Data, info.ManagementAccountID, orNone(info.OrganizationID),
		info.AccessKeyID, info.SecretAccessKey, m.URL())
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// Close stops serving (letting requests in flight finish) and closes the data file.
func (m *Main) Close() error {
	var errs []error
	if m.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		errs = append(errs, m.http.Shutdown(ctx))
		<-m.done
	}
	if m.Server != nil {
		// Batched CloudTrail records and trails' waiting log files reach the
		// data file before it closes.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		errs = append(errs, m.Server.Close(ctx))
	}
	if m.Store != nil {
		errs = append(errs, m.Store.Close())
	}
	return errors.Join(errs...)
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
