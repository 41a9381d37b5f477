package iam

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"unicode"

	"github.com/rootaccess/emulator/pkg/api/pipeline"

	"github.com/rootaccess/emulator/pkg/policy"
	"github.com/rootaccess/emulator/pkg/store"
)

// IAM users and roles, so that least-privilege
// principals (an auditor allowed only sts:AssumeRoot for one task, a
// delegated administrator's user…) can be built over the wire. Users and
// roles live in store.Principal (their inline policies, managed-policy
// attachments and tags: inline.go, policies.go, tags.go), which
// authorization reads on every request, so a change takes effect at once.
//
// Every operation is authorized on the entity's ARN,
// arn:aws:iam::<acct>:user/<path><name> or …:role/<path><name>, except the
// listings of all users and roles (ListUsers, ListRoles), which act on "*".

// IAM's limits on policy documents, in characters other than white space
// (IAM does not count white space).
const (
	userPolicySizeQuota       = 2048  // all inline policies of a user together
	rolePolicySizeQuota       = 10240 // all inline policies of a role together
	assumeRolePolicySizeQuota = 2048  // a role's trust policy
)

// Role session durations CreateRole accepts, in seconds, and its default.
const (
	roleMinSessionSeconds     = 3600
	roleMaxSessionSeconds     = 43200
	DefaultRoleSessionSeconds = 3600
)

// The model's patterns, anchored because Coral matches the whole value.
var (
	pathPattern            = pipeline.NewPattern(`^(/|/[\x{21}-\x{7E}]+/)$`)
	pathPrefixPattern      = pipeline.NewPattern(`^/[\x{21}-\x{7F}]*$`)
	policyDocPattern       = pipeline.NewPattern(`^[\x{09}\x{0A}\x{0D}\x{20}-\x{FF}]+$`)
	roleDescriptionPattern = pipeline.NewPattern(`^[\x{09}\x{0A}\x{0D}\x{20}-\x{7E}\x{A1}-\x{FF}]*$`)
	// entityARNPattern is a user or role ARN, as a trust policy names one.
	entityARNPattern = pipeline.NewPattern(`^arn:aws:iam::\d{12}:(user|role)/`)
)

// --- Entities: names, ARNs, authorization targets ---

// entityKind names a user or role in messages ("user", "role") and is its
// store.Principal Kind.
type entityKind = string

// entityARN is the ARN of the caller's account's user or role called name:
// the stored one (with its path and its own letter case) when it exists,
// else the one it would have on path "/". Authorization comes before
// existence, so a missing entity is not an error here.
func (s *Service) entityARN(ctx context.Context, account string, kind entityKind, name string) (arn, storedName string, err error) {
	var p store.Principal
	err = s.store.View(ctx, func(tx *store.Tx) error {
		var err error
		p, err = tx.PrincipalNamed(account, kind, name)
		return err
	})
	switch {
	case err == nil:
		return p.ARN, p.Name, nil
	case errors.Is(err, store.ErrNotFound):
		return store.PrincipalARN(account, kind, "/", name), name, nil
	}
	return "", "", err
}

// userARN is entityARN for a user (root.go's calls with a UserName).
func (s *Service) userARN(ctx context.Context, account, name string) (arn, storedName string, err error) {
	return s.entityARN(ctx, account, store.PrincipalUser, name)
}

// userNamed and roleNamed are inputs that name an existing user or role.
type userNamed interface{ entityUserName() string }
type roleNamed interface{ entityRoleName() string }

// userTarget authorizes a call on the named user's ARN.
func userTarget[In any, P interface {
	*In
	userNamed
}](s *Service, ctx context.Context, c *pipeline.Call, in P) (pipeline.Resource, error) {
	return s.entityResource(ctx, c.ID.AccountID, store.PrincipalUser, in.entityUserName())
}

