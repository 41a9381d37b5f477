package organizations

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// maxTags is how many tags one Organizations resource may carry.
const maxTags = 50

type tag struct {
	Key   *string
	Value *string
}

// tags checks a Tags member: keys and values as the model constrains them,
// keys unique, at most maxTags.
func (v *input) tags(tags []tag) {
	keys := map[string]bool{}
	for i, t := range tags {
		member := fmt.Sprintf("Tags.%d", i+1)
		if v.required(member+".Key", t.Key != nil) {
			v.text(member+".Key", *t.Key, 1, 128, pipeline.IsTagText)
			if keys[*t.Key] {
				v.fail("DUPLICATE_TAG_KEY", "Tag keys must be unique among the tags attached to the same entity.", member+".Key")
			}
			keys[*t.Key] = true
		}
		if v.required(member+".Value", t.Value != nil) {
			v.text(member+".Value", *t.Value, 0, 256, pipeline.IsTagText)
		}
	}
}

func tagMap(tags []tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[*t.Key] = *t.Value
	}
	return m
}

func tooManyTags() *pipeline.Error {
	return constraint("MAX_TAG_LIMIT_EXCEEDED", "You have exceeded the number of tags allowed on this resource.")
}

// authorizeTagging checks organizations:TagResource for a create request
// that carries tags, as AWS requires of CreateAccount,
// CreateOrganizationalUnit and CreatePolicy.
func (s *Service) authorizeTagging(ctx context.Context, c *pipeline.Call, tags []tag) error {
	if len(tags) == 0 {
		return nil
	}
	if len(tags) > maxTags {
		return tooManyTags()
	}
	return c.Authorize(ctx, "organizations:TagResource", pipeline.Anywhere)
}

// taggable is a resource whose tags are read and written.
type taggable struct {
	tags map[string]string
	save func(map[string]string) error
}

// taggableResource finds a resource of org by id: the root, an account, an
// OU or a customer-managed policy. AWS-managed policies cannot be tagged;
// they are TargetNotFoundException like anything else that is not there.
func taggableResource(tx *store.Tx, org *store.Organization, id string) (taggable, error) {
	notFound := orgError("TargetNotFoundException", "We can't find a root, OU, account, or policy with the TargetId that you specified.")
	switch {
	case id == org.RootID:
		return taggable{org.RootTags, func(m map[string]string) error {
			org.RootTags = m
			return tx.PutOrganization(*org)
		}}, nil
	case strings.HasPrefix(id, "ou-"):
		ou, err := orgOU(tx, *org, id)
		if err != nil {
			return taggable{}, notFound
		}
		return taggable{ou.Tags, func(m map[string]string) error {
			ou.Tags = m
			return tx.PutOrganizationalUnit(ou)
		}}, nil
	case strings.HasPrefix(id, "p-"):
		p, err := tx.OrganizationPolicy(org.ID, id)
		if errors.Is(err, store.ErrNotFound) {
			return taggable{}, notFound
		} else if err != nil {
			return taggable{}, err
		}
		return taggable{p.Tags, func(m map[string]string) error {
			p.Tags = m
			return tx.PutOrganizationPolicy(p)
		}}, nil
	case pipeline.AccountIDPattern.MatchString(id):
		a, err := tx.Account(id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !a.MemberOf(org.ID, tx.Now())) {
			return taggable{}, notFound
		} else if err != nil {
			return taggable{}, err
		}
		return taggable{a.Tags, func(m map[string]string) error {
			a.Tags = m
			return tx.PutAccount(a)
		}}, nil
	}
	return taggable{}, notFound
}

// --- TagResource ---

type tagResourceInput struct {
	ResourceID string `json:"ResourceId"`
	Tags       []tag
}

func (in *tagResourceInput) Validate() error {
	v := &input{}
	if v.required("ResourceId", in.ResourceID != "") {
		v.text("ResourceId", in.ResourceID, 1, 130, isTaggableID)
	}
	v.required("Tags", in.Tags != nil)
	v.tags(in.Tags)
	return v.result()
}

// tagResource adds tags, replacing the values of keys already there.
func (s *Service) tagResource(ctx context.Context, c *pipeline.Call, in *tagResourceInput) (*pipeline.NoOutput, error) {
	return s.change(ctx, c, manager, func(tx *store.Tx, org *store.Organization) error {
		r, err := taggableResource(tx, org, in.ResourceID)
		if err != nil {
			return err
		}
		m := maps.Clone(r.tags)
		if m == nil {
			m = map[string]string{}
		}
		for _, t := range in.Tags {
			m[*t.Key] = *t.Value
		}
		if len(m) > maxTags {
			return tooManyTags()
		}
		return r.save(m)
	})
}

// --- UntagResource ---

type untagResourceInput struct {
	ResourceID string `json:"ResourceId"`
	TagKeys    []string
}

func (in *untagResourceInput) Validate() error {
	v := &input{}
	if v.required("ResourceId", in.ResourceID != "") {
		v.text("ResourceId", in.ResourceID, 1, 130, isTaggableID)
	}
	v.required("TagKeys", in.TagKeys != nil)
	for i, k := range in.TagKeys {
		v.text(fmt.Sprintf("TagKeys.%d", i+1), k, 1, 128, pipeline.IsTagText)
	}
	return v.result()
}

// untagResource removes tags by key; keys that are not there are ignored.
func (s *Service) untagResource(ctx context.Context, c *pipeline.Call, in *untagResourceInput) (*pipeline.NoOutput, error) {
	return s.change(ctx, c, manager, func(tx *store.Tx, org *store.Organization) error {
		r, err := taggableResource(tx, org, in.ResourceID)
		if err != nil {
			return err
		}
		m := maps.Clone(r.tags)
		for _, k := range in.TagKeys {
			delete(m, k)
		}
		if len(m) == 0 {
			m = nil
		}
		return r.save(m)
	})
}

// --- ListTagsForResource ---

type listTagsInput struct {
	ResourceID string `json:"ResourceId"`
	NextToken  string
}

func (in *listTagsInput) Validate() error {
	v := &input{}
	if v.required("ResourceId", in.ResourceID != "") {
		v.text("ResourceId", in.ResourceID, 1, 130, isTaggableID)
	}
	return v.result()
}

type tagShape struct {
	Key   string
	Value string
}

type listTagsResult struct {
	Tags      []tagShape
	NextToken string `json:",omitempty"`
}

// listTagsForResource lists tags by key, defaultMaxResults a page (the
// operation has no MaxResults).
func (s *Service) listTagsForResource(ctx context.Context, c *pipeline.Call, in *listTagsInput) (*listTagsResult, error) {
	return call(ctx, s.store.View, c, reader, func(tx *store.Tx, org store.Organization, out *listTagsResult) error {
		r, err := taggableResource(tx, &org, in.ResourceID)
		if err != nil {
			return err
		}
		all := make([]tagShape, 0, len(r.tags))
		for _, k := range slices.Sorted(maps.Keys(r.tags)) {
			all = append(all, tagShape{Key: k, Value: r.tags[k]})
		}
		out.Tags, out.NextToken, err = orgPage(all, in.ResourceID, in.NextToken, nil)
		return err
	})
}
