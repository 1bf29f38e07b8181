// Package benchargs parses the flags the benchmark generators share.
package benchargs

import (
	"fmt"
	"strconv"
	"strings"
)

// Widths reads a -widths list such as "82,500,500,500,2": inputs first,
// then each Dense layer's units.
func Widths(list string) ([]int, error) {
	var widths []int
	for _, f := range strings.Split(list, ",") {
		w, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || w <= 0 {
			return nil, fmt.Errorf("-widths %q: want positive integers separated by commas", list)
		}
		widths = append(widths, w)
	}
	if len(widths) < 2 {
		return nil, fmt.Errorf("-widths %q: want at least inputs and outputs", list)
	}
	return widths, nil
}
