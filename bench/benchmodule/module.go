// Package benchmodule is the module of the side-by-side benchmark, exactly
// that of ../shared/bench/node-stack/index.js: framework-1.0 categories
// hooks {preSavePage, preMap, postMap} and wrappers {pingFunction,
// exportFunction}. bench/stack serves it; the SDK's benchmarks call it.
package benchmodule

import (
	"context"
	"strconv"

	"github.com/hookstack/hookstack/extension"
)

// Module is the benchmark module.
func Module() *extension.Module {
	return &extension.Module{
		Hooks: extension.Functions{
			"preSavePage": extension.PreSavePage(preSavePage),
			"preMap":      extension.PreMap(preMap),
			"postMap":     extension.PostMap(postMap),
		},
		Wrappers: extension.Functions{
			"pingFunction":   extension.Ping(ping),
			"exportFunction": extension.Export(export),
		},
	}
}

// preSavePage passes the page through.
func preSavePage(_ context.Context, o *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
	return &extension.PreSavePageResult{Data: o.Data, Errors: o.Errors}, nil
}

// preMap wraps each record as {data: record}.
func preMap(_ context.Context, o *extension.PreMapOptions) ([]extension.RecordResult, error) {
	out := make([]extension.RecordResult, len(o.Data))
	for i, r := range o.Data {
		out[i].Data = r
	}
	return out, nil
}

// postMap sets total = the left-to-right sum of the numeric lines[].amount.
func postMap(_ context.Context, o *extension.PostMapOptions) ([]extension.RecordResult, error) {
	out := make([]extension.RecordResult, len(o.PostMapData))
	for i, r := range o.PostMapData {
		var rec struct {
			Lines []extension.Record `json:"lines"`
		}
		// A record whose lines is not an array has total 0, as in Node.
		_ = r.Decode(&rec)
		total := 0.0
		for _, l := range rec.Lines {
			var line struct {
				Amount any `json:"amount"`
			}
			if err := l.Decode(&line); err == nil {
				if f, ok := line.Amount.(float64); ok {
					total += f
				}
			}
		}
		nr, err := r.Set("total", total)
		if err != nil {
			return nil, err
		}
		out[i].Data = nr
	}
	return out, nil
}

func ping(context.Context, *extension.PingOptions) (*extension.PingResult, error) {
	return &extension.PingResult{StatusCode: 200}, nil
}

type exportConfig struct {
	PageSize     any `json:"pageSize"`
	TotalRecords any `json:"totalRecords"`
}

type exportState struct {
	Offset any `json:"offset"`
}

// export pages through configuration.totalRecords synthetic records,
// configuration.pageSize at a time, with {offset} in state.
func export(_ context.Context, o *extension.ExportOptions) (*extension.ExportResult, error) {
	var cfg exportConfig
	if len(o.Configuration) > 0 {
		_ = extension.Record(o.Configuration).Decode(&cfg)
	}
	var st exportState
	if len(o.State) > 0 {
		_ = extension.Record(o.State).Decode(&st)
	}
	pageSize := max(1, jsParseInt(cfg.PageSize, 100))
	total := max(0, jsParseInt(cfg.TotalRecords, 1000))
	offset := max(0, jsParseInt(st.Offset, 0))
	end := min(total, offset+pageSize)
	data := []extension.Record{}
	if end > offset {
		data = Records(offset, end-offset)
	}
	return &extension.ExportResult{Data: data, LastPage: end >= total, State: map[string]int{"offset": end}}, nil
}

// jsParseInt mimics parseInt(v, 10) || def for numbers and numeric strings.
func jsParseInt(v any, def int) int {
	switch x := v.(type) {
	case float64:
		if n := int(x); n != 0 {
			return n
		}
	case string:
		if n, err := strconv.Atoi(x); err == nil && n != 0 {
			return n
		}
	}
	return def
}
