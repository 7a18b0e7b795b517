package extensionhttp

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstack/hookstack/extension"
)

func TestBudgetBoundsInFlightBytes(t *testing.T) {
	t.Parallel()
	b := newBudget(10, 0)
	var inFlight, peak atomic.Int64
	var wg sync.WaitGroup
	for i := range 50 {
		n := int64(1 + i%7)
		wg.Go(func() {
			if err := b.acquire(context.Background(), n); err != nil {
				t.Error(err)
				return
			}
			cur := inFlight.Add(n)
			for {
				p := peak.Load()
				if cur <= p || peak.CompareAndSwap(p, cur) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			inFlight.Add(-n)
			b.release(n)
		})
	}
	wg.Wait()
	if p := peak.Load(); p > 10 {
		t.Fatalf("peak in-flight bytes %d over the budget of 10", p)
	}
	if b.used != 0 || len(b.waiters) != 0 {
		t.Fatalf("budget not returned: used %d, %d waiters", b.used, len(b.waiters))
	}
}

// TestBudgetBoundsConcurrentCalls: with maxCalls, no more calls than that
// are admitted at once, whatever their size, and all of them get through.
func TestBudgetBoundsConcurrentCalls(t *testing.T) {
	t.Parallel()
	for _, capacity := range []int64{1 << 20, math.MaxInt64} {
		b := newBudget(capacity, 3)
		var inFlight, peak, done atomic.Int64
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() {
				if err := b.acquire(context.Background(), int64(1+i)); err != nil {
					t.Error(err)
					return
				}
				cur := inFlight.Add(1)
				for {
					p := peak.Load()
					if cur <= p || peak.CompareAndSwap(p, cur) {
						break
					}
				}
				time.Sleep(time.Millisecond)
				inFlight.Add(-1)
				b.release(int64(1 + i))
				done.Add(1)
			})
		}
		wg.Wait()
		if p := peak.Load(); p > 3 {
			t.Errorf("capacity %d: %d calls at once, want at most 3", capacity, p)
		}
		if done.Load() != 40 || b.calls != 0 || b.used != 0 || len(b.waiters) != 0 {
			t.Errorf("capacity %d: %d calls done, budget left with %d calls, %d bytes, %d waiters", capacity, done.Load(), b.calls, b.used, len(b.waiters))
		}
	}
}

func TestBudgetFIFOAndOversize(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := newBudget(10, 0)
		if err := b.acquire(t.Context(), 8); err != nil {
			t.Fatal(err)
		}
		var order []int
		var mu sync.Mutex
		for i, n := range []int64{5, 1, 100} { // 100 is clamped to the whole budget
			go func() {
				if err := b.acquire(t.Context(), n); err != nil {
					t.Error(err)
				}
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
				time.Sleep(time.Second)
				b.release(n)
			}()
			synctest.Wait()
		}
		// The 1-byte request would fit, but waits behind the 5-byte one (FIFO).
		if len(order) != 0 {
			t.Fatalf("admitted out of order: %v", order)
		}
		b.release(8)
		synctest.Wait()
		mu.Lock()
		if len(order) != 2 || order[0]+order[1] != 1 { // 0 and 1 fit together; 2 needs the whole budget
			t.Fatalf("after the release: %v, want 0 and 1", order)
		}
		mu.Unlock()
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if len(order) != 3 || order[2] != 2 {
			t.Fatalf("order %v, want the oversized request last", order)
		}
	})
}

func TestBudgetCancelWhileWaiting(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := newBudget(4, 0)
		_ = b.acquire(t.Context(), 4)
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() { errc <- b.acquire(ctx, 2) }()
		synctest.Wait()
		cancel()
		if err := <-errc; err == nil {
			t.Fatal("acquire succeeded after cancel")
		}
		b.release(4)
		if b.used != 0 || len(b.waiters) != 0 {
			t.Fatalf("used %d, waiters %d", b.used, len(b.waiters))
		}
	})
}

// TestHandlerAdmission: with a budget smaller than two bodies, calls with
// large bodies run one at a time; with a bound on calls, no more than that
// run at once.
func TestHandlerAdmission(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name            string
		bytes           int64
		calls, wantPeak int
	}{
		{"bytes", 1500, 0, 1},
		{"calls", -1, 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var running, peak atomic.Int64
			h, err := NewHandler(Config{
				Extension: extension.Config{Logger: slog.New(slog.DiscardHandler), DIY: &extension.Module{Functions: extension.Functions{
					"work": extension.Raw(func(ctx context.Context, _ json.RawMessage) (any, error) {
						n := running.Add(1)
						defer running.Add(-1)
						for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
						}
						time.Sleep(20 * time.Millisecond)
						return nil, nil
					}),
				}}},
				SystemTokens:       []string{"t"},
				MaxInFlightBytes:   tc.bytes,
				MaxConcurrentCalls: tc.calls,
			})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			body := `{"diy":true,"function":"work","options":{"pad":"` + strings.Repeat("x", 1000) + `"}}`
			var wg sync.WaitGroup
			for range 6 {
				wg.Go(func() {
					req, _ := http.NewRequest("POST", srv.URL+"/function", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer t")
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					resp.Body.Close()
					if resp.StatusCode != 200 {
						t.Errorf("status %d", resp.StatusCode)
					}
				})
			}
			wg.Wait()
			if p := peak.Load(); p > int64(tc.wantPeak) {
				t.Fatalf("%d calls ran at once, want at most %d", p, tc.wantPeak)
			}
		})
	}
}

// TestAdmissionDeadline: a call that waits for its turn longer than its
// deadline is answered 503 timeout, and never runs.
func TestAdmissionDeadline(t *testing.T) {
	t.Parallel()
	var ran atomic.Int64
	release := make(chan struct{})
	cfg := diyConfig()
	cfg.MaxInFlightBytes = 1500
	cfg.Extension.DIY.Functions["hold"] = extension.Raw(func(ctx context.Context, _ json.RawMessage) (any, error) {
		ran.Add(1)
		<-release
		return nil, nil
	})
	s := startServer(t, cfg)
	body := `{"diy":true,"function":"hold","options":{"pad":"` + strings.Repeat("x", 1000) + `"}}`
	first := make(chan reply, 1)
	go func() { first <- doWith(t, &http.Client{}, "POST", s.url+"/function", authJSON(), body) }()
	for ran.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	h := authJSON()
	h.Set(TimeoutHeader, "50")
	got := s.do(t, "POST", "/function", h, body)
	close(release)
	want := reply{status: http.StatusServiceUnavailable, body: `{"errors":[{"code":"timeout","message":"The call's deadline passed while it waited for its turn."}]}`}
	if diff := cmp.Diff(want, reply{status: got.status, body: got.body}, cmp.AllowUnexported(reply{})); diff != "" {
		t.Errorf("waiting call (-want +got):\n%s", diff)
	}
	if r := <-first; r.status != http.StatusOK {
		t.Errorf("first call: status %d", r.status)
	}
	if n := ran.Load(); n != 1 {
		t.Errorf("the function ran %d times, want 1", n)
	}
}
