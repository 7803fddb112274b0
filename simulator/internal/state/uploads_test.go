package state_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/drsim/drsim/simulator/internal/problem"
	"github.com/drsim/drsim/simulator/internal/state"
)

// An account's uploads together stay within MaxUploadTotal: past it an
// upload is refused (409 upload_limit_exceeded) and stores nothing;
// deleting an upload frees its share.
func TestUploadsTotalPerAccount(t *testing.T) {
	saved := state.MaxUploadTotal
	t.Cleanup(func() { state.MaxUploadTotal = saved })
	state.MaxUploadTotal = 3000

	s := state.NewStore(nil, nil)
	a, _, _ := s.Lookup(s.CreateAccount().SecretKey)
	b, _, _ := s.Lookup(s.CreateAccount().SecretKey)
	upload := func(acct *state.Account, n int) (*state.File, error) {
		return acct.CreateFile(state.FileUploadParams{Purpose: state.PurposeUpload, FileName: "w9.pdf", Content: bytes.Repeat([]byte("x"), n)})
	}
	first, err := upload(a, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := upload(a, 2000); err != nil {
		t.Fatalf("an upload that fills the account exactly: %v", err)
	}
	before, _ := a.Files(state.FileFilter{})
	_, err = upload(a, 1)
	var p *problem.Error
	if problem.KindOf(err) != problem.Conflict || !errors.As(err, &p) || p.Code != "upload_limit_exceeded" {
		t.Fatalf("an upload past the total: %v; want a conflict upload_limit_exceeded", err)
	}
	if after, _ := a.Files(state.FileFilter{}); len(after.Data) != len(before.Data) {
		t.Fatalf("a refused upload stored a file: %d files, were %d", len(after.Data), len(before.Data))
	}
	if _, err := upload(b, 3000); err != nil {
		t.Fatalf("another account's room: %v", err)
	}
	if err := a.DeleteFile(first.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := upload(a, 1000); err != nil {
		t.Fatalf("after deleting a 1000-byte upload, 1000 bytes fit again: %v", err)
	}
	if _, err := upload(a, 1); problem.KindOf(err) != problem.Conflict {
		t.Fatalf("full again: %v; want a conflict", err)
	}
}
