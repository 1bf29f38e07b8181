// Package cli implements tracker's commands: it parses, calls the packages
// below, and prints. It makes no domain decision: which version or record
// speaks for a week (tracker/select.go), how weeks read across
// (tracker/history.go), which method is most telling (experiments/kinds.go),
// what counts as a mover or a fade (experiments/compare), how a
// drop-retrain is scheduled and merged (experiments/dropretrain), how a
// run is planned against the store and recorded (internal/runs) all live
// below, once.
//
// Layout:
//   - one file per command (list.go, query.go, run.go, ...), each with a
//     constructor returning a *cobra.Command, an options struct, and a run
//     function that tests call without cobra;
//   - root.go: the command tree, the flags every command shares, Main;
//   - errors.go: error kinds to exit codes, and the flag hints a user needs
//     ("pass --replace"), added in one place: the packages below state the
//     facts and never name a flag;
//   - output.go: --format choice and number formats (tables and CSV are
//     internal/table's); streams.go: the outside world as Env, so tests run
//     commands on buffers with a fixed clock;
//   - data.go: the --data flags every run shares; progress.go: the bar.
//
// Results go to Env.Out and everything else to Env.ErrOut. Golden files in
// testdata/ fix every command's output.
package cli