// roleTarget authorizes a call on the named role's ARN.
func roleTarget[In any, P interface {
	*In
	roleNamed
}](s *Service, ctx context.Context, c *pipeline.Call, in P) (pipeline.Resource, error) {
	return s.entityResource(ctx, c.ID.AccountID, store.PrincipalRole, in.entityRoleName())
}

// noSuchUserOrRole is IAM's NoSuchEntity for a user or role.
func noSuchUserOrRole(kind entityKind, name string) *pipeline.Error {
	return noSuchEntity("The %s with name %s cannot be found.", kind, name)
}

// namedEntity reads the caller's account's user or role called name;
// NoSuchEntity when there is none.
func namedEntity(tx *store.Tx, c *pipeline.Call, kind entityKind, name string) (store.Principal, error) {
	p, err := tx.PrincipalNamed(c.ID.AccountID, kind, name)
	if errors.Is(err, store.ErrNotFound) {
		return store.Principal{}, noSuchUserOrRole(kind, name)
	}
	return p, err
}

// --- Validation ---

// entityName checks a required user, role or policy name (existing user
// names may be up to 128 characters, new ones and role names 64).
func entityName(v *pipeline.Validator, member, name string, max int) {
	if v.Required(member, name != "") {
		v.Length(member, name, 1, max)
		v.Pattern(member, name, userNamePattern)
	}
}

// optionalPath checks a Path member (pathType).
func optionalPath(v *pipeline.Validator, path string) {
	if path != "" {
		v.Length("Path", path, 1, 512)
		v.Pattern("Path", path, pathPattern)
	}
}

// optionalPathPrefix checks a PathPrefix member (pathPrefixType).
func optionalPathPrefix(v *pipeline.Validator, prefix string) {
	if prefix != "" {
		v.Length("PathPrefix", prefix, 1, 512)
		v.Pattern("PathPrefix", prefix, pathPrefixPattern)
	}
}

// policyDocument checks a required policy document member's model
// constraints; its grammar is checked after authorization, as IAM does.
func policyDocument(v *pipeline.Validator, member, doc string) {
	if v.Required(member, doc != "") {
		v.Length(member, doc, 1, 131072)
		v.Pattern(member, doc, policyDocPattern)
	}
}

// optionalBoundary checks a PermissionsBoundary member's length.
func optionalBoundary(v *pipeline.Validator, arn string) error {
	if arn != "" {
		v.Length("PermissionsBoundary", arn, 20, 2048)
	}
	return v.Err()
}

// refuseBoundary refuses a PermissionsBoundary: the emulator does not
// evaluate boundaries, so a boundary is refused rather than silently ignored. It runs in the handler, after
// authorization, so that a caller without iam:Put…PermissionsBoundary is
// told AccessDenied first, as AWS would.
func refuseBoundary(arn string) error {
	if arn == "" {
		return nil
	}
	// InvalidInput (a modeled error of both operations), not a 5xx: the
	// request is well formed, but the emulator has nothing to attach.
	return pipeline.NewError(http.StatusBadRequest, "InvalidInput",
		"The emulator does not support permissions boundaries: create the user or role without PermissionsBoundary %s", arn)
}

// creationTarget is the resource of CreateUser and CreateRole: the new
// entity's ARN, with the actions its tags and boundary also need (AWS:
// iam:TagUser/TagRole, iam:PutUserPermissionsBoundary/PutRolePermissionsBoundary)
// and their condition keys.
func creationTarget(arn string, tags map[string]string, boundary, tagAction, boundaryAction string) pipeline.Resource {
	res := pipeline.Resource{ARN: arn}
	if len(tags) > 0 {
		res.Also = append(res.Also, tagAction)
		res.Context = pipeline.RequestTagContext(tags)
	}
	if boundary != "" {
		res.Also = append(res.Also, boundaryAction)
		if res.Context == nil {
			res.Context = map[string][]string{}
		}
		res.Context["iam:PermissionsBoundary"] = []string{boundary}
	}
	return res
}

