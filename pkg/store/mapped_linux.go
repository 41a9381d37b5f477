package store

import (
	"os"
	"syscall"
	"unsafe"
)

var pageSize = uintptr(os.Getpagesize())

// initialMapSize is the data file's first memory map. On Linux a map
// larger than its file is address space only: the file and the resident
// set grow with the data, not with the map.
const initialMapSize = 256 << 20

// releaseMapped tells the kernel that the pages of v, a value read through
// bbolt's memory map, are not needed in this process any more. The data
// stays in the page cache (the mapping is a shared, read-only file
// mapping, so a later access just faults it in again); what goes is its
// weight in the emulator's resident set, which reading a 1 GiB object would
// otherwise grow by 1 GiB.
func releaseMapped(v []byte) {
	if len(v) == 0 {
		return
	}
	// Whole pages only: the first page boundary inside v to the last.
	skip := int((pageSize - uintptr(unsafe.Pointer(&v[0]))%pageSize) % pageSize)
	if skip >= len(v) {
		return
	}
	whole := (len(v) - skip) / int(pageSize) * int(pageSize)
	if whole == 0 {
		return
	}
	syscall.Madvise(v[skip:skip+whole], syscall.MADV_DONTNEED)
}

// releaseMappedRange is releaseMapped for the n bytes of the map at addr,
// a page-aligned map's start (bbolt's, which it gives as an address).
func releaseMappedRange(addr uintptr, n int64) {
	syscall.Syscall(syscall.SYS_MADVISE, addr, uintptr(n), syscall.MADV_DONTNEED)
}
