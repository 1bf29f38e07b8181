package keras

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tracker-ml/tracker/internal/quote"
)

// h5guard checks, in Go and before libhdf5 sees them, the parts of an HDF5
// file that libhdf5 1.10 decodes without bounds checks. A damaged file there
// does not make libhdf5 return an error: it reads past its buffers and the
// process dies with SIGSEGV, which Go cannot recover from. Two such places
// are known to be hit by one flipped byte of a real Keras file:
//
//   - an attribute message whose name, datatype or dataspace size points
//     past the end of the message (H5O_attr_decode copies the value from
//     wherever the sizes point, on H5Aopen, H5Aexists or any attribute
//     lookup on the object);
//   - a variable-length string whose global heap object is larger than the
//     string it belongs to, or whose heap collection lists an object that
//     runs past the collection (H5HG_read copies the object's size into a
//     buffer of the string's size, on H5Aread).
//
// The guard parses object headers and heap collections itself, with every
// length checked against the bytes actually there, and refuses what libhdf5
// would misread. It reads only the object headers it is asked about and the
// collections their strings point to.
type h5guard struct {
	r     io.ReaderAt
	size  int64 // file size
	base  int64 // file offset of the superblock: HDF5 addresses count from it
	offSz int   // bytes in an address
	lenSz int   // bytes in a length
	root  uint64
	heaps map[uint64]map[uint16]uint64 // collection address: object index: size
	reads int64                        // bytes read so far, bounded by maxGuardRead
	name  string                       // the file as messages call it
}

// Bounds on what the guard reads. Keras object headers are a few KB (an
// attribute message of a version 1 header cannot exceed 64 KiB, and Keras
// splits longer name lists); a heap collection holds one model_config at
// most, bounded by maxConfig.
const (
	maxHeaderChunks = 64
	maxChunk        = 1 << 24
	maxCollection   = maxConfig + 1<<20
	maxGuardRead    = 1 << 28
	maxRank         = 32 // H5S_MAX_RANK
)

// errDamaged marks a structure the guard refuses; match it with errors.Is.
var errDamaged = errors.New("damaged HDF5 structure")

// damagedError is an errDamaged whose text is only where and what.
type damagedError struct{ msg string }

func (e damagedError) Error() string        { return e.msg }
func (e damagedError) Is(target error) bool { return target == errDamaged }

func (g *h5guard) damaged(format string, args ...any) error {
	return damagedError{fmt.Sprintf(format, args...)}
}

// hdf5Signature starts every HDF5 superblock.
var hdf5Signature = []byte("\x89HDF\r\n\x1a\n")

// newH5Guard finds the superblock of f and the root group's object header.
func newH5Guard(f *os.File, name string) (*h5guard, error) {
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	g := &h5guard{r: f, size: info.Size(), heaps: map[uint64]map[uint16]uint64{}, name: name}
	// libhdf5 looks for the signature at 0, 512, 1024, 2048, ...
	found := false
	for off := int64(0); off+64 <= g.size; off = max(512, off*2) {
		sig, err := g.read(off, 8)
		if err != nil {
			return nil, err
		}
		if bytes.Equal(sig, hdf5Signature) {
			g.base, found = off, true
			break
		}
	}
	if !found {
		return nil, g.damaged("no HDF5 superblock")
	}
	hdr, err := g.read(g.base, 64)
	if err != nil {
		return nil, err
	}
	switch v := hdr[8]; v {
	case 0, 1:
		g.offSz, g.lenSz = int(hdr[13]), int(hdr[14])
		// base, free-space, end-of-file and driver addresses, then the
		// root group's symbol table entry: link name offset, header address.
		p := int64(24)
		if v == 1 {
			p += 4
		}
		if !g.sizesOK() {
			return nil, g.damaged("superblock declares %d-byte addresses and %d-byte lengths", g.offSz, g.lenSz)
		}
		addrs, err := g.read(g.base+p, 6*g.offSz)
		if err != nil {
			return nil, err
		}
		// A driver information block makes libhdf5 switch file drivers
		// (family, multi: more files named from this one); Keras never
		// writes one.
		if d := g.uint(addrs[3*g.offSz : 4*g.offSz]); d != g.undef() {
			return nil, g.damaged("superblock names a file driver block, which Keras never writes")
		}
		g.root = g.uint(addrs[5*g.offSz:])
	case 2, 3:
		g.offSz, g.lenSz = int(hdr[9]), int(hdr[10])
		if !g.sizesOK() {
			return nil, g.damaged("superblock declares %d-byte addresses and %d-byte lengths", g.offSz, g.lenSz)
		}
		rest, err := g.read(g.base+12+3*int64(g.offSz), g.offSz)
		if err != nil {
			return nil, err
		}
		g.root = g.uint(rest)
	default:
		return nil, g.damaged("superblock version %d", v)
	}
	return g, nil
}

