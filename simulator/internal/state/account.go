package state

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/clock"
	"github.com/drsim/drsim/simulator/internal/problem"
)

// Account is one tenant: a secret key, its public key, and everything created with them.
type Account struct {
	id        string
	keys      Keys
	clock     *clock.Virtual // the account's own clock: wall time
	wall      func() time.Time
	publisher Publisher
	linkIndex *linkIndex // the store's: file link id → account

	mu        sync.Mutex
	ids       idGen
	customers collection[*Customer]
	sources   collection[*Source]
	skus      collection[*SKU]
	orders    collection[*Order]
	fulfils   collection[*Fulfillment]
	refunds   collection[*Refund]
	returns   collection[*Return]
	events    eventLog // eventlog.go
	recorded  int      // events recorded since the last prune (events.go)
	// collecting are the lists a clock move gathers its events in: record
	// appends each new event, made from the log, to every one (events.go).
	// Positions in the log cannot mark "the events since": a prune during
	// the move may forget the move's first events.
	collecting  []*[]*Event
	plans       collection[*Plan]         // plans.go
	subs        collection[*Subscription] // subscriptions.go
	invoices    collection[*Invoice]      // invoices.go (billing invoices)
	files       collection[*File]         // files.go (invoice and credit memo PDFs, uploads)
	links       collection[*FileLink]     // filelinks.go
	baseURL     string                    // files.go: where the account's API is reached, for URLs
	uploadBytes int                       // files.go: bytes of the uploads kept (MaxUploadTotal)
	baseMu      sync.RWMutex              // with mu for writes of baseURL; alone for SetBaseURL's check
	webhooks    collection[*Webhook]
	// webhookVersion changes with any webhook (webhooks.go WebhookVersion).
	webhookVersion atomic.Uint64
	reqMu          sync.Mutex   // guards requests, reqSeq and reqDrop instead of mu: logging a call never waits for the account
	requests       []RequestLog // the latest MaxRequestLog, oldest first
	reqSeq         int          // Seq of the newest request
	reqDrop        int          // requests dropped past MaxRequestLog

	// What the simulator keeps on resources beyond their wire form (the
	// wire types are package client's), by resource id.
	customerClock notes[string]            // customer → the test clock it is attached to (testclocks.go)
	behaviours    notes[cardBehaviour]     // source → what its test card or owner makes it do (sources.go)
	progress      notes[*itemProgress]     // order line → its fulfilment, capture and return counters (charges.go)
	refundNotes   notes[*refundNote]       // refund → its allocation, return and charge entry (refunds.go)
	subNotes      notes[*subscriptionNote] // subscription → its terms, tax rates and schedule (subscriptions.go)
	invoiceSub    notes[string]            // billing invoice → the subscription it bills (invoices.go)
	hookNotes     notes[*webhookNote]      // webhook → its signing secrets and why it was disabled (webhooks.go)
	fileNotes     notes[*fileNote]         // file → its bytes and test clock (files.go)
	linkClock     notes[string]            // file link → its file's test clock (filelinks.go)
	// linksOfFile is file → its links' ids, oldest first (filelinks.go
	// linksOf): built on first use, and so after a state file is loaded;
	// ids of links since removed are dropped as they are met.
	linksOfFile map[string][]string `snapshot:"-"`

	testClocks collection[*testClock] // testclocks.go
	cur        *clock.Virtual         // the clock in use (testclocks.go use); nil: a.clock
	curID      string                 // its test clock id
	changed    chan struct{}          // wait.go: closed at the next recorded event, when someone waits
}

func newAccount(pub Publisher, wall func() time.Time, idx *linkIndex) *Account {
	hexID := randomHex(16)
	return &Account{
		id: "acct_" + hexID[:16],
		keys: Keys{
			AccountID: "acct_" + hexID[:16],
			SecretKey: "sk_test_" + randomHex(16),
			PublicKey: "pk_test_" + randomHex(16),
		},
		clock:     clock.New(wall),
		wall:      wall,
		linkIndex: idx,
		publisher: pub,
		ids:       newIDGen(),
	}
}

// ID is the account's id.
func (a *Account) ID() string { return a.id }

