package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/rootaccess/emulator/pkg/policy"
	"github.com/rootaccess/emulator/pkg/store"
)

// Authorizer decides requests with the IAM policy evaluator. It reads the
// callers' identity policies from the store.
type Authorizer struct {
	store *store.Store
	clock *Clock
	log   *slog.Logger
}

// NewAuthorizer returns the authorizer of the world in d.
func NewAuthorizer(d Deps) *Authorizer {
	return &Authorizer{store: d.Store, clock: d.Clock, log: d.Log}
}

// Authorize decides whether the caller may perform action on res, with the
// IAM policy evaluator over every policy that applies: the caller's identity
// policies (or a root's implicit allow), the session's task policy, the
// resource's own policy, and the organizations' SCPs and RCPs
// (orgpolicy.go); then, with the same policies, every action in res.Also.
// A refusal is AccessDenied in the service's protocol.
func (s *Authorizer) Authorize(ctx context.Context, c *Call, action string, res Resource) error {
	id := c.ID
	if res.Account == "" {
		res.Account = id.AccountID
	}
	req := policy.Request{
		Action:    action,
		Resource:  res.ARN,
		Principal: PrincipalOf(id),
		Context:   s.conditionContext(c, res),
	}
	var p policy.Policies
	// One read transaction for everything stored that the decision needs.
	var org organizationInputs
	err := s.store.View(ctx, func(tx *store.Tx) error {
		if !id.IsRoot() {
			docs, err := s.identityPolicies(tx, id)
			if err != nil {
				return err
			}
			p.Identity = docs
		}
		var err error
		org, err = s.organizationInputsOf(tx, id, action, res)
		return err
	})
	if err != nil {
		return err
	}
	if id.IsRoot() {
		// The root user's identity side allows everything, in its own
		// account and outside it: a resource of another account is then
		// decided, as every cross-account request, by that resource's
		// policy (AWS's cross-account evaluation: both sides must allow).
		p.RootIdentity = true
	}
	for k, v := range org.context {
		if _, set := req.Context[k]; !set {
			req.Context[k] = v
		}
	}
	p.SCP, p.RCP = org.scp, org.rcp
	if id.Kind == store.KindRootSession {
		task, ok := policy.TaskPolicy(id.TaskPolicyARN)
		if !ok {
			return fmt.Errorf("root session %s has unknown task policy %s", id.AccessKeyID, id.TaskPolicyARN)
		}
		p.Session = []*policy.Document{task.Document}
	}
	bypass := res.OwnerRootBypass && id.IsRoot() && id.AccountID == res.Account
	if !bypass {
		for _, raw := range res.Policies {
			doc, err := parsedPolicy(raw, policy.ResourcePolicy)
			if err != nil {
				// A stored policy was validated when it was put; skip one that no
				// longer parses rather than failing every request on it.
				s.log.Warn("unparsable resource policy", "resource", res.ARN, "error", err)
				continue
			}
			p.Resource = append(p.Resource, doc)
		}
	}
	p.CrossAccount = res.Account != id.AccountID
	p.ResourceRequired = res.ResourceRequired
	// The operation's action, then the actions its request also needs
	// (tags, a boundary, a source identity), each decided by the same
	// policies: the first refused names itself in the denial.
	for _, a := range append([]string{action}, res.Also...) {
		req.Action = a
		result := policy.Decide(req, p)
		if result.Decision != policy.Allow {
			return AccessDenied(c.Proto, fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s %s",
				id.ARN, a, res.ARN, result.Reason(a)))
		}
	}
	return nil
}

// principalOf is the caller as Principal elements of resource policies match it.
func PrincipalOf(id Identity) policy.Principal {
	p := policy.Principal{ARN: id.ARN, Account: id.AccountID}
	if id.Kind == store.KindRoleSession {
		p.Aliases = []string{id.PrincipalARN}
	}
	return p
}

// conditionContext is the request context that policy conditions test.
func (s *Authorizer) conditionContext(c *Call, res Resource) map[string][]string {
	id := c.ID
	now := s.clock.Now()
	ctx := map[string][]string{
		"aws:PrincipalArn":     {id.PrincipalARN},
		"aws:PrincipalAccount": {id.AccountID},
		"aws:ResourceAccount":  {res.Account},
		"aws:userid":           {id.UserID},
		"aws:CurrentTime":      {XMLTime(now)},
		"aws:EpochTime":        {strconv.FormatInt(now.Unix(), 10)},
		"aws:SecureTransport":  {strconv.FormatBool(c.R.TLS != nil)},
		"aws:RequestedRegion":  {c.Region},
		"aws:PrincipalType":    {principalType(id)},
	}
	if id.Kind == store.KindUser {
		ctx["aws:username"] = []string{id.PrincipalARN[strings.LastIndex(id.PrincipalARN, "/")+1:]}
	}
	if id.Kind == store.KindRootSession {
		ctx["aws:AssumedRoot"] = []string{"true"}
	}
	if id.SourceIdentity != "" {
		ctx["aws:SourceIdentity"] = []string{id.SourceIdentity}
	}
	for k, v := range id.SessionTags {
		ctx["aws:PrincipalTag/"+k] = []string{v}
	}
	for k, v := range res.Context {
		ctx[k] = v
	}
	return ctx
}

