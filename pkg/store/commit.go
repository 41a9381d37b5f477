package store

import (
	"context"
	"errors"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Group commit. Every Update is handed to one committer goroutine, which
// runs in a single bbolt transaction, and commits with one fsync, every
// write that was queued while its previous commit was in flight. There is
// no timer: a write that finds the committer idle is committed at once, so
// a lone client pays one fsync per write and nothing more, while concurrent
// clients share fsyncs.

// maxGroup bounds how many writes share one transaction (bbolt's Batch
// default), so that one commit's latency stays bounded under a flood.
const maxGroup = 1000

// errGoexit answers a write whose fn ended its goroutine (runtime.Goexit,
// as testing's FailNow does) instead of returning.
var errGoexit = errors.New("store: the Update function called runtime.Goexit")

// writeRequest is one Update waiting for its group's commit.
type writeRequest struct {
	ctx  context.Context
	fn   func(*Tx) error
	now  time.Time
	done chan writeResult // buffered: the committer never waits for a caller
}

// writeResult is how a write ended: err (nil once committed), or the panic
// its fn raised, which Update raises again in the caller's goroutine.
type writeResult struct {
	err      error
	panicked bool
	panicVal any
}

func (r writeResult) failed() bool { return r.err != nil || r.panicked }

// Update runs fn in a read-write transaction and returns only after that
// transaction is committed with fsync, so that whatever the caller
// acknowledges is on disk. Any error (or panic) from fn rolls back what fn
// wrote and fails this call alone.
//
// Concurrent Updates share one transaction and one fsync (see commit.go).
// For that, fn may run more than once: when a neighbour in its group fails,
// the group is rolled back and run again without it. fn must therefore
// have no effect outside the transaction other than assigning results to
// captured variables (never appending to them or counting into them), and
// the last run's assignments are the ones that count. fn runs on the
// committer's goroutine, and must not call Update itself.
func (s *Store) Update(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if j := s.joined(ctx); j != nil {
		return j.run(fn, true)
	}
	r := &writeRequest{ctx: ctx, fn: fn, now: s.now().UTC(), done: make(chan writeResult, 1)}
	// The read lock keeps Close from closing the queue under a send.
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return ErrClosed
	}
	select {
	case s.requests <- r:
		s.closeMu.RUnlock()
	case <-ctx.Done():
		s.closeMu.RUnlock()
		return ctx.Err()
	}
	res := <-r.done
	if res.panicked {
		panic(res.panicVal)
	}
	return res.err
}

// commitLoop is the committer: it takes the first write that comes, adds
// whatever else is already queued, and commits them together, until Close
// closes the queue and what was queued is committed. carried is a group to
// commit first (from a committer whose goroutine was ended).
func (s *Store) commitLoop(carried []*writeRequest) {
	defer s.committers.Done()
	group := carried
	open := true
	for open || len(group) > 0 {
		if len(group) == 0 {
			r, ok := <-s.requests
			if !ok {
				return
			}
			group = append(group, r)
		}
	drain:
		for open && len(group) < maxGroup {
			select {
			case r, ok := <-s.requests:
				if !ok {
					open = false
					break drain
				}
				group = append(group, r)
			default:
				break drain
			}
		}
		s.commitGroup(group)
		group = nil
	}
}

// commitGroup runs the group's functions in order in one transaction and
// commits it. When one fails, the transaction is rolled back, that write is
// answered with its failure, and the others run again in a new transaction.
//
// The credentials any attempt touched are evicted from the credential
// cache before a write is answered (credcache.go): evicting a key that a
// rolled-back attempt touched costs one miss, keeping it could serve a
// stale record.
func (s *Store) commitGroup(group []*writeRequest) {
	changes := &credentialChanges{}
	for len(group) > 0 {
		btx, err := s.db.Begin(true)
		if err != nil {
			answer(group, writeResult{err: err})
			return
		}
		failed, res := s.runGroup(btx, group, changes)
		if failed < 0 {
			err := btx.Commit()
			s.credentials.evict(changes)
			answer(group, writeResult{err: err})
			return
		}
		_ = btx.Rollback()
		s.credentials.evict(changes)
		group[failed].done <- res
		group = slices.Delete(group, failed, failed+1)
	}
}

func answer(group []*writeRequest, res writeResult) {
	for _, r := range group {
		r.done <- res
	}
}

// runGroup runs each write's fn in btx, stopping at the first that fails:
// its index and result, or -1 when all succeeded.
func (s *Store) runGroup(btx *bolt.Tx, group []*writeRequest, changes *credentialChanges) (int, writeResult) {
	for i, r := range group {
		if err := r.ctx.Err(); err != nil {
			return i, writeResult{err: err} // given up before it ran: nothing of it is kept
		}
		if res := s.runOne(btx, group, i, changes); res.failed() {
			return i, res
		}
	}
	return -1, writeResult{}
}

// runOne runs group[i].fn, turning a panic into that write's result. If fn
// ends the goroutine instead (runtime.Goexit cannot be stopped), the write
// fails, the transaction is rolled back and a new committer takes over the
// rest of the group, so that no other write is lost or left waiting.
func (s *Store) runOne(btx *bolt.Tx, group []*writeRequest, i int, changes *credentialChanges) (res writeResult) {
	r := group[i]
	returned := false
	defer func() {
		if returned {
			return
		}
		if p := recover(); p != nil {
			res = writeResult{panicked: true, panicVal: p}
			return
		}
		_ = btx.Rollback()
		s.credentials.evict(changes)
		r.done <- writeResult{err: errGoexit}
		s.committers.Add(1)
		go s.commitLoop(slices.Delete(slices.Clone(group), i, i+1))
	}()
	err := r.fn(&Tx{btx: btx, now: r.now, credentialChanges: changes})
	returned = true
	return writeResult{err: err}
}
