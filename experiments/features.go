package experiments

import (
	"errors"
	"strconv"

	"github.com/tracker-ml/tracker/internal/fact"
	"github.com/tracker-ml/tracker/internal/quote"
)

// ErrFeature marks a feature given by an index or name that the model or
// its names do not have.
var ErrFeature = errors.New("no such feature")

// FeatureIndex resolves a feature given by 0-based index or by name. With
// inputs < 0 (a caller that knows no input count) only negative indices
// are refused. Its errors match ErrFeature.
func FeatureIndex(spec string, names []string, inputs int) (int, error) {
	if i, err := strconv.Atoi(spec); err == nil {
		if i < 0 && inputs < 0 {
			return 0, fact.Errorf(ErrFeature, "feature %d: features count from 0", i)
		}
		if i < 0 || (inputs >= 0 && i >= inputs) {
			return 0, fact.Errorf(ErrFeature, "feature %d: the model has features 0 to %d", i, inputs-1)
		}
		return i, nil
	}
	for i, n := range names {
		if n == spec {
			return i, nil
		}
	}
	if names == nil {
		return 0, fact.Errorf(ErrFeature, "feature %s: this series has no feature names; use a 0-based index, or set names with tracker features set FILE", quote.Short(spec))
	}
	return 0, fact.Errorf(ErrFeature, "feature %s: no feature has that name (tracker features lists them)", quote.Short(spec))
}

// FeatureName is feature i's name, or "" when the series has none.
func FeatureName(names []string, i int) string {
	if i < len(names) {
		return names[i]
	}
	return ""
}

// FeatureLabel is "17 (legacy_score)", or "17" without a name: how
// messages and warnings name a feature.
func FeatureLabel(names []string, i int) string {
	if n := FeatureName(names, i); n != "" {
		return strconv.Itoa(i) + " (" + n + ")"
	}
	return strconv.Itoa(i)
}
