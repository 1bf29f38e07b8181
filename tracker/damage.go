package tracker

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"unicode"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/tracker-ml/tracker/internal/quote"
)

// DamagedError says what is wrong with a store whose bytes are not what
// bbolt wrote: cut short, overwritten or flipped. It matches ErrDamaged, and
// carries the path so the caller can say which file to restore.
type DamagedError struct {
	Path  string // the store file
	Found string // what was found, in words
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("store %s is damaged: %s", e.Path, e.Found)
}

// Unwrap makes errors.Is(err, ErrDamaged) true.
func (e *DamagedError) Unwrap() error { return ErrDamaged }

// boltDB is the store's bbolt handle. Its View and Update shadow bolt.DB's,
// so every transaction any Store method opens goes through guard: bbolt
// trusts the file's bytes and panics, or faults on memory it mapped past
// the end of a file cut short, where a store must return an error.
type boltDB struct {
	*bolt.DB
	path string
}

// View runs fn in a read transaction; damage becomes a DamagedError.
func (d boltDB) View(fn func(*bolt.Tx) error) error {
	return guard(d.DB, d.path, "reading it", func() error { return d.DB.View(fn) })
}

// Update runs fn in a write transaction; damage becomes a DamagedError,
// and bbolt rolls the transaction back, so nothing of it is committed.
func (d boltDB) Update(fn func(*bolt.Tx) error) error {
	return guard(d.DB, d.path, "writing to it", func() error { return d.DB.Update(fn) })
}

// guard runs fn, a call into bbolt on db (nil while opening), and turns a
// panic that bbolt raised on bytes it cannot parse, or a memory fault on
// its memory map, into a DamagedError. debug.SetPanicOnFault makes such a
// fault (SIGBUS past the end of a truncated file) a panic this goroutine
// can recover, instead of a crash. bbolt also panics when tracker misuses
// it (a nil bucket, a managed commit), so a panic inside bbolt that is not
// a fault counts as damage only when a fresh walk of the file's pages
// (confirmDamage) finds some: calling a sound store damaged would have the
// user restore a backup over it and lose what came after. Any other panic
// is a bug in tracker and goes on up.
func guard(db *bolt.DB, path, doing string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		found, ok := damageFrom(r, panicOrigin())
		if !ok {
			panic(r)
		}
		if !isFault(r) {
			problems := confirmDamage(db, path)
			if len(problems) == 0 {
				panic(r)
			}
			found += ", and a check of its pages found: " + problems[0]
			if len(problems) > 1 {
				found += fmt.Sprintf(" (and %d more problems)", len(problems)-1)
			}
		}
		err = &DamagedError{Path: path, Found: found + ", while " + doing}
	}()
	return fn()
}

// isFault says whether a recovered panic is a fault on mapped memory: an
// error with an Addr method, which the runtime raises only under
// SetPanicOnFault and never for a nil pointer (address below 4096).
func isFault(r any) bool {
	f, ok := r.(interface{ Addr() uintptr })
	if !ok {
		return false
	}
	_, ok = r.(runtime.Error)
	return ok && f.Addr() >= 4096
}

// damageFrom says whether a recovered panic may come from the store's
// bytes: a fault on mapped memory (isFault), or a panic raised inside
// bbolt, whose origin is the function that panicked. A panic in tracker's
// own code, a nil pointer dereference included, never is.
func damageFrom(r any, origin string) (string, bool) {
	if isFault(r) {
		return fmt.Sprintf("reading a page faulted at address %#x: the file is shorter than its pages, or changed while open", r.(interface{ Addr() uintptr }).Addr()), true
	}
	if strings.HasPrefix(origin, "go.etcd.io/bbolt") {
		return fmt.Sprintf("bbolt found a page it cannot read (%s)", quote.Cut(fmt.Sprint(r), 300)), true
	}
	return "", false
}

// confirmDamage looks for damage after bbolt panicked, reading the file
// with ReadAt, never through the memory map: checkStructure in a fresh
// read transaction on db, or, while opening (db nil), the page walk from
// the meta page bbolt opens at. A file it cannot read again counts as
// damaged: the panic is all there is to go on.
func confirmDamage(db *bolt.DB, path string) (problems []string) {
	f, err := os.Open(path)
	if err != nil {
		return []string{fmt.Sprintf("the file cannot be read again: %v", err)}
	}
	defer f.Close()
	if db == nil {
		ms := readMetas(f)
		if ms.used < 0 {
			return []string{"neither meta page is readable"}
		}
		m := ms.page[ms.used]
		w := &pageWalk{r: f, pageSize: int64(m.pageSize), hwm: m.pgid, used: make([]bool, m.pgid), free: make([]bool, m.pgid)}
		w.used[0], w.used[1] = true, true
		w.freelist(m.freelist)
		w.tree(m.root, "", 0)
		return w.problems
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			problems = []string{fmt.Sprintf("reading it again panicked too (%s)", quote.Cut(fmt.Sprint(r), 300))}
		}
	}()
	db.View(func(tx *bolt.Tx) error {
		_, problems = checkStructure(tx, f)
		return nil
	})
	return problems
}

