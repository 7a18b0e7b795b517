// Package extensionlog makes a stack's log lines cheap. A stack logs two
// lines per call (the request line and the call's metadata line, as the Node
// SDK does); with slog's TextHandler writing each straight to a file, those
// lines cost more CPU than a small call itself.
//
// Handler is a slog.Handler that writes logfmt lines (time=… level=… msg=…
// key=value …) with one Write per record and no allocation on the common
// path. Buffered batches those writes, flushing at an interval and on Close:
//
//	out := extensionlog.NewBuffered(os.Stdout, 100*time.Millisecond)
//	defer out.Close()
//	logger := slog.New(extensionlog.NewHandler(out, nil))
//
// Lines written in the last interval before a crash may be lost; use
// Handler without Buffered where every line must reach the file at once.
package extensionlog

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Handler writes records as logfmt lines. It is safe for concurrent use if
// its writer is (Buffered is).
type Handler struct {
	w      io.Writer
	level  slog.Leveler
	prefix []byte // pre-formatted attributes from WithAttrs
	group  string // key prefix from WithGroup ("a.b.")
}

// NewHandler returns a Handler writing to w; opts.Level sets the minimum
// level (default Info). Other options are ignored.
func NewHandler(w io.Writer, opts *slog.HandlerOptions) *Handler {
	h := &Handler{w: w, level: slog.LevelInfo}
	if opts != nil && opts.Level != nil {
		h.level = opts.Level
	}
	return h
}

// Enabled reports whether records at level are written.
func (h *Handler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.level.Level()
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// Handle writes one line: time, level, msg, the handler's attributes, then
// the record's.
func (h *Handler) Handle(_ context.Context, r slog.Record) error {
	bp := bufPool.Get().(*[]byte)
	b := (*bp)[:0]
	if !r.Time.IsZero() {
		b = append(b, "time="...)
		b = appendTime(b, r.Time)
		b = append(b, ' ')
	}
	b = append(b, "level="...)
	b = append(b, r.Level.String()...)
	b = append(b, " msg="...)
	b = appendValue(b, r.Message)
	b = append(b, h.prefix...)
	r.Attrs(func(a slog.Attr) bool {
		b = appendAttr(b, h.group, a)
		return true
	})
	b = append(b, '\n')
	_, err := h.w.Write(b)
	*bp = b
	bufPool.Put(bp)
	return err
}

// WithAttrs returns a Handler that adds attrs to every line.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	h2.prefix = append([]byte(nil), h.prefix...)
	for _, a := range attrs {
		h2.prefix = appendAttr(h2.prefix, h.group, a)
	}
	return &h2
}

// WithGroup returns a Handler that qualifies later keys with name.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.group = h.group + name + "."
	return &h2
}

func appendAttr(b []byte, group string, a slog.Attr) []byte {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		g := group
		if a.Key != "" {
			g += a.Key + "."
		}
		for _, ga := range v.Group() {
			b = appendAttr(b, g, ga)
		}
		return b
	}
	if a.Key == "" {
		return b
	}
	b = append(b, ' ')
	b = append(b, group...)
	b = append(b, a.Key...)
	b = append(b, '=')
	switch v.Kind() {
	case slog.KindString:
		return appendValue(b, v.String())
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool())
	case slog.KindFloat64:
		return strconv.AppendFloat(b, v.Float64(), 'g', -1, 64)
	case slog.KindDuration:
		return appendValue(b, v.Duration().String())
	case slog.KindTime:
		return v.Time().AppendFormat(b, time.RFC3339Nano)
	}
	return appendValue(b, v.String())
}

// appendValue writes s bare, or quoted when it is empty or holds spaces,
// quotes, '=' or control characters (as slog's TextHandler does).
func appendValue(b []byte, s string) []byte {
	if needsQuote(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == '=' || c == '"' || c == 0x7f {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u00a0' || r == '\u2028' || r == '\u2029' {
			return true
		}
		i += size
	}
	return false
}

// Buffered is an io.Writer that batches writes to an underlying writer,
// flushing every interval, when its buffer fills, and on Flush and Close.
// It is safe for concurrent use.
type Buffered struct {
	mu   sync.Mutex
	bw   *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// NewBuffered returns a Buffered writer over w flushing every interval
// (default 100 ms). Close it to flush the last lines and stop its timer.
func NewBuffered(w io.Writer, interval time.Duration) *Buffered {
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	b := &Buffered{bw: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				_ = b.Flush()
			case <-b.stop:
				return
			}
		}
	}()
	return b
}

// Write buffers p.
func (b *Buffered) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.bw.Write(p)
}

// Flush writes what is buffered.
func (b *Buffered) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.bw.Flush()
}

// Close stops the timer and flushes. Writes after Close are still buffered
// but only reach w on a later Flush.
func (b *Buffered) Close() error {
	select {
	case <-b.stop:
	default:
		close(b.stop)
		<-b.done
	}
	return b.Flush()
}

const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// stamp is the formatted time of one second: what comes before the
// milliseconds ("2006-01-02T15:04:05.") and after them (the zone).
type stamp struct {
	sec           int64
	loc           *time.Location
	before, after string
}

// lastStamp caches the second being logged: formatting a time is a good
// part of a log line's cost, and lines come many per second.
var lastStamp atomic.Pointer[stamp]

// appendTime appends t in timeLayout.
func appendTime(b []byte, t time.Time) []byte {
	sec, loc := t.Unix(), t.Location()
	if st := lastStamp.Load(); st != nil && st.sec == sec && st.loc == loc {
		ms := t.Nanosecond() / 1e6
		b = append(b, st.before...)
		b = append(b, byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
		return append(b, st.after...)
	}
	n := len(b)
	b = t.AppendFormat(b, timeLayout)
	if f := b[n:]; len(f) >= 24 && f[19] == '.' { // years 0 to 9999
		lastStamp.Store(&stamp{sec: sec, loc: loc, before: string(f[:20]), after: string(f[23:])})
	}
	return b
}
