package invited

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzParseDuration reads any text as a duration, as request bodies
// ("expires_in"), the console's lifetime field and CSV cells give it: either
// it is refused, or what it reads survives a round trip through its own
// string and through JSON unchanged, and days stay within their bound.
func FuzzParseDuration(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("%q: an empty error", s)
			}
			return
		}
		again, err := ParseDuration(d.String())
		if err != nil || again != d {
			t.Fatalf("%q reads as %v, whose string %q reads as %v (%v)", s, time.Duration(d), d.String(), time.Duration(again), err)
		}
		data, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("%q: marshal: %v", s, err)
		}
		var back Duration
		if err := json.Unmarshal(data, &back); err != nil || back != d {
			t.Fatalf("%q: JSON %s reads as %v (%v), want %v", s, data, time.Duration(back), err, time.Duration(d))
		}
		if len(s) > 0 && s[len(s)-1] == 'd' && (d < 0 || time.Duration(d) > 36500*24*time.Hour) {
			t.Fatalf("%q reads as %v days, beyond the bound", s, time.Duration(d)/(24*time.Hour))
		}
	})
}
