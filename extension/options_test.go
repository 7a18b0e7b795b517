package extension_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstack/hookstack/extension"
)

// seen reports what an Action received, through the error path.
func seen(format string, args ...any) error {
	return extension.NewError("seen", fmt.Sprintf(format, args...))
}

func TestTypedFunctions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fn      extension.Function
		options string
		want    string
		errs    []extension.Error
	}{
		{"PreSavePage", extension.PreSavePage(func(_ context.Context, o *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
			return &extension.PreSavePageResult{Data: o.Data[1:], Errors: o.Errors, Abort: o.PageIndex == 3 && o.TestMode && o.BearerToken == "tok"}, nil
		}), `{"bearerToken":"tok","testMode":true,"pageIndex":3,"data":[{"a":1},{"b":2}],"errors":[{"code":"c","message":"m","x":1}]}`,
			`{"data":[{"b":2}],"errors":[{"code":"c","message":"m","x":1}],"abort":true}`, nil},
		{"PreSavePage empty page", extension.PreSavePage(func(_ context.Context, o *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
			return &extension.PreSavePageResult{Data: o.Data}, nil
		}), `{"data":[]}`, `{"data":[],"abort":false}`, nil},
		{"PreSavePage retry data", extension.PreSavePage(func(_ context.Context, o *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
			rd := o.RetryData["k1"]
			return &extension.PreSavePageResult{Data: []extension.Record{rd.Data}, NewErrorsAndRetryData: []extension.NewErrorsAndRetryData{
				{RetryData: rd.Data, Errors: []extension.RecordError{{Code: rd.Stage, Message: rd.TraceKey, RetryDataKey: "k1"}}},
			}}, nil
		}), `{"data":[],"retryData":{"k1":{"data":{"id":7},"stage":"s","traceKey":"tk"}}}`,
			`{"data":[{"id":7}],"abort":false,"newErrorsAndRetryData":[{"retryData":{"id":7},"errors":[{"code":"s","message":"tk","retryDataKey":"k1"}]}]}`, nil},
		{"PreMap", extension.PreMap(func(_ context.Context, o *extension.PreMapOptions) ([]extension.RecordResult, error) {
			return []extension.RecordResult{{Data: o.Data[0]}, {Errors: []extension.RecordError{{Code: o.ImportID, Message: o.ConnectionID}}}, {}}, nil
		}), `{"_importId":"i1","_connectionId":"c1","data":[{"a":1},{"b":2},{"c":3}]}`,
			`[{"data":{"a":1}},{"errors":[{"code":"i1","message":"c1"}]},{}]`, nil},
		{"PostMap", extension.PostMap(func(_ context.Context, o *extension.PostMapOptions) ([]extension.RecordResult, error) {
			return []extension.RecordResult{{Data: o.PostMapData[0]}, {Data: o.PreMapData[0]}}, nil
		}), `{"preMapData":[{"pre":1}],"postMapData":[{"post":1}]}`, `[{"data":{"post":1}},{"data":{"pre":1}}]`, nil},
		{"PostSubmit", extension.PostSubmit(func(_ context.Context, o *extension.PostSubmitOptions) ([]extension.SubmitResponse, error) {
			o.ResponseData[0].Errors = append(o.ResponseData[0].Errors, extension.RecordError{Code: "enriched"})
			return o.ResponseData, nil
		}), `{"responseData":[{"statusCode":422,"errors":[{"code":"x","source":"s"}],"id":"42","_json":{"raw":true},"dataURI":"u","other":1},{"statusCode":200,"ignored":true,"id":7}]}`,
			`[{"statusCode":422,"errors":[{"code":"x","source":"s"},{"code":"enriched"}],"id":"42","_json":{"raw":true},"dataURI":"u","other":1},{"statusCode":200,"ignored":true,"id":7}]`, nil},
		{"PostResponseMap", extension.PostResponseMap(func(_ context.Context, o *extension.PostResponseMapOptions) ([]extension.Record, error) {
			if !o.OneToMany || o.PathToMany != "lines" || len(o.ResponseData[0].Data) != 1 {
				return nil, seen("%+v", o)
			}
			return o.PostResponseMapData, nil
		}), `{"postResponseMapData":[{"a":1},[2]],"responseData":[{"statusCode":200,"data":[{"x":1}]}],"oneToMany":true,"pathToMany":"lines"}`,
			`[{"a":1},[2]]`, nil},
		{"PostAggregate", extension.PostAggregate(func(_ context.Context, o *extension.PostAggregateOptions) error {
			d := o.PostAggregateData
			return seen("%v %s %s %s %s", d.Success, d.JSON, d.Code, d.Message, d.Source)
		}), `{"postAggregateData":{"success":false,"_json":{"file":"f.csv"},"code":"c","message":"m","source":"s"}}`,
			"", []extension.Error{{Code: "seen", Message: `false {"file":"f.csv"} c m s`}}},
		{"PostAggregate returns nothing", extension.PostAggregate(func(context.Context, *extension.PostAggregateOptions) error { return nil }),
			`{}`, "", nil},
		{"FormInit", extension.FormInit(func(_ context.Context, o *extension.FormInitOptions) (any, error) {
			return []json.RawMessage{o.Resource, o.ParentResource, o.GrandparentResource, o.License, o.ParentLicense}, nil
		}), `{"resource":{"r":1},"parentResource":{"p":1},"grandparentResource":{"g":1},"license":{"l":1},"parentLicense":{"pl":1}}`,
			`[{"r":1},{"p":1},{"g":1},{"l":1},{"pl":1}]`, nil},
		{"PreSave", extension.PreSave(func(_ context.Context, o *extension.PreSaveOptions) (any, error) {
			return o.NewResource, nil
		}), `{"newResource":{"n":1},"oldResource":{"o":1}}`, `{"n":1}`, nil},
		{"Step", extension.Step(func(_ context.Context, o *extension.StepOptions) error {
			return seen("%s %s %s %s", o.FormSubmission, o.ConnectionID, o.Resource, o.License)
		}), `{"formSubmission":{"f":1},"_connectionId":"c1","resource":{"r":1},"license":{"l":1}}`,
			"", []extension.Error{{Code: "seen", Message: `{"f":1} c1 {"r":1} {"l":1}`}}},
		{"InitChild", extension.InitChild(func(_ context.Context, o *extension.InitChildOptions) (any, error) {
			return map[string]any{"name": "child", "parent": o.ParentIntegration, "license": o.ParentLicense}, nil
		}), `{"parentIntegration":{"_id":"p"},"parentLicense":{"l":1}}`, `{"license":{"l":1},"name":"child","parent":{"_id":"p"}}`, nil},
		{"Update", extension.Update(func(_ context.Context, o *extension.UpdateOptions) error {
			return seen("%s %s", o.Resource, o.License)
		}), `{"resource":{"r":1},"license":{"l":1}}`, "", []extension.Error{{Code: "seen", Message: `{"r":1} {"l":1}`}}},
		{"ChangeEdition", extension.ChangeEdition(func(_ context.Context, o *extension.ChangeEditionOptions) error {
			return seen("%s->%s %s", o.FromEdition, o.ToEdition, o.Integration)
		}), `{"fromEdition":"starter","toEdition":"premium","integration":{"_id":"i"}}`,
			"", []extension.Error{{Code: "seen", Message: `starter->premium {"_id":"i"}`}}},
		{"Ping", extension.Ping(func(_ context.Context, o *extension.PingOptions) (*extension.PingResult, error) {
			if o.Connection.ID != "c1" || string(o.Connection.Encrypted) != `{"pw":"x"}` || o.Connection.Extra["name"] == nil {
				return nil, seen("%+v", o.Connection)
			}
			return &extension.PingResult{StatusCode: 401, Errors: []extension.Error{{Code: "auth", Message: string(o.Connection.Unencrypted)}}}, nil
		}), `{"connection":{"_id":"c1","encrypted":{"pw":"x"},"unencrypted":{"url":"u"},"name":"n"},"_exportId":"e1"}`,
			`{"statusCode":401,"errors":[{"code":"auth","message":"{\"url\":\"u\"}"}]}`, nil},
		{"Ping ok", extension.Ping(func(context.Context, *extension.PingOptions) (*extension.PingResult, error) {
			return &extension.PingResult{StatusCode: 200}, nil
		}), `{"connection":{}}`, `{"statusCode":200}`, nil},
		{"Export", extension.Export(func(_ context.Context, o *extension.ExportOptions) (*extension.ExportResult, error) {
			if o.Type != "delta" || o.Delta == nil || o.Delta.DateField != "updated" || o.Delta.LastExecutionTime != 1700000000000 || o.Once != nil {
				return nil, seen("%+v", o)
			}
			return &extension.ExportResult{Data: []extension.Record{extension.Record(`{"a":1}`)}, State: o.State}, nil
		}), `{"type":"delta","delta":{"dateField":"updated","lastExecutionTime":1700000000000},"state":{"page":2}}`,
			`{"data":[{"a":1}],"lastPage":false,"state":{"page":2}}`, nil},
		{"Export test", extension.Export(func(_ context.Context, o *extension.ExportOptions) (*extension.ExportResult, error) {
			return &extension.ExportResult{Data: o.Data, LastPage: o.Test != nil && o.Test.Limit == 1, ConnectionOffline: o.Once != nil}, nil
		}), `{"type":"test","test":{"limit":1},"once":{"booleanField":"f"},"data":[[1]]}`,
			`{"connectionOffline":true,"data":[[1]],"lastPage":true}`, nil},
		{"Import", extension.Import(func(_ context.Context, o *extension.ImportOptions) ([]extension.SubmitResponse, error) {
			out := make([]extension.SubmitResponse, len(o.PostMapData))
			for i := range out {
				out[i] = extension.SubmitResponse{StatusCode: 200, ID: json.RawMessage(fmt.Sprint(i + 1))}
			}
			return out, nil
		}), `{"postMapData":[{},{}],"preMapData":[{},{}],"_importId":"i"}`, `[{"statusCode":200,"id":1},{"statusCode":200,"id":2}]`, nil},
		{"ConnectorAction", extension.ConnectorAction(func(_ context.Context, o *extension.ConnectorOptions) error {
			return seen("%s %s %s", o.IntegrationID, o.ConnectorID, o.Opts)
		}), `{"_integrationId":"int1","_connectorId":"c1","opts":{"license":1}}`, "", []extension.Error{{Code: "seen", Message: `int1 c1 {"license":1}`}}},
		{"ConnectorSteps", extension.ConnectorSteps(func(_ context.Context, o *extension.ConnectorOptions) (*extension.StepsResult, error) {
			return &extension.StepsResult{Success: true, StepsToUpdate: []json.RawMessage{o.Opts}}, nil
		}), `{"opts":{"step":1}}`, `{"success":true,"stepsToUpdate":[{"step":1}]}`, nil},
		{"PersistSettings", extension.PersistSettings(func(_ context.Context, o *extension.ConnectorOptions) (*extension.PersistSettingsResult, error) {
			return &extension.PersistSettingsResult{Success: true, Pending: o.Pending}, nil
		}), `{"pending":{"k":"v"}}`, `{"success":true,"pending":{"k":"v"}}`, nil},
		{"ConnectorFunc", extension.ConnectorFunc(func(_ context.Context, o *extension.ConnectorOptions) (any, error) {
			return o.Version, nil
		}), `{"version":"1.2"}`, `"1.2"`, nil},
		{"Func with own types", extension.Func(func(_ context.Context, o *struct {
			N     int               `json:"n"`
			Extra map[string]string `json:",unknown"`
		}) (map[string]any, error) {
			return map[string]any{"n": o.N * 2, "extra": o.Extra}, nil
		}), `{"N":21,"other":"x"}`, `{"extra":{"other":"x"},"n":42}`, nil},
		{"Action", extension.Action(func(_ context.Context, o *[]int) error { return seen("%v", *o) }),
			`[1,2]`, "", []extension.Error{{Code: "seen", Message: "[1 2]"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x := newExtension(t, extension.Config{DIY: &extension.Module{Functions: extension.Functions{"f": tc.fn}}})
			got, errs := call(t, context.Background(), x, `{"diy":true,"function":"f","options":`+tc.options+`}`)
			if diff := cmp.Diff(tc.errs, errs); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
			if got != tc.want {
				t.Errorf("result:\n got %s\nwant %s", got, tc.want)
			}
			// The same options given by hand (a Lambda event) give the same answer.
			env := &extension.Envelope{DIY: true, Function: "f", Options: json.RawMessage(tc.options)}
			got2, errs2 := callEnv(t, context.Background(), x, env)
			if got2 != got || !cmp.Equal(errs, errs2) {
				t.Errorf("by-hand envelope: %s %v, parsed envelope: %s %v", got2, errs2, got, errs)
			}
		})
	}
}

