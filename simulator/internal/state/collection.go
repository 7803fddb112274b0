package state

import (
	"fmt"
	"hash/maphash"
	"iter"
	"slices"

	"github.com/drsim/drsim/simulator/internal/problem"
)

// collection keeps resources by id in creation order.
//
// items holds the ids and values oldest first; idx finds an id's entry in
// items by a 64-bit hash of the id (hashindex.go): a stored object costs
// one index slot and one slice entry, and a put one hash, one lookup and
// one insert. idx holds no pointers (a map keyed by the id strings would), so the
// garbage collector neither scans its table nor follows its keys, which at
// a million stored objects is most of what a collection cycle marks. A hit
// in idx is checked against the entry's id; an id whose hash another
// stored id already holds in idx (two ids, one hash: about one in 2^64 per
// pair, or any pair when a test injects the hash) is kept by id in clash
// instead. Every stored id is in exactly one of the two.
//
// An id's position is base plus its index in items: dropping the oldest
// entries (dropOldest, the event retention's prune) moves base instead of
// rewriting the position of every entry kept, so the prune costs what it
// removes, not what the account stores.
type collection[T any] struct {
	idx   hashIndex           `snapshot:"-"` // hash of id → base + its index in items
	clash map[string]int      `snapshot:"-"` // id → base + its index in items, for ids whose hash another id holds in idx
	items []entry[T]          // oldest first
	base  int                 // the position of items[0]
	hash  func(string) uint64 `snapshot:"-"` // nil: hashID; tests inject one that collides
}

// entry is one stored value and its id.
type entry[T any] struct {
	id string
	v  T
}

// idSeed seeds hashID, the collections' id hash.
var idSeed = maphash.MakeSeed()

// hashID is the hash that collections index ids by.
func hashID(id string) uint64 { return maphash.String(idSeed, id) }

func (c *collection[T]) hashOf(id string) uint64 {
	if c.hash != nil {
		return c.hash(id)
	}
	return hashID(id)
}

// pos is id's position (base plus its index in items). items must be
// consistent with idx (not in the middle of a rewrite).
func (c *collection[T]) pos(id string) (int, bool) {
	if p, ok := c.idx.get(c.hashOf(id)); ok && c.items[p-c.base].id == id {
		return p, true
	}
	p, ok := c.clash[id]
	return p, ok
}

// indexAt adds id, which is not stored, at position p.
func (c *collection[T]) indexAt(id string, p int) {
	h := c.hashOf(id)
	if _, taken := c.idx.get(h); taken {
		if c.clash == nil {
			c.clash = map[string]int{}
		}
		c.clash[id] = p
		return
	}
	c.idx.add(h, p)
}

// move sets the position of id, which is stored, to p. It does not read
// items, so it may run while they are rewritten.
func (c *collection[T]) move(id string, p int) {
	if _, ok := c.clash[id]; ok {
		c.clash[id] = p
		return
	}
	c.idx.set(c.hashOf(id), p)
}

// unindex removes id, which is stored, from the index. It does not read
// items, so it may run while they are rewritten.
func (c *collection[T]) unindex(id string) {
	if _, ok := c.clash[id]; ok {
		delete(c.clash, id)
		if len(c.clash) == 0 {
			c.clash = nil
		}
		return
	}
	c.idx.del(c.hashOf(id))
}

// restored rebuilds the index of a collection read from a state file
// (only items and base are saved).
func (c *collection[T]) restored() error {
	c.idx, c.clash = hashIndex{}, nil
	c.idx.rebuild(len(c.items))
	for i, e := range c.items {
		if _, dup := c.pos(e.id); dup {
			return fmt.Errorf("id %q is stored twice", e.id)
		}
		c.indexAt(e.id, c.base+i)
	}
	return nil
}

func (c *collection[T]) get(id string) (T, bool) {
	if i, ok := c.index(id); ok {
		return c.items[i].v, true
	}
	var zero T
	return zero, false
}

// index is id's index in items.
func (c *collection[T]) index(id string) (int, bool) {
	p, ok := c.pos(id)
	return p - c.base, ok
}

// indexed is how many ids the index holds (len, unless it is broken).
func (c *collection[T]) indexed() int { return c.idx.len() + len(c.clash) }

// len is how many values are stored.
func (c *collection[T]) len() int { return len(c.items) }

// all yields the ids and values, oldest first. The loop must not change
// the collection.
func (c *collection[T]) all() iter.Seq2[string, T] {
	return func(yield func(string, T) bool) {
		for _, e := range c.items {
			if !yield(e.id, e.v) {
				return
			}
		}
	}
}

func (c *collection[T]) put(id string, v T) {
	if i, ok := c.index(id); ok {
		c.items[i].v = v
		return
	}
	c.indexAt(id, c.base+len(c.items))
	c.items = append(c.items, entry[T]{id, v})
}

