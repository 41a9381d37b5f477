package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func openTestStore(t *testing.T) *Store {
	t.Helper()
	st, err := Open(filepath.Join(t.TempDir(), "emulator.db"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

// holdCommitter makes the committer run a write that waits until the
// returned release is called, so that the writes sent meanwhile queue up
// and make one group.
func holdCommitter(t *testing.T, st *Store) (release func()) {
	t.Helper()
	started, hold := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- st.Update(context.Background(), func(tx *Tx) error {
			close(started)
			<-hold
			return nil
		})
	}()
	<-started
	return func() {
		close(hold)
		require.NoError(t, <-done)
	}
}

// waitQueued waits until n writes are queued for the committer.
func waitQueued(st *Store, n int) {
	for len(st.requests) < n {
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

func TestUpdate_WritesQueuedDuringACommitShareTheNextTransaction(t *testing.T) {
	st := openTestStore(t)
	release := holdCommitter(t, st)

	const n = 20
	txIDs := make([]int, n)
	runs := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.Update(context.Background(), func(tx *Tx) error {
				runs[i]++
				txIDs[i] = tx.btx.ID()
				if err := tx.PutAccount(Account{ID: fmt.Sprintf("%012d", i), Email: fmt.Sprintf("%d@example.com", i)}); err != nil {
					return err
				}
				if i%7 == 3 {
					return fmt.Errorf("writer %d: %w", i, errDeliberate)
				}
				return nil
			})
		}()
		waitQueued(st, i+1) // one at a time, so that the queue is in writer order
	}
	release()
	wg.Wait()

	var committed []int
	for i := range n {
		if i%7 == 3 {
			assert.ErrorIs(t, errs[i], errDeliberate, i)
			continue
		}
		require.NoError(t, errs[i], i)
		committed = append(committed, txIDs[i])
	}
	for _, id := range committed {
		assert.Equal(t, committed[0], id, "every successful writer committed in the same transaction")
	}
	assert.Equal(t, 1, runs[n-1], "the writers after the last failure ran once")
	assert.Greater(t, runs[0], 1, "the writers before a failure ran again without it")
	require.NoError(t, st.View(context.Background(), func(tx *Tx) error {
		for i := range n {
			_, err := tx.AccountByEmail(fmt.Sprintf("%d@example.com", i))
			assert.Equal(t, i%7 != 3, err == nil, "writer %d's account (and its index entry) exist exactly when it succeeded", i)
			assert.Equal(t, i%7 != 3, tx.AccountExists(fmt.Sprintf("%012d", i)), i)
		}
		return checkIndexes(tx)
	}))
}

func TestUpdate_APanicOrGoexitInAGroupFailsThatWriteAlone(t *testing.T) {
	st := openTestStore(t)
	release := holdCommitter(t, st)

	const n = 12
	errs := make([]error, n)
	panics := make([]any, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { panics[i] = recover() }()
			errs[i] = st.Update(context.Background(), func(tx *Tx) error {
				if err := tx.PutAccount(Account{ID: fmt.Sprintf("%012d", i)}); err != nil {
					return err
				}
				switch i {
				case 2, 9:
					panic(fmt.Sprintf("writer %d panics", i))
				case 5:
					runtime.Goexit() // what require.FailNow does in a test's Update
				}
				return nil
			})
		}()
	}
	waitQueued(st, n)
	release()
	wg.Wait()

	for i := range n {
		switch i {
		case 2, 9:
			assert.Equal(t, fmt.Sprintf("writer %d panics", i), panics[i], "the panic reaches its own caller")
		case 5:
			assert.ErrorIs(t, errs[i], errGoexit)
		default:
			assert.NoError(t, errs[i], i)
			assert.Nil(t, panics[i], i)
		}
	}
	require.NoError(t, st.View(context.Background(), func(tx *Tx) error {
		for i := range n {
			assert.Equal(t, i != 2 && i != 9 && i != 5, tx.AccountExists(fmt.Sprintf("%012d", i)), i)
		}
		return nil
	}))
	// The committer lives on (a new one after the Goexit) for the next writes.
	require.NoError(t, st.Update(context.Background(), func(tx *Tx) error { return tx.PutAccount(Account{ID: "999999999999"}) }))
}

func TestUpdate_AWriteWhoseContextEndsWhileQueuedIsNotRun(t *testing.T) {
	st := openTestStore(t)
	release := holdCommitter(t, st)
	ctx, cancel := context.WithCancel(context.Background())
	ran := false
	done := make(chan error, 1)
	go func() {
		done <- st.Update(ctx, func(tx *Tx) error { ran = true; return tx.PutAccount(Account{ID: "123456789012"}) })
	}()
	waitQueued(st, 1)
	cancel()
	release()
	assert.ErrorIs(t, <-done, context.Canceled)
	assert.False(t, ran)
}

func TestClose_CommitsWhatWasQueuedAndRefusesLaterWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "emulator.db")
	st, err := Open(path)
	require.NoError(t, err)
	release := holdCommitter(t, st)
	done := make(chan error, 1)
	go func() {
		done <- st.Update(context.Background(), func(tx *Tx) error { return tx.PutAccount(Account{ID: "123456789012"}) })
	}()
	waitQueued(st, 1)
	closed := make(chan error, 1)
	go func() { closed <- st.Close() }()
	release()
	require.NoError(t, <-done)
	require.NoError(t, <-closed)
	assert.ErrorIs(t, st.Update(context.Background(), func(*Tx) error { return nil }), ErrClosed)

	st, err = Open(path)
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, st.View(context.Background(), func(tx *Tx) error {
		assert.True(t, tx.AccountExists("123456789012"), "the queued write was committed before closing")
		return nil
	}))
}

