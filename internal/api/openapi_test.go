package api_test

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/hookstack/hookstack/internal/api"
)

// specPath is the published contract, relative to this package.
var specPath = filepath.Join("..", "..", "api", "openapi.yaml")

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

// spec is api/openapi.yaml, parsed once.
type spec struct {
	doc map[string]any
	// ops maps "METHOD /path" to its operation object.
	ops map[string]map[string]any
	// pathItems maps "METHOD /path" to the path item holding the operation.
	pathItems map[string]map[string]any
}

var (
	specOnce sync.Once
	specVal  *spec
	specErr  error
)

func loadSpec(t *testing.T) *spec {
	t.Helper()
	specOnce.Do(func() {
		var b []byte
		if b, specErr = os.ReadFile(specPath); specErr != nil {
			return
		}
		s := &spec{ops: map[string]map[string]any{}, pathItems: map[string]map[string]any{}}
		if specErr = yaml.Unmarshal(b, &s.doc); specErr != nil {
			return
		}
		paths, _ := s.doc["paths"].(map[string]any)
		for path, item := range paths {
			item, _ := item.(map[string]any)
			for _, m := range httpMethods {
				if op, ok := item[m].(map[string]any); ok {
					key := strings.ToUpper(m) + " " + path
					s.ops[key], s.pathItems[key] = op, item
				}
			}
		}
		specVal = s
	})
	if specErr != nil {
		t.Fatalf("reading %s: %v", specPath, specErr)
	}
	return specVal
}

// statuses returns the response codes the spec documents for route
// ("PUT /v1/stacks/{id}").
func (s *spec) statuses(route string) []string {
	op := s.ops[route]
	resp, _ := op["responses"].(map[string]any)
	var codes []string
	for c := range resp {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	return codes
}

// resolve follows a {"$ref": "#/…"} to its target; other values come back
// as they are.
func (s *spec) resolve(v any) any {
	for range 10 {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return v
		}
		v = s.pointer(ref)
	}
	return v
}

// pointer returns what a local JSON pointer ("#/components/schemas/Stack")
// names, or nil.
func (s *spec) pointer(ref string) any {
	if !strings.HasPrefix(ref, "#/") {
		return nil
	}
	var cur any = s.doc
	for _, part := range strings.Split(ref[2:], "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		if cur, ok = m[part]; !ok {
			return nil
		}
	}
	return cur
}

// TestOpenAPIRoutes fails when api/openapi.yaml and the registered routes
// differ, listing what is missing on each side.
func TestOpenAPIRoutes(t *testing.T) {
	t.Parallel()
	s := loadSpec(t)
	registered := api.New(api.Config{}).Routes()
	inCode := map[string]bool{}
	for _, r := range registered {
		if inCode[r] {
			t.Errorf("route %q registered twice", r)
		}
		inCode[r] = true
	}
	var notDocumented, notRegistered []string
	for r := range inCode {
		if s.ops[r] == nil {
			notDocumented = append(notDocumented, r)
		}
	}
	for r := range s.ops {
		if !inCode[r] {
			notRegistered = append(notRegistered, r)
		}
	}
	sort.Strings(notDocumented)
	sort.Strings(notRegistered)
	if len(notDocumented) > 0 {
		t.Errorf("registered in internal/api/routes.go but missing from %s:\n\t%s", specPath, strings.Join(notDocumented, "\n\t"))
	}
	if len(notRegistered) > 0 {
		t.Errorf("documented in %s but not registered in internal/api/routes.go:\n\t%s", specPath, strings.Join(notRegistered, "\n\t"))
	}
	if len(registered) == 0 {
		t.Fatal("no routes registered")
	}
}

