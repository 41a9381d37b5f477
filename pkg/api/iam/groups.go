package iam

// IAM groups: a group holds users and inline policies, and its members
// are allowed what its policies allow (the authorizer gathers them with
// the user's own). A user's groups are on the user's record; the store's
// group-members index, written in the same transaction, lists a group's users.

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// IAM's group quotas.
const (
	groupPolicySizeQuota = 5120 // all inline policies of a group together
	maxGroupsPerUser     = 10
)

type groupNamed interface{ entityGroupName() string }

// groupTarget authorizes a call on the named group's ARN.
func groupTarget[In any, P interface {
	*In
	groupNamed
}](s *Service, ctx context.Context, c *pipeline.Call, in P) (pipeline.Resource, error) {
	return s.entityResource(ctx, c.ID.AccountID, store.PrincipalGroup, in.entityGroupName())
}

// groupShape is IAM's Group.
type groupShape struct {
	Path       string
	GroupName  string
	GroupID    string `xml:"GroupId"`
	Arn        string
	CreateDate string
}

func groupOf(p store.Principal) groupShape {
	return groupShape{Path: p.Path, GroupName: p.Name, GroupID: p.ID, Arn: p.ARN, CreateDate: pipeline.XMLTime(p.CreatedAt)}
}

// --- CreateGroup ---

type createGroupInput struct {
	Path      string `query:"Path"`
	GroupName string `query:"GroupName"`
}

func (in *createGroupInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	optionalPath(v, in.Path)
	entityName(v, "GroupName", in.GroupName, 128)
	return v.Err()
}

func createGroupTarget(_ *Service, _ context.Context, c *pipeline.Call, in *createGroupInput) (pipeline.Resource, error) {
	return pipeline.Resource{ARN: store.PrincipalARN(c.ID.AccountID, store.PrincipalGroup, cmp.Or(in.Path, "/"), in.GroupName)}, nil
}

type createGroupResult struct{ Group groupShape }

