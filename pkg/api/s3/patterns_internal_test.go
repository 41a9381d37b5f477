package s3

import (
	"testing"

	"github.com/rootaccess/emulator/pkg/api/internal/patterntest"
)

// The hand-written bucket name check accepts exactly what its pattern did.
func TestBucketNameShapeMatchesItsPattern(t *testing.T) {
	patterntest.Run(t, []patterntest.Case{
		{Name: "bucket name", Pattern: `^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`, Check: isBucketNameShape, Alphabet: "az09.-A",
			Valid: []string{"abc", "my.bucket-1", "a234567890123456789012345678901234567890123456789012345678901z"}, MaxLen: 66},
	})
}
