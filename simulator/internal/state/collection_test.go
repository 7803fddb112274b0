package state

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// collectionHashes are the id hashes the collection tests run under: the
// real one, one where every id collides with every other (so every id after
// the first lives in clash), and one where some do (ids of equal length).
var collectionHashes = []struct {
	name string
	hash func(string) uint64
}{
	{"maphash", nil},
	{"all collide", func(string) uint64 { return 7 }},
	{"same length collides", func(id string) uint64 { return uint64(len(id)) }},
}

type collItem struct {
	id string
	n  int
}

// checkCollection fails unless c holds exactly want (ids oldest first, each
// value's id its own), finds each at its index, and finds none of absent.
func checkCollection(t *testing.T, c *collection[*collItem], want []string, absent ...string) {
	t.Helper()
	if got := c.ids(); !slices.Equal(got, want) {
		t.Fatalf("ids %v, want %v", got, want)
	}
	if c.len() != len(want) || c.indexed() != len(want) {
		t.Fatalf("len %d, indexed %d; want %d", c.len(), c.indexed(), len(want))
	}
	for i, id := range want {
		v, ok := c.get(id)
		if !ok || v.id != id {
			t.Fatalf("get(%s) = %v, %v; want its value", id, v, ok)
		}
		if j, ok := c.index(id); !ok || j != i {
			t.Fatalf("index(%s) = %d, %v; want %d", id, j, ok, i)
		}
	}
	for _, id := range absent {
		if v, ok := c.get(id); ok {
			t.Fatalf("get(%s) = %v; want absent", id, v)
		}
	}
}

func TestCollection(t *testing.T) {
	type op func(c *collection[*collItem]) string // returns what it said, for the check
	put := func(ids ...string) op {
		return func(c *collection[*collItem]) string {
			for _, id := range ids {
				c.put(id, &collItem{id: id, n: len(c.items)})
			}
			return ""
		}
	}
	remove := func(id string) op {
		return func(c *collection[*collItem]) string { c.remove(id); return "" }
	}
	removeWhere := func(ids ...string) op {
		return func(c *collection[*collItem]) string {
			return fmt.Sprint(c.removeWhere(func(it *collItem) bool { return slices.Contains(ids, it.id) }))
		}
	}
	dropOldest := func(ids ...string) op {
		return func(c *collection[*collItem]) string {
			return fmt.Sprint(c.dropOldest(func(it *collItem) bool { return slices.Contains(ids, it.id) }))
		}
	}
	dropNewest := func(keep int) op {
		return func(c *collection[*collItem]) string { return strings.Join(c.dropNewest(keep), ",") }
	}
	tests := []struct {
		name   string
		ops    []op
		said   string // what the ops returned, joined by spaces
		want   []string
		absent []string
	}{
		{"empty", nil, "", nil, []string{"a", ""}},
		{"put keeps creation order", []op{put("b", "a", "cc")}, "", []string{"b", "a", "cc"}, []string{"c"}},
		{"put again replaces in place", []op{put("a", "b", "a")}, "", []string{"a", "b"}, nil},
		{"remove the oldest", []op{put("a", "b", "c"), remove("a")}, "", []string{"b", "c"}, []string{"a"}},
		{"remove the middle", []op{put("a", "b", "c", "d"), remove("b")}, "", []string{"a", "c", "d"}, []string{"b"}},
		{"remove the newest", []op{put("a", "b", "c"), remove("c")}, "", []string{"a", "b"}, []string{"c"}},
		{"remove what is not there", []op{put("a"), remove("z")}, "", []string{"a"}, []string{"z"}},
		{"remove then put again goes last", []op{put("a", "b"), remove("a"), put("a")}, "", []string{"b", "a"}, nil},
		{"removeWhere", []op{put("a", "b", "c", "d", "e"), removeWhere("b", "d", "z")}, "2", []string{"a", "c", "e"}, []string{"b", "d"}},
		{"removeWhere everything", []op{put("a", "b"), removeWhere("a", "b")}, "2", nil, []string{"a", "b"}},
		{"dropOldest stops at the first kept", []op{put("a", "b", "c", "d"), dropOldest("a", "b", "d")}, "2", []string{"c", "d"}, []string{"a", "b"}},
		{"dropOldest then put", []op{put("a", "b", "c"), dropOldest("a"), put("x"), remove("b")}, "1", []string{"c", "x"}, []string{"a", "b"}},
		{"dropOldest then removeWhere then put", []op{put("a", "b", "c", "d"), dropOldest("a", "b"), removeWhere("c"), put("b")}, "2 1", []string{"d", "b"}, []string{"a", "c"}},
		{"dropNewest keeps the oldest", []op{put("a", "b", "c", "d"), dropNewest(2)}, "d,c", []string{"a", "b"}, []string{"c", "d"}},
		{"dropNewest then put", []op{put("a", "b", "c"), dropNewest(1), put("c", "x")}, "c,b", []string{"a", "c", "x"}, []string{"b"}},
		{"dropNewest of fewer than kept", []op{put("a", "b"), dropNewest(5)}, "", []string{"a", "b"}, nil},
		{"dropNewest everything", []op{put("a", "b"), dropNewest(0), put("b")}, "b,a", []string{"b"}, []string{"a"}},
		{"dropOldest then dropNewest", []op{put("a", "b", "c", "d"), dropOldest("a"), dropNewest(2), put("e")}, "1 d", []string{"b", "c", "e"}, []string{"a", "d"}},
		{"dropOldest everything, twice", []op{put("a", "b"), dropOldest("a", "b"), put("c"), dropOldest("c")}, "2 1", nil, []string{"a", "b", "c"}},
	}
	for _, h := range collectionHashes {
		for _, tt := range tests {
			t.Run(h.name+"/"+tt.name, func(t *testing.T) {
				c := &collection[*collItem]{hash: h.hash}
				var said []string
				for _, o := range tt.ops {
					if s := o(c); s != "" {
						said = append(said, s)
					}
				}
				if got := strings.Join(said, " "); got != tt.said {
					t.Fatalf("the operations said %q, want %q", got, tt.said)
				}
				checkCollection(t, c, tt.want, tt.absent...)
			})
		}
	}
}

