package clock_test

import (
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/clock"
)

func TestVirtualFollowsWallTimeWithOffset(t *testing.T) {
	wall := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := clock.New(func() time.Time { return wall })
	if got := c.Now(); !got.Equal(wall) {
		t.Fatalf("Now = %s, want %s", got, wall)
	}
	if _, err := c.Advance(48 * time.Hour); err != nil {
		t.Fatal(err)
	}
	wall = wall.Add(time.Minute)
	if got, want := c.Now(), wall.Add(48*time.Hour); !got.Equal(want) {
		t.Fatalf("after Advance, Now = %s, want %s", got, want)
	}
}

func TestVirtualNeverMovesBack(t *testing.T) {
	wall := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := clock.New(func() time.Time { return wall })
	if _, err := c.Advance(-time.Second); err == nil {
		t.Fatal("Advance(-1s) succeeded, want error")
	}
	if _, err := c.Set(wall.Add(-time.Hour)); err == nil {
		t.Fatal("Set(past) succeeded, want error")
	}
	got, err := c.Set(wall.Add(30 * 24 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if want := wall.Add(30 * 24 * time.Hour); !got.Equal(want) {
		t.Fatalf("Set returned %s, want %s", got, want)
	}
}

func TestFrozenClockMovesOnlyWhenTold(t *testing.T) {
	wall := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := clock.New(func() time.Time { return wall })
	frozen := c.Freeze()
	wall = wall.Add(time.Hour)
	if got := c.Now(); !got.Equal(frozen) {
		t.Fatalf("frozen clock moved with wall time: %s, want %s", got, frozen)
	}
	if _, err := c.Advance(time.Minute); err != nil {
		t.Fatal(err)
	}
	if got, want := c.Now(), frozen.Add(time.Minute); !got.Equal(want) {
		t.Fatalf("Now = %s, want %s", got, want)
	}
}
