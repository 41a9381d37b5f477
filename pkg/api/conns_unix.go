//go:build unix

package api

import "syscall"

// defaultMaxConnections leaves room under the process's file descriptor
// limit (Go raises the soft limit to the hard one at start) for the data
// file, the listener and logs: beyond it, accept would fail with EMFILE
// and no new client would be served.
func defaultMaxConnections() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur == 0 {
		return fallbackMaxConnections
	}
	return max(int(min(lim.Cur, 1<<20))-descriptorReserve, 16)
}
