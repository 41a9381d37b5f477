package store

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// IAMPolicy is a customer managed IAM policy: a standalone identity policy
// with up to five versions, one of them the default, that users, roles and
// groups are attached to (their Principal.ManagedPolicies; the
// policyAttachments index holds the reverse relation).
type IAMPolicy struct {
	ARN            string `json:"arn"`
	AccountID      string `json:"account_id"`
	Name           string `json:"name"`
	Path           string `json:"path"`
	ID             string `json:"id"` // ANPA…
	Description    string `json:"description,omitempty"`
	DefaultVersion string `json:"default_version"`
	// Versions in the order they were created.
	Versions []PolicyVersion `json:"versions"`
	// NextVersion numbers the next version ("v" + NextVersion): IAM never
	// reuses the number of a deleted version.
	NextVersion int       `json:"next_version"`
	Tags        []Tag     `json:"tags,omitempty"` // ordered by key
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// PolicyVersion is one version of a customer managed policy.
type PolicyVersion struct {
	ID        string    `json:"id"` // v1, v2…
	Document  string    `json:"document"`
	CreatedAt time.Time `json:"created_at"`
}

// Version returns the policy's version id; false when it has none of that id.
func (p IAMPolicy) Version(id string) (PolicyVersion, bool) {
	for _, v := range p.Versions {
		if v.ID == id {
			return v, true
		}
	}
	return PolicyVersion{}, false
}

// DefaultDocument is the document of the default version, the one that is evaluated.
func (p IAMPolicy) DefaultDocument() string {
	v, _ := p.Version(p.DefaultVersion)
	return v.Document
}

// IAMPolicyARN is the ARN of the customer managed policy name on path in an account.
func IAMPolicyARN(accountID, path, name string) string {
	return "arn:aws:iam::" + accountID + ":policy" + path + name
}

func iamPolicyIndexEntries(p IAMPolicy) []indexEntry {
	return []indexEntry{{iamPoliciesByName, p.AccountID + "\x00" + foldKey(p.Name) + "\x00" + p.ARN}}
}

// policyAttachmentPrefix is where the policyAttachments index lists the
// entities of an account attached to a policy. The account is part of the
// key because an AWS managed policy is one ARN attached in many accounts.
func policyAttachmentPrefix(accountID, policyARN string) string {
	return accountID + "\x00" + policyARN + "\x00"
}

// IAMPolicy returns the customer managed policy with the ARN.
func (tx *Tx) IAMPolicy(arn string) (IAMPolicy, error) {
	var p IAMPolicy
	if err := tx.get(iamPoliciesBucket, arn, &p); err != nil {
		return IAMPolicy{}, fmt.Errorf("policy %s: %w", arn, err)
	}
	return p, nil
}

// PutIAMPolicy replaces a customer managed policy.
func (tx *Tx) PutIAMPolicy(p IAMPolicy) error {
	return putIndexed(tx, iamPoliciesBucket, p.ARN, p, iamPolicyIndexEntries)
}

// AddIAMPolicy creates the customer managed policy p describes (AccountID,
// Name, Path — "/" when empty —, Description, Tags) with document as its
// default version v1, giving it its ARN, a new unique id (ANPA…) and the
// creation time. Policy names are unique per account whatever the path and
// letter case: a name in use is ErrConflict.
func (tx *Tx) AddIAMPolicy(p IAMPolicy, document string) (IAMPolicy, error) {
	if p.Path == "" {
		p.Path = "/"
	}
	if _, err := tx.IAMPolicyNamed(p.AccountID, p.Name); err == nil {
		return IAMPolicy{}, fmt.Errorf("policy %s in %s: %w", p.Name, p.AccountID, ErrConflict)
	}
	p.ARN, p.ID, p.CreatedAt, p.UpdatedAt = IAMPolicyARN(p.AccountID, p.Path, p.Name), NewUniqueID("ANPA"), tx.now, tx.now
	p.Versions = []PolicyVersion{{ID: "v1", Document: document, CreatedAt: tx.now}}
	p.DefaultVersion, p.NextVersion = "v1", 2
	return p, tx.PutIAMPolicy(p)
}

// IAMPolicyNamed returns the account's customer managed policy called name
// (compared case-insensitively, on any path); ErrNotFound when none.
func (tx *Tx) IAMPolicyNamed(accountID, name string) (IAMPolicy, error) {
	prefix := []byte(accountID + "\x00" + foldKey(name) + "\x00")
	c := tx.btx.Bucket(iamPoliciesByName).Cursor()
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		p, err := tx.IAMPolicy(string(k[bytes.LastIndexByte(k, 0)+1:]))
		if err != nil {
			return IAMPolicy{}, err
		}
		if strings.EqualFold(p.Name, name) {
			return p, nil
		}
	}
	return IAMPolicy{}, fmt.Errorf("policy %s in %s: %w", name, accountID, ErrNotFound)
}

