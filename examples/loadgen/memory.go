package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// memSample is the memory of the measured process at one moment of a run.
type memSample struct {
	at        time.Duration // since the load started
	delivered int64         // deliveries with a response by then
	rssKiB    int64         // VmRSS: resident set size
	hwmKiB    int64         // VmHWM: peak resident set size since the process started
}

// maxStatusBytes bounds the read of /proc/PID/status, which is about 1.5 KiB
// on Linux 6.
const maxStatusBytes = 64 << 10

// readMemory returns VmRSS and VmHWM of process pid in KiB, from
// /proc/PID/status (Linux only).
func readMemory(pid int) (rssKiB, hwmKiB int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	return parseStatus(io.LimitReader(f, maxStatusBytes))
}

// parseStatus returns the VmRSS and VmHWM fields, in KiB, of text in the
// format of /proc/PID/status: one "Name:\tvalue" field per line, with the
// memory fields written as "<decimal> kB". It returns an error when either
// field is missing or malformed.
func parseStatus(r io.Reader) (rssKiB, hwmKiB int64, err error) {
	rssKiB, hwmKiB = -1, -1
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		number, ok := strings.CutSuffix(strings.TrimSpace(value), " kB")
		if !ok {
			return 0, 0, fmt.Errorf("%s %q does not end in kB", name, strings.TrimSpace(value))
		}
		n, err := strconv.ParseInt(strings.TrimSpace(number), 10, 64)
		if err != nil || n < 0 {
			return 0, 0, fmt.Errorf("%s %q is not a number of kB", name, strings.TrimSpace(value))
		}
		if name == "VmRSS" {
			rssKiB = n
		} else {
			hwmKiB = n
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, err
	}
	if rssKiB < 0 || hwmKiB < 0 {
		return 0, 0, errors.New("VmRSS or VmHWM missing; is it a Linux /proc/PID/status file?")
	}
	return rssKiB, hwmKiB, nil
}

// sampleMemory reads the memory of process pid every interval until ctx
// ends, and once at the start. It stops early when a read fails, such as
// when the process has exited, and returns the samples together with that
// error.
func sampleMemory(ctx context.Context, pid int, interval time.Duration, start time.Time, delivered *atomic.Int64) ([]memSample, error) {
	var out []memSample
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		rss, hwm, err := readMemory(pid)
		if err != nil {
			return out, fmt.Errorf("read memory of process %d: %w", pid, err)
		}
		out = append(out, memSample{at: time.Since(start), delivered: delivered.Load(), rssKiB: rss, hwmKiB: hwm})
		select {
		case <-ctx.Done():
			return out, nil
		case <-ticker.C:
		}
	}
}

// memoryCheckpoints returns, for 0, step, 2×step, ... up to total
// deliveries, the first sample taken once that many deliveries were
// answered, followed by the last sample when it is later than all of them
// (taken after the load, for example). Checkpoints that no sample reached
// are left out.
func memoryCheckpoints(samples []memSample, step, total int64) []memSample {
	if len(samples) == 0 || step < 1 {
		return nil
	}
	var out []memSample
	next := 0
	for c := int64(0); c <= total; c += step {
		for next < len(samples) && samples[next].delivered < c {
			next++
		}
		if next == len(samples) {
			break
		}
		if len(out) == 0 || out[len(out)-1] != samples[next] {
			out = append(out, samples[next])
		}
	}
	if last := samples[len(samples)-1]; len(out) == 0 || out[len(out)-1] != last {
		out = append(out, last)
	}
	return out
}

// peakRSS returns the largest VmRSS and the largest VmHWM of the samples.
// VmHWM covers the moments between samples too, but the kernel keeps it
// apart from VmRSS: on Linux 6.18 a sampled VmRSS was seen up to 0.2 MiB
// above a VmHWM read later.
func peakRSS(samples []memSample) (rssKiB, hwmKiB int64) {
	for _, s := range samples {
		rssKiB = max(rssKiB, s.rssKiB)
		hwmKiB = max(hwmKiB, s.hwmKiB)
	}
	return rssKiB, hwmKiB
}

func reportMemory(out io.Writer, o options, r result) {
	if r.memErr != nil {
		fmt.Fprintf(out, "memory:     sampling stopped: %v\n", r.memErr)
	}
	if len(r.memory) == 0 {
		return
	}
	rss, hwm := peakRSS(r.memory)
	fmt.Fprintf(out, "memory:     process %d, %d samples every %s, largest VmRSS %s, largest VmHWM %s\n",
		o.pid, len(r.memory), o.memInterval, mib(rss), mib(hwm))
	step := o.memStep
	if step <= 0 {
		step = max(int64(o.requests)/4, 1)
	}
	for _, s := range memoryCheckpoints(r.memory, step, int64(o.requests)) {
		fmt.Fprintf(out, "memory at:  %7d deliveries %8.1fs  VmRSS %s  VmHWM %s\n", s.delivered, s.at.Seconds(), mib(s.rssKiB), mib(s.hwmKiB))
	}
}

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }
