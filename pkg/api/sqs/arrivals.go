package sqs

import (
	"sync"

	"github.com/rootaccess/emulator/pkg/store"
)

// arrivals wakes the long polls of a queue when a message may have become
// receivable there: one channel per queue with waiters, closed (and
// forgotten) when the queue is announced. A waiter takes the channel
// before it looks at the queue, so an arrival between its look and its
// wait still wakes it.
type arrivals struct {
	mu      sync.Mutex
	waiting map[store.QueueRef]chan struct{}
}

func newArrivals() *arrivals { return &arrivals{waiting: map[store.QueueRef]chan struct{}{}} }

// next is closed at the queue's next announcement.
func (a *arrivals) next(ref store.QueueRef) <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	ch, ok := a.waiting[ref]
	if !ok {
		ch = make(chan struct{})
		a.waiting[ref] = ch
	}
	return ch
}

// announce wakes the queue's waiters.
func (a *arrivals) announce(ref store.QueueRef) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ch, ok := a.waiting[ref]; ok {
		close(ch)
		delete(a.waiting, ref)
	}
}
