package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/store"
)

const acct = "123456789012"

func putAccount(t *testing.T, st *store.Store, id string) {
	t.Helper()
	require.NoError(t, st.Update(ctx, func(tx *store.Tx) error { return tx.PutAccount(store.Account{ID: id, Name: id}) }))
}

func event(at time.Time, name string) store.Event {
	return store.Event{ID: name + at.Format(time.RFC3339Nano), Account: acct, Region: "us-east-1", Time: at, Name: name,
		Source: "sts.amazonaws.com", Username: "admin", Management: true, Record: json.RawMessage(`{"eventName":"` + name + `"}`)}
}

func record(t *testing.T, st *store.Store, lim store.EventLimits, evs ...store.Event) {
	t.Helper()
	require.NoError(t, st.Update(ctx, func(tx *store.Tx) error { return tx.RecordEvents(evs, lim) }))
}

func TestEvents_PagesNewestFirstByAttribute(t *testing.T) {
	st, clock, _ := MustOpenStore(t)
	putAccount(t, st, acct)
	for i := range 5 {
		record(t, st, store.EventLimits{}, event(clock.t.Add(time.Duration(i)*time.Second), fmt.Sprintf("Op%d", i%2)))
	}
	record(t, st, store.EventLimits{}, store.Event{ID: "elsewhere", Account: "999999999999", Name: "Op0", Management: true})
	q := store.EventQuery{Account: acct, Attribute: store.AttrEventName, Value: "Op0", Max: 2}
	page, next, err := st.LookupEvents(ctx, q)
	require.NoError(t, err)
	require.Len(t, page, 2)
	assert.True(t, page[0].Time.After(page[1].Time))
	require.NotEmpty(t, next)
	q.Cursor = next
	rest, next, err := st.LookupEvents(ctx, q)
	require.NoError(t, err)
	require.Len(t, rest, 1)
	assert.Empty(t, next)
	assert.JSONEq(t, `{"eventName":"Op0"}`, string(rest[0].Record))
	// A cursor binds to its query.
	_, _, err = st.LookupEvents(ctx, store.EventQuery{Account: acct, Max: 2, Cursor: q.Cursor})
	assert.ErrorIs(t, err, store.ErrBadCursor)
	// Unknown accounts keep nothing.
	none, _, err := st.LookupEvents(ctx, store.EventQuery{Account: "999999999999", Max: 10})
	require.NoError(t, err)
	assert.Empty(t, none)
}

func TestEvents_CapAndRetentionDropTheOldestWithTheirIndexes(t *testing.T) {
	st, clock, _ := MustOpenStore(t)
	putAccount(t, st, acct)
	lim := store.EventLimits{MaxPerAccount: 3, Retention: time.Hour}
	for i := range 5 {
		record(t, st, lim, event(clock.t.Add(time.Duration(i)*time.Minute), fmt.Sprintf("Op%d", i)))
	}
	all, _, err := st.LookupEvents(ctx, store.EventQuery{Account: acct, Max: 10})
	require.NoError(t, err)
	require.Len(t, all, 3)
	assert.Equal(t, "Op4", all[0].Name)
	gone, _, err := st.LookupEvents(ctx, store.EventQuery{Account: acct, Attribute: store.AttrEventName, Value: "Op0", Max: 10})
	require.NoError(t, err)
	assert.Empty(t, gone, "a dropped event leaves no index entry")
	clock.t = clock.t.Add(2 * time.Hour)
	record(t, st, lim, event(clock.t, "Late"))
	all, _, err = st.LookupEvents(ctx, store.EventQuery{Account: acct, Max: 10})
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Equal(t, "Late", all[0].Name)
}

// A batch is put in key order, not in its own: one larger than the cap,
// out of order and with events of one instant, keeps the newest, in the
// order they were recorded, and the dropped ones leave no index entry.
func TestEvents_ABatchOverTheCapKeepsTheNewest(t *testing.T) {
	st, clock, _ := MustOpenStore(t)
	putAccount(t, st, acct)
	putAccount(t, st, "222222222222")
	lim := store.EventLimits{MaxPerAccount: 4, Retention: time.Hour}
	record(t, st, lim, event(clock.t.Add(-time.Minute), "Before"))
	var batch []store.Event
	for _, i := range []int{3, 0, 5, 1, 4, 2} {
		batch = append(batch, event(clock.t.Add(time.Duration(i)*time.Second), fmt.Sprintf("Op%d", i)))
	}
	same := event(clock.t.Add(5*time.Second), "Op5b") // the instant of Op5, recorded after it
	other := event(clock.t, "Other")
	other.Account = "222222222222"
	batch = append(batch, same, other)
	record(t, st, lim, batch...)
	all, _, err := st.LookupEvents(ctx, store.EventQuery{Account: acct, Max: 10})
	require.NoError(t, err)
	var names []string
	for _, e := range all {
		names = append(names, e.Name)
	}
	assert.Equal(t, []string{"Op5b", "Op5", "Op4", "Op3"}, names)
	for _, gone := range []string{"Before", "Op0", "Op1", "Op2"} {
		found, _, err := st.LookupEvents(ctx, store.EventQuery{Account: acct, Attribute: store.AttrEventName, Value: gone, Max: 10})
		require.NoError(t, err)
		assert.Empty(t, found, "%s was dropped with its index entries", gone)
	}
	kept, _, err := st.LookupEvents(ctx, store.EventQuery{Account: acct, Attribute: store.AttrUsername, Value: "admin", Max: 10})
	require.NoError(t, err)
	assert.Len(t, kept, 4)
	theirs, _, err := st.LookupEvents(ctx, store.EventQuery{Account: "222222222222", Max: 10})
	require.NoError(t, err)
	require.Len(t, theirs, 1)
	assert.Equal(t, "Other", theirs[0].Name)
}

