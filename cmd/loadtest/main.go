// Command loadtest builds the emulator, runs it on loopback and prints the
// figures of docs/performance.md: start to first signed request, idle RSS,
// GetCallerIdentity beside a bare net/http + SigV4 server, durable
// AssumeRoot beside bare bbolt commit loops on the same disk, both with
// CloudTrail recording on and off (-no-cloudtrail; recorded with the
// management account's event history filled to its cap first), the root
// credentials audit of 1,000 and 10,000 member accounts, ListAccounts over
// 10,000 accounts, and RSS. Every phase is bounded in time and count; every
// address is 127.0.0.1. Run it from the repository root:
//
//	go run ./cmd/loadtest            # the full run (a few minutes)
//	go run ./cmd/loadtest -quick     # smaller counts, for CI
//	go run ./cmd/loadtest -cpuprofile /tmp/prof   # also CPU profiles of the emulator
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
)

// The seeded administrator (api.DefaultSeed) and the task policy the audit uses.
const (
	adminKey    = "test"
	adminSecret = "test"
	auditPolicy = "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"
)

type options struct {
	quick         bool
	dir           string
	profiles      string
	loadFor       time.Duration
	starts        int
	small, large  int
	workers       int
	largeAudit    int
	baseline      string
	startupOnly   bool
	callerOnly    bool
	callerConns   string
	timeout       time.Duration
	bareServeAddr string
	bareBolt      string
	bareProfile   string
	historyCap    int
}