// removeWhere deletes every value drop accepts, in one pass, and says how
// many went. Only the entries after the first removed one change position.
func (c *collection[T]) removeWhere(drop func(T) bool) int {
	kept := c.items[:0]
	for _, e := range c.items {
		if drop(e.v) {
			c.unindex(e.id)
			continue
		}
		c.move(e.id, c.base+len(kept))
		kept = append(kept, e)
	}
	n := len(c.items) - len(kept)
	clear(c.items[len(kept):])
	c.items = kept
	return n
}

// dropOldest deletes the oldest values while drop accepts them, stopping at
// the first it refuses, and says how many went. It looks at one value past
// those it removes.
func (c *collection[T]) dropOldest(drop func(T) bool) int {
	n := 0
	for n < len(c.items) && drop(c.items[n].v) {
		c.unindex(c.items[n].id)
		n++
	}
	clear(c.items[:n])
	c.items = c.items[n:]
	c.base += n
	return n
}

// dropNewest deletes the newest values until keep are left and returns
// their ids, newest first. It costs what it removes.
func (c *collection[T]) dropNewest(keep int) []string {
	keep = max(keep, 0)
	var ids []string
	for i := len(c.items) - 1; i >= keep; i-- {
		ids = append(ids, c.items[i].id)
		c.unindex(c.items[i].id)
	}
	if keep < len(c.items) {
		clear(c.items[keep:])
		c.items = c.items[:keep]
	}
	return ids
}

// remove deletes id; it is rare (DELETE calls), so it may shift the
// entries that follow.
func (c *collection[T]) remove(id string) {
	i, ok := c.index(id)
	if !ok {
		return
	}
	c.unindex(id)
	last := len(c.items) - 1
	copy(c.items[i:], c.items[i+1:])
	c.items[last] = entry[T]{}
	c.items = c.items[:last]
	for j := i; j < len(c.items); j++ {
		c.move(c.items[j].id, c.base+j)
	}
}

// page is one page of the values keep accepts (all when nil), newest
// first, cut as DR cuts lists (see paginate). It looks at no more values
// than it takes to fill the page: a cursor is found by its id, and the walk
// stops one value past the page, which says whether there are more.
func (c *collection[T]) page(keep func(T) bool, p ListParams) (Page[T], error) {
	return c.pageIn(nil, keep, p)
}

// pageIn is page over the values at the indexes in items that in holds,
// ascending (an index of some of the values, such as a file's links); nil
// is every value.
func (c *collection[T]) pageIn(in []int, keep func(T) bool, p ListParams) (Page[T], error) {
	limit, err := checkPage(p)
	if err != nil {
		return Page[T]{}, err
	}
	n, at := len(c.items), func(k int) int { return k }
	if in != nil {
		n, at = len(in), func(k int) int { return in[k] }
	}
	kept := func(k int) (T, bool) {
		v := c.items[at(k)].v
		return v, keep == nil || keep(v)
	}
	cursor := func(param, id string) (int, error) {
		if i, ok := c.index(id); ok {
			k := i
			if in != nil {
				k, ok = slices.BinarySearch(in, i)
			}
			if ok {
				if _, kk := kept(k); kk {
					return k, nil
				}
			}
		}
		return 0, problem.Invalidf(param, "No object with id '%s' in this list.", id)
	}
	var out []T
	if p.EndingBefore != "" { // the limit values just newer than the cursor
		k, err := cursor("endingBefore", p.EndingBefore)
		if err != nil {
			return Page[T]{}, err
		}
		for j := k + 1; j < n && len(out) <= limit; j++ {
			if v, ok := kept(j); ok {
				out = append(out, v)
			}
		}
		more := len(out) > limit
		out = out[:min(len(out), limit)]
		slices.Reverse(out)
		return Page[T]{HasMore: more, Data: nonNil(out)}, nil
	}
	from := n - 1
	if p.StartingAfter != "" {
		k, err := cursor("startingAfter", p.StartingAfter)
		if err != nil {
			return Page[T]{}, err
		}
		from = k - 1
	}
	for j := from; j >= 0 && len(out) <= limit; j-- {
		if v, ok := kept(j); ok {
			out = append(out, v)
		}
	}
	more := len(out) > limit
	return Page[T]{HasMore: more, Data: nonNil(out[:min(len(out), limit)])}, nil
}

// newestFirst returns the values newest first, keeping those keep accepts.
func (c *collection[T]) newestFirst(keep func(T) bool) []T {
	out := make([]T, 0, len(c.items))
	for i := len(c.items) - 1; i >= 0; i-- {
		if v := c.items[i].v; keep == nil || keep(v) {
			out = append(out, v)
		}
	}
	return out
}
