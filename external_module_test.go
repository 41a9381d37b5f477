package emulator_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// TestExternalModule builds a throwaway module that imports apitest by its
// module path (github.com/rootaccess/emulator, replaced by this checkout)
// and runs testdata/external-module/consumer_test.go and the README's Go
// example in it: the shipped scenarios load by name from outside this
// repository, with no path, and the README's code compiles and passes. It
// runs offline: the module cache holds every dependency (the go.sum is this
// module's), and GOPROXY=off forbids the network.
func TestExternalModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds another module: not in -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	goMod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go \S+$`).Find(goMod)
	dir := t.TempDir()
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", []byte("module example.com/consumer\n\n"+string(goLine)+"\n\n"+
		"require github.com/rootaccess/emulator v0.0.0\n\n"+
		"replace github.com/rootaccess/emulator => "+root+"\n"))
	for _, name := range []string{"go.sum", "testdata/external-module/consumer_test.go"} {
		data, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		write(filepath.Base(name), data)
	}

	// The README's Go example, as a Go user would paste it into their module.
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	example := regexp.MustCompile("(?s)```go\n(package .*?)```").FindSubmatch(readme)
	if example == nil {
		t.Fatal("README.md has no Go example (a ```go block that starts with package)")
	}
	if err := os.Mkdir(filepath.Join(dir, "readme"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join("readme", "readme_test.go"), example[1])

	cmd := exec.Command(goBin, "test", "-count=1", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("go test in a module that imports apitest: %v\n%s", err, out.String())
	}
	t.Logf("the external module's tests passed in %s:\n%s", time.Since(start).Round(time.Millisecond), out.String())
}
