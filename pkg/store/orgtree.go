package store

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Child types of the organization tree, as Organizations names them.
const (
	ChildAccount            = "ACCOUNT"
	ChildOrganizationalUnit = "ORGANIZATIONAL_UNIT"
)

// MaxOUDepth is how deep OUs nest under the root (AWS: five levels).
const MaxOUDepth = 5

// OrganizationalUnit is an OU of an organization's tree.
type OrganizationalUnit struct {
	ID             string            `json:"id"`
	OrganizationID string            `json:"organization_id"`
	ParentID       string            `json:"parent_id"` // the root or another OU
	Name           string            `json:"name"`
	CreatedAt      time.Time         `json:"created_at"`
	Tags           map[string]string `json:"tags,omitempty"`
}

// OrganizationalUnit returns the OU with id.
func (tx *Tx) OrganizationalUnit(id string) (OrganizationalUnit, error) {
	var ou OrganizationalUnit
	if err := tx.get(ousBucket, id, &ou); err != nil {
		return OrganizationalUnit{}, fmt.Errorf("organizational unit %s: %w", id, err)
	}
	return ou, nil
}

// PutOrganizationalUnit creates or replaces an OU, with its entries in the
// index of its parent's children and the index of OU names.
func (tx *Tx) PutOrganizationalUnit(ou OrganizationalUnit) error {
	return putIndexed(tx, ousBucket, ou.ID, ou, ouIndexEntries)
}

// DeleteOrganizationalUnit removes an OU, its index entries and its policy
// attachments. Emptying it first is the caller's business.
func (tx *Tx) DeleteOrganizationalUnit(id string) error {
	ou, err := tx.OrganizationalUnit(id)
	if err != nil {
		return err
	}
	if err := tx.detachAll(ou.OrganizationID, id); err != nil {
		return err
	}
	return deleteIndexed(tx, ousBucket, id, ouIndexEntries)
}

// ChildOUNamed returns the id of the OU named name directly under parentID
// (names compare exactly); ErrNotFound when there is none.
func (tx *Tx) ChildOUNamed(parentID, name string) (string, error) {
	p := []byte(ouNamePrefix(parentID, name))
	c := tx.btx.Bucket(ouNames).Cursor()
	for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
		// A name holding NUL could share the prefix; the OU itself decides.
		if ou, err := tx.OrganizationalUnit(string(k[len(p):])); err == nil && ou.ParentID == parentID && ou.Name == name {
			return ou.ID, nil
		}
	}
	return "", fmt.Errorf("OU %q under %s: %w", name, parentID, ErrNotFound)
}

// NewOrganizationalUnitID returns an unused OU id: ou-, the root id's
// characters, -, and eight more.
func (tx *Tx) NewOrganizationalUnitID(rootID string) string {
	for {
		id := "ou-" + strings.TrimPrefix(rootID, "r-") + "-" + randomString(lowerAlnum[:26], 1) + randomString(lowerAlnum, 7)
		if !tx.exists(ousBucket, id) {
			return id
		}
	}
}

// Child is one entry of a parent's children.
type Child struct {
	ID   string
	Type string // ChildAccount or ChildOrganizationalUnit
}

// Children lists the children of a root or OU, of one type or (childType
// "") both, OUs first, each type ordered by id. Accounts still being created
// are listed too: callers that show members filter them (Account.MemberOf).
func (tx *Tx) Children(parentID, childType string) []Child {
	prefix := parentID + "\x00"
	if childType != "" {
		prefix += childType + "\x00"
	}
	var out []Child
	c := tx.btx.Bucket(childrenByParent).Cursor()
	p := []byte(prefix)
	for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
		parts := strings.SplitN(string(k), "\x00", 3)
		if len(parts) == 3 {
			out = append(out, Child{ID: parts[2], Type: parts[1]})
		}
	}
	// ACCOUNT sorts before ORGANIZATIONAL_UNIT in the index; OUs come first
	// in listings, as the tree is usually read top-down.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Type > out[j].Type })
	return out
}

// HasChildren reports whether a root or OU has any child.
func (tx *Tx) HasChildren(parentID string) bool {
	p := []byte(parentID + "\x00")
	k, _ := tx.btx.Bucket(childrenByParent).Cursor().Seek(p)
	return k != nil && hasPrefix(k, p)
}

// AccountParent is the root or OU an organization's account sits under.
func (a Account) AccountParent(org Organization) string {
	if a.ParentID != "" {
		return a.ParentID
	}
	return org.RootID
}

// OUPath returns the ids of the OUs from the root down to parentID
// (included when it is an OU; empty for the root itself): at most
// MaxOUDepth lookups by key. ErrNotFound when parentID is neither the
// organization's root nor one of its OUs.
func (tx *Tx) OUPath(org Organization, parentID string) ([]string, error) {
	var path []string
	for id := parentID; id != org.RootID; {
		if len(path) > MaxOUDepth {
			return nil, fmt.Errorf("OU path of %s is deeper than %d", parentID, MaxOUDepth)
		}
		ou, err := tx.OrganizationalUnit(id)
		if err != nil {
			return nil, err
		}
		if ou.OrganizationID != org.ID {
			return nil, fmt.Errorf("organizational unit %s in %s: %w", id, org.ID, ErrNotFound)
		}
		path = append(path, id)
		id = ou.ParentID
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path, nil
}

// SubtreeDepth is how many levels of OUs there are under ouID, itself
// included (1 for an OU without child OUs).
func (tx *Tx) SubtreeDepth(ouID string) int {
	deepest := 0
	for _, c := range tx.Children(ouID, ChildOrganizationalUnit) {
		deepest = max(deepest, tx.SubtreeDepth(c.ID))
	}
	return deepest + 1
}

// OrganizationTree lists every OU and every account id of the organization
// (joined or still being created) by walking the children index from the
// root, parents before children.
func (tx *Tx) OrganizationTree(org Organization) (ous []string, accounts []string) {
	queue := []string{org.RootID}
	for len(queue) > 0 {
		parent := queue[0]
		queue = queue[1:]
		for _, c := range tx.Children(parent, "") {
			if c.Type == ChildOrganizationalUnit {
				ous = append(ous, c.ID)
				queue = append(queue, c.ID)
			} else {
				accounts = append(accounts, c.ID)
			}
		}
	}
	return ous, accounts
}

// placeAccountsUnderRoots puts the organizations' accounts that have no
// parent (data files written before OUs existed) under their root, so that
// the children index knows them. It reads the accounts once, at open.
func (tx *Tx) placeAccountsUnderRoots() error {
	var orphans []Account
	err := each(tx, accountsBucket, "", func(_ string, a *Account) error {
		if a.OrganizationID != "" && a.ParentID == "" {
			orphans = append(orphans, *a)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, a := range orphans {
		org, err := tx.Organization(a.OrganizationID)
		if err != nil {
			continue // an account of a vanished organization stays as it is
		}
		a.ParentID = org.RootID
		if err := tx.PutAccount(a); err != nil {
			return err
		}
	}
	return nil
}
