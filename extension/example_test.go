package extension_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/hookstack/hookstack/extension"
)

// uppercaseNames is a preSavePage hook that upper-cases each record's name.
func uppercaseNames(_ context.Context, o *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
	out := make([]extension.Record, 0, len(o.Data))
	for _, rec := range o.Data {
		var r struct {
			Name string `json:"name"`
		}
		if err := rec.Decode(&r); err != nil {
			return nil, extension.NewError("bad_record", err.Error())
		}
		rec, err := rec.Set("name", strings.ToUpper(r.Name))
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return &extension.PreSavePageResult{Data: out}, nil
}

// A DIY module serving both layouts: framework 2.0 stacks call functions by
// name at the top level; framework 1.0 stacks send a type ("hook") that
// selects a category (Hooks).
func ExampleExtension_Call() {
	hook := extension.PreSavePage(uppercaseNames)
	x, err := extension.New(extension.Config{
		DIY: &extension.Module{
			Functions: extension.Functions{"uppercaseNames": hook}, // framework 2.0
			Hooks:     extension.Functions{"uppercaseNames": hook}, // framework 1.0, type "hook"
		},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, body := range []string{
		`{"diy":true,"function":"uppercaseNames","options":{"data":[{"id":1,"name":"ada"}]}}`,
		`{"diy":true,"type":"hook","function":"uppercaseNames","options":{"data":[{"id":2,"name":"grace"}]}}`,
		`{"diy":true,"type":"wrapper","function":"uppercaseNames","options":{}}`,
		`{"diy":true,"function":"nosuch","options":{}}`,
		`{}`,
	} {
		env, err := extension.ParseEnvelope([]byte(body))
		if err != nil {
			fmt.Println("bad request:", err)
			continue
		}
		res, err := x.Call(context.Background(), env)
		if ce, ok := errors.AsType[*extension.CallError](err); ok {
			fmt.Println(ce.StatusCode, ce.Errors)
			continue
		}
		fmt.Println(200, string(res.JSON))
		res.Release()
	}
	// Output:
	// 200 {"data":[{"id":1,"name":"ADA"}],"abort":false}
	// 200 {"data":[{"id":2,"name":"GRACE"}],"abort":false}
	// 422 [{object_not_found The object wrapper doesn't exist in the module.}]
	// 422 [{invalid_function The function passed in the extension options doesn't map to a function.}]
	// 422 [{missing_required_field Need to set either the diy or _connectorId field in extension options.} {missing_required_field Missing required field function in the extension options.} {missing_required_field Function options haven't been provided.}]
}

// Set changes one member of a record without decoding the rest of it:
// an existing member is replaced where it stands, a new one is appended.
func ExampleRecord_Set() {
	rec := extension.Record(`{"id":7,"status":"open","lines":[{"sku":"A"}]}`)
	rec, err := rec.Set("status", "closed")
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, err = rec.Set("closedBy", map[string]any{"user": "ada", "at": 1700000000000})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rec)
	status, _ := rec.Get("status")
	fmt.Println(status)
	// Output:
	// {"id":7,"status":"closed","lines":[{"sku":"A"}],"closedBy":{"at":1700000000000,"user":"ada"}}
	// "closed"
}

// A pass-through preSavePage hook: the records are slices of the request
// body, never decoded, and are sent back exactly as received.
func ExamplePreSavePage() {
	passThrough := extension.PreSavePage(func(_ context.Context, o *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
		return &extension.PreSavePageResult{Data: o.Data}, nil
	})
	x, err := extension.New(extension.Config{
		DIY:    &extension.Module{Functions: extension.Functions{"preSavePage": passThrough}},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	env, err := extension.ParseEnvelope([]byte(`{"diy":true,"function":"preSavePage","options":{` +
		`"data":[{"id":1,"note":"caf\u00e9 <b>"},{"id":2,"amount":1.50}],"pageIndex":0,"_exportId":"e1"}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := x.Call(context.Background(), env)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Release()
	fmt.Println(string(res.JSON))
	// Output:
	// {"data":[{"id":1,"note":"caf\u00e9 <b>"},{"id":2,"amount":1.50}],"abort":false}
}

// ParseEnvelope reads the request body with JavaScript truthiness, as the
// Node SDK does.
func ExampleParseEnvelope() {
	env, err := extension.ParseEnvelope([]byte(`{"diy":1,"_connectorId":0,"type":"","function":"ping","options":{"connection":{}},"maxResponseSize":"1000"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("diy=%v connector=%q type=%q function=%q options=%s limit=%d\n",
		env.DIY, env.ConnectorID, env.Type, env.Function, env.Options, env.MaxResponseSize)

	_, err = extension.ParseEnvelope([]byte(`{"diy":true,}`))
	fmt.Println(err)
	// Output:
	// diy=true connector="" type="" function="ping" options={"connection":{}} limit=1000
	// invalid JSON at offset 12: expected object key
}
