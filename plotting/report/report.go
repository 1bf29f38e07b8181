package report

import (
	_ "embed"
	"html/template"
	"io"
)

//go:embed report.html.tmpl
var pageText string

// page is parsed once: the template is part of the program, so a parse
// error is a bug, found by any test that writes a page.
var page = template.Must(template.New("report").Parse(pageText))

// Data is everything the page shows.
type Data struct {
	Model       string
	First, Last string // the oldest and the newest week covered
	Weeks       int
	Versions    []Version // one per week, oldest first
	Methods     []Method  // one per experiment of the newest week, most telling first
	Charts      []Chart
	Check       *Check   // the newest week's stored check; nil when it was never checked
	Quality     *Quality // the models' quality across weeks; nil without evaluations
	Drift       *Drift   // the newest week's data drift; nil without two profiles
	Generated   string   // when the page was written, as the reader should see it
	FDR         string   // the false discovery rate the verdicts control, as "5%"
}

// Version is one week covered: the version that speaks for it.
type Version struct {
	Week, Hash  string // Hash is the content hash, cut to a readable prefix
	Version     uint64
	Experiments int    // how many records the version holds
	Standing    string // what tracker check says of it: passed, failed, accepted or unchecked
}

// Check is the newest week's check, as the page opens with it.
type Check struct {
	Week, Against string
	Pass          bool
	Learned       bool
	Violations    []string // one line each: what, how much, the bound, the cause
	Accepted      string   // the reason it was accepted as the new normal, "" when it was not
}

// Method is one experiment's section: its ranking in the newest week and
// what changed since the week before.
type Method struct {
	Label, Params string
	Rows          []Row    // every ranked feature, best first
	Up, Down      []Move   // the significant movers since PrevWeek, largest first
	Zeroed        []Zeroed // the features that went to zero, strongest first
	Warnings      []string // disagreements with the weight-sum, one line each
	Effects       []string // a significant mover's change split into model and data, where recorded
	PrevWeek      string   // the week before, "" when the report covers one week
	// Unjudged says why the changes since PrevWeek were not judged (the
	// noise not learned yet); "" when they were.
	Unjudged string
	// Significant is how many features changed significantly since
	// PrevWeek, of Compared measured in both weeks; ModelWide is set when
	// most did: the whole model changed, not single features.
	Significant, Compared int
	ModelWide             bool
	// Negligible says why no feature's effect could be judged negligible
	// or clearly there; "" when they could.
	Negligible string
}

// Row is one feature in a method's ranking.
type Row struct {
	Rank          int
	Index         int
	Name          string
	Value, Spread string
	SE            string // the value's standard error, "" when unknown
	Move          string // places climbed since the week before, signed; "" when unknown
	Change        string // the change in value since the week before, signed; "" when unknown
	Significant   bool   // the change is significant
	Negligible    string // "yes", "no" (clearly there) or "" (cannot be judged)
}

// Move is a feature whose rank moved with a significant change since the
// week before.
type Move struct {
	Index    int
	Name     string
	From, To int
	Change   string // the change in value, signed
}

// Zeroed is a feature that went to zero: clearly there last in week
// ThereWeek, at Was and rank WasRank, negligible from week DroppedWeek,
// and Now at rank To in the newest week.
type Zeroed struct {
	Index                  int
	Name                   string
	Was, Now               string
	ThereWeek, DroppedWeek string
	WasRank, To            int
}

// Chart is one figure: an SVG image and its caption.
type Chart struct {
	Title string
	SVG   template.HTML // from plotting, which escapes its text
}

// Quality is the model-quality section: a row per week with each metric.
type Quality struct {
	Role    string   // the data role the evaluations are on
	Metrics []string // the column names, in order
	Weeks   []QualityWeek
	Notes   []string // a line each: a week's model and data effects
	Chart   *Chart
}

// QualityWeek is one week's metrics.
type QualityWeek struct {
	Week  string
	Cells []QualityCell // one per Metrics
}

// QualityCell is one metric in one week: its value and its change from
// the week before, significant or not.
type QualityCell struct {
	Value, Change string // "" when unknown
	Significant   bool
	Down          bool // the change makes the model worse
	Neutral       bool // neither way is better (a base rate)
}

// Drift is the data-drift section: the newest week's profile against the
// week before's.
type Drift struct {
	Role, Week, Against string
	Drifted, Features   int
	Rows                []DriftRow // the drifted features, most drifted first
	Label               string     // the label's base-rate line, "" when not judged
	Method              string     // the importance method whose change is shown
}

// DriftRow is a drifted feature with its importance change next to it.
type DriftRow struct {
	Index                      int
	Name                       string
	PSI, KS, Wasserstein, Mean string
	Importance                 string // the importance change since the week before, "" when unknown
	ImportanceSignificant      bool
}

// Write writes the page for d to w. On an error part of the page may have
// been written: write to a buffer and keep it only on success.
func Write(w io.Writer, d Data) error {
	return page.Execute(w, d)
}
