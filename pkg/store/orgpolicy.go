package store

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Organizations policy types the emulator stores and enforces.
const (
	ServiceControlPolicyType  = "SERVICE_CONTROL_POLICY"
	ResourceControlPolicyType = "RESOURCE_CONTROL_POLICY"
)

// ManagedPolicyIDs are the AWS-managed policy attached to every target when
// a policy type is enabled: FullAWSAccess and RCPFullAWSAccess. The
// documents themselves live in pkg/policy; the store only records
// attachments of their ids.
var ManagedPolicyIDs = map[string]string{
	ServiceControlPolicyType:  "p-FullAWSAccess",
	ResourceControlPolicyType: "p-RCPFullAWSAccess",
}

// OrganizationPolicy is a customer-managed policy of an organization.
type OrganizationPolicy struct {
	ID             string            `json:"id"`
	OrganizationID string            `json:"organization_id"`
	Type           string            `json:"type"`
	Name           string            `json:"name"`
	Description    string            `json:"description"`
	Content        string            `json:"content"`
	CreatedAt      time.Time         `json:"created_at"`
	Tags           map[string]string `json:"tags,omitempty"`
}

// Policies are keyed by organization and id, so that an organization's
// policies are one prefix seek.
func policyKey(orgID, id string) string { return orgID + "\x00" + id }

// OrganizationPolicy returns the organization's customer-managed policy with id.
func (tx *Tx) OrganizationPolicy(orgID, id string) (OrganizationPolicy, error) {
	var p OrganizationPolicy
	if err := tx.get(orgPoliciesBucket, policyKey(orgID, id), &p); err != nil {
		return OrganizationPolicy{}, fmt.Errorf("policy %s: %w", id, err)
	}
	return p, nil
}

// PutOrganizationPolicy creates or replaces a customer-managed policy.
func (tx *Tx) PutOrganizationPolicy(p OrganizationPolicy) error {
	return tx.put(orgPoliciesBucket, policyKey(p.OrganizationID, p.ID), p)
}

// DeleteOrganizationPolicy removes a customer-managed policy; detaching it
// first is the caller's business.
func (tx *Tx) DeleteOrganizationPolicy(orgID, id string) error {
	return tx.delete(orgPoliciesBucket, policyKey(orgID, id))
}

// OrganizationPolicies lists the organization's customer-managed policies of
// a type, ordered by id.
func (tx *Tx) OrganizationPolicies(orgID, policyType string) ([]OrganizationPolicy, error) {
	var out []OrganizationPolicy
	err := each(tx, orgPoliciesBucket, orgID+"\x00", func(_ string, p *OrganizationPolicy) error {
		if policyType == "" || p.Type == policyType {
			out = append(out, *p)
		}
		return nil
	})
	return out, err
}

// NewPolicyID returns an unused policy id: p- and eight characters.
func (tx *Tx) NewPolicyID(orgID string) string {
	for {
		id := "p-" + randomString(lowerAlnum, 8)
		if !tx.exists(orgPoliciesBucket, policyKey(orgID, id)) {
			return id
		}
	}
}

// Attachments are kept in two indexes written together:
// by target, "target \0 type \0 policy" (what the authorizer reads, one
// prefix seek per level), and by policy, "org \0 policy \0 target" with the
// type as value (ListTargetsForPolicy, DeletePolicy's in-use check,
// DisablePolicyType).
func attachmentByTarget(targetID, policyType, policyID string) string {
	return targetID + "\x00" + policyType + "\x00" + policyID
}

func attachmentByPolicy(orgID, policyID, targetID string) string {
	return orgID + "\x00" + policyID + "\x00" + targetID
}

// AttachPolicy attaches a policy of policyType to a target (root, OU or
// account id). ErrConflict when it is attached already.
func (tx *Tx) AttachPolicy(orgID, policyType, policyID, targetID string) error {
	k := attachmentByTarget(targetID, policyType, policyID)
	if tx.btx.Bucket(attachmentsByTarget).Get([]byte(k)) != nil {
		return fmt.Errorf("policy %s on %s: %w", policyID, targetID, ErrConflict)
	}
	if err := tx.btx.Bucket(attachmentsByTarget).Put([]byte(k), nil); err != nil {
		return err
	}
	return tx.btx.Bucket(attachmentsByPolicy).Put([]byte(attachmentByPolicy(orgID, policyID, targetID)), []byte(policyType))
}

