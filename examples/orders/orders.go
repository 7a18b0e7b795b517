// Package orders is a realistic example extension: an order-sync
// integration between a shop and an ERP. It has one function of each hook
// kind and a wrapper trio (ping, paged export, import) for a fictional ERP
// API, and serves both framework 1.0 (categories) and 2.0 (flat) stacks.
//
// Run it as a server stack with ./cmd/orders-server, or build
// ./cmd/orders-lambda as a Lambda bootstrap.
package orders

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/hookstack/hookstack/extension"
)

// Module returns the orders module. Every function is reachable both in its
// category (framework 1.0: type "hook" or "wrapper") and at the top level
// (framework 2.0).
func Module(log *slog.Logger) *extension.Module {
	if log == nil {
		log = slog.Default()
	}
	hooks := extension.Functions{
		"preSavePage":     extension.PreSavePage(preSavePage),
		"preMap":          extension.PreMap(preMap),
		"postMap":         extension.PostMap(postMap),
		"postSubmit":      extension.PostSubmit(postSubmit),
		"postResponseMap": extension.PostResponseMap(postResponseMap),
		"postAggregate":   extension.PostAggregate(postAggregate(log)),
	}
	wrappers := extension.Functions{
		"ping":   extension.Ping(ping),
		"export": extension.Export(export),
		"import": extension.Import(importOrders),
	}
	flat := extension.Functions{}
	for name, fn := range hooks {
		flat[name] = fn
	}
	for name, fn := range wrappers {
		flat[name] = fn
	}
	return &extension.Module{Functions: flat, Hooks: hooks, Wrappers: wrappers}
}

// Order is the part of an order record the hooks read.
type Order struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Customer struct {
		Email string `json:"email"`
	} `json:"customer"`
	Lines []struct {
		Amount float64 `json:"amount"`
	} `json:"lines"`
}

// preSavePage drops cancelled orders from the exported page and reports
// records without an id, passing every other record through undecoded
// beyond the two fields it reads.
func preSavePage(_ context.Context, in *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
	out := &extension.PreSavePageResult{Data: make([]extension.Record, 0, len(in.Data)), Errors: in.Errors}
	for _, r := range in.Data {
		var o Order
		if err := r.Decode(&o); err != nil {
			return nil, extension.NewError("invalid_record", err.Error())
		}
		switch {
		case o.ID == "":
			out.Errors = append(out.Errors, extension.RecordError{Code: "missing_id", Message: "order has no id", Source: "preSavePage"})
		case o.Status == "cancelled":
			// dropped
		default:
			out.Data = append(out.Data, r)
		}
	}
	return out, nil
}

// preMap rejects orders without a customer email; the others go on to mapping.
func preMap(_ context.Context, in *extension.PreMapOptions) ([]extension.RecordResult, error) {
	out := make([]extension.RecordResult, len(in.Data))
	for i, r := range in.Data {
		var o Order
		if err := r.Decode(&o); err != nil {
			out[i].Errors = []extension.RecordError{{Code: "invalid_record", Message: err.Error()}}
			continue
		}
		if o.Customer.Email == "" {
			out[i].Errors = []extension.RecordError{{Code: "missing_email", Message: "order " + o.ID + " has no customer email"}}
			continue
		}
		out[i].Data = r
	}
	return out, nil
}

// postMap sets each mapped order's total to the sum of its line amounts.
func postMap(_ context.Context, in *extension.PostMapOptions) ([]extension.RecordResult, error) {
	out := make([]extension.RecordResult, len(in.PostMapData))
	for i, r := range in.PostMapData {
		var o Order
		if err := r.Decode(&o); err != nil {
			out[i].Errors = []extension.RecordError{{Code: "invalid_record", Message: err.Error()}}
			continue
		}
		total := 0.0
		for _, l := range o.Lines {
			total += l.Amount
		}
		withTotal, err := r.Set("total", total)
		if err != nil {
			return nil, err
		}
		out[i].Data = withTotal
	}
	return out, nil
}

// postSubmit names the order in every error the ERP returned.
func postSubmit(_ context.Context, in *extension.PostSubmitOptions) ([]extension.SubmitResponse, error) {
	for i := range in.ResponseData {
		resp := &in.ResponseData[i]
		if len(resp.Errors) == 0 || i >= len(in.PreMapData) {
			continue
		}
		var o Order
		_ = in.PreMapData[i].Decode(&o)
		for k := range resp.Errors {
			resp.Errors[k].Message = fmt.Sprintf("order %s: %s", o.ID, resp.Errors[k].Message)
		}
	}
	return in.ResponseData, nil
}

// postResponseMap marks each record with the ERP's id from the response.
func postResponseMap(_ context.Context, in *extension.PostResponseMapOptions) ([]extension.Record, error) {
	out := make([]extension.Record, len(in.PostResponseMapData))
	for i, r := range in.PostResponseMapData {
		out[i] = r
		if i < len(in.ResponseData) && len(in.ResponseData[i].ID) > 0 {
			marked, err := r.Set("erpId", in.ResponseData[i].ID)
			if err != nil {
				return nil, err
			}
			out[i] = marked
		}
	}
	return out, nil
}

