package benchmodule

import (
	"fmt"
	"time"

	"github.com/hookstack/hookstack/extension"
)

// The deterministic order records of ../shared/bench/lib/records.js, built
// from the index alone so both stacks produce byte-identical pages.

var (
	statuses   = []string{"pending", "approved", "shipped", "closed"}
	currencies = []string{"USD", "EUR", "GBP"}
	channels   = []string{"web", "store", "marketplace", "phone"}
	cities     = []string{"Springfield", "Riverside", "Franklin", "Greenville", "Bristol"}
	states     = []string{"CA", "NY", "TX", "WA", "IL"}
	baseTime   = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
)

type line struct {
	LineNo      int     `json:"lineNo"`
	SKU         string  `json:"sku"`
	Description string  `json:"description"`
	Quantity    int     `json:"quantity"`
	UnitPrice   float64 `json:"unitPrice"`
	Amount      float64 `json:"amount"`
}

type customer struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

type address struct {
	Street  string `json:"street"`
	City    string `json:"city"`
	State   string `json:"state"`
	Zip     string `json:"zip"`
	Country string `json:"country"`
}

type record struct {
	ID           string    `json:"id"`
	InternalID   int       `json:"internalId"`
	OrderNumber  string    `json:"orderNumber"`
	Status       string    `json:"status"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
	Customer     customer  `json:"customer"`
	Currency     string    `json:"currency"`
	Channel      string    `json:"channel"`
	Priority     int       `json:"priority"`
	IsTaxable    bool      `json:"isTaxable"`
	TaxRate      float64   `json:"taxRate"`
	ShippingCost float64   `json:"shippingCost"`
	Discount     float64   `json:"discount"`
	ShipTo       address   `json:"shipTo"`
	SalesRep     string    `json:"salesRep"`
	Tags         []string  `json:"tags"`
	Notes        string    `json:"notes"`
	ExternalRef  string    `json:"externalRef"`
	Lines        []line    `json:"lines"`
}

func makeLine(i, k int) line {
	qty := 1 + (i+k)%5
	unitCents := 100 + (i*7919+k*104729)%99900
	return line{
		LineNo:      k + 1,
		SKU:         fmt.Sprintf("SKU-%05d", (i*3+k)%100000),
		Description: fmt.Sprintf("Widget model %d standard edition", (i+k)%50),
		Quantity:    qty,
		UnitPrice:   float64(unitCents) / 100,
		Amount:      float64(qty*unitCents) / 100,
	}
}

func makeRecord(i int) record {
	c := i % 997
	parity := "odd"
	if i%2 == 0 {
		parity = "even"
	}
	return record{
		ID:           fmt.Sprintf("SO-%08d", i),
		InternalID:   i + 1,
		OrderNumber:  fmt.Sprintf("ORD-2024-%08d", i),
		Status:       statuses[i%4],
		CreatedAt:    baseTime.Add(time.Duration(i) * time.Minute),
		UpdatedAt:    baseTime.Add(time.Duration(i)*time.Minute + time.Hour),
		Customer:     customer{ID: fmt.Sprintf("CUST-%04d", c), Name: fmt.Sprintf("Customer %d", c), Email: fmt.Sprintf("customer%d@example.com", c)},
		Currency:     currencies[i%3],
		Channel:      channels[i%4],
		Priority:     i % 3,
		IsTaxable:    i%2 == 0,
		TaxRate:      float64(i%10) / 100,
		ShippingCost: float64((i*13)%2500) / 100,
		Discount:     float64((i*17)%1000) / 100,
		ShipTo: address{
			Street: fmt.Sprintf("%d Main Street", i%9999), City: cities[i%5], State: states[i%5],
			Zip: fmt.Sprintf("%05d", (i*31)%100000), Country: "US",
		},
		SalesRep:    fmt.Sprintf("rep%d", i%25),
		Tags:        []string{fmt.Sprintf("batch-%d", i%10), parity},
		Notes:       fmt.Sprintf("Deliver between 9am and 5pm. Reference %d", i),
		ExternalRef: fmt.Sprintf("EXT-%09d", i*7),
		Lines:       []line{makeLine(i, 0), makeLine(i, 1), makeLine(i, 2)},
	}
}

// Records returns count records of the benchmark's payloads, starting at
// index offset.
func Records(offset, count int) []extension.Record {
	out := make([]extension.Record, count)
	for j := range count {
		r, err := extension.NewRecord(makeRecord(offset + j))
		if err != nil {
			panic(err) // the record type always encodes
		}
		out[j] = r
	}
	return out
}
