package organizations

import (
	"context"
	"sort"
	"time"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// closeAccountWindow is the rolling period of AWS's CloseAccount quota.
const closeAccountWindow = 30 * 24 * time.Hour

// closeAccountQuota is how many accounts an organization of members member
// accounts may close in a rolling 30 days: the higher of 250 and 20% of the
// members, at most 1,000.
func closeAccountQuota(members int) int {
	return min(1000, max(250, members/5))
}

// --- CloseAccount ---

type accountIDInput struct {
	AccountID string `json:"AccountId"`
}

func (in *accountIDInput) Validate() error {
	v := &input{}
	if v.required("AccountId", in.AccountID != "") {
		v.text("AccountId", in.AccountID, 1, 12, pipeline.AccountIDPattern.MatchString)
	}
	return v.result()
}

// closeAccount closes a member account asynchronously on the emulated
// clock: PENDING_CLOSURE for the service's account delay, then SUSPENDED for
// store.PostClosurePeriod, after which the account leaves the organization.
func (s *Service) closeAccount(ctx context.Context, c *pipeline.Call, in *accountIDInput) (*pipeline.NoOutput, error) {
	return s.change(ctx, c, manager, func(tx *store.Tx, org *store.Organization) error {
		if org.FeatureSet != "ALL" {
			return notAllFeatures()
		}
		if in.AccountID == org.ManagementAccountID {
			return constraint("CANNOT_CLOSE_MANAGEMENT_ACCOUNT",
				"You attempted to close the management account. To close the management account for the organization, you must first either remove or close all member accounts in the organization. Follow standard account closure process using root credentials.")
		}
		acct, err := memberAccount(tx, *org, in.AccountID)
		if err != nil {
			return err
		}
		now := tx.Now()
		switch acct.State(now) {
		case store.AccountPendingClosure:
			return orgError("ConflictException", "The request failed because it conflicts with the current state of the specified resource.")
		case store.AccountSuspended:
			return orgError("AccountAlreadyClosedException", "You provided an account that is already closed.")
		}
		recent := org.AccountClosures[:0:0]
		for _, at := range org.AccountClosures {
			if now.Sub(at) < closeAccountWindow {
				recent = append(recent, at)
			}
		}
		members, err := tx.OrganizationAccounts(org.ID)
		if err != nil {
			return err
		}
		if len(recent) >= closeAccountQuota(len(members)-1) {
			return constraint("CLOSE_ACCOUNT_QUOTA_EXCEEDED", "You have exceeded close account quota for the past 30 days.")
		}
		org.AccountClosures = append(recent, now)
		acct.ClosureRequestedAt, acct.ClosedAt = now, now.Add(s.createAccountDelay)
		return tx.PutAccount(acct)
	})
}

// --- RemoveAccountFromOrganization ---

// removeAccountFromOrganization makes a member account standalone. It is
// refused for the management account, a delegated administrator, and an
// account being closed or closed (see docs/behaviour.md).
func (s *Service) removeAccountFromOrganization(ctx context.Context, c *pipeline.Call, in *accountIDInput) (*pipeline.NoOutput, error) {
	return s.change(ctx, c, manager, func(tx *store.Tx, org *store.Organization) error {
		if in.AccountID == org.ManagementAccountID {
			return orgError("MasterCannotLeaveOrganizationException",
				"You can't remove a management account from an organization. If you want the management account to become a member account in another organization, you must first delete the current organization of the management account.")
		}
		acct, err := memberAccount(tx, *org, in.AccountID)
		if err != nil {
			return err
		}
		if _, delegated := org.DelegatedAdministratorSince(acct.ID); delegated {
			return constraint("CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG",
				"You attempted to remove an account that is registered as a delegated administrator for a service integrated with your organization. To complete this operation, you must first deregister this account as a delegated administrator.")
		}
		if acct.Closing() {
			return constraint("ACCOUNT_CANNOT_LEAVE_ORGANIZATION",
				"You attempted to remove an account that is closed or being closed. It leaves the organization by itself at the end of its post-closure period.")
		}
		return tx.RemoveFromOrganization(org, acct)
	})
}

// --- DeleteOrganization ---

type deleteOrganizationInput struct{}

// deleteOrganization deletes an organization whose only member left is its
// management account. Closed accounts still in their post-closure period
// (SUSPENDED) are members, as in AWS, and so are accounts being created.
func (s *Service) deleteOrganization(ctx context.Context, c *pipeline.Call, _ *deleteOrganizationInput) (*pipeline.NoOutput, error) {
	return call(ctx, s.store.Update, c, manager, func(tx *store.Tx, org store.Organization, _ *pipeline.NoOutput) error {
		_, accounts := tx.OrganizationTree(org)
		for _, id := range accounts {
			a, err := tx.Account(id)
			if err != nil {
				return err
			}
			if id != org.ManagementAccountID && a.State(tx.Now()) != store.AccountClosed {
				return orgError("OrganizationNotEmptyException",
					"The organization isn't empty. To delete an organization, you must first remove all accounts except the management account.")
			}
		}
		return tx.DeleteOrganization(org)
	})
}

// --- ListDelegatedServicesForAccount ---

type listDelegatedServicesInput struct {
	AccountID  string `json:"AccountId"`
	NextToken  string
	MaxResults *int32
}

func (in *listDelegatedServicesInput) Validate() error {
	v := &input{}
	if v.required("AccountId", in.AccountID != "") {
		v.text("AccountId", in.AccountID, 1, 12, pipeline.AccountIDPattern.MatchString)
	}
	v.maxResults(in.MaxResults)
	return v.result()
}

type delegatedService struct {
	ServicePrincipal      string
	DelegationEnabledDate pipeline.EpochTime
}

type listDelegatedServicesResult struct {
	DelegatedServices []delegatedService
	NextToken         string `json:",omitempty"`
}

// listDelegatedServicesForAccount lists the services an account is a
// delegated administrator for, by service principal.
func (s *Service) listDelegatedServicesForAccount(ctx context.Context, c *pipeline.Call, in *listDelegatedServicesInput) (*listDelegatedServicesResult, error) {
	return call(ctx, s.store.View, c, reader, func(tx *store.Tx, org store.Organization, out *listDelegatedServicesResult) error {
		if _, err := memberAccount(tx, org, in.AccountID); err != nil {
			return err
		}
		all := []delegatedService{}
		for sp, ds := range org.DelegatedAdministrators {
			for _, d := range ds {
				if d.AccountID == in.AccountID {
					all = append(all, delegatedService{ServicePrincipal: sp, DelegationEnabledDate: pipeline.EpochTime(d.Since)})
				}
			}
		}
		if len(all) == 0 {
			return orgError("AccountNotRegisteredException",
				"The provided account is not a registered delegated administrator for this service.")
		}
		sort.Slice(all, func(i, j int) bool { return all[i].ServicePrincipal < all[j].ServicePrincipal })
		var err error
		out.DelegatedServices, out.NextToken, err = orgPage(all, in.AccountID, in.NextToken, in.MaxResults)
		return err
	})
}
