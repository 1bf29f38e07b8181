package keras

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tracker-ml/tracker/internal/fixtures"
	"github.com/tracker-ml/tracker/internal/safefile"
)

// hostileDir holds the files testdata/gen_hostile.py writes: one small
// Keras 2 weights file per way of breaking one, for hostile/model.json.
const hostileDir = "testdata/hostile"

// loadWithin runs Load and fails the test if it takes longer than d: a
// named pipe or a decompression bomb must be refused, not waited on.
func loadWithin(t *testing.T, d time.Duration, files Files) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := Load(files)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("Load(%v) still running after %v", files, d)
		return nil
	}
}

// wantError checks that err is not nil and mentions every string in want,
// and that it stays short whatever the input held.
func wantError(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("loaded, want an error mentioning %q", want)
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not mention %q", msg, w)
		}
	}
	for _, bad := range []string{"<nil>", "map[", "%!"} {
		if strings.Contains(msg, bad) {
			t.Errorf("error %q contains %q", msg, bad)
		}
	}
	if len(msg) > 1000 {
		t.Errorf("error is %d bytes long", len(msg))
	}
}

func TestLoadRefusesHostileWeights(t *testing.T) {
	structure := filepath.Join(hostileDir, "model.json")
	const kernel = `"dense_1/dense_1/kernel:0"`
	tests := []struct {
		name, file string
		want       []string
	}{
		{"a kernel declaring a billion columns is refused before allocating", "kernel_huge_contiguous.h5", []string{kernel, "[6 1000000000]", "33554432 weights"}},
		{"a chunked kernel is refused before libhdf5 reads its chunk index", "kernel_huge_chunked.h5", []string{kernel, "chunks"}},
		{"a kernel declaring more weights than any model is refused before allocating", "kernel_too_many.h5", []string{kernel, "[6 8000000]"}},
		{"a kernel whose shape differs from the structure is refused before reading", "kernel_wrong_shape.h5", []string{kernel, "[6 100000]", "needs [6 4]"}},
		{"a three-dimensional kernel is refused", "kernel_3d.h5", []string{kernel, "[6 4 1]"}},
		{"integer weights are refused", "kernel_int32.h5", []string{kernel, "32-bit integers", "float32"}},
		{"float16 weights are refused", "kernel_float16.h5", []string{kernel, "float16", "float32"}},
		{"float64 weights are refused", "kernel_float64.h5", []string{kernel, "64-bit floats"}},
		{"string weights are refused", "kernel_string.h5", []string{kernel, "strings"}},
		{"compressed weights are refused", "kernel_gzip.h5", []string{kernel, "compressed"}},
		{"weights kept in an external file are refused", "kernel_external.h5", []string{kernel, "external files"}},
		{"a soft link in place of a dataset is refused", "kernel_softlink.h5", []string{kernel, "soft or external link"}},
		{"an external link to a device is refused without opening it", "kernel_externallink.h5", []string{kernel, "soft or external link"}},
		{"a layer group the name list promises is missing", "group_missing.h5", []string{`"dense_9"`, "no such group"}},
		{"a dataset the name list promises is missing", "dataset_missing.h5", []string{kernel, "missing"}},
		{"a name list of numbers is refused", "weight_names_numbers.h5", []string{`"weight_names"`, "numbers"}},
		{"an attribute whose dataspace runs past its message is refused before libhdf5 decodes it", "attr_dataspace_overrun.h5", []string{"damaged", `"dense_1"`, `"weight_names"`, "dataspace"}},
		{"a heap object larger than its collection is refused before libhdf5 copies it", "gheap_object_overrun.h5", []string{"damaged", `"backend"`, "global heap"}},
		{"a string shorter than its heap object is refused before libhdf5 overflows it", "vlen_length_short.h5", []string{"damaged", `"backend"`, "3 bytes long", "holds 10"}},
		{"a string pointing at a heap object that does not exist is refused", "vlen_bad_index.h5", []string{"damaged", `"backend"`, "heap object 77"}},
		{"a string of 4-billion-byte characters is refused before libhdf5 converts it", "vlen_base_huge.h5", []string{"damaged", `"keras_version"`, "4278190081-byte elements"}},
		{"a truncated file is refused", "truncated.h5", []string{"truncated.h5", "truncated"}},
		{"a file that is not HDF5 is refused", "not_hdf5.h5", []string{"not_hdf5.h5", "not an HDF5 file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(hostileDir, tt.file)
			err := loadWithin(t, 10*time.Second, Files{Structure: structure, Weights: path})
			wantError(t, err, append([]string{tt.file}, tt.want...)...)
		})
	}
}

