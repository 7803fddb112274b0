package clock_test

import (
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/internal/clock"
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

// The clock refuses moves that would wrap its offset around (a Duration
// holds ~292 years) or leave four-digit years, instead of running backwards
// or writing dates JSON cannot carry.
func TestVirtualRefusesMovesItCannotRepresent(t *testing.T) {
	wall := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := clock.New(func() time.Time { return wall })
	const most = time.Duration(1<<63 - 1)
	far, err := c.Advance(most - time.Hour)
	if err != nil {
		t.Fatalf("Advance(~292 years): %v", err)
	}
	if _, err := c.Advance(2 * time.Hour); err == nil {
		t.Fatal("Advance past the largest offset succeeded")
	}
	if got := c.Now(); !got.Equal(far) {
		t.Fatalf("a refused Advance moved the clock from %s to %s", far, got)
	}

	c2 := clock.New(func() time.Time { return wall })
	if _, err := c2.Set(time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Fatal("Set 7000 years ahead succeeded; the offset cannot hold it")
	}
	if got := c2.Now(); !got.Equal(wall) {
		t.Fatalf("a refused Set moved the clock to %s", got)
	}

	// A frozen clock has no offset, so it can go far, but not past 9999.
	c3 := clock.New(func() time.Time { return time.Date(9999, 12, 1, 0, 0, 0, 0, time.UTC) })
	c3.Freeze()
	if _, err := c3.Advance(24 * time.Hour); err != nil {
		t.Fatalf("Advance within 9999: %v", err)
	}
	if _, err := c3.Advance(31 * 24 * time.Hour); err == nil {
		t.Fatal("Advance into year 10000 succeeded")
	}
	if _, err := c3.Set(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Fatal("Set to year 10000 succeeded")
	}
}
