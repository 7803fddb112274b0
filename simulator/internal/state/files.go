package state

import (
	"fmt"
	"net/http"
	"path"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/problem"
)

// File purposes (docs/dr-api.md#file). DR makes the first two; merchants upload
// the third.
const (
	PurposeInvoice    = "customer_invoice"
	PurposeCreditMemo = "customer_credit_memo"
	PurposeUpload     = "tax_document_customer_upload"
)

// MaxUpload bounds the bytes of an uploaded file (DR's limit is not
// documented) [choice].
const MaxUpload = 10 << 20

// MaxUploadTotal bounds the bytes of an account's uploads together;
// DELETE /files/{id} frees an upload's share.
var MaxUploadTotal = 100 << 20 // a variable so tests can lower it

// defaultBaseURL is the simulator's address in URLs made before any request
// told an account where it is served (only state-level tests do that).
const defaultBaseURL = "http://localhost"

// File is DR's File: a stored document. Its bytes are served, with the
// secret key, at url (GET /files/{id}/content) and, without a key, by its
// links until they expire. The bytes are the account's fileNotes.
type File = client.File

// fileNote is what the simulator keeps on a file beyond its wire form.
type fileNote struct {
	content     *content
	contentType string
	testClock   string // the test clock of the customer it is about (testclocks.go)
}

// fileNote is file f's note (newFile makes it). Caller holds a.mu.
func (a *Account) fileNote(f *File) *fileNote {
	n := a.fileNotes[f.ID]
	if n == nil {
		n = &fileNote{content: made(nil)}
		a.fileNotes.set(f.ID, n)
	}
	return n
}

// Download is a file's bytes as the content URL or a link serves them.
type Download struct {
	Content     []byte
	ContentType string
	FileName    string
}

