package iam

// Tags of users, roles and customer managed policies: Tag…, Untag… and
// List…Tags. Keys are unique ignoring case (a tag whose key differs only in
// case replaces the one there), an entity has at most 50, and tags are
// kept ordered by key.

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

const maxTags = 50

// mergeTags sets the tags add on existing, replacing any whose key matches
// ignoring case; more than maxTags in all is LimitExceeded.
func mergeTags(existing []store.Tag, add map[string]string, quotaName string) ([]store.Tag, error) {
	out := slices.DeleteFunc(slices.Clone(existing), func(t store.Tag) bool {
		for k := range add {
			if strings.EqualFold(k, t.Key) {
				return true
			}
		}
		return false
	})
	out = append(out, storeTags(add)...)
	if len(out) > maxTags {
		return nil, pipeline.NewError(http.StatusConflict, "LimitExceeded", "Cannot exceed quota for TagsPer%s: %d", quotaName, maxTags)
	}
	slices.SortFunc(out, func(a, b store.Tag) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// removeTags drops the tags whose keys are among keys, ignoring case;
// a key the resource does not have is no error.
func removeTags(existing []store.Tag, keys []string) []store.Tag {
	return slices.DeleteFunc(slices.Clone(existing), func(t store.Tag) bool {
		return slices.ContainsFunc(keys, func(k string) bool { return strings.EqualFold(k, t.Key) })
	})
}

// tagKeyList checks TagKeys (tagKeyListType): at most 50 keys, each a tagKeyType.
func tagKeyList(v *pipeline.Validator, keys []string) {
	if v.Required("TagKeys", keys != nil) && len(keys) > maxTags {
		v.Add(fmt.Sprintf("%v", keys), "tagKeys", "Member must have length less than or equal to 50")
	}
	for i, k := range keys {
		v.Length(fmt.Sprintf("tagKeys.%d.member", i+1), k, 1, 128)
		v.Matches(fmt.Sprintf("tagKeys.%d.member", i+1), k, pipeline.TagKeyPattern, pipeline.IsTagKey)
	}
}

type listTagsResult struct {
	Tags        iamMembers[tagShape]
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

func tagsPage(tags []store.Tag, scope, marker string, maxItems *int32) (*listTagsResult, error) {
	page, next, err := iamPage(tags, scope+"|tags", marker, maxItems)
	if err != nil {
		return nil, err
	}
	out := &listTagsResult{Tags: iamMembers[tagShape]{[]tagShape{}}, IsTruncated: next != "", Marker: next}
	for _, t := range page {
		out.Tags.Members = append(out.Tags.Members, tagShape{Key: t.Key, Value: t.Value})
	}
	return out, nil
}

// --- TagUser, UntagUser, ListUserTags; TagRole, UntagRole, ListRoleTags ---

type tagEntityInput[E entitySpec] struct {
	UserName string            `query:"UserName"`
	RoleName string            `query:"RoleName"`
	Tags     map[string]string `query:"Tags.member,flat,map=Key/Value"`
}

func (in *tagEntityInput[E]) entity() (entityInfo, string) {
	info := infoOf[E]()
	return info, entityNames{user: in.UserName, role: in.RoleName}.of(info.kind)
}

func (in *tagEntityInput[E]) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	requireEntityName(v, in)
	v.Required("Tags", in.Tags != nil)
	return tagList(v, in.Tags)
}

// tagEntityTarget authorizes on the entity with the tags as aws:RequestTag and aws:TagKeys.
func tagEntityTarget[E entitySpec](s *Service, ctx context.Context, c *pipeline.Call, in *tagEntityInput[E]) (pipeline.Resource, error) {
	res, err := entityTarget(s, ctx, c, in)
	return withContext(res, pipeline.RequestTagContext(in.Tags)), err
}

func tagEntity[E entitySpec](s *Service, ctx context.Context, c *pipeline.Call, in *tagEntityInput[E]) (*pipeline.NoOutput, error) {
	return s.changeEntity(ctx, c, in, func(_ *store.Tx, e *store.Principal) error {
		var err error
		e.Tags, err = mergeTags(e.Tags, in.Tags, infoOf[E]().quotaName)
		return err
	})
}

type untagEntityInput[E entitySpec] struct {
	UserName string   `query:"UserName"`
	RoleName string   `query:"RoleName"`
	TagKeys  []string `query:"TagKeys"`
}

func (in *untagEntityInput[E]) entity() (entityInfo, string) {
	info := infoOf[E]()
	return info, entityNames{user: in.UserName, role: in.RoleName}.of(info.kind)
}

func (in *untagEntityInput[E]) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	requireEntityName(v, in)
	tagKeyList(v, in.TagKeys)
	return v.Err()
}

// untagEntityTarget authorizes on the entity with the keys as aws:TagKeys.
func untagEntityTarget[E entitySpec](s *Service, ctx context.Context, c *pipeline.Call, in *untagEntityInput[E]) (pipeline.Resource, error) {
	res, err := entityTarget(s, ctx, c, in)
	return withContext(res, map[string][]string{"aws:TagKeys": in.TagKeys}), err
}

func untagEntity[E entitySpec](s *Service, ctx context.Context, c *pipeline.Call, in *untagEntityInput[E]) (*pipeline.NoOutput, error) {
	return s.changeEntity(ctx, c, in, func(_ *store.Tx, e *store.Principal) error {
		e.Tags = removeTags(e.Tags, in.TagKeys)
		return nil
	})
}

type listEntityTagsInput[E entitySpec] struct {
	UserName string `query:"UserName"`
	RoleName string `query:"RoleName"`
	Marker   string `query:"Marker"`
	MaxItems *int32 `query:"MaxItems"`
}

func (in *listEntityTagsInput[E]) entity() (entityInfo, string) {
	info := infoOf[E]()
	return info, entityNames{user: in.UserName, role: in.RoleName}.of(info.kind)
}

func (in *listEntityTagsInput[E]) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	requireEntityName(v, in)
	pageParams(v, in.Marker, in.MaxItems)
	return v.Err()
}

