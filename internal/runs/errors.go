package runs

import (
	"errors"
	"fmt"
)

// Sentinels for the errors a caller completes with the flag a user should
// reach for, or gives an exit code of its own. Each error's message states
// the facts in full without the sentinel's words; match them with
// errors.Is.
var (
	// ErrColumns: the data's feature columns are not the version's inputs.
	ErrColumns = errors.New("data columns do not match the model's inputs")
	// ErrClasses: the validation rows read other classes than the
	// training rows.
	ErrClasses = errors.New("validation classes differ")
	// ErrOptions: a drop-retrain's settings do not fit the version, a
	// mistake in how the run was asked for. The message is the check's.
	ErrOptions = errors.New("drop-retrain settings do not fit the model")
	// ErrOutput: the output unit asked for is not one of the version's;
	// the error is an *OutputError.
	ErrOutput = errors.New("no such output unit")
	// ErrNothingToResume: a resume was asked for, and none of the run's
	// trainings is stored.
	ErrNothingToResume = errors.New("nothing to resume")
	// ErrHeader: the data's header does not name the series' features,
	// so its columns cannot be matched to them by name.
	ErrHeader = errors.New("data header does not match the feature names")
	// ErrReplace: the week holds a record of the run's series (its kind,
	// parameters and data role) on other data or with another seed
	// (tracker.Rival), and the run was not asked to replace it as the
	// record that speaks for the week.
	ErrReplace = errors.New("the week has a record of this series on other data")
	// ErrRole: a data role name that is not a short lowercase word.
	ErrRole = errors.New("bad data role")
)

// OutputError says which output unit was asked for and which the week's
// version has.
type OutputError struct {
	Output  int    // the unit asked for
	Week    string // the week of the version
	Outputs int    // the version's units: 0 to Outputs-1
}

func (e *OutputError) Error() string {
	return fmt.Sprintf("output %d: week %s has outputs 0 to %d", e.Output, e.Week, e.Outputs-1)
}

func (e *OutputError) Is(target error) bool { return target == ErrOutput }