// panicOrigin is the function that panicked, called from a deferred
// function while the panic runs: the first frame below runtime.gopanic that
// is not the runtime's own (a fault shows runtime.sigpanic there, an index
// error runtime.goPanicIndex).
func panicOrigin() string {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	panicking := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			panicking = true
		case panicking && !strings.HasPrefix(f.Function, "runtime."):
			return f.Function
		}
		if !more {
			return ""
		}
	}
}

// bbolt's on-disk layout (go.etcd.io/bbolt internal/common: page.go,
// meta.go), which this file reads without bbolt so that damage it finds is
// reported instead of crashing the process. Integers are in the machine's
// byte order, as bbolt writes them.
const (
	boltMagic   = 0xED0CDAED
	boltVersion = 2

	pageHeaderSize = 16 // id u64, flags u16, count u16, overflow u32
	elementSize    = 16 // branch: pos, ksize u32, pgid u64; leaf: flags, pos, ksize, vsize u32
	metaSize       = 64 // magic, version, pageSize, flags u32; root, sequence, freelist, pgid, txid, checksum u64
	bucketHeader   = 16 // a bucket's value: root pgid, sequence; an inline page follows when root is 0

	branchPage   = 0x01
	leafPage     = 0x02
	freelistPage = 0x10
	bucketLeaf   = 0x01 // a leaf element that is a nested bucket

	noFreelist = ^uint64(0)
)

var native = binary.NativeEndian

// metaPage is one of the two meta pages at the start of a bbolt file. bbolt
// commits by writing the other one with the next txid, and opens at the
// valid one with the higher txid.
type metaPage struct {
	slot                   int
	magic, version         uint32
	pageSize               uint32
	root, freelist         uint64
	pgid, txid             uint64 // pgid: pages in use, the high-water mark
	missing                bool   // the file ends before this page
	problem                string // why it is not valid; "" when it is
	hasMagic, rightVersion bool
}

func parseMeta(slot int, b []byte) metaPage {
	m := metaPage{slot: slot}
	if len(b) < metaSize {
		m.missing, m.problem = true, "the file ends before it"
		return m
	}
	m.magic, m.version, m.pageSize = native.Uint32(b[0:]), native.Uint32(b[4:]), native.Uint32(b[8:])
	m.root, m.freelist = native.Uint64(b[16:]), native.Uint64(b[32:])
	m.pgid, m.txid = native.Uint64(b[40:]), native.Uint64(b[48:])
	h := fnv.New64a()
	h.Write(b[:56])
	m.hasMagic, m.rightVersion = m.magic == boltMagic, m.version == boltVersion
	switch {
	case !m.hasMagic:
		m.problem = "no bbolt marker"
	case !m.rightVersion:
		m.problem = fmt.Sprintf("bbolt format version %d, this tracker reads %d", m.version, boltVersion)
	case h.Sum64() != native.Uint64(b[56:]):
		m.problem = "its checksum does not match"
	case m.pageSize < 512 || m.pageSize > 1<<20 || m.pageSize&(m.pageSize-1) != 0:
		m.problem = fmt.Sprintf("page size %d", m.pageSize)
	case m.pgid < 4 || m.root < 2 || m.root >= m.pgid:
		m.problem = fmt.Sprintf("its root page %d is outside its %d pages", m.root, m.pgid)
	case m.freelist != noFreelist && (m.freelist < 2 || m.freelist >= m.pgid):
		m.problem = fmt.Sprintf("its freelist page %d is outside its %d pages", m.freelist, m.pgid)
	}
	return m
}

func (m metaPage) valid() bool { return m.problem == "" }

// metas are a file's two meta pages and the one bbolt opens at.
type metas struct {
	page [2]metaPage
	used int // index into page, -1 when neither is valid
}

