package state

import (
	"slices"
	"strings"
	"time"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/problem"
)

// FileLink is DR's FileLink (docs/dr-api.md#filelink): a public URL that
// serves a file without a key until expiresTime, on the virtual clock of
// its file's customer (the account's linkClock note).
type FileLink = client.FileLink

// linkView is a copy of the link with expired read from the clock. Caller holds a.mu.
func (a *Account) linkView(l *FileLink) *FileLink {
	v := clone(l)
	v.Expired = !a.nowOn(a.linkClock[l.ID]).Before(l.ExpiresTime)
	return v
}

// The bodies of POST /file-links and POST /file-links/{id}.
type (
	FileLinkParams       = client.FileLinkParams
	FileLinkUpdateParams = client.FileLinkUpdateParams
)

// parseTime reads a date-time as DR writes them: RFC 3339 with any
// fractional digits, or with a +0000 style offset.
func parseTime(param, s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			// Go writes back only years 0–9999; DR's times start in 1970.
			if y := t.UTC().Year(); y < 1970 || y > 9999 {
				return time.Time{}, problem.Invalidf(param, "'%s' must be between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z, got '%s' (year %d in UTC).", param, s, y)
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, problem.Invalidf(param, "'%s' must be an ISO-8601 date-time such as 2026-01-01T00:00:00Z, got '%s'.", param, s)
}

// expiry parses the expiresTime a merchant sends for a link on test clock
// clockID and returns when the link expires on that clock. A merchant
// computes expiresTime from its own wall clock, so it must be after wall
// time now, and the link lives for expiresTime − wall time, measured on
// the clock: "now + 30 days" gives 30 days on the customer's clock, however
// far ahead that clock is [choice]. Without a test clock the account's
// clock is wall time and the link expires at expiresTime. Caller holds a.mu.
func (a *Account) expiry(s, clockID string) (time.Time, error) {
	if s == "" {
		return time.Time{}, problem.Missing("expiresTime")
	}
	t, err := parseTime("expiresTime", s)
	if err != nil {
		return t, err
	}
	now := a.clock.Now()
	if !t.After(now) {
		return t, problem.Invalidf("expiresTime", "'expiresTime' must be in the future; it is %s and now is %s.",
			t.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
	}
	if tc, ok := a.testClocks.get(clockID); ok && clockID != "" {
		return tc.clock.Now().Add(t.Sub(now)), nil
	}
	return t, nil
}

// CreateFileLink is POST /file-links: the link is appended to the file's
// links[] and fileLink.created is recorded with the link [choice, docs/dr-api.md#undocumented-points item 4].
func (a *Account) CreateFileLink(p FileLinkParams) (*FileLink, error) {
	if p.FileID == "" {
		return nil, problem.Missing("fileId")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	f, ok := a.files.get(p.FileID)
	if !ok {
		return nil, problem.NotFoundID("File", p.FileID)
	}
	defer a.use(a.fileNote(f).testClock)()
	expires, err := a.expiry(p.ExpiresTime, a.fileNote(f).testClock)
	if err != nil {
		return nil, err
	}
	now := a.now()
	id := newUUID()
	l := &FileLink{
		ID: id, FileID: p.FileID, ExpiresTime: expires, URL: a.base() + "/links/" + id,
		Metadata: p.Metadata, CreatedTime: now,
	}
	a.links.put(id, l)
	if a.linksOfFile != nil {
		a.linksOfFile[p.FileID] = append(a.linksOfFile[p.FileID], id)
	}
	a.linkClock.set(id, a.fileNote(f).testClock)
	if a.linkIndex != nil {
		a.linkIndex.put(id, a)
	}
	v := a.linkView(l)
	a.record("fileLink.created", v, nil)
	return v, nil
}

// FileLink is GET /file-links/{id}.
func (a *Account) FileLink(id string) (*FileLink, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	l, ok := a.links.get(id)
	if !ok {
		return nil, problem.NotFoundID("FileLink", id)
	}
	return a.linkView(l), nil
}

// FileLinkFilter is GET /file-links' query.
type FileLinkFilter struct {
	ListParams
	IDs     []string
	FileID  string
	Expired *bool
}

// FileLinks is GET /file-links, newest first.
func (a *Account) FileLinks(f FileLinkFilter) (Page[*FileLink], error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var in []int // every link, or a file's
	if f.FileID != "" {
		in = []int{}
		for _, l := range a.linksOf(f.FileID) {
			if i, ok := a.links.index(l.ID); ok {
				in = append(in, i)
			}
		}
		slices.Sort(in)
	}
	p, err := a.links.pageIn(in, func(l *FileLink) bool {
		return (len(f.IDs) == 0 || contains(f.IDs, l.ID)) && (f.FileID == "" || l.FileID == f.FileID) &&
			(f.Expired == nil || *f.Expired == !a.nowOn(a.linkClock[l.ID]).Before(l.ExpiresTime))
	}, f.ListParams)
	for i, l := range p.Data {
		p.Data[i] = a.linkView(l)
	}
	return p, err
}

// linksOf is file's links, oldest first, through linksOfFile (built here
// when it is not). Caller holds a.mu.
func (a *Account) linksOf(fileID string) []*FileLink {
	if a.linksOfFile == nil {
		a.linksOfFile = map[string][]string{}
		for id, l := range a.links.all() {
			a.linksOfFile[l.FileID] = append(a.linksOfFile[l.FileID], id)
		}
	}
	ids := a.linksOfFile[fileID]
	var out []*FileLink
	kept := ids[:0]
	for _, id := range ids {
		if l, ok := a.links.get(id); ok {
			out = append(out, l)
			kept = append(kept, id)
		}
	}
	if len(kept) == 0 {
		delete(a.linksOfFile, fileID)
	} else {
		a.linksOfFile[fileID] = kept
	}
	return out
}

// UpdateFileLink is POST /file-links/{id}: a new expiresTime (in the future,
// which also revives an expired link) and metadata. It records
// fileLink.updated with the old expiresTime in previousAttributes.
func (a *Account) UpdateFileLink(id string, p FileLinkUpdateParams) (*FileLink, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	l, ok := a.links.get(id)
	if !ok {
		return nil, problem.NotFoundID("FileLink", id)
	}
	defer a.use(a.linkClock[l.ID])()
	previous := map[string]any{}
	if p.ExpiresTime != nil {
		t, err := a.expiry(*p.ExpiresTime, a.linkClock[l.ID])
		if err != nil {
			return nil, err
		}
		previous["expiresTime"] = l.ExpiresTime
		l.ExpiresTime = t
	}
	if p.Metadata != nil {
		previous["metadata"] = l.Metadata
		l.Metadata = p.Metadata
	}
	if len(previous) == 0 {
		return a.linkView(l), nil
	}
	v := a.linkView(l)
	a.record("fileLink.updated", v, previous)
	return v, nil
}

// DeleteFileLink is DELETE /file-links/{id}: the link stops working at once
// and fileLink.deleted is recorded with it.
func (a *Account) DeleteFileLink(id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	l, ok := a.links.get(id)
	if !ok {
		return problem.NotFoundID("FileLink", id)
	}
	defer a.use(a.linkClock[l.ID])()
	v := a.linkView(l)
	a.links.remove(id)
	delete(a.linkClock, id)
	a.unindexLink(id)
	a.record("fileLink.deleted", v, nil)
	return nil
}

// linkDownload serves a link of this account: 404 when the account has no
// such link, 410 once it has expired. Caller holds nothing.
func (a *Account) linkDownload(id string) (*Download, bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	l, ok := a.links.get(id)
	if !ok {
		return nil, false, nil
	}
	if now := a.nowOn(a.linkClock[l.ID]); !now.Before(l.ExpiresTime) {
		return nil, true, problem.Gone("link_expired", "File link '%s' expired at %s.", id, l.ExpiresTime.Format(time.RFC3339Nano))
	}
	f, ok := a.files.get(l.FileID)
	if !ok { // files take their links with them; kept as a guard
		return nil, true, problem.NotFoundID("File", l.FileID)
	}
	d, err := a.fileNote(f).download(f.FileName)
	return d, true, err
}

// DownloadLink serves a file link's url: no key, any account's link. The
// link is found through the store's index, so only its own account is
// locked. The clock of the link's customer (the account's clock when it has
// no test clock) decides whether it has expired (410, type "gone"
// [choice]); an unknown link is 404.
func (s *Store) DownloadLink(id string) (*Download, error) {
	id = strings.TrimSpace(id)
	if a, ok := s.links.get(id); ok {
		if d, found, err := a.linkDownload(id); found {
			return d, err
		}
	}
	return nil, problem.NotFoundID("FileLink", id)
}

// unindexLink forgets link id in the store's index. Caller holds a.mu.
func (a *Account) unindexLink(id string) {
	if a.linkIndex != nil {
		a.linkIndex.remove(id)
	}
}
