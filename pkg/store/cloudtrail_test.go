package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
