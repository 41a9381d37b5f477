// Package store keeps the emulator's world in one bbolt file.
//
// Every exported Store method is one transaction. Work that must be atomic
// (check preconditions, then write) runs inside Store.Update with the
// exported methods of Tx, which all take the open transaction. Values are
// JSON records; no bbolt byte slice ever leaves a transaction.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// schemaVersion is written to the meta bucket of every data file; a file
// written by a newer emulator is refused rather than misread.
const schemaVersion = 1

var (
	metaBucket           = []byte("meta")
	accountsBucket       = []byte("accounts")
	organizationsBucket  = []byte("organizations")
	credentialsBucket    = []byte("credentials")
	principalsBucket     = []byte("principals")
	createStatusesBucket = []byte("create_account_statuses")
	rootUsersBucket      = []byte("root_users")
	bucketsBucket        = []byte("s3_buckets")
	objectsBucket        = []byte("s3_objects")
	queuesBucket         = []byte("sqs_queues")
	messagesBucket       = []byte("sqs_messages")

	allBuckets = slices.Concat([][]byte{metaBucket, accountsBucket, organizationsBucket, credentialsBucket,
		principalsBucket, createStatusesBucket, rootUsersBucket, bucketsBucket, objectsBucket,
		queuesBucket, messagesBucket}, cloudTrailBuckets)
)

// Store is the emulator's persistent state.
type Store struct {
	db  *bolt.DB
	now func() time.Time
}

// Option configures Open.
type Option func(*Store)