// TestOpenAPIConsistent checks the spec against itself and the API's
// conventions: every $ref resolves, every operation is documented with the
// statuses every route can answer, lists page, bodies can fail as bodies do.
func TestOpenAPIConsistent(t *testing.T) {
	t.Parallel()
	s := loadSpec(t)
	if v, _ := s.doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi: %q, want 3.1.x", v)
	}

	// Every $ref names something.
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok && s.pointer(ref) == nil {
				t.Errorf("%s: $ref %q resolves to nothing", at, ref)
			}
			for k, x := range v {
				walk(at+"/"+k, x)
			}
		case []any:
			for _, x := range v {
				walk(at, x)
			}
		}
	}
	walk("#", s.doc)

	allowed := []string{"200", "201", "204", "400", "401", "403", "404", "409", "413", "415", "422", "429"}
	opIDs := map[string]string{}
	for route, op := range s.ops {
		codes := s.statuses(route)
		for _, c := range codes {
			if !slices.Contains(allowed, c) {
				t.Errorf("%s: unexpected status %s", route, c)
			}
		}
		// Every route is authenticated and rate limited.
		for _, c := range []string{"401", "429"} {
			if !slices.Contains(codes, c) {
				t.Errorf("%s: status %s not documented", route, c)
			}
		}
		success := 0
		for _, c := range codes {
			if c[0] == '2' {
				success++
			}
		}
		if success != 1 {
			t.Errorf("%s: %d success statuses, want 1", route, success)
		}
		if id, _ := op["operationId"].(string); id == "" {
			t.Errorf("%s: no operationId", route)
		} else if other, dup := opIDs[id]; dup {
			t.Errorf("%s: operationId %q used by %s too", route, id, other)
		} else {
			opIDs[id] = route
		}

		params := map[string]bool{}
		for _, list := range []any{s.pathItems[route]["parameters"], op["parameters"]} {
			l, _ := list.([]any)
			for _, p := range l {
				p, _ := s.resolve(p).(map[string]any)
				name, _ := p["name"].(string)
				params[p["in"].(string)+":"+name] = true
			}
		}
		if strings.Contains(route, "{id}") && !params["path:id"] {
			t.Errorf("%s: path parameter id not declared", route)
		}

		if op["requestBody"] != nil {
			for _, c := range []string{"400", "413", "415", "422"} {
				if !slices.Contains(codes, c) {
					t.Errorf("%s: has a body but does not document %s", route, c)
				}
			}
		}

		// A list: skip and limit, and the Link header on 200.
		ok, _ := op["responses"].(map[string]any)["200"].(map[string]any)
		ok, _ = s.resolve(ok).(map[string]any)
		content, _ := ok["content"].(map[string]any)
		media, _ := content["application/json"].(map[string]any)
		schema, _ := s.resolve(media["schema"]).(map[string]any)
		if schema["type"] == "array" {
			if !params["query:skip"] || !params["query:limit"] {
				t.Errorf("%s: a list without skip and limit", route)
			}
			headers, _ := ok["headers"].(map[string]any)
			if headers["Link"] == nil {
				t.Errorf("%s: a list without the Link header", route)
			}
			if !slices.Contains(codes, "400") {
				t.Errorf("%s: a list must document 400 for bad skip/limit", route)
			}
		}
	}
	if op := s.ops["DELETE /v1/stacks/{id}/systemToken"]; op != nil {
		l, _ := op["parameters"].([]any)
		found := false
		for _, p := range l {
			if p, _ := s.resolve(p).(map[string]any); p["name"] == "graceSeconds" && p["in"] == "query" {
				found = true
			}
		}
		if !found {
			t.Error("DELETE /v1/stacks/{id}/systemToken: graceSeconds not documented")
		}
	}

	// The schemas the API answers with are all there.
	for _, name := range []string{"Stack", "ServerStack", "LambdaStack", "Share", "Invite", "APIToken", "TokenInfo",
		"Dependencies", "SystemToken", "ErrorList", "Error"} {
		if s.pointer("#/components/schemas/"+name) == nil {
			t.Errorf("schema %s missing", name)
		}
	}
	if sec, _ := s.pointer("#/components/securitySchemes/bearerAuth").(map[string]any); sec["scheme"] != "bearer" {
		t.Errorf("bearerAuth security scheme: %v", sec)
	}
}
