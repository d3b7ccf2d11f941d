package client

import (
	"iter"
	"net/url"
	"strconv"

	"github.com/invitedhq/invited"
)

// pages iterates over the items of a paged list from the page token
// names on: list answers the page of a token, its items and its
// next_page_token. An error ends the iteration after it is yielded. The
// iterators of Client may be ranged over again, each time from the first
// page, but not by two goroutines at once.
func pages[T any](token string, list func(token string) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for token := token; ; {
			items, next, err := list(token)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range items {
				if !yield(item, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			token = next
		}
	}
}

// query is the query of a list: page p and the filters kv (name, value,
// …), of which the empty ones are left out.
func query(p invited.Page, kv ...string) url.Values {
	q := url.Values{}
	if p.PageSize != 0 {
		q.Set("page_size", strconv.Itoa(p.PageSize))
	}
	if p.PageToken != "" {
		q.Set("page_token", p.PageToken)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	return q
}
