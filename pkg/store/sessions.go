package store

import (
	"context"
	"time"
)

// SessionsIssuedIn lists the temporary credentials (root and role
// sessions) whose issuing key belongs to account, newest first, for the
// console's sessions page (a page view, not a request path).
func (s *Store) SessionsIssuedIn(ctx context.Context, account string) ([]Credential, error) {
	var out []Credential
	err := s.View(ctx, func(tx *Tx) error {
		issuers := map[string]string{} // issuing key id → its account
		return each(tx, credentialsBucket, "", func(_ string, c *Credential) error {
			if !c.Temporary() || c.IssuedBy == "" {
				return nil
			}
			acct, known := issuers[c.IssuedBy]
			if !known {
				if issuer, err := tx.Credential(c.IssuedBy); err == nil {
					acct = issuer.AccountID
				}
				issuers[c.IssuedBy] = acct
			}
			if acct == account {
				out = append(out, *c)
			}
			return nil
		})
	})
	sortByTime(out, func(c Credential) time.Time { return c.CreatedAt })
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}
