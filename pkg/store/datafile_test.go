package store_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/store"
)

// writtenDataFile returns the bytes of a closed data file with some records in it.
func writtenDataFile(t *testing.T) []byte {
	t.Helper()
	st, _, path := MustOpenStore(t)
	require.NoError(t, st.Update(ctx, func(tx *store.Tx) error {
		for i := range 200 {
			if err := tx.PutAccount(store.Account{ID: fmt.Sprintf("%012d", i), Name: "account with a long enough name to fill pages"}); err != nil {
				return err
			}
		}
		return nil
	}))
	require.NoError(t, st.Close())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}

func TestOpen_RefusesAFileThatIsNotASoundDataFile(t *testing.T) {
	good := writtenDataFile(t)
	require.Greater(t, len(good), 40<<10, "the file must be larger than the truncations below")
	garbage := make([]byte, 20<<10)
	for i := range garbage {
		garbage[i] = byte(rand.N(256))
	}
	// Damage inside the pages, with the header intact: a leaf page overwritten.
	damaged := bytes.Clone(good)
	for i := 2 * 4096; i < len(damaged)-4096; i += 4096 {
		copy(damaged[i+16:i+4096], garbage)
	}
	cases := map[string]struct {
		data []byte
		want string
	}{
		"truncated to 8 KiB":  {good[:8<<10], "truncated"},
		"truncated to 12 KiB": {good[:12<<10], "truncated"},
		"truncated to 20 KiB": {good[:20<<10], "truncated"},
		"truncated to 40 KiB": {good[:40<<10], "truncated"},
		"one header page":     {good[:4096], "truncated"},
		"random bytes":        {garbage, "not a bbolt file"},
		"a few bytes of text": {[]byte("hello\n"), "not a bbolt file"},
		"damaged pages":       {damaged, "damaged"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.db")
			require.NoError(t, os.WriteFile(path, c.data, 0o600))
			st, err := store.Open(path)
			if err == nil {
				st.Close()
			}
			require.ErrorIs(t, err, store.ErrBadDataFile)
			assert.Contains(t, err.Error(), c.want)
			assert.Equal(t, 1, bytes.Count([]byte(err.Error()), []byte(path)), "the path once: %s", err)
			assert.NotContains(t, err.Error(), "\n", "one line")
			after, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, c.data, after, "a refused file is left as it was")
		})
	}
}

func TestOpen_AcceptsAnEmptyFileAsNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.db")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	st, err := store.Open(path)
	require.NoError(t, err, "mktemp's empty file is a new data file, as bbolt treats it")
	require.NoError(t, st.Close())
	st, err = store.Open(path)
	require.NoError(t, err, "and it is a sound data file afterwards")
	require.NoError(t, st.Close())
}

func TestOpen_AcceptsItsOwnFileAgain(t *testing.T) {
	good := writtenDataFile(t)
	path := filepath.Join(t.TempDir(), "again.db")
	require.NoError(t, os.WriteFile(path, good, 0o600))
	st, err := store.Open(path)
	require.NoError(t, err)
	require.NoError(t, st.Close())
}

func TestOpen_LockedFileSaysSo(t *testing.T) {
	_, _, path := MustOpenStore(t)
	_, err := store.Open(path)
	require.ErrorIs(t, err, store.ErrDataFileLocked)
	assert.Equal(t, 1, bytes.Count([]byte(err.Error()), []byte(path)), "the path once: %s", err)
}
