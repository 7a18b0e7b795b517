//go:build unix

package invoke

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hookstack/hookstack/extension"
	"github.com/hookstack/hookstack/extension/extensionhttp"
)

// BenchmarkHTTP measures invocations per second of invoke.HTTP against a
// server stack, with HOOKSTACK_BENCH_CONC (default 8) calls in flight, for
// ping and a 20-record preSavePage page (framework 1.0, the module of
// bench/stack). It reports calls/s and, against a separate stack, the
// client's CPU time per call.
//
// By default it serves that module in this process. To measure the
// platform's overhead against a separate stack, as doc/benchmarks.md does,
// set HOOKSTACK_BENCH_URL (and HOOKSTACK_BENCH_TOKEN, default bench-token)
// to a running bench/stack, and HOOKSTACK_BENCH_PAYLOADS to a directory
// holding the envelopes ping.json and preSavePage-20.json that wrk posts.
func BenchmarkHTTP(b *testing.B) {
	url, token := os.Getenv("HOOKSTACK_BENCH_URL"), os.Getenv("HOOKSTACK_BENCH_TOKEN")
	if token == "" {
		token = "bench-token"
	}
	if url == "" {
		url = benchStack(b, token)
	}
	conc := 8
	if v, err := strconv.Atoi(os.Getenv("HOOKSTACK_BENCH_CONC")); err == nil && v > 0 {
		conc = v
	}
	client := newBenchClient()
	for _, name := range []string{"ping", "preSavePage-20"} {
		call := benchCall(b, name)
		b.Run(name, func(b *testing.B) {
			stack := &HTTP{BaseURL: url, Token: token, Client: client, Timeout: 30 * time.Second}
			if _, err := stack.Invoke(context.Background(), call); err != nil {
				b.Fatal(err)
			}
			b.SetParallelism((conc + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.ReportAllocs()
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := stack.Invoke(context.Background(), call); err != nil {
						b.Error(err)
						return
					}
				}
			})
			elapsed, cpu := time.Since(start), cpuTime()-cpu0
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
			if url == os.Getenv("HOOKSTACK_BENCH_URL") { // the process is only the client
				b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "client-cpu-µs/call")
			}
		})
	}
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// newBenchClient is a keep-alive client with room for every connection.
func newBenchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
}

// benchCall returns the call for a benchmark payload: the envelope file
// from HOOKSTACK_BENCH_PAYLOADS, or one made here.
func benchCall(b *testing.B, name string) *Call {
	b.Helper()
	var env []byte
	if dir := os.Getenv("HOOKSTACK_BENCH_PAYLOADS"); dir != "" {
		var err error
		if env, err = os.ReadFile(filepath.Join(dir, name+".json")); err != nil {
			b.Fatal(err)
		}
	} else if name == "ping" {
		env = []byte(`{"diy":true,"type":"wrapper","function":"pingFunction","options":{}}`)
	} else {
		recs := make([]string, 20)
		for i := range recs {
			recs[i] = fmt.Sprintf(`{"id":"SO-%08d","status":"pending","customer":{"id":"CUST-%04d","name":"Customer %d","email":"customer%d@example.com"},`+
				`"lines":[{"sku":"SKU-%05d","description":"Widget model %d standard edition","quantity":2,"unitPrice":12.34,"amount":24.68}],"notes":"%s"}`,
				i, i, i, i, i, i, strings.Repeat("n", 700))
		}
		env = []byte(`{"diy":true,"type":"hook","function":"preSavePage","maxResponseSize":52428800,"options":{"data":[` + strings.Join(recs, ",") + `],"errors":[]}}`)
	}
	var e struct {
		DIY             bool            `json:"diy"`
		Type            string          `json:"type"`
		Function        string          `json:"function"`
		MaxResponseSize int64           `json:"maxResponseSize"`
		Options         json.RawMessage `json:"options"`
	}
	if err := json.Unmarshal(env, &e); err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	return &Call{Framework: Framework1, Type: e.Type, Function: e.Function, DIY: e.DIY, MaxResponseSize: e.MaxResponseSize, Options: e.Options}
}

// benchStack serves bench/stack's module (pingFunction, pass-through
// preSavePage) in this process until the benchmark ends.
func benchStack(b *testing.B, token string) string {
	b.Helper()
	log := slog.New(slog.DiscardHandler)
	h, err := extensionhttp.NewHandler(extensionhttp.Config{
		Extension: extension.Config{Logger: log, DIY: &extension.Module{
			Hooks: extension.Functions{"preSavePage": extension.PreSavePage(func(_ context.Context, in *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
				return &extension.PreSavePageResult{Data: in.Data, Errors: in.Errors}, nil
			})},
			Wrappers: extension.Functions{"pingFunction": extension.Ping(func(context.Context, *extension.PingOptions) (*extension.PingResult, error) {
				return &extension.PingResult{StatusCode: 200}, nil
			})},
		}},
		SystemTokens: []string{token},
	})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Serve(ctx, ln) }()
	b.Cleanup(func() {
		cancel()
		<-done
	})
	return "http://" + ln.Addr().String()
}
