package store

import (
	"context"
	"sync"
)

// The credential cache. Every signed request looks up its access key, so
// Store.Credential answers from memory instead of decoding JSON in a read
// transaction each time. It is kept exactly in step with the data by one
// rule: a write transaction records every access key it puts or deletes
// (and Clear records that everything went), and the committer evicts those
// keys, whether the transaction committed or not, after the commit and
// before any writer in the group is answered. So once a write that
// deletes, deactivates or replaces a key is acknowledged, no lookup can
// find the old record in memory. Expiry needs no eviction: the cached
// record carries ExpiresAt, which the caller judges against its clock.
//
// A miss must not put back a record that a concurrent write has just made
// stale (read before the commit, inserted after the eviction). So a miss
// first leaves a placeholder of its own, reads, and stores what it read
// only if its placeholder is still there: an eviction in between removes
// the placeholder, and the record read is used for this one lookup only.

// maxCachedCredentials bounds the cache; past it the cache starts afresh
// (every live credential of a large world fits many times over).
const maxCachedCredentials = 1 << 17

type credentialCache struct {
	mu      sync.Mutex
	entries map[string]*credentialEntry
}

// credentialEntry is a cached record, or (filled false) a miss's placeholder.
type credentialEntry struct {
	filled bool
	cred   Credential
}

// credentialChanges collects what one group's transaction wrote to the
// credentials bucket, for the eviction after its commit.
type credentialChanges struct {
	keys []string
	all  bool
}

func (c *credentialChanges) touch(accessKeyID string) {
	if c != nil {
		c.keys = append(c.keys, accessKeyID)
	}
}

func (c *credentialChanges) touchAll() {
	if c != nil {
		c.all = true
	}
}

// evict removes what changes touched.
func (cc *credentialCache) evict(changes *credentialChanges) {
	if !changes.all && len(changes.keys) == 0 {
		return
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if changes.all {
		cc.entries = nil
		return
	}
	for _, k := range changes.keys {
		delete(cc.entries, k)
	}
}

// Credential returns the credential with the access key id, for callers
// outside a transaction (authentication on every request), from memory
// when it was read before and no write has touched it since.
func (s *Store) Credential(ctx context.Context, accessKeyID string) (Credential, error) {
	if err := ctx.Err(); err != nil {
		return Credential{}, err
	}
	cred, placeholder := s.credentials.lookup(accessKeyID)
	if placeholder == nil {
		return cred, nil
	}
	cred, err := viewOne(ctx, s, func(tx *Tx) (Credential, error) { return tx.Credential(accessKeyID) })
	s.credentials.fill(accessKeyID, placeholder, cred, err)
	return cred, err
}

// lookup returns the cached record, or (a miss) the placeholder it left
// for fill.
func (cc *credentialCache) lookup(accessKeyID string) (Credential, *credentialEntry) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if e, ok := cc.entries[accessKeyID]; ok && e.filled {
		return e.cred, nil
	}
	if cc.entries == nil || len(cc.entries) >= maxCachedCredentials {
		cc.entries = make(map[string]*credentialEntry)
	}
	placeholder := &credentialEntry{}
	cc.entries[accessKeyID] = placeholder
	return Credential{}, placeholder
}

// fill stores what a miss read (started with placeholder) unless a write
// evicted the key meanwhile.
func (cc *credentialCache) fill(accessKeyID string, placeholder *credentialEntry, cred Credential, err error) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.entries[accessKeyID] != placeholder {
		return
	}
	if err != nil {
		delete(cc.entries, accessKeyID) // unknown keys are not remembered: one may be created later
		return
	}
	cc.entries[accessKeyID] = &credentialEntry{filled: true, cred: cred}
}

// cached reports whether the cache holds a record for the key (tests).
func (cc *credentialCache) cached(accessKeyID string) bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	e, ok := cc.entries[accessKeyID]
	return ok && e.filled
}
