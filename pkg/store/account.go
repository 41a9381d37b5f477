package store

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// Account is one AWS account in the world, in an organization or not.
type Account struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	Email          string    `json:"email"`
	OrganizationID string    `json:"organization_id,omitempty"`
	JoinedMethod   string    `json:"joined_method,omitempty"` // CREATED or INVITED
	JoinedAt       time.Time `json:"joined_at"`
	CreatedAt      time.Time `json:"created_at"`
	// ParentID is the root or OU the account sits under while it is in an
	// organization; empty outside one (and, in files written before OUs
	// existed, for accounts directly under the root).
	ParentID string            `json:"parent_id,omitempty"`
	Tags     map[string]string `json:"tags,omitempty"`
	// ClosureRequestedAt is when CloseAccount was called; ClosedAt is when the
	// closure completes (PENDING_CLOSURE until then, SUSPENDED after).
	ClosureRequestedAt time.Time `json:"closure_requested_at,omitempty"`
	ClosedAt           time.Time `json:"closed_at,omitempty"`
}

// Account states, as Organizations reports them (Account.State).
const (
	AccountPendingActivation = "PENDING_ACTIVATION"
	AccountActive            = "ACTIVE"
	AccountPendingClosure    = "PENDING_CLOSURE"
	AccountSuspended         = "SUSPENDED"
	AccountClosed            = "CLOSED"
)

// PostClosurePeriod is how long a closed account stays SUSPENDED in its
// organization (and can be reinstated) before AWS closes it for good and it
// leaves the organization.
const PostClosurePeriod = 90 * 24 * time.Hour

// State is the account's lifecycle state at time now.
func (a Account) State(now time.Time) string {
	switch {
	case !a.ClosureRequestedAt.IsZero() && now.Before(a.ClosedAt):
		return AccountPendingClosure
	case !a.ClosureRequestedAt.IsZero() && now.Before(a.ClosedAt.Add(PostClosurePeriod)):
		return AccountSuspended
	case !a.ClosureRequestedAt.IsZero():
		return AccountClosed
	case a.JoinedAt.After(now):
		return AccountPendingActivation
	}
	return AccountActive
}

// Closing reports whether CloseAccount has been called on the account.
func (a Account) Closing() bool { return !a.ClosureRequestedAt.IsZero() }

// Account returns the account with id.
func (tx *Tx) Account(id string) (Account, error) {
	var a Account
	if err := tx.get(accountsBucket, id, &a); err != nil {
		return Account{}, fmt.Errorf("account %s: %w", id, err)
	}
	return a, nil
}

// AccountExists reports whether id names an account.
func (tx *Tx) AccountExists(id string) bool { return tx.exists(accountsBucket, id) }

// PutAccount creates or replaces an account, with its index entries (the
// parent's children among them).
func (tx *Tx) PutAccount(a Account) error {
	return putIndexed(tx, accountsBucket, a.ID, a, accountIndexEntries)
}

// DeleteAccount removes an account record and its index entries;
// ErrNotFound when absent. What lives in the account (principals, keys,
// buckets, queues) is the caller's to remove first.
func (tx *Tx) DeleteAccount(id string) error {
	if err := deleteIndexed(tx, accountsBucket, id, accountIndexEntries); err != nil {
		return fmt.Errorf("account %s: %w", id, err)
	}
	return nil
}

// Accounts lists every account, ordered by id. It reads the whole bucket:
// for start-up and control listings, not for API calls (which page with
// OrganizationAccountsPage).
func (tx *Tx) Accounts() ([]Account, error) {
	var out []Account
	err := each(tx, accountsBucket, "", func(_ string, a *Account) error {
		out = append(out, *a)
		return nil
	})
	return out, err
}

// OrganizationAccounts lists the accounts of an organization that have
// joined by now (accounts still being created are not members yet), ordered
// by the time they joined and then by id.
func (tx *Tx) OrganizationAccounts(orgID string) ([]Account, error) {
	out, _, err := tx.OrganizationAccountsPage(orgID, "", 0)
	return out, err
}

