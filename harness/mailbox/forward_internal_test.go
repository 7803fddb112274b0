package mailbox

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/pat"
	"github.com/mailhog/MailHog-Server/config"
	"github.com/mailhog/data"
)

// TestMessagesReachMailHogsPushOnlyOnceAsked: received messages are handed
// to MailHog's API (which turns each into JSON for its event stream and
// websocket) only after a client has asked for pushes; searching does not
// count.
func TestMessagesReachMailHogsPushOnlyOnceAsked(t *testing.T) {
	conf := config.DefaultConfig()
	conf.MessageChan = make(chan *data.Message, 4)
	b := &backend{conf: conf, router: pat.New(), received: make(chan *data.Message)}
	go b.forward()
	defer close(b.received)
	// received is unbuffered: once the second send returns, forward has
	// finished with the first.
	send := func(id string) { b.received <- &data.Message{ID: data.MessageID(id)} }

	send("before")
	b.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/v2/search?kind=to&query=x", nil))
	send("after a search")
	send("flush")
	if n := len(conf.MessageChan); n != 0 {
		t.Fatalf("%d message(s) handed to MailHog's push before any client asked for pushes (first %s)", n, (<-conf.MessageChan).ID)
	}
	b.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/v2/websocket", nil))
	send("pushed")
	send("pushed too")
	if got := (<-conf.MessageChan).ID; got != "flush" && got != "pushed" {
		t.Fatalf("first message handed on after the websocket request: %s, want pushed (or flush, taken before)", got)
	}
}