func listEntityTags[E entitySpec](s *Service, ctx context.Context, c *pipeline.Call, in *listEntityTagsInput[E]) (*listTagsResult, error) {
	e, err := s.readEntity(ctx, c, in)
	if err != nil {
		return nil, err
	}
	return tagsPage(e.Tags, e.ARN, in.Marker, in.MaxItems)
}

// --- TagPolicy, UntagPolicy, ListPolicyTags ---

type tagPolicyInput struct {
	PolicyArn string            `query:"PolicyArn"`
	Tags      map[string]string `query:"Tags.member,flat,map=Key/Value"`
}

func (in *tagPolicyInput) policyARN() string { return in.PolicyArn }

func (in *tagPolicyInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	v.Required("Tags", in.Tags != nil)
	if err := tagList(v, in.Tags); err != nil {
		return err
	}
	return validatePolicyARN(v, in.PolicyArn)
}

func tagPolicyTarget(s *Service, ctx context.Context, c *pipeline.Call, in *tagPolicyInput) (pipeline.Resource, error) {
	res, err := policyTarget(s, ctx, c, in)
	return withContext(res, pipeline.RequestTagContext(in.Tags)), err
}

func (s *Service) tagPolicy(ctx context.Context, c *pipeline.Call, in *tagPolicyInput) (*pipeline.NoOutput, error) {
	return noOutput(s.changePolicy(ctx, c, in.PolicyArn, func(_ *store.Tx, p *store.IAMPolicy) error {
		var err error
		p.Tags, err = mergeTags(p.Tags, in.Tags, "Policy")
		return err
	}))
}

type untagPolicyInput struct {
	PolicyArn string   `query:"PolicyArn"`
	TagKeys   []string `query:"TagKeys"`
}

func (in *untagPolicyInput) policyARN() string { return in.PolicyArn }

func (in *untagPolicyInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	tagKeyList(v, in.TagKeys)
	return validatePolicyARN(v, in.PolicyArn)
}

func untagPolicyTarget(s *Service, ctx context.Context, c *pipeline.Call, in *untagPolicyInput) (pipeline.Resource, error) {
	res, err := policyTarget(s, ctx, c, in)
	return withContext(res, map[string][]string{"aws:TagKeys": in.TagKeys}), err
}

func (s *Service) untagPolicy(ctx context.Context, c *pipeline.Call, in *untagPolicyInput) (*pipeline.NoOutput, error) {
	return noOutput(s.changePolicy(ctx, c, in.PolicyArn, func(_ *store.Tx, p *store.IAMPolicy) error {
		p.Tags = removeTags(p.Tags, in.TagKeys)
		return nil
	}))
}

// changePolicy runs change on the caller's customer managed policy with
// the ARN and stores the result, in one transaction.
func (s *Service) changePolicy(ctx context.Context, c *pipeline.Call, arn string, change func(tx *store.Tx, p *store.IAMPolicy) error) error {
	return s.store.Update(ctx, func(tx *store.Tx) error {
		p, err := customerPolicy(tx, c, arn)
		if err != nil {
			return err
		}
		if err := change(tx, &p); err != nil {
			return err
		}
		return tx.PutIAMPolicy(p)
	})
}

type listPolicyTagsInput struct {
	PolicyArn string `query:"PolicyArn"`
	Marker    string `query:"Marker"`
	MaxItems  *int32 `query:"MaxItems"`
}

func (in *listPolicyTagsInput) policyARN() string { return in.PolicyArn }

func (in *listPolicyTagsInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	pageParams(v, in.Marker, in.MaxItems)
	return validatePolicyARN(v, in.PolicyArn)
}

// listPolicyTags lists a policy's tags; AWS managed policies have none.
func (s *Service) listPolicyTags(ctx context.Context, c *pipeline.Call, in *listPolicyTagsInput) (*listTagsResult, error) {
	var tags []store.Tag
	err := s.store.View(ctx, func(tx *store.Tx) error {
		m, err := lookupPolicy(tx, c, in.PolicyArn)
		tags = m.local.Tags
		return err
	})
	if err != nil {
		return nil, err
	}
	return tagsPage(tags, in.PolicyArn, in.Marker, in.MaxItems)
}