// DetachPolicy detaches a policy from a target; ErrNotFound when it was not attached.
func (tx *Tx) DetachPolicy(orgID, policyType, policyID, targetID string) error {
	k := []byte(attachmentByTarget(targetID, policyType, policyID))
	if tx.btx.Bucket(attachmentsByTarget).Get(k) == nil {
		return fmt.Errorf("policy %s on %s: %w", policyID, targetID, ErrNotFound)
	}
	if err := tx.btx.Bucket(attachmentsByTarget).Delete(k); err != nil {
		return err
	}
	return tx.btx.Bucket(attachmentsByPolicy).Delete([]byte(attachmentByPolicy(orgID, policyID, targetID)))
}

// AttachedPolicies lists the ids of the policies of policyType attached to
// a target, ordered by id (managed policies' "p-F…"/"p-R…" among them).
func (tx *Tx) AttachedPolicies(targetID, policyType string) []string {
	var out []string
	p := []byte(targetID + "\x00" + policyType + "\x00")
	c := tx.btx.Bucket(attachmentsByTarget).Cursor()
	for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
		out = append(out, string(k[len(p):]))
	}
	return out
}

// PolicyTargets lists the targets a policy of the organization is attached
// to, ordered by id.
func (tx *Tx) PolicyTargets(orgID, policyID string) []string {
	var out []string
	p := []byte(orgID + "\x00" + policyID + "\x00")
	c := tx.btx.Bucket(attachmentsByPolicy).Cursor()
	for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
		out = append(out, string(k[len(p):]))
	}
	return out
}

// PolicyAttached reports whether a policy is attached to any target.
func (tx *Tx) PolicyAttached(orgID, policyID string) bool {
	p := []byte(orgID + "\x00" + policyID + "\x00")
	k, _ := tx.btx.Bucket(attachmentsByPolicy).Cursor().Seek(p)
	return k != nil && hasPrefix(k, p)
}

// detachAll removes every policy attachment of a target.
func (tx *Tx) detachAll(orgID, targetID string) error {
	p := []byte(targetID + "\x00")
	var keys []string
	c := tx.btx.Bucket(attachmentsByTarget).Cursor()
	for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
		keys = append(keys, string(k))
	}
	for _, k := range keys {
		parts := strings.SplitN(k, "\x00", 3)
		if len(parts) != 3 {
			continue
		}
		if err := tx.DetachPolicy(orgID, parts[1], parts[2], targetID); err != nil {
			return err
		}
	}
	return nil
}

// DetachPolicyType removes every attachment of policies of policyType in
// the organization (DisablePolicyType).
func (tx *Tx) DetachPolicyType(orgID, policyType string) error {
	type attachment struct{ policy, target string }
	var found []attachment
	p := []byte(orgID + "\x00")
	c := tx.btx.Bucket(attachmentsByPolicy).Cursor()
	for k, v := c.Seek(p); k != nil && hasPrefix(k, p); k, v = c.Next() {
		if string(v) != policyType {
			continue
		}
		parts := strings.SplitN(string(k[len(p):]), "\x00", 2)
		if len(parts) == 2 {
			found = append(found, attachment{parts[0], parts[1]})
		}
	}
	for _, a := range found {
		if err := tx.DetachPolicy(orgID, policyType, a.policy, a.target); err != nil {
			return err
		}
	}
	return nil
}

// EnablePolicyType enables a policy type in the organization's root and
// attaches its AWS-managed policy to the root, every OU and every account,
// as AWS does. ErrConflict when it is enabled already.
func (tx *Tx) EnablePolicyType(org *Organization, policyType string) error {
	if org.PolicyTypeEnabled(policyType) {
		return fmt.Errorf("policy type %s: %w", policyType, ErrConflict)
	}
	org.PolicyTypes = append(org.PolicyTypes, policyType)
	managed, ok := ManagedPolicyIDs[policyType]
	if !ok {
		return nil
	}
	ous, accounts := tx.OrganizationTree(*org)
	for _, target := range append(append([]string{org.RootID}, ous...), accounts...) {
		if err := tx.AttachPolicy(org.ID, policyType, managed, target); err != nil && !errors.Is(err, ErrConflict) {
			return err
		}
	}
	return nil
}

