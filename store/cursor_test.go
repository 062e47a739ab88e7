package store

import "testing"

func TestCursorRoundTrip(t *testing.T) {
	tests := []struct {
		ms  int64
		key string
	}{
		{1764851234567, "42"},
		{-62135596800000, "1234567890123456789"},
		{0, "a:b"},
	}
	for _, tt := range tests {
		ms, key, err := decodeCursor(encodeCursor(tt.ms, tt.key))
		if err != nil || ms != tt.ms || key != tt.key {
			t.Errorf("decodeCursor(encodeCursor(%d, %q)) = %d, %q, %v; want the same values", tt.ms, tt.key, ms, key, err)
		}
	}
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(1, "2"))
	f.Add("")
	f.Add("%%%")
	f.Fuzz(func(t *testing.T, s string) {
		ms, key, err := decodeCursor(s)
		if err != nil {
			return
		}
		if key == "" {
			t.Fatalf("decodeCursor(%q) returned an empty key without an error", s)
		}
		ms2, key2, err := decodeCursor(encodeCursor(ms, key))
		if err != nil || ms2 != ms || key2 != key {
			t.Errorf("cursor (%d, %q) does not survive a round trip: (%d, %q), %v", ms, key, ms2, key2, err)
		}
	})
}
