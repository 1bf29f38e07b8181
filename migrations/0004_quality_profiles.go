package migrations

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// qualityBuckets gives every model series an evaluations bucket (each
// version's quality metrics on labelled rows, from run evaluate) and a
// profiles bucket (each week's data profile, from ingest-data and runs),
// so a week's retrain can be judged by its accuracy and its data's drift.
// Stores written before it have neither, so both start empty.
var qualityBuckets = Migration{
	Name:        "quality-profiles",
	Description: "add evaluations and profiles buckets to each model series, for model quality and data drift",
	From:        3,
	To:          4,
	Apply: func(tx *bolt.Tx) error {
		models := tx.Bucket([]byte("models"))
		if models == nil {
			return fmt.Errorf("the store has no models bucket")
		}
		return models.ForEachBucket(func(name []byte) error {
			for _, b := range []string{"evaluations", "profiles"} {
				if _, err := models.Bucket(name).CreateBucketIfNotExists([]byte(b)); err != nil {
					return fmt.Errorf("model %q: %w", name, err)
				}
			}
			return nil
		})
	},
}
