package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/internal/table"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/tracker"
)

type showOptions struct {
	model  string
	format string
	week   string
}

func newShowCmd(g *globals) *cobra.Command {
	opts := &showOptions{}
	cmd := &cobra.Command{
		Use:   "show WEEK [--model NAME] [--format table|json]",
		Short: "Show one version's architecture and where it came from",
		Long:  "Show the latest version of WEEK (YYYY-MM-DD, or latest): its layers, source files with their SHA-256, Keras version and content hash.",
		Args:  exactArgs(1, "one WEEK"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.week = args[0]
			return runShow(g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.model, "model", tracker.DefaultModel, "model series name")
	cmd.Flags().StringVar(&opts.format, "format", formatTable, "table or json")
	return cmd
}

type showLayer struct {
	Name       string `json:"name"`
	Class      string `json:"class"`
	Units      int    `json:"units"`
	Activation string `json:"activation,omitempty"`
	Params     int    `json:"params"`
}

type showVersion struct {
	Model        string            `json:"model"`
	Week         string            `json:"week"`
	Version      uint64            `json:"version"`
	Hash         string            `json:"hash"`
	Format       string            `json:"format"`
	KerasVersion string            `json:"keras_version"`
	Backend      string            `json:"backend"`
	IngestedAt   time.Time         `json:"ingested_at"`
	Inputs       int               `json:"inputs"`
	Outputs      int               `json:"outputs"`
	Params       int               `json:"params"`
	Layers       []showLayer       `json:"layers"`
	Sources      []snapshot.Source `json:"sources"`
	Experiments  int               `json:"experiments"`
}

func runShow(g *globals, opts *showOptions) error {
	format, err := pickFormat(opts.format, true, formatTable, formatJSON)
	if err != nil {
		return err
	}
	vi, snap, err := readVersion(g, opts.model, opts.week)
	if err != nil {
		return err
	}
	sv := showVersion{
		Model: vi.Model, Week: vi.Week, Version: vi.Version, Hash: vi.Hash, Format: vi.Meta.Format,
		KerasVersion: vi.Meta.KerasVersion, Backend: vi.Meta.Backend, IngestedAt: vi.IngestedAt,
		Inputs: vi.Inputs, Outputs: vi.Outputs, Params: vi.Params, Sources: vi.Meta.Sources, Experiments: vi.Experiments,
	}
	width := snap.Inputs()
	for _, l := range snap.Layers() {
		if l.Class == snapshot.ClassDense {
			width = l.Units
		}
		sv.Layers = append(sv.Layers, showLayer{Name: l.Name, Class: l.Class, Units: width, Activation: l.Activation, Params: l.Params()})
	}
	if format == formatJSON {
		return writeJSON(g.env.Out, sv)
	}
	w := g.env.Out
	info := table.Table{Header: []string{"field", "value"}}
	info.Add("model", sv.Model)
	info.Add("week", sv.Week)
	info.Add("version", sv.Version)
	info.Add("hash", sv.Hash)
	info.Add("format", sv.Format)
	info.Add("keras_version", sv.KerasVersion)
	info.Add("backend", sv.Backend)
	info.Add("ingested_at", sv.IngestedAt.Format(time.RFC3339))
	info.Add("inputs", sv.Inputs)
	info.Add("outputs", sv.Outputs)
	info.Add("params", sv.Params)
	info.Add("experiments", sv.Experiments)
	if err := writeTable(w, &info, formatTable); err != nil {
		return err
	}
	fmt.Fprintln(w)
	layers := table.Table{Header: []string{"layer", "class", "units", "activation", "params"}}
	for _, l := range sv.Layers {
		layers.Add(l.Name, l.Class, l.Units, dash(l.Activation), l.Params)
	}
	if err := writeTable(w, &layers, formatTable); err != nil {
		return err
	}
	fmt.Fprintln(w)
	src := table.Table{Header: []string{"role", "sha256", "bytes", "path"}}
	for _, s := range sv.Sources {
		src.Add(s.Role, s.SHA256, s.Size, s.Path)
	}
	return writeTable(w, &src, formatTable)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
