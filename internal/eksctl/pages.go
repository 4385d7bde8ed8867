package eksctl

import "fmt"

// allPages gathers what a paginated list call returns: page makes one call
// from a token and gives its items and the next token (nil after the last).
// what names the list in the error.
func allPages(what string, page func(token *string) (items []string, next *string, err error)) ([]string, error) {
	var out []string
	var token *string
	for {
		items, next, err := page(token)
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", what, err)
		}
		out = append(out, items...)
		if token = next; token == nil {
			return out, nil
		}
	}
}

// namedOrAll is the one name a get was given, or else every one list finds.
func namedOrAll(name string, list func() ([]string, error)) ([]string, error) {
	if name != "" {
		return []string{name}, nil
	}
	return list()
}
