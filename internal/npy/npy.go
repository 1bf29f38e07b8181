// Package npy reads and writes little-endian float32 arrays in NumPy's .npy
// format (version 1.0), so tests and benchmarks can hand data to numpy and
// check its answers.
package npy

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"strings"
)

// Write stores data, in C order, as an array of the given shape.
func Write(path string, data []float32, shape ...int) error {
	dims := ""
	for _, d := range shape {
		dims += fmt.Sprintf("%d,", d)
	}
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", dims)
	// Magic (6), version (2), length (2), header and newline: a multiple of 64.
	header += strings.Repeat(" ", (64-(10+len(header)+1)%64)%64) + "\n"
	buf := append([]byte("\x93NUMPY\x01\x00"), byte(len(header)), byte(len(header)>>8))
	buf = append(buf, header...)
	for _, v := range data {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
	}
	return os.WriteFile(path, buf, 0o644)
}

// Read returns the float32 payload of a version 1.0 .npy file numpy wrote
// with dtype '<f4', ignoring its shape.
func Read(path string) ([]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" || b[6] != 1 {
		return nil, fmt.Errorf("%s: not a version 1 .npy file", path)
	}
	hl := int(binary.LittleEndian.Uint16(b[8:10]))
	if len(b) < 10+hl || !strings.Contains(string(b[10:10+hl]), "'<f4'") {
		return nil, fmt.Errorf("%s: not a little-endian float32 array", path)
	}
	payload := b[10+hl:]
	out := make([]float32, len(payload)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(payload[4*i:]))
	}
	return out, nil
}
