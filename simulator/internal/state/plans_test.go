package state_test

import (
	"net/http"
	"testing"

	"github.com/drsim/drsim/simulator/internal/apierror"
	"github.com/drsim/drsim/simulator/internal/state"
)

func wantAPIError(t *testing.T, err error, status int, code, param string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %d %s (%s)", status, code, param)
	}
	e := apierror.As(err)
	if e.Status != status || e.Errors[0].Code != code || e.Errors[0].Parameter != param {
		t.Fatalf("error %v, want %d %s (%s)", err, status, code, param)
	}
}

func TestPlanDefaultsAndValidation(t *testing.T) {
	a := newAccount(t)
	p, err := a.CreatePlan(state.PlanParams{Name: ptr("Basic"), Interval: ptr("month")})
	if err != nil {
		t.Fatal(err)
	}
	if p.IntervalCount != 1 || p.ContractBindingDays != 365 || p.ReminderOffsetDays != -1 || p.BillingOffsetDays != 0 ||
		p.CollectionPeriodDays != 0 || p.State != "active" || p.ID == "" {
		t.Fatalf("defaults: %+v", p)
	}
	base := func() state.PlanParams { return planParams("month", 1, 7, 3, 5) }
	with := func(f func(*state.PlanParams)) state.PlanParams { p := base(); f(&p); return p }
	cases := []struct {
		name   string
		p      state.PlanParams
		status int
		code   string
		param  string
	}{
		{"no name", with(func(p *state.PlanParams) { p.Name = nil }), 400, "missing_parameter", "name"},
		{"empty name", with(func(p *state.PlanParams) { p.Name = ptr("") }), 400, "missing_parameter", "name"},
		{"no interval", with(func(p *state.PlanParams) { p.Interval = nil }), 400, "missing_parameter", "interval"},
		{"interval fortnight", with(func(p *state.PlanParams) { p.Interval = ptr("fortnight") }), 400, "invalid_parameter", "interval"},
		{"intervalCount 0", with(func(p *state.PlanParams) { p.IntervalCount = ptr(0) }), 400, "invalid_parameter", "intervalCount"},
		{"intervalCount 1001", with(func(p *state.PlanParams) { p.IntervalCount = ptr(1001) }), 400, "invalid_parameter", "intervalCount"},
		{"billingOffsetDays over collectionPeriodDays", with(func(p *state.PlanParams) { p.BillingOffsetDays = ptr(6) }), 400, "invalid_parameter", "billingOffsetDays"},
		{"negative billingOffsetDays", with(func(p *state.PlanParams) { p.BillingOffsetDays = ptr(-1) }), 400, "invalid_parameter", "billingOffsetDays"},
		{"billingOffsetDays a whole period", state.PlanParams{Name: ptr("d"), Interval: ptr("day"), IntervalCount: ptr(3), BillingOffsetDays: ptr(3), CollectionPeriodDays: ptr(3)}, 400, "invalid_parameter", "billingOffsetDays"},
		{"reminderOffsetDays over contractBindingDays", with(func(p *state.PlanParams) { p.ContractBindingDays = ptr(5) }), 400, "invalid_parameter", "reminderOffsetDays"},
		{"negative collectionPeriodDays", with(func(p *state.PlanParams) { p.CollectionPeriodDays = ptr(-1) }), 400, "invalid_parameter", "collectionPeriodDays"},
		{"negative contractBindingDays", with(func(p *state.PlanParams) { p.ContractBindingDays = ptr(-1) }), 400, "invalid_parameter", "contractBindingDays"},
		{"state retired", with(func(p *state.PlanParams) { p.State = ptr("retired") }), 400, "invalid_parameter", "state"},
		{"id too long", with(func(p *state.PlanParams) { p.ID = ptr(string(make([]byte, 101))) }), 400, "invalid_parameter", "id"},
		{"id taken", with(func(p *state.PlanParams) { p.ID = ptr(p0ID(a)) }), 409, "conflict", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.CreatePlan(tc.p)
			wantAPIError(t, err, tc.status, tc.code, tc.param)
		})
	}
	// Negative reminderOffsetDays is allowed: no reminders.
	if _, err := a.CreatePlan(with(func(p *state.PlanParams) { p.ReminderOffsetDays = ptr(-30) })); err != nil {
		t.Fatalf("reminderOffsetDays -30: %v", err)
	}
}

