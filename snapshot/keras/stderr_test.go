package keras

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tracker-ml/tracker/internal/fixtures"
)

// stderrChild is set in the environment of the test binary when it runs as
// TestLoadWritesNothingToStderr's child.
const stderrChild = "TRACKER_KERAS_STDERR_CHILD"

// TestLoadWritesNothingToStderr loads every fixture, and files that fail
// inside libhdf5, from several goroutines in a child process, and checks
// that the child's real stderr stays empty. libhdf5 prints its error stack
// to file descriptor 2 itself, per thread, so only a separate process shows
// what a user's terminal would: os.Stderr in this process sees nothing.
func TestLoadWritesNothingToStderr(t *testing.T) {
	if os.Getenv(stderrChild) == "1" {
		loadEverythingConcurrently(t)
		return
	}
	fixtures.Dir(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadWritesNothingToStderr$", "-test.count=1")
	cmd.Env = append(os.Environ(), stderrChild+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child failed: %v\n%s%s", err, stdout.Bytes(), stderr.Bytes())
	}
	if stderr.Len() > 0 {
		t.Fatalf("loading wrote %d bytes to stderr:\n%.2000s", stderr.Len(), stderr.Bytes())
	}
}

// loadEverythingConcurrently loads each fixture, the hostile weights and a
// file that makes an attribute lookup fail, four times over from as many
// goroutines, so that the work lands on threads other than init's.
func loadEverythingConcurrently(t *testing.T) {
	fx := fixtures.Dir(t)
	open := openObjects() // gonum/hdf5 keeps a datatype of its own open
	var all []Files
	want := map[int]bool{} // index into all: must load
	for key, exp := range loadExpected(t) {
		want[len(all)] = true
		all = append(all, fixtureFiles(t, fx, key, exp))
	}
	hostile, _ := filepath.Glob(filepath.Join(hostileDir, "*.h5"))
	for _, h := range hostile {
		all = append(all, Files{Structure: filepath.Join(hostileDir, "model.json"), Weights: h})
	}
	all = append(all,
		Files{Weights: fixtures.Keras(t, "checkers-weights-only-keras216/checkers_model_tanh_adadelta.h5")},
		Files{Weights: fixtures.Keras(t, "textgen-lstm-full-h5-keras224/068_weights-improvement-20-1.9326.hdf5")})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, f := range all {
				if _, err := Load(f); want[i] && err != nil {
					t.Errorf("Load(%v): %v", f, err)
				}
			}
		}()
	}
	wg.Wait()
	if n := openObjects(); n != open {
		t.Errorf("%d HDF5 files or objects left open after every load", n-open)
	}
	// Export too: writing a file opens attributes libhdf5 looks up first.
	snap, err := Load(all[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Export(snap, t.TempDir(), "m"); err != nil {
		t.Fatal(err)
	}
}