// postAggregate logs where the aggregated file went.
func postAggregate(log *slog.Logger) func(context.Context, *extension.PostAggregateOptions) error {
	return func(ctx context.Context, in *extension.PostAggregateOptions) error {
		d := in.PostAggregateData
		if !d.Success {
			return extension.NewError("aggregate_failed", d.Message)
		}
		log.InfoContext(ctx, "aggregated file uploaded", "file", string(d.JSON), "_importId", in.ImportID)
		return nil
	}
}

// Credentials are the wrapper connection's settings.
type Credentials struct {
	Unencrypted struct {
		BaseURI string `json:"baseURI"`
	}
	Encrypted struct {
		APIKey string `json:"apiKey"`
	}
}

func credentials(c extension.Connection) (Credentials, error) {
	var cr Credentials
	if len(c.Unencrypted) > 0 {
		if err := extension.Record(c.Unencrypted).Decode(&cr.Unencrypted); err != nil {
			return cr, err
		}
	}
	if len(c.Encrypted) > 0 {
		if err := extension.Record(c.Encrypted).Decode(&cr.Encrypted); err != nil {
			return cr, err
		}
	}
	return cr, nil
}

// ping checks the connection: a base URI and an API key starting "erp_".
func ping(_ context.Context, in *extension.PingOptions) (*extension.PingResult, error) {
	cr, err := credentials(in.Connection)
	switch {
	case err != nil:
		return &extension.PingResult{StatusCode: 401, Errors: []extension.Error{{Code: "invalid_connection", Message: err.Error()}}}, nil
	case cr.Unencrypted.BaseURI == "":
		return &extension.PingResult{StatusCode: 401, Errors: []extension.Error{{Code: "missing_base_uri", Message: "unencrypted.baseURI is required"}}}, nil
	case !strings.HasPrefix(cr.Encrypted.APIKey, "erp_"):
		return &extension.PingResult{StatusCode: 401, Errors: []extension.Error{{Code: "unauthorized", Message: "the ERP rejected the API key"}}}, nil
	}
	return &extension.PingResult{StatusCode: 200}, nil
}

// ExportState is the paging state export hands to its next call.
type ExportState struct {
	Offset int `json:"offset"`
}

// export pages through the ERP's orders (Catalog here), pageSize at a time
// (configuration.pageSize, default 2), keeping its place in state.
func export(ctx context.Context, in *extension.ExportOptions) (*extension.ExportResult, error) {
	if p, _ := ping(ctx, &extension.PingOptions{Connection: in.Connection}); p.StatusCode != 200 {
		return &extension.ExportResult{ConnectionOffline: true, Errors: p.Errors}, nil
	}
	var cfg struct {
		PageSize int `json:"pageSize"`
	}
	if len(in.Configuration) > 0 {
		if err := extension.Record(in.Configuration).Decode(&cfg); err != nil {
			return nil, extension.NewError("invalid_configuration", err.Error())
		}
	}
	pageSize := cfg.PageSize
	if pageSize <= 0 {
		pageSize = 2
	}
	if in.Type == "test" {
		pageSize = 1
	}
	var st ExportState
	if len(in.State) > 0 && string(in.State) != "null" {
		if err := extension.Record(in.State).Decode(&st); err != nil {
			return nil, extension.NewError("invalid_state", err.Error())
		}
	}
	end := min(len(Catalog), st.Offset+pageSize)
	page := make([]extension.Record, 0, end-st.Offset)
	for _, o := range Catalog[min(st.Offset, end):end] {
		page = append(page, extension.Record(o))
	}
	return &extension.ExportResult{
		Data:     page,
		LastPage: end >= len(Catalog) || in.Type == "test",
		State:    ExportState{Offset: end},
	}, nil
}

// importOrders "creates" each mapped order in the ERP and answers one
// response per record: 200 with the new id, or 422 for an order without id.
func importOrders(_ context.Context, in *extension.ImportOptions) ([]extension.SubmitResponse, error) {
	out := make([]extension.SubmitResponse, len(in.PostMapData))
	for i, r := range in.PostMapData {
		var o Order
		if err := r.Decode(&o); err != nil || o.ID == "" {
			out[i] = extension.SubmitResponse{StatusCode: 422, Errors: []extension.RecordError{{Code: "missing_id", Message: "order has no id"}}}
			continue
		}
		id, _ := json.Marshal("ERP-" + o.ID)
		out[i] = extension.SubmitResponse{StatusCode: 200, ID: id}
	}
	return out, nil
}

// Catalog is the ERP's order list that export pages through.
var Catalog = []string{
	`{"id":"SO-1","status":"pending","customer":{"email":"ada@example.com"},"lines":[{"sku":"A","amount":10.5},{"sku":"B","amount":4.25}]}`,
	`{"id":"SO-2","status":"shipped","customer":{"email":"grace@example.com"},"lines":[{"sku":"C","amount":99.99}]}`,
	`{"id":"SO-3","status":"cancelled","customer":{"email":"alan@example.com"},"lines":[]}`,
	`{"id":"SO-4","status":"pending","customer":{"email":""},"lines":[{"sku":"D","amount":1}]}`,
	`{"id":"SO-5","status":"approved","customer":{"email":"edsger@example.com"},"lines":[{"sku":"E","amount":0.1},{"sku":"F","amount":0.2}]}`,
}
