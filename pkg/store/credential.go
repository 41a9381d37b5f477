package store

import (
	"bytes"
	"context"
	"fmt"
	"time"
)

// Kinds of credential, each its own kind of identity.
const (
	// KindUser is an IAM user's long-term access key (AKIA…).
	KindUser = "user"
	// KindRoot is an account root user's long-term access key (AKIA…).
	KindRoot = "root"
	// KindRootSession is a temporary AssumeRoot credential (ASIA…) scoped by a task policy.
	KindRootSession = "root-session"
	// KindRoleSession is a temporary AssumeRole credential (ASIA…).
	KindRoleSession = "role-session"
)

// Credential is an access key with everything needed to authenticate a
// request signed with it and to tell who signed it.
type Credential struct {
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
	SessionToken    string `json:"session_token,omitempty"`
	Kind            string `json:"kind"`
	AccountID       string `json:"account_id"`
	// PrincipalARN is the user's ARN, the root ARN (root keys and root
	// sessions) or the role's ARN (role sessions).
	PrincipalARN   string `json:"principal_arn"`
	PrincipalID    string `json:"principal_id,omitempty"` // AIDA…/AROA… unique id of the user or role
	SessionName    string `json:"session_name,omitempty"`
	TaskPolicyARN  string `json:"task_policy_arn,omitempty"`
	SourceIdentity string `json:"source_identity,omitempty"`
	// SessionTags are a role session's tags (AssumeRole Tags): its
	// aws:PrincipalTag condition keys.
	SessionTags map[string]string `json:"session_tags,omitempty"`
	// IssuedBy is the access key id whose holder minted this temporary credential.
	IssuedBy  string    `json:"issued_by,omitempty"`
	Status    string    `json:"status,omitempty"` // Active or Inactive (long-term keys)
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitempty"` // zero for long-term keys

	LastUsedAt      time.Time `json:"last_used_at,omitempty"`
	LastUsedService string    `json:"last_used_service,omitempty"`
	LastUsedRegion  string    `json:"last_used_region,omitempty"`
}

// Temporary reports whether the credential is an STS session credential.
func (c Credential) Temporary() bool { return !c.ExpiresAt.IsZero() }

// Expired reports whether a temporary credential has expired at now.
func (c Credential) Expired(now time.Time) bool { return c.Temporary() && !now.Before(c.ExpiresAt) }

// Credential returns the credential with the access key id.
func (tx *Tx) Credential(accessKeyID string) (Credential, error) {
	var c Credential
	if err := tx.get(credentialsBucket, accessKeyID, &c); err != nil {
		return Credential{}, fmt.Errorf("access key %s: %w", accessKeyID, err)
	}
	return c, nil
}

// PutCredential creates or replaces a credential.
func (tx *Tx) PutCredential(c Credential) error {
	tx.credentialChanges.touch(c.AccessKeyID)
	return putIndexed(tx, credentialsBucket, c.AccessKeyID, c, credentialIndexEntries)
}

// DeleteCredential removes a credential; ErrNotFound when absent.
func (tx *Tx) DeleteCredential(accessKeyID string) error {
	tx.credentialChanges.touch(accessKeyID)
	if err := deleteIndexed(tx, credentialsBucket, accessKeyID, credentialIndexEntries); err != nil {
		return fmt.Errorf("access key %s: %w", accessKeyID, err)
	}
	return nil
}

// CredentialsOf lists the long-term access keys whose principal is
// principalARN, oldest first (then by id).
func (tx *Tx) CredentialsOf(principalARN string) ([]Credential, error) {
	var out []Credential
	prefix := []byte(principalARN + "\x00")
	c := tx.btx.Bucket(credentialsByPrincipal).Cursor()
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		// Key ids have no NUL; an ARN with one could share the prefix, hence the check.
		cred, err := tx.Credential(string(k[bytes.LastIndexByte(k, 0)+1:]))
		if err != nil {
			return nil, err
		}
		if cred.PrincipalARN == principalARN {
			out = append(out, cred)
		}
	}
	sortByTime(out, func(c Credential) time.Time { return c.CreatedAt })
	return out, nil
}

// viewOne is what read returns, read in a transaction of its own: the
// Store-level form of a Tx getter.
func viewOne[T any](ctx context.Context, s *Store, read func(*Tx) (T, error)) (T, error) {
	var v T
	err := s.View(ctx, func(tx *Tx) error {
		var err error
		v, err = read(tx)
		return err
	})
	return v, err
}

// PurgeExpiredCredentials deletes temporary credentials that expired before
// cutoff and returns how many it deleted. Sessions are kept for a while after
// they expire so that their holders get ExpiredToken, as in AWS, rather than
// an unknown-key error.
func (s *Store) PurgeExpiredCredentials(ctx context.Context, cutoff time.Time) (int, error) {
	// Most purges (every start's among them) find nothing: a read tells,
	// and spares them a write transaction's two fsyncs.
	found := false
	if err := s.View(ctx, func(tx *Tx) error { found = len(tx.expiredSessions(cutoff, 1)) > 0; return nil }); err != nil || !found {
		return 0, err
	}
	n := 0
	err := s.Update(ctx, func(tx *Tx) error {
		doomed := tx.expiredSessions(cutoff, -1)
		for _, id := range doomed {
			if err := tx.DeleteCredential(id); err != nil {
				return err
			}
		}
		n = len(doomed)
		return nil
	})
	return n, err
}

// expiredSessions are the ids of the sessions that expired before cutoff,
// at most limit of them (all if limit < 0): the expiry index is in expiry
// order, so they are its first keys.
func (tx *Tx) expiredSessions(cutoff time.Time, limit int) []string {
	var doomed []string
	c := tx.btx.Bucket(sessionsByExpiry).Cursor()
	for k, _ := c.First(); k != nil && len(k) > timeKeyLen && timeOfKey(k).Before(cutoff) && len(doomed) != limit; k, _ = c.Next() {
		doomed = append(doomed, string(k[timeKeyLen:]))
	}
	return doomed
}
