//go:build !linux

package store

// initialMapSize is bbolt's default: elsewhere (Windows) a map grows its
// file to the map's size.
const initialMapSize = 0

// releaseMapped does nothing where madvise is not at hand.
func releaseMapped([]byte) {}

// releaseMappedRange does nothing where madvise is not at hand.
func releaseMappedRange(uintptr, int64) {}