// When every id hashes alike, all but one live in clash; removing the one
// in idx leaves its hash free, and the next new id takes it. Every id stays
// found through all of it.
func TestCollectionCollisions(t *testing.T) {
	c := &collection[*collItem]{hash: func(string) uint64 { return 1 }}
	add := func(id string) { c.put(id, &collItem{id: id}) }
	add("a")
	add("b")
	add("c")
	if c.idx.len() != 1 || len(c.clash) != 2 {
		t.Fatalf("idx %v clash %v; want a in idx, b and c in clash", c.idx, c.clash)
	}
	checkCollection(t, c, []string{"a", "b", "c"}, "d")
	c.remove("a") // the id in idx
	checkCollection(t, c, []string{"b", "c"}, "a", "d")
	add("d") // takes the free hash
	if c.idx.len() != 1 || len(c.clash) != 2 {
		t.Fatalf("idx %v clash %v; want d in idx, b and c in clash", c.idx, c.clash)
	}
	checkCollection(t, c, []string{"b", "c", "d"}, "a")
	c.removeWhere(func(it *collItem) bool { return it.id != "d" })
	if c.clash != nil {
		t.Fatalf("clash %v after its ids went; want nil", c.clash)
	}
	checkCollection(t, c, []string{"d"}, "a", "b", "c")
}

// restored (a state file's collection, read without its index) rebuilds
// the index at the saved positions, and refuses an id stored twice.
func TestCollectionRestored(t *testing.T) {
	for _, h := range collectionHashes {
		t.Run(h.name, func(t *testing.T) {
			c := &collection[*collItem]{hash: h.hash}
			for _, id := range []string{"a", "b", "c", "dd"} {
				c.put(id, &collItem{id: id})
			}
			c.dropOldest(func(it *collItem) bool { return it.id == "a" })
			r := &collection[*collItem]{items: slices.Clone(c.items), base: c.base, hash: h.hash}
			if err := r.restored(); err != nil {
				t.Fatal(err)
			}
			checkCollection(t, r, []string{"b", "c", "dd"}, "a")
			r.put("e", &collItem{id: "e"})
			checkCollection(t, r, []string{"b", "c", "dd", "e"}, "a")

			dup := &collection[*collItem]{items: append(slices.Clone(c.items), entry[*collItem]{"c", &collItem{id: "c"}})}
			if err := dup.restored(); err == nil || !strings.Contains(err.Error(), `"c"`) {
				t.Fatalf("restored with c twice: %v; want an error naming it", err)
			}
		})
	}
}

