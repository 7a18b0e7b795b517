// Command testbootstrap is a Lambda bootstrap for lambdaemu's tests, written
// against the Runtime API directly. It answers each event by its fields:
//
//	{"sleep":"2s"}  sleeps (ignoring the deadline) before answering
//	{"exit":N}      exits with status N without answering
//	{"fail":"msg"}  posts {"errorType":"TestError","errorMessage":"msg"} to /error
//	{"big":N}       answers a JSON string of N bytes
//
// and otherwise answers {"event":…,"clientContext":…,"function":…,"pid":…}.
// With TESTBOOTSTRAP_INIT_ERROR set it posts that message to /init/error
// and exits.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	base := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime"
	if msg := os.Getenv("TESTBOOTSTRAP_INIT_ERROR"); msg != "" {
		post(base+"/init/error", "TestInitError", map[string]string{"errorType": "TestInitError", "errorMessage": msg})
		os.Exit(3)
	}
	for {
		resp, err := http.Get(base + "/invocation/next")
		if err != nil {
			fmt.Fprintln(os.Stderr, "testbootstrap:", err)
			os.Exit(1)
		}
		event, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			os.Exit(0) // the runtime was stopped
		}
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		var ev struct {
			Sleep string `json:"sleep"`
			Exit  *int   `json:"exit"`
			Fail  string `json:"fail"`
			Big   int    `json:"big"`
		}
		_ = json.Unmarshal(event, &ev)
		if d, err := time.ParseDuration(ev.Sleep); err == nil {
			time.Sleep(d)
		}
		switch {
		case ev.Exit != nil:
			os.Exit(*ev.Exit)
		case ev.Fail != "":
			post(base+"/invocation/"+id+"/error", "TestError", map[string]string{"errorType": "TestError", "errorMessage": ev.Fail})
		case ev.Big > 0:
			post(base+"/invocation/"+id+"/response", "", strings.Repeat("x", ev.Big))
		default:
			var cc any
			if h := resp.Header.Get("Lambda-Runtime-Client-Context"); h != "" {
				cc = json.RawMessage(h)
			}
			post(base+"/invocation/"+id+"/response", "", map[string]any{
				"event":         json.RawMessage(event),
				"clientContext": cc,
				"function":      os.Getenv("AWS_LAMBDA_FUNCTION_NAME"),
				"pid":           os.Getpid(),
			})
		}
	}
}

func post(url, errorType string, v any) {
	b, _ := json.Marshal(v)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	if errorType != "" {
		req.Header.Set("Lambda-Runtime-Function-Error-Type", errorType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testbootstrap:", err)
		os.Exit(1)
	}
	resp.Body.Close()
}
