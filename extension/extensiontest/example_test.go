package extensiontest_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"

	"github.com/hookstack/hookstack/extension"
	"github.com/hookstack/hookstack/extension/extensionlambda"
	"github.com/hookstack/hookstack/extension/extensiontest"
)

// A Runtime serves any program that speaks the Lambda Runtime API; here an
// in-process extensionlambda loop. In a test, StartRuntime does the serving.
func ExampleRuntime() {
	rt := extensiontest.NewRuntime()
	srv := httptest.NewServer(rt)
	defer srv.Close()
	defer rt.Stop(nil)

	module := &extension.Module{Hooks: extension.Functions{
		"preSavePage": extension.PreSavePage(func(ctx context.Context, o *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
			return &extension.PreSavePageResult{Data: o.Data}, nil
		}),
	}}
	cfg := extension.Config{DIY: module, Logger: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go extensionlambda.Start(ctx, cfg, extensionlambda.WithRuntimeAPI(srv.Listener.Addr().String()))

	cc := extensiontest.ClientContext(extensiontest.Hook("preSavePage"))
	res, err := rt.Invoke(ctx, cc, []byte(`{"data":[{"id":1}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q %s\n", res.FunctionError, res.Payload)

	cc = extensiontest.ClientContext(extensiontest.Hook("preMap"))
	res, _ = rt.Invoke(ctx, cc, []byte(`{"data":[]}`))
	fmt.Printf("%q %s\n", res.FunctionError, res.Payload)
	// Output:
	// "" {"data":[{"id":1}],"abort":false}
	// "Unhandled" {"errorType":"string","errorMessage":"{\"statusCode\":422,\"errors\":[{\"code\":\"invalid_function\",\"message\":\"The function passed in the extension options doesn't map to a function.\"}]}","trace":[]}
}
