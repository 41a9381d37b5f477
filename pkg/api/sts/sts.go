package sts

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rootaccess/emulator/pkg/api/pipeline"

	"github.com/rootaccess/emulator/pkg/policy"
	"github.com/rootaccess/emulator/pkg/store"
)

// credentials is the Credentials shape of STS responses.
type credentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

func credentialsOf(c store.Credential) credentials {
	return credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey,
		SessionToken: c.SessionToken, Expiration: pipeline.XMLTime(c.ExpiresAt)}
}

// mintSession completes who a session is (kind, account, principal…) into
// a new temporary credential (ASIA…) issued by the caller, valid for
// duration from now, and stores it.
func mintSession(tx *store.Tx, c *pipeline.Call, session store.Credential, duration time.Duration) (store.Credential, error) {
	session.AccessKeyID = tx.NewAccessKeyID("ASIA")
	session.SecretAccessKey = store.NewSecretAccessKey()
	session.SessionToken = store.NewSessionToken()
	session.IssuedBy = c.ID.AccessKeyID
	// Whole seconds: the Expiration clients are told has no fraction, and
	// the session must die exactly then, not a fraction of a second later.
	session.CreatedAt = tx.Now().Truncate(time.Second)
	session.ExpiresAt = session.CreatedAt.Add(duration)
	return session, tx.PutCredential(session)
}

// --- GetCallerIdentity ---

type getCallerIdentityInput struct{}

type getCallerIdentityResult struct {
	Arn     string
	UserID  string `xml:"UserId"`
	Account string
}

func (s *Service) getCallerIdentity(_ context.Context, c *pipeline.Call, _ *getCallerIdentityInput) (*getCallerIdentityResult, error) {
	return &getCallerIdentityResult{Arn: c.ID.ARN, UserID: c.ID.UserID, Account: c.ID.AccountID}, nil
}

// --- AssumeRoot ---

// rootSessionMaxSeconds is AssumeRoot's cap and default duration.
const rootSessionMaxSeconds = 900

type assumeRootInput struct {
	TargetPrincipal string `query:"TargetPrincipal"`
	TaskPolicyArn   string `query:"TaskPolicyArn.arn"`
	DurationSeconds *int32 `query:"DurationSeconds"`
}

var (
	rootARNPattern    = pipeline.NewPattern(`^arn:aws:iam::(\d{12}):root$`)
	sessionNameRegexp = pipeline.NewPattern(`^[\w+=,.@-]*$`)
)

func (in *assumeRootInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	if v.Required("TargetPrincipal", in.TargetPrincipal != "") {
		v.Length("TargetPrincipal", in.TargetPrincipal, 12, 2048)
	}
	if v.Required("TaskPolicyArn", in.TaskPolicyArn != "") {
		v.Length("TaskPolicyArn.arn", in.TaskPolicyArn, 20, 2048)
	}
	if in.DurationSeconds != nil {
		v.Between("DurationSeconds", int64(*in.DurationSeconds), 0, rootSessionMaxSeconds)
	}
	if err := v.Err(); err != nil {
		return err
	}
	if _, ok := targetAccount(in.TargetPrincipal); !ok {
		return pipeline.NewError(http.StatusBadRequest, "ValidationError",
			"TargetPrincipal must be a 12-digit account id or an account root ARN (arn:aws:iam::<account-id>:root), got '%s'", in.TargetPrincipal)
	}
	if _, ok := policy.TaskPolicy(in.TaskPolicyArn); !ok {
		names := make([]string, 0, 5)
		for _, p := range policy.TaskPolicies() {
			names = append(names, p.ARN)
		}
		return pipeline.NewError(http.StatusBadRequest, "ValidationError",
			"TaskPolicyArn '%s' is not a root task policy; use one of: %s", in.TaskPolicyArn, strings.Join(names, ", "))
	}
	return nil
}

// targetAccount reads an account id from AssumeRoot's TargetPrincipal.
func targetAccount(principal string) (string, bool) {
	if pipeline.AccountIDPattern.MatchString(principal) {
		return principal, true
	}
	if m := rootARNPattern.FindStringSubmatch(principal); m != nil {
		return m[1], true
	}
	return "", false
}

type assumeRootResult struct {
	Credentials    credentials
	SourceIdentity string `xml:",omitempty"`
}

// assumeRootTarget authorizes sts:AssumeRoot on the member account's root
// ARN in the caller's own account: the organization, not a resource policy,
// is what links the two accounts.
func assumeRootTarget(_ *Service, _ context.Context, c *pipeline.Call, in *assumeRootInput) (pipeline.Resource, error) {
	target, _ := targetAccount(in.TargetPrincipal)
	if c.ID.IsRoot() {
		return pipeline.Resource{}, assumeRootDenied(c, target,
			"root user credentials cannot call AssumeRoot; use an IAM user or role of the management or delegated administrator account")
	}
	return pipeline.Resource{ARN: store.RootUserARN(target), Context: map[string][]string{"sts:TaskPolicyArn": {in.TaskPolicyArn}}}, nil
}

