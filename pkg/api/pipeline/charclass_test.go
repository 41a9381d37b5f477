package pipeline_test

import (
	"testing"

	"github.com/rootaccess/emulator/pkg/api/internal/patterntest"
	"github.com/rootaccess/emulator/pkg/api/pipeline"
)

// tagAlphabet has letters, numbers and separators of several scripts and
// categories, and punctuation the tag patterns allow and refuse.
const tagAlphabet = "aZ09_.:/=+-@ \u00a0\u2028\u3000éß中٣Ⅻ½!#,;\u0301\u200b"

func TestCharClassMatchesAsARegexpClass(t *testing.T) {
	word := pipeline.NewCharClass("A-Za-z0-9_+=,.@-")
	printable := pipeline.NewCharClass("!-~")
	patterntest.Run(t, []patterntest.Case{
		{Name: "class with literals and ranges", Pattern: `^[\w+=,.@-]{2,64}$`, Check: func(s string) bool { return word.Match(s, 2, 64) },
			Alphabet: "aZ09_+=,.@-!", Valid: []string{"ab", "user+name@example.com", "a=b,c.d"}, MaxLen: 70},
		{Name: "a range of punctuation", Pattern: "^[!-~]{1,8}$", Check: func(s string) bool { return printable.Match(s, 1, 8) },
			Alphabet: "!~aZ{}", Valid: []string{"!", "~~~~~~~~"}, MaxLen: 10},
		{Name: "tag key", Pattern: pipeline.TagKeyPattern, Check: pipeline.IsTagKey,
			Alphabet: tagAlphabet, Valid: []string{"Cost Center", "env:prod/é=1", "中文 ٣"}, MaxLen: 20},
		{Name: "tag value", Pattern: pipeline.TagValuePattern, Check: pipeline.IsTagValue,
			Alphabet: tagAlphabet, Valid: []string{"", "Cost Center", "a+b-c@d_e.f:g/h=i"}, MaxLen: 20},
		{Name: "tag text", Pattern: `^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`, Check: pipeline.IsTagText,
			Alphabet: tagAlphabet, Valid: []string{"", "x"}, MaxLen: 20},
	})
}

func TestNewCharClassRefusesWhatIsNotAnASCIIClass(t *testing.T) {
	for _, body := range []string{"é", "z-a"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewCharClass(%q) did not panic", body)
				}
			}()
			pipeline.NewCharClass(body)
		}()
	}
}
