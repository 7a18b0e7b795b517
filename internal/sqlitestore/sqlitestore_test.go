package sqlitestore_test

import (
	"path/filepath"
	"testing"

	"github.com/hookstack/hookstack/internal/platform"
	"github.com/hookstack/hookstack/internal/sqlitestore"
	"github.com/hookstack/hookstack/internal/storetest"
)

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) platform.Store {
		s, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "hookstack.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookstack.db")
	for range 2 { // migrations are idempotent
		s, err := sqlitestore.Open(t.Context(), path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
