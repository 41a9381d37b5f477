package store

import (
	"context"
	"errors"
)

// ErrJoinedFailed is what UpdateJoined returns when run succeeded although
// one of the Updates it made failed: that Update's partial writes cannot be
// undone alone (bbolt has no savepoints), so everything was rolled back and
// the caller should run its work again on its own.
var ErrJoinedFailed = errors.New("a joined update failed; the transaction was rolled back")

type joinedKey struct{}

// joinedTx is one read-write transaction that every Update and View of a
// context joins (see UpdateJoined).
type joinedTx struct {
	store  *Store
	tx     *Tx
	failed bool
}

// run runs fn in the joined transaction. A failed write leaves writes that
// cannot be undone alone; a failed read wrote nothing.
func (j *joinedTx) run(fn func(*Tx) error, write bool) error {
	err := fn(j.tx)
	if err != nil && write {
		j.failed = true
	}
	return err
}

func (s *Store) joined(ctx context.Context) *joinedTx {
	if j, ok := ctx.Value(joinedKey{}).(*joinedTx); ok && j.store == s {
		return j
	}
	return nil
}

// UpdateJoined runs run with a context in which every Update and View of s
// joins one read-write transaction, then finish in that same transaction,
// and commits once: the request pipeline uses it so that a write and the
// CloudTrail record of that write are one commit. When run fails, or one of
// its Updates failed, nothing is committed (ErrJoinedFailed in the second case).
//
// It is an Update (commit.go): run and finish run on the committer's
// goroutine, in the transaction of a group that shares one fsync, and may
// run more than once (when a neighbour in the group fails), so they follow
// Update's rules: no effect outside the transaction but assignments, the
// last run's counting. run must not use the context from other goroutines,
// nor write to s outside it (that would wait for the committer running it).
func (s *Store) UpdateJoined(ctx context.Context, run func(context.Context) error, finish func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.joined(ctx) != nil {
		return errors.New("store: UpdateJoined inside a joined transaction")
	}
	return s.Update(ctx, func(tx *Tx) error {
		j := &joinedTx{store: s, tx: tx}
		if err := run(context.WithValue(ctx, joinedKey{}, j)); err != nil {
			return err
		}
		if j.failed {
			return ErrJoinedFailed
		}
		return finish(tx)
	})
}
