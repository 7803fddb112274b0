package api

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/drsim/drsim/simulator/internal/apierror"
	"github.com/drsim/drsim/simulator/internal/state"
)

// Files and file links (docs/dr-api.md#file, docs/dr-api.md#filelink).
//
// URLs: a File's url, a FileLink's url, an order's invoicePDFs[].url and an
// event's invoiceURL are built from the scheme and Host header of the
// secret-key request that made them (noteBaseURL), so they point wherever
// the merchant or the harness reaches the simulator [choice]. A link's url
// is <base>/links/{id}, served by the simulator with no key; it is not an
// account's API request, so it is not in GET /_sim/requests [choice].

// noteBaseURL tells the account behind a secret key where this request
// reached the simulator, unless a public URL is configured (SetPublicURL):
// then link URLs always use that, never the request's Host header.
func (h *Handler) noteBaseURL(r *http.Request, c caller) {
	if c.public {
		return
	}
	base := h.publicURL
	if base == "" {
		base = h.requestBase(r)
	}
	c.account.SetBaseURL(base)
}

// baseEntry is the base URL of the last request's scheme and host.
type baseEntry struct {
	host, base string
	tls        bool
}

// requestBase is requestBase(r), built once for as long as requests come
// the same way (one string fewer per request).
func (h *Handler) requestBase(r *http.Request) string {
	tls := r.TLS != nil
	if e := h.lastBase.Load(); e != nil && e.tls == tls && e.host == r.Host {
		return e.base
	}
	base := requestBase(r)
	h.lastBase.Store(&baseEntry{host: r.Host, base: base, tls: tls})
	return base
}

// SetPublicURL makes every file link URL start with u (e.g.
// http://127.0.0.1:9090), whatever Host header a request carries. Call it
// before serving.
func (h *Handler) SetPublicURL(u string) { h.publicURL = strings.TrimRight(u, "/") }

func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// safeInline are the stored types served inline.
var safeInline = map[string]bool{"application/pdf": true, "image/png": true, "image/jpeg": true, "image/gif": true}

// rawBody is a response that is not JSON: a file's bytes (writeJSON hands
// it here).
type rawBody struct {
	d *state.Download
}

// A file is served with its stored type, inline, only when that type is
// safe to render on the simulator's origin (PDF, PNG, JPEG, GIF); anything
// else (an uploaded .html or .svg, say) goes as an application/octet-stream
// attachment. Never sniffed, never scripted.
func (b rawBody) write(w http.ResponseWriter, status int) {
	ctype, disposition := "application/octet-stream", "attachment"
	if mt, _, err := mime.ParseMediaType(b.d.ContentType); err == nil && safeInline[mt] {
		ctype, disposition = mt, "inline"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "sandbox")
	w.Header().Set("Content-Length", strconv.Itoa(len(b.d.Content)))
	params := map[string]string{}
	if b.d.FileName != "" {
		params["filename"] = b.d.FileName
	}
	if cd := mime.FormatMediaType(disposition, params); cd != "" {
		w.Header().Set("Content-Disposition", cd)
	} else {
		w.Header().Set("Content-Disposition", disposition)
	}
	w.WriteHeader(status)
	_, _ = w.Write(b.d.Content)
}

// Files.

func (h *Handler) listFiles(a *state.Account, r *http.Request) (int, any, error) {
	q := r.URL.Query()
	return listed(q, func(lp state.ListParams) (any, error) {
		return a.Files(state.FileFilter{ListParams: lp, IDs: multi(q, "ids"), Purpose: q.Get("purpose")})
	})
}

func (h *Handler) getFile(a *state.Account, r *http.Request) (int, any, error) {
	f, err := a.File(pathID(r, "id"))
	return http.StatusOK, f, err
}

func (h *Handler) deleteFile(a *state.Account, r *http.Request) (int, any, error) {
	return http.StatusNoContent, nil, a.DeleteFile(pathID(r, "id"))
}