// tagList checks Tags (tagListType): at most 50, each key and value as the
// model says; then IAM's own rules: keys are unique ignoring case and the
// aws: prefix is reserved. The query decoder gives a map, so a key sent
// twice with the same case keeps its last value.
func tagList(v *pipeline.Validator, tags map[string]string) error {
	if len(tags) > 50 {
		v.Add("'[…]'", "tags", "Member must have length less than or equal to 50")
	}
	keys := slices.Sorted(maps.Keys(tags))
	for i, k := range keys {
		v.Length(fmt.Sprintf("tags.%d.member.key", i+1), k, 1, 128)
		v.Matches(fmt.Sprintf("tags.%d.member.key", i+1), k, pipeline.TagKeyPattern, pipeline.IsTagKey)
		v.Length(fmt.Sprintf("tags.%d.member.value", i+1), tags[k], 0, 256)
		v.Matches(fmt.Sprintf("tags.%d.member.value", i+1), tags[k], pipeline.TagValuePattern, pipeline.IsTagValue)
	}
	if err := v.Err(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, k := range keys {
		lower := strings.ToLower(k)
		if strings.HasPrefix(lower, "aws:") {
			return pipeline.NewError(http.StatusBadRequest, "InvalidInput", "Tag keys starting with 'aws:' are reserved for AWS use: %s", k)
		}
		if seen[lower] {
			return pipeline.NewError(http.StatusBadRequest, "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[lower] = true
	}
	return nil
}

// storeTags turns validated input tags into the stored list, ordered by key.
func storeTags(tags map[string]string) []store.Tag {
	var out []store.Tag
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, store.Tag{Key: k, Value: tags[k]})
	}
	return out
}

// --- Policy documents ---

// MalformedPolicyDocument is IAM's MalformedPolicyDocument for a document
// the policy parser refused, with the parser's detail as the message.
func MalformedPolicyDocument(err error) *pipeline.Error {
	detail := strings.TrimPrefix(err.Error(), policy.ErrMalformed.Error()+": ")
	return pipeline.NewError(http.StatusBadRequest, "MalformedPolicyDocument", "%s", detail)
}

// policySize is a document's size as IAM counts it against its quotas:
// characters other than white space.
func policySize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// CheckTrustPolicy checks a role's trust policy as IAM does: a resource
// policy (every statement names a Principal) without Resource, whose
// actions are STS actions, whose user and role principals exist (IAM
// resolves them to unique ids when it saves the policy), and at most
// AssumeRolePolicySizeQuota characters.
func CheckTrustPolicy(tx *store.Tx, doc string) error {
	d, err := policy.ParseAs([]byte(doc), policy.ResourcePolicy)
	if err != nil {
		return MalformedPolicyDocument(err)
	}
	for i, st := range d.Statements {
		switch {
		case st.Resource != nil:
			return pipeline.NewError(http.StatusBadRequest, "MalformedPolicyDocument", "Has prohibited field Resource (statement %d)", i)
		case st.NotResource != nil:
			return pipeline.NewError(http.StatusBadRequest, "MalformedPolicyDocument", "Has prohibited field NotResource (statement %d)", i)
		}
		for _, a := range st.Action {
			if a != "*" && !strings.HasPrefix(strings.ToLower(a), "sts:") {
				return pipeline.NewError(http.StatusBadRequest, "MalformedPolicyDocument",
					"AssumeRole policy may only specify STS AssumeRole actions. (statement %d: %s)", i, a)
			}
		}
		for _, ps := range []*policy.PrincipalSet{st.Principal, st.NotPrincipal} {
			if ps == nil {
				continue
			}
			for _, p := range ps.AWS {
				if !entityARNPattern.MatchString(p) {
					continue
				}
				if _, err := tx.Principal(p); errors.Is(err, store.ErrNotFound) {
					return pipeline.NewError(http.StatusBadRequest, "MalformedPolicyDocument", "Invalid principal in policy: \"AWS\":%q", p)
				} else if err != nil {
					return err
				}
			}
		}
	}
	if policySize(doc) > assumeRolePolicySizeQuota {
		return pipeline.NewError(http.StatusConflict, "LimitExceeded", "Cannot exceed quota for ACLSizePerRole: %d", assumeRolePolicySizeQuota)
	}
	return nil
}

// --- Wire shapes ---

// tagShape is IAM's Tag.
type tagShape struct {
	Key   string
	Value string
}

// tagsOf is the Tags member of a User or Role: nil, so left out, when
// there are none. (encoding/xml would write the parent of an empty
// "Tags>member" list, hence the pointer.)
func tagsOf(tags []store.Tag) *iamMembers[tagShape] {
	if len(tags) == 0 {
		return nil
	}
	out := make([]tagShape, 0, len(tags))
	for _, t := range tags {
		out = append(out, tagShape{Key: t.Key, Value: t.Value})
	}
	return &iamMembers[tagShape]{out}
}

// userOf is IAM's User for an IAM user; withTags for the calls that
// return tags (CreateUser, GetUser; ListUsers does not).
func userOf(p store.Principal, withTags bool) userShape {
	u := userShape{Path: p.Path, UserName: p.Name, UserID: p.ID, Arn: p.ARN, CreateDate: pipeline.XMLTime(p.CreatedAt)}
	if withTags {
		u.Tags = tagsOf(p.Tags)
	}
	return u
}

// roleShape is IAM's Role. The trust policy is URL-encoded, as IAM returns
// every policy document.
type roleShape struct {
	Path                     string
	RoleName                 string
	RoleID                   string `xml:"RoleId"`
	Arn                      string
	CreateDate               string
	AssumeRolePolicyDocument string                `xml:",omitempty"`
	Description              string                `xml:",omitempty"`
	MaxSessionDuration       int                   `xml:",omitempty"`
	Tags                     *iamMembers[tagShape] `xml:",omitempty"`
	// RoleLastUsed is GetRole's; the emulator does not record role use, so
	// it is always empty.
	RoleLastUsed *struct{} `xml:",omitempty"`
}

// roleOf is IAM's Role for a role; withTags for CreateRole and GetRole
// (ListRoles returns no tags).
func roleOf(p store.Principal, withTags bool) roleShape {
	r := roleShape{Path: p.Path, RoleName: p.Name, RoleID: p.ID, Arn: p.ARN, CreateDate: pipeline.XMLTime(p.CreatedAt),
		AssumeRolePolicyDocument: rfc3986Escape(p.TrustPolicy), Description: p.Description,
		MaxSessionDuration: p.MaxSessionDuration}
	if withTags {
		r.Tags = tagsOf(p.Tags)
	}
	return r
}

// listEntities lists the caller's account's users or roles under
// pathPrefix ("/" when empty), one IAM page of them.
func (s *Service) listEntities(ctx context.Context, c *pipeline.Call, kind entityKind, pathPrefix, marker string, maxItems *int32) ([]store.Principal, string, error) {
	if pathPrefix == "" {
		pathPrefix = "/"
	}
	var page []store.Principal
	var next string
	err := s.store.View(ctx, func(tx *store.Tx) error {
		var err error
		// A marker is valid only for the listing (kind and prefix) it came from.
		page, next, err = iamCursorPage(kind+"|"+pathPrefix, marker, maxItems, func(after string, limit int) ([]store.Principal, string, error) {
			return tx.PrincipalsPage(c.ID.AccountID, kind, pathPrefix, after, limit)
		})
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return page, next, nil
}

// --- CreateUser, DeleteUser, ListUsers ---

type createUserInput struct {
	Path                string            `query:"Path"`
	UserName            string            `query:"UserName"`
	PermissionsBoundary string            `query:"PermissionsBoundary"`
	Tags                map[string]string `query:"Tags.member,flat,map=Key/Value"`
}

func (in *createUserInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	optionalPath(v, in.Path)
	entityName(v, "UserName", in.UserName, 64)
	if err := tagList(v, in.Tags); err != nil {
		return err
	}
	return optionalBoundary(v, in.PermissionsBoundary)
}

// createUserTarget authorizes on the ARN the new user will have.
func createUserTarget(_ *Service, _ context.Context, c *pipeline.Call, in *createUserInput) (pipeline.Resource, error) {
	arn := store.PrincipalARN(c.ID.AccountID, store.PrincipalUser, cmp.Or(in.Path, "/"), in.UserName)
	return creationTarget(arn, in.Tags, in.PermissionsBoundary, "iam:TagUser", "iam:PutUserPermissionsBoundary"), nil
}

type createUserResult struct {
	User userShape
}

// createUser creates a user with no credentials and no policies.
func (s *Service) createUser(ctx context.Context, c *pipeline.Call, in *createUserInput) (*createUserResult, error) {
	if err := refuseBoundary(in.PermissionsBoundary); err != nil {
		return nil, err
	}
	var p store.Principal
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		var err error
		p, err = tx.AddPrincipal(store.Principal{AccountID: c.ID.AccountID, Kind: store.PrincipalUser,
			Name: in.UserName, Path: in.Path, Tags: storeTags(in.Tags)})
		if errors.Is(err, store.ErrConflict) {
			return pipeline.NewError(http.StatusConflict, "EntityAlreadyExists", "User with name %s already exists.", in.UserName)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &createUserResult{User: userOf(p, true)}, nil
}

// userNameInput is the input of calls that name one existing user and nothing else.
type userNameInput struct {
	UserName string `query:"UserName"`
}

func (in *userNameInput) entityUserName() string { return in.UserName }

func (in *userNameInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	entityName(v, "UserName", in.UserName, 128)
	return v.Err()
}

// deleteUser deletes a user that has nothing left attached: IAM refuses
// (DeleteConflict) while it has access keys, managed or inline policies or
// a login profile, or is in groups. (The emulator keeps no certificates or MFA
// devices for IAM users.)
func (s *Service) deleteUser(ctx context.Context, c *pipeline.Call, in *userNameInput) (*pipeline.NoOutput, error) {
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		p, err := namedEntity(tx, c, store.PrincipalUser, in.UserName)
		if err != nil {
			return err
		}
		keys, err := tx.CredentialsOf(p.ARN)
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			return pipeline.NewError(http.StatusConflict, "DeleteConflict", "Cannot delete entity, must delete access keys first.")
		}
		if len(p.ManagedPolicies) > 0 {
			return pipeline.NewError(http.StatusConflict, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
		}
		if len(p.Policies) > 0 {
			return pipeline.NewError(http.StatusConflict, "DeleteConflict", "Cannot delete entity, must delete policies first.")
		}
		if p.LoginProfile != nil {
			return pipeline.NewError(http.StatusConflict, "DeleteConflict", "Cannot delete entity, must delete login profile first.")
		}
		if len(p.Groups) > 0 {
			return pipeline.NewError(http.StatusConflict, "DeleteConflict", "Cannot delete entity, must remove users from group first.")
		}
		return tx.DeletePrincipal(p.ARN)
	})
	if err != nil {
		return nil, err
	}
	return &pipeline.NoOutput{}, nil
}

// listEntitiesInput is the input of ListUsers and ListRoles.
type listEntitiesInput struct {
	PathPrefix string `query:"PathPrefix"`
	Marker     string `query:"Marker"`
	MaxItems   *int32 `query:"MaxItems"`
}

func (in *listEntitiesInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	optionalPathPrefix(v, in.PathPrefix)
	pageParams(v, in.Marker, in.MaxItems)
	return v.Err()
}

type listUsersResult struct {
	Users       iamMembers[userShape]
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

// listUsers lists the account's users whose path starts with PathPrefix,
// ordered by name.
func (s *Service) listUsers(ctx context.Context, c *pipeline.Call, in *listEntitiesInput) (*listUsersResult, error) {
	page, next, err := s.listEntities(ctx, c, store.PrincipalUser, in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	users := make([]userShape, 0, len(page))
	for _, p := range page {
		users = append(users, userOf(p, false))
	}
	return &listUsersResult{Users: iamMembers[userShape]{users}, IsTruncated: next != "", Marker: next}, nil
}

// --- CreateRole, GetRole, DeleteRole, ListRoles, UpdateAssumeRolePolicy ---

type createRoleInput struct {
	Path                     string            `query:"Path"`
	RoleName                 string            `query:"RoleName"`
	AssumeRolePolicyDocument string            `query:"AssumeRolePolicyDocument"`
	Description              *string           `query:"Description"`
	MaxSessionDuration       *int32            `query:"MaxSessionDuration"`
	PermissionsBoundary      string            `query:"PermissionsBoundary"`
	Tags                     map[string]string `query:"Tags.member,flat,map=Key/Value"`
}

func (in *createRoleInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	optionalPath(v, in.Path)
	entityName(v, "RoleName", in.RoleName, 64)
	policyDocument(v, "AssumeRolePolicyDocument", in.AssumeRolePolicyDocument)
	if in.Description != nil {
		v.Length("Description", *in.Description, 0, 1000)
		v.Pattern("Description", *in.Description, roleDescriptionPattern)
	}
	if in.MaxSessionDuration != nil {
		v.Between("MaxSessionDuration", int64(*in.MaxSessionDuration), roleMinSessionSeconds, roleMaxSessionSeconds)
	}
	if err := tagList(v, in.Tags); err != nil {
		return err
	}
	return optionalBoundary(v, in.PermissionsBoundary)
}

// createRoleTarget authorizes on the ARN the new role will have.
func createRoleTarget(_ *Service, _ context.Context, c *pipeline.Call, in *createRoleInput) (pipeline.Resource, error) {
	arn := store.PrincipalARN(c.ID.AccountID, store.PrincipalRole, cmp.Or(in.Path, "/"), in.RoleName)
	return creationTarget(arn, in.Tags, in.PermissionsBoundary, "iam:TagRole", "iam:PutRolePermissionsBoundary"), nil
}

type createRoleResult struct {
	Role roleShape
}

// createRole creates a role with a trust policy and no permissions.
func (s *Service) createRole(ctx context.Context, c *pipeline.Call, in *createRoleInput) (*createRoleResult, error) {
	if err := refuseBoundary(in.PermissionsBoundary); err != nil {
		return nil, err
	}
	maxSession := DefaultRoleSessionSeconds
	if in.MaxSessionDuration != nil {
		maxSession = int(*in.MaxSessionDuration)
	}
	var p store.Principal
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		if err := CheckTrustPolicy(tx, in.AssumeRolePolicyDocument); err != nil {
			return err
		}
		var err error
		p, err = tx.AddPrincipal(store.Principal{AccountID: c.ID.AccountID, Kind: store.PrincipalRole,
			Name: in.RoleName, Path: in.Path, TrustPolicy: in.AssumeRolePolicyDocument,
			MaxSessionDuration: maxSession, Description: derefString(in.Description), Tags: storeTags(in.Tags)})
		if errors.Is(err, store.ErrConflict) {
			return pipeline.NewError(http.StatusConflict, "EntityAlreadyExists", "Role with name %s already exists.", in.RoleName)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &createRoleResult{Role: roleOf(p, true)}, nil
}

// roleNameInput is the input of calls that name one role and nothing else.
type roleNameInput struct {
	RoleName string `query:"RoleName"`
}

func (in *roleNameInput) entityRoleName() string { return in.RoleName }

func (in *roleNameInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	entityName(v, "RoleName", in.RoleName, 64)
	return v.Err()
}

type getRoleResult struct {
	Role roleShape
}

func (s *Service) getRole(ctx context.Context, c *pipeline.Call, in *roleNameInput) (*getRoleResult, error) {
	var p store.Principal
	err := s.store.View(ctx, func(tx *store.Tx) error {
		var err error
		p, err = namedEntity(tx, c, store.PrincipalRole, in.RoleName)
		return err
	})
	if err != nil {
		return nil, err
	}
	r := roleOf(p, true)
	r.RoleLastUsed = &struct{}{}
	return &getRoleResult{Role: r}, nil
}

// deleteRole deletes a role without attached or inline policies
// (DeleteConflict otherwise). Its live sessions are allowed nothing from then on.
func (s *Service) deleteRole(ctx context.Context, c *pipeline.Call, in *roleNameInput) (*pipeline.NoOutput, error) {
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		p, err := namedEntity(tx, c, store.PrincipalRole, in.RoleName)
		if err != nil {
			return err
		}
		if len(p.ManagedPolicies) > 0 {
			return pipeline.NewError(http.StatusConflict, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
		}
		if len(p.Policies) > 0 {
			return pipeline.NewError(http.StatusConflict, "DeleteConflict", "Cannot delete entity, must delete policies first.")
		}
		if p.LoginProfile != nil {
			return pipeline.NewError(http.StatusConflict, "DeleteConflict", "Cannot delete entity, must delete login profile first.")
		}
		if len(p.Groups) > 0 {
			return pipeline.NewError(http.StatusConflict, "DeleteConflict", "Cannot delete entity, must remove users from group first.")
		}
		return tx.DeletePrincipal(p.ARN)
	})
	if err != nil {
		return nil, err
	}
	return &pipeline.NoOutput{}, nil
}

type listRolesResult struct {
	Roles       iamMembers[roleShape]
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

// listRoles lists the account's roles whose path starts with PathPrefix,
// ordered by name.
func (s *Service) listRoles(ctx context.Context, c *pipeline.Call, in *listEntitiesInput) (*listRolesResult, error) {
	page, next, err := s.listEntities(ctx, c, store.PrincipalRole, in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	roles := make([]roleShape, 0, len(page))
	for _, p := range page {
		roles = append(roles, roleOf(p, false))
	}
	return &listRolesResult{Roles: iamMembers[roleShape]{roles}, IsTruncated: next != "", Marker: next}, nil
}

type updateAssumeRolePolicyInput struct {
	RoleName       string `query:"RoleName"`
	PolicyDocument string `query:"PolicyDocument"`
}

func (in *updateAssumeRolePolicyInput) entityRoleName() string { return in.RoleName }

func (in *updateAssumeRolePolicyInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	entityName(v, "RoleName", in.RoleName, 64)
	policyDocument(v, "PolicyDocument", in.PolicyDocument)
	return v.Err()
}

// updateAssumeRolePolicy replaces a role's trust policy; the next
// AssumeRole is judged by the new one (sessions already issued stay).
func (s *Service) updateAssumeRolePolicy(ctx context.Context, c *pipeline.Call, in *updateAssumeRolePolicyInput) (*pipeline.NoOutput, error) {
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		p, err := namedEntity(tx, c, store.PrincipalRole, in.RoleName)
		if err != nil {
			return err
		}
		if err := CheckTrustPolicy(tx, in.PolicyDocument); err != nil {
			return err
		}
		p.TrustPolicy = in.PolicyDocument
		return tx.PutPrincipal(p)
	})
	if err != nil {
		return nil, err
	}
	return &pipeline.NoOutput{}, nil
}

// --- small helpers ---

func derefString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// ValidateEntity checks a user's or role's name and path as CreateUser and
// CreateRole do, for worlds built outside the API (scenarios).
func ValidateEntity(name, path string) error {
	v := pipeline.NewValidator("ValidationError")
	entityName(v, "name", name, 64)
	optionalPath(v, path)
	return v.Err()
}

// ValidPolicyName reports whether name is a valid inline policy name.
func ValidPolicyName(name string) bool {
	return userNamePattern.MatchString(name) && len(name) <= 128
}
