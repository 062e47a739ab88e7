package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		rss     int64
		hwm     int64
		wantErr bool
	}{
		{"linux status", "Name:\tmktx\nVmPeak:\t 1300000 kB\nVmHWM:\t   52344 kB\nVmRSS:\t   48120 kB\nThreads:\t9\n", 48120, 52344, false},
		{"fields in other order", "VmRSS:\t1 kB\nVmHWM:\t2 kB\n", 1, 2, false},
		{"zero", "VmHWM:\t0 kB\nVmRSS:\t0 kB\n", 0, 0, false},
		{"rss missing", "VmHWM:\t2 kB\n", 0, 0, true},
		{"hwm missing", "VmRSS:\t2 kB\n", 0, 0, true},
		{"empty", "", 0, 0, true},
		{"no unit", "VmRSS:\t12\nVmHWM:\t12 kB\n", 0, 0, true},
		{"not a number", "VmRSS:\tmany kB\nVmHWM:\t12 kB\n", 0, 0, true},
		{"negative", "VmRSS:\t-5 kB\nVmHWM:\t12 kB\n", 0, 0, true},
		{"overflow", "VmRSS:\t99999999999999999999 kB\nVmHWM:\t12 kB\n", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rss, hwm, err := parseStatus(strings.NewReader(tt.text))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseStatus error = %v, want error %v", err, tt.wantErr)
			}
			if rss != tt.rss || hwm != tt.hwm {
				t.Errorf("parseStatus = %d, %d; want %d, %d", rss, hwm, tt.rss, tt.hwm)
			}
		})
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add("VmHWM:\t   52344 kB\nVmRSS:\t   48120 kB\n")
	f.Add("VmRSS:\t1 kB\n")
	f.Add("VmRSS: kB\nVmHWM:\t-0 kB")
	f.Fuzz(func(t *testing.T, text string) {
		rss, hwm, err := parseStatus(strings.NewReader(text))
		if err != nil {
			if rss != 0 || hwm != 0 {
				t.Errorf("parseStatus returned %d, %d with error %v", rss, hwm, err)
			}
			return
		}
		if rss < 0 || hwm < 0 {
			t.Errorf("parseStatus = %d, %d; want values of at least 0", rss, hwm)
		}
		if !strings.Contains(text, "VmRSS:") || !strings.Contains(text, "VmHWM:") {
			t.Errorf("parseStatus succeeded on text without both fields: %q", text)
		}
	})
}

func TestReadMemoryOfSelf(t *testing.T) {
	rss, hwm, err := readMemory(os.Getpid())
	if err != nil {
		t.Skipf("no /proc on this system: %v", err)
	}
	if rss <= 0 || hwm < rss {
		t.Errorf("VmRSS %d kB, VmHWM %d kB; want a positive VmRSS no larger than VmHWM", rss, hwm)
	}
}

func TestMemoryCheckpoints(t *testing.T) {
	sample := func(delivered int64) memSample {
		return memSample{at: time.Duration(delivered) * time.Millisecond, delivered: delivered, rssKiB: delivered + 1}
	}
	var samples []memSample
	for _, d := range []int64{0, 30, 60, 99, 100, 140, 200, 200, 200} {
		samples = append(samples, sample(d))
	}
	samples[len(samples)-1].at = time.Hour // a sample after the load ended
	got := memoryCheckpoints(samples, 50, 200)
	want := []memSample{sample(0), sample(60), sample(100), sample(200), samples[len(samples)-1]}
	if !slices.Equal(got, want) {
		t.Errorf("memoryCheckpoints =\n%v\nwant\n%v", got, want)
	}
	if got := memoryCheckpoints(nil, 50, 200); got != nil {
		t.Errorf("checkpoints of no samples = %v, want none", got)
	}
	short := samples[:3] // the load never reached 100 deliveries
	if got, want := memoryCheckpoints(short, 50, 200), []memSample{sample(0), sample(60)}; !slices.Equal(got, want) {
		t.Errorf("checkpoints of a short run = %v, want %v", got, want)
	}
	rss, hwm := peakRSS([]memSample{{rssKiB: 5, hwmKiB: 9}, {rssKiB: 8, hwmKiB: 12}, {rssKiB: 6, hwmKiB: 11}})
	if rss != 8 || hwm != 12 {
		t.Errorf("peakRSS = %d, %d; want 8, 12", rss, hwm)
	}
}

// TestLoadSamplesMemory runs the load against a handler in this process and
// samples this process's own memory.
func TestLoadSamplesMemory(t *testing.T) {
	if _, _, err := readMemory(os.Getpid()); err != nil {
		t.Skipf("no /proc on this system: %v", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Millisecond)
	}))
	defer srv.Close()
	var out bytes.Buffer
	args := []string{"--url", srv.URL, "--secret", "s", "--concurrency", "4", "--requests", "400", "--crc-interval", "0",
		"--pid", strconv.Itoa(os.Getpid()), "--mem-interval", "1ms", "--mem-step", "100", "--mem-after", "20ms"}
	if err := run(args, func(string) string { return "" }, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	report := out.String()
	if !strings.Contains(report, "largest VmRSS") {
		t.Errorf("report lacks the memory summary:\n%s", report)
	}
	for _, want := range []string{"       0 deliveries", "     400 deliveries"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks the checkpoint %q:\n%s", strings.TrimSpace(want), report)
		}
	}
}

func TestLoadFailsWhenProcessIsGone(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	var out bytes.Buffer
	// Linux process ids stay below 2^22, so this one belongs to no process.
	args := []string{"--url", srv.URL, "--secret", "s", "--requests", "10", "--crc-interval", "0", "--pid", "99999999"}
	err := run(args, func(string) string { return "" }, &out)
	if err == nil || !strings.Contains(err.Error(), "read memory of process 99999999") {
		t.Errorf("run with a missing process: error %v, want the failed memory read", err)
	}
}
