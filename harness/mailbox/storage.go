package mailbox

import (
	"slices"
	"sync"

	"github.com/mailhog/data"
	"github.com/mailhog/storage"
)

// lockedStorage makes MailHog's in-memory storage safe for concurrent use.
//
// storage.InMemory locks in Store and the deletes but reads its slice and
// index without the lock in Search, List, Count and Load, which the race
// detector reports as soon as a message arrives while the API is searching.
// Every method here runs under one read-write lock.
//
// MailHog's v1 GET /api/v1/messages and /api/v1/messages/{id}/download
// type-assert *storage.InMemory and answer 500 with this wrapper; the
// package does not use them. DELETE /api/v1/messages goes through the
// storage.Storage interface and works.
//
// It also indexes messages by recipient and tells watchers about each
// message as it is stored: a Client of an embedded server (Server.Client)
// reads and waits through these in-process, without MailHog's HTTP search
// or its websocket, and so without encoding and decoding every message as
// JSON twice and waking four goroutines per push.
type lockedStorage struct {
	mu       sync.RWMutex
	mem      *storage.InMemory
	byTo     map[string][]*data.Message // lower-case recipient → messages, oldest first
	watchers map[*storeWatcher]struct{}
}

// storeWatcher is told about every message to `to` stored from its
// registration on, under the storage lock: deliver must not block.
type storeWatcher struct {
	to      string
	deliver func(*data.Message)
}

var _ storage.Storage = (*lockedStorage)(nil)

func newLockedStorage() *lockedStorage {
	return &lockedStorage{mem: storage.CreateInMemory(), byTo: map[string][]*data.Message{}, watchers: map[*storeWatcher]struct{}{}}
}

func (s *lockedStorage) Store(m *data.Message) (string, error) {
	rcpts := recipients(m)
	s.mu.Lock()
	defer s.mu.Unlock()
	id, err := s.mem.Store(m)
	if err != nil {
		return id, err
	}
	for to := range rcpts {
		s.byTo[to] = append(s.byTo[to], m)
	}
	for w := range s.watchers {
		if rcpts[w.to] {
			w.deliver(m)
		}
	}
	return id, nil
}

// watch registers w. Every message stored afterwards reaches w.deliver;
// a search made after watch returns covers the ones stored before.
func (s *lockedStorage) watch(w *storeWatcher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.watchers[w] = struct{}{}
}

func (s *lockedStorage) unwatch(w *storeWatcher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.watchers, w)
}

// to returns the stored messages to `to` (lower case), oldest first. The
// messages are shared: callers only read them.
func (s *lockedStorage) to(to string) []*data.Message {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.byTo[to])
}

func (s *lockedStorage) List(start, limit int) (*data.Messages, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mem.List(start, limit)
}

func (s *lockedStorage) Search(kind, query string, start, limit int) (*data.Messages, int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mem.Search(kind, query, start, limit)
}

func (s *lockedStorage) Count() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mem.Count()
}

func (s *lockedStorage) DeleteOne(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.mem.Load(id)
	if err != nil {
		return err
	}
	if err := s.mem.DeleteOne(id); err != nil {
		return err
	}
	for to := range recipients(m) {
		s.byTo[to] = slices.DeleteFunc(s.byTo[to], func(x *data.Message) bool { return x.ID == m.ID })
		if len(s.byTo[to]) == 0 {
			delete(s.byTo, to)
		}
	}
	return nil
}

func (s *lockedStorage) DeleteAll() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.byTo)
	return s.mem.DeleteAll()
}

func (s *lockedStorage) Load(id string) (*data.Message, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mem.Load(id)
}