// assumeRootDenied is AssumeRoot's AccessDenied for the target account, saying why.
func assumeRootDenied(c *pipeline.Call, target, why string) *pipeline.Error {
	return pipeline.AccessDenied(c.Proto, fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRoot on resource: %s because %s",
		c.ID.ARN, store.RootUserARN(target), why))
}

func (s *Service) assumeRoot(ctx context.Context, c *pipeline.Call, in *assumeRootInput) (*assumeRootResult, error) {
	target, _ := targetAccount(in.TargetPrincipal)
	duration := time.Duration(rootSessionMaxSeconds) * time.Second
	if in.DurationSeconds != nil && *in.DurationSeconds > 0 {
		duration = time.Duration(*in.DurationSeconds) * time.Second
	}
	denied := func(why string) error { return assumeRootDenied(c, target, why) }
	var cred store.Credential
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		org, err := tx.OrganizationOf(c.ID.AccountID)
		if errors.Is(err, store.ErrNotFound) {
			return denied("the caller's account is not in an organization")
		} else if err != nil {
			return err
		}
		if org.ManagementAccountID != c.ID.AccountID && !org.IsDelegatedAdministrator(store.IAMServicePrincipal, c.ID.AccountID) {
			return denied("the caller's account is neither the organization's management account nor a delegated administrator for IAM")
		}
		if !org.RootSessions {
			return denied("centralized root access (RootSessions) is not enabled for the organization")
		}
		if target == org.ManagementAccountID {
			return denied("the target is the organization's management account; AssumeRoot targets member accounts")
		}
		acct, err := tx.Account(target)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !acct.MemberOf(org.ID, tx.Now())) {
			return denied("the target is not a member account of the caller's organization")
		} else if err != nil {
			return err
		}
		if state := acct.State(tx.Now()); state != store.AccountActive {
			return denied("the target account is " + strings.ToLower(strings.ReplaceAll(state, "_", " ")) + "; AssumeRoot targets active member accounts")
		}
		cred, err = mintSession(tx, c, store.Credential{Kind: store.KindRootSession, AccountID: target,
			PrincipalARN: store.RootUserARN(target), TaskPolicyARN: in.TaskPolicyArn, SourceIdentity: c.ID.SourceIdentity}, duration)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &assumeRootResult{Credentials: credentialsOf(cred), SourceIdentity: cred.SourceIdentity}, nil
}

// --- AssumeRole ---

type assumeRoleInput struct {
	RoleArn         string `query:"RoleArn"`
	RoleSessionName string `query:"RoleSessionName"`
	DurationSeconds *int32 `query:"DurationSeconds"`
	ExternalID      string `query:"ExternalId"`
	SourceIdentity  string `query:"SourceIdentity"`
	// Tags are session tags; TransitiveTagKeys those of them that pass on
	// to the sessions this one assumes.
	Tags              map[string]string `query:"Tags.member,flat,map=Key/Value"`
	TransitiveTagKeys []string          `query:"TransitiveTagKeys"`
}

func (in *assumeRoleInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	if v.Required("RoleArn", in.RoleArn != "") {
		v.Length("RoleArn", in.RoleArn, 20, 2048)
	}
	if v.Required("RoleSessionName", in.RoleSessionName != "") {
		v.Length("RoleSessionName", in.RoleSessionName, 2, 64)
		v.Pattern("RoleSessionName", in.RoleSessionName, sessionNameRegexp)
	}
	if in.DurationSeconds != nil {
		v.Between("DurationSeconds", int64(*in.DurationSeconds), 900, 43200)
	}
	if in.SourceIdentity != "" {
		v.Length("SourceIdentity", in.SourceIdentity, 2, 64)
		v.Pattern("SourceIdentity", in.SourceIdentity, sessionNameRegexp)
	}
	if len(in.Tags) > 50 {
		v.Add("'[…]'", "tags", "Member must have length less than or equal to 50")
	}
	for i, k := range slices.Sorted(maps.Keys(in.Tags)) {
		v.Length(fmt.Sprintf("tags.%d.member.key", i+1), k, 1, 128)
		v.Matches(fmt.Sprintf("tags.%d.member.key", i+1), k, pipeline.TagKeyPattern, pipeline.IsTagKey)
		v.Length(fmt.Sprintf("tags.%d.member.value", i+1), in.Tags[k], 0, 256)
		v.Matches(fmt.Sprintf("tags.%d.member.value", i+1), in.Tags[k], pipeline.TagValuePattern, pipeline.IsTagValue)
	}
	if len(in.TransitiveTagKeys) > 50 {
		v.Add("'[…]'", "transitiveTagKeys", "Member must have length less than or equal to 50")
	}
	for i, k := range in.TransitiveTagKeys {
		v.Length(fmt.Sprintf("transitiveTagKeys.%d.member", i+1), k, 1, 128)
		v.Matches(fmt.Sprintf("transitiveTagKeys.%d.member", i+1), k, pipeline.TagKeyPattern, pipeline.IsTagKey)
	}
	if err := v.Err(); err != nil {
		return err
	}
	if err := checkSessionTags(in.Tags, in.TransitiveTagKeys); err != nil {
		return err
	}
	if !pipeline.RoleARNPattern.MatchString(in.RoleArn) {
		return pipeline.NewError(http.StatusBadRequest, "ValidationError", "%s is invalid", in.RoleArn)
	}
	return nil
}

