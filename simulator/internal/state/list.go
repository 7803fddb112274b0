package state

import (
	"github.com/drsim/drsim/simulator/internal/apierror"
)

// Page is DR's list envelope.
type Page[T any] struct {
	HasMore bool `json:"hasMore"`
	Data    []T  `json:"data"`
}

// ListParams are DR's pagination parameters.
type ListParams struct {
	Limit         int
	StartingAfter string
	EndingBefore  string
}

// paginate cuts a newest-first list the way DR does: limit 1–100 (default 10),
// startingAfter=<id> and endingBefore=<id> exclusive cursors.
func paginate[T any](items []T, id func(T) string, p ListParams) (Page[T], error) {
	limit := p.Limit
	if limit == 0 {
		limit = 10
	}
	if limit < 1 || limit > 100 {
		return Page[T]{}, apierror.Invalid("limit", "limit must be between 1 and 100, got %d.", limit)
	}
	if p.StartingAfter != "" && p.EndingBefore != "" {
		return Page[T]{}, apierror.Invalid("startingAfter", "startingAfter and endingBefore cannot be used together.")
	}
	find := func(param, cursor string) (int, error) {
		for i, it := range items {
			if id(it) == cursor {
				return i, nil
			}
		}
		return 0, apierror.Invalid(param, "No object with id '%s' in this list.", cursor)
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

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// pageOf paginates a newest-first list and copies the page's resources.
func pageOf[T any](items []T, id func(T) string, p ListParams) (Page[T], error) {
	page, err := paginate(items, id, p)
	page.Data = cloneAll(page.Data)
	return page, err
}