// SetBaseURL tells the account the scheme and host its API is reached at
// ("http://127.0.0.1:41234"). The HTTP layer calls it for every secret-key
// request of the account, so the URLs the simulator makes (a File's url, a
// FileLink's url, invoiceURL, invoicePDFs[].url) point at the host the
// request that caused them came in on [choice]. It is configuration, not
// state: a request that finds it unchanged takes only baseMu's read lock;
// only a change takes the account's lock (so readers under a.mu, the
// snapshot among them, see a stable value).
func (a *Account) SetBaseURL(u string) {
	u = strings.TrimRight(u, "/")
	a.baseMu.RLock()
	same := a.baseURL == u
	a.baseMu.RUnlock()
	if same {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.baseMu.Lock()
	defer a.baseMu.Unlock()
	a.baseURL = u
}

// base is the account's base URL. Caller holds a.mu.
func (a *Account) base() string {
	if a.baseURL == "" {
		return defaultBaseURL
	}
	return a.baseURL
}

// newFile stores a file made now. Caller holds a.mu.
func (a *Account) newFile(id, purpose, title, name, typ, contentType string, c *content) *File {
	f := &File{
		ID: id, FileName: name, Title: title, Purpose: purpose, Type: typ,
		URL: a.base() + "/files/" + id + "/content", CreatedTime: a.now(),
	}
	a.files.put(id, f)
	a.fileNotes.set(id, &fileNote{content: c, contentType: contentType, testClock: a.curID})
	return f
}

// fileView is what a client sees of a file: a copy with its links, oldest
// first, their expired flags read from the clock now. Caller holds a.mu.
func (a *Account) fileView(f *File) *File {
	v := clone(f)
	if b, err := a.fileNote(f).content.get(); err == nil {
		v.Size = len(b)
	}
	for _, l := range a.linksOf(f.ID) {
		v.Links = append(v.Links, a.linkView(l))
	}
	return v
}

// FileUploadParams is POST /files (multipart/form-data): the part named
// file, and the fields purpose, fileName and title.
type FileUploadParams struct {
	Purpose  string
	FileName string // the fileName field, else the part's file name
	Title    string
	Content  []byte
}

// CreateFile is POST /files. Merchants may only upload
// tax_document_customer_upload files; invoices and credit memos are DR's.
func (a *Account) CreateFile(p FileUploadParams) (*File, error) {
	switch {
	case p.Purpose == "":
		return nil, problem.Missing("purpose")
	case p.Purpose == PurposeInvoice || p.Purpose == PurposeCreditMemo:
		return nil, problem.Invalidf("purpose", "Files with purpose '%s' are made by Digital River; upload only '%s'.", p.Purpose, PurposeUpload)
	case p.Purpose != PurposeUpload:
		return nil, problem.Invalidf("purpose", "'purpose' must be '%s', got '%s'.", PurposeUpload, p.Purpose)
	case len(p.Content) == 0:
		return nil, problem.Missing("file")
	case len(p.Content) > MaxUpload:
		return nil, problem.Invalidf("file", "The file is larger than %d bytes.", MaxUpload)
	case !utf8.ValidString(p.FileName) || len(p.FileName) > 255:
		return nil, problem.Invalidf("fileName", "'fileName' must be UTF-8 text of at most 255 bytes.")
	}
	name := path.Base(strings.ReplaceAll(p.FileName, `\`, "/"))
	if name == "." || name == "/" {
		name = "upload"
	}
	ctype := http.DetectContentType(p.Content)
	typ := strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
	if typ == "" {
		typ = typeOf(ctype)
	}
	if typ == "pdf" {
		ctype = "application/pdf"
	}
	content := append([]byte(nil), p.Content...)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.uploadBytes+len(content) > MaxUploadTotal {
		return nil, problem.Conflictf("upload_limit_exceeded", "The account's uploads hold %d bytes; this file's %d would pass the %d-byte limit. Delete uploads with DELETE /files/{id}.", a.uploadBytes, len(content), MaxUploadTotal)
	}
	a.uploadBytes += len(content)
	f := a.newFile(newUUID(), PurposeUpload, p.Title, name, typ, ctype, made(content))
	return a.fileView(f), nil
}

// typeOf names a sniffed content type the way File.type does.
func typeOf(contentType string) string {
	mt, _, _ := strings.Cut(contentType, ";")
	switch mt {
	case "application/pdf":
		return "pdf"
	case "image/png":
		return "png"
	case "image/jpeg":
		return "jpg"
	case "image/gif":
		return "gif"
	case "text/plain":
		return "txt"
	}
	return "bin"
}

// File is GET /files/{id}.
func (a *Account) File(id string) (*File, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	f, ok := a.files.get(id)
	if !ok {
		return nil, problem.NotFoundID("File", id)
	}
	return a.fileView(f), nil
}

// FileFilter is GET /files' query.
type FileFilter struct {
	ListParams
	IDs     []string
	Purpose string
}

// Files is GET /files, newest first.
func (a *Account) Files(f FileFilter) (Page[*File], error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, err := a.files.page(func(x *File) bool {
		return (len(f.IDs) == 0 || contains(f.IDs, x.ID)) && (f.Purpose == "" || x.Purpose == f.Purpose)
	}, f.ListParams)
	for i, x := range p.Data {
		p.Data[i] = a.fileView(x)
	}
	return p, err
}

// DeleteFile is DELETE /files/{id}. The file's links go with it; an order's
// invoicePDFs or creditMemoPDFs entry stays (and its url then gives 404).
func (a *Account) DeleteFile(id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	f, ok := a.files.get(id)
	if !ok {
		return problem.NotFoundID("File", id)
	}
	if f.Purpose == PurposeUpload {
		if b, err := a.fileNote(f).content.get(); err == nil {
			a.uploadBytes -= len(b)
		}
	}
	for _, l := range a.linksOf(id) {
		a.links.remove(l.ID)
		delete(a.linkClock, l.ID)
		a.unindexLink(l.ID)
	}
	delete(a.linksOfFile, id)
	a.files.remove(id)
	delete(a.fileNotes, id)
	return nil
}

// FileContent is GET /files/{id}/content (secret key only; the HTTP layer
// enforces that).
func (a *Account) FileContent(id string) (*Download, error) {
	a.mu.Lock()
	f, ok := a.files.get(id)
	var n *fileNote
	if ok {
		n = a.fileNote(f)
	}
	a.mu.Unlock()
	if !ok {
		return nil, problem.NotFoundID("File", id)
	}
	return n.download(f.FileName)
}

// download reads the file's bytes; a document still rendering is waited
// for. It needs no lock: a file's content is made once and never changes.
func (n *fileNote) download(fileName string) (*Download, error) {
	b, err := n.content.get()
	if err != nil {
		return nil, err
	}
	return &Download{Content: append([]byte(nil), b...), ContentType: n.contentType, FileName: fileName}, nil
}

// content is a file's bytes, made once. A document's PDF is rendered off
// the request that issued it (an order's acceptance does not wait for its
// invoice), and whoever reads it first waits for it.
type content struct {
	once  sync.Once
	make  func() ([]byte, error)
	bytes []byte
	err   error
}

// made is content that is already there (an upload).
func made(b []byte) *content {
	c := &content{bytes: b}
	c.once.Do(func() {})
	return c
}

// rendering starts make in the background and returns its content.
func rendering(make func() ([]byte, error)) *content {
	c := &content{make: make}
	go c.get()
	return c
}

func (c *content) get() ([]byte, error) {
	c.once.Do(func() {
		defer func() {
			if r := recover(); r != nil {
				c.err = fmt.Errorf("state: rendering a document: %v", r)
			}
		}()
		c.bytes, c.err = c.make()
		c.make = nil
	})
	return c.bytes, c.err
}