func TestTypedOptionsDecodeFailure(t *testing.T) {
	t.Parallel()
	called := false
	x := newExtension(t, extension.Config{DIY: &extension.Module{Functions: extension.Functions{
		"pre": extension.PreSavePage(func(context.Context, *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
			called = true
			return nil, nil
		}),
		"step": extension.Step(func(context.Context, *extension.StepOptions) error {
			called = true
			return nil
		}),
	}}})
	tests := []struct {
		fn, options, path string
	}{
		{"pre", `{"data":5}`, "data"},
		{"pre", `{"pageIndex":"x"}`, "pageIndex"},
		{"pre", `{"pageIndex":1.5}`, "pageIndex"},
		{"pre", `{"errors":[{"code":1}]}`, "errors[0].code"},
		{"pre", `{"retryData":{"k":{"stage":[]}}}`, "retryData.k.stage"},
		{"pre", `{"testMode":"yes"}`, "testMode"},
		{"pre", `{"bearerToken":{}}`, "bearerToken"},
		{"pre", `[]`, ""},
		{"pre", `"x"`, ""},
		{"step", `{"_connectionId":5}`, "_connectionId"},
		{"step", `true`, ""},
	}
	for _, tc := range tests {
		_, errs := call(t, context.Background(), x, `{"diy":true,"function":"`+tc.fn+`","options":`+tc.options+`}`)
		if len(errs) != 1 || errs[0].Code != "invalid_function_options" ||
			!strings.HasPrefix(errs[0].Message, "Function options could not be decoded: "+tc.path) {
			t.Errorf("%s options %s: errors = %+v, want one invalid_function_options error naming %q", tc.fn, tc.options, errs, tc.path)
		}
	}
	if called {
		t.Errorf("a function was called with options that failed to decode")
	}
}