func main() {
	var o options
	flag.BoolVar(&o.quick, "quick", false, "smaller counts and shorter phases (CI: well under a minute)")
	flag.StringVar(&o.dir, "dir", "", "working folder for the binary, data files and bbolt loops (default: a new temporary folder, removed at the end)")
	flag.StringVar(&o.profiles, "cpuprofile", "", "folder to write the emulator's CPU profiles to (load.prof, load-off.prof for recording off, bare.prof for the bare server, audit-N.prof)")
	flag.DurationVar(&o.loadFor, "load-for", 0, "length of each fixed-time load phase (default 5s, quick 1s)")
	flag.IntVar(&o.starts, "starts", 0, "number of cold starts to time (default 7, quick 3)")
	flag.IntVar(&o.small, "accounts", 0, "accounts of the small audit (default 1000, quick 100)")
	flag.IntVar(&o.large, "large-accounts", 0, "accounts of the large world (default 10000, quick 1000)")
	flag.IntVar(&o.workers, "workers", 16, "audit workers")
	flag.IntVar(&o.historyCap, "history-cap", 0, "the load emulator's event history cap, filled before the load phases (default 100000, the emulator's own; quick 10000)")
	flag.IntVar(&o.largeAudit, "large-audit", 0, "audit only this many accounts of the large world (default: all)")
	flag.DurationVar(&o.timeout, "timeout", 0, "the whole run's limit (default 20m, quick 2m)")
	flag.StringVar(&o.baseline, "baseline-emulator", "", "another emulator binary (e.g. built from main) whose cold starts are timed alternately with this one's")
	flag.BoolVar(&o.startupOnly, "startup-only", false, "time the cold starts and idle RSS only")
	flag.StringVar(&o.callerConns, "caller-identity-conns", "1,64", "the connection counts GetCallerIdentity is measured at")
	flag.BoolVar(&o.callerOnly, "caller-identity-only", false, "measure GetCallerIdentity beside the bare server only (with -cpuprofile: a profile of recorded reads)")
	flag.StringVar(&o.bareServeAddr, "bare-server", "", "internal: serve the bare SigV4 server on this address")
	flag.StringVar(&o.bareBolt, "bare-bolt", "", "internal: the bare server's bbolt file, for its one-commit answer")
	flag.StringVar(&o.bareProfile, "bare-cpuprofile", "", "internal: the bare server's CPU profile, written when it is stopped")
	flag.Parse()
	if o.bareServeAddr != "" {
		serveBare(o.bareServeAddr, o.bareBolt, o.bareProfile)
		return
	}
	def := func(v *int, full, quick int) {
		if *v == 0 {
			*v = map[bool]int{false: full, true: quick}[o.quick]
		}
	}
	def(&o.starts, 7, 3)
	def(&o.small, 1000, 100)
	def(&o.large, 10000, 1000)
	def(&o.historyCap, 100_000, 10_000)
	if o.loadFor == 0 {
		o.loadFor = map[bool]time.Duration{false: 5 * time.Second, true: time.Second}[o.quick]
	}
	if o.timeout == 0 {
		o.timeout = map[bool]time.Duration{false: 20 * time.Minute, true: 2 * time.Minute}[o.quick]
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// profile is the path of the CPU profile named name under -cpuprofile, or
// "" when no profiles are taken.
func (o options) profile(name string) string {
	if o.profiles == "" {
		return ""
	}
	return filepath.Join(o.profiles, name)
}

// report prints one figure.
func report(name, format string, args ...any) {
	fmt.Printf("%-58s %s\n", name, fmt.Sprintf(format, args...))
}

func run(o options) error {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	if o.dir == "" {
		// On the work tree's disk (not a tmpfs) so that fsync costs what it does for a data file.
		d, err := os.MkdirTemp(".", ".loadtest-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		o.dir = d
	}
	dir, err := filepath.Abs(o.dir)
	if err != nil {
		return err
	}
	if o.profiles != "" {
		if err := os.MkdirAll(o.profiles, 0o755); err != nil {
			return err
		}
	}
	printMachine()
	bin := filepath.Join(dir, "emulator")
	buildStart := time.Now()
	if err := goBuild(ctx, ".", "./cmd/emulator", bin); err != nil {
		return fmt.Errorf("build the emulator (run from the repository root): %w", err)
	}
	report("build (as the Dockerfile builds: CGO_ENABLED=0 -trimpath -s -w)", "%s", time.Since(buildStart).Round(time.Millisecond))
	if o.callerOnly {
		return loadPhases(ctx, o, bin, dir)
	}
	floor, err := buildFloor(ctx, dir)
	if err != nil {
		return fmt.Errorf("build the start-up floor server: %w", err)
	}

	// --- start to first signed request, idle RSS ---
	binaries := []string{bin, floor}
	if o.baseline != "" {
		binaries = append(binaries, o.baseline)
	}
	starts := make([][]time.Duration, len(binaries))
	startCPU := make([][]time.Duration, len(binaries))
	// restarts: the same binary started again on the data file its fresh
	// start created, as every start after the first one is.
	restarts := make([][]time.Duration, len(binaries))
	idleRSS := make([]int64, len(binaries))
	for i := range o.starts {
		for b, path := range binaries { // alternately, so that both see the same machine
			data := filepath.Join(dir, fmt.Sprintf("start-%d-%d.db", b, i))
			e, err := startEmulator(ctx, path, data, "")
			if err != nil {
				return err
			}
			starts[b] = append(starts[b], e.ready)
			startCPU[b] = append(startCPU[b], e.readyCPU)
			if i == o.starts-1 {
				time.Sleep(time.Second) // idle: no request in flight, the seed written
				idleRSS[b] = e.rss()
			}
			e.stop()
			if e, err = startEmulator(ctx, path, data, ""); err != nil {
				return err
			}
			restarts[b] = append(restarts[b], e.ready)
			e.stop()
		}
	}
	median := func(d []time.Duration) time.Duration { return d[len(d)/2] }
	for b, path := range binaries {
		name := "this emulator"
		switch {
		case b == 1:
			name = "bare net/http server (the floor)"
		case b > 1:
			name = filepath.Base(path)
		}
		d := starts[b]
		slices.Sort(d)
		report("start → first signed request (fresh data file), "+name, "median %s (min %s, max %s, %d starts)",
			ms(median(d)), ms(d[0]), ms(d[len(d)-1]), len(d))
		c := startCPU[b]
		slices.Sort(c)
		report("CPU used by then, "+name, "median %s (min %s, max %s)", ms(median(c)), ms(c[0]), ms(c[len(c)-1]))
		r := restarts[b]
		slices.Sort(r)
		report("restart → first signed request (its data file), "+name, "median %s (min %s, max %s)", ms(median(r)), ms(r[0]), ms(r[len(r)-1]))
		report("idle RSS after start, "+name, "%.1f MiB", mib(idleRSS[b]))
	}
	report("  → emulator's start ÷ the floor's; restart ÷ the floor's; idle RSS ÷ the floor's", "%.2f; %.2f; %.2f",
		float64(median(starts[0]))/float64(median(starts[1])), float64(median(restarts[0]))/float64(median(restarts[1])),
		float64(idleRSS[0])/float64(idleRSS[1]))
	if o.startupOnly {
		return nil
	}

	// --- GetCallerIdentity beside the bare server; AssumeRoot beside bbolt ---
	if err := loadPhases(ctx, o, bin, dir); err != nil {
		return err
	}

	// --- the audits, ListAccounts, RSS ---
	if _, err := auditWorld(ctx, o, bin, dir, o.small, false); err != nil {
		return err
	}
	if _, err := auditWorld(ctx, o, bin, dir, o.large, true); err != nil {
		return err
	}
	report("SDK retries over the run", "%d", retries.Load())
	return nil
}

func printMachine() {
	model := "unknown"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("date %s · %d CPUs (%s) · %s · load average %s\n", time.Now().UTC().Format(time.RFC3339),
		runtime.NumCPU(), model, runtime.Version(), strings.Join(strings.Fields(string(load))[:3], " "))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
func mib(b int64) float64       { return float64(b) / (1 << 20) }

// --- the emulator process ---

type emulator struct {
	cmd   *exec.Cmd
	url   string
	ready time.Duration
	// readyCPU is the CPU the process had used when it answered: on a
	// loaded machine, a steadier figure of the start's cost than ready.
	readyCPU time.Duration
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startEmulator starts the binary on a fresh data file and returns once a
// signed GetCallerIdentity succeeds, with the time that took.
func startEmulator(ctx context.Context, bin, data, profile string, extra ...string) (*emulator, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := append([]string{"-addr", addr, "-data", data, "-log-level", "warn", "-create-account-delay", "0s"}, extra...)
	if profile != "" {
		args = append(args, "-cpuprofile", profile)
	}
	e := &emulator{url: "http://" + addr}
	probe := signedRequest(e.url, "sts", callerIdentityBody, aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: adminSecret})
	client := &http.Client{Timeout: time.Second}
	start := time.Now()
	e.cmd = exec.Command(bin, args...)
	e.cmd.Stdout, e.cmd.Stderr = io.Discard, os.Stderr
	if err := e.cmd.Start(); err != nil {
		return nil, err
	}
	for {
		if resp, err := client.Do(probe.new()); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				e.ready = time.Since(start)
				e.readyCPU = threadsCPUTime(e.cmd.Process.Pid)
				return e, nil
			}
		}
		if ctx.Err() != nil || time.Since(start) > 30*time.Second {
			e.stop()
			return nil, errors.New("the emulator did not answer a signed request within 30 s")
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// stop ends the process with SIGTERM (so that a CPU profile is written) and waits.
func (e *emulator) stop() {
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { e.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = e.cmd.Process.Kill()
		<-done
	}
}

func (e *emulator) rss() int64 { return procStatus(e.cmd.Process.Pid, "VmRSS") }

// rssDetail is RSS with its parts: the heap and stacks, and the pages of
// the mmap'd data file (and binary) the process has touched.
func (e *emulator) rssDetail() string {
	pid := e.cmd.Process.Pid
	return fmt.Sprintf("%.1f MiB (%.1f + %.1f)", mib(procStatus(pid, "VmRSS")), mib(procStatus(pid, "RssAnon")), mib(procStatus(pid, "RssFile")))
}
func (e *emulator) peakRSS() int64 { return procStatus(e.cmd.Process.Pid, "VmHWM") }

// procStatus reads a memory line of /proc/PID/status, in bytes.
func procStatus(pid int, field string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// cpuTime is the process's user and system CPU time so far (clock ticks of 10 ms).
func cpuTime(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces), from field 3 on.
	rest := string(data[bytes.LastIndexByte(data, ')')+2:])
	f := strings.Fields(rest)
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// threadsCPUTime is the CPU time the process's threads have run, to the
// nanosecond (/proc/PID/task/*/schedstat; /proc/PID/stat counts 10 ms ticks).
func threadsCPUTime(pid int) time.Duration {
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	var total time.Duration
	for _, t := range tasks {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, t.Name()))
		if err != nil {
			continue
		}
		ns, _ := strconv.ParseInt(strings.Fields(string(data) + " 0")[0], 10, 64)
		total += time.Duration(ns)
	}
	return total
}

// --- signed requests, replayed ---

const callerIdentityBody = "Action=GetCallerIdentity&Version=2011-06-15"

// template is a signed request that can be sent again and again: the
// server verifies it in full every time (SigV4 has no replay check within
// the clock skew), and the client spends almost nothing on it.
type template struct {
	url    string
	body   []byte
	header http.Header
}

func signedRequest(base, service, body string, creds aws.Credentials) template {
	req, _ := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, service, "us-east-1", time.Now()); err != nil {
		panic(err) // static credentials: cannot fail
	}
	return template{url: base + "/", body: []byte(body), header: req.Header}
}

func (t template) new() *http.Request {
	req, _ := http.NewRequest(http.MethodPost, t.url, bytes.NewReader(t.body))
	req.Header = t.header.Clone()
	return req
}

// loadResult is one fixed-time load run.
type loadResult struct {
	requests  int
	failures  int
	elapsed   time.Duration
	latencies []time.Duration
	serverCPU time.Duration
}

func (r loadResult) rate() float64 { return float64(r.requests) / r.elapsed.Seconds() }
func (r loadResult) p(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(q*float64(len(r.latencies))))]
}
func (r loadResult) cpuPerRequest() time.Duration {
	if r.requests == 0 {
		return 0
	}
	return r.serverCPU / time.Duration(r.requests)
}

// cores is the server's CPU per second of its load: at one connection a
// Go server spends about the same share of the cores whatever its rate
// (between requests its scheduler spins and parks), so its CPU per request
// there follows its round trip's latency as much as its work.
func (r loadResult) cores() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return r.serverCPU.Seconds() / r.elapsed.Seconds()
}

