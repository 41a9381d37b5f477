package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rootaccess/emulator/pkg/policy"
	"github.com/rootaccess/emulator/pkg/store"
)

// ScenarioOrganization is the organization's tree and its policies: policy
// types to enable, OUs (nested), and SCPs or RCPs with the targets to attach
// them to. Accounts name their OU with ScenarioAccount.OU.
type ScenarioOrganization struct {
	PolicyTypes         []string         `json:"policy_types,omitempty"` // SERVICE_CONTROL_POLICY, RESOURCE_CONTROL_POLICY
	OrganizationalUnits []ScenarioOU     `json:"organizational_units,omitempty"`
	Policies            []ScenarioPolicy `json:"policies,omitempty"`
}

// ScenarioOU is an OU under the root (or under the OU that lists it), with
// its own child OUs. An OU of that name that exists already is reused.
type ScenarioOU struct {
	Name     string            `json:"name"`
	Tags     map[string]string `json:"tags,omitempty"`
	Children []ScenarioOU      `json:"children,omitempty"`
}

// ScenarioPolicy is a customer-managed SCP or RCP and where it is attached.
// Targets are "root", "ou:<path>" (OU names from the root, joined by "/",
// e.g. "ou:workloads/prod") or "account:<name>" (an account of the scenario
// by name, or "account:management").
type ScenarioPolicy struct {
	Name        string          `json:"name"`
	Type        string          `json:"type"`
	Description string          `json:"description,omitempty"`
	Content     json.RawMessage `json:"content"` // a JSON object, or a string holding one
	Targets     []string        `json:"targets,omitempty"`
}

// ScenarioOrganizationResult tells the ids of the OUs and policies a scenario made.
type ScenarioOrganizationResult struct {
	OrganizationalUnits []ScenarioNamedID `json:"organizational_units,omitempty"` // name = the OU's path
	Policies            []ScenarioNamedID `json:"policies,omitempty"`
}

// ScenarioNamedID pairs what a scenario called something with its id.
type ScenarioNamedID struct {
	Name string `json:"name"`
	ID   string `json:"id"`
}

// scenarioTree is what the organization part of a scenario built, for the
// accounts and policies that refer to it.
type scenarioTree struct {
	org      *store.Organization
	ous      map[string]string // OU path → id
	accounts map[string]string // account name → id
	result   ScenarioOrganizationResult
}

// applyScenarioTree enables the policy types and creates the OUs, before
// the accounts are applied.
func applyScenarioTree(tx *store.Tx, org *store.Organization, so ScenarioOrganization) (*scenarioTree, error) {
	t := &scenarioTree{org: org, ous: map[string]string{}, accounts: map[string]string{}}
	if org.FeatureSet != "ALL" && (len(so.PolicyTypes) > 0 || len(so.Policies) > 0) {
		return nil, scenarioError("organization: policies need an organization with all features")
	}
	for _, pt := range so.PolicyTypes {
		if pt != store.ServiceControlPolicyType && pt != store.ResourceControlPolicyType {
			return nil, scenarioError("organization.policy_types: %q is not SERVICE_CONTROL_POLICY or RESOURCE_CONTROL_POLICY", pt)
		}
		if !org.PolicyTypeEnabled(pt) {
			if err := tx.EnablePolicyType(org, pt); err != nil {
				return nil, err
			}
		}
	}
	if err := t.createOUs(tx, org.RootID, "", so.OrganizationalUnits, 1); err != nil {
		return nil, err
	}
	return t, tx.PutOrganization(*org)
}

