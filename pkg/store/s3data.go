package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	bolt "go.etcd.io/bbolt"
)

// Object data is kept apart from object records, as raw chunks of at most
// ChunkSize bytes in their own bbolt bucket, so that no object is ever
// held in memory whole: uploads are written a chunk per transaction and
// reads copy one chunk at a time.
//
// Data is immutable and named by a random id: a DataSegment. An object is
// a list of segments (one for a PUT, one per part for a multipart upload,
// which therefore completes without copying). Chunks of a segment that no
// record points to yet are marked pending in the same transaction that
// writes them; the record that adopts the segment clears the mark, and
// opening the data file deletes what is still pending (an upload cut by a
// crash), so that a kill -9 leaves neither half an object nor lost space.

// ChunkSize is the size of every chunk but a segment's last.
const ChunkSize = 1 << 20

var (
	chunksBucket      = []byte("s3_chunks")
	pendingDataBucket = []byte("s3_pending_data")
)

// DataSegment names stored bytes: chunk n of the segment holds bytes
// [n*ChunkSize, (n+1)*ChunkSize).
type DataSegment struct {
	ID   string `json:"id"`
	Size int64  `json:"size"`
}

func newDataID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// chunkKey is the id followed by the chunk number, big-endian, so that a
// segment's chunks are contiguous and in order.
func chunkKey(id string, n int) []byte {
	k := make([]byte, len(id)+4)
	copy(k, id)
	binary.BigEndian.PutUint32(k[len(id):], uint32(n))
	return k
}

// chunkValueKey is the one key of a chunk's own bucket.
var chunkValueKey = []byte{0}

// putChunk stores a chunk in a bucket of its own under chunksBucket. Were
// chunks plain values side by side, every insert would rewrite the leaf of
// its neighbour, a whole chunk, doubling the bytes written and pulling the
// neighbour through the memory map; a nested bucket puts only its small
// header beside the others. data must stay unchanged until tx commits.
func (tx *Tx) putChunk(id string, n int, data []byte) error {
	b, err := tx.btx.Bucket(chunksBucket).CreateBucketIfNotExists(chunkKey(id, n))
	if err != nil {
		return err
	}
	return b.Put(chunkValueKey, data)
}

// chunk returns chunk n of segment id as bbolt holds it (valid only in tx).
func (tx *Tx) chunk(id string, n int) []byte {
	b := tx.btx.Bucket(chunksBucket).Bucket(chunkKey(id, n))
	if b == nil {
		return nil
	}
	return b.Get(chunkValueKey)
}

// WriteData stores data as a new segment within this transaction; for
// small bodies (scenarios, copies of small objects). Large bodies go
// through a DataWriter.
func (tx *Tx) WriteData(data []byte) (DataSegment, error) {
	seg := DataSegment{ID: newDataID(), Size: int64(len(data))}
	for n := 0; len(data) > 0; n++ {
		size := min(len(data), ChunkSize)
		if err := tx.putChunk(seg.ID, n, data[:size]); err != nil {
			return DataSegment{}, err
		}
		data = data[size:]
	}
	return seg, nil
}

// deleteData deletes a segment's chunks and its pending mark.
func (tx *Tx) deleteData(id string) error {
	if id == "" {
		return nil
	}
	chunks := tx.btx.Bucket(chunksBucket)
	c := chunks.Cursor()
	prefix := []byte(id)
	// Seek again after each delete: the cursor is not valid across it.
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := chunks.DeleteBucket(append([]byte(nil), k...)); err != nil {
			return err
		}
	}
	return tx.btx.Bucket(pendingDataBucket).Delete([]byte(id))
}

// adoptData clears the pending marks of segments a record now points to.
func (tx *Tx) adoptData(segs []DataSegment) error {
	for _, s := range segs {
		if err := tx.btx.Bucket(pendingDataBucket).Delete([]byte(s.ID)); err != nil {
			return err
		}
	}
	return nil
}

// deleteSegments deletes the data of segments no record points to any more.
func (tx *Tx) deleteSegments(segs []DataSegment) error {
	for _, s := range segs {
		if err := tx.deleteData(s.ID); err != nil {
			return err
		}
	}
	return nil
}

// sweepPendingData deletes the chunks of uploads that never completed.
// It runs when the file is opened, when no upload can be under way.
func sweepPendingData(btx *bolt.Tx) error {
	var ids []string
	if err := btx.Bucket(pendingDataBucket).ForEach(func(k, _ []byte) error {
		ids = append(ids, string(k))
		return nil
	}); err != nil {
		return err
	}
	tx := &Tx{btx: btx}
	for _, id := range ids {
		if err := tx.deleteData(id); err != nil {
			return fmt.Errorf("sweep pending data %s: %w", id, err)
		}
	}
	return nil
}

// DataWriter writes one new segment, a chunk per committed transaction,
// holding at most one chunk in memory. The segment is handed to a
// record to adopt (PutObject, PutPart) through Commit, in the record's
// transaction; Abort deletes what was written.
type DataWriter struct {
	s     *Store
	ctx   context.Context
	seg   DataSegment
	n     int // chunks written
	buf   []byte
	err   error
	wrote bool
}

