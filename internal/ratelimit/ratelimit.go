// Package ratelimit meters API requests per account with a leaky bucket —
// capacity 1000, draining 300 per second (PLATFORM §1.5) — implemented as
// GCRA: each key keeps the theoretical arrival time (tat) of its next
// request; a request is admitted while tat stays within burst intervals of
// now, and then advances tat by one interval. A leaky bucket used as a meter,
// a token bucket and GCRA with these parameters admit exactly the same
// requests.
//
// Memory keeps the state in the process (exact on one node). Shared keeps
// it in the platform's database with one statement per request, so every
// node of a cluster meters the same bucket.
package ratelimit

import (
	"context"
	"sync"
	"time"

	"github.com/hookstack/hookstack/internal/platform"
)

// The API's bucket.
const (
	Capacity = 1000
	Rate     = 300 // per second
)

// Interval is the time one request occupies in the bucket at Rate.
const Interval = time.Second / Rate

// Memory is an in-process GCRA limiter. Keys that have drained completely
// are forgotten, so memory stays bounded by the keys active in the last
// Capacity*Interval.
type Memory struct {
	Interval time.Duration
	Burst    int

	mu   sync.Mutex
	tat  map[string]time.Time
	seen int
}

// NewMemory returns an in-process limiter admitting burst requests at once
// and one more per interval.
func NewMemory(interval time.Duration, burst int) *Memory {
	return &Memory{Interval: interval, Burst: burst, tat: map[string]time.Time{}}
}

// Allow meters one request for key at now; it never fails.
func (m *Memory) Allow(_ context.Context, key string, now time.Time) (bool, time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	tau := m.Interval * time.Duration(m.Burst)
	tat := m.tat[key]
	if tat.Before(now) {
		tat = now
	}
	next := tat.Add(m.Interval)
	if next.Sub(now) > tau {
		return false, next.Sub(now) - tau, nil
	}
	m.tat[key] = next
	if m.seen++; m.seen >= 1024 { // forget drained keys now and then
		m.seen = 0
		for k, t := range m.tat {
			if !t.After(now) {
				delete(m.tat, k)
			}
		}
	}
	return true, 0, nil
}

// Shared meters requests in the platform's store (platform.Store.AllowRequest).
type Shared struct {
	Store    platform.Store
	Interval time.Duration
	Burst    int
}

// Allow meters one request for key at now in the store.
func (s *Shared) Allow(ctx context.Context, key string, now time.Time) (bool, time.Duration, error) {
	return s.Store.AllowRequest(ctx, key, now, s.Interval, s.Burst)
}
