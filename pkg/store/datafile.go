package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"runtime/debug"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Errors of Open that the program turns into advice for the user.
var (
	// ErrBadDataFile: the file exists but is not a bbolt file, or is
	// truncated or damaged; nothing in it was changed.
	ErrBadDataFile = errors.New("not usable")
	// ErrDataFileLocked: another process (another emulator?) holds the file.
	ErrDataFileLocked = errors.New("locked by another process")
)

// bbolt's on-disk meta page (go.etcd.io/bbolt/internal/common): a 16-byte
// page header, then magic, version, page size, flags, root bucket (page id,
// sequence), freelist page id, high-water page id, txid and an FNV-64a
// checksum of everything before it, in the machine's byte order.
const (
	boltPageHeaderSize = 16
	boltMagic          = 0xED0CDAED
	boltVersion        = 2
	boltMetaSize       = 64
	boltNoFreelist     = ^uint64(0)
)

type boltMeta struct {
	pageSize, root, freelist, highWater, txid uint64
}

// parseBoltMeta reads a meta page from buf (a page's first bytes), or
// reports false if it is not a valid one.
func parseBoltMeta(buf []byte) (boltMeta, bool) {
	if len(buf) < boltPageHeaderSize+boltMetaSize {
		return boltMeta{}, false
	}
	m := buf[boltPageHeaderSize : boltPageHeaderSize+boltMetaSize]
	e := binary.NativeEndian
	if e.Uint32(m[0:]) != boltMagic || e.Uint32(m[4:]) != boltVersion {
		return boltMeta{}, false
	}
	h := fnv.New64a()
	h.Write(m[:56])
	if h.Sum64() != e.Uint64(m[56:]) {
		return boltMeta{}, false
	}
	return boltMeta{pageSize: uint64(e.Uint32(m[8:])), root: e.Uint64(m[16:]), freelist: e.Uint64(m[32:]),
		highWater: e.Uint64(m[40:]), txid: e.Uint64(m[48:])}, true
}

// checkDataFile refuses, before bbolt maps it, a file whose pages would be
// read past its end (bbolt then dies of SIGBUS or reads foreign memory): a
// file that is not a bbolt file, or one truncated below the pages its meta
// page says it has. A missing or empty file is a new data file.
func checkDataFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return nil // bolt.Open reports it (permission denied…) with the same path
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || info.IsDir() {
		return nil
	}
	size := info.Size()
	if size == 0 {
		return nil
	}
	notBolt := fmt.Errorf("data file %s is %w: it is not a bbolt file (%d bytes, no valid header)", path, ErrBadDataFile, size)
	// bbolt's two meta pages are pages 0 and 1; page 1's offset is the page
	// size, which only a valid meta page tells.
	var metas []boltMeta
	buf := make([]byte, boltPageHeaderSize+boltMetaSize)
	if _, err := f.ReadAt(buf, 0); err == nil {
		if m, ok := parseBoltMeta(buf); ok {
			metas = append(metas, m)
		}
	}
	pageSize := int64(0)
	if len(metas) > 0 {
		pageSize = int64(metas[0].pageSize)
	}
	for shift := 10; shift <= 24 && pageSize == 0; shift++ { // the page sizes bbolt tries: 1 KiB to 16 MiB
		if n, _ := f.ReadAt(buf, 1<<shift); n < len(buf) {
			break
		}
		if m, ok := parseBoltMeta(buf); ok && m.pageSize == 1<<shift {
			pageSize = 1 << shift
		}
	}
	if pageSize < 1024 || pageSize&(pageSize-1) != 0 {
		return notBolt
	}
	if size < 2*pageSize {
		return fmt.Errorf("data file %s is %w: it is truncated (%d bytes, less than its two %d-byte header pages)", path, ErrBadDataFile, size, pageSize)
	}
	if len(metas) == 0 || metas[0].pageSize != uint64(pageSize) {
		metas = nil
	}
	if _, err := f.ReadAt(buf, pageSize); err == nil {
		if m, ok := parseBoltMeta(buf); ok && m.pageSize == uint64(pageSize) {
			metas = append(metas, m)
		}
	}
	if len(metas) == 0 {
		return notBolt
	}
	// bbolt uses the valid meta page with the higher transaction id.
	meta := metas[0]
	if len(metas) == 2 && metas[1].txid > meta.txid {
		meta = metas[1]
	}
	if meta.root >= meta.highWater || (meta.freelist >= meta.highWater && meta.freelist != boltNoFreelist) {
		return fmt.Errorf("data file %s is %w: its header is inconsistent (root page %d, freelist page %d, %d pages)",
			path, ErrBadDataFile, meta.root, meta.freelist, meta.highWater)
	}
	if meta.highWater > uint64(size/pageSize) {
		return fmt.Errorf("data file %s is %w: it is truncated (%d bytes; its %d pages need %d)",
			path, ErrBadDataFile, size, meta.highWater, int64(meta.highWater)*pageSize)
	}
	return nil
}

// openBolt opens the data file after checkDataFile, then checks every page
// of it (bbolt's Tx.Check, a few milliseconds for a small world), so that
// damage is reported once at start rather than as a panic in the middle of
// a request. A fault or panic in bbolt while it reads the file becomes
// ErrBadDataFile instead of a crash.
func openBolt(path string) (db *bolt.DB, err error) {
	if err := checkDataFile(path); err != nil {
		return nil, err
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if v := recover(); v != nil {
			// bbolt may hold its locks: the file is left open, the process is about to exit.
			db, err = nil, fmt.Errorf("data file %s is %w: it is damaged (%v)", path, ErrBadDataFile, v)
		}
	}()
	// A held file lock fails fast instead of hanging: two emulators on one file is a user error.
	// The map starts large where that is address space only (see
	// initialMapSize), so that a growing file is not mapped again at every
	// doubling: each remap copied every node a write had open (7 % of a
	// recorded read's CPU while event history filled). A large map also spares a
	// fresh file bbolt's growths at every doubling (an ftruncate and an
	// fsync each, two of them before a fresh world's seed was committed):
	// with a map over 16 MiB, bbolt grows the file 16 MiB at a time (sparse).
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, InitialMmapSize: initialMapSize})
	if errors.Is(err, bolt.ErrTimeout) {
		// bbolt's own word for it is just "timeout".
		return nil, fmt.Errorf("data file %s is %w (another emulator on the same file?)", path, ErrDataFileLocked)
	}
	var pathErr *os.PathError
	if errors.As(err, &pathErr) {
		return nil, err // it names the path already
	}
	if err != nil {
		return nil, fmt.Errorf("data file %s is %w: %w", path, ErrBadDataFile, err)
	}
	var first error
	problems := 0
	err = db.View(func(tx *bolt.Tx) error {
		for e := range tx.Check() {
			if first == nil {
				first = e
			}
			problems++
		}
		return nil
	})
	if err == nil && first != nil {
		// bbolt's report can run over several lines: one line, and how many more.
		what, _, _ := strings.Cut(first.Error(), "\n")
		if problems > 1 {
			what += fmt.Sprintf(", and %d more problems", problems-1)
		}
		err = fmt.Errorf("data file %s is %w: it is damaged (%s)", path, ErrBadDataFile, what)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	// The check read every page through the map: hand them back, or a
	// restarted emulator would hold its whole file resident (they stay in
	// the page cache; what is used again comes back on its own).
	if fi, statErr := os.Stat(path); statErr == nil && fi.Size() > 0 {
		releaseMappedRange(db.Info().Data, fi.Size())
	}
	return db, nil
}
