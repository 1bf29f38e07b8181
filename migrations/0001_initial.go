package migrations

import bolt "go.etcd.io/bbolt"

// initial creates a new store: the meta bucket with its marker, the models
// bucket (one nested bucket per model series) and the blobs bucket
// (content-addressed weight tensors).
var initial = Migration{
	Name:        "initial",
	Description: "create the meta, models and blobs buckets of a new store",
	From:        0,
	To:          1,
	Apply: func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucket(MetaBucket)
		if err != nil {
			return err
		}
		if err := meta.Put(FormatKey, FormatMarker); err != nil {
			return err
		}
		for _, name := range []string{"models", "blobs"} {
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		return nil
	},
}
