package store

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Secondary indexes. Each maps a lookup to the primary key of a record, in
// its key alone (values are empty), so that a lookup is a prefix seek that
// never decodes a record it does not return. They are written in the same
// transaction as their record (see putIndexed and deleteIndexed) and built
// from the data when a file of an older schema is opened (rebuildIndexes).
var (
	// credentialsByPrincipal: principal ARN \0 access key id, long-term keys only.
	credentialsByPrincipal = []byte("idx_credentials_by_principal")
	// sessionsByExpiry: timeKey(ExpiresAt) access key id, temporary credentials only.
	sessionsByExpiry = []byte("idx_sessions_by_expiry")
	// accountsByEmail: foldKey(email) \0 account id.
	accountsByEmail = []byte("idx_accounts_by_email")
	// accountsByScope: scope \0 timeKey(JoinedAt) account id, where scope is
	// the organization id ("o-…"). A parent (root "r-…" or OU "ou-…") is a
	// scope of its own in the same index: ids of the three kinds never
	// collide, so listing a parent's accounts is the same prefix seek.
	accountsByScope = []byte("idx_accounts_by_scope")
	// createStatusesByOrg: organization id \0 timeKey(RequestedAt) request id.
	createStatusesByOrg = []byte("idx_create_statuses_by_org")
	// principalsByName: account id \0 kind \0 foldKey(name) \0 ARN.
	principalsByName = []byte("idx_principals_by_name")
	// bucketsByOwner: owner account id \0 bucket name.
	bucketsByOwner = []byte("idx_buckets_by_owner")
	// childrenByParent: parent (root or OU id) \0 child type \0 child id,
	// for accounts and OUs (orgtree.go).
	childrenByParent = []byte("idx_org_children")
	// ouNames: parent id \0 OU name \0 OU id, for names unique among siblings.
	ouNames = []byte("idx_org_unit_names")

	// queuesByDeadLetterTarget: dead-letter queue key \0 source queue key.
	// Built from the queues when a file of an older schema is opened.
	queuesByDeadLetterTarget = []byte("idx_queues_by_dead_letter_target")
	// groupMembers: group ARN \0 user ARN, from the users' Groups. Built from the users like the others.
	groupMembers = []byte("idx_group_members")
	// iamPoliciesByName: account id \0 foldKey(policy name) \0 policy ARN,
	// for customer managed policies.
	iamPoliciesByName = []byte("idx_iam_policies_by_name")
	// policyAttachments: account id \0 managed policy ARN \0 user, role or
	// group ARN, from the principals' ManagedPolicies.
	policyAttachments = []byte("idx_iam_policy_attachments")

	indexBuckets = [][]byte{credentialsByPrincipal, sessionsByExpiry, accountsByEmail, accountsByScope,
		createStatusesByOrg, principalsByName, bucketsByOwner, childrenByParent, ouNames,
		queuesByDeadLetterTarget, groupMembers, iamPoliciesByName, policyAttachments}
)

// indexEntry is one key of one index.
type indexEntry struct {
	bucket []byte
	key    string
}

func credentialIndexEntries(c Credential) []indexEntry {
	if c.Temporary() {
		return []indexEntry{{sessionsByExpiry, timeKey(c.ExpiresAt) + c.AccessKeyID}}
	}
	return []indexEntry{{credentialsByPrincipal, c.PrincipalARN + "\x00" + c.AccessKeyID}}
}

func accountIndexEntries(a Account) []indexEntry {
	out := []indexEntry{{accountsByEmail, foldKey(a.Email) + "\x00" + a.ID}}
	if a.OrganizationID != "" {
		out = append(out, indexEntry{accountsByScope, a.OrganizationID + "\x00" + timeKey(a.JoinedAt) + a.ID})
	}
	if a.ParentID != "" {
		out = append(out, indexEntry{childrenByParent, childKey(a.ParentID, ChildAccount, a.ID)})
	}
	return out
}

func ouIndexEntries(ou OrganizationalUnit) []indexEntry {
	return []indexEntry{{childrenByParent, childKey(ou.ParentID, ChildOrganizationalUnit, ou.ID)},
		{ouNames, ouNamePrefix(ou.ParentID, ou.Name) + ou.ID}}
}