// DeleteIAMPolicy removes a customer managed policy; ErrNotFound when
// absent. Detaching it first is the caller's to check.
func (tx *Tx) DeleteIAMPolicy(arn string) error {
	if err := deleteIndexed(tx, iamPoliciesBucket, arn, iamPolicyIndexEntries); err != nil {
		return fmt.Errorf("policy %s: %w", arn, err)
	}
	return nil
}

// IAMPoliciesPage is one page of the account's customer managed policies
// for which keep (nil: all) is true, ordered by name (case-insensitively,
// then by ARN): at most limit (<= 0: all) from where the cursor after left
// off ("" for the start), and the next page's cursor ("" on the last).
func (tx *Tx) IAMPoliciesPage(accountID, after string, limit int, keep func(IAMPolicy) bool) ([]IAMPolicy, string, error) {
	return pageIndex(tx, iamPoliciesByName, accountID+"\x00", "", after, limit,
		func(rest []byte) (IAMPolicy, bool, bool, error) {
			p, err := tx.IAMPolicy(string(rest[bytes.LastIndexByte(rest, 0)+1:]))
			return p, err == nil && (keep == nil || keep(p)), false, err
		})
}

// PolicyAttachmentCount counts the account's users, roles and groups
// attached to a managed policy (customer or AWS managed), from the index alone.
func (tx *Tx) PolicyAttachmentCount(accountID, policyARN string) int {
	n := 0
	prefix := []byte(policyAttachmentPrefix(accountID, policyARN))
	c := tx.btx.Bucket(policyAttachments).Cursor()
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		n++
	}
	return n
}

// PolicyEntitiesPage is one page of the account's users, roles and groups
// attached to a managed policy, for which keep (nil: all) is true, ordered
// by ARN; paged as IAMPoliciesPage.
func (tx *Tx) PolicyEntitiesPage(accountID, policyARN, after string, limit int, keep func(Principal) bool) ([]Principal, string, error) {
	return pageIndex(tx, policyAttachments, policyAttachmentPrefix(accountID, policyARN), "", after, limit,
		func(rest []byte) (Principal, bool, bool, error) {
			p, err := tx.Principal(string(rest))
			return p, err == nil && (keep == nil || keep(p)), false, err
		})
}

// IAMPolicyUsage counts an account's groups, customer managed policies and
// managed-policy attachments (GetAccountSummary's Groups, Policies and
// PolicyVersionsInUse: each attachment uses its policy's default version),
// from the indexes alone.
func (tx *Tx) IAMPolicyUsage(accountID string) (groups, policies, attachments int) {
	count := func(bucket []byte, prefix string) int {
		n := 0
		p := []byte(prefix)
		c := tx.btx.Bucket(bucket).Cursor()
		for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
			n++
		}
		return n
	}
	return tx.principalCount(accountID, PrincipalGroup), count(iamPoliciesByName, accountID+"\x00"), count(policyAttachments, accountID+"\x00")
}
