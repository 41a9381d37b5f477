package store

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func openAt(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path)
	require.NoError(t, err)
	return s
}

// countChunks is how many chunks the data file holds, of any segment.
func countChunks(t *testing.T, s *Store) int {
	t.Helper()
	n := 0
	require.NoError(t, s.View(context.Background(), func(tx *Tx) error {
		return tx.btx.Bucket(chunksBucket).ForEach(func(_, _ []byte) error { n++; return nil })
	}))
	return n
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/ChunkSize)
	}
	return b
}

// writeObject streams data into a new object, as an upload does.
func writeObject(t *testing.T, s *Store, bucket, key string, data []byte) ObjectInfo {
	t.Helper()
	ctx := context.Background()
	w := s.NewDataWriter(ctx)
	_, err := w.ReadFrom(bytes.NewReader(data))
	require.NoError(t, err)
	var info ObjectInfo
	require.NoError(t, s.Update(ctx, func(tx *Tx) error {
		seg, err := w.Commit(tx)
		if err != nil {
			return err
		}
		info, err = tx.PutObject(Object{ObjectInfo: ObjectInfo{Bucket: bucket, Key: key, Segments: []DataSegment{seg}}})
		return err
	}))
	return info
}

func readAll(t *testing.T, s *Store, info ObjectInfo, off, n int64) []byte {
	t.Helper()
	got, err := io.ReadAll(s.OpenData(context.Background(), info.Segments, off, n))
	require.NoError(t, err)
	return got
}

func TestObjectData_ChunkedStreamedAndDurable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "data.db")
	s := openAt(t, path)
	require.NoError(t, s.Update(ctx, func(tx *Tx) error { _, err := tx.CreateBucket(Bucket{Name: "b"}); return err }))
	data := pattern(2*ChunkSize + 12345)
	info := writeObject(t, s, "b", "k", data)
	assert.Equal(t, int64(len(data)), info.Size)
	assert.Equal(t, 3, countChunks(t, s))
	assert.True(t, bytes.Equal(data, readAll(t, s, info, 0, info.Size)))
	assert.True(t, bytes.Equal(data[ChunkSize-10:ChunkSize+20], readAll(t, s, info, ChunkSize-10, 30)), "a range across chunks")

	// An upload cut short (never committed) leaves pending chunks, which
	// the next open deletes; the acknowledged object stays.
	w := s.NewDataWriter(ctx)
	_, err := w.ReadFrom(bytes.NewReader(pattern(3 * ChunkSize)))
	require.NoError(t, err)
	assert.Equal(t, 6, countChunks(t, s))
	require.NoError(t, s.Close())
	s = openAt(t, path)
	defer s.Close()
	assert.Equal(t, 3, countChunks(t, s), "the uncommitted upload's chunks are swept at open")
	require.NoError(t, s.View(ctx, func(tx *Tx) error { info, err = tx.Object("b", "k"); return err }))
	assert.True(t, bytes.Equal(data, readAll(t, s, info, 0, info.Size)), "the acknowledged object survives the reopen")

	// Replacing and deleting objects deletes their chunks; Abort too.
	info = writeObject(t, s, "b", "k", pattern(10))
	assert.Equal(t, 1, countChunks(t, s))
	w = s.NewDataWriter(ctx)
	_, err = w.ReadFrom(bytes.NewReader(pattern(ChunkSize + 1)))
	require.NoError(t, err)
	require.NoError(t, w.Abort())
	assert.Equal(t, 1, countChunks(t, s))
	require.NoError(t, s.Update(ctx, func(tx *Tx) error { return tx.DeleteObject("b", "k") }))
	assert.Equal(t, 0, countChunks(t, s))

	// A reader whose object went away fails instead of mixing data.
	_, err = io.ReadAll(s.OpenData(ctx, info.Segments, 0, info.Size))
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestObjectData_UploadsAndPartsGoWithTheirBucket(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "data.db"))
	defer s.Close()
	var u Upload
	require.NoError(t, s.Update(ctx, func(tx *Tx) error {
		if _, err := tx.CreateBucket(Bucket{Name: "b"}); err != nil {
			return err
		}
		var err error
		u, err = tx.CreateUpload(Upload{Bucket: "b", Key: "k"})
		if err != nil {
			return err
		}
		seg, err := tx.WriteData(pattern(100))
		if err != nil {
			return err
		}
		_, err = tx.PutPart("b", "k", Part{UploadID: u.UploadID, PartNumber: 1, Data: seg})
		return err
	}))
	assert.Len(t, u.UploadID, uploadIDSize)
	assert.Equal(t, 1, countChunks(t, s))
	require.NoError(t, s.Update(ctx, func(tx *Tx) error { return tx.DeleteBucket("b") }))
	assert.Equal(t, 0, countChunks(t, s))
	require.NoError(t, s.View(ctx, func(tx *Tx) error {
		assert.Equal(t, 0, tx.btx.Bucket(partsBucket).Stats().KeyN)
		return tx.btx.Bucket(uploadsBucket).ForEach(func(_, _ []byte) error { t.Error("an upload outlived its bucket"); return nil })
	}))
}
