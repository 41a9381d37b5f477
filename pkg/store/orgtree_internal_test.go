package store

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOrganizationTree_IndexesFollowEveryChange: OUs and accounts created,
// renamed, moved and deleted keep the children and OU-name indexes exact;
// attachments are found from both sides; deleting the organization leaves
// nothing of the tree behind.
func TestOrganizationTree_IndexesFollowEveryChange(t *testing.T) {
	st := openTestStore(t)
	ctx := context.Background()
	var org Organization
	var ouA, ouB, member string
	require.NoError(t, st.Update(ctx, func(tx *Tx) error {
		mgmt := Account{ID: "111111111111", Email: "m@example.com", CreatedAt: tx.Now()}
		require.NoError(t, tx.PutAccount(mgmt))
		var err error
		org, err = tx.CreateOrganization(mgmt.ID, "ALL")
		require.NoError(t, err)
		require.NoError(t, tx.EnablePolicyType(&org, ServiceControlPolicyType))
		require.NoError(t, tx.PutOrganization(org))
		ouA = tx.NewOrganizationalUnitID(org.RootID)
		require.NoError(t, tx.PutOrganizationalUnit(OrganizationalUnit{ID: ouA, OrganizationID: org.ID, ParentID: org.RootID, Name: "a"}))
		require.NoError(t, tx.AttachManagedPolicies(org, ouA))
		ouB = tx.NewOrganizationalUnitID(org.RootID)
		require.NoError(t, tx.PutOrganizationalUnit(OrganizationalUnit{ID: ouB, OrganizationID: org.ID, ParentID: ouA, Name: "b"}))
		a, err := tx.CreateMemberAccount(org, "member", "member@example.com", OrganizationAccessRoleName,
			OrganizationAccessRoleTrust(mgmt.ID), tx.Now())
		require.NoError(t, err)
		member = a.ID
		return checkIndexes(tx)
	}))

	require.NoError(t, st.View(ctx, func(tx *Tx) error {
		assert.Equal(t, []Child{{ID: ouA, Type: ChildOrganizationalUnit}}, tx.Children(org.RootID, ChildOrganizationalUnit))
		assert.ElementsMatch(t, []Child{{ID: "111111111111", Type: ChildAccount}, {ID: member, Type: ChildAccount}}, tx.Children(org.RootID, ChildAccount))
		path, err := tx.OUPath(org, ouB)
		require.NoError(t, err)
		assert.Equal(t, []string{ouA, ouB}, path)
		assert.Equal(t, 2, tx.SubtreeDepth(ouA))
		id, err := tx.ChildOUNamed(ouA, "b")
		require.NoError(t, err)
		assert.Equal(t, ouB, id)
		assert.Equal(t, []string{"p-FullAWSAccess"}, tx.AttachedPolicies(member, ServiceControlPolicyType), "a new member gets the managed SCP")
		assert.ElementsMatch(t, []string{org.RootID, ouA, "111111111111", member}, tx.PolicyTargets(org.ID, "p-FullAWSAccess"))
		return nil
	}))

	require.NoError(t, st.Update(ctx, func(tx *Tx) error {
		// Rename and move B under the root; move the member into B.
		ou, err := tx.OrganizationalUnit(ouB)
		require.NoError(t, err)
		ou.Name, ou.ParentID = "b2", org.RootID
		require.NoError(t, tx.PutOrganizationalUnit(ou))
		a, err := tx.Account(member)
		require.NoError(t, err)
		a.ParentID = ouB
		require.NoError(t, tx.PutAccount(a))
		require.NoError(t, tx.AttachPolicy(org.ID, ServiceControlPolicyType, "p-custom01", ouB))
		return checkIndexes(tx)
	}))
	require.NoError(t, st.View(ctx, func(tx *Tx) error {
		_, err := tx.ChildOUNamed(ouA, "b")
		assert.ErrorIs(t, err, ErrNotFound, "the old name under the old parent is free")
		assert.False(t, tx.HasChildren(ouA))
		assert.Equal(t, []Child{{ID: member, Type: ChildAccount}}, tx.Children(ouB, ""))
		levels, err := tx.OrganizationLevelsOf(member)
		require.NoError(t, err)
		assert.Equal(t, []string{org.RootID, ouB, member}, levels.Targets)
		return nil
	}))

	require.NoError(t, st.Update(ctx, func(tx *Tx) error {
		a, err := tx.Account(member)
		require.NoError(t, err)
		require.NoError(t, tx.RemoveFromOrganization(&org, a))
		require.NoError(t, tx.DeleteOrganizationalUnit(ouB))
		assert.Empty(t, tx.PolicyTargets(org.ID, "p-custom01"), "deleting an OU detaches its policies")
		require.NoError(t, tx.DeleteOrganization(org))
		return checkIndexes(tx)
	}))
	require.NoError(t, st.View(ctx, func(tx *Tx) error {
		assert.Empty(t, tx.Children(org.RootID, ""))
		assert.Empty(t, tx.PolicyTargets(org.ID, "p-FullAWSAccess"))
		_, err := tx.OrganizationalUnit(ouA)
		assert.ErrorIs(t, err, ErrNotFound)
		mgmt, err := tx.Account("111111111111")
		require.NoError(t, err)
		assert.Empty(t, mgmt.OrganizationID)
		_, err = tx.OrganizationLevelsOf(member)
		assert.ErrorIs(t, err, ErrNotFound)
		return nil
	}))
}
