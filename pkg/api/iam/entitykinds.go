package iam

import (
	"context"
	"errors"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// The calls that exist once per kind of entity (Put/Get/Delete/List…Policy,
// Attach/Detach/ListAttached…Policies, Tag/Untag/List…Tags) are one
// implementation each, over a type parameter naming the kind: userEntity,
// roleEntity or groupEntity. Their inputs carry the three name members
// (UserName, RoleName, GroupName) because the query decoder reads struct
// tags, which a type parameter cannot choose; the kind reads its own.

// entityInfo is what differs between the kinds.
type entityInfo struct {
	kind   entityKind
	member string // the input member that names it
	// maxName is the longest name the member accepts (existing user
	// names may be up to 128 characters, role names 64).
	maxName int
	// inlineQuota bounds the entity's inline policies together, in characters.
	inlineQuota int
	// quotaName names the entity in IAM's quota messages (PoliciesPerUser…).
	quotaName string
}

type entitySpec interface{ info() entityInfo }

type (
	userEntity  struct{}
	roleEntity  struct{}
	groupEntity struct{}
)

func (userEntity) info() entityInfo {
	return entityInfo{store.PrincipalUser, "UserName", 128, userPolicySizeQuota, "User"}
}

func (roleEntity) info() entityInfo {
	return entityInfo{store.PrincipalRole, "RoleName", 64, rolePolicySizeQuota, "Role"}
}

func (groupEntity) info() entityInfo {
	return entityInfo{store.PrincipalGroup, "GroupName", 128, groupPolicySizeQuota, "Group"}
}

func infoOf[E entitySpec]() entityInfo {
	var e E
	return e.info()
}

// entityNames are the three name members of the per-kind calls.
type entityNames struct{ user, role, group string }

func (n entityNames) of(kind entityKind) string {
	switch kind {
	case store.PrincipalUser:
		return n.user
	case store.PrincipalRole:
		return n.role
	}
	return n.group
}

// entityNamed is an input of a per-kind call.
type entityNamed interface {
	entity() (entityInfo, string)
}

// requireEntityName checks the input's entity name member.
func requireEntityName(v *pipeline.Validator, in entityNamed) {
	info, name := in.entity()
	entityName(v, info.member, name, info.maxName)
}

// entityTarget authorizes a per-kind call on the named entity's ARN, with
// its tags as aws:ResourceTag and iam:ResourceTag.
func entityTarget[In any, P interface {
	*In
	entityNamed
}](s *Service, ctx context.Context, c *pipeline.Call, in P) (pipeline.Resource, error) {
	info, name := in.entity()
	return s.entityResource(ctx, c.ID.AccountID, info.kind, name)
}

// entityResource is the authorization resource of the caller's account's
// entity called name: its stored ARN and tags when it exists, else the ARN
// it would have on path "/" (authorization comes before existence).
func (s *Service) entityResource(ctx context.Context, account string, kind entityKind, name string) (pipeline.Resource, error) {
	var p store.Principal
	err := s.store.View(ctx, func(tx *store.Tx) error {
		var err error
		p, err = tx.PrincipalNamed(account, kind, name)
		return err
	})
	switch {
	case err == nil:
		return pipeline.Resource{ARN: p.ARN, Context: resourceTagContext(p.Tags)}, nil
	case errors.Is(err, store.ErrNotFound):
		return pipeline.Resource{ARN: store.PrincipalARN(account, kind, "/", name)}, nil
	}
	return pipeline.Resource{}, err
}

// resourceTagContext is the condition keys of a resource's tags:
// aws:ResourceTag/<key> and, IAM's own name for the same, iam:ResourceTag/<key>.
func resourceTagContext(tags []store.Tag) map[string][]string {
	if len(tags) == 0 {
		return nil
	}
	ctx := make(map[string][]string, 2*len(tags))
	for _, t := range tags {
		ctx["aws:ResourceTag/"+t.Key] = []string{t.Value}
		ctx["iam:ResourceTag/"+t.Key] = []string{t.Value}
	}
	return ctx
}

// withContext adds condition keys to a resource's.
func withContext(res pipeline.Resource, extra map[string][]string) pipeline.Resource {
	if len(extra) == 0 {
		return res
	}
	ctx := make(map[string][]string, len(res.Context)+len(extra))
	for k, v := range res.Context {
		ctx[k] = v
	}
	for k, v := range extra {
		ctx[k] = v
	}
	res.Context = ctx
	return res
}

// changeEntity runs change on the caller's account's entity that in names
// (NoSuchEntity when none) and stores the result, in one transaction.
func (s *Service) changeEntity(ctx context.Context, c *pipeline.Call, in entityNamed, change func(tx *store.Tx, e *store.Principal) error) (*pipeline.NoOutput, error) {
	info, name := in.entity()
	return noOutput(s.store.Update(ctx, func(tx *store.Tx) error {
		e, err := namedEntity(tx, c, info.kind, name)
		if err != nil {
			return err
		}
		if err := change(tx, &e); err != nil {
			return err
		}
		return tx.PutPrincipal(e)
	}))
}

// readEntity reads the caller's account's entity that in names; NoSuchEntity when none.
func (s *Service) readEntity(ctx context.Context, c *pipeline.Call, in entityNamed) (store.Principal, error) {
	info, name := in.entity()
	var e store.Principal
	err := s.store.View(ctx, func(tx *store.Tx) error {
		var err error
		e, err = namedEntity(tx, c, info.kind, name)
		return err
	})
	return e, err
}
