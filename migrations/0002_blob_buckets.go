package migrations

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// blobBuckets moves every weight tensor from a plain value of the blobs
// bucket into a bucket of its own, blobs/<sha256>/f32le.
//
// Schema 1 kept tensors as plain values. bbolt rewrites a whole leaf when
// any key in it changes and keeps up to four values in a leaf however large,
// so every ingest copied megabytes of older tensors and left the freed pages
// scattered: a store grew to 1.27x its raw weights. In their own buckets,
// tensors are never rewritten.
var blobBuckets = Migration{
	Name:        "blob-buckets",
	Description: "move each weight tensor into its own bucket, so ingests stop rewriting older tensors",
	From:        1,
	To:          2,
	Apply: func(tx *bolt.Tx) error {
		blobs := tx.Bucket([]byte("blobs"))
		if blobs == nil {
			return fmt.Errorf("the store has no blobs bucket")
		}
		// Collect first: a bucket must not change under its cursor.
		type blob struct{ key, value []byte }
		var plain []blob
		err := blobs.ForEach(func(k, v []byte) error {
			if v != nil {
				plain = append(plain, blob{append([]byte(nil), k...), append([]byte(nil), v...)})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, b := range plain {
			if err := blobs.Delete(b.key); err != nil {
				return err
			}
			bb, err := blobs.CreateBucket(b.key)
			if err != nil {
				return err
			}
			if err := bb.Put([]byte("f32le"), b.value); err != nil {
				return err
			}
		}
		return nil
	},
}