func (s *Service) createGroup(ctx context.Context, c *pipeline.Call, in *createGroupInput) (*createGroupResult, error) {
	var p store.Principal
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		var err error
		p, err = tx.AddPrincipal(store.Principal{AccountID: c.ID.AccountID, Kind: store.PrincipalGroup, Name: in.GroupName, Path: in.Path})
		if errors.Is(err, store.ErrConflict) {
			return pipeline.NewError(http.StatusConflict, "EntityAlreadyExists", "Group with name %s already exists.", in.GroupName)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &createGroupResult{Group: groupOf(p)}, nil
}

// --- GetGroup, DeleteGroup, ListGroups ---

type getGroupInput struct {
	GroupName string `query:"GroupName"`
	Marker    string `query:"Marker"`
	MaxItems  *int32 `query:"MaxItems"`
}

func (in *getGroupInput) entityGroupName() string { return in.GroupName }

func (in *getGroupInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	entityName(v, "GroupName", in.GroupName, 128)
	pageParams(v, in.Marker, in.MaxItems)
	return v.Err()
}

type getGroupResult struct {
	Group       groupShape
	Users       iamMembers[userShape]
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

// getGroup returns the group and one page of its users, by ARN.
func (s *Service) getGroup(ctx context.Context, c *pipeline.Call, in *getGroupInput) (*getGroupResult, error) {
	var g store.Principal
	var members []store.Principal
	err := s.store.View(ctx, func(tx *store.Tx) error {
		var err error
		if g, err = namedEntity(tx, c, store.PrincipalGroup, in.GroupName); err != nil {
			return err
		}
		members, err = tx.GroupMembers(g.ARN)
		return err
	})
	if err != nil {
		return nil, err
	}
	page, next, err := iamPage(members, g.ARN, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &getGroupResult{Group: groupOf(g), Users: iamMembers[userShape]{[]userShape{}}, IsTruncated: next != "", Marker: next}
	for _, u := range page {
		out.Users.Members = append(out.Users.Members, userOf(u, false))
	}
	return out, nil
}

type groupNameInput struct {
	GroupName string `query:"GroupName"`
}

func (in *groupNameInput) entityGroupName() string { return in.GroupName }

func (in *groupNameInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	entityName(v, "GroupName", in.GroupName, 128)
	return v.Err()
}

// deleteGroup deletes a group with no users and no attached or inline policies
// (DeleteConflict otherwise, as IAM refuses).
func (s *Service) deleteGroup(ctx context.Context, c *pipeline.Call, in *groupNameInput) (*pipeline.NoOutput, error) {
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		g, err := namedEntity(tx, c, store.PrincipalGroup, in.GroupName)
		if err != nil {
			return err
		}
		if tx.HasGroupMembers(g.ARN) {
			return pipeline.NewError(http.StatusConflict, "DeleteConflict", "Cannot delete entity, must remove users from group first.")
		}
		if len(g.ManagedPolicies) > 0 {
			return pipeline.NewError(http.StatusConflict, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
		}
		if len(g.Policies) > 0 {
			return pipeline.NewError(http.StatusConflict, "DeleteConflict", "Cannot delete entity, must delete policies first.")
		}
		return tx.DeletePrincipal(g.ARN)
	})
	if err != nil {
		return nil, err
	}
	return &pipeline.NoOutput{}, nil
}

type listGroupsResult struct {
	Groups      iamMembers[groupShape]
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

func groupsResult(groups []store.Principal, next string) *listGroupsResult {
	out := &listGroupsResult{Groups: iamMembers[groupShape]{[]groupShape{}}, IsTruncated: next != "", Marker: next}
	for _, g := range groups {
		out.Groups.Members = append(out.Groups.Members, groupOf(g))
	}
	return out
}

func (s *Service) listGroups(ctx context.Context, c *pipeline.Call, in *listEntitiesInput) (*listGroupsResult, error) {
	page, next, err := s.listEntities(ctx, c, store.PrincipalGroup, in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return groupsResult(page, next), nil
}

// --- AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser ---

type groupMembershipInput struct {
	GroupName string `query:"GroupName"`
	UserName  string `query:"UserName"`
}

func (in *groupMembershipInput) entityGroupName() string { return in.GroupName }

func (in *groupMembershipInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	entityName(v, "GroupName", in.GroupName, 128)
	entityName(v, "UserName", in.UserName, 128)
	return v.Err()
}

// addUserToGroup adds the user to the group; adding a member again
// changes nothing. A user may be in 10 groups (LimitExceeded).
func (s *Service) addUserToGroup(ctx context.Context, c *pipeline.Call, in *groupMembershipInput) (*pipeline.NoOutput, error) {
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		g, err := namedEntity(tx, c, store.PrincipalGroup, in.GroupName)
		if err != nil {
			return err
		}
		u, err := namedEntity(tx, c, store.PrincipalUser, in.UserName)
		if err != nil {
			return err
		}
		if slices.Contains(u.Groups, g.ARN) {
			return nil
		}
		if len(u.Groups) >= maxGroupsPerUser {
			return pipeline.NewError(http.StatusConflict, "LimitExceeded", "Cannot exceed quota for GroupsPerUser: %d", maxGroupsPerUser)
		}
		u.Groups = append(slices.Clone(u.Groups), g.ARN)
		return tx.PutPrincipal(u)
	})
	if err != nil {
		return nil, err
	}
	return &pipeline.NoOutput{}, nil
}

// removeUserFromGroup removes a member; a user who is not one is NoSuchEntity.
func (s *Service) removeUserFromGroup(ctx context.Context, c *pipeline.Call, in *groupMembershipInput) (*pipeline.NoOutput, error) {
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		g, err := namedEntity(tx, c, store.PrincipalGroup, in.GroupName)
		if err != nil {
			return err
		}
		u, err := namedEntity(tx, c, store.PrincipalUser, in.UserName)
		if err != nil {
			return err
		}
		i := slices.Index(u.Groups, g.ARN)
		if i < 0 {
			return noSuchEntity("The user with name %s is not in group %s.", u.Name, g.Name)
		}
		u.Groups = slices.Delete(slices.Clone(u.Groups), i, i+1)
		return tx.PutPrincipal(u)
	})
	if err != nil {
		return nil, err
	}
	return &pipeline.NoOutput{}, nil
}

type listGroupsForUserInput struct {
	UserName string `query:"UserName"`
	Marker   string `query:"Marker"`
	MaxItems *int32 `query:"MaxItems"`
}

func (in *listGroupsForUserInput) entityUserName() string { return in.UserName }

func (in *listGroupsForUserInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	entityName(v, "UserName", in.UserName, 128)
	pageParams(v, in.Marker, in.MaxItems)
	return v.Err()
}

// listGroupsForUser lists the user's groups in the order it joined them.
func (s *Service) listGroupsForUser(ctx context.Context, c *pipeline.Call, in *listGroupsForUserInput) (*listGroupsResult, error) {
	var u store.Principal
	var groups []store.Principal
	err := s.store.View(ctx, func(tx *store.Tx) error {
		var err error
		if u, err = namedEntity(tx, c, store.PrincipalUser, in.UserName); err != nil {
			return err
		}
		groups = groups[:0]
		for _, arn := range u.Groups {
			g, err := tx.Principal(arn)
			if err != nil {
				return err
			}
			groups = append(groups, g)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	page, next, err := iamPage(groups, u.ARN+"|groups", in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return groupsResult(page, next), nil
}
