package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

func putTestKey(t *testing.T, st *Store, id, status string) {
	t.Helper()
	require.NoError(t, st.Update(context.Background(), func(tx *Tx) error {
		return tx.PutCredential(Credential{AccessKeyID: id, SecretAccessKey: "secret", Kind: KindUser,
			AccountID: "123456789012", PrincipalARN: "arn:aws:iam::123456789012:user/u", Status: status})
	}))
}

// warm looks the key up twice, so that the second answer comes from memory.
func warm(t *testing.T, st *Store, id string) Credential {
	t.Helper()
	_, err := st.Credential(context.Background(), id)
	require.NoError(t, err)
	require.True(t, st.credentials.cached(id), "a found key is remembered")
	c, err := st.Credential(context.Background(), id)
	require.NoError(t, err)
	return c
}

func TestCredentialCache_DeleteIsSeenAtOnce(t *testing.T) {
	st := openTestStore(t)
	putTestKey(t, st, "AKIADELETE", "Active")
	warm(t, st, "AKIADELETE")
	require.NoError(t, st.Update(context.Background(), func(tx *Tx) error { return tx.DeleteCredential("AKIADELETE") }))
	_, err := st.Credential(context.Background(), "AKIADELETE")
	require.ErrorIs(t, err, ErrNotFound)
	assert.False(t, st.credentials.cached("AKIADELETE"), "unknown keys are not remembered")
}

func TestCredentialCache_ReplacementIsSeenAtOnce(t *testing.T) {
	st := openTestStore(t)
	putTestKey(t, st, "AKIASTATUS", "Active")
	require.Equal(t, "Active", warm(t, st, "AKIASTATUS").Status)
	putTestKey(t, st, "AKIASTATUS", "Inactive")
	c, err := st.Credential(context.Background(), "AKIASTATUS")
	require.NoError(t, err)
	assert.Equal(t, "Inactive", c.Status)
}

func TestCredentialCache_ClearForgetsEverything(t *testing.T) {
	st := openTestStore(t)
	putTestKey(t, st, "AKIACLEAR", "Active")
	warm(t, st, "AKIACLEAR")
	require.NoError(t, st.Update(context.Background(), func(tx *Tx) error { return tx.Clear() }))
	_, err := st.Credential(context.Background(), "AKIACLEAR")
	require.ErrorIs(t, err, ErrNotFound)
}

func TestCredentialCache_APurgedSessionIsGone(t *testing.T) {
	st := openTestStore(t)
	expires := time.Date(2026, 11, 24, 12, 15, 0, 0, time.UTC)
	require.NoError(t, st.Update(context.Background(), func(tx *Tx) error {
		return tx.PutCredential(Credential{AccessKeyID: "ASIAPURGE", SecretAccessKey: "s", SessionToken: "t",
			Kind: KindRootSession, AccountID: "123456789012", PrincipalARN: "arn:aws:iam::123456789012:root", ExpiresAt: expires})
	}))
	c := warm(t, st, "ASIAPURGE")
	assert.True(t, c.Expired(expires), "the cached record carries its expiry for the caller's clock")
	n, err := st.PurgeExpiredCredentials(context.Background(), expires.Add(time.Second))
	require.NoError(t, err)
	require.Equal(t, 1, n)
	_, err = st.Credential(context.Background(), "ASIAPURGE")
	require.ErrorIs(t, err, ErrNotFound)
}

func TestCredentialCache_ARolledBackWriteLeavesTheRecord(t *testing.T) {
	st := openTestStore(t)
	putTestKey(t, st, "AKIAROLLBACK", "Active")
	warm(t, st, "AKIAROLLBACK")
	boom := errors.New("boom")
	err := st.Update(context.Background(), func(tx *Tx) error {
		if err := tx.DeleteCredential("AKIAROLLBACK"); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	c, err := st.Credential(context.Background(), "AKIAROLLBACK")
	require.NoError(t, err)
	assert.Equal(t, "Active", c.Status)
}

// A miss that read the record before a write committed must not store it
// after the write's eviction: the lookup's two halves around a write.
func TestCredentialCache_AMissDoesNotStoreWhatAWriteMadeStale(t *testing.T) {
	st := openTestStore(t)
	putTestKey(t, st, "AKIARACE", "Active")
	_, placeholder := st.credentials.lookup("AKIARACE")
	require.NotNil(t, placeholder)
	var stale Credential
	require.NoError(t, st.View(context.Background(), func(tx *Tx) error {
		var err error
		stale, err = tx.Credential("AKIARACE")
		return err
	}))
	putTestKey(t, st, "AKIARACE", "Inactive") // commits and evicts between the read and the fill
	st.credentials.fill("AKIARACE", placeholder, stale, nil)
	assert.False(t, st.credentials.cached("AKIARACE"))
	c, err := st.Credential(context.Background(), "AKIARACE")
	require.NoError(t, err)
	assert.Equal(t, "Inactive", c.Status)
}

// Readers hammer keys while writers flip their status: once a write is
// acknowledged, every lookup that starts afterwards sees it.
func TestCredentialCache_ConcurrentReadersSeeEveryAcknowledgedWrite(t *testing.T) {
	st := openTestStore(t)
	const keys = 4
	for i := range keys {
		putTestKey(t, st, fmt.Sprintf("AKIACONC%d", i), "Active")
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for r := range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				_, _ = st.Credential(context.Background(), fmt.Sprintf("AKIACONC%d", (i+r)%keys))
			}
		}()
	}
	var writers sync.WaitGroup
	errs := make(chan error, keys)
	for k := range keys {
		writers.Add(1)
		go func() {
			defer writers.Done()
			id := fmt.Sprintf("AKIACONC%d", k)
			for i := range 50 {
				status := []string{"Active", "Inactive"}[i%2]
				err := st.Update(context.Background(), func(tx *Tx) error {
					c, err := tx.Credential(id)
					if err != nil {
						return err
					}
					c.Status = status
					return tx.PutCredential(c)
				})
				if err != nil {
					errs <- err
					return
				}
				got, err := st.Credential(context.Background(), id)
				if err != nil || got.Status != status {
					errs <- fmt.Errorf("%s after write %d: got %q (%v), want %q", id, i, got.Status, err, status)
					return
				}
			}
		}()
	}
	writers.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A purge that finds nothing expired commits nothing (every start runs
// one): the data file's transaction id does not move.
func TestPurgeExpiredCredentials_NothingExpiredWritesNothing(t *testing.T) {
	st := openTestStore(t)
	expires := time.Date(2026, 11, 24, 12, 15, 0, 0, time.UTC)
	require.NoError(t, st.Update(context.Background(), func(tx *Tx) error {
		return tx.PutCredential(Credential{AccessKeyID: "ASIAKEEP", SecretAccessKey: "s", SessionToken: "t",
			Kind: KindRootSession, AccountID: "123456789012", PrincipalARN: "arn:aws:iam::123456789012:root", ExpiresAt: expires})
	}))
	txID := func() (id int) {
		require.NoError(t, st.db.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil }))
		return id
	}
	before := txID()
	n, err := st.PurgeExpiredCredentials(context.Background(), expires)
	require.NoError(t, err)
	assert.Equal(t, 0, n)
	assert.Equal(t, before, txID(), "a purge with nothing to delete committed a transaction")
	n, err = st.PurgeExpiredCredentials(context.Background(), expires.Add(time.Second))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Greater(t, txID(), before)
}
