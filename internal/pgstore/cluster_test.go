package pgstore_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstack/hookstack/internal/ratelimit"
	"github.com/hookstack/hookstack/internal/secret"
)

// buildHookstack builds the hookstack binary into a temporary directory.
func buildHookstack(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hookstack")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/hookstack/hookstack/cmd/hookstack")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startNode runs `hookstack up` on a free port of 127.0.0.1 with env, and
// returns its base URL and what it printed once it listens (after it has
// migrated and bootstrapped). The process is killed when t ends; its
// stderr is logged if t failed.
func startNode(t *testing.T, bin, name string, env []string, args ...string) (url, stdout string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"up", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, args...)...)
	cmd.Env = env
	var out, errOut syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("%s stderr:\n%s", name, errOut.String())
		}
	})
	const listening = "Hookstack is listening on "
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			t.Fatalf("%s exited before listening (%v); stderr:\n%s", name, err, errOut.String())
		case <-timeout:
			t.Fatalf("%s did not listen within 60 s; stderr:\n%s", name, errOut.String())
		case <-tick.C:
			printed := out.String()
			if _, rest, ok := strings.Cut(printed, listening); ok {
				if line, _, ok := strings.Cut(rest, "\n"); ok {
					return strings.TrimSuffix(line, "/v1"), printed
				}
			}
		}
	}
}

// get sends GET path to url with the token and returns the status and
// Retry-After header.
func get(client *http.Client, url, path, token string) (int, string, error) {
	req, err := http.NewRequest("GET", url+path, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var body struct {
		Errors []struct{ Code string }
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode == http.StatusTooManyRequests && (len(body.Errors) != 1 || body.Errors[0].Code != "rate_limited") {
		return resp.StatusCode, "", nil // Retry-After is ignored: the test reports a bad 429
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), nil
}

// TestClusterRateLimit runs two `hookstack up` processes on one PostgreSQL
// schema, as two nodes behind a load balancer, and sends one account's
// burst of 1500 requests across both at once: they meter one bucket of
// 1000.
func TestClusterRateLimit(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	bin := buildHookstack(t)

	key := make([]byte, 32)
	_, _ = rand.Read(key)
	token := secret.NewToken()
	env := []string{
		"HOOKSTACK_MASTER_KEY=" + hex.EncodeToString(key),
		"HOOKSTACK_BOOTSTRAP_TOKEN=" + token,
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOOKSTACK_") {
			env = append(env, kv)
		}
	}
	dbURL := testURL + "?search_path=" + schema
	// One after the other, so that the first bootstraps the owner and the
	// second finds it.
	var urls []string
	bootstrapped := 0
	for _, name := range []string{"node1", "node2"} {
		// One request per second of refill: the burst measures the shared
		// capacity almost exactly, however long it takes.
		url, stdout := startNode(t, bin, name, env, "--database-url", dbURL, "--rate-per-second=1")
		urls = append(urls, url)
		if strings.Contains(stdout, "Created the owner") {
			bootstrapped++
		}
	}
	if bootstrapped != 1 {
		t.Fatalf("%d nodes bootstrapped the owner, want 1", bootstrapped)
	}

	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64},
	}
	t.Cleanup(client.CloseIdleConnections)
	for _, url := range urls {
		if code, _, err := get(client, url, "/v1/tokenInfo", token); err != nil || code != http.StatusOK {
			t.Fatalf("GET %s/v1/tokenInfo: %d, %v", url, code, err)
		}
	}
	const probes = 2 // the requests above took from the bucket too

	const requests, workers = 1500, 32
	// Open the workers' connections beforehand, with requests that fail
	// authentication and so take nothing from the bucket: the burst should
	// be as short as it can.
	var warm sync.WaitGroup
	for _, url := range urls {
		for range workers {
			warm.Go(func() { _, _, _ = get(client, url, "/v1/tokenInfo", "") })
		}
	}
	warm.Wait()

	type outcome struct {
		Status     int
		RetryAfter bool // a Retry-After of whole seconds ≥ 1
	}
	counts := map[outcome]int{}
	var mu sync.Mutex
	jobs := make(chan string, requests)
	for i := range requests {
		jobs <- urls[i%len(urls)]
	}
	close(jobs)
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for url := range jobs {
				code, ra, err := get(client, url, "/v1/tokenInfo", token)
				if err != nil {
					t.Error(err)
					continue
				}
				secs, _ := strconv.Atoi(ra)
				mu.Lock()
				counts[outcome{code, secs >= 1}]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	// The bucket drains 300 a second in real time, so a burst that lasts
	// elapsed admits up to that many more than its capacity.
	admitted := counts[outcome{http.StatusOK, false}]
	refill := int(elapsed/time.Second) + 1 // the nodes drain 1 request per second
	t.Logf("burst of %d over %d nodes in %v: %d admitted (capacity %d, refill during the burst ≤ %d)",
		requests, len(urls), elapsed.Round(time.Millisecond), admitted, ratelimit.Capacity, refill)
	if admitted < ratelimit.Capacity-probes || admitted > ratelimit.Capacity+refill {
		t.Errorf("admitted %d, want %d (up to %d less for earlier requests, %d more for the refill during the burst)",
			admitted, ratelimit.Capacity, probes, refill)
	}
	// Each node got 750 requests, fewer than a bucket holds: had each node
	// a bucket of its own, none would be refused. That tells only while the
	// refill during the burst stays under the 500 requests over capacity.
	if refill >= requests-ratelimit.Capacity {
		t.Skipf("the burst took %v, too long to tell a shared bucket from one per node", elapsed)
	}
	want := map[outcome]int{
		{http.StatusOK, false}:             admitted,
		{http.StatusTooManyRequests, true}: requests - admitted,
	}
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Errorf("responses by status and Retry-After ≥ 1 (-want +got):\n%s", diff)
	}
}
