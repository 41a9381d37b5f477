package store

import (
	"fmt"
	"time"
)

// Organization is an AWS Organization with the settings that root access
// management depends on.
type Organization struct {
	ID                  string    `json:"id"`
	RootID              string    `json:"root_id"`
	FeatureSet          string    `json:"feature_set"` // ALL or CONSOLIDATED_BILLING
	ManagementAccountID string    `json:"management_account_id"`
	CreatedAt           time.Time `json:"created_at"`

	// ServiceAccess maps a trusted service principal to when it was enabled.
	ServiceAccess map[string]time.Time `json:"service_access,omitempty"`
	// DelegatedAdministrators maps a service principal to its delegated administrators.
	DelegatedAdministrators map[string][]Delegation `json:"delegated_administrators,omitempty"`
	// RootCredentialsManagement and RootSessions are IAM's two organization features.
	RootCredentialsManagement bool `json:"root_credentials_management,omitempty"`
	RootSessions              bool `json:"root_sessions,omitempty"`
}

// Delegation records that an account is a delegated administrator for a service.
type Delegation struct {
	AccountID string    `json:"account_id"`
	Since     time.Time `json:"since"`
}

// Organization returns the organization with id.
func (tx *Tx) Organization(id string) (Organization, error) {
	var o Organization
	if err := tx.get(organizationsBucket, id, &o); err != nil {
		return Organization{}, fmt.Errorf("organization %s: %w", id, err)
	}
	return o, nil
}

// OrganizationOf returns the organization account id belongs to;
// ErrNotFound when the account is in none (or does not exist).
func (tx *Tx) OrganizationOf(accountID string) (Organization, error) {
	a, err := tx.Account(accountID)
	if err != nil {
		return Organization{}, err
	}
	if a.OrganizationID == "" {
		return Organization{}, fmt.Errorf("organization of account %s: %w", accountID, ErrNotFound)
	}
	return tx.Organization(a.OrganizationID)
}

// PutOrganization creates or replaces an organization.
func (tx *Tx) PutOrganization(o Organization) error { return tx.put(organizationsBucket, o.ID, o) }

// IsDelegatedAdministrator reports whether accountID is a delegated administrator for service.
func (o Organization) IsDelegatedAdministrator(service, accountID string) bool {
	for _, d := range o.DelegatedAdministrators[service] {
		if d.AccountID == accountID {
			return true
		}
	}
	return false
}

// CreateAccountStatus is the record of one asynchronous CreateAccount request.
// The account itself is written at request time with JoinedAt = CompletesAt;
// until then the request reads as IN_PROGRESS, so the emulated clock alone
// drives the state machine and no background worker is needed.
type CreateAccountStatus struct {
	ID             string    `json:"id"`
	OrganizationID string    `json:"organization_id"`
	AccountName    string    `json:"account_name"`
	AccountID      string    `json:"account_id,omitempty"`
	RequestedAt    time.Time `json:"requested_at"`
	CompletesAt    time.Time `json:"completes_at"`
	FailureReason  string    `json:"failure_reason,omitempty"`
}

// State is IN_PROGRESS, SUCCEEDED or FAILED at time now.
func (c CreateAccountStatus) State(now time.Time) string {
	switch {
	case now.Before(c.CompletesAt):
		return "IN_PROGRESS"
	case c.FailureReason != "":
		return "FAILED"
	default:
		return "SUCCEEDED"
	}
}

// CreateAccountStatus returns the create-account request with id.
func (tx *Tx) CreateAccountStatus(id string) (CreateAccountStatus, error) {
	var c CreateAccountStatus
	if err := tx.get(createStatusesBucket, id, &c); err != nil {
		return CreateAccountStatus{}, fmt.Errorf("create account status %s: %w", id, err)
	}
	return c, nil
}

// PutCreateAccountStatus creates or replaces a create-account request.
func (tx *Tx) PutCreateAccountStatus(c CreateAccountStatus) error {
	return tx.put(createStatusesBucket, c.ID, c)
}

// CreateAccountStatuses lists an organization's create-account requests, oldest first.
func (tx *Tx) CreateAccountStatuses(orgID string) ([]CreateAccountStatus, error) {
	var out []CreateAccountStatus
	err := each(tx, createStatusesBucket, "", func(_ string, c *CreateAccountStatus) error {
		if c.OrganizationID == orgID {
			out = append(out, *c)
		}
		return nil
	})
	sortByTime(out, func(c CreateAccountStatus) time.Time { return c.RequestedAt })
	return out, err
}

// CreateOrganization makes managementAccountID the management account of a
// new organization with the feature set (ALL or CONSOLIDATED_BILLING).
// ErrConflict when the account is already in an organization.
func (tx *Tx) CreateOrganization(managementAccountID, featureSet string) (Organization, error) {
	acct, err := tx.Account(managementAccountID)
	if err != nil {
		return Organization{}, err
	}
	if acct.OrganizationID != "" {
		return Organization{}, fmt.Errorf("account %s is already in organization %s: %w", acct.ID, acct.OrganizationID, ErrConflict)
	}
	org := Organization{ID: NewOrganizationID(), RootID: NewRootID(), FeatureSet: featureSet,
		ManagementAccountID: acct.ID, CreatedAt: tx.now}
	acct.OrganizationID, acct.JoinedMethod, acct.JoinedAt = org.ID, "CREATED", tx.now
	if err := tx.PutAccount(acct); err != nil {
		return Organization{}, err
	}
	return org, tx.PutOrganization(org)
}