// readMetas reads both meta pages. The second sits one page in, so its
// offset comes from the first; when the first is damaged, the second is
// looked for at each page size bbolt may have used, as bbolt does.
func readMetas(r io.ReaderAt) metas {
	read := func(off int64) []byte {
		b := make([]byte, metaSize)
		n, _ := r.ReadAt(b, off)
		return b[:n]
	}
	var ms metas
	ms.page[0] = parseMeta(0, read(pageHeaderSize))
	if ms.page[0].valid() {
		ms.page[1] = parseMeta(1, read(int64(ms.page[0].pageSize)+pageHeaderSize))
	} else {
		sizes := []int{os.Getpagesize(), 4096, 8192, 16384, 32768, 65536, 1024, 2048}
		ms.page[1] = parseMeta(1, read(int64(sizes[0])+pageHeaderSize))
		for _, ps := range sizes {
			if m := parseMeta(1, read(int64(ps)+pageHeaderSize)); m.valid() && int(m.pageSize) == ps {
				ms.page[1] = m
				break
			}
		}
	}
	ms.used = -1
	for i, m := range ms.page {
		if m.valid() && (ms.used < 0 || m.txid > ms.page[ms.used].txid) {
			ms.used = i
		}
	}
	return ms
}

// precheck refuses, before bbolt maps it, a file bbolt would crash on: one
// too short for the pages its meta page claims (reading them faults), or
// whose two meta pages are both unreadable. It reads the meta pages before
// the size, so a writer committing meanwhile, which only grows the file
// before it writes a meta page, cannot make a sound file look short.
func precheck(f *os.File, path string) error {
	ms := readMetas(f)
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	size := info.Size()
	if size == 0 {
		return fmt.Errorf("%w: %s is an empty file (0 bytes), not a tracker store: remove it to start a new store there", ErrForeign, path)
	}
	if ms.used < 0 {
		m0, m1 := ms.page[0], ms.page[1]
		switch {
		case !m0.hasMagic && !m1.hasMagic:
			return wrongFile("%s is not a tracker store (not a bbolt database)", path)
		case m0.hasMagic && !m0.rightVersion || m1.hasMagic && !m1.rightVersion:
			return wrongFile("%s is not a tracker store (%s)", path, firstProblem(m0, m1))
		}
		return &DamagedError{Path: path, Found: fmt.Sprintf("both meta pages, the file's headers, are unreadable (page 0: %s; page 1: %s)", m0.problem, m1.problem)}
	}
	m := ms.page[ms.used]
	if need := int64(m.pgid) * int64(m.pageSize); size < need {
		return &DamagedError{Path: path, Found: fmt.Sprintf("the file is %d bytes, but its meta page says it holds %d pages of %d bytes (%d bytes): it was cut short", size, m.pgid, m.pageSize, need)}
	}
	if m.freelist == noFreelist {
		return wrongFile("%s is not a tracker store (a bbolt database without a stored freelist)", path)
	}
	if found := freelistCount(f, m); found != "" {
		return &DamagedError{Path: path, Found: found}
	}
	return nil
}

// freelistCount checks, as pageWalk.freelist does, that the freelist page
// m points at lists no more page ids than it and its overflow pages hold,
// all within m's pages: bbolt copies that many ids while opening
// (PreLoadFreelist), and a damaged count would make it allocate gigabytes
// and die out of memory, which no recover can catch. It says what is
// wrong, or "".
func freelistCount(r io.ReaderAt, m metaPage) string {
	id := m.freelist
	b := make([]byte, pageHeaderSize+8)
	if _, err := r.ReadAt(b, int64(id)*int64(m.pageSize)); err != nil {
		return fmt.Sprintf("freelist page %d cannot be read: %v", id, err)
	}
	last := id + uint64(native.Uint32(b[12:]))
	if last < id || last >= m.pgid {
		return fmt.Sprintf("freelist page %d runs on to page %d, past the file's %d pages", id, last, m.pgid)
	}
	n, off := uint64(native.Uint16(b[10:])), uint64(pageHeaderSize)
	if n == 0xFFFF { // the count did not fit: it is the first id
		n, off = native.Uint64(b[pageHeaderSize:]), off+8
	}
	if size := (last - id + 1) * uint64(m.pageSize); n > (size-off)/8 {
		return fmt.Sprintf("freelist page %d lists %d pages, more than it can hold", id, n)
	}
	return ""
}

func firstProblem(ms ...metaPage) string {
	for _, m := range ms {
		if m.hasMagic && !m.rightVersion {
			return m.problem
		}
	}
	return ms[0].problem
}

// maxProblems caps what one structure check lists: a badly damaged file
// would otherwise print a line per page.
const maxProblems = 50

// maxDepth bounds the nesting of b+tree levels and buckets. A tracker
// store is about ten deep; a page that points at an ancestor would
// otherwise be followed forever.
const maxDepth = 64

