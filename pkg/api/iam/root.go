package iam

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/rootaccess/emulator/pkg/api/pipeline"

	"github.com/rootaccess/emulator/pkg/store"
)

// IAM calls on long-term credentials: the root user's (password, access
// keys, signing certificates, MFA) and, where a UserName is given, an IAM
// user's. Without UserName the caller is the subject: an AssumeRoot session
// or a long-term root key acts on the account's root user, an IAM user on
// itself. The subject's ARN (arn:aws:iam::<acct>:root or the user's ARN) is
// the resource the call is authorized on, which is what the root-task
// policies' "NotResource arn:aws:iam::*:root" statements test.

// --- Subjects ---

// credSubject is whose credentials a call is about.
type credSubject struct {
	AccountID string
	ARN       string
	// UserName is the IAM user's name; empty for the root user.
	UserName string
}

func (s credSubject) root() bool { return s.UserName == "" }

// displayName names the subject in messages and in the model-required
// UserName members of outputs: the user name, or the account id for the
// root user, which has no user name.
func (s credSubject) displayName() string {
	if s.root() {
		return s.AccountID
	}
	return s.UserName
}

// errNonUserCredentials is AWS's answer to a UserName-less call signed by a
// role session (and, for the calls that need a root session, by a
// long-term root key).
func errNonUserCredentials() *pipeline.Error {
	return pipeline.NewError(http.StatusBadRequest, "ValidationError", "Must specify userName when calling with non-User credentials")
}

// credSubjectOf resolves whom a call is about. needsRootSession marks the
// calls whose model says "When you make this request with root user
// credentials, you must use an AssumeRoot session to omit the user name"
// (login profiles, DeactivateMFADevice). A named user is looked up, so that
// its ARN carries its path; one that does not exist gets path "/" (the
// handler then answers NoSuchEntity, after authorization).
func (s *Service) credSubjectOf(ctx context.Context, c *pipeline.Call, userName string, needsRootSession bool) (credSubject, error) {
	acct := c.ID.AccountID
	if userName != "" {
		arn, name, err := s.userARN(ctx, acct, userName)
		if err != nil {
			return credSubject{}, err
		}
		return credSubject{AccountID: acct, ARN: arn, UserName: name}, nil
	}
	switch c.ID.Kind {
	case store.KindRootSession:
		return credSubject{AccountID: acct, ARN: store.RootUserARN(acct)}, nil
	case store.KindRoot:
		if needsRootSession {
			return credSubject{}, pipeline.NewError(http.StatusBadRequest, "ValidationError",
				"Must specify userName when calling with root user credentials; use an AssumeRoot session to act on the root user without one")
		}
		return credSubject{AccountID: acct, ARN: store.RootUserARN(acct)}, nil
	case store.KindUser:
		arn := c.ID.PrincipalARN
		return credSubject{AccountID: acct, ARN: arn, UserName: arn[strings.LastIndex(arn, "/")+1:]}, nil
	}
	return credSubject{}, errNonUserCredentials()
}

// subjectNamed is an input with an optional UserName member.
type subjectNamed interface{ subjectUserName() string }

// credSubjectTarget authorizes a call on its subject's ARN. It never looks
// the subject up: authorization comes before existence.
func credSubjectTarget[In any, P interface {
	*In
	subjectNamed
}](s *Service, ctx context.Context, c *pipeline.Call, in P) (pipeline.Resource, error) {
	return s.subjectResource(ctx, c, in.subjectUserName(), false)
}

// rootSessionSubjectTarget is credSubjectTarget for the calls that need an
// AssumeRoot session to act on the root user.
func rootSessionSubjectTarget[In any, P interface {
	*In
	subjectNamed
}](s *Service, ctx context.Context, c *pipeline.Call, in P) (pipeline.Resource, error) {
	return s.subjectResource(ctx, c, in.subjectUserName(), true)
}

func (s *Service) subjectResource(ctx context.Context, c *pipeline.Call, userName string, needsRootSession bool) (pipeline.Resource, error) {
	sub, err := s.credSubjectOf(ctx, c, userName, needsRootSession)
	if err != nil {
		return pipeline.Resource{}, err
	}
	if sub.root() {
		return pipeline.Resource{ARN: sub.ARN}, nil
	}
	// An IAM user's tags are the resource's tags.
	return s.entityResource(ctx, sub.AccountID, store.PrincipalUser, sub.UserName)
}

