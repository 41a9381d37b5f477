package store

import (
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
}

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

// PutAccount creates or replaces an account.
func (tx *Tx) PutAccount(a Account) error { return tx.put(accountsBucket, a.ID, a) }

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
		if a.OrganizationID == orgID && !a.JoinedAt.After(tx.now) {
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
	if err := tx.PutAccount(a); err != nil {
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
func (a Account) MemberOf(orgID string, now time.Time) bool {
	return orgID != "" && a.OrganizationID == orgID && !a.JoinedAt.After(now)
}
