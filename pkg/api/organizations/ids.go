package organizations

import (
	"strings"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
)

// The identifiers' model patterns are checked by hand: as regexps, their
// bounded repetitions ({4,32}, {8,128}) compiled to thousands of
// instructions at every start. patterns_internal_test.go proves each check
// accepts exactly what its pattern does.

var (
	lowerAlnum = pipeline.NewCharClass("0-9a-z")
	idAlnum    = pipeline.NewCharClass("0-9a-zA-Z_")
	roleChars  = pipeline.NewCharClass("A-Za-z0-9_+=,.@-")
)

// hasTail reports whether s is prefix followed by min to max characters of class.
func hasTail(s, prefix string, class pipeline.CharClass, min, max int) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	return ok && class.Match(rest, min, max)
}

// isRootID is ^r-[0-9a-z]{4,32}$.
func isRootID(s string) bool { return hasTail(s, "r-", lowerAlnum, 4, 32) }

// isOUID is ^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$: the root's part, then the OU's.
func isOUID(s string) bool {
	rest, ok := strings.CutPrefix(s, "ou-")
	if !ok {
		return false
	}
	root, ou, ok := strings.Cut(rest, "-")
	return ok && lowerAlnum.Match(root, 4, 32) && lowerAlnum.Match(ou, 8, 32)
}

// isPolicyID is ^p-[0-9a-zA-Z_]{8,128}$.
func isPolicyID(s string) bool { return hasTail(s, "p-", idAlnum, 8, 128) }

// isChildID is ^(?:\d{12}|ou-…)$: an account or an OU.
func isChildID(s string) bool { return pipeline.AccountIDPattern.MatchString(s) || isOUID(s) }

// isParentID is ^(?:r-…|ou-…)$: a root or an OU.
func isParentID(s string) bool { return isRootID(s) || isOUID(s) }

// isTargetID is ^(?:r-…|\d{12}|ou-…)$: what a policy attaches to.
func isTargetID(s string) bool { return isParentID(s) || pipeline.AccountIDPattern.MatchString(s) }

// isTaggableID is ^(?:r-…|\d{12}|ou-…|p-…|rp-[0-9a-zA-Z_]{4,128}|rt-[0-9a-zA-Z_]{8,32})$.
func isTaggableID(s string) bool {
	return isTargetID(s) || isPolicyID(s) || hasTail(s, "rp-", idAlnum, 4, 128) || hasTail(s, "rt-", idAlnum, 8, 32)
}

// isCreateAccountRequestID is ^car-[a-z0-9]{8,32}$.
func isCreateAccountRequestID(s string) bool { return hasTail(s, "car-", lowerAlnum, 8, 32) }

// isRoleName is ^[\w+=,.@-]{1,64}$.
func isRoleName(s string) bool { return roleChars.Match(s, 1, 64) }

// anyText is the model's ^[\s\S]*$, which every string matches.
func anyText(string) bool { return true }