func principalType(id Identity) string {
	switch id.Kind {
	case store.KindRoot, store.KindRootSession:
		return "Account"
	case store.KindRoleSession:
		return "AssumedRole"
	}
	return "User"
}

// identityPolicies parses the identity-based policies of the caller's user or
// role (see gatherIdentityPolicies). A role deleted under a live session (or
// deleted and created again with the same name, hence another unique id)
// gives that session none, as in AWS, where sessions are tied to the role's
// unique id.
func (s *Authorizer) identityPolicies(tx *store.Tx, id Identity) ([]*policy.Document, error) {
	p, err := tx.Principal(id.PrincipalARN)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if id.UserID != p.ID && !strings.HasPrefix(id.UserID, p.ID+":") {
		return nil, nil
	}
	gathered, err := gatherIdentityPolicies(tx, p)
	if err != nil {
		return nil, err
	}
	docs := make([]*policy.Document, 0, len(gathered))
	for _, ip := range gathered {
		if ip.parsed != nil {
			docs = append(docs, ip.parsed)
			continue
		}
		doc, err := parsedAnyPolicy(ip.document)
		if err != nil {
			s.log.Warn("unparsable identity policy", "principal", id.PrincipalARN, "from", ip.source, "policy", ip.name, "error", err)
			continue
		}
		docs = append(docs, doc)
	}
	return docs, nil
}

// identityPolicy is one identity-based policy that applies to a principal,
// and where it comes from (the principal itself or one of its groups):
// its document, or for an AWS managed policy the shared parsed document.
type identityPolicy struct {
	source, name, document string
	parsed                 *policy.Document
}

// gatherIdentityPolicies collects every identity-based policy that applies
// to a user or role: its inline policies and the default version of each
// managed policy attached to it and, for a user, the same of each of its
// groups. Each is a lookup by key: no listing is read.
func gatherIdentityPolicies(tx *store.Tx, p store.Principal) ([]identityPolicy, error) {
	var out []identityPolicy
	add := func(e store.Principal) error {
		for name, doc := range e.Policies {
			out = append(out, identityPolicy{source: e.ARN, name: name, document: doc})
		}
		for _, arn := range e.ManagedPolicies {
			if aws, ok := policy.AWSManagedPolicy(arn); ok {
				out = append(out, identityPolicy{source: e.ARN, name: arn, parsed: aws.Document})
				continue
			}
			mp, err := tx.IAMPolicy(arn)
			if errors.Is(err, store.ErrNotFound) {
				continue // a policy is deleted only once detached; nothing to apply
			} else if err != nil {
				return err
			}
			out = append(out, identityPolicy{source: e.ARN, name: arn, document: mp.DefaultDocument()})
		}
		return nil
	}
	if err := add(p); err != nil {
		return nil, err
	}
	for _, groupARN := range p.Groups {
		g, err := tx.Principal(groupARN)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		if err := add(g); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// accessDenied is AccessDenied in protocol p.
func AccessDenied(p Protocol, msg string) *Error {
	switch p {
	case ProtoJSON11:
		return &Error{Code: "AccessDeniedException", Message: msg, Status: http.StatusBadRequest}
	case ProtoJSON10:
		return &Error{Code: "com.amazon.coral.service#AccessDeniedException", Message: msg, Status: http.StatusForbidden, QueryCode: "AccessDenied"}
	default:
		return &Error{Code: "AccessDenied", Message: msg, Status: http.StatusForbidden}
	}
}

// RequestTagContext is the condition keys of tags a request attaches:
// aws:RequestTag/<key> for each tag and aws:TagKeys listing the keys.
func RequestTagContext(tags map[string]string) map[string][]string {
	ctx := map[string][]string{}
	keys := make([]string, 0, len(tags))
	for k, v := range tags {
		ctx["aws:RequestTag/"+k] = []string{v}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	ctx["aws:TagKeys"] = keys
	return ctx
}