func (t *scenarioTree) createOUs(tx *store.Tx, parentID, parentPath string, specs []ScenarioOU, depth int) error {
	for _, spec := range specs {
		path := spec.Name
		if parentPath != "" {
			path = parentPath + "/" + spec.Name
		}
		where := "organization.organizational_units: " + path
		switch {
		case spec.Name == "" || len(spec.Name) > 128 || strings.Contains(spec.Name, "/"):
			return scenarioError("%s: name is required (1 to 128 characters, no /)", where)
		case depth > store.MaxOUDepth:
			return scenarioError("%s: OUs nest at most %d levels deep", where, store.MaxOUDepth)
		case len(spec.Tags) > 50:
			return scenarioError("%s: at most 50 tags", where)
		}
		id, err := tx.ChildOUNamed(parentID, spec.Name)
		if errors.Is(err, store.ErrNotFound) {
			ou := store.OrganizationalUnit{ID: tx.NewOrganizationalUnitID(t.org.RootID), OrganizationID: t.org.ID,
				ParentID: parentID, Name: spec.Name, CreatedAt: tx.Now(), Tags: spec.Tags}
			if err := tx.PutOrganizationalUnit(ou); err != nil {
				return err
			}
			if err := tx.AttachManagedPolicies(*t.org, ou.ID); err != nil {
				return err
			}
			t.org.OrganizationalUnits++
			id = ou.ID
		} else if err != nil {
			return err
		}
		t.ous[path] = id
		t.result.OrganizationalUnits = append(t.result.OrganizationalUnits, ScenarioNamedID{Name: path, ID: id})
		if err := t.createOUs(tx, id, path, spec.Children, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// placeAccount moves an account of the scenario into the OU at path.
func (t *scenarioTree) placeAccount(tx *store.Tx, acct store.Account, path, where string) error {
	if path == "" {
		return nil
	}
	id, ok := t.ous[path]
	if !ok {
		return scenarioError("%s: ou %q is not one of the scenario's organizational_units", where, path)
	}
	acct.ParentID = id
	return tx.PutAccount(acct)
}

// applyPolicies creates the policies and attaches them, after the accounts.
func (t *scenarioTree) applyPolicies(tx *store.Tx, specs []ScenarioPolicy, mgmtID string) error {
	t.accounts["management"] = mgmtID
	for i, spec := range specs {
		where := fmt.Sprintf("organization.policies[%d]", i)
		if spec.Name == "" || len(spec.Name) > 128 {
			return scenarioError("%s: name is required (1 to 128 characters)", where)
		}
		kind := policy.ServiceControlPolicy
		switch spec.Type {
		case store.ServiceControlPolicyType:
		case store.ResourceControlPolicyType:
			kind = policy.ResourceControlPolicy
		default:
			return scenarioError("%s: type must be SERVICE_CONTROL_POLICY or RESOURCE_CONTROL_POLICY", where)
		}
		if !t.org.PolicyTypeEnabled(spec.Type) {
			return scenarioError("%s: %s is not enabled (list it in organization.policy_types)", where, spec.Type)
		}
		content, err := scenarioPolicy(spec.Content, "", mgmtID)
		if err != nil || content == "" {
			return scenarioError("%s: content must be a policy document (an object, or a string holding one)", where)
		}
		content = strings.ReplaceAll(content, "{{organization_id}}", t.org.ID)
		if _, err := policy.ParseAs([]byte(content), kind); err != nil {
			return scenarioError("%s: %v", where, err)
		}
		existing, err := tx.OrganizationPolicies(t.org.ID, spec.Type)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(existing, func(p store.OrganizationPolicy) bool { return p.Name == spec.Name }) {
			return scenarioError("%s: a %s named %q exists already", where, spec.Type, spec.Name)
		}
		p := store.OrganizationPolicy{ID: tx.NewPolicyID(t.org.ID), OrganizationID: t.org.ID, Type: spec.Type,
			Name: spec.Name, Description: spec.Description, Content: content, CreatedAt: tx.Now()}
		if err := tx.PutOrganizationPolicy(p); err != nil {
			return err
		}
		for _, ref := range spec.Targets {
			target, err := t.target(ref)
			if err != nil {
				return scenarioError("%s.targets: %v", where, err)
			}
			if len(tx.AttachedPolicies(target, spec.Type)) >= 5 {
				return scenarioError("%s.targets: %s already has 5 policies of type %s", where, ref, spec.Type)
			}
			if err := tx.AttachPolicy(t.org.ID, spec.Type, p.ID, target); err != nil {
				return scenarioError("%s.targets: %s: %v", where, ref, err)
			}
		}
		t.result.Policies = append(t.result.Policies, ScenarioNamedID{Name: spec.Name, ID: p.ID})
	}
	return nil
}

// target resolves a policy target reference to the root, OU or account id.
func (t *scenarioTree) target(ref string) (string, error) {
	kind, name, _ := strings.Cut(ref, ":")
	switch {
	case ref == "root":
		return t.org.RootID, nil
	case kind == "ou":
		if id, ok := t.ous[name]; ok {
			return id, nil
		}
	case kind == "account":
		if id, ok := t.accounts[name]; ok {
			return id, nil
		}
	default:
		return "", fmt.Errorf("%q is not root, ou:<path> or account:<name>", ref)
	}
	return "", fmt.Errorf("%q names nothing the scenario has", ref)
}
