// Package safefile reads files that come from elsewhere without trusting
// them: only regular files (a named pipe would block forever, a symlink to
// /dev/zero would read until memory runs out), and never more bytes than a
// caller says a real file of its kind can need. It also writes tracker's
// outputs whole or not at all (WriteFile).
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegular: the path is a directory, pipe, device or socket.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge: the file is larger than its kind of file can be.
var ErrTooLarge = errors.New("file too large")

// Check returns an error unless path names a regular file (following
// symlinks). Use it before handing a path to a C library that opens it.
func Check(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	return regular(path, info)
}

func regular(path string, info fs.FileInfo) error {
	if info.Mode().IsRegular() {
		return nil
	}
	kind := "a special file"
	switch m := info.Mode(); {
	case m.IsDir():
		kind = "a directory"
	case m&fs.ModeNamedPipe != 0:
		kind = "a named pipe"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	case m&fs.ModeDevice != 0:
		kind = "a device"
	}
	return fmt.Errorf("%s is %s: %w", path, kind, ErrNotRegular)
}

// Open opens path for reading if it is a regular file. It opens without
// blocking, so a named pipe is refused instead of waiting for a writer.
func Open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err == nil {
		err = regular(path, info)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// ReadFile reads a regular file of at most max bytes. A larger file is
// refused before anything is read; one that grows while being read is
// refused once it passes max.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if info.Size() > max {
		return nil, tooLarge(path, info.Size(), max)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, tooLarge(path, int64(len(b)), max)
	}
	return b, nil
}

func tooLarge(path string, size, max int64) error {
	return fmt.Errorf("%s is %s, more than the %s such a file can need: %w", path, Size(size), Size(max), ErrTooLarge)
}

// Size formats a byte count for a message: 512 B, 3.2 MiB, 4.0 GiB.
func Size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