// Keys returns the account's keys.
func (a *Account) Keys() Keys { return a.keys }

// Now is the time on the account's own clock. It follows wall time: the
// control API cannot move it (virtual time lives in test clocks); Go tests
// move it with AdvanceClock or SetClock, which run what falls due.
func (a *Account) Now() time.Time { return a.clock.Now() }

// FreezeClock stops the account's own clock at its current reading, for Go
// tests that compare exact timestamps; AdvanceClock and SetClock still move
// it.
func (a *Account) FreezeClock() time.Time { return a.clock.Freeze() }

// RequestLog is one API call the account made.
type RequestLog = client.RequestLog

// MaxRequestLog bounds the API calls kept per account: beyond it the
// oldest are dropped and counted (RequestsPage's dropped).
const MaxRequestLog = 10000

// LogRequest records an API call.
//
// The log's slice holds up to a quarter of MaxRequestLog more calls than
// it shows: when it is that full, the latest MaxRequestLog move to its
// front, within the same array. Dropping the oldest call at each call
// shrank the slice from its front, so appends kept allocating a new array
// and copying the whole log (about 500 bytes a request).
func (a *Account) LogRequest(r RequestLog) {
	a.reqMu.Lock()
	defer a.reqMu.Unlock()
	a.reqSeq++
	r.Seq = a.reqSeq
	a.requests = append(a.requests, r)
	if over := len(a.requests) - MaxRequestLog; over > MaxRequestLog/4 {
		n := copy(a.requests, a.requests[over:])
		clear(a.requests[n:])
		a.requests = a.requests[:n]
		a.reqDrop += over
	}
}

// keptRequests are the calls the log shows: the latest MaxRequestLog.
// Caller holds a.reqMu.
func (a *Account) keptRequests() []RequestLog {
	return a.requests[max(len(a.requests)-MaxRequestLog, 0):]
}

// Requests returns the API calls the account made, oldest first (the
// latest MaxRequestLog).
func (a *Account) Requests() []RequestLog {
	a.reqMu.Lock()
	defer a.reqMu.Unlock()
	return append([]RequestLog(nil), a.keptRequests()...)
}

// RequestPage is a page of the request log, oldest first; Dropped counts
// the calls dropped, oldest first, past MaxRequestLog.
type RequestPage = client.LogPage[RequestLog]

// RequestsPage is GET /_sim/requests: the calls numbered after after,
// oldest first, at most limit.
func (a *Account) RequestsPage(after, limit int) RequestPage {
	a.reqMu.Lock()
	defer a.reqMu.Unlock()
	kept := a.keptRequests()
	// Seqs are consecutive, so the first call after after is found by arithmetic.
	i := 0
	if len(kept) > 0 {
		i = min(max(after-kept[0].Seq+1, 0), len(kept))
	}
	rest := kept[i:]
	p := RequestPage{Data: append([]RequestLog{}, rest[:min(limit, len(rest))]...), HasMore: len(rest) > limit, Dropped: a.reqDrop + len(a.requests) - len(kept)}
	return p
}

// notes keeps, by resource id, what the simulator knows of resources of
// one kind beyond their wire form: the wire types (package client) carry
// only what DR's API shows. It holds non-zero values only (a missing id
// reads as the zero value), goes into state files with the account
// (snapshot.go), and whoever removes a resource deletes its note.
type notes[V comparable] map[string]V

// set notes v for id, or forgets id when v is the zero value.
func (n *notes[V]) set(id string, v V) {
	var zero V
	if v == zero {
		delete(*n, id)
		return
	}
	if *n == nil {
		*n = notes[V]{}
	}
	(*n)[id] = v
}

// find returns a copy of the resource id of c, or DR's 404 naming kind.
func find[T any](a *Account, c *collection[T], kind Kind, id string) (T, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	v, err := lookup(c, kind, id)
	if err != nil {
		return v, err
	}
	return clone(v), nil
}

// lookup is the stored resource id of c (not a copy), or DR's 404 naming
// kind. Caller holds a.mu.
func lookup[T any](c *collection[T], kind Kind, id string) (T, error) {
	v, ok := c.get(id)
	if !ok {
		return v, problem.NotFoundID(string(kind), id)
	}
	return v, nil
}
