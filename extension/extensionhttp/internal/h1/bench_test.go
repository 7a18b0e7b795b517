package h1

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"testing"
)

// BenchmarkServe measures one keep-alive request and its response through a
// loopback connection for h1 and for net/http's server with the same
// handler. The client reads responses without allocating, so allocs/op are
// the server's.
func BenchmarkServe(b *testing.B) {
	body := `{"diy":true,"type":"wrapper","function":"pingFunction","options":{}}`
	answer := []byte(`{"statusCode":200}`)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header()["Content-Type"] = []string{"application/json; charset=utf-8"}
		w.Write(answer)
	})
	req := []byte("POST /function HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer token\r\n" +
		"Content-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)

	for _, srv := range []struct {
		name  string
		serve func(net.Listener) (stop func())
	}{
		{"h1", func(ln net.Listener) func() {
			s := &Server{Handler: handler, Log: slog.New(slog.DiscardHandler)}
			go s.Serve(ln)
			return func() { s.Shutdown(b.Context()) }
		}},
		{"net/http", func(ln net.Listener) func() {
			s := &http.Server{Handler: handler}
			go s.Serve(ln)
			return func() { s.Shutdown(b.Context()) }
		}},
	} {
		b.Run(srv.name, func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer srv.serve(ln)()
			nc, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer nc.Close()
			br := bufio.NewReader(nc)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := nc.Write(req); err != nil {
					b.Fatal(err)
				}
				if err := readResponse(br); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// readResponse reads one 200 response with a Content-Length, allocating
// nothing.
func readResponse(br *bufio.Reader) error {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("status line %q", line)
	}
	n := -1
	for {
		line, err = br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && equalFoldASCII("Content-Length", k) {
			n = 0
			for _, c := range bytes.TrimSpace(v) {
				n = 10*n + int(c-'0')
			}
		}
	}
	if n < 0 {
		return errors.New("no Content-Length")
	}
	_, err = br.Discard(n)
	return err
}