// OrganizationAccountsPage is one page of OrganizationAccounts: at most
// limit accounts (limit <= 0: all) from where the cursor after ("" for the
// start) left off, and the cursor of the next page ("" on the last page).
// ErrInvalidCursor for a cursor it did not hand out.
func (tx *Tx) OrganizationAccountsPage(orgID, after string, limit int) ([]Account, string, error) {
	return tx.scopeAccountsPage(orgID, after, limit)
}

// scopeAccountsPage pages the accounts that have joined scope (an
// organization; a parent once there are OUs) by now, by joining time.
func (tx *Tx) scopeAccountsPage(scope, after string, limit int) ([]Account, string, error) {
	if scope == "" {
		return []Account{}, "", nil
	}
	return pageIndex(tx, accountsByScope, scope+"\x00", "", after, limit,
		func(rest []byte) (Account, bool, bool, error) {
			if len(rest) <= timeKeyLen {
				return Account{}, false, false, fmt.Errorf("index %s: malformed key under %s", accountsByScope, scope)
			}
			if timeOfKey(rest).After(tx.now) {
				return Account{}, false, true, nil // joins later, and so do all that follow
			}
			a, err := tx.Account(string(rest[timeKeyLen:]))
			// A closed account leaves once its post-closure period is over.
			return a, err == nil && a.State(tx.now) != AccountClosed, false, err
		})
}

// CreateMemberAccount creates a new account in an organization that joins
// at joinAt (CreateAccount's completion time), with the role AWS creates in
// every new member account so that the management account can reach in:
// roleName (OrganizationAccountAccessRole by default) trusts the management
// account and has administrator rights.
func (tx *Tx) CreateMemberAccount(org Organization, name, email, roleName, roleTrust string, joinAt time.Time) (Account, error) {
	return tx.JoinMemberAccount(Account{Name: name, Email: email, OrganizationID: org.ID,
		JoinedMethod: "CREATED", JoinedAt: joinAt}, roleName, roleTrust)
}

// JoinMemberAccount adds account a to its organization (a.OrganizationID)
// with the management account's access role, as CreateMemberAccount does,
// for accounts whose id or joining method are given (scenarios' legacy
// accounts, which joined by invitation). An empty a.ID is generated;
// ErrConflict when the id is taken.
func (tx *Tx) JoinMemberAccount(a Account, roleName, roleTrust string) (Account, error) {
	if a.ID == "" {
		a.ID = tx.NewAccountID()
	} else if tx.AccountExists(a.ID) {
		return Account{}, fmt.Errorf("account %s: %w", a.ID, ErrConflict)
	}
	a.CreatedAt = tx.now
	if a.OrganizationID != "" {
		org, err := tx.Organization(a.OrganizationID)
		if err != nil {
			return Account{}, err
		}
		if a.ParentID == "" {
			a.ParentID = org.RootID
		}
		if err := tx.PutAccount(a); err != nil {
			return Account{}, err
		}
		if err := tx.attachManagedPolicies(org, a.ID); err != nil {
			return Account{}, err
		}
	} else if err := tx.PutAccount(a); err != nil {
		return Account{}, err
	}
	if _, err := tx.CreateRole(a.ID, roleName, roleTrust,
		map[string]string{"AdministratorAccess": AdministratorAccess}, time.Hour); err != nil {
		return Account{}, err
	}
	return a, nil
}

// AccountByEmail returns the account with the email address (compared
// case-insensitively, as AWS does); ErrNotFound when none has it.
func (tx *Tx) AccountByEmail(email string) (Account, error) {
	prefix := []byte(foldKey(email) + "\x00")
	c := tx.btx.Bucket(accountsByEmail).Cursor()
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		// Ids have no NUL; an email with one could share the prefix, hence the check.
		a, err := tx.Account(string(k[bytes.LastIndexByte(k, 0)+1:]))
		if err != nil {
			return Account{}, err
		}
		if strings.EqualFold(a.Email, email) {
			return a, nil
		}
	}
	return Account{}, fmt.Errorf("account with email %s: %w", email, ErrNotFound)
}

// MemberOf reports whether the account belongs to organization orgID at
// time now: accounts still being created (JoinedAt in the future) do not yet.
// A closed account leaves once its post-closure period is over.
func (a Account) MemberOf(orgID string, now time.Time) bool {
	return orgID != "" && a.OrganizationID == orgID && !a.JoinedAt.After(now) && a.State(now) != AccountClosed
}
