package migrations

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// partsBuckets gives every model series a parts bucket, where a long
// experiment (a drop-retrain's trainings) keeps each finished piece until
// the whole lands, so an interrupted run resumes instead of starting over.
// Stores written before it have no unfinished experiments, so the new
// buckets start empty.
var partsBuckets = Migration{
	Name:        "parts",
	Description: "add a parts bucket to each model series, for the finished pieces of unfinished experiments",
	From:        2,
	To:          3,
	Apply: func(tx *bolt.Tx) error {
		models := tx.Bucket([]byte("models"))
		if models == nil {
			return fmt.Errorf("the store has no models bucket")
		}
		return models.ForEachBucket(func(name []byte) error {
			if _, err := models.Bucket(name).CreateBucketIfNotExists([]byte("parts")); err != nil {
				return fmt.Errorf("model %q: %w", name, err)
			}
			return nil
		})
	},
}
