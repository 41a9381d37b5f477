package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// binary is the emulator built once by TestMain for the tests that need a real process.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "emulator-bin-")
	if err != nil {
		panic(err)
	}
	// Readable by everyone: the read-only test runs it as nobody when the tests run as root.
	os.Chmod(dir, 0o755)
	binary = filepath.Join(dir, "emulator")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		panic("go build: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// process is how a run of the binary ended.
type process struct {
	code           int
	stdout, stderr string
}

// runBinary runs the emulator with args in dir and returns how it ended.
// It is for runs that end by themselves: start-up failures, -h, -version.
func runBinary(t *testing.T, dir string, configure func(*exec.Cmd), args ...string) process {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if configure != nil {
		configure(cmd)
	}
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		require.NoError(t, err)
	}
	return process{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// requireOneLineFailure checks that a start-up failure is one line on
// stderr, with no panic, that names want once and gives each fix.
func requireOneLineFailure(t *testing.T, p process, want string, fixes ...string) {
	t.Helper()
	assert.Equal(t, 1, p.code, "stderr: %s", p.stderr)
	assert.Empty(t, p.stdout, "no banner")
	line := strings.TrimSuffix(p.stderr, "\n")
	assert.NotContains(t, line, "\n", "one line")
	assert.NotContains(t, line, "goroutine")
	assert.True(t, strings.HasPrefix(line, "emulator: "), line)
	assert.Equal(t, 1, strings.Count(line, want), "%q once in: %s", want, line)
	for _, fix := range fixes {
		assert.Contains(t, line, fix)
	}
}

// takenAddress listens on a free loopback port for the test's duration.
func takenAddress(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// freeAddress is a loopback address that was free a moment ago.
func freeAddress(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

func TestStartup_PortTakenCreatesNoDataFile(t *testing.T) {
	addr := takenAddress(t)
	path := filepath.Join(t.TempDir(), "emulator.db")
	scenario, err := filepath.Abs("../../testdata/scenarios/locked-bucket.json")
	require.NoError(t, err)
	t.Run("Run", func(t *testing.T) {
		m := NewMain(&bytes.Buffer{})
		require.NoError(t, m.ParseFlags([]string{"-addr", addr, "-data", path, "-scenario", scenario}, noEnv))
		err := m.Run(context.Background())
		require.Error(t, err)
		assert.Contains(t, err.Error(), "already in use")
		assert.Contains(t, err.Error(), "-addr")
		assert.Contains(t, err.Error(), "EMULATOR_ADDR")
		assert.NoFileExists(t, path, "the data file is not created, let alone seeded")
	})
	t.Run("Process", func(t *testing.T) {
		p := runBinary(t, t.TempDir(), nil, "-addr", addr, "-data", path, "-scenario", scenario)
		requireOneLineFailure(t, p, addr, "-addr", "EMULATOR_ADDR")
		assert.NoFileExists(t, path)
	})
}

// writtenDataFile returns the bytes of a data file the emulator seeded and closed.
func writtenDataFile(t *testing.T) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "emulator.db")
	m, _ := MustRunMain(t, path, "-scenario", "../../testdata/scenarios/legacy-fleet.json")
	require.NoError(t, m.Close())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}

func TestStartup_NotADataFile(t *testing.T) {
	good := writtenDataFile(t)
	require.Greater(t, len(good), 20<<10)
	cases := map[string][]byte{
		"truncated to 8 KiB":  good[:8<<10],
		"truncated to 20 KiB": good[:20<<10],
		"truncated to 36 KiB": good[:36<<10], // bbolt maps 64 KiB and once died of SIGBUS here
		"text":                []byte("not a database\n"),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "x.db")
			require.NoError(t, os.WriteFile(path, data, 0o600))
			addr := freeAddress(t)
			m := NewMain(&bytes.Buffer{})
			require.NoError(t, m.ParseFlags([]string{"-addr", addr, "-data", path}, noEnv))
			err := m.Run(context.Background())
			require.Error(t, err, "refused, and no panic")
			assert.Contains(t, err.Error(), "not usable")
			assert.Contains(t, err.Error(), "move it away")
			assert.Contains(t, err.Error(), "-data")
			ln, err := net.Listen("tcp", addr)
			require.NoError(t, err, "the address is released again")
			ln.Close()

			p := runBinary(t, dir, nil, "-addr", "127.0.0.1:0", "-data", "x.db")
			requireOneLineFailure(t, p, "data file x.db", "move it away", "-data PATH or EMULATOR_DATA")
			after, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, data, after, "the file is left as it was")
		})
	}
}

func TestStartup_EmptyFileIsANewDataFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.db")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	m, out := MustRunMain(t, path)
	defer m.Close()
	assert.Contains(t, out.String(), "(new: seeded now)")
}

func TestStartup_LockedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "emulator.db")
	first, _ := MustRunMain(t, path)
	defer first.Close()
	m := NewMain(&bytes.Buffer{})
	require.NoError(t, m.ParseFlags([]string{"-addr", "127.0.0.1:0", "-data", path}, noEnv))
	err := m.Run(context.Background())
	require.Error(t, err)
	assert.Equal(t, 1, strings.Count(err.Error(), path), err.Error())
	assert.Contains(t, err.Error(), "locked by another process")
	assert.Contains(t, err.Error(), "-data PATH or EMULATOR_DATA")

	p := runBinary(t, filepath.Dir(path), nil, "-addr", "127.0.0.1:0", "-data", "emulator.db")
	requireOneLineFailure(t, p, "emulator.db", "locked by another process", "-data PATH or EMULATOR_DATA")
}