// DisablePolicyType disables a policy type in the root and detaches every
// policy of the type; ErrNotFound when it was not enabled.
func (tx *Tx) DisablePolicyType(org *Organization, policyType string) error {
	i := -1
	for j, t := range org.PolicyTypes {
		if t == policyType {
			i = j
		}
	}
	if i < 0 {
		return fmt.Errorf("policy type %s: %w", policyType, ErrNotFound)
	}
	org.PolicyTypes = append(org.PolicyTypes[:i:i], org.PolicyTypes[i+1:]...)
	return tx.DetachPolicyType(org.ID, policyType)
}

// attachManagedPolicies attaches the managed policy of every enabled type to
// a new target (an account or OU joining the tree).
func (tx *Tx) attachManagedPolicies(org Organization, targetID string) error {
	for _, t := range org.PolicyTypes {
		if managed, ok := ManagedPolicyIDs[t]; ok {
			if err := tx.AttachPolicy(org.ID, t, managed, targetID); err != nil && !errors.Is(err, ErrConflict) {
				return err
			}
		}
	}
	return nil
}

// AttachManagedPolicies attaches the managed policies of the enabled types
// to a new OU.
func (tx *Tx) AttachManagedPolicies(org Organization, targetID string) error {
	return tx.attachManagedPolicies(org, targetID)
}

// OrganizationLevels is what the authorizer needs of an account in an
// organization: the organization, the OU ids from the root down to the
// account's parent, and the targets whose policies apply in that order
// (root, each OU, the account).
type OrganizationLevels struct {
	Organization Organization
	OUs          []string
	Targets      []string
}

// OrganizationLevelsOf returns the levels of a member account (joined, and
// not closed for good); ErrNotFound for an account outside any
// organization. Every read is by key: the account, the organization, and at
// most MaxOUDepth OUs.
func (tx *Tx) OrganizationLevelsOf(accountID string) (OrganizationLevels, error) {
	a, err := tx.Account(accountID)
	if err != nil {
		return OrganizationLevels{}, err
	}
	if a.OrganizationID == "" || !a.MemberOf(a.OrganizationID, tx.now) {
		return OrganizationLevels{}, fmt.Errorf("organization of account %s: %w", accountID, ErrNotFound)
	}
	org, err := tx.Organization(a.OrganizationID)
	if err != nil {
		return OrganizationLevels{}, err
	}
	ous, err := tx.OUPath(org, a.AccountParent(org))
	if err != nil {
		return OrganizationLevels{}, err
	}
	targets := append(append([]string{org.RootID}, ous...), accountID)
	return OrganizationLevels{Organization: org, OUs: ous, Targets: targets}, nil
}

// RemoveFromOrganization makes a member account standalone: it leaves the
// tree, loses its policy attachments and its delegations (the caller stores
// org afterwards).
func (tx *Tx) RemoveFromOrganization(org *Organization, a Account) error {
	if err := tx.detachAll(org.ID, a.ID); err != nil {
		return err
	}
	for sp := range org.DelegatedAdministrators {
		org.RemoveDelegatedAdministrator(sp, a.ID)
	}
	a.OrganizationID, a.ParentID, a.JoinedMethod, a.JoinedAt, a.Tags = "", "", "", time.Time{}, nil
	return tx.PutAccount(a)
}

// DeleteOrganization removes an organization whose only account left is
// its management account: its OUs, its policies, every attachment, and the
// management account's membership.
func (tx *Tx) DeleteOrganization(org Organization) error {
	ous, accounts := tx.OrganizationTree(org)
	for i := len(ous) - 1; i >= 0; i-- {
		if err := tx.DeleteOrganizationalUnit(ous[i]); err != nil {
			return err
		}
	}
	for _, id := range accounts {
		a, err := tx.Account(id)
		if err != nil {
			return err
		}
		if err := tx.RemoveFromOrganization(&org, a); err != nil {
			return err
		}
	}
	if err := tx.detachAll(org.ID, org.RootID); err != nil {
		return err
	}
	policies, err := tx.OrganizationPolicies(org.ID, "")
	if err != nil {
		return err
	}
	for _, p := range policies {
		if err := tx.DeleteOrganizationPolicy(org.ID, p.ID); err != nil {
			return err
		}
	}
	return tx.delete(organizationsBucket, org.ID)
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
