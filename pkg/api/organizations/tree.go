package organizations

import (
	"context"
	"errors"
	"strings"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// maxOrganizationalUnits is AWS's quota of OUs in an organization.
const maxOrganizationalUnits = 1000

// --- errors ---

func parentNotFound() *pipeline.Error {
	return orgError("ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified.")
}

func ouNotFound() *pipeline.Error {
	return orgError("OrganizationalUnitNotFoundException", "We can't find an OU with the OrganizationalUnitId that you specified.")
}

func duplicateOU() *pipeline.Error {
	return orgError("DuplicateOrganizationalUnitException", "An OU with the same name already exists.")
}

// --- wire shapes ---

type organizationalUnit struct {
	ID   string `json:"Id"`
	Arn  string
	Name string
	Path string
}

type childShape struct {
	ID   string `json:"Id"`
	Type string
}

func ouARN(org store.Organization, id string) string {
	return "arn:aws:organizations::" + org.ManagementAccountID + ":ou/" + org.ID + "/" + id
}

// treePath is an entity's path as Organizations writes it: the
// organization, the root, the OUs down to it, and the entity itself, each
// followed by "/".
func treePath(org store.Organization, ous []string, self string) string {
	parts := append(append([]string{org.ID, org.RootID}, ous...), self)
	return strings.Join(parts, "/") + "/"
}

func ouOf(tx *store.Tx, org store.Organization, ou store.OrganizationalUnit) organizationalUnit {
	out := organizationalUnit{ID: ou.ID, Arn: ouARN(org, ou.ID), Name: ou.Name}
	if ous, err := tx.OUPath(org, ou.ParentID); err == nil {
		out.Path = treePath(org, ous, ou.ID)
	}
	return out
}

// orgOU returns an OU of org; OrganizationalUnitNotFoundException otherwise.
func orgOU(tx *store.Tx, org store.Organization, id string) (store.OrganizationalUnit, error) {
	ou, err := tx.OrganizationalUnit(id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && ou.OrganizationID != org.ID) {
		return store.OrganizationalUnit{}, ouNotFound()
	}
	return ou, err
}

// parentExists reports whether id is org's root or one of its OUs.
func parentExists(tx *store.Tx, org store.Organization, id string) bool {
	if id == org.RootID {
		return true
	}
	ou, err := tx.OrganizationalUnit(id)
	return err == nil && ou.OrganizationID == org.ID
}

// --- CreateOrganizationalUnit ---

type createOUInput struct {
	ParentID string `json:"ParentId"`
	Name     string
	Tags     []tag
}

func (in *createOUInput) Validate() error {
	v := &input{}
	if v.required("ParentId", in.ParentID != "") {
		v.text("ParentId", in.ParentID, 1, 100, isParentID)
	}
	if v.required("Name", in.Name != "") {
		v.text("Name", in.Name, 1, 128, anyText)
	}
	v.tags(in.Tags)
	return v.result()
}

type ouResult struct {
	OrganizationalUnit organizationalUnit
}

// createOrganizationalUnit creates an OU under a root or OU, at most
// store.MaxOUDepth levels deep, its name unique among its siblings.
func (s *Service) createOrganizationalUnit(ctx context.Context, c *pipeline.Call, in *createOUInput) (*ouResult, error) {
	if err := s.authorizeTagging(ctx, c, in.Tags); err != nil {
		return nil, err
	}
	return call(ctx, s.store.Update, c, manager, func(tx *store.Tx, org store.Organization, out *ouResult) error {
		if !parentExists(tx, org, in.ParentID) {
			return parentNotFound()
		}
		ous, err := tx.OUPath(org, in.ParentID)
		if err != nil {
			return err
		}
		if len(ous) >= store.MaxOUDepth {
			return constraint("OU_DEPTH_LIMIT_EXCEEDED", "You attempted to create an OU tree that is too many levels deep.")
		}
		if org.OrganizationalUnits >= maxOrganizationalUnits {
			return constraint("OU_NUMBER_LIMIT_EXCEEDED", "You attempted to exceed the number of OUs that you can have in an organization.")
		}
		if _, err := tx.ChildOUNamed(in.ParentID, in.Name); err == nil {
			return duplicateOU()
		}
		ou := store.OrganizationalUnit{ID: tx.NewOrganizationalUnitID(org.RootID), OrganizationID: org.ID,
			ParentID: in.ParentID, Name: in.Name, CreatedAt: tx.Now(), Tags: tagMap(in.Tags)}
		if err := tx.PutOrganizationalUnit(ou); err != nil {
			return err
		}
		if err := tx.AttachManagedPolicies(org, ou.ID); err != nil {
			return err
		}
		org.OrganizationalUnits++
		if err := tx.PutOrganization(org); err != nil {
			return err
		}
		out.OrganizationalUnit = ouOf(tx, org, ou)
		return nil
	})
}

// --- DescribeOrganizationalUnit ---

type ouIDInput struct {
	OrganizationalUnitID string `json:"OrganizationalUnitId"`
}

func (in *ouIDInput) Validate() error {
	v := &input{}
	if v.required("OrganizationalUnitId", in.OrganizationalUnitID != "") {
		v.text("OrganizationalUnitId", in.OrganizationalUnitID, 1, 68, isOUID)
	}
	return v.result()
}

func (s *Service) describeOrganizationalUnit(ctx context.Context, c *pipeline.Call, in *ouIDInput) (*ouResult, error) {
	return call(ctx, s.store.View, c, reader, func(tx *store.Tx, org store.Organization, out *ouResult) error {
		ou, err := orgOU(tx, org, in.OrganizationalUnitID)
		if err != nil {
			return err
		}
		out.OrganizationalUnit = ouOf(tx, org, ou)
		return nil
	})
}

// --- UpdateOrganizationalUnit ---

type updateOUInput struct {
	OrganizationalUnitID string `json:"OrganizationalUnitId"`
	Name                 *string
}

func (in *updateOUInput) Validate() error {
	v := &input{}
	if v.required("OrganizationalUnitId", in.OrganizationalUnitID != "") {
		v.text("OrganizationalUnitId", in.OrganizationalUnitID, 1, 68, isOUID)
	}
	if in.Name != nil {
		v.text("Name", *in.Name, 1, 128, anyText)
	}
	return v.result()
}

// updateOrganizationalUnit renames an OU; without a Name it changes nothing
// and returns the OU. Renaming to its own name is not a duplicate.
func (s *Service) updateOrganizationalUnit(ctx context.Context, c *pipeline.Call, in *updateOUInput) (*ouResult, error) {
	return call(ctx, s.store.Update, c, manager, func(tx *store.Tx, org store.Organization, out *ouResult) error {
		ou, err := orgOU(tx, org, in.OrganizationalUnitID)
		if err != nil {
			return err
		}
		if in.Name != nil && *in.Name != ou.Name {
			if _, err := tx.ChildOUNamed(ou.ParentID, *in.Name); err == nil {
				return duplicateOU()
			}
			ou.Name = *in.Name
			if err := tx.PutOrganizationalUnit(ou); err != nil {
				return err
			}
		}
		out.OrganizationalUnit = ouOf(tx, org, ou)
		return nil
	})
}

// --- DeleteOrganizationalUnit ---

// deleteOrganizationalUnit deletes an OU with no child OU and no account
// (accounts still being created under it count); its policy attachments go
// with it.
func (s *Service) deleteOrganizationalUnit(ctx context.Context, c *pipeline.Call, in *ouIDInput) (*pipeline.NoOutput, error) {
	return s.change(ctx, c, manager, func(tx *store.Tx, org *store.Organization) error {
		if _, err := orgOU(tx, *org, in.OrganizationalUnitID); err != nil {
			return err
		}
		if tx.HasChildren(in.OrganizationalUnitID) {
			return orgError("OrganizationalUnitNotEmptyException",
				"The specified OU is not empty. Move all accounts to another root or to other OUs, remove all child OUs, and try the operation again.")
		}
		org.OrganizationalUnits = max(0, org.OrganizationalUnits-1)
		return tx.DeleteOrganizationalUnit(in.OrganizationalUnitID)
	})
}

// --- ListOrganizationalUnitsForParent ---

type parentPageInput struct {
	ParentID   string `json:"ParentId"`
	NextToken  string
	MaxResults *int32
}

func (in *parentPageInput) Validate() error {
	v := &input{}
	if v.required("ParentId", in.ParentID != "") {
		v.text("ParentId", in.ParentID, 1, 100, isParentID)
	}
	v.maxResults(in.MaxResults)
	return v.result()
}

type listOUsResult struct {
	OrganizationalUnits []organizationalUnit
	NextToken           string `json:",omitempty"`
}

func (s *Service) listOrganizationalUnitsForParent(ctx context.Context, c *pipeline.Call, in *parentPageInput) (*listOUsResult, error) {
	return call(ctx, s.store.View, c, reader, func(tx *store.Tx, org store.Organization, out *listOUsResult) error {
		if !parentExists(tx, org, in.ParentID) {
			return parentNotFound()
		}
		children := tx.Children(in.ParentID, store.ChildOrganizationalUnit)
		all := make([]organizationalUnit, 0, len(children))
		for _, ch := range children {
			ou, err := tx.OrganizationalUnit(ch.ID)
			if err != nil {
				return err
			}
			all = append(all, ouOf(tx, org, ou))
		}
		var err error
		out.OrganizationalUnits, out.NextToken, err = orgPage(all, in.ParentID, in.NextToken, in.MaxResults)
		return err
	})
}

// --- ListChildren ---

type listChildrenInput struct {
	ParentID   string `json:"ParentId"`
	ChildType  string
	NextToken  string
	MaxResults *int32
}

func (in *listChildrenInput) Validate() error {
	v := &input{}
	if v.required("ParentId", in.ParentID != "") {
		v.text("ParentId", in.ParentID, 1, 100, isParentID)
	}
	if v.required("ChildType", in.ChildType != "") {
		v.enum("ChildType", in.ChildType, store.ChildAccount, store.ChildOrganizationalUnit)
	}
	v.maxResults(in.MaxResults)
	return v.result()
}

type listChildrenResult struct {
	Children  []childShape
	NextToken string `json:",omitempty"`
}

func (s *Service) listChildren(ctx context.Context, c *pipeline.Call, in *listChildrenInput) (*listChildrenResult, error) {
	return call(ctx, s.store.View, c, reader, func(tx *store.Tx, org store.Organization, out *listChildrenResult) error {
		if !parentExists(tx, org, in.ParentID) {
			return parentNotFound()
		}
		all := []childShape{}
		for _, ch := range tx.Children(in.ParentID, in.ChildType) {
			if ch.Type == store.ChildAccount {
				a, err := tx.Account(ch.ID)
				if err != nil {
					return err
				}
				if !a.MemberOf(org.ID, tx.Now()) {
					continue
				}
			}
			all = append(all, childShape{ID: ch.ID, Type: ch.Type})
		}
		var err error
		out.Children, out.NextToken, err = orgPage(all, in.ParentID+"/"+in.ChildType, in.NextToken, in.MaxResults)
		return err
	})
}

// --- ListParents ---

type listParentsInput struct {
	ChildID    string `json:"ChildId"`
	NextToken  string
	MaxResults *int32
}

func (in *listParentsInput) Validate() error {
	v := &input{}
	if v.required("ChildId", in.ChildID != "") {
		v.text("ChildId", in.ChildID, 1, 100, isChildID)
	}
	v.maxResults(in.MaxResults)
	return v.result()
}

type listParentsResult struct {
	Parents   []childShape
	NextToken string `json:",omitempty"`
}

// listParents answers with the one parent of an account or OU: one read of
// the child by key (Terraform calls it on every account refresh).
func (s *Service) listParents(ctx context.Context, c *pipeline.Call, in *listParentsInput) (*listParentsResult, error) {
	return call(ctx, s.store.View, c, reader, func(tx *store.Tx, org store.Organization, out *listParentsResult) error {
		notFound := orgError("ChildNotFoundException",
			"We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.")
		var parent string
		if strings.HasPrefix(in.ChildID, "ou-") {
			ou, err := orgOU(tx, org, in.ChildID)
			if err != nil {
				return notFound
			}
			parent = ou.ParentID
		} else {
			a, err := tx.Account(in.ChildID)
			if errors.Is(err, store.ErrNotFound) || (err == nil && !a.MemberOf(org.ID, tx.Now())) {
				return notFound
			} else if err != nil {
				return err
			}
			parent = a.AccountParent(org)
		}
		kind := store.ChildOrganizationalUnit
		if parent == org.RootID {
			kind = "ROOT"
		}
		var err error
		out.Parents, out.NextToken, err = orgPage([]childShape{{ID: parent, Type: kind}}, in.ChildID, in.NextToken, in.MaxResults)
		return err
	})
}

// --- MoveAccount ---

type moveAccountInput struct {
	AccountID           string `json:"AccountId"`
	SourceParentID      string `json:"SourceParentId"`
	DestinationParentID string `json:"DestinationParentId"`
}

func (in *moveAccountInput) Validate() error {
	v := &input{}
	if v.required("AccountId", in.AccountID != "") {
		v.text("AccountId", in.AccountID, 1, 12, pipeline.AccountIDPattern.MatchString)
	}
	if v.required("SourceParentId", in.SourceParentID != "") {
		v.text("SourceParentId", in.SourceParentID, 1, 100, isParentID)
	}
	if v.required("DestinationParentId", in.DestinationParentID != "") {
		v.text("DestinationParentId", in.DestinationParentID, 1, 100, isParentID)
	}
	return v.result()
}

// moveAccount moves a member account (the management account included)
// from its parent to another root or OU. An account that is not under
// SourceParentId is AccountNotFoundException (see docs/behaviour.md).
func (s *Service) moveAccount(ctx context.Context, c *pipeline.Call, in *moveAccountInput) (*pipeline.NoOutput, error) {
	return call(ctx, s.store.Update, c, manager, func(tx *store.Tx, org store.Organization, _ *pipeline.NoOutput) error {
		if !parentExists(tx, org, in.SourceParentID) {
			return orgError("SourceParentNotFoundException", "We can't find a source root or OU with the ParentId that you specified.")
		}
		if !parentExists(tx, org, in.DestinationParentID) {
			return orgError("DestinationParentNotFoundException", "We can't find the destination container (a root or OU) with the ParentId that you specified.")
		}
		acct, err := memberAccount(tx, org, in.AccountID)
		if err != nil {
			return err
		}
		current := acct.AccountParent(org)
		if current == in.DestinationParentID {
			return orgError("DuplicateAccountException", "That account is already present in the specified destination.")
		}
		if current != in.SourceParentID {
			return accountNotFound()
		}
		acct.ParentID = in.DestinationParentID
		return tx.PutAccount(acct)
	})
}
