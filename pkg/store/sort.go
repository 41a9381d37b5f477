package store

import (
	"sort"
	"time"
)

// sortByTime orders records by a timestamp, keeping key order among equals.
func sortByTime[T any](s []T, at func(T) time.Time) {
	sort.SliceStable(s, func(i, j int) bool { return at(s[i]).Before(at(s[j])) })
}