// TestTypedOptionsKeepUnknownMembers decodes options with members the SDK has
// no field for, at every level that keeps them, and checks they survive
// being encoded again.
func TestTypedOptionsKeepUnknownMembers(t *testing.T) {
	t.Parallel()
	in := `{"bearerToken":"tok","_integrationId":"i1","_flowId":"f1","_parentIntegrationId":"p1","settings":{"s":1},"testMode":true,` +
		`"data":[{"id":1,"nested":{"x":[1,2]}},[3]],` +
		`"errors":[{"code":"c","message":"m","source":"s","retryDataKey":"k1","futureField":{"a":1}}],` +
		`"files":[{"fileMeta":{"fileName":"a.csv"}}],` +
		`"retryData":{"k1":{"data":{"id":1},"stage":"preSavePage","traceKey":"t","attempt":3}},` +
		`"_exportId":"e1","_connectionId":"c1","pageIndex":2,` +
		`"lastExportDateTime":"2024-01-02T03:04:05.678Z","currentExportDateTime":1704164645678,` +
		`"preview":true,"configuration":{"conf":true},` +
		`"brandNewOption":{"deep":[{"a":null}]},"anotherOne":"\u00e9\u2028","z":0}`
	var got extension.PreSavePageOptions
	x := newExtension(t, extension.Config{DIY: &extension.Module{Functions: extension.Functions{
		"echo": extension.Func(func(_ context.Context, o *extension.PreSavePageOptions) (*extension.PreSavePageOptions, error) {
			got = *o
			return o, nil
		}),
	}}})
	out, errs := call(t, context.Background(), x, `{"diy":true,"function":"echo","options":`+in+`}`)
	if errs != nil {
		t.Fatal(errs)
	}
	var wantV, gotV any
	if err := json.Unmarshal([]byte(in), &wantV); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &gotV); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if diff := cmp.Diff(wantV, gotV); diff != "" {
		t.Errorf("re-encoded options differ (-in +out):\n%s", diff)
	}
	// Known members are decoded, unknown ones kept raw.
	if got.BearerToken != "tok" || got.IntegrationID != "i1" || got.PageIndex != 2 || !got.TestMode || !got.Preview ||
		got.ExportID != "e1" || got.ConnectionID != "c1" || len(got.Data) != 2 || got.Errors[0].RetryDataKey != "k1" {
		t.Errorf("known members not decoded: %+v", got)
	}
	wantExtra := map[string]string{"brandNewOption": `{"deep":[{"a":null}]}`, "anotherOne": `"\u00e9\u2028"`, "z": `0`}
	gotExtra := map[string]string{}
	for k, v := range got.Extra {
		gotExtra[k] = string(v)
	}
	if diff := cmp.Diff(wantExtra, gotExtra); diff != "" {
		t.Errorf("Common.Extra mismatch (-want +got):\n%s", diff)
	}
	if string(got.Errors[0].Extra["futureField"]) != `{"a":1}` || got.RetryData["k1"].Extra["attempt"] == nil {
		t.Errorf("nested unknown members lost: %+v / %+v", got.Errors[0].Extra, got.RetryData["k1"].Extra)
	}
}

