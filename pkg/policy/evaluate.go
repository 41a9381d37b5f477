package policy

import (
	"fmt"
	"slices"
	"strings"
)

// Principal identifies the caller of a request, for matching the Principal
// and NotPrincipal elements of resource-based policies.
type Principal struct {
	// ARN is the caller's ARN, e.g. arn:aws:iam::111122223333:user/admin,
	// arn:aws:sts::111122223333:assumed-role/R/s or arn:aws:iam::222233334444:root.
	ARN string
	// Account is the 12-digit id of the caller's account.
	Account string
	// Aliases are other ARNs that identify the caller in a Principal element,
	// e.g. arn:aws:iam::111122223333:role/R for an assumed-role session.
	Aliases []string
	// Service is the service principal ("sqs.amazonaws.com") for requests
	// made by an AWS service; empty for AWS principals.
	Service string
}

// Request is the request context a policy is evaluated against.
type Request struct {
	// Action is "service:Action", e.g. "iam:GetUser"; matched case-insensitively.
	Action string
	// Resource is the resource ARN, or "*" for actions without a resource.
	Resource string
	// Principal is the caller.
	Principal Principal
	// Context holds condition keys ("aws:PrincipalArn", "aws:SecureTransport",
	// "aws:CurrentTime", "sts:TaskPolicyArn", …). Key lookup is
	// case-insensitive. If aws:PrincipalArn or aws:PrincipalAccount is absent
	// it is derived from Principal.ARN / Principal.Account, because AWS
	// always populates both for authenticated callers.
	Context map[string][]string
}