func childKey(parentID, childType, id string) string {
	return parentID + "\x00" + childType + "\x00" + id
}

func ouNamePrefix(parentID, name string) string { return parentID + "\x00" + name + "\x00" }

func createStatusIndexEntries(c CreateAccountStatus) []indexEntry {
	return []indexEntry{{createStatusesByOrg, c.OrganizationID + "\x00" + timeKey(c.RequestedAt) + c.ID}}
}

func principalIndexEntries(p Principal) []indexEntry {
	out := []indexEntry{{principalsByName, principalNamePrefix(p.AccountID, p.Kind) + foldKey(p.Name) + "\x00" + p.ARN}}
	for _, g := range p.Groups {
		out = append(out, indexEntry{groupMembers, g + "\x00" + p.ARN})
	}
	for _, policyARN := range p.ManagedPolicies {
		out = append(out, indexEntry{policyAttachments, policyAttachmentPrefix(p.AccountID, policyARN) + p.ARN})
	}
	return out
}

func principalNamePrefix(accountID, kind string) string { return accountID + "\x00" + kind + "\x00" }

func bucketIndexEntries(b Bucket) []indexEntry {
	return []indexEntry{{bucketsByOwner, b.Owner + "\x00" + b.Name}}
}

func queueIndexEntries(q Queue) []indexEntry {
	if q.DeadLetterTarget == nil || q.Deleted() {
		return nil
	}
	return []indexEntry{{queuesByDeadLetterTarget, q.DeadLetterTarget.key() + "\x00" + q.key()}}
}

// indexedRecords says, for each bucket of indexed records, how to compute a
// stored record's index entries: what the migration builds and what
// putIndexed replaces.
var indexedRecords = map[string]func(data []byte) ([]indexEntry, error){
	string(credentialsBucket):    entriesOf(credentialIndexEntries),
	string(accountsBucket):       entriesOf(accountIndexEntries),
	string(createStatusesBucket): entriesOf(createStatusIndexEntries),
	string(principalsBucket):     entriesOf(principalIndexEntries),
	string(bucketsBucket):        entriesOf(bucketIndexEntries),
	string(queuesBucket):         entriesOf(queueIndexEntries),
	string(ousBucket):            entriesOf(ouIndexEntries),
	string(iamPoliciesBucket):    entriesOf(iamPolicyIndexEntries),
}

func entriesOf[T any](entries func(T) []indexEntry) func([]byte) ([]indexEntry, error) {
	return func(data []byte) ([]indexEntry, error) {
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, err
		}
		return entries(v), nil
	}
}

// putIndexed writes the record v at key with the index entries entries(v),
// removing the entries of the record it replaces.
func putIndexed[T any](tx *Tx, bucket []byte, key string, v T, entries func(T) []indexEntry) error {
	var old []indexEntry
	if data := tx.btx.Bucket(bucket).Get([]byte(key)); data != nil {
		var prev T
		if err := json.Unmarshal(data, &prev); err != nil {
			return fmt.Errorf("decode %s/%s: %w", bucket, key, err)
		}
		old = entries(prev)
	}
	if err := tx.put(bucket, key, v); err != nil {
		return err
	}
	return tx.reindex(old, entries(v))
}

// deleteIndexed deletes the record at key (which must exist) and its index entries.
func deleteIndexed[T any](tx *Tx, bucket []byte, key string, entries func(T) []indexEntry) error {
	var prev T
	if err := tx.get(bucket, key, &prev); err != nil {
		return err
	}
	if err := tx.reindex(entries(prev), nil); err != nil {
		return err
	}
	return tx.delete(bucket, key)
}

