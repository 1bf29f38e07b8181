package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// shardData writes the planted CSV without its id column, as the deploy
// examples' data has none.
func shardData(t *testing.T, tmp string) (db, data string) {
	t.Helper()
	prefix, withID := plantedFiles(t, tmp)
	db = filepath.Join(tmp, "tracker.db")
	mustRun(t, db, "ingest", prefix)
	b, err := os.ReadFile(withID)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if _, rest, ok := strings.Cut(line, ","); ok {
			out.WriteString(rest)
		}
	}
	return db, writeFile(t, filepath.Join(tmp, "data", "week-2019-01-14.csv"), out.String())
}

// TestKubernetesJobRuns runs the Indexed Job's container args, as the Job
// controller would (one process per index, JOB_COMPLETION_INDEX set and
// $(JOB_COMPLETION_INDEX) expanded), with the volume paths pointed at a
// test store, then imports the files as the manifest's comment says.
func TestKubernetesJobRuns(t *testing.T) {
	raw, err := os.ReadFile("../../../deploy/drop-retrain-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var job struct {
		Spec struct {
			CompletionMode string `yaml:"completionMode"`
			Completions    int    `yaml:"completions"`
			Template       struct {
				Spec struct {
					Containers []struct {
						Command []string `yaml:"command"`
						Args    []string `yaml:"args"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(raw, &job); err != nil {
		t.Fatal(err)
	}
	c := job.Spec.Template.Spec.Containers[0]
	if job.Spec.CompletionMode != "Indexed" || c.Command[0] != "tracker" {
		t.Fatalf("completionMode %q, command %v: want an Indexed Job running tracker", job.Spec.CompletionMode, c.Command)
	}
	args := strings.Join(c.Args, "\x00")
	if !strings.Contains(args, "--shards\x00"+strconv.Itoa(job.Spec.Completions)+"\x00") {
		t.Fatalf("args %v: --shards must equal completions (%d)", c.Args, job.Spec.Completions)
	}
	tmp := t.TempDir()
	db, data := shardData(t, tmp)
	paths := strings.NewReplacer("/store/tracker.db", db, "/data/week-2019-01-14.csv", data, "/results/", filepath.Join(tmp, "results")+"/")
	if err := os.MkdirAll(filepath.Join(tmp, "results", "drop-retrain-2019-01-14"), 0o755); err != nil {
		t.Fatal(err) // the results volume's directory
	}
	for i := range job.Spec.Completions {
		index := strconv.Itoa(i)
		var run []string
		for _, a := range c.Args {
			run = append(run, paths.Replace(strings.ReplaceAll(a, "$(JOB_COMPLETION_INDEX)", index)))
		}
		process(t, []string{"JOB_COMPLETION_INDEX=" + index}, run...)
	}
	files, _ := filepath.Glob(filepath.Join(tmp, "results", "drop-retrain-2019-01-14", "shard-*.jsonl"))
	r := tr(t, db, append([]string{"import"}, files...)...)
	if r.code != 0 || !strings.Contains(r.err, "21 of 21 trainings of this run are in") {
		t.Errorf("import of %d shard files: exit %d, %q", len(files), r.code, r.err)
	}
}

// TestSlurmArrayRuns runs the Slurm script once per array task, with a
// tracker on PATH that is this test binary.
func TestSlurmArrayRuns(t *testing.T) {
	script, err := filepath.Abs("../../../deploy/drop-retrain.slurm")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	db, data := shardData(t, tmp)
	bin := filepath.Join(tmp, "bin")
	writeFile(t, filepath.Join(bin, "tracker"), "#!/bin/sh\nTRACKER_TEST_MAIN=1 exec "+os.Args[0]+" \"$@\"\n")
	if err := os.Chmod(filepath.Join(bin, "tracker"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	var tasks int
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "#SBATCH --array=0-"); ok {
			last, err := strconv.Atoi(rest)
			if err != nil {
				t.Fatalf("#SBATCH --array line %q", line)
			}
			tasks = last + 1
		}
	}
	if tasks == 0 || !strings.Contains(string(b), "--shards "+strconv.Itoa(tasks)) {
		t.Fatalf("the script's --shards must equal its array size (%d)", tasks)
	}
	for i := range tasks {
		cmd := exec.Command("bash", script)
		cmd.Dir = tmp
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "SLURM_ARRAY_TASK_ID="+strconv.Itoa(i), "STORE="+db, "DATA="+data)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("array task %d: %v\n%s", i, err, out)
		}
	}
	files, _ := filepath.Glob(filepath.Join(tmp, "results", "drop-retrain-2019-01-14", "shard-*.jsonl"))
	r := tr(t, db, append([]string{"import"}, files...)...)
	if r.code != 0 || !strings.Contains(r.err, "21 of 21 trainings of this run are in") {
		t.Errorf("import of %d shard files: exit %d, %q", len(files), r.code, r.err)
	}
}