func (g *h5guard) sizesOK() bool {
	ok := func(n int) bool { return n == 2 || n == 4 || n == 8 }
	return ok(g.offSz) && ok(g.lenSz)
}

// read returns n bytes at file offset off, refusing reads past the end.
func (g *h5guard) read(off int64, n int) ([]byte, error) {
	if off < 0 || n < 0 || off > g.size || int64(n) > g.size-off {
		return nil, g.damaged("address %d (+%d bytes) is past the end of the %d-byte file", off, n, g.size)
	}
	if g.reads += int64(n); g.reads > maxGuardRead {
		return nil, g.damaged("the object headers take more than %d bytes", maxGuardRead)
	}
	b := make([]byte, n)
	if _, err := g.r.ReadAt(b, off); err != nil {
		return nil, fmt.Errorf("read %s at %d: %w", g.name, off, err)
	}
	return b, nil
}

// uint decodes a little-endian address or length of 2, 4 or 8 bytes.
func (g *h5guard) uint(b []byte) uint64 {
	switch len(b) {
	case 2:
		return uint64(binary.LittleEndian.Uint16(b))
	case 4:
		return uint64(binary.LittleEndian.Uint32(b))
	}
	return binary.LittleEndian.Uint64(b)
}

// undef is the address HDF5 writes for "none": all bits set.
func (g *h5guard) undef() uint64 { return 1<<(8*g.offSz) - 1 }

// abs turns an HDF5 address into a file offset.
func (g *h5guard) abs(addr uint64) (int64, error) {
	if addr >= uint64(g.size) || int64(addr) > g.size-g.base {
		return 0, g.damaged("address %d is past the end of the %d-byte file", addr, g.size)
	}
	return g.base + int64(addr), nil
}

// h5msg is one message of an object header.
type h5msg struct {
	typ   uint16
	flags byte
	body  []byte
}

// HDF5 object header message types the guard looks into.
const (
	msgDataspace    = 0x0001
	msgDatatype     = 0x0003
	msgAttribute    = 0x000C
	msgLayout       = 0x0008
	msgPipeline     = 0x000B
	msgContinuation = 0x0010
	msgAttrInfo     = 0x0015
)

// messages reads every message of the object header at addr, following
// continuation chunks, with every length checked.
func (g *h5guard) messages(addr uint64) ([]h5msg, error) {
	off, err := g.abs(addr)
	if err != nil {
		return nil, err
	}
	head, err := g.read(off, min(16, int(g.size-off)))
	if err != nil {
		return nil, err
	}
	var msgs []h5msg
	type chunk struct {
		off int64
		n   uint64
	}
	var chunks []chunk
	v2 := bytes.HasPrefix(head, []byte("OHDR"))
	var corder bool
	switch {
	case v2:
		if len(head) < 7 || head[4] != 2 {
			return nil, g.damaged("object header at %d has an unknown version", addr)
		}
		flags := head[5]
		corder = flags&0x04 != 0
		p := int64(6)
		if flags&0x20 != 0 {
			p += 16
		}
		if flags&0x10 != 0 {
			p += 4
		}
		w := 1 << (flags & 3)
		b, err := g.read(off+p, w)
		if err != nil {
			return nil, err
		}
		chunks = append(chunks, chunk{off + p + int64(w), g.uint(b)})
	default:
		if len(head) < 16 || head[0] != 1 {
			return nil, g.damaged("object header at %d is neither version 1 nor 2", addr)
		}
		chunks = append(chunks, chunk{off + 16, uint64(binary.LittleEndian.Uint32(head[8:12]))})
	}
	for i := 0; i < len(chunks); i++ {
		if i >= maxHeaderChunks {
			return nil, g.damaged("object header at %d has more than %d continuation chunks", addr, maxHeaderChunks)
		}
		c := chunks[i]
		if c.n > maxChunk {
			return nil, g.damaged("object header at %d has a %d-byte chunk", addr, c.n)
		}
		b, err := g.read(c.off, int(c.n))
		if err != nil {
			return nil, err
		}
		if v2 {
			// A continuation chunk starts with OCHK and ends in a checksum;
			// the first chunk's size leaves out the prefix and checksum.
			if i > 0 {
				if !bytes.HasPrefix(b, []byte("OCHK")) {
					return nil, g.damaged("object header at %d: continuation chunk without its signature", addr)
				}
				b = b[4:]
				if len(b) < 4 {
					return nil, g.damaged("object header at %d: chunk too short", addr)
				}
				b = b[:len(b)-4]
			}
		}
		hdr := 8
		if v2 {
			hdr = 4
			if corder {
				hdr = 6
			}
		}
		for len(b) >= hdr {
			var m h5msg
			var n int
			if v2 {
				m.typ, n, m.flags = uint16(b[0]), int(binary.LittleEndian.Uint16(b[1:3])), b[3]
			} else {
				m.typ, n, m.flags = binary.LittleEndian.Uint16(b[0:2]), int(binary.LittleEndian.Uint16(b[2:4])), b[4]
			}
			if n > len(b)-hdr {
				return nil, g.damaged("object header at %d: message of type %#x runs %d bytes past its chunk", addr, m.typ, n-(len(b)-hdr))
			}
			m.body, b = b[hdr:hdr+n], b[hdr+n:]
			if m.typ == msgContinuation {
				if len(m.body) < g.offSz+g.lenSz {
					return nil, g.damaged("object header at %d: continuation message too short", addr)
				}
				coff, err := g.abs(g.uint(m.body[:g.offSz]))
				if err != nil {
					return nil, err
				}
				chunks = append(chunks, chunk{coff, g.uint(m.body[g.offSz : g.offSz+g.lenSz])})
				continue
			}
			msgs = append(msgs, m)
		}
	}
	return msgs, nil
}

