package merchant

import (
	"encoding/json"
	"testing"
)

func TestOrderingKey(t *testing.T) {
	for _, tc := range []struct{ object, want string }{
		{`{"subscription":{"id":"sub_1"},"invoice":{"id":"inv_1","orderId":"ord_1"}}`, "sub_1"},
		{`{"id":"sub_1","state":"cancelled","customerId":"cus_1"}`, "sub_1"},
		{`{"id":"ord_1","state":"accepted"}`, "ord_1"},
		{`{"id":"ful_1","orderId":"ord_1"}`, "ord_1"},
		{`{"id":"file_1","fileId":"file_1","orderId":"ord_1"}`, "ord_1"},
		{`[1]`, "evt_1"},
		{`null`, "evt_1"},
	} {
		ev := event{ID: "evt_1"}
		ev.Data.Object = json.RawMessage(tc.object)
		if got := orderingKey(ev); got != tc.want {
			t.Errorf("orderingKey(%s) = %q, want %q", tc.object, got, tc.want)
		}
	}
}
