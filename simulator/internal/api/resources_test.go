package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSKULifecycle(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	type sku struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		Description string `json:"description"`
		Physical    bool   `json:"physical"`
	}
	var s sku
	c.must("PUT", "/skus/sku_merchant_1", `{"name":"Widget","physical":true}`, http.StatusCreated, &s)
	if s.ID != "sku_merchant_1" || s.Name != "Widget" || !s.Physical {
		t.Fatalf("PUT new SKU: %+v", s)
	}
	c.must("PUT", "/skus/sku_merchant_1", `{"description":"Blue"}`, http.StatusOK, &s)
	if s.Name != "Widget" || s.Description != "Blue" {
		t.Fatalf("PUT existing SKU: %+v, want name kept and description set", s)
	}
	c.must("POST", "/skus/sku_merchant_1", `{"name":"Widget 2"}`, http.StatusOK, &s)
	c.must("GET", "/skus/sku_merchant_1", nil, http.StatusOK, &s)
	if s.Name != "Widget 2" || s.Description != "Blue" || !s.Physical {
		t.Fatalf("GET after POST: %+v", s)
	}
	var generated sku
	c.must("POST", "/skus", `{"name":"Gadget"}`, http.StatusCreated, &generated)
	if len(generated.ID) < 5 || generated.ID[:4] != "sku_" {
		t.Fatalf("generated SKU id %q, want sku_<uuid>", generated.ID)
	}
	if status, body := c.do("DELETE", "/skus/sku_merchant_1", nil); status != http.StatusNoContent || len(body) != 0 {
		t.Fatalf("DELETE: %d %q, want 204 and no body", status, body)
	}
	c.mustError("GET", "/skus/sku_merchant_1", nil, http.StatusNotFound, "not_found", "id")
	var list page[sku]
	c.must("GET", "/skus", nil, http.StatusOK, &list)
	if len(list.Data) != 1 || list.Data[0].ID != generated.ID {
		t.Fatalf("GET /skus: %+v, want only %s", list.Data, generated.ID)
	}
	want := []string{"sku.deleted", "sku.created", "sku.updated", "sku.updated", "sku.created"}
	if got := eventTypes(c.events("?type=sku.*").Data); !reflect.DeepEqual(got, want) {
		t.Fatalf("sku events %v, want %v", got, want)
	}
}

func TestCustomerLifecycle(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	type cust struct {
		ID       string `json:"id"`
		Email    string `json:"email"`
		Type     string `json:"type"`
		Enabled  bool   `json:"enabled"`
		Locale   string `json:"locale"`
		Metadata map[string]any
	}
	var a cust
	c.must("POST", "/customers", `{"id":"merchant-cust-1","email":"amy@example.test","locale":"de_DE"}`, http.StatusCreated, &a)
	if a.ID != "merchant-cust-1" || a.Type != "individual" || !a.Enabled || a.Locale != "de_DE" {
		t.Fatalf("created %+v, want the given id, type individual, enabled", a)
	}
	b := c.createCustomer("amy@example.test") // duplicate emails are allowed
	c.createCustomer("ben@example.test")

	var byEmail page[cust]
	c.must("GET", "/customers?email="+url.QueryEscape("amy@example.test"), nil, http.StatusOK, &byEmail)
	if len(byEmail.Data) != 2 || byEmail.Data[0].ID != b || byEmail.Data[1].ID != a.ID {
		t.Fatalf("GET /customers?email: %+v, want [%s %s]", byEmail.Data, b, a.ID)
	}
	var byIDs page[cust]
	c.must("GET", "/customers?ids="+a.ID+","+b, nil, http.StatusOK, &byIDs)
	if len(byIDs.Data) != 2 {
		t.Fatalf("GET /customers?ids: %d customers, want 2", len(byIDs.Data))
	}

	// createdTime, updatedTime and requestToBeForgotten (DR's GET
	// /customers filters).
	custIDs := func(q string) []string {
		var p page[cust]
		c.must("GET", "/customers"+q, nil, http.StatusOK, &p)
		out := []string{}
		for _, x := range p.Data {
			out = append(out, x.ID)
		}
		return out
	}
	var first struct {
		CreatedTime time.Time `json:"createdTime"`
	}
	c.must("GET", "/customers/"+a.ID, nil, http.StatusOK, &first)
	c.advance("1h")
	c.must("POST", "/customers/"+b, `{"requestToBeForgotten":true}`, http.StatusOK, nil)
	all := custIDs("")
	for q, want := range map[string][]string{
		"?requestToBeForgotten=true":                           {b},
		"?requestToBeForgotten=false":                          {all[0], a.ID},
		"?" + timeParam("updatedTime[gt]", first.CreatedTime):  {b},
		"?" + timeParam("updatedTime[lte]", first.CreatedTime): {all[0], a.ID},
		"?" + timeParam("createdTime[gt]", first.CreatedTime):  {},
		"?" + timeParam("createdTime[lte]", first.CreatedTime): all,
	} {
		if got := custIDs(q); !reflect.DeepEqual(got, want) {
			t.Errorf("GET /customers%s: %v, want %v", q, got, want)
		}
	}

	c.must("POST", "/customers/"+a.ID, `{"enabled":false,"type":"business"}`, http.StatusOK, &a)
	if a.Enabled || a.Type != "business" || a.Email != "amy@example.test" {
		t.Fatalf("updated %+v, want disabled business with the email kept", a)
	}
	sku := c.createSKU("Widget")
	c.mustError("POST", "/_sim/orders", map[string]any{"customerId": a.ID, "items": []map[string]any{{"skuId": sku, "quantity": 1, "price": 1}}},
		http.StatusConflict, "failed-request", "")

	c.must("DELETE", "/customers/"+a.ID, nil, http.StatusNoContent, nil)
	c.mustError("GET", "/customers/"+a.ID, nil, http.StatusNotFound, "not_found", "id")
	want := []string{"customer.deleted", "customer.updated", "customer.updated", "customer.created", "customer.created", "customer.created"}
	if got := eventTypes(c.events("?type=customer.*").Data); !reflect.DeepEqual(got, want) {
		t.Fatalf("customer events %v, want %v", got, want)
	}
}

