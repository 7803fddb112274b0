package steps

import (
	"context"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cucumber/godog"
	messages "github.com/cucumber/messages/go/v21"

	"github.com/drsim/drsim/harness"
)

// matching returns the patterns of the vocabulary text matches, with the
// groups each captures.
func matching(text string) map[string][]string {
	out := map[string][]string{}
	for _, st := range Vocabulary() {
		if m := regexp.MustCompile(st.Pattern).FindStringSubmatch(text); m != nil {
			out[st.Pattern] = m[1:]
		}
	}
	return out
}

// Every example matches its own step and no other: godog would call a
// sentence two steps match ambiguous.
func TestEveryExampleMatchesOneStep(t *testing.T) {
	for _, st := range Vocabulary() {
		ex := StripKeyword(strings.SplitN(st.Example, "\n", 2)[0])
		m := matching(ex)
		if _, ok := m[st.Pattern]; !ok || len(m) != 1 {
			t.Errorf("%q matches %d steps (%v), want only %s", ex, len(m), slices.Sorted(maps.Keys(m)), st.Pattern)
		}
	}
}

// What each sentence captures, and sentences close to a step that must not
// match it (a QA engineer's typo gets "undefined" and the nearest step, not
// another step's meaning).
func TestStepParsing(t *testing.T) {
	tests := []struct {
		text string
		want []string // the groups captured; nil: no step matches
	}{
		{`a customer "Zoë Ünal"`, []string{"Zoë Ünal"}},
		{`a customer ""`, nil},
		{"Alice-Marie has placed an order in EUR for:", []string{"Alice-Marie", "EUR"}},
		{"alice has placed an order in EUR for:", nil},
		{"Alice has placed an order in euros for:", nil},
		{"Alice has placed an order in USD with shipping 5 (tax 0.4) for:", []string{"Alice", "USD", "5", "0.4"}},
		{"Alice has placed an order in USD with shipping five (tax 0.4) for:", nil},
		{"Alice receives an order confirmation email with every required attribute", []string{"Alice", "order confirmation"}},
		{"Alice receives a shipment email with every required attribute", []string{"Alice", "shipment"}},
		{"Alice receives 2 shipment emails with every required attribute", []string{"Alice", "2", "shipment"}},
		{"Alice receives exactly 1 refund email", []string{"Alice", "1", "refund"}},
		{"Alice receives exactly 3 refund emails", []string{"Alice", "3", "refund"}},
		{"Alice receives an order confirmation email", nil},
		{`the merchant ships 2 "Camp stove" with "UPS" tracking number "1Z 99"`, []string{"2", "Camp stove", "UPS", "1Z 99"}},
		{`the merchant ships two "Camp stove" with "UPS" tracking number "1Z"`, nil},
		{`the merchant reports the shipment delayed until "2026-12-22"`, []string{"2026-12-22"}},
		{`the merchant reports the shipment delayed until "22.12.2026"`, nil},
		{"Digital River refunds 5 of the order", []string{"5"}},
		{"Digital River refunds 5.25 of the order", []string{"5.25"}},
		{"Digital River refunds -5 of the order", nil},
		{"the order is shipped", nil},
		{"the order is pending_payment", []string{"pending_payment"}},
		{"the order page links to the credit memo", []string{"credit memo"}},
		{"Digital River accepts the order while the merchant answers 503 to the first 3 deliveries", []string{"503", "3"}},
		{"Digital River accepts the order while the merchant answers 50 to the first 3 deliveries", nil},
		{"Digital River releases the held webhooks in shuffled order", []string{"shuffled"}},
		{"Digital River releases the held webhooks in random order", nil},
		{`Digital River retried the "order.accepted" webhook after 1 failure until it was delivered`, []string{"order.accepted", "1"}},
		{`a yearly plan "Gold" with reminders 30 days before billing and 8 days to collect`, []string{"yearly", "Gold", "30", "8"}},
		{`a daily plan "Gold" with reminders 30 days before billing`, nil},
		{"Alice pays with a card that expires in March 2027", []string{"Alice", "March 2027"}},
		{"Alice pays with a card that expires in Mar 2027", nil},
		{"the subscription's next reminder date arrives", []string{"reminder"}},
		{"12 renewals pass", []string{"12"}},
		{"the subscription is now activeFree", []string{"activeFree"}},
		{"the subscription is now paused", nil},
	}
	for _, tc := range tests {
		m := matching(tc.text)
		if tc.want == nil {
			if len(m) != 0 {
				t.Errorf("%q matches %v, want no step", tc.text, slices.Sorted(maps.Keys(m)))
			}
			continue
		}
		if len(m) != 1 {
			t.Errorf("%q matches %d steps (%v), want one", tc.text, len(m), slices.Sorted(maps.Keys(m)))
			continue
		}
		for _, groups := range m {
			if !slices.Equal(groups, tc.want) {
				t.Errorf("%q captures %q, want %q", tc.text, groups, tc.want)
			}
		}
	}
}

