package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// checkIndexes verifies that every index holds exactly the entries its
// records call for: none missing, none stale, none extra.
func checkIndexes(tx *Tx) error {
	want := map[string]map[string]bool{}
	for _, name := range indexBuckets {
		want[string(name)] = map[string]bool{}
	}
	for bucket, entries := range indexedRecords {
		err := tx.btx.Bucket([]byte(bucket)).ForEach(func(k, data []byte) error {
			es, err := entries(data)
			if err != nil {
				return fmt.Errorf("decode %s/%q: %w", bucket, k, err)
			}
			for _, e := range es {
				want[string(e.bucket)][e.key] = true
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	var problems []string
	for _, name := range indexBuckets {
		got := map[string]bool{}
		err := tx.btx.Bucket(name).ForEach(func(k, v []byte) error {
			got[string(k)] = true
			if len(v) != 0 {
				problems = append(problems, fmt.Sprintf("%s: %q has a value", name, k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for k := range want[string(name)] {
			if !got[k] {
				problems = append(problems, fmt.Sprintf("%s: missing %q", name, k))
			}
		}
		for k := range got {
			if !want[string(name)][k] {
				problems = append(problems, fmt.Sprintf("%s: stale %q", name, k))
			}
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

// checkLookups compares what the indexed lookups answer with the same
// question answered by reading every record, so that a wrong index key
// (not only a stale one) is caught.
func checkLookups(t *testing.T, tx *Tx, rng *rand.Rand) {
	t.Helper()
	accounts, err := tx.Accounts()
	require.NoError(t, err)
	var creds []Credential
	require.NoError(t, each(tx, credentialsBucket, "", func(_ string, c *Credential) error {
		creds = append(creds, *c)
		return nil
	}))
	var principals []Principal
	require.NoError(t, each(tx, principalsBucket, "", func(_ string, p *Principal) error {
		principals = append(principals, *p)
		return nil
	}))
	var buckets []Bucket
	require.NoError(t, each(tx, bucketsBucket, "", func(_ string, b *Bucket) error {
		buckets = append(buckets, *b)
		return nil
	}))
	var statuses []CreateAccountStatus
	require.NoError(t, each(tx, createStatusesBucket, "", func(_ string, c *CreateAccountStatus) error {
		statuses = append(statuses, *c)
		return nil
	}))
	limit := 1 + rng.IntN(3)

	orgs := map[string]bool{}
	for _, a := range accounts {
		got, err := tx.AccountByEmail(strings.ToUpper(a.Email))
		require.NoError(t, err, a.Email)
		first := slices.IndexFunc(accounts, func(b Account) bool { return strings.EqualFold(b.Email, a.Email) })
		assert.Equal(t, accounts[first].ID, got.ID, "the first account with the email, by id")
		if a.OrganizationID != "" {
			orgs[a.OrganizationID] = true
		}
	}
	_, err = tx.AccountByEmail("nobody@example.com")
	assert.ErrorIs(t, err, ErrNotFound)
	for org := range orgs {
		var want []Account
		for _, a := range accounts {
			if a.MemberOf(org, tx.now) {
				want = append(want, a)
			}
		}
		sortByTime(want, func(a Account) time.Time { return a.JoinedAt })
		got, err := tx.OrganizationAccounts(org)
		require.NoError(t, err)
		assert.Equal(t, ids(want, func(a Account) string { return a.ID }), ids(got, func(a Account) string { return a.ID }), org)
		paged := allPages(t, limit, func(after string, limit int) ([]Account, string, error) {
			return tx.OrganizationAccountsPage(org, after, limit)
		})
		assert.Equal(t, ids(want, func(a Account) string { return a.ID }), ids(paged, func(a Account) string { return a.ID }), org)

		var wantStatuses []CreateAccountStatus
		for _, c := range statuses {
			if c.OrganizationID == org {
				wantStatuses = append(wantStatuses, c)
			}
		}
		sortByTime(wantStatuses, func(c CreateAccountStatus) time.Time { return c.RequestedAt })
		gotStatuses, err := tx.CreateAccountStatuses(org)
		require.NoError(t, err)
		assert.Equal(t, ids(wantStatuses, func(c CreateAccountStatus) string { return c.ID }), ids(gotStatuses, func(c CreateAccountStatus) string { return c.ID }))
	}

	holders := map[string]bool{}
	for _, c := range creds {
		holders[c.PrincipalARN] = true
	}
	for arn := range holders {
		var want []Credential
		for _, c := range creds {
			if c.PrincipalARN == arn && !c.Temporary() {
				want = append(want, c)
			}
		}
		sortByTime(want, func(c Credential) time.Time { return c.CreatedAt })
		got, err := tx.CredentialsOf(arn)
		require.NoError(t, err)
		assert.Equal(t, ids(want, func(c Credential) string { return c.AccessKeyID }), ids(got, func(c Credential) string { return c.AccessKeyID }), arn)
	}

	owners := map[string]bool{}
	for _, a := range accounts {
		owners[a.ID] = true
	}
	for _, b := range buckets {
		owners[b.Owner] = true
	}
	for _, p := range principals {
		owners[p.AccountID] = true
	}
	for owner := range owners {
		var want []string
		for _, b := range buckets {
			if b.Owner == owner {
				want = append(want, b.Name)
			}
		}
		got, err := tx.Buckets(owner)
		require.NoError(t, err)
		assert.Equal(t, want, ids(got, func(b Bucket) string { return b.Name }), owner)
		paged := allPages(t, limit, func(after string, limit int) ([]Bucket, string, error) {
			return tx.BucketsPage(owner, "", "", after, limit)
		})
		assert.Equal(t, want, ids(paged, func(b Bucket) string { return b.Name }), owner)

		users, roles, err := tx.IAMUsage(owner)
		require.NoError(t, err)
		for _, kind := range []string{PrincipalUser, PrincipalRole} {
			var want []Principal
			for _, p := range principals {
				if p.AccountID == owner && p.Kind == kind {
					want = append(want, p)
				}
			}
			slices.SortFunc(want, func(a, b Principal) int {
				return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ARN, b.ARN))
			})
			count := users
			if kind == PrincipalRole {
				count = roles
			}
			assert.Len(t, want, count, "IAMUsage of %s %s", owner, kind)
			got, err := tx.Principals(owner, kind, "/")
			require.NoError(t, err)
			assert.Equal(t, ids(want, func(p Principal) string { return p.ARN }), ids(got, func(p Principal) string { return p.ARN }))
			paged := allPages(t, limit, func(after string, limit int) ([]Principal, string, error) {
				return tx.PrincipalsPage(owner, kind, "/", after, limit)
			})
			assert.Equal(t, ids(want, func(p Principal) string { return p.ARN }), ids(paged, func(p Principal) string { return p.ARN }))
			for _, p := range want {
				named, err := tx.PrincipalNamed(owner, kind, strings.ToUpper(p.Name))
				require.NoError(t, err)
				assert.Equal(t, p.ARN, named.ARN)
			}
		}
	}
}

// checkPolicyLookups compares the policy name index and the attachment
// index with reading every policy and principal.
func checkPolicyLookups(t *testing.T, tx *Tx, limit int) {
	t.Helper()
	var policies []IAMPolicy
	require.NoError(t, each(tx, iamPoliciesBucket, "", func(_ string, p *IAMPolicy) error {
		policies = append(policies, *p)
		return nil
	}))
	var principals []Principal
	require.NoError(t, each(tx, principalsBucket, "", func(_ string, p *Principal) error {
		principals = append(principals, *p)
		return nil
	}))
	accounts := map[string]bool{}
	for _, p := range policies {
		accounts[p.AccountID] = true
	}
	for account := range accounts {
		var want []IAMPolicy
		for _, p := range policies {
			if p.AccountID == account {
				want = append(want, p)
			}
		}
		slices.SortFunc(want, func(a, b IAMPolicy) int {
			return cmp.Or(cmp.Compare(foldKey(a.Name), foldKey(b.Name)), cmp.Compare(a.ARN, b.ARN))
		})
		paged := allPages(t, limit, func(after string, limit int) ([]IAMPolicy, string, error) {
			return tx.IAMPoliciesPage(account, after, limit, nil)
		})
		assert.Equal(t, ids(want, func(p IAMPolicy) string { return p.ARN }), ids(paged, func(p IAMPolicy) string { return p.ARN }), account)
		for _, p := range want {
			named, err := tx.IAMPolicyNamed(account, strings.ToUpper(p.Name))
			require.NoError(t, err)
			assert.Equal(t, p.ARN, named.ARN)
		}
	}
	type attachment struct{ account, policy string }
	attached := map[attachment][]string{}
	for _, p := range principals {
		for _, arn := range p.ManagedPolicies {
			k := attachment{p.AccountID, arn}
			attached[k] = append(attached[k], p.ARN)
		}
	}
	for k, want := range attached {
		slices.Sort(want)
		assert.Equal(t, len(want), tx.PolicyAttachmentCount(k.account, k.policy), "%v", k)
		paged := allPages(t, limit, func(after string, limit int) ([]Principal, string, error) {
			return tx.PolicyEntitiesPage(k.account, k.policy, after, limit, nil)
		})
		assert.Equal(t, want, ids(paged, func(p Principal) string { return p.ARN }), "%v", k)
	}
}

// allPages collects every page of a paged listing, checking that each page
// but the last is full.
func allPages[T any](t *testing.T, limit int, page func(after string, limit int) ([]T, string, error)) []T {
	t.Helper()
	var out []T
	after := ""
	for range 10_000 {
		items, next, err := page(after, limit)
		require.NoError(t, err)
		out = append(out, items...)
		if next == "" {
			return out
		}
		require.Len(t, items, limit, "a page that is not the last is full")
		after = next
	}
	t.Fatal("the listing never ended")
	return nil
}

func ids[T any](items []T, id func(T) string) []string {
	var out []string
	for _, it := range items {
		out = append(out, id(it))
	}
	return out
}

// world is the random-write test's model of what exists, for choosing the
// targets of the next writes.
type world struct {
	mu       sync.Mutex
	org      Organization
	accounts []string
	users    []string // ARNs
	keys     []string
	buckets  []string
}

func (w *world) pick(rng *rand.Rand, from []string) string {
	if len(from) == 0 {
		return ""
	}
	return from[rng.IntN(len(from))]
}

var errDeliberate = errors.New("deliberate failure")

// randomWrite makes one random change in tx (sometimes failing on purpose
// after writing, to exercise rollback), and returns a function recording
// it in the model once committed.
func randomWrite(tx *Tx, rng *rand.Rand, w *world) (func(), error) {
	w.mu.Lock()
	org, acct, user, key, bucket := w.org, w.pick(rng, w.accounts), w.pick(rng, w.users), w.pick(rng, w.keys), w.pick(rng, w.buckets)
	w.mu.Unlock()
	emails := []string{"a@example.com", "B@example.com", "c@Example.com", "kelvin@example.com", "\u212aelvin@example.com"}
	noop := func() {}
	switch rng.IntN(16) {
	case 0: // a new member joining now, soon or some time ago
		joinAt := tx.now.Add(time.Duration(rng.IntN(7)-3) * time.Minute)
		a, err := tx.CreateMemberAccount(org, "m", emails[rng.IntN(len(emails))], "Access", `{}`, joinAt)
		if err != nil {
			return nil, err
		}
		role := PrincipalARN(a.ID, PrincipalRole, "/", "Access")
		return func() { w.accounts = append(w.accounts, a.ID); w.users = append(w.users, role) }, nil
	case 1: // an account outside the organization, or one changing email, organization or joining time
		a := Account{ID: acct, Email: emails[rng.IntN(len(emails))], CreatedAt: tx.now}
		if acct == "" || rng.IntN(2) == 0 {
			a.ID = tx.NewAccountID()
		} else if old, err := tx.Account(acct); err == nil {
			a = old
			a.Email = emails[rng.IntN(len(emails))]
		}
		switch rng.IntN(3) {
		case 0:
			a.OrganizationID, a.JoinedAt = org.ID, tx.now.Add(time.Duration(rng.IntN(5)-2)*time.Minute)
		case 1:
			a.OrganizationID = ""
		}
		if err := tx.PutAccount(a); err != nil {
			return nil, err
		}
		return func() {
			if !slices.Contains(w.accounts, a.ID) {
				w.accounts = append(w.accounts, a.ID)
			}
		}, nil
	case 2:
		if acct == "" || acct == org.ManagementAccountID {
			return noop, nil
		}
		if err := tx.DeleteAccount(acct); err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		return func() { w.accounts = slices.DeleteFunc(w.accounts, func(s string) bool { return s == acct }) }, nil
	case 3:
		if acct == "" {
			return noop, nil
		}
		p, err := tx.CreateUser(acct, fmt.Sprintf("User%d", rng.IntN(6)), nil)
		if errors.Is(err, ErrConflict) {
			return noop, nil
		} else if err != nil {
			return nil, err
		}
		return func() { w.users = append(w.users, p.ARN) }, nil
	case 4: // rename a user (its ARN stays: the name index must follow)
		p, err := tx.Principal(user)
		if err != nil {
			return noop, nil
		}
		p.Name = fmt.Sprintf("renamed%d", rng.IntN(1000))
		if _, err := tx.PrincipalNamed(p.AccountID, p.Kind, p.Name); err == nil {
			return noop, nil // IAM names are unique in an account (UpdateUser refuses the rename)
		}
		return noop, tx.PutPrincipal(p)
	case 5:
		if err := tx.DeletePrincipal(user); err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		return func() { w.users = slices.DeleteFunc(w.users, func(s string) bool { return s == user }) }, nil
	case 6:
		var c Credential
		var err error
		if rng.IntN(2) == 0 && acct != "" {
			c, err = tx.CreateRootAccessKey(acct, "", "")
		} else if user != "" {
			c, err = tx.CreateAccessKey(KindUser, strings.Split(user, ":")[4], user, "AIDA", "", "")
		} else {
			return noop, nil
		}
		if errors.Is(err, ErrLimitExceeded) || errors.Is(err, ErrNotFound) {
			return noop, nil
		} else if err != nil {
			return nil, err
		}
		return func() { w.keys = append(w.keys, c.AccessKeyID) }, nil
	case 7:
		if err := tx.DeleteCredential(key); err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		return func() { w.keys = slices.DeleteFunc(w.keys, func(s string) bool { return s == key }) }, nil
	case 8: // a session, or a key's last use recorded
		if c, err := tx.Credential(key); err == nil && rng.IntN(2) == 0 {
			c.LastUsedAt = tx.now
			return noop, tx.PutCredential(c)
		}
		c := Credential{AccessKeyID: tx.NewAccessKeyID("ASIA"), Kind: KindRootSession, AccountID: acct,
			PrincipalARN: RootUserARN(acct), CreatedAt: tx.now,
			ExpiresAt: tx.now.Add(time.Duration(rng.IntN(600)-300) * time.Second)}
		return func() { w.keys = append(w.keys, c.AccessKeyID) }, tx.PutCredential(c)
	case 9:
		if acct == "" {
			return noop, nil
		}
		b, err := tx.CreateBucket(Bucket{Name: fmt.Sprintf("bucket-%d", rng.IntN(20)), Owner: acct, Region: "us-east-1"})
		if errors.Is(err, ErrConflict) {
			return noop, nil
		} else if err != nil {
			return nil, err
		}
		return func() { w.buckets = append(w.buckets, b.Name) }, nil
	case 10: // a bucket changing hands or its policy
		b, err := tx.Bucket(bucket)
		if err != nil {
			return noop, nil
		}
		b.Policy = "{}"
		if acct != "" && rng.IntN(2) == 0 {
			b.Owner = acct
		}
		return noop, tx.PutBucket(b)
	case 11:
		if err := tx.DeleteBucket(bucket); err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		return func() { w.buckets = slices.DeleteFunc(w.buckets, func(s string) bool { return s == bucket }) }, nil
	case 12:
		q := Queue{QueueRef: QueueRef{AccountID: acct, Region: "us-east-1", Name: fmt.Sprintf("q%d", rng.IntN(5))}}
		if rng.IntN(3) == 0 {
			return noop, tx.DeleteQueue(q)
		}
		return noop, tx.PutQueue(q)
	case 14: // a customer managed policy created, renamed or deleted
		if acct == "" {
			return noop, nil
		}
		name := fmt.Sprintf("Policy%d", rng.IntN(4))
		existing, err := tx.IAMPolicyNamed(acct, name)
		switch {
		case err == nil && rng.IntN(2) == 0:
			return noop, tx.DeleteIAMPolicy(existing.ARN)
		case err == nil:
			existing.Name = fmt.Sprintf("renamed%d", rng.IntN(1000))
			if _, err := tx.IAMPolicyNamed(acct, existing.Name); err == nil {
				return noop, nil // policy names are unique in an account
			}
			return noop, tx.PutIAMPolicy(existing)
		}
		_, err = tx.AddIAMPolicy(IAMPolicy{AccountID: acct, Name: name, Path: []string{"/", "/team/"}[rng.IntN(2)]}, `{}`)
		return noop, err
	case 15: // a managed policy attached to or detached from a user or role
		p, err := tx.Principal(user)
		if err != nil {
			return noop, nil
		}
		arns := []string{"arn:aws:iam::aws:policy/AdministratorAccess", IAMPolicyARN(p.AccountID, "/", "Policy1")}
		arn := arns[rng.IntN(len(arns))]
		if i := slices.Index(p.ManagedPolicies, arn); i >= 0 {
			p.ManagedPolicies = slices.Delete(slices.Clone(p.ManagedPolicies), i, i+1)
		} else {
			p.ManagedPolicies = append(slices.Clone(p.ManagedPolicies), arn)
		}
		return noop, tx.PutPrincipal(p)
	default: // a create-account request, sometimes moved in time
		c := CreateAccountStatus{ID: NewCreateAccountRequestID(), OrganizationID: org.ID,
			RequestedAt: tx.now.Add(time.Duration(rng.IntN(5)) * time.Second), CompletesAt: tx.now.Add(time.Minute)}
		return noop, tx.PutCreateAccountStatus(c)
	}
}

// TestIndexesAgreeWithTheirData makes a random mix of writes, alone and in
// concurrent groups (some failing after they wrote, some panicking),
// restarts and resets, and checks after each round that every index
// agrees exactly with its records and that every indexed lookup gives what
// reading every record gives.
func TestIndexesAgreeWithTheirData(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("STORE_TEST_SEED"); s != "" { // to replay a failure
		var err error
		seed, err = strconv.ParseUint(s, 10, 64)
		require.NoError(t, err)
	}
	t.Logf("seed %d (STORE_TEST_SEED replays it)", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	var clockMu sync.Mutex
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	path := filepath.Join(t.TempDir(), "emulator.db")
	st, err := Open(path, WithNow(clock))
	require.NoError(t, err)
	defer func() { st.Close() }()

	w := &world{}
	seedWorld := func() {
		require.NoError(t, st.Update(context.Background(), func(tx *Tx) error {
			if err := tx.PutAccount(Account{ID: "111111111111", Email: "mgmt@example.com", CreatedAt: tx.now}); err != nil {
				return err
			}
			org, err := tx.CreateOrganization("111111111111", "ALL")
			w.org = org
			return err
		}))
		w.accounts, w.users, w.keys, w.buckets = []string{"111111111111"}, nil, nil, nil
	}
	seedWorld()

	for round := range 60 {
		switch r := rng.IntN(20); {
		case r == 0: // restart
			require.NoError(t, st.Close())
			st, err = Open(path, WithNow(clock))
			require.NoError(t, err)
		case r == 1: // reset
			require.NoError(t, st.Update(context.Background(), func(tx *Tx) error { return tx.Clear() }))
			seedWorld()
		case r == 2:
			_, err := st.PurgeExpiredCredentials(context.Background(), clock())
			require.NoError(t, err)
		case r < 8: // writes one after the other, several per transaction
			for range 1 + rng.IntN(10) {
				var record []func()
				err := st.Update(context.Background(), func(tx *Tx) error {
					record = nil
					for range 1 + rng.IntN(4) {
						rec, err := randomWrite(tx, rng, w)
						if err != nil {
							return err
						}
						record = append(record, rec)
					}
					if rng.IntN(8) == 0 {
						return errDeliberate
					}
					return nil
				})
				if errors.Is(err, errDeliberate) {
					continue
				}
				require.NoError(t, err)
				for _, rec := range record {
					rec()
				}
			}
		default: // concurrent writers sharing group commits
			var wg sync.WaitGroup
			for g := range 8 + rng.IntN(16) {
				wrng := rand.New(rand.NewPCG(seed, uint64(round*100+g+1)))
				wg.Add(1)
				go func() {
					defer wg.Done()
					fail, panics := wrng.IntN(6) == 0, wrng.IntN(12) == 0
					var rec func()
					err := func() (err error) {
						defer func() {
							if p := recover(); p != nil {
								err = fmt.Errorf("panic: %v", p)
							}
						}()
						return st.Update(context.Background(), func(tx *Tx) error {
							var err error
							// The same choices on every run of fn: a run again makes the same write.
							r := rand.New(rand.NewPCG(seed, uint64(round*100+g+1)))
							if rec, err = randomWrite(tx, r, w); err != nil {
								return err
							}
							if panics {
								panic("deliberate panic")
							}
							if fail {
								return errDeliberate
							}
							return nil
						})
					}()
					if err != nil {
						return
					}
					w.mu.Lock()
					rec()
					w.mu.Unlock()
				}()
			}
			wg.Wait()
		}
		clockMu.Lock()
		now = now.Add(time.Duration(rng.IntN(120)) * time.Second)
		clockMu.Unlock()
		require.NoError(t, st.View(context.Background(), func(tx *Tx) error {
			if err := checkIndexes(tx); err != nil {
				return fmt.Errorf("round %d: %w", round, err)
			}
			checkLookups(t, tx, rng)
			checkPolicyLookups(t, tx, 1+rng.IntN(3))
			return nil
		}))
	}
}

// writeV1File writes, with bbolt alone, a data file as schema 1 left it:
// records and no indexes.
func writeV1File(t *testing.T, path string, records map[string]map[string]any) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Update(func(btx *bolt.Tx) error {
		for _, name := range []string{"meta", "accounts", "organizations", "credentials", "principals",
			"create_account_statuses", "root_users", "s3_buckets", "s3_objects", "sqs_queues", "sqs_messages"} {
			b, err := btx.CreateBucket([]byte(name))
			if err != nil {
				return err
			}
			for k, v := range records[name] {
				data, err := json.Marshal(v)
				if err != nil {
					return err
				}
				if err := b.Put([]byte(k), data); err != nil {
					return err
				}
			}
		}
		return btx.Bucket([]byte("meta")).Put([]byte("schema"), []byte("1"))
	}))
}

func TestOpen_MigratesAVersion1FileByBuildingItsIndexes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	userARN := "arn:aws:iam::222222222222:user/alice"
	// v1 records in their JSON form, written as an older emulator would have.
	writeV1File(t, path, map[string]map[string]any{
		"accounts": {
			"111111111111": map[string]any{"id": "111111111111", "email": "mgmt@example.com", "organization_id": "o-abcdefghij", "joined_at": at, "created_at": at},
			"222222222222": map[string]any{"id": "222222222222", "email": "Member@Example.com", "organization_id": "o-abcdefghij", "joined_at": at.Add(time.Hour), "created_at": at},
		},
		"organizations": {"o-abcdefghij": map[string]any{"id": "o-abcdefghij", "root_id": "r-abcd", "feature_set": "ALL", "management_account_id": "111111111111"}},
		"credentials": {
			"AKIAALICE00000000001": map[string]any{"access_key_id": "AKIAALICE00000000001", "kind": "user", "account_id": "222222222222", "principal_arn": userARN, "created_at": at},
			"AKIAROOT000000000001": map[string]any{"access_key_id": "AKIAROOT000000000001", "kind": "root", "account_id": "222222222222", "principal_arn": RootUserARN("222222222222"), "created_at": at},
			"ASIASESSION000000001": map[string]any{"access_key_id": "ASIASESSION000000001", "kind": "root-session", "account_id": "222222222222", "principal_arn": RootUserARN("222222222222"), "created_at": at, "expires_at": at.Add(15 * time.Minute)},
		},
		"principals":              {userARN: map[string]any{"arn": userARN, "account_id": "222222222222", "kind": "user", "name": "alice", "path": "/", "created_at": at}},
		"create_account_statuses": {"car-1": map[string]any{"id": "car-1", "organization_id": "o-abcdefghij", "account_id": "222222222222", "requested_at": at, "completes_at": at}},
		"s3_buckets":              {"b1": map[string]any{"name": "b1", "owner": "222222222222", "region": "us-east-1", "created_at": at}},
	})

	st, err := Open(path, WithNow(func() time.Time { return at.Add(2 * time.Hour) }))
	require.NoError(t, err)
	require.NoError(t, st.View(context.Background(), func(tx *Tx) error {
		assert.Equal(t, strconv.Itoa(schemaVersion), string(tx.btx.Bucket(metaBucket).Get([]byte("schema"))))
		require.NoError(t, checkIndexes(tx))
		a, err := tx.AccountByEmail("member@example.com")
		require.NoError(t, err)
		assert.Equal(t, "222222222222", a.ID)
		members, err := tx.OrganizationAccounts("o-abcdefghij")
		require.NoError(t, err)
		assert.Equal(t, []string{"111111111111", "222222222222"}, ids(members, func(a Account) string { return a.ID }))
		keys, err := tx.CredentialsOf(userARN)
		require.NoError(t, err)
		assert.Equal(t, []string{"AKIAALICE00000000001"}, ids(keys, func(c Credential) string { return c.AccessKeyID }))
		keys, err = tx.RootAccessKeys("222222222222")
		require.NoError(t, err)
		assert.Equal(t, []string{"AKIAROOT000000000001"}, ids(keys, func(c Credential) string { return c.AccessKeyID }), "sessions are not access keys")
		p, err := tx.PrincipalNamed("222222222222", PrincipalUser, "ALICE")
		require.NoError(t, err)
		assert.Equal(t, userARN, p.ARN)
		users, roles, err := tx.IAMUsage("222222222222")
		require.NoError(t, err)
		assert.Equal(t, [2]int{1, 0}, [2]int{users, roles})
		buckets, err := tx.Buckets("222222222222")
		require.NoError(t, err)
		assert.Equal(t, []string{"b1"}, ids(buckets, func(b Bucket) string { return b.Name }))
		statuses, err := tx.CreateAccountStatuses("o-abcdefghij")
		require.NoError(t, err)
		assert.Len(t, statuses, 1)
		// Schema 3: members of a file without OUs sit under the root.
		assert.Equal(t, []Child{{ID: "111111111111", Type: ChildAccount}, {ID: "222222222222", Type: ChildAccount}}, tx.Children("r-abcd", ""))
		return nil
	}))
	n, err := st.PurgeExpiredCredentials(context.Background(), at.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the migrated session is found by its expiry")
	require.NoError(t, st.Close())

	// Opening again finds schema 3 and keeps the indexes as they are.
	st, err = Open(path)
	require.NoError(t, err)
	require.NoError(t, st.View(context.Background(), func(tx *Tx) error { return checkIndexes(tx) }))
	require.NoError(t, st.Close())
}

func TestOpen_MigrationOfACorruptRecordFailsAndChangesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	writeV1File(t, path, map[string]map[string]any{"accounts": {"111111111111": "not an account"}})
	_, err := Open(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), fmt.Sprintf("migrate data file from schema 1 to %d", schemaVersion))

	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.View(func(btx *bolt.Tx) error {
		assert.Equal(t, "1", string(btx.Bucket(metaBucket).Get([]byte("schema"))), "still version 1")
		return nil
	}))
}

func TestOpen_RefusesANewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v4.db")
	writeV1File(t, path, nil)
	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(btx *bolt.Tx) error {
		return btx.Bucket(metaBucket).Put([]byte("schema"), []byte(strconv.Itoa(schemaVersion+1)))
	}))
	require.NoError(t, db.Close())
	_, err = Open(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf("newer than this emulator's %d", schemaVersion))
}

func TestFoldKey_EqualExactlyWhenEqualFold(t *testing.T) {
	words := []string{"a", "A", "k", "K", "\u212a", "s", "S", "\u017f", "ß", "ẞ", "Σ", "σ", "ς", "_", "Z", "z", "é", "É", "\xff", "\xfe", ""}
	for _, a := range words {
		for _, b := range words {
			assert.Equal(t, strings.EqualFold(a, b), foldKey(a) == foldKey(b), "%q %q", a, b)
		}
	}
	assert.Equal(t, "user_name", foldKey("User_Name"), "ASCII folds to lower case, so keys sort as lower case does")
}

func TestTimeKey_SortsAsTimes(t *testing.T) {
	times := []time.Time{{}, time.Unix(-1, 999), time.Unix(0, 0), time.Unix(0, 1), time.Unix(1, 0),
		time.Date(2026, 11, 24, 12, 0, 0, 5, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}
	for i := range times {
		assert.True(t, timeOfKey([]byte(timeKey(times[i]))).Equal(times[i]))
		if i > 0 {
			assert.Less(t, timeKey(times[i-1]), timeKey(times[i]))
		}
	}
}
