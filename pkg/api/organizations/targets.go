package organizations

import (
	"context"
	"errors"
	"strings"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// The resources of the operations that the Service Authorization Reference
// scopes to an account, a root or an OU (the others authorize on "*").
// They name the caller's organization; a caller outside any organization
// is authorized on "*" and then told AWSOrganizationsNotInUseException by
// the handler, since a target never fails for a missing resource.

// callerOrganization is the organization of the caller's account, if any.
func (s *Service) callerOrganization(ctx context.Context, c *pipeline.Call) (store.Organization, bool, error) {
	var org store.Organization
	err := s.store.View(ctx, func(tx *store.Tx) error {
		var err error
		org, err = tx.OrganizationOf(c.ID.AccountID)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.Organization{}, false, nil
	}
	return org, err == nil, err
}

// accountTarget is the named account's ARN
// (arn:aws:organizations::<management>:account/o-…/<id>).
func accountTarget[In interface{ targetAccount() string }](s *Service, ctx context.Context, c *pipeline.Call, in In) (pipeline.Resource, error) {
	org, ok, err := s.callerOrganization(ctx, c)
	if err != nil || !ok {
		return pipeline.Anywhere, err
	}
	return pipeline.Resource{ARN: accountARN(org, in.targetAccount())}, nil
}

func (in *describeAccountInput) targetAccount() string        { return in.AccountID }
func (in *delegatedAdministratorInput) targetAccount() string { return in.AccountID }

// parentTarget is the ARN of the root or OU whose accounts are listed.
func parentTarget(s *Service, ctx context.Context, c *pipeline.Call, in *listAccountsForParentInput) (pipeline.Resource, error) {
	org, ok, err := s.callerOrganization(ctx, c)
	if err != nil || !ok {
		return pipeline.Anywhere, err
	}
	kind := "root"
	if strings.HasPrefix(in.ParentID, "ou-") {
		kind = "ou"
	}
	return pipeline.Resource{ARN: "arn:aws:organizations::" + org.ManagementAccountID + ":" + kind + "/" + org.ID + "/" + in.ParentID}, nil
}