// page cuts newest first, from a cursor found by id in idx or in clash.
func TestCollectionPage(t *testing.T) {
	for _, h := range collectionHashes {
		c := &collection[*collItem]{hash: h.hash}
		for i, id := range []string{"a", "b", "c", "d", "e", "f"} {
			c.put(id, &collItem{id: id, n: i})
		}
		c.dropOldest(func(it *collItem) bool { return it.id == "a" })
		c.remove("d")
		even := func(it *collItem) bool { return it.n%2 == 0 }
		tests := []struct {
			name    string
			keep    func(*collItem) bool
			p       ListParams
			want    []string
			hasMore bool
			err     string
		}{
			{"first page", nil, ListParams{Limit: 2}, []string{"f", "e"}, true, ""},
			{"all", nil, ListParams{Limit: 10}, []string{"f", "e", "c", "b"}, false, ""},
			{"startingAfter", nil, ListParams{Limit: 2, StartingAfter: "e"}, []string{"c", "b"}, false, ""},
			{"startingAfter the oldest", nil, ListParams{Limit: 2, StartingAfter: "b"}, nil, false, ""},
			{"endingBefore", nil, ListParams{Limit: 2, EndingBefore: "b"}, []string{"e", "c"}, true, ""},
			{"endingBefore the newest", nil, ListParams{Limit: 2, EndingBefore: "f"}, nil, false, ""},
			{"filtered", even, ListParams{Limit: 10}, []string{"e", "c"}, false, ""},
			{"filtered after a cursor", even, ListParams{Limit: 1, StartingAfter: "e"}, []string{"c"}, false, ""},
			{"removed cursor", nil, ListParams{Limit: 2, StartingAfter: "d"}, nil, false, "startingAfter"},
			{"dropped cursor", nil, ListParams{Limit: 2, EndingBefore: "a"}, nil, false, "endingBefore"},
			{"cursor the filter refuses", even, ListParams{Limit: 2, StartingAfter: "f"}, nil, false, "startingAfter"},
		}
		for _, tt := range tests {
			t.Run(h.name+"/"+tt.name, func(t *testing.T) {
				p, err := c.page(tt.keep, tt.p)
				if tt.err != "" {
					if err == nil || !strings.Contains(err.Error(), tt.err) {
						t.Fatalf("page: %v; want an error about %s", err, tt.err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, it := range p.Data {
					got = append(got, it.id)
				}
				if !slices.Equal(got, tt.want) || p.HasMore != tt.hasMore {
					t.Fatalf("page %v hasMore %v; want %v %v", got, p.HasMore, tt.want, tt.hasMore)
				}
			})
		}
	}
}

// A page over an index of some values (pageIn) is the page of every value
// filtered to those: the same values, hasMore and refused cursors, for
// every cursor and limit, with and without a filter of its own.
func TestCollectionPageIn(t *testing.T) {
	c := &collection[*collItem]{}
	ids := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	for i, id := range ids {
		c.put(id, &collItem{id: id, n: i})
	}
	c.remove("c")
	member := map[string]bool{"b": true, "d": true, "e": true, "g": true, "c": true}
	var in []int
	for _, id := range []string{"b", "d", "e", "g"} {
		i, _ := c.index(id)
		in = append(in, i)
	}
	even := func(it *collItem) bool { return it.n%2 == 0 }
	for _, keep := range []func(*collItem) bool{nil, even} {
		both := func(it *collItem) bool { return member[it.id] && (keep == nil || keep(it)) }
		for limit := 1; limit <= 5; limit++ {
			ps := []ListParams{{Limit: limit}}
			for _, id := range ids {
				ps = append(ps, ListParams{Limit: limit, StartingAfter: id}, ListParams{Limit: limit, EndingBefore: id})
			}
			for _, p := range ps {
				got, gerr := c.pageIn(in, keep, p)
				want, werr := c.page(both, p)
				if (gerr == nil) != (werr == nil) || got.HasMore != want.HasMore || !slices.Equal(itemIDs(got.Data), itemIDs(want.Data)) {
					t.Fatalf("keep %v, %+v: pageIn %v more %v err %v; page filtered %v more %v err %v",
						keep != nil, p, itemIDs(got.Data), got.HasMore, gerr, itemIDs(want.Data), want.HasMore, werr)
				}
			}
		}
	}
}

func itemIDs(its []*collItem) []string {
	out := []string{}
	for _, it := range its {
		out = append(out, it.id)
	}
	return out
}