// checkStructure checks the pages tx sees by reading them with ReadAt from
// f, bbolt's own file, never through bbolt's memory map: a page outside
// the file, one reached twice (a loop), one of the wrong kind, or an
// element that points outside its page is reported instead of faulting or
// looping. Pages reachable from tx's meta page stay unchanged while tx is
// open, so the walk sees what tx sees. Only when the walk finds nothing
// does bbolt's Tx.Check run: it walks on a goroutine of its own, where a
// fault could not be recovered. note is set when a meta page is damaged,
// which bbolt skips silently, opening at the previous commit.
func checkStructure(tx *bolt.Tx, f *os.File) (note string, problems []string) {
	ms := readMetas(f)
	at := -1
	for i, m := range ms.page {
		if m.valid() && m.txid == uint64(tx.ID()) {
			at = i
		}
	}
	if at < 0 {
		return "", []string{fmt.Sprintf("no meta page holds transaction %d, the one bbolt opened (page 0: %s; page 1: %s): the file changed while open, or its headers are damaged", tx.ID(), describe(ms.page[0]), describe(ms.page[1]))}
	}
	m := ms.page[at]
	if other := ms.page[1-at]; !other.valid() {
		note = fmt.Sprintf("meta page %d is damaged (%s; it claims transaction %d), so the store opened at meta page %d, transaction %d: the store is whole as of that commit, but if the damaged page held a newer one, that write is lost; run it again if it is missing (the next write replaces the damaged page)", other.slot, other.problem, other.txid, m.slot, m.txid)
	}
	w := &pageWalk{r: f, pageSize: int64(m.pageSize), hwm: m.pgid, used: make([]bool, m.pgid), free: make([]bool, m.pgid)}
	w.used[0], w.used[1] = true, true
	w.freelist(m.freelist)
	w.tree(m.root, "", 0)
	if len(w.problems) > 0 {
		return note, w.problems
	}
	for err := range tx.Check() {
		if len(problems) < maxProblems {
			problems = append(problems, "bbolt check: "+err.Error())
		}
	}
	return note, problems
}

func describe(m metaPage) string {
	if m.valid() {
		return fmt.Sprintf("transaction %d", m.txid)
	}
	return m.problem
}

// pageWalk is checkStructure's reader of raw pages.
type pageWalk struct {
	r          io.ReaderAt
	pageSize   int64
	hwm        uint64 // pages in use: ids 0 to hwm-1
	used, free []bool
	problems   []string
}

func (w *pageWalk) problem(format string, args ...any) {
	if len(w.problems) < maxProblems {
		w.problems = append(w.problems, fmt.Sprintf(format, args...))
	}
}

// page reads page id and its overflow pages, marking them used; where says
// what refers to it.
func (w *pageWalk) page(id uint64, where string) ([]byte, bool) {
	if id < 2 || id >= w.hwm {
		w.problem("%s points at page %d, outside the file's pages 2 to %d", where, id, w.hwm-1)
		return nil, false
	}
	hdr := make([]byte, pageHeaderSize)
	if _, err := w.r.ReadAt(hdr, int64(id)*w.pageSize); err != nil {
		w.problem("page %d (%s): %v", id, where, err)
		return nil, false
	}
	if got := native.Uint64(hdr); got != id {
		w.problem("page %d (%s) says it is page %d", id, where, got)
		return nil, false
	}
	last := id + uint64(native.Uint32(hdr[12:]))
	if last >= w.hwm {
		w.problem("page %d (%s) runs on to page %d, past the file's %d pages", id, where, last, w.hwm)
		return nil, false
	}
	for i := id; i <= last; i++ {
		switch {
		case w.used[i]:
			w.problem("page %d (%s) is reached a second time", i, where)
			return nil, false
		case w.free[i]:
			w.problem("page %d (%s) is in use but listed as free", i, where)
			return nil, false
		}
		w.used[i] = true
	}
	b := make([]byte, int64(last-id+1)*w.pageSize)
	if _, err := w.r.ReadAt(b, int64(id)*w.pageSize); err != nil {
		w.problem("page %d (%s): %v", id, where, err)
		return nil, false
	}
	return b, true
}

func (w *pageWalk) freelist(id uint64) {
	p, ok := w.page(id, "the meta page's freelist")
	if !ok {
		return
	}
	if flags := native.Uint16(p[8:]); flags != freelistPage {
		w.problem("freelist page %d has type flags %#x, want %#x", id, flags, freelistPage)
		return
	}
	n, off := uint64(native.Uint16(p[10:])), uint64(pageHeaderSize)
	if n == 0xFFFF { // the count did not fit: it is the first id
		n, off = native.Uint64(p[off:]), off+8
	}
	if n > (uint64(len(p))-off)/8 {
		w.problem("freelist page %d lists %d pages, more than it can hold", id, n)
		return
	}
	for i := range n {
		free := native.Uint64(p[off+8*i:])
		switch {
		case free < 2 || free >= w.hwm:
			w.problem("the freelist lists page %d, outside the file's pages 2 to %d", free, w.hwm-1)
		case w.used[free]:
			w.problem("the freelist lists page %d, which is in use", free)
		default:
			w.free[free] = true
		}
	}
}