func table(rows ...string) *godog.Table {
	t := &godog.Table{}
	for _, r := range rows {
		row := &messages.PickleTableRow{}
		for _, c := range strings.Split(r, "|") {
			row.Cells = append(row.Cells, &messages.PickleTableCell{Value: c})
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// The order table: its header names the columns in any order and case, the
// optional ones may be absent or empty; a table QA got wrong is refused with
// the row, the column and the value.
func TestOrderTable(t *testing.T) {
	tests := []struct {
		name  string
		table *godog.Table
		want  []harness.Line
		err   string
	}{
		{"every column", table("product|quantity|price|tax rate|discount", "Widget|2|10.00|0.0805|1.50"),
			[]harness.Line{{Product: "Widget", Quantity: 2, Price: 10, TaxRate: 0.0805, Discount: 1.5}}, ""},
		{"columns in another order and case, padded", table(" Price | PRODUCT|Quantity ", " 4.5 | Camp stove | 3 ", "1|Mug|1"),
			[]harness.Line{{Product: "Camp stove", Quantity: 3, Price: 4.5}, {Product: "Mug", Quantity: 1, Price: 1}}, ""},
		{"empty optional cells", table("product|quantity|price|tax rate|discount", "Widget|1|10||"),
			[]harness.Line{{Product: "Widget", Quantity: 1, Price: 10}}, ""},
		{"a short row", table("product|quantity|price|tax rate", "Widget|1|10"),
			[]harness.Line{{Product: "Widget", Quantity: 1, Price: 10}}, ""},
		{"no table", nil, nil, "the order table needs a header row and at least one product"},
		{"a header only", table("product|quantity|price"), nil, "the order table needs a header row and at least one product"},
		{"no price column", table("product|quantity|cost", "Widget|1|10"), nil, `the order table has no "price" column (columns: product, quantity, price, tax rate, discount)`},
		{"no quantity column", table("product|qty|price", "Widget|1|10"), nil, `the order table has no "quantity" column`},
		{"a quantity in words", table("product|quantity|price", "Widget|1|10", "Mug|two|3"), nil, `order table row 2: quantity "two" is not a whole number of at least 1`},
		{"no units", table("product|quantity|price", "Widget|0|10"), nil, `order table row 1: quantity "0" is not a whole number of at least 1`},
		{"a price with its currency", table("product|quantity|price", "Widget|1|$10"), nil, `order table row 1: price "$10" is not a number`},
		{"a tax rate in percent", table("product|quantity|price|tax rate", "Widget|1|10|8%"), nil, `order table row 1: tax rate "8%" is not a number`},
		{"a discount in words", table("product|quantity|price|discount", "Widget|1|10|none"), nil, `order table row 1: discount "none" is not a number`},
	}
	for _, tc := range tests {
		got, err := orderLines(tc.table)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case !slices.Equal(got, tc.want):
			t.Errorf("%s: lines %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// The check behind the pattern: a month and year time cannot read is
// refused before the harness is asked (the scenario is never read).
func TestCardExpiringInRefusesAnUnreadableMonth(t *testing.T) {
	err := (&steps{}).cardExpiringIn(context.Background(), "Alice", "March 20x7")
	if err == nil || !strings.Contains(err.Error(), `"March 20x7" is not a month and year like "March 2027"`) {
		t.Errorf("err = %v, want one naming the month and the form wanted", err)
	}
}

// The vocabulary's maps name the harness's values for every word its
// patterns admit.
func TestWordsMapToTheHarnessValues(t *testing.T) {
	for word, want := range map[string]string{"reverse": "reverse", "shuffled": "shuffle", "original": "fifo"} {
		if releaseOrders[word] != want {
			t.Errorf("release order %q → %q, want %q", word, releaseOrders[word], want)
		}
	}
	for word, want := range map[string]string{"weekly": "week", "monthly": "month", "yearly": "year"} {
		if intervals[word] != want {
			t.Errorf("interval %q → %q, want %q", word, intervals[word], want)
		}
	}
	for word, want := range map[string]string{"reminder": "nextReminderDate", "invoice": "nextInvoiceDate"} {
		if dateFields[word] != want {
			t.Errorf("date %q → %q, want %q", word, dateFields[word], want)
		}
	}
	for in, want := range map[string]string{"order confirmation": "order-confirmation", "Shipment ": "shipment", "refund  PENDING": "refund-pending"} {
		if got := notificationID(in); got != want {
			t.Errorf("notificationID(%q) = %q, want %q", in, got, want)
		}
	}
}
