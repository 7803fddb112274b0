package othermerchant

import (
	"context"
	"slices"
	"testing"
	"time"
)

// A single busy worker leaves jobs waiting; it then takes them in random
// order, and idle returns once all ran.
func TestPoolTakesWaitingJobsInRandomOrder(t *testing.T) {
	p := newPool(1)
	defer p.close()
	release := make(chan struct{})
	started := make(chan struct{})
	p.add(func() { close(started); <-release })
	<-started
	const n = 50
	done := make(chan int, n)
	for i := range n {
		p.add(func() { done <- i })
	}
	close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.idle(ctx); err != nil {
		t.Fatalf("waiting for %d jobs to run: %v", n, err)
	}
	close(done)
	var order []int
	for i := range done {
		order = append(order, i)
	}
	if len(order) != n {
		t.Fatalf("%d jobs ran, want %d", len(order), n)
	}
	if slices.IsSorted(order) {
		t.Errorf("50 waiting jobs ran in the order they came (%v); want a random order (chance 1/50!)", order)
	}
}

func TestPoolRefusesJobsOnceClosed(t *testing.T) {
	p := newPool(2)
	ran := make(chan struct{}, 1)
	if !p.add(func() { ran <- struct{}{} }) {
		t.Fatal("an open pool refused a job")
	}
	p.close() // waits for the queued job
	select {
	case <-ran:
	default:
		t.Fatal("close returned before the queued job ran")
	}
	if p.add(func() {}) {
		t.Fatal("a closed pool took a job")
	}
}
