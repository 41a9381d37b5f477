package pipeline

import (
	"strings"

	"github.com/rootaccess/emulator/pkg/policy"
	"github.com/rootaccess/emulator/pkg/store"
)

// organizationInputs is what AWS Organizations adds to one authorization:
// the global condition keys that name the caller's and the resource's
// organizations, and the SCP and RCP levels that limit the request.
type organizationInputs struct {
	context map[string][]string
	scp     [][]*policy.Document
	rcp     [][]*policy.Document
}

// organizationInputsOf reads, in the authorizer's transaction, the
// organizations of the caller's account and of the resource owner's: every
// read is by key (the account, its organization, at most five OUs, then one
// prefix seek of the attachment index per level).
//
//   - SCPs bind every principal of a member account (IAM users, roles and
//     their sessions, the root user's keys and AssumeRoot sessions), never
//     those of the management account, and only while SCPs are enabled.
//   - RCPs bind requests to resources owned by a member account, whoever
//     makes them, for the services RCPs support, never resources of the
//     management account, and only while RCPs are enabled. A request that
//     names no resource ("*") has no owner's RCPs to apply.
func (s *Authorizer) organizationInputsOf(tx *store.Tx, id Identity, action string, res Resource) (organizationInputs, error) {
	in := organizationInputs{context: map[string][]string{
		// No request reaches the emulator from an AWS service principal.
		"aws:PrincipalIsAWSService": {"false"},
	}}
	caller, callerIn := levelsOf(tx, id.AccountID)
	if callerIn {
		org := caller.Organization
		in.context["aws:PrincipalOrgID"] = []string{org.ID}
		in.context["aws:PrincipalOrgPaths"] = []string{policy.OrganizationPath(org.ID, org.RootID, caller.OUs...)}
		if id.AccountID != org.ManagementAccountID && org.PolicyTypeEnabled(store.ServiceControlPolicyType) {
			in.scp = s.levelDocuments(tx, caller, store.ServiceControlPolicyType)
		}
	}
	owner, ownerIn := caller, callerIn
	if res.Account != id.AccountID {
		owner, ownerIn = levelsOf(tx, res.Account)
	}
	if ownerIn {
		org := owner.Organization
		in.context["aws:ResourceOrgID"] = []string{org.ID}
		in.context["aws:ResourceOrgPaths"] = []string{policy.OrganizationPath(org.ID, org.RootID, owner.OUs...)}
		service, _, _ := strings.Cut(action, ":")
		if res.Account != org.ManagementAccountID && res.ARN != "*" && org.PolicyTypeEnabled(store.ResourceControlPolicyType) &&
			policy.RCPSupportsService(service) {
			in.rcp = s.levelDocuments(tx, owner, store.ResourceControlPolicyType)
		}
	}
	return in, nil
}

// levelsOf is the organization levels of a member account; false for an
// account outside any organization (or unknown).
func levelsOf(tx *store.Tx, accountID string) (store.OrganizationLevels, bool) {
	if accountID == "" {
		return store.OrganizationLevels{}, false
	}
	l, err := tx.OrganizationLevelsOf(accountID)
	return l, err == nil
}

// levelDocuments returns, for each level from the root down to the account,
// the parsed documents of the policies of policyType attached to it. A
// level with none stays empty, which denies (only possible for data written
// outside the API, which keeps one SCP on every target).
func (s *Authorizer) levelDocuments(tx *store.Tx, l store.OrganizationLevels, policyType string) [][]*policy.Document {
	kind := policy.ServiceControlPolicy
	if policyType == store.ResourceControlPolicyType {
		kind = policy.ResourceControlPolicy
	}
	levels := make([][]*policy.Document, 0, len(l.Targets))
	for _, target := range l.Targets {
		var docs []*policy.Document
		for _, pid := range tx.AttachedPolicies(target, policyType) {
			if m, ok := policy.OrganizationManagedPolicyByID(pid); ok {
				docs = append(docs, m.Document())
				continue
			}
			p, err := tx.OrganizationPolicy(l.Organization.ID, pid)
			if err != nil {
				s.log.Warn("attached organization policy is missing", "policy", pid, "target", target, "error", err)
				continue
			}
			doc, err := parsedPolicy(p.Content, kind)
			if err != nil {
				// Validated when it was written; skip one that no longer parses
				// rather than failing every request on it.
				s.log.Warn("unparsable organization policy", "policy", pid, "error", err)
				continue
			}
			docs = append(docs, doc)
		}
		levels = append(levels, docs)
	}
	return levels
}
