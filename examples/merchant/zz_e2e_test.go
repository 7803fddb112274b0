package merchant_test

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/drsim/drsim/features"
	"github.com/drsim/drsim/harness/stack"
	"github.com/drsim/drsim/harness/suite"
)

func TestZZE2E(t *testing.T) {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s, err := stack.Start(context.Background(), stack.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	res, err := suite.Run(suite.Options{Harness: s.Harness, Features: features.Files, TestingT: t})
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range res.Failed() {
		t.Errorf("FAILED %s: %v", sc.Name, sc.Err)
	}
}
