package store

import (
	"fmt"
	"slices"
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

	// PolicyTypes are the policy types enabled in the root (SERVICE_CONTROL_POLICY…).
	PolicyTypes []string `json:"policy_types,omitempty"`
	// RootTags are the root's tags.
	RootTags map[string]string `json:"root_tags,omitempty"`
	// OrganizationalUnits counts the OUs, for AWS's limit of 1,000 OUs.
	OrganizationalUnits int `json:"organizational_units,omitempty"`
	// AccountClosures are when CloseAccount closed accounts, for AWS's quota
	// of closures in a rolling 30 days (older ones are dropped).
	AccountClosures []time.Time `json:"account_closures,omitempty"`
}

// PolicyTypeEnabled reports whether the policy type is enabled in the root.
func (o Organization) PolicyTypeEnabled(t string) bool { return slices.Contains(o.PolicyTypes, t) }

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
	return putIndexed(tx, createStatusesBucket, c.ID, c, createStatusIndexEntries)
}

// CreateAccountStatuses lists an organization's create-account requests,
// oldest first (then by id).
func (tx *Tx) CreateAccountStatuses(orgID string) ([]CreateAccountStatus, error) {
	out, _, err := tx.CreateAccountStatusesPage(orgID, nil, "", 0)
	return out, err
}

// CreateAccountStatusesPage is one page of CreateAccountStatuses, of the
// requests whose State at the transaction's time is one of states (all when
// empty): at most limit (limit <= 0: all) from where the cursor after (""
// for the start) left off, and the cursor of the next page ("" on the last
// page). ErrInvalidCursor for a cursor it did not hand out.
func (tx *Tx) CreateAccountStatusesPage(orgID string, states []string, after string, limit int) ([]CreateAccountStatus, string, error) {
	return pageIndex(tx, createStatusesByOrg, orgID+"\x00", "", after, limit,
		func(rest []byte) (CreateAccountStatus, bool, bool, error) {
			if len(rest) <= timeKeyLen {
				return CreateAccountStatus{}, false, false, fmt.Errorf("index %s: malformed key under %s", createStatusesByOrg, orgID)
			}
			c, err := tx.CreateAccountStatus(string(rest[timeKeyLen:]))
			if err != nil {
				return CreateAccountStatus{}, false, false, err
			}
			return c, len(states) == 0 || slices.Contains(states, c.State(tx.now)), false, nil
		})
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
	acct.OrganizationID, acct.JoinedMethod, acct.JoinedAt, acct.ParentID = org.ID, "CREATED", tx.now, org.RootID
	if err := tx.PutAccount(acct); err != nil {
		return Organization{}, err
	}
	return org, tx.PutOrganization(org)
}

// ServiceAccessEnabled reports whether trusted access is enabled for the service principal.
func (o Organization) ServiceAccessEnabled(principal string) bool {
	_, ok := o.ServiceAccess[principal]
	return ok
}

// EnableServiceAccess enables trusted access for a service principal at
// time at. Enabling it again keeps the original date, as AWS reports it.
func (o *Organization) EnableServiceAccess(principal string, at time.Time) {
	if o.ServiceAccessEnabled(principal) {
		return
	}
	if o.ServiceAccess == nil {
		o.ServiceAccess = map[string]time.Time{}
	}
	o.ServiceAccess[principal] = at
}

// DisableServiceAccess disables trusted access for a service principal and
// deregisters the service's delegated administrators: a delegated
// administrator cannot be registered without trusted access, so none may
// outlive it. It reports whether access had been enabled.
func (o *Organization) DisableServiceAccess(principal string) bool {
	enabled := o.ServiceAccessEnabled(principal)
	delete(o.ServiceAccess, principal)
	delete(o.DelegatedAdministrators, principal)
	return enabled
}

// AddDelegatedAdministrator registers accountID as a delegated administrator
// for service since at. Registering it twice is the caller's mistake to
// check first (IsDelegatedAdministrator); it is not recorded twice.
func (o *Organization) AddDelegatedAdministrator(service, accountID string, at time.Time) {
	if o.IsDelegatedAdministrator(service, accountID) {
		return
	}
	if o.DelegatedAdministrators == nil {
		o.DelegatedAdministrators = map[string][]Delegation{}
	}
	o.DelegatedAdministrators[service] = append(o.DelegatedAdministrators[service], Delegation{AccountID: accountID, Since: at})
}

// RemoveDelegatedAdministrator deregisters accountID as a delegated
// administrator for service and reports whether it was one.
func (o *Organization) RemoveDelegatedAdministrator(service, accountID string) bool {
	ds := o.DelegatedAdministrators[service]
	for i, d := range ds {
		if d.AccountID == accountID {
			ds = append(ds[:i:i], ds[i+1:]...)
			if len(ds) == 0 {
				delete(o.DelegatedAdministrators, service)
			} else {
				o.DelegatedAdministrators[service] = ds
			}
			return true
		}
	}
	return false
}

// DelegatedAdministratorSince returns when accountID first became a
// delegated administrator for any service; false when it is none.
func (o Organization) DelegatedAdministratorSince(accountID string) (time.Time, bool) {
	var since time.Time
	found := false
	for _, ds := range o.DelegatedAdministrators {
		for _, d := range ds {
			if d.AccountID == accountID && (!found || d.Since.Before(since)) {
				since, found = d.Since, true
			}
		}
	}
	return since, found
}
