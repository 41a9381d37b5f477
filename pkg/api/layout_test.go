package api_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
)

const module = "github.com/rootaccess/emulator"

// services are the packages of pkg/api that each serve one AWS service.
var services = []string{"sts", "iam", "organizations", "s3", "sqs", "cloudtrail"}

// imports lists the packages of the module that pkg reaches, directly or not.
func imports(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", module+"/"+pkg).Output()
	require.NoError(t, err, "go list -deps %s", pkg)
	var ours []string
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, module+"/") && p != module+"/"+pkg {
			ours = append(ours, strings.TrimPrefix(p, module+"/"))
		}
	}
	return ours
}

// TestLayout_ImportDirections holds the layout of docs/architecture.md:
// the pipeline imports no service, a service imports no other service, and
// neither reaches the assembly; store and policy import nothing of the API.
func TestLayout_ImportDirections(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool on PATH")
	}
	isService := func(p string) bool {
		for _, s := range services {
			if p == "pkg/api/"+s {
				return true
			}
		}
		return false
	}
	for _, p := range imports(t, "pkg/api/pipeline") {
		assert.False(t, isService(p), "pipeline imports service %s", p)
		assert.NotEqual(t, "pkg/api", p, "pipeline imports the assembly")
	}
	for _, svc := range services {
		for _, p := range imports(t, "pkg/api/"+svc) {
			assert.False(t, isService(p), "%s imports service %s", svc, p)
			assert.NotEqual(t, "pkg/api", p, "%s imports the assembly", svc)
		}
	}
	for _, lower := range []string{"pkg/store", "pkg/policy"} {
		for _, p := range imports(t, lower) {
			assert.False(t, strings.HasPrefix(p, "pkg/api"), "%s imports %s", lower, p)
		}
	}
}

// TestLayout_EmulatorLinksNoSDKServiceClient: the binary links none of
// aws-sdk-go-v2's service clients. Their package initialisation (schemas,
// endpoint rules) was about half of the emulator's start-up CPU and a fifth
// of its idle memory; the SDK's signer, which the pipeline needs, costs
// little. Tests may use the clients: only the binary's own graph counts.
func TestLayout_EmulatorLinksNoSDKServiceClient(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool on PATH")
	}
	for _, p := range sdkDeps(t, "cmd/emulator") {
		assert.False(t, strings.HasPrefix(p, "github.com/aws/aws-sdk-go-v2/service/"),
			"cmd/emulator links %s: reach the emulator's own APIs without the SDK's service clients (see pkg/console/internal/awsapi)", p)
	}
	// The console, the one AWS client inside the binary, takes nothing of
	// the SDK or smithy-go beyond what the pipeline links already.
	pipeline := sdkDeps(t, "pkg/api/pipeline")
	for _, p := range sdkDeps(t, "pkg/console") {
		assert.Contains(t, pipeline, p, "pkg/console links %s, which the pipeline does not", p)
	}
}

// TestLayout_NoRegexpCompiledAtInit: no package of the binary compiles a
// regular expression in a package-level variable. At init, the services'
// 37 expressions were 1.5 ms of every start; pipeline.NewPattern compiles
// one when it is first used.
func TestLayout_NoRegexpCompiledAtInit(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool on PATH")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.Dir}}{{range .GoFiles}} {{.}}{{end}}", module+"/cmd/emulator").Output()
	require.NoError(t, err)
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line) // import path, folder, files
		if len(fields) < 3 || !strings.HasPrefix(fields[0], module+"/") {
			continue
		}
		for _, name := range fields[2:] {
			path := filepath.Join(fields[1], name)
			file, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
			require.NoError(t, err)
			for _, decl := range file.Decls {
				gen, ok := decl.(*ast.GenDecl)
				if !ok || gen.Tok != token.VAR {
					continue
				}
				ast.Inspect(gen, func(n ast.Node) bool {
					if _, ok := n.(*ast.FuncLit); ok {
						return false // runs when called, not at init
					}
					if sel, ok := n.(*ast.SelectorExpr); ok {
						if x, ok := sel.X.(*ast.Ident); ok && x.Name == "regexp" && strings.Contains(sel.Sel.Name, "Compile") {
							t.Errorf("%s: a package-level regexp.%s runs at every start; use pipeline.NewPattern", path, sel.Sel.Name)
						}
					}
					return true
				})
			}
		}
	}
}

// sdkDeps lists the aws-sdk-go-v2 and smithy-go packages that pkg reaches.
func sdkDeps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", module+"/"+pkg).Output()
	require.NoError(t, err, "go list -deps %s", pkg)
	var sdk []string
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/aws/") {
			sdk = append(sdk, p)
		}
	}
	return sdk
}

// TestHealth_ListsEveryServiceOfTheTable: the health endpoint reads the same
// assembled table as routing and the coverage test.
func TestHealth_ListsEveryServiceOfTheTable(t *testing.T) {
	srv := apitest.New(t)
	resp, err := srv.Client().Get(srv.URL + "/_emulator/health")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var health struct {
		Status   string
		Services map[string]int
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&health))
	assert.Equal(t, "ok", health.Status)
	want := map[string]int{}
	for _, op := range srv.API.Operations() {
		want[op.Service]++
	}
	assert.Equal(t, want, health.Services)
	assert.ElementsMatch(t, services, keys(health.Services))
}

func keys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
