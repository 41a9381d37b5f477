package store

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"
)

// Principal kinds stored as IAM entities.
const (
	PrincipalUser  = "user"
	PrincipalRole  = "role"
	PrincipalGroup = "group"
)

// Principal is an IAM user, role or group with its identity policies.
type Principal struct {
	ARN       string `json:"arn"`
	AccountID string `json:"account_id"`
	Kind      string `json:"kind"` // user or role
	Name      string `json:"name"`
	Path      string `json:"path"`
	ID        string `json:"id"` // AIDA… or AROA…
	// Policies maps a policy name to its identity-based policy document.
	Policies map[string]string `json:"policies,omitempty"`
	// TrustPolicy is a role's assume-role policy document.
	TrustPolicy        string    `json:"trust_policy,omitempty"`
	MaxSessionDuration int       `json:"max_session_duration,omitempty"` // seconds, roles only
	Description        string    `json:"description,omitempty"`          // roles only
	Tags               []Tag     `json:"tags,omitempty"`                 // ordered by key
	CreatedAt          time.Time `json:"created_at"`
	// LoginProfile is a user's console password (its existence only); nil when none.
	LoginProfile *LoginProfile `json:"login_profile,omitempty"`
	// Groups are the ARNs of a user's groups, in the order it joined them;
	// the groupMembers index holds the reverse relation.
	Groups []string `json:"groups,omitempty"`
	// ManagedPolicies are the ARNs of the managed policies (customer or AWS
	// managed) attached to the user, role or group, in the order they were
	// attached; the policyAttachments index holds the reverse relation.
	ManagedPolicies []string `json:"managed_policies,omitempty"`
}

// Tag is an IAM tag of a user, role or customer managed policy.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// PrincipalARN is the ARN of the user or role (kind) named name on path
// ("/" or "/a/b/") in an account: arn:aws:iam::<acct>:user/a/b/name.
func PrincipalARN(accountID, kind, path, name string) string {
	return "arn:aws:iam::" + accountID + ":" + kind + path + name
}

// Principal returns the user or role with the ARN.
func (tx *Tx) Principal(arn string) (Principal, error) {
	var p Principal
	if err := tx.get(principalsBucket, arn, &p); err != nil {
		return Principal{}, fmt.Errorf("principal %s: %w", arn, err)
	}
	return p, nil
}

// PutPrincipal creates or replaces a user or role.
func (tx *Tx) PutPrincipal(p Principal) error {
	return putIndexed(tx, principalsBucket, p.ARN, p, principalIndexEntries)
}

// Principal returns the user or role with the ARN, in its own transaction.
func (s *Store) Principal(ctx context.Context, arn string) (Principal, error) {
	return viewOne(ctx, s, func(tx *Tx) (Principal, error) { return tx.Principal(arn) })
}

// AdministratorAccess is the AWS managed policy document that allows everything.
const AdministratorAccess = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// CreateUser creates an IAM user on path "/" in an account with the given
// identity policies; ErrConflict when the account has a user of that name.
func (tx *Tx) CreateUser(accountID, name string, policies map[string]string) (Principal, error) {
	return tx.AddPrincipal(Principal{AccountID: accountID, Kind: PrincipalUser, Name: name, Policies: policies})
}

// CreateRole creates an IAM role on path "/" with a trust policy and
// identity policies; ErrConflict when the account has a role of that name.
func (tx *Tx) CreateRole(accountID, name, trustPolicy string, policies map[string]string, maxSession time.Duration) (Principal, error) {
	return tx.AddPrincipal(Principal{AccountID: accountID, Kind: PrincipalRole, Name: name, Policies: policies,
		TrustPolicy: trustPolicy, MaxSessionDuration: int(maxSession / time.Second)})
}

// AddPrincipal creates the user or role p describes (AccountID, Kind, Name,
// Path — "/" when empty — and whatever else it sets), giving it its ARN, a
// new unique id (AIDA… or AROA…) and the creation time. IAM names are unique
// per account and kind whatever the path and letter case, so a name the
// account's users (or roles) already have is ErrConflict.
func (tx *Tx) AddPrincipal(p Principal) (Principal, error) {
	if p.Path == "" {
		p.Path = "/"
	}
	if _, err := tx.PrincipalNamed(p.AccountID, p.Kind, p.Name); err == nil {
		return Principal{}, fmt.Errorf("%s %s in %s: %w", p.Kind, p.Name, p.AccountID, ErrConflict)
	}
	prefix := map[string]string{PrincipalUser: "AIDA", PrincipalRole: "AROA", PrincipalGroup: "AGPA"}[p.Kind]
	p.ARN, p.ID, p.CreatedAt = PrincipalARN(p.AccountID, p.Kind, p.Path, p.Name), NewUniqueID(prefix), tx.now
	return p, tx.PutPrincipal(p)
}

// PrincipalNamed returns the account's user or role (kind) called name, on
// any path, with the name compared case-insensitively as IAM does;
// ErrNotFound when there is none.
func (tx *Tx) PrincipalNamed(accountID, kind, name string) (Principal, error) {
	prefix := []byte(principalNamePrefix(accountID, kind) + foldKey(name) + "\x00")
	c := tx.btx.Bucket(principalsByName).Cursor()
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		// ARNs have no NUL; a name with one could share the prefix, hence the check.
		p, err := tx.Principal(string(k[bytes.LastIndexByte(k, 0)+1:]))
		if err != nil {
			return Principal{}, err
		}
		if strings.EqualFold(p.Name, name) {
			return p, nil
		}
	}
	return Principal{}, fmt.Errorf("%s %s in %s: %w", kind, name, accountID, ErrNotFound)
}