func TestStartup_ReadOnlyDirectory(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Chmod(filepath.Dir(dir), 0o755))
	require.NoError(t, os.Chmod(dir, 0o755))
	ro := filepath.Join(dir, "ro")
	require.NoError(t, os.Mkdir(ro, 0o555))
	asUser := func(cmd *exec.Cmd) {
		if os.Geteuid() == 0 { // root writes anywhere: be nobody
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		}
	}
	p := runBinary(t, dir, asUser, "-addr", "127.0.0.1:0", "-data", "ro/x.db")
	requireOneLineFailure(t, p, "ro/x.db", "directory ro is not writable", "permission denied", "-data PATH or EMULATOR_DATA")
	assert.NoFileExists(t, filepath.Join(ro, "x.db"))
}

func TestDataFileError(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.db")
	require.NoError(t, os.WriteFile(existing, nil, 0o400))
	for _, c := range []struct {
		path string
		err  error
		want string
	}{
		{filepath.Join(dir, "new.db"), &fs.PathError{Op: "open", Path: filepath.Join(dir, "new.db"), Err: syscall.EACCES},
			"directory " + dir + " is not writable (permission denied): choose a writable place with -data PATH or EMULATOR_DATA"},
		{existing, &fs.PathError{Op: "open", Path: existing, Err: syscall.EACCES}, "is not writable (permission denied): make it writable"},
		{filepath.Join(dir, "no", "x.db"), &fs.PathError{Op: "open", Path: filepath.Join(dir, "no", "x.db"), Err: syscall.ENOENT},
			"directory " + filepath.Join(dir, "no") + " does not exist"},
		{dir, &fs.PathError{Op: "open", Path: dir, Err: syscall.EISDIR}, "is a directory"},
	} {
		msg := dataFileError(c.path, c.err).Error()
		assert.Contains(t, msg, c.want)
		assert.Equal(t, 1, strings.Count(msg, c.path), "the path once: %s", msg)
	}
}

func TestStartup_UnknownScenario(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "emulator.db")
	p := runBinary(t, dir, nil, "-addr", freeAddress(t), "-data", path, "-scenario", "locked-buckets")
	requireOneLineFailure(t, p, "locked-buckets", "no shipped scenario has that name",
		"guardrails, legacy-fleet, locked-bucket, locked-queue, root-auditor", "a scenario file's path")
	assert.NoFileExists(t, path, "refused before anything is opened")

	// A file with a name's shape is still read as a name; the line says how to give the file.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "my-world"), []byte(`{"accounts":[]}`), 0o600))
	p = runBinary(t, dir, nil, "-addr", freeAddress(t), "-data", path, "-scenario", "my-world")
	requireOneLineFailure(t, p, "write -scenario ./my-world")

	withEnv := func(cmd *exec.Cmd) { cmd.Env = append(cmd.Env, "EMULATOR_SCENARIO=no-such.json") }
	p = runBinary(t, dir, withEnv, "-addr", freeAddress(t), "-data", path)
	requireOneLineFailure(t, p, "no-such.json", "cannot read scenario file", "EMULATOR_SCENARIO", "legacy-fleet")
	assert.NoFileExists(t, path)
}

func TestVersion(t *testing.T) {
	t.Run("Stamped", func(t *testing.T) {
		info := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/rootaccess/emulator", Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "true"}}}
		assert.Equal(t, "emulator 0.1.0, commit 0123abcd (with uncommitted changes), go1.26.8", versionLine(info, true))
	})
	t.Run("NotStamped", func(t *testing.T) {
		assert.Equal(t, "emulator 0.1.0, commit unknown, go1.26.8", versionLine(&debug.BuildInfo{GoVersion: "go1.26.8"}, true))
	})
	t.Run("InstalledModule", func(t *testing.T) {
		info := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/rootaccess/emulator", Version: "v0.1.0"}}
		assert.Contains(t, versionLine(info, true), "module github.com/rootaccess/emulator@v0.1.0")
	})
	t.Run("Process", func(t *testing.T) {
		p := runBinary(t, t.TempDir(), nil, "-version")
		assert.Equal(t, 0, p.code)
		assert.Regexp(t, `^emulator 0\.1\.0, commit \S+.*, go1\.\d+`, p.stdout)
		assert.Empty(t, p.stderr)
	})
}

func TestHelp(t *testing.T) {
	p := runBinary(t, t.TempDir(), nil, "-h")
	assert.Equal(t, 0, p.code)
	intro, flags, ok := strings.Cut(p.stdout, "Usage: emulator [flags]")
	require.True(t, ok, p.stdout)
	assert.Contains(t, intro, "centralized root access management", "what it is, before the flags")
	assert.Contains(t, intro, "README.md")
	assert.Contains(t, intro, "go doc github.com/rootaccess/emulator/pkg/api/apitest")
	for _, flag := range []string{"-addr", "-data", "-scenario", "-control-token", "-public-url", "-version", "EMULATOR_ADDR"} {
		assert.Contains(t, flags, flag)
	}
	assert.Contains(t, flags, "guardrails, legacy-fleet, locked-bucket, locked-queue, root-auditor", "-scenario's names")

	withToken := func(cmd *exec.Cmd) { cmd.Env = append(cmd.Env, "EMULATOR_CONTROL_TOKEN=s3cret-t0ken") }
	assert.NotContains(t, runBinary(t, t.TempDir(), withToken, "-h").stdout, "s3cret-t0ken", "-h never shows the token")

	p = runBinary(t, t.TempDir(), nil, "-no-such-flag")
	assert.Equal(t, 2, p.code)
	assert.Equal(t, "emulator: flag provided but not defined: -no-such-flag (emulator -h lists the flags)\n", p.stderr,
		"a mistake gets one line, not the whole usage")
}