// p0ID is the id of the account's oldest plan.
func p0ID(a *state.Account) string {
	p, _ := a.Plans(state.PlanFilter{ListParams: state.ListParams{Limit: 100}})
	return p.Data[len(p.Data)-1].ID
}

func TestPlanUpdateListDelete(t *testing.T) {
	a := newAccount(t)
	monthly := mustPlan(t, a, planParams("month", 1, 7, 0, 0))
	weekly := mustPlan(t, a, state.PlanParams{ID: ptr("plan_weekly"), Name: ptr("Weekly"), Interval: ptr("week"), State: ptr("draft")})
	if weekly != "plan_weekly" {
		t.Fatalf("merchant-supplied id: got %s", weekly)
	}

	_, err := a.UpdatePlan(monthly, state.PlanParams{Interval: ptr("year")})
	wantAPIError(t, err, 400, "invalid_parameter", "interval")
	_, err = a.UpdatePlan(monthly, state.PlanParams{IntervalCount: ptr(2)})
	wantAPIError(t, err, 400, "invalid_parameter", "intervalCount")
	_, err = a.UpdatePlan(monthly, state.PlanParams{BillingOffsetDays: ptr(3)}) // collectionPeriodDays is 0
	wantAPIError(t, err, 400, "invalid_parameter", "billingOffsetDays")
	_, err = a.UpdatePlan("nope", state.PlanParams{Name: ptr("x")})
	wantAPIError(t, err, 404, "not_found", "id")
	p, err := a.UpdatePlan(monthly, state.PlanParams{Name: ptr("Monthly"), Interval: ptr("month"), IntervalCount: ptr(1), CollectionPeriodDays: ptr(7), BillingOffsetDays: ptr(3)})
	if err != nil || p.Name != "Monthly" || p.BillingOffsetDays != 3 {
		t.Fatalf("update: %+v %v", p, err)
	}
	if got, _ := a.Plan(monthly); got.BillingOffsetDays != 3 {
		t.Fatalf("a refused update changed the plan: %+v", got)
	}

	for _, tc := range []struct {
		f    state.PlanFilter
		want []string
	}{
		{state.PlanFilter{}, []string{weekly, monthly}},
		{state.PlanFilter{State: "draft"}, []string{weekly}},
		{state.PlanFilter{Interval: "month"}, []string{monthly}},
		{state.PlanFilter{Interval: "year"}, []string{}},
	} {
		page, err := a.Plans(tc.f)
		if err != nil {
			t.Fatal(err)
		}
		got := []string{}
		for _, p := range page.Data {
			got = append(got, p.ID)
		}
		if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
			t.Errorf("Plans(%+v) = %v, want %v", tc.f, got, tc.want)
		}
	}
	_, err = a.Plans(state.PlanFilter{State: "gone"})
	wantAPIError(t, err, 400, "invalid_parameter", "state")
	_, err = a.Plans(state.PlanFilter{Interval: "hour"})
	wantAPIError(t, err, 400, "invalid_parameter", "interval")

	// A draft plan takes no subscriptions.
	cust := mustCustomer(t, a)
	_, err = a.PlaceOrder(state.PlaceOrderParams{CustomerID: cust, Items: []state.PlaceItem{{
		SKUID: mustSKU(t, a, "W"), Quantity: 1, Price: 1, SubscriptionInfo: &state.SubscriptionInfo{PlanID: weekly},
	}}})
	wantAPIError(t, err, 400, "invalid_parameter", "items[0].subscriptionInfo.planId")

	// A plan in use cannot be deleted; an unused one can.
	f := subscribe(t, a, buy{plan: planParams("month", 1, -1, 0, 0), price: 1})
	wantAPIError(t, a.DeletePlan(f.plan), http.StatusConflict, "conflict", "")
	if err := a.DeletePlan(weekly); err != nil {
		t.Fatal(err)
	}
	_, err = a.Plan(weekly)
	wantAPIError(t, err, 404, "not_found", "id")
	wantAPIError(t, a.DeletePlan(weekly), 404, "not_found", "id")
}