// reindex deletes the entries of old that are not in new and puts those of
// new that are not in old, leaving unchanged entries (and their pages) alone.
func (tx *Tx) reindex(old, new []indexEntry) error {
	has := func(list []indexEntry, e indexEntry) bool {
		for _, x := range list {
			if x.key == e.key && string(x.bucket) == string(e.bucket) {
				return true
			}
		}
		return false
	}
	for _, e := range old {
		if !has(new, e) {
			if err := tx.btx.Bucket(e.bucket).Delete([]byte(e.key)); err != nil {
				return err
			}
		}
	}
	for _, e := range new {
		if !has(old, e) {
			if err := tx.btx.Bucket(e.bucket).Put([]byte(e.key), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// rebuildIndexes empties every index and builds it again from the records:
// the migration from schema 1, which had none.
func (tx *Tx) rebuildIndexes() error {
	for _, name := range indexBuckets {
		if err := tx.btx.DeleteBucket(name); err != nil {
			return fmt.Errorf("drop index %s: %w", name, err)
		}
		if _, err := tx.btx.CreateBucket(name); err != nil {
			return fmt.Errorf("create index %s: %w", name, err)
		}
	}
	for bucket, entries := range indexedRecords {
		err := tx.btx.Bucket([]byte(bucket)).ForEach(func(k, data []byte) error {
			es, err := entries(data)
			if err != nil {
				return fmt.Errorf("decode %s/%s: %w", bucket, k, err)
			}
			return tx.reindex(nil, es)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// timeKey encodes t in 12 bytes that sort as the times do: seconds since
// the Unix epoch with the sign bit flipped (so that times before 1970,
// the zero time included, sort first), then nanoseconds, both big-endian.
func timeKey(t time.Time) string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.Unix())^(1<<63))
	binary.BigEndian.PutUint32(b[8:], uint32(t.Nanosecond()))
	return string(b[:])
}

const timeKeyLen = 12

// timeOfKey decodes a timeKey.
func timeOfKey(k []byte) time.Time {
	secs := int64(binary.BigEndian.Uint64(k[:8]) ^ (1 << 63))
	return time.Unix(secs, int64(binary.BigEndian.Uint32(k[8:12]))).UTC()
}

// foldKey maps s to a string that is the same for exactly the strings
// strings.EqualFold deems equal: each rune becomes the lower case of the
// smallest rune of its case-folding orbit (so ASCII letters become lower
// case, and keys of ASCII names sort as their lower case does).
func foldKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r < utf8.RuneSelf { // the orbit's least rune is ASCII too (K for the Kelvin sign, S for ſ)
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
			continue
		}
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(unicode.ToLower(least))
	}
	return b.String()
}

// Cursors of the paged listings are the index position of the last item
// returned, opaque to callers: they hand back the next string they got.
func encodeCursor(position string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(position))
}

func decodeCursor(cursor string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(raw) == 0 {
		return "", fmt.Errorf("cursor %q: %w", cursor, ErrInvalidCursor)
	}
	return string(raw), nil
}

// pageIndex walks the index bucket under prefix in key order, starting
// after the position the cursor after names (when "", at position from,
// "" for the first key), and calls
// load with each entry's key without the prefix. load returns the item,
// whether it belongs on the page (false skips it) and whether the walk
// must stop there (the item is then not taken). It returns at most limit
// items (limit <= 0: all) and the cursor of the next page, "" when no
// further item was found.
func pageIndex[T any](tx *Tx, bucket []byte, prefix, from, after string, limit int,
	load func(rest []byte) (item T, ok, stop bool, err error)) ([]T, string, error) {
	start := prefix + from
	if after != "" {
		position, err := decodeCursor(after)
		if err != nil {
			return nil, "", err
		}
		start = prefix + position
	}
	out := []T{}
	c := tx.btx.Bucket(bucket).Cursor()
	p := []byte(prefix)
	last := ""
	for k, _ := c.Seek([]byte(start)); k != nil && hasPrefix(k, p); k, _ = c.Next() {
		rest := k[len(p):]
		if after != "" && string(k) == start {
			continue // the last item of the previous page
		}
		item, ok, stop, err := load(rest)
		if err != nil {
			return nil, "", err
		}
		if stop {
			break
		}
		if !ok {
			continue
		}
		if limit > 0 && len(out) == limit {
			return out, encodeCursor(last), nil
		}
		out = append(out, item)
		last = string(rest)
	}
	return out, "", nil
}
