package state

import (
	"time"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/problem"
)

// Plan is DR's subscription Plan (docs/dr-api.md#plan): how often a subscription
// renews and when, relative to the end of each period, its reminder, its
// invoice and its dunning happen.
type Plan = client.Plan

// PlanParams is the body of POST /plans and POST /plans/{id}.
//
// Defaults on create [choice]: intervalCount 1, contractBindingDays 365,
// reminderOffsetDays -1 (no reminders), billingOffsetDays 0,
// collectionPeriodDays 0 (a single charge attempt), state active (so that a
// new plan takes subscriptions at once). name and interval are required.
type PlanParams = client.PlanParams

var (
	planIntervals = []string{"day", "week", "month", "year"}
	planStates    = []string{"draft", "active", "discontinued", "deactivated"}
)

// maxPlanDays bounds every day count of a plan, so that no date can leave
// the clock's range.
const maxPlanDays = 36500

// minPeriodDays is the fewest days one period of the plan can last (a month
// of February, a year of 365 days).
func minPeriodDays(p *Plan) int {
	switch p.Interval {
	case "day":
		return p.IntervalCount
	case "week":
		return 7 * p.IntervalCount
	case "month":
		return 28 * p.IntervalCount
	}
	return 365 * p.IntervalCount
}

// applyPlan sets the fields pp gives on p, updated now.
func applyPlan(p *Plan, pp PlanParams, now time.Time) {
	setStr := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	setInt := func(dst *int, src *int) {
		if src != nil {
			*dst = *src
		}
	}
	setStr(&p.Name, pp.Name)
	setStr(&p.Terms, pp.Terms)
	setStr(&p.Interval, pp.Interval)
	setStr(&p.State, pp.State)
	setInt(&p.IntervalCount, pp.IntervalCount)
	setInt(&p.ContractBindingDays, pp.ContractBindingDays)
	setInt(&p.ReminderOffsetDays, pp.ReminderOffsetDays)
	setInt(&p.BillingOffsetDays, pp.BillingOffsetDays)
	setInt(&p.CollectionPeriodDays, pp.CollectionPeriodDays)
	if pp.Metadata != nil {
		p.Metadata = pp.Metadata
	}
	p.UpdatedTime = now
}

// validatePlan checks a plan as it would be after an update (docs/dr-api.md#plan).
func validatePlan(p *Plan) error {
	switch {
	case p.Name == "":
		return problem.Invalidf("name", "name cannot be empty.")
	case !contains(planIntervals, p.Interval):
		return problem.Invalidf("interval", "interval must be one of day, week, month, year; got '%s'.", p.Interval)
	case p.IntervalCount < 1 || p.IntervalCount > 1000:
		return problem.Invalidf("intervalCount", "intervalCount must be between 1 and 1000, got %d.", p.IntervalCount)
	case !contains(planStates, p.State):
		return problem.Invalidf("state", "state must be one of draft, active, discontinued, deactivated; got '%s'.", p.State)
	case p.ContractBindingDays < 0 || p.ContractBindingDays > maxPlanDays:
		return problem.Invalidf("contractBindingDays", "contractBindingDays must be between 0 and %d, got %d.", maxPlanDays, p.ContractBindingDays)
	case p.CollectionPeriodDays < 0 || p.CollectionPeriodDays > maxPlanDays:
		return problem.Invalidf("collectionPeriodDays", "collectionPeriodDays must be between 0 and %d, got %d.", maxPlanDays, p.CollectionPeriodDays)
	case p.BillingOffsetDays < 0:
		return problem.Invalidf("billingOffsetDays", "billingOffsetDays cannot be negative, got %d.", p.BillingOffsetDays)
	case p.BillingOffsetDays > p.CollectionPeriodDays:
		return problem.Invalidf("billingOffsetDays", "billingOffsetDays (%d) cannot exceed collectionPeriodDays (%d).", p.BillingOffsetDays, p.CollectionPeriodDays)
	case p.BillingOffsetDays >= minPeriodDays(p):
		// [choice] The invoice must open inside the period it renews.
		return problem.Invalidf("billingOffsetDays", "billingOffsetDays (%d) must be less than the shortest period of the plan (%d days).", p.BillingOffsetDays, minPeriodDays(p))
	case p.ReminderOffsetDays > p.ContractBindingDays:
		return problem.Invalidf("reminderOffsetDays", "reminderOffsetDays (%d) cannot exceed contractBindingDays (%d).", p.ReminderOffsetDays, p.ContractBindingDays)
	case p.ReminderOffsetDays < -maxPlanDays:
		return problem.Invalidf("reminderOffsetDays", "reminderOffsetDays must be at least %d, got %d.", -maxPlanDays, p.ReminderOffsetDays)
	}
	return nil
}