// load sends t from conns connections for d (at most maxRequests), and
// measures the server process pid's CPU over the run.
func load(ctx context.Context, t template, conns int, d time.Duration, maxRequests int, pid int) loadResult {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	var sent atomic.Int64
	var mu sync.Mutex
	res := loadResult{}
	cpu0 := cpuTime(pid)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			failures := 0
			for time.Now().Before(deadline) && ctx.Err() == nil && sent.Add(1) <= int64(maxRequests) {
				t0 := time.Now()
				resp, err := client.Do(t.new())
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if err != nil || resp.StatusCode != http.StatusOK {
					failures++
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			res.failures += failures
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.serverCPU = cpuTime(pid) - cpu0
	res.requests = len(res.latencies)
	slices.Sort(res.latencies)
	return res
}

// --- GetCallerIdentity and AssumeRoot under load ---

func loadPhases(ctx context.Context, o options, bin, dir string) error {
	e, err := startEmulator(ctx, bin, filepath.Join(dir, "load.db"), o.profile("load.prof"), "-event-history-limit", strconv.Itoa(o.historyCap))
	if err != nil {
		return err
	}
	defer e.stop()
	world, err := applyScenario(e.url, scenarioOf(1, false))
	if err != nil {
		return err
	}
	member := world.Accounts[len(world.Accounts)-1].ID
	// The same emulator with CloudTrail recording off, measured in turn
	// with it: what recording costs (issue 7: at most a quarter).
	off, err := startEmulator(ctx, bin, filepath.Join(dir, "load-off.db"), o.profile("load-off.prof"), "-no-cloudtrail")
	if err != nil {
		return err
	}
	defer off.stop()
	offWorld, err := applyScenario(off.url, scenarioOf(1, false))
	if err != nil {
		return err
	}
	offMember := offWorld.Accounts[len(offWorld.Accounts)-1].ID

	bare, bareURL, err := startBare(filepath.Join(dir, "bare-server.db"), o.profile("bare.prof"))
	if err != nil {
		return err
	}
	defer func() { _ = bare.Process.Signal(syscall.SIGTERM); _ = bare.Wait() }()

	admin := aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: adminSecret}
	gci := signedRequest(e.url, "sts", callerIdentityBody, admin)
	gciOff := signedRequest(off.url, "sts", callerIdentityBody, admin)
	bareGCI := signedRequest(bareURL, "sts", callerIdentityBody, admin)
	// Every recorded figure is taken at the cap of the management account's
	// event history, where a long-running emulator stays and every record
	// added drops the oldest. The phases used to cross it part way (the
	// count depends on the rates), so recording's cost mixed two regimes.
	fill := load(ctx, gci, 64, 5*time.Minute, o.historyCap, e.cmd.Process.Pid)
	settleCPU(e.cmd.Process.Pid)
	report("event history filled to its cap (-history-cap)", "%d of %d records in %s, %d failed", fill.requests, o.historyCap, fill.elapsed.Round(time.Millisecond), fill.failures)
	for field := range strings.SplitSeq(o.callerConns, ",") {
		conns, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || conns < 1 {
			return fmt.Errorf("-caller-identity-conns: %q is not a connection count", field)
		}
		em, eo, ba := alternate(ctx, o.loadFor, conns, []sided{{gci, e.cmd.Process.Pid}, {gciOff, off.cmd.Process.Pid}, {bareGCI, bare.Process.Pid}})
		report(fmt.Sprintf("GetCallerIdentity, %d connection(s): emulator", conns), "%.0f req/s, p50 %s, server CPU %.1f µs/req (%.2f cores), %d failed",
			em.rate(), ms(em.p(0.5)), us(em.cpuPerRequest()), em.cores(), em.failures)
		report(fmt.Sprintf("GetCallerIdentity, %d connection(s): recording off", conns), "%.0f req/s, p50 %s, server CPU %.1f µs/req (%.2f cores), %d failed",
			eo.rate(), ms(eo.p(0.5)), us(eo.cpuPerRequest()), eo.cores(), eo.failures)
		report(fmt.Sprintf("GetCallerIdentity, %d connection(s): bare net/http + SigV4", conns), "%.0f req/s, p50 %s, server CPU %.1f µs/req (%.2f cores)",
			ba.rate(), ms(ba.p(0.5)), us(ba.cpuPerRequest()), ba.cores())
		report(fmt.Sprintf("  → CPU per request ÷ bare, %d connection(s)", conns), "%.2f (throughput ratio %.2f)",
			float64(em.cpuPerRequest())/float64(max(ba.cpuPerRequest(), 1)), em.rate()/ba.rate())
		report(fmt.Sprintf("  → recording's cost, %d connection(s)", conns), "CPU per request %+.0f %%, throughput %+.0f %%, p50 %+.0f %%",
			pct(float64(em.cpuPerRequest()), float64(eo.cpuPerRequest())), pct(eo.rate(), em.rate()),
			pct(float64(em.p(0.5)), float64(eo.p(0.5))))
	}
	if o.callerOnly {
		return nil
	}

	// AssumeRoot, every answer after an fsync'd commit, beside bbolt on the same disk.
	assumeBody := func(member string) string {
		return "Action=AssumeRoot&Version=2011-06-15&DurationSeconds=900&TargetPrincipal=" + member +
			"&TaskPolicyArn.arn=" + url.QueryEscape(auditPolicy)
	}
	assume := signedRequest(e.url, "sts", assumeBody(member), admin)
	assumeOff := signedRequest(off.url, "sts", assumeBody(offMember), admin)
	bareAssume := signedRequest(bareURL, "sts", assumeBody(member), admin)
	// Measured in slices taken in turn, so that the disk's other traffic
	// (the machine is shared) falls on both sides alike; a first slice of
	// each warms up (a new bbolt file grows with its first commits, and an
	// fsync that flushes a new file size costs more).
	bf, err := openBolt(filepath.Join(dir, "bolt.db"))
	if err != nil {
		return err
	}
	defer bf.close()
	sf, err := openStore(filepath.Join(dir, "store.db"))
	if err != nil {
		return err
	}
	defer sf.close()
	const slicesOf = 5
	slice := o.loadFor / slicesOf
	var bolt1, key1, store1, bareAR1, ar1, off1, bolt64, batch64, ar64, off64 []loadResult
	for i := range slicesOf + 1 {
		b := bf.run(1, false, slice)
		k := sf.run(slice, true)
		s := sf.run(slice, false)
		ba := load(ctx, bareAssume, 1, slice, 1<<30, bare.Process.Pid)
		a := load(ctx, assume, 1, slice, 1<<30, e.cmd.Process.Pid)
		f := load(ctx, assumeOff, 1, slice, 1<<30, off.cmd.Process.Pid)
		if i > 0 {
			bolt1, key1, store1, ar1, off1 = append(bolt1, b), append(key1, k), append(store1, s), append(ar1, a), append(off1, f)
			bareAR1 = append(bareAR1, ba)
		}
	}
	for i := range slicesOf + 1 {
		u := bf.run(64, false, slice)
		b := bf.run(64, true, slice)
		a := load(ctx, assume, 64, slice, 1<<30, e.cmd.Process.Pid)
		a.serverCPU += settleCPU(e.cmd.Process.Pid) // the journal's move into history
		f := load(ctx, assumeOff, 64, slice, 1<<30, off.cmd.Process.Pid)
		if i > 0 {
			bolt64, batch64, ar64, off64 = append(bolt64, u), append(batch64, b), append(ar64, a), append(off64, f)
		}
	}
	b1, a1 := merge(bolt1...), merge(ar1...)
	report("bare bbolt Update (1 Put + fsync), 1 writer", "%.0f commits/s, p50 %s", b1.rate(), ms(b1.p(0.5)))
	k1, s1 := merge(key1...), merge(store1...)
	report("Store.Update of one key, 1 writer", "%.0f commits/s, p50 %s", k1.rate(), ms(k1.p(0.5)))
	report("  → p50 ÷ one bbolt commit (what group commit adds alone)", "%.2f", float64(k1.p(0.5))/float64(b1.p(0.5)))
	report("Store.Update of a session credential and its indexes", "%.0f commits/s, p50 %s", s1.rate(), ms(s1.p(0.5)))
	report("  → p50 ÷ one bbolt commit", "%.2f", float64(s1.p(0.5))/float64(b1.p(0.5)))
	ba1 := merge(bareAR1...)
	report("bare net/http + SigV4 + one bbolt commit, 1 connection", "%.0f req/s, p50 %s, %d failed", ba1.rate(), ms(ba1.p(0.5)), ba1.failures)
	report("  → p50 ÷ one bbolt commit (a lone durable call's floor)", "%.2f", float64(ba1.p(0.5))/float64(b1.p(0.5)))
	report("AssumeRoot durable, 1 connection", "%.0f req/s, p50 %s, server CPU %.0f µs/req, %d failed",
		a1.rate(), ms(a1.p(0.5)), us(a1.cpuPerRequest()), a1.failures)
	report("  → p50 ÷ one bbolt commit", "%.2f", float64(a1.p(0.5))/float64(b1.p(0.5)))
	f1 := merge(off1...)
	report("AssumeRoot durable, 1 connection, recording off", "%.0f req/s, p50 %s, %d failed", f1.rate(), ms(f1.p(0.5)), f1.failures)
	report("  → recording's cost, 1 connection", "throughput %+.0f %%, p50 %+.0f %%", pct(f1.rate(), a1.rate()), pct(float64(a1.p(0.5)), float64(f1.p(0.5))))
	{
		bolt64, batch64, ar64 := merge(bolt64...), merge(batch64...), merge(ar64...)
		report("bare bbolt Update, 64 writers (one fsync each)", "%.0f commits/s, p50 %s", bolt64.rate(), ms(bolt64.p(0.5)))
		report("bare bbolt Batch (defaults), 64 writers", "%.0f commits/s, p50 %s", batch64.rate(), ms(batch64.p(0.5)))
		report("AssumeRoot durable, 64 connections", "%.0f req/s, p50 %s, server CPU %.0f µs/req, %d failed",
			ar64.rate(), ms(ar64.p(0.5)), us(ar64.cpuPerRequest()), ar64.failures)
		report("  → ÷ batched bbolt ceiling; ÷ one-fsync-per-write loop", "%.2f; %.2f", ar64.rate()/batch64.rate(), ar64.rate()/bolt64.rate())
		off64 := merge(off64...)
		report("AssumeRoot durable, 64 connections, recording off", "%.0f req/s, p50 %s, server CPU %.0f µs/req, %d failed",
			off64.rate(), ms(off64.p(0.5)), us(off64.cpuPerRequest()), off64.failures)
		report("  → recording's cost, 64 connections", "CPU per request %+.0f %%, throughput %+.0f %%",
			pct(float64(ar64.cpuPerRequest()), float64(off64.cpuPerRequest())), pct(off64.rate(), ar64.rate()))
	}
	return nil
}

// sided is one server of a comparison: the request to send it and its process.
type sided struct {
	t   template
	pid int
}

// alternate measures the GetCallerIdentity sides (the emulator, the one
// without recording, the bare server) in slices taken in turn, after a
// warm-up slice of each, so that whatever else the shared machine does
// falls on all three alike. Each side's CPU is read from before its first
// measured slice to after the last one (the idle gaps while the others run
// cost nothing), and the emulator's also over its CloudTrail batch's
// commit at the end (settleCPU), so that the records' CPU counts with the
// requests they record.
func alternate(ctx context.Context, d time.Duration, conns int, sides []sided) (em, off, bare loadResult) {
	const slicesOf = 5
	slice := d / slicesOf
	for _, s := range sides {
		load(ctx, s.t, conns, slice, 1<<30, s.pid) // warm up
	}
	// The warm-up's own batch of records commits before the count starts.
	time.Sleep(700 * time.Millisecond)
	cpu0 := make([]time.Duration, len(sides))
	for i, s := range sides {
		cpu0[i] = cpuTime(s.pid)
	}
	runs := make([][]loadResult, len(sides))
	for range slicesOf {
		for i, s := range sides {
			runs[i] = append(runs[i], load(ctx, s.t, conns, slice, 1<<30, s.pid))
		}
	}
	settleCPU(sides[0].pid)
	out := make([]loadResult, len(sides))
	for i, s := range sides {
		out[i] = merge(runs[i]...)
		out[i].serverCPU = cpuTime(s.pid) - cpu0[i]
	}
	return out[0], out[1], out[2]
}

// pct is how much a exceeds b, in per cent. Recording's cost in
// throughput is pct(rate off, rate on): how much longer a request takes
// with recording on.
func pct(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return (a/b - 1) * 100
}

// settleCPU waits for pid's CloudTrail batch (committed within half a
// second) and returns the CPU it took meanwhile.
func settleCPU(pid int) time.Duration {
	cpu0 := cpuTime(pid)
	time.Sleep(700 * time.Millisecond)
	return cpuTime(pid) - cpu0
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }

// --- the audit ---

type scenarioResult struct {
	Accounts []struct {
		ID string `json:"id"`
	} `json:"accounts"`
}

// scenarioOf is a world of n member accounts in an organization with
// centralized root access, each member's root user with an access key
// (withRootKeys) as the audit expects to find.
func scenarioOf(n int, withRootKeys bool) []byte {
	type root struct {
		AccessKeys []struct{} `json:"access_keys"`
	}
	type account struct {
		Name string `json:"name"`
		Root *root  `json:"root,omitempty"`
	}
	sc := struct {
		Features map[string]any `json:"features"`
		Accounts []account      `json:"accounts"`
	}{Features: map[string]any{"trusted_access": []string{"iam.amazonaws.com"},
		"root_credentials_management": true, "root_sessions": true}}
	for i := range n {
		a := account{Name: fmt.Sprintf("member-%05d", i)}
		if withRootKeys {
			a.Root = &root{AccessKeys: []struct{}{{}}}
		}
		sc.Accounts = append(sc.Accounts, a)
	}
	data, _ := json.Marshal(sc)
	return data
}

func applyScenario(base string, body []byte) (scenarioResult, error) {
	resp, err := http.Post(base+"/_emulator/scenario", "application/json", bytes.NewReader(body))
	if err != nil {
		return scenarioResult{}, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return scenarioResult{}, fmt.Errorf("scenario: %d %s", resp.StatusCode, data)
	}
	var out scenarioResult
	return out, json.Unmarshal(data, &out)
}

// sdkConfig is a Go SDK configuration for the emulator. It keeps the SDK's
// standard retryer: Go's HTTP client now and then closes a kept-alive
// connection under a response it is reading ("use of closed network
// connection", aws/aws-sdk-go-v2#2737), which the SDK retries since v1.33;
// every retry is counted and printed.
func sdkConfig(base string, creds aws.Credentials, client *http.Client) aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(base), HTTPClient: client,
		Credentials: credentials.StaticCredentialsProvider{Value: creds},
		Retryer: func() aws.Retryer {
			return countingRetryer{retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 3 })}
		}}
}