func TestDefaultSourceCanBeChosenAndPaysForOrders(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	cust := c.createCustomer("cat@example.test")
	s1, s2 := c.createCard("4444222233331111"), c.createCard("5466160000000008")
	c.must("POST", "/customers/"+cust+"/sources/"+s1.ID, nil, http.StatusOK, nil)
	c.must("POST", "/customers/"+cust+"/sources/"+s2.ID, nil, http.StatusOK, nil)
	var cu customer
	c.must("POST", "/customers/"+cust, map[string]string{"defaultSourceId": s2.ID}, http.StatusOK, &cu)
	if cu.DefaultSourceID != s2.ID {
		t.Fatalf("defaultSourceId %q, want %s", cu.DefaultSourceID, s2.ID)
	}
	var o struct {
		Payment struct {
			Sources []source `json:"sources"`
			Charges []struct {
				SourceID string  `json:"sourceId"`
				Amount   float64 `json:"amount"`
			} `json:"charges"`
		} `json:"payment"`
	}
	c.must("POST", "/_sim/orders", map[string]any{"customerId": cust, "items": []map[string]any{{"skuId": c.createSKU("Widget"), "quantity": 1, "price": 12.5}}}, http.StatusCreated, &o)
	if len(o.Payment.Sources) != 1 || o.Payment.Sources[0].ID != s2.ID || o.Payment.Charges[0].SourceID != s2.ID || o.Payment.Charges[0].Amount != 12.5 {
		t.Fatalf("order payment %+v, want the default source %s charged 12.5", o.Payment, s2.ID)
	}
	// A reusable source stays chargeable after paying.
	var after source
	c.must("GET", "/sources/"+s2.ID, nil, http.StatusOK, &after)
	if after.State != "chargeable" {
		t.Fatalf("saved source is %s after an order, want chargeable", after.State)
	}
}

func TestOrdersListAndUpdate(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	sku := c.createSKU("Widget")
	c1, c2 := c.createCustomer("d1@example.test"), c.createCustomer("d2@example.test")
	o1 := c.placeOrder(c1, sku)
	c.advance("1h")
	o2 := c.placeOrder(c2, sku)
	c.accept(o2.ID)

	type ord struct {
		ID                   string         `json:"id"`
		UpstreamID           string         `json:"upstreamId"`
		RequestToBeForgotten bool           `json:"requestToBeForgotten"`
		Metadata             map[string]any `json:"metadata"`
		CreatedTime          time.Time      `json:"createdTime"`
		State                string         `json:"state"`
	}
	ids := func(q string) []string {
		var p page[ord]
		c.must("GET", "/orders"+q, nil, http.StatusOK, &p)
		out := []string{}
		for _, o := range p.Data {
			out = append(out, o.ID)
		}
		return out
	}
	var first ord
	c.must("GET", "/orders/"+o1.ID, nil, http.StatusOK, &first)
	for q, want := range map[string][]string{
		"":                         {o2.ID, o1.ID},
		"?customerId=" + c1:        {o1.ID},
		"?state=pending_payment":   {o1.ID},
		"?email=d2%40example.test": {o2.ID},
		"?ids=" + o1.ID:            {o1.ID},
		"?" + timeParam("createdTime[gt]", first.CreatedTime): {o2.ID},
		"?limit=1": {o2.ID},
	} {
		if got := ids(q); !reflect.DeepEqual(got, want) {
			t.Errorf("GET /orders%s: %v, want %v", q, got, want)
		}
	}
	// subscriptionId (DR's GET /orders filter): the orders with a line of
	// that subscription, here its acquisition order only.
	var pl idOnly
	c.must("POST", "/plans", map[string]any{"name": "Monthly", "interval": "month"}, http.StatusCreated, &pl)
	var o3 struct {
		ID    string `json:"id"`
		Items []struct {
			SubscriptionInfo struct {
				SubscriptionID string `json:"subscriptionId"`
			} `json:"subscriptionInfo"`
		} `json:"items"`
	}
	c.must("POST", "/_sim/orders", map[string]any{"customerId": c1, "items": []map[string]any{{"skuId": sku, "quantity": 1, "price": 5,
		"subscriptionInfo": map[string]any{"planId": pl.ID}}}}, http.StatusCreated, &o3)
	sub := o3.Items[0].SubscriptionInfo.SubscriptionID
	for q, want := range map[string][]string{
		"?subscriptionId=" + sub:                       {o3.ID},
		"?subscriptionId=nope":                         {},
		"?subscriptionId=" + sub + "&customerId=" + c2: {},
	} {
		if got := ids(q); !reflect.DeepEqual(got, want) {
			t.Errorf("GET /orders%s: %v, want %v", q, got, want)
		}
	}
	var up ord
	c.must("POST", "/orders/"+o1.ID, `{"upstreamId":"shop-42","requestToBeForgotten":true,"metadata":{"k":"v"}}`, http.StatusOK, &up)
	if up.UpstreamID != "shop-42" || !up.RequestToBeForgotten || up.Metadata["k"] != "v" || up.State != "pending_payment" {
		t.Fatalf("updated order %+v", up)
	}
}