// checkObject refuses an object header that libhdf5 would misread: every
// attribute message, and the dataspace and datatype messages of a dataset,
// must fit in its bytes, and every variable-length string attribute must
// point at a heap object of its own length.
func (g *h5guard) checkObject(addr uint64, what string) error {
	msgs, err := g.messages(addr)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	for _, m := range msgs {
		var err error
		switch m.typ {
		case msgAttribute:
			err = g.checkAttribute(m.body)
		case msgAttrInfo:
			err = g.checkAttrInfo(m.body)
		case msgDataspace:
			if m.flags&0x02 == 0 {
				_, _, err = g.dataspace(m.body)
			}
		case msgDatatype:
			if m.flags&0x02 == 0 {
				_, _, err = g.datatype(m.body)
			}
		case msgLayout:
			err = g.checkLayout(m.body)
		case msgPipeline:
			// Refused before libhdf5 decodes the filter list: Keras writes
			// no filters, and a deflate filter inflates without bound.
			err = errors.New("it is compressed or filtered, which Keras never writes: save the model again with Keras")
		}
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return nil
}

// checkLayout refuses every storage layout but contiguous, the only one
// Keras writes, before libhdf5 decodes it: compact data is copied from the
// header by a length it does not check, and chunked data brings B-tree and
// chunk-index parsing this guard does not cover. Contiguous data must lie
// inside the file.
func (g *h5guard) checkLayout(b []byte) error {
	if len(b) < 2 {
		return g.damaged("layout message of %d bytes", len(b))
	}
	var class byte
	switch v := b[0]; v {
	case 1, 2:
		if len(b) < 3 {
			return g.damaged("layout message of %d bytes", len(b))
		}
		class = b[2]
	case 3, 4:
		class = b[1]
	default:
		return g.damaged("layout message version %d", v)
	}
	switch class {
	case 0:
		return errors.New("it is stored compact, which Keras never writes: save the model again with Keras")
	case 2:
		return errors.New("it is stored in chunks, which Keras never writes: save the model again with Keras")
	case 3:
		return errors.New("it is a virtual dataset, which Keras never writes: tracker reads only what is inside the file")
	case 1:
	default:
		return g.damaged("storage layout %d", class)
	}
	if b[0] < 3 || len(b) < 2+g.offSz+g.lenSz {
		return nil // old layouts: libhdf5 checks addresses against the file's end on read
	}
	addr, size := g.uint(b[2:2+g.offSz]), g.uint(b[2+g.offSz:2+g.offSz+g.lenSz])
	if addr != g.undef() && (addr > uint64(g.size) || size > uint64(g.size)-addr) {
		return g.damaged("dataset storage of %d bytes at %d is past the end of the %d-byte file", size, addr, g.size)
	}
	return nil
}

// checkAttrInfo refuses attributes kept in dense storage (a fractal heap):
// the guard cannot check them, and Keras writes at most a handful of
// attributes per object, which libhdf5 keeps in the header.
func (g *h5guard) checkAttrInfo(b []byte) error {
	if len(b) < 2 {
		return g.damaged("attribute info message too short")
	}
	p := 2
	if b[1]&0x01 != 0 {
		p += 2
	}
	if len(b) < p+g.offSz {
		return g.damaged("attribute info message too short")
	}
	if a := g.uint(b[p : p+g.offSz]); a != g.undef() {
		return g.damaged("attributes are kept in dense storage, which Keras never writes")
	}
	return nil
}

// pad8 rounds n up to a multiple of 8, as version 1 attribute messages align.
func pad8(n int) int { return (n + 7) &^ 7 }

// checkAttribute checks one attribute message: name, datatype and
// dataspace inside the message, the value fitting what is left.
func (g *h5guard) checkAttribute(b []byte) error {
	if len(b) < 8 {
		return g.damaged("attribute message of %d bytes", len(b))
	}
	ver, flags := b[0], b[1]
	nameSz := int(binary.LittleEndian.Uint16(b[2:4]))
	dtSz := int(binary.LittleEndian.Uint16(b[4:6]))
	dsSz := int(binary.LittleEndian.Uint16(b[6:8]))
	p := 8
	align := func(n int) int { return n }
	switch ver {
	case 1:
		align = pad8
	case 2:
	case 3:
		p = 9
	default:
		return g.damaged("attribute message version %d", ver)
	}
	if ver > 1 && flags&0x03 != 0 {
		return g.damaged("attribute with a shared datatype or dataspace, which Keras never writes")
	}
	if len(b) < p+align(nameSz) || nameSz < 1 {
		return g.damaged("attribute name of %d bytes in a %d-byte message", nameSz, len(b))
	}
	name := b[p : p+nameSz]
	if i := bytes.IndexByte(name, 0); i != nameSz-1 {
		return g.damaged("attribute name %s is not terminated where its length says", quote.Short(string(bytes.TrimRight(name, "\x00"))))
	}
	attr := quote.Short(string(name[:nameSz-1]))
	p += align(nameSz)
	if dtSz > len(b)-p || align(dtSz) > len(b)-p {
		return g.damaged("attribute %s: its datatype runs past the message", attr)
	}
	elem, vlenStr, err := g.datatype(b[p : p+dtSz])
	if err != nil {
		return fmt.Errorf("attribute %s: %w", attr, err)
	}
	p += align(dtSz)
	if dsSz > len(b)-p || align(dsSz) > len(b)-p {
		return g.damaged("attribute %s: its dataspace runs past the message (%d bytes declared, %d left)", attr, dsSz, len(b)-p)
	}
	npoints, _, err := g.dataspace(b[p : p+dsSz])
	if err != nil {
		return fmt.Errorf("attribute %s: %w", attr, err)
	}
	p += align(dsSz)
	left := uint64(len(b) - p)
	if elem > 0 && npoints > left/elem {
		return g.damaged("attribute %s: %d values of %d bytes do not fit the %d bytes left in the message", attr, npoints, elem, left)
	}
	if vlenStr {
		return g.checkVlenStrings(b[p:p+int(npoints*elem)], attr)
	}
	return nil
}

// datatype reads a datatype message and returns the size of one value as
// stored (a variable-length value is stored as a length and a heap id) and
// whether it is a variable-length string.
func (g *h5guard) datatype(b []byte) (elem uint64, vlenStr bool, err error) {
	if len(b) < 8 {
		return 0, false, g.damaged("datatype message of %d bytes", len(b))
	}
	class, ver := b[0]&0x0f, b[0]>>4
	if ver < 1 || ver > 4 || class > 10 {
		return 0, false, g.damaged("datatype class %d version %d", class, ver)
	}
	size := uint64(binary.LittleEndian.Uint32(b[4:8]))
	if class == 9 { // variable length: length (4), heap address, object index (4)
		// libhdf5 converts each element of the base type: a string of
		// 4-billion-byte characters keeps it busy for hours. Keras writes
		// strings of bytes only.
		base, _, err := g.datatype(b[8:])
		if err != nil {
			return 0, false, err
		}
		str := b[1]&0x0f == 1
		if (str && (base != 1 || b[8]&0x0f != 0)) || base > 1<<16 {
			return 0, false, g.damaged("variable-length type of %d-byte elements", base)
		}
		return uint64(4 + g.offSz + 4), str, nil
	}
	if size == 0 {
		return 0, false, g.damaged("datatype of size 0")
	}
	return size, false, nil
}

// dataspace reads a dataspace message and returns its number of points and rank.
func (g *h5guard) dataspace(b []byte) (npoints uint64, rank int, err error) {
	if len(b) < 4 {
		return 0, 0, g.damaged("dataspace message of %d bytes", len(b))
	}
	ver, flags := b[0], b[2]
	rank = int(b[1])
	p := 4
	switch ver {
	case 1:
		p = 8
	case 2:
		switch b[3] {
		case 0:
			return 1, 0, nil // scalar
		case 2:
			return 0, 0, nil // null
		case 1:
		default:
			return 0, 0, g.damaged("dataspace type %d", b[3])
		}
	default:
		return 0, 0, g.damaged("dataspace version %d", ver)
	}
	if rank > maxRank {
		return 0, 0, g.damaged("dataspace of rank %d", rank)
	}
	need := rank * g.lenSz
	if flags&0x01 != 0 {
		need *= 2
	}
	if len(b) < p+need {
		return 0, 0, g.damaged("dataspace of rank %d in %d bytes", rank, len(b))
	}
	npoints = 1
	for i := range rank {
		d := g.uint(b[p+i*g.lenSz : p+(i+1)*g.lenSz])
		if d != 0 && npoints > (1<<62)/d {
			return 0, 0, g.damaged("dataspace of more than 2^62 points")
		}
		npoints *= d
	}
	return npoints, rank, nil
}

// checkVlenStrings checks each stored variable-length string: its heap
// object must exist and be exactly as long as the string says.
func (g *h5guard) checkVlenStrings(b []byte, attr string) error {
	step := 4 + g.offSz + 4
	var total uint64
	for i := 0; i+step <= len(b); i += step {
		n := uint64(binary.LittleEndian.Uint32(b[i : i+4]))
		addr := g.uint(b[i+4 : i+4+g.offSz])
		idx := binary.LittleEndian.Uint32(b[i+4+g.offSz : i+step])
		if addr == 0 {
			continue // libhdf5 reads no heap object for it
		}
		if total += n; total > maxConfig {
			return g.damaged("attribute %s: its strings add up to more than %d bytes", attr, maxConfig)
		}
		objs, err := g.collection(addr)
		if err != nil {
			return fmt.Errorf("attribute %s: %w", attr, err)
		}
		size, ok := objs[uint16(idx)]
		switch {
		case idx > 0xffff || !ok:
			return g.damaged("attribute %s: string %d points at heap object %d, which its collection does not hold", attr, i/step, idx)
		case size != n:
			return g.damaged("attribute %s: string %d is %d bytes long but its heap object holds %d", attr, i/step, n, size)
		}
	}
	return nil
}

// collection parses the global heap collection at addr the way libhdf5's
// H5HG cache does, and returns its objects' sizes by index.
func (g *h5guard) collection(addr uint64) (map[uint16]uint64, error) {
	if objs, ok := g.heaps[addr]; ok {
		return objs, nil
	}
	off, err := g.abs(addr)
	if err != nil {
		return nil, err
	}
	hdrSz := pad8(8 + g.lenSz)
	head, err := g.read(off, hdrSz)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(head, []byte("GCOL")) || head[4] != 1 {
		return nil, g.damaged("no global heap collection at %d", addr)
	}
	size := g.uint(head[8 : 8+g.lenSz])
	if size < uint64(hdrSz) || size > maxCollection || size > uint64(g.size-off) {
		return nil, g.damaged("global heap collection at %d declares %d bytes", addr, size)
	}
	b, err := g.read(off, int(size))
	if err != nil {
		return nil, err
	}
	objHdr := uint64(4 + 4 + g.lenSz)
	objs := map[uint16]uint64{}
	for p := uint64(hdrSz); p < size; {
		if p+objHdr > size {
			break // too small for an object: free space
		}
		idx := binary.LittleEndian.Uint16(b[p : p+2])
		n := g.uint(b[p+8 : p+8+uint64(g.lenSz)])
		need := n // the free-space object's size includes its header
		if idx > 0 {
			if n > size {
				return nil, g.damaged("global heap collection at %d: object %d declares %d bytes, more than the collection", addr, idx, n)
			}
			need = objHdr + uint64(pad8(int(n)))
			objs[idx] = n
		}
		if need < objHdr || need > size-p {
			return nil, g.damaged("global heap collection at %d: object %d declares %d bytes, past the end of the collection", addr, idx, n)
		}
		p += need
	}
	g.heaps[addr] = objs
	return objs, nil
}
