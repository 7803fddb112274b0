// Package state holds the simulator's accounts and their resources, and the
// rules Digital River applies to them: arithmetic, lifecycles, validation and
// the events each state change records. It knows nothing about HTTP; the api
// package decodes requests into the Params types here and writes what these
// methods return. A refused request is a *problem.Error (its kind, DR's code,
// the parameter, a message); the api package maps it to DR's status. Every method returns copies, so callers never share memory
// with the store.
package state

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/problem"
)

// Publisher receives every event an account records, with the targets (the
// webhooks enabled and subscribed to its type at that moment). The delivery
// engine implements it. Publish is called with the account locked, so it
// must only enqueue.
type Publisher interface {
	Publish(accountID string, ev *Event, targets []Target)
}

// Store is every account of one simulator.
type Store struct {
	mu        sync.RWMutex
	accounts  map[string]*Account
	byKey     map[string]keyRef
	publisher Publisher
	wall      func() time.Time
	links     linkIndex
}

// linkIndex finds the account of a file link by the link's id, so a
// download locks only that account.
type linkIndex struct {
	mu sync.RWMutex
	m  map[string]*Account
}

func (x *linkIndex) put(id string, a *Account) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.m == nil {
		x.m = map[string]*Account{}
	}
	x.m[id] = a
}

func (x *linkIndex) remove(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.m, id)
}

func (x *linkIndex) get(id string) (*Account, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	a, ok := x.m[id]
	return a, ok
}

type keyRef struct {
	account *Account
	public  bool
}

// NewStore returns an empty store. pub may be nil (events are recorded but not delivered).
func NewStore(pub Publisher, wall func() time.Time) *Store {
	if wall == nil {
		wall = time.Now
	}
	return &Store{accounts: map[string]*Account{}, byKey: map[string]keyRef{}, publisher: pub, wall: wall}
}

// Keys are an account's API keys.
type Keys = client.Keys

// MaxAccounts bounds the accounts of one simulator; DELETE /_sim/account
// frees one.
const MaxAccounts = 10000

// MaxKeyLength bounds a secret key given to CreateAccountWithKey (DR's keys
// are sk_test_ and 32 characters).
const MaxKeyLength = 100

// CreateAccount makes a fresh account with its own state, clock and keys
// (for Go tests: it ignores MaxAccounts).
func (s *Store) CreateAccount() Keys {
	a := newAccount(s.publisher, s.wall, &s.links)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addLocked(a)
	return a.keys
}

func (s *Store) addLocked(a *Account) {
	s.accounts[a.id] = a
	s.byKey[a.keys.SecretKey] = keyRef{account: a}
	s.byKey[a.keys.PublicKey] = keyRef{account: a, public: true}
}

// CreateAccountWithKey is POST /_sim/accounts: an account whose secret key
// is given (for a merchant configured with a fixed key), or generated when
// secretKey is "". Refused: a key taken, one that does not look like a test
// secret key (sk_test_, then 8 to MaxKeyLength−8 letters, digits, '_' or
// '-'), and an account beyond MaxAccounts (409 too_many_accounts).
func (s *Store) CreateAccountWithKey(secretKey string) (Keys, error) {
	if secretKey != "" {
		if err := checkSecretKey(secretKey); err != nil {
			return Keys{}, err
		}
	}
	a := newAccount(s.publisher, s.wall, &s.links)
	if secretKey != "" {
		a.keys.SecretKey = secretKey
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.accounts) >= MaxAccounts {
		return Keys{}, problem.Conflictf("too_many_accounts", "The simulator keeps at most %d accounts; delete one with DELETE /_sim/account.", MaxAccounts)
	}
	if _, taken := s.byKey[a.keys.SecretKey]; taken {
		return Keys{}, problem.Invalidf("secretKey", "Secret key '%s' already belongs to an account.", secretKey)
	}
	s.addLocked(a)
	return a.keys, nil
}

func checkSecretKey(k string) error {
	const prefix = "sk_test_"
	rest, ok := strings.CutPrefix(k, prefix)
	if !ok || len(rest) < 8 || len(k) > MaxKeyLength {
		shown := k
		if len(shown) > 40 {
			shown = shown[:40] + "…"
		}
		return problem.Invalidf("secretKey", "Secret key '%s' (%d bytes): want sk_test_ followed by 8 to %d characters.", strings.ToValidUTF8(shown, "?"), len(k), MaxKeyLength-len(prefix))
	}
	for _, c := range rest {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return problem.Invalidf("secretKey", "Secret key '%s': only letters, digits, '_' and '-' may follow sk_test_.", k)
		}
	}
	return nil
}

// Lookup finds the account a key belongs to and says whether it is the public key.
func (s *Store) Lookup(key string) (a *Account, public bool, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.byKey[key]
	if !ok {
		return nil, false, false
	}
	return r.account, r.public, true
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// Accounts returns every account, ordered by id (for the dashboard, which
// sees all tenants; see simulator/internal/dashboard for who may open it).
func (s *Store) Accounts() []*Account {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*Account, 0, len(s.accounts))
	for _, a := range s.accounts {
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y *Account) int { return strings.Compare(x.id, y.id) })
	return out
}

// Account returns the account with id.
func (s *Store) Account(id string) (*Account, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.accounts[id]
	return a, ok
}

// DeleteAccount is DELETE /_sim/account: the account, its keys and every
// resource go; its file links stop answering (404). Deliveries already
// queued may still be attempted.
func (s *Store) DeleteAccount(a *Account) error {
	s.mu.Lock()
	if s.accounts[a.id] != a {
		s.mu.Unlock()
		return problem.NotFoundID("Account", a.id)
	}
	delete(s.accounts, a.id)
	delete(s.byKey, a.keys.SecretKey)
	delete(s.byKey, a.keys.PublicKey)
	s.mu.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	for id := range a.links.all() {
		s.links.remove(id)
	}
	return nil
}
