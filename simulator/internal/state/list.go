package state

import (
	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/problem"
)

// Page is DR's list envelope.
type Page[T any] = client.Page[T]

// ListParams are DR's pagination parameters.
type ListParams struct {
	Limit         int
	StartingAfter string
	EndingBefore  string
}

// paginate cuts a newest-first list the way DR does: limit 1–100 (default 10),
// startingAfter=<id> and endingBefore=<id> exclusive cursors.
func paginate[T any](items []T, id func(T) string, p ListParams) (Page[T], error) {
	limit, err := checkPage(p)
	if err != nil {
		return Page[T]{}, err
	}
	find := func(param, cursor string) (int, error) {
		for i, it := range items {
			if id(it) == cursor {
				return i, nil
			}
		}
		return 0, problem.Invalidf(param, "No object with id '%s' in this list.", cursor)
	}
	switch {
	case p.StartingAfter != "":
		i, err := find("startingAfter", p.StartingAfter)
		if err != nil {
			return Page[T]{}, err
		}
		rest := items[i+1:]
		if len(rest) > limit {
			return Page[T]{HasMore: true, Data: rest[:limit]}, nil
		}
		return Page[T]{Data: nonNil(rest)}, nil
	case p.EndingBefore != "":
		i, err := find("endingBefore", p.EndingBefore)
		if err != nil {
			return Page[T]{}, err
		}
		before := items[:i]
		if len(before) > limit {
			return Page[T]{HasMore: true, Data: before[len(before)-limit:]}, nil
		}
		return Page[T]{Data: nonNil(before)}, nil
	default:
		if len(items) > limit {
			return Page[T]{HasMore: true, Data: items[:limit]}, nil
		}
		return Page[T]{Data: nonNil(items)}, nil
	}
}

// checkPage validates DR's pagination parameters and returns the limit.
func checkPage(p ListParams) (int, error) {
	limit := p.Limit
	if limit == 0 {
		limit = 10
	}
	if limit < 1 || limit > 100 {
		return 0, problem.Invalidf("limit", "limit must be between 1 and 100, got %d.", limit)
	}
	if p.StartingAfter != "" && p.EndingBefore != "" {
		return 0, problem.Invalidf("startingAfter", "startingAfter and endingBefore cannot be used together.")
	}
	return limit, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// pageOf is one page of c's values that keep accepts (see collection.page),
// copied.
func pageOf[T any](c *collection[T], keep func(T) bool, p ListParams) (Page[T], error) {
	page, err := c.page(keep, p)
	page.Data = cloneAll(page.Data)
	return page, err
}
