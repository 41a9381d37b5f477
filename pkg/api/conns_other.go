//go:build !unix

package api

// defaultMaxConnections is fixed where the descriptor limit cannot be read.
func defaultMaxConnections() int { return fallbackMaxConnections }