// Principals lists the account's users or roles (kind) whose path starts
// with pathPrefix, ordered by name (case-insensitively, then by ARN).
func (tx *Tx) Principals(accountID, kind, pathPrefix string) ([]Principal, error) {
	out, _, err := tx.PrincipalsPage(accountID, kind, pathPrefix, "", 0)
	return out, err
}

// PrincipalsPage is one page of Principals: at most limit (limit <= 0: all)
// from where the cursor after ("" for the start) left off, and the cursor
// of the next page ("" on the last page). ErrInvalidCursor for a cursor it
// did not hand out.
func (tx *Tx) PrincipalsPage(accountID, kind, pathPrefix, after string, limit int) ([]Principal, string, error) {
	return pageIndex(tx, principalsByName, principalNamePrefix(accountID, kind), "", after, limit,
		func(rest []byte) (Principal, bool, bool, error) {
			p, err := tx.Principal(string(rest[bytes.LastIndexByte(rest, 0)+1:]))
			return p, err == nil && strings.HasPrefix(p.Path, pathPrefix), false, err
		})
}

// principalCount counts the account's users or roles (kind) from the index alone.
func (tx *Tx) principalCount(accountID, kind string) int {
	n := 0
	prefix := []byte(principalNamePrefix(accountID, kind))
	c := tx.btx.Bucket(principalsByName).Cursor()
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		n++
	}
	return n
}

// DeletePrincipal removes a user or role; ErrNotFound when absent. What
// must be gone first (access keys, inline policies) is the caller's to
// check in the same transaction: the rules and their messages are IAM's.
// Sessions of a deleted role stay until they expire but are allowed
// nothing, since their identity policies are gone with the role.
func (tx *Tx) DeletePrincipal(arn string) error {
	if err := deleteIndexed(tx, principalsBucket, arn, principalIndexEntries); err != nil {
		return fmt.Errorf("principal %s: %w", arn, err)
	}
	return nil
}

// GroupMembers lists the users of a group, in the order of their ARNs: a
// prefix seek of the group-members index.
func (tx *Tx) GroupMembers(groupARN string) ([]Principal, error) {
	var out []Principal
	prefix := []byte(groupARN + "\x00")
	c := tx.btx.Bucket(groupMembers).Cursor()
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		p, err := tx.Principal(string(k[len(prefix):]))
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// HasGroupMembers reports whether a group has users, from the index alone.
func (tx *Tx) HasGroupMembers(groupARN string) bool {
	prefix := []byte(groupARN + "\x00")
	k, _ := tx.btx.Bucket(groupMembers).Cursor().Seek(prefix)
	return k != nil && hasPrefix(k, prefix)
}

// CreateAccessKey creates an active long-term access key for an IAM user
// (kind KindUser, principal the user) or an account's root (KindRoot,
// principal RootUserARN), refusing a third one with ErrLimitExceeded. An
// empty id or secret is generated; a given id already in use is ErrConflict.
func (tx *Tx) CreateAccessKey(kind, accountID, principalARN, principalID, id, secret string) (Credential, error) {
	keys, err := tx.CredentialsOf(principalARN)
	if err != nil {
		return Credential{}, err
	}
	if len(keys) >= MaxAccessKeys {
		return Credential{}, fmt.Errorf("access keys of %s: %d already: %w", principalARN, len(keys), ErrLimitExceeded)
	}
	if id == "" {
		id = tx.NewAccessKeyID("AKIA")
	} else if tx.exists(credentialsBucket, id) {
		return Credential{}, fmt.Errorf("access key %s: %w", id, ErrConflict)
	}
	if secret == "" {
		secret = NewSecretAccessKey()
	}
	c := Credential{AccessKeyID: id, SecretAccessKey: secret, Kind: kind, AccountID: accountID,
		PrincipalARN: principalARN, PrincipalID: principalID, Status: "Active", CreatedAt: tx.now}
	return c, tx.PutCredential(c)
}

// CreateUserLoginProfile gives a user a console password; ErrConflict when
// it has one already. Only the fact is kept, never the password.
func (tx *Tx) CreateUserLoginProfile(userARN string, resetRequired bool) (LoginProfile, error) {
	p, err := tx.Principal(userARN)
	if err != nil {
		return LoginProfile{}, err
	}
	if p.LoginProfile != nil {
		return LoginProfile{}, fmt.Errorf("login profile of %s: %w", userARN, ErrConflict)
	}
	lp := LoginProfile{CreatedAt: tx.now, PasswordResetRequired: resetRequired}
	p.LoginProfile = &lp
	return lp, tx.PutPrincipal(p)
}

// DeleteUserLoginProfile removes a user's console password; ErrNotFound when there is none.
func (tx *Tx) DeleteUserLoginProfile(userARN string) error {
	p, err := tx.Principal(userARN)
	if err != nil {
		return err
	}
	if p.LoginProfile == nil {
		return fmt.Errorf("login profile of %s: %w", userARN, ErrNotFound)
	}
	p.LoginProfile = nil
	return tx.PutPrincipal(p)
}
