package api

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"

	emulator "github.com/rootaccess/emulator"
	"github.com/rootaccess/emulator/pkg/api/iam"
	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/api/s3"
	"github.com/rootaccess/emulator/pkg/api/sqs"
	"github.com/rootaccess/emulator/pkg/policy"
	"github.com/rootaccess/emulator/pkg/store"
)

// Scenario is a world to add in one go: member accounts that joined with
// legacy root credentials, and buckets and queues with their policies in any
// account. It is JSON; docs/scenarios.md describes it and
// testdata/scenarios/ has examples (embedded: ScenarioNamed). A scenario is
// applied in one transaction: if any part of it is invalid, nothing of it is
// kept. A scenario with a Name is applied once: applying it again changes
// nothing and answers the first result with AlreadyApplied set.
type Scenario struct {
	// Name makes applying the scenario idempotent (letters, digits, '.', '-'
	// and '_', at most 64); the shipped scenarios are named after their files.
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	// Features switches on, in the management account's organization, what
	// centralized root access needs.
	Features *ScenarioFeatures `json:"features,omitempty"`
	// Organization adds OUs, SCPs and RCPs to the management account's organization.
	Organization *ScenarioOrganization `json:"organization,omitempty"`
	Accounts     []ScenarioAccount     `json:"accounts"`
}

// ScenarioFeatures are organization settings a scenario can switch on.
type ScenarioFeatures struct {
	TrustedAccess             []string `json:"trusted_access,omitempty"` // e.g. iam.amazonaws.com
	RootCredentialsManagement bool     `json:"root_credentials_management,omitempty"`
	RootSessions              bool     `json:"root_sessions,omitempty"`
}

// ScenarioAccount is a member account to create, or with Management the
// existing management account, and what it holds.
type ScenarioAccount struct {
	Management   bool   `json:"management,omitempty"`
	ID           string `json:"id,omitempty"` // 12 digits; generated when empty
	Name         string `json:"name,omitempty"`
	Email        string `json:"email,omitempty"`         // default <name>@example.com
	JoinedMethod string `json:"joined_method,omitempty"` // INVITED (default) or CREATED
	// OU places a member account in one of the scenario's OUs, by path
	// ("workloads/prod"); under the root when empty.
	OU string `json:"ou,omitempty"`
	// Root gives the account's root user legacy credentials.
	Root    *ScenarioRoot    `json:"root,omitempty"`
	Users   []ScenarioUser   `json:"users,omitempty"`
	Roles   []ScenarioRole   `json:"roles,omitempty"`
	Buckets []ScenarioBucket `json:"buckets,omitempty"`
	Queues  []ScenarioQueue  `json:"queues,omitempty"`
}

// ScenarioUser is an IAM user with inline identity policies and access keys.
type ScenarioUser struct {
	Name       string                     `json:"name"`
	Path       string                     `json:"path,omitempty"`     // default "/"
	Policies   map[string]json.RawMessage `json:"policies,omitempty"` // policy name → document (object or string)
	AccessKeys []struct {
		ID       string `json:"id,omitempty"` // AKIA…; generated when empty
		Secret   string `json:"secret,omitempty"`
		Inactive bool   `json:"inactive,omitempty"`
	} `json:"access_keys,omitempty"`
}

// ScenarioRole is an IAM role with its trust policy and inline identity policies.
type ScenarioRole struct {
	Name               string                     `json:"name"`
	Path               string                     `json:"path,omitempty"`
	TrustPolicy        json.RawMessage            `json:"trust_policy"`
	Policies           map[string]json.RawMessage `json:"policies,omitempty"`
	MaxSessionDuration int                        `json:"max_session_duration,omitempty"` // seconds, default 3600
}

// ScenarioRoot describes legacy root credentials.
type ScenarioRoot struct {
	Password              bool       `json:"password,omitempty"`
	PasswordResetRequired bool       `json:"password_reset_required,omitempty"`
	PasswordLastUsed      *time.Time `json:"password_last_used,omitempty"`
	AccessKeys            []struct {
		ID       string `json:"id,omitempty"` // AKIA…; generated when empty
		Secret   string `json:"secret,omitempty"`
		Inactive bool   `json:"inactive,omitempty"`
	} `json:"access_keys,omitempty"`
	SigningCertificates []struct {
		ID       string `json:"id,omitempty"`
		Inactive bool   `json:"inactive,omitempty"`
	} `json:"signing_certificates,omitempty"`
	MFADevices []struct {
		SerialNumber string `json:"serial_number,omitempty"` // default arn:aws:iam::<id>:mfa/root-account-mfa-device
		Unassigned   bool   `json:"unassigned,omitempty"`    // a virtual device that exists but is not enabled
	} `json:"mfa_devices,omitempty"`
}