// CreatePlan is POST /plans.
func (a *Account) CreatePlan(pp PlanParams) (*Plan, error) {
	if pp.Name == nil || *pp.Name == "" {
		return nil, problem.Missing("name")
	}
	if pp.Interval == nil || *pp.Interval == "" {
		return nil, problem.Missing("interval")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	id := newUUID()
	if pp.ID != nil {
		if *pp.ID == "" || len(*pp.ID) > 100 {
			return nil, problem.Invalidf("id", "id must be 1 to 100 characters.")
		}
		id = *pp.ID
	}
	if _, taken := a.plans.get(id); taken {
		return nil, problem.Conflictf("conflict", "Plan '%s' already exists.", id)
	}
	p := &Plan{
		ID: id, IntervalCount: 1, ContractBindingDays: 365, ReminderOffsetDays: -1,
		State: "active", CreatedTime: now,
	}
	applyPlan(p, pp, now)
	if err := validatePlan(p); err != nil {
		return nil, err
	}
	a.plans.put(id, p)
	return clone(p), nil
}

// UpdatePlan is POST /plans/{id}. interval and intervalCount are immutable.
func (a *Account) UpdatePlan(id string, pp PlanParams) (*Plan, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.plans.get(id)
	if !ok {
		return nil, problem.NotFoundID("Plan", id)
	}
	switch {
	case pp.ID != nil && *pp.ID != id:
		return nil, problem.Invalidf("id", "A plan's id cannot change.")
	case pp.Interval != nil && *pp.Interval != p.Interval:
		return nil, problem.Invalidf("interval", "interval is immutable (the plan's is '%s').", p.Interval)
	case pp.IntervalCount != nil && *pp.IntervalCount != p.IntervalCount:
		return nil, problem.Invalidf("intervalCount", "intervalCount is immutable (the plan's is %d).", p.IntervalCount)
	}
	next := *p
	applyPlan(&next, pp, a.now())
	if err := validatePlan(&next); err != nil {
		return nil, err
	}
	*p = next
	return clone(p), nil
}

// Plan is GET /plans/{id}.
func (a *Account) Plan(id string) (*Plan, error) {
	return find(a, &a.plans, KindPlan, id)
}

// PlanFilter is GET /plans' query.
type PlanFilter struct {
	ListParams
	State    string
	Interval string
}

// Plans is GET /plans.
func (a *Account) Plans(f PlanFilter) (Page[*Plan], error) {
	if f.State != "" && !contains(planStates, f.State) {
		return Page[*Plan]{}, problem.Invalidf("state", "state must be one of draft, active, discontinued, deactivated; got '%s'.", f.State)
	}
	if f.Interval != "" && !contains(planIntervals, f.Interval) {
		return Page[*Plan]{}, problem.Invalidf("interval", "interval must be one of day, week, month, year; got '%s'.", f.Interval)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return pageOf(&a.plans, func(p *Plan) bool {
		return (f.State == "" || p.State == f.State) && (f.Interval == "" || p.Interval == f.Interval)
	}, f.ListParams)
}

// DeletePlan is DELETE /plans/{id}. A plan that subscriptions use cannot be
// deleted (409 conflict) [choice]; deactivate it instead.
func (a *Account) DeletePlan(id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.plans.get(id); !ok {
		return problem.NotFoundID("Plan", id)
	}
	for sid, sub := range a.subs.all() {
		if sub.PlanID == id {
			return problem.Conflictf("conflict", "Plan '%s' is used by subscription '%s'; deactivate it instead.", id, sid)
		}
	}
	a.plans.remove(id)
	return nil
}
