package wire

import (
	"fmt"
	"time"
)

type timeValue = time.Time

// AppendISOTime appends t as a JSON string in the form JavaScript's
// Date#toISOString produces: UTC, milliseconds, a trailing Z, and the
// six-digit signed year form outside 0000–9999.
func AppendISOTime(buf []byte, t time.Time) ([]byte, error) {
	t = t.UTC()
	buf = append(buf, '"')
	if y := t.Year(); y < 0 || y > 9999 {
		sign := byte('+')
		if y < 0 {
			sign, y = '-', -y
		}
		buf = fmt.Appendf(buf, "%c%06d", sign, y)
		buf = t.AppendFormat(buf, "-01-02T15:04:05.000Z")
	} else {
		buf = t.AppendFormat(buf, "2006-01-02T15:04:05.000Z")
	}
	return append(buf, '"'), nil
}
