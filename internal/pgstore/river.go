package pgstore

import (
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/hookstack/hookstack/internal/jobs"
)

// Jobs returns the platform's job queue on this store's database: River's
// pgx driver on Pool, whose tables Open migrated. River finds its tables,
// and names its LISTEN/NOTIFY channels, by the pool's search_path — the
// schema of WithSchema or of the URL, where Open migrated them — so every
// node opened on the same database and schema shares one queue. Stop the
// queue before closing the store. It returns an error when cfg is invalid.
func (s *Store) Jobs(cfg jobs.Config) (*jobs.Queue, error) {
	c, err := river.NewClient(riverpgxv5.New(s.Pool), cfg.River())
	if err != nil {
		return nil, fmt.Errorf("pgstore: job queue: %w", err)
	}
	return jobs.New(c), nil
}
