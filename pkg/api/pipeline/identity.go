package pipeline

import (
	"time"

	"github.com/rootaccess/emulator/pkg/store"
)

// Identity is who signed a request, as established by SigV4 authentication.
type Identity struct {
	Kind        string // store.KindUser, KindRoot, KindRootSession, KindRoleSession
	AccountID   string
	AccessKeyID string
	// ARN is the caller as GetCallerIdentity names it: a user ARN, the
	// account root ARN, or an assumed-role session ARN.
	ARN string
	// UserID is GetCallerIdentity's UserId: AIDA… for users, the account id
	// for root, "AROA…:session" for role sessions.
	UserID string
	// PrincipalARN is the IAM entity whose identity policies apply: the user
	// or role ARN; for root kinds the root ARN.
	PrincipalARN   string
	TaskPolicyARN  string // root sessions only
	SourceIdentity string
	SessionTags    map[string]string // role sessions: aws:PrincipalTag/<key>
	ExpiresAt      time.Time
	SessionIssued  time.Time
}

// IsRoot reports whether the caller acts as an account's root user
// (a long-term root key or an AssumeRoot session).
func (id Identity) IsRoot() bool {
	return id.Kind == store.KindRoot || id.Kind == store.KindRootSession
}

// identityOf derives the caller identity from the credential that signed.
func IdentityOf(c store.Credential) Identity {
	id := Identity{Kind: c.Kind, AccountID: c.AccountID, AccessKeyID: c.AccessKeyID,
		PrincipalARN: c.PrincipalARN, TaskPolicyARN: c.TaskPolicyARN, SourceIdentity: c.SourceIdentity,
		SessionTags: c.SessionTags, ExpiresAt: c.ExpiresAt, SessionIssued: c.CreatedAt}
	switch c.Kind {
	case store.KindRoot, store.KindRootSession:
		id.ARN, id.UserID, id.PrincipalARN = store.RootUserARN(c.AccountID), c.AccountID, store.RootUserARN(c.AccountID)
	case store.KindRoleSession:
		id.ARN = AssumedRoleARN(c.PrincipalARN, c.SessionName)
		id.UserID = c.PrincipalID + ":" + c.SessionName
	default:
		id.ARN, id.UserID = c.PrincipalARN, c.PrincipalID
	}
	return id
}

// RoleARNPattern matches an IAM role ARN, capturing its account and name.
var RoleARNPattern = NewPattern(`^arn:aws:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)$`)

// AssumedRoleARN is the STS ARN of a session of role: arn:aws:sts::ID:assumed-role/Name/session.
func AssumedRoleARN(roleARN, session string) string {
	m := RoleARNPattern.FindStringSubmatch(roleARN)
	if m == nil {
		return roleARN
	}
	return "arn:aws:sts::" + m[1] + ":assumed-role/" + m[2] + "/" + session
}