// TestUpdate_ManyConcurrentWritersSomeFailing: writers that fail (by error
// or panic) after writing leave nothing; all the others commit, each
// exactly once in effect, whatever groups they were in.
func TestUpdate_ManyConcurrentWritersSomeFailing(t *testing.T) {
	st := openTestStore(t)
	const writers, rounds = 32, 20
	var wg sync.WaitGroup
	outcome := make([][]error, writers)
	for w := range writers {
		outcome[w] = make([]error, rounds)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				id := fmt.Sprintf("%06d%06d", w, r)
				outcome[w][r] = func() (err error) {
					defer func() {
						if p := recover(); p != nil {
							err = fmt.Errorf("panic: %v", p)
						}
					}()
					return st.Update(context.Background(), func(tx *Tx) error {
						// A counter bumped by every writer: lost or doubled updates would show.
						var n int
						if err := tx.get(metaBucket, "counter", &n); err != nil && !errors.Is(err, ErrNotFound) {
							return err
						}
						if err := tx.put(metaBucket, "counter", n+1); err != nil {
							return err
						}
						if err := tx.PutAccount(Account{ID: id, Email: id + "@example.com"}); err != nil {
							return err
						}
						switch (w + r) % 9 {
						case 4:
							return errDeliberate
						case 7:
							panic("deliberate")
						}
						return nil
					})
				}()
			}
		}()
	}
	wg.Wait()
	succeeded := 0
	require.NoError(t, st.View(context.Background(), func(tx *Tx) error {
		for w := range writers {
			for r := range rounds {
				id := fmt.Sprintf("%06d%06d", w, r)
				ok := (w+r)%9 != 4 && (w+r)%9 != 7
				if ok {
					assert.NoError(t, outcome[w][r], id)
					succeeded++
				} else {
					assert.Error(t, outcome[w][r], id)
				}
				assert.Equal(t, ok, tx.AccountExists(id), id)
			}
		}
		var n int
		require.NoError(t, tx.get(metaBucket, "counter", &n))
		assert.Equal(t, succeeded, n, "each successful write counted once, each failed one not at all")
		return checkIndexes(tx)
	}))
}