// WithNow sets the clock that stamps records and judges expiry; the
// emulator passes its movable clock here. Defaults to the wall clock.
func WithNow(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// Open opens (or creates) the data file at path and makes sure every bucket exists.
func Open(path string, opts ...Option) (*Store, error) {
	s := &Store{now: time.Now}
	for _, o := range opts {
		o(s)
	}
	// A held file lock fails fast instead of hanging: two emulators on one file is a user error.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, bolt.ErrTimeout) {
		// bbolt's own word for it is just "timeout".
		return nil, fmt.Errorf("open %s: the file is locked by another process (another emulator on the same data file?): %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s.db = db
	if err := s.initialize(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) initialize() error {
	return s.db.Update(func(btx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := btx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		meta := btx.Bucket(metaBucket)
		if v := meta.Get([]byte("schema")); v != nil {
			var got int
			if err := json.Unmarshal(v, &got); err != nil || got > schemaVersion {
				return fmt.Errorf("data file schema %s is newer than this emulator's %d", v, schemaVersion)
			}
			return nil
		}
		b, _ := json.Marshal(schemaVersion)
		return meta.Put([]byte("schema"), b)
	})
}

// Close closes the data file.
func (s *Store) Close() error { return s.db.Close() }

// Path is the data file's path.
func (s *Store) Path() string { return s.db.Path() }

// Tx is one transaction over the world, with the time frozen at its start.
type Tx struct {
	btx *bolt.Tx
	now time.Time
}

// Now is the emulated time at which the transaction started.
func (tx *Tx) Now() time.Time { return tx.now }

// View runs fn in a read-only transaction.
func (s *Store) View(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if j := s.joined(ctx); j != nil {
		return j.run(fn, false)
	}
	return s.db.View(func(btx *bolt.Tx) error { return fn(&Tx{btx: btx, now: s.now().UTC()}) })
}

// Update runs fn in a read-write transaction and commits (with fsync)
// before returning, so that whatever the caller acknowledges is on disk.
// Any error from fn rolls everything back.
func (s *Store) Update(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if j := s.joined(ctx); j != nil {
		return j.run(fn, true)
	}
	return s.db.Update(func(btx *bolt.Tx) error { return fn(&Tx{btx: btx, now: s.now().UTC()}) })
}

// Clear empties the world (every bucket but the schema and the clock
// offset), so that the caller can seed it again in the same transaction.
func (tx *Tx) Clear() error {
	for _, name := range allBuckets {
		if string(name) == string(metaBucket) {
			continue
		}
		if err := tx.btx.DeleteBucket(name); err != nil {
			return err
		}
		if _, err := tx.btx.CreateBucket(name); err != nil {
			return err
		}
	}
	meta := tx.btx.Bucket(metaBucket)
	if err := meta.Delete([]byte(worldKey)); err != nil {
		return err
	}
	return meta.Delete(initializedKey)
}

var initializedKey = []byte("initialized")

// Initialized reports whether the world has been seeded.
func (tx *Tx) Initialized() bool { return tx.btx.Bucket(metaBucket).Get(initializedKey) != nil }

// MarkInitialized records that the world has been seeded, so a restart does not seed again.
func (tx *Tx) MarkInitialized() error {
	return tx.btx.Bucket(metaBucket).Put(initializedKey, []byte(tx.now.Format(time.RFC3339)))
}

// get decodes the record at key into v; ErrNotFound when absent.
func (tx *Tx) get(bucket []byte, key string, v any) error {
	data := tx.btx.Bucket(bucket).Get([]byte(key))
	if data == nil {
		return ErrNotFound
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %s/%s: %w", bucket, key, err)
	}
	return nil
}

func (tx *Tx) exists(bucket []byte, key string) bool {
	return tx.btx.Bucket(bucket).Get([]byte(key)) != nil
}

func (tx *Tx) put(bucket []byte, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s/%s: %w", bucket, key, err)
	}
	return tx.btx.Bucket(bucket).Put([]byte(key), data)
}

func (tx *Tx) delete(bucket []byte, key string) error {
	return tx.btx.Bucket(bucket).Delete([]byte(key))
}

// each decodes every record of bucket whose key starts with prefix, in key
// order, calling fn until it returns errStop or another error.
func each[T any](tx *Tx, bucket []byte, prefix string, fn func(key string, v *T) error) error {
	c := tx.btx.Bucket(bucket).Cursor()
	p := []byte(prefix)
	for k, data := c.Seek(p); k != nil && hasPrefix(k, p); k, data = c.Next() {
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			return fmt.Errorf("decode %s/%s: %w", bucket, k, err)
		}
		if err := fn(string(k), &v); err != nil {
			if errors.Is(err, errStop) {
				return nil
			}
			return err
		}
	}
	return nil
}

var errStop = errors.New("stop iteration")

func hasPrefix(k, p []byte) bool { return len(k) >= len(p) && string(k[:len(p)]) == string(p) }

// World is what a seeded data file records about how it was seeded: the
// management account and the administrator key that the banner prints.
type World struct {
	ManagementAccountID string `json:"management_account_id"`
	AdminAccessKeyID    string `json:"admin_access_key_id"`
}

var worldKey = "world"

// World returns the seeded world's description; ErrNotFound before seeding.
func (tx *Tx) World() (World, error) {
	var w World
	if err := tx.get(metaBucket, worldKey, &w); err != nil {
		return World{}, fmt.Errorf("world: %w", err)
	}
	return w, nil
}

// PutWorld records the world's description.
func (tx *Tx) PutWorld(w World) error { return tx.put(metaBucket, worldKey, w) }

var clockOffsetKey = "clock_offset"

// ClockOffset is the emulated clock's saved offset from wall time, so that
// a restart does not move emulated time backwards (and revive sessions that
// had expired).
func (s *Store) ClockOffset(ctx context.Context) (time.Duration, error) {
	var d time.Duration
	err := s.View(ctx, func(tx *Tx) error {
		if err := tx.get(metaBucket, clockOffsetKey, &d); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		return nil
	})
	return d, err
}

// SetClockOffset saves the emulated clock's offset.
func (s *Store) SetClockOffset(ctx context.Context, d time.Duration) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.put(metaBucket, clockOffsetKey, d) })
}