// NewDataWriter starts a segment. ctx bounds its transactions.
func (s *Store) NewDataWriter(ctx context.Context) *DataWriter {
	return &DataWriter{s: s, ctx: ctx, seg: DataSegment{ID: newDataID()}, buf: make([]byte, 0, ChunkSize)}
}

// Write buffers p and commits every full chunk.
func (w *DataWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	written := 0
	for len(p) > 0 {
		n := min(len(p), ChunkSize-len(w.buf))
		w.buf = append(w.buf, p[:n]...)
		p, written = p[n:], written+n
		if len(w.buf) == ChunkSize {
			if err := w.flush(); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// ReadFrom copies r into the segment a chunk at a time, without the
// intermediate buffer io.Copy would add.
func (w *DataWriter) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for w.err == nil {
		n, err := r.Read(w.buf[len(w.buf):cap(w.buf)])
		w.buf = w.buf[:len(w.buf)+n]
		total += int64(n)
		if len(w.buf) == ChunkSize {
			if ferr := w.flush(); ferr != nil {
				return total, ferr
			}
		}
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
	return total, w.err
}

func (w *DataWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	n, data := w.n, w.buf
	err := w.s.Update(w.ctx, func(tx *Tx) error {
		if err := tx.btx.Bucket(pendingDataBucket).Put([]byte(w.seg.ID), []byte(tx.now.Format("2006-01-02T15:04:05Z"))); err != nil {
			return err
		}
		return tx.putChunk(w.seg.ID, n, data)
	})
	if err != nil {
		w.err = err
		return err
	}
	w.wrote = true
	w.n++
	w.seg.Size += int64(len(data))
	w.buf = w.buf[:0]
	return nil
}

// Commit writes the last (partial) chunk in tx, the transaction that also
// writes the record adopting the segment, and returns the segment. It
// does not change the writer, so that tx may be run again.
func (w *DataWriter) Commit(tx *Tx) (DataSegment, error) {
	if w.err != nil {
		return DataSegment{}, w.err
	}
	seg := w.seg
	if len(w.buf) > 0 {
		if err := tx.putChunk(seg.ID, w.n, w.buf); err != nil {
			return DataSegment{}, err
		}
		seg.Size += int64(len(w.buf))
	}
	return seg, nil
}

// Size is how many bytes were written so far.
func (w *DataWriter) Size() int64 { return w.seg.Size + int64(len(w.buf)) }

// Abort deletes whatever the writer committed; the upload failed. It runs
// even when the request's context is done.
func (w *DataWriter) Abort() error {
	w.buf = nil
	if !w.wrote {
		return nil
	}
	return w.s.Update(context.WithoutCancel(w.ctx), func(tx *Tx) error { return tx.deleteData(w.seg.ID) })
}

// ReadChunk copies chunk n of segment id into dst (reusing its capacity)
// in one short read transaction: ErrNotFound when the data is gone (its
// object was replaced or deleted meanwhile).
func (s *Store) ReadChunk(ctx context.Context, id string, n int, dst []byte) ([]byte, error) {
	err := s.View(ctx, func(tx *Tx) error {
		v := tx.chunk(id, n)
		if v == nil {
			return fmt.Errorf("chunk %d of %s: %w", n, id, ErrNotFound)
		}
		dst = append(dst[:0], v...)
		releaseMapped(v)
		return nil
	})
	return dst, err
}

// DataReader reads bytes [off, off+length) of a list of segments, a chunk
// at a time, each in its own short read transaction: a long download never
// holds a transaction open (which would stall bbolt's remapping for
// writers).
type DataReader struct {
	s         *Store
	ctx       context.Context
	segs      []DataSegment
	off, left int64
	buf       []byte
	pending   []byte
}

// OpenData reads length bytes of segs from off.
func (s *Store) OpenData(ctx context.Context, segs []DataSegment, off, length int64) *DataReader {
	return &DataReader{s: s, ctx: ctx, segs: segs, off: off, left: length}
}

func (r *DataReader) Read(p []byte) (int, error) {
	for len(r.pending) == 0 {
		if r.left <= 0 {
			return 0, io.EOF
		}
		if err := r.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.pending)
	r.pending = r.pending[n:]
	return n, nil
}

// next loads the chunk that holds r.off.
func (r *DataReader) next() error {
	off := r.off
	for _, seg := range r.segs {
		if off >= seg.Size {
			off -= seg.Size
			continue
		}
		n := int(off / ChunkSize)
		if r.buf == nil {
			r.buf = make([]byte, 0, ChunkSize)
		}
		chunk, err := r.s.ReadChunk(r.ctx, seg.ID, n, r.buf)
		if err != nil {
			return err
		}
		r.buf = chunk
		start := off - int64(n)*ChunkSize
		if start >= int64(len(chunk)) {
			return fmt.Errorf("chunk %d of %s is short: %w", n, seg.ID, ErrNotFound)
		}
		r.pending = chunk[start:min(int64(len(chunk)), start+r.left)]
		r.off += int64(len(r.pending))
		r.left -= int64(len(r.pending))
		return nil
	}
	return fmt.Errorf("data ends before offset %d: %w", r.off, ErrNotFound)
}
