package extensionhttp

import (
	"context"
	"sync"
)

// budget admits requests by the size of their bodies: at most capacity
// bytes of request bodies (and, if maxCalls > 0, at most maxCalls requests)
// are being read, processed and answered at once.
// Requests that do not fit wait in arrival order (FIFO), so a burst of large
// pages is served one after another instead of all at once — less memory,
// and on a CPU-bound stack a shorter tail. A request larger than the whole
// budget is admitted alone.
type budget struct {
	mu       sync.Mutex
	capacity int64
	used     int64
	maxCalls int // 0: no bound
	calls    int
	waiters  []*waiter
}

type waiter struct {
	n     int64
	ready chan struct{}
}

func newBudget(capacity int64, maxCalls int) *budget {
	return &budget{capacity: capacity, maxCalls: maxCalls}
}

// fits reports whether n more bytes and one more call fit; b.mu is held.
func (b *budget) fits(n int64) bool {
	return b.used+n <= b.capacity && (b.maxCalls == 0 || b.calls < b.maxCalls)
}

// acquire waits until n bytes fit (or ctx ends, returning its error).
func (b *budget) acquire(ctx context.Context, n int64) error {
	if b == nil {
		return nil
	}
	n = min(n, b.capacity)
	b.mu.Lock()
	if len(b.waiters) == 0 && b.fits(n) {
		b.used += n
		b.calls++
		b.mu.Unlock()
		return nil
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	b.waiters = append(b.waiters, w)
	b.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		defer b.mu.Unlock()
		select {
		case <-w.ready: // admitted meanwhile: give it back
			b.used -= n
			b.calls--
			b.wake()
		default:
			for i, x := range b.waiters {
				if x == w {
					b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
					break
				}
			}
			b.wake() // the head may have changed
		}
		return ctx.Err()
	}
}

// release returns n bytes acquired before.
func (b *budget) release(n int64) {
	if b == nil {
		return
	}
	n = min(n, b.capacity)
	b.mu.Lock()
	b.used -= n
	b.calls--
	b.wake()
	b.mu.Unlock()
}

// wake admits waiters from the head while they fit; b.mu is held.
func (b *budget) wake() {
	for len(b.waiters) > 0 {
		w := b.waiters[0]
		if !b.fits(w.n) {
			return
		}
		b.used += w.n
		b.calls++
		b.waiters = b.waiters[1:]
		close(w.ready)
	}
}