// Joined updates are writes of the group commit: concurrent ones share
// commits, and one that fails fails alone.
func TestUpdateJoined_GroupCommitsAndFailsAlone(t *testing.T) {
	st, _, _ := MustOpenStore(t)
	const n = 32
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("%012d", 300000000000+i)
			errs[i] = st.UpdateJoined(ctx, func(ctx context.Context) error {
				return st.Update(ctx, func(tx *store.Tx) error { return tx.PutAccount(store.Account{ID: id, Name: id}) })
			}, func(tx *store.Tx) error {
				if i%8 == 3 {
					return errors.New("refused")
				}
				return nil
			})
		}()
	}
	wg.Wait()
	require.NoError(t, st.View(ctx, func(tx *store.Tx) error {
		for i := range n {
			id := fmt.Sprintf("%012d", 300000000000+i)
			if i%8 == 3 {
				assert.EqualError(t, errs[i], "refused")
				assert.False(t, tx.AccountExists(id), "a failed joined update leaves nothing")
			} else {
				assert.NoError(t, errs[i])
				assert.True(t, tx.AccountExists(id))
			}
		}
		return nil
	}))
}

func TestUpdateJoined_OneTransaction(t *testing.T) {
	st, _, _ := MustOpenStore(t)
	// Everything run does, and finish, commit together.
	err := st.UpdateJoined(ctx, func(ctx context.Context) error {
		if err := st.Update(ctx, func(tx *store.Tx) error { return tx.PutAccount(store.Account{ID: acct, Name: "a"}) }); err != nil {
			return err
		}
		return st.View(ctx, func(tx *store.Tx) error {
			_, err := tx.Account(acct) // reads its own write
			return err
		})
	}, func(tx *store.Tx) error { return tx.PutAccount(store.Account{ID: "222222222222", Name: "b"}) })
	require.NoError(t, err)
	require.NoError(t, st.View(ctx, func(tx *store.Tx) error {
		assert.True(t, tx.AccountExists(acct))
		assert.True(t, tx.AccountExists("222222222222"))
		return nil
	}))
	// A failed run commits nothing.
	boom := errors.New("boom")
	err = st.UpdateJoined(ctx, func(ctx context.Context) error {
		require.NoError(t, st.Update(ctx, func(tx *store.Tx) error { return tx.PutAccount(store.Account{ID: "333333333333"}) }))
		return boom
	}, func(*store.Tx) error { t.Fatal("finish after a failed run"); return nil })
	assert.ErrorIs(t, err, boom)
	// A failed update that run survives rolls everything back and says so.
	err = st.UpdateJoined(ctx, func(ctx context.Context) error {
		_ = st.Update(ctx, func(tx *store.Tx) error {
			if err := tx.PutAccount(store.Account{ID: "444444444444"}); err != nil {
				return err
			}
			return boom
		})
		return nil
	}, func(*store.Tx) error { return nil })
	assert.ErrorIs(t, err, store.ErrJoinedFailed)
	require.NoError(t, st.View(ctx, func(tx *store.Tx) error {
		assert.False(t, tx.AccountExists("333333333333"))
		assert.False(t, tx.AccountExists("444444444444"))
		return nil
	}))
}

// A write's record is journaled in its transaction and moved into history
// by the next batch: the event LookupEvents returns is the one journaled,
// field for field, record included.
func TestEvents_JournaledReachHistoryAsJournaled(t *testing.T) {
	st, clock, _ := MustOpenStore(t)
	putAccount(t, st, acct)
	journaled := event(clock.t, "AssumeRoot")
	journaled.ReadOnly, journaled.AccessKeyID = false, "AKIAJOURNALED"
	journaled.Resources = []store.EventResource{{Type: "AWS::IAM::Role", Name: "r", ARN: "arn:aws:iam::123456789012:role/r"}}
	journaled.Record = json.RawMessage(`{"eventName":"AssumeRoot","responseElements":{"credentials":{"accessKeyId":"ASIAEXAMPLE"}}}`)
	require.NoError(t, st.Update(ctx, func(tx *store.Tx) error { return tx.JournalEvents([]store.Event{journaled}) }))
	batched := event(clock.t.Add(time.Second), "GetCallerIdentity")
	record(t, st, store.EventLimits{}, batched)
	got, _, err := st.LookupEvents(ctx, store.EventQuery{Account: acct, Max: 10})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, batched.Record, got[0].Record)
	got[1].Time = got[1].Time.In(journaled.Time.Location())
	assert.Equal(t, journaled, got[1])
	byKey, _, err := st.LookupEvents(ctx, store.EventQuery{Account: acct, Attribute: store.AttrAccessKeyID, Value: "AKIAJOURNALED", Max: 10})
	require.NoError(t, err)
	require.Len(t, byKey, 1)
	assert.Equal(t, journaled.ID, byKey[0].ID)
}
