package store

import "errors"

// Sentinel errors. Store methods wrap them with %w and the API layer maps
// them to each service's own AWS error code.
var (
	// ErrNotFound: the record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the record already exists or the change collides with current state.
	ErrConflict = errors.New("conflict")
	// ErrLimitExceeded: the change would pass a per-entity limit (e.g. two root access keys).
	ErrLimitExceeded = errors.New("limit exceeded")
	// ErrInvalidCursor: a paged listing was given a cursor it did not hand out.
	ErrInvalidCursor = errors.New("invalid cursor")
	// ErrClosed: the store has been closed.
	ErrClosed = errors.New("store closed")
)
