package store_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/rootaccess/emulator/pkg/store"
)

// The write benchmarks compare Store.Update, which group-commits, with bare
// bbolt on the same disk (the same temporary folder): one db.Update per
// write (bbolt's one-fsync-per-write ceiling) and db.Batch (bbolt's
// batching, which waits up to 10 ms to fill a batch). Each write is a
// session credential, as AssumeRoot mints. The ratios are the figures;
// docs/performance.md has them.

// benchParallelism makes b.RunParallel run 32 × GOMAXPROCS writers (64 on
// the project's 2-core machines).
const benchParallelism = 32

func sessionRecord(n int64, now time.Time) store.Credential {
	return store.Credential{AccessKeyID: fmt.Sprintf("ASIA%016d", n), SecretAccessKey: "secret", Kind: store.KindRootSession,
		AccountID: "123456789012", PrincipalARN: store.RootUserARN("123456789012"),
		SessionToken: "IQoJb3JpZ2luX2VjE" + fmt.Sprintf("%0200d", n), CreatedAt: now, ExpiresAt: now.Add(15 * time.Minute)}
}

func benchStore(b *testing.B) *store.Store {
	st, err := store.Open(filepath.Join(b.TempDir(), "emulator.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

func benchBolt(b *testing.B) *bolt.DB {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "bare.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("credentials")); return err }); err != nil {
		b.Fatal(err)
	}
	return db
}

func storeWrite(st *store.Store, n int64) error {
	return st.Update(ctx, func(tx *store.Tx) error { return tx.PutCredential(sessionRecord(n, tx.Now())) })
}

func boltWrite(commit func(func(*bolt.Tx) error) error, n int64) error {
	return commit(func(tx *bolt.Tx) error {
		c := sessionRecord(n, time.Unix(1_800_000_000, 0))
		data, err := json.Marshal(c)
		if err != nil {
			return err
		}
		return tx.Bucket([]byte("credentials")).Put([]byte(c.AccessKeyID), data)
	})
}

// BenchmarkUpdate is one writer: Store.Update must cost one bbolt commit,
// with no batching delay.
func BenchmarkUpdate(b *testing.B) {
	b.Run("store", func(b *testing.B) {
		st := benchStore(b)
		for i := range b.N {
			if err := storeWrite(st, int64(i)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bolt-update", func(b *testing.B) {
		db := benchBolt(b)
		for i := range b.N {
			if err := boltWrite(db.Update, int64(i)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkUpdateParallel is many concurrent writers: Store.Update shares
// fsyncs between them.
func BenchmarkUpdateParallel(b *testing.B) {
	parallel := func(b *testing.B, write func(n int64) error) {
		var next atomic.Int64
		b.SetParallelism(benchParallelism)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := write(next.Add(1)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.Run("store", func(b *testing.B) {
		st := benchStore(b)
		parallel(b, func(n int64) error { return storeWrite(st, n) })
	})
	b.Run("bolt-update", func(b *testing.B) {
		db := benchBolt(b)
		parallel(b, func(n int64) error { return boltWrite(db.Update, n) })
	})
	b.Run("bolt-batch", func(b *testing.B) {
		db := benchBolt(b)
		parallel(b, func(n int64) error { return boltWrite(db.Batch, n) })
	})
}
