package organizations

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rootaccess/emulator/pkg/api/pipeline"

	"github.com/rootaccess/emulator/pkg/store"
)

const (
	// defaultMaxResults is the page size of listings that omit MaxResults
	// (the model's maximum, so that a client that never sets it pages least).
	defaultMaxResults = 20
	// defaultRoleName is the role CreateAccount creates when RoleName is omitted.
	defaultRoleName = "OrganizationAccountAccessRole"
	// rootName is the name AWS gives an organization's only root.
	rootName = "Root"
)

// --- errors (JSON 1.1: __type is the shape name, HTTP 400) ---

func orgError(code, msg string) *pipeline.Error {
	return &pipeline.Error{Code: code, Message: msg, Status: http.StatusBadRequest}
}

func reasonError(code, reason, msg string) *pipeline.Error {
	e := orgError(code, msg)
	e.Reason = reason
	return e
}

func notInUse() *pipeline.Error {
	return orgError("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
}

func accessDenied() *pipeline.Error {
	return orgError("AccessDeniedException", "You don't have permissions to access this resource.")
}

func accountNotFound() *pipeline.Error {
	return orgError("AccountNotFoundException", "You specified an account that doesn't exist.")
}

func invalidInput(reason, msg string) *pipeline.Error {
	return reasonError("InvalidInputException", reason, msg)
}

func constraint(reason, msg string) *pipeline.Error {
	return reasonError("ConstraintViolationException", reason, msg)
}

func notAllFeatures() *pipeline.Error {
	return constraint("ORGANIZATION_NOT_IN_ALL_FEATURES_MODE",
		"You attempted to perform an operation that requires the organization to be configured to support all features. An organization that supports only consolidated billing features can't perform this operation.")
}

// --- input validation ---

var (
	emailPattern           = pipeline.NewPattern(`^[^\s@]+@[^\s@]+\.[^\s@]+$`)
	accountNamePattern     = pipeline.NewPattern(`^[\x20-\x7E]+$`)
	servicePrincipalRegexp = pipeline.NewPattern(`^[\w+=,.@-]*$`)
)

// input checks a request against the model's constraints the way
// Organizations reports them: one InvalidInputException whose Reason names
// the kind of violation (INPUT_REQUIRED, INVALID_PATTERN…). The first
// violation wins; the message names the member, which AWS's does not.
type input struct{ err *pipeline.Error }

func (v *input) fail(reason, msg, member string) {
	if v.err == nil {
		v.err = invalidInput(reason, msg+" (member: "+member+")")
	}
}

// required reports a missing member and whether it was present.
func (v *input) required(member string, present bool) bool {
	if !present {
		v.fail("INPUT_REQUIRED", "You must specify a value for all required parameters.", member)
	}
	return present
}

// text checks a string's length (in characters; max 0 means none) and pattern.
func (v *input) text(member, s string, min, max int, pattern func(string) bool) {
	n := utf8.RuneCountInString(s)
	switch {
	case n < min:
		v.fail("MIN_LENGTH_EXCEEDED", "You provided a string parameter that is shorter than allowed.", member)
	case max > 0 && n > max:
		v.fail("MAX_LENGTH_EXCEEDED", "You provided a string parameter that is longer than allowed.", member)
	case !pattern(s):
		v.fail("INVALID_PATTERN", "You provided a value that does not match the required pattern.", member)
	}
}

// id checks an identifier member whose pattern violation Organizations
// reports with its own reason (INVALID_SYNTAX_POLICY_ID,
// INVALID_PATTERN_TARGET_ID).
func (v *input) id(member, s string, max int, pattern func(string) bool, reason string) {
	if utf8.RuneCountInString(s) <= max && !pattern(s) {
		v.fail(reason, "You provided a value that does not match the required pattern.", member)
		return
	}
	v.text(member, s, 1, max, pattern)
}

// enum checks an enumerated value.
func (v *input) enum(member, s string, allowed ...string) {
	if !slices.Contains(allowed, s) {
		v.fail("INVALID_ENUM", "You specified an invalid value.", member)
	}
}

// maxResults checks the MaxResults member of listings (1..20).
func (v *input) maxResults(n *int32) {
	switch {
	case n == nil:
	case *n < 1:
		v.fail("MIN_VALUE_EXCEEDED", "You provided a numeric parameter that has a smaller value than allowed.", "MaxResults")
	case *n > defaultMaxResults:
		v.fail("MAX_VALUE_EXCEEDED", "You provided a numeric parameter that has a larger value than allowed.", "MaxResults")
	}
}

// servicePrincipal checks a ServicePrincipal member.
func (v *input) servicePrincipal(s string) {
	v.text("ServicePrincipal", s, 1, 128, servicePrincipalRegexp.MatchString)
}

// result is the violation, or nil (never a typed nil).
func (v *input) result() error {
	if v.err == nil {
		return nil
	}
	return v.err
}

// pageInput is the input of the listings that take nothing but
// NextToken and MaxResults (ListRoots, ListAccounts,
// ListAWSServiceAccessForOrganization).
type pageInput struct {
	NextToken  string
	MaxResults *int32
}

func (in *pageInput) Validate() error {
	v := &input{}
	v.maxResults(in.MaxResults)
	return v.result()
}

// orgPage returns one page of a listing, mapping a bad NextToken to
// Organizations' error.
func orgPage[T any](items []T, scope, token string, maxResults *int32) ([]T, string, error) {
	n := defaultMaxResults
	if maxResults != nil {
		n = int(*maxResults)
	}
	page, next, err := pipeline.PaginateScoped(items, scope, token, n)
	return page, next, orgTokenError(err)
}

// orgCursorPage is orgPage for a listing the store pages with a cursor
// (pipeline.PageByCursor).
func orgCursorPage[T any](scope, token string, maxResults *int32, page func(after string, limit int) ([]T, string, error)) ([]T, string, error) {
	n := defaultMaxResults
	if maxResults != nil {
		n = int(*maxResults)
	}
	items, next, err := pipeline.PageByCursor(scope, token, n, page)
	return items, next, orgTokenError(err)
}

// orgTokenError maps a bad NextToken to Organizations' error.
func orgTokenError(err error) error {
	if errors.Is(err, pipeline.ErrInvalidToken) {
		return invalidInput("INVALID_NEXT_TOKEN",
			"You specified an invalid value for nextToken. You must get the value from the response to a previous call to the API.")
	}
	return err
}

// --- who may call ---

// access is who in an organization may call an operation.
type access int

const (
	// anyMember: any account of the organization (DescribeOrganization).
	anyMember access = iota
	// reader: the management account or a delegated administrator for
	// any service (the read-only Describe*/List* operations).
	reader
	// manager: the management account only.
	manager
)

// callerOrganization returns the organization of the caller's account after
// checking that the account may call an operation that needs access:
// AWSOrganizationsNotInUseException outside any organization (an account
// still being created is not in one yet), AccessDeniedException for an
// account that is not allowed.
func callerOrganization(tx *store.Tx, c *pipeline.Call, access access) (store.Organization, error) {
	acct, err := tx.Account(c.ID.AccountID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !acct.MemberOf(acct.OrganizationID, tx.Now())) {
		return store.Organization{}, notInUse()
	} else if err != nil {
		return store.Organization{}, err
	}
	org, err := tx.Organization(acct.OrganizationID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Organization{}, notInUse()
	} else if err != nil {
		return store.Organization{}, err
	}
	_, delegated := org.DelegatedAdministratorSince(acct.ID)
	switch {
	case org.ManagementAccountID == acct.ID, access == anyMember, access == reader && delegated:
		return org, nil
	}
	return store.Organization{}, accessDenied()
}

// call runs fn on the caller's organization in one transaction of txn
// once callerOrganization let the caller in, and returns the output fn
// filled in.
func call[Out any](ctx context.Context, txn pipeline.TxnFunc, c *pipeline.Call, access access,
	fn func(tx *store.Tx, org store.Organization, out *Out) error) (*Out, error) {
	out := new(Out)
	err := txn(ctx, func(tx *store.Tx) error {
		org, err := callerOrganization(tx, c, access)
		if err != nil {
			return err
		}
		return fn(tx, org, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// change runs change on the caller's organization in one transaction
// and stores the organization it changed.
func (s *Service) change(ctx context.Context, c *pipeline.Call, access access, change func(tx *store.Tx, org *store.Organization) error) (*pipeline.NoOutput, error) {
	return call(ctx, s.store.Update, c, access, func(tx *store.Tx, org store.Organization, _ *pipeline.NoOutput) error {
		if err := change(tx, &org); err != nil {
			return err
		}
		return tx.PutOrganization(org)
	})
}

// memberAccount returns the account id if it belongs to org now;
// AccountNotFoundException otherwise.
func memberAccount(tx *store.Tx, org store.Organization, id string) (store.Account, error) {
	acct, err := tx.Account(id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !acct.MemberOf(org.ID, tx.Now())) {
		return store.Account{}, accountNotFound()
	}
	return acct, err
}

// --- wire shapes ---

type organization struct {
	ID                   string `json:"Id"`
	Arn                  string
	FeatureSet           string
	MasterAccountArn     string
	MasterAccountID      string `json:"MasterAccountId"`
	MasterAccountEmail   string
	AvailablePolicyTypes []policyTypeSummary
}

type policyTypeSummary struct {
	Type   string
	Status string
}

type orgAccount struct {
	ID              string `json:"Id"`
	Arn             string
	Email           string
	Name            string
	Status          string
	State           string
	JoinedMethod    string
	JoinedTimestamp pipeline.EpochTime
	Paths           []string `json:",omitempty"`
}

type root struct {
	ID          string `json:"Id"`
	Arn         string
	Name        string
	PolicyTypes []policyTypeSummary
}

type createAccountStatus struct {
	ID                 string `json:"Id"`
	AccountName        string
	State              string
	RequestedTimestamp pipeline.EpochTime
	CompletedTimestamp *pipeline.EpochTime `json:",omitempty"`
	AccountID          string              `json:"AccountId,omitempty"`
	FailureReason      string              `json:",omitempty"`
}

type enabledServicePrincipal struct {
	ServicePrincipal string
	DateEnabled      pipeline.EpochTime
}

type delegatedAdministrator struct {
	orgAccount
	DelegationEnabledDate pipeline.EpochTime
}

func aRN(org store.Organization) string {
	return "arn:aws:organizations::" + org.ManagementAccountID + ":organization/" + org.ID
}

func accountARN(org store.Organization, accountID string) string {
	return "arn:aws:organizations::" + org.ManagementAccountID + ":account/" + org.ID + "/" + accountID
}

func rootARN(org store.Organization) string {
	return "arn:aws:organizations::" + org.ManagementAccountID + ":root/" + org.ID + "/" + org.RootID
}

func organizationOf(tx *store.Tx, org store.Organization) (organization, error) {
	mgmt, err := tx.Account(org.ManagementAccountID)
	if err != nil {
		return organization{}, err
	}
	// AvailablePolicyTypes is deprecated; AWS still fills it with the
	// root's policy types, and so does the emulator.
	return organization{ID: org.ID, Arn: aRN(org), FeatureSet: org.FeatureSet,
		MasterAccountArn: accountARN(org, mgmt.ID), MasterAccountID: mgmt.ID, MasterAccountEmail: mgmt.Email,
		AvailablePolicyTypes: policyTypesOf(org)}, nil
}

// accountOf is an account as Organizations shows it: its state on the
// emulated clock (Status is the legacy field, which has no CLOSED) and its
// path in the tree.
func accountOf(tx *store.Tx, org store.Organization, a store.Account) orgAccount {
	state := a.State(tx.Now())
	status := state
	switch state {
	case store.AccountClosed:
		status = store.AccountSuspended
	case store.AccountPendingActivation:
		status = store.AccountActive
	}
	out := orgAccount{ID: a.ID, Arn: accountARN(org, a.ID), Email: a.Email, Name: a.Name,
		Status: status, State: state, JoinedMethod: a.JoinedMethod, JoinedTimestamp: pipeline.EpochTime(a.JoinedAt)}
	if ous, err := tx.OUPath(org, a.AccountParent(org)); err == nil {
		out.Paths = []string{treePath(org, ous, a.ID)}
	}
	return out
}

func accountsOf(tx *store.Tx, org store.Organization, accts []store.Account) []orgAccount {
	out := make([]orgAccount, 0, len(accts))
	for _, a := range accts {
		out = append(out, accountOf(tx, org, a))
	}
	return out
}

// statusOf renders a create-account request as it stands at now: the
// account id and completion time appear only once the request completed.
func statusOf(st store.CreateAccountStatus, now time.Time) createAccountStatus {
	out := createAccountStatus{ID: st.ID, AccountName: st.AccountName, State: st.State(now),
		RequestedTimestamp: pipeline.EpochTime(st.RequestedAt)}
	switch out.State {
	case "SUCCEEDED":
		done := pipeline.EpochTime(st.CompletesAt)
		out.CompletedTimestamp, out.AccountID = &done, st.AccountID
	case "FAILED":
		done := pipeline.EpochTime(st.CompletesAt)
		out.CompletedTimestamp, out.FailureReason = &done, st.FailureReason
	}
	return out
}

// --- CreateOrganization ---

type createOrganizationInput struct {
	FeatureSet string
}

func (in *createOrganizationInput) Validate() error {
	v := &input{}
	if in.FeatureSet != "" {
		v.enum("FeatureSet", in.FeatureSet, "ALL", "CONSOLIDATED_BILLING")
	}
	return v.result()
}

// organizationResult is the output of CreateOrganization and DescribeOrganization.
type organizationResult struct {
	Organization organization
}

func (s *Service) createOrganization(ctx context.Context, c *pipeline.Call, in *createOrganizationInput) (*organizationResult, error) {
	featureSet := in.FeatureSet
	if featureSet == "" {
		featureSet = "ALL"
	}
	out := &organizationResult{}
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		org, err := tx.CreateOrganization(c.ID.AccountID, featureSet)
		if errors.Is(err, store.ErrConflict) {
			return orgError("AlreadyInOrganizationException", "The AWS account is already a member of an organization.")
		} else if err != nil {
			return err
		}
		out.Organization, err = organizationOf(tx, org)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// --- DescribeOrganization ---

type describeOrganizationInput struct{}

func (s *Service) describeOrganization(ctx context.Context, c *pipeline.Call, _ *describeOrganizationInput) (*organizationResult, error) {
	return call(ctx, s.store.View, c, anyMember, func(tx *store.Tx, org store.Organization, out *organizationResult) error {
		var err error
		out.Organization, err = organizationOf(tx, org)
		return err
	})
}

// --- ListRoots ---

type listRootsResult struct {
	Roots     []root
	NextToken string `json:",omitempty"`
}

func (s *Service) listRoots(ctx context.Context, c *pipeline.Call, in *pageInput) (*listRootsResult, error) {
	return call(ctx, s.store.View, c, reader, func(_ *store.Tx, org store.Organization, out *listRootsResult) error {
		roots := []root{rootOf(org)}
		var err error
		out.Roots, out.NextToken, err = orgPage(roots, "", in.NextToken, in.MaxResults)
		return err
	})
}

// --- CreateAccount ---

type createAccountInput struct {
	Email                  string
	AccountName            string
	RoleName               string
	IamUserAccessToBilling string
	Tags                   []tag
}

func (in *createAccountInput) Validate() error {
	v := &input{}
	if v.required("Email", in.Email != "") {
		v.text("Email", in.Email, 6, 64, emailPattern.MatchString)
	}
	if v.required("AccountName", in.AccountName != "") {
		v.text("AccountName", in.AccountName, 1, 50, accountNamePattern.MatchString)
	}
	if in.RoleName != "" {
		v.text("RoleName", in.RoleName, 1, 64, isRoleName)
		if strings.HasPrefix(in.RoleName, "AWSServiceRoleFor") {
			v.fail("INVALID_ROLE_NAME", "You provided a role name that isn't valid. A role name can't begin with the reserved prefix AWSServiceRoleFor.", "RoleName")
		}
	}
	if in.IamUserAccessToBilling != "" {
		v.enum("IamUserAccessToBilling", in.IamUserAccessToBilling, "ALLOW", "DENY")
	}
	v.tags(in.Tags)
	return v.result()
}

// createAccountStatusResult is the output of CreateAccount and
// DescribeCreateAccountStatus.
type createAccountStatusResult struct {
	CreateAccountStatus createAccountStatus
}

// createAccount starts an asynchronous account creation. The account and
// its access role are written now with a join time in the future; the
// request reads IN_PROGRESS until then (store.CreateAccountStatus.State).
// A taken email address fails the request, as AWS does, asynchronously:
// the request is accepted and later reads FAILED with EMAIL_ALREADY_EXISTS.
func (s *Service) createAccount(ctx context.Context, c *pipeline.Call, in *createAccountInput) (*createAccountStatusResult, error) {
	roleName := in.RoleName
	if roleName == "" {
		roleName = defaultRoleName
	}
	if err := s.authorizeTagging(ctx, c, in.Tags); err != nil {
		return nil, err
	}
	return call(ctx, s.store.Update, c, manager, func(tx *store.Tx, org store.Organization, out *createAccountStatusResult) error {
		now := tx.Now()
		st := store.CreateAccountStatus{ID: store.NewCreateAccountRequestID(), OrganizationID: org.ID,
			AccountName: in.AccountName, RequestedAt: now, CompletesAt: now.Add(s.createAccountDelay)}
		_, err := tx.AccountByEmail(in.Email)
		switch {
		case err == nil:
			st.FailureReason = "EMAIL_ALREADY_EXISTS"
		case errors.Is(err, store.ErrNotFound):
			acct, err := tx.CreateMemberAccount(org, in.AccountName, in.Email, roleName,
				store.OrganizationAccessRoleTrust(org.ManagementAccountID), st.CompletesAt)
			if err != nil {
				return err
			}
			if acct.Tags = tagMap(in.Tags); acct.Tags != nil {
				if err := tx.PutAccount(acct); err != nil {
					return err
				}
			}
			st.AccountID = acct.ID
		default:
			return err
		}
		if err := tx.PutCreateAccountStatus(st); err != nil {
			return err
		}
		out.CreateAccountStatus = statusOf(st, now)
		return nil
	})
}

// --- DescribeCreateAccountStatus ---

type describeCreateAccountStatusInput struct {
	CreateAccountRequestID string `json:"CreateAccountRequestId"`
}

func (in *describeCreateAccountStatusInput) Validate() error {
	v := &input{}
	if v.required("CreateAccountRequestId", in.CreateAccountRequestID != "") {
		v.text("CreateAccountRequestId", in.CreateAccountRequestID, 1, 36, isCreateAccountRequestID)
	}
	return v.result()
}

func (s *Service) describeCreateAccountStatus(ctx context.Context, c *pipeline.Call, in *describeCreateAccountStatusInput) (*createAccountStatusResult, error) {
	return call(ctx, s.store.View, c, reader, func(tx *store.Tx, org store.Organization, out *createAccountStatusResult) error {
		st, err := tx.CreateAccountStatus(in.CreateAccountRequestID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && st.OrganizationID != org.ID) {
			return orgError("CreateAccountStatusNotFoundException",
				"We can't find a create account request with the CreateAccountRequestId that you specified.")
		} else if err != nil {
			return err
		}
		out.CreateAccountStatus = statusOf(st, tx.Now())
		return nil
	})
}

// --- ListCreateAccountStatus ---

type listCreateAccountStatusInput struct {
	States     []string
	NextToken  string
	MaxResults *int32
}

func (in *listCreateAccountStatusInput) Validate() error {
	v := &input{}
	for i, st := range in.States {
		v.enum(fmt.Sprintf("States.%d", i+1), st, "IN_PROGRESS", "SUCCEEDED", "FAILED")
	}
	v.maxResults(in.MaxResults)
	return v.result()
}

type listCreateAccountStatusResult struct {
	CreateAccountStatuses []createAccountStatus
	NextToken             string `json:",omitempty"`
}

func (s *Service) listCreateAccountStatus(ctx context.Context, c *pipeline.Call, in *listCreateAccountStatusInput) (*listCreateAccountStatusResult, error) {
	return call(ctx, s.store.View, c, reader, func(tx *store.Tx, org store.Organization, out *listCreateAccountStatusResult) error {
		// The filter is part of the token's scope: a token is only good for
		// the listing it came from.
		states := slices.Clone(in.States)
		sort.Strings(states)
		var err error
		out.CreateAccountStatuses, out.NextToken, err = orgCursorPage(strings.Join(states, ","), in.NextToken, in.MaxResults,
			func(after string, limit int) ([]createAccountStatus, string, error) {
				page, next, err := tx.CreateAccountStatusesPage(org.ID, in.States, after, limit)
				out := make([]createAccountStatus, len(page))
				for i, st := range page {
					out[i] = statusOf(st, tx.Now())
				}
				return out, next, err
			})
		return err
	})
}

// --- ListAccounts ---

type listAccountsResult struct {
	Accounts  []orgAccount
	NextToken string `json:",omitempty"`
}

func (s *Service) listAccounts(ctx context.Context, c *pipeline.Call, in *pageInput) (*listAccountsResult, error) {
	return call(ctx, s.store.View, c, reader, func(tx *store.Tx, org store.Organization, out *listAccountsResult) error {
		var err error
		out.Accounts, out.NextToken, err = accountsPage(tx, org, "", in.NextToken, in.MaxResults)
		return err
	})
}

// accountsPage is a page of the organization's accounts (scope as orgPage's).
func accountsPage(tx *store.Tx, org store.Organization, scope, token string, maxResults *int32) ([]orgAccount, string, error) {
	return orgCursorPage(scope, token, maxResults, func(after string, limit int) ([]orgAccount, string, error) {
		accts, next, err := tx.OrganizationAccountsPage(org.ID, after, limit)
		return accountsOf(tx, org, accts), next, err
	})
}

// --- ListAccountsForParent ---

type listAccountsForParentInput struct {
	ParentID   string `json:"ParentId"`
	NextToken  string
	MaxResults *int32
}

func (in *listAccountsForParentInput) Validate() error {
	v := &input{}
	if v.required("ParentId", in.ParentID != "") {
		v.text("ParentId", in.ParentID, 1, 100, isParentID)
	}
	v.maxResults(in.MaxResults)
	return v.result()
}

// listAccountsForParent lists the accounts directly under a root or OU,
// by id, from the children index. Its output has the members of
// ListAccounts' (listAccountsResult).
func (s *Service) listAccountsForParent(ctx context.Context, c *pipeline.Call, in *listAccountsForParentInput) (*listAccountsResult, error) {
	return call(ctx, s.store.View, c, reader, func(tx *store.Tx, org store.Organization, out *listAccountsResult) error {
		if !parentExists(tx, org, in.ParentID) {
			return parentNotFound()
		}
		var accts []store.Account
		for _, ch := range tx.Children(in.ParentID, store.ChildAccount) {
			a, err := tx.Account(ch.ID)
			if err != nil {
				return err
			}
			if a.MemberOf(org.ID, tx.Now()) {
				accts = append(accts, a)
			}
		}
		var err error
		out.Accounts, out.NextToken, err = orgPage(accountsOf(tx, org, accts), in.ParentID, in.NextToken, in.MaxResults)
		return err
	})
}

// --- DescribeAccount ---

type describeAccountInput struct {
	AccountID string `json:"AccountId"`
}

func (in *describeAccountInput) Validate() error {
	v := &input{}
	if v.required("AccountId", in.AccountID != "") {
		v.text("AccountId", in.AccountID, 1, 12, pipeline.AccountIDPattern.MatchString)
	}
	return v.result()
}

type describeAccountResult struct {
	Account orgAccount
}

func (s *Service) describeAccount(ctx context.Context, c *pipeline.Call, in *describeAccountInput) (*describeAccountResult, error) {
	return call(ctx, s.store.View, c, reader, func(tx *store.Tx, org store.Organization, out *describeAccountResult) error {
		acct, err := memberAccount(tx, org, in.AccountID)
		if err != nil {
			return err
		}
		out.Account = accountOf(tx, org, acct)
		return nil
	})
}

// --- EnableAWSServiceAccess / DisableAWSServiceAccess ---

type serviceAccessInput struct {
	ServicePrincipal string
}

func (in *serviceAccessInput) Validate() error {
	v := &input{}
	if v.required("ServicePrincipal", in.ServicePrincipal != "") {
		v.servicePrincipal(in.ServicePrincipal)
	}
	return v.result()
}

// enableAWSServiceAccess enables trusted access for any well-formed
// service principal (the emulator does not know AWS's list of integrated
// services); enabling it again keeps the original date.
func (s *Service) enableAWSServiceAccess(ctx context.Context, c *pipeline.Call, in *serviceAccessInput) (*pipeline.NoOutput, error) {
	return s.change(ctx, c, manager, func(tx *store.Tx, org *store.Organization) error {
		if org.FeatureSet != "ALL" {
			return notAllFeatures()
		}
		org.EnableServiceAccess(in.ServicePrincipal, tx.Now())
		return nil
	})
}

// disableAWSServiceAccess disables trusted access (a no-op when it was
// not enabled) and deregisters the service's delegated administrators.
// For IAM it also turns off both centralized root access features, which
// IAM cannot run without trusted access: AssumeRoot and root credential
// management stop until trusted access and the features are enabled again.
func (s *Service) disableAWSServiceAccess(ctx context.Context, c *pipeline.Call, in *serviceAccessInput) (*pipeline.NoOutput, error) {
	return s.change(ctx, c, manager, func(_ *store.Tx, org *store.Organization) error {
		if org.FeatureSet != "ALL" {
			return notAllFeatures()
		}
		org.DisableServiceAccess(in.ServicePrincipal)
		if in.ServicePrincipal == store.IAMServicePrincipal {
			org.RootCredentialsManagement, org.RootSessions = false, false
		}
		return nil
	})
}

// --- ListAWSServiceAccessForOrganization ---

type listAWSServiceAccessResult struct {
	EnabledServicePrincipals []enabledServicePrincipal
	NextToken                string `json:",omitempty"`
}

func (s *Service) listAWSServiceAccessForOrganization(ctx context.Context, c *pipeline.Call, in *pageInput) (*listAWSServiceAccessResult, error) {
	return call(ctx, s.store.View, c, reader, func(_ *store.Tx, org store.Organization, out *listAWSServiceAccessResult) error {
		if org.FeatureSet != "ALL" {
			return notAllFeatures()
		}
		all := make([]enabledServicePrincipal, 0, len(org.ServiceAccess))
		for sp, at := range org.ServiceAccess {
			all = append(all, enabledServicePrincipal{ServicePrincipal: sp, DateEnabled: pipeline.EpochTime(at)})
		}
		sort.Slice(all, func(i, j int) bool { return all[i].ServicePrincipal < all[j].ServicePrincipal })
		var err error
		out.EnabledServicePrincipals, out.NextToken, err = orgPage(all, "", in.NextToken, in.MaxResults)
		return err
	})
}

// --- RegisterDelegatedAdministrator / DeregisterDelegatedAdministrator ---

type delegatedAdministratorInput struct {
	AccountID        string `json:"AccountId"`
	ServicePrincipal string
}

func (in *delegatedAdministratorInput) Validate() error {
	v := &input{}
	if v.required("AccountId", in.AccountID != "") {
		v.text("AccountId", in.AccountID, 1, 12, pipeline.AccountIDPattern.MatchString)
	}
	if v.required("ServicePrincipal", in.ServicePrincipal != "") {
		v.servicePrincipal(in.ServicePrincipal)
	}
	return v.result()
}

// registerDelegatedAdministrator makes a member account a delegated
// administrator for a service whose trusted access is enabled. IAM (root
// access management) allows one delegated administrator at a time.
func (s *Service) registerDelegatedAdministrator(ctx context.Context, c *pipeline.Call, in *delegatedAdministratorInput) (*pipeline.NoOutput, error) {
	return s.change(ctx, c, manager, func(tx *store.Tx, org *store.Organization) error {
		if in.AccountID == org.ManagementAccountID {
			return constraint("CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR",
				"You attempted to register the management account of the organization as a delegated administrator for an AWS service integrated with Organizations. You can designate only a member account as a delegated administrator.")
		}
		if _, err := memberAccount(tx, *org, in.AccountID); err != nil {
			return err
		}
		if !org.ServiceAccessEnabled(in.ServicePrincipal) {
			return constraint("SERVICE_ACCESS_NOT_ENABLED",
				"You attempted to register a delegated administrator before you enabled service access. Call the EnableAWSServiceAccess API first.")
		}
		if org.IsDelegatedAdministrator(in.ServicePrincipal, in.AccountID) {
			return orgError("AccountAlreadyRegisteredException",
				"The provided account is already a delegated administrator for your organization.")
		}
		if in.ServicePrincipal == store.IAMServicePrincipal && len(org.DelegatedAdministrators[store.IAMServicePrincipal]) > 0 {
			return constraint("DELEGATED_ADMINISTRATOR_EXISTS_FOR_THIS_SERVICE",
				"You attempted to register an AWS account as a delegated administrator for an AWS service that already has a delegated administrator. To complete this operation, you must first deregister any existing delegated administrators for this service.")
		}
		org.AddDelegatedAdministrator(in.ServicePrincipal, in.AccountID, tx.Now())
		return nil
	})
}

// deregisterDelegatedAdministrator removes a delegated administrator. The
// management account may remove any; IAM's delegated administrator may also
// remove itself for IAM.
func (s *Service) deregisterDelegatedAdministrator(ctx context.Context, c *pipeline.Call, in *delegatedAdministratorInput) (*pipeline.NoOutput, error) {
	return s.change(ctx, c, anyMember, func(tx *store.Tx, org *store.Organization) error {
		self := in.ServicePrincipal == store.IAMServicePrincipal && in.AccountID == c.ID.AccountID &&
			org.IsDelegatedAdministrator(store.IAMServicePrincipal, c.ID.AccountID)
		if c.ID.AccountID != org.ManagementAccountID && !self {
			return accessDenied()
		}
		if _, err := memberAccount(tx, *org, in.AccountID); err != nil {
			return err
		}
		if !org.RemoveDelegatedAdministrator(in.ServicePrincipal, in.AccountID) {
			return orgError("AccountNotRegisteredException",
				"The provided account is not a registered delegated administrator for this service.")
		}
		return nil
	})
}

// --- ListDelegatedAdministrators ---

type listDelegatedAdministratorsInput struct {
	ServicePrincipal string
	NextToken        string
	MaxResults       *int32
}

func (in *listDelegatedAdministratorsInput) Validate() error {
	v := &input{}
	if in.ServicePrincipal != "" {
		v.servicePrincipal(in.ServicePrincipal)
	}
	v.maxResults(in.MaxResults)
	return v.result()
}

type listDelegatedAdministratorsResult struct {
	DelegatedAdministrators []delegatedAdministrator
	NextToken               string `json:",omitempty"`
}

// listDelegatedAdministrators lists each delegated administrator once,
// oldest delegation first. Without a ServicePrincipal filter an account
// that administers several services shows its earliest delegation date.
func (s *Service) listDelegatedAdministrators(ctx context.Context, c *pipeline.Call, in *listDelegatedAdministratorsInput) (*listDelegatedAdministratorsResult, error) {
	return call(ctx, s.store.View, c, reader, func(tx *store.Tx, org store.Organization, out *listDelegatedAdministratorsResult) error {
		since := map[string]time.Time{}
		for sp, ds := range org.DelegatedAdministrators {
			if in.ServicePrincipal != "" && sp != in.ServicePrincipal {
				continue
			}
			for _, d := range ds {
				if at, ok := since[d.AccountID]; !ok || d.Since.Before(at) {
					since[d.AccountID] = d.Since
				}
			}
		}
		all := make([]delegatedAdministrator, 0, len(since))
		for id, at := range since {
			acct, err := tx.Account(id)
			if errors.Is(err, store.ErrNotFound) {
				continue // a delegation outliving its account is not listed
			} else if err != nil {
				return err
			}
			all = append(all, delegatedAdministrator{orgAccount: accountOf(tx, org, acct), DelegationEnabledDate: pipeline.EpochTime(at)})
		}
		sort.Slice(all, func(i, j int) bool {
			ti, tj := time.Time(all[i].DelegationEnabledDate), time.Time(all[j].DelegationEnabledDate)
			if !ti.Equal(tj) {
				return ti.Before(tj)
			}
			return all[i].ID < all[j].ID
		})
		var err error
		out.DelegatedAdministrators, out.NextToken, err = orgPage(all, in.ServicePrincipal, in.NextToken, in.MaxResults)
		return err
	})
}