// TestExportDateTimeEcho: the Node SDK turns these into Dates and then fails
// to serialise them; Hookstack parses them and echoes them unchanged.
func TestExportDateTimeEcho(t *testing.T) {
	t.Parallel()
	var last, current extension.Time
	x := newExtension(t, extension.Config{DIY: &extension.Module{Functions: extension.Functions{
		"echo": extension.PreSavePage(func(_ context.Context, o *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
			last, current = o.LastExportDateTime, o.CurrentExportDateTime
			return &extension.PreSavePageResult{Data: []extension.Record{}}, nil
		}),
		"echoRaw": extension.Func(func(_ context.Context, o *extension.PreSavePageOptions) (map[string]any, error) {
			return map[string]any{"last": o.LastExportDateTime, "current": o.CurrentExportDateTime}, nil
		}),
		"shift": extension.Func(func(_ context.Context, o *extension.PreSavePageOptions) (map[string]any, error) {
			o.LastExportDateTime.Time = o.LastExportDateTime.Add(time.Hour)
			return map[string]any{"last": o.LastExportDateTime}, nil
		}),
	}}})
	tests := []struct {
		name, last, current string
		lastTime            time.Time
		want                string
	}{
		{"ISO", `"2024-01-02T03:04:05.678Z"`, `"2024-01-03T00:00:00Z"`, time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC),
			`{"current":"2024-01-03T00:00:00Z","last":"2024-01-02T03:04:05.678Z"}`},
		{"offset", `"2024-01-02T04:04:05+01:00"`, `null`, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
			`{"current":null,"last":"2024-01-02T04:04:05+01:00"}`},
		{"milliseconds", `1704164645678`, `"2024-01-02"`, time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC),
			`{"current":"2024-01-02","last":1704164645678}`},
		{"not a date", `"garbage"`, `""`, time.Time{}, `{"current":"","last":"garbage"}`},
	}
	for _, tc := range tests {
		options := `{"lastExportDateTime":` + tc.last + `,"currentExportDateTime":` + tc.current + `,"data":[]}`
		got, errs := call(t, context.Background(), x, `{"diy":true,"function":"echoRaw","options":`+options+`}`)
		if errs != nil || got != tc.want {
			t.Errorf("%s: echo = %s %v, want %s", tc.name, got, errs, tc.want)
		}
		if _, errs := call(t, context.Background(), x, `{"diy":true,"function":"echo","options":`+options+`}`); errs != nil {
			t.Fatal(errs)
		}
		if !last.Time.Equal(tc.lastTime) || last.Valid() != !tc.lastTime.IsZero() || last.Raw() != tc.last {
			t.Errorf("%s: lastExportDateTime = %v (valid %v, raw %q), want %v", tc.name, last.Time, last.Valid(), last.Raw(), tc.lastTime)
		}
		if tc.current == "null" && !current.IsZero() {
			t.Errorf("%s: null currentExportDateTime is not zero: %+v", tc.name, current)
		}
	}
	got, errs := call(t, context.Background(), x, `{"diy":true,"function":"shift","options":{"lastExportDateTime":"2024-01-02T03:04:05Z"}}`)
	if want := `{"last":"2024-01-02T04:04:05.000Z"}`; errs != nil || got != want {
		t.Errorf("changed time = %s %v, want %s", got, errs, want)
	}
}
