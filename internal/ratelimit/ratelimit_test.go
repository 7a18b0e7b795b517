package ratelimit

import (
	"context"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestBurstThenRate: a burst of 1500 admits exactly 1000, then 300 a second.
func TestBurstThenRate(t *testing.T) {
	t.Parallel()
	m := NewMemory(Interval, Capacity)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	count := func(n int) int {
		ok := 0
		for range n {
			if a, _, _ := m.Allow(context.Background(), "k", now); a {
				ok++
			}
		}
		return ok
	}
	if got := count(1500); got != 1000 {
		t.Fatalf("burst admitted %d, want 1000", got)
	}
	for range 5 {
		now = now.Add(time.Second)
		if got := count(1000); got != 300 {
			t.Fatalf("admitted %d in a second, want 300", got)
		}
	}
}

// TestProperties checks, for random arrival patterns, that the limiter
// never admits more than burst + rate·t over any run, that a full drain
// restores the whole burst, and that Retry-After is exact: one interval
// before it a request is refused, at it a request is admitted.
func TestProperties(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		burst := rapid.IntRange(1, 50).Draw(t, "burst")
		interval := time.Duration(rapid.IntRange(1, 1000).Draw(t, "interval_ms")) * time.Millisecond
		m := NewMemory(interval, burst)
		start := time.Unix(1_700_000_000, 0)
		now := start
		admitted := 0
		steps := rapid.SliceOfN(rapid.IntRange(0, 3000), 1, 200).Draw(t, "gaps_ms")
		for _, gap := range steps {
			now = now.Add(time.Duration(gap) * time.Millisecond)
			ok, retry, _ := m.Allow(context.Background(), "k", now)
			if ok {
				admitted++
				if retry != 0 {
					t.Fatalf("admitted with retryAfter %v", retry)
				}
				continue
			}
			if retry <= 0 || retry > interval {
				t.Fatalf("refused with retryAfter %v (interval %v)", retry, interval)
			}
			if ok, _, _ := m.Allow(context.Background(), "k", now.Add(retry-1)); ok {
				t.Fatalf("admitted before retryAfter")
			}
			if ok, _, _ := m.Allow(context.Background(), "k", now.Add(retry)); !ok {
				t.Fatalf("refused at retryAfter")
			}
			admitted++
			now = now.Add(retry)
		}
		if limit := burst + int(now.Sub(start)/interval); admitted > limit {
			t.Fatalf("admitted %d in %v, more than burst+rate·t = %d", admitted, now.Sub(start), limit)
		}
		// After a full drain the whole burst is available again.
		now = now.Add(interval * time.Duration(burst+1))
		for i := range burst {
			if ok, _, _ := m.Allow(context.Background(), "k", now); !ok {
				t.Fatalf("after a drain, request %d of the burst refused", i)
			}
		}
	})
}

func TestKeysAreSeparate(t *testing.T) {
	t.Parallel()
	m := NewMemory(time.Second, 1)
	now := time.Unix(0, 0)
	if ok, _, _ := m.Allow(context.Background(), "a", now); !ok {
		t.Fatal("first a refused")
	}
	if ok, _, _ := m.Allow(context.Background(), "a", now); ok {
		t.Fatal("second a admitted")
	}
	if ok, _, _ := m.Allow(context.Background(), "b", now); !ok {
		t.Fatal("b shares a's bucket")
	}
}