func TestWebhookCRUD(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	type hook struct {
		ID            string   `json:"id"`
		Address       string   `json:"address"`
		Types         []string `json:"types"`
		Enabled       bool     `json:"enabled"`
		APIVersion    string   `json:"apiVersion"`
		TransportType string   `json:"transportType"`
	}
	var h hook
	c.must("POST", "/webhooks", `{"address":"https://shop.example/dr","types":["order.accepted","order.cancelled"]}`, http.StatusCreated, &h)
	if !h.Enabled || h.APIVersion != "default" || h.TransportType != "HTTP" || len(h.Types) != 2 {
		t.Fatalf("created %+v, want enabled, apiVersion default, HTTP", h)
	}
	raw := c.must("GET", "/webhooks/"+h.ID, nil, http.StatusOK, nil)
	if string(raw) == "" || containsAny(string(raw), "secret", "whsec_") {
		t.Fatalf("GET /webhooks/{id} shows the signing secret: %s", raw)
	}
	other := c.createWebhook("https://shop.example/subs", "subscription.*")
	var list page[hook]
	c.must("GET", "/webhooks?type=order.cancelled", nil, http.StatusOK, &list)
	if len(list.Data) != 1 || list.Data[0].ID != h.ID {
		t.Fatalf("GET /webhooks?type=order.cancelled: %+v", list.Data)
	}
	c.must("GET", "/webhooks?type=subscription.extended", nil, http.StatusOK, &list)
	if len(list.Data) != 1 || list.Data[0].ID != other {
		t.Fatalf("GET /webhooks?type=subscription.extended: %+v, want the wildcard webhook", list.Data)
	}
	c.must("PATCH", "/webhooks/"+h.ID, `{"types":["fulfillment.created"],"address":"https://shop.example/v2"}`, http.StatusOK, &h)
	if h.Address != "https://shop.example/v2" || !reflect.DeepEqual(h.Types, []string{"fulfillment.created"}) || !h.Enabled {
		t.Fatalf("patched %+v", h)
	}
	c.must("DELETE", "/webhooks/"+h.ID, nil, http.StatusNoContent, nil)
	c.mustError("GET", "/webhooks/"+h.ID, nil, http.StatusNotFound, "not_found", "id")
	c.must("GET", "/webhooks", nil, http.StatusOK, &list)
	if len(list.Data) != 1 || list.Data[0].ID != other {
		t.Fatalf("GET /webhooks after delete: %+v", list.Data)
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// GET /orders/{id}?expand=true adds each line's SKU physical and metadata to
// its productDetails (DR's "Expanding events"); without it they are absent.
func TestOrderExpand(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	var sku idOnly
	c.must("POST", "/skus", map[string]any{"name": "Boots", "physical": true, "metadata": map[string]any{"fit": "wide"}}, http.StatusCreated, &sku)
	o := c.placeOrder(c.createCustomer("x@example.test"), sku.ID)
	details := func(q string) map[string]any {
		var got struct {
			Items []struct {
				ProductDetails map[string]any `json:"productDetails"`
			} `json:"items"`
		}
		c.must("GET", "/orders/"+o.ID+q, nil, http.StatusOK, &got)
		return got.Items[0].ProductDetails
	}
	if pd := details("?expand=true"); pd["physical"] != true || fmt.Sprint(pd["metadata"]) != "map[fit:wide]" || pd["name"] != "Boots" {
		t.Fatalf("expanded productDetails %v, want physical true and the SKU's metadata", pd)
	}
	for _, q := range []string{"", "?expand=false"} {
		if pd := details(q); pd["physical"] != nil || pd["metadata"] != nil {
			t.Fatalf("GET /orders/{id}%s productDetails %v, want no physical or metadata", q, pd)
		}
	}
}