func TestLoadRefusesHostileKeras3Weights(t *testing.T) {
	structure := filepath.Join(hostileDir, "model_v3.json")
	t.Run("a good Keras 3 file of the same model loads", func(t *testing.T) {
		if _, err := Load(Files{Structure: structure, Weights: filepath.Join(hostileDir, "v3_good.weights.h5")}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a layer group that is an external link is refused without opening it", func(t *testing.T) {
		err := loadWithin(t, 10*time.Second, Files{Structure: structure, Weights: filepath.Join(hostileDir, "v3_external_link.weights.h5")})
		wantError(t, err, "v3_external_link.weights.h5", `"layers/dense"`, "external link")
	})
}

func TestLoadReadsBigEndianWeightsExactly(t *testing.T) {
	structure := filepath.Join(hostileDir, "model.json")
	le, err := Load(Files{Structure: structure, Weights: filepath.Join(hostileDir, "good.h5")})
	if err != nil {
		t.Fatal(err)
	}
	be, err := Load(Files{Structure: structure, Weights: filepath.Join(hostileDir, "kernel_bigendian.h5")})
	if err != nil {
		t.Fatal(err)
	}
	if le.Hash() != be.Hash() {
		t.Fatalf("big-endian copy hashes %s, little-endian %s", be.ShortHash(), le.ShortHash())
	}
}

// TestLoadRefusesFlippedKerasFile loads the two one-byte flips of a real
// Keras 2.2.4 file on which libhdf5 1.10.8 itself segfaults (h5py too):
// a global heap object size (offset 2074) and an attribute's dataspace size
// (offset 13847). A regression kills the test binary.
func TestLoadRefusesFlippedKerasFile(t *testing.T) {
	src := fixtures.Keras(t, "pima-json-h5-keras224")
	orig, err := os.ReadFile(filepath.Join(src, "022.h5"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		offset int
		want   []string
	}{
		{"a flipped heap object size is refused", 2074, []string{`"backend"`, "global heap"}},
		{"a flipped attribute dataspace size is refused", 13847, []string{`"dense_3"`, `"weight_names"`, "dataspace"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := bytes.Clone(orig)
			b[tt.offset] ^= 0xFF
			dir := t.TempDir()
			w := filepath.Join(dir, "022.h5")
			if err := os.WriteFile(w, b, 0o644); err != nil {
				t.Fatal(err)
			}
			err := loadWithin(t, 10*time.Second, Files{Structure: filepath.Join(src, "022.json"), Weights: w})
			wantError(t, err, append([]string{"022.h5", "damaged", "save the model again"}, tt.want...)...)
		})
	}
}

func TestLoadRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	structure := filepath.Join(hostileDir, "model.json")
	good := filepath.Join(hostileDir, "good.h5")
	fifo := filepath.Join(dir, "fifo.h5")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("skipped: cannot make a named pipe: %v", err)
	}
	zero := filepath.Join(dir, "zero.json")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	zeroKeras := filepath.Join(dir, "zero.keras")
	if err := os.Symlink("/dev/zero", zeroKeras); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		files Files
		want  []string
	}{
		{"a named pipe as the weights file is refused without blocking", Files{Structure: structure, Weights: fifo}, []string{"fifo.h5", "named pipe"}},
		{"a structure that is a symlink to /dev/zero is refused without reading", Files{Structure: zero, Weights: good}, []string{"zero.json", "device"}},
		{"a .keras that is a symlink to /dev/zero is refused without reading", Files{Weights: zeroKeras}, []string{"zero.keras", "device"}},
		{"a directory as the weights file is refused", Files{Structure: structure, Weights: dir}, []string{dir, "directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := loadWithin(t, 5*time.Second, tt.files)
			wantError(t, err, tt.want...)
			if !errors.Is(err, safefile.ErrNotRegular) {
				t.Errorf("err = %v, want safefile.ErrNotRegular", err)
			}
		})
	}
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadRefusesHostileStructures(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(hostileDir, "good.h5")
	dense := func(name, extra string) string {
		return fmt.Sprintf(`{"class_name": "Dense", "config": {"name": %q, "units": 4, "activation": "relu"%s}}`, name, extra)
	}
	seq := func(layers ...string) []byte {
		return []byte(`{"class_name": "Sequential", "config": {"name": "s", "layers": [` + strings.Join(layers, ",") + `]}}`)
	}
	longName := strings.Repeat("x", 4<<20)
	yamlBomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i, prev := 'b', 'a'; i <= 'j'; prev, i = i, i+1 {
		yamlBomb += fmt.Sprintf("%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", i, i, prev, prev, prev, prev, prev, prev, prev, prev, prev, prev)
	}
	yamlBomb += "class_name: Sequential\nconfig: [*j]\n"
	tests := []struct {
		name string
		file string
		data []byte
		want []string
	}{
		{"a structure larger than any config is refused before it is read", "big.json", bytes.Repeat([]byte(" "), maxConfig+1), []string{"big.json", "16.0 MiB"}},
		{"JSON nested a million deep is refused before decoding", "deep.json", []byte("{" + strings.Repeat("[", 1<<20) + strings.Repeat("]", 1<<20) + "}"), []string{"deep.json", "nests deeper than 64"}},
		{"JSON with millions of values is refused before decoding", "wide.json", []byte(`{"a": [` + strings.Repeat("0,", 4<<20) + `0]}`), []string{"wide.json", "more than 262144 values"}},
		{"a YAML alias bomb is refused before expanding", "bomb.yaml", []byte(yamlBomb), []string{"bomb.yaml", "aliases"}},
		{"a megabyte layer name is quoted short", "long.json", seq(`{"class_name": "LSTM", "config": {"name": "` + longName + `"}}`), []string{"long.json", "LSTM", "xxx…"}},
		{"a huge class name is cut short", "class.json", seq(`{"class_name": "` + longName + `", "config": {"name": "l"}}`), []string{"class.json", "xxx…"}},
		{"units past any model are refused", "units.json", seq(dense("dense_1", `, "units": 1e12, "batch_input_shape": [null, 6]`)), []string{"units.json", `"dense_1"`, "units"}},
		{"an architecture past maxParams is refused before the weights are read", "params.json", seq(dense("dense_1", `, "units": 10000000, "batch_input_shape": [null, 6]`)), []string{"params.json", "33554432 weights"}},
		{"a shape that is an object is shown as JSON", "shape.json", seq(dense("dense_1", `, "batch_input_shape": {"a": 1}`)), []string{"shape.json", `{"a":1}`}},
		{"a missing activation value is shown as null", "act.json", seq(dense("dense_1", `, "activation": [1], "batch_input_shape": [null, 6]`)), []string{"act.json", "[1]"}},
		{"a layer the weights lack is named", "missing.json", seq(dense("dense_1", `, "batch_input_shape": [null, 6]`), dense("dense_7", "")), []string{"missing.json", `"dense_7"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, filepath.Join(dir, tt.file), tt.data)
			err := loadWithin(t, 10*time.Second, Files{Structure: path, Weights: good})
			wantError(t, err, tt.want...)
		})
	}
}

// zipMember is one member of a hand-made .keras zip. With raw set, data is
// already deflated and size is what the header declares, true or not.
type zipMember struct {
	name string
	data []byte
	raw  bool
	size uint64
}

func writeZip(t *testing.T, path string, members ...zipMember) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		if m.raw {
			w, err := zw.CreateRaw(&zip.FileHeader{Name: m.name, Method: zip.Deflate, CompressedSize64: uint64(len(m.data)), UncompressedSize64: m.size})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(m.data)
			continue
		}
		w, err := zw.Create(m.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(m.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, path, buf.Bytes())
}

// deflatedZeros is n zero bytes deflated: about n/1000 bytes.
func deflatedZeros(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	zeros := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, len(zeros))
		fw.Write(zeros[:k])
		n -= k
	}
	fw.Close()
	return buf.Bytes()
}

func TestLoadRefusesHostileKerasZips(t *testing.T) {
	dir := t.TempDir()
	cfg, err := os.ReadFile(filepath.Join(hostileDir, "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(hostileDir, "good.h5"))
	if err != nil {
		t.Fatal(err)
	}
	bomb := deflatedZeros(t, 64<<20)
	tests := []struct {
		name    string
		members []zipMember
		want    []string
	}{
		{"a config.json declaring 64 MiB is refused before inflating", []zipMember{{name: "config.json", data: bomb, raw: true, size: 64 << 20}},
			[]string{`"config.json"`, "declares 64.0 MiB"}},
		{"a config.json that inflates past its declared size is cut off", []zipMember{{name: "config.json", data: bomb, raw: true, size: 100}},
			[]string{`"config.json"`, "damaged"}},
		{"a config.json that lies about a huge size is cut off at the cap", []zipMember{{name: "config.json", data: bomb, raw: true, size: 1 << 23}},
			[]string{`"config.json"`}},
		{"weights declaring more than the architecture can need are refused before inflating", []zipMember{{name: "config.json", data: cfg}, {name: "model.weights.h5", data: bomb, raw: true, size: 64 << 20}},
			[]string{"model.weights.h5", "declares 64.0 MiB", "33 weights"}},
		{"weights that inflate past their declared size are cut off", []zipMember{{name: "config.json", data: cfg}, {name: "model.weights.h5", data: bomb, raw: true, size: 1 << 22}},
			[]string{"model.weights.h5", "damaged"}},
		{"members named outside the archive are never extracted", []zipMember{{name: "../config.json", data: cfg}, {name: "../../model.weights.h5", data: good}},
			[]string{"no config.json"}},
		{"a zip without weights is refused", []zipMember{{name: "config.json", data: cfg}},
			[]string{"no model.weights.h5"}},
		{"weights that are not HDF5 are refused", []zipMember{{name: "config.json", data: cfg}, {name: "model.weights.h5", data: []byte("not hdf5")}},
			[]string{"model.weights.h5", "not an HDF5 file"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeZip(t, filepath.Join(dir, fmt.Sprintf("m%d.keras", i)), tt.members...)
			err := loadWithin(t, 10*time.Second, Files{Weights: path})
			wantError(t, err, append([]string{filepath.Base(path)}, tt.want...)...)
		})
	}
	t.Run("a file that is not a zip is refused", func(t *testing.T) {
		path := writeFile(t, filepath.Join(dir, "junk.keras"), []byte("PK junk"))
		wantError(t, loadWithin(t, 5*time.Second, Files{Weights: path}), "junk.keras", "not a readable .keras zip")
	})
	t.Run("a good zip of the same model loads", func(t *testing.T) {
		path := writeZip(t, filepath.Join(dir, "good.keras"), zipMember{name: "config.json", data: cfg}, zipMember{name: "model.weights.h5", data: good})
		if _, err := Load(Files{Weights: path}); err != nil {
			t.Fatal(err)
		}
	})
	entries, _ := os.ReadDir(filepath.Dir(dir))
	for _, e := range entries {
		if strings.Contains(e.Name(), "weights.h5") {
			t.Errorf("%s was written outside the temporary directory", e.Name())
		}
	}
}

// TestLoadBoundsMemory loads the worst hostile inputs above and checks the
// heap never grows past a few tens of MB (the declared sizes reach 24 GB).
func TestLoadBoundsMemory(t *testing.T) {
	structure := filepath.Join(hostileDir, "model.json")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	open := openObjects() // gonum/hdf5 keeps a datatype of its own open
	for _, f := range []string{"kernel_huge_contiguous.h5", "kernel_huge_chunked.h5", "kernel_too_many.h5", "kernel_wrong_shape.h5"} {
		if _, err := Load(Files{Structure: structure, Weights: filepath.Join(hostileDir, f)}); err == nil {
			t.Fatalf("%s loaded", f)
		}
	}
	runtime.ReadMemStats(&after)
	if n := openObjects(); n != open {
		t.Errorf("%d HDF5 files or objects left open after refusing", n-open)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
		t.Errorf("loading hostile files allocated %s in Go", safefile.Size(int64(grew)))
	}
}
