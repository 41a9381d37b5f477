package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api"
)

// bannerLine is the banner's line that starts with label (after its indent).
func bannerLine(t *testing.T, banner, label string) string {
	t.Helper()
	for _, line := range strings.Split(banner, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), label) {
			return strings.TrimSpace(line)
		}
	}
	t.Fatalf("no %q line in the banner:\n%s", label, banner)
	return ""
}

func TestBanner_ExportLinesAndToken(t *testing.T) {
	m, out := MustRunMain(t, filepath.Join(t.TempDir(), "emulator.db"), "-control-token", "s3cret-t0ken")
	defer m.Close()
	banner := out.String()
	assert.Equal(t, "export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1",
		bannerLine(t, banner, "export AWS_ACCESS_KEY_ID="))
	assert.Equal(t, "export AWS_ENDPOINT_URL="+m.URL(), bannerLine(t, banner, "export AWS_ENDPOINT_URL="))
	assert.Equal(t, "unset AWS_SESSION_TOKEN", bannerLine(t, banner, "unset"), "a root session's token must not ride along with the admin key")
	assert.Contains(t, bannerLine(t, banner, "control token:"), "set (")
	assert.NotContains(t, banner, "s3cret-t0ken", "the token itself is never printed")
	assert.Equal(t, "scenario:            none", bannerLine(t, banner, "scenario:"))
	assert.Contains(t, bannerLine(t, banner, "data file:"), "(new: seeded now)")
}

func TestBanner_NoTokenAndAQuotedSecret(t *testing.T) {
	m, out := MustRunMain(t, filepath.Join(t.TempDir(), "emulator.db"), "-secret-key", "it's a secret")
	defer m.Close()
	assert.Contains(t, bannerLine(t, out.String(), "control token:"), "none")
	assert.Equal(t, `export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY='it'\''s a secret' AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1`,
		bannerLine(t, out.String(), "export AWS_ACCESS_KEY_ID="), "pasted into a shell, the line sets the secret as it is")
}

func TestBanner_SaysWhatItDidWithTheScenario(t *testing.T) {
	path := filepath.Join(t.TempDir(), "emulator.db")
	const bucket = "../../testdata/scenarios/locked-bucket.json"
	m, out := MustRunMain(t, path, "-scenario", bucket)
	assert.Equal(t, "scenario:            "+bucket+" (named locked-bucket): applied now, to the fresh data file", bannerLine(t, out.String(), "scenario:"))
	require.NoError(t, m.Close())

	m, out = MustRunMain(t, path, "-scenario", bucket)
	line := bannerLine(t, out.String(), "scenario:")
	assert.Contains(t, line, "already applied on an earlier start")
	assert.NotContains(t, line, "next reset", "not the old misleading note")
	assert.Contains(t, bannerLine(t, out.String(), "data file:"), "(existing world kept)")
	require.NoError(t, m.Close())

	// The file and the shipped scenario of that name are the same scenario.
	m, out = MustRunMain(t, path, "-scenario", "locked-bucket")
	assert.Equal(t, "scenario:            locked-bucket (shipped, embedded in the program): already applied on an earlier start"+
		" (a named scenario applies once: nothing changed); POST /_emulator/reset applies it afresh", bannerLine(t, out.String(), "scenario:"))
	require.NoError(t, m.Close())

	m, out = MustRunMain(t, path, "-scenario", "locked-queue")
	assert.Contains(t, bannerLine(t, out.String(), "scenario:"), "locked-queue (shipped, embedded in the program): not applied: the data file was seeded on an earlier start")
	require.NoError(t, m.Close())

	edited := filepath.Join(t.TempDir(), "bucket.json")
	sc, err := api.ScenarioNamed("locked-bucket")
	require.NoError(t, err)
	sc.Description = "edited since"
	data, err := json.Marshal(sc)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(edited, data, 0o600))
	m, out = MustRunMain(t, path, "-scenario", edited)
	defer m.Close()
	assert.Contains(t, bannerLine(t, out.String(), "scenario:"), "not applied: another version of scenario locked-bucket was applied on an earlier start")
}

