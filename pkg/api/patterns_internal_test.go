package api

import (
	"testing"

	"github.com/rootaccess/emulator/pkg/api/internal/patterntest"
	"github.com/rootaccess/emulator/pkg/api/pipeline"
)

// The hand-written checks of scenarios and tenants accept exactly what the
// patterns they replaced did.
func TestScenarioAndTenantChecksMatchTheirPatterns(t *testing.T) {
	patterntest.Run(t, []patterntest.Case{
		{Name: "scenario name", Pattern: `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`, Check: isScenarioName, Alphabet: "aZ09._-",
			Valid: []string{"a", "audit-1000", "9.x_y-z", "a123456789012345678901234567890123456789012345678901234567890123"}, MaxLen: 70},
		{Name: "service principal", Pattern: `^[\w+=,.@-]{1,128}$`, Check: isServicePrincipal, Alphabet: "aZ09_+=,.@-!",
			Valid: []string{"iam.amazonaws.com", "a"}, MaxLen: 132},
		{Name: "root access key id", Pattern: `^AKIA[A-Z0-9]{16}$`, Check: isRootKeyID, Alphabet: "AKIZ09a",
			Valid: []string{"AKIAIOSFODNN7EXAMPLE", "AKIA0000000000000000"}, MaxLen: 24},
		{Name: "tenant id", Pattern: `^[a-z0-9][a-z0-9-]{0,62}$`, Check: isTenantID, Alphabet: "az09-A",
			Valid: []string{"t", "team-a-1", "a12345678901234567890123456789012345678901234567890123456789012"}, MaxLen: 68},
		{Name: "access key id", Pattern: `^\w{1,128}$`, Check: isAccessKeyIDFormat, Alphabet: "aZ09_-",
			Valid: []string{"test", "AKIA_1"}, MaxLen: 132},
	})
}

// Every pipeline.Pattern the services hold compiles: they are compiled on
// first use, not at init, so a bad expression would otherwise fail only
// when its call is first made.
func TestPatternsCompile(t *testing.T) {
	if err := pipeline.CompilePatterns(); err != nil {
		t.Fatal(err)
	}
	if n := pipeline.PatternCount(); n < 30 {
		t.Fatalf("only %d patterns registered: the services' patterns are not all pipeline.Patterns", n)
	}
}
