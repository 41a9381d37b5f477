package store

import (
	"context"
	"fmt"
	"time"
)

// Principal kinds stored as IAM entities.
const (
	PrincipalUser = "user"
	PrincipalRole = "role"
)

// Principal is an IAM user or role with its identity policies.
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
	CreatedAt          time.Time `json:"created_at"`
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
func (tx *Tx) PutPrincipal(p Principal) error { return tx.put(principalsBucket, p.ARN, p) }

// Principal returns the user or role with the ARN, in its own transaction.
func (s *Store) Principal(ctx context.Context, arn string) (Principal, error) {
	return viewOne(ctx, s, func(tx *Tx) (Principal, error) { return tx.Principal(arn) })
}

// AdministratorAccess is the AWS managed policy document that allows everything.
const AdministratorAccess = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// CreateUser creates an IAM user in an account with the given identity policies.
func (tx *Tx) CreateUser(accountID, name string, policies map[string]string) (Principal, error) {
	p := Principal{ARN: "arn:aws:iam::" + accountID + ":user/" + name, AccountID: accountID, Kind: PrincipalUser,
		Name: name, Path: "/", ID: NewUniqueID("AIDA"), Policies: policies, CreatedAt: tx.now}
	if tx.exists(principalsBucket, p.ARN) {
		return Principal{}, fmt.Errorf("user %s: %w", p.ARN, ErrConflict)
	}
	return p, tx.PutPrincipal(p)
}

// CreateRole creates an IAM role with a trust policy and identity policies.
func (tx *Tx) CreateRole(accountID, name, trustPolicy string, policies map[string]string, maxSession time.Duration) (Principal, error) {
	p := Principal{ARN: "arn:aws:iam::" + accountID + ":role/" + name, AccountID: accountID, Kind: PrincipalRole,
		Name: name, Path: "/", ID: NewUniqueID("AROA"), Policies: policies, TrustPolicy: trustPolicy,
		MaxSessionDuration: int(maxSession / time.Second), CreatedAt: tx.now}
	if tx.exists(principalsBucket, p.ARN) {
		return Principal{}, fmt.Errorf("role %s: %w", p.ARN, ErrConflict)
	}
	return p, tx.PutPrincipal(p)
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