type assumeRoleResult struct {
	Credentials     credentials
	AssumedRoleUser struct {
		AssumedRoleID string `xml:"AssumedRoleId"`
		Arn           string
	}
	SourceIdentity string `xml:",omitempty"`
}

// assumeRoleTarget authorizes sts:AssumeRole on the role with its trust
// policy as the resource policy: both the trust policy and (across
// accounts) the caller's identity policies must allow it.
func (s *Service) assumeRoleTarget(ctx context.Context, c *pipeline.Call, in *assumeRoleInput) (pipeline.Resource, error) {
	if c.ID.IsRoot() {
		return pipeline.Resource{}, pipeline.AccessDenied(c.Proto, "Roles may not be assumed by root accounts.")
	}
	m := pipeline.RoleARNPattern.FindStringSubmatch(in.RoleArn)
	res := pipeline.Resource{ARN: in.RoleArn, Account: m[1], ResourceRequired: true}
	role, err := s.store.Principal(ctx, in.RoleArn)
	if err == nil && role.Kind == store.PrincipalRole {
		res.Policies = []string{role.TrustPolicy}
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return pipeline.Resource{}, err
	}
	res.Context = map[string][]string{}
	if in.ExternalID != "" {
		res.Context["sts:ExternalId"] = []string{in.ExternalID}
	}
	// A source identity, given or carried over from the calling session
	// (it persists along a role chain), needs sts:SetSourceIdentity; session
	// tags need sts:TagSession: both on the role, so in its trust policy too.
	if id := sessionSourceIdentity(c, in); id != "" {
		res.Also = append(res.Also, "sts:SetSourceIdentity")
		res.Context["sts:SourceIdentity"] = []string{id}
	}
	if len(in.Tags) > 0 {
		res.Also = append(res.Also, "sts:TagSession")
		maps.Copy(res.Context, pipeline.RequestTagContext(in.Tags))
		if len(in.TransitiveTagKeys) > 0 {
			res.Context["sts:TransitiveTagKeys"] = in.TransitiveTagKeys
		}
	}
	return res, nil
}

// sessionSourceIdentity is the source identity a new session gets: the
// calling session's, which cannot be changed along a chain, else the one
// the request gives.
func sessionSourceIdentity(c *pipeline.Call, in *assumeRoleInput) string {
	if c.ID.SourceIdentity != "" {
		return c.ID.SourceIdentity
	}
	return in.SourceIdentity
}

// checkSessionTags applies STS's rules beyond the model: keys are unique
// ignoring case, the aws: prefix is reserved, and a transitive key must be
// one of the session's tags.
func checkSessionTags(tags map[string]string, transitive []string) error {
	seen := map[string]bool{}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		lower := strings.ToLower(k)
		if strings.HasPrefix(lower, "aws:") {
			return pipeline.NewError(http.StatusBadRequest, "InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for AWS use: %s", k)
		}
		if seen[lower] {
			return pipeline.NewError(http.StatusBadRequest, "InvalidParameterValue", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[lower] = true
	}
	for _, k := range transitive {
		if !seen[strings.ToLower(k)] {
			return pipeline.NewError(http.StatusBadRequest, "InvalidParameterValue", "The specified transitive tag key %s must be included in the requested tags.", k)
		}
	}
	return nil
}

// roleChainingMax is the longest session a role session may get by assuming another role.
const roleChainingMax = time.Hour

func (s *Service) assumeRole(ctx context.Context, c *pipeline.Call, in *assumeRoleInput) (*assumeRoleResult, error) {
	var cred store.Credential
	var role store.Principal
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		var err error
		role, err = tx.Principal(in.RoleArn)
		if err != nil {
			return err
		}
		duration := time.Hour
		if in.DurationSeconds != nil {
			duration = time.Duration(*in.DurationSeconds) * time.Second
		}
		if max := time.Duration(role.MaxSessionDuration) * time.Second; duration > max {
			return pipeline.NewError(http.StatusBadRequest, "ValidationError",
				"The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
		}
		if c.ID.Kind == store.KindRoleSession && duration > roleChainingMax {
			return pipeline.NewError(http.StatusBadRequest, "ValidationError",
				"The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
		}
		cred, err = mintSession(tx, c, store.Credential{Kind: store.KindRoleSession, AccountID: role.AccountID,
			PrincipalARN: role.ARN, PrincipalID: role.ID, SessionName: in.RoleSessionName,
			SourceIdentity: sessionSourceIdentity(c, in), SessionTags: in.Tags}, duration)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &assumeRoleResult{Credentials: credentialsOf(cred), SourceIdentity: cred.SourceIdentity}
	out.AssumedRoleUser.AssumedRoleID = role.ID + ":" + in.RoleSessionName
	out.AssumedRoleUser.Arn = pipeline.AssumedRoleARN(role.ARN, in.RoleSessionName)
	return out, nil
}
