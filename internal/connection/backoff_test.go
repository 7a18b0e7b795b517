package connection_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/hookstack/hookstack/internal/connection"
)

// seeded returns a generator's rand drawn by rapid, so that a failing case
// shrinks to (and replays with) a small seed.
func seeded(t *rapid.T, label string) (*rand.Rand, [2]uint64) {
	seed := [2]uint64{rapid.Uint64().Draw(t, label+"1"), rapid.Uint64().Draw(t, label+"2")}
	return rand.New(rand.NewPCG(seed[0], seed[1])), seed
}

// anyAttempt draws attempts around the interesting range (≤ 0, the
// doubling, the cap) and from the whole int range.
func anyAttempt() *rapid.Generator[int] {
	return rapid.OneOf(rapid.IntRange(-3, 10), rapid.Int())
}

func TestPingBoundTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		attempt int
		want    time.Duration
	}{
		{math.MinInt, time.Minute},
		{-1, time.Minute},
		{0, time.Minute},
		{1, time.Minute},
		{2, 2 * time.Minute},
		{3, 4 * time.Minute},
		{4, 8 * time.Minute},
		{5, 16 * time.Minute},
		{6, 32 * time.Minute},
		{7, time.Hour},
		{8, time.Hour},
		{64, time.Hour},
		{100, time.Hour},
		{math.MaxInt, time.Hour},
	}
	for _, test := range tests {
		if got := connection.PingBound(test.attempt); got != test.want {
			t.Errorf("PingBound(%d) = %v, want %v", test.attempt, got, test.want)
		}
	}
}

// TestNextPingWithinBound: never negative, never above the attempt's bound,
// never above an hour.
func TestNextPingWithinBound(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		attempt := anyAttempt().Draw(t, "attempt")
		rnd, _ := seeded(t, "seed")
		d := connection.NextPing(attempt, rnd)
		if d < 0 || d > connection.PingBound(attempt) || d > connection.MaxPing {
			t.Fatalf("NextPing(%d) = %v, want within [0, %v] and at most %v", attempt, d, connection.PingBound(attempt), connection.MaxPing)
		}
	})
}

// TestPingBoundMonotone: a later attempt never waits less, and the bound is
// the cap from attempt 7 on.
func TestPingBoundMonotone(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		a := anyAttempt().Draw(t, "a")
		b := anyAttempt().Draw(t, "b")
		if a > b {
			a, b = b, a
		}
		if ba, bb := connection.PingBound(a), connection.PingBound(b); ba > bb {
			t.Fatalf("PingBound(%d) = %v > PingBound(%d) = %v", a, ba, b, bb)
		}
		if b >= 7 && connection.PingBound(b) != connection.MaxPing {
			t.Fatalf("PingBound(%d) = %v, want the cap %v", b, connection.PingBound(b), connection.MaxPing)
		}
	})
}

// TestNextPingNonPositiveAttempt: an attempt ≤ 0 is treated as attempt 1,
// draw for draw.
func TestNextPingNonPositiveAttempt(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		attempt := rapid.IntMax(0).Draw(t, "attempt")
		_, seed := seeded(t, "seed")
		got := connection.NextPing(attempt, rand.New(rand.NewPCG(seed[0], seed[1])))
		want := connection.NextPing(1, rand.New(rand.NewPCG(seed[0], seed[1])))
		if got != want {
			t.Fatalf("NextPing(%d) = %v, NextPing(1) = %v with the same seed", attempt, got, want)
		}
	})
}

// TestNextPingDeterministic: the same seed gives the same schedule.
func TestNextPingDeterministic(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		attempts := rapid.SliceOfN(anyAttempt(), 1, 20).Draw(t, "attempts")
		_, seed := seeded(t, "seed")
		schedule := func() []time.Duration {
			rnd := rand.New(rand.NewPCG(seed[0], seed[1]))
			var ds []time.Duration
			for _, a := range attempts {
				ds = append(ds, connection.NextPing(a, rnd))
			}
			return ds
		}
		if diff := cmp.Diff(schedule(), schedule()); diff != "" {
			t.Fatalf("two schedules from one seed differ (-first +second):\n%s", diff)
		}
	})
}

// TestNextPingFullJitter: the draws cover the whole window [0, bound], not
// just its upper half (which "equal jitter" would).
func TestNextPingFullJitter(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, attempt := range []int{1, 4, 7} {
		bound := connection.PingBound(attempt)
		lo, hi := bound, time.Duration(0)
		for range 1000 {
			d := connection.NextPing(attempt, rnd)
			lo, hi = min(lo, d), max(hi, d)
		}
		if lo > bound/20 || hi < bound-bound/20 {
			t.Errorf("attempt %d: 1000 draws span [%v, %v], want close to [0, %v]", attempt, lo, hi, bound)
		}
	}
}
