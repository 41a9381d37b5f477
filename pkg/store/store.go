// Package store keeps the emulator's world in one bbolt file.
//
// Every exported Store method is one transaction. Work that must be atomic
// (check preconditions, then write) runs inside Store.Update with the
// exported methods of Tx, which all take the open transaction. Values are
// JSON records; no bbolt byte slice ever leaves a transaction.
//
// # Indexes
//
// No lookup an API call makes scans a bucket: records are found by key or
// through a secondary index (index.go) kept in the same transaction as the
// record: long-term access keys by principal, sessions by expiry (the
// purge), accounts by email and by organization (the same index takes a
// parent id once there are OUs), create-account requests by organization,
// IAM users, roles, groups and customer managed policies by account and
// name, group members and managed-policy attachments (by policy, for
// ListEntitiesForPolicy), S3 buckets by owner. S3 objects
// and SQS messages are keyed under their bucket or queue, so they need none.
// Listings page with a cursor (the …Page methods) that seeks where the last
// page ended instead of loading everything. A data file of schema 1 (no
// indexes) gets them built when it is opened.
//
// # Writes
//
// Concurrent Updates are group-committed: they share one transaction and
// one fsync, a lone write is committed at once, and each returns only after
// its own commit (commit.go). Reads (View) never wait for a write.
//
// # Credentials in memory
//
// Store.Credential, which authenticates every signed request, answers from
// a cache (credcache.go) that the committer keeps in step with the data:
// every access key a write transaction puts or deletes (all of them for
// Clear) is evicted after its commit and before the write is answered.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// schemaVersion is written to the meta bucket of every data file; a file
// written by a newer emulator is refused rather than misread.
//
// 1: records only. 2: the secondary indexes of index.go, built from the
// records when a version-1 file is opened. 3: the organization tree
// (accounts get a parent, OUs, the children and OU-name indexes). 4: IAM
// customer managed policies (their bucket and name index) and the index of
// managed-policy attachments, built from the principals. 5: event
// history's posting lists (postings.go), built from the events. 6: event
// records kept as references to templates (eventtemplates.go); events of
// older files keep their whole records, read as they are.
const schemaVersion = 6

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
	dedupBucket          = []byte("sqs_deduplication")
	scenariosBucket      = []byte("scenarios")
	iamPoliciesBucket    = []byte("iam_policies") // customer managed policies by ARN
	// The organization tree and its policies (orgtree.go, orgpolicy.go).
	// Attachments are data, not derived from records: two keyings of the
	// same facts, written together (see AttachPolicy), never rebuilt.
	ousBucket           = []byte("org_units")
	orgPoliciesBucket   = []byte("org_policies") // organization \0 policy id
	attachmentsByTarget = []byte("org_attachments_by_target")
	attachmentsByPolicy = []byte("org_attachments_by_policy")

	allBuckets = append([][]byte{metaBucket, accountsBucket, organizationsBucket, credentialsBucket,
		principalsBucket, createStatusesBucket, rootUsersBucket, bucketsBucket, objectsBucket,
		queuesBucket, messagesBucket, dedupBucket, ousBucket, orgPoliciesBucket, attachmentsByTarget, attachmentsByPolicy, scenariosBucket,
		chunksBucket, pendingDataBucket, uploadsBucket, partsBucket, iamPoliciesBucket},
		slices.Concat(indexBuckets, cloudTrailBuckets)...)
)

// Store is the emulator's persistent state.
type Store struct {
	db  *bolt.DB
	now func() time.Time

	requests   chan *writeRequest // the committer's queue (commit.go), closed by Close
	closeMu    sync.RWMutex
	closed     bool
	committers sync.WaitGroup

	credentials credentialCache // credcache.go
}

// Option configures Open.
type Option func(*Store)

// WithNow sets the clock that stamps records and judges expiry; the
// emulator passes its movable clock here. Defaults to the wall clock.
func WithNow(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// Open opens (or creates) the data file at path and makes sure every bucket
// exists. A file that is not a sound data file is refused with
// ErrBadDataFile, one held by another process with ErrDataFileLocked.
func Open(path string, opts ...Option) (*Store, error) {
	s := &Store{now: time.Now}
	for _, o := range opts {
		o(s)
	}
	db, err := openBolt(path)
	if err != nil {
		return nil, err
	}
	s.db = db
	if err := s.initialize(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s.requests = make(chan *writeRequest, maxGroup)
	s.committers.Add(1)
	go s.commitLoop(nil)
	return s, nil
}

func (s *Store) initialize() error {
	// A file that has every bucket at the current schema is opened with a
	// read only: no fsync at start (a world of 200 tenants opens 200 files).
	current := false
	err := s.db.View(func(btx *bolt.Tx) error {
		current = btx.Bucket(metaBucket) != nil && string(btx.Bucket(metaBucket).Get([]byte("schema"))) == strconv.Itoa(schemaVersion)
		for _, name := range allBuckets {
			current = current && btx.Bucket(name) != nil
		}
		// Chunks of an upload a crash cut short are swept in the write below.
		if current {
			k, _ := btx.Bucket(pendingDataBucket).Cursor().First()
			current = k == nil
		}
		return nil
	})
	if err != nil || current {
		return err
	}
	return s.db.Update(func(btx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := btx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		meta := btx.Bucket(metaBucket)
		got := 0 // a file without a schema is new (or older than schemas): its indexes are built too
		if v := meta.Get([]byte("schema")); v != nil {
			if err := json.Unmarshal(v, &got); err != nil || got > schemaVersion {
				return fmt.Errorf("data file schema %s is newer than this emulator's %d", v, schemaVersion)
			}
		}
		if got == schemaVersion {
			return sweepPendingData(btx)
		}
		// Migrate in this one transaction: a failure leaves the file as it was.
		// Files older than schema 3 have no OUs: their members go under the root.
		if err := (&Tx{btx: btx}).placeAccountsUnderRoots(); err != nil {
			return fmt.Errorf("migrate data file from schema %d to %d: %w", got, schemaVersion, err)
		}
		if err := (&Tx{btx: btx}).rebuildIndexes(); err != nil {
			return fmt.Errorf("migrate data file from schema %d to %d: %w", got, schemaVersion, err)
		}
		if err := (&Tx{btx: btx}).rebuildEventPostings(); err != nil {
			return fmt.Errorf("migrate data file from schema %d to %d: %w", got, schemaVersion, err)
		}
		// A schema-3 file can hold the chunks of an upload a crash cut short.
		if err := sweepPendingData(btx); err != nil {
			return err
		}
		b, _ := json.Marshal(schemaVersion)
		return meta.Put([]byte("schema"), b)
	})
}

// Close waits for the writes under way to commit and closes the data file;
// later Updates fail with ErrClosed.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if !s.closed {
		s.closed = true
		close(s.requests)
	}
	s.closeMu.Unlock()
	s.committers.Wait()
	return s.db.Close()
}

// Path is the data file's path.
func (s *Store) Path() string { return s.db.Path() }

// Tx is one transaction over the world, with the time frozen at its start.
type Tx struct {
	btx *bolt.Tx
	now time.Time
	// credentialChanges records the access keys this write transaction
	// touched, for the credential cache (nil in read transactions).
	credentialChanges *credentialChanges
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

// Clear empties the world (every bucket but the schema and the clock
// offset), so that the caller can seed it again in the same transaction.
func (tx *Tx) Clear() error {
	tx.credentialChanges.touchAll()
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
