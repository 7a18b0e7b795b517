// Package connection holds the platform-side logic of wrapper connections
// that is independent of storage and HTTP: when a connection goes offline,
// how often the platform pings it again (NextPing, PLATFORM §4.5 and §8.8),
// and, later, the offline/online transitions and the re-ping worker that
// runs on the job queue (internal/jobs).
package connection

import (
	"math/rand/v2"
	"time"
)

const (
	// FirstPing is the wait before the first re-ping of an offline
	// connection, before jitter.
	FirstPing = time.Minute
	// MaxPing caps the wait between two re-pings of an offline connection.
	MaxPing = time.Hour
)

// capAttempt is the first attempt whose bound reaches MaxPing:
// FirstPing<<(capAttempt-1) = 64 min ≥ 60 min. From there on the bound is
// MaxPing, which also keeps the shift below from overflowing.
const capAttempt = 7

// PingBound is the longest wait before re-ping number attempt (1-based) of
// an offline connection: FirstPing doubled for each attempt after the first
// (1, 2, 4, 8, 16, 32 minutes), then MaxPing from attempt 7 on. An attempt
// ≤ 0 counts as 1.
func PingBound(attempt int) time.Duration {
	attempt = max(attempt, 1)
	if attempt >= capAttempt {
		return MaxPing
	}
	return min(FirstPing<<(attempt-1), MaxPing)
}

// NextPing is the wait before re-ping number attempt (1-based; ≤ 0 counts as
// 1) of an offline connection: a duration drawn uniformly from
// [0, PingBound(attempt)] with rnd ("full jitter", PLATFORM §8.8).
//
// Full rather than "equal" jitter (bound/2 plus a draw from [0, bound/2]):
// connections usually go offline together — a target application's
// night-time maintenance takes every connection to it down at once — and
// full jitter spreads their pings over the widest window, so the recovering
// application sees the smallest burst. Its cost is that a ping may come
// sooner than the nominal doubling suggests (even at once); a ping is one
// cheap call, and the bound, which is what users and the UI reason about,
// still doubles and still caps at an hour.
//
// NextPing is pure: the same rnd state gives the same duration. It panics
// if rnd is nil.
func NextPing(attempt int, rnd *rand.Rand) time.Duration {
	return time.Duration(rnd.Int64N(int64(PingBound(attempt)) + 1))
}