func TestStartScenario_ByName(t *testing.T) {
	m, out := MustRunMain(t, filepath.Join(t.TempDir(), "emulator.db"), "-scenario", "legacy-fleet")
	defer m.Close()
	assert.Equal(t, "scenario:            legacy-fleet (shipped, embedded in the program): applied now, to the fresh data file",
		bannerLine(t, out.String(), "scenario:"))
	info, err := m.Server.Describe(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"legacy-fleet"}, info.Scenarios)
	assert.Len(t, info.Accounts, 6, "the management account and the fleet's five")
}

func TestBanner_AllInterfacesAndContainers(t *testing.T) {
	// The banner of a server asked for every interface, printed from one on
	// loopback: tests listen on loopback only.
	m, _ := MustRunMain(t, filepath.Join(t.TempDir(), "emulator.db"))
	defer m.Close()
	info, err := m.Server.Describe(context.Background())
	require.NoError(t, err)
	_, port, _ := strings.Cut(m.listener.Addr().String(), ":")
	banner := func(addr, publicURL string, markers []string) string {
		t.Helper()
		saved := containerMarkers
		defer func() { containerMarkers = saved }()
		containerMarkers = markers
		var out bytes.Buffer
		m.out, m.Config.Addr, m.Config.PublicURL = &out, addr, publicURL
		m.printBanner(info)
		return out.String()
	}
	marker := filepath.Join(t.TempDir(), ".dockerenv")
	require.NoError(t, os.WriteFile(marker, nil, 0o600))

	b := banner("0.0.0.0:"+port, "", nil)
	assert.Contains(t, bannerLine(t, b, "endpoint:"), "http://127.0.0.1:"+port+" (listening on all interfaces")
	assert.Equal(t, "export AWS_ENDPOINT_URL=http://127.0.0.1:"+port, bannerLine(t, b, "export AWS_ENDPOINT_URL="))
	assert.NotContains(t, b, "0.0.0.0:"+port+" sts", "never a URL a client cannot connect to")

	assert.Contains(t, bannerLine(t, banner("[::]:"+port, "", nil), "export AWS_ENDPOINT_URL="), "http://localhost:"+port)
	assert.Contains(t, bannerLine(t, banner(":"+port, "", nil), "export AWS_ENDPOINT_URL="), "http://127.0.0.1:"+port)

	b = banner("0.0.0.0:"+port, "", []string{marker})
	assert.Contains(t, bannerLine(t, b, "endpoint:"), "(inside this container)")
	assert.Contains(t, bannerLine(t, b, "from the host:"), "EMULATOR_PUBLIC_URL")

	b = banner("0.0.0.0:"+port, "http://127.0.0.1:9000/", []string{marker})
	assert.Contains(t, bannerLine(t, b, "endpoint:"), "http://127.0.0.1:9000 (listening on")
	assert.Equal(t, "export AWS_ENDPOINT_URL=http://127.0.0.1:9000", bannerLine(t, b, "export AWS_ENDPOINT_URL="))
	assert.NotContains(t, b, "from the host:")
}

func TestLocalURL(t *testing.T) {
	for _, c := range []struct{ addr, bound, want string }{
		{"127.0.0.1:4580", "127.0.0.1:4580", "http://127.0.0.1:4580"},
		{"localhost:4580", "127.0.0.1:4580", "http://127.0.0.1:4580"},
		{"0.0.0.0:4580", "[::]:4580", "http://127.0.0.1:4580"},
		{":4580", "[::]:4580", "http://127.0.0.1:4580"},
		{"[::]:4580", "[::]:4580", "http://localhost:4580"},
		{"[::1]:4580", "[::1]:4580", "http://[::1]:4580"},
	} {
		assert.Equal(t, c.want, localURL(c.addr, c.bound), c.addr)
	}
}

func TestClose_LogsTheShutdown(t *testing.T) {
	var out, logs bytes.Buffer
	m := NewMain(&out)
	m.logOut = &logs
	path := filepath.Join(t.TempDir(), "emulator.db")
	require.NoError(t, m.ParseFlags([]string{"-addr", "127.0.0.1:0", "-data", path}, noEnv))
	require.NoError(t, m.Run(context.Background()))
	require.NoError(t, m.Close())
	assert.Contains(t, logs.String(), "requests in flight finished")
	assert.Contains(t, logs.String(), `msg="data file closed" path=`+path)
}

