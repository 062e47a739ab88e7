package wire

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"
)

func TestFlexString(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "string", in: `"1580705921830768647"`, want: "1580705921830768647"},
		{name: "number above 2^53 keeps digits", in: `9007199254740993`, want: "9007199254740993"},
		{name: "escaped string", in: `"a\u0041"`, want: "aA"},
		{name: "negative number", in: `-1`, want: "-1"},
		{name: "null", in: `null`, want: ""},
		{name: "bool", in: `true`, wantErr: true},
		{name: "object", in: `{}`, wantErr: true},
		{name: "array", in: `["1"]`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got struct {
				V FlexString `json:"v"`
			}
			err := json.Unmarshal([]byte(`{"v":`+tc.in+`}`), &got)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Unmarshal(%s) error = %v, want error %v", tc.in, err, tc.wantErr)
			}
			if !tc.wantErr && string(got.V) != tc.want {
				t.Errorf("Unmarshal(%s) = %q, want %q", tc.in, got.V, tc.want)
			}
		})
	}
}

func TestFlexInt(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int64
		wantErr bool
	}{
		{name: "number", in: `349`, want: 349},
		{name: "string", in: `"88"`, want: 88},
		{name: "null", in: `null`, want: 0},
		{name: "fraction", in: `1.5`, wantErr: true},
		{name: "exponent", in: `1e3`, wantErr: true},
		{name: "overflow", in: `9223372036854775808`, wantErr: true},
		{name: "word", in: `"many"`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got FlexInt
			err := json.Unmarshal([]byte(tc.in), &got)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Unmarshal(%s) error = %v, want error %v", tc.in, err, tc.wantErr)
			}
			if !tc.wantErr && int64(got) != tc.want {
				t.Errorf("Unmarshal(%s) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}
}

func TestValidID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"1", true},
		{"944480690", true},
		{"9999999999999999999", true}, // 19 digits
		{"10000000000000000000", false},
		{"", false},
		{"0", false},
		{"01", false},
		{"-1", false},
		{"+1", false},
		{"1 ", false},
		{"12a", false},
		{"１", false}, // fullwidth digit
	}
	for _, tc := range tests {
		if got := ValidID(tc.id); got != tc.want {
			t.Errorf("ValidID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

func TestParseMillis(t *testing.T) {
	got, ok := ParseMillis("1665702031123")
	want := time.Date(2022, 10, 13, 23, 0, 31, 123e6, time.UTC)
	if !ok || !got.Equal(want) {
		t.Errorf("ParseMillis = %v, %v; want %v, true", got, ok, want)
	}
	for _, in := range []string{"", "-1", "1.5", "12345678901234567", "x"} {
		if _, ok := ParseMillis(in); ok {
			t.Errorf("ParseMillis(%q) reported ok", in)
		}
	}
}

// FuzzValidID checks ValidID against the definition it documents: the
// canonical decimal form of a positive integer of at most 19 digits.
func FuzzValidID(f *testing.F) {
	for _, s := range []string{"1", "0", "01", "9999999999999999999", "-5", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := strconv.ParseUint(s, 10, 64)
		want := err == nil && n > 0 && len(s) <= 19 && strconv.FormatUint(n, 10) == s
		if got := ValidID(s); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", s, got, want)
		}
	})
}

// FuzzFlexString checks that decoding never panics and that any string
// or number it accepts round-trips through its text.
func FuzzFlexString(f *testing.F) {
	for _, s := range []string{`"1"`, `12`, `null`, `-0.5e3`, `{}`, `"\ud800"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var s FlexString
		if err := s.UnmarshalJSON([]byte(in)); err != nil {
			return
		}
		var n FlexInt
		if err := n.UnmarshalJSON([]byte(in)); err == nil && s != "" {
			if v, err := strconv.ParseInt(string(s), 10, 64); err != nil || v != int64(n) {
				t.Errorf("FlexInt(%s) = %d, but FlexString gave %q", in, n, s)
			}
		}
	})
}

// FuzzParseMillis checks that accepted input is all digits and maps back
// to the same count of milliseconds.
func FuzzParseMillis(f *testing.F) {
	f.Add("1665702031000")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseMillis(s)
		if !ok {
			return
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || got.UnixMilli() != n {
			t.Errorf("ParseMillis(%q) = %v, which is %d ms", s, got, got.UnixMilli())
		}
	})
}
