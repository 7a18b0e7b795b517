package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookstack/hookstack/internal/api"
	"github.com/hookstack/hookstack/internal/ratelimit"
	"github.com/hookstack/hookstack/internal/sqlitestore"
)

// TestRateLimitExactHTTP: with the clock held still, a burst of 1500
// requests through the API admits exactly 1000 and answers the rest 429
// with Retry-After; each second then admits exactly 300 more.
func TestRateLimitExactHTTP(t *testing.T) {
	t.Parallel()
	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var nowNS atomic.Int64
	nowNS.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, nowNS.Load()) }
	e := &env{t: t, store: st, sealer: testSealer(t)}
	srv := httptest.NewServer(api.New(api.Config{Store: st, Sealer: e.sealer, Now: clock,
		Limiter: ratelimit.NewMemory(ratelimit.Interval, ratelimit.Capacity)}))
	t.Cleanup(srv.Close)
	owner := e.account("owner@example.com")

	burst := func(n int) (ok, limited int) {
		var okN, limN atomic.Int64
		var wg sync.WaitGroup
		sem := make(chan struct{}, 16)
		for range n {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				req, _ := http.NewRequest("GET", srv.URL+"/v1/tokenInfo", nil)
				req.Header.Set("Authorization", "Bearer "+owner.token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				switch resp.StatusCode {
				case 200:
					okN.Add(1)
				case 429:
					if resp.Header.Get("Retry-After") == "" {
						t.Error("429 without Retry-After")
					}
					limN.Add(1)
				default:
					t.Errorf("status %d", resp.StatusCode)
				}
			})
		}
		wg.Wait()
		return int(okN.Load()), int(limN.Load())
	}
	if ok, lim := burst(1500); ok != 1000 || lim != 500 {
		t.Fatalf("burst of 1500: %d admitted, %d limited; want 1000 and 500", ok, lim)
	}
	for sec := 1; sec <= 2; sec++ {
		nowNS.Add(int64(time.Second))
		if ok, _ := burst(400); ok != 300 {
			t.Fatalf("second %d: %d admitted, want 300", sec, ok)
		}
	}
}
