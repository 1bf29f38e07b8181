package cli

import (
	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/internal/runs"
)

func newImportCmd(g *globals) *cobra.Command {
	var format string
	var record recordFlags
	cmd := &cobra.Command{
		Use:   "import FILE.jsonl...",
		Short: "Merge drop-retrain results computed elsewhere into the store",
		Long: `Merge the files that tracker run drop-retrain --out wrote (one per shard, say)
into the store. The files must all hold trainings of one run: the same week
and version, parameters, data and seed. A training present twice, or
already stored with a different result, is refused and nothing is imported.
When every training of the run is in, the run is recorded as an experiment
like any other; until then the trainings wait in the store for the rest. A run
on other data or with another seed than the week's recorded drop-retrain of
the same parameters and data role is refused unless --replace.

tracker import drop-retrain FILE.csv records numbers from retrains done
outside tracker, in Keras say.`,
		Args: minArgs(1, "one or more files written by tracker run drop-retrain --out"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return importShards(g, format, runs.ShardsSpec{Files: args, Replace: record.replace})
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "table, csv or json (default: table on a terminal, csv in a pipe)")
	record.register(cmd, false) // the role is in the files, from the run that wrote them
	cmd.AddCommand(newImportDropRetrainCmd(g))
	return cmd
}

func importShards(g *globals, formatFlag string, spec runs.ShardsSpec) error {
	format, err := pickFormat(formatFlag, g.env.OutTTY, formatTable, formatCSV, formatJSON)
	if err != nil {
		return err
	}
	out, err := runs.ImportShards(runEnv(g), spec)
	if err != nil {
		return runsError(err)
	}
	return printRuns(g, format, out)
}
