package connection

import (
	"context"
	"time"

	"github.com/hookstack/hookstack/internal/platform"
	"github.com/hookstack/hookstack/internal/secret"
)

// SlotLease is how long a concurrency slot is held at most: longer than any
// call (300 s), so only a node that died loses its slot, to a later caller.
const SlotLease = 6 * time.Minute

// Acquire waits until one of the connection's concurrencyLevel slots is
// free and takes it; release gives it back. A connection without a level
// runs in burst mode (no limit). Slots live in the store, so on PostgreSQL
// the limit holds across every node. It returns ctx's error if ctx ends
// first.
func Acquire(ctx context.Context, st platform.Store, c *platform.Connection, now func() time.Time) (release func(), err error) {
	level := c.Wrapper.ConcurrencyLevel
	if level <= 0 {
		return func() {}, nil
	}
	key, holder := "connection:"+c.ID, secret.NewToken()
	wait := 5 * time.Millisecond
	for {
		t := now()
		ok, err := st.AcquireSlot(ctx, key, level, holder, t, t.Add(SlotLease))
		if err != nil {
			return nil, err
		}
		if ok {
			return func() { _ = st.ReleaseSlot(context.WithoutCancel(ctx), key, holder) }, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, 200*time.Millisecond)
	}
}