// ScenarioBucket is an S3 bucket owned by the account.
type ScenarioBucket struct {
	Name    string          `json:"name"`
	Region  string          `json:"region,omitempty"` // default us-east-1
	Policy  json.RawMessage `json:"policy,omitempty"` // a JSON object, or a string holding one
	Objects []struct {
		Key         string `json:"key"`
		Body        string `json:"body"`
		ContentType string `json:"content_type,omitempty"`
	} `json:"objects,omitempty"`
}

// ScenarioQueue is an SQS queue owned by the account.
type ScenarioQueue struct {
	Name       string            `json:"name"`
	Region     string            `json:"region,omitempty"` // default us-east-1
	Policy     json.RawMessage   `json:"policy,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Messages   []string          `json:"messages,omitempty"`
}

// ScenarioResult tells what a scenario created, with the ids and secrets
// that the scenario left to the emulator to generate.
type ScenarioResult struct {
	Name string `json:"name,omitempty"`
	// AlreadyApplied says that the named scenario had been applied before:
	// nothing changed, and the result is the one of the first time.
	AlreadyApplied bool                        `json:"already_applied,omitempty"`
	Accounts       []ScenarioAccountResult     `json:"accounts"`
	Organization   *ScenarioOrganizationResult `json:"organization,omitempty"`
}

// ScenarioAccountResult is one account of a ScenarioResult.
type ScenarioAccountResult struct {
	Name           string               `json:"name"`
	ID             string               `json:"id"`
	RootAccessKeys []ScenarioKeyPair    `json:"root_access_keys,omitempty"`
	Users          []ScenarioEntityInfo `json:"users,omitempty"`
	Roles          []ScenarioEntityInfo `json:"roles,omitempty"`
	Buckets        []string             `json:"buckets,omitempty"`
	Queues         []ScenarioQueueRef   `json:"queues,omitempty"`
}

// ScenarioEntityInfo is a user or role a scenario created.
type ScenarioEntityInfo struct {
	Name       string            `json:"name"`
	ARN        string            `json:"arn"`
	AccessKeys []ScenarioKeyPair `json:"access_keys,omitempty"`
}

// ScenarioKeyPair is a root access key a scenario created.
type ScenarioKeyPair struct {
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
	Status          string `json:"status"`
}

// ScenarioQueueRef names a queue a scenario created.
type ScenarioQueueRef struct {
	Name string `json:"name"`
	ARN  string `json:"arn"`
	// Path is the queue URL's path; the URL is the emulator's endpoint followed by it.
	Path string `json:"path"`
}

// scenarioError is a 400 for a scenario that cannot be applied.
func scenarioError(format string, args ...any) *pipeline.Error {
	return pipeline.NewError(http.StatusBadRequest, "InvalidScenario", format, args...)
}

// ParseScenario decodes a scenario, refusing unknown fields so that a typo
// does not silently drop part of a world.
func ParseScenario(data []byte) (Scenario, error) {
	var sc Scenario
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return Scenario{}, scenarioError("scenario is not valid JSON: %v", err)
	}
	if dec.More() {
		return Scenario{}, scenarioError("scenario has data after its JSON object")
	}
	if sc.Name != "" && !isScenarioName(sc.Name) {
		return Scenario{}, scenarioError("name %q must be 1 to 64 letters, digits, '.', '-' and '_', starting with a letter or digit", sc.Name)
	}
	return sc, nil
}

// The scenario's patterns with bounded repetitions are checked by hand (a
// regexp's {0,63} costs a fraction of a millisecond of every start).
var (
	scenarioNameStart = pipeline.NewCharClass("A-Za-z0-9")
	scenarioNameChars = pipeline.NewCharClass("A-Za-z0-9._-")
	// servicePrincipalChars are ^[\w+=,.@-]{1,128}$'s.
	servicePrincipalChars = pipeline.NewCharClass("A-Za-z0-9_+=,.@-")
	// rootKeyIDChars are what follows a root access key id's AKIA.
	rootKeyIDChars = pipeline.NewCharClass("A-Z0-9")
)

// isScenarioName is ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$.
func isScenarioName(name string) bool {
	return name != "" && scenarioNameStart.Has(name[0]) && scenarioNameChars.Match(name[1:], 0, 63)
}

// ScenarioNamed returns the shipped scenario called name (a file of
// testdata/scenarios without .json, e.g. "locked-bucket"), embedded in the
// program, so that it loads from anywhere without a path.
func ScenarioNamed(name string) (Scenario, error) {
	data, ok := emulator.ShippedScenario(name)
	if !ok {
		return Scenario{}, fmt.Errorf("no shipped scenario is called %q; the shipped ones are %s",
			name, strings.Join(ScenarioNames(), ", "))
	}
	sc, err := ParseScenario(data)
	if err != nil {
		return Scenario{}, fmt.Errorf("shipped scenario %s: %w", name, err)
	}
	if sc.Name == "" {
		sc.Name = name
	}
	return sc, nil
}

// ScenarioNames lists the shipped scenarios, sorted.
func ScenarioNames() []string { return emulator.ShippedScenarioNames() }

// IsScenarioPath tells how a scenario given as a string (the program's
// -scenario, a tenants file's "scenario", apitest's LoadScenario) is read:
// with a slash or a backslash, or ending in .json, it is a file's path;
// anything else is a shipped scenario's name (ScenarioNamed). The rule looks
// at the string alone, never at the file system, so a value means the same
// in every directory: a file called legacy-fleet is ./legacy-fleet.
func IsScenarioPath(s string) bool {
	return strings.ContainsAny(s, `/\`) || strings.HasSuffix(s, ".json")
}

// scenarioDigest identifies a scenario's content: the canonical JSON of
// its parsed form, so that spacing and key order do not count.
func scenarioDigest(sc Scenario) string {
	data, _ := json.Marshal(sc)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// reapplyHint ends the messages of conflicts that a scenario applied twice runs into.
const reapplyHint = " (applied twice? give the scenario a \"name\" and applying it again changes nothing, or reset the world first)"

// placeholders in policies and names are replaced by the account's id and
// the management account's id, which a scenario cannot know in advance.
var placeholder = pipeline.NewPattern(`\{\{\s*(account_id|management_account_id)\s*\}\}`)

func expand(s, accountID, managementID string) string {
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		if strings.Contains(m, "management") {
			return managementID
		}
		return accountID
	})
}

// applyScenario adds sc to the world inside tx, once if it is named.
func applyScenario(tx *store.Tx, sc Scenario) (ScenarioResult, error) {
	if sc.Name == "" {
		return applyScenarioContent(tx, sc)
	}
	digest := scenarioDigest(sc)
	prior, err := tx.AppliedScenario(sc.Name)
	switch {
	case err == nil && prior.Digest == digest:
		var result ScenarioResult
		if err := json.Unmarshal(prior.Result, &result); err != nil {
			return result, fmt.Errorf("decode the result of scenario %s: %w", sc.Name, err)
		}
		result.AlreadyApplied = true
		return result, nil
	case err == nil:
		return ScenarioResult{}, pipeline.NewError(http.StatusConflict, "ScenarioConflict",
			"a different scenario called %q was applied at %s; reset the world (POST /_emulator/reset) or give this one another name",
			sc.Name, prior.AppliedAt.Format(time.RFC3339))
	case !errors.Is(err, store.ErrNotFound):
		return ScenarioResult{}, err
	}
	result, err := applyScenarioContent(tx, sc)
	if err != nil {
		return result, err
	}
	result.Name = sc.Name
	data, err := json.Marshal(result)
	if err != nil {
		return result, err
	}
	return result, tx.PutAppliedScenario(store.AppliedScenario{Name: sc.Name, Digest: digest, AppliedAt: tx.Now(), Result: data})
}

// applyScenarioContent adds what sc describes to the world inside tx.
func applyScenarioContent(tx *store.Tx, sc Scenario) (ScenarioResult, error) {
	var result ScenarioResult
	world, err := tx.World()
	if err != nil {
		return result, err
	}
	mgmtID := world.ManagementAccountID
	org, orgErr := tx.OrganizationOf(mgmtID)
	if orgErr != nil && !errors.Is(orgErr, store.ErrNotFound) {
		return result, orgErr
	}
	hasOrg := orgErr == nil
	if sc.Features != nil {
		if !hasOrg {
			return result, scenarioError("features need an organization, and the management account has none")
		}
		if err := applyScenarioFeatures(tx, &org, *sc.Features); err != nil {
			return result, err
		}
	}
	var tree *scenarioTree
	if sc.Organization != nil {
		if !hasOrg {
			return result, scenarioError("organization needs an organization, and the management account has none")
		}
		if tree, err = applyScenarioTree(tx, &org, *sc.Organization); err != nil {
			return result, err
		}
	}
	for i, spec := range sc.Accounts {
		where := fmt.Sprintf("accounts[%d]", i)
		var acct store.Account
		if spec.Management {
			if acct, err = tx.Account(mgmtID); err != nil {
				return result, err
			}
		} else {
			if !hasOrg {
				return result, scenarioError("%s: member accounts need an organization, and the management account has none", where)
			}
			if acct, err = scenarioMemberAccount(tx, org, spec, where); err != nil {
				return result, err
			}
		}
		if spec.OU != "" {
			if tree == nil {
				return result, scenarioError("%s: ou needs organization.organizational_units", where)
			}
			if err := tree.placeAccount(tx, acct, spec.OU, where); err != nil {
				return result, err
			}
		}
		if tree != nil && !spec.Management {
			tree.accounts[acct.Name] = acct.ID
		}
		out := ScenarioAccountResult{Name: acct.Name, ID: acct.ID}
		if spec.Root != nil {
			if out.RootAccessKeys, err = applyScenarioRoot(tx, acct.ID, *spec.Root, where); err != nil {
				return result, err
			}
		}
		if out.Users, err = applyEach(spec.Users, where+".users", func(u ScenarioUser, at string) (ScenarioEntityInfo, error) {
			return applyScenarioUser(tx, acct.ID, mgmtID, u, at)
		}); err != nil {
			return result, err
		}
		if out.Roles, err = applyEach(spec.Roles, where+".roles", func(r ScenarioRole, at string) (ScenarioEntityInfo, error) {
			return applyScenarioRole(tx, acct.ID, mgmtID, r, at)
		}); err != nil {
			return result, err
		}
		if out.Buckets, err = applyEach(spec.Buckets, where+".buckets", func(b ScenarioBucket, at string) (string, error) {
			return applyScenarioBucket(tx, acct.ID, mgmtID, b, at)
		}); err != nil {
			return result, err
		}
		if out.Queues, err = applyEach(spec.Queues, where+".queues", func(q ScenarioQueue, at string) (ScenarioQueueRef, error) {
			ref, err := applyScenarioQueue(tx, acct.ID, mgmtID, q, at)
			return ScenarioQueueRef{Name: ref.Name, ARN: sqs.QueueARN(ref), Path: "/" + ref.AccountID + "/" + ref.Name}, err
		}); err != nil {
			return result, err
		}
		result.Accounts = append(result.Accounts, out)
	}
	if tree != nil {
		if err := tree.applyPolicies(tx, sc.Organization.Policies, mgmtID); err != nil {
			return result, err
		}
		result.Organization = &tree.result
	}
	return result, nil
}

// applyEach applies every spec of a list with apply, naming each one's
// place ("accounts[0].buckets[1]") for error messages, and collects what
// they created; it stops at the first error.
func applyEach[S, R any](specs []S, where string, apply func(spec S, at string) (R, error)) ([]R, error) {
	var out []R
	for i, spec := range specs {
		r, err := apply(spec, fmt.Sprintf("%s[%d]", where, i))
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func applyScenarioFeatures(tx *store.Tx, org *store.Organization, f ScenarioFeatures) error {
	if org.FeatureSet != "ALL" && (f.RootCredentialsManagement || f.RootSessions || len(f.TrustedAccess) > 0) {
		return scenarioError("features need an organization with all features")
	}
	for _, sp := range f.TrustedAccess {
		if !isServicePrincipal(sp) {
			return scenarioError("features.trusted_access: %q is not a service principal", sp)
		}
		if org.ServiceAccess == nil {
			org.ServiceAccess = map[string]time.Time{}
		}
		if _, on := org.ServiceAccess[sp]; !on {
			org.ServiceAccess[sp] = tx.Now()
		}
	}
	if (f.RootCredentialsManagement || f.RootSessions) && org.ServiceAccess[store.IAMServicePrincipal].IsZero() {
		return scenarioError("features: root access features need trusted access for %s", store.IAMServicePrincipal)
	}
	org.RootCredentialsManagement = org.RootCredentialsManagement || f.RootCredentialsManagement
	org.RootSessions = org.RootSessions || f.RootSessions
	return tx.PutOrganization(*org)
}

// isServicePrincipal is ^[\w+=,.@-]{1,128}$.
func isServicePrincipal(sp string) bool { return servicePrincipalChars.Match(sp, 1, 128) }

// scenarioMemberAccount creates a member account that has already joined.
// Like every emulated member account it gets OrganizationAccountAccessRole,
// so that the management account can reach in and see what the scenario
// put there (AWS creates that role only for CREATED accounts; invited ones
// usually add it by hand).
func scenarioMemberAccount(tx *store.Tx, org store.Organization, spec ScenarioAccount, where string) (store.Account, error) {
	if spec.Name == "" || len(spec.Name) > 50 {
		return store.Account{}, scenarioError("%s: name is required (1 to 50 characters)", where)
	}
	email := spec.Email
	if email == "" {
		email = spec.Name + "@example.com"
	}
	if _, err := tx.AccountByEmail(email); err == nil {
		return store.Account{}, scenarioError("%s: email %s is already used by another account"+reapplyHint, where, email)
	}
	method := spec.JoinedMethod
	switch method {
	case "":
		method = "INVITED"
	case "INVITED", "CREATED":
	default:
		return store.Account{}, scenarioError("%s: joined_method must be INVITED or CREATED", where)
	}
	if spec.ID != "" && !pipeline.AccountIDPattern.MatchString(spec.ID) {
		return store.Account{}, scenarioError("%s: id must be 12 digits", where)
	}
	if spec.ID != "" && tx.AccountExists(spec.ID) {
		return store.Account{}, scenarioError("%s: account %s already exists"+reapplyHint, where, spec.ID)
	}
	return tx.JoinMemberAccount(store.Account{ID: spec.ID, Name: spec.Name, Email: email, OrganizationID: org.ID,
		JoinedMethod: method, JoinedAt: tx.Now()}, "OrganizationAccountAccessRole", OrganizationAccessRoleTrust(org.ManagementAccountID))
}

func applyScenarioRoot(tx *store.Tx, accountID string, r ScenarioRoot, where string) ([]ScenarioKeyPair, error) {
	spec := store.RootCredentialsSpec{Password: r.Password, PasswordResetRequired: r.PasswordResetRequired}
	if r.PasswordLastUsed != nil {
		spec.PasswordLastUsed = *r.PasswordLastUsed
	}
	for _, k := range r.AccessKeys {
		if k.ID != "" && !isRootKeyID(k.ID) {
			return nil, scenarioError("%s.root: access key id %q must be AKIA and 16 more capital letters or digits", where, k.ID)
		}
		spec.AccessKeys = append(spec.AccessKeys, store.AccessKeySpec{ID: k.ID, Secret: k.Secret, Inactive: k.Inactive})
	}
	for _, c := range r.SigningCertificates {
		spec.SigningCertificates = append(spec.SigningCertificates, store.SigningCertificateSpec{ID: c.ID, Inactive: c.Inactive})
	}
	for _, d := range r.MFADevices {
		spec.MFADevices = append(spec.MFADevices, store.MFADeviceSpec{SerialNumber: d.SerialNumber, Unassigned: d.Unassigned})
	}
	created, err := tx.AddRootCredentials(accountID, spec)
	switch {
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrLimitExceeded):
		return nil, scenarioError("%s.root: %v", where, err)
	case err != nil:
		return nil, err
	}
	keys := make([]ScenarioKeyPair, 0, len(created.AccessKeys))
	for _, k := range created.AccessKeys {
		keys = append(keys, ScenarioKeyPair{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey, Status: k.Status})
	}
	return keys, nil
}

// isRootKeyID is ^AKIA[A-Z0-9]{16}$.
func isRootKeyID(id string) bool {
	rest, ok := strings.CutPrefix(id, "AKIA")
	return ok && rootKeyIDChars.Match(rest, 16, 16)
}

// scenarioEntity checks what users and roles share: name, path and inline
// identity policies (as PutUserPolicy/PutRolePolicy check them).
func scenarioEntity(name, path string, raw map[string]json.RawMessage, accountID, managementID, where string) (map[string]string, error) {
	if err := iam.ValidateEntity(name, path); err != nil {
		return nil, scenarioError("%s: %s", where, errorMessage(err))
	}
	policies := map[string]string{}
	for policyName, doc := range raw {
		if !iam.ValidPolicyName(policyName) {
			return nil, scenarioError("%s: %q is not a valid policy name", where, policyName)
		}
		text, _ := scenarioPolicy(doc, accountID, managementID)
		if _, err := policy.ParseAs([]byte(text), policy.IdentityPolicy); err != nil {
			return nil, scenarioError("%s: policy %s: %s", where, policyName, errorMessage(iam.MalformedPolicyDocument(err)))
		}
		policies[policyName] = text
	}
	return policies, nil
}

func applyScenarioUser(tx *store.Tx, accountID, managementID string, u ScenarioUser, where string) (ScenarioEntityInfo, error) {
	policies, err := scenarioEntity(u.Name, u.Path, u.Policies, accountID, managementID, where)
	if err != nil {
		return ScenarioEntityInfo{}, err
	}
	p, err := tx.AddPrincipal(store.Principal{AccountID: accountID, Kind: store.PrincipalUser, Name: u.Name, Path: u.Path, Policies: policies})
	if errors.Is(err, store.ErrConflict) {
		return ScenarioEntityInfo{}, scenarioError("%s: user %s already exists"+reapplyHint, where, u.Name)
	} else if err != nil {
		return ScenarioEntityInfo{}, err
	}
	info := ScenarioEntityInfo{Name: p.Name, ARN: p.ARN}
	for _, k := range u.AccessKeys {
		if k.ID != "" && !isRootKeyID(k.ID) {
			return info, scenarioError("%s: access key id %q must be AKIA and 16 more capital letters or digits", where, k.ID)
		}
		key, err := tx.CreateAccessKey(store.KindUser, accountID, p.ARN, p.ID, k.ID, k.Secret)
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrLimitExceeded) {
			return info, scenarioError("%s: %v", where, err)
		} else if err != nil {
			return info, err
		}
		if k.Inactive {
			key.Status = "Inactive"
			if err := tx.PutCredential(key); err != nil {
				return info, err
			}
		}
		info.AccessKeys = append(info.AccessKeys, ScenarioKeyPair{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey, Status: key.Status})
	}
	return info, nil
}

func applyScenarioRole(tx *store.Tx, accountID, managementID string, r ScenarioRole, where string) (ScenarioEntityInfo, error) {
	policies, err := scenarioEntity(r.Name, r.Path, r.Policies, accountID, managementID, where)
	if err != nil {
		return ScenarioEntityInfo{}, err
	}
	trust, _ := scenarioPolicy(r.TrustPolicy, accountID, managementID)
	if trust == "" {
		return ScenarioEntityInfo{}, scenarioError("%s: trust_policy is required", where)
	}
	if err := iam.CheckTrustPolicy(tx, trust); err != nil {
		return ScenarioEntityInfo{}, scenarioError("%s: trust_policy: %s", where, errorMessage(err))
	}
	maxSession := r.MaxSessionDuration
	switch {
	case maxSession == 0:
		maxSession = iam.DefaultRoleSessionSeconds
	case maxSession < 3600 || maxSession > 43200:
		return ScenarioEntityInfo{}, scenarioError("%s: max_session_duration must be 3600 to 43200 seconds", where)
	}
	p, err := tx.AddPrincipal(store.Principal{AccountID: accountID, Kind: store.PrincipalRole, Name: r.Name, Path: r.Path,
		Policies: policies, TrustPolicy: trust, MaxSessionDuration: maxSession})
	if errors.Is(err, store.ErrConflict) {
		return ScenarioEntityInfo{}, scenarioError("%s: role %s already exists"+reapplyHint, where, r.Name)
	} else if err != nil {
		return ScenarioEntityInfo{}, err
	}
	return ScenarioEntityInfo{Name: p.Name, ARN: p.ARN}, nil
}

// scenarioPolicy reads a policy given as a JSON object or as a string.
func scenarioPolicy(raw json.RawMessage, accountID, managementID string) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	text := string(raw)
	var s string
	if json.Unmarshal(raw, &s) == nil {
		text = s
	}
	return expand(text, accountID, managementID), nil
}

func applyScenarioBucket(tx *store.Tx, accountID, managementID string, b ScenarioBucket, where string) (string, error) {
	name := expand(b.Name, accountID, managementID)
	if !s3.ValidBucketName(name) {
		return "", scenarioError("%s: %q is not a valid bucket name", where, name)
	}
	region := b.Region
	if region == "" {
		region = "us-east-1"
	}
	policyText, _ := scenarioPolicy(b.Policy, accountID, managementID)
	if policyText != "" {
		if err := s3.ValidateBucketPolicy(name, []byte(policyText)); err != nil {
			return "", scenarioError("%s: policy: %s", where, errorMessage(err))
		}
	}
	if _, err := tx.CreateBucket(store.Bucket{Name: name, Owner: accountID, Region: region, Policy: policyText}); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return "", scenarioError("%s: bucket %s already exists"+reapplyHint, where, name)
		}
		return "", err
	}
	for _, o := range b.Objects {
		if o.Key == "" || len(o.Key) > 1024 {
			return "", scenarioError("%s: object keys must be 1 to 1024 bytes", where)
		}
		contentType := o.ContentType
		if contentType == "" {
			contentType = "binary/octet-stream"
		}
		sum := md5.Sum([]byte(o.Body))
		obj := store.Object{ObjectInfo: store.ObjectInfo{Bucket: name, Key: o.Key,
			ETag: `"` + hex.EncodeToString(sum[:]) + `"`, ContentType: contentType}, Data: []byte(o.Body)}
		if _, err := tx.PutObject(obj); err != nil {
			return "", err
		}
	}
	return name, nil
}

func applyScenarioQueue(tx *store.Tx, accountID, managementID string, q ScenarioQueue, where string) (store.QueueRef, error) {
	ref := store.QueueRef{AccountID: accountID, Region: q.Region, Name: expand(q.Name, accountID, managementID)}
	if ref.Region == "" {
		ref.Region = "us-east-1"
	}
	if !sqs.ValidQueueName(ref.Name) {
		return ref, scenarioError("%s: %q is not a valid queue name (1 to 80 letters, digits, - and _)", where, ref.Name)
	}
	given := maps.Clone(q.Attributes)
	if given == nil {
		given = map[string]string{}
	}
	policyText, _ := scenarioPolicy(q.Policy, accountID, managementID)
	if policyText != "" {
		given["Policy"] = policyText
	}
	attrs, err := sqs.NormalizeQueueAttributes(given, true)
	if err != nil {
		return ref, scenarioError("%s: %s", where, errorMessage(err))
	}
	all := sqs.DefaultQueueAttributes()
	maps.Copy(all, attrs)
	if _, err := tx.Queue(ref); err == nil {
		return ref, scenarioError("%s: queue %s already exists"+reapplyHint, where, ref.Name)
	}
	if err := tx.PutQueue(store.Queue{QueueRef: ref, Attributes: all, CreatedAt: tx.Now(), ModifiedAt: tx.Now()}); err != nil {
		return ref, err
	}
	for _, body := range q.Messages {
		m := store.Message{ID: pipeline.NewRequestID(), Body: body, SenderID: accountID, SentAt: tx.Now(), VisibleAt: tx.Now()}
		if _, err := tx.SendMessage(ref, m); err != nil {
			return ref, err
		}
	}
	return ref, nil
}

// errorMessage is the AWS message of an *pipeline.Error, or the error's text.
func errorMessage(err error) string {
	if e := pipeline.AsError(err); e != nil {
		return e.Message
	}
	return err.Error()
}

// fixedAccessKeyIDs are the access key ids the scenario names (rather than
// leaving them to be generated).
func (sc Scenario) fixedAccessKeyIDs() []string {
	var ids []string
	for _, a := range sc.Accounts {
		if a.Root != nil {
			for _, k := range a.Root.AccessKeys {
				if k.ID != "" {
					ids = append(ids, k.ID)
				}
			}
		}
		for _, u := range a.Users {
			for _, k := range u.AccessKeys {
				if k.ID != "" {
					ids = append(ids, k.ID)
				}
			}
		}
	}
	return ids
}