// retries counts the SDK's retries over the whole run.
var retries atomic.Int64

type countingRetryer struct{ aws.Retryer }

func (r countingRetryer) RetryDelay(attempt int, err error) (time.Duration, error) {
	retries.Add(1)
	return 0, nil // no back-off: a retry here is a client-side connection race, not a throttle
}

// auditWorld builds a world of n accounts through the scenario endpoint,
// audits every member's root credentials with workers, and (large) lists
// the accounts page by page and reports RSS.
func auditWorld(ctx context.Context, o options, bin, dir string, n int, large bool) (time.Duration, error) {
	e, err := startEmulator(ctx, bin, filepath.Join(dir, fmt.Sprintf("audit-%d.db", n)), o.profile(fmt.Sprintf("audit-%d.prof", n)))
	if err != nil {
		return 0, err
	}
	defer e.stop()
	t0 := time.Now()
	world, err := applyScenario(e.url, scenarioOf(n, true))
	if err != nil {
		return 0, err
	}
	report(fmt.Sprintf("add %d accounts through one scenario", n), "%s", time.Since(t0).Round(time.Millisecond))
	var members []string
	for _, a := range world.Accounts {
		if a.ID != "111111111111" {
			members = append(members, a.ID)
		}
	}
	listed := len(members) + 1 // and the management account
	if large {
		time.Sleep(2 * time.Second) // let the runtime give back what the world's one transaction took
		report(fmt.Sprintf("RSS with %d accounts (anonymous + file-backed)", n), "%s", e.rssDetail())
		if o.largeAudit > 0 && o.largeAudit < len(members) {
			members = members[:o.largeAudit]
		}
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.workers}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	admin := sts.NewFromConfig(sdkConfig(e.url, aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: adminSecret}, client))
	work := make(chan string)
	var failures atomic.Int64
	var firstErr atomic.Value
	fail := func(err error) {
		failures.Add(1)
		firstErr.CompareAndSwap(nil, err.Error())
	}
	cpu0, client0 := cpuTime(e.cmd.Process.Pid), cpuTime(os.Getpid())
	start := time.Now()
	var wg sync.WaitGroup
	for range o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				out, err := admin.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(id),
					TaskPolicyArn: &ststypes.PolicyDescriptorType{Arn: aws.String(auditPolicy)}, DurationSeconds: aws.Int32(900)})
				if err != nil {
					fail(err)
					continue
				}
				c := out.Credentials
				root := iam.NewFromConfig(sdkConfig(e.url, aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId),
					SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)}, client))
				if _, err := root.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}); err != nil {
					fail(err)
				}
				if keys, err := root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}); err != nil {
					fail(err)
				} else if len(keys.AccessKeyMetadata) != 1 {
					fail(fmt.Errorf("account %s: %d root access keys, want 1", id, len(keys.AccessKeyMetadata)))
				}
				if _, err := root.ListMFADevices(ctx, &iam.ListMFADevicesInput{}); err != nil {
					fail(err)
				}
				var api smithy.APIError
				if _, err := root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{}); err != nil &&
					!(errors.As(err, &api) && api.ErrorCode() == "NoSuchEntity") { // no password: the expected answer
					fail(err)
				}
			}
		}()
	}
	for _, id := range members {
		select {
		case work <- id:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	took := time.Since(start)
	cpu, clientCPU := cpuTime(e.cmd.Process.Pid)-cpu0, cpuTime(os.Getpid())-client0
	report(fmt.Sprintf("audit of %d accounts, %d workers (5 calls each)", len(members), o.workers),
		"%s, %.2f ms per account, CPU per account: server %.0f µs, SDK client %.0f µs; %d failed", took.Round(time.Millisecond),
		float64(took.Microseconds())/1000/float64(len(members)), us(cpu)/float64(len(members)),
		us(clientCPU)/float64(len(members)), failures.Load())
	if v := firstErr.Load(); v != nil {
		report("  first failure", "%s", v)
	}
	if large {
		listAccounts(ctx, e.url, client, listed)
		report(fmt.Sprintf("RSS after the audit and listing; peak RSS"), "%s; %.1f MiB", e.rssDetail(), mib(e.peakRSS()))
	}
	return took, nil
}

// listAccounts lists every account of the organization 20 at a time.
func listAccounts(ctx context.Context, base string, client *http.Client, want int) {
	org := organizations.NewFromConfig(sdkConfig(base, aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: adminSecret}, client))
	p := organizations.NewListAccountsPaginator(org, &organizations.ListAccountsInput{MaxResults: aws.Int32(20)})
	var pages []time.Duration
	got := 0
	start := time.Now()
	for p.HasMorePages() && ctx.Err() == nil {
		t0 := time.Now()
		page, err := p.NextPage(ctx)
		if err != nil {
			report("ListAccounts", "failed after %d pages: %v", len(pages), err)
			return
		}
		pages = append(pages, time.Since(t0))
		got += len(page.Accounts)
	}
	total := time.Since(start)
	slices.Sort(pages)
	report(fmt.Sprintf("ListAccounts over %d accounts, pages of 20", got), "%d pages in %s: p50 %s, p90 %s per page (round trip, SDK client included)%s",
		len(pages), total.Round(time.Millisecond), ms(pages[len(pages)/2]), ms(pages[len(pages)*9/10]),
		map[bool]string{true: "", false: fmt.Sprintf(" — expected %d accounts!", want)}[got == want])
}
