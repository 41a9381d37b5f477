package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/store"
)

// fixedNow is a clock tests move by hand.
type fixedNow struct{ t time.Time }

func (f *fixedNow) now() time.Time { return f.t }

// MustOpenStore opens a store in a temporary folder with a hand-moved clock.
func MustOpenStore(tb testing.TB) (*store.Store, *fixedNow, string) {
	tb.Helper()
	clock := &fixedNow{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	path := filepath.Join(tb.TempDir(), "emulator.db")
	st, err := store.Open(path, store.WithNow(clock.now))
	require.NoError(tb, err)
	tb.Cleanup(func() { st.Close() })
	return st, clock, path
}

var ctx = context.Background()

func TestUpdate_ErrorRollsBackEverything(t *testing.T) {
	st, _, _ := MustOpenStore(t)
	boom := errors.New("boom")
	err := st.Update(ctx, func(tx *store.Tx) error {
		require.NoError(t, tx.PutAccount(store.Account{ID: "123456789012", Name: "a"}))
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.NoError(t, st.View(ctx, func(tx *store.Tx) error {
		assert.False(t, tx.AccountExists("123456789012"))
		_, err := tx.Account("123456789012")
		assert.ErrorIs(t, err, store.ErrNotFound)
		return nil
	}))
}

func TestAcknowledgedWritesSurviveReopen(t *testing.T) {
	st, _, path := MustOpenStore(t)
	require.NoError(t, st.Update(ctx, func(tx *store.Tx) error {
		return tx.PutAccount(store.Account{ID: "123456789012", Name: "kept"})
	}))
	require.NoError(t, st.SetClockOffset(ctx, 90*time.Minute))
	require.NoError(t, st.Close())

	again, err := store.Open(path)
	require.NoError(t, err)
	defer again.Close()
	require.NoError(t, again.View(ctx, func(tx *store.Tx) error {
		a, err := tx.Account("123456789012")
		require.NoError(t, err)
		assert.Equal(t, "kept", a.Name)
		return nil
	}))
	offset, err := again.ClockOffset(ctx)
	require.NoError(t, err)
	assert.Equal(t, 90*time.Minute, offset)
}

func TestOpen_SecondOpenFailsFastInsteadOfHanging(t *testing.T) {
	_, _, path := MustOpenStore(t)
	start := time.Now()
	_, err := store.Open(path)
	require.Error(t, err, "the file is locked by the first store")
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Contains(t, err.Error(), "locked by another process", "the message says why, not just \"timeout\"")
}

func TestClear_EmptiesTheWorldButKeepsTheClock(t *testing.T) {
	st, _, _ := MustOpenStore(t)
	require.NoError(t, st.SetClockOffset(ctx, time.Hour))
	require.NoError(t, st.Update(ctx, func(tx *store.Tx) error {
		require.NoError(t, tx.PutAccount(store.Account{ID: "123456789012"}))
		require.NoError(t, tx.PutWorld(store.World{ManagementAccountID: "123456789012"}))
		return tx.MarkInitialized()
	}))
	require.NoError(t, st.Update(ctx, func(tx *store.Tx) error { return tx.Clear() }))
	require.NoError(t, st.View(ctx, func(tx *store.Tx) error {
		assert.False(t, tx.Initialized())
		assert.False(t, tx.AccountExists("123456789012"))
		_, err := tx.World()
		assert.ErrorIs(t, err, store.ErrNotFound)
		return nil
	}))
	offset, err := st.ClockOffset(ctx)
	require.NoError(t, err)
	assert.Equal(t, time.Hour, offset)
}

func TestCreateOrganization_AccountInOneOrganizationOnly(t *testing.T) {
	st, clock, _ := MustOpenStore(t)
	var org store.Organization
	require.NoError(t, st.Update(ctx, func(tx *store.Tx) error {
		require.NoError(t, tx.PutAccount(store.Account{ID: "111111111111", Name: "management"}))
		var err error
		org, err = tx.CreateOrganization("111111111111", "ALL")
		return err
	}))
	assert.Regexp(t, `^o-[a-z0-9]{10}$`, org.ID)
	assert.Regexp(t, `^r-[a-z0-9]{4}$`, org.RootID)
	err := st.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.CreateOrganization("111111111111", "ALL")
		return err
	})
	assert.ErrorIs(t, err, store.ErrConflict)

	// A member that joins in the future is not a member yet.
	var member store.Account
	require.NoError(t, st.Update(ctx, func(tx *store.Tx) error {
		var err error
		member, err = tx.CreateMemberAccount(org, "later", "later@example.com", "OrganizationAccountAccessRole", `{}`, clock.t.Add(time.Minute))
		return err
	}))
	members := func() (ids []string) {
		require.NoError(t, st.View(ctx, func(tx *store.Tx) error {
			accounts, err := tx.OrganizationAccounts(org.ID)
			for _, a := range accounts {
				ids = append(ids, a.ID)
			}
			return err
		}))
		return ids
	}
	assert.Equal(t, []string{"111111111111"}, members())
	clock.t = clock.t.Add(2 * time.Minute)
	assert.Equal(t, []string{"111111111111", member.ID}, members())

	// Its access role exists and trusts what it was given.
	role, err := st.Principal(ctx, "arn:aws:iam::"+member.ID+":role/OrganizationAccountAccessRole")
	require.NoError(t, err)
	assert.Equal(t, store.PrincipalRole, role.Kind)
	assert.Regexp(t, `^AROA`, role.ID)
}

func TestCreateAccountStatus_StateFollowsTheClock(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := store.CreateAccountStatus{RequestedAt: at, CompletesAt: at.Add(time.Second)}
	assert.Equal(t, "IN_PROGRESS", c.State(at))
	assert.Equal(t, "SUCCEEDED", c.State(at.Add(time.Second)))
	c.FailureReason = "EMAIL_ALREADY_EXISTS"
	assert.Equal(t, "FAILED", c.State(at.Add(time.Hour)))
}

func TestPurgeExpiredCredentials_KeepsLongTermKeysAndRecentSessions(t *testing.T) {
	st, clock, _ := MustOpenStore(t)
	now := clock.t
	require.NoError(t, st.Update(ctx, func(tx *store.Tx) error {
		for _, c := range []store.Credential{
			{AccessKeyID: "AKIALONGTERM00000001", Kind: store.KindUser, CreatedAt: now},
			{AccessKeyID: "ASIAOLDSESSION000001", Kind: store.KindRootSession, ExpiresAt: now.Add(-48 * time.Hour)},
			{AccessKeyID: "ASIARECENT0000000001", Kind: store.KindRootSession, ExpiresAt: now.Add(-time.Hour)},
			{AccessKeyID: "ASIALIVE000000000001", Kind: store.KindRoleSession, ExpiresAt: now.Add(time.Hour)},
		} {
			if err := tx.PutCredential(c); err != nil {
				return err
			}
		}
		return nil
	}))
	n, err := st.PurgeExpiredCredentials(ctx, now.Add(-24*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	_, err = st.Credential(ctx, "ASIAOLDSESSION000001")
	assert.ErrorIs(t, err, store.ErrNotFound)
	for _, id := range []string{"AKIALONGTERM00000001", "ASIARECENT0000000001", "ASIALIVE000000000001"} {
		_, err := st.Credential(ctx, id)
		assert.NoError(t, err, id)
	}
}

func TestCredential_Expiry(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	session := store.Credential{ExpiresAt: at}
	assert.True(t, session.Temporary())
	assert.False(t, session.Expired(at.Add(-time.Nanosecond)))
	assert.True(t, session.Expired(at), "a session is dead at its Expiration")
	assert.False(t, store.Credential{}.Expired(at.Add(1000*time.Hour)), "long-term keys never expire")
}

func TestOrganizationAccountsPage_SeeksFromTheCursorEvenWhenItsAccountIsGone(t *testing.T) {
	st, clock, _ := MustOpenStore(t)
	var org store.Organization
	var ids []string
	require.NoError(t, st.Update(ctx, func(tx *store.Tx) error {
		ids = nil // fn may run again: start over
		require.NoError(t, tx.PutAccount(store.Account{ID: "111111111111", Email: "mgmt@example.com"}))
		var err error
		if org, err = tx.CreateOrganization("111111111111", "ALL"); err != nil {
			return err
		}
		ids = append(ids, "111111111111")
		for i := range 5 {
			a, err := tx.CreateMemberAccount(org, "m", fmt.Sprintf("m%d@example.com", i), "Access", `{}`, tx.Now().Add(time.Duration(i)*time.Second))
			if err != nil {
				return err
			}
			ids = append(ids, a.ID)
		}
		return nil
	}))
	clock.t = clock.t.Add(time.Minute)
	page := func(after string, limit int) (got []string, next string) {
		require.NoError(t, st.View(ctx, func(tx *store.Tx) error {
			accts, n, err := tx.OrganizationAccountsPage(org.ID, after, limit)
			for _, a := range accts {
				got = append(got, a.ID)
			}
			next = n
			return err
		}))
		return got, next
	}
	first, next := page("", 2)
	assert.Equal(t, ids[:2], first)
	require.NotEmpty(t, next)

	// The page's last account leaves: the next page still starts after it.
	require.NoError(t, st.Update(ctx, func(tx *store.Tx) error { return tx.DeleteAccount(ids[1]) }))
	second, next := page(next, 2)
	assert.Equal(t, ids[2:4], second)
	last, next := page(next, 2)
	assert.Equal(t, ids[4:], last)
	assert.Empty(t, next, "no cursor after the last page, even when it is full")

	err := st.View(ctx, func(tx *store.Tx) error {
		_, _, err := tx.OrganizationAccountsPage(org.ID, "not a cursor!", 2)
		return err
	})
	assert.ErrorIs(t, err, store.ErrInvalidCursor)
}