func TestTenantsFile_CreatedAtStartAndCounted(t *testing.T) {
	dir := t.TempDir()
	scenario, err := os.ReadFile("../../testdata/scenarios/locked-bucket.json")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bucket.json"), scenario, 0o600))
	tenants := filepath.Join(dir, "tenants.json")
	require.NoError(t, os.WriteFile(tenants, []byte(`{"group":{"count":2,"prefix":"trainee-","scenario":"bucket.json"}}`), 0o600))
	path := filepath.Join(dir, "emulator.db")

	m, out := MustRunMain(t, path, "-tenants", tenants)
	assert.Equal(t, "tenants:             2 besides the default world, 2 created now from "+tenants+
		" (GET /_emulator/tenants lists their keys and tokens)", bannerLine(t, out.String(), "tenants:"))
	assert.FileExists(t, filepath.Join(path+".tenants", "trainee-01.db"), "beside the data file by default")
	list, err := m.Server.Tenants(context.Background())
	require.NoError(t, err)
	require.Len(t, list, 3)
	req, err := http.NewRequest(http.MethodGet, m.URL()+"/_emulator/tenants/"+list[1].ID+"/info", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+list[1].ControlToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var world api.WorldInfo
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&world))
	resp.Body.Close()
	assert.Len(t, world.Accounts, 2, "the scenario named by file made its member account")
	require.NoError(t, m.Close())

	m, out = MustRunMain(t, path, "-tenants", tenants)
	defer m.Close()
	assert.Equal(t, "tenants:             2 besides the default world (GET /_emulator/tenants lists their keys and tokens)",
		bannerLine(t, out.String(), "tenants:"), "a restart finds them and creates none")

	require.NoError(t, os.WriteFile(tenants, []byte(`{"group":{"count":1,"prefix":"x-","scenario":"missing.json"}}`), 0o600))
	bad := NewMain(&bytes.Buffer{})
	require.NoError(t, bad.ParseFlags([]string{"-addr", "127.0.0.1:0", "-data", filepath.Join(dir, "other.db"), "-tenants", tenants}, noEnv))
	err = bad.Run(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot read scenario file "+filepath.Join(dir, "missing.json"))
	assert.NoFileExists(t, filepath.Join(dir, "other.db"), "checked before the data file is touched")
}

func TestTenantsFile_ScenarioByName(t *testing.T) {
	dir := t.TempDir()
	tenants := filepath.Join(dir, "tenants.json")
	require.NoError(t, os.WriteFile(tenants, []byte(`{"tenants":[{"id":"queue","scenario":"locked-queue"}]}`), 0o600))
	m, _ := MustRunMain(t, filepath.Join(dir, "emulator.db"), "-tenants", tenants)
	list, err := m.Server.Tenants(context.Background())
	require.NoError(t, err)
	require.Len(t, list, 2)
	req, err := http.NewRequest(http.MethodGet, m.URL()+"/_emulator/tenants/queue/info", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+list[1].ControlToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var world api.WorldInfo
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&world))
	resp.Body.Close()
	assert.Equal(t, []string{"locked-queue"}, world.Scenarios, "the shipped scenario, by name, as -scenario reads it")
	require.NoError(t, m.Close())

	require.NoError(t, os.WriteFile(tenants, []byte(`{"tenants":[{"id":"typo","scenario":"locked-queu"}]}`), 0o600))
	bad := NewMain(&bytes.Buffer{})
	require.NoError(t, bad.ParseFlags([]string{"-addr", "127.0.0.1:0", "-data", filepath.Join(dir, "other.db"), "-tenants", tenants}, noEnv))
	err = bad.Run(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tenant typo")
	assert.Contains(t, err.Error(), `no shipped scenario is called "locked-queu"`)
	assert.Contains(t, err.Error(), "locked-queue", "the valid names are listed")
}

func TestBanner_NoTenants(t *testing.T) {
	m, out := MustRunMain(t, filepath.Join(t.TempDir(), "emulator.db"))
	defer m.Close()
	assert.Contains(t, bannerLine(t, out.String(), "tenants:"), "none besides the default world")
	assert.NoDirExists(t, m.Config.Data+".tenants", "no directory until a tenant is created")
}
