package suite

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/cucumber/godog"

	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/internal/report"
	"github.com/drsim/drsim/simulator/client"
)

func TestFeatureFileDropsLine(t *testing.T) {
	for in, want := range map[string]string{
		"orders.feature":      "orders.feature",
		"orders.feature:12":   "orders.feature",
		"dir/a.feature:7":     "dir/a.feature",
		"c:/x/orders.feature": "c:/x/orders.feature",
	} {
		if got := featureFile(in); got != want {
			t.Errorf("featureFile(%q) = %q, want %q", in, got, want)
		}
	}
}

var testFeatures = fstest.MapFS{
	"a.feature": {Data: []byte(`Feature: A
  Background:
    Given a customer "Alice"

  Scenario: First
    When Digital River accepts the order

  @slow
  Scenario: Second
    When 8 days pass
`)},
	"sub/b.feature": {Data: []byte(`@order
Feature: B

  @slow
  Scenario: Slow one
    When Digital River accepts the order

  Scenario Outline: Outline <n>
    When <n> days pass

    Examples:
      | n |
      | 1 |

    @wip
    Examples:
      | n |
      | 2 |
      | 3 |

  Rule: a rule
    @ruled
    Scenario: In a rule
      When Digital River accepts the order
`)},
}

func TestScenarioPath(t *testing.T) {
	for name, want := range map[string]string{"Second": "a.feature:9", "In a rule": "sub/b.feature:23", "Outline 2": "sub/b.feature:8"} {
		if p, err := ScenarioPath(testFeatures, name); err != nil || p != want {
			t.Errorf("ScenarioPath(%q) = %q, %v; want %s", name, p, err, want)
		}
	}
	if _, err := ScenarioPath(testFeatures, "Third"); err == nil || err.Error() != `no scenario named "Third"` {
		t.Errorf("a scenario that does not exist: %v", err)
	}
	twice := fstest.MapFS{"a.feature": testFeatures["a.feature"], "c.feature": {Data: []byte("Feature: C\n  Scenario: First\n    When 1 days pass\n")}}
	if _, err := ScenarioPath(twice, "First"); err == nil || err.Error() != `2 scenarios are named "First": [a.feature:5 c.feature:2]` {
		t.Errorf("a name two scenarios have: %v", err)
	}
}

func locs(s *Selection) []string {
	var out []string
	for _, p := range s.Pickles {
		out = append(out, p.Location())
	}
	return out
}

func TestSelectKeepsLinesKeywordsAndTables(t *testing.T) {
	s, err := Select(testFeatures, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a.feature:5", "a.feature:9", "sub/b.feature:5", "sub/b.feature:13", "sub/b.feature:18", "sub/b.feature:19", "sub/b.feature:23"}
	if got := locs(s); !slices.Equal(got, want) {
		t.Fatalf("selected %v, want %v", got, want)
	}
	first := s.Pickles[0]
	if len(first.Steps) != 2 || first.Steps[0].Keyword != "Given " || first.Steps[0].Line != 3 || first.Steps[1].Line != 6 {
		t.Errorf("steps of First = %+v, want the background step (line 3) then line 6", first.Steps)
	}
	row := s.Pickles[4]
	if row.Name != "Outline 2" || row.ScenarioLine != 8 || row.Steps[0].Text != "2 days pass" || !slices.Contains(row.Tags, "@wip") || !slices.Contains(row.Tags, "@order") {
		t.Errorf("outline row = %+v", row)
	}
}

// The selection follows Cucumber's tag semantics: a scenario carries its
// feature's, rule's and examples' tags.
func TestSelectByTagsAndName(t *testing.T) {
	tests := []struct {
		tags, name string
		want       []string
	}{
		{"@slow and not @order", "", []string{"a.feature:9"}},
		{"not @slow", "", []string{"a.feature:5", "sub/b.feature:13", "sub/b.feature:18", "sub/b.feature:19", "sub/b.feature:23"}},
		{"@order and not @slow and not @wip", "", []string{"sub/b.feature:13", "sub/b.feature:23"}},
		{"@wip or (@slow and not @order)", "", []string{"a.feature:9", "sub/b.feature:18", "sub/b.feature:19"}},
		{"(@slow or @ruled) and @order", "", []string{"sub/b.feature:5", "sub/b.feature:23"}},
		{"", "^Outline [13]$", []string{"sub/b.feature:13", "sub/b.feature:19"}},
		{"@order", "rule", []string{"sub/b.feature:23"}},
	}
	for _, tc := range tests {
		s, err := Select(testFeatures, Filter{Tags: tc.tags, Name: tc.name})
		if err != nil {
			t.Errorf("tags %q name %q: %v", tc.tags, tc.name, err)
			continue
		}
		if got := locs(s); !slices.Equal(got, tc.want) {
			t.Errorf("tags %q name %q selected %v, want %v", tc.tags, tc.name, got, tc.want)
		}
	}
}

func TestNothingSelectedSaysWhy(t *testing.T) {
	_, err := Select(testFeatures, Filter{Tags: "@ordr"})
	if !errors.Is(err, ErrNothingSelected) || !strings.Contains(err.Error(), `tags "@ordr"`) || !strings.Contains(err.Error(), "7 scenario(s)") {
		t.Errorf("err = %v, want ErrNothingSelected naming the tags and the scenarios there are", err)
	}
	if _, err := Select(testFeatures, Filter{Tags: "@a,@b"}); err == nil || errors.Is(err, ErrNothingSelected) {
		t.Errorf("a malformed tag expression: err = %v, want a syntax error", err)
	}
	if _, err := Select(testFeatures, Filter{Paths: []string{"nope.feature"}}); err == nil {
		t.Error("a missing path selected something")
	}
}

func TestShardsTogetherAreTheWholeSuite(t *testing.T) {
	whole, err := Select(testFeatures, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var union []string
	for i := 1; i <= 3; i++ {
		s, err := Select(testFeatures, Filter{Shard: Shard{i, 3}})
		if err != nil {
			t.Fatalf("shard %d/3: %v", i, err)
		}
		again, _ := Select(testFeatures, Filter{Shard: Shard{i, 3}})
		if !slices.Equal(locs(s), locs(again)) {
			t.Errorf("shard %d/3 is not stable: %v then %v", i, locs(s), locs(again))
		}
		union = append(union, locs(s)...)
	}
	slices.Sort(union)
	want := locs(whole)
	slices.Sort(want)
	if !slices.Equal(union, want) {
		t.Errorf("shards 1..3 selected %v, the whole suite is %v", union, want)
	}
	// An outline's rows stay in one shard.
	for i := 1; i <= 3; i++ {
		s, _ := Select(testFeatures, Filter{Shard: Shard{i, 3}})
		n := 0
		for _, p := range s.Pickles {
			if p.ScenarioLine == 8 {
				n++
			}
		}
		if n != 0 && n != 3 {
			t.Errorf("shard %d/3 has %d of the outline's 3 rows", i, n)
		}
	}
}

func TestParseShard(t *testing.T) {
	if s, err := ParseShard("2/3"); err != nil || s != (Shard{2, 3}) {
		t.Errorf("ParseShard(2/3) = %v, %v", s, err)
	}
	for _, bad := range []string{"0/3", "4/3", "1/0", "a/b", "3"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) accepted", bad)
		}
	}
}

