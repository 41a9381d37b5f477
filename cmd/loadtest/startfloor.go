package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
)

// The start-up floor: the smallest Go HTTP server, built by this harness
// with the emulator's build flags and started, probed and stopped exactly
// as the emulator is, in turn with it. What a Go process and net/http take
// to start on this machine (the runtime's own start-up, the binary's page
// faults) is the part of the emulator's start that no emulator code can
// remove; the ratio to it says what the emulator adds.
const floorSource = `package main

import (
	"flag"
	"net/http"
)

// It takes the flags the harness gives the emulator and answers 200 to
// every request, the harness's signed probe included.
func main() {
	addr := flag.String("addr", "", "")
	flag.String("data", "", "")
	flag.String("log-level", "", "")
	flag.String("create-account-delay", "", "")
	flag.Parse()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<ok/>")) })
	if err := http.ListenAndServe(*addr, nil); err != nil {
		panic(err)
	}
}
`

// buildFlags are the Dockerfile's: a static binary without symbols, as
// the container image ships it (a cgo build links libc, which adds about
// 1.3 MiB of RSS and 3 ms of start-up).
var buildFlags = []string{"-trimpath", "-ldflags=-s -w"}

// goBuild builds pkg (a directory) into out with buildFlags and CGO_ENABLED=0.
func goBuild(ctx context.Context, dir, pkg, out string) error {
	cmd := exec.CommandContext(ctx, "go", append(append([]string{"build"}, buildFlags...), "-o", out, pkg)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

// buildFloor writes the floor server's module into dir/floor and builds it.
func buildFloor(ctx context.Context, dir string) (string, error) {
	src := filepath.Join(dir, "floor")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module floor\n\ngo 1.22\n"), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(floorSource), 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "floor-server")
	return bin, goBuild(ctx, src, ".", bin)
}
