package extension

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"

	"github.com/hookstack/hookstack/extension/internal/wire"
)

// DefaultMaxResponseSize is the response limit when the envelope sets none:
// 5 MiB, measured as JSON.stringify(result).length (PROTOCOL §2.4).
const DefaultMaxResponseSize = 5 * 1024 * 1024

// Envelope is the extension options object the platform sends: which module
// and function to call, and the function options. Over HTTP it is the request
// body; on Lambda it is the client context, with Options the event.
type Envelope struct {
	// DIY selects the DIY module; it wins over ConnectorID.
	DIY bool `json:"diy,omitzero"`
	// ConnectorID selects a connector module.
	ConnectorID string `json:"_connectorId,omitzero"`
	// Type selects a framework-1.0 category; empty for framework 2.0.
	Type string `json:"type,omitzero"`
	// Function is the name of the function to call.
	Function string `json:"function,omitzero"`
	// MaxResponseSize caps the result's JSON length in UTF-16 code units;
	// 0 means DefaultMaxResponseSize.
	MaxResponseSize int64 `json:"maxResponseSize,omitzero"`
	// Options are the function options, passed to the function; nil (or a
	// JavaScript-falsy JSON value) means none were provided.
	Options json.RawMessage `json:"options,omitzero"`
	// AccessToken is the system token when sent in the body. A truthy
	// access_token that is not a string leaves it empty but still counts as
	// sent (see BodyToken).
	AccessToken string `json:"access_token,omitzero"`
	// TraceID and ReqID are set by the transport (the traceid header and a
	// generated request id) and appear in the call's log line.
	TraceID string `json:"-"`
	ReqID   string `json:"-"`

	functionNotString bool        // "function" was truthy but not a string
	accessTokenSent   bool        // "access_token" was truthy
	limitZero         bool        // maxResponseSize was a truthy value equal to 0, such as "0"
	optionsChecked    bool        // Options were validated and meta filled
	meta              optionsMeta // ids for the call's log line
	index             *wire.Index // where the options' top-level arrays are
}

// optionsMeta holds the ids logged for each call (PROTOCOL §2.7).
type optionsMeta struct {
	integrationID, flowID, exportID, importID, connectionID string
}

// ParseEnvelope decodes an HTTP request body (or a Lambda client context)
// with JavaScript truthiness, as the Node SDK reads it: a falsy diy,
// _connectorId, type, function or options counts as absent, a function that
// is not a string is remembered as such, and a non-numeric maxResponseSize
// disables the limit. A top-level array decodes to an empty envelope (as
// Express does). It returns a *wire.SyntaxError for malformed JSON and an
// error for a top-level value that is neither an object nor an array.
func ParseEnvelope(body []byte) (*Envelope, error) {
	env := &Envelope{}
	i := wire.SkipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		if _, err := wire.Valid(body); err != nil {
			return nil, err
		}
		if body[i] == '[' {
			return env, nil
		}
		return nil, errNotObject
	}
	var s wire.Scanner
	end, err := s.Object(body, i, 0, func(key []byte, vi int) (int, error) {
		if bytes.IndexByte(key, '\\') >= 0 {
			key = []byte(wire.KeyString(body, key))
		}
		if string(key) == "options" && body[vi] == '{' {
			meta, idx, n, err := scanOptions(body[vi:])
			if err != nil {
				return 0, err
			}
			env.Options, env.meta, env.index, env.optionsChecked = body[vi:vi+n:vi+n], meta, idx, true
			return vi + n, nil
		}
		end, err := s.Value(body, vi, 1)
		if err != nil {
			return 0, err
		}
		env.set(key, body[vi:end:end])
		return end, nil
	})
	if err != nil {
		return nil, err
	}
	if j := wire.SkipSpace(body, end); j != len(body) {
		_, err := wire.Valid(body)
		return nil, err
	}
	if env.Options != nil && !env.optionsChecked {
		if env.meta, env.index, err = checkOptions(env.Options); err != nil {
			return nil, err
		}
		env.optionsChecked = true
	}
	return env, nil
}

// BodyToken returns the access_token sent in the body and whether one was
// sent (JavaScript-truthy). A token sent as a non-string value is sent but
// empty, so it matches no system token, as Node's strict comparison.
func (env *Envelope) BodyToken() (token string, sent bool) {
	return env.AccessToken, env.accessTokenSent || env.AccessToken != ""
}

