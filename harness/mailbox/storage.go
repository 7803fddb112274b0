package mailbox

import (
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
type lockedStorage struct {
	mu  sync.RWMutex
	mem *storage.InMemory
}

var _ storage.Storage = (*lockedStorage)(nil)

func newLockedStorage() *lockedStorage {
	return &lockedStorage{mem: storage.CreateInMemory()}
}

func (s *lockedStorage) Store(m *data.Message) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mem.Store(m)
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
	return s.mem.DeleteOne(id)
}

func (s *lockedStorage) DeleteAll() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mem.DeleteAll()
}

func (s *lockedStorage) Load(id string) (*data.Message, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mem.Load(id)
}