// subjectUser returns the IAM user a user subject names; NoSuchEntity when
// the account has no such user.
func subjectUser(tx *store.Tx, sub credSubject) (store.Principal, error) {
	p, err := tx.Principal(sub.ARN)
	if errors.Is(err, store.ErrNotFound) || (err == nil && p.Kind != store.PrincipalUser) {
		return store.Principal{}, noSuchEntity("The user with name %s cannot be found.", sub.UserName)
	}
	return p, err
}

// requireSubject checks that a user subject exists (the root user always does).
func requireSubject(tx *store.Tx, sub credSubject) error {
	if sub.root() {
		return nil
	}
	_, err := subjectUser(tx, sub)
	return err
}

// inSubject runs fn in one transaction of txn (s.store.View or
// s.store.Update) once the subject is known to exist.
func inSubject(ctx context.Context, txn pipeline.TxnFunc, sub credSubject, fn func(*store.Tx) error) error {
	return txn(ctx, func(tx *store.Tx) error {
		if err := requireSubject(tx, sub); err != nil {
			return err
		}
		return fn(tx)
	})
}

// changeSubject makes a change to an existing subject's credentials in one
// transaction; what the store does not find is notFound.
func (s *Service) changeSubject(ctx context.Context, sub credSubject, notFound *pipeline.Error, change func(*store.Tx) error) (*pipeline.NoOutput, error) {
	err := inSubject(ctx, s.store.Update, sub, func(tx *store.Tx) error {
		err := change(tx)
		if errors.Is(err, store.ErrNotFound) {
			return notFound
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &pipeline.NoOutput{}, nil
}

// listSubject reads an existing subject's items and returns the page that
// marker and maxItems ask for, each item as its wire shape, and the next
// Marker ("" on the last page).
func listSubject[T, S any](ctx context.Context, s *Service, sub credSubject, marker string, maxItems *int32,
	read func(*store.Tx) ([]T, error), shape func(T) S) ([]S, string, error) {
	var items []T
	err := inSubject(ctx, s.store.View, sub, func(tx *store.Tx) error {
		var err error
		items, err = read(tx)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	page, next, err := iamPage(items, "", marker, maxItems)
	if err != nil {
		return nil, "", err
	}
	out := make([]S, 0, len(page))
	for _, item := range page {
		out = append(out, shape(item))
	}
	return out, next, nil
}

func noSuchEntity(format string, args ...any) *pipeline.Error {
	return pipeline.NewError(http.StatusNotFound, "NoSuchEntity", format, args...)
}

// --- Input validation (constraints of the IAM model) ---

var (
	userNamePattern = pipeline.NewPattern(`^[\w+=,.@-]+$`)
	keyIDPattern    = pipeline.NewPattern(`^[\w]+$`)
	serialPattern   = pipeline.NewPattern(`^[\w+=/:,.@-]+$`)
	markerPattern   = pipeline.NewPattern(`^[\x{20}-\x{FF}]+$`)
	passwordPattern = pipeline.NewPattern(`^[\x{09}\x{0A}\x{0D}\x{20}-\x{FF}]+$`)
	mfaARNPattern   = pipeline.NewPattern(`^arn:aws:iam::(\d{12}):mfa/(.+)$`)
)

// optionalUserName checks an optional UserName (max 128 for
// existingUserNameType, 64 for userNameType).
func optionalUserName(v *pipeline.Validator, name string, max int) {
	if name != "" {
		v.Length("UserName", name, 1, max)
		v.Pattern("UserName", name, userNamePattern)
	}
}

func requiredKeyID(v *pipeline.Validator, id string) {
	if v.Required("AccessKeyId", id != "") {
		v.Length("AccessKeyId", id, 16, 128)
		v.Pattern("AccessKeyId", id, keyIDPattern)
	}
}

func requiredSerial(v *pipeline.Validator, serial string) {
	if v.Required("SerialNumber", serial != "") {
		v.Length("SerialNumber", serial, 9, 256)
		v.Pattern("SerialNumber", serial, serialPattern)
	}
}

func pageParams(v *pipeline.Validator, marker string, maxItems *int32) {
	if marker != "" {
		v.Length("Marker", marker, 1, 320)
		v.Pattern("Marker", marker, markerPattern)
	}
	if maxItems != nil {
		v.Between("MaxItems", int64(*maxItems), 1, 1000)
	}
}

// --- GetUser ---

type getUserInput struct {
	UserName string `query:"UserName"`
}

func (in *getUserInput) subjectUserName() string { return in.UserName }

func (in *getUserInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	optionalUserName(v, in.UserName, 128)
	return v.Err()
}

// userShape is IAM's User. The root user has no Path and no UserName (AWS
// leaves them out although the model requires them).
type userShape struct {
	Path             string `xml:",omitempty"`
	UserName         string `xml:",omitempty"`
	UserID           string `xml:"UserId"`
	Arn              string
	CreateDate       string
	PasswordLastUsed string                `xml:",omitempty"`
	Tags             *iamMembers[tagShape] `xml:",omitempty"`
}

type getUserResult struct {
	User userShape
}

func (s *Service) getUser(ctx context.Context, c *pipeline.Call, in *getUserInput) (*getUserResult, error) {
	sub, err := s.credSubjectOf(ctx, c, in.UserName, false)
	if err != nil {
		return nil, err
	}
	var out userShape
	err = s.store.View(ctx, func(tx *store.Tx) error {
		if sub.root() {
			u, err := tx.RootUser(sub.AccountID)
			if err != nil {
				return err
			}
			out = userShape{UserID: sub.AccountID, Arn: sub.ARN, CreateDate: pipeline.XMLTime(u.CreatedAt)}
			if !u.PasswordLastUsed.IsZero() {
				out.PasswordLastUsed = pipeline.XMLTime(u.PasswordLastUsed)
			}
			return nil
		}
		p, err := subjectUser(tx, sub)
		if err != nil {
			return err
		}
		out = userOf(p, true)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &getUserResult{User: out}, nil
}

// --- GetAccountSummary ---

type getAccountSummaryInput struct{}

type summaryEntry struct {
	Key   string `xml:"key"`
	Value int    `xml:"value"`
}

type getAccountSummaryResult struct {
	SummaryMap struct {
		Entries []summaryEntry `xml:"entry"`
	}
}

// quotas are the default IAM quotas GetAccountSummary reports, in the
// model's summaryKeyType order.
var quotas = []summaryEntry{
	{"UsersQuota", 5000}, {"GroupsQuota", 300}, {"ServerCertificatesQuota", 20},
	{"UserPolicySizeQuota", 2048}, {"GroupPolicySizeQuota", 5120}, {"GroupsPerUserQuota", 10},
	{"SigningCertificatesPerUserQuota", store.MaxSigningCertificates}, {"AccessKeysPerUserQuota", store.MaxAccessKeys},
	{"AttachedPoliciesPerGroupQuota", 10}, {"AttachedPoliciesPerRoleQuota", 10}, {"AttachedPoliciesPerUserQuota", 10},
	{"PoliciesQuota", 1500}, {"PolicySizeQuota", 6144}, {"PolicyVersionsInUseQuota", 10000},
	{"VersionsPerPolicyQuota", 5}, {"GlobalEndpointTokenVersion", 1}, {"AssumeRolePolicySizeQuota", 2048},
	{"InstanceProfilesQuota", 1000}, {"RolePolicySizeQuota", 10240}, {"RolesQuota", 1000},
}

func (s *Service) getAccountSummary(ctx context.Context, c *pipeline.Call, _ *getAccountSummaryInput) (*getAccountSummaryResult, error) {
	acct := c.ID.AccountID
	var out getAccountSummaryResult
	err := s.store.View(ctx, func(tx *store.Tx) error {
		present, err := tx.RootCredentialsPresent(acct)
		if err != nil {
			return err
		}
		root, err := tx.RootUser(acct)
		if err != nil {
			return err
		}
		users, roles, err := tx.IAMUsage(acct)
		if err != nil {
			return err
		}
		groups, policies, versionsInUse := tx.IAMPolicyUsage(acct)
		virtual := 0
		for _, d := range root.MFADevices {
			if d.Virtual {
				virtual++
			}
		}
		out.SummaryMap.Entries = append([]summaryEntry{
			{"Users", users}, {"Groups", groups}, {"ServerCertificates", 0},
			{"MFADevices", virtual}, {"MFADevicesInUse", len(root.EnabledMFADevices())},
			{"AccountMFAEnabled", flag(present.MFA)}, {"AccountAccessKeysPresent", flag(present.AccessKeys)},
			{"AccountPasswordPresent", flag(present.Password)},
			{"AccountSigningCertificatesPresent", flag(present.SigningCertificates)},
			{"Policies", policies}, {"PolicyVersionsInUse", versionsInUse}, {"InstanceProfiles", 0}, {"Providers", 0},
			{"Roles", roles},
		}, quotas...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// --- Login profiles ---

type loginProfileInput struct {
	UserName string `query:"UserName"`
}

func (in *loginProfileInput) subjectUserName() string { return in.UserName }

func (in *loginProfileInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	optionalUserName(v, in.UserName, 64)
	return v.Err()
}

type loginProfileShape struct {
	UserName              string
	CreateDate            string
	PasswordResetRequired bool
}

type loginProfileResult struct {
	LoginProfile loginProfileShape
}

func loginProfileOf(sub credSubject, p store.LoginProfile) loginProfileShape {
	return loginProfileShape{UserName: sub.displayName(), CreateDate: pipeline.XMLTime(p.CreatedAt), PasswordResetRequired: p.PasswordResetRequired}
}

func noLoginProfile(sub credSubject) *pipeline.Error {
	return noSuchEntity("Login Profile for User %s cannot be found.", sub.displayName())
}

func (s *Service) getLoginProfile(ctx context.Context, c *pipeline.Call, in *loginProfileInput) (*loginProfileResult, error) {
	sub, err := s.credSubjectOf(ctx, c, in.UserName, true)
	if err != nil {
		return nil, err
	}
	var out loginProfileShape
	err = inSubject(ctx, s.store.View, sub, func(tx *store.Tx) error {
		lp, err := subjectLoginProfile(tx, sub)
		if err != nil {
			return err
		}
		if lp == nil {
			return noLoginProfile(sub)
		}
		out = loginProfileOf(sub, *lp)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &loginProfileResult{LoginProfile: out}, nil
}

type createLoginProfileInput struct {
	UserName              string `query:"UserName"`
	Password              string `query:"Password"`
	PasswordResetRequired *bool  `query:"PasswordResetRequired"`
}

func (in *createLoginProfileInput) subjectUserName() string { return in.UserName }

func (in *createLoginProfileInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	optionalUserName(v, in.UserName, 64)
	if in.Password != "" {
		v.Length("Password", in.Password, 1, 128)
		v.Pattern("Password", in.Password, passwordPattern)
	}
	return v.Err()
}

// createLoginProfileTarget adds the model's caller-dependent rule to the
// subject: "[Password] must be omitted when you make the request with an
// AssumeRoot session. It is required in all other cases."
func createLoginProfileTarget(s *Service, ctx context.Context, c *pipeline.Call, in *createLoginProfileInput) (pipeline.Resource, error) {
	rootSession := c.ID.Kind == store.KindRootSession
	if rootSession && in.Password != "" {
		return pipeline.Resource{}, pipeline.NewError(http.StatusBadRequest, "ValidationError",
			"Password must be omitted when the request is made with an AssumeRoot session")
	}
	if !rootSession && in.Password == "" {
		v := pipeline.NewValidator("ValidationError")
		v.Required("Password", false)
		return pipeline.Resource{}, v.Err()
	}
	return rootSessionSubjectTarget(s, ctx, c, in)
}

// createLoginProfile in an AssumeRoot session without UserName allows
// the root user's password recovery: it creates a login profile with no
// password, which whoever reads the root email can then reset.
// subjectLoginProfile is the root user's or the IAM user's login profile; nil when none.
func subjectLoginProfile(tx *store.Tx, sub credSubject) (*store.LoginProfile, error) {
	if sub.root() {
		u, err := tx.RootUser(sub.AccountID)
		return u.LoginProfile, err
	}
	p, err := tx.Principal(sub.ARN)
	return p.LoginProfile, err
}

func (s *Service) createLoginProfile(ctx context.Context, c *pipeline.Call, in *createLoginProfileInput) (*loginProfileResult, error) {
	sub, err := s.credSubjectOf(ctx, c, in.UserName, true)
	if err != nil {
		return nil, err
	}
	var out loginProfileShape
	err = inSubject(ctx, s.store.Update, sub, func(tx *store.Tx) error {
		var p store.LoginProfile
		var err error
		if sub.root() {
			// The flag is accepted but a recovery profile has no password to reset.
			p, err = tx.CreateRootLoginProfile(sub.AccountID, false, true)
		} else {
			p, err = tx.CreateUserLoginProfile(sub.ARN, in.PasswordResetRequired != nil && *in.PasswordResetRequired)
		}
		if errors.Is(err, store.ErrConflict) {
			return pipeline.NewError(http.StatusConflict, "EntityAlreadyExists", "Login Profile for User %s already exists.", sub.displayName())
		} else if err != nil {
			return err
		}
		out = loginProfileOf(sub, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &loginProfileResult{LoginProfile: out}, nil
}

func (s *Service) deleteLoginProfile(ctx context.Context, c *pipeline.Call, in *loginProfileInput) (*pipeline.NoOutput, error) {
	sub, err := s.credSubjectOf(ctx, c, in.UserName, true)
	if err != nil {
		return nil, err
	}
	return s.changeSubject(ctx, sub, noLoginProfile(sub), func(tx *store.Tx) error {
		if !sub.root() {
			return tx.DeleteUserLoginProfile(sub.ARN)
		}
		return tx.DeleteRootLoginProfile(sub.AccountID)
	})
}

// --- Access keys ---

type listAccessKeysInput struct {
	UserName string `query:"UserName"`
	Marker   string `query:"Marker"`
	MaxItems *int32 `query:"MaxItems"`
}

func (in *listAccessKeysInput) subjectUserName() string { return in.UserName }

func (in *listAccessKeysInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	optionalUserName(v, in.UserName, 128)
	pageParams(v, in.Marker, in.MaxItems)
	return v.Err()
}

// accessKeyMetadata is IAM's AccessKeyMetadata; UserName (optional in the
// model) is left out for the root user's keys.
type accessKeyMetadata struct {
	UserName    string `xml:",omitempty"`
	AccessKeyID string `xml:"AccessKeyId"`
	Status      string
	CreateDate  string
}

type listAccessKeysResult struct {
	AccessKeyMetadata iamMembers[accessKeyMetadata]
	IsTruncated       bool
	Marker            string `xml:",omitempty"`
}

func (s *Service) listAccessKeys(ctx context.Context, c *pipeline.Call, in *listAccessKeysInput) (*listAccessKeysResult, error) {
	sub, err := s.credSubjectOf(ctx, c, in.UserName, false)
	if err != nil {
		return nil, err
	}
	keys, next, err := listSubject(ctx, s, sub, in.Marker, in.MaxItems,
		func(tx *store.Tx) ([]store.Credential, error) { return tx.CredentialsOf(sub.ARN) },
		func(k store.Credential) accessKeyMetadata {
			return accessKeyMetadata{UserName: sub.UserName, AccessKeyID: k.AccessKeyID, Status: k.Status, CreateDate: pipeline.XMLTime(k.CreatedAt)}
		})
	if err != nil {
		return nil, err
	}
	return &listAccessKeysResult{AccessKeyMetadata: iamMembers[accessKeyMetadata]{keys}, IsTruncated: next != "", Marker: next}, nil
}

type accessKeyInput struct {
	UserName    string `query:"UserName"`
	AccessKeyID string `query:"AccessKeyId"`
}

func (in *accessKeyInput) subjectUserName() string { return in.UserName }

func (in *accessKeyInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	optionalUserName(v, in.UserName, 128)
	requiredKeyID(v, in.AccessKeyID)
	return v.Err()
}

func noAccessKey(id string) *pipeline.Error {
	return noSuchEntity("The Access Key with id %s cannot be found.", id)
}

// deleteAccessKey deletes one of the subject's long-term keys; the key
// is refused from the next request on (even the one deleting it may be
// signed with it).
func (s *Service) deleteAccessKey(ctx context.Context, c *pipeline.Call, in *accessKeyInput) (*pipeline.NoOutput, error) {
	sub, err := s.credSubjectOf(ctx, c, in.UserName, false)
	if err != nil {
		return nil, err
	}
	return s.changeSubject(ctx, sub, noAccessKey(in.AccessKeyID), func(tx *store.Tx) error {
		return tx.DeleteAccessKeyOf(sub.ARN, in.AccessKeyID)
	})
}

type getAccessKeyLastUsedInput struct {
	AccessKeyID string `query:"AccessKeyId"`
}

func (in *getAccessKeyLastUsedInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	requiredKeyID(v, in.AccessKeyID)
	return v.Err()
}

// getAccessKeyLastUsedTarget authorizes on the key's owner (the root user
// or an IAM user of the caller's account). For a key that does not exist
// there, the resource is what the caller would be asking about without a
// UserName, so that a call the caller may not make is AccessDenied whether
// or not the key exists.
func getAccessKeyLastUsedTarget(s *Service, ctx context.Context, c *pipeline.Call, in *getAccessKeyLastUsedInput) (pipeline.Resource, error) {
	k, err := s.store.Credential(ctx, in.AccessKeyID)
	if err == nil && !k.Temporary() && k.AccountID == c.ID.AccountID {
		return pipeline.Resource{ARN: k.PrincipalARN}, nil
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return pipeline.Resource{}, err
	}
	if c.ID.IsRoot() {
		return pipeline.Resource{ARN: store.RootUserARN(c.ID.AccountID)}, nil
	}
	return pipeline.Resource{ARN: c.ID.PrincipalARN}, nil
}

type accessKeyLastUsedShape struct {
	LastUsedDate string `xml:",omitempty"`
	ServiceName  string
	Region       string
}

type getAccessKeyLastUsedResult struct {
	UserName          string `xml:",omitempty"`
	AccessKeyLastUsed accessKeyLastUsedShape
}

func (s *Service) getAccessKeyLastUsed(ctx context.Context, c *pipeline.Call, in *getAccessKeyLastUsedInput) (*getAccessKeyLastUsedResult, error) {
	var out getAccessKeyLastUsedResult
	err := s.store.View(ctx, func(tx *store.Tx) error {
		k, err := tx.Credential(in.AccessKeyID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && (k.Temporary() || k.AccountID != c.ID.AccountID)) {
			return noAccessKey(in.AccessKeyID)
		} else if err != nil {
			return err
		}
		if k.Kind == store.KindUser {
			out.UserName = k.PrincipalARN[strings.LastIndex(k.PrincipalARN, "/")+1:]
		}
		out.AccessKeyLastUsed = accessKeyLastUsedShape{ServiceName: "N/A", Region: "N/A"}
		if !k.LastUsedAt.IsZero() {
			out.AccessKeyLastUsed = accessKeyLastUsedShape{LastUsedDate: pipeline.XMLTime(k.LastUsedAt),
				ServiceName: k.LastUsedService, Region: k.LastUsedRegion}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

type createAccessKeyInput struct {
	UserName string `query:"UserName"`
}

func (in *createAccessKeyInput) subjectUserName() string { return in.UserName }

func (in *createAccessKeyInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	optionalUserName(v, in.UserName, 128)
	return v.Err()
}

type accessKeyShape struct {
	UserName        string
	AccessKeyID     string `xml:"AccessKeyId"`
	Status          string
	SecretAccessKey string
	CreateDate      string
}

type createAccessKeyResult struct {
	AccessKey accessKeyShape
}

// createAccessKey creates a long-term key for the subject: a long-term
// root key (no UserName) creates another root key, at most two in all.
func (s *Service) createAccessKey(ctx context.Context, c *pipeline.Call, in *createAccessKeyInput) (*createAccessKeyResult, error) {
	sub, err := s.credSubjectOf(ctx, c, in.UserName, false)
	if err != nil {
		return nil, err
	}
	var key store.Credential
	err = s.store.Update(ctx, func(tx *store.Tx) error {
		kind, principalID := store.KindRoot, ""
		if !sub.root() {
			p, err := subjectUser(tx, sub)
			if err != nil {
				return err
			}
			kind, principalID = store.KindUser, p.ID
		}
		key, err = tx.CreateAccessKey(kind, sub.AccountID, sub.ARN, principalID, "", "")
		if errors.Is(err, store.ErrLimitExceeded) {
			return pipeline.NewError(http.StatusConflict, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: %d", store.MaxAccessKeys)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &createAccessKeyResult{AccessKey: accessKeyShape{UserName: sub.displayName(), AccessKeyID: key.AccessKeyID,
		Status: key.Status, SecretAccessKey: key.SecretAccessKey, CreateDate: pipeline.XMLTime(key.CreatedAt)}}, nil
}

type updateAccessKeyInput struct {
	UserName    string `query:"UserName"`
	AccessKeyID string `query:"AccessKeyId"`
	Status      string `query:"Status"`
}

func (in *updateAccessKeyInput) subjectUserName() string { return in.UserName }

func (in *updateAccessKeyInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	optionalUserName(v, in.UserName, 128)
	requiredKeyID(v, in.AccessKeyID)
	if v.Required("Status", in.Status != "") {
		v.OneOf("Status", in.Status, "Active", "Inactive", "Expired")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if in.Status == "Expired" {
		return pipeline.NewError(http.StatusBadRequest, "InvalidInput", "Status Expired cannot be set; use Active or Inactive.")
	}
	return nil
}

// updateAccessKey makes a key Active or Inactive; an Inactive key is
// refused (InvalidClientTokenId) until it is made Active again.
func (s *Service) updateAccessKey(ctx context.Context, c *pipeline.Call, in *updateAccessKeyInput) (*pipeline.NoOutput, error) {
	sub, err := s.credSubjectOf(ctx, c, in.UserName, false)
	if err != nil {
		return nil, err
	}
	return s.changeSubject(ctx, sub, noAccessKey(in.AccessKeyID), func(tx *store.Tx) error {
		return tx.SetAccessKeyStatus(sub.ARN, in.AccessKeyID, in.Status)
	})
}

// --- Signing certificates ---

type listSigningCertificatesInput struct {
	UserName string `query:"UserName"`
	Marker   string `query:"Marker"`
	MaxItems *int32 `query:"MaxItems"`
}

func (in *listSigningCertificatesInput) subjectUserName() string { return in.UserName }

func (in *listSigningCertificatesInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	optionalUserName(v, in.UserName, 128)
	pageParams(v, in.Marker, in.MaxItems)
	return v.Err()
}

type signingCertificateShape struct {
	UserName        string
	CertificateID   string `xml:"CertificateId"`
	CertificateBody string
	Status          string
	UploadDate      string
}

type listSigningCertificatesResult struct {
	Certificates iamMembers[signingCertificateShape]
	IsTruncated  bool
	Marker       string `xml:",omitempty"`
}

func (s *Service) listSigningCertificates(ctx context.Context, c *pipeline.Call, in *listSigningCertificatesInput) (*listSigningCertificatesResult, error) {
	sub, err := s.credSubjectOf(ctx, c, in.UserName, false)
	if err != nil {
		return nil, err
	}
	certs, next, err := listSubject(ctx, s, sub, in.Marker, in.MaxItems,
		func(tx *store.Tx) ([]store.SigningCertificate, error) {
			if !sub.root() {
				return nil, nil // IAM users have no certificates in the emulator
			}
			u, err := tx.RootUser(sub.AccountID)
			return u.SigningCertificates, err
		},
		func(cert store.SigningCertificate) signingCertificateShape {
			return signingCertificateShape{UserName: sub.displayName(), CertificateID: cert.ID,
				CertificateBody: cert.Body, Status: cert.Status, UploadDate: pipeline.XMLTime(cert.UploadedAt)}
		})
	if err != nil {
		return nil, err
	}
	return &listSigningCertificatesResult{Certificates: iamMembers[signingCertificateShape]{certs}, IsTruncated: next != "", Marker: next}, nil
}

type deleteSigningCertificateInput struct {
	UserName      string `query:"UserName"`
	CertificateID string `query:"CertificateId"`
}

func (in *deleteSigningCertificateInput) subjectUserName() string { return in.UserName }

func (in *deleteSigningCertificateInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	optionalUserName(v, in.UserName, 128)
	if v.Required("CertificateId", in.CertificateID != "") {
		v.Length("CertificateId", in.CertificateID, 24, 128)
		v.Pattern("CertificateId", in.CertificateID, keyIDPattern)
	}
	return v.Err()
}

func (s *Service) deleteSigningCertificate(ctx context.Context, c *pipeline.Call, in *deleteSigningCertificateInput) (*pipeline.NoOutput, error) {
	sub, err := s.credSubjectOf(ctx, c, in.UserName, false)
	if err != nil {
		return nil, err
	}
	notFound := noSuchEntity("The Certificate with id %s cannot be found.", in.CertificateID)
	return s.changeSubject(ctx, sub, notFound, func(tx *store.Tx) error {
		if !sub.root() {
			return notFound
		}
		return tx.DeleteRootSigningCertificate(sub.AccountID, in.CertificateID)
	})
}

// --- MFA devices ---

type listMFADevicesInput struct {
	UserName string `query:"UserName"`
	Marker   string `query:"Marker"`
	MaxItems *int32 `query:"MaxItems"`
}

func (in *listMFADevicesInput) subjectUserName() string { return in.UserName }

func (in *listMFADevicesInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	optionalUserName(v, in.UserName, 128)
	pageParams(v, in.Marker, in.MaxItems)
	return v.Err()
}

type mfaDeviceShape struct {
	UserName     string
	SerialNumber string
	EnableDate   string
}

type listMFADevicesResult struct {
	MFADevices  iamMembers[mfaDeviceShape]
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

// listMFADevices lists the subject's enabled MFA devices (a virtual
// device that is not enabled belongs to no one and is not listed).
func (s *Service) listMFADevices(ctx context.Context, c *pipeline.Call, in *listMFADevicesInput) (*listMFADevicesResult, error) {
	sub, err := s.credSubjectOf(ctx, c, in.UserName, false)
	if err != nil {
		return nil, err
	}
	devices, next, err := listSubject(ctx, s, sub, in.Marker, in.MaxItems,
		func(tx *store.Tx) ([]store.MFADevice, error) {
			if !sub.root() {
				return nil, nil // IAM users have no MFA devices in the emulator
			}
			u, err := tx.RootUser(sub.AccountID)
			return u.EnabledMFADevices(), err
		},
		func(d store.MFADevice) mfaDeviceShape {
			return mfaDeviceShape{UserName: sub.displayName(), SerialNumber: d.SerialNumber, EnableDate: pipeline.XMLTime(d.EnabledAt)}
		})
	if err != nil {
		return nil, err
	}
	return &listMFADevicesResult{MFADevices: iamMembers[mfaDeviceShape]{devices}, IsTruncated: next != "", Marker: next}, nil
}

type deactivateMFADeviceInput struct {
	UserName     string `query:"UserName"`
	SerialNumber string `query:"SerialNumber"`
}

func (in *deactivateMFADeviceInput) subjectUserName() string { return in.UserName }

func (in *deactivateMFADeviceInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	optionalUserName(v, in.UserName, 128)
	requiredSerial(v, in.SerialNumber)
	return v.Err()
}

func noMFADevice(serial string) *pipeline.Error {
	return noSuchEntity("MFA Device with serial number %s does not exist.", serial)
}

// deactivateMFADevice disables one of the subject's enabled devices; a
// virtual device remains as an unassigned device.
func (s *Service) deactivateMFADevice(ctx context.Context, c *pipeline.Call, in *deactivateMFADeviceInput) (*pipeline.NoOutput, error) {
	sub, err := s.credSubjectOf(ctx, c, in.UserName, true)
	if err != nil {
		return nil, err
	}
	return s.changeSubject(ctx, sub, noMFADevice(in.SerialNumber), func(tx *store.Tx) error {
		if !sub.root() {
			return noMFADevice(in.SerialNumber)
		}
		return tx.DeactivateRootMFADevice(sub.AccountID, in.SerialNumber)
	})
}

type deleteVirtualMFADeviceInput struct {
	SerialNumber string `query:"SerialNumber"`
}

func (in *deleteVirtualMFADeviceInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	requiredSerial(v, in.SerialNumber)
	return v.Err()
}

// deleteVirtualMFADeviceTarget authorizes on the device's ARN
// (arn:aws:iam::<acct>:mfa/<name>), which is its serial number; a serial
// that is not an ARN is taken as a device name in the caller's account.
func deleteVirtualMFADeviceTarget(_ *Service, _ context.Context, c *pipeline.Call, in *deleteVirtualMFADeviceInput) (pipeline.Resource, error) {
	if m := mfaARNPattern.FindStringSubmatch(in.SerialNumber); m != nil {
		return pipeline.Resource{ARN: in.SerialNumber, Account: m[1]}, nil
	}
	return pipeline.Resource{ARN: store.VirtualMFASerial(c.ID.AccountID, in.SerialNumber)}, nil
}

// deleteVirtualMFADevice deletes a virtual device of the caller's
// account that is not enabled (DeleteConflict while it is). The root-task
// policies deny it in every root session; long-term root or an
// administrator can call it.
func (s *Service) deleteVirtualMFADevice(ctx context.Context, c *pipeline.Call, in *deleteVirtualMFADeviceInput) (*pipeline.NoOutput, error) {
	notFound := noSuchEntity("VirtualMFADevice with serial number %s doesn't exist.", in.SerialNumber)
	m := mfaARNPattern.FindStringSubmatch(in.SerialNumber)
	if m == nil || m[1] != c.ID.AccountID {
		return nil, notFound
	}
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		err := tx.DeleteRootVirtualMFADevice(c.ID.AccountID, in.SerialNumber)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return notFound
		case errors.Is(err, store.ErrConflict):
			return pipeline.NewError(http.StatusConflict, "DeleteConflict",
				"MFA device %s is still enabled; deactivate it (DeactivateMFADevice) before deleting it.", in.SerialNumber)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &pipeline.NoOutput{}, nil
}
