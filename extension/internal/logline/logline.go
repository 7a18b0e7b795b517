// Package logline writes the SDK's per-call and per-request log lines. They
// are written without capturing the caller's program counter, which costs
// more than the rest of a small call.
package logline

import (
	"context"
	"log/slog"
	"time"
)

// Info logs msg with attrs at Info level to l, if enabled.
func Info(ctx context.Context, l *slog.Logger, msg string, attrs ...slog.Attr) {
	if !l.Enabled(ctx, slog.LevelInfo) {
		return
	}
	r := slog.NewRecord(time.Now(), slog.LevelInfo, msg, 0)
	r.AddAttrs(attrs...)
	_ = l.Handler().Handle(ctx, r)
}
