package wire

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

var (
	rawTypes sync.Map // reflect.Type -> struct{}: []byte types sent and received as raw JSON text

	marshalerType     = reflect.TypeFor[json.Marshaler]()
	unmarshalerType   = reflect.TypeFor[json.Unmarshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	timeType          = reflect.TypeFor[time.Time]()
	isZeroerType      = reflect.TypeFor[interface{ IsZero() bool }]()
)

func init() { RegisterRaw(reflect.TypeFor[json.RawMessage]()) }

// RegisterRaw makes t, a type whose underlying type is []byte, hold raw JSON
// text: decoding stores a sub-slice of the input, encoding writes it verbatim
// after validating (and, if needed, compacting) it.
func RegisterRaw(t reflect.Type) { rawTypes.Store(t, struct{}{}) }

// IsRaw reports whether t was registered with RegisterRaw.
func IsRaw(t reflect.Type) bool { _, ok := rawTypes.Load(t); return ok }

// field is one JSON member of a struct type.
type field struct {
	name      string
	nameJSON  []byte // `"name":`
	index     []int
	typ       reflect.Type
	omitEmpty bool
	omitZero  bool
	zeroer    bool // typ has an IsZero method, used by omitzero
	tagged    bool // the name comes from a json tag
}

// structInfo is the cached JSON view of a struct type.
type structInfo struct {
	fields  []field
	byName  map[string]int
	unknown []int // index of the `json:",unknown"` map field, if any
	ascii   bool  // every field name is ASCII
	// starts holds the first bytes of the field names in either case: with
	// ASCII names, a key starting with another ASCII byte matches none.
	starts [4]uint64
}

var structCache sync.Map // reflect.Type -> *structInfo

func structInfoOf(t reflect.Type) *structInfo {
	if si, ok := structCache.Load(t); ok {
		return si.(*structInfo)
	}
	si := &structInfo{byName: map[string]int{}}
	collectFields(t, nil, si)
	si.fields = dominantFields(si.fields)
	si.ascii = true
	for i, f := range si.fields {
		si.byName[f.name] = i
		si.ascii = si.ascii && isASCII(f.name)
		if f.name != "" {
			c := f.name[0]
			si.starts[c>>6] |= 1 << (c & 63)
			if l := c | 0x20; 'a' <= l && l <= 'z' {
				si.starts[l>>6] |= 1 << (l & 63)
				si.starts[(l^0x20)>>6] |= 1 << ((l ^ 0x20) & 63)
			}
		}
	}
	v, _ := structCache.LoadOrStore(t, si)
	return v.(*structInfo)
}

func collectFields(t reflect.Type, index []int, si *structInfo) {
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, hasTag := sf.Tag.Lookup("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		tagName := name
		idx := append(append([]int(nil), index...), i)
		if sf.Anonymous && !hasTag && sf.Type.Kind() == reflect.Struct {
			collectFields(sf.Type, idx, si)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if hasOpt(opts, "unknown") {
			if sf.Type.Kind() == reflect.Map && sf.Type.Key().Kind() == reflect.String {
				si.unknown = idx
			}
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if !utf8.ValidString(name) {
			continue
		}
		nj := appendString(nil, name)
		nj = append(nj, ':')
		si.fields = append(si.fields, field{
			name: name, nameJSON: nj, index: idx, typ: sf.Type,
			omitEmpty: hasOpt(opts, "omitempty"), omitZero: hasOpt(opts, "omitzero"),
			zeroer: sf.Type.Implements(isZeroerType),
			tagged: hasTag && tagName != "",
		})
	}
}

// dominantFields resolves name conflicts as encoding/json does: the field at
// the shallowest depth wins, a tagged one over an untagged one at the same
// depth; names still ambiguous are dropped. The order is kept.
func dominantFields(all []field) []field {
	fields := all[:0:0]
	for i, f := range all {
		keep := true
		for j, o := range all {
			if i == j || o.name != f.name {
				continue
			}
			if d, od := len(f.index), len(o.index); od < d || od == d && (o.tagged || !f.tagged) {
				keep = false
				break
			}
		}
		if keep {
			fields = append(fields, f)
		}
	}
	return fields
}

func hasOpt(opts, want string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == want {
			return true
		}
	}
	return false
}

// lookup finds the field for a JSON member name: exact first, then
// case-insensitively (as encoding/json does).
func (si *structInfo) lookup(name []byte) int {
	if len(name) > 0 && name[0] < utf8.RuneSelf && si.ascii && si.starts[name[0]>>6]&(1<<(name[0]&63)) == 0 {
		return -1 // no field starts with this byte, in either case
	}
	if len(si.fields) <= 8 {
		for i := range si.fields {
			if si.fields[i].name == string(name) {
				return i
			}
		}
	} else if i, ok := si.byName[string(name)]; ok {
		return i
	}
	if si.ascii && isASCII(string(name)) {
		// Within ASCII, only letters fold, each to one of the same
		// width: names of another length cannot match.
		for i := range si.fields {
			if f := si.fields[i].name; len(f) == len(name) && strings.EqualFold(f, string(name)) {
				return i
			}
		}
		return -1
	}
	for i := range si.fields {
		if strings.EqualFold(si.fields[i].name, string(name)) {
			return i
		}
	}
	return -1
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
