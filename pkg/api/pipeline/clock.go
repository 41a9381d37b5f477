package pipeline

import (
	"sync"
	"time"
)

// Clock is the emulator's only source of "now". Emulated time is wall time
// plus an offset that tests and trainers move forward, so that a 15-minute
// session can expire in a millisecond. Signature freshness is judged against
// wall time (Wall), because clients sign with their own real clocks.
type Clock struct {
	mu     sync.RWMutex
	offset time.Duration
	wall   func() time.Time
	// moved is closed (and replaced) whenever the clock is moved, for
	// waiters whose deadline is in emulated time (SQS long polls).
	moved chan struct{}
}

// NewClock returns a clock that follows the wall clock until moved.
func NewClock() *Clock { return &Clock{wall: time.Now} }

// Now is the emulated time.
func (c *Clock) Now() time.Time {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.wall().Add(c.offset).UTC()
}

// Wall is the real time, used only to check a signature's X-Amz-Date.
func (c *Clock) Wall() time.Time { return c.wall().UTC() }

// Moved returns a channel that is closed when the clock is next moved
// forward (Advance or Set).
func (c *Clock) Moved() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.moved == nil {
		c.moved = make(chan struct{})
	}
	return c.moved
}

// announceMove wakes the waiters of Moved; c.mu is held.
func (c *Clock) announceMove() {
	if c.moved != nil {
		close(c.moved)
		c.moved = nil
	}
}

// Advance moves emulated time forward by d (never backward: a negative d is ignored).
func (c *Clock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
	c.announceMove()
}

// Set moves emulated time to t, if t is not before the current emulated
// time: time never runs backwards, so that expired sessions stay expired.
// It reports whether the clock moved.
func (c *Clock) Set(t time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.wall()
	if t.Before(now.Add(c.offset)) {
		return false
	}
	c.offset = t.Sub(now)
	c.announceMove()
	return true
}

// Offset is how far emulated time runs ahead of wall time.
func (c *Clock) Offset() time.Duration {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.offset
}