func TestStepStatus(t *testing.T) {
	for in, want := range map[godog.StepResultStatus]report.Status{
		godog.StepPassed: report.Passed, godog.StepFailed: report.Failed, godog.StepSkipped: report.Skipped,
		godog.StepUndefined: report.Undefined, godog.StepPending: report.Pending, godog.StepAmbiguous: report.Ambiguous,
		godog.StepResultStatus(99): report.Failed,
	} {
		if got := stepStatus(in); got != want {
			t.Errorf("stepStatus(%v) = %s, want %s", in, got, want)
		}
	}
	r := &recorder{}
	if err := r.stepError(report.Step{Status: report.Pending}, nil); err == nil || err.Error() != "pending step" {
		t.Errorf("a pending step without an error: %v", err)
	}
}

// An email's merchant calls are the merchant's (not the harness's) about
// the event's objects, from the second of the event's first delivery (the
// request log keeps whole seconds) until the email arrived.
func TestMerchantCalls(t *testing.T) {
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	e := &report.Email{Deliveries: []report.Delivery{{Time: at.Add(400 * time.Millisecond)}}, Received: at.Add(3 * time.Second)}
	calls := []client.RequestLog{
		{Method: "GET", Path: "/orders/ord_1", Time: at.Add(-time.Second)},                     // before the delivery
		{Method: "GET", Path: "/orders/ord_1", Time: at},                                       // in the delivery's second
		{Method: "GET", Path: "/orders/ord_1", Time: at, Agent: harness.HarnessAgent},          // the harness's
		{Method: "GET", Path: "/orders/ord_2", Time: at.Add(time.Second)},                      // another order
		{Method: "GET", Path: "/customers", Query: "orderId=ord_1", Time: at.Add(time.Second)}, // by query
		{Method: "POST", Path: "/fulfillments/ord_1", Time: at.Add(4 * time.Second)},           // after the email
	}
	got := merchantCalls(calls, e, []string{"ord_1"})
	if len(got) != 2 || got[0].Path != "/orders/ord_1" || got[1].Query != "orderId=ord_1" {
		t.Errorf("merchant calls %+v; want the GET in the delivery's second and the one by query", got)
	}
	if merchantCalls(calls, &report.Email{}, []string{"ord_1"}) != nil || merchantCalls(calls, e, nil) != nil {
		t.Error("calls listed for an email without deliveries or object ids")
	}
	ids := ids(map[string]any{"id": "ord_1", "customerId": "cus_9", "x": "abc", "items": []any{map[string]any{"skuId": "sku_1", "id": "it"}}}, nil)
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"cus_9", "ord_1", "sku_1"}) {
		t.Errorf("ids = %q, want the id-like values of four characters or more", ids)
	}
}
