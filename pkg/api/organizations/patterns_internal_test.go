package organizations

import (
	"testing"

	"github.com/rootaccess/emulator/pkg/api/internal/patterntest"
)

// The hand-written identifier checks accept exactly what the model's patterns do.
func TestIDChecksMatchTheModelPatterns(t *testing.T) {
	const (
		root    = `r-[0-9a-z]{4,32}`
		ou      = `ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}`
		policy  = `p-[0-9a-zA-Z_]{8,128}`
		idChars = "0189azAZ_-rpout"
	)
	ids := []string{"r-ab12", "r-abcdefghijklmnopqrstuvwxyz012345", "ou-ab12-abcdefgh", "ou-abcdefghijklmnopqrstuvwxyz012345-abcdefghijklmnopqrstuvwxyz012345",
		"123456789012", "p-FullAWSAccess", "p-12345678", "rp-abcd", "rt-abcdefgh", "car-abcdefgh"}
	patterntest.Run(t, []patterntest.Case{
		{Name: "root id", Pattern: `^` + root + `$`, Check: isRootID, Alphabet: idChars, Valid: ids[:2], MaxLen: 40},
		{Name: "OU id", Pattern: `^` + ou + `$`, Check: isOUID, Alphabet: idChars, Valid: ids[2:4], MaxLen: 72},
		{Name: "policy id", Pattern: `^` + policy + `$`, Check: isPolicyID, Alphabet: idChars, Valid: ids[5:7], MaxLen: 135},
		{Name: "child id", Pattern: `^(?:\d{12}|` + ou + `)$`, Check: isChildID, Alphabet: idChars, Valid: ids[2:5], MaxLen: 72},
		{Name: "parent id", Pattern: `^(?:` + root + `|` + ou + `)$`, Check: isParentID, Alphabet: idChars, Valid: ids[:4], MaxLen: 72},
		{Name: "target id", Pattern: `^(?:` + root + `|\d{12}|` + ou + `)$`, Check: isTargetID, Alphabet: idChars, Valid: ids[:5], MaxLen: 72},
		{Name: "taggable id", Pattern: `^(?:` + root + `|\d{12}|` + ou + `|` + policy + `|rp-[0-9a-zA-Z_]{4,128}|rt-[0-9a-zA-Z_]{8,32})$`,
			Check: isTaggableID, Alphabet: idChars, Valid: ids[:9], MaxLen: 135},
		{Name: "create account request id", Pattern: `^car-[a-z0-9]{8,32}$`, Check: isCreateAccountRequestID, Alphabet: idChars + "c",
			Valid: ids[9:], MaxLen: 40},
		{Name: "role name", Pattern: `^[\w+=,.@-]{1,64}$`, Check: isRoleName, Alphabet: "aZ09_+=,.@-!#",
			Valid: []string{"OrganizationAccountAccessRole", "a", "x+=,.@-_1"}, MaxLen: 70},
	})
}
