package ott

import (
	"testing"

	"github.com/hookstack/hookstack/internal/platform"
)

func TestIs(t *testing.T) {
	t.Parallel()
	for tok, want := range map[string]bool{
		"ott0123456789abcdef0123456789abcdef":  true,
		"ott0123456789ABCDEF0123456789abcdef":  false,
		"ott0123456789abcdef0123456789abcde":   false,
		"0123456789abcdef0123456789abcdefabc":  false,
		"ott0123456789abcdef0123456789abcdefx": false,
	} {
		if got := Is(tok); got != want {
			t.Errorf("Is(%q) = %v, want %v", tok, got, want)
		}
	}
}

// TestAllowed is the scope matrix of PLATFORM §8.7.
func TestAllowed(t *testing.T) {
	t.Parallel()
	kinds := []string{"hook", "wrapper", "utility", "installer", "uninstaller", "setting", "update", "changeEdition", "step", "formInit", "preSave", "initChild"}
	setup := map[string]bool{"installer": true, "uninstaller": true, "setting": true, "update": true, "changeEdition": true,
		"step": true, "formInit": true, "preSave": true, "initChild": true}
	for _, fw := range []string{platform.Framework1, platform.Framework2} {
		for _, kind := range kinds {
			s := Scope{Framework: fw, Kind: kind}
			want := map[Class]bool{
				ClassSelf: true, ClassInvoke: true, ClassAdmin: false,
				ClassIntegration: fw == platform.Framework1 || setup[kind],
			}
			for c, w := range want {
				if got := s.Allowed(c); got != w {
					t.Errorf("framework %s %s, class %d: %v, want %v", fw, kind, c, got, w)
				}
			}
		}
	}
}
