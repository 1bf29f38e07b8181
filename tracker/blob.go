package tracker

import bolt "go.etcd.io/bbolt"

// blobValue is the one key inside a blob's bucket.
var blobValue = []byte("f32le")

// putBlob stores b under blobs/<sum> unless a blob with that sum is there
// (schema 2; migrations/0002_blob_buckets.go moves schema 1 stores over).
//
// Each blob gets a bucket of its own rather than being a value of the blobs
// bucket. bbolt rewrites a whole leaf when any key in it changes, and a leaf
// holds up to four values however large, so storing tensors as plain values
// would copy megabytes of older weights on every ingest and leave the freed
// pages scattered through the file. A nested bucket keeps each tensor on its
// own pages; an ingest rewrites only the small leaf of bucket headers.
func putBlob(blobs *bolt.Bucket, sum, b []byte) error {
	if blobs.Bucket(sum) != nil {
		return nil
	}
	bb, err := blobs.CreateBucket(sum)
	if err != nil {
		return err
	}
	return bb.Put(blobValue, b)
}

// getBlob returns the bytes stored under sum, or nil. They are valid only
// inside the transaction.
func getBlob(blobs *bolt.Bucket, sum []byte) []byte {
	bb := blobs.Bucket(sum)
	if bb == nil {
		return nil
	}
	return bb.Get(blobValue)
}
