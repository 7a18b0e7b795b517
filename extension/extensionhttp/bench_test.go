package extensionhttp

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hookstack/hookstack/extension"
	"github.com/hookstack/hookstack/extension/extensionlog"
)

// benchHandler serves the benchmark module's ping and pass-through hooks.
func benchHandler(b *testing.B, log *slog.Logger) *Handler {
	b.Helper()
	h, err := NewHandler(Config{
		Extension: extension.Config{Logger: log, DIY: &extension.Module{
			Hooks: extension.Functions{"preSavePage": extension.PreSavePage(
				func(_ context.Context, o *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
					return &extension.PreSavePageResult{Data: o.Data, Errors: o.Errors}, nil
				})},
			Wrappers: extension.Functions{"pingFunction": extension.Ping(
				func(context.Context, *extension.PingOptions) (*extension.PingResult, error) {
					return &extension.PingResult{StatusCode: 200}, nil
				})},
		}},
		SystemTokens: []string{"bench-token"},
	})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

func pageBody(n int) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"diy":true,"type":"hook","function":"preSavePage","maxResponseSize":52428800,"options":{"bearerToken":"t","_exportId":"e","data":[`)
	for i := range n {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, `{"id":"SO-%08d","status":"pending","customer":{"id":"C-%d","email":"c%d@example.com"},"tags":["a","b"],"lines":[{"sku":"S-%d","amount":12.5},{"sku":"T","amount":3}],"notes":"Deliver between 9am and 5pm"}`, i, i, i, i)
	}
	buf.WriteString(`],"errors":[]}}`)
	return buf.Bytes()
}

// rewindReader is a request body that can be replayed without allocating.
type rewindReader struct{ bytes.Reader }

func (r *rewindReader) Close() error { return nil }

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = 200
	}
	return len(p), nil
}

// BenchmarkHandler measures one POST /function through the handler, without
// sockets: the SDK's own cost per request.
func BenchmarkHandler(b *testing.B) {
	cases := []struct {
		name string
		body []byte
	}{
		{"ping", []byte(`{"diy":true,"type":"wrapper","function":"pingFunction","options":{}}`)},
		{"preSavePage/records=1", pageBody(1)},
		{"preSavePage/records=100", pageBody(100)},
		{"preSavePage/records=1000", pageBody(1000)},
	}
	for _, logged := range []string{"none", "text", "extensionlog"} {
		log := slog.New(slog.DiscardHandler)
		switch logged {
		case "text":
			log = slog.New(slog.NewTextHandler(io.Discard, nil))
		case "extensionlog":
			log = slog.New(extensionlog.NewHandler(io.Discard, nil))
		}
		for _, tc := range cases {
			b.Run(fmt.Sprintf("%s/log=%s", tc.name, logged), func(b *testing.B) {
				h := benchHandler(b, log)
				req := httptest.NewRequest(http.MethodPost, "/function", nil)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer bench-token")
				body := &rewindReader{}
				req.Body = body
				w := &discardWriter{h: http.Header{}}
				b.SetBytes(int64(len(tc.body)))
				b.ReportAllocs()
				for b.Loop() {
					body.Reset(tc.body)
					req.ContentLength = int64(len(tc.body))
					clear(w.h)
					w.code = 0
					h.ServeHTTP(w, req)
					if w.code != 200 {
						b.Fatalf("status %d", w.code)
					}
				}
			})
		}
	}
}
