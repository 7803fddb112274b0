package state_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/internal/state"
)

// A file's links are found by the file (GET /file-links?fileId=, the
// file's links[], DELETE /files/{id}) as a walk over every link would find
// them: oldest first on the file, newest first in the list, pages cut at
// the same places, a deleted link gone, after a reload too.
func TestFileLinksByFile(t *testing.T) {
	s := state.NewStore(nil, time.Now)
	a, _, _ := s.Lookup(s.CreateAccount().SecretKey)
	var files []string
	for range 3 {
		o, err := a.PlaceOrder(state.PlaceOrderParams{CustomerID: mustCustomer(t, a), Items: []state.PlaceItem{{SKUID: mustSKU(t, a, "Widget"), Quantity: 1, Price: 10}}})
		if err != nil {
			t.Fatal(err)
		}
		accepted, err := a.AcceptOrder(o.ID)
		if err != nil || len(accepted.InvoicePDFs) != 1 {
			t.Fatalf("AcceptOrder: %v, %+v", err, accepted)
		}
		files = append(files, accepted.InvoicePDFs[0].ID)
	}
	// Links of the three files, interleaved: file i gets links i, i+3, ….
	links := map[string][]string{} // file → its links, oldest first
	for i := range 10 {
		f := files[i%3]
		l, err := a.CreateFileLink(state.FileLinkParams{FileID: f, ExpiresTime: time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
		if err != nil {
			t.Fatal(err)
		}
		links[f] = append(links[f], l.ID)
	}
	gone := links[files[1]][1]
	if err := a.DeleteFileLink(gone); err != nil {
		t.Fatal(err)
	}
	links[files[1]] = slices.DeleteFunc(links[files[1]], func(id string) bool { return id == gone })

	check := func(t *testing.T, a *state.Account) {
		t.Helper()
		for _, f := range files {
			want := links[f]
			file, err := a.File(f)
			if err != nil {
				t.Fatal(err)
			}
			var onFile []string
			for _, l := range file.Links {
				onFile = append(onFile, l.ID)
			}
			if !slices.Equal(onFile, want) {
				t.Fatalf("file %s shows links %v, want %v", f, onFile, want)
			}
			// Two at a time, newest first, following the cursor.
			var listed []string
			p := state.ListParams{Limit: 2}
			for {
				page, err := a.FileLinks(state.FileLinkFilter{ListParams: p, FileID: f})
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range page.Data {
					if l.FileID != f {
						t.Fatalf("the links of %s list %s of %s", f, l.ID, l.FileID)
					}
					listed = append(listed, l.ID)
				}
				if !page.HasMore {
					break
				}
				p.StartingAfter = page.Data[len(page.Data)-1].ID
			}
			rev := slices.Clone(want)
			slices.Reverse(rev)
			if !slices.Equal(listed, rev) {
				t.Fatalf("the links of %s list %v, want %v", f, listed, rev)
			}
		}
		if _, err := a.FileLinks(state.FileLinkFilter{ListParams: state.ListParams{Limit: 2, StartingAfter: links[files[0]][0]}, FileID: files[2]}); err == nil {
			t.Fatal("another file's link was taken as a cursor")
		}
	}
	t.Run("live", func(t *testing.T) { check(t, a) })
	t.Run("a link made after a read", func(t *testing.T) {
		l, err := a.CreateFileLink(state.FileLinkParams{FileID: files[2], ExpiresTime: time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
		if err != nil {
			t.Fatal(err)
		}
		links[files[2]] = append(links[files[2]], l.ID)
		check(t, a)
	})
	t.Run("reloaded", func(t *testing.T) {
		var buf bytes.Buffer
		if err := s.Save(&buf); err != nil {
			t.Fatal(err)
		}
		r := state.NewStore(nil, time.Now)
		if err := r.Load(&buf); err != nil {
			t.Fatal(err)
		}
		b, _, ok := r.Lookup(a.Keys().SecretKey)
		if !ok {
			t.Fatal("the account did not reload")
		}
		check(t, b)
	})
	t.Run("file deleted", func(t *testing.T) {
		if err := a.DeleteFile(files[0]); err != nil {
			t.Fatal(err)
		}
		for _, id := range links[files[0]] {
			if _, err := a.FileLink(id); err == nil {
				t.Fatalf("link %s of a deleted file is still there", id)
			}
		}
		page, err := a.FileLinks(state.FileLinkFilter{ListParams: state.ListParams{Limit: 100}, FileID: files[0]})
		if err != nil || len(page.Data) != 0 {
			t.Fatalf("links of a deleted file: %d, %v", len(page.Data), err)
		}
	})
}
