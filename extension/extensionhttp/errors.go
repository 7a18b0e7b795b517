package extensionhttp

import (
	"github.com/hookstack/hookstack/extension"
)

// errorsJSON encodes {"errors":[…]} with the SDK's JSON encoder.
func errorsJSON(errs []extension.Error) ([]byte, error) {
	type body struct {
		Errors []extension.Error `json:"errors"`
	}
	if errs == nil {
		errs = []extension.Error{}
	}
	return extension.Marshal(body{Errors: errs})
}