// tree checks the b+tree of one bucket, rooted at page id; bucket is its
// path from the root ("" for the root bucket).
func (w *pageWalk) tree(id uint64, bucket string, depth int) {
	label := bucketLabel(bucket)
	if depth > maxDepth {
		w.problem("%s is nested more than %d levels deep", label, maxDepth)
		return
	}
	p, ok := w.page(id, label)
	if !ok {
		return
	}
	switch flags := native.Uint16(p[8:]); flags {
	case leafPage:
		w.leaf(p, fmt.Sprintf("leaf page %d of %s", id, label), bucket, depth)
	case branchPage:
		n := int(native.Uint16(p[10:]))
		if n == 0 || pageHeaderSize+n*elementSize > len(p) {
			w.problem("branch page %d of %s claims %d elements", id, label, n)
			return
		}
		for i := range n {
			e := pageHeaderSize + i*elementSize
			pos, ksize, child := int(native.Uint32(p[e:])), int(native.Uint32(p[e+4:])), native.Uint64(p[e+8:])
			if e+pos+ksize > len(p) {
				w.problem("branch page %d of %s: key %d lies outside the page", id, label, i)
				return
			}
			w.tree(child, bucket, depth+1)
		}
	default:
		w.problem("page %d of %s has type flags %#x, want a branch (%#x) or leaf (%#x) page", id, label, flags, branchPage, leafPage)
	}
}

func bucketLabel(path string) string {
	if path == "" {
		return "the root bucket"
	}
	return "bucket " + quote.Short(path)
}

// leaf checks a leaf page's elements and follows the buckets it holds; p
// is a page read from the file or an inline bucket's page.
func (w *pageWalk) leaf(p []byte, what, bucket string, depth int) {
	n := int(native.Uint16(p[10:]))
	if pageHeaderSize+n*elementSize > len(p) {
		w.problem("%s claims %d elements, more than it holds", what, n)
		return
	}
	for i := range n {
		e := pageHeaderSize + i*elementSize
		flags, pos := native.Uint32(p[e:]), int(native.Uint32(p[e+4:]))
		ksize, vsize := int(native.Uint32(p[e+8:])), int(native.Uint32(p[e+12:]))
		if e+pos+ksize+vsize > len(p) {
			w.problem("%s: element %d lies outside the page", what, i)
			return
		}
		if flags&bucketLeaf == 0 {
			continue
		}
		key := p[e+pos : e+pos+ksize]
		val := p[e+pos+ksize : e+pos+ksize+vsize]
		child := keyName(key)
		if bucket != "" {
			child = bucket + "/" + child
		}
		label := bucketLabel(child)
		if len(val) < bucketHeader {
			w.problem("%s: %s has a %d-byte header, want %d", what, label, len(val), bucketHeader)
			continue
		}
		if root := native.Uint64(val); root != 0 {
			w.tree(root, child, depth+1)
			continue
		}
		inline := val[bucketHeader:]
		if len(inline) < pageHeaderSize || native.Uint16(inline[8:]) != leafPage {
			w.problem("%s: %s is stored inline but holds no leaf page", what, label)
			continue
		}
		if depth >= maxDepth {
			w.problem("%s is nested more than %d levels deep", label, maxDepth)
			continue
		}
		w.leaf(inline, "the inline page of "+label, child, depth+1)
	}
}

// keyName shows a bucket key in a message: as text when it is printable,
// else as the hex of its first bytes (blob keys are SHA-256 sums).
func keyName(k []byte) string {
	printable := utf8.Valid(k) && len(k) > 0
	for _, r := range string(k) {
		if !unicode.IsPrint(r) {
			printable = false
			break
		}
	}
	if printable {
		return string(k)
	}
	if len(k) > 6 {
		return fmt.Sprintf("%x…", k[:6])
	}
	return fmt.Sprintf("%x", k)
}

// damagedSummary turns structure problems into one DamagedError.
func damagedSummary(path string, problems []string) error {
	found := problems[0]
	if len(problems) > 1 {
		found += fmt.Sprintf(" (and %d more problems)", len(problems)-1)
	}
	return &DamagedError{Path: path, Found: found}
}