// set applies one member of the wire envelope with JavaScript truthiness.
func (env *Envelope) set(key, v []byte) {
	switch string(key) {
	case "diy":
		env.DIY = Truthy(v)
	case "_connectorId":
		env.ConnectorID = jsString(v)
	case "type":
		env.Type = jsString(v)
	case "function":
		env.Function, env.functionNotString = "", false
		if Truthy(v) {
			if v[0] == '"' {
				env.Function = decodeJSONString(v)
			} else {
				env.functionNotString = true
			}
		}
	case "options": // an options value that is not an object
		env.Options, env.index, env.optionsChecked = nil, nil, false
		if Truthy(v) {
			env.Options = v
		}
	case "maxResponseSize":
		env.MaxResponseSize, env.limitZero = maxSize(v)
	case "access_token":
		env.AccessToken, env.accessTokenSent = "", Truthy(v)
		if env.accessTokenSent && v[0] == '"' {
			env.AccessToken = decodeJSONString(v)
		}
	}
}

// scanOptions validates the options object at the start of b in one pass,
// reading the ids logged per call and indexing its arrays.
func scanOptions(b []byte) (optionsMeta, *wire.Index, int, error) {
	var m optionsMeta
	idx, n, err := wire.ScanObjectPrefix(b, m.collect)
	return m, idx, n, err
}

// checkOptions validates options given as a whole (Lambda events, in-process
// calls) and reads its meta and index.
func checkOptions(options []byte) (optionsMeta, *wire.Index, error) {
	var m optionsMeta
	idx, err := wire.ScanObject(options, m.collect)
	return m, idx, err
}

type envelopeError string

func (e envelopeError) Error() string { return string(e) }

const errNotObject = envelopeError("the JSON body must be an object or an array")

// Truthy reports whether JSON text is JavaScript-truthy, as the Node SDK
// tests diy, function, options and the like: empty text, null, false, 0 and
// "" are not; anything else is — text that is not JSON included, so that
// whoever parses it reports the error.
func Truthy(b []byte) bool {
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		return false
	}
	switch t[0] {
	case 'n':
		return string(t) != "null"
	case 'f':
		return string(t) != "false"
	case '"':
		return string(t) != `""`
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		f, err := strconv.ParseFloat(string(t), 64)
		return err != nil || f != 0
	}
	return true
}

// jsString renders a JSON value as JavaScript's String() would use it as a
// property key; falsy values give "".
func jsString(v []byte) string {
	if !Truthy(v) {
		return ""
	}
	switch v[0] {
	case '"':
		return decodeJSONString(v)
	case '{':
		return "[object Object]"
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		f, _ := strconv.ParseFloat(string(v), 64)
		b, err := wire.AppendFloat(nil, f, 64)
		if err != nil {
			return string(v)
		}
		return string(b)
	}
	return string(v)
}

func decodeJSONString(v []byte) string { return wire.DecodeString(v) }

// maxSize applies PROTOCOL §2.4: falsy → default (0), numbers and numeric
// strings are limits, anything else never triggers. zero reports a truthy
// value that JavaScript compares as 0 (the string "0").
func maxSize(v []byte) (limit int64, zero bool) {
	if !Truthy(v) {
		return 0, false
	}
	text := v
	if v[0] == '"' {
		text = bytes.TrimSpace([]byte(decodeJSONString(v)))
		if len(text) == 0 { // Number("  ") is 0
			return 0, true
		}
	}
	f, err := strconv.ParseFloat(string(text), 64)
	switch {
	case err != nil || math.IsNaN(f) || f >= math.MaxInt64:
		return math.MaxInt64, false
	case f == 0:
		return 0, true
	case f < math.MinInt64/2:
		return math.MinInt64 / 2, false
	}
	return int64(math.Floor(f)), false
}

// collect records the ids logged per call (PROTOCOL §2.7) from one
// top-level member of the options.
func (m *optionsMeta) collect(key, v []byte) {
	switch string(key) {
	case "_integrationId":
		m.integrationID = jsString(v)
	case "_flowId":
		m.flowID = jsString(v)
	case "_exportId":
		m.exportID = jsString(v)
	case "_importId":
		m.importID = jsString(v)
	case "_connectionId":
		if m.connectionID == "" {
			m.connectionID = jsString(v)
		}
	case "connection":
		if v[0] == '{' {
			_ = wire.Members(v, 0, func(k string, id []byte) error {
				if k == "_id" {
					m.connectionID = jsString(id)
				}
				return nil
			})
		}
	}
}
