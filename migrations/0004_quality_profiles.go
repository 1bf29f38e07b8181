package migrations

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// qualityBuckets gives every model series an evaluations bucket (each
// version's quality metrics on labelled rows, from run evaluate), a
// profiles bucket (each week's data profile, from ingest-data and runs)
// and a checks bucket (each tracker check result, each check accept, and
// the measures of week pairs the checks learn their bounds from), so a
// week's retrain can be judged by its accuracy, its data's drift and its
// weights. Stores written before it have none, so all start empty.
var qualityBuckets = Migration{
	Name:        "quality-profiles",
	Description: "add evaluations, profiles and checks buckets to each model series, for model quality, data drift and retrain checks",
	From:        3,
	To:          4,
	Apply: func(tx *bolt.Tx) error {
		models := tx.Bucket([]byte("models"))
		if models == nil {
			return fmt.Errorf("the store has no models bucket")
		}
		return models.ForEachBucket(func(name []byte) error {
			for _, b := range []string{"evaluations", "profiles", "checks"} {
				if _, err := models.Bucket(name).CreateBucketIfNotExists([]byte(b)); err != nil {
					return fmt.Errorf("model %q: %w", name, err)
				}
			}
			return nil
		})
	},
}