// fileContent is GET /files/{id}/content: the bytes, secret key only (the
// route refuses the public key with DR's 401).
func (h *Handler) fileContent(a *state.Account, r *http.Request) (int, any, error) {
	d, err := a.FileContent(pathID(r, "id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, rawBody{d: d}, nil
}

// maxField bounds a multipart text field.
const maxField = 4 << 10

// createFile is POST /files, multipart/form-data with the parts file,
// purpose, fileName? and title?. Other parts are refused.
func (h *Handler) createFile(a *state.Account, r *http.Request) (int, any, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return 0, nil, apierror.BadRequest("invalid_parameter", "", "POST /files takes multipart/form-data with a 'file' part and a 'purpose' field.")
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	var p state.FileUploadParams
	seen := map[string]bool{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, nil, apierror.BadRequest("invalid_parameter", "", "The multipart body is malformed: %v", err)
		}
		name := part.FormName()
		if seen[name] {
			return 0, nil, apierror.Invalid(name, "'%s' is given more than once.", name)
		}
		seen[name] = true
		switch name {
		case "file":
			b, err := io.ReadAll(io.LimitReader(part, state.MaxUpload+1))
			if err != nil {
				return 0, nil, apierror.BadRequest("invalid_parameter", "file", "Cannot read the file: %v", err)
			}
			p.Content = b
			if p.FileName == "" {
				p.FileName = part.FileName()
			}
		case "purpose", "fileName", "title":
			b, err := io.ReadAll(io.LimitReader(part, maxField+1))
			if err != nil {
				return 0, nil, apierror.BadRequest("invalid_parameter", name, "Cannot read '%s': %v", name, err)
			}
			if len(b) > maxField {
				return 0, nil, apierror.Invalid(name, "'%s' is longer than %d bytes.", name, maxField)
			}
			switch name {
			case "purpose":
				p.Purpose = string(b)
			case "fileName":
				p.FileName = string(b) // wins over the file part's name
			case "title":
				p.Title = string(b)
			}
		default:
			return 0, nil, apierror.Invalid(name, "'%s' is not a parameter of this endpoint.", name)
		}
	}
	if !seen["file"] {
		return 0, nil, apierror.Missing("file")
	}
	f, err := a.CreateFile(p)
	return http.StatusCreated, f, err
}

// File links.

func (h *Handler) createFileLink(a *state.Account, r *http.Request) (int, any, error) {
	return withBody(r, http.StatusCreated, a.CreateFileLink)
}

func (h *Handler) listFileLinks(a *state.Account, r *http.Request) (int, any, error) {
	q := r.URL.Query()
	lp, err := listParams(q)
	if err != nil {
		return 0, nil, err
	}
	f := state.FileLinkFilter{ListParams: lp, IDs: multi(q, "ids"), FileID: q.Get("fileId")}
	if f.Expired, err = boolParam(q, "expired"); err != nil {
		return 0, nil, err
	}
	page, err := a.FileLinks(f)
	return http.StatusOK, page, err
}

func (h *Handler) getFileLink(a *state.Account, r *http.Request) (int, any, error) {
	l, err := a.FileLink(pathID(r, "id"))
	return http.StatusOK, l, err
}

func (h *Handler) updateFileLink(a *state.Account, r *http.Request) (int, any, error) {
	return withBody(r, http.StatusOK, func(p state.FileLinkUpdateParams) (any, error) { return a.UpdateFileLink(pathID(r, "id"), p) })
}

func (h *Handler) deleteFileLink(a *state.Account, r *http.Request) (int, any, error) {
	return http.StatusNoContent, nil, a.DeleteFileLink(pathID(r, "id"))
}

// downloadLink is GET /links/{id}, a FileLink's url: the file with no key
// until the link expires on its account's clock, then 410 in DR's error
// shape (type "gone", code link_expired) [choice]; 404 for an unknown link.
// It is served beside the API, not by its router (server.go).
func (h *Handler) downloadLink(w http.ResponseWriter, r *http.Request, id string) {
	if r.Method != http.MethodGet {
		writeError(w, apierror.New(http.StatusMethodNotAllowed, "method_not_allowed", "", r.Method+" is not allowed on "+r.URL.Path))
		return
	}
	d, err := h.store.DownloadLink(id)
	if err != nil {
		writeError(w, apierror.As(err))
		return
	}
	rawBody{d: d}.write(w, http.StatusOK)
}
