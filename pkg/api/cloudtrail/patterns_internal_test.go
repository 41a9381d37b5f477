package cloudtrail

import (
	"testing"

	"github.com/rootaccess/emulator/pkg/api/internal/patterntest"
)

// The hand-written trail name check accepts exactly what its pattern did.
func TestTrailNameShapeMatchesItsPattern(t *testing.T) {
	patterntest.Run(t, []patterntest.Case{
		{Name: "trail name", Pattern: `^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$`, Check: isTrailNameShape, Alphabet: "aZ09._-",
			Valid:  []string{"abc", "my-trail.1_x", "a23456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456z"},
			MaxLen: 132},
	})
}
