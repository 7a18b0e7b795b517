package sqlitestore

import (
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/hookstack/hookstack/internal/jobs"
)

// Jobs returns the platform's job queue on this store's file: River's SQLite
// driver on the River pool, whose tables Open migrated. Stop the queue
// before closing the store. It returns an error when cfg is invalid.
func (s *Store) Jobs(cfg jobs.Config) (*jobs.Queue, error) {
	c, err := river.NewClient(riversqlite.New(s.River), cfg.River())
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: job queue: %w", err)
	}
	return jobs.New(c), nil
}
