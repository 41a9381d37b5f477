package store

import (
	"errors"
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

// PutAccount creates or replaces an account, keeping the index of its
// parent's children in step.
func (tx *Tx) PutAccount(a Account) error {
	var old Account
	if err := tx.get(accountsBucket, a.ID, &old); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if err := tx.reindexChild(old.ParentID, a.ParentID, ChildAccount, a.ID); err != nil {
		return err
	}
	return tx.put(accountsBucket, a.ID, a)
}

// Accounts lists every account, ordered by id.
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
	all, err := tx.Accounts()
	if err != nil {
		return nil, err
	}
	var out []Account
	for _, a := range all {
		if a.MemberOf(orgID, tx.now) {
			out = append(out, a)
		}
	}
	sortByTime(out, func(a Account) time.Time { return a.JoinedAt })
	return out, nil
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
	var found *Account
	err := each(tx, accountsBucket, "", func(_ string, a *Account) error {
		if strings.EqualFold(a.Email, email) {
			found = a
			return errStop
		}
		return nil
	})
	if err != nil {
		return Account{}, err
	}
	if found == nil {
		return Account{}, fmt.Errorf("account with email %s: %w", email, ErrNotFound)
	}
	return *found, nil
}

// MemberOf reports whether the account belongs to organization orgID at
// time now: accounts still being created (JoinedAt in the future) do not yet.
// A closed account leaves once its post-closure period is over.
func (a Account) MemberOf(orgID string, now time.Time) bool {
	return orgID != "" && a.OrganizationID == orgID && !a.JoinedAt.After(now) && a.State(now) != AccountClosed
}