// lookup finds a condition key, case-insensitively.
func (r *Request) lookup(key string) ([]string, bool) {
	if v, ok := r.Context[key]; ok {
		return v, true
	}
	for k, v := range r.Context {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	switch strings.ToLower(key) {
	case "aws:principalarn":
		if r.Principal.ARN != "" {
			return []string{r.Principal.ARN}, true
		}
	case "aws:principalaccount":
		if r.Principal.Account != "" {
			return []string{r.Principal.Account}, true
		}
	}
	return nil, false
}

// Decision is the outcome of evaluating policies.
type Decision int

const (
	// ImplicitDeny means nothing allowed the request (the default).
	ImplicitDeny Decision = iota
	// Allow means the request is permitted.
	Allow
	// ExplicitDeny means a Deny statement matched; nothing can override it.
	ExplicitDeny
)

// String returns "ImplicitDeny", "Allow" or "ExplicitDeny".
func (d Decision) String() string {
	switch d {
	case ImplicitDeny:
		return "ImplicitDeny"
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	default:
		return fmt.Sprintf("Decision(%d)", int(d))
	}
}

// principalMatch ranks how a Principal element matched the caller. The
// rank matters when combining policies: naming the caller directly grants
// on its own, naming only its account merely delegates to the account's
// identity policies.
type principalMatch int

const (
	matchNone    principalMatch = iota
	matchAccount                // account id or arn:…:iam::<acct>:root naming the caller's account
	matchAlias                  // one of Principal.Aliases (e.g. the role behind a session)
	matchDirect                 // "*", the caller's own ARN, or its service name
)

// match reports how strongly the set names p.
func (ps *PrincipalSet) match(p Principal) principalMatch {
	if ps.Wildcard {
		return matchDirect
	}
	best := matchNone
	raise := func(m principalMatch) {
		if m > best {
			best = m
		}
	}
	// IAM allows no wildcards in principal ARNs other than "*" itself, so
	// every other value is compared literally.
	for _, v := range ps.AWS {
		switch {
		case v == "*":
			raise(matchDirect)
		case p.ARN != "" && v == p.ARN:
			raise(matchDirect)
		case slices.Contains(p.Aliases, v):
			raise(matchAlias)
		case p.Service == "" && p.Account != "" && accountOf(v) == p.Account:
			raise(matchAccount)
		}
	}
	for _, v := range ps.Service {
		if p.Service != "" && strings.EqualFold(v, p.Service) {
			raise(matchDirect)
		}
	}
	for _, v := range ps.Federated {
		if p.ARN != "" && v == p.ARN {
			raise(matchDirect)
		} else if slices.Contains(p.Aliases, v) {
			raise(matchAlias)
		}
	}
	for _, v := range ps.CanonicalUser {
		if slices.Contains(p.Aliases, v) {
			raise(matchAlias)
		}
	}
	return best
}

// accountOf returns the account named by an account principal — a bare
// 12-digit id or arn:<partition>:iam::<id>:root — or "".
func accountOf(v string) string {
	if isAccountID(v) {
		return v
	}
	parts := strings.Split(v, ":")
	if len(parts) == 6 && parts[0] == "arn" && parts[1] != "" && parts[2] == "iam" &&
		parts[3] == "" && isAccountID(parts[4]) && parts[5] == "root" {
		return parts[4]
	}
	return ""
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// applies reports whether the statement matches the request, and how its
// Principal element matched (matchDirect when it has none).
func (s *Statement) applies(req *Request, ctx evalContext) (principalMatch, bool) {
	if s.Action != nil {
		if !slices.ContainsFunc(s.Action, func(a string) bool { return matchAction(a, req.Action) }) {
			return matchNone, false
		}
	} else if slices.ContainsFunc(s.NotAction, func(a string) bool { return matchAction(a, req.Action) }) {
		return matchNone, false
	}

	if s.Resource != nil {
		// An entry whose variable cannot be resolved matches nothing; the
		// other entries still count.
		if !slices.ContainsFunc(s.Resource, func(r string) bool {
			m, _ := matchResource(r, req.Resource, ctx.variables, ctx.lookup)
			return m
		}) {
			return matchNone, false
		}
	} else if s.NotResource != nil {
		for _, r := range s.NotResource {
			// AWS: "the resource that includes a policy variable with no
			// value will not match any resource" — for NotResource that
			// means the element matches no request, so the statement does
			// not apply (rather than applying to every other resource).
			m, resolved := matchResource(r, req.Resource, ctx.variables, ctx.lookup)
			if m || !resolved {
				return matchNone, false
			}
		}
	}
	// No Resource element at all (role trust policies): applies to the
	// resource the policy is attached to, i.e. to any request resource.

	strength := matchDirect
	if s.Principal != nil {
		if strength = s.Principal.match(req.Principal); strength == matchNone {
			return matchNone, false
		}
	} else if s.NotPrincipal != nil && s.NotPrincipal.match(req.Principal) != matchNone {
		return matchNone, false
	}

	for i := range s.Conditions {
		if !s.Conditions[i].eval(ctx) {
			return matchNone, false
		}
	}
	return strength, true
}

// docResult is one document's verdict plus what Decide needs to combine it.
type docResult struct {
	decision Decision
	sid      string
	strength principalMatch // best Principal match among matching Allow statements
}

func (d *Document) evaluate(req *Request) docResult {
	if d == nil {
		return docResult{}
	}
	ctx := evalContext{lookup: req.lookup, variables: d.Version == Version2012}
	var res docResult
	for i := range d.Statements {
		st := &d.Statements[i]
		strength, ok := st.applies(req, ctx)
		if !ok {
			continue
		}
		if st.Effect == EffectDeny {
			return docResult{decision: ExplicitDeny, sid: st.Sid, strength: strength}
		}
		if res.decision != Allow || strength > res.strength {
			res = docResult{decision: Allow, sid: st.Sid, strength: strength}
		}
	}
	return res
}

// Evaluate evaluates one document for a request: ExplicitDeny if any Deny
// statement matches, else Allow if any Allow statement matches, else
// ImplicitDeny. Policy variables are substituted only in Version 2012-10-17
// documents, as in IAM.
func (d *Document) Evaluate(req Request) Decision {
	return d.evaluate(&req).decision
}

// Explain is Evaluate that also returns the Sid of the deciding statement
// ("" for ImplicitDeny or a statement without Sid).
func (d *Document) Explain(req Request) (Decision, string) {
	r := d.evaluate(&req)
	return r.decision, r.sid
}

// PolicyType names a kind of policy in AWS's AccessDenied messages.
type PolicyType int

const (
	// NoPolicy is the zero value, used in Results that name no policy.
	NoPolicy PolicyType = iota
	// IdentityBased is a user's or role's identity-based policy.
	IdentityBased
	// SessionPolicy is a session policy (AssumeRoot task policy, AssumeRole Policy/PolicyArns).
	SessionPolicy
	// ResourceBased is a resource-based policy (bucket, queue, trust policy).
	ResourceBased
	// ServiceControl is an AWS Organizations service control policy (SCP).
	ServiceControl
	// ResourceControl is an AWS Organizations resource control policy (RCP).
	ResourceControl
)

// String returns the phrase AWS uses in error messages, e.g.
// "identity-based policy".
func (t PolicyType) String() string {
	switch t {
	case IdentityBased:
		return "identity-based policy"
	case SessionPolicy:
		return "session policy"
	case ResourceBased:
		return "resource-based policy"
	case ServiceControl:
		return "service control policy"
	case ResourceControl:
		return "resource control policy"
	default:
		return ""
	}
}

// withArticle prefixes "a"/"an" the way AWS's messages do.
func (t PolicyType) withArticle() string {
	if t == IdentityBased {
		return "an " + t.String()
	}
	return "a " + t.String()
}

// Policies is everything that applies to one request, grouped the way IAM
// combines them.
type Policies struct {
	// Identity holds the caller's identity-based policies.
	Identity []*Document
	// RootIdentity is true when the caller is an account's root (long-term
	// root key or an AssumeRoot session): its identity side implicitly allows
	// everything.
	RootIdentity bool
	// Session holds session policies (AssumeRoot task policy, AssumeRole
	// Policy parameter). Their denies always apply. Their allows intersect
	// with the identity side, except when RootIdentity is true: the five
	// root-task policies are Deny-only and act as deny filters on the root's
	// implicit full access.
	Session []*Document
	// Resource holds resource-based policies (bucket/queue policy, role trust
	// policy). A statement's Principal must match Request.Principal.
	Resource []*Document
	// CrossAccount is true when the resource belongs to another account than
	// the caller: then both the identity side and a resource policy must allow.
	CrossAccount bool
	// ResourceRequired is true for resources whose resource policy must allow
	// even within one account (IAM role trust policies, KMS key policies).
	ResourceRequired bool
	// SCP holds the service control policies that limit the caller, one
	// level per target on the path from the organization root down to the
	// caller's account: SCP[0] the root's attached SCPs, then each OU's, the
	// last the account's own. Leave it empty when SCPs do not apply: the
	// caller is not in an organization, is in the management account, the
	// organization has SCPs disabled, or the caller is a service-linked
	// role. Member accounts' root users and AssumeRoot sessions are subject
	// to SCPs like any principal. Every level must have an Allow matching
	// the request and no level may have a matching Deny; an SCP never
	// grants anything by itself.
	SCP [][]*Document
	// RCP holds the resource control policies of the resource owner's
	// account, level by level as SCP (root first, the account last). Leave
	// it empty when RCPs do not apply: the resource is not owned by a member
	// account of an organization with RCPs enabled, the service is not one
	// RCPs support (RCPSupportsService), or the caller is a service-linked
	// role. RCPs apply to every other caller, whatever its organization,
	// root users included.
	RCP [][]*Document
}

// Result is the outcome of Decide.
type Result struct {
	// Decision is the final decision.
	Decision Decision
	// DeniedBy is, for ExplicitDeny, the kind of policy holding the matching
	// Deny; for ImplicitDeny, the kind of policy whose missing Allow AWS
	// reports; NoPolicy for Allow.
	DeniedBy PolicyType
	// Statement is the Sid of the deciding statement, if any.
	Statement string
}

// Reason returns the suffix AWS appends to "User: X is not authorized to
// perform: A on resource: R", e.g. "with an explicit deny in a session
// policy" or "because no identity-based policy allows the s3:GetObject
// action". It returns "" for Allow.
func (r Result) Reason(action string) string {
	t := r.DeniedBy
	if t == NoPolicy {
		t = IdentityBased
	}
	switch r.Decision {
	case ExplicitDeny:
		return "with an explicit deny in " + t.withArticle()
	case ImplicitDeny:
		return "because no " + t.String() + " allows the " + action + " action"
	default:
		return ""
	}
}

// Decide combines all policies that apply to a request, following IAM's
// evaluation logic:
//
//  1. An explicit Deny in any policy wins. When several kinds deny, the
//     first found in the order RCP, SCP, identity, session, resource is
//     reported (AWS names only one and does not document which; this is
//     the order of its evaluation flow chart, with identity before session
//     before resource as before organizations policies existed).
//  2. Organizations: every RCP level and then every SCP level must hold an
//     Allow matching the request, else the request is implicitly denied by
//     that policy type. They only limit: the steps below must still allow.
//  3. Identity side: RootIdentity, or an identity policy allows; and, when
//     session policies are present and the caller is not root, a session
//     policy allows too (intersection).
//  4. Resource side: a resource policy Allow whose Principal matches.
//     Naming the caller's own ARN (or "*") grants on its own; naming the
//     role behind a session grants only if the session policies allow as
//     well (AWS: session policies limit grants made to the role's ARN but
//     not to the session's ARN); naming only the caller's account merely
//     delegates to the account, so the identity side must allow.
//  5. Same account: Allow if the identity side or a standalone resource
//     grant allows (ResourceRequired: the resource policy must take part).
//     Cross account: Allow only if the identity side and a resource policy
//     both allow.
func Decide(req Request, p Policies) Result {
	rcp := evaluateLevels(&req, p.RCP)
	scp := evaluateLevels(&req, p.SCP)
	switch {
	case rcp.decision == ExplicitDeny:
		return Result{Decision: ExplicitDeny, DeniedBy: ResourceControl, Statement: rcp.sid}
	case scp.decision == ExplicitDeny:
		return Result{Decision: ExplicitDeny, DeniedBy: ServiceControl, Statement: scp.sid}
	}

	groups := []struct {
		docs []*Document
		typ  PolicyType
	}{
		{p.Identity, IdentityBased},
		{p.Session, SessionPolicy},
		{p.Resource, ResourceBased},
	}
	var allows [4]docResult // indexed by PolicyType
	for _, g := range groups {
		for _, d := range g.docs {
			r := d.evaluate(&req)
			switch r.decision {
			case ExplicitDeny:
				return Result{Decision: ExplicitDeny, DeniedBy: g.typ, Statement: r.sid}
			case Allow:
				if cur := allows[g.typ]; cur.decision != Allow || r.strength > cur.strength {
					allows[g.typ] = r
				}
			}
		}
	}
	switch {
	case len(p.RCP) > 0 && rcp.decision != Allow:
		return Result{Decision: ImplicitDeny, DeniedBy: ResourceControl}
	case len(p.SCP) > 0 && scp.decision != Allow:
		return Result{Decision: ImplicitDeny, DeniedBy: ServiceControl}
	}

	idAllow, sessAllow, resAllow := allows[IdentityBased], allows[SessionPolicy], allows[ResourceBased]
	identityAllowed := p.RootIdentity || idAllow.decision == Allow
	sessionAllowed := p.RootIdentity || len(p.Session) == 0 || sessAllow.decision == Allow
	identitySide := identityAllowed && sessionAllowed

	resStrength := matchNone
	if resAllow.decision == Allow {
		resStrength = resAllow.strength
	}
	resAny := resStrength != matchNone
	resStandalone := resStrength == matchDirect || (resStrength == matchAlias && sessionAllowed)

	var allowed bool
	switch {
	case p.CrossAccount:
		allowed = identitySide && resAny
	case p.ResourceRequired:
		allowed = resStandalone || (resAny && identitySide)
	default:
		allowed = identitySide || resStandalone
	}
	if allowed {
		sid := idAllow.sid
		if !identitySide || (idAllow.decision != Allow && resAny) {
			sid = resAllow.sid
		}
		return Result{Decision: Allow, Statement: sid}
	}

	// Implicit deny: name the policy kind whose missing Allow is the reason.
	missing := IdentityBased
	switch {
	case p.CrossAccount && identitySide, p.ResourceRequired && !resAny:
		missing = ResourceBased
	case (identityAllowed || resStrength == matchAlias) && !sessionAllowed:
		// Something granted it (identity policy, or a resource policy naming
		// the session's role) but the session policies cut it off.
		missing = SessionPolicy
	}
	return Result{Decision: ImplicitDeny, DeniedBy: missing}
}

// evaluateLevels evaluates organization policies level by level: ExplicitDeny
// if any document at any level denies (sid of the first such statement),
// else Allow if every level has a document that allows, else ImplicitDeny.
// No levels at all is ImplicitDeny; Decide skips the check then.
func evaluateLevels(req *Request, levels [][]*Document) docResult {
	if len(levels) == 0 {
		return docResult{}
	}
	everyLevelAllows := true
	for _, level := range levels {
		levelAllows := false
		for _, d := range level {
			r := d.evaluate(req)
			switch r.decision {
			case ExplicitDeny:
				return docResult{decision: ExplicitDeny, sid: r.sid}
			case Allow:
				levelAllows = true
			}
		}
		everyLevelAllows = everyLevelAllows && levelAllows
	}
	if everyLevelAllows {
		return docResult{decision: Allow}
	}
	return docResult{}
}
