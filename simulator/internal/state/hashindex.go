package state

// hashIndex maps 64-bit hashes to positions: the index collections and the
// event log find ids by (collection.go, eventlog.go). Each hash is held at
// most once; the caller keeps ids whose hash is already held elsewhere.
//
// It is an open-addressing table with linear probing in one flat slice of
// pointer-free slots, rather than a Go map. A lookup at a million stored
// objects then reads one or two adjacent slots, where a map reads its
// directory, its table and a group apart: on the 2-CPU VM of
// docs/performance.md each of those reads is a TLB miss, and a lookup
// among a million ids took about 0.9 µs through a map and 0.12 µs here (a
// scratch benchmark of random lookups). Being pointer-free, the garbage
// collector neither scans nor follows the table.
//
// A removed hash leaves a tombstone, so probes still pass it; the table is
// rebuilt when tombstones and hashes together pass three quarters of it.
type hashIndex struct {
	slots []hashSlot
	n     int // hashes held
	dead  int // tombstones
}

// hashSlot is a hash and its position plus one: 0 is an empty slot,
// tombstone a removed one.
type hashSlot struct {
	h uint64
	p int64
}

const tombstone = -1

// len is how many hashes the index holds.
func (x *hashIndex) len() int { return x.n }

// slot is where h is held, or -1.
func (x *hashIndex) slot(h uint64) int {
	if x.n == 0 {
		return -1
	}
	mask := uint64(len(x.slots) - 1)
	for j := h & mask; ; j = (j + 1) & mask {
		s := &x.slots[j]
		switch {
		case s.p == 0:
			return -1
		case s.p > 0 && s.h == h:
			return int(j)
		}
	}
}

// get is the position of h.
func (x *hashIndex) get(h uint64) (int, bool) {
	if j := x.slot(h); j >= 0 {
		return int(x.slots[j].p - 1), true
	}
	return 0, false
}

// add holds h, which is not held, at position p.
func (x *hashIndex) add(h uint64, p int) {
	if (x.n+x.dead+1)*4 > len(x.slots)*3 {
		x.rebuild(x.n + 1)
	}
	mask := uint64(len(x.slots) - 1)
	for j := h & mask; ; j = (j + 1) & mask {
		s := &x.slots[j]
		if s.p <= 0 {
			if s.p == tombstone {
				x.dead--
			}
			*s = hashSlot{h, int64(p) + 1}
			x.n++
			return
		}
	}
}

// set moves h, which is held, to position p; it says whether h was held.
func (x *hashIndex) set(h uint64, p int) bool {
	j := x.slot(h)
	if j < 0 {
		return false
	}
	x.slots[j].p = int64(p) + 1
	return true
}

// del removes h; it says whether h was held.
func (x *hashIndex) del(h uint64) bool {
	j := x.slot(h)
	if j < 0 {
		return false
	}
	x.slots[j] = hashSlot{p: tombstone}
	x.n--
	x.dead++
	if x.n == 0 {
		*x = hashIndex{}
	}
	return true
}

// rebuild makes room for at least n hashes, at most half full, without
// tombstones.
func (x *hashIndex) rebuild(n int) {
	size := 8
	for size < 2*n {
		size *= 2
	}
	old := x.slots
	x.slots, x.n, x.dead = make([]hashSlot, size), 0, 0
	for _, s := range old {
		if s.p > 0 {
			x.add(s.h, int(s.p-1))
		}
	}
}
