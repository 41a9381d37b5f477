package store

import (
	"bytes"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Posting lists: event history's lookup index (cloudtrail.go). Indexing
// each event under each of its lookup attributes was six or seven puts per
// event, most of the cost of recording a read. A posting list instead holds
// the history keys (their 16-byte suffixes, newest first) of many events of
// one account with one attribute value:
//
//	<account> 0 <attribute> 0 <value> 0 <suffix of its newest event> → suffix suffix …
//
// so that a batch of events with the same caller, name and source costs one
// put per attribute, not one per event and attribute. The lists of one
// prefix never overlap: every suffix of a list sorts before every suffix
// of the next list, so reading the lists in key order reads the events
// newest first. A list holds at most postingSize suffixes (about a page).
const (
	suffixLen   = 16
	postingSize = 240
)

// postingPrefixEnd is the first key after every list of prefix (which ends in 0).
func postingPrefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	end[len(end)-1] = 1
	return end
}

// addPostings adds suffixes (distinct, in ascending order: newest first) to
// prefix's lists. A batch newer than every list, the usual case, is put
// before them, into the newest list when it has room; a batch that
// overlaps lists (a clock set back, a migration) is merged with them.
// It takes suffixes: the merge appends to it.
func addPostings(b *bolt.Bucket, prefix []byte, suffixes [][]byte) error {
	if len(suffixes) == 0 {
		return nil
	}
	first, last := suffixes[0], suffixes[len(suffixes)-1]
	c := b.Cursor()
	var merge [][]byte // keys of the lists to merge with
	entries := suffixes
	// The list before first may reach past it.
	k, v := seekBefore(c, append(bytes.Clone(prefix), first...))
	if k != nil && bytes.HasPrefix(k, prefix) && bytes.Compare(lastSuffix(v), first) >= 0 {
		merge = append(merge, bytes.Clone(k))
		entries = append(entries, splitSuffixes(v)...)
	}
	// Every list that begins within [first, last] overlaps.
	k, v = c.Seek(append(bytes.Clone(prefix), first...))
	for ; k != nil && bytes.HasPrefix(k, prefix) && bytes.Compare(k[len(prefix):], last) <= 0; k, v = c.Next() {
		merge = append(merge, bytes.Clone(k))
		entries = append(entries, splitSuffixes(v)...)
	}
	// No overlap: the list that follows (the next older events) takes the
	// batch in front of it when both fit in one list.
	if len(merge) == 0 && k != nil && bytes.HasPrefix(k, prefix) && len(v)/suffixLen+len(suffixes) <= postingSize {
		merge = append(merge, bytes.Clone(k))
		entries = append(entries, splitSuffixes(v)...)
	}
	for _, k := range merge {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	if len(merge) > 0 {
		slices.SortFunc(entries, bytes.Compare)
		entries = slices.CompactFunc(entries, bytes.Equal)
	}
	return putPostings(b, prefix, entries)
}

// putPostings puts entries (ascending) as lists of at most postingSize.
func putPostings(b *bolt.Bucket, prefix []byte, entries [][]byte) error {
	for len(entries) > 0 {
		n := min(len(entries), postingSize)
		value := make([]byte, 0, n*suffixLen)
		for _, e := range entries[:n] {
			value = append(value, e...)
		}
		if err := b.Put(append(bytes.Clone(prefix), entries[0]...), value); err != nil {
			return err
		}
		entries = entries[n:]
	}
	return nil
}

// removePostings removes from prefix's lists the entries in dropped, of
// which they hold count. Those are the account's oldest events (the cap and
// retention drop those), so the lists are read from the last, the oldest,
// until every one is found.
func removePostings(b *bolt.Bucket, prefix []byte, dropped map[[suffixLen]byte]bool, count int) error {
	left := count
	c := b.Cursor()
	k, v := seekBefore(c, postingPrefixEnd(prefix))
	var rewrite []struct{ old, first, value []byte }
	for ; left > 0 && k != nil && bytes.HasPrefix(k, prefix); k, v = cursorPrev(c, k) {
		var kept []byte
		for i := 0; i+suffixLen <= len(v); i += suffixLen {
			if s := v[i : i+suffixLen]; dropped[[suffixLen]byte(s)] {
				left--
			} else {
				kept = append(kept, s...)
			}
		}
		if len(kept) == len(v) {
			continue
		}
		rewrite = append(rewrite, struct{ old, first, value []byte }{bytes.Clone(k), kept[:min(len(kept), suffixLen)], kept})
	}
	// Changed after the walk: bbolt's cursor does not survive a put under it.
	for _, r := range rewrite {
		if err := b.Delete(r.old); err != nil {
			return err
		}
		if len(r.value) > 0 {
			if err := b.Put(append(bytes.Clone(prefix), r.first...), r.value); err != nil {
				return err
			}
		}
	}
	return nil
}

// postingsFrom calls yield with prefix's suffixes from the first that is not
// before from (every one when from is nil), in order, until yield returns false.
func postingsFrom(b *bolt.Bucket, prefix, from []byte, yield func(suffix []byte) bool) {
	c := b.Cursor()
	seek := append(bytes.Clone(prefix), from...)
	k, v := c.Seek(seek)
	if from != nil && (k == nil || !bytes.Equal(k, seek)) {
		// The list before may hold from.
		pk, pv := seekBefore(c, seek)
		if pk != nil && bytes.HasPrefix(pk, prefix) {
			k, v = pk, pv
		} else {
			k, v = c.Seek(seek)
		}
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		for i := 0; i+suffixLen <= len(v); i += suffixLen {
			s := v[i : i+suffixLen]
			if from != nil && bytes.Compare(s, from) < 0 {
				continue
			}
			if !yield(s) {
				return
			}
		}
	}
}

func splitSuffixes(v []byte) [][]byte {
	out := make([][]byte, 0, len(v)/suffixLen)
	for i := 0; i+suffixLen <= len(v); i += suffixLen {
		out = append(out, bytes.Clone(v[i:i+suffixLen]))
	}
	return out
}

func lastSuffix(v []byte) []byte {
	if len(v) < suffixLen {
		return nil
	}
	return v[len(v)-suffixLen:]
}

// seekBefore moves c to the last key before key: nil when there is none.
func seekBefore(c *bolt.Cursor, key []byte) ([]byte, []byte) {
	k, _ := c.Seek(key)
	if k == nil {
		return c.Last()
	}
	return cursorPrev(c, k)
}

// cursorPrev is c.Prev from the key at, stepping over leaves that deletes
// in this transaction emptied: bbolt's Prev answers nil in one, as it does
// at the start (bbolt rebalances only at commit), and a trim that took it
// for the start stopped early. A nil is believed once no key is before at.
func cursorPrev(c *bolt.Cursor, at []byte) ([]byte, []byte) {
	for {
		if k, v := c.Prev(); k != nil {
			return k, v
		}
		if first, _ := c.Bucket().Cursor().First(); first == nil || bytes.Compare(first, at) >= 0 {
			return nil, nil
		}
	}
}
