package extensionlog

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestHandlerLines(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(NewHandler(&buf, nil))
	log.Info("callFunctionInvoked", "logName", "callFunctionInvoked", "type", "hook", "n", 3, "ok", true,
		"traceId", "", "msg2", `say "hi"`, "spaced", "a b", "d", 1500*time.Millisecond, "f", 0.5)
	log.With("svc", "x").WithGroup("g").Info("m", "k", "v", slog.Group("sub", "a", 1))
	log.Debug("hidden")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %q", len(lines), buf.String())
	}
	strip := func(l string) string { // drop the time
		_, rest, _ := strings.Cut(l, " ")
		return rest
	}
	want := []string{
		`level=INFO msg=callFunctionInvoked logName=callFunctionInvoked type=hook n=3 ok=true traceId="" msg2="say \"hi\"" spaced="a b" d=1.5s f=0.5`,
		`level=INFO msg=m svc=x g.k=v g.sub.a=1`,
	}
	got := []string{strip(lines[0]), strip(lines[1])}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(lines[0], "time=") {
		t.Errorf("no time: %q", lines[0])
	}
}

func TestHandlerLevel(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	h := NewHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})
	if h.Enabled(context.Background(), slog.LevelInfo) || !h.Enabled(context.Background(), slog.LevelError) {
		t.Fatal("level not applied")
	}
}

// syncBuf is a bytes.Buffer safe for the flusher goroutine.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestBufferedFlushesOnInterval(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var out syncBuf
		b := NewBuffered(&out, time.Second)
		b.Write([]byte("one\n"))
		synctest.Wait()
		if out.String() != "" {
			t.Fatalf("written before the interval: %q", out.String())
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if out.String() != "one\n" {
			t.Fatalf("after the interval: %q", out.String())
		}
		b.Write([]byte("two\n"))
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		if out.String() != "one\ntwo\n" {
			t.Fatalf("after Close: %q", out.String())
		}
		if err := b.Close(); err != nil { // twice is fine
			t.Fatal(err)
		}
	})
}

func BenchmarkHandler(b *testing.B) {
	var out bytes.Buffer
	log := slog.New(NewHandler(&out, nil))
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		log.LogAttrs(context.Background(), slog.LevelInfo, "reqFinished", slog.String("method", "POST"),
			slog.String("url", "/function"), slog.Int("statusCode", 200), slog.String("traceId", ""))
	}
}

// TestAppendTimeAsAppendFormat: the cached second gives what formatting
// gives, for times in one second and across seconds, zones and years.
func TestAppendTimeAsAppendFormat(t *testing.T) {
	t.Parallel()
	berlin := time.FixedZone("CET", 3600)
	base := time.Date(2026, 11, 23, 12, 0, 59, 0, time.UTC)
	var times []time.Time
	for _, loc := range []*time.Location{time.UTC, berlin} { // same second in a row: cached
		for _, d := range []time.Duration{0, time.Millisecond, 999 * time.Millisecond, time.Second, 1500 * time.Millisecond, 7 * time.Microsecond} {
			times = append(times, base.Add(d).In(loc))
		}
	}
	times = append(times,
		time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 5e6, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, berlin))
	for _, tm := range append(times, times...) { // the second pass hits the cache
		want := tm.AppendFormat([]byte("x"), timeLayout)
		if got := appendTime([]byte("x"), tm); string(got) != string(want) {
			t.Errorf("appendTime(%v) = %s, want %s", tm, got, want)
		}
	}
}
